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

use crate::code::Code;
use rustls_pki_types::alg_id;
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm,
    TrustAnchor, UnixTime,
};
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

/// The C2PA end-entity profile: an EKU of the policy, digitalSignature, not a CA.
fn c2pa_leaf_rules(cert: &X509Certificate<'_>, ekus: &[Vec<usize>]) -> Result<(), ChainError> {
    if cert.is_ca() {
        return Err(ChainError::LeafUsage(
            "the signing certificate is a CA".into(),
        ));
    }
    match cert.key_usage() {
        Ok(Some(ku)) if ku.value.digital_signature() => {}
        Ok(_) => {
            return Err(ChainError::LeafUsage(
                "the key usage lacks digitalSignature".into(),
            ))
        }
        Err(e) => return Err(ChainError::Malformed(format!("key usage: {e}"))),
    }
    let stated: Vec<Vec<usize>> = match cert.extended_key_usage() {
        Ok(Some(eku)) => stated_ekus(eku.value),
        Ok(None) => Vec::new(),
        Err(e) => return Err(ChainError::Malformed(format!("extended key usage: {e}"))),
    };
    if ekus.iter().any(|want| stated.contains(want)) {
        Ok(())
    } else {
        Err(ChainError::LeafUsage(
            "the extended key usage names no C2PA signing purpose".into(),
        ))
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

fn profile_err(who: &str, what: &str) -> ChainError {
    ChainError::Profile(format!("{who}: {what}"))
}

/// RFC 5280's rules for conforming certificates that webpki does not apply
/// (or does not apply to the anchor): serial numbers; key identifiers
/// (present where required, never critical, an anchor's AKI naming its own
/// SKI); CA certificates with a subject and a critical basic constraints;
/// critical name and policy constraints with content; no name constraints
/// and no keyCertSign in an end entity, whose EKU, when stated, must name the
/// purpose itself (anyExtendedKeyUsage is not enough) and whose key must be
/// one the signature algorithms accept; an anchor's own critical extensions
/// understood and its EKU, when stated, allowing the purpose.
fn profile_rules(
    cert: &X509Certificate<'_>,
    who: &str,
    role: Role,
    ekus: &[Vec<usize>],
) -> Result<(), ChainError> {
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    let serial = cert.raw_serial();
    // An anchor is configured, not validated: real roots have serial 0.
    if role != Role::Anchor {
        if serial.is_empty() || serial.len() > 20 {
            return Err(profile_err(who, "the serial number is not 1 to 20 octets"));
        }
        if serial[0] & 0x80 != 0 {
            return Err(profile_err(who, "the serial number is negative"));
        }
        if serial.iter().all(|b| *b == 0) {
            return Err(profile_err(who, "the serial number is zero"));
        }
    }
    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    let is_ca = cert.is_ca();
    let mut aki = None;
    let mut ski = None;
    let mut basic_critical = None;
    for ext in cert.extensions() {
        let parsed = ext.parsed_extension();
        if parsed.error().is_some() {
            return Err(profile_err(
                who,
                &format!("extension {} is malformed", ext.oid),
            ));
        }
        match parsed {
            ParsedExtension::UnsupportedExtension { .. }
                if ext.critical && role == Role::Anchor =>
            {
                return Err(profile_err(
                    who,
                    &format!("unknown critical extension {}", ext.oid),
                ));
            }
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                if ext.critical {
                    return Err(profile_err(who, "the authority key identifier is critical"));
                }
                aki = Some(a);
            }
            ParsedExtension::SubjectKeyIdentifier(k) => {
                if ext.critical {
                    return Err(profile_err(who, "the subject key identifier is critical"));
                }
                ski = Some(k.0);
            }
            ParsedExtension::BasicConstraints(_) => basic_critical = Some(ext.critical),
            ParsedExtension::NameConstraints(nc) => {
                if role == Role::Leaf {
                    return Err(profile_err(who, "an end entity carries name constraints"));
                }
                if !ext.critical {
                    return Err(profile_err(who, "name constraints are not critical"));
                }
                let subtrees = nc
                    .permitted_subtrees
                    .iter()
                    .chain(nc.excluded_subtrees.iter())
                    .flatten();
                let mut any = false;
                for tree in subtrees {
                    any = true;
                    if let GeneralName::DNSName(name) = tree.base {
                        if name.starts_with('.') {
                            return Err(profile_err(
                                who,
                                "a DNS name constraint starts with a period",
                            ));
                        }
                    }
                }
                if !any {
                    return Err(profile_err(who, "name constraints without any subtree"));
                }
            }
            ParsedExtension::PolicyConstraints(_) if !ext.critical => {
                return Err(profile_err(who, "policy constraints are not critical"));
            }
            _ => {}
        }
    }
    if !self_issued {
        let has_key_id = aki.is_some_and(|a| a.key_identifier.is_some());
        if !has_key_id {
            return Err(profile_err(who, "no authority key identifier"));
        }
    } else if let Some(a) = aki {
        // A self-signed anchor's AKI, when present, names its own key only.
        let own = match (&a.key_identifier, ski) {
            (Some(k), Some(s)) => k.0 == s,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !own || a.authority_cert_issuer.is_some() || a.authority_cert_serial.is_some() {
            return Err(profile_err(
                who,
                "the authority key identifier of a self-signed certificate does not name its own key",
            ));
        }
    }
    if role != Role::Leaf || is_ca {
        if ski.is_none() && role != Role::Leaf {
            return Err(profile_err(who, "a CA without a subject key identifier"));
        }
        if cert.subject().iter().next().is_none() {
            return Err(profile_err(who, "a CA with an empty subject"));
        }
        if basic_critical == Some(false) {
            return Err(profile_err(who, "basic constraints are not critical"));
        }
    }
    let eku = cert
        .extended_key_usage()
        .map_err(|e| ChainError::Malformed(format!("{who}: extended key usage: {e}")))?;
    if let (Some(eku), false) = (eku, ekus.is_empty()) {
        let stated = stated_ekus(eku.value);
        let names_purpose = ekus.iter().any(|want| stated.contains(want));
        match role {
            // C2PA (like the CA/Browser Forum) forbids anyExtendedKeyUsage in a signer.
            Role::Leaf if eku.value.any => {
                return Err(profile_err(who, "anyExtendedKeyUsage in an end entity"))
            }
            Role::Leaf if !names_purpose => {
                return Err(profile_err(
                    who,
                    "the extended key usage does not name the purpose",
                ))
            }
            Role::Anchor if !names_purpose && !eku.value.any => {
                return Err(profile_err(
                    who,
                    "the anchor's extended key usage does not allow the purpose",
                ))
            }
            _ => {}
        }
    }
    if role == Role::Leaf {
        if !is_ca {
            if let Ok(Some(ku)) = cert.key_usage() {
                if ku.value.key_cert_sign() {
                    return Err(profile_err(who, "an end entity with keyCertSign"));
                }
            }
        }
        check_key(who, cert.public_key().raw)?;
    }
    Ok(())
}

/// The EKU purposes a certificate states, as OID arcs.
fn stated_ekus(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = eku
        .other
        .iter()
        .filter_map(|oid| {
            oid.iter()
                .map(|i| i.map(|v| v as usize).collect::<Vec<_>>())
        })
        .collect();
    for (flag, oid) in [
        (eku.server_auth, &[1usize, 3, 6, 1, 5, 5, 7, 3, 1][..]),
        (eku.client_auth, &[1, 3, 6, 1, 5, 5, 7, 3, 2][..]),
        (eku.code_signing, &[1, 3, 6, 1, 5, 5, 7, 3, 3][..]),
        (eku.email_protection, EKU_EMAIL_PROTECTION),
        (eku.time_stamping, EKU_TIME_STAMPING),
        (eku.ocsp_signing, &[1, 3, 6, 1, 5, 5, 7, 3, 9][..]),
    ] {
        if flag {
            out.push(oid.to_vec());
        }
    }
    out
}

/// The end entity's key must be one of [`ALGORITHMS`]'s kinds (its
/// signature over the manifest is checked by c2pa; a path is not valid for
/// a key nobody here could verify with).
fn check_key(who: &str, spki: &[u8]) -> Result<(), ChainError> {
    let (alg, key) = split_spki(spki).ok_or_else(|| profile_err(who, "malformed public key"))?;
    let known = ALGORITHMS
        .iter()
        .find(|a| a.public_key_alg_id().as_ref() == alg);
    let Some(known) = known else {
        return Err(profile_err(
            who,
            "a public key of an algorithm C2PA does not allow",
        ));
    };
    let probe_ok = match known.public_key_alg_id() {
        a if [
            alg_id::RSA_ENCRYPTION,
            alg_id::RSA_PSS_SHA256,
            alg_id::RSA_PSS_SHA384,
            alg_id::RSA_PSS_SHA512,
        ]
        .contains(&a) =>
        {
            use rsa::pkcs1::DecodeRsaPublicKey;
            use rsa::traits::PublicKeyParts;
            rsa::RsaPublicKey::from_pkcs1_der(key).is_ok_and(|k| rsa_size_ok(k.n().bits()))
        }
        a if a == alg_id::ECDSA_P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(key).is_ok(),
        a if a == alg_id::ECDSA_P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(key).is_ok(),
        a if a == alg_id::ECDSA_P521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(key).is_ok(),
        _ => <[u8; 32]>::try_from(key)
            .is_ok_and(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).is_ok()),
    };
    if probe_ok {
        Ok(())
    } else {
        Err(profile_err(
            who,
            "a public key that is malformed or too weak",
        ))
    }
}

/// A SubjectPublicKeyInfo's algorithm identifier (contents) and key bits.
fn split_spki(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let outer = crate::der::tlv(spki)?;
    if outer.tag != 0x30 {
        return None;
    }
    let alg = crate::der::tlv(outer.body)?;
    if alg.tag != 0x30 {
        return None;
    }
    let bits = crate::der::tlv(alg.rest)?;
    // A BIT STRING of whole octets.
    if bits.tag != 0x03 || bits.body.first() != Some(&0) {
        return None;
    }
    Some((alg.body, &bits.body[1..]))
}

/// An issuer must be a CA and, when it states a key usage, include keyCertSign.
fn issuer_rules(cert: &X509Certificate<'_>, who: &str) -> Result<(), ChainError> {
    let v1 = cert.version() == x509_parser::x509::X509Version::V1;
    if !v1 && !cert.is_ca() {
        return Err(ChainError::IssuerNotCa(format!("{who} is not a CA")));
    }
    match cert.key_usage() {
        Ok(Some(ku)) if !ku.value.key_cert_sign() => Err(ChainError::IssuerNotCa(format!(
            "{who}: key usage lacks keyCertSign"
        ))),
        Ok(_) => Ok(()),
        Err(e) => Err(ChainError::Malformed(format!("{who}: key usage: {e}"))),
    }
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

// ---- Signature algorithms from the RustCrypto crates ------------------------

/// Every algorithm C2PA allows for certificates: Ed25519, ECDSA on P-256,
/// P-384 and P-521, RSA PKCS#1 v1.5 and RSA-PSS with SHA-256/384/512.
pub static ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    &Ed25519,
    &Ecdsa(Curve::P256, Hash::Sha256),
    &Ecdsa(Curve::P256, Hash::Sha384),
    &Ecdsa(Curve::P384, Hash::Sha256),
    &Ecdsa(Curve::P384, Hash::Sha384),
    &Ecdsa(Curve::P521, Hash::Sha512),
    &Rsa(Padding::Pkcs1, Hash::Sha256),
    &Rsa(Padding::Pkcs1, Hash::Sha384),
    &Rsa(Padding::Pkcs1, Hash::Sha512),
    &Rsa(Padding::Pss, Hash::Sha256),
    &Rsa(Padding::Pss, Hash::Sha384),
    &Rsa(Padding::Pss, Hash::Sha512),
    // RSA-PSS keys (SPKI algorithm id-RSASSA-PSS with the same parameters
    // as the signature), as the C2PA test chains use.
    &Rsa(Padding::PssKey, Hash::Sha256),
    &Rsa(Padding::PssKey, Hash::Sha384),
    &Rsa(Padding::PssKey, Hash::Sha512),
];

#[derive(Debug, Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, message: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            Self::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }
}

#[derive(Debug)]
struct Ed25519;

impl SignatureVerificationAlgorithm for Ed25519 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let key: [u8; 32] = public_key.try_into().map_err(|_| InvalidSignature)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| InvalidSignature)?;
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| InvalidSignature)?;
        key.verify_strict(message, &signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ED25519
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ED25519
    }
}

#[derive(Debug, Clone, Copy)]
enum Curve {
    P256,
    P384,
    P521,
}

#[derive(Debug)]
struct Ecdsa(Curve, Hash);

impl SignatureVerificationAlgorithm for Ecdsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use ecdsa::signature::hazmat::PrehashVerifier;
        let prehash = self.1.digest(message);
        let ok = match self.0 {
            Curve::P256 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key);
                let sig = p256::ecdsa::Signature::from_der(signature);
                matches!((key, sig), (Ok(k), Ok(s)) if k.verify_prehash(&prehash, &s).is_ok())
            }
            Curve::P384 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key);
                let sig = p384::ecdsa::Signature::from_der(signature);
                matches!((key, sig), (Ok(k), Ok(s)) if k.verify_prehash(&prehash, &s).is_ok())
            }
            Curve::P521 => {
                let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(public_key);
                let sig = p521::ecdsa::Signature::from_der(signature);
                matches!((key, sig), (Ok(k), Ok(s)) if k.verify_prehash(&prehash, &s).is_ok())
            }
        };
        if ok {
            Ok(())
        } else {
            Err(InvalidSignature)
        }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        match self.0 {
            Curve::P256 => alg_id::ECDSA_P256,
            Curve::P384 => alg_id::ECDSA_P384,
            Curve::P521 => alg_id::ECDSA_P521,
        }
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match self.1 {
            Hash::Sha256 => alg_id::ECDSA_SHA256,
            Hash::Sha384 => alg_id::ECDSA_SHA384,
            Hash::Sha512 => alg_id::ECDSA_SHA512,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Padding {
    Pkcs1,
    Pss,
    /// PSS with a key restricted to PSS.
    PssKey,
}

#[derive(Debug)]
struct Rsa(Padding, Hash);

/// Keys below this are refused (as webpki's own RSA algorithms do).
const MIN_RSA_BITS: usize = 2048;
/// And above this (bounding the work a hostile certificate can ask for).
const MAX_RSA_BITS: usize = 8192;

/// 2048 to 8192 bits, a whole number of octets.
fn rsa_size_ok(bits: usize) -> bool {
    (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) && bits.is_multiple_of(8)
}

impl SignatureVerificationAlgorithm for Rsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPublicKey::from_pkcs1_der(public_key).map_err(|_| InvalidSignature)?;
        if !rsa_size_ok(key.n().bits()) {
            return Err(InvalidSignature);
        }
        let digest = self.1.digest(message);
        let result = match (self.0, self.1) {
            (Padding::Pkcs1, Hash::Sha256) => {
                key.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, signature)
            }
            (Padding::Pkcs1, Hash::Sha384) => {
                key.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha384>(), &digest, signature)
            }
            (Padding::Pkcs1, Hash::Sha512) => {
                key.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha512>(), &digest, signature)
            }
            // webpki's PSS identifiers fix the salt length to the hash length.
            (Padding::Pss | Padding::PssKey, Hash::Sha256) => key.verify(
                rsa::Pss::new_with_salt::<sha2::Sha256>(32),
                &digest,
                signature,
            ),
            (Padding::Pss | Padding::PssKey, Hash::Sha384) => key.verify(
                rsa::Pss::new_with_salt::<sha2::Sha384>(48),
                &digest,
                signature,
            ),
            (Padding::Pss | Padding::PssKey, Hash::Sha512) => key.verify(
                rsa::Pss::new_with_salt::<sha2::Sha512>(64),
                &digest,
                signature,
            ),
        };
        result.map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        match self.0 {
            Padding::PssKey => self.signature_alg_id(),
            _ => alg_id::RSA_ENCRYPTION,
        }
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match (self.0, self.1) {
            (Padding::Pkcs1, Hash::Sha256) => alg_id::RSA_PKCS1_SHA256,
            (Padding::Pkcs1, Hash::Sha384) => alg_id::RSA_PKCS1_SHA384,
            (Padding::Pkcs1, Hash::Sha512) => alg_id::RSA_PKCS1_SHA512,
            (Padding::Pss | Padding::PssKey, Hash::Sha256) => alg_id::RSA_PSS_SHA256,
            (Padding::Pss | Padding::PssKey, Hash::Sha384) => alg_id::RSA_PSS_SHA384,
            (Padding::Pss | Padding::PssKey, Hash::Sha512) => alg_id::RSA_PSS_SHA512,
        }
    }
}
