//! Recovering stripped Content Credentials: an unsigned file whose pixels
//! match a registered signed file (the same pixel digest, or a PDQ hash
//! within the threshold) becomes `recovered`, naming who signed the original.

use super::{Entry, Match, Registry, RegistryError};
use crate::pdq::MIN_MATCH_QUALITY;
use crate::pixels::{self, ImageHash};
use crate::report::RecoveredVideo;
use crate::report::{RecoveredInfo, Report, StatusEntry, Verdict};
use crate::vpdq::{CompareOptions, Comparison, VideoHash};

/// A file's hashes and the registered files its pixels match, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct FileLookup {
    pub hash: ImageHash,
    pub matches: Vec<Recovery>,
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
}

impl Recovery {
    /// A PDQ match found by another engine (`hallmark feed`'s), for a file of
    /// `width`×`height` whose pixel digest was not compared.
    pub fn from_pdq_match(m: Match, width: u32, height: u32) -> Self {
        Self {
            entry: m.entry,
            distance: m.distance,
            pixel_digest_match: false,
            width,
            height,
            video: None,
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
        }
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
            self.entry.verdict != Verdict::Trusted,
            self.entry.id,
        )
    }

    fn info(&self) -> RecoveredInfo {
        let e = &self.entry;
        RecoveredInfo {
            distance: self.distance,
            pixel_digest_match: self.pixel_digest_match,
            signer: e.signer.clone(),
            registered_verdict: e.verdict,
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
        let how = if let Some(v) = &self.video {
            format!(
                "{:.1} % of this video's frames match it ({:.1} % of the registered video's)",
                v.query_match_percent, v.compared_match_percent
            )
        } else if self.pixel_digest_match {
            "identical pixels; the metadata was stripped".to_string()
        } else if (self.width, self.height) != (self.entry.width, self.entry.height) {
            format!(
                "distance {} bits (resized from {}×{} to {}×{})",
                self.distance, self.entry.width, self.entry.height, self.width, self.height
            )
        } else {
            format!("distance {} bits (pixels re-encoded)", self.distance)
        };
        let trust = match self.entry.verdict {
            Verdict::Trusted => "trusted when registered",
            _ => "valid when registered, signer not in the registry's trust list",
        };
        let ai = if self.entry.ai_generated {
            "; AI-generated"
        } else {
            ""
        };
        format!(
            "Credentials recovered from the registry: matches a file signed by {}, {how}; {trust}{ai}",
            self.entry.signer.display_name()
        )
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
            let matches = self.lookup_video_hash(&video, threshold, (width, height))?;
            return Ok(FileLookup { hash, matches });
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
            entry,
            distance,
            pixel_digest_match,
            width: hash.width,
            height: hash.height,
            video: None,
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
        matches.sort_by_key(Recovery::rank);
        Ok(FileLookup { hash, matches })
    }

    /// The registered videos that a video's vPDQ hash matches by the
    /// reference rule (frames within `threshold` bits, quality ≥ 50, 80 % of
    /// the query's frames), best first; `width`×`height` is the query's size.
    pub fn lookup_video_hash(
        &self,
        hash: &VideoHash,
        threshold: u32,
        (width, height): (u32, u32),
    ) -> Result<Vec<Recovery>, RegistryError> {
        let options = CompareOptions {
            distance: threshold,
            ..CompareOptions::default()
        };
        Ok(self
            .lookup_video(hash, &options)?
            .into_iter()
            .map(|(entry, c)| Recovery::from_video_match(entry, c, threshold, width, height))
            .collect::<Vec<_>>())
        .map(|mut matches| {
            matches.sort_by_key(Recovery::rank);
            matches
        })
    }

    /// [`Self::recover_hashed`] for a video's vPDQ hash.
    pub fn recover_video(
        &self,
        hash: Result<(VideoHash, u32, u32), RegistryError>,
        mut report: Report,
        threshold: u32,
    ) -> Report {
        if report.verdict != Verdict::Unsigned {
            return report;
        }
        let found = hash.and_then(|(h, w, ht)| self.lookup_video_hash(&h, threshold, (w, ht)));
        match found.map(|matches| matches.into_iter().next()) {
            Ok(Some(recovery)) => return recovery.apply(report),
            Ok(None) => {}
            Err(e) => report.status.push(lookup_failed(&e)),
        }
        report
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
        mut report: Report,
        threshold: u32,
    ) -> Report {
        if report.verdict != Verdict::Unsigned {
            return report;
        }
        let found = hash.and_then(|hash| self.lookup_hash(hash, threshold));
        match found.map(|lookup| lookup.matches.into_iter().next()) {
            Ok(Some(recovery)) => return recovery.apply(report),
            Ok(None) => {}
            Err(e) => report.status.push(lookup_failed(&e)),
        }
        report
    }
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
