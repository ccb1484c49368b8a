//! Signing identities: an Ed25519 CA that issues Ed25519 signing
//! certificates with the profile C2PA validators require, and the files they
//! live in.
//!
//! Verifiers put `root.pem` in their trust list. `hallmark keygen` keeps the
//! CA's key, encrypted like the signing key, in `ca.key` (0600), so that
//! [`Identity::renew`] can issue a new signing key and certificate under the
//! same root: verifiers keep trusting it. An identity directory:
//!
//! ```text
//! ca.key            the CA's key (move it offline between renewals)
//! root.pem          the CA certificate, never changed by a renewal
//! gen-0001/         one generation: signing.key (0600) and chain.pem
//! gen-0002/
//! current -> gen-0002            switched by one atomic rename
//! signing.key -> current/signing.key
//! chain.pem -> current/chain.pem
//! ```
//!
//! A renewal writes a whole new generation, then renames a new `current`
//! link over the old one: a crash at any moment leaves either the old or the
//! new generation current, never a key from one and a chain from the other.

use crate::code::Code;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer as _, SigningKey};
use rand_core::{OsRng, RngCore};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyIdMethod, KeyUsagePurpose, SanType, SerialNumber,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::cert::{parse_pem_certificates, to_pem};
use crate::keyfile::{self, Passphrase};
use crate::signer::Ed25519Signer;

/// File names inside an identity directory.
pub const KEY_FILE: &str = "signing.key";
pub const CHAIN_FILE: &str = "chain.pem";
pub const ROOT_FILE: &str = "root.pem";
/// The CA's key, kept for renewals (encrypted like the signing key).
pub const CA_KEY_FILE: &str = "ca.key";
/// The link naming the current generation.
pub const CURRENT_LINK: &str = "current";

/// The document-signing EKU (RFC 9336), one of those C2PA allows.
const EKU_DOCUMENT_SIGNING: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 36];

/// Why an identity could not be made, saved or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// Reading a key, a chain or the identity's folder failed.
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing the identity failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} already exists")]
    AlreadyExists(PathBuf),
    #[error("the key file is not a usable key: {0}")]
    KeyFileMalformed(String),
    #[error("the key file is encrypted and no passphrase was given")]
    PassphraseRequired,
    #[error("wrong passphrase for the key file")]
    WrongPassphrase,
    #[error("the certificate chain is not usable: {0}")]
    ChainMalformed(String),
    #[error("the key file does not belong to the signing certificate in the chain")]
    KeyMismatch,
    #[error("invalid identity request: {0}")]
    InvalidRequest(String),
    #[error(
        "{0} has no CA key (ca.key): identities made before Hallmark kept CA keys can't be renewed"
    )]
    NoCaKey(PathBuf),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<keyfile::KeyFileError> for IdentityError {
    fn from(e: keyfile::KeyFileError) -> Self {
        use keyfile::KeyFileError as K;
        match e {
            K::Malformed(m) => Self::KeyFileMalformed(m),
            K::PassphraseRequired => Self::PassphraseRequired,
            K::WrongPassphrase => Self::WrongPassphrase,
            K::Internal(m) => Self::Internal(m),
        }
    }
}

impl IdentityError {
    /// A stable machine-readable code.
    pub fn code(&self) -> Code {
        match self {
            Self::Read { .. } => Code::IoRead,
            Self::Io { .. } => Code::IoWrite,
            Self::AlreadyExists(_) => Code::IdentityExists,
            Self::KeyFileMalformed(_) => Code::KeyMalformed,
            Self::PassphraseRequired => Code::KeyPassphraseRequired,
            Self::WrongPassphrase => Code::KeyWrongPassphrase,
            Self::ChainMalformed(_) => Code::IdentityChainMalformed,
            Self::KeyMismatch => Code::IdentityKeyMismatch,
            Self::InvalidRequest(_) => Code::IdentityInvalidRequest,
            Self::NoCaKey(_) => Code::IdentityNoCaKey,
            Self::Internal(_) => Code::Internal,
        }
    }
}

fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> IdentityError + '_ {
    move |source| IdentityError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IdentityError + '_ {
    move |source| IdentityError::Io {
        path: path.to_path_buf(),
        source,
    }
}

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

/// An Ed25519 key and the certificates that name it: `chain[0]` is the
/// signing certificate, then its issuer.
#[derive(Debug)]
pub struct Identity {
    key: SigningKey,
    chain: Vec<Vec<u8>>,
    root: Option<Vec<u8>>,
    /// The CA's key, for a new identity (saved by [`Identity::save_renewable`]).
    ca_key: Option<SigningKey>,
}

/// An ed25519-dalek key as rcgen sees it.
struct CertKey<'a> {
    key: &'a SigningKey,
    public: [u8; 32],
}

impl<'a> CertKey<'a> {
    fn new(key: &'a SigningKey) -> Self {
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
fn key_id(key: &SigningKey) -> Vec<u8> {
    Sha256::digest(key.verifying_key().as_bytes())[..20].to_vec()
}

fn serial(bytes: [u8; 32]) -> SerialNumber {
    let mut serial = bytes[..16].to_vec();
    serial[0] &= 0x7F; // positive
    serial[0] |= 0x01; // and without a leading zero octet
    SerialNumber::from_slice(&serial)
}

fn distinguished_name(common_name: &str, organization: Option<&str>) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    if let Some(org) = organization {
        dn.push(DnType::OrganizationName, org);
    }
    dn
}

fn cert_err(e: rcgen::Error) -> IdentityError {
    IdentityError::Internal(format!("certificate generation: {e}"))
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

    /// Load an identity from a key file and a chain (PEM texts).
    pub fn from_pem(
        key_pem: &str,
        chain_pem: &str,
        passphrase: Option<&Passphrase>,
    ) -> Result<Self, IdentityError> {
        let key = keyfile::decode(key_pem, passphrase)?;
        let chain =
            parse_pem_certificates(chain_pem.as_bytes()).map_err(IdentityError::ChainMalformed)?;
        let leaf = chain
            .first()
            .ok_or_else(|| IdentityError::ChainMalformed("no certificate in the chain".into()))?;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf)
            .map_err(|e| IdentityError::ChainMalformed(format!("signing certificate: {e}")))?;
        if cert.public_key().subject_public_key.data.as_ref() != key.verifying_key().as_bytes() {
            return Err(IdentityError::KeyMismatch);
        }
        Ok(Self {
            key,
            chain,
            root: None,
            ca_key: None,
        })
    }

    /// Whether the key file in `dir` needs a passphrase.
    pub fn needs_passphrase(dir: &Path) -> Result<bool, IdentityError> {
        let path = dir.join(KEY_FILE);
        let pem = Zeroizing::new(read_small(&path)?);
        Ok(keyfile::is_encrypted(&pem))
    }

    /// Whether `DIR/ca.key` (what [`Identity::renew`] unlocks) needs a
    /// passphrase; an absent CA key is [`IdentityError::NoCaKey`].
    pub fn ca_key_needs_passphrase(dir: &Path) -> Result<bool, IdentityError> {
        let path = dir.join(CA_KEY_FILE);
        if fs::symlink_metadata(&path).is_err() {
            return Err(IdentityError::NoCaKey(dir.to_path_buf()));
        }
        let pem = Zeroizing::new(read_small(&path)?);
        Ok(keyfile::is_encrypted(&pem))
    }

    /// Load `DIR/signing.key` and `DIR/chain.pem`.
    pub fn load(dir: &Path, passphrase: Option<&Passphrase>) -> Result<Self, IdentityError> {
        let key_path = dir.join(KEY_FILE);
        let key_pem = Zeroizing::new(read_small(&key_path)?);
        let chain_path = dir.join(CHAIN_FILE);
        let chain_pem = read_small(&chain_path)?;
        let mut identity = Self::from_pem(&key_pem, &chain_pem, passphrase)?;
        let root_path = dir.join(ROOT_FILE);
        if let Ok(root) = read_small(&root_path) {
            identity.root = parse_pem_certificates(root.as_bytes())
                .ok()
                .and_then(|mut certs| certs.pop());
        }
        Ok(identity)
    }

    /// Write `signing.key` (mode 0600, encrypted when a passphrase is given),
    /// `chain.pem` and `root.pem` into `dir`. Refuses to replace an existing
    /// key unless `overwrite`.
    pub fn save(
        &self,
        dir: &Path,
        passphrase: Option<&Passphrase>,
        overwrite: bool,
    ) -> Result<(), IdentityError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let key_path = dir.join(KEY_FILE);
        if !overwrite && fs::symlink_metadata(&key_path).is_ok() {
            return Err(IdentityError::AlreadyExists(key_path));
        }
        let key_pem = keyfile::encode(&self.key, passphrase)?;
        write_file(&key_path, key_pem.as_bytes(), true)?;
        write_file(&dir.join(CHAIN_FILE), self.chain_pem().as_bytes(), false)?;
        if let Some(root) = self.root_pem() {
            write_file(&dir.join(ROOT_FILE), root.as_bytes(), false)?;
        }
        Ok(())
    }

    /// Save a new identity so that it can be renewed: `ca.key` (0600,
    /// encrypted when a passphrase is given), `root.pem`, the first
    /// generation and the links (module docs). Refuses to replace an
    /// existing identity unless `overwrite`.
    pub fn save_renewable(
        &self,
        dir: &Path,
        passphrase: Option<&Passphrase>,
        overwrite: bool,
    ) -> Result<(), IdentityError> {
        let ca_key = self.ca_key.as_ref().ok_or_else(|| {
            IdentityError::InvalidRequest(
                "only a newly generated identity has a CA key to keep".into(),
            )
        })?;
        let root = self
            .root_pem()
            .ok_or_else(|| IdentityError::InvalidRequest("the identity has no root".into()))?;
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        for name in [KEY_FILE, CA_KEY_FILE] {
            let path = dir.join(name);
            if !overwrite && fs::symlink_metadata(&path).is_ok() {
                return Err(IdentityError::AlreadyExists(path));
            }
        }
        write_file(
            &dir.join(CA_KEY_FILE),
            keyfile::encode(ca_key, passphrase)?.as_bytes(),
            true,
        )?;
        write_file(&dir.join(ROOT_FILE), root.as_bytes(), false)?;
        self.save_generation(dir, passphrase)
    }

    /// Write this key and chain as the next generation of `dir` and make it
    /// current (one atomic rename), with `signing.key` and `chain.pem` links.
    fn save_generation(
        &self,
        dir: &Path,
        passphrase: Option<&Passphrase>,
    ) -> Result<(), IdentityError> {
        let next = next_generation(dir)?;
        let gen_dir = dir.join(&next);
        // A killed earlier run may have left this folder half-written: it was never current.
        let _ = fs::remove_dir_all(&gen_dir);
        fs::create_dir(&gen_dir).map_err(io_err(&gen_dir))?;
        write_file(
            &gen_dir.join(KEY_FILE),
            keyfile::encode(&self.key, passphrase)?.as_bytes(),
            true,
        )?;
        write_file(
            &gen_dir.join(CHAIN_FILE),
            self.chain_pem().as_bytes(),
            false,
        )?;
        sync_dir(&gen_dir)?;
        // The switch: a new link, renamed over `current`.
        let tmp = dir.join(format!(".{CURRENT_LINK}-{next}"));
        let _ = fs::remove_file(&tmp);
        symlink(Path::new(&next), &tmp)?;
        fs::rename(&tmp, dir.join(CURRENT_LINK)).map_err(io_err(dir))?;
        // The stable names, through `current` (made once; a plain file from an
        // older layout is replaced the same way, by rename).
        for name in [KEY_FILE, CHAIN_FILE] {
            let target = Path::new(CURRENT_LINK).join(name);
            let path = dir.join(name);
            if fs::read_link(&path).ok().as_deref() != Some(target.as_path()) {
                let tmp = dir.join(format!(".{name}-link"));
                let _ = fs::remove_file(&tmp);
                symlink(&target, &tmp)?;
                fs::rename(&tmp, &path).map_err(io_err(dir))?;
            }
        }
        sync_dir(dir)
    }

    /// Issue a new signing key and certificate under the CA of the identity
    /// in `dir` (its `ca.key` and `root.pem`), for the same name, valid for
    /// `validity`; save it as the next generation and make it current.
    /// `root.pem` is unchanged. The passphrase unlocks `ca.key` and
    /// encrypts the new signing key.
    pub fn renew(
        dir: &Path,
        passphrase: Option<&Passphrase>,
        validity: Validity,
    ) -> Result<Self, IdentityError> {
        let ca_path = dir.join(CA_KEY_FILE);
        if fs::symlink_metadata(&ca_path).is_err() {
            return Err(IdentityError::NoCaKey(dir.to_path_buf()));
        }
        let ca_key = keyfile::decode(&Zeroizing::new(read_small(&ca_path)?), passphrase)?;
        let root_der = parse_pem_certificates(read_small(&dir.join(ROOT_FILE))?.as_bytes())
            .map_err(IdentityError::ChainMalformed)?
            .pop()
            .ok_or_else(|| IdentityError::ChainMalformed("root.pem holds no certificate".into()))?;
        let (_, root) = x509_parser::parse_x509_certificate(&root_der)
            .map_err(|e| IdentityError::ChainMalformed(format!("root.pem: {e}")))?;
        if root.public_key().subject_public_key.data.as_ref() != ca_key.verifying_key().as_bytes() {
            return Err(IdentityError::KeyMismatch);
        }
        if validity.not_after.unix_timestamp() > root.validity().not_after.timestamp() {
            return Err(IdentityError::InvalidRequest(format!(
                "the CA certificate expires {}, before the new signing certificate would: ask for fewer days",
                root.validity().not_after
            )));
        }
        // The same name as now: from the current signing certificate.
        let current = parse_pem_certificates(read_small(&dir.join(CHAIN_FILE))?.as_bytes())
            .map_err(IdentityError::ChainMalformed)?;
        let leaf_der = current.first().ok_or_else(|| {
            IdentityError::ChainMalformed("chain.pem holds no certificate".into())
        })?;
        let (_, leaf) = x509_parser::parse_x509_certificate(leaf_der)
            .map_err(|e| IdentityError::ChainMalformed(format!("chain.pem: {e}")))?;
        let first = |it: &mut dyn Iterator<Item = &x509_parser::x509::AttributeTypeAndValue>| {
            it.next().and_then(|a| a.as_str().ok()).map(str::to_string)
        };
        let name = first(&mut leaf.subject().iter_common_name()).ok_or_else(|| {
            IdentityError::ChainMalformed("the signing certificate has no CN".into())
        })?;
        let org = first(&mut leaf.subject().iter_organization()).unwrap_or_else(|| name.clone());
        let email = leaf
            .subject_alternative_name()
            .ok()
            .flatten()
            .and_then(|san| {
                san.value.general_names.iter().find_map(|g| match g {
                    x509_parser::extensions::GeneralName::RFC822Name(e) => Some(e.to_string()),
                    _ => None,
                })
            });
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(seed.as_mut());
        let key = SigningKey::from_bytes(&seed);
        let mut serial_bytes = [0u8; 32];
        OsRng.fill_bytes(&mut serial_bytes);
        // The issuer as keygen made it: the same name, encoded the same way,
        // and the CA key's identifier (checked against root.pem below).
        let ca_name = first(&mut root.subject().iter_common_name())
            .ok_or_else(|| IdentityError::ChainMalformed("root.pem has no CN".into()))?;
        let ca_org = first(&mut root.subject().iter_organization());
        let mut ca = CertificateParams::default();
        ca.distinguished_name = distinguished_name(&ca_name, ca_org.as_deref());
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&ca_key));
        let issuer = rcgen::Issuer::new(ca, CertKey::new(&ca_key));
        let leaf_der = issue_leaf(
            &key,
            &name,
            &org,
            email.as_deref(),
            validity,
            serial(serial_bytes),
            &issuer,
        )?;
        let issued_by_root = x509_parser::parse_x509_certificate(&leaf_der)
            .is_ok_and(|(_, c)| c.issuer().as_raw() == root.subject().as_raw());
        if !issued_by_root {
            return Err(IdentityError::ChainMalformed(
                "root.pem's subject is not one this version of Hallmark made; can't renew under it"
                    .into(),
            ));
        }
        let identity = Self {
            key,
            chain: vec![leaf_der, root_der.clone()],
            root: Some(root_der),
            ca_key: None,
        };
        identity.save_generation(dir, passphrase)?;
        Ok(identity)
    }

    /// The chain, signing certificate first, as PEM.
    pub fn chain_pem(&self) -> String {
        self.chain.iter().map(|der| to_pem(der)).collect()
    }

    /// The CA certificate verifiers trust, as PEM (absent for loaded identities without root.pem).
    pub fn root_pem(&self) -> Option<String> {
        self.root.as_deref().map(to_pem)
    }

    /// DER certificates, signing certificate first.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The signer that c2pa calls.
    pub fn signer(&self) -> Ed25519Signer {
        Ed25519Signer::new(self.key.clone(), self.chain.clone())
    }

    /// When the signing certificate expires, RFC 3339 (UTC).
    pub fn expires(&self) -> Option<String> {
        let (_, cert) = x509_parser::parse_x509_certificate(self.chain.first()?).ok()?;
        OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
            .ok()?
            .format(&time::format_description::well_known::Rfc3339)
            .ok()
    }

    /// The signing certificate's subject, as "CN (O)".
    pub fn subject(&self) -> String {
        crate::cert::subject_of(self.chain.first().map(Vec::as_slice).unwrap_or_default())
    }
}

/// The signing certificate: the profile C2PA validators require.
fn issue_leaf<S: rcgen::SigningKey>(
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

/// The name of the generation after the newest in `dir` (`gen-0001` first).
fn next_generation(dir: &Path) -> Result<String, IdentityError> {
    let newest = fs::read_dir(dir)
        .map_err(read_err(dir))?
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("gen-"))
                .and_then(|n| n.parse::<u32>().ok())
        })
        .max()
        .unwrap_or(0);
    Ok(format!("gen-{:04}", newest + 1))
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> Result<(), IdentityError> {
    std::os::unix::fs::symlink(target, link).map_err(io_err(link))
}

#[cfg(not(unix))]
fn symlink(_target: &Path, link: &Path) -> Result<(), IdentityError> {
    Err(IdentityError::Io {
        path: link.to_path_buf(),
        source: std::io::Error::other("renewable identities need symbolic links (Unix)"),
    })
}

/// Make a directory's entries (a rename, a new file) durable.
fn sync_dir(dir: &Path) -> Result<(), IdentityError> {
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn read_small(path: &Path) -> Result<String, IdentityError> {
    let meta = fs::metadata(path).map_err(read_err(path))?;
    if meta.len() > 1024 * 1024 {
        return Err(IdentityError::KeyFileMalformed(format!(
            "{} is too large to be a key or certificate file",
            path.display()
        )));
    }
    let bytes = fs::read(path).map_err(read_err(path))?;
    String::from_utf8(bytes)
        .map_err(|_| IdentityError::KeyFileMalformed(format!("{} is not PEM text", path.display())))
}

/// Write through a temporary file in the same directory, created 0600 when
/// `secret`, then rename: a crash never leaves a half-written key.
fn write_file(path: &Path, bytes: &[u8], secret: bool) -> Result<(), IdentityError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".hallmark-")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if secret { 0o600 } else { 0o644 };
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).map_err(io_err(path))?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    tmp.write_all(bytes).map_err(io_err(path))?;
    tmp.as_file().sync_all().map_err(io_err(path))?;
    tmp.persist(path).map_err(|e| IdentityError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}
