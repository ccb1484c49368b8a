//! The engine that hashes and matches a feed: the CPU (the reference PDQ
//! arithmetic and a multi-index over the banks) or, with the `gpu`
//! feature, libtorch on a CUDA device or on the CPU.

use rayon::iter::{IntoParallelRefIterator, ParallelIterator};

use crate::bank::BankSet;
use crate::code::Code;
use crate::mih::HashIndex;
use crate::pdq::{Pdq, PdqHash};
use crate::pixels::PdqPixels;

#[cfg(feature = "gpu")]
use super::tensor;

/// Where hashing and matching run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// CUDA through libtorch when this build has the `gpu` feature and a
    /// device is visible; the CPU engine otherwise.
    Auto,
    /// The CPU engine: the reference PDQ arithmetic and a multi-index.
    Cpu,
    /// libtorch on a CUDA device (the `gpu` feature).
    Cuda,
    /// libtorch on the CPU (the `gpu` feature): the tensor code without a
    /// GPU, for tests and comparisons.
    TorchCpu,
}

/// Why an engine can't be made or failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("this hallmark was built without the `gpu` feature, which --device {0} needs (see the README: building with libtorch)")]
    NoGpuFeature(&'static str),
    #[error("libtorch sees no CUDA device (use --device auto or cpu)")]
    NoCuda,
    #[cfg(feature = "gpu")]
    #[error(transparent)]
    Tensor(#[from] tensor::TensorError),
}

impl FeedError {
    pub fn code(&self) -> Code {
        match self {
            Self::NoGpuFeature(_) => Code::FeedNoGpuFeature,
            Self::NoCuda => Code::FeedNoCuda,
            #[cfg(feature = "gpu")]
            Self::Tensor(_) => Code::FeedDevice,
        }
    }
}

/// What hashes and matches.
pub enum Engine {
    /// PDQ with the reference's f32 arithmetic on every core, and a
    /// multi-index over the banks (exact: every hash within the threshold).
    Cpu { index: HashIndex },
    /// libtorch on `device`. The hasher is behind a lock: a feed's
    /// decoding threads hand it batches of video frames (a tensor is `Send`,
    /// not `Sync`), and the device runs one batch at a time anyway.
    #[cfg(feature = "gpu")]
    Tensor {
        device: tch::Device,
        pdq: std::sync::Mutex<tensor::TensorPdq>,
        matcher: tensor::TensorMatcher,
    },
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The tensor engine's hasher, lent to the threads that decode a feed's
/// videos (see [`Engine::frame_hasher`]).
#[derive(Clone, Copy)]
pub(super) struct FrameHasher<'a> {
    #[cfg(feature = "gpu")]
    pdq: &'a std::sync::Mutex<tensor::TensorPdq>,
    #[cfg(not(feature = "gpu"))]
    _none: std::marker::PhantomData<&'a ()>,
}

impl FrameHasher<'_> {
    /// Hash a batch of decoded video frames, in order.
    #[cfg(feature = "video")]
    pub(super) fn hash(
        &self,
        frames: &[crate::vpdq::decode::FramePixels],
    ) -> Result<Vec<Pdq>, FeedError> {
        #[cfg(feature = "gpu")]
        {
            Ok(lock(self.pdq)?.hash_frames(frames)?)
        }
        #[cfg(not(feature = "gpu"))]
        {
            Ok(frames.iter().map(|f| f.pdq()).collect())
        }
    }
}

#[cfg(feature = "gpu")]
fn lock(
    pdq: &std::sync::Mutex<tensor::TensorPdq>,
) -> Result<std::sync::MutexGuard<'_, tensor::TensorPdq>, FeedError> {
    pdq.lock()
        .map_err(|_| FeedError::Tensor(tensor::TensorError::new("a device thread panicked")))
}

/// The nearest bank hash: its id and distance.
type Nearest = Option<(usize, u32)>;

impl Engine {
    /// The engine `choice` asks for, over `banks`.
    pub fn new(choice: DeviceChoice, banks: &BankSet) -> Result<Self, FeedError> {
        let cpu = || Engine::Cpu {
            index: HashIndex::from_hashes(banks.lanes().iter().map(|l| PdqHash::from_lanes(*l))),
        };
        #[cfg(feature = "gpu")]
        {
            let torch = |device: tch::Device| -> Result<Engine, FeedError> {
                Ok(Engine::Tensor {
                    device,
                    pdq: std::sync::Mutex::new(tensor::TensorPdq::new(device)?),
                    matcher: tensor::TensorMatcher::new(banks.lanes(), device, 0)?,
                })
            };
            match choice {
                DeviceChoice::Cpu => Ok(cpu()),
                DeviceChoice::TorchCpu => torch(tch::Device::Cpu),
                DeviceChoice::Cuda if !tensor::cuda_available() => Err(FeedError::NoCuda),
                DeviceChoice::Cuda => torch(tch::Device::Cuda(0)),
                DeviceChoice::Auto if tensor::cuda_available() => torch(tch::Device::Cuda(0)),
                DeviceChoice::Auto => Ok(cpu()),
            }
        }
        #[cfg(not(feature = "gpu"))]
        match choice {
            DeviceChoice::Cpu | DeviceChoice::Auto => Ok(cpu()),
            DeviceChoice::Cuda => Err(FeedError::NoGpuFeature("cuda")),
            DeviceChoice::TorchCpu => Err(FeedError::NoGpuFeature("torch-cpu")),
        }
    }

    /// "cpu", "cuda:0" or "cpu (libtorch)".
    pub fn name(&self) -> String {
        match self {
            Self::Cpu { .. } => "cpu".into(),
            #[cfg(feature = "gpu")]
            Self::Tensor { device, .. } => tensor::device_name(*device),
        }
    }

    /// Whether images are hashed on the decoding threads (the CPU engine)
    /// rather than handed over as pixels.
    pub(super) fn hashes_while_decoding(&self) -> bool {
        matches!(self, Self::Cpu { .. })
    }

    /// Hash decoded images, in order (a feed's CPU engine hashes them on the
    /// decoding threads instead).
    pub fn hash_images(&self, images: &[&PdqPixels]) -> Result<Vec<Pdq>, FeedError> {
        match self {
            Self::Cpu { .. } => Ok(images.par_iter().map(|i| i.pdq()).collect()),
            #[cfg(feature = "gpu")]
            Self::Tensor { pdq, .. } => Ok(lock(pdq)?.hash(images)?),
        }
    }

    /// What hashes a feed's video frames when they aren't hashed on the
    /// decoding threads: the tensor engine's hasher, shareable between them.
    pub(super) fn frame_hasher(&self) -> Option<FrameHasher<'_>> {
        match self {
            Self::Cpu { .. } => None,
            #[cfg(feature = "gpu")]
            Self::Tensor { pdq, .. } => Some(FrameHasher { pdq }),
        }
    }

    /// For each query, the nearest bank hash within `threshold` (lowest id on ties).
    pub fn nearest(&self, queries: &[[u64; 4]], threshold: u32) -> Result<Vec<Nearest>, FeedError> {
        match self {
            Self::Cpu { index } => Ok(queries
                .par_iter()
                .map(|q| {
                    index
                        .search(&PdqHash::from_lanes(*q), threshold)
                        .into_iter()
                        .min()
                        .map(|m| (m.id, m.distance))
                })
                .collect()),
            #[cfg(feature = "gpu")]
            Self::Tensor { matcher, .. } => Ok(matcher.nearest(queries, threshold)?),
        }
    }
}
