//! Verifying whole folders (`hallmark scan`): walk, verify on every core,
//! judge each report against a [`Policy`], and hand each result to the caller
//! as soon as it is ready. Nothing holds every report: memory stays flat
//! whatever the size of the folder.
//!
//! Each file is verified exactly as `hallmark verify` verifies it
//! ([`Verifier::verify`], then the registry for unsigned files), so verdicts
//! are identical. With a [`ScanCache`], files seen before with the same
//! bytes and the same trust configuration are not verified again.
//!
//! ```no_run
//! use hallmark_core::{Policy, TrustStore, Verifier};
//!
//! let verifier = Verifier::new(TrustStore::empty());
//! let options = hallmark_core::scan::ScanOptions::default();
//! let roots = ["inbox".into()];
//! let summary = hallmark_core::scan::scan(&verifier, &Policy::default(), &roots, options, |entry| {
//!     println!("{} {}", entry.report.verdict, entry.policy.pass);
//! });
//! std::process::exit(summary.exit_code.into());
//! ```

mod cache;
mod walk;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::media::{MediaFormat, Source};
use crate::policy::{Policy, PolicyOutcome};
use crate::registry::Registry;
use crate::report::{Report, Verdict};
use crate::verify::Verifier;
use cache::{Stat, Store};
use walk::{Found, Walk};

pub use cache::{CacheError, ScanCache, MAX_AGE_SECS};
pub use walk::Skip;

/// How many failing files a summary names; the rest are only counted.
pub const FAILING_LISTED: usize = 100;

/// File names that say "media": such files are verified even when their
/// content is not recognised, so a broken file is reported, never skipped
/// (files with other names are verified when their content is media).
const MEDIA_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "webp", "gif", "tif", "tiff", "dng", "avif", "heic", "heif",
    "jxl", "svg", "mp4", "m4v", "mov", "avi", "m4a", "mp3", "wav", "flac",
];

/// Results in flight between the workers and the caller: bounds memory when
/// the caller is slower than the verifiers.
const IN_FLIGHT: usize = 64;

/// Results written to the cache in one transaction.
const CACHE_BATCH: usize = 256;

/// What a scan does besides verifying.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScanOptions<'a> {
    /// Reuse and store results.
    pub cache: Option<&'a ScanCache>,
    /// Look unsigned files up in a registry, with this PDQ threshold, as
    /// `hallmark verify --registry` does.
    pub registry: Option<(&'a Mutex<Registry>, u32)>,
    /// Or in a registry service (no cache should be given with it: what
    /// the service holds is not part of the cache's fingerprint).
    #[cfg(feature = "remote")]
    pub remote: Option<(&'a crate::registry::RemoteRegistry, u32)>,
    /// Make a JPEG thumbnail of every image, this many pixels on its longest side.
    pub thumbnail_side: Option<u32>,
}

/// One verified file and whether it passes the policy.
#[derive(Debug, Clone)]
pub struct ScanEntry {
    /// `path` is set to the file's path as walked (a root joined with the names below it).
    pub report: Report,
    pub policy: PolicyOutcome,
    /// A small JPEG of the image, when [`ScanOptions::thumbnail_side`] asked
    /// for one and the image could be decoded.
    pub thumbnail: Option<Vec<u8>>,
    /// The report came from the cache.
    pub cached: bool,
}

impl ScanEntry {
    /// This file's exit status: 0 passes, 1 fails the policy, 3 tampered or invalid, 4 unreadable.
    pub fn exit_code(&self) -> u8 {
        self.policy.exit_code(self.report.verdict)
    }
}

/// Counts over a whole scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Reports delivered (files verified, and paths that could not be walked).
    pub checked: u64,
    pub by_verdict: BTreeMap<Verdict, u64>,
    pub passed: u64,
    pub failed: u64,
    /// The first [`FAILING_LISTED`] failing files: verdict and path.
    pub failing: Vec<(Verdict, String)>,
    pub skipped: BTreeMap<Skip, u64>,
    /// Reports that came from the cache.
    pub cached: u64,
    /// The highest exit status of any file (0 when there were none).
    pub exit_code: u8,
}

impl ScanSummary {
    fn add(&mut self, entry: &ScanEntry) {
        let verdict = entry.report.verdict;
        self.checked += 1;
        self.cached += u64::from(entry.cached);
        *self.by_verdict.entry(verdict).or_default() += 1;
        if entry.policy.pass {
            self.passed += 1;
        } else {
            self.failed += 1;
            if self.failing.len() < FAILING_LISTED {
                let path = entry.report.path.clone().unwrap_or_default();
                self.failing.push((verdict, path));
            }
        }
        self.exit_code = self.exit_code.max(entry.exit_code());
    }

    /// How many files were skipped for `why`.
    pub fn skipped(&self, why: Skip) -> u64 {
        self.skipped.get(&why).copied().unwrap_or(0)
    }
}

enum Outcome {
    Entry(Box<ScanEntry>, Option<Store>),
    Skipped(Skip),
}

/// Verify every file under `roots` in parallel on the global thread pool, calling
/// `on_entry` on this thread with each result as it finishes (in no set order).
///
/// Roots that are files are verified whatever they hold, as `hallmark verify`
/// does. In folders, files whose first bytes are no format Hallmark reads,
/// and whose names don't end in a media extension, are counted as skipped;
/// devices and FIFOs are skipped; links to folders are not followed (a link to
/// a folder above it is reported as an `error`, `walk.symlink_loop`); broken
/// links and unreadable folders are `error` reports.
pub fn scan(
    verifier: &Verifier,
    policy: &Policy,
    roots: &[PathBuf],
    options: ScanOptions<'_>,
    mut on_entry: impl FnMut(ScanEntry),
) -> ScanSummary {
    let mut summary = ScanSummary::default();
    let mut pending: Vec<Store> = Vec::new();
    let (tx, rx) = mpsc::sync_channel(IN_FLIGHT);
    let job = Job {
        verifier,
        policy,
        options,
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            Walk::new(roots)
                .par_bridge()
                .for_each_with(tx, |tx, found| {
                    // A closed channel means the caller has gone: stop quietly.
                    // One file a core: a file's own work (PDQ's luminance in
                    // bands, say) stays on its worker instead of spawning
                    // threads that contend with the other workers (a scan of
                    // tampered photos: 12 % faster).
                    let _ = tx.send(crate::parallel::serial(|| job.process(found)));
                });
        });
        // `rx` is moved into the loop: if `on_entry` panics it is dropped, and the workers end.
        for outcome in rx {
            match outcome {
                Outcome::Entry(entry, store) => {
                    summary.add(&entry);
                    on_entry(*entry);
                    if let (Some(cache), Some(store)) = (options.cache, store) {
                        pending.push(store);
                        if pending.len() >= CACHE_BATCH {
                            cache.store(&pending);
                            pending.clear();
                        }
                    }
                }
                Outcome::Skipped(why) => *summary.skipped.entry(why).or_default() += 1,
            }
        }
    });
    if let Some(cache) = options.cache {
        cache.store(&pending);
        cache.prune();
    }
    summary
}

/// What every worker shares.
#[derive(Clone, Copy)]
struct Job<'a> {
    verifier: &'a Verifier,
    policy: &'a Policy,
    options: ScanOptions<'a>,
}

impl Job<'_> {
    fn process(&self, found: Found) -> Outcome {
        match found {
            Found::Skipped(why) => Outcome::Skipped(why),
            Found::File { path, named } => {
                if !named && !looks_like_image(&path) {
                    return Outcome::Skipped(Skip::NotImage);
                }
                self.check(path)
            }
            Found::Problem {
                path,
                code,
                message,
            } => self.entry(&path, Report::error(code, message), None, false, None),
        }
    }

    fn entry(
        &self,
        path: &Path,
        mut report: Report,
        thumbnail: Option<Vec<u8>>,
        cached: bool,
        store: Option<Store>,
    ) -> Outcome {
        report.path = Some(path.display().to_string());
        let policy = self.policy.evaluate(&report);
        let entry = ScanEntry {
            report,
            policy,
            thumbnail,
            cached,
        };
        Outcome::Entry(Box::new(entry), store)
    }

    /// Whether a cached result answers everything this scan asks.
    fn complete(&self, hit: &cache::Hit) -> bool {
        match self.options.thumbnail_side {
            None => true,
            Some(side) => hit.thumb_side == side || hit.report.verdict == Verdict::Error,
        }
    }

    fn thumbnail(&self, bytes: Option<&[u8]>, report: &Report) -> Option<Vec<u8>> {
        let side = self.options.thumbnail_side?;
        let bytes = bytes?;
        if report.verdict == Verdict::Error {
            return None;
        }
        crate::pixels::thumbnail(bytes, self.verifier.limits(), side).ok()
    }

    fn check(&self, path: PathBuf) -> Outcome {
        let cache = self.options.cache;
        let stat = cache
            .and_then(|_| std::fs::metadata(&path).ok())
            .and_then(|meta| Stat::of(&meta));
        // An unchanged file seen before: not even read.
        if let (Some(cache), Some(stat)) = (cache, stat) {
            if let Some(hit) = cache
                .content_of(&path, stat)
                .and_then(|content| cache.get(&content))
            {
                if self.complete(&hit) {
                    return self.entry(&path, hit.report, hit.thumbnail, true, None);
                }
            }
        }
        // Audio and video are read in place (hashed for the cache as a
        // stream), anything else whole.
        let loaded = crate::input::open_input(&path)
            .map_err(crate::media::LoadError::from)
            .and_then(|file| Ok((crate::media::load(&file, self.verifier.limits())?, file)));
        let (loaded, file) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                return self.entry(
                    &path,
                    Report::error(e.code(), e.to_string()),
                    None,
                    false,
                    None,
                )
            }
        };
        let source = loaded.source(&file);
        // Audio and video have no pixels for a thumbnail.
        let bytes = source.bytes();
        let content = match cache {
            None => None,
            Some(_) => match content_hash(source) {
                Ok(hash) => Some(hash),
                Err(e) => {
                    let report = Report::error(crate::code::Code::IoRead, e.to_string());
                    return self.entry(&path, report, None, false, None);
                }
            },
        };
        let side = self.options.thumbnail_side.unwrap_or(0);
        // The same bytes seen before (elsewhere, or with another stat).
        if let (Some(cache), Some(content)) = (cache, content) {
            if let Some(hit) = cache.get(&content) {
                let complete = self.complete(&hit);
                let thumbnail = if complete {
                    hit.thumbnail
                } else {
                    self.thumbnail(bytes, &hit.report)
                };
                let result = (!complete).then(|| (to_json(&hit.report), thumbnail.clone(), side));
                let store = Store {
                    path: path.clone(),
                    stat,
                    content,
                    result,
                };
                return self.entry(&path, hit.report, thumbnail, true, Some(store));
            }
        }
        let checker = match self.options.registry {
            Some((registry, threshold)) => {
                crate::check::Checker::new(self.verifier).with_registry(registry, threshold)
            }
            None => crate::check::Checker::new(self.verifier),
        };
        #[cfg(feature = "remote")]
        let checker = match self.options.remote {
            Some((remote, threshold)) => checker.with_remote(remote, threshold),
            None => checker,
        };
        let report = checker.check_source(source);
        let thumbnail = self.thumbnail(bytes, &report);
        let store = content.map(|content| Store {
            path: path.clone(),
            stat,
            content,
            result: Some((to_json(&report), thumbnail.clone(), side)),
        });
        self.entry(&path, report, thumbnail, false, store)
    }
}

/// BLAKE3 of a file's content, what the result cache keys on: read in
/// pieces when the file is read in place.
fn content_hash(source: Source<'_>) -> std::io::Result<[u8; 32]> {
    match source.bytes() {
        Some(bytes) => Ok(*blake3::hash(bytes).as_bytes()),
        None => {
            let mut hasher = blake3::Hasher::new();
            std::io::copy(&mut source.stream()?, &mut hasher)?;
            Ok(*hasher.finalize().as_bytes())
        }
    }
}

/// The report as cached: its JSON without the path (the same bytes may be at many paths).
fn to_json(report: &Report) -> String {
    let mut report = report.clone();
    report.path = None;
    serde_json::to_string(&report).unwrap_or_default()
}

/// Sniff the file's head; a file that can't be opened is verified, so its error is reported.
fn looks_like_image(path: &Path) -> bool {
    let named_image = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MEDIA_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)));
    if named_image {
        return true;
    }
    let Ok(file) = File::open(path) else {
        return true;
    };
    let mut head = Vec::with_capacity(crate::media::SNIFF_BYTES);
    if file
        .take(crate::media::SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .is_err()
    {
        return true;
    }
    MediaFormat::sniff(&head).is_some()
}
