//! PDQ and Hamming matching on tensors (libtorch through `tch`): batches on
//! a CUDA device when there is one, on the CPU otherwise.
//!
//! # PDQ as matrix products
//! Every step of PDQ before the median is linear in the luminance image X
//! (rows × cols), and the row and column passes act on different axes, so
//! the Jarosz filter (a box filter applied twice along rows and twice along
//! columns) followed by the 64×64 decimation is `A = Mr · X · Mcᵀ`, where
//! `Mr` (64 × rows) is "box-filter twice along a column, keep 64 samples"
//! and `Mc` (64 × cols) the same along a row. Each is built once per length,
//! in f64, from the reference's window rule (a box of `ceil(len / 128)`,
//! shrinking at the edges), then kept in f32 on the device. The DCT is
//! `B = D · A · Dᵀ` with D the 16×64 DCT-II basis. Images of the same shape
//! go through as one batched product; the median is a per-image `kthvalue`.
//!
//! Luminance is computed on the device from 8-bit pixels exactly as the CPU
//! path computes it (products and sums in f64, rounded to f32), so the only
//! difference from the CPU hash is the order of f32 additions in the filter
//! and the DCT: coefficients agree to about 1e-6 relative, and a bit differs
//! only where a coefficient sits that close to the median. The tolerance
//! tested on the reference corpus is [`TENSOR_PDQ_TOLERANCE`] bits.
//!
//! # Matching
//! Hashes become ±1 vectors; for a query q and a bank hash b,
//! `q·b = 256 − 2·hamming(q, b)`, so a batch of queries against a chunk of
//! the bank is one matrix product (f16 on CUDA, exact for these integers,
//! f32 on the CPU), and the nearest hash is the row maximum (the first one
//! on ties: the lowest id, as the CPU index answers). The bank stays packed
//! (32 bytes a hash) and is unpacked a chunk at a time, so banks larger than
//! the device's memory are searched chunk by chunk.

use std::collections::HashMap;
use std::sync::Mutex;

use tch::{Device, Kind, Tensor};

use crate::pdq::{jarosz_window, Pdq, PdqHash, MIN_HASHABLE_DIM};
use crate::pixels::PdqPixels;

/// Largest Hamming distance between a tensor PDQ hash and the CPU hash of
/// the same pixels that the tests accept (measured on the reference corpus:
/// see `core/tests/feed_tensor.rs`).
pub const TENSOR_PDQ_TOLERANCE: u32 = 2;

/// A libtorch failure (out of device memory, a missing CUDA runtime…).
#[derive(Debug, thiserror::Error)]
#[error("libtorch: {0}")]
pub struct TensorError(String);

impl From<tch::TchError> for TensorError {
    fn from(e: tch::TchError) -> Self {
        Self(e.to_string())
    }
}

type Result<T> = std::result::Result<T, TensorError>;

/// Whether libtorch sees a CUDA device.
pub fn cuda_available() -> bool {
    tch::Cuda::is_available()
}

/// The name of a device as the CLI shows it.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu (libtorch)".into(),
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Box filter of window `w` over `n` samples as the reference computes it:
/// output `o` averages inputs `o − (w − half) ..= o + half − 1`, clipped to
/// the ends (`half = (w + 2) / 2`).
fn box_matrix(n: usize) -> Vec<Vec<(usize, f64)>> {
    let w = jarosz_window(n, 64).max(1);
    let half = (w + 2) / 2;
    (0..n)
        .map(|o| {
            let lo = o.saturating_sub(w - half);
            let hi = (o + half - 1).min(n - 1);
            let weight = 1.0 / (hi - lo + 1) as f64;
            (lo..=hi).map(|i| (i, weight)).collect()
        })
        .collect()
}

/// `M` (64 × n, row-major, f32): box filter twice, then keep the 64 samples
/// at the centres of a regular grid.
fn decimation_matrix(n: usize) -> Vec<f32> {
    let b = box_matrix(n);
    let mut m = vec![0f32; 64 * n];
    for i in 0..64 {
        let s = (((i as f64 + 0.5) * n as f64) / 64.0) as usize;
        let mut row = vec![0f64; n];
        for &(k, wk) in &b[s.min(n - 1)] {
            for &(j, wj) in &b[k] {
                row[j] += wk * wj;
            }
        }
        for (dst, v) in m[i * n..(i + 1) * n].iter_mut().zip(row) {
            *dst = v as f32;
        }
    }
    m
}

/// The 16×64 DCT-II basis (rows 1..=16), as the CPU path builds it.
fn dct_basis() -> Vec<f32> {
    let scale = (2.0f64 / 64.0).sqrt() as f32;
    let mut d = vec![0f32; 16 * 64];
    for i in 0..16 {
        for j in 0..64 {
            let angle =
                (std::f64::consts::PI / 2.0 / 64.0) * (i as f64 + 1.0) * (2.0 * j as f64 + 1.0);
            d[i * 64 + j] = (f64::from(scale) * angle.cos()) as f32;
        }
    }
    d
}

fn i64_of(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Batched PDQ on one device.
pub struct TensorPdq {
    device: Device,
    dct: Tensor,
    /// Decimation matrices by length, on the device.
    matrices: Mutex<HashMap<usize, Tensor>>,
    /// 2^0 … 2^63 as i64, for packing bits into lanes.
    powers: Tensor,
    /// 255 as a device tensor: dividing by a tensor, not a scalar, keeps the
    /// quality arithmetic a true f32 division on every backend.
    two_five_five: Tensor,
}

impl std::fmt::Debug for TensorPdq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TensorPdq")
            .field("device", &self.device)
            .finish()
    }
}

impl TensorPdq {
    pub fn new(device: Device) -> Result<Self> {
        let dct = Tensor::f_from_slice(&dct_basis())?
            .f_view([16, 64])?
            .f_to_device(device)?;
        let powers: Vec<i64> = (0..64).map(|b| (1u64 << b) as i64).collect();
        Ok(Self {
            device,
            dct,
            matrices: Mutex::new(HashMap::new()),
            powers: Tensor::f_from_slice(&powers)?.f_to_device(device)?,
            two_five_five: Tensor::f_from_slice(&[255f32])?.f_to_device(device)?,
        })
    }

    pub fn device(&self) -> Device {
        self.device
    }

    fn matrix(&self, n: usize) -> Result<Tensor> {
        let mut cache = self
            .matrices
            .lock()
            .map_err(|_| TensorError("matrix cache poisoned".into()))?;
        if let Some(m) = cache.get(&n) {
            return Ok(m.shallow_clone());
        }
        let m = Tensor::f_from_slice(&decimation_matrix(n))?
            .f_view([64, i64_of(n)])?
            .f_to_device(self.device)?;
        // Feeds bring a few hundred distinct sizes at most; a hostile one
        // bringing thousands only costs rebuilding them.
        if cache.len() >= 4096 {
            cache.clear();
        }
        cache.insert(n, m.shallow_clone());
        Ok(m)
    }

    /// Hash images of any shapes. Images of the same shape are hashed as one
    /// batch; images too small to hash get the zero hash with quality 0, as
    /// on the CPU.
    pub fn hash(&self, images: &[&PdqPixels]) -> Result<Vec<Pdq>> {
        let zero = Pdq {
            hash: PdqHash::default(),
            quality: 0,
        };
        let mut out = vec![zero; images.len()];
        let mut groups: HashMap<(usize, usize, usize), Vec<usize>> = HashMap::new();
        for (i, image) in images.iter().enumerate() {
            let channels = image.channels.clamp(1, 4);
            if image.rows < MIN_HASHABLE_DIM
                || image.cols < MIN_HASHABLE_DIM
                || image.pixels.len() < image.rows * image.cols * channels
            {
                continue;
            }
            groups
                .entry((image.rows, image.cols, channels))
                .or_default()
                .push(i);
        }
        let mut keys: Vec<_> = groups.keys().copied().collect();
        keys.sort_unstable();
        for key @ (rows, cols, channels) in keys {
            let members = groups.get(&key).map(Vec::as_slice).unwrap_or_default();
            let plane = rows * cols * channels;
            let mut data = Vec::with_capacity(plane * members.len());
            for &i in members {
                data.extend_from_slice(&images[i].pixels[..plane]);
            }
            let batch = Tensor::f_from_slice(&data)?
                .f_view([
                    i64_of(members.len()),
                    i64_of(rows),
                    i64_of(cols),
                    i64_of(channels),
                ])?
                .f_to_device(self.device)?;
            drop(data);
            for (&i, pdq) in members.iter().zip(self.hash_batch(&batch)?) {
                out[i] = pdq;
            }
        }
        Ok(out)
    }

    /// Hash a batch of same-shape 8-bit images already in a tensor
    /// (N × rows × cols × channels, u8, on any device; channels 1, 3 or 4).
    pub fn hash_batch(&self, batch: &Tensor) -> Result<Vec<Pdq>> {
        let (lanes, quality) = self.hash_batch_tensors(batch)?;
        let n = quality.size().first().copied().unwrap_or(0);
        let n = usize::try_from(n).unwrap_or_default();
        let mut packed = vec![0i64; n * 4];
        lanes
            .f_to_device(Device::Cpu)?
            .f_copy_data(&mut packed, n * 4)?;
        let mut q = vec![0i64; n];
        quality.f_to_device(Device::Cpu)?.f_copy_data(&mut q, n)?;
        Ok(packed
            .chunks_exact(4)
            .zip(q)
            .map(|(l, q)| Pdq {
                hash: PdqHash::from_lanes([l[0] as u64, l[1] as u64, l[2] as u64, l[3] as u64]),
                quality: q.clamp(0, 100) as u8,
            })
            .collect())
    }

    /// [`Self::hash_batch`], leaving the results on the device: lanes
    /// (N × 4, i64, bit k of the hash is bit k % 64 of lane k / 64) and quality (N, i64).
    pub fn hash_batch_tensors(&self, batch: &Tensor) -> Result<(Tensor, Tensor)> {
        let size = batch.size();
        let [n, rows, cols, channels] = size[..] else {
            return Err(TensorError(format!(
                "expected N×rows×cols×channels, got {size:?}"
            )));
        };
        let batch = batch.f_to_device(self.device)?;
        let luma = if channels == 1 {
            batch.f_select(3, 0)?.f_to_kind(Kind::Float)?
        } else {
            let channel =
                |c: i64| -> Result<Tensor> { Ok(batch.f_select(3, c)?.f_to_kind(Kind::Double)?) };
            let r = channel(0)?.f_mul_scalar(0.299)?;
            let g = channel(1)?.f_mul_scalar(0.587)?;
            let b = channel(2)?.f_mul_scalar(0.114)?;
            r.f_add(&g)?.f_add(&b)?.f_to_kind(Kind::Float)?
        };
        let mr = self.matrix(usize::try_from(rows).unwrap_or_default())?;
        let mc = self.matrix(usize::try_from(cols).unwrap_or_default())?;
        // A = Mr · X · Mcᵀ (N × 64 × 64).
        let a = mr.f_matmul(&luma)?.f_matmul(&mc.f_transpose(0, 1)?)?;
        // Quality: the reference's gradient sum over the 64×64 image, down
        // the columns (dim 1) and along the rows (dim 2).
        let gradient_sum = |dim: i64| -> Result<Tensor> {
            Ok(a.f_narrow(dim, 0, 63)?
                .f_sub(&a.f_narrow(dim, 1, 63)?)?
                .f_mul_scalar(100f64)?
                .f_div(&self.two_five_five)?
                .f_trunc()?
                .f_abs()?
                .f_to_kind(Kind::Int64)?
                .f_sum_dim_intlist(&[1i64, 2][..], false, Kind::Int64)?)
        };
        let gradient = gradient_sum(1)?.f_add(&gradient_sum(2)?)?;
        let quality = gradient.f_floor_divide_scalar(90)?.f_clamp_max(100)?;
        // B = D · A · Dᵀ (N × 16 × 16), one bit per coefficient above the median.
        let coefficients = self
            .dct
            .f_matmul(&a)?
            .f_matmul(&self.dct.f_transpose(0, 1)?)?
            .f_reshape([n, 256])?;
        let (median, _) = coefficients.f_kthvalue(128, 1, true)?;
        let bits = coefficients
            .f_gt_tensor(&median)?
            .f_to_kind(Kind::Int64)?
            .f_reshape([n, 4, 64])?;
        let lanes = bits
            .f_mul(&self.powers)?
            .f_sum_dim_intlist(&[2i64][..], false, Kind::Int64)?;
        Ok((lanes, quality))
    }
}

/// The nearest bank hash to a query: its id and distance.
pub type Nearest = Option<(usize, u32)>;

/// A bank packed for matrix-product matching on one device.
pub struct TensorMatcher {
    device: Device,
    /// The bank, packed (len × 4, i64): on the device when it fits the
    /// budget, else on the host and sent a chunk at a time.
    chunks: Vec<Tensor>,
    len: usize,
    chunk_rows: usize,
    /// Most elements of one queries × chunk product.
    product_budget: usize,
    shifts: Tensor,
}

impl std::fmt::Debug for TensorMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TensorMatcher")
            .field("device", &self.device)
            .field("len", &self.len)
            .field("chunks", &self.chunks.len())
            .finish()
    }
}

/// Packed bank bytes kept on a CUDA device (beyond this, chunks are streamed).
const RESIDENT_BYTES: usize = 4 << 30;

impl TensorMatcher {
    /// Pack `lanes` for `device`. `chunk_rows` bounds the bank hashes
    /// unpacked at once (0 picks a default for the device).
    pub fn new(lanes: &[[u64; 4]], device: Device, chunk_rows: usize) -> Result<Self> {
        let cuda = device.is_cuda();
        let chunk_rows = match chunk_rows {
            0 if cuda => 1 << 20,
            0 => 1 << 16,
            n => n,
        };
        let resident = cuda && lanes.len() * 32 <= RESIDENT_BYTES;
        let mut chunks = Vec::new();
        for part in lanes.chunks(chunk_rows) {
            let flat: Vec<i64> = part.iter().flatten().map(|&l| l as i64).collect();
            let t = Tensor::f_from_slice(&flat)?.f_view([i64_of(part.len()), 4])?;
            chunks.push(if resident { t.f_to_device(device)? } else { t });
        }
        let shifts = Tensor::f_arange(64i64, (Kind::Int64, device))?;
        Ok(Self {
            device,
            chunks,
            len: lanes.len(),
            chunk_rows,
            product_budget: if cuda { 1 << 30 } else { 1 << 24 },
            shifts,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn kind(&self) -> Kind {
        if self.device.is_cuda() {
            Kind::Half
        } else {
            Kind::Float
        }
    }

    /// Packed lanes (M × 4 i64, on the device) to ±1 rows (M × 256).
    fn unpack(&self, packed: &Tensor) -> Result<Tensor> {
        let m = packed.size().first().copied().unwrap_or(0);
        let bits = packed
            .f_to_device(self.device)?
            .f_unsqueeze(2)?
            .f_bitwise_right_shift(&self.shifts)?
            .f_bitwise_and(1)?
            .f_reshape([m, 256])?;
        Ok(bits
            .f_mul_scalar(2)?
            .f_sub_scalar(1)?
            .f_to_kind(self.kind())?)
    }

    fn pack_queries(&self, queries: &[[u64; 4]]) -> Result<Tensor> {
        let flat: Vec<i64> = queries.iter().flatten().map(|&l| l as i64).collect();
        self.unpack(&Tensor::f_from_slice(&flat)?.f_view([i64_of(queries.len()), 4])?)
    }

    /// Every chunk of the bank (in id order) against every block of queries:
    /// for each query and chunk, `visit(query, candidates)` gets the `k`
    /// nearest hashes of that chunk as (id, distance). With `k == 1` the
    /// candidate is the row maximum's first index, so the lowest id wins ties.
    /// Each chunk is unpacked once; each block of queries packed once.
    fn scan(
        &self,
        queries: &[[u64; 4]],
        k: usize,
        mut visit: impl FnMut(usize, &[(usize, u32)]),
    ) -> Result<()> {
        let block = (self.product_budget / self.chunk_rows.max(1)).clamp(1, 1 << 16);
        let packed: Vec<Tensor> = queries
            .chunks(block)
            .map(|b| self.pack_queries(b))
            .collect::<Result<_>>()?;
        for (c, chunk) in self.chunks.iter().enumerate() {
            let rows =
                usize::try_from(chunk.size().first().copied().unwrap_or(0)).unwrap_or_default();
            let kk = k.min(rows).max(1);
            let bank = self.unpack(chunk)?.f_transpose(0, 1)?;
            for (qb, (q, query_block)) in packed.iter().zip(queries.chunks(block)).enumerate() {
                let dots = q.f_matmul(&bank)?;
                let (values, indices) = if kk == 1 {
                    dots.f_max_dim(1, true)?
                } else {
                    dots.f_topk(i64_of(kk), 1, true, true)?
                };
                let n = query_block.len() * kk;
                let mut v = vec![0f32; n];
                values
                    .f_to_kind(Kind::Float)?
                    .f_to_device(Device::Cpu)?
                    .f_copy_data(&mut v, n)?;
                let mut ix = vec![0i64; n];
                indices.f_to_device(Device::Cpu)?.f_copy_data(&mut ix, n)?;
                let mut candidates = Vec::with_capacity(kk);
                for (qi, (vs, is)) in v.chunks(kk).zip(ix.chunks(kk)).enumerate() {
                    candidates.clear();
                    candidates.extend(vs.iter().zip(is).map(|(&dot, &idx)| {
                        // q·b = 256 − 2·distance
                        let distance = ((256.0 - dot) / 2.0).round().clamp(0.0, 256.0) as u32;
                        (
                            c * self.chunk_rows + usize::try_from(idx).unwrap_or_default(),
                            distance,
                        )
                    }));
                    visit(qb * block + qi, &candidates);
                }
            }
        }
        Ok(())
    }

    /// For each query, the nearest bank hash (lowest id on ties), if within
    /// `threshold` bits.
    pub fn nearest(&self, queries: &[[u64; 4]], threshold: u32) -> Result<Vec<Nearest>> {
        let mut best: Vec<Nearest> = vec![None; queries.len()];
        if self.len == 0 || queries.is_empty() {
            return Ok(best);
        }
        self.scan(queries, 1, |query, candidates| {
            if let Some(&(id, distance)) = candidates.first() {
                let slot = &mut best[query];
                // Chunks come in id order: an equal distance keeps the earlier id.
                if slot.is_none_or(|(_, d)| distance < d) {
                    *slot = Some((id, distance));
                }
            }
        })?;
        Ok(best
            .into_iter()
            .map(|b| b.filter(|&(_, d)| d <= threshold))
            .collect())
    }

    /// For each query, up to `k` bank hashes within `threshold` bits, nearest
    /// first (ids ascending among equal distances; which of several equally
    /// near hashes fill the last places is unspecified).
    pub fn top_k(
        &self,
        queries: &[[u64; 4]],
        k: usize,
        threshold: u32,
    ) -> Result<Vec<Vec<(usize, u32)>>> {
        let mut found: Vec<Vec<(usize, u32)>> = vec![Vec::new(); queries.len()];
        if self.len == 0 || k == 0 {
            return Ok(found);
        }
        self.scan(queries, k, |query, candidates| {
            let list = &mut found[query];
            list.extend(candidates.iter().filter(|&&(_, d)| d <= threshold));
            list.sort_unstable_by_key(|&(id, d)| (d, id));
            list.truncate(k);
        })?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_decimation_matrix_is_the_reference_filter() {
        // Filtering a random image with the CPU path equals Mr · X · Mcᵀ.
        let (rows, cols) = (300usize, 77usize);
        let mut seed = 7u64;
        let luma: Vec<f32> = (0..rows * cols)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((seed >> 33) % 256) as f32
            })
            .collect();
        let cpu = crate::pdq::downsample_64(&mut luma.clone(), rows, cols);
        let mr = decimation_matrix(rows);
        let mc = decimation_matrix(cols);
        let mut max_diff = 0f32;
        for i in 0..64 {
            for j in 0..64 {
                let mut v = 0f64;
                for r in 0..rows {
                    let mut t = 0f64;
                    for c in 0..cols {
                        t += f64::from(luma[r * cols + c]) * f64::from(mc[j * cols + c]);
                    }
                    v += f64::from(mr[i * rows + r]) * t;
                }
                max_diff = max_diff.max((v as f32 - cpu[i * 64 + j]).abs());
            }
        }
        assert!(max_diff < 1e-3, "max difference {max_diff}");
    }

    #[test]
    fn matching_finds_the_nearest_with_ties_to_the_lowest_id() {
        let base = [0x0123_4567_89ab_cdefu64, 0xfedc_ba98_7654_3210, 0, u64::MAX];
        let mut near = base;
        near[2] ^= 0b111; // 3 bits away
        let far = [!base[0], !base[1], !base[2], !base[3]];
        let bank = vec![far, near, base, base, near];
        let matcher = TensorMatcher::new(&bank, Device::Cpu, 2).unwrap();
        let got = matcher.nearest(&[base, near, far], 31).unwrap();
        assert_eq!(got, vec![Some((2, 0)), Some((1, 0)), Some((0, 0))]);
        let top = matcher.top_k(&[base], 3, 31).unwrap();
        assert_eq!(top, vec![vec![(2, 0), (3, 0), (1, 3)]]);
        let mut lone = base;
        lone[0] ^= u64::MAX;
        lone[1] ^= u64::MAX;
        assert_eq!(matcher.nearest(&[lone], 31).unwrap(), vec![None]);
    }
}
