//! Soft bindings, as the C2PA Soft Binding Resolution API names them: an
//! algorithm and a value that lead to a manifest store. The registry
//! resolves two: Hallmark's PDQ soft binding (the perceptual hash, as its
//! `c2pa.soft-binding` assertion records it) and its pixel digest (exactly
//! these pixels). Bindings given through the API (`POST /bindings`) are kept
//! in the `bindings` table beside those signed into the stores.

use super::recover::Confirmed;
use super::Recovery;
use super::{Registry, RegistryError};
use crate::pdq::PdqHash;
use crate::pixels::PixelDigest;
use crate::report::MatchKind;

/// Hallmark's PDQ soft binding: 32 bytes, the hash's 64 hex digits decoded
/// (word 15 first), as `c2pa.soft-binding` records it.
pub const PDQ_ALG: &str = crate::pixels::SOFT_BINDING_ALG;
/// Hallmark's pixel digest: 32 bytes, BLAKE3 of the decoded RGBA pixels and
/// size (the `hallmark.pixels` assertion's `digest`).
pub const DIGEST_ALG: &str = "org.hallmark.pixel-digest";
/// Hallmark's video binding, for lookups only: a video's vPDQ hash (a frame
/// a second) in the reference's text form (`frame,quality,hash,seconds` a
/// line), UTF-8. Matched by the reference rule against registered videos;
/// never bound to a manifest (a video's row binds by its own hash).
pub const VPDQ_ALG: &str = "org.hallmark.vpdq";
/// The algorithms [`Binding::parse`] accepts.
pub const ALGORITHMS: &[&str] = &[PDQ_ALG, DIGEST_ALG];
/// The algorithms a lookup (`byBinding`) accepts: [`ALGORITHMS`] and [`VPDQ_ALG`].
pub const LOOKUP_ALGORITHMS: &[&str] = &[PDQ_ALG, DIGEST_ALG, VPDQ_ALG];

/// A soft-binding value the registry resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Pdq(PdqHash),
    Digest(PixelDigest),
}

/// Why a binding was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    #[error(
        "unknown soft-binding algorithm {0:?} (this registry resolves {PDQ_ALG}, {DIGEST_ALG} and, for lookups, {VPDQ_ALG})"
    )]
    UnknownAlg(String),
    #[error("a {alg} value is 32 bytes, not {got}")]
    Length { alg: &'static str, got: usize },
    #[error("{VPDQ_ALG} values are looked up (byBinding), never bound")]
    LookupOnly,
    #[error("the {VPDQ_ALG} value is not a vPDQ hash in text form: {0}")]
    Video(String),
}

/// A [`VPDQ_ALG`] value: the video hash it carries.
pub fn parse_video_binding(value: &[u8]) -> Result<crate::vpdq::VideoHash, BindingError> {
    let text = std::str::from_utf8(value)
        .map_err(|_| BindingError::Video("it is not UTF-8 text".into()))?;
    crate::vpdq::parse_text(text).map_err(|e| BindingError::Video(e.to_string()))
}

/// What a `byBinding` lookup asks for: a soft binding, or a video's frames.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Binding(Binding),
    Video(crate::vpdq::VideoHash),
}

impl Lookup {
    /// A decoded lookup value of algorithm `alg` (any of [`LOOKUP_ALGORITHMS`]).
    pub fn parse(alg: &str, value: &[u8]) -> Result<Self, BindingError> {
        if alg == VPDQ_ALG {
            return parse_video_binding(value).map(Self::Video);
        }
        Binding::parse(alg, value).map(Self::Binding)
    }
}

/// The [`VPDQ_ALG`] value of a video hash.
pub fn video_binding(hash: &crate::vpdq::VideoHash) -> Vec<u8> {
    crate::vpdq::write_text(hash).into_bytes()
}

impl Binding {
    /// A decoded binding value of algorithm `alg`.
    pub fn parse(alg: &str, value: &[u8]) -> Result<Self, BindingError> {
        let alg = match alg {
            PDQ_ALG => PDQ_ALG,
            DIGEST_ALG => DIGEST_ALG,
            VPDQ_ALG => return Err(BindingError::LookupOnly),
            other => return Err(BindingError::UnknownAlg(other.chars().take(100).collect())),
        };
        let bytes: [u8; 32] = value.try_into().map_err(|_| BindingError::Length {
            alg,
            got: value.len(),
        })?;
        Ok(if alg == PDQ_ALG {
            // 32 bytes always make 64 hex digits, which always parse.
            Self::Pdq(PdqHash::from_hex(&hex::encode(bytes)).unwrap_or_default())
        } else {
            Self::Digest(PixelDigest(bytes))
        })
    }

    pub fn alg(&self) -> &'static str {
        match self {
            Self::Pdq(_) => PDQ_ALG,
            Self::Digest(_) => DIGEST_ALG,
        }
    }

    /// The value's bytes.
    pub fn value(&self) -> Vec<u8> {
        match self {
            Self::Pdq(h) => hex::decode(h.to_hex()).unwrap_or_default(),
            Self::Digest(d) => d.0.to_vec(),
        }
    }
}

/// Whether [`Registry::bind`] may add a binding or replace one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindMode {
    /// `POST /bindings`: the value must not be bound yet.
    Create,
    /// `PUT /bindings`: the value must be bound already; it is pointed elsewhere.
    Replace,
}

/// What [`Registry::bind`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Done,
    /// No entry has that manifest id.
    NoManifest,
    /// Create: the value is bound already.
    Exists,
    /// Replace: the value is not bound.
    NoBinding,
}

impl Registry {
    /// The registered entries `binding` leads to, best first, each verified
    /// again ([`Self::confirm`]): by PDQ, entries (or bound values) within
    /// `threshold` bits, similar pictures; by pixel digest, the same pixels.
    /// The query's size is unknown, so recoveries carry 0×0.
    pub fn lookup_binding(
        &self,
        binding: &Binding,
        threshold: u32,
    ) -> Result<Confirmed, RegistryError> {
        let candidates = match binding {
            Binding::Pdq(hash) => {
                // An entry may be near by its own hash and by a bound value: once, nearest.
                let mut found = self.lookup(hash, threshold)?;
                found.sort_by_key(|m| (m.entry.id, m.distance));
                found.dedup_by_key(|m| m.entry.id);
                found
                    .into_iter()
                    .map(|m| Recovery::from_pdq_match(m, 0, 0))
                    .collect()
            }
            Binding::Digest(digest) => {
                let mut entries = self.lookup_digest(digest)?;
                let bound = self.db.first(
                    "SELECT entry_id FROM bindings WHERE alg = $1 AND value = $2",
                    &[DIGEST_ALG.into(), digest.0.as_slice().into()],
                    |r| r.int(0),
                )?;
                if let Some(id) = bound {
                    if !entries.iter().any(|e| e.id == id) {
                        entries.extend(self.entry(id)?);
                    }
                }
                entries
                    .into_iter()
                    .map(|entry| Recovery {
                        distance: 0,
                        pixel_digest_match: true,
                        verdict_now: entry.verdict,
                        entry,
                        width: 0,
                        height: 0,
                        video: None,
                        match_kind: MatchKind::SamePixels,
                        untrusted_because: None,
                    })
                    .collect()
            }
        };
        self.confirm(candidates)
    }

    /// What `lookup` leads to, best first, each verified again: a binding
    /// ([`Self::lookup_binding`]), or a video's frames matched against the
    /// registered videos ([`Self::lookup_video_hash`]; the query's size is
    /// unknown, so recoveries carry 0×0).
    pub fn resolve(&self, lookup: &Lookup, threshold: u32) -> Result<Confirmed, RegistryError> {
        match lookup {
            Lookup::Binding(binding) => self.lookup_binding(binding, threshold),
            Lookup::Video(video) => self.lookup_video_hash(video, threshold, (0, 0)),
        }
    }

    /// Point `binding` at the entry of manifest id `manifest_id`.
    pub fn bind(
        &mut self,
        binding: &Binding,
        manifest_id: &str,
        mode: BindMode,
    ) -> Result<Bound, RegistryError> {
        let Some(entry) = self.entry_by_manifest_id(manifest_id)? else {
            return Ok(Bound::NoManifest);
        };
        let (alg, value) = (binding.alg(), binding.value());
        let params = [alg.into(), value.as_slice().into(), entry.id.into()];
        let changed = self.db.write(|db| match mode {
            BindMode::Create => db.execute(
                "INSERT INTO bindings (alg, value, entry_id) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &params,
            ),
            BindMode::Replace => {
                let n = db.execute(
                    "UPDATE bindings SET entry_id = $3 WHERE alg = $1 AND value = $2",
                    &params,
                )?;
                if n > 0 {
                    Self::log_change(db, "rebind")?;
                }
                Ok(n)
            }
        })?;
        if changed == 0 {
            return Ok(match mode {
                BindMode::Create => Bound::Exists,
                BindMode::Replace => Bound::NoBinding,
            });
        }
        match (binding, mode) {
            // A new PDQ value: indexed now, as a refresh would.
            (Binding::Pdq(_), BindMode::Create) => {
                self.refresh()?;
            }
            (Binding::Pdq(_), BindMode::Replace) => self.reload()?,
            (Binding::Digest(_), _) => {}
        }
        Ok(Bound::Done)
    }

    /// The manifest store registered under manifest id `id`, byte for byte.
    pub fn manifest_by_id(&self, id: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        match self.entry_by_manifest_id(id)? {
            Some(entry) => self.manifest_store(entry.id),
            None => Ok(None),
        }
    }

    /// Remove every entry of manifest id `id`, with its store, video hash
    /// and bindings; false when there was none.
    pub fn delete_manifest(&mut self, id: &str) -> Result<bool, RegistryError> {
        let deleted = self.db.write(|db| {
            let rows = "SELECT id FROM manifests WHERE manifest_id = $1";
            for table in ["bindings", "video_hashes", "manifest_stores"] {
                db.execute(
                    &format!("DELETE FROM {table} WHERE entry_id IN ({rows})"),
                    &[id.into()],
                )?;
            }
            let deleted =
                db.execute("DELETE FROM manifests WHERE manifest_id = $1", &[id.into()])?;
            if deleted > 0 {
                Self::log_change(db, "delete")?;
            }
            Ok(deleted)
        })?;
        if deleted > 0 {
            self.reload()?;
        }
        Ok(deleted > 0)
    }
}
