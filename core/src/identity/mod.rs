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

mod issue;
mod store;

pub use issue::{IdentityRequest, Validity};

use crate::code::Code;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use time::OffsetDateTime;

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

impl Identity {
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
