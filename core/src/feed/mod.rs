//! Classifying feeds (`hallmark feed classify`): many images and videos in,
//! one record out per input, in input order: its PDQ hash (a video: its
//! vPDQ hash, a frame every [`VideoOptions::seconds_per_hash`]), the nearest
//! hash of the banks (known fakes, known originals…) within the threshold
//! (a video: the bank video that matches best by the reference rule, see
//! [`crate::vpdq::compare`]), and the verdict of any embedded manifest.
//!
//! Videos (MP4, MOV, AVI; feature `video`) are decoded and hashed while the
//! batch is prepared, one decoding thread each (the batch already uses every
//! core); a vPDQ hash file in the reference's text format is read as the
//! video it stands for. On the tensor engine, a video's sampled frames go
//! to the device in batches from its decoding thread (see
//! [`crate::vpdq::decode::hash_video_in_batches`]), with hashes equal to the
//! CPU's within [`tensor::TENSOR_PDQ_TOLERANCE`] bits, as for pictures.
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

mod engine;
mod input;
#[cfg(feature = "gpu")]
pub mod tensor;

use engine::FrameHasher;
pub use engine::{DeviceChoice, Engine, FeedError};
pub use input::FeedInput;

use crate::code::Code;
use std::sync::mpsc;

use rayon::iter::{IntoParallelIterator, ParallelIterator};
use serde::Serialize;

use crate::bank::{BankSet, LOW_QUALITY, UNKNOWN};
use crate::check::Checker;
use crate::media::{load, Limits, Loaded};
use crate::pdq::{Pdq, PdqHash, MIN_MATCH_QUALITY};
use crate::pixels::{decode_for_pdq, PdqPixels};
use crate::registry::{Recovery, Registry};
use crate::report::{ErrorInfo, Report};
use crate::vpdq::{CompareOptions, Segment, VideoHash, VideoOptions};

/// The label of a match found in the registry of signed originals.
pub const KNOWN_ORIGINAL: &str = "known-original";
/// Largest `--threshold` accepted ([`crate::pdq::MAX_MATCH_THRESHOLD`]).
pub const MAX_THRESHOLD: u32 = crate::pdq::MAX_MATCH_THRESHOLD;

/// A bank (or registry) hash that an image matched, or a bank video that a
/// video matched. Every key is always present, null where it doesn't apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedMatch {
    pub label: String,
    /// Bits between the two PDQ hashes; null for a video.
    pub distance: Option<u32>,
    pub note: String,
    /// The bank file or folder (or registry) it came from.
    pub bank: String,
    /// The matched hash; null for a video.
    pub pdq: Option<String>,
    /// The matched video: its hash file below the bank folder, or `videos
    /// row N` of a SQLite bank; null for a picture.
    pub video: Option<String>,
    /// Shares of the two videos' distinct good frames that match (videos).
    pub query_match_percent: Option<f64>,
    pub compared_match_percent: Option<f64>,
    /// Which seconds of the query show which seconds of the bank video.
    pub segments: Option<Vec<Segment>>,
}

impl FeedMatch {
    /// A picture's match: `distance` bits from `pdq`.
    fn picture(label: &str, distance: u32, note: &str, bank: &str, pdq: &PdqHash) -> Self {
        Self {
            label: label.to_string(),
            distance: Some(distance),
            note: note.to_string(),
            bank: bank.to_string(),
            pdq: Some(pdq.to_hex()),
            video: None,
            query_match_percent: None,
            compared_match_percent: None,
            segments: None,
        }
    }
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
    /// A video's hashed frames (null for a picture).
    pub vpdq_frames: Option<usize>,
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
            vpdq_frames: None,
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
    /// The file's report, when a checker was given and the file was read.
    provenance: Option<Report>,
}

struct Decoded {
    pdq: Option<Pdq>,
    pixels: Option<PdqPixels>,
    /// A video's hash (then `pdq` and `pixels` are `None`).
    video: Option<VideoHash>,
    /// The file's own width and height (for a registry recovery's summary).
    size: (u32, u32),
}

fn error_info(code: Code, message: impl ToString) -> ErrorInfo {
    ErrorInfo {
        code: code.into(),
        message: message.to_string(),
    }
}

/// What every input of a batch is prepared with.
#[derive(Clone, Copy)]
struct Work<'a> {
    checker: Option<&'a Checker<'a>>,
    limits: &'a Limits,
    /// Hash pictures now (CPU engine), or hand their pixels to the engine.
    hash_now: bool,
    video: &'a VideoOptions,
    /// What hashes video frames, when not the decoding thread (tensor engine).
    frames: Option<FrameHasher<'a>>,
}

/// Read, decode and verify one input.
fn prepare(input: FeedInput, work: Work<'_>) -> Prepared {
    let Work {
        checker,
        limits,
        hash_now,
        video,
        frames,
    } = work;
    let mut provenance = None;
    let outcome = match (&input.problem, &input.path) {
        (Some(problem), _) => Err(problem.clone()),
        (None, None) => match input.pdq {
            Some(pdq) => Ok(Decoded {
                pdq: Some(pdq),
                pixels: None,
                video: None,
                size: (0, 0),
            }),
            None => Err(error_info(Code::FeedInput, "no path")),
        },
        (None, Some(path)) => (|| {
            let file = crate::input::open_input(path).map_err(|e| error_info(e.code(), &e))?;
            let loaded = load(&file, limits).map_err(|e| error_info(e.code(), &e))?;
            if let Loaded::Bytes(bytes) = &loaded {
                if crate::vpdq::looks_like_text(bytes) {
                    // A vPDQ hash file: the video it stands for, no manifest.
                    return Ok(Decoded {
                        pdq: None,
                        pixels: None,
                        video: Some(hash_file(bytes)?),
                        size: (0, 0),
                    });
                }
            }
            // Provenance first: a file without pixels to hash (audio, video,
            // AVIF…) still gets its verdict.
            let source = loaded.source(&file);
            provenance = checker.map(|c| {
                let mut report = c.check_source(source);
                report.path = Some(path.display().to_string());
                report
            });
            let bytes = match &loaded {
                Loaded::Bytes(bytes) => bytes,
                Loaded::Streamed { format, .. } => {
                    let (hash, size) = hash_video(source, *format, limits, video, frames)?;
                    return Ok(Decoded {
                        pdq: None,
                        pixels: None,
                        video: Some(hash),
                        size,
                    });
                }
            };
            let probe = crate::media::probe(bytes, limits).map_err(|e| error_info(e.code(), &e))?;
            let pixels = decode_for_pdq(bytes, limits).map_err(|e| error_info(e.code(), &e))?;
            let (pdq, pixels) = if hash_now {
                (Some(pixels.pdq()), None)
            } else {
                (None, Some(pixels))
            };
            Ok(Decoded {
                pdq,
                pixels,
                video: None,
                size: (probe.width, probe.height),
            })
        })(),
    };
    Prepared {
        input,
        outcome,
        provenance,
    }
}

/// A vPDQ hash file's text, parsed.
fn hash_file(bytes: &[u8]) -> Result<VideoHash, ErrorInfo> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        error_info(
            Code::FormatMalformed,
            "not a vPDQ hash file: not UTF-8 text",
        )
    })?;
    crate::vpdq::parse_text(text)
        .map_err(|e| error_info(e.code(), format!("not a vPDQ hash file: {e}")))
}

/// A video's vPDQ hash, decoded on one thread (the batch uses every core),
/// its frames hashed there or, a batch at a time, by `frames`.
fn hash_video(
    source: crate::media::Source<'_>,
    format: crate::media::MediaFormat,
    limits: &Limits,
    options: &VideoOptions,
    frames: Option<FrameHasher<'_>>,
) -> Result<(VideoHash, (u32, u32)), ErrorInfo> {
    let options = VideoOptions {
        threads: 1,
        ..*options
    };
    let hashed = match frames {
        #[cfg(feature = "video")]
        Some(hasher) => {
            crate::vpdq::decode::hash_video_in_batches(source, format, limits, &options, |batch| {
                hasher.hash(batch).map_err(VideoError::Device)
            })
        }
        _ => crate::vpdq::hash_source(source, format, limits, &options).map_err(VideoError::Media),
    };
    hashed
        .map(|(info, hash)| (hash, (info.width, info.height)))
        .map_err(|e| match e {
            VideoError::Media(e) => error_info(e.code(), &e),
            VideoError::Device(e) => error_info(e.code(), &e),
        })
}

/// Why a feed's video has no hash: its file, or the engine.
enum VideoError {
    Media(crate::media::MediaError),
    #[cfg_attr(not(feature = "video"), allow(dead_code))]
    Device(FeedError),
}

impl From<crate::media::MediaError> for VideoError {
    fn from(e: crate::media::MediaError) -> Self {
        Self::Media(e)
    }
}

/// [`prepare`] a batch on every core, in input order.
fn prepare_all(inputs: Vec<FeedInput>, work: Work<'_>) -> Vec<Prepared> {
    inputs
        .into_par_iter()
        .map(|input| prepare(input, work))
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
    video: VideoOptions,
    compare: CompareOptions,
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
            video: VideoOptions::default(),
            compare: CompareOptions::default(),
        }
    }

    /// How videos are hashed (a frame every `seconds_per_hash`; the thread
    /// count is ignored: each video decodes on one).
    pub fn with_video_options(mut self, options: VideoOptions) -> Self {
        self.video = options;
        self
    }

    /// The reference rule's two percentages for matching videos (their frame
    /// distance is the threshold, their quality floor 50).
    pub fn with_video_percents(mut self, query_percent: f64, compared_percent: f64) -> Self {
        self.compare.query_percent = query_percent;
        self.compare.compared_percent = compared_percent;
        self
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
        self.compare.distance = self.threshold;
        self
    }

    fn work(&self) -> Work<'_> {
        Work {
            checker: self.checker.as_ref(),
            limits: &self.limits,
            hash_now: self.engine.hashes_while_decoding(),
            frames: self.engine.frame_hasher(),
            video: &self.video,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Classify one batch; records come back in input order.
    pub fn classify(&self, inputs: Vec<FeedInput>) -> Vec<FeedRecord> {
        self.finish(prepare_all(inputs, self.work()))
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
        let work = self.work();
        let mut errors = 0u64;
        let mut inputs = inputs.peekable();
        std::thread::scope(|scope| {
            let (to_workers, batches) = mpsc::sync_channel::<Vec<FeedInput>>(1);
            let (to_main, done) = mpsc::sync_channel::<Vec<Prepared>>(1);
            scope.spawn(move || {
                for inputs in batches {
                    let prepared = prepare_all(inputs, work);
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
            record.provenance = p.provenance;
            match p.outcome {
                Err(e) => record.error = Some(e),
                Ok(Decoded {
                    video: Some(video),
                    size,
                    ..
                }) => self.match_video(&video, size, &mut record),
                Ok(decoded) => {
                    let pdq = match (decoded.pdq, decoded.pixels.is_some(), &mut hashed) {
                        (Some(pdq), _, _) => Ok(pdq),
                        (None, true, Ok(it)) => it
                            .next()
                            .ok_or_else(|| error_info(Code::FeedDevice, "no hash came back")),
                        (None, _, Err(e)) => Err(e.clone()),
                        (None, false, _) => Err(error_info(Code::FeedDevice, "nothing to hash")),
                    };
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
                    self.banks
                        .get(id)
                        .map(|e| FeedMatch::picture(e.label, distance, e.note, e.bank, &e.hash))
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

    /// Label a video by the bank (or registry) video that matches it best:
    /// highest query-match share, then compared-match share, then load
    /// order, the bank before the registry on a tie. An unsigned video that
    /// matches the registry becomes `recovered`.
    fn match_video(&self, video: &VideoHash, size: (u32, u32), record: &mut FeedRecord) {
        record.vpdq_frames = Some(video.len());
        if !video.frames.iter().any(|f| f.quality >= MIN_MATCH_QUALITY) {
            record.label = Some(LOW_QUALITY.into());
            return;
        }
        record.label = Some(UNKNOWN.into());
        let videos = self.banks.videos();
        let bank_match = videos
            .matches(video, &self.compare)
            .into_iter()
            .next()
            .map(|best| {
                let bank = self.banks.video(best.id).map_or("", |v| v.bank);
                let c = best.comparison;
                FeedMatch {
                    label: best.entry.label.clone(),
                    distance: None,
                    note: best.entry.note.clone(),
                    bank: bank.to_string(),
                    pdq: None,
                    video: Some(best.entry.file.clone()),
                    query_match_percent: Some(c.query_match_percent),
                    compared_match_percent: Some(c.compared_match_percent),
                    segments: Some(c.segments),
                }
            });
        let registry_match = self.registry_video_match(video, size, record);
        let shares = |m: &FeedMatch| {
            (
                m.query_match_percent.unwrap_or_default(),
                m.compared_match_percent.unwrap_or_default(),
            )
        };
        let best = match (bank_match, registry_match) {
            (Some(b), Some(r)) if shares(&r) > shares(&b) => Some(r),
            (Some(b), _) => Some(b),
            (None, r) => r,
        };
        if let Some(m) = best {
            record.label = Some(m.label.clone());
            record.matched = Some(m);
        }
    }

    /// The registry's best-matching signed video, as [`Self::registry_match`]
    /// finds a picture's.
    fn registry_video_match(
        &self,
        video: &VideoHash,
        size: (u32, u32),
        record: &mut FeedRecord,
    ) -> Option<FeedMatch> {
        let registry = self.registry?;
        let found = match registry.lookup_video_hash(video, self.threshold, size) {
            Ok(found) => best_confirmed(found, record)?,
            Err(e) => {
                record.error = Some(error_info(e.code(), &e));
                return None;
            }
        };
        record.provenance = record.provenance.take().map(|r| found.apply(r));
        let entry = &found.entry;
        let v = found.video.clone()?;
        Some(FeedMatch {
            label: KNOWN_ORIGINAL.into(),
            distance: None,
            note: registry_note(entry),
            bank: registry.path().to_string(),
            pdq: None,
            video: Some(format!("registry entry {}", entry.id)),
            query_match_percent: Some(v.query_match_percent),
            compared_match_percent: Some(v.compared_match_percent),
            segments: Some(v.segments),
        })
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
        let candidates = registry.lookup(hash, self.threshold).map(|found| {
            found
                .into_iter()
                .map(|m| Recovery::from_pdq_match(m, width, height))
                .collect()
        });
        let recovery = match candidates.and_then(|c| registry.confirm(c)) {
            Ok(found) => best_confirmed(found, record)?,
            Err(e) => {
                record.error = Some(error_info(e.code(), &e));
                return None;
            }
        };
        record.provenance = record.provenance.take().map(|r| recovery.apply(r));
        let (entry, distance) = (recovery.entry, recovery.distance);
        let note = registry_note(&entry);
        Some(FeedMatch::picture(
            KNOWN_ORIGINAL,
            distance,
            &note,
            registry.path(),
            &entry.pdq,
        ))
    }
}

/// The best of a registry's confirmed matches; the refused ones are noted
/// in the record's provenance report.
fn best_confirmed(found: crate::registry::Confirmed, record: &mut FeedRecord) -> Option<Recovery> {
    if let Some(report) = record.provenance.as_mut() {
        report.status.extend(found.refused);
    }
    found.matches.into_iter().next()
}

/// The note of a registry match: who signed the original, and its title.
fn registry_note(entry: &crate::registry::Entry) -> String {
    match &entry.title {
        Some(title) => format!("{}: {title}", entry.signer.display_name()),
        None => entry.signer.display_name(),
    }
}
