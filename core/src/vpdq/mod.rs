//! vPDQ, Meta's video hash: the PDQ hash and quality of frames sampled every
//! `seconds_per_hash` seconds, each with its frame number and time. Two
//! videos are compared by the share of each one's distinct good frames that
//! are near some frame of the other ([`compare`]).
//!
//! Frames come from FFmpeg ([`decode`], feature `video`); this part (types,
//! the reference text format, matching) has no dependency on it and builds
//! everywhere, WASM included.

mod bank;
mod binding;
#[cfg(feature = "video")]
pub mod decode;
#[cfg(feature = "video")]
mod lazy;
mod matching;
mod media;
mod text;

#[cfg(feature = "scan")]
pub(crate) use bank::full_message as video_bank_full;
pub use bank::{
    VideoBank, VideoBankProblem, VideoEntry, VideoMatch, HASH_FILE_SUFFIX, MAX_BANK_FRAMES,
    MAX_BANK_VIDEOS, MAX_FILE_BYTES as MAX_HASH_FILE_BYTES,
};
pub use binding::{
    clock_ranges, clock_span, compare_signed, signed_frames, signed_video_hash, soft_binding,
    SignedFrame, TimeRange, VideoFrames, MAX_SIGNED_FRAMES, SIGNED_SECONDS_PER_HASH,
    VIDEO_BINDING_NAME,
};
pub use matching::{compare, compare_exhaustive, CompareOptions, Comparison, Segment};
#[cfg(feature = "registry")]
pub(crate) use media::hash_source;
pub use media::{read_hashed, Hashed, HashedError};
pub use text::{looks_like_text, parse_text, write_text, TextError, MAX_TEXT_FRAMES};

use crate::pdq::PdqHash;

/// The hash of one sampled frame.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct VpdqFrame {
    /// Index of the frame among the decoded frames, from 0.
    pub frame: u64,
    /// Seconds from the start: `frame / frame rate`, as the reference computes it.
    pub time: f64,
    pub pdq: PdqHash,
    /// 0–100; frames under [`crate::pdq::MIN_MATCH_QUALITY`] are not matched on.
    pub quality: u8,
}

/// The frames a video hash is made of, in frame order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoHash {
    pub frames: Vec<VpdqFrame>,
}

impl VideoHash {
    pub fn new(mut frames: Vec<VpdqFrame>) -> Self {
        frames.sort_by_key(|f| f.frame);
        Self { frames }
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Seconds from the first to the last sampled frame.
    pub fn span(&self) -> f64 {
        match (self.frames.first(), self.frames.last()) {
            (Some(a), Some(b)) => (b.time - a.time).max(0.0),
            _ => 0.0,
        }
    }
}

/// How often frames are sampled: every `seconds_per_hash` seconds at
/// `frame_rate` frames a second is every `frame_mod`-th frame. The reference's
/// rule: the product truncated, and at least 1 (so 0 means every frame).
pub fn frame_mod(seconds_per_hash: f64, frame_rate: f64) -> u64 {
    let product = seconds_per_hash * frame_rate;
    if product.is_finite() && product >= 1.0 {
        // Truncation as the reference's cast to int; beyond u32 nothing is sampled but frame 0.
        (product.min(f64::from(u32::MAX))) as u64
    } else {
        1
    }
}

/// `frame / frame_rate` in `f32`, as the reference computes a frame's time,
/// widened to `f64` and rounded to the millisecond its text format keeps.
pub fn frame_time(frame: u64, frame_rate: f64) -> f64 {
    let t = frame as f32 / frame_rate as f32;
    if t.is_finite() {
        (f64::from(t) * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

/// How a video is hashed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoOptions {
    /// Seconds between sampled frames (the reference's `seconds_per_hash`); 0 is every frame.
    pub seconds_per_hash: f64,
    /// Threads for decoding and hashing; 0 is one a core.
    pub threads: usize,
}

impl Default for VideoOptions {
    fn default() -> Self {
        Self {
            seconds_per_hash: 1.0,
            threads: 0,
        }
    }
}

/// What decoding told about a video.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VideoInfo {
    /// The container's media type (`video/mp4`…).
    pub format: &'static str,
    /// The decoder's name (`h264`, `hevc`, `vp9`…).
    pub codec: String,
    pub width: u32,
    pub height: u32,
    /// The stream's average frame rate (its real base rate when none is given).
    pub frame_rate: f64,
    /// Frames of the video stream, sampled or not: decoded, or skipped
    /// undecoded (`frames_skipped` of them).
    pub frames_decoded: u64,
    /// Frames never decoded: not sampled, and no other frame refers to them
    /// (when sampling, not every frame).
    pub frames_skipped: u64,
    /// Packets that did not decode and were skipped.
    pub bad_packets: u64,
}

/// A time as a clock reads it, to the second: `00:12`, or `1:02:03` past an hour.
pub fn clock(seconds: f64) -> String {
    let s = if seconds.is_finite() && seconds > 0.0 {
        seconds.floor().min(f64::from(u32::MAX)) as u64
    } else {
        0
    };
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_follows_the_reference_rule() {
        assert_eq!(frame_mod(1.0, 30.0), 30);
        assert_eq!(frame_mod(1.0, 29.97), 29);
        assert_eq!(frame_mod(0.0, 30.0), 1);
        assert_eq!(frame_mod(1.0, 0.5), 1);
        assert_eq!(frame_mod(0.5, 25.0), 12);
        assert_eq!(frame_mod(f64::NAN, 25.0), 1);
        assert_eq!(frame_mod(1e30, 25.0), u64::from(u32::MAX));
    }

    #[test]
    fn clock_times_read_as_a_clock() {
        assert_eq!(clock(0.0), "00:00");
        assert_eq!(clock(12.967), "00:12");
        assert_eq!(clock(75.0), "01:15");
        assert_eq!(clock(3723.5), "1:02:03");
        assert_eq!(clock(-3.0), "00:00");
        assert_eq!(clock(f64::NAN), "00:00");
    }

    #[test]
    fn times_are_those_the_reference_writes() {
        assert_eq!(frame_time(1, 30.0), 0.033);
        assert_eq!(frame_time(2, 30.0), 0.067);
        assert_eq!(frame_time(563, 30.0), 18.767);
        assert_eq!(frame_time(5, 0.0), 0.0);
    }
}
