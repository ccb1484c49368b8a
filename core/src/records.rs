//! What `hallmark hash`, `match` and `registry` print for each file, one
//! JSON line a file. These are serialisable core types, so that every shell
//! writes the same keys from one place (as `verify`, `scan` and `feed` print
//! the one [`Report`](crate::Report)). Every key is always present, `null`
//! where it doesn't apply.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::bank::{best_match, Bank, LOW_QUALITY, UNKNOWN};
use crate::pdq::{Dihedral, PdqHash, MIN_MATCH_QUALITY};
use crate::pixels::ImageHash;
use crate::report::ErrorInfo;
use crate::vpdq::{CompareOptions, Comparison, Hashed, VideoBank, VideoHash, VideoInfo, VpdqFrame};

#[cfg(feature = "registry")]
use crate::pixels::PixelDigest;
#[cfg(feature = "registry")]
use crate::registry::{Entry, FileLookup, Recovery};

/// `hallmark hash --json`: one file's hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HashRecord {
    pub path: String,
    #[serde(flatten)]
    pub hash: ImageHash,
    /// With `--dihedral`: the PDQ hash of each rotation and reflection, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dihedral: Option<BTreeMap<&'static str, PdqHash>>,
}

impl HashRecord {
    pub fn new(path: String, hash: ImageHash, dihedral: Option<&Dihedral>) -> Self {
        Self {
            path,
            hash,
            dihedral: dihedral.map(|d| d.all().into_iter().collect()),
        }
    }
}

/// The bank entry an image matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedEntry {
    pub label: String,
    pub note: String,
    pub distance: u32,
    /// Which rotation or reflection of the image matched (`original` when unturned).
    pub transform: &'static str,
    /// The bank's hash.
    pub pdq: PdqHash,
}

/// `hallmark match --json`: what one image matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchRecord {
    pub path: String,
    /// The image's own PDQ hash (unturned).
    pub pdq: PdqHash,
    pub quality: u8,
    /// The matched entry's label, [`UNKNOWN`], or [`LOW_QUALITY`].
    pub label: String,
    #[serde(rename = "match")]
    pub matched: Option<MatchedEntry>,
}

impl MatchRecord {
    /// Match an image's eight orientations against `banks` within
    /// `threshold` bits; an image under PDQ quality 50 never matches.
    pub fn new(path: String, hashes: &Dihedral, banks: &[Bank], threshold: u32) -> Self {
        let low_quality = hashes.quality < MIN_MATCH_QUALITY;
        let found = if low_quality {
            None
        } else {
            best_match(banks, hashes, threshold)
        };
        let label = match &found {
            _ if low_quality => LOW_QUALITY.to_string(),
            Some(m) => m.entry.label.clone(),
            None => UNKNOWN.to_string(),
        };
        Self {
            path,
            pdq: hashes.original,
            quality: hashes.quality,
            label,
            matched: found.map(|m| MatchedEntry {
                label: m.entry.label.clone(),
                note: m.entry.note.clone(),
                distance: m.distance,
                transform: m.transform,
                pdq: m.entry.hash,
            }),
        }
    }
}

/// `hallmark hash --json` of a video, or of a vPDQ hash file: the hash of
/// each sampled frame, beside what decoding told (`null` for a hash file).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoHashRecord {
    pub path: String,
    /// The container's media type, or `text/x-vpdq` for a hash file.
    pub format: &'static str,
    pub codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frame_rate: Option<f64>,
    pub frames_decoded: Option<u64>,
    /// Of those, frames left undecoded: not sampled, and not referred to.
    pub frames_skipped: Option<u64>,
    pub bad_packets: Option<u64>,
    /// Seconds between sampled frames (`null` for a hash file).
    pub seconds_per_hash: Option<f64>,
    pub vpdq: Vec<VpdqFrame>,
}

/// The media type `hash --json` gives a vPDQ hash file.
pub const VPDQ_TEXT_FORMAT: &str = "text/x-vpdq";

impl VideoHashRecord {
    /// A decoded video sampled every `seconds_per_hash` seconds.
    pub fn video(path: String, info: &VideoInfo, hash: &VideoHash, seconds_per_hash: f64) -> Self {
        Self {
            path,
            format: info.format,
            codec: Some(info.codec.clone()),
            width: Some(info.width),
            height: Some(info.height),
            frame_rate: Some(info.frame_rate),
            frames_decoded: Some(info.frames_decoded),
            frames_skipped: Some(info.frames_skipped),
            bad_packets: Some(info.bad_packets),
            seconds_per_hash: Some(seconds_per_hash),
            vpdq: hash.frames.clone(),
        }
    }

    /// A hash file, read back.
    pub fn hash_file(path: String, hash: &VideoHash) -> Self {
        Self {
            path,
            format: VPDQ_TEXT_FORMAT,
            codec: None,
            width: None,
            height: None,
            frame_rate: None,
            frames_decoded: None,
            frames_skipped: None,
            bad_packets: None,
            seconds_per_hash: None,
            vpdq: hash.frames.clone(),
        }
    }
}

/// `hallmark compare --json`: how much of each input matches the other.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRecord {
    pub query: String,
    pub compared: String,
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// A bank video a query matched (`hallmark match --json` against a video bank).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoMatchedEntry {
    pub label: String,
    pub note: String,
    /// The bank's hash file, below its folder.
    pub file: String,
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// `hallmark match --json` of a video, a picture or a hash file against a
/// video bank: every bank video it matches, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoMatchRecord {
    pub path: String,
    /// Frames of the query's hash (a picture is one).
    pub frames: usize,
    /// The best match's label, [`UNKNOWN`], or [`LOW_QUALITY`] when no frame
    /// reaches the quality matching needs.
    pub label: String,
    pub matches: Vec<VideoMatchedEntry>,
}

impl VideoMatchRecord {
    pub fn new(
        path: String,
        query: &VideoHash,
        bank: &VideoBank,
        options: &CompareOptions,
    ) -> Self {
        let low_quality = query.frames.iter().all(|f| f.quality < options.quality);
        let matches: Vec<VideoMatchedEntry> = if low_quality {
            Vec::new()
        } else {
            bank.matches(query, options)
                .into_iter()
                .map(|m| VideoMatchedEntry {
                    label: m.entry.label.clone(),
                    note: m.entry.note.clone(),
                    file: m.entry.file.clone(),
                    comparison: m.comparison,
                })
                .collect()
        };
        let label = match matches.first() {
            _ if low_quality => LOW_QUALITY.to_string(),
            Some(m) => m.label.clone(),
            None => UNKNOWN.to_string(),
        };
        Self {
            path,
            frames: query.len(),
            label,
            matches,
        }
    }
}

/// The bank `hallmark match` reads: picture hashes, videos, or both (a
/// SQLite bank's `hashes` and `videos` tables).
#[derive(Debug, Default)]
pub struct MatchBank {
    pictures: Bank,
    videos: VideoBank,
    /// `videos` and every picture hash as a one-frame video, made on the
    /// first video query against a bank that holds pictures.
    with_pictures: std::sync::OnceLock<VideoBank>,
}

/// What `hallmark match` says of one input.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchOutcome {
    /// A picture against the bank's picture hashes (its eight turns).
    Picture(MatchRecord),
    /// A video or hash file (or a picture, when the bank holds only videos)
    /// against the bank's videos by the reference rule.
    Video(VideoMatchRecord),
}

/// The frame quality a bank's picture hash is given as a one-frame video:
/// a bank holds what is meant to be matched, and PDQ banks keep no quality.
pub const BANK_PICTURE_QUALITY: u8 = 100;

impl MatchBank {
    pub fn new(pictures: Bank, videos: VideoBank) -> Self {
        Self {
            pictures,
            videos,
            with_pictures: std::sync::OnceLock::new(),
        }
    }

    /// Everything a [`BankSet`](crate::bank::BankSet) loaded: its picture
    /// hashes with their labels and notes, and its videos.
    #[cfg(feature = "scan")]
    pub fn from_set(set: crate::bank::BankSet) -> Self {
        let pictures = (0..set.len())
            .filter_map(|id| set.get(id))
            .map(|r| crate::bank::BankEntry {
                hash: r.hash,
                label: r.label.to_string(),
                note: r.note.to_string(),
            })
            .collect();
        Self::new(Bank::from_entries(pictures), set.into_videos())
    }

    pub fn pictures(&self) -> &Bank {
        &self.pictures
    }

    pub fn videos(&self) -> &VideoBank {
        &self.videos
    }

    pub fn is_empty(&self) -> bool {
        self.pictures.is_empty() && self.videos.is_empty()
    }

    /// Match one input. A picture goes against the picture hashes when the
    /// bank has any (all eight turns, within `options.distance` bits), else
    /// against the videos as a one-frame video. A video or hash file goes
    /// against the videos and, as one-frame videos, the picture hashes (so a
    /// still shot of a known picture is found), by the reference rule.
    pub fn record(&self, path: String, input: &Hashed, options: &CompareOptions) -> MatchOutcome {
        match input {
            Hashed::Image(image) if !self.pictures.is_empty() => {
                MatchOutcome::Picture(MatchRecord::new(
                    path,
                    &image.pdq_dihedral(),
                    std::slice::from_ref(&self.pictures),
                    options.distance,
                ))
            }
            Hashed::Image(_) => MatchOutcome::Video(VideoMatchRecord::new(
                path,
                &input.video_hash(),
                &self.videos,
                options,
            )),
            Hashed::Video { .. } | Hashed::HashFile(_) => MatchOutcome::Video(
                VideoMatchRecord::new(path, &input.video_hash(), self.video_bank(), options),
            ),
        }
    }

    /// The videos, and the picture hashes as one-frame videos named
    /// `picture PDQ_HEX` (bank caps apply: past them, pictures are left out).
    fn video_bank(&self) -> &VideoBank {
        if self.pictures.is_empty() {
            return &self.videos;
        }
        self.with_pictures.get_or_init(|| {
            let mut bank = copy_of(&self.videos);
            for e in self.pictures.entries() {
                let frame = VpdqFrame {
                    frame: 0,
                    time: 0.0,
                    pdq: e.hash,
                    quality: BANK_PICTURE_QUALITY,
                };
                let file = format!("picture {}", e.hash);
                if !bank.push(&e.label, &e.note, file, VideoHash::new(vec![frame])) {
                    break;
                }
            }
            bank
        })
    }
}

/// A video bank with the same entries (each frame index is built anew).
fn copy_of(videos: &VideoBank) -> VideoBank {
    let mut copy = VideoBank::new();
    for e in videos.entries() {
        copy.push(&e.label, &e.note, e.file.clone(), e.hash.clone());
    }
    copy
}

/// A file that `hash` or `match` could not read or decode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorRecord {
    pub path: String,
    pub error: ErrorInfo,
}

/// `hallmark registry add --json`: what happened to one file.
#[cfg(feature = "registry")]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddRecord {
    pub path: String,
    /// `added`, `exists` (the same bytes were registered before) or `rejected`.
    pub status: &'static str,
    pub entry: Option<Entry>,
    pub error: Option<ErrorInfo>,
}

/// `hallmark registry lookup --json`: the registered files one file shows.
#[cfg(feature = "registry")]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookupRecord {
    pub path: String,
    pub pdq: Option<PdqHash>,
    pub quality: Option<u8>,
    pub pixel_digest: Option<PixelDigest>,
    /// Best first (see [`crate::registry::Registry::lookup_file`]).
    pub matches: Vec<Recovery>,
    /// Entries that matched but were not used: their stored credentials no
    /// longer validate, or disagree with their row.
    pub refused: Vec<crate::report::StatusEntry>,
    pub error: Option<ErrorInfo>,
}

#[cfg(feature = "registry")]
impl LookupRecord {
    pub fn found(path: String, lookup: FileLookup) -> Self {
        Self {
            path,
            pdq: Some(lookup.hash.pdq),
            quality: Some(lookup.hash.quality),
            pixel_digest: Some(lookup.hash.pixel_digest),
            matches: lookup.matches,
            refused: lookup.refused,
            error: None,
        }
    }

    pub fn failed(path: String, error: ErrorInfo) -> Self {
        Self {
            path,
            pdq: None,
            quality: None,
            pixel_digest: None,
            matches: Vec::new(),
            refused: Vec::new(),
            error: Some(error),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::pixels::PixelDigest;

    const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    fn dihedral(quality: u8) -> Dihedral {
        let h = PdqHash::from_hex(BRIDGE).unwrap();
        let far = PdqHash::from_hex(&"0".repeat(64)).unwrap();
        Dihedral {
            original: far,
            rotate90: h,
            rotate180: far,
            rotate270: far,
            flip_x: far,
            flip_y: far,
            flip_plus1: far,
            flip_minus1: far,
            quality,
        }
    }

    #[test]
    fn a_match_names_the_turn_that_matched_and_low_quality_never_matches() {
        let (bank, _) = Bank::parse_tsv(&format!("{BRIDGE}\tknown-fake\tbridge\n"));
        let banks = [Bank::default(), bank];
        let record = MatchRecord::new("a.jpg".into(), &dihedral(90), &banks, 31);
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "path": "a.jpg", "pdq": "0".repeat(64), "quality": 90, "label": "known-fake",
                "match": {"label": "known-fake", "note": "bridge", "distance": 0,
                          "transform": "rotate90", "pdq": BRIDGE}
            })
        );
        let low = MatchRecord::new("a.jpg".into(), &dihedral(49), &banks, 31);
        assert_eq!((low.label.as_str(), low.matched), (LOW_QUALITY, None));
        let none = MatchRecord::new("a.jpg".into(), &dihedral(90), &banks[..1], 31);
        assert_eq!(none.label, UNKNOWN);
    }

    #[test]
    fn a_hash_record_flattens_the_hashes_and_names_each_turn() {
        let d = dihedral(80);
        let hash = ImageHash {
            pdq: d.original,
            quality: 80,
            pixel_digest: PixelDigest([7; 32]),
            width: 4,
            height: 3,
        };
        let json = serde_json::to_value(HashRecord::new("x.png".into(), hash, Some(&d))).unwrap();
        assert_eq!(json["pixel_digest"], "07".repeat(32));
        assert_eq!(json["width"], 4);
        assert_eq!(json["dihedral"]["rotate90"], BRIDGE);
        assert_eq!(json["dihedral"].as_object().unwrap().len(), 8);
        let plain = serde_json::to_value(HashRecord::new("x.png".into(), hash, None)).unwrap();
        assert!(plain.get("dihedral").is_none());
    }
}
