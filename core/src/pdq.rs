//! PDQ, Meta's 256-bit perceptual image hash, written from the published
//! algorithm (pdqhash-2017-10-09): luminance, a two-pass Jarosz tent filter
//! (box filters along rows then columns, twice), decimation to 64×64, the
//! 16×16 low-frequency block of a 2D DCT, and one bit per coefficient: above
//! the median or not. Arithmetic is `f32` in the reference's order, so hashes
//! of identical pixels are identical to the reference's, bit for bit.

use std::fmt;

/// Images smaller than this on either side hash to zero with quality 0.
pub const MIN_HASHABLE_DIM: usize = 5;
/// Hashes with quality below this are not used for matching.
pub const MIN_MATCH_QUALITY: u8 = 50;
/// Hamming distance at or under which two hashes are the same picture.
pub const DEFAULT_MATCH_THRESHOLD: u32 = 31;

/// A 256-bit PDQ hash, stored as the reference stores it: sixteen 16-bit
/// words, bit k in word k/16. Text form: 64 hex digits, word 15 first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct PdqHash(pub [u16; 16]);

impl PdqHash {
    fn set_bit(&mut self, k: usize) {
        self.0[(k & 255) >> 4] |= 1 << (k & 15);
    }

    /// Number of bits set.
    pub fn weight(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// Hamming distance: how many of the 256 bits differ.
    pub fn distance(&self, other: &Self) -> u32 {
        self.0
            .iter()
            .zip(other.0.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// The hash as four 64-bit lanes (bits 0..63 in lane 0), for fast matching.
    pub fn lanes(&self) -> [u64; 4] {
        let mut lanes = [0u64; 4];
        for (i, w) in self.0.iter().enumerate() {
            lanes[i / 4] |= u64::from(*w) << ((i % 4) * 16);
        }
        lanes
    }

    pub fn from_lanes(lanes: [u64; 4]) -> Self {
        let mut words = [0u16; 16];
        for (i, w) in words.iter_mut().enumerate() {
            *w = (lanes[i / 4] >> ((i % 4) * 16)) as u16;
        }
        Self(words)
    }

    /// The reference's hex form: 64 lowercase hex digits, word 15 first.
    pub fn to_hex(&self) -> String {
        self.0.iter().rev().map(|w| format!("{w:04x}")).collect()
    }

    /// Parse the reference's hex form (64 hex digits, either case).
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut words = [0u16; 16];
        for (i, chunk) in text.as_bytes().chunks(4).enumerate() {
            let s = std::str::from_utf8(chunk).ok()?;
            words[15 - i] = u16::from_str_radix(s, 16).ok()?;
        }
        Some(Self(words))
    }
}

impl fmt::Display for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PdqHash({})", self.to_hex())
    }
}

/// A hash and its quality (0–100; under 50 is too featureless to match on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pdq {
    pub hash: PdqHash,
    pub quality: u8,
}

/// The hashes of the eight rotations and reflections of an image, all from one DCT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dihedral {
    pub original: PdqHash,
    pub rotate90: PdqHash,
    pub rotate180: PdqHash,
    pub rotate270: PdqHash,
    pub flip_x: PdqHash,
    pub flip_y: PdqHash,
    pub flip_plus1: PdqHash,
    pub flip_minus1: PdqHash,
    pub quality: u8,
}

impl Dihedral {
    pub fn all(&self) -> [(&'static str, PdqHash); 8] {
        [
            ("original", self.original),
            ("rotate90", self.rotate90),
            ("rotate180", self.rotate180),
            ("rotate270", self.rotate270),
            ("flip_x", self.flip_x),
            ("flip_y", self.flip_y),
            ("flip_plus1", self.flip_plus1),
            ("flip_minus1", self.flip_minus1),
        ]
    }
}

/// Luminance of 8-bit RGB pixels (`channels` bytes per pixel, the first
/// three R, G, B), computed in f64 and rounded to f32 as NumPy-fed
/// reference bindings do: Y = 0.299 R + 0.587 G + 0.114 B. The products come
/// from tables (the same f64 values), the sums in the same order.
pub fn luma_from_rgb8(pixels: &[u8], channels: usize) -> Vec<f32> {
    let channels = channels.max(3);
    let table = |k: f64| -> [f64; 256] { std::array::from_fn(|v| v as f64 * k) };
    let (tr, tg, tb) = (table(0.299), table(0.587), table(0.114));
    let n = pixels.len() / channels;
    let mut luma = vec![0f32; n];
    let workers = worker_count(n);
    let band = n.div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        for (dst, src) in luma.chunks_mut(band).zip(pixels.chunks(band * channels)) {
            let (tr, tg, tb) = (&tr, &tg, &tb);
            scope.spawn(move || {
                for (y, p) in dst.iter_mut().zip(src.chunks_exact(channels)) {
                    *y = (tr[usize::from(p[0])] + tg[usize::from(p[1])] + tb[usize::from(p[2])])
                        as f32;
                }
            });
        }
    });
    luma
}

/// The 16×64 DCT-II basis, rows 1..=16 (the DC row is skipped), f32 as the reference stores it.
fn dct_matrix() -> &'static [f32; 16 * 64] {
    static MATRIX: std::sync::OnceLock<[f32; 16 * 64]> = std::sync::OnceLock::new();
    MATRIX.get_or_init(|| {
        let scale = (2.0f64 / 64.0).sqrt() as f32;
        let mut d = [0f32; 16 * 64];
        for i in 0..16 {
            for j in 0..64 {
                let angle =
                    (std::f64::consts::PI / 2.0 / 64.0) * (i as f64 + 1.0) * (2.0 * j as f64 + 1.0);
                d[i * 64 + j] = (f64::from(scale) * angle.cos()) as f32;
            }
        }
        d
    })
}

/// Window of the first box-filter pass for scaling `old` samples down to `new`.
pub fn jarosz_window(old: usize, new: usize) -> usize {
    old.div_ceil(2 * new)
}

/// One box-filter pass along a strided vector, windows shrinking at the edges.
fn box_1d(
    input: &[f32],
    output: &mut [f32],
    start: usize,
    len: usize,
    stride: usize,
    window: usize,
) {
    let half = (window + 2) / 2;
    let phase1 = half - 1;
    let phase2 = window - half + 1;
    let phase3 = len.saturating_sub(window);
    let phase4 = half - 1;
    let (mut li, mut ri, mut oi) = (start, start, start);
    let mut sum = 0f32;
    let mut n = 0usize;
    for _ in 0..phase1 {
        sum += input[ri];
        n += 1;
        ri += stride;
    }
    for _ in 0..phase2 {
        sum += input[ri];
        n += 1;
        output[oi] = sum / n as f32;
        ri += stride;
        oi += stride;
    }
    for _ in 0..phase3 {
        sum += input[ri];
        sum -= input[li];
        output[oi] = sum / n as f32;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for _ in 0..phase4 {
        sum -= input[li];
        n -= 1;
        output[oi] = sum / n as f32;
        li += stride;
        oi += stride;
    }
}

/// Blur `luma` (rows × cols) with the Jarosz tent filter, then pick the 64×64
/// samples at the centres of a regular grid. `luma` is used as scratch.
///
/// Each row and each column sees exactly the reference's sequence of f32
/// operations, so the result is bit-identical to it; but columns are swept
/// row by row (cache-friendly, vectorisable), the last column pass runs only
/// over the 64 sampled columns, and bands of rows/columns run on all cores.
pub fn downsample_64(luma: &mut [f32], rows: usize, cols: usize) -> [f32; 64 * 64] {
    let mut out = [0f32; 64 * 64];
    if rows == 64 && cols == 64 {
        out.copy_from_slice(&luma[..64 * 64]);
        return out;
    }
    let window_rows = jarosz_window(cols, 64);
    let window_cols = jarosz_window(rows, 64);
    let sample_rows: Vec<usize> = (0..64)
        .map(|i| (((i as f64 + 0.5) * rows as f64) / 64.0) as usize)
        .collect();
    let sample_cols: Vec<usize> = (0..64)
        .map(|j| (((j as f64 + 0.5) * cols as f64) / 64.0) as usize)
        .collect();
    let mut scratch = vec![0f32; rows * cols];
    // Pass 1 (rows), pass 2 (columns), pass 3 (rows).
    box_rows(luma, &mut scratch, rows, cols, window_rows);
    box_cols(&scratch, luma, rows, cols, window_cols);
    box_rows(luma, &mut scratch, rows, cols, window_rows);
    // Pass 4 (columns), only where we sample.
    let mut gathered = vec![0f32; rows * 64];
    for r in 0..rows {
        let row = &scratch[r * cols..(r + 1) * cols];
        for (g, &c) in gathered[r * 64..(r + 1) * 64].iter_mut().zip(&sample_cols) {
            *g = row[c];
        }
    }
    let mut filtered = vec![0f32; rows * 64];
    box_cols(&gathered, &mut filtered, rows, 64, window_cols);
    for (i, &r) in sample_rows.iter().enumerate() {
        out[i * 64..(i + 1) * 64].copy_from_slice(&filtered[r * 64..(r + 1) * 64]);
    }
    out
}

fn worker_count(work: usize) -> usize {
    // Threads only pay off on large images.
    if work < 1 << 18 {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    }
}

/// Box filter along every row. Rows are taken 16 at a time and transposed,
/// so the running sums of 16 rows advance together (vectorised) instead of
/// one long dependency chain per row; bands of rows run on separate threads.
fn box_rows(input: &[f32], output: &mut [f32], rows: usize, cols: usize, window: usize) {
    const K: usize = 16;
    let workers = worker_count(rows * cols);
    let band = rows.div_ceil(workers).div_ceil(K).max(1) * K;
    std::thread::scope(|scope| {
        for (in_band, out_band) in input
            .chunks(band * cols)
            .zip(output.chunks_mut(band * cols))
        {
            scope.spawn(move || {
                let mut transposed = vec![0f32; cols * K];
                for (src, dst) in in_band.chunks(K * cols).zip(out_band.chunks_mut(K * cols)) {
                    let k = src.len() / cols;
                    if k < K {
                        for (s, d) in src.chunks_exact(cols).zip(dst.chunks_exact_mut(cols)) {
                            box_1d(s, d, 0, cols, 1, window);
                        }
                        continue;
                    }
                    for c in 0..cols {
                        for r in 0..K {
                            transposed[c * K + r] = src[r * cols + c];
                        }
                    }
                    let filtered = box_cols_band(&transposed, cols, K, 0, K, window);
                    for c in 0..cols {
                        for r in 0..K {
                            dst[r * cols + c] = filtered[c * K + r];
                        }
                    }
                }
            });
        }
    });
}

/// Box filter along every column, swept row by row: per column the same
/// f32 operations in the same order as [`box_1d`], vectorised across columns.
fn box_cols(input: &[f32], output: &mut [f32], rows: usize, cols: usize, window: usize) {
    let workers = worker_count(rows * cols);
    let band = cols.div_ceil(workers).max(1);
    let mut outputs: Vec<(usize, Vec<f32>)> = Vec::new();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..cols)
            .step_by(band)
            .map(|start| {
                let width = band.min(cols - start);
                scope.spawn(move || {
                    (
                        start,
                        box_cols_band(input, rows, cols, start, width, window),
                    )
                })
            })
            .collect();
        for h in handles {
            if let Ok(result) = h.join() {
                outputs.push(result);
            }
        }
    });
    for (start, band_out) in outputs {
        let width = band_out.len() / rows.max(1);
        for r in 0..rows {
            output[r * cols + start..r * cols + start + width]
                .copy_from_slice(&band_out[r * width..(r + 1) * width]);
        }
    }
}

/// Columns `start..start+width` of `input`, filtered; returned as rows × width.
fn box_cols_band(
    input: &[f32],
    rows: usize,
    cols: usize,
    start: usize,
    width: usize,
    window: usize,
) -> Vec<f32> {
    let half = (window + 2) / 2;
    let phase1 = half - 1;
    let phase2 = window - half + 1;
    let phase3 = rows.saturating_sub(window);
    let phase4 = half - 1;
    let mut out = vec![0f32; rows * width];
    let mut sum = vec![0f32; width];
    let row = |r: usize| &input[r * cols + start..r * cols + start + width];
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut n = 0usize;
    for _ in 0..phase1 {
        for (s, v) in sum.iter_mut().zip(row(ri)) {
            *s += v;
        }
        n += 1;
        ri += 1;
    }
    for _ in 0..phase2 {
        n += 1;
        let nf = n as f32;
        let dst = &mut out[oi * width..(oi + 1) * width];
        for ((s, v), o) in sum.iter_mut().zip(row(ri)).zip(dst) {
            *s += v;
            *o = *s / nf;
        }
        ri += 1;
        oi += 1;
    }
    let nf = n as f32;
    for _ in 0..phase3 {
        let dst = &mut out[oi * width..(oi + 1) * width];
        for (((s, add), sub), o) in sum.iter_mut().zip(row(ri)).zip(row(li)).zip(dst) {
            *s += add;
            *s -= sub;
            *o = *s / nf;
        }
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..phase4 {
        n -= 1;
        let nf = n as f32;
        let dst = &mut out[oi * width..(oi + 1) * width];
        for ((s, v), o) in sum.iter_mut().zip(row(li)).zip(dst) {
            *s -= v;
            *o = *s / nf;
        }
        li += 1;
        oi += 1;
    }
    out
}

/// The reference's own order, one strided column at a time: kept as the
/// oracle the fast path is tested against.
#[cfg(test)]
fn downsample_64_reference(luma: &mut [f32], rows: usize, cols: usize) -> [f32; 64 * 64] {
    let mut out = [0f32; 64 * 64];
    let window_rows = jarosz_window(cols, 64);
    let window_cols = jarosz_window(rows, 64);
    let mut scratch = vec![0f32; rows * cols];
    for _ in 0..2 {
        for i in 0..rows {
            box_1d(luma, &mut scratch, i * cols, cols, 1, window_rows);
        }
        for j in 0..cols {
            box_1d(&scratch, luma, j, rows, cols, window_cols);
        }
    }
    for i in 0..64 {
        let ini = (((i as f64 + 0.5) * rows as f64) / 64.0) as usize;
        for j in 0..64 {
            let inj = (((j as f64 + 0.5) * cols as f64) / 64.0) as usize;
            out[i * 64 + j] = luma[ini * cols + inj];
        }
    }
    out
}

/// The reference's heuristic: how much significant gradient the 64×64 image has.
pub fn quality_64(buffer: &[f32; 64 * 64]) -> u8 {
    let mut sum: i64 = 0;
    for i in 0..63 {
        for j in 0..64 {
            let d = ((buffer[i * 64 + j] - buffer[(i + 1) * 64 + j]) * 100.0) / 255.0;
            sum += i64::from((d as i32).abs());
        }
    }
    for i in 0..64 {
        for j in 0..63 {
            let d = ((buffer[i * 64 + j] - buffer[i * 64 + j + 1]) * 100.0) / 255.0;
            sum += i64::from((d as i32).abs());
        }
    }
    (sum / 90).min(100) as u8
}

/// B = D A Dᵀ: the 16×16 low-frequency DCT block of a 64×64 image.
pub fn dct_64_to_16(a: &[f32; 64 * 64]) -> [f32; 256] {
    let d = dct_matrix();
    let mut t = [0f32; 16 * 64];
    for i in 0..16 {
        for j in 0..64 {
            let mut sum = 0f32;
            for k in 0..64 {
                sum += d[i * 64 + k] * a[k * 64 + j];
            }
            t[i * 64 + j] = sum;
        }
    }
    let mut b = [0f32; 256];
    for i in 0..16 {
        for j in 0..16 {
            let mut sum = 0f32;
            for k in 0..64 {
                sum += t[i * 64 + k] * d[j * 64 + k];
            }
            b[i * 16 + j] = sum;
        }
    }
    b
}

/// One bit per coefficient: greater than the median (the 128th smallest).
pub fn bits_from_dct(b: &[f32; 256]) -> PdqHash {
    let mut sorted = *b;
    sorted.sort_unstable_by(f32::total_cmp);
    let median = sorted[127];
    let mut hash = PdqHash::default();
    for (k, v) in b.iter().enumerate() {
        if *v > median {
            hash.set_bit(k);
        }
    }
    hash
}

/// Hash a luminance image (row-major, rows × cols). `luma` is used as scratch.
pub fn hash_luma(luma: &mut [f32], rows: usize, cols: usize) -> Pdq {
    match dct_of_luma(luma, rows, cols) {
        Some((b, quality)) => Pdq {
            hash: bits_from_dct(&b),
            quality,
        },
        None => Pdq {
            hash: PdqHash::default(),
            quality: 0,
        },
    }
}

fn dct_of_luma(luma: &mut [f32], rows: usize, cols: usize) -> Option<([f32; 256], u8)> {
    if rows < MIN_HASHABLE_DIM || cols < MIN_HASHABLE_DIM || luma.len() < rows * cols {
        return None;
    }
    let small = downsample_64(luma, rows, cols);
    Some((dct_64_to_16(&small), quality_64(&small)))
}

/// Hash all eight rotations and reflections from one DCT.
pub fn dihedral_luma(luma: &mut [f32], rows: usize, cols: usize) -> Dihedral {
    let Some((b, quality)) = dct_of_luma(luma, rows, cols) else {
        let zero = PdqHash::default();
        return Dihedral {
            original: zero,
            rotate90: zero,
            rotate180: zero,
            rotate270: zero,
            flip_x: zero,
            flip_y: zero,
            flip_plus1: zero,
            flip_minus1: zero,
            quality: 0,
        };
    };
    // Coefficient (i, j) is frequency (i+1, j+1): mirroring an axis negates
    // the coefficients odd in it, which are those of even index.
    let transform = |transpose: bool, negate: &dyn Fn(usize, usize) -> bool| {
        let mut out = [0f32; 256];
        for i in 0..16 {
            for j in 0..16 {
                let v = if negate(i, j) {
                    -b[i * 16 + j]
                } else {
                    b[i * 16 + j]
                };
                if transpose {
                    out[j * 16 + i] = v;
                } else {
                    out[i * 16 + j] = v;
                }
            }
        }
        bits_from_dct(&out)
    };
    Dihedral {
        original: bits_from_dct(&b),
        rotate90: transform(true, &|_, j| j % 2 == 0),
        rotate180: transform(false, &|i, j| (i + j) % 2 == 1),
        rotate270: transform(true, &|i, _| i % 2 == 0),
        flip_x: transform(false, &|i, _| i % 2 == 0),
        flip_y: transform(false, &|_, j| j % 2 == 0),
        flip_plus1: transform(true, &|_, _| false),
        flip_minus1: transform(true, &|i, j| (i + j) % 2 == 1),
        quality,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_word_order() {
        let mut h = PdqHash::default();
        h.set_bit(0);
        h.set_bit(255);
        assert_eq!(
            h.to_hex(),
            "8000000000000000000000000000000000000000000000000000000000000001"
        );
        assert_eq!(PdqHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(PdqHash::from_lanes(h.lanes()), h);
        assert_eq!(PdqHash::from_hex("xyz"), None);
    }

    #[test]
    fn tiny_images_hash_to_zero_with_quality_zero() {
        let mut luma = vec![0.5f32; 4 * 100];
        let pdq = hash_luma(&mut luma, 4, 100);
        assert_eq!(pdq.quality, 0);
        assert_eq!(pdq.hash, PdqHash::default());
    }

    #[test]
    fn fast_downsample_is_bit_identical_to_the_reference_order() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for (rows, cols) in [
            (5, 5),
            (63, 200),
            (600, 400),
            (1004, 1600),
            (700, 64),
            (64, 64),
        ] {
            let luma: Vec<f32> = (0..rows * cols)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % 25_500) as f32 / 100.0
                })
                .collect();
            let fast = downsample_64(&mut luma.clone(), rows, cols);
            let slow = if (rows, cols) == (64, 64) {
                let mut o = [0f32; 4096];
                o.copy_from_slice(&luma);
                o
            } else {
                downsample_64_reference(&mut luma.clone(), rows, cols)
            };
            assert!(
                fast.iter()
                    .zip(slow.iter())
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{rows}x{cols}"
            );
        }
    }

    #[test]
    fn box_filter_matches_the_reference_worked_example() {
        // The reference's "7 and 4" diagram: window 7 over 0..16.
        let input: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let mut out = vec![0f32; 16];
        box_1d(&input, &mut out, 0, 16, 1, 7);
        let sums = [
            6., 10., 15., 21., 28., 35., 42., 49., 56., 63., 70., 77., 84., 75., 65., 54.,
        ];
        let counts = [
            4., 5., 6., 7., 7., 7., 7., 7., 7., 7., 7., 7., 7., 6., 5., 4.,
        ];
        for k in 0..16 {
            assert_eq!(out[k], sums[k] / counts[k], "index {k}");
        }
    }
}
