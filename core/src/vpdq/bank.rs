//! A bank of known videos: vPDQ hashes with labels, for `hallmark match`.
//! On disk it is a folder of `.vpdq.txt` files (the reference text format);
//! a file's label is the name of the folder it is in below the bank's
//! (`bank/known-fake/clip.vpdq.txt` is `known-fake`), or `match` at the top,
//! and its note is its name without `.vpdq.txt`.
//!
//! A query is compared with every video of the bank by the reference rule
//! ([`super::compare`]), but only with those that can match: one multi-index
//! over every bank video's distinct hashes finds the videos with a frame near
//! some frame of the query, and those alone are compared in full. A video
//! with no frame near the query's has a query-match percentage of 0, so the
//! answer is the one comparing every video would give.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{compare, parse_text, CompareOptions, Comparison, VideoHash};
use crate::label::{clean_field, clean_label, DEFAULT_LABEL};
use crate::mih::HashIndex;
use crate::pdq::PdqHash;

/// The suffix of the files a bank folder holds.
pub const HASH_FILE_SUFFIX: &str = ".vpdq.txt";
/// Most hash files in one bank folder.
pub const MAX_BANK_VIDEOS: usize = 100_000;
/// Most frames of all the bank's videos together (48 bytes each in memory).
pub const MAX_BANK_FRAMES: usize = 20_000_000;
/// How deep below the bank folder files are looked for.
const MAX_DEPTH: usize = 8;
/// Largest hash file read, in bytes (the text of [`super::MAX_TEXT_FRAMES`] frames).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// One known video.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoEntry {
    pub label: String,
    pub note: String,
    /// The hash file it was read from, below the bank folder.
    pub file: String,
    pub hash: VideoHash,
}

/// A hash file of the folder that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoBankProblem {
    pub path: PathBuf,
    pub message: String,
}

/// A bank video that matched a query.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoMatch<'a> {
    /// The entry's position in the bank ([`VideoBank::entries`]).
    pub id: usize,
    pub entry: &'a VideoEntry,
    pub comparison: Comparison,
}

#[derive(Debug, Default)]
pub struct VideoBank {
    entries: Vec<VideoEntry>,
    /// Every distinct frame hash of every entry.
    index: HashIndex,
    /// For each id of `index`, the entries that hold that hash.
    owners: Vec<Vec<u32>>,
    ids: HashMap<PdqHash, usize>,
    frames: usize,
}

impl VideoBank {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn entries(&self) -> &[VideoEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Add a video; false (and nothing added) past [`MAX_BANK_VIDEOS`] or
    /// [`MAX_BANK_FRAMES`].
    pub fn push(&mut self, label: &str, note: &str, file: String, hash: VideoHash) -> bool {
        if self.entries.len() >= MAX_BANK_VIDEOS
            || self.frames.saturating_add(hash.len()) > MAX_BANK_FRAMES
        {
            return false;
        }
        let at = self.entries.len() as u32;
        for f in &hash.frames {
            let id = match self.ids.get(&f.pdq) {
                Some(&id) => id,
                None => {
                    let Some(id) = self.index.push(f.pdq) else {
                        continue;
                    };
                    self.ids.insert(f.pdq, id);
                    self.owners.push(Vec::new());
                    id
                }
            };
            if self.owners[id].last() != Some(&at) {
                self.owners[id].push(at);
            }
        }
        self.frames += hash.len();
        self.entries.push(VideoEntry {
            label: clean_label(label),
            note: clean_field(note),
            file,
            hash,
        });
        true
    }

    /// Read every `.vpdq.txt` file below `dir`. A file that can't be read or
    /// parsed is left out and reported; the rest load.
    pub fn load_dir(dir: &Path) -> std::io::Result<(Self, Vec<VideoBankProblem>)> {
        let mut bank = Self::new();
        let problems = Self::read_dir(dir, |e| bank.push(&e.label, &e.note, e.file, e.hash))?;
        Ok((bank, problems))
    }

    /// Read every `.vpdq.txt` file below `dir`, in path order, handing each
    /// to `add` (its label from its subfolder, its note from its name);
    /// `add` answers false when it is full, which ends the reading. Returns
    /// the files left out, and why.
    pub fn read_dir(
        dir: &Path,
        mut add: impl FnMut(VideoEntry) -> bool,
    ) -> std::io::Result<Vec<VideoBankProblem>> {
        let mut files = Vec::new();
        collect(dir, 0, &mut files)?;
        files.sort();
        let mut problems = Vec::new();
        for path in files {
            let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
            let problem = |message: String| VideoBankProblem {
                path: path.clone(),
                message,
            };
            let text = match crate::input::read_input(&path, MAX_FILE_BYTES) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(_) => {
                        problems.push(problem("not UTF-8 text".into()));
                        continue;
                    }
                },
                Err(e) => {
                    problems.push(problem(e.to_string()));
                    continue;
                }
            };
            let hash = match parse_text(&text) {
                Ok(hash) => hash,
                Err(e) => {
                    problems.push(problem(e.to_string()));
                    continue;
                }
            };
            let label = match relative.components().count() {
                0 | 1 => DEFAULT_LABEL.to_string(),
                _ => relative
                    .components()
                    .next()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            let name = relative
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let note = name.strip_suffix(HASH_FILE_SUFFIX).unwrap_or(&name);
            let entry = VideoEntry {
                label,
                note: note.to_string(),
                file: relative.to_string_lossy().into_owned(),
                hash,
            };
            if !add(entry) {
                problems.push(problem(full_message()));
                break;
            }
        }
        Ok(problems)
    }

    /// The bank videos that match `query` by the reference rule, best first
    /// (highest query-match percentage, then compared-match percentage, then
    /// bank order).
    pub fn matches(&self, query: &VideoHash, options: &CompareOptions) -> Vec<VideoMatch<'_>> {
        let everything = options.query_percent <= 0.0 && options.compared_percent <= 0.0;
        let mut candidates: Vec<u32> = if everything {
            (0..self.entries.len() as u32).collect()
        } else {
            let mut seen = std::collections::HashSet::new();
            for f in query.frames.iter().filter(|f| f.quality >= options.quality) {
                for m in self.index.search(&f.pdq, options.distance) {
                    seen.extend(self.owners[m.id].iter().copied());
                }
            }
            seen.into_iter().collect()
        };
        candidates.sort_unstable();
        let mut out: Vec<VideoMatch<'_>> = candidates
            .into_iter()
            .filter_map(|i| {
                let entry = &self.entries[i as usize];
                let comparison = compare(query, &entry.hash, options);
                comparison.matched.then_some(VideoMatch {
                    id: i as usize,
                    entry,
                    comparison,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.comparison
                .query_match_percent
                .total_cmp(&a.comparison.query_match_percent)
                .then(
                    b.comparison
                        .compared_match_percent
                        .total_cmp(&a.comparison.compared_match_percent),
                )
        });
        out
    }
}

/// Why a video was not added: the bank is full.
pub fn full_message() -> String {
    format!("the bank is full ({MAX_BANK_VIDEOS} videos or {MAX_BANK_FRAMES} frames)")
}

/// The `.vpdq.txt` files below `dir` (links are not followed).
fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() && depth + 1 < MAX_DEPTH {
            collect(&path, depth + 1, out)?;
        } else if kind.is_file()
            && entry
                .file_name()
                .to_string_lossy()
                .ends_with(HASH_FILE_SUFFIX)
        {
            out.push(path);
            if out.len() > MAX_BANK_VIDEOS {
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::vpdq::VpdqFrame;

    fn video(seed: u64, n: u64) -> VideoHash {
        // Frames far apart from each other: hashes of a simple generator.
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let frames = (0..n)
            .map(|i| {
                let mut lanes = [0u64; 4];
                for l in &mut lanes {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    *l = state;
                }
                VpdqFrame {
                    frame: i * 30,
                    time: i as f64,
                    pdq: PdqHash::from_lanes(lanes),
                    quality: 100,
                }
            })
            .collect();
        VideoHash::new(frames)
    }

    #[test]
    fn finds_the_videos_that_match_as_comparing_each_would() {
        let mut bank = VideoBank::new();
        for i in 0..50 {
            assert!(bank.push(
                "known-fake",
                &format!("v{i}"),
                format!("v{i}.vpdq.txt"),
                video(i, 40)
            ));
        }
        // The query: 30 frames of video 7 and 10 of its own.
        let mut frames = video(7, 30).frames;
        frames.extend(video(1000, 10).frames.into_iter().map(|mut f| {
            f.frame += 10_000;
            f
        }));
        let query = VideoHash::new(frames);
        for options in [
            CompareOptions::default(),
            CompareOptions {
                query_percent: 50.0,
                ..CompareOptions::default()
            },
            CompareOptions {
                query_percent: 0.0,
                ..CompareOptions::default()
            },
        ] {
            let found: Vec<(String, f64)> = bank
                .matches(&query, &options)
                .into_iter()
                .map(|m| (m.entry.note.clone(), m.comparison.query_match_percent))
                .collect();
            let expected: Vec<(String, f64)> = bank
                .entries()
                .iter()
                .filter_map(|e| {
                    let c = compare(&query, &e.hash, &options);
                    c.matched.then(|| (e.note.clone(), c.query_match_percent))
                })
                .collect();
            let mut sorted = expected.clone();
            sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
            assert_eq!(found, sorted, "{options:?}");
        }
        let default = bank.matches(&query, &CompareOptions::default());
        assert!(default.is_empty(), "75 % is under 80 %");
        let half = bank.matches(
            &query,
            &CompareOptions {
                query_percent: 50.0,
                ..CompareOptions::default()
            },
        );
        assert_eq!(half.len(), 1);
        assert_eq!(half[0].entry.note, "v7");
        assert_eq!(half[0].comparison.query_match_percent, 75.0);
        assert_eq!(
            bank.matches(
                &query,
                &CompareOptions {
                    query_percent: 0.0,
                    compared_percent: 0.0,
                    ..CompareOptions::default()
                }
            )
            .len(),
            50
        );
    }

    #[test]
    fn a_folder_gives_labels_by_subfolder_and_reports_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("known-fake")).unwrap();
        let text = crate::vpdq::write_text(&video(1, 3));
        std::fs::write(dir.path().join("known-fake/clip.vpdq.txt"), &text).unwrap();
        std::fs::write(dir.path().join("top.vpdq.txt"), &text).unwrap();
        std::fs::write(dir.path().join("bad.vpdq.txt"), "0,100,zz,0.0\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a hash").unwrap();
        let (bank, problems) = VideoBank::load_dir(dir.path()).unwrap();
        let got: Vec<(&str, &str, &str)> = bank
            .entries()
            .iter()
            .map(|e| (e.label.as_str(), e.note.as_str(), e.file.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("known-fake", "clip", "known-fake/clip.vpdq.txt"),
                ("match", "top", "top.vpdq.txt")
            ]
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].path.ends_with("bad.vpdq.txt"));
        assert!(
            problems[0].message.contains("line 1"),
            "{}",
            problems[0].message
        );
    }
}
