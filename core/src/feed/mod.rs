//! Classifying feeds (`hallmark feed classify`): many images in, one record
//! out per image, in input order: its PDQ hash, the nearest hash of the
//! banks (known fakes, known originals…) within the threshold, and the
//! verdict of any embedded manifest.
//!
//! Files are read, decoded (JPEG at reduced scale, see
//! [`crate::pixels::decode_for_pdq`]) and verified on every core, a batch
//! at a time; hashing and matching run on the [`Engine`]: the CPU (the
//! reference PDQ arithmetic and a multi-index over the banks), or, with the
//! `gpu` feature, libtorch on a CUDA device or on the CPU (see
//! [`tensor`]). While the engine works on one batch, the next one is being
//! decoded. The CPU engine is the same code with or without the `gpu`
//! feature, so `--device cpu` answers identically in both builds.
//!
//! A bad input never stops the stream: it becomes a record with an error.
//! With a [`Checker`], each record carries the file's whole [`Report`] (as
//! `hallmark verify --json` prints it) under `provenance`.
//!
//! ```no_run
//! use hallmark_core::bank::BankSet;
//! use hallmark_core::feed::{Classifier, DeviceChoice, Engine, FeedInput};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut banks = BankSet::new();
//! banks.load("fakes.tsv".as_ref(), "fakes.tsv", Some("known-fake"))?;
//! let engine = Engine::new(DeviceChoice::Auto, &banks)?;
//! let classifier = Classifier::new(&banks, engine);
//! let inputs = ["a.jpg", "b.png"].map(|p| FeedInput::path(p.into()));
//! classifier.classify_stream(inputs.into_iter(), 256, |record| {
//!     println!("{}", serde_json::to_string(&record).unwrap_or_default());
//! });
//! # Ok(()) }
//! ```

#[cfg(feature = "gpu")]
pub mod tensor;

use crate::code::Code;
use std::path::PathBuf;
use std::sync::mpsc;

use rayon::iter::{IntoParallelIterator, IntoParallelRefIterator, ParallelIterator};
use serde::Serialize;

use crate::bank::{BankSet, LOW_QUALITY, UNKNOWN};
use crate::check::Checker;
use crate::media::Limits;
use crate::mih::HashIndex;
use crate::pdq::{Pdq, PdqHash, MIN_MATCH_QUALITY};
use crate::pixels::{decode_for_pdq, PdqPixels};
use crate::registry::{Recovery, Registry};
use crate::report::{ErrorInfo, Report};

/// The label of a match found in the registry of signed originals.
pub const KNOWN_ORIGINAL: &str = "known-original";
/// Largest `--threshold` accepted ([`crate::pdq::MAX_MATCH_THRESHOLD`]).
pub const MAX_THRESHOLD: u32 = crate::pdq::MAX_MATCH_THRESHOLD;

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
    /// libtorch on `pdq.device()`.
    #[cfg(feature = "gpu")]
    Tensor {
        pdq: tensor::TensorPdq,
        matcher: tensor::TensorMatcher,
    },
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
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
                    pdq: tensor::TensorPdq::new(device)?,
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
            Self::Tensor { pdq, .. } => tensor::device_name(pdq.device()),
        }
    }

    /// Whether images are hashed on the decoding threads (the CPU engine)
    /// rather than handed over as pixels.
    fn hashes_while_decoding(&self) -> bool {
        matches!(self, Self::Cpu { .. })
    }

    /// Hash decoded images, in order (a feed's CPU engine hashes them on the
    /// decoding threads instead).
    pub fn hash_images(&self, images: &[&PdqPixels]) -> Result<Vec<Pdq>, FeedError> {
        match self {
            Self::Cpu { .. } => Ok(images.par_iter().map(|i| i.pdq()).collect()),
            #[cfg(feature = "gpu")]
            Self::Tensor { pdq, .. } => Ok(pdq.hash(images)?),
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

/// One item of a feed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedInput {
    pub path: Option<PathBuf>,
    /// Echoed back as the record's `id` (from a JSON input line).
    pub id: Option<serde_json::Value>,
    /// The input line it came from, when read from a stream.
    pub line: Option<u64>,
    /// A hash computed elsewhere (a JSON input with `pdq` and no `path`):
    /// matched as it is, nothing is read. Quality 100 unless the input gave one.
    pub pdq: Option<Pdq>,
    /// Why the input line could not be understood (the record carries it).
    pub problem: Option<ErrorInfo>,
}

impl FeedInput {
    pub fn path(path: PathBuf) -> Self {
        Self {
            path: Some(path),
            ..Self::default()
        }
    }

    /// Parse one line of a stream: a JSON object with `path` (and any `id`),
    /// or with `pdq` (64 hex digits, and optionally `quality`) for a hash
    /// computed elsewhere; a JSON string; or a bare path. Blank lines give `None`.
    pub fn from_line(text: &str, line: u64) -> Option<Self> {
        let trimmed = text.trim_end_matches(['\r', '\n']);
        if trimmed.trim().is_empty() {
            return None;
        }
        let mut input = Self {
            line: Some(line),
            ..Self::default()
        };
        let bad = |message: &str| {
            Some(ErrorInfo {
                code: Code::FeedInput.into(),
                message: message.into(),
            })
        };
        match trimmed.trim_start().as_bytes().first() {
            Some(b'{') => match serde_json::from_str::<serde_json::Value>(trimmed) {
                Ok(serde_json::Value::Object(mut object)) => {
                    input.id = object.remove("id");
                    match (object.remove("path"), object.remove("pdq")) {
                        (Some(serde_json::Value::String(p)), _) if !p.is_empty() => {
                            input.path = Some(p.into())
                        }
                        (None, Some(serde_json::Value::String(hex))) => {
                            let quality = object.get("quality").and_then(serde_json::Value::as_u64);
                            match (PdqHash::from_hex(&hex), quality) {
                                (Some(hash), None) => input.pdq = Some(Pdq { hash, quality: 100 }),
                                (Some(hash), Some(q)) if q <= 100 => {
                                    input.pdq = Some(Pdq {
                                        hash,
                                        quality: q as u8,
                                    })
                                }
                                (Some(_), Some(_)) => {
                                    input.problem = bad("\"quality\" is over 100")
                                }
                                (None, _) => {
                                    input.problem =
                                        bad("\"pdq\" is not a PDQ hash of 64 hex digits")
                                }
                            }
                        }
                        _ => {
                            input.problem =
                                bad("the JSON object has neither a \"path\" nor a \"pdq\" string")
                        }
                    }
                }
                _ => input.problem = bad("not valid JSON"),
            },
            Some(b'"') => match serde_json::from_str::<String>(trimmed) {
                Ok(p) if !p.is_empty() => input.path = Some(p.into()),
                _ => input.problem = bad("not a valid JSON string"),
            },
            _ => input.path = Some(trimmed.into()),
        }
        Some(input)
    }
}

/// A bank (or registry) hash that an image matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedMatch {
    pub label: String,
    pub distance: u32,
    pub note: String,
    /// The bank file (or registry) it came from.
    pub bank: String,
    /// The matched hash.
    pub pdq: String,
}

/// One output record. Every key is always present (null when it does not
/// apply), except `id` and `line`, which appear when the input had them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub path: Option<String>,
    pub pdq: Option<String>,
    pub quality: Option<u8>,
    /// The match's label, [`UNKNOWN`], or [`LOW_QUALITY`]; null on error.
    pub label: Option<String>,
    #[serde(rename = "match")]
    pub matched: Option<FeedMatch>,
    /// The file's report from the [`Checker`] (null without one, or when the
    /// file could not be read or decoded); an unsigned image that matches
    /// the registry is `recovered` here.
    pub provenance: Option<Report>,
    pub error: Option<ErrorInfo>,
}

impl FeedRecord {
    fn new(input: FeedInput) -> Self {
        Self {
            id: input.id,
            line: input.line,
            path: input.path.map(|p| p.display().to_string()),
            pdq: None,
            quality: None,
            label: None,
            matched: None,
            provenance: None,
            error: input.problem,
        }
    }
}

/// An input read, decoded (or hashed) and verified: the part of the work
/// that runs on every core.
struct Prepared {
    input: FeedInput,
    outcome: Result<Decoded, ErrorInfo>,
}

struct Decoded {
    pdq: Option<Pdq>,
    pixels: Option<PdqPixels>,
    provenance: Option<Report>,
    /// The file's own width and height (for a registry recovery's summary).
    size: (u32, u32),
}

fn error_info(code: Code, message: impl ToString) -> ErrorInfo {
    ErrorInfo {
        code: code.into(),
        message: message.to_string(),
    }
}

/// Read, decode and verify one input.
fn prepare(
    input: FeedInput,
    checker: Option<&Checker>,
    limits: &Limits,
    hash_now: bool,
) -> Prepared {
    let outcome = match (&input.problem, &input.path) {
        (Some(problem), _) => Err(problem.clone()),
        (None, None) => match input.pdq {
            Some(pdq) => Ok(Decoded {
                pdq: Some(pdq),
                pixels: None,
                provenance: None,
                size: (0, 0),
            }),
            None => Err(error_info(Code::FeedInput, "no path")),
        },
        (None, Some(path)) => (|| {
            let bytes = crate::input::read_input(path, limits.max_file_bytes)
                .map_err(|e| error_info(e.code(), &e))?;
            let probe =
                crate::media::probe(&bytes, limits).map_err(|e| error_info(e.code(), &e))?;
            let pixels = decode_for_pdq(&bytes, limits).map_err(|e| error_info(e.code(), &e))?;
            let provenance = checker.map(|c| {
                let mut report = c.check_bytes(&bytes);
                report.path = Some(path.display().to_string());
                report
            });
            let (pdq, pixels) = if hash_now {
                (Some(pixels.pdq()), None)
            } else {
                (None, Some(pixels))
            };
            Ok(Decoded {
                pdq,
                pixels,
                provenance,
                size: (probe.width, probe.height),
            })
        })(),
    };
    Prepared { input, outcome }
}

/// [`prepare`] a batch on every core, in input order.
fn prepare_all(
    inputs: Vec<FeedInput>,
    checker: Option<&Checker>,
    limits: &Limits,
    hash_now: bool,
) -> Vec<Prepared> {
    inputs
        .into_par_iter()
        .map(|input| prepare(input, checker, limits, hash_now))
        .collect()
}

/// Hashes, matches and labels feeds against one bank set.
#[derive(Debug)]
pub struct Classifier<'a> {
    banks: &'a BankSet,
    engine: Engine,
    checker: Option<Checker<'a>>,
    registry: Option<&'a Registry>,
    threshold: u32,
    limits: Limits,
}

impl<'a> Classifier<'a> {
    /// Match against `banks` on `engine`, at the default threshold (31 bits),
    /// without provenance or registry.
    pub fn new(banks: &'a BankSet, engine: Engine) -> Self {
        Self {
            banks,
            engine,
            checker: None,
            registry: None,
            threshold: crate::pdq::DEFAULT_MATCH_THRESHOLD,
            limits: Limits::default(),
        }
    }

    /// Check every input with `checker` (the record's `provenance`), under
    /// its verifier's limits.
    pub fn with_checker(mut self, checker: Checker<'a>) -> Self {
        self.limits = *checker.verifier().limits();
        self.checker = Some(checker);
        self
    }

    /// Also match against a registry of signed originals ([`KNOWN_ORIGINAL`]);
    /// unsigned images that match it get the verdict `recovered`.
    pub fn with_registry(mut self, registry: &'a Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Largest Hamming distance that matches (clamped to [`MAX_THRESHOLD`]).
    pub fn with_threshold(mut self, threshold: u32) -> Self {
        self.threshold = threshold.min(MAX_THRESHOLD);
        self
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Classify one batch; records come back in input order.
    pub fn classify(&self, inputs: Vec<FeedInput>) -> Vec<FeedRecord> {
        let hash_now = self.engine.hashes_while_decoding();
        self.finish(prepare_all(
            inputs,
            self.checker.as_ref(),
            &self.limits,
            hash_now,
        ))
    }

    /// Classify a stream, `batch` inputs at a time (decoding the next batch
    /// while the engine works on this one), handing each record to `emit`
    /// in input order. Returns how many records carried an error.
    pub fn classify_stream(
        &self,
        inputs: impl Iterator<Item = FeedInput>,
        batch: usize,
        mut emit: impl FnMut(FeedRecord),
    ) -> u64 {
        let batch = batch.max(1);
        let (checker, limits) = (self.checker.as_ref(), &self.limits);
        let hash_now = self.engine.hashes_while_decoding();
        let mut errors = 0u64;
        let mut inputs = inputs.peekable();
        std::thread::scope(|scope| {
            let (to_workers, work) = mpsc::sync_channel::<Vec<FeedInput>>(1);
            let (to_main, done) = mpsc::sync_channel::<Vec<Prepared>>(1);
            scope.spawn(move || {
                for inputs in work {
                    let prepared = prepare_all(inputs, checker, limits, hash_now);
                    if to_main.send(prepared).is_err() {
                        break;
                    }
                }
            });
            let mut in_flight = 0usize;
            loop {
                let next: Vec<FeedInput> = inputs.by_ref().take(batch).collect();
                let exhausted = next.is_empty();
                if !exhausted {
                    if to_workers.send(next).is_err() {
                        break;
                    }
                    in_flight += 1;
                }
                if in_flight == 0 {
                    break;
                }
                if in_flight >= 2 || exhausted || inputs.peek().is_none() {
                    let Ok(prepared) = done.recv() else { break };
                    in_flight -= 1;
                    for record in self.finish(prepared) {
                        errors += u64::from(record.error.is_some());
                        emit(record);
                    }
                }
            }
            drop(to_workers);
        });
        errors
    }

    /// Hash (tensor engine), match and label a prepared batch.
    fn finish(&self, prepared: Vec<Prepared>) -> Vec<FeedRecord> {
        // Hash what was handed over as pixels, all at once.
        let images: Vec<&PdqPixels> = prepared
            .iter()
            .filter_map(|p| p.outcome.as_ref().ok().and_then(|d| d.pixels.as_ref()))
            .collect();
        let mut hashed = match self.engine.hash_images(&images) {
            Ok(h) => Ok(h.into_iter()),
            Err(e) => Err(error_info(e.code(), &e)),
        };
        let mut records = Vec::with_capacity(prepared.len());
        let mut queries = Vec::new();
        for p in prepared {
            let mut record = FeedRecord::new(p.input);
            match p.outcome {
                Err(e) => record.error = Some(e),
                Ok(decoded) => {
                    let pdq = match (decoded.pdq, decoded.pixels.is_some(), &mut hashed) {
                        (Some(pdq), _, _) => Ok(pdq),
                        (None, true, Ok(it)) => it
                            .next()
                            .ok_or_else(|| error_info(Code::FeedDevice, "no hash came back")),
                        (None, _, Err(e)) => Err(e.clone()),
                        (None, false, _) => Err(error_info(Code::FeedDevice, "nothing to hash")),
                    };
                    record.provenance = decoded.provenance;
                    let size = decoded.size;
                    match pdq {
                        Err(e) => record.error = Some(e),
                        Ok(pdq) => {
                            record.pdq = Some(pdq.hash.to_hex());
                            record.quality = Some(pdq.quality);
                            if pdq.quality < MIN_MATCH_QUALITY {
                                record.label = Some(LOW_QUALITY.into());
                            } else {
                                record.label = Some(UNKNOWN.into());
                                queries.push((records.len(), pdq.hash, size));
                            }
                        }
                    }
                }
            }
            records.push(record);
        }
        let lanes: Vec<[u64; 4]> = queries.iter().map(|(_, h, _)| h.lanes()).collect();
        let nearest = self.engine.nearest(&lanes, self.threshold);
        for (k, (at, hash, size)) in queries.into_iter().enumerate() {
            let record = &mut records[at];
            let bank_match = match &nearest {
                Ok(found) => found.get(k).copied().flatten().and_then(|(id, distance)| {
                    self.banks.get(id).map(|e| FeedMatch {
                        label: e.label.to_string(),
                        distance,
                        note: e.note.to_string(),
                        bank: e.bank.to_string(),
                        pdq: e.hash.to_hex(),
                    })
                }),
                Err(e) => {
                    record.error = Some(error_info(e.code(), e));
                    record.label = None;
                    continue;
                }
            };
            let registry_match = self.registry_match(&hash, size, record);
            let best = match (bank_match, registry_match) {
                (Some(b), Some(r)) if r.distance < b.distance => Some(r),
                (Some(b), _) => Some(b),
                (None, r) => r,
            };
            if let Some(m) = best {
                record.label = Some(m.label.clone());
                record.matched = Some(m);
            }
        }
        records
    }

    /// The registry's nearest signed original; an unsigned image that shows
    /// one becomes `recovered` (as [`Registry::recover`] makes it).
    fn registry_match(
        &self,
        hash: &PdqHash,
        (width, height): (u32, u32),
        record: &mut FeedRecord,
    ) -> Option<FeedMatch> {
        let registry = self.registry?;
        let found = match registry.lookup(hash, self.threshold) {
            Ok(found) => found.into_iter().next()?,
            Err(e) => {
                record.error = Some(error_info(e.code(), &e));
                return None;
            }
        };
        let recovery = Recovery::from_pdq_match(found, width, height);
        record.provenance = record.provenance.take().map(|r| recovery.apply(r));
        let (entry, distance) = (recovery.entry, recovery.distance);
        let note = match &entry.title {
            Some(title) => format!("{}: {title}", entry.signer.display_name()),
            None => entry.signer.display_name(),
        };
        Some(FeedMatch {
            label: KNOWN_ORIGINAL.into(),
            distance,
            note,
            bank: registry.path().to_string(),
            pdq: entry.pdq.to_hex(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn input_lines_are_paths_json_strings_or_objects() {
        let p = |t: &str| FeedInput::from_line(t, 7);
        assert_eq!(p("  \n"), None);
        assert_eq!(p("a b.jpg\r\n").unwrap().path, Some("a b.jpg".into()));
        assert_eq!(p("\"x\\ty.jpg\"").unwrap().path, Some("x\ty.jpg".into()));
        let o = p(r#"{"path": "c.png", "id": 42}"#).unwrap();
        assert_eq!(o.path, Some("c.png".into()));
        assert_eq!(o.id, Some(serde_json::json!(42)));
        assert_eq!(o.line, Some(7));
        assert_eq!(p("{not json").unwrap().problem.unwrap().code, "feed.input");
        assert_eq!(
            p(r#"{"id": 1}"#).unwrap().problem.unwrap().message,
            "the JSON object has neither a \"path\" nor a \"pdq\" string"
        );
        let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let h = p(&format!(r#"{{"pdq": "{hex}", "quality": 60}}"#)).unwrap();
        assert_eq!(h.pdq.unwrap().hash.to_hex(), hex);
        assert_eq!(h.pdq.unwrap().quality, 60);
        assert_eq!(h.path, None);
        let bad_q = p(&format!(r#"{{"pdq": "{hex}", "quality": 101}}"#)).unwrap();
        assert!(bad_q.problem.is_some());
    }
}
