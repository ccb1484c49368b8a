//! Recovering stripped Content Credentials: an unsigned file whose pixels
//! match a registered signed file (the same pixel digest, or a PDQ hash
//! within the threshold) becomes `recovered`, naming who signed the original.
//!
//! A row is never believed as it stands: every candidate's stored manifest
//! store is verified again ([`Registry::confirm`]) against the handle's
//! current trust, and what the recovery says (signer, title, dates, AI) comes
//! from that verification, not from the row.

use super::{Entry, Match, Registry, RegistryError};
use crate::code::Code;
use crate::pdq::MIN_MATCH_QUALITY;
use crate::pixels::{self, ImageHash};
use crate::report::{MatchKind, RecoveredVideo};
use crate::report::{RecoveredInfo, Report, StatusEntry, Verdict};
use crate::vpdq::{CompareOptions, Comparison, VideoHash};

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

/// A registered file that a file's pixels match.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Recovery {
    /// PDQ Hamming distance between the file and the entry.
    pub distance: u32,
    /// The file shows exactly the entry's pixels.
    pub pixel_digest_match: bool,
    pub entry: Entry,
    /// The file's own width and height, in pixels.
    #[serde(skip)]
    pub width: u32,
    #[serde(skip)]
    pub height: u32,
    /// A video matched by vPDQ (then `distance` is the frame threshold).
    pub video: Option<RecoveredVideo>,
    /// The entry's stored credentials verified now ([`Registry::confirm`]);
    /// until then, its verdict at registration.
    pub verdict_now: Verdict,
    /// How the file's content matched the entry's.
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
    /// Why its signer is not trusted now, when a check said.
    #[serde(skip)]
    pub untrusted_because: Option<String>,
}

impl Recovery {
    /// A PDQ match found by another engine (`hallmark feed`'s), for a file of
    /// `width`×`height` whose pixel digest was not compared.
    pub fn from_pdq_match(m: Match, width: u32, height: u32) -> Self {
        Self {
            verdict_now: m.entry.verdict,
            entry: m.entry,
            distance: m.distance,
            pixel_digest_match: false,
            width,
            height,
            video: None,
            match_kind: MatchKind::SimilarPicture,
            untrusted_because: None,
        }
    }

    /// A registered video that a video matched by vPDQ (frames within
    /// `threshold` bits), for a file of `width`×`height`.
    pub fn from_video_match(
        entry: Entry,
        comparison: Comparison,
        threshold: u32,
        width: u32,
        height: u32,
    ) -> Self {
        Self {
            verdict_now: entry.verdict,
            entry,
            distance: threshold,
            pixel_digest_match: false,
            width,
            height,
            video: Some(RecoveredVideo {
                query_match_percent: comparison.query_match_percent,
                compared_match_percent: comparison.compared_match_percent,
                segments: comparison.segments,
            }),
            match_kind: MatchKind::SimilarVideo,
            untrusted_because: None,
        }
    }

    /// How the file's content matched the entry's.
    pub fn match_kind(&self) -> MatchKind {
        self.match_kind
    }

    /// `report` made `recovered` from this entry when it is `unsigned`;
    /// any other report comes back unchanged.
    pub fn apply(&self, mut report: Report) -> Report {
        if report.verdict == Verdict::Unsigned {
            report.verdict = Verdict::Recovered;
            report.summary = self.summary();
            report.ai_generated = self.entry.ai_generated;
            report.recovered = Some(self.info());
        }
        report
    }

    /// Best first: identical pixels, then nearest (videos: the most of each
    /// matching), then trusted before valid, then oldest.
    fn rank(&self) -> (bool, u32, std::cmp::Reverse<(u64, u64)>, bool, i64) {
        let shares = self.video.as_ref().map_or((0, 0), |v| {
            // Percentages to a millionth of a percent: an order, not a value.
            let fixed = |p: f64| (p * 1e6) as u64;
            (
                fixed(v.query_match_percent),
                fixed(v.compared_match_percent),
            )
        });
        (
            !self.pixel_digest_match,
            self.distance,
            std::cmp::Reverse(shares),
            self.verdict_now != Verdict::Trusted,
            self.entry.id,
        )
    }

    fn info(&self) -> RecoveredInfo {
        let e = &self.entry;
        RecoveredInfo {
            distance: self.distance,
            pixel_digest_match: self.pixel_digest_match,
            match_kind: self.match_kind(),
            signer: e.signer.clone(),
            registered_verdict: e.verdict,
            verdict_now: self.verdict_now,
            title: e.title.clone(),
            signed_at: e.signed_at.clone(),
            digital_source_type: e.digital_source_type.clone(),
            ai_generated: e.ai_generated,
            registered_at: e.registered_at.clone(),
            asset_blake3: e.asset_blake3.clone(),
            video: self.video.clone(),
        }
    }

    fn summary(&self) -> String {
        let who = self.entry.signer.display_name();
        let how = if let Some(v) = &self.video {
            format!(
                "a similar video: {:.1} % of this video's frames match one signed by {who} ({:.1} % of that video's)",
                v.query_match_percent, v.compared_match_percent
            )
        } else if self.pixel_digest_match {
            format!("the same pixels as a file signed by {who}; the metadata was stripped")
        } else {
            // Perceptual hashes near each other: a re-encoding, a resize, or
            // another picture that happens to hash near it. Never asserted to be the same.
            let size = if (self.width, self.height) != (self.entry.width, self.entry.height) {
                format!(
                    "; this file is {}×{}, the signed one {}×{}",
                    self.width, self.height, self.entry.width, self.entry.height
                )
            } else {
                String::new()
            };
            format!(
                "a similar picture ({} bits from one signed by {who}{size}), not necessarily the same",
                self.distance
            )
        };
        let trust = match (self.verdict_now, &self.untrusted_because) {
            (Verdict::Trusted, _) => "its stored credentials are trusted now".to_string(),
            (_, Some(why)) => {
                format!("its stored credentials are valid now, but not trusted ({why})")
            }
            _ => "its stored credentials are valid now, but the signer is not in the trust list"
                .to_string(),
        };
        let ai = if self.entry.ai_generated {
            "; AI-generated"
        } else {
            ""
        };
        format!("Credentials recovered from the registry: {how}; {trust}{ai}")
    }
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
            let hash = super::video_entry_hash(&video, width, height);
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
