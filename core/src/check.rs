//! The one checking pipeline: read a file under the limits, verify it, and
//! (with a registry) recover the provenance of an unsigned copy. `verify`,
//! `inspect`, `scan`, `feed` and the WASM package all check through a
//! [`Checker`], and get the one [`Report`].

use std::path::Path;

use crate::inspect::Inspection;
use crate::report::Report;
use crate::verify::Verifier;

#[cfg(feature = "registry")]
use crate::registry::Registry;
#[cfg(feature = "registry")]
use std::sync::Mutex;

/// A verifier and, optionally, a registry to recover unsigned copies from.
/// Cheap to make: it borrows both.
#[derive(Debug, Clone, Copy)]
pub struct Checker<'a> {
    verifier: &'a Verifier,
    #[cfg(feature = "registry")]
    registry: Option<(&'a Mutex<Registry>, u32)>,
}

impl<'a> Checker<'a> {
    pub fn new(verifier: &'a Verifier) -> Self {
        Self {
            verifier,
            #[cfg(feature = "registry")]
            registry: None,
        }
    }

    /// Unsigned files whose pixels match a registered file within
    /// `threshold` bits become `recovered`.
    #[cfg(feature = "registry")]
    pub fn with_registry(mut self, registry: &'a Mutex<Registry>, threshold: u32) -> Self {
        self.registry = Some((registry, threshold));
        self
    }

    pub fn verifier(&self) -> &'a Verifier {
        self.verifier
    }

    /// Check the bytes of one file.
    pub fn check_bytes(&self, bytes: &[u8]) -> Report {
        let report = self.verifier.verify(bytes);
        #[cfg(feature = "registry")]
        if let Some((registry, threshold)) = self.registry {
            return recover(registry, threshold, bytes, report);
        }
        report
    }

    /// Check the bytes of one file and keep what `hallmark inspect` shows
    /// besides the report: the manifest store and the certificates.
    pub fn inspect_bytes(&self, bytes: &[u8]) -> Inspection {
        #[cfg_attr(not(feature = "registry"), allow(unused_mut))]
        let mut inspection = crate::inspect::inspect(self.verifier, bytes);
        #[cfg(feature = "registry")]
        if let Some((registry, threshold)) = self.registry {
            inspection.report = recover(registry, threshold, bytes, inspection.report);
        }
        inspection
    }

    /// Read `path` (a regular file, under the size limit) and check it; an
    /// unreadable file is a report with verdict `error`. The report's
    /// `path` is set. The bytes come back too, when they were read.
    pub fn check_file_keeping_bytes(&self, path: &Path) -> (Report, Option<Vec<u8>>) {
        let (mut report, bytes) =
            match crate::input::read_input(path, self.verifier.limits().max_file_bytes) {
                Ok(bytes) => (self.check_bytes(&bytes), Some(bytes)),
                Err(e) => (Report::error(e.code(), e.to_string()), None),
            };
        report.path = Some(path.display().to_string());
        (report, bytes)
    }

    /// [`Checker::check_file_keeping_bytes`], without the bytes.
    pub fn check_file(&self, path: &Path) -> Report {
        self.check_file_keeping_bytes(path).0
    }
}

/// [`Registry::recover`] for an unsigned report, hashing the file before
/// taking the lock (scans check on every core).
#[cfg(feature = "registry")]
fn recover(registry: &Mutex<Registry>, threshold: u32, bytes: &[u8], report: Report) -> Report {
    if report.verdict != crate::report::Verdict::Unsigned {
        return report;
    }
    let limits = match registry.lock() {
        Ok(registry) => *registry.limits(),
        Err(_) => return report,
    };
    let hash =
        crate::pixels::hash_image(bytes, &limits).map_err(crate::registry::RegistryError::from);
    match registry.lock() {
        Ok(registry) => registry.recover_hashed(hash, report, threshold),
        Err(_) => report,
    }
}
