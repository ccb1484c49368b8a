//! The Ed25519 signer that c2pa's `Builder` calls to sign a claim.

use c2pa::{Signer, SigningAlg};
use ed25519_dalek::{Signer as _, SigningKey};

/// Signs C2PA claims with an Ed25519 key (zeroized on drop) and presents its
/// certificate chain, signing certificate first; with a TSA configured, it
/// gets the claim signature an RFC 3161 time-stamp (checked by
/// [`crate::tsa`]) and keeps what happened for the caller.
pub struct Ed25519Signer {
    key: SigningKey,
    chain: Vec<Vec<u8>>,
    #[cfg(feature = "tsa")]
    tsa: Option<(crate::tsa::TsaConfig, u64)>,
    #[cfg(feature = "tsa")]
    tsa_outcome: std::sync::Mutex<Option<Result<crate::tsa::Checked, crate::tsa::TsaError>>>,
}

impl Ed25519Signer {
    pub fn new(key: SigningKey, chain: Vec<Vec<u8>>) -> Self {
        Self {
            key,
            chain,
            #[cfg(feature = "tsa")]
            tsa: None,
            #[cfg(feature = "tsa")]
            tsa_outcome: std::sync::Mutex::new(None),
        }
    }

    /// Time-stamp the claim signature with this TSA; `now` (Unix seconds)
    /// is when the TSA's certificates are validated.
    #[cfg(feature = "tsa")]
    pub fn with_tsa(mut self, config: crate::tsa::TsaConfig, now: u64) -> Self {
        self.tsa = Some((config, now));
        self
    }

    /// What the TSA exchange gave, once c2pa asked for a time-stamp.
    #[cfg(feature = "tsa")]
    pub fn tsa_outcome(&self) -> Option<Result<crate::tsa::Checked, crate::tsa::TsaError>> {
        self.tsa_outcome.lock().ok().and_then(|o| o.clone())
    }
}

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Signer for Ed25519Signer {
    fn sign(&self, data: &[u8]) -> c2pa::Result<Vec<u8>> {
        Ok(self.key.sign(data).to_bytes().to_vec())
    }

    fn alg(&self) -> SigningAlg {
        SigningAlg::Ed25519
    }

    fn certs(&self) -> c2pa::Result<Vec<Vec<u8>>> {
        Ok(self.chain.clone())
    }

    /// Room for the COSE signature: the certificates plus headers and the
    /// 64-byte signature, with slack for the CBOR framing; and for a
    /// time-stamp token with the TSA's certificates (a few kilobytes; 24 KiB
    /// leaves room for long chains).
    fn reserve_size(&self) -> usize {
        #[cfg(feature = "tsa")]
        let tsa = if self.tsa.is_some() { 24 * 1024 } else { 0 };
        #[cfg(not(feature = "tsa"))]
        let tsa = 0;
        1024 + tsa + self.chain.iter().map(Vec::len).sum::<usize>()
    }

    /// The TSA's checked reply (a TimeStampResp), or `None` for no time-stamp.
    #[cfg(feature = "tsa")]
    fn send_timestamp_request(&self, message: &[u8]) -> Option<c2pa::Result<Vec<u8>>> {
        let (config, now) = self.tsa.as_ref()?;
        let result = crate::tsa::fetch(config, message, *now);
        if let Ok(mut slot) = self.tsa_outcome.lock() {
            *slot = Some(result.clone());
        }
        match result {
            Ok(checked) => Some(Ok(checked.response)),
            // --tsa-optional: sign without one; the caller says so.
            Err(e) if config.optional && e.is_unavailable() => None,
            Err(e) => Some(Err(c2pa::Error::BadParam(format!("[{}] {e}", e.code())))),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// RFC 8032 §7.1, tests 1 to 3: secret key, public key, message, signature.
    const VECTORS: &[(&str, &str, &str, &str)] = &[
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ];

    #[test]
    fn signs_the_rfc_8032_test_vectors() {
        for (secret, public, message, signature) in VECTORS {
            let secret: [u8; 32] = hex::decode(secret).unwrap().try_into().unwrap();
            let key = SigningKey::from_bytes(&secret);
            assert_eq!(hex::encode(key.verifying_key().as_bytes()), *public);
            let signer = Ed25519Signer::new(key, Vec::new());
            let message = hex::decode(message).unwrap();
            let signed = Signer::sign(&signer, &message).unwrap();
            assert_eq!(hex::encode(&signed), *signature);
            // And the strict check (no malleable or small-order encodings) accepts it.
            let sig = ed25519_dalek::Signature::from_slice(&signed).unwrap();
            signer
                .key
                .verifying_key()
                .verify_strict(&message, &sig)
                .unwrap();
        }
    }
}
