//! Ed25519 secret keys at rest: PKCS#8 PEM, encrypted with a passphrase by
//! default (PBES2: PBKDF2-HMAC-SHA256, 600,000 iterations, AES-256-CBC), a
//! standard scheme that `openssl pkey` reads.

use crate::code::Code;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use pkcs8::der::pem::LineEnding;
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo, SecretDocument};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

/// Why a key file could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    #[error("the key file is not a usable key: {0}")]
    Malformed(String),
    #[error("the key file is encrypted and no passphrase was given")]
    PassphraseRequired,
    #[error("wrong passphrase for the key file")]
    WrongPassphrase,
    #[error("internal error: {0}")]
    Internal(String),
}

impl KeyFileError {
    pub fn code(&self) -> Code {
        match self {
            Self::Malformed(_) => Code::KeyMalformed,
            Self::PassphraseRequired => Code::KeyPassphraseRequired,
            Self::WrongPassphrase => Code::KeyWrongPassphrase,
            Self::Internal(_) => Code::Internal,
        }
    }
}

/// PBKDF2 iterations for new key files (OWASP's 2023 figure for HMAC-SHA256).
const PBKDF2_ITERATIONS: u32 = 600_000;
/// Key files larger than this are not key files.
const MAX_KEY_FILE_BYTES: usize = 64 * 1024;

/// A passphrase, wiped from memory when dropped.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn new(passphrase: impl Into<String>) -> Self {
        Self(Zeroizing::new(passphrase.into()))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

/// Whether a key file is encrypted, from its PEM label.
pub(crate) fn is_encrypted(pem: &str) -> bool {
    pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
}

/// Encode `key` as PKCS#8 PEM, encrypted when a passphrase is given.
pub(crate) fn encode(
    key: &SigningKey,
    passphrase: Option<&Passphrase>,
) -> Result<Zeroizing<String>, KeyFileError> {
    // PKCS#8 v1 (RFC 5208, no embedded public key): OpenSSL 3.0 rejects the
    // v2 form ed25519-dalek writes by default. Decoding accepts both.
    let plain = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_der()
    .map_err(|e| KeyFileError::Internal(format!("PKCS#8 encoding: {e}")))?;
    let Some(passphrase) = passphrase else {
        return plain
            .to_pem("PRIVATE KEY", LineEnding::LF)
            .map_err(|e| KeyFileError::Internal(format!("PEM encoding: {e}")));
    };
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut iv);
    let params =
        pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, &iv)
            .map_err(|e| KeyFileError::Internal(format!("PBES2 parameters: {e}")))?;
    let info = PrivateKeyInfo::try_from(plain.as_bytes())
        .map_err(|e| KeyFileError::Internal(format!("PKCS#8 re-read: {e}")))?;
    let encrypted = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|e| KeyFileError::Internal(format!("key encryption: {e}")))?;
    encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| KeyFileError::Internal(format!("PEM encoding: {e}")))
}

/// Decode a PKCS#8 PEM key file, decrypting it with `passphrase` when it is encrypted.
pub(crate) fn decode(
    pem: &str,
    passphrase: Option<&Passphrase>,
) -> Result<SigningKey, KeyFileError> {
    if pem.len() > MAX_KEY_FILE_BYTES {
        return Err(KeyFileError::Malformed("larger than any key file".into()));
    }
    let (label, document) = SecretDocument::from_pem(pem)
        .map_err(|e| KeyFileError::Malformed(format!("not a PEM key: {e}")))?;
    let plain = match label {
        "PRIVATE KEY" => document,
        "ENCRYPTED PRIVATE KEY" => {
            let passphrase = passphrase.ok_or(KeyFileError::PassphraseRequired)?;
            let info = EncryptedPrivateKeyInfo::try_from(document.as_bytes()).map_err(|e| {
                KeyFileError::Malformed(format!("not an encrypted PKCS#8 key: {e}"))
            })?;
            // A wrong passphrase shows as bad padding, or as garbage that is not PKCS#8.
            let plain = info
                .decrypt(passphrase.as_bytes())
                .map_err(|_| KeyFileError::WrongPassphrase)?;
            if PrivateKeyInfo::try_from(plain.as_bytes()).is_err() {
                return Err(KeyFileError::WrongPassphrase);
            }
            plain
        }
        other => {
            return Err(KeyFileError::Malformed(format!(
                "PEM block is \"{other}\", expected a PKCS#8 private key"
            )))
        }
    };
    SigningKey::from_pkcs8_der(plain.as_bytes())
        .map_err(|e| KeyFileError::Malformed(format!("not an Ed25519 PKCS#8 key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    #[test]
    fn encrypted_round_trip_and_wrong_passphrase() {
        let pass = Passphrase::new("correct horse");
        let pem = encode(&key(), Some(&pass)).unwrap();
        assert!(is_encrypted(&pem));
        assert_eq!(decode(&pem, Some(&pass)).unwrap().to_bytes(), [7u8; 32]);
        assert!(matches!(
            decode(&pem, Some(&Passphrase::new("wrong"))),
            Err(KeyFileError::WrongPassphrase)
        ));
        assert!(matches!(
            decode(&pem, None),
            Err(KeyFileError::PassphraseRequired)
        ));
    }

    #[test]
    fn plain_round_trip_and_garbage() {
        let pem = encode(&key(), None).unwrap();
        assert!(!is_encrypted(&pem));
        assert_eq!(decode(&pem, None).unwrap().to_bytes(), [7u8; 32]);
        assert!(matches!(
            decode("garbage\u{0}\u{1}", None),
            Err(KeyFileError::Malformed(_))
        ));
    }
}
