//! The user's own trust list on disk: one PEM bundle per named entry in a
//! directory (`NAME.pem`). `verify`, `scan` and `registry` load every entry as
//! trust anchors. Where that directory is (XDG config) is the CLI's business.

use crate::code::Code;
use std::fs;
use std::path::{Path, PathBuf};

use crate::cert::parse_pem_certificates;
use crate::cert::{certificate_info, CertificateInfo};
use crate::output::write_atomically;
use crate::trust::TrustStore;

/// Entries larger than this are not trust lists (the C2PA list is ~100 KB).
const MAX_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;

/// Why the trust directory could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustDirError {
    #[error("\"{0}\" is not a valid entry name: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'")]
    BadName(String),
    #[error("no trust entry named \"{0}\"")]
    NotFound(String),
    #[error("a trust entry named \"{0}\" already exists")]
    Exists(String),
    #[error("{path}: not a PEM certificate bundle: {message}")]
    Malformed { path: PathBuf, message: String },
    /// Listing the trust folder failed.
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing or removing an entry failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl TrustDirError {
    pub fn code(&self) -> Code {
        match self {
            Self::BadName(_) => Code::TrustBadName,
            Self::NotFound(_) => Code::TrustNotFound,
            Self::Exists(_) => Code::TrustExists,
            Self::Malformed { .. } => Code::TrustMalformed,
            Self::Read { .. } => Code::IoRead,
            Self::Io { .. } => Code::IoWrite,
        }
    }
}

/// One named entry and the certificates it holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrustEntry {
    pub name: String,
    pub certificates: Vec<CertificateInfo>,
}

/// An entry's name and its DER certificates.
type NamedBundle = (String, Vec<Vec<u8>>);

/// A directory of named PEM bundles.
#[derive(Debug, Clone)]
pub struct TrustDir {
    dir: PathBuf,
}

fn check_name(name: &str) -> Result<(), TrustDirError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(TrustDirError::BadName(name.to_string()))
    }
}

impl TrustDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.pem"))
    }

    /// Store a PEM bundle (one or many certificates, e.g. the C2PA trust list)
    /// under `name`. Returns how many certificates it holds.
    pub fn add(&self, name: &str, pem: &[u8], overwrite: bool) -> Result<usize, TrustDirError> {
        check_name(name)?;
        let path = self.entry_path(name);
        let certs = parse_pem_certificates(pem).map_err(|message| TrustDirError::Malformed {
            path: path.clone(),
            message,
        })?;
        if !overwrite && path.exists() {
            return Err(TrustDirError::Exists(name.to_string()));
        }
        fs::create_dir_all(&self.dir).map_err(|source| TrustDirError::Io {
            path: self.dir.clone(),
            source,
        })?;
        // Store only the certificates, re-encoded: no stray text from the source.
        let clean: String = certs.iter().map(|der| crate::cert::to_pem(der)).collect();
        write_atomically(&path, clean.as_bytes(), overwrite).map_err(|e| TrustDirError::Io {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(certs.len())
    }

    pub fn remove(&self, name: &str) -> Result<(), TrustDirError> {
        check_name(name)?;
        let path = self.entry_path(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(TrustDirError::NotFound(name.to_string()))
            }
            Err(source) => Err(TrustDirError::Io { path, source }),
        }
    }

    fn entries(&self) -> Result<Vec<NamedBundle>, TrustDirError> {
        let read_dir = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(TrustDirError::Read {
                    path: self.dir.clone(),
                    source,
                })
            }
        };
        let mut out = Vec::new();
        for entry in read_dir.flatten() {
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".pem"))
                .map(str::to_string)
            else {
                continue;
            };
            if check_name(&name).is_err() {
                continue;
            }
            let pem = crate::input::read_input(&path, MAX_BUNDLE_BYTES).map_err(|e| {
                TrustDirError::Malformed {
                    path: path.clone(),
                    message: e.to_string(),
                }
            })?;
            let certs =
                parse_pem_certificates(&pem).map_err(|message| TrustDirError::Malformed {
                    path: path.clone(),
                    message,
                })?;
            out.push((name, certs));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Every entry, by name.
    pub fn list(&self) -> Result<Vec<TrustEntry>, TrustDirError> {
        Ok(self
            .entries()?
            .into_iter()
            .map(|(name, certs)| TrustEntry {
                name,
                certificates: certs
                    .iter()
                    .filter_map(|der| certificate_info(der))
                    .collect(),
            })
            .collect())
    }

    /// Add every stored certificate to `store` as a time-stamp authority
    /// anchor only (a directory of TSA roots, kept apart from signer roots).
    pub fn load_tsa_into(&self, store: &mut TrustStore) -> Result<usize, TrustDirError> {
        let mut n = 0;
        for (name, certs) in self.entries()? {
            n += certs.len();
            store.add_tsa_anchors_der(certs, &format!("TSA trust list entry {name}"));
        }
        Ok(n)
    }

    /// Add every stored certificate to `store` as a trust anchor, for claim
    /// signers and for CAWG identity credentials alike.
    pub fn load_into(&self, store: &mut TrustStore) -> Result<usize, TrustDirError> {
        let mut n = 0;
        for (name, certs) in self.entries()? {
            n += certs.len();
            let source = format!("trust list entry {name}");
            store.add_cawg_anchors_der(certs.clone(), &source);
            store.add_anchors_der(certs, &source);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("c2pa-trust-list").is_ok());
        assert!(check_name("Example.News_2").is_ok());
        for bad in ["", ".hidden", "a/b", "../x", "x y", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
