//! The one checking pipeline: read a file under the limits, verify it, and
//! (with a registry) recover the provenance of an unsigned copy. `verify`,
//! `inspect`, `scan`, `feed` and the WASM package all check through a
//! [`Checker`], and get the one [`Report`].

use std::path::Path;

use crate::inspect::Inspection;
use crate::media::{load, LoadError, Loaded, Source};
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
    #[cfg(feature = "remote")]
    remote: Option<(&'a crate::registry::RemoteRegistry, u32)>,
}

impl<'a> Checker<'a> {
    pub fn new(verifier: &'a Verifier) -> Self {
        Self {
            verifier,
            #[cfg(feature = "registry")]
            registry: None,
            #[cfg(feature = "remote")]
            remote: None,
        }
    }

    /// Unsigned files are looked up in a registry service (see
    /// [`crate::registry::RemoteRegistry`]): those it leads to a store that
    /// verifies here, over these pixels or pixels within `threshold` bits,
    /// become `recovered`.
    #[cfg(feature = "remote")]
    pub fn with_remote(
        mut self,
        remote: &'a crate::registry::RemoteRegistry,
        threshold: u32,
    ) -> Self {
        self.remote = Some((remote, threshold));
        self
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
        self.check_source(Source::Bytes(bytes))
    }

    /// Check one file, in memory or read in place.
    pub fn check_source(&self, source: Source<'_>) -> Report {
        let report = self.verifier.verify_source(source);
        self.recover(source, report)
    }

    /// An unsigned report recovered from the registry or registry service, if any.
    #[cfg_attr(not(feature = "registry"), allow(unused_variables))]
    fn recover(&self, source: Source<'_>, report: Report) -> Report {
        #[cfg(feature = "registry")]
        if let Some((registry, threshold)) = self.registry {
            return recover(registry, threshold, source, report);
        }
        #[cfg(feature = "remote")]
        if let Some((remote, threshold)) = self.remote {
            return remote.recover(source, report, self.verifier, threshold);
        }
        report
    }

    /// Check the bytes of one file and keep what `hallmark inspect` shows
    /// besides the report: the manifest store and the certificates.
    pub fn inspect_bytes(&self, bytes: &[u8]) -> Inspection {
        self.inspect_source(Source::Bytes(bytes))
    }

    /// [`Checker::inspect_bytes`] for a file in memory or read in place.
    pub fn inspect_source(&self, source: Source<'_>) -> Inspection {
        let mut inspection = crate::inspect::inspect_source(self.verifier, source);
        inspection.report = self.recover(source, inspection.report);
        inspection
    }

    /// Open `path` (a regular file) and inspect it: audio and video are read
    /// in place, anything else whole, under the limits.
    pub fn inspect_file(&self, path: &Path) -> Inspection {
        let inspection = self.with_file(path, |source| self.inspect_source(source));
        inspection
            .map(|(inspection, _)| inspection)
            .unwrap_or_else(|e| Inspection {
                report: Report::error(e.code(), e.to_string()),
                active_manifest: None,
                manifest_store: None,
                certificates: Vec::new(),
            })
    }

    /// Open `path` and hand it to `check` as a [`Source`]: read whole under
    /// [`Limits::max_file_bytes`](crate::Limits), or in place for audio and
    /// video.
    fn with_file<T>(
        &self,
        path: &Path,
        check: impl FnOnce(Source<'_>) -> T,
    ) -> Result<(T, Option<Vec<u8>>), LoadError> {
        let file = crate::input::open_input(path)?;
        let loaded = load(&file, self.verifier.limits())?;
        let checked = check(loaded.source(&file));
        Ok(match loaded {
            Loaded::Bytes(bytes) => (checked, Some(bytes)),
            Loaded::Streamed { .. } => (checked, None),
        })
    }

    /// Open `path` (a regular file) and check it; an unreadable file is a
    /// report with verdict `error`. The report's `path` is set. The bytes
    /// come back too when they were read whole (audio and video are read
    /// in place, never held).
    pub fn check_file_keeping_bytes(&self, path: &Path) -> (Report, Option<Vec<u8>>) {
        let (mut report, bytes) = self
            .with_file(path, |source| self.check_source(source))
            .unwrap_or_else(|e| (Report::error(e.code(), e.to_string()), None));
        report.path = Some(path.display().to_string());
        (report, bytes)
    }

    /// [`Checker::check_file_keeping_bytes`], without the bytes.
    pub fn check_file(&self, path: &Path) -> Report {
        self.check_file_keeping_bytes(path).0
    }
}

/// [`Registry::recover`] for an unsigned report, hashing the file before
/// taking the lock (scans check on every core): a picture by PDQ and pixel
/// digest, a video (MP4, MOV, AVI, read in place) by vPDQ.
#[cfg(feature = "registry")]
fn recover(
    registry: &Mutex<Registry>,
    threshold: u32,
    source: Source<'_>,
    report: Report,
) -> Report {
    if report.verdict != crate::report::Verdict::Unsigned {
        return report;
    }
    let limits = match registry.lock() {
        Ok(registry) => *registry.limits(),
        Err(_) => return report,
    };
    if let Some(bytes) = source.bytes() {
        let hash =
            crate::pixels::hash_image(bytes, &limits).map_err(crate::registry::RegistryError::from);
        return match registry.lock() {
            Ok(registry) => registry.recover_hashed(hash, report, threshold),
            Err(_) => report,
        };
    }
    let hash = hash_streamed(source, &limits).map_err(crate::registry::RegistryError::from);
    match registry.lock() {
        Ok(registry) => registry.recover_video(hash, report, threshold),
        Err(_) => report,
    }
}

/// A streamed file's vPDQ hash (a frame a second) and size: video only.
#[cfg(feature = "registry")]
fn hash_streamed(
    source: Source<'_>,
    limits: &crate::media::Limits,
) -> Result<(crate::vpdq::VideoHash, u32, u32), crate::media::MediaError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    source
        .stream()
        .and_then(|s| s.take(4096).read_to_end(&mut head))
        .map_err(|e| crate::media::MediaError::Malformed {
            format: "video",
            detail: e.to_string(),
        })?;
    let format = crate::media::identify(&head, limits)?;
    if !format.is_video() {
        return Err(crate::media::MediaError::Unsupported {
            format: format.mime(),
            why: "the registry holds pictures and videos",
        });
    }
    crate::registry::hash_video(source, format, limits)
}
