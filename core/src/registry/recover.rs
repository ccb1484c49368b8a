//! Recovering stripped Content Credentials: an unsigned file whose pixels
//! match a registered signed file (the same pixel digest, or a PDQ hash
//! within the threshold) becomes `recovered`, naming who signed the original.
//!
//! A row is never believed as it stands: every candidate's stored manifest
//! store is verified again ([`Registry::confirm`]) against the handle's
//! current trust, and what the recovery says (signer, title, dates, AI) comes
//! from that verification, not from the row.

use super::{Entry, Recovery, Registry, RegistryError};
use crate::code::Code;
use crate::pdq::MIN_MATCH_QUALITY;
use crate::pixels::{self, ImageHash};
use crate::report::MatchKind;
use crate::report::{Report, StatusEntry, Verdict};
use crate::vpdq::{CompareOptions, VideoHash};

/// A file's hashes and the registered files its pixels match, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct FileLookup {
    pub hash: ImageHash,
    pub matches: Vec<Recovery>,
    /// Entries that matched but whose stored credentials no longer validate
    /// (or no longer agree with their row): one informational status each.
    pub refused: Vec<StatusEntry>,
}

/// Candidates that [`Registry::confirm`] kept, best first, and those it refused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Confirmed {
    pub matches: Vec<Recovery>,
    pub refused: Vec<StatusEntry>,
}

impl Registry {
    /// Every registered file that `bytes` shows, best first: entries with the
    /// same pixel digest, and entries whose PDQ hash is within `threshold`
    /// bits (PDQ only when the file's PDQ quality is at least 50).
    ///
    /// A video (MP4, MOV, AVI) is matched by vPDQ against the registered
    /// videos ([`Self::lookup_video_hash`]); its `hash` is then its best
    /// frame's PDQ hash and the digest of its vPDQ hash, as registered.
    pub fn lookup_file(&self, bytes: &[u8], threshold: u32) -> Result<FileLookup, RegistryError> {
        let format = crate::media::identify(bytes, &self.limits)?;
        if format.is_video() {
            let (video, width, height) =
                super::hash_video(crate::media::Source::Bytes(bytes), format, &self.limits)?;
            let hash = crate::recovery::video_entry_hash(&video, width, height);
            let found = self.lookup_video_hash(&video, threshold, (width, height))?;
            return Ok(FileLookup {
                hash,
                matches: found.matches,
                refused: found.refused,
            });
        }
        let hash = pixels::hash_image(bytes, &self.limits)?;
        self.lookup_hash(hash, threshold)
    }

    /// [`Self::lookup_file`] for a file already hashed with [`pixels::hash_image`]
    /// (so the slow part can run outside a lock on the registry).
    pub fn lookup_hash(
        &self,
        hash: ImageHash,
        threshold: u32,
    ) -> Result<FileLookup, RegistryError> {
        let recovery = |entry: Entry, distance: u32, pixel_digest_match: bool| Recovery {
            verdict_now: entry.verdict,
            entry,
            distance,
            pixel_digest_match,
            width: hash.width,
            height: hash.height,
            video: None,
            match_kind: if pixel_digest_match {
                MatchKind::SamePixels
            } else {
                MatchKind::SimilarPicture
            },
            untrusted_because: None,
        };
        let mut matches: Vec<Recovery> = self
            .lookup_digest(&hash.pixel_digest)?
            .into_iter()
            .map(|entry| {
                let distance = entry.pdq.distance(&hash.pdq);
                recovery(entry, distance, true)
            })
            .collect();
        if hash.quality >= MIN_MATCH_QUALITY {
            for m in self.lookup(&hash.pdq, threshold)? {
                if !matches.iter().any(|r| r.entry.id == m.entry.id) {
                    let same = m.entry.pixel_digest.ct_eq(&hash.pixel_digest);
                    matches.push(recovery(m.entry, m.distance, same));
                }
            }
        }
        let found = self.confirm(matches)?;
        Ok(FileLookup {
            hash,
            matches: found.matches,
            refused: found.refused,
        })
    }

    /// The registered videos that a video's vPDQ hash matches by the
    /// reference rule (frames within `threshold` bits, quality ≥ 50, 80 % of
    /// the query's frames), best first; `width`×`height` is the query's size.
    pub fn lookup_video_hash(
        &self,
        hash: &VideoHash,
        threshold: u32,
        (width, height): (u32, u32),
    ) -> Result<Confirmed, RegistryError> {
        let options = CompareOptions {
            distance: threshold,
            ..CompareOptions::default()
        };
        let candidates = self
            .lookup_video(hash, &options)?
            .into_iter()
            .map(|(entry, c)| Recovery::from_video_match(entry, c, threshold, width, height))
            .collect();
        self.confirm(candidates)
    }

    /// The candidates whose stored manifest store still verifies, trusted
    /// or valid, against this handle's trust ([`Registry::with_verifier`]),
    /// each taking its signer and facts from that verification, best
    /// first; and a status entry for each refused. A candidate is refused
    /// when its store no longer validates (its certificate expired with no
    /// trusted time-stamp, its root was removed…), names another signer
    /// than its row, or signed other pixels than its row records.
    pub fn confirm(&self, candidates: Vec<Recovery>) -> Result<Confirmed, RegistryError> {
        let mut out = Confirmed::default();
        for mut recovery in candidates {
            match self.revalidate(&recovery.entry)? {
                Ok(now) => {
                    now.apply_to(&mut recovery);
                    out.matches.push(recovery);
                }
                Err(why) => out.refused.push(StatusEntry {
                    code: Code::RegistryStale.to_string(),
                    kind: "informational".into(),
                    explanation: Some(format!(
                        "registry entry {} matched, but was not used: {why}",
                        recovery.entry.id
                    )),
                    scope: Some("registry".into()),
                    url: None,
                }),
            }
        }
        out.matches.sort_by_key(Recovery::rank);
        Ok(out)
    }

    /// [`Self::recover_hashed`] for a video's vPDQ hash.
    pub fn recover_video(
        &self,
        hash: Result<(VideoHash, u32, u32), RegistryError>,
        report: Report,
        threshold: u32,
    ) -> Report {
        if report.verdict != Verdict::Unsigned {
            return report;
        }
        let found = hash.and_then(|(h, w, ht)| self.lookup_video_hash(&h, threshold, (w, ht)));
        apply_best(found, report)
    }

    /// The registered file that `bytes` shows, if any: the best of [`Self::lookup_file`].
    pub fn find_original(
        &self,
        bytes: &[u8],
        threshold: u32,
    ) -> Result<Option<Recovery>, RegistryError> {
        Ok(self
            .lookup_file(bytes, threshold)?
            .matches
            .into_iter()
            .next())
    }

    /// Turn an `unsigned` report into `recovered` when the file's pixels match
    /// a registered file (see [`Self::find_original`]). Other verdicts, and
    /// unsigned files that match nothing, come back unchanged; a file that
    /// can't be hashed or a registry that can't be read adds an informational
    /// status entry instead.
    pub fn recover(&self, bytes: &[u8], report: Report, threshold: u32) -> Report {
        if report.verdict != Verdict::Unsigned {
            return report;
        }
        let hash = pixels::hash_image(bytes, &self.limits).map_err(RegistryError::from);
        self.recover_hashed(hash, report, threshold)
    }

    /// [`Self::recover`] for a file already hashed with [`pixels::hash_image`]
    /// under [`Self::limits`] (pass the hashing error, if any, to have it noted).
    pub fn recover_hashed(
        &self,
        hash: Result<ImageHash, RegistryError>,
        report: Report,
        threshold: u32,
    ) -> Report {
        if report.verdict != Verdict::Unsigned {
            return report;
        }
        let found = hash
            .and_then(|hash| self.lookup_hash(hash, threshold))
            .map(|lookup| Confirmed {
                matches: lookup.matches,
                refused: lookup.refused,
            });
        apply_best(found, report)
    }
}

/// `report` recovered from the best match, noting what was refused; or
/// noting why no lookup could be made.
fn apply_best(found: Result<Confirmed, RegistryError>, mut report: Report) -> Report {
    match found {
        Ok(found) => {
            if let Some(best) = found.matches.first() {
                report = best.apply(report);
            }
            report.status.extend(found.refused);
        }
        Err(e) => report.status.push(lookup_failed(&e)),
    }
    report
}

/// The informational status entry of a lookup that could not be made.
fn lookup_failed(e: &RegistryError) -> StatusEntry {
    StatusEntry {
        code: e.code().to_string(),
        kind: "informational".into(),
        explanation: Some(format!("registry lookup failed: {e}")),
        scope: Some("registry".into()),
        url: None,
    }
}
