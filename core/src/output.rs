//! Writing results without ever losing data: a temporary file beside the
//! destination, synced and read back, then renamed over it in one step.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an output could not be written. The destination is left as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    #[error("{0} already exists (use --force to replace it)")]
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
    pub fn code(&self) -> &'static str {
        match self {
            Self::Exists(_) => "output.exists",
            Self::Io { .. } => "io",
            Self::ReadBack(_) => "output.read_back",
        }
    }
}

/// Write `bytes` to `path` atomically. Replaces an existing file only when
/// `overwrite`, keeping its permissions.
pub fn write_atomically(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), OutputError> {
    let io = |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let existing = fs::metadata(path).ok();
    if existing.is_some() && !overwrite {
        return Err(OutputError::Exists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".hallmark-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    if fs::read(tmp.path()).map_err(io)? != bytes {
        return Err(OutputError::ReadBack(path.to_path_buf()));
    }
    let permissions = match &existing {
        Some(meta) => Some(meta.permissions()),
        None => default_permissions(),
    };
    if let Some(permissions) = permissions {
        fs::set_permissions(tmp.path(), permissions).map_err(io)?;
    }
    if overwrite {
        tmp.persist(path).map_err(|e| io(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                OutputError::Exists(path.to_path_buf())
            } else {
                io(e.error)
            }
        })?;
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
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
}
