//! Whom the verifier trusts: anchor certificates (a signer chaining to one is
//! `trusted`) and an allowed list of end-entity certificates. Nothing is
//! trusted by default; no network is ever used.

use crate::identity::{parse_pem_certificates, to_pem};

/// Why a trust list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    #[error("not a PEM certificate bundle: {0}")]
    Malformed(String),
}

impl TrustError {
    pub fn code(&self) -> &'static str {
        "trust.malformed"
    }
}

/// Trust anchors and allowed certificates, as DER.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    anchors: Vec<Vec<u8>>,
    allowed: Vec<Vec<u8>>,
}

impl TrustStore {
    /// Trust nothing.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Trust the anchors of one PEM bundle.
    pub fn from_pem(pem: &[u8]) -> Result<Self, TrustError> {
        let mut store = Self::empty();
        store.add_anchors_pem(pem)?;
        Ok(store)
    }

    /// Add every certificate of a PEM bundle (such as the C2PA trust list) as an anchor.
    pub fn add_anchors_pem(&mut self, pem: &[u8]) -> Result<usize, TrustError> {
        let certs = parse_pem_certificates(pem).map_err(TrustError::Malformed)?;
        let n = certs.len();
        self.anchors.extend(certs);
        Ok(n)
    }

    /// Add already-parsed DER certificates as anchors.
    pub(crate) fn add_anchors_der(&mut self, certs: Vec<Vec<u8>>) {
        self.anchors.extend(certs);
    }

    /// Add end-entity certificates that are trusted as they are.
    pub fn add_allowed_pem(&mut self, pem: &[u8]) -> Result<usize, TrustError> {
        let certs = parse_pem_certificates(pem).map_err(TrustError::Malformed)?;
        let n = certs.len();
        self.allowed.extend(certs);
        Ok(n)
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty() && self.allowed.is_empty()
    }

    pub fn anchor_count(&self) -> usize {
        self.anchors.len()
    }

    pub fn allowed_count(&self) -> usize {
        self.allowed.len()
    }

    /// BLAKE3 over every anchor and allowed certificate, in order.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        for (label, certs) in [(b"anchors", &self.anchors), (b"allowed", &self.allowed)] {
            h.update(label);
            h.update(&(certs.len() as u64).to_le_bytes());
            for cert in certs {
                h.update(&(cert.len() as u64).to_le_bytes());
                h.update(cert);
            }
        }
        *h.finalize().as_bytes()
    }

    pub(crate) fn anchors_pem(&self) -> Option<String> {
        (!self.anchors.is_empty()).then(|| self.anchors.iter().map(|c| to_pem(c)).collect())
    }

    pub(crate) fn allowed_pem(&self) -> Option<String> {
        (!self.allowed.is_empty()).then(|| self.allowed.iter().map(|c| to_pem(c)).collect())
    }
}
