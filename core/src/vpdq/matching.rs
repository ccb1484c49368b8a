//! Comparing two video hashes by the reference's rule (Meta's vPDQ): keep the
//! distinct frame hashes of quality ≥ 50 in each video; the query-match
//! percentage is the share of the query's that lie within 31 bits of some
//! hash of the compared video, the compared-match percentage the reverse; the
//! videos match when both reach their thresholds (80 % and 0 % by default).
//!
//! The reference compares every pair of frames. Here each video's distinct
//! hashes go into a multi-index ([`crate::mih::HashIndex`]), which finds every
//! hash within the distance (exact recall) without the O(Fq·Fc) scan;
//! [`compare_exhaustive`] is the pairwise scan, kept to check and time it.
//!
//! Beyond the percentages, the matching time ranges: runs of query frames
//! whose matches in the compared video advance with them at a steady offset.

use std::collections::HashMap;

use super::{VideoHash, VpdqFrame};
use crate::mih::HashIndex;
use crate::pdq::{PdqHash, DEFAULT_MATCH_THRESHOLD, MIN_MATCH_QUALITY};

/// The thresholds of a comparison; the defaults are the reference library's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareOptions {
    /// Largest Hamming distance at which two frames match (inclusive).
    pub distance: u32,
    /// Frames under this quality are left out.
    pub quality: u8,
    /// Smallest query-match percentage of a match.
    pub query_percent: f64,
    /// Smallest compared-match percentage of a match.
    pub compared_percent: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            distance: DEFAULT_MATCH_THRESHOLD,
            quality: MIN_MATCH_QUALITY,
            query_percent: 80.0,
            compared_percent: 0.0,
        }
    }
}

/// A stretch of the query that matches a stretch of the compared video, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Segment {
    pub query_start: f64,
    pub query_end: f64,
    pub compared_start: f64,
    pub compared_end: f64,
}

/// The outcome of comparing a query video with another.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    pub query_match_percent: f64,
    pub compared_match_percent: f64,
    #[serde(rename = "match")]
    pub matched: bool,
    /// Distinct frame hashes of quality ≥ the minimum in each video.
    pub query_frames: usize,
    pub compared_frames: usize,
    pub segments: Vec<Segment>,
}

/// The distinct good hashes of a video, and for each the times it occurs at.
struct Prepared {
    hashes: Vec<PdqHash>,
    /// The position of each hash in `hashes`.
    ids: HashMap<PdqHash, usize>,
    times: Vec<Vec<f64>>,
}

fn prepare(video: &VideoHash, quality: u8) -> Prepared {
    let mut ids: HashMap<PdqHash, usize> = HashMap::new();
    let mut hashes = Vec::new();
    let mut times: Vec<Vec<f64>> = Vec::new();
    for f in video.frames.iter().filter(|f| f.quality >= quality) {
        let id = *ids.entry(f.pdq).or_insert_with(|| {
            hashes.push(f.pdq);
            times.push(Vec::new());
            hashes.len() - 1
        });
        times[id].push(f.time);
    }
    Prepared { hashes, ids, times }
}

/// Finds the ids of the stored hashes within a distance of a query.
trait Search {
    fn within(&self, query: &PdqHash, distance: u32) -> Vec<usize>;
    fn any_within(&self, query: &PdqHash, distance: u32) -> bool {
        !self.within(query, distance).is_empty()
    }
}

struct Indexed(HashIndex);

impl Search for Indexed {
    fn within(&self, query: &PdqHash, distance: u32) -> Vec<usize> {
        self.0
            .search(query, distance)
            .into_iter()
            .map(|m| m.id)
            .collect()
    }
}

struct Scan(Vec<[u64; 4]>);

fn lane_distance(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    (0..4).map(|i| (a[i] ^ b[i]).count_ones()).sum()
}

impl Search for Scan {
    fn within(&self, query: &PdqHash, distance: u32) -> Vec<usize> {
        let q = query.lanes();
        (0..self.0.len())
            .filter(|&i| lane_distance(&self.0[i], &q) <= distance)
            .collect()
    }
    fn any_within(&self, query: &PdqHash, distance: u32) -> bool {
        let q = query.lanes();
        self.0.iter().any(|h| lane_distance(h, &q) <= distance)
    }
}

/// Compare `query` with `compared` by the reference rule, through the multi-index.
pub fn compare(query: &VideoHash, compared: &VideoHash, options: &CompareOptions) -> Comparison {
    compare_with(query, compared, options, |hashes| {
        let mut index = HashIndex::new();
        for h in hashes {
            index.push(*h);
        }
        Indexed(index)
    })
}

/// The same answer as [`compare`], by comparing every pair of frames.
pub fn compare_exhaustive(
    query: &VideoHash,
    compared: &VideoHash,
    options: &CompareOptions,
) -> Comparison {
    compare_with(query, compared, options, |hashes| {
        Scan(hashes.iter().map(PdqHash::lanes).collect())
    })
}

fn compare_with<S: Search>(
    query: &VideoHash,
    compared: &VideoHash,
    options: &CompareOptions,
    build: impl Fn(&[PdqHash]) -> S,
) -> Comparison {
    let q = prepare(query, options.quality);
    let c = prepare(compared, options.quality);
    let mut out = Comparison {
        query_match_percent: 0.0,
        compared_match_percent: 0.0,
        matched: false,
        query_frames: q.hashes.len(),
        compared_frames: c.hashes.len(),
        segments: Vec::new(),
    };
    if q.hashes.is_empty() || c.hashes.is_empty() {
        return out;
    }
    let (q_index, c_index) = (build(&q.hashes), build(&c.hashes));
    let d = options.distance;
    // Per distinct query hash, the distinct compared hashes near it (for the segments too).
    let near: Vec<Vec<usize>> = q.hashes.iter().map(|h| c_index.within(h, d)).collect();
    let q_found = near.iter().filter(|n| !n.is_empty()).count();
    let c_found = c.hashes.iter().filter(|h| q_index.any_within(h, d)).count();
    out.query_match_percent = q_found as f64 * 100.0 / q.hashes.len() as f64;
    out.compared_match_percent = c_found as f64 * 100.0 / c.hashes.len() as f64;
    out.matched = out.query_match_percent >= options.query_percent
        && out.compared_match_percent >= options.compared_percent;
    out.segments = segments(query, options.quality, &q, &near, &c);
    out
}

/// Runs of consecutive good query frames that each match a compared frame at
/// about the same offset (compared time − query time) as the frame before.
fn segments(
    query: &VideoHash,
    quality: u8,
    q: &Prepared,
    near: &[Vec<usize>],
    c: &Prepared,
) -> Vec<Segment> {
    let good: Vec<&VpdqFrame> = query
        .frames
        .iter()
        .filter(|f| f.quality >= quality)
        .collect();
    // How far the offset may drift between neighbouring frames: two seconds,
    // or three sampling steps when frames are further apart.
    let mut steps: Vec<f64> = good.windows(2).map(|w| w[1].time - w[0].time).collect();
    steps.sort_by(f64::total_cmp);
    let step = steps.get(steps.len() / 2).copied().unwrap_or(0.0);
    let drift = (3.0 * step).max(2.0);

    struct Open {
        seg: Segment,
        offset: f64,
    }
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    for f in good {
        let candidates: Vec<f64> = q
            .ids
            .get(&f.pdq)
            .and_then(|&i| near.get(i))
            .into_iter()
            .flatten()
            .flat_map(|&j| c.times[j].iter().copied())
            .collect();
        if candidates.is_empty() {
            out.extend(open.take().map(|o| o.seg));
            continue;
        }
        let closest = |target: f64| {
            candidates
                .iter()
                .copied()
                .min_by(|a, b| {
                    ((a - f.time) - target)
                        .abs()
                        .total_cmp(&((b - f.time) - target).abs())
                        .then(a.total_cmp(b))
                })
                .unwrap_or(f.time)
        };
        if let Some(o) = open.as_mut() {
            let t = closest(o.offset);
            if ((t - f.time) - o.offset).abs() <= drift {
                o.seg.query_end = f.time;
                o.seg.compared_start = o.seg.compared_start.min(t);
                o.seg.compared_end = o.seg.compared_end.max(t);
                o.offset = t - f.time;
                continue;
            }
            out.extend(open.take().map(|o| o.seg));
        }
        // A new run starts at the match nearest the same time in the compared video.
        let t = closest(0.0);
        open = Some(Open {
            seg: Segment {
                query_start: f.time,
                query_end: f.time,
                compared_start: t,
                compared_end: t,
            },
            offset: t - f.time,
        });
    }
    out.extend(open.map(|o| o.seg));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(i: u64, hash: PdqHash, quality: u8) -> VpdqFrame {
        VpdqFrame {
            frame: i,
            time: i as f64,
            pdq: hash,
            quality,
        }
    }

    /// A hash far from the others: bits from a counter through a mixing function.
    fn distinct(seed: u64) -> PdqHash {
        let mut lanes = [0u64; 4];
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        for lane in &mut lanes {
            x ^= x >> 33;
            x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
            x ^= x >> 33;
            *lane = x;
        }
        PdqHash::from_lanes(lanes)
    }

    fn flip(h: PdqHash, bits: u32) -> PdqHash {
        let mut lanes = h.lanes();
        for b in 0..bits {
            lanes[(b / 64) as usize] ^= 1 << (b % 64);
        }
        PdqHash::from_lanes(lanes)
    }

    #[test]
    fn percentages_follow_the_reference_rule() {
        // The query: 10 distinct good frames, one repeated, one of low quality.
        let mut q: Vec<VpdqFrame> = (0..10).map(|i| frame(i, distinct(i), 100)).collect();
        q.push(frame(10, distinct(3), 100));
        q.push(frame(11, distinct(99), 10));
        // The compared video holds 8 of them, within 31 bits, and 12 others.
        let mut c: Vec<VpdqFrame> = (0..8)
            .map(|i| frame(i, flip(distinct(i), 31), 90))
            .collect();
        c.extend((100..112).map(|i| frame(i, distinct(i), 90)));
        let (q, c) = (VideoHash::new(q), VideoHash::new(c));
        let r = compare(&q, &c, &CompareOptions::default());
        assert_eq!((r.query_frames, r.compared_frames), (10, 20));
        assert_eq!(r.query_match_percent, 80.0);
        assert_eq!(r.compared_match_percent, 40.0);
        assert!(r.matched);
        assert_eq!(r, compare_exhaustive(&q, &c, &CompareOptions::default()));
        // 32 bits is one too many.
        let far = VideoHash::new(vec![frame(0, flip(distinct(0), 32), 100)]);
        assert_eq!(
            compare(&q, &far, &CompareOptions::default()).query_match_percent,
            0.0
        );
        let strict = CompareOptions {
            query_percent: 80.1,
            ..CompareOptions::default()
        };
        assert!(!compare(&q, &c, &strict).matched);
        // Nothing good in one video: 0 and 0, no match.
        let dull = VideoHash::new(vec![frame(0, distinct(0), 49)]);
        let r = compare(&q, &dull, &CompareOptions::default());
        assert_eq!(
            (r.query_match_percent, r.compared_match_percent, r.matched),
            (0.0, 0.0, false)
        );
    }

    #[test]
    fn segments_follow_the_matching_stretches() {
        // The query is seconds 0–29 of a video; its seconds 10–14 were replaced.
        let original: Vec<VpdqFrame> = (0..30).map(|i| frame(i, distinct(i), 100)).collect();
        let edited: Vec<VpdqFrame> = (0..30)
            .map(|i| {
                frame(
                    i,
                    if (10..15).contains(&i) {
                        distinct(1000 + i)
                    } else {
                        flip(distinct(i), 5)
                    },
                    100,
                )
            })
            .collect();
        let r = compare(
            &VideoHash::new(edited),
            &VideoHash::new(original.clone()),
            &CompareOptions::default(),
        );
        let spans: Vec<(f64, f64, f64, f64)> = r
            .segments
            .iter()
            .map(|s| (s.query_start, s.query_end, s.compared_start, s.compared_end))
            .collect();
        assert_eq!(spans, vec![(0.0, 9.0, 0.0, 9.0), (15.0, 29.0, 15.0, 29.0)]);
        // A clip of seconds 20–29, re-timed to start at 0.
        let clip: Vec<VpdqFrame> = (20..30)
            .map(|i| VpdqFrame {
                time: (i - 20) as f64,
                frame: i - 20,
                ..frame(i, distinct(i), 100)
            })
            .collect();
        let r = compare(
            &VideoHash::new(clip),
            &VideoHash::new(original),
            &CompareOptions::default(),
        );
        assert_eq!(r.query_match_percent, 100.0);
        assert!((r.compared_match_percent - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            r.segments,
            vec![Segment {
                query_start: 0.0,
                query_end: 9.0,
                compared_start: 20.0,
                compared_end: 29.0
            }]
        );
    }

    #[test]
    fn the_index_finds_what_the_scan_finds() {
        // Enough distinct hashes that the index builds its tables (over 4,096).
        let c: Vec<VpdqFrame> = (0..6000).map(|i| frame(i, distinct(i), 100)).collect();
        let q: Vec<VpdqFrame> = (0..3000)
            .map(|i| frame(i, flip(distinct(i * 3), (i % 40) as u32), 100))
            .collect();
        let (q, c) = (VideoHash::new(q), VideoHash::new(c));
        let options = CompareOptions::default();
        let fast = compare(&q, &c, &options);
        assert_eq!(fast, compare_exhaustive(&q, &c, &options));
        // i % 40 ≤ 31 flips for ids i*3 < 6000.
        let expected = (0..3000u64)
            .filter(|i| i * 3 < 6000 && i % 40 <= 31)
            .count();
        assert_eq!(fast.query_match_percent, expected as f64 * 100.0 / 3000.0);
    }
}
