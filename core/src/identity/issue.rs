//! Making certificates: what an identity asks for (names, validity), the CA
//! and the signing certificate with the profile C2PA validators require, and
//! rcgen's view of an Ed25519 key.

use ed25519_dalek::{Signer as _, SigningKey};
use rand_core::{OsRng, RngCore};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyIdMethod, KeyUsagePurpose, SanType, SerialNumber,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::{Identity, IdentityError, EKU_DOCUMENT_SIGNING};

/// When the signing certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// From a minute ago to 365 days from now: C2PA asks for short-lived leaves.
    pub fn one_year_from_now() -> Self {
        Self::days_from_now(365)
    }

    /// From a minute ago to `days` days from now.
    pub fn days_from_now(days: u32) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            not_before: now - Duration::minutes(1),
            not_after: now + Duration::days(i64::from(days)),
        }
    }
}

/// Who an identity is for.
#[derive(Debug, Clone)]
pub struct IdentityRequest {
    name: String,
    organization: Option<String>,
    email: Option<String>,
    validity: Validity,
    seed: Option<[u8; 32]>,
    unchecked_names: bool,
}

impl IdentityRequest {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            organization: None,
            email: None,
            validity: Validity::one_year_from_now(),
            seed: None,
            unchecked_names: false,
        }
    }

    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Override the signing certificate's validity (test fixtures: expired identities).
    pub fn validity(mut self, validity: Validity) -> Self {
        self.validity = validity;
        self
    }

    /// Derive keys and serial numbers from a seed instead of the OS RNG, so
    /// that test fixtures are reproducible. Never use for real identities.
    pub fn deterministic_for_tests(mut self, seed: [u8; 32]) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Put the name, organization and email into the certificates as they
    /// are, control characters and any length included: for the attack
    /// fixtures (a certificate whose subject carries hostile text). Never
    /// use for real identities.
    pub fn dangerous_unchecked_names_for_tests(mut self) -> Self {
        self.unchecked_names = true;
        self
    }

    fn random(&self, purpose: &str) -> [u8; 32] {
        match &self.seed {
            Some(seed) => blake3::derive_key(&format!("hallmark fixtures 2026 {purpose}"), seed),
            None => {
                let mut out = [0u8; 32];
                OsRng.fill_bytes(&mut out);
                out
            }
        }
    }

    fn check(&self) -> Result<(), IdentityError> {
        let fields = [
            Some(&self.name),
            self.organization.as_ref(),
            self.email.as_ref(),
        ];
        for field in fields.into_iter().flatten() {
            if self.unchecked_names {
                break;
            }
            if field.trim().is_empty() || field.len() > 256 || field.chars().any(char::is_control) {
                return Err(IdentityError::InvalidRequest(
                    "name, organization and email must be 1 to 256 characters without control characters".into(),
                ));
            }
        }
        if self.validity.not_after <= self.validity.not_before {
            return Err(IdentityError::InvalidRequest(
                "validity ends before it starts".into(),
            ));
        }
        Ok(())
    }
}

/// An ed25519-dalek key as rcgen sees it.
pub(super) struct CertKey<'a> {
    key: &'a SigningKey,
    public: [u8; 32],
}

impl<'a> CertKey<'a> {
    pub(super) fn new(key: &'a SigningKey) -> Self {
        Self {
            key,
            public: key.verifying_key().to_bytes(),
        }
    }
}

impl rcgen::PublicKeyData for CertKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ED25519
    }
}

impl rcgen::SigningKey for CertKey<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// RFC 7093 method 1: the leftmost 160 bits of SHA-256 of the public key.
pub(super) fn key_id(key: &SigningKey) -> Vec<u8> {
    Sha256::digest(key.verifying_key().as_bytes())[..20].to_vec()
}

pub(super) fn serial(bytes: [u8; 32]) -> SerialNumber {
    let mut serial = bytes[..16].to_vec();
    serial[0] &= 0x7F; // positive
    serial[0] |= 0x01; // and without a leading zero octet
    SerialNumber::from_slice(&serial)
}

pub(super) fn distinguished_name(
    common_name: &str,
    organization: Option<&str>,
) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    if let Some(org) = organization {
        dn.push(DnType::OrganizationName, org);
    }
    dn
}

pub(super) fn cert_err(e: rcgen::Error) -> IdentityError {
    IdentityError::Internal(format!("certificate generation: {e}"))
}

/// The signing certificate: the profile C2PA validators require.
pub(super) fn issue_leaf<S: rcgen::SigningKey>(
    key: &SigningKey,
    name: &str,
    org: &str,
    email: Option<&str>,
    validity: Validity,
    serial_number: SerialNumber,
    issuer: &rcgen::Issuer<'_, S>,
) -> Result<Vec<u8>, IdentityError> {
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name = distinguished_name(name, Some(org));
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::EmailProtection,
        ExtendedKeyUsagePurpose::Other(EKU_DOCUMENT_SIGNING.to_vec()),
    ];
    if let Some(email) = email {
        let email = email
            .try_into()
            .map_err(|_| IdentityError::InvalidRequest("email must be ASCII".into()))?;
        leaf.subject_alt_names = vec![SanType::Rfc822Name(email)];
    }
    leaf.not_before = validity.not_before;
    leaf.not_after = validity.not_after;
    leaf.serial_number = Some(serial_number);
    leaf.use_authority_key_identifier_extension = true;
    leaf.key_identifier_method = KeyIdMethod::PreSpecified(key_id(key));
    let cert = leaf
        .signed_by(&CertKey::new(key), issuer)
        .map_err(cert_err)?;
    Ok(cert.der().to_vec())
}

impl Identity {
    /// Make a CA and a signing certificate issued by it.
    pub fn generate(request: &IdentityRequest) -> Result<Self, IdentityError> {
        request.check()?;
        let ca_key = SigningKey::from_bytes(&Zeroizing::new(request.random("ca key")));
        let key = SigningKey::from_bytes(&Zeroizing::new(request.random("signing key")));
        // C2PA validators read the signer from the subject's O attribute and
        // reject signatures whose certificate has none: an individual without
        // an organization is their own.
        let org = request.organization.as_deref().unwrap_or(&request.name);

        let mut ca = CertificateParams::default();
        ca.distinguished_name = distinguished_name(&format!("{org} CA"), Some(org));
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.not_before = request.validity.not_before;
        // Ten years, and never less than the signing certificate it vouches for.
        ca.not_after =
            (request.validity.not_before + Duration::days(3650)).max(request.validity.not_after);
        ca.serial_number = Some(serial(request.random("ca serial")));
        ca.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&ca_key));
        let ca_signing = CertKey::new(&ca_key);
        let ca_cert = ca.self_signed(&ca_signing).map_err(cert_err)?;
        let issuer = rcgen::Issuer::new(ca, ca_signing);

        let leaf_der = issue_leaf(
            &key,
            &request.name,
            org,
            request.email.as_deref(),
            request.validity,
            serial(request.random("signing serial")),
            &issuer,
        )?;
        let ca_der = ca_cert.der().to_vec();
        Ok(Self {
            key,
            chain: vec![leaf_der, ca_der.clone()],
            root: Some(ca_der),
            ca_key: request.seed.is_none().then_some(ca_key),
        })
    }

    /// A self-signed end-entity certificate: what C2PA forbids. Only for making
    /// attack fixtures; validators must never trust what it signs.
    #[doc(hidden)]
    pub fn dangerous_self_signed(request: &IdentityRequest) -> Result<Self, IdentityError> {
        request.check()?;
        let key = SigningKey::from_bytes(&Zeroizing::new(request.random("signing key")));
        let mut leaf = CertificateParams::default();
        leaf.distinguished_name = distinguished_name(
            &request.name,
            Some(request.organization.as_deref().unwrap_or(&request.name)),
        );
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
        leaf.not_before = request.validity.not_before;
        leaf.not_after = request.validity.not_after;
        leaf.serial_number = Some(serial(request.random("signing serial")));
        leaf.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&key));
        let cert = leaf.self_signed(&CertKey::new(&key)).map_err(cert_err)?;
        Ok(Self {
            key,
            chain: vec![cert.der().to_vec()],
            root: None,
            ca_key: None,
        })
    }
}
