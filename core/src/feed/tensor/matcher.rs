//! Hamming matching of a packed bank on one device.
//!
//! Hashes become ±1 vectors; for a query q and a bank hash b,
//! `q·b = 256 − 2·hamming(q, b)`, so a batch of queries against a chunk of
//! the bank is one matrix product (f16 on CUDA, exact for these integers,
//! f32 on the CPU), and the nearest hash is the row maximum (the first one
//! on ties: the lowest id, as the CPU index answers). The bank stays packed
//! (32 bytes a hash) and is unpacked a chunk at a time, so banks larger than
//! the device's memory are searched chunk by chunk.

use tch::{Device, Kind, Tensor};

use super::{i64_of, Result};

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
pub(super) const RESIDENT_BYTES: usize = 4 << 30;

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
