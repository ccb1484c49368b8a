//! The scan result cache: reports keyed by the BLAKE3 of a file's bytes and
//! the verifier's [fingerprint](crate::Verifier::fingerprint), in an SQLite
//! file, so re-scanning an unchanged inbox is near-instant.
//!
//! Two tables:
//! - `results`: (content BLAKE3, fingerprint) → the report as JSON, and a
//!   thumbnail when one was made. Entries older than [`MAX_AGE_SECS`] are
//!   verified again: a certificate may have expired since.
//! - `files`: path → device, inode, size, mtime, ctime and the content BLAKE3
//!   seen then, so an unchanged file isn't even read (as `git status` trusts
//!   its index). Any write to a file changes its ctime, which no program can
//!   set back; an entry recorded within [`RACY_NANOS`] of the file's last
//!   change is not trusted, so a write in the same clock tick can't hide.
//!
//! The policy is not part of the key: it is applied to the cached report on
//! every scan, so a changed policy takes effect without verifying again.
//! The cache never makes a scan fail: a cache that can't be read or written
//! is a miss.

use crate::code::Code;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

use crate::report::Report;

/// Cached results older than this are verified again (a day).
pub const MAX_AGE_SECS: i64 = 24 * 60 * 60;
/// A `files` entry is trusted only if the file last changed this long before it was recorded.
const RACY_NANOS: i128 = 2_000_000_000;
/// `PRAGMA application_id` of a Hallmark scan cache: "HLMC".
const APPLICATION_ID: i64 = 0x484C_4D43;
const SCHEMA_VERSION: i64 = 1;
const SCHEMA: &str = "
CREATE TABLE results (
    content      BLOB NOT NULL,      -- BLAKE3 of the file's bytes
    fingerprint  BLOB NOT NULL,      -- Verifier::fingerprint (+ registry state)
    report       TEXT NOT NULL,      -- the report, as hallmark verify --json prints it
    thumbnail    BLOB,               -- JPEG, or NULL
    thumb_side   INTEGER NOT NULL,   -- the side the thumbnail was made for; 0 for none
    verified_at  INTEGER NOT NULL,   -- Unix seconds
    PRIMARY KEY (content, fingerprint)
) WITHOUT ROWID;
CREATE TABLE files (
    path         BLOB PRIMARY KEY,
    dev          INTEGER NOT NULL,
    ino          INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    ctime_ns     INTEGER NOT NULL,
    content      BLOB NOT NULL,
    recorded_ns  INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Why the cache file could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    #[error("can't open the scan cache {path}: {detail}")]
    Open { path: String, detail: String },
    #[error("{path} is not a Hallmark scan cache (or is damaged): {detail}")]
    NotACache { path: String, detail: String },
}

impl CacheError {
    pub fn code(&self) -> Code {
        match self {
            Self::Open { .. } => Code::CacheOpen,
            Self::NotACache { .. } => Code::CacheCorrupt,
        }
    }
}

/// A file's identity on disk, as `stat` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    dev: i64,
    ino: i64,
    size: i64,
    mtime_ns: i64,
    ctime_ns: i64,
}

impl Stat {
    #[cfg(unix)]
    pub(crate) fn of(meta: &Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| s.checked_mul(1_000_000_000)?.checked_add(n);
        Some(Self {
            dev: meta.dev() as i64,
            ino: meta.ino() as i64,
            size: i64::try_from(meta.size()).ok()?,
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec())?,
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec())?,
        })
    }

    #[cfg(not(unix))]
    pub(crate) fn of(_meta: &Metadata) -> Option<Self> {
        None
    }
}

/// A result found in the cache.
#[derive(Debug)]
pub(crate) struct Hit {
    pub report: Report,
    pub thumbnail: Option<Vec<u8>>,
    /// The thumbnail side asked for when it was made (0: none was asked for).
    pub thumb_side: u32,
}

/// A result to store once the scan's main thread gets to it.
#[derive(Debug)]
pub(crate) struct Store {
    pub path: PathBuf,
    pub stat: Option<Stat>,
    pub content: [u8; 32],
    /// None: the result was already cached; only the `files` entry is new.
    pub result: Option<(String, Option<Vec<u8>>, u32)>,
}

/// An open scan cache, shared by the scan's workers.
#[derive(Debug)]
pub struct ScanCache {
    conn: Mutex<Connection>,
    path: String,
    fingerprint: [u8; 32],
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

fn path_key(path: &Path) -> Vec<u8> {
    path.as_os_str().as_encoded_bytes().to_vec()
}

impl ScanCache {
    /// Open (or create) the cache at `path` for results of verifiers with
    /// this `fingerprint` (add the state of anything else the reports depend
    /// on, such as a registry, with [`Self::fingerprint_with`]).
    pub fn open(path: impl AsRef<Path>, fingerprint: [u8; 32]) -> Result<Self, CacheError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let open = |e: rusqlite::Error| CacheError::Open {
            path: shown.clone(),
            detail: e.to_string(),
        };
        let corrupt = |e: rusqlite::Error| CacheError::NotACache {
            path: shown.clone(),
            detail: e.to_string(),
        };
        let conn = Connection::open(path).map_err(open)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open)?;
        let (app, version): (i64, i64) = conn
            .query_row(
                "SELECT application_id, user_version FROM pragma_application_id, pragma_user_version",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(corrupt)?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(corrupt)?;
        if app == 0 && tables == 0 {
            conn.execute_batch(&format!(
                "PRAGMA journal_mode = WAL;
                 BEGIN;
                 {SCHEMA}
                 PRAGMA application_id = {APPLICATION_ID};
                 PRAGMA user_version = {SCHEMA_VERSION};
                 COMMIT;"
            ))
            .map_err(corrupt)?;
        } else if app != APPLICATION_ID || version != SCHEMA_VERSION {
            return Err(CacheError::NotACache {
                path: shown,
                detail: format!("application_id {app:#x}, version {version}"),
            });
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL;")
            .map_err(open)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path: shown,
            fingerprint,
        })
    }

    /// A fingerprint that also covers `extra` (e.g. a registry's path and size).
    pub fn fingerprint_with(fingerprint: [u8; 32], extra: &[u8]) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(&fingerprint);
        h.update(extra);
        *h.finalize().as_bytes()
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        let conn = self.conn.lock().ok()?;
        f(&conn).ok()
    }

    /// The content digest recorded for an unchanged file, if it can be trusted.
    pub(crate) fn content_of(&self, path: &Path, stat: Stat) -> Option<[u8; 32]> {
        type Row = (i64, i64, i64, i64, i64, Vec<u8>, i64);
        let row: Row = self.with(|c| {
            c.prepare_cached(
                "SELECT dev, ino, size, mtime_ns, ctime_ns, content, recorded_ns FROM files WHERE path = ?1",
            )?
            .query_row([path_key(path)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
            })
            .optional()
        })??;
        let (dev, ino, size, mtime_ns, ctime_ns, content, recorded_ns) = row;
        let recorded = Stat {
            dev,
            ino,
            size,
            mtime_ns,
            ctime_ns,
        };
        let settled = i128::from(recorded_ns) - i128::from(ctime_ns.max(mtime_ns)) > RACY_NANOS;
        if recorded != stat || !settled {
            return None;
        }
        content.try_into().ok()
    }

    /// The cached result for this content, when fresh.
    pub(crate) fn get(&self, content: &[u8; 32]) -> Option<Hit> {
        let oldest = i64::try_from(now_ns() / 1_000_000_000).unwrap_or(i64::MAX) - MAX_AGE_SECS;
        let (json, thumbnail, side): (String, Option<Vec<u8>>, u32) = self.with(|c| {
            c.prepare_cached(
                "SELECT report, thumbnail, thumb_side FROM results \
                 WHERE content = ?1 AND fingerprint = ?2 AND verified_at >= ?3",
            )?
            .query_row(params![&content[..], &self.fingerprint[..], oldest], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
        })??;
        let report: Report = serde_json::from_str(&json).ok()?;
        Some(Hit {
            report,
            thumbnail,
            thumb_side: side,
        })
    }

    /// Store results in one transaction. Failures are ignored: a result not
    /// stored is verified again next time.
    pub(crate) fn store(&self, batch: &[Store]) {
        if batch.is_empty() {
            return;
        }
        let now = now_ns();
        let now_s = i64::try_from(now / 1_000_000_000).unwrap_or(i64::MAX);
        let now_ns = i64::try_from(now).unwrap_or(i64::MAX);
        self.with(|c| {
            let tx = c.unchecked_transaction()?;
            {
                let mut result = tx.prepare_cached(
                    "INSERT OR REPLACE INTO results \
                     (content, fingerprint, report, thumbnail, thumb_side, verified_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                let mut file = tx.prepare_cached(
                    "INSERT OR REPLACE INTO files \
                     (path, dev, ino, size, mtime_ns, ctime_ns, content, recorded_ns) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for item in batch {
                    if let Some((json, thumbnail, side)) = &item.result {
                        result.execute(params![
                            &item.content[..],
                            &self.fingerprint[..],
                            json,
                            thumbnail,
                            side,
                            now_s
                        ])?;
                    }
                    if let Some(s) = item.stat {
                        file.execute(params![
                            path_key(&item.path),
                            s.dev,
                            s.ino,
                            s.size,
                            s.mtime_ns,
                            s.ctime_ns,
                            &item.content[..],
                            now_ns
                        ])?;
                    }
                }
            }
            tx.commit()
        });
    }

    /// Drop results too old to be used again, and file entries unseen as long.
    pub fn prune(&self) {
        let now = now_ns();
        let oldest_s = i64::try_from(now / 1_000_000_000).unwrap_or(i64::MAX) - MAX_AGE_SECS;
        let oldest_ns = i64::try_from(now).unwrap_or(i64::MAX) - MAX_AGE_SECS * 1_000_000_000;
        self.with(|c| {
            c.execute("DELETE FROM results WHERE verified_at < ?1", [oldest_s])?;
            c.execute("DELETE FROM files WHERE recorded_ns < ?1", [oldest_ns])
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_foreign_database_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        let err = ScanCache::open(&path, [0; 32]).unwrap_err();
        assert_eq!(err.code(), "cache.corrupt");
        let n: i64 = Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        std::fs::write(&path, b"not sqlite at all, just text that is long enough").unwrap();
        assert_eq!(
            ScanCache::open(&path, [0; 32]).unwrap_err().code(),
            "cache.corrupt"
        );
    }

    #[test]
    fn results_are_keyed_by_content_and_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        let cache = ScanCache::open(&path, [1; 32]).unwrap();
        let report = Report::new(crate::Verdict::Unsigned, "No Content Credentials");
        let json = serde_json::to_string(&report).unwrap();
        cache.store(&[Store {
            path: "a.jpg".into(),
            stat: None,
            content: [7; 32],
            result: Some((json, Some(vec![1, 2, 3]), 160)),
        }]);
        let hit = cache.get(&[7; 32]).unwrap();
        assert_eq!(hit.report, report);
        assert_eq!(hit.thumbnail, Some(vec![1, 2, 3]));
        assert_eq!(hit.thumb_side, 160);
        assert!(cache.get(&[8; 32]).is_none());
        drop(cache);
        let other = ScanCache::open(&path, [2; 32]).unwrap();
        assert!(other.get(&[7; 32]).is_none(), "another trust list");
    }

    #[test]
    fn a_file_entry_is_trusted_only_while_its_stat_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ScanCache::open(dir.path().join("c.sqlite"), [1; 32]).unwrap();
        let stat = Stat {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns: 1_000,
            ctime_ns: 1_000,
        };
        cache.store(&[Store {
            path: "a.jpg".into(),
            stat: Some(stat),
            content: [9; 32],
            result: None,
        }]);
        assert_eq!(cache.content_of(Path::new("a.jpg"), stat), Some([9; 32]));
        let changed = Stat {
            ctime_ns: 2_000,
            ..stat
        };
        assert_eq!(cache.content_of(Path::new("a.jpg"), changed), None);
        assert_eq!(cache.content_of(Path::new("b.jpg"), stat), None);
        // Changed moments before it was recorded: not trusted (racy).
        let racy = Stat {
            mtime_ns: i64::try_from(now_ns()).unwrap(),
            ctime_ns: i64::try_from(now_ns()).unwrap(),
            ..stat
        };
        cache.store(&[Store {
            path: "c.jpg".into(),
            stat: Some(racy),
            content: [9; 32],
            result: None,
        }]);
        assert_eq!(cache.content_of(Path::new("c.jpg"), racy), None);
    }
}
