//! Verifying whole folders (`hallmark scan`): walk, verify on every core,
//! judge each report against a [`Policy`], and hand each result to the caller
//! as soon as it is ready. Nothing holds every report: memory stays flat
//! whatever the size of the folder.
//!
//! Each file is verified exactly as `hallmark verify` verifies it
//! ([`Verifier::verify_file`]), so verdicts are identical.
//!
//! ```no_run
//! use hallmark_core::{Policy, TrustStore, Verifier};
//!
//! let verifier = Verifier::new(TrustStore::empty());
//! let summary = hallmark_core::scan::scan(&verifier, &Policy::default(), &["inbox".into()], |entry| {
//!     println!("{} {}", entry.report.verdict, entry.policy.pass);
//! });
//! std::process::exit(summary.exit_code.into());
//! ```

mod walk;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::media::MediaFormat;
use crate::policy::{Policy, PolicyOutcome};
use crate::report::{Report, Verdict};
use crate::verify::Verifier;
use walk::{Found, Walk};

pub use walk::Skip;

/// How many failing files a summary names; the rest are only counted.
pub const FAILING_LISTED: usize = 100;

/// File names that say "image": such files are verified even when their
/// content is not recognised, so a broken image is reported, never skipped.
const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "jpe", "png", "webp"];

/// Results in flight between the workers and the caller: bounds memory when
/// the caller is slower than the verifiers.
const IN_FLIGHT: usize = 64;

/// One verified file and whether it passes the policy.
#[derive(Debug, Clone)]
pub struct ScanEntry {
    /// `path` is set to the file's path as walked (a root joined with the names below it).
    pub report: Report,
    pub policy: PolicyOutcome,
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
    /// The highest exit status of any file (0 when there were none).
    pub exit_code: u8,
}

impl ScanSummary {
    fn add(&mut self, entry: &ScanEntry) {
        let verdict = entry.report.verdict;
        self.checked += 1;
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
    Entry(Box<ScanEntry>),
    Skipped(Skip),
}

/// Verify every file under `roots` in parallel on the global thread pool, calling
/// `on_entry` on this thread with each result as it finishes (in no set order).
///
/// Roots that are files are verified whatever they hold, as `hallmark verify`
/// does. In folders, files whose first bytes are not JPEG, PNG or WebP, and
/// whose names don't end in an image extension, are counted as skipped;
/// devices and FIFOs are skipped; links to folders are not followed (a link to
/// a folder above it is reported as an `error`, `walk.symlink_loop`); broken
/// links and unreadable folders are `error` reports.
pub fn scan(
    verifier: &Verifier,
    policy: &Policy,
    roots: &[PathBuf],
    mut on_entry: impl FnMut(ScanEntry),
) -> ScanSummary {
    let mut summary = ScanSummary::default();
    let (tx, rx) = mpsc::sync_channel(IN_FLIGHT);
    std::thread::scope(|s| {
        s.spawn(move || {
            Walk::new(roots)
                .par_bridge()
                .for_each_with(tx, |tx, found| {
                    // A closed channel means the caller has gone: stop quietly.
                    let _ = tx.send(process(verifier, policy, found));
                });
        });
        // `rx` is moved into the loop: if `on_entry` panics it is dropped, and the workers end.
        for outcome in rx {
            match outcome {
                Outcome::Entry(entry) => {
                    summary.add(&entry);
                    on_entry(*entry);
                }
                Outcome::Skipped(why) => *summary.skipped.entry(why).or_default() += 1,
            }
        }
    });
    summary
}

fn process(verifier: &Verifier, policy: &Policy, found: Found) -> Outcome {
    let report = match found {
        Found::Skipped(why) => return Outcome::Skipped(why),
        Found::File { path, named } => {
            if !named && !looks_like_image(&path) {
                return Outcome::Skipped(Skip::NotImage);
            }
            verifier.verify_file(&path)
        }
        Found::Problem {
            path,
            code,
            message,
        } => {
            let mut report = Report::error(code, message);
            report.path = Some(path.display().to_string());
            report
        }
    };
    let policy = policy.evaluate(&report);
    Outcome::Entry(Box::new(ScanEntry { report, policy }))
}

/// Sniff the first 16 bytes; a file that can't be opened is verified, so its error is reported.
fn looks_like_image(path: &Path) -> bool {
    let named_image = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)));
    if named_image {
        return true;
    }
    let Ok(file) = File::open(path) else {
        return true;
    };
    let mut head = Vec::with_capacity(16);
    if file.take(16).read_to_end(&mut head).is_err() {
        return true;
    }
    MediaFormat::sniff(&head).is_some()
}
