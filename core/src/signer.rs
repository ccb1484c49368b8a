//! The Ed25519 signer that c2pa's `Builder` calls to sign a claim.

use c2pa::{Signer, SigningAlg};
use ed25519_dalek::{Signer as _, SigningKey};

/// Signs C2PA claims with an Ed25519 key (zeroized on drop) and presents its
/// certificate chain, signing certificate first.
pub struct Ed25519Signer {
    key: SigningKey,
    chain: Vec<Vec<u8>>,
}

impl Ed25519Signer {
    pub fn new(key: SigningKey, chain: Vec<Vec<u8>>) -> Self {
        Self { key, chain }
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
    /// 64-byte signature, with slack for the CBOR framing.
    fn reserve_size(&self) -> usize {
        1024 + self.chain.iter().map(Vec::len).sum::<usize>()
    }
}
