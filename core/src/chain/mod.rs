//! Certificate path validation of our own (DESIGN.md, "Trust is decided by
//! Hallmark"): RFC 5280 path building and checking on rustls-webpki, with the
//! signature algorithms supplied from the RustCrypto crates (so the same code
//! runs on wasm32), and the checks webpki leaves out done here:
//!
//! - **key usage**: every issuer (intermediates and the anchor) must be a CA
//!   and, when it states a key usage, include keyCertSign; under the C2PA
//!   profile the end entity must state digitalSignature and must not be a CA;
//! - **extended key usage**: webpki asks one validator about every certificate
//!   of the path without saying which, so that validator accepts an absent EKU
//!   and, when one is present, requires a purpose of the policy; the end
//!   entity's C2PA EKU (emailProtection, documentSigning or C2PA claim signing)
//!   is required here, on the end entity alone;
//! - **anchor validity**: an anchor outside its own validity dates vouches for
//!   nothing (as OpenSSL, which the reference validators use, decides);
//! - **the anchor that vouched**: which configured anchor ended the path.
//!
//! Time is passed in: wasm32 has no clock.

mod algorithms;
mod profile;

pub use algorithms::ALGORITHMS;
use profile::{c2pa_leaf_rules, issuer_rules, profile_rules};

use crate::code::Code;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter};
use x509_parser::prelude::{FromDer, X509Certificate};

/// emailProtection (RFC 5280).
pub const EKU_EMAIL_PROTECTION: &[usize] = &[1, 3, 6, 1, 5, 5, 7, 3, 4];
/// documentSigning (RFC 9336).
pub const EKU_DOCUMENT_SIGNING: &[usize] = &[1, 3, 6, 1, 5, 5, 7, 3, 36];
/// C2PA claim signing (C2PA 2.1, 1.3.6.1.4.1.62558.2.1).
pub const EKU_C2PA_CLAIM_SIGNING: &[usize] = &[1, 3, 6, 1, 4, 1, 62558, 2, 1];
/// timeStamping (RFC 3161 time-stamp authorities).
pub const EKU_TIME_STAMPING: &[usize] = &[1, 3, 6, 1, 5, 5, 7, 3, 8];
/// anyExtendedKeyUsage.
const EKU_ANY: &[usize] = &[2, 5, 29, 37, 0];

/// The EKUs a C2PA claim signer may carry (one of them is required).
pub const C2PA_SIGNER_EKUS: &[&[usize]] = &[
    EKU_EMAIL_PROTECTION,
    EKU_DOCUMENT_SIGNING,
    EKU_C2PA_CLAIM_SIGNING,
];

/// What the end entity must be, besides chaining to an anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The EKU purposes accepted: the end entity needs one of them when
    /// `require_leaf_eku` is set, and any certificate that states an EKU must
    /// state one of them (or anyExtendedKeyUsage). Empty: EKUs are not looked at.
    pub ekus: Vec<Vec<usize>>,
    /// The end entity must state an EKU of `ekus`, a key usage with
    /// digitalSignature, and must not be a CA (the C2PA signer profile).
    pub c2pa_leaf: bool,
}

impl Policy {
    /// The C2PA claim signer profile.
    pub fn c2pa_signer() -> Self {
        Self {
            ekus: C2PA_SIGNER_EKUS.iter().map(|e| e.to_vec()).collect(),
            c2pa_leaf: true,
        }
    }

    /// A time-stamp authority: timeStamping required.
    pub fn time_stamping() -> Self {
        Self {
            ekus: vec![EKU_TIME_STAMPING.to_vec()],
            c2pa_leaf: true,
        }
    }
}

/// Why a chain does not reach a trust anchor under the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    #[error("the certificate chain is empty or can't be parsed: {0}")]
    Malformed(String),
    #[error("no path to a trust anchor: {0}")]
    NoPath(String),
    #[error("an issuer is not allowed to issue certificates: {0}")]
    IssuerNotCa(String),
    #[error("the signing certificate's key usage does not allow signing: {0}")]
    LeafUsage(String),
    #[error("the trust anchor is outside its validity period: {0}")]
    AnchorExpired(String),
    #[error("a certificate breaks the RFC 5280 profile: {0}")]
    Profile(String),
}

impl ChainError {
    pub fn code(&self) -> Code {
        match self {
            Self::Malformed(_) => Code::ChainMalformed,
            Self::NoPath(_) => Code::ChainNoPath,
            Self::IssuerNotCa(_) => Code::ChainIssuerNotCa,
            Self::LeafUsage(_) => Code::ChainLeafUsage,
            Self::AnchorExpired(_) => Code::ChainAnchorExpired,
            Self::Profile(_) => Code::ChainProfile,
        }
    }
}

/// A path that validated: the anchor that ended it (an index into the
/// anchors given) and the subjects from the end entity to the anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPath {
    pub anchor: usize,
    pub subjects: Vec<String>,
}

/// Validate `chain` (end entity first, then any intermediates, in any order)
/// against `anchors` (DER certificates) at `time` (seconds since the Unix epoch).
pub fn validate<A: AsRef<[u8]>>(
    chain: &[Vec<u8>],
    anchors: &[A],
    time: u64,
    policy: &Policy,
) -> Result<ValidPath, ChainError> {
    let (leaf_der, rest) = chain
        .split_first()
        .ok_or_else(|| ChainError::Malformed("no certificate".into()))?;
    let leaf_der = CertificateDer::from(leaf_der.as_slice());
    let leaf = EndEntityCert::try_from(&leaf_der)
        .map_err(|e| ChainError::Malformed(format!("the end entity: {e:?}")))?;
    // Anchors that can't be parsed are skipped (they vouch for nothing); the
    // index maps back to the caller's list.
    let anchor_ders: Vec<CertificateDer<'_>> = anchors
        .iter()
        .map(|a| CertificateDer::from(a.as_ref()))
        .collect();
    let mut parsed = Vec::new();
    let mut index = Vec::new();
    for (i, der) in anchor_ders.iter().enumerate() {
        if let Ok(anchor) = webpki::anchor_from_trusted_cert(der) {
            parsed.push(anchor);
            index.push(i);
        }
    }
    let intermediates: Vec<CertificateDer<'_>> = rest
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();

    check_certificate(leaf_der.as_ref(), Role::Leaf, policy, time)?;
    // The first rule the callback broke, reported in place of webpki's
    // generic "no path" when no other path passes either.
    let refused = std::cell::RefCell::new(None::<ChainError>);
    let found = std::cell::Cell::new(None::<usize>);
    let callback = |path: &webpki::VerifiedPath<'_>| -> Result<(), webpki::Error> {
        let result = check_path(path, &parsed, &index, anchors, time, policy);
        match result {
            Ok(i) => {
                found.set(Some(i));
                Ok(())
            }
            Err(e) => {
                refused.borrow_mut().get_or_insert(e);
                // Any error makes webpki try the next candidate path.
                Err(webpki::Error::UnknownIssuer)
            }
        }
    };
    let eku = PurposeValidator { ekus: &policy.ekus };
    let result = leaf.verify_for_usage(
        ALGORITHMS,
        &parsed,
        &intermediates,
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(time)),
        eku,
        None,
        Some(&callback),
    );
    match result {
        Ok(path) => {
            let anchor = found
                .get()
                .ok_or_else(|| ChainError::NoPath("no anchor matched".into()))?;
            let mut subjects = vec![crate::cert::subject_of(leaf_der.as_ref())];
            subjects.extend(
                path.intermediate_certificates()
                    .map(|c| crate::cert::subject_of(c.der().as_ref())),
            );
            subjects.push(crate::cert::subject_of(anchors[anchor].as_ref()));
            Ok(ValidPath { anchor, subjects })
        }
        Err(e) => Err(refused
            .into_inner()
            .unwrap_or_else(|| ChainError::NoPath(describe(&e)))),
    }
}

fn describe(e: &webpki::Error) -> String {
    use webpki::Error as E;
    match e {
        E::UnknownIssuer => "the chain does not end at a trusted anchor".into(),
        E::CertExpired { .. } => "a certificate of the chain has expired".into(),
        E::CertNotValidYet { .. } => "a certificate of the chain is not valid yet".into(),
        E::CaUsedAsEndEntity => "the signing certificate is a CA".into(),
        E::EndEntityUsedAsCa => "an issuer of the chain is not a CA".into(),
        E::PathLenConstraintViolated => "a path length constraint is violated".into(),
        E::InvalidSignatureForPublicKey => "a certificate's signature does not verify".into(),
        E::RequiredEkuNotFoundContext(_) => {
            "a certificate's extended key usage does not allow this purpose".into()
        }
        E::NameConstraintViolation => "a name constraint is violated".into(),
        other => format!("{other:?}"),
    }
}

/// Checks on a path webpki built (see [`check_certificate`]). Returns the
/// index of the anchor in the caller's list.
fn check_path<A: AsRef<[u8]>>(
    path: &webpki::VerifiedPath<'_>,
    parsed: &[TrustAnchor<'_>],
    index: &[usize],
    anchors: &[A],
    time: u64,
    policy: &Policy,
) -> Result<usize, ChainError> {
    for cert in path.intermediate_certificates() {
        check_certificate(cert.der().as_ref(), Role::Issuer, policy, time)?;
    }
    let anchor = path.anchor();
    let position = parsed
        .iter()
        .position(|a| {
            a.subject == anchor.subject
                && a.subject_public_key_info == anchor.subject_public_key_info
        })
        .ok_or_else(|| ChainError::NoPath("the anchor is not one of ours".into()))?;
    let i = index[position];
    check_certificate(anchors[i].as_ref(), Role::Anchor, policy, time)?;
    Ok(i)
}

/// Every rule for one certificate of a path, parsed once: the C2PA
/// end-entity profile (when the policy asks for it), an issuer's CA rules,
/// the RFC 5280 profile, and an anchor's own validity dates.
fn check_certificate(der: &[u8], role: Role, policy: &Policy, time: u64) -> Result<(), ChainError> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| ChainError::Malformed(format!("a certificate: {e}")))?;
    let who = crate::cert::subject_of(der);
    match role {
        Role::Leaf if policy.c2pa_leaf => c2pa_leaf_rules(&cert, &policy.ekus)?,
        Role::Leaf => {}
        Role::Issuer | Role::Anchor => issuer_rules(&cert, &who)?,
    }
    profile_rules(&cert, &who, role, &policy.ekus)?;
    if role == Role::Anchor {
        let validity = cert.validity();
        let t = i64::try_from(time).unwrap_or(i64::MAX);
        if t < validity.not_before.timestamp() || t > validity.not_after.timestamp() {
            return Err(ChainError::AnchorExpired(who));
        }
    }
    Ok(())
}

/// Where a certificate sits in a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Leaf,
    Issuer,
    Anchor,
}

/// webpki's EKU hook, called for every certificate of a candidate path:
/// absent is fine; present must name a purpose of the policy (or any).
struct PurposeValidator<'a> {
    ekus: &'a [Vec<usize>],
}

impl ExtendedKeyUsageValidator for PurposeValidator<'_> {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        if self.ekus.is_empty() {
            for id in iter {
                id?;
            }
            return Ok(());
        }
        let mut present = Vec::new();
        for id in iter {
            present.push(id?.to_decoded_oid());
        }
        if present.is_empty()
            || present
                .iter()
                .any(|oid| oid == EKU_ANY || self.ekus.contains(oid))
        {
            Ok(())
        } else {
            Err(webpki::Error::RequiredEkuNotFoundContext(
                webpki::RequiredEkuNotFoundContext {
                    // documentSigning, as DER: the purpose named in the error.
                    required: webpki::KeyUsage::required(&[
                        0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24,
                    ]),
                    present,
                },
            ))
        }
    }
}
