//! PDQ's downsampling: the Jarosz tent filter (box filters along rows, then
//! columns, twice) and decimation to 64×64, bit-identical to the reference's
//! f32 arithmetic but laid out for caches, SIMD and all cores.

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

/// Box filter along every row. Rows are taken 16 at a time and transposed,
/// so the running sums of 16 rows advance together (vectorised) instead of
/// one long dependency chain per row; bands of rows run on separate threads.
fn box_rows(input: &[f32], output: &mut [f32], rows: usize, cols: usize, window: usize) {
    const K: usize = 16;
    let workers = parallel::workers(rows * cols);
    let band = rows.div_ceil(workers).div_ceil(K).max(1) * K;
    let jobs: Vec<_> = input
        .chunks(band * cols)
        .zip(output.chunks_mut(band * cols))
        .collect();
    parallel::for_each(jobs, |(in_band, out_band)| {
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

/// Box filter along every column, swept row by row: per column the same
/// f32 operations in the same order as [`box_1d`], vectorised across columns.
fn box_cols(input: &[f32], output: &mut [f32], rows: usize, cols: usize, window: usize) {
    let workers = parallel::workers(rows * cols);
    let band = cols.div_ceil(workers).max(1);
    // Each band writes its own rows × width block; copied into place below.
    let mut outputs: Vec<(usize, Vec<f32>)> = (0..cols)
        .step_by(band)
        .map(|start| (start, Vec::new()))
        .collect();
    let jobs: Vec<_> = outputs.iter_mut().collect();
    parallel::for_each(jobs, |(start, out)| {
        let width = band.min(cols - *start);
        *out = box_cols_band(input, rows, cols, *start, width, window);
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
