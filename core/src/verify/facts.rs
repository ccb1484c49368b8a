//! What a manifest states, read for the report: its actions and source type,
//! its claim generator, and the pixels it signed, compared with the pixels
//! there now when the hard binding fails.

use c2pa::Manifest;

use super::Verifier;
use crate::media::Source;
use crate::pdq::PdqHash;
use crate::pixels::{decode_rgba8, PixelDigest, PIXELS_ASSERTION};
use crate::report::{Report, SignedPixels};

/// What the manifest recorded about the signed pixels (Hallmark's own assertion).
pub(super) fn signed_pixels(manifest: &Manifest) -> Option<SignedPixels> {
    let value = manifest
        .assertions()
        .iter()
        .find(|a| a.label() == PIXELS_ASSERTION)?
        .value()
        .ok()?;
    Some(SignedPixels {
        digest: PixelDigest::from_hex(value.get("digest")?.as_str()?)?,
        pdq: PdqHash::from_hex(value.get("pdq")?.as_str()?)?,
        quality: number(value, "pdq_quality").min(100) as u8,
        width: number(value, "width"),
        height: number(value, "height"),
    })
}

/// A non-negative integer field as a u32 (0 when absent or out of range).
fn number(value: &serde_json::Value, key: &str) -> u32 {
    value
        .get(key)
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// The action names of the active manifest, and the first digital source type any of them states.
pub(super) fn actions_of(manifest: &Manifest) -> (Vec<String>, Option<String>) {
    let mut actions = Vec::new();
    let mut source_type = None;
    for assertion in manifest.assertions() {
        let label = assertion.label();
        if label != "c2pa.actions" && label != "c2pa.actions.v2" {
            continue;
        }
        let Ok(value) = assertion.value() else {
            continue;
        };
        let Some(list) = value.get("actions").and_then(|a| a.as_array()) else {
            continue;
        };
        for action in list {
            if let Some(name) = action.get("action").and_then(|a| a.as_str()) {
                actions.push(name.to_string());
            }
            if source_type.is_none() {
                source_type = action
                    .get("digitalSourceType")
                    .and_then(|t| t.as_str())
                    .map(str::to_string);
            }
        }
    }
    (actions, source_type)
}

/// The frames a video was signed with (Hallmark's per-second soft binding).
pub(super) fn signed_video(manifest: &Manifest) -> Option<Vec<crate::vpdq::SignedFrame>> {
    manifest
        .assertions()
        .iter()
        .filter(|a| a.label().starts_with("c2pa.soft-binding"))
        .find_map(|a| crate::vpdq::signed_frames(a.value().ok()?))
}

pub(super) fn claim_generator(manifest: &Manifest) -> Option<String> {
    if let Some(info) = manifest
        .claim_generator_info
        .as_ref()
        .and_then(|v| v.first())
    {
        return Some(match info.version.as_deref() {
            Some(version) => format!("{}/{version}", info.name),
            None => info.name.clone(),
        });
    }
    manifest.claim_generator().map(str::to_string)
}

impl Verifier {
    /// When the hard binding fails, tell "container rewritten, pixels intact"
    /// from "pixels changed" by decoding what is there now.
    pub(super) fn compare_pixels(
        &self,
        source: Source<'_>,
        format: crate::media::MediaFormat,
        report: &mut Report,
    ) {
        if let Some(frames) = report.signed_video.take() {
            self.compare_frames(source, format, &frames, report);
            return;
        }
        let Some(signed) = report.signed_pixels.take() else {
            return;
        };
        // Streamed files (audio, video) have no pixels Hallmark decodes.
        let image = source
            .bytes()
            .map(|bytes| decode_rgba8(bytes, &self.limits));
        let Some(Ok(image)) = image else {
            report.summary = format!("{}; the pixels can't be decoded any more", report.summary);
            return;
        };
        // PDQ is a function of the pixels: a hash that differs proves they
        // changed, and the digest (a pass over every byte) is needed only when it doesn't.
        let distance = image.binding_pdq().hash.distance(&signed.pdq);
        let digest_match = distance == 0 && image.digest().ct_eq(&signed.digest);
        report.pixels = Some(serde_json::json!({
            "digest": if digest_match { "match" } else { "mismatch" },
            "pdq_distance": distance,
        }));
        report.summary = if digest_match {
            "Tampered: container rewritten, pixels intact (the file's bytes changed after signing, but every pixel is as signed)".to_string()
        } else if distance <= crate::pdq::DEFAULT_MATCH_THRESHOLD {
            format!("Tampered: pixels changed after signing (a perceptually similar picture, PDQ distance {distance} bits)")
        } else {
            format!("Tampered: pixels changed after signing (a different picture, PDQ distance {distance} bits); the credentials do not belong to this file")
        };
    }

    /// A tampered video: hash its frames again at the signed sampling and
    /// say which seconds changed.
    #[cfg(feature = "video")]
    fn compare_frames(
        &self,
        source: Source<'_>,
        format: crate::media::MediaFormat,
        signed: &[crate::vpdq::SignedFrame],
        report: &mut Report,
    ) {
        let options = crate::vpdq::VideoOptions {
            seconds_per_hash: crate::vpdq::SIGNED_SECONDS_PER_HASH,
            threads: 0,
        };
        let now = crate::vpdq::decode::hash_video(source, format, &self.limits, &options);
        match now {
            Ok((_, now)) => {
                let frames =
                    crate::vpdq::compare_signed(signed, &now, crate::pdq::DEFAULT_MATCH_THRESHOLD);
                report.summary = format!("Tampered: {}", frames.describe());
                report.video_frames = Some(frames);
            }
            Err(e) => {
                report.summary = format!(
                    "{}; the frames can't be decoded to compare ({e})",
                    report.summary
                );
            }
        }
    }

    /// Without FFmpeg (WASM), the changed seconds are the CLI's to tell.
    #[cfg(not(feature = "video"))]
    fn compare_frames(
        &self,
        _source: Source<'_>,
        _format: crate::media::MediaFormat,
        _signed: &[crate::vpdq::SignedFrame],
        report: &mut Report,
    ) {
        report.summary = format!(
            "{}; changed seconds: check with the CLI (hallmark verify)",
            report.summary
        );
    }
}
