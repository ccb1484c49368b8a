//! Recovered provenance: a registered signed file that an unsigned file's
//! pixels match ([`Recovery`]), and how it turns the unsigned file's report
//! into `recovered`. Used by the registry, by registry services' clients and
//! by the WASM package, which has no registry of its own.

use serde::Serialize;

use crate::pdq::{PdqHash, MIN_MATCH_QUALITY};
use crate::pixels::{ImageHash, PixelDigest};
use crate::report::{MatchKind, RecoveredInfo, RecoveredVideo, Report, SignerInfo, Verdict};
use crate::verify::Verifier;
use crate::vpdq::Comparison;

/// The media type a bare manifest store is verified and registered as.
pub const STORE_FORMAT: &str = "application/c2pa";

/// One registered signed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The row id, stable for the life of the registry file.
    pub id: i64,
    /// BLAKE3 of the signed file's bytes (hex): its content address.
    pub asset_blake3: String,
    /// The signed file's media type.
    pub format: String,
    pub pdq: PdqHash,
    /// PDQ quality (0–100); entries under 50 are found by pixel digest only.
    pub quality: u8,
    pub pixel_digest: PixelDigest,
    pub width: u32,
    pub height: u32,
    /// The signer (`trusted` as decided at registration).
    pub signer: SignerInfo,
    /// The verdict at registration: trusted or valid.
    pub verdict: Verdict,
    pub title: Option<String>,
    pub signed_at: Option<String>,
    pub digital_source_type: Option<String>,
    pub ai_generated: bool,
    /// RFC 3339, UTC.
    pub registered_at: String,
    /// The active manifest's label (`urn:c2pa:…`): the id the Soft Binding
    /// Resolution API serves its manifest store under.
    pub manifest_id: Option<String>,
}

/// An entry whose PDQ hash is within the threshold of a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    pub entry: Entry,
    /// Hamming distance between the query and the entry's PDQ hash.
    pub distance: u32,
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
    pub(crate) fn rank(&self) -> (bool, u32, std::cmp::Reverse<(u64, u64)>, bool, i64) {
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

/// A manifest store a registry service named, verified here against
/// `verifier`'s trust (its hard binding unchecked: a bare store has no
/// asset): its report when trusted or valid, or why it can't be used.
fn verified_store(store: &[u8], verifier: &Verifier) -> Result<Report, String> {
    let report = verifier.verify_store(store, STORE_FORMAT);
    if !matches!(report.verdict, Verdict::Trusted | Verdict::Valid) {
        return Err(format!(
            "its store is {} here ({})",
            report.verdict, report.summary
        ));
    }
    Ok(report)
}

/// The entry a verified store stands for, its signer and facts taken from
/// `report` (the store's verification here), with the hashes it signed.
fn store_entry(
    report: Report,
    store: &[u8],
    id: &str,
    signed: (PdqHash, u8, PixelDigest),
    (width, height): (u32, u32),
) -> Result<(Entry, Option<String>), String> {
    let signer = report.signer.clone().ok_or("its store names no signer")?;
    let untrusted_because = report.untrusted_because();
    let (pdq, quality, pixel_digest) = signed;
    let entry = Entry {
        id: 0,
        asset_blake3: blake3::hash(store).to_hex().to_string(),
        format: STORE_FORMAT.to_string(),
        pdq,
        quality,
        pixel_digest,
        width,
        height,
        signer,
        verdict: report.verdict,
        title: report.title,
        signed_at: report.signed_at,
        digital_source_type: report.digital_source_type,
        ai_generated: report.ai_generated,
        registered_at: String::new(),
        manifest_id: Some(id.to_string()),
    };
    Ok((entry, untrusted_because))
}

/// A recovery from a manifest store a registry service named as `id` for a
/// file hashed as `hash`: the store is verified here against `verifier`'s
/// trust (its hard binding unchecked), and the pixel digest and PDQ hash it
/// signed are compared here with the file's; or why it can't be used. What
/// the registry's `RemoteRegistry` and the WASM package both decide with.
pub fn from_store(
    store: &[u8],
    id: &str,
    hash: &ImageHash,
    verifier: &Verifier,
    threshold: u32,
) -> Result<Recovery, String> {
    let report = verified_store(store, verifier)?;
    let signed = report
        .signed_pixels
        .ok_or("its store signed no pixel digest or PDQ hash to compare with")?;
    let distance = signed.pdq.distance(&hash.pdq);
    let same = signed.digest.ct_eq(&hash.pixel_digest);
    if !same && (hash.quality < MIN_MATCH_QUALITY || distance > threshold) {
        return Err(format!(
            "the pixels its store signed are {distance} bits from this file's (threshold {threshold})"
        ));
    }
    let (entry, untrusted_because) = store_entry(
        report,
        store,
        id,
        (signed.pdq, signed.quality, signed.digest),
        (signed.width, signed.height),
    )?;
    Ok(Recovery {
        distance,
        pixel_digest_match: same,
        verdict_now: entry.verdict,
        entry,
        width: hash.width,
        height: hash.height,
        video: None,
        match_kind: if same {
            MatchKind::SamePixels
        } else {
            MatchKind::SimilarPicture
        },
        untrusted_because,
    })
}

/// A recovery from a manifest store a registry service named as `id` for a
/// video of `width`×`height` hashed as `video` (a frame a second): the store
/// is verified here, and the frames it signed (Hallmark's per-second soft
/// binding) are compared here with the video's by the reference rule
/// (frames within `threshold` bits; 80 % of this video's frames of quality
/// 50 or more must match a signed frame). A signed frame's quality is not
/// recorded, so every signed frame takes part.
pub fn from_video_store(
    store: &[u8],
    id: &str,
    video: &crate::vpdq::VideoHash,
    (width, height): (u32, u32),
    verifier: &Verifier,
    threshold: u32,
) -> Result<Recovery, String> {
    use crate::vpdq::CompareOptions;
    let report = verified_store(store, verifier)?;
    let signed = report
        .signed_video
        .clone()
        .filter(|frames| !frames.is_empty())
        .ok_or("its store signed no video frames to compare with")?;
    let compared = crate::vpdq::signed_video_hash(&signed);
    let options = CompareOptions {
        distance: threshold,
        ..CompareOptions::default()
    };
    let comparison = crate::vpdq::compare(video, &compared, &options);
    if !comparison.matched {
        return Err(format!(
            "{:.1} % of this video's frames match a frame its store signed ({:.0} % needed, threshold {threshold})",
            comparison.query_match_percent, options.query_percent
        ));
    }
    // The signed frames stand in for a picture's hashes as a registry
    // entry of the video carries them.
    let hash = video_entry_hash(&compared, 0, 0);
    let (entry, untrusted_because) = store_entry(
        report,
        store,
        id,
        (hash.pdq, hash.quality, hash.pixel_digest),
        (0, 0),
    )?;
    let mut recovery = Recovery::from_video_match(entry, comparison, threshold, width, height);
    recovery.untrusted_because = untrusted_because;
    Ok(recovery)
}

/// The best recovery among manifest stores a registry service named for a
/// file hashed as `hash` (each as its id, and its bytes or why they could
/// not be fetched), and a `registry.remote` note for each not used.
pub fn from_stores(
    stores: impl IntoIterator<Item = (String, Result<Vec<u8>, String>)>,
    hash: &ImageHash,
    verifier: &Verifier,
    threshold: u32,
) -> (Option<Recovery>, Vec<crate::report::StatusEntry>) {
    best_of(stores, |store, id| {
        from_store(store, id, hash, verifier, threshold)
    })
}

/// [`from_stores`] for a video of `width`×`height` hashed as `video`
/// ([`from_video_store`]).
pub fn from_video_stores(
    stores: impl IntoIterator<Item = (String, Result<Vec<u8>, String>)>,
    video: &crate::vpdq::VideoHash,
    size: (u32, u32),
    verifier: &Verifier,
    threshold: u32,
) -> (Option<Recovery>, Vec<crate::report::StatusEntry>) {
    best_of(stores, |store, id| {
        from_video_store(store, id, video, size, verifier, threshold)
    })
}

fn best_of(
    stores: impl IntoIterator<Item = (String, Result<Vec<u8>, String>)>,
    decide: impl Fn(&[u8], &str) -> Result<Recovery, String>,
) -> (Option<Recovery>, Vec<crate::report::StatusEntry>) {
    let mut found = Vec::new();
    let mut notes = Vec::new();
    for (id, store) in stores {
        match store.and_then(|store| decide(&store, &id)) {
            Ok(recovery) => found.push(recovery),
            Err(why) => notes.push(crate::report::StatusEntry {
                code: crate::code::Code::RemoteRegistry.to_string(),
                kind: "informational".into(),
                explanation: Some(format!("registry match {id} was not used: {why}")),
                scope: Some("registry".into()),
                url: None,
            }),
        }
    }
    found.sort_by_key(Recovery::rank);
    (found.into_iter().next(), notes)
}

/// A video's row in `manifests`: its best frame's PDQ hash and quality (the
/// first of the highest quality), and as pixel digest a keyed BLAKE3 of its
/// vPDQ text, in a domain of its own so that no picture's digest equals it.
pub(crate) fn video_entry_hash(
    video: &crate::vpdq::VideoHash,
    width: u32,
    height: u32,
) -> ImageHash {
    let best = video
        .frames
        .iter()
        .fold(None::<&crate::vpdq::VpdqFrame>, |best, f| match best {
            Some(b) if b.quality >= f.quality => Some(b),
            _ => Some(f),
        });
    let digest = blake3::derive_key(
        "hallmark registry 2026 video vpdq digest v1",
        crate::vpdq::write_text(video).as_bytes(),
    );
    ImageHash {
        pdq: best.map(|f| f.pdq).unwrap_or_default(),
        quality: best.map_or(0, |f| f.quality),
        pixel_digest: PixelDigest(digest),
        width,
        height,
    }
}
