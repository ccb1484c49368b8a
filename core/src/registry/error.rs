//! Why the registry could not be opened, or a file not added or looked up,
//! with the code each reason is reported under.

use crate::code::Code;

use crate::media::MediaError;
use crate::report::Verdict;

/// Why the registry could not be opened, or a file not added or looked up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The file is not an SQLite database, or is damaged.
    #[error("{path}: not a readable registry: the file is not an SQLite database or is damaged ({detail})")]
    Corrupt { path: String, detail: String },
    /// An SQLite database, but not one Hallmark made.
    #[error("{path}: an SQLite database, but not a Hallmark registry")]
    Foreign { path: String },
    /// Made by a newer Hallmark.
    #[error("{path}: registry schema version {found} is newer than this Hallmark reads (version {supported})")]
    Version {
        path: String,
        found: i64,
        supported: i64,
    },
    /// The file could not be opened or created.
    #[error("{path}: can't open the registry: {detail}")]
    Open { path: String, detail: String },
    /// Only files whose credentials verify as trusted are registered (and
    /// valid ones when the caller allows them).
    #[error("not registered: the file is {verdict} ({summary}); {}", rejected_rule(*.verdict))]
    Rejected { verdict: Verdict, summary: String },
    /// The signed file's pixels could not be decoded for hashing.
    #[error("can't hash the file's pixels: {0}")]
    Media(#[from] MediaError),
    /// The manifest store could not be extracted from a file that verified.
    #[error("can't extract the manifest store: {0}")]
    ManifestStore(String),
    /// Another manifest store is registered under the same manifest id.
    #[error("not registered: manifest id {manifest_id} is registered already, with another manifest store")]
    Conflict { manifest_id: String },
    /// A registry service could not be asked, or answered with an error.
    #[error("registry service {url}: {detail}")]
    Remote { url: String, detail: String },
    /// Any other SQLite failure (disk full, locked, read-only…).
    #[error("{path}: registry database error: {detail}")]
    Database { path: String, detail: String },
}

/// What a rejected file would have needed.
fn rejected_rule(verdict: Verdict) -> &'static str {
    if verdict == Verdict::Valid {
        "only trusted files are registered: trust its signer's root (--trust), or allow valid files (--allow-valid)"
    } else {
        "only trusted (or, when allowed, valid) files are registered"
    }
}

impl RegistryError {
    /// A stable code for the error, as the CLI and WASM show it.
    pub fn code(&self) -> Code {
        match self {
            Self::Corrupt { .. } => Code::RegistryCorrupt,
            Self::Foreign { .. } => Code::RegistryForeign,
            Self::Version { .. } => Code::RegistryVersion,
            Self::Open { .. } => Code::RegistryOpen,
            Self::Rejected { .. } => Code::RegistryRejected,
            Self::Media(e) => e.code(),
            Self::ManifestStore(_) => Code::RegistryManifestStore,
            Self::Conflict { .. } => Code::RegistryConflict,
            Self::Remote { .. } => Code::RemoteRegistry,
            Self::Database { .. } => Code::RegistryDatabase,
        }
    }
}
