//! PDQ, Meta's 256-bit perceptual image hash, written from the published
//! algorithm (pdqhash-2017-10-09): luminance, a two-pass Jarosz tent filter
//! (box filters along rows then columns, twice), decimation to 64×64, the
//! 16×16 low-frequency block of a 2D DCT, and one bit per coefficient: above
//! the median or not. Arithmetic is `f32` in the reference's order, so hashes
//! of identical pixels are identical to the reference's, bit for bit.

use std::fmt;

mod jarosz;
mod scratch;
pub use jarosz::{downsample_64, downsample_64_banded, jarosz_window, BAND_ROWS, BAND_SAMPLES};
#[cfg(feature = "video")]
pub(crate) use scratch::Scratch;

/// Images smaller than this on either side hash to zero with quality 0.
pub const MIN_HASHABLE_DIM: usize = 5;
/// Hashes with quality below this are not used for matching.
pub const MIN_MATCH_QUALITY: u8 = 50;
/// Hamming distance at or under which two hashes are the same picture.
pub const DEFAULT_MATCH_THRESHOLD: u32 = 31;
/// Largest match threshold any command accepts: beyond half the bits,
/// "near" means nothing. The CLI, the registry and the WASM package all use it.
pub const MAX_MATCH_THRESHOLD: u32 = 128;

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

/// As the 64 hex digits the CLI prints.
impl serde::Serialize for PdqHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
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
/// reference bindings do: Y = 0.299 R + 0.587 G + 0.114 B, the products
/// summed left to right.
pub fn luma_from_rgb8(pixels: &[u8], channels: usize) -> Vec<f32> {
    let channels = channels.max(3);
    let n = pixels.len() / channels;
    let mut luma = vec![0f32; n];
    let band = n.div_ceil(crate::parallel::workers(n)).max(1);
    let jobs: Vec<_> = luma
        .chunks_mut(band)
        .zip(pixels.chunks(band * channels))
        .collect();
    crate::parallel::for_each(jobs, |(dst, src)| luma_row(src, channels, dst));
    luma
}

avx2_or_plain! {
    /// One row (or any run) of pixels to luma, as [`luma_from_rgb8`] computes it.
    /// With AVX2 (checked at run time) eight pixels at a time: the same
    /// integer sums and f32 division (see [`luma_of`]), so the same values.
    pub(crate) fn luma_row | luma_row_any(src: &[u8], channels: usize, dst: &mut [f32]) {
        match channels {
            3 => luma_pixels::<3>(src, dst),
            4 => luma_pixels::<4>(src, dst),
            n => {
                for (y, p) in dst.iter_mut().zip(src.chunks_exact(n.max(3))) {
                    *y = luma_of(p[0], p[1], p[2]);
                }
            }
        }
    }
}

#[inline(always)]
fn luma_pixels<const N: usize>(src: &[u8], dst: &mut [f32]) {
    let (pixels, _) = src.as_chunks::<N>();
    for (y, p) in dst.iter_mut().zip(pixels) {
        *y = luma_of(p[0], p[1], p[2]);
    }
}

/// The reference's luma, `(0.299·R + 0.587·G + 0.114·B)` in f64 rounded to
/// f32, computed as `(299·R + 587·G + 114·B) / 1000` in f32: the integer sum
/// is exact in f32 (at most 255,000) and one division rounds it correctly,
/// and for every one of the 16,777,216 colours that is the f64 expression's
/// value bit for bit (`luma_is_the_reference_formula_for_every_colour`
/// checks them all). Eight pixels a step with AVX2 instead of four in f64:
/// a scan of tampered photos computes it for every pixel.
#[inline(always)]
fn luma_of(r: u8, g: u8, b: u8) -> f32 {
    (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) as f32 / 1000.0
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
    pdq_of(dct_of_luma(luma, rows, cols))
}

/// The hash of a DCT block and its quality; a zero hash of quality 0 for none.
fn pdq_of(dct: Option<([f32; 256], u8)>) -> Pdq {
    match dct {
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

/// [`hash_luma`] of a luminance image made a band of rows at a time by
/// `fill` ([`downsample_64_banded`]), never held whole: the same hash.
pub fn hash_rows(rows: usize, cols: usize, fill: &mut dyn FnMut(usize, &mut [f32])) -> Pdq {
    pdq_of(dct_of_rows(rows, cols, fill))
}

fn dct_of_luma(luma: &mut [f32], rows: usize, cols: usize) -> Option<([f32; 256], u8)> {
    if rows < MIN_HASHABLE_DIM || cols < MIN_HASHABLE_DIM || luma.len() < rows * cols {
        return None;
    }
    let small = downsample_64(luma, rows, cols);
    Some((dct_64_to_16(&small), quality_64(&small)))
}

fn dct_of_rows(
    rows: usize,
    cols: usize,
    fill: &mut dyn FnMut(usize, &mut [f32]),
) -> Option<([f32; 256], u8)> {
    if rows < MIN_HASHABLE_DIM || cols < MIN_HASHABLE_DIM {
        return None;
    }
    let small = downsample_64_banded(rows, cols, fill);
    Some((dct_64_to_16(&small), quality_64(&small)))
}

/// Hash all eight rotations and reflections from one DCT.
pub fn dihedral_luma(luma: &mut [f32], rows: usize, cols: usize) -> Dihedral {
    dihedral_of(dct_of_luma(luma, rows, cols))
}

/// [`dihedral_luma`] of a luminance image made a band at a time ([`hash_rows`]).
pub fn dihedral_rows(
    rows: usize,
    cols: usize,
    fill: &mut dyn FnMut(usize, &mut [f32]),
) -> Dihedral {
    dihedral_of(dct_of_rows(rows, cols, fill))
}

fn dihedral_of(dct: Option<([f32; 256], u8)>) -> Dihedral {
    let Some((b, quality)) = dct else {
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

    /// Every colour, through the vector path and the plain one, in RGB and
    /// RGBA, against the products taken from tables (the form this had before).
    #[test]
    fn luma_is_the_reference_formula_for_every_colour() {
        let table = |k: f64| -> [f64; 256] { std::array::from_fn(|v| v as f64 * k) };
        let (tr, tg, tb) = (table(0.299), table(0.587), table(0.114));
        for channels in [3usize, 4] {
            let mut src = vec![0u8; 65536 * channels];
            let (mut fast, mut plain) = (vec![0f32; 65536], vec![0f32; 65536]);
            for r in 0..=255u8 {
                for (i, p) in src.chunks_exact_mut(channels).enumerate() {
                    p[..3].copy_from_slice(&[r, (i >> 8) as u8, i as u8]);
                }
                luma_row(&src, channels, &mut fast);
                luma_row_any(&src, channels, &mut plain);
                for (i, (&f, &p)) in fast.iter().zip(&plain).enumerate() {
                    let want = (tr[usize::from(r)] + tg[i >> 8] + tb[i & 255]) as f32;
                    assert_eq!(
                        f.to_bits(),
                        want.to_bits(),
                        "rgb {r} {} {}",
                        i >> 8,
                        i & 255
                    );
                    assert_eq!(p.to_bits(), want.to_bits());
                }
            }
        }
    }

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
}
