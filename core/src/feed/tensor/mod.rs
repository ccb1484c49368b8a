//! PDQ and Hamming matching on tensors (libtorch through `tch`): batches on
//! a CUDA device when there is one, on the CPU otherwise.
//!
//! [`TensorPdq`] computes PDQ as matrix products (`hash.rs`);
//! [`TensorMatcher`] matches a batch of queries against a bank as one matrix
//! product per chunk (`matcher.rs`).

mod hash;
mod matcher;

pub use hash::TensorPdq;
pub use matcher::{Nearest, TensorMatcher};

use tch::Device;

/// Largest Hamming distance between a tensor PDQ hash and the CPU hash of
/// the same pixels that the tests accept (measured on the reference corpus:
/// see `core/tests/feed_tensor.rs`).
pub const TENSOR_PDQ_TOLERANCE: u32 = 2;

/// A libtorch failure (out of device memory, a missing CUDA runtime…).
#[derive(Debug, thiserror::Error)]
#[error("libtorch: {0}")]
pub struct TensorError(String);

impl TensorError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

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

fn i64_of(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::hash::decimation_matrix;
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
