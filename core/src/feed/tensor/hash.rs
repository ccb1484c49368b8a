//! Batched PDQ on one device.
//!
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

use std::collections::HashMap;
use std::sync::Mutex;

use tch::{Device, Kind, Tensor};

use crate::pdq::{jarosz_window, Pdq, PdqHash, MIN_HASHABLE_DIM};
use crate::pixels::PdqPixels;
#[cfg(feature = "video")]
use crate::vpdq::decode::FramePixels;

use super::{i64_of, Result, TensorError};

/// Box filter of window `w` over `n` samples as the reference computes it:
/// output `o` averages inputs `o − (w − half) ..= o + half − 1`, clipped to
/// the ends (`half = (w + 2) / 2`).
pub(super) fn box_matrix(n: usize) -> Vec<Vec<(usize, f64)>> {
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
pub(super) fn decimation_matrix(n: usize) -> Vec<f32> {
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
pub(super) fn dct_basis() -> Vec<f32> {
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

/// Lanes (N × 4) and qualities (N) from the device, as hashes.
fn unpack(lanes: &Tensor, quality: &Tensor) -> Result<Vec<Pdq>> {
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

/// One picture of a batch: 8-bit samples, their shape, and for one channel
/// the luminance each value stands for (`None`: the value itself).
struct Plane<'a> {
    bytes: &'a [u8],
    rows: usize,
    cols: usize,
    channels: usize,
    table: Option<&'static [f32; 256]>,
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
        let planes: Vec<Plane<'_>> = images
            .iter()
            .map(|i| Plane {
                bytes: &i.pixels,
                rows: i.rows,
                cols: i.cols,
                channels: i.channels.clamp(1, 4),
                table: None,
            })
            .collect();
        self.hash_planes(&planes)
    }

    /// Hash pictures of any shapes: those of the same shape and luminance
    /// map go through as one batch; those too small to hash get the zero
    /// hash with quality 0, as on the CPU.
    fn hash_planes(&self, planes: &[Plane<'_>]) -> Result<Vec<Pdq>> {
        let zero = Pdq {
            hash: PdqHash::default(),
            quality: 0,
        };
        let mut out = vec![zero; planes.len()];
        // The tables are 'static: the same map is the same address.
        type Key = (usize, usize, usize, Option<*const [f32; 256]>);
        let mut groups: HashMap<Key, Vec<usize>> = HashMap::new();
        for (i, p) in planes.iter().enumerate() {
            if p.rows < MIN_HASHABLE_DIM
                || p.cols < MIN_HASHABLE_DIM
                || p.bytes.len() < p.rows * p.cols * p.channels
            {
                continue;
            }
            let table = p.table.map(std::ptr::from_ref);
            groups
                .entry((p.rows, p.cols, p.channels, table))
                .or_default()
                .push(i);
        }
        let mut keys: Vec<Key> = groups.keys().copied().collect();
        keys.sort_unstable();
        for key @ (rows, cols, channels, _) in keys {
            let members = groups.get(&key).map(Vec::as_slice).unwrap_or_default();
            let Some(&first) = members.first() else {
                continue;
            };
            let table = planes[first]
                .table
                .map(|t| -> Result<Tensor> {
                    Ok(Tensor::f_from_slice(&t[..])?.f_to_device(self.device)?)
                })
                .transpose()?;
            let plane = rows * cols * channels;
            let mut data = Vec::with_capacity(plane * members.len());
            for &i in members {
                data.extend_from_slice(&planes[i].bytes[..plane]);
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
            let (lanes, quality) = self.hash_mapped(&batch, table.as_ref())?;
            for (&i, pdq) in members.iter().zip(unpack(&lanes, &quality)?) {
                out[i] = pdq;
            }
        }
        Ok(out)
    }

    /// Hash a batch of same-shape 8-bit images already in a tensor
    /// (N × rows × cols × channels, u8, on any device; channels 1, 3 or 4).
    pub fn hash_batch(&self, batch: &Tensor) -> Result<Vec<Pdq>> {
        let (lanes, quality) = self.hash_batch_tensors(batch)?;
        unpack(&lanes, &quality)
    }

    /// [`Self::hash_batch`], leaving the results on the device: lanes
    /// (N × 4, i64, bit k of the hash is bit k % 64 of lane k / 64) and quality (N, i64).
    pub fn hash_batch_tensors(&self, batch: &Tensor) -> Result<(Tensor, Tensor)> {
        self.hash_mapped(batch, None)
    }

    /// Hash video frames of any shapes ([`FramePixels`]: a Y plane, mapped
    /// to luminance by its table exactly as the CPU maps it, or RGB), in
    /// order. Frames of the same shape and map go through as one batch.
    #[cfg(feature = "video")]
    pub fn hash_frames(&self, frames: &[FramePixels]) -> Result<Vec<Pdq>> {
        let planes: Vec<Plane<'_>> = frames
            .iter()
            .map(|f| {
                let (rows, cols, channels) = f.shape();
                Plane {
                    bytes: f.bytes(),
                    rows,
                    cols,
                    channels,
                    table: f.luma_table(),
                }
            })
            .collect();
        self.hash_planes(&planes)
    }

    /// [`Self::hash_batch_tensors`]; a one-channel batch is mapped through
    /// `table` (256 f32 values, on the device) when one is given, else read
    /// as luminance itself.
    fn hash_mapped(&self, batch: &Tensor, table: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let size = batch.size();
        let [n, rows, cols, channels] = size[..] else {
            return Err(TensorError(format!(
                "expected N×rows×cols×channels, got {size:?}"
            )));
        };
        let batch = batch.f_to_device(self.device)?;
        let luma = if channels == 1 {
            let y = batch.f_select(3, 0)?;
            match table {
                // Each value looked up: the CPU's table entries, bit for bit.
                Some(table) => table
                    .f_index_select(0, &y.f_flatten(0, -1)?.f_to_kind(Kind::Int64)?)?
                    .f_view([n, rows, cols])?,
                None => y.f_to_kind(Kind::Float)?,
            }
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
