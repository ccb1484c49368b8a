//! Signature algorithms for webpki from the RustCrypto crates, so the same
//! path validation runs natively and on wasm32: Ed25519, ECDSA on P-256, P-384
//! and P-521, and RSA (PKCS#1 v1.5 and PSS) of 2048 to 8192 bits.

use rustls_pki_types::alg_id;
use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};

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
pub(super) enum Hash {
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
pub(super) struct Ed25519;

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
pub(super) enum Curve {
    P256,
    P384,
    P521,
}

#[derive(Debug)]
pub(super) struct Ecdsa(Curve, Hash);

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
pub(super) enum Padding {
    Pkcs1,
    Pss,
    /// PSS with a key restricted to PSS.
    PssKey,
}

#[derive(Debug)]
pub(super) struct Rsa(Padding, Hash);

/// Keys below this are refused (as webpki's own RSA algorithms do).
pub(super) const MIN_RSA_BITS: usize = 2048;
/// And above this (bounding the work a hostile certificate can ask for).
pub(super) const MAX_RSA_BITS: usize = 8192;

/// 2048 to 8192 bits, a whole number of octets.
pub(super) fn rsa_size_ok(bits: usize) -> bool {
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
