//! The frames a video was signed with, and which seconds of it changed.
//!
//! Signing a video records the PDQ hash of one frame a second in a
//! `c2pa.soft-binding` assertion: a block a sampled frame, its scope the
//! timespan the frame stands for (milliseconds, as C2PA's timespans are),
//! its value the hash in PDQ's hex form. When the video's hard binding (the
//! BMFF hash) no longer matches, the verifier hashes the file's frames again
//! at the same times and compares them with the signed ones
//! ([`compare_signed`]): the seconds whose frame is still within the
//! threshold match; the others changed; signed seconds past the file's end
//! are missing.

use serde::{Deserialize, Serialize};

use super::{clock, VideoHash};
use crate::pdq::PdqHash;
use crate::pixels::SOFT_BINDING_ALG;

/// Seconds between the frames a signed video's soft binding records.
pub const SIGNED_SECONDS_PER_HASH: f64 = 1.0;
/// The `name` of the soft binding Hallmark writes for a video.
pub const VIDEO_BINDING_NAME: &str =
    "PDQ hash of one frame a second (vPDQ sampling); scope: the seconds it stands for";
/// Most signed frames read back from a manifest (a day at one a second is 86,400).
pub const MAX_SIGNED_FRAMES: usize = 1_000_000;

/// One signed frame: the hash, and the span of time it stands for (seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignedFrame {
    pub start: f64,
    pub end: f64,
    pub pdq: PdqHash,
}

/// The soft-binding assertion's data for a video's sampled frames: each
/// frame's span runs to the next frame's time (the last one's, a sampling
/// step past it).
pub fn soft_binding(hash: &VideoHash, seconds_per_hash: f64) -> serde_json::Value {
    let ms = |t: f64| (t * 1000.0).round().max(0.0) as u64;
    let step = if seconds_per_hash > 0.0 {
        seconds_per_hash
    } else {
        1.0
    };
    let blocks: Vec<serde_json::Value> = hash
        .frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let end = hash.frames.get(i + 1).map_or(f.time + step, |n| n.time);
            serde_json::json!({
                "scope": {"timespan": {"start": ms(f.time), "end": ms(end)}},
                "value": f.pdq.to_hex(),
            })
        })
        .collect();
    serde_json::json!({
        "alg": SOFT_BINDING_ALG,
        "name": VIDEO_BINDING_NAME,
        "blocks": blocks,
    })
}

/// Signed frames as a video hash, to compare with by the reference rule
/// ([`super::compare`]): numbered in order, each at its span's start. A
/// signed frame's quality is not recorded, so each counts as 100.
pub fn signed_video_hash(signed: &[SignedFrame]) -> VideoHash {
    VideoHash::new(
        signed
            .iter()
            .enumerate()
            .map(|(i, f)| super::VpdqFrame {
                frame: i as u64,
                time: f.start,
                pdq: f.pdq,
                quality: 100,
            })
            .collect(),
    )
}

/// The signed frames of a soft-binding assertion's data, when it is
/// Hallmark's video binding: blocks whose scope is a timespan. Blocks that
/// are not well formed are skipped; `None` when none is.
pub fn signed_frames(data: &serde_json::Value) -> Option<Vec<SignedFrame>> {
    if data.get("alg")?.as_str()? != SOFT_BINDING_ALG {
        return None;
    }
    let mut frames: Vec<SignedFrame> = data
        .get("blocks")?
        .as_array()?
        .iter()
        .take(MAX_SIGNED_FRAMES)
        .filter_map(|b| {
            let span = b.get("scope")?.get("timespan")?;
            let start = span.get("start")?.as_u64()?;
            let end = span.get("end")?.as_u64()?;
            let pdq = PdqHash::from_hex(b.get("value")?.as_str()?)?;
            (end > start).then_some(SignedFrame {
                start: start as f64 / 1000.0,
                end: end as f64 / 1000.0,
                pdq,
            })
        })
        .collect();
    frames.sort_by(|a, b| a.start.total_cmp(&b.start));
    (!frames.is_empty()).then_some(frames)
}

/// A stretch of time, in seconds from the start (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimeRange {
    pub start: f64,
    pub end: f64,
}

/// A stretch of time as a clock reads it: `00:12–00:15`.
pub fn clock_span(start: f64, end: f64) -> String {
    format!("{}–{}", clock(start), clock(end))
}

/// Time ranges as a clock reads them: `00:12–00:15, 01:02–01:03`.
pub fn clock_ranges(list: &[TimeRange]) -> String {
    list.iter()
        .map(|r| clock_span(r.start, r.end))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a tampered video's frames say against the signed ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VideoFrames {
    /// Signed frames compared.
    pub signed: usize,
    /// Of them, those whose frame in the file is still within the threshold.
    pub matching: usize,
    /// Where the frames changed.
    pub changed: Vec<TimeRange>,
    /// Signed stretches the file no longer has a frame for (cut short).
    pub missing: Vec<TimeRange>,
    /// The largest distance at which a frame counts as unchanged.
    pub threshold: u32,
}

impl VideoFrames {
    /// `00:12–00:15 changed, the rest matches the signed frames`, and the like.
    pub fn describe(&self) -> String {
        let ranges = clock_ranges;
        match (
            self.changed.is_empty(),
            self.missing.is_empty(),
            self.matching,
        ) {
            (true, true, _) => {
                "every signed frame (one a second) still matches; frames between them were not signed, so a change there can't be told".into()
            }
            (_, _, 0) => {
                "no signed frame matches: the credentials do not belong to this video".into()
            }
            (false, true, _) => format!(
                "{} changed, the rest matches the signed frames",
                ranges(&self.changed)
            ),
            (true, false, _) => format!(
                "{} missing (cut), the rest matches the signed frames",
                ranges(&self.missing)
            ),
            (false, false, _) => format!(
                "{} changed, {} missing (cut), the rest matches the signed frames",
                ranges(&self.changed),
                ranges(&self.missing)
            ),
        }
    }
}

/// Compare a video's frames now (hashed at the signed sampling) with the
/// signed ones: each signed frame is compared with the frame now nearest in
/// time within its span, and neighbouring frames that changed (or are
/// missing) are joined into ranges.
pub fn compare_signed(signed: &[SignedFrame], now: &VideoHash, threshold: u32) -> VideoFrames {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Same,
        Changed,
        Missing,
    }
    let mut states = Vec::with_capacity(signed.len());
    let mut at = 0;
    for s in signed {
        // `now` is in time order: move to the first frame at or past the span's start.
        while at < now.frames.len() && now.frames[at].time + 1e-3 < s.start {
            at += 1;
        }
        // The frame now that stands for this span: the first one inside it.
        let frame = now.frames[at..]
            .iter()
            .take_while(|f| f.time + 1e-3 < s.end)
            .next();
        states.push(match frame {
            None => State::Missing,
            Some(f) if f.pdq.distance(&s.pdq) <= threshold => State::Same,
            Some(_) => State::Changed,
        });
    }
    let mut out = VideoFrames {
        signed: signed.len(),
        matching: states.iter().filter(|&&s| s == State::Same).count(),
        changed: Vec::new(),
        missing: Vec::new(),
        threshold,
    };
    let mut i = 0;
    while i < states.len() {
        let state = states[i];
        let mut j = i;
        while j + 1 < states.len() && states[j + 1] == state {
            j += 1;
        }
        let range = TimeRange {
            start: signed[i].start,
            end: signed[j].end,
        };
        match state {
            State::Same => {}
            State::Changed => out.changed.push(range),
            State::Missing => out.missing.push(range),
        }
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::vpdq::VpdqFrame;

    fn hash(bits: u8) -> PdqHash {
        PdqHash::from_hex(&format!("{bits:02x}").repeat(32)).unwrap()
    }

    fn video(hashes: &[u8]) -> VideoHash {
        VideoHash::new(
            hashes
                .iter()
                .enumerate()
                .map(|(i, &h)| VpdqFrame {
                    frame: i as u64 * 30,
                    time: i as f64,
                    pdq: hash(h),
                    quality: 100,
                })
                .collect(),
        )
    }

    #[test]
    fn the_binding_round_trips_with_its_timespans() {
        let v = video(&[0x00, 0x0f, 0xff]);
        let data = soft_binding(&v, 1.0);
        assert_eq!(
            data["blocks"][1]["scope"]["timespan"],
            serde_json::json!({"start": 1000, "end": 2000})
        );
        assert_eq!(
            data["blocks"][2]["scope"]["timespan"],
            serde_json::json!({"start": 2000, "end": 3000})
        );
        let frames = signed_frames(&data).unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(
            (frames[2].start, frames[2].end, frames[2].pdq),
            (2.0, 3.0, hash(0xff))
        );
        // Another algorithm's binding, or an image's (no timespan), is not ours.
        let mut other = data.clone();
        other["alg"] = "com.example.watermark".into();
        assert_eq!(signed_frames(&other), None);
        let image = serde_json::json!({"alg": SOFT_BINDING_ALG, "blocks": [{"scope": {}, "value": hash(1).to_hex()}]});
        assert_eq!(signed_frames(&image), None);
    }

    #[test]
    fn changed_and_missing_seconds_become_ranges() {
        // 20 signed seconds; seconds 12, 13 and 14 changed, the file now ends at 18 s.
        let signed_video = video(&[0x00; 20]);
        let signed = signed_frames(&soft_binding(&signed_video, 1.0)).unwrap();
        let mut now = vec![0x00u8; 18];
        for h in &mut now[12..15] {
            *h = 0xff;
        }
        let frames = compare_signed(&signed, &video(&now), 31);
        assert_eq!(frames.signed, 20);
        assert_eq!(frames.matching, 15);
        assert_eq!(
            frames.changed,
            [TimeRange {
                start: 12.0,
                end: 15.0
            }]
        );
        assert_eq!(
            frames.missing,
            [TimeRange {
                start: 18.0,
                end: 20.0
            }]
        );
        assert_eq!(
            frames.describe(),
            "00:12–00:15 changed, 00:18–00:20 missing (cut), the rest matches the signed frames"
        );
        let same = compare_signed(&signed, &signed_video, 31);
        assert_eq!(
            (same.matching, same.changed.len(), same.missing.len()),
            (20, 0, 0)
        );
        let other = compare_signed(&signed, &video(&[0xff; 20]), 31);
        assert_eq!(
            other.describe(),
            "no signed frame matches: the credentials do not belong to this video"
        );
        let only_changed = compare_signed(
            &signed,
            &video(&now.iter().copied().chain([0, 0]).collect::<Vec<_>>()),
            31,
        );
        assert_eq!(
            only_changed.describe(),
            "00:12–00:15 changed, the rest matches the signed frames"
        );
    }

    #[test]
    fn a_frame_off_by_a_little_in_time_still_stands_for_its_second() {
        let signed = signed_frames(&soft_binding(&video(&[0x00; 3]), 1.0)).unwrap();
        let mut now = video(&[0x00; 3]);
        for f in &mut now.frames {
            f.time += 0.04; // one frame later at 25 fps
        }
        assert_eq!(compare_signed(&signed, &now, 31).matching, 3);
    }
}
