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
}

impl ChainError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "chain.malformed",
            Self::NoPath(_) => "chain.no_path",
            Self::IssuerNotCa(_) => "chain.issuer_not_ca",
            Self::LeafUsage(_) => "chain.leaf_usage",
            Self::AnchorExpired(_) => "chain.anchor_expired",
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

    if policy.c2pa_leaf {
        check_leaf(leaf_der.as_ref(), &policy.ekus)?;
    }
    // The first rule the callback broke, reported in place of webpki's
    // generic "no path" when no other path passes either.
    let refused = std::cell::RefCell::new(None::<ChainError>);
    let found = std::cell::Cell::new(None::<usize>);
    let callback = |path: &webpki::VerifiedPath<'_>| -> Result<(), webpki::Error> {
        let result = check_path(path, &parsed, &index, anchors, time);
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
    let eku = PurposeValidator {
        ekus: &policy.ekus,
    };
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
            let mut subjects = vec![crate::inspect::subject_of(leaf_der.as_ref())];
            subjects.extend(
                path.intermediate_certificates()
                    .map(|c| crate::inspect::subject_of(c.der().as_ref())),
            );
            subjects.push(crate::inspect::subject_of(anchors[anchor].as_ref()));
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
fn check_leaf(der: &[u8], ekus: &[Vec<usize>]) -> Result<(), ChainError> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| ChainError::Malformed(format!("the end entity: {e}")))?;
    if cert.is_ca() {
        return Err(ChainError::LeafUsage("the signing certificate is a CA".into()));
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
        Ok(Some(eku)) => eku
            .value
            .other
            .iter()
            .filter_map(|oid| oid.iter().map(|i| i.map(|v| v as usize).collect::<Vec<_>>()))
            .chain(eku.value.email_protection.then(|| EKU_EMAIL_PROTECTION.to_vec()))
            .chain(eku.value.time_stamping.then(|| EKU_TIME_STAMPING.to_vec()))
            .collect(),
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

/// Checks on a path webpki built: issuers are CAs allowed to sign
/// certificates, and the anchor is inside its validity dates. Returns the
/// index of the anchor in the caller's list.
fn check_path<A: AsRef<[u8]>>(
    path: &webpki::VerifiedPath<'_>,
    parsed: &[TrustAnchor<'_>],
    index: &[usize],
    anchors: &[A],
    time: u64,
) -> Result<usize, ChainError> {
    for cert in path.intermediate_certificates() {
        check_issuer(cert.der().as_ref())?;
    }
    let anchor = path.anchor();
    let position = parsed
        .iter()
        .position(|a| {
            a.subject == anchor.subject && a.subject_public_key_info == anchor.subject_public_key_info
        })
        .ok_or_else(|| ChainError::NoPath("the anchor is not one of ours".into()))?;
    let i = index[position];
    let der = anchors[i].as_ref();
    check_issuer(der)?;
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| ChainError::Malformed(format!("an anchor: {e}")))?;
    let validity = cert.validity();
    let t = i64::try_from(time).unwrap_or(i64::MAX);
    if t < validity.not_before.timestamp() || t > validity.not_after.timestamp() {
        return Err(ChainError::AnchorExpired(crate::inspect::subject_of(der)));
    }
    Ok(i)
}

/// An issuer must be a CA and, when it states a key usage, include keyCertSign.
fn check_issuer(der: &[u8]) -> Result<(), ChainError> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| ChainError::Malformed(format!("an issuer: {e}")))?;
    let who = crate::inspect::subject_of(der);
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
            return iter.map(|id| id.map(|_| ())).collect();
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
        let bits = key.n().bits();
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
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
