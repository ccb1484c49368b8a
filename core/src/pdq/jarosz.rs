//! PDQ's downsampling: the Jarosz tent filter (box filters along rows, then
//! columns, twice) and decimation to 64×64, bit-identical to the reference's
//! f32 arithmetic but laid out for caches, SIMD and all cores.

use super::scratch::Scratch;
use crate::parallel;

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
/// row by row (cache-friendly, vectorisable), bands of rows/columns run on
/// all cores, and the last two passes divide only where a sample is taken:
/// their running sums advance over every pixel as the reference's do, but
/// of pass 3 only the 64 sampled columns are kept, and of pass 4 only the 64
/// sampled rows of those.
pub fn downsample_64(luma: &mut [f32], rows: usize, cols: usize) -> [f32; 64 * 64] {
    let mut out = [0f32; 64 * 64];
    if rows == 64 && cols == 64 {
        out.copy_from_slice(&luma[..64 * 64]);
        return out;
    }
    let Plan {
        window_rows,
        window_cols,
        sample_rows,
        sample_cols,
    } = Plan::new(rows, cols);
    let mut scratch = Scratch::zeroed(rows * cols);
    // Pass 1 (rows), pass 2 (columns).
    box_rows(luma, &mut scratch, rows, cols, window_rows, None);
    box_cols(&scratch, luma, rows, cols, window_cols);
    // Pass 3 (rows), kept at the sampled columns only: rows × 64.
    let mut gathered = Scratch::zeroed(rows * 64);
    box_rows(
        luma,
        &mut gathered,
        rows,
        cols,
        window_rows,
        Some(&sample_cols),
    );
    pass_4(&gathered, rows, window_cols, &sample_rows, out)
}

/// The filter's windows and the 64 rows and columns sampled, for an image
/// of rows × cols.
struct Plan {
    window_rows: usize,
    window_cols: usize,
    sample_rows: Vec<usize>,
    sample_cols: Vec<usize>,
}

impl Plan {
    fn new(rows: usize, cols: usize) -> Self {
        let samples = |len: usize| -> Vec<usize> {
            (0..64)
                .map(|i| (((i as f64 + 0.5) * len as f64) / 64.0) as usize)
                .collect()
        };
        Self {
            window_rows: jarosz_window(cols, 64),
            window_cols: jarosz_window(rows, 64),
            sample_rows: samples(rows),
            sample_cols: samples(cols),
        }
    }
}

/// Pass 4: the 64 columns pass 3 kept (`gathered`, rows × 64), filtered down
/// the rows and kept at the sampled rows only, into `out`.
fn pass_4(
    gathered: &[f32],
    rows: usize,
    window_cols: usize,
    sample_rows: &[usize],
    mut out: [f32; 64 * 64],
) -> [f32; 64 * 64] {
    box_cols_band(
        gathered,
        rows,
        64,
        0,
        64,
        window_cols,
        Some(sample_rows),
        &mut out,
    );
    out
}

/// Samples of luminance [`downsample_64_banded`] asks for at a time (whole
/// rows, at least [`BAND_ROWS`] of them): 2 MB a band buffer.
pub const BAND_SAMPLES: usize = 1 << 19;
/// The fewest rows of a band.
pub const BAND_ROWS: usize = 16;

/// [`downsample_64`] of a luminance image never held whole: `fill(first,
/// band)` writes rows `first..first + band.len() / cols` into `band`, in
/// order, a band of [`BAND_ROWS`] at a time. What is held at once is a few
/// bands, the column filter's window of rows, and rows × 64 samples: for a
/// 48 MP photo about 9 MB, where [`downsample_64`] takes two full-size
/// buffers (384 MB). Bit-identical to it: every row and every column sees
/// the same f32 operations in the same order (the column filter's running
/// sums advance a row at a time, as they do there).
pub fn downsample_64_banded(
    rows: usize,
    cols: usize,
    fill: &mut dyn FnMut(usize, &mut [f32]),
) -> [f32; 64 * 64] {
    if rows == 64 && cols == 64 {
        let mut out = [0f32; 64 * 64];
        fill(0, &mut out);
        return out;
    }
    let Plan {
        window_rows,
        window_cols,
        sample_rows,
        sample_cols,
    } = Plan::new(rows, cols);
    let band = (BAND_SAMPLES / cols.max(1)).max(BAND_ROWS).min(rows).max(1);
    let mut luma = Scratch::zeroed(band * cols);
    // Pass 1's rows, row `r` at slot `r % slots`: the band just filtered and
    // the column filter's window before it.
    let slots = window_cols + band;
    let mut ring = Scratch::zeroed(slots * cols);
    // Pass 2's rows, filtered by pass 3 (and gathered) when full.
    let mut pass2 = Scratch::zeroed(band * cols);
    let mut held = 0usize;
    let mut gathered = Scratch::zeroed(rows * 64);
    let mut done = 0usize;
    let mut flush = |pass2: &[f32], held: &mut usize| {
        if *held == 0 {
            return;
        }
        box_rows(
            &pass2[..*held * cols],
            &mut gathered[done * 64..(done + *held) * 64],
            *held,
            cols,
            window_rows,
            Some(&sample_cols),
        );
        done += *held;
        *held = 0;
    };
    let mut columns = ColumnBox::new(rows, cols, window_cols, slots);
    for first in (0..rows).step_by(band) {
        let k = band.min(rows - first);
        fill(first, &mut luma[..k * cols]);
        // Pass 1 (rows) of this band, into its slots (in two runs where
        // they wrap around).
        let mut at = 0;
        while at < k {
            let slot = (first + at) % slots;
            let run = (k - at).min(slots - slot);
            box_rows(
                &luma[at * cols..(at + run) * cols],
                &mut ring[slot * cols..(slot + run) * cols],
                run,
                cols,
                window_rows,
                None,
            );
            at += run;
        }
        // Pass 2 (columns): each row in gives at most one out.
        for _ in 0..k {
            if columns.feed(&ring, &mut pass2[held * cols..(held + 1) * cols]) {
                held += 1;
            }
        }
        flush(&pass2, &mut held);
    }
    while columns.drain(&ring, &mut pass2[held * cols..(held + 1) * cols]) {
        held += 1;
        if held == band {
            flush(&pass2, &mut held);
        }
    }
    flush(&pass2, &mut held);
    debug_assert_eq!(done, rows);
    pass_4(&gathered, rows, window_cols, &sample_rows, [0f32; 64 * 64])
}

/// [`box_1d`] down every column of a rows × cols image whose rows come a
/// band at a time: per column the same f32 operations in the same order.
/// The rows are read from a ring of `slots` rows (row `r` at `r % slots`)
/// that holds each row from when it is fed until the window has left it.
struct ColumnBox {
    rows: usize,
    cols: usize,
    slots: usize,
    phase1: usize,
    /// Rows fed before the window starts sliding (phases 1 and 2).
    filled: usize,
    /// Rows given out at the end, as the window shrinks (phase 4).
    tail: usize,
    sum: Vec<f32>,
    n: usize,
    fed: usize,
    left: usize,
}

impl ColumnBox {
    fn new(rows: usize, cols: usize, window: usize, slots: usize) -> Self {
        let half = (window + 2) / 2;
        debug_assert!(slots > window);
        Self {
            rows,
            cols,
            slots,
            phase1: half - 1,
            filled: (half - 1) + (window - half + 1),
            tail: half - 1,
            sum: vec![0f32; cols],
            n: 0,
            fed: 0,
            left: 0,
        }
    }

    fn row<'r>(&self, ring: &'r [f32], r: usize) -> &'r [f32] {
        let at = (r % self.slots) * self.cols;
        &ring[at..at + self.cols]
    }

    /// Take the next row from `ring`; true when that completes an output
    /// row, written into `out`.
    fn feed(&mut self, ring: &[f32], out: &mut [f32]) -> bool {
        let ri = self.fed;
        debug_assert!(ri < self.rows);
        let add = self.row(ring, ri);
        self.fed += 1;
        if ri < self.phase1 {
            for (s, v) in self.sum.iter_mut().zip(add) {
                *s += v;
            }
            self.n += 1;
            return false;
        }
        if ri < self.filled {
            self.n += 1;
            for (s, v) in self.sum.iter_mut().zip(add) {
                *s += v;
            }
        } else {
            let sub = self.row(ring, self.left);
            for ((s, add), sub) in self.sum.iter_mut().zip(add).zip(sub) {
                *s += add;
                *s -= sub;
            }
            self.left += 1;
        }
        self.emit(out);
        true
    }

    /// Once every row is fed: the next output row left, into `out`; false
    /// when there is none.
    fn drain(&mut self, ring: &[f32], out: &mut [f32]) -> bool {
        if self.fed < self.rows || self.tail == 0 {
            return false;
        }
        self.tail -= 1;
        self.n -= 1;
        let sub = self.row(ring, self.left);
        for (s, v) in self.sum.iter_mut().zip(sub) {
            *s -= v;
        }
        self.left += 1;
        self.emit(out);
        true
    }

    fn emit(&self, out: &mut [f32]) {
        let nf = self.n as f32;
        for (o, s) in out.iter_mut().zip(&self.sum) {
            *o = *s / nf;
        }
    }
}

/// Box filter along every row, into rows × cols, or with `keep` (sorted
/// column indices) rows × `keep.len()` of just those columns. Rows are taken
/// 16 at a time and transposed, so the running sums of 16 rows advance
/// together (vectorised) instead of one long dependency chain per row; bands
/// of rows run on separate threads.
fn box_rows(
    input: &[f32],
    output: &mut [f32],
    rows: usize,
    cols: usize,
    window: usize,
    keep: Option<&[usize]>,
) {
    const K: usize = 16;
    let out_cols = keep.map_or(cols, <[usize]>::len);
    let workers = parallel::workers(rows * cols);
    let band = rows.div_ceil(workers).div_ceil(K).max(1) * K;
    let jobs: Vec<_> = input
        .chunks(band * cols)
        .zip(output.chunks_mut(band * out_cols))
        .collect();
    parallel::for_each(jobs, |(in_band, out_band)| {
        let mut transposed = Scratch::zeroed(cols * K);
        // With fewer than 64 columns, the kept ones (repeats) outnumber them.
        let mut filtered = Scratch::zeroed(cols.max(out_cols) * K);
        for (src, dst) in in_band
            .chunks(K * cols)
            .zip(out_band.chunks_mut(K * out_cols))
        {
            let k = src.len() / cols;
            if k < K {
                for (s, d) in src.chunks_exact(cols).zip(dst.chunks_exact_mut(out_cols)) {
                    match keep {
                        None => box_1d(s, d, 0, cols, 1, window),
                        Some(keep) => {
                            let row = &mut filtered[..cols];
                            box_1d(s, row, 0, cols, 1, window);
                            for (o, &c) in d.iter_mut().zip(keep) {
                                *o = row[c];
                            }
                        }
                    }
                }
                continue;
            }
            transpose::<K>(src, cols, &mut transposed);
            box_cols_band(&transposed, cols, K, 0, K, window, keep, &mut filtered);
            untranspose::<K>(&filtered[..out_cols * K], out_cols, dst);
        }
    });
}

/// `src` (K rows × `cols`) into `dst` (`cols` rows × K), 8 columns a block:
/// fixed-size blocks, so no bounds checks and the moves vectorise.
fn transpose<const K: usize>(src: &[f32], cols: usize, dst: &mut [f32]) {
    let rows: [&[f32]; K] = std::array::from_fn(|r| &src[r * cols..(r + 1) * cols]);
    let blocks = cols / 8;
    for (b, out) in dst[..blocks * 8 * K].chunks_exact_mut(8 * K).enumerate() {
        let mut block = [[0f32; 8]; K];
        for (line, row) in block.iter_mut().zip(&rows) {
            line.copy_from_slice(&row[b * 8..b * 8 + 8]);
        }
        for j in 0..8 {
            for r in 0..K {
                out[j * K + r] = block[r][j];
            }
        }
    }
    for c in blocks * 8..cols {
        for (r, row) in rows.iter().enumerate() {
            dst[c * K + r] = row[c];
        }
    }
}

/// The inverse of [`transpose`]: `src` (`cols` rows × K) into `dst` (K rows × `cols`).
fn untranspose<const K: usize>(src: &[f32], cols: usize, dst: &mut [f32]) {
    let mut rows: Vec<&mut [f32]> = dst[..K * cols].chunks_exact_mut(cols).collect();
    let blocks = cols / 8;
    for (b, input) in src[..blocks * 8 * K].chunks_exact(8 * K).enumerate() {
        let mut block = [[0f32; 8]; K];
        for j in 0..8 {
            for r in 0..K {
                block[r][j] = input[j * K + r];
            }
        }
        for (line, row) in block.iter().zip(rows.iter_mut()) {
            row[b * 8..b * 8 + 8].copy_from_slice(line);
        }
    }
    for c in blocks * 8..cols {
        for (r, row) in rows.iter_mut().enumerate() {
            row[c] = src[c * K + r];
        }
    }
}

/// Box filter along every column, swept row by row: per column the same
/// f32 operations in the same order as [`box_1d`], vectorised across columns.
fn box_cols(input: &[f32], output: &mut [f32], rows: usize, cols: usize, window: usize) {
    let workers = parallel::workers(rows * cols);
    if workers == 1 {
        // One band of every column is laid out as the output itself.
        box_cols_band(input, rows, cols, 0, cols, window, None, output);
        return;
    }
    let band = cols.div_ceil(workers).max(1);
    // Each band writes its own rows × width block; copied into place below.
    let mut outputs: Vec<(usize, Vec<f32>)> = (0..cols)
        .step_by(band)
        .map(|start| (start, vec![0f32; rows * band.min(cols - start)]))
        .collect();
    let jobs: Vec<_> = outputs.iter_mut().collect();
    parallel::for_each(jobs, |(start, out)| {
        let width = band.min(cols - *start);
        box_cols_band(input, rows, cols, *start, width, window, None, out);
    });
    for (start, band_out) in outputs {
        let width = band_out.len() / rows.max(1);
        for r in 0..rows {
            output[r * cols + start..r * cols + start + width]
                .copy_from_slice(&band_out[r * width..(r + 1) * width]);
        }
    }
}

avx2_or_plain! {
    /// Columns `start..start+width` of `input`, filtered down the rows into
    /// `out`: rows × width, or with `keep` (sorted row indices, repeats allowed)
    /// `keep.len()` × width of just those rows. Sums advance over every row
    /// either way; only the kept rows are divided and stored.
    ///
    /// With AVX2 (checked at run time) eight columns a register instead of four:
    /// the same f32 operations, so the same values.
    fn box_cols_band | box_cols_band_any(
        input: &[f32],
        rows: usize,
        cols: usize,
        start: usize,
        width: usize,
        window: usize,
        keep: Option<&[usize]>,
        out: &mut [f32],
    ) {
        let half = (window + 2) / 2;
        let phase1 = half - 1;
        let phase2 = window - half + 1;
        let phase3 = rows.saturating_sub(window);
        let phase4 = half - 1;
        let mut sum = vec![0f32; width];
        let row = |r: usize| &input[r * cols + start..r * cols + start + width];
        let mut next = 0usize;
        // Output row `oi` is `sum / n`: stored in place, or where `keep` wants it.
        let mut emit = |oi: usize, sum: &[f32], nf: f32, out: &mut [f32]| match keep {
            None => {
                for (o, s) in out[oi * width..(oi + 1) * width].iter_mut().zip(sum) {
                    *o = *s / nf;
                }
            }
            Some(keep) => {
                while keep.get(next) == Some(&oi) {
                    for (o, s) in out[next * width..(next + 1) * width].iter_mut().zip(sum) {
                        *o = *s / nf;
                    }
                    next += 1;
                }
            }
        };
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
            for (s, v) in sum.iter_mut().zip(row(ri)) {
                *s += v;
            }
            emit(oi, &sum, n as f32, out);
            ri += 1;
            oi += 1;
        }
        let nf = n as f32;
        for _ in 0..phase3 {
            for ((s, add), sub) in sum.iter_mut().zip(row(ri)).zip(row(li)) {
                *s += add;
                *s -= sub;
            }
            emit(oi, &sum, nf, out);
            li += 1;
            ri += 1;
            oi += 1;
        }
        for _ in 0..phase4 {
            n -= 1;
            for (s, v) in sum.iter_mut().zip(row(li)) {
                *s -= v;
            }
            emit(oi, &sum, n as f32, out);
            li += 1;
            oi += 1;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
            // Fewer than 64 columns or rows: sample indices repeat.
            (37, 9),
            (300, 5),
            (480, 720),
            // Taller than a band, with a column window wider than a band
            // (rows / 128 > 64): the last rows come out after the last band.
            (9000, 7),
            (130, 3000),
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
            let banded = downsample_64_banded(rows, cols, &mut |first, band| {
                band.copy_from_slice(&luma[first * cols..first * cols + band.len()]);
            });
            assert!(
                fast.iter()
                    .zip(banded.iter())
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "banded {rows}x{cols}"
            );
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
