//! Writing results without ever losing data: a temporary file beside the
//! destination, synced and read back, then renamed over it in one step.
//! [`AtomicFile`] does the same for output written as it is produced.

use crate::code::Code;
use std::fs;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Why an output could not be written. The destination is left as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    #[error("{0} already exists")]
    Exists(PathBuf),
    #[error("can't write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: what was written reads back differently; nothing was replaced")]
    ReadBack(PathBuf),
}

impl OutputError {
    pub fn code(&self) -> Code {
        match self {
            Self::Exists(_) => Code::OutputExists,
            Self::Io { .. } => Code::IoWrite,
            Self::ReadBack(_) => Code::OutputReadBack,
        }
    }
}

/// Write `bytes` to `path` atomically. Replaces an existing file only when
/// `overwrite`, keeping its permissions.
pub fn write_atomically(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), OutputError> {
    let mut file = AtomicFile::create(path, overwrite)?;
    file.write_all(bytes).map_err(|e| file.error(e))?;
    file.commit()
}

/// A file written bit by bit that appears at its path only when
/// [`commit`](Self::commit) succeeds: until then it is a temporary file
/// beside it, removed if the writer is dropped. Commit syncs it, reads it
/// back against a BLAKE3 of everything written, and renames it into place.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    dir: PathBuf,
    overwrite: bool,
    existing: Option<fs::Permissions>,
    out: BufWriter<NamedTempFile>,
    /// BLAKE3 of what was written in sequence; `None` once the file was
    /// handed out to be written at random ([`AtomicFile::file_mut`]).
    written: Option<blake3::Hasher>,
}

impl AtomicFile {
    /// Start writing `path`. Fails at once when it exists and `overwrite` is false.
    pub fn create(path: &Path, overwrite: bool) -> Result<Self, OutputError> {
        let existing = fs::metadata(path).ok();
        if existing.is_some() && !overwrite {
            return Err(OutputError::Exists(path.to_path_buf()));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".hallmark-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|source| OutputError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            dir,
            overwrite,
            existing: existing.map(|m| m.permissions()),
            out: BufWriter::with_capacity(256 * 1024, tmp),
            written: Some(blake3::Hasher::new()),
        })
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An I/O error while writing, as an [`OutputError`] naming the destination.
    pub fn error(&self, source: std::io::Error) -> OutputError {
        OutputError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// The temporary file itself, to be written at random (a signer that
    /// seeks back to patch what it wrote). What is written through it is
    /// not read back at commit: whoever writes it checks it (signing
    /// verifies the signed file from the disk).
    pub fn file_mut(&mut self) -> std::io::Result<&mut fs::File> {
        self.out.flush()?;
        self.written = None;
        Ok(self.out.get_mut().as_file_mut())
    }

    /// Sync, read back, and rename into place (replacing the destination only
    /// when created with `overwrite`). On any error the destination is untouched.
    pub fn commit(self) -> Result<(), OutputError> {
        let path = self.path;
        let io = |source| OutputError::Io {
            path: path.clone(),
            source,
        };
        let tmp = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        tmp.as_file().sync_all().map_err(io)?;
        if let Some(written) = self.written {
            read_back(&tmp, written).map_err(|e| match e {
                Some(e) => io(e),
                None => OutputError::ReadBack(path.clone()),
            })?;
        }
        let permissions = self.existing.or_else(default_permissions);
        if let Some(permissions) = permissions {
            fs::set_permissions(tmp.path(), permissions).map_err(io)?;
        }
        if self.overwrite {
            tmp.persist(&path).map_err(|e| io(e.error))?;
        } else {
            tmp.persist_noclobber(&path).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    OutputError::Exists(path.clone())
                } else {
                    io(e.error)
                }
            })?;
        }
        if let Ok(d) = fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// Read `tmp` back against the BLAKE3 of what was written: `Err(None)`
/// when they differ.
fn read_back(tmp: &NamedTempFile, written: blake3::Hasher) -> Result<(), Option<std::io::Error>> {
    let mut reread = blake3::Hasher::new();
    let mut file = fs::File::open(tmp.path())?;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        reread.update(&buffer[..n]);
    }
    if reread.finalize() != written.finalize() {
        return Err(None);
    }
    Ok(())
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        if let Some(written) = &mut self.written {
            written.update(&buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(unix)]
fn default_permissions() -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<fs::Permissions> {
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn refuses_to_replace_without_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jpg");
        fs::write(&path, b"old").unwrap();
        assert!(matches!(
            write_atomically(&path, b"new", false),
            Err(OutputError::Exists(_))
        ));
        assert_eq!(fs::read(&path).unwrap(), b"old");
        write_atomically(&path, b"new", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn an_atomic_file_appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        let mut file = AtomicFile::create(&path, false).unwrap();
        file.write_all(b"<html>").unwrap();
        assert!(!path.exists());
        drop(file);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left");

        let mut file = AtomicFile::create(&path, false).unwrap();
        for _ in 0..10_000 {
            file.write_all(b"<p>row</p>\n").unwrap();
        }
        file.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap().len(), 110_000);
        assert!(matches!(
            AtomicFile::create(&path, false),
            Err(OutputError::Exists(_))
        ));
        let mut file = AtomicFile::create(&path, true).unwrap();
        file.write_all(b"new").unwrap();
        file.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
