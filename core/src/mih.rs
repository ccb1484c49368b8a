//! Multi-index hashing: find every stored PDQ hash within a Hamming distance
//! of a query without comparing against all of them.
//!
//! The 256 bits are cut into 16 chunks of 16 bits (the hash's own words). If
//! two hashes differ in at most `t` bits, then by the pigeonhole principle at
//! least one of the 16 chunks differs in at most `⌊t/16⌋` bits. So for PDQ's
//! threshold 31 a query only has to look, in each chunk's table, at its own
//! chunk value and the 16 values one bit away: 16 × 17 buckets, whose hashes
//! are then checked with an exact popcount distance. This is the index of
//! Meta's PDQ reference implementation (`MIH256`, `pdq/cpp/index/mih.h`) and
//! of Norouzi, Punjani and Fleet, "Fast Search in Hamming Space with
//! Multi-Index Hashing" (CVPR 2012).
//!
//! Recall is exact: every hash within the threshold is found (the tests check
//! it against an exhaustive scan). Each chunk's table is a bucket array over
//! hash ids (counting-sorted, 65,537 offsets and one `u32` a hash), so a bank
//! of a million hashes takes about 100 MB. Hashes pushed after the tables
//! were built wait in a short tail that queries scan linearly, until the tail
//! grows past an eighth of the index and the tables are rebuilt.

use crate::pdq::PdqHash;

/// Number of 16-bit chunks a hash is cut into.
pub const CHUNKS: usize = 16;
const BUCKETS: usize = 1 << 16;
/// Thresholds up to 16 × (MAX_RADIUS + 1) − 1 use the tables; larger ones scan
/// (at radius 3 a query would probe 697 buckets a chunk, close to a scan anyway).
const MAX_RADIUS: u32 = 2;
/// The tail is scanned linearly; past this many hashes (or an eighth of the index) it is indexed.
const MIN_TAIL: usize = 4096;

/// A stored hash within the threshold of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexMatch {
    /// Hamming distance to the query.
    pub distance: u32,
    /// The id [`HashIndex::push`] returned for the stored hash.
    pub id: usize,
}

/// One chunk's table: the ids of hashes whose chunk has value `v` are
/// `ids[offsets[v]..offsets[v + 1]]`.
#[derive(Clone, Default)]
struct ChunkTable {
    offsets: Vec<u32>,
    ids: Vec<u32>,
}

impl ChunkTable {
    fn bucket(&self, value: u16) -> &[u32] {
        let v = usize::from(value);
        match (self.offsets.get(v), self.offsets.get(v + 1)) {
            (Some(&start), Some(&end)) => self.ids.get(start as usize..end as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// An in-memory multi-index over PDQ hashes (see the module docs). Ids are
/// dense: the n-th hash pushed has id n − 1.
#[derive(Clone, Default)]
pub struct HashIndex {
    hashes: Vec<[u64; 4]>,
    /// One table per chunk, over `hashes[..built]`; empty before the first build.
    tables: Vec<ChunkTable>,
    built: usize,
}

impl std::fmt::Debug for HashIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashIndex")
            .field("len", &self.hashes.len())
            .field("indexed", &self.built)
            .finish()
    }
}

/// Chunk `c` of a hash in lanes form: word `c` of the [`PdqHash`].
#[inline]
fn chunk(lanes: &[u64; 4], c: usize) -> u16 {
    (lanes[c / 4] >> ((c % 4) * 16)) as u16
}

#[inline]
fn lane_distance(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    (a[0] ^ b[0]).count_ones()
        + (a[1] ^ b[1]).count_ones()
        + (a[2] ^ b[2]).count_ones()
        + (a[3] ^ b[3]).count_ones()
}

/// Call `f` once for every 16-bit value within `radius` bits of `value`
/// (flipping bits `from..16` only, so each value is visited once).
fn for_each_within(value: u16, from: u32, radius: u32, f: &mut impl FnMut(u16)) {
    f(value);
    if radius == 0 {
        return;
    }
    for bit in from..16 {
        for_each_within(value ^ (1 << bit), bit + 1, radius - 1, f);
    }
}

impl HashIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// An index over `hashes`, built at once (ids in iteration order).
    pub fn from_hashes(hashes: impl IntoIterator<Item = PdqHash>) -> Self {
        let mut index = Self {
            hashes: hashes.into_iter().map(|h| h.lanes()).collect(),
            ..Self::default()
        };
        // Ids are u32 in the tables: an index never holds more (that would be 128 GiB of hashes).
        index.hashes.truncate(u32::MAX as usize);
        index.rebuild();
        index
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// How many hashes are not in the tables yet (searched one by one).
    pub fn unindexed(&self) -> usize {
        self.hashes.len() - self.built
    }

    /// The hash stored under `id`.
    pub fn get(&self, id: usize) -> Option<PdqHash> {
        self.hashes.get(id).map(|l| PdqHash::from_lanes(*l))
    }

    /// Add a hash; returns its id, or `None` when the index already holds
    /// `u32::MAX` hashes.
    pub fn push(&mut self, hash: PdqHash) -> Option<usize> {
        let id = self.hashes.len();
        if id >= u32::MAX as usize {
            return None;
        }
        self.hashes.push(hash.lanes());
        if self.hashes.len() - self.built > MIN_TAIL.max(self.built / 8) {
            self.rebuild();
        }
        Some(id)
    }

    /// Add many hashes at once (a registry's rows at open, or those a
    /// refresh found), indexing them in one build rather than in the many
    /// a `push` each would make; the number added (fewer only at `u32::MAX`).
    /// Ids follow on from [`Self::len`], in iteration order.
    pub fn extend(&mut self, hashes: impl IntoIterator<Item = PdqHash>) -> usize {
        let before = self.hashes.len();
        let room = (u32::MAX as usize).saturating_sub(before);
        self.hashes
            .extend(hashes.into_iter().take(room).map(|h| h.lanes()));
        if self.hashes.len() - self.built > MIN_TAIL.max(self.built / 8) {
            self.rebuild();
        }
        self.hashes.len() - before
    }

    /// Index every hash (counting sort of ids by chunk value, one table per chunk).
    fn rebuild(&mut self) {
        let n = self.hashes.len();
        let mut tables = Vec::with_capacity(CHUNKS);
        for c in 0..CHUNKS {
            let mut offsets = vec![0u32; BUCKETS + 1];
            for h in &self.hashes {
                offsets[usize::from(chunk(h, c)) + 1] += 1;
            }
            for v in 0..BUCKETS {
                offsets[v + 1] += offsets[v];
            }
            let mut cursor = offsets.clone();
            let mut ids = vec![0u32; n];
            for (id, h) in self.hashes.iter().enumerate() {
                let slot = &mut cursor[usize::from(chunk(h, c))];
                ids[*slot as usize] = id as u32;
                *slot += 1;
            }
            tables.push(ChunkTable { offsets, ids });
        }
        self.tables = tables;
        self.built = n;
    }

    /// Every stored hash within `threshold` bits of `query` (inclusive), nearest
    /// first (ties by id). Exact: the same answer as [`Self::search_exhaustive`].
    pub fn search(&self, query: &PdqHash, threshold: u32) -> Vec<IndexMatch> {
        let radius = threshold / CHUNKS as u32;
        if radius > MAX_RADIUS || self.tables.len() != CHUNKS {
            return self.search_exhaustive(query, threshold);
        }
        let q = query.lanes();
        let mut found = Vec::new();
        for (c, table) in self.tables.iter().enumerate() {
            for_each_within(chunk(&q, c), 0, radius, &mut |value| {
                for &id in table.bucket(value) {
                    if let Some(h) = self.hashes.get(id as usize) {
                        let distance = lane_distance(h, &q);
                        if distance <= threshold {
                            found.push(IndexMatch {
                                distance,
                                id: id as usize,
                            });
                        }
                    }
                }
            });
        }
        // A hash near the query in several chunks was found once per chunk.
        found.sort_unstable_by_key(|m| m.id);
        found.dedup_by_key(|m| m.id);
        for (id, h) in self.hashes.iter().enumerate().skip(self.built) {
            let distance = lane_distance(h, &q);
            if distance <= threshold {
                found.push(IndexMatch { distance, id });
            }
        }
        found.sort_unstable();
        found
    }

    /// The same answer as [`Self::search`], by comparing with every stored hash.
    pub fn search_exhaustive(&self, query: &PdqHash, threshold: u32) -> Vec<IndexMatch> {
        let q = query.lanes();
        let mut found: Vec<IndexMatch> = self
            .hashes
            .iter()
            .enumerate()
            .filter_map(|(id, h)| {
                let distance = lane_distance(h, &q);
                (distance <= threshold).then_some(IndexMatch { distance, id })
            })
            .collect();
        found.sort_unstable();
        found
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// SplitMix64: deterministic test hashes without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn hash(&mut self) -> PdqHash {
            PdqHash::from_lanes([self.next(), self.next(), self.next(), self.next()])
        }
        /// `hash` with exactly `d` distinct bits flipped.
        fn near(&mut self, hash: &PdqHash, d: u32) -> PdqHash {
            let mut out = *hash;
            while out.distance(hash) < d {
                let bit = (self.next() % 256) as usize;
                let (word, mask) = (bit / 16, 1u16 << (bit % 16));
                if (out.0[word] ^ hash.0[word]) & mask == 0 {
                    out.0[word] ^= mask;
                }
            }
            out
        }
    }

    #[test]
    fn neighbours_within_radius_are_each_visited_once() {
        for (radius, expected) in [(0u32, 1usize), (1, 17), (2, 137)] {
            let mut seen = Vec::new();
            for_each_within(0xA5C3, 0, radius, &mut |v| seen.push(v));
            assert_eq!(seen.len(), expected);
            assert!(seen.iter().all(|v| (v ^ 0xA5C3).count_ones() <= radius));
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), expected);
        }
    }

    #[test]
    fn planted_near_duplicates_at_every_distance_up_to_31_are_found() {
        let mut rng = Rng(20_26);
        let mut index = HashIndex::from_hashes((0..20_000).map(|_| rng.hash()));
        // Plant, for 128 queries, one hash at each distance 0..=34 (31 is the threshold).
        let mut queries = Vec::new();
        for _ in 0..128 {
            let query = rng.hash();
            for d in 0..=34 {
                let near = rng.near(&query, d);
                assert_eq!(near.distance(&query), d);
                index.push(near).unwrap();
            }
            queries.push(query);
        }
        // Pushes went partly into the tail, then into a rebuilt index: both paths are searched.
        assert!(index.built > 20_000 && index.built < index.len());
        for query in &queries {
            let exact = index.search_exhaustive(query, 31);
            let found = index.search(query, 31);
            assert_eq!(found, exact);
            let planted: Vec<u32> = found.iter().map(|m| m.distance).collect();
            for d in 0..=31 {
                assert!(planted.contains(&d), "distance {d} missed");
            }
            assert!(found.iter().all(|m| m.distance <= 31));
        }
    }

    #[test]
    fn every_threshold_agrees_with_exhaustive_search() {
        let mut rng = Rng(7);
        let base: Vec<PdqHash> = (0..3_000).map(|_| rng.hash()).collect();
        let mut hashes = base.clone();
        for (i, h) in base.iter().take(300).enumerate() {
            let d = (i % 70) as u32;
            hashes.push(rng.near(h, d));
        }
        let index = HashIndex::from_hashes(hashes);
        for threshold in [0, 1, 15, 16, 31, 32, 47, 48, 63, 90, 256] {
            for query in base.iter().take(300).step_by(7) {
                assert_eq!(
                    index.search(query, threshold),
                    index.search_exhaustive(query, threshold),
                    "threshold {threshold}"
                );
            }
        }
    }

    #[test]
    fn ids_are_dense_and_hashes_come_back() {
        let mut rng = Rng(1);
        let mut index = HashIndex::new();
        assert!(index.is_empty());
        assert_eq!(index.search(&rng.hash(), 31), Vec::new());
        let a = rng.hash();
        assert_eq!(index.push(a), Some(0));
        assert_eq!(index.push(rng.hash()), Some(1));
        assert_eq!(index.get(0), Some(a));
        assert_eq!(index.get(2), None);
        assert_eq!(index.search(&a, 0), vec![IndexMatch { distance: 0, id: 0 }]);
        assert_eq!(index.len(), 2);
    }

    /// A registry loads its rows in bulk: they must end up in the tables,
    /// not in a tail searched one by one at every query (which a `push` a
    /// row left at up to an eighth of the index: 1.2 M hashes scanned per
    /// query at 10 M, 250 lookups a second).
    #[test]
    fn bulk_additions_are_indexed_in_one_build() {
        let mut rng = Rng(3);
        let mut index = HashIndex::new();
        let first: Vec<PdqHash> = (0..50_000).map(|_| rng.hash()).collect();
        assert_eq!(index.extend(first.clone()), 50_000);
        assert_eq!(index.unindexed(), 0);
        // A few more stay in the tail until there are enough to rebuild for.
        assert_eq!(index.extend((0..10).map(|_| rng.hash())), 10);
        assert_eq!(index.unindexed(), 10);
        assert_eq!(index.extend((0..10_000).map(|_| rng.hash())), 10_000);
        assert_eq!(index.unindexed(), 0);
        assert_eq!(index.len(), 60_010);
        for q in first.iter().step_by(5_000) {
            let near = rng.near(q, 20);
            assert_eq!(index.search(&near, 31), index.search_exhaustive(&near, 31));
            assert_eq!(index.search(&near, 31)[0].distance, 20);
        }
    }
}
