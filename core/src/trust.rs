//! Whom the verifier trusts: anchor certificates (a signer chaining to one is
//! `trusted`) and an allowed list of end-entity certificates. Nothing is
//! trusted by default; no network is ever used.

use crate::cert::{parse_pem_certificates, to_pem};
use crate::code::Code;

/// Why a trust list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    #[error("not a PEM certificate bundle: {0}")]
    Malformed(String),
}

impl TrustError {
    pub fn code(&self) -> Code {
        Code::TrustMalformed
    }
}

/// One trusted certificate and where it came from (a `--trust` file, a
/// trust-list entry, the allowed list…), as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub der: Vec<u8>,
    pub source: String,
}

/// Trust anchors, allowed certificates and CAWG identity anchors, as DER.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    anchors: Vec<Anchor>,
    allowed: Vec<Anchor>,
    cawg: Vec<Anchor>,
    /// Time-stamp authority anchors: a claim signature's time-stamp dates it
    /// only when its TSA chains to one of these. Kept apart from the signer
    /// anchors: a signer may not chain to a TSA root, nor a TSA to a signer
    /// root (so no signer CA can date back its own signers' signatures).
    tsa: Vec<Anchor>,
}

fn named(certs: Vec<Vec<u8>>, source: &str) -> impl Iterator<Item = Anchor> + '_ {
    certs.into_iter().map(move |der| Anchor {
        der,
        source: source.to_string(),
    })
}

/// Parse a PEM bundle into `list`: all of it, or nothing when any block is bad.
fn add_pem(list: &mut Vec<Anchor>, pem: &[u8], source: &str) -> Result<usize, TrustError> {
    let certs = parse(pem, source)?;
    let n = certs.len();
    list.extend(certs);
    Ok(n)
}

fn parse(pem: &[u8], source: &str) -> Result<Vec<Anchor>, TrustError> {
    let certs = parse_pem_certificates(pem).map_err(TrustError::Malformed)?;
    Ok(named(certs, source).collect())
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
        self.add_anchors_pem_from(pem, "trust anchors")
    }

    /// Add anchors, naming where they came from (shown as `signer.anchor.source`).
    pub fn add_anchors_pem_from(&mut self, pem: &[u8], source: &str) -> Result<usize, TrustError> {
        add_pem(&mut self.anchors, pem, source)
    }

    /// Add already-parsed DER certificates as anchors.
    pub(crate) fn add_anchors_der(&mut self, certs: Vec<Vec<u8>>, source: &str) {
        self.anchors.extend(named(certs, source));
    }

    /// Add already-parsed DER certificates as CAWG identity anchors.
    pub(crate) fn add_cawg_anchors_der(&mut self, certs: Vec<Vec<u8>>, source: &str) {
        self.cawg.extend(named(certs, source));
    }

    /// Add end-entity certificates that are trusted as they are.
    pub fn add_allowed_pem(&mut self, pem: &[u8]) -> Result<usize, TrustError> {
        self.add_allowed_pem_from(pem, "allowed list")
    }

    /// Add allowed end-entity certificates, naming where they came from.
    pub fn add_allowed_pem_from(&mut self, pem: &[u8], source: &str) -> Result<usize, TrustError> {
        add_pem(&mut self.allowed, pem, source)
    }

    /// Add anchors for CAWG X.509 identity credentials (`--cawg-trust`).
    pub fn add_cawg_anchors_pem_from(
        &mut self,
        pem: &[u8],
        source: &str,
    ) -> Result<usize, TrustError> {
        add_pem(&mut self.cawg, pem, source)
    }

    /// Add the time-stamp authority anchors of a PEM bundle (such as the
    /// C2PA TSA trust list).
    pub fn add_tsa_anchors_pem_from(
        &mut self,
        pem: &[u8],
        source: &str,
    ) -> Result<usize, TrustError> {
        add_pem(&mut self.tsa, pem, source)
    }

    pub(crate) fn add_tsa_anchors_der(&mut self, certs: Vec<Vec<u8>>, source: &str) {
        self.tsa.extend(named(certs, source));
    }

    pub fn tsa_anchor_count(&self) -> usize {
        self.tsa.len()
    }

    pub(crate) fn tsa_anchors(&self) -> &[Anchor] {
        &self.tsa
    }

    /// The TSA anchors' DER, for a signer that checks its time-stamps.
    pub fn tsa_anchors_der(&self) -> Vec<Vec<u8>> {
        self.tsa.iter().map(|a| a.der.clone()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
            && self.allowed.is_empty()
            && self.cawg.is_empty()
            && self.tsa.is_empty()
    }

    pub fn anchor_count(&self) -> usize {
        self.anchors.len()
    }

    pub fn allowed_count(&self) -> usize {
        self.allowed.len()
    }

    pub fn cawg_anchor_count(&self) -> usize {
        self.cawg.len()
    }

    pub(crate) fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }

    pub(crate) fn allowed(&self) -> &[Anchor] {
        &self.allowed
    }

    pub(crate) fn cawg_anchors(&self) -> &[Anchor] {
        &self.cawg
    }

    /// BLAKE3 over every certificate and its source, list by list, in order.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        for (label, certs) in [
            (&b"anchors"[..], &self.anchors),
            (&b"allowed"[..], &self.allowed),
            (&b"cawg"[..], &self.cawg),
            (&b"tsa"[..], &self.tsa),
        ] {
            h.update(label);
            h.update(&(certs.len() as u64).to_le_bytes());
            for cert in certs {
                h.update(&(cert.der.len() as u64).to_le_bytes());
                h.update(&cert.der);
                h.update(&(cert.source.len() as u64).to_le_bytes());
                h.update(cert.source.as_bytes());
            }
        }
        *h.finalize().as_bytes()
    }

    fn pem_of(certs: &[Anchor]) -> Option<String> {
        (!certs.is_empty()).then(|| certs.iter().map(|c| to_pem(&c.der)).collect())
    }

    /// What c2pa is given as trust anchors: the signer and the TSA anchors
    /// (c2pa 0.90 checks time-stamp authorities against the same list).
    /// Hallmark's own validation keeps the two roles apart.
    pub(crate) fn c2pa_anchors_pem(&self) -> Option<String> {
        let both: Vec<Anchor> = self.anchors.iter().chain(&self.tsa).cloned().collect();
        Self::pem_of(&both)
    }

    pub(crate) fn allowed_pem(&self) -> Option<String> {
        Self::pem_of(&self.allowed)
    }

    pub(crate) fn cawg_anchors_pem(&self) -> Option<String> {
        Self::pem_of(&self.cawg)
    }
}
