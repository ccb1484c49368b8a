//! `hallmark registry add|lookup` and `hallmark verify --registry`: the
//! registry of signed manifests that recovers stripped Content Credentials.
//! Every decision is `hallmark_core::registry`'s; this file reads arguments
//! and files and renders what it returns.

use crate::out::{json_line, outln};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use hallmark_core::records::{AddRecord, LookupRecord};
use hallmark_core::registry::{Added, Entry, Registry, RegistryError};
use hallmark_core::{ErrorInfo, Verifier};

use crate::args::{OutputArgs, ThresholdArgs, TrustArgs};
use crate::error::{CliError, EXIT_FAILURE, EXIT_UNREADABLE, EXIT_USAGE};
use crate::render;

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Register signed files: only those whose signer chains to a trust anchor (trusted) are kept.
    Add {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The registry file (created if missing).
        #[arg(long, value_name = "DB")]
        db: PathBuf,
        /// Signers chaining to a trust anchor are registered as trusted.
        #[command(flatten)]
        trust: TrustArgs,
        /// Also register files whose credentials are valid but whose signer
        /// no trust anchor vouches for (anyone can make such a signer).
        #[arg(long)]
        allow_valid: bool,
        /// One JSON object per file.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Find the registered files whose pixels match each file (same pixels or near PDQ hash).
    Lookup {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The registry file.
        #[arg(long, value_name = "DB")]
        db: PathBuf,
        /// Who is trusted now: each match's stored credentials are verified
        /// again against it (without any, a match is valid at best).
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        threshold: ThresholdArgs,
        /// One JSON object per file.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
}

impl RegistryCommand {
    /// Where the output goes.
    pub fn output(&self) -> &OutputArgs {
        match self {
            Self::Add { output, .. } | Self::Lookup { output, .. } => output,
        }
    }
}

pub fn run(command: RegistryCommand) -> Result<u8, CliError> {
    match command {
        RegistryCommand::Add {
            files,
            db,
            trust,
            allow_valid,
            json,
            ..
        } => {
            let verifier = Verifier::new(trust.store()?);
            add(&files, &db, &verifier, allow_valid, json)
        }
        RegistryCommand::Lookup {
            files,
            db,
            trust,
            threshold,
            json,
            ..
        } => {
            let verifier = Verifier::new(trust.store()?);
            lookup(&files, &db, &verifier, threshold.threshold, json)
        }
    }
}

/// Open `--db`/`--registry`: a file that is not a registry is a usage error.
pub(crate) fn open(db: &Path) -> Result<Registry, CliError> {
    Registry::open(db).map_err(|e| {
        let err = CliError::new(e.code(), e.to_string(), EXIT_USAGE);
        match e {
            RegistryError::Corrupt { .. } | RegistryError::Foreign { .. } => {
                err.hint("give the path of a registry made by `hallmark registry add`, or a new path to make one")
            }
            RegistryError::Version { .. } => err.hint("use the Hallmark that made this registry, or a newer one"),
            RegistryError::Open { ref detail, .. } if detail.contains("PGPASSWORD") => err,
            RegistryError::Open { .. } if hallmark_core::registry::is_postgres_url(&db.to_string_lossy()) => {
                err.hint("check that the PostgreSQL server is running, and that the URL's user and database exist")
            }
            RegistryError::Open { .. } => err.hint("check that the directory exists and is writable"),
            _ => err,
        }
    })
}

/// Read one input (a regular file, under the size limit); `Err((code, message))` when it can't be.
fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, (String, String)> {
    hallmark_core::read_input(path, max).map_err(|e| (e.code().to_string(), e.to_string()))
}

fn entry_line(entry: &Entry) -> String {
    let title = entry
        .title
        .as_deref()
        .map(|t| format!(", \"{}\"", render::escape(t)))
        .unwrap_or_default();
    format!(
        "entry {}: {}, {}{title}",
        entry.id,
        render::escape(&entry.signer.display_name()),
        entry.verdict
    )
}

fn add(
    files: &[PathBuf],
    db: &Path,
    verifier: &Verifier,
    allow_valid: bool,
    json: bool,
) -> Result<u8, CliError> {
    let mut registry = open(db)?;
    let mut worst = 0u8;
    for path in files {
        let name = path.display().to_string();
        let (status, entry, error, exit) = match read_file(path, verifier.limits().max_file_bytes) {
            Err((code, message)) => ("rejected", None, Some((code, message)), EXIT_UNREADABLE),
            Ok(bytes) => match registry.add_allowing(&bytes, verifier, allow_valid) {
                Ok(Added::New(entry)) => ("added", Some(entry), None, 0),
                Ok(Added::Existing(entry)) => ("exists", Some(entry), None, 0),
                Err(e @ RegistryError::Rejected { .. }) => (
                    "rejected",
                    None,
                    Some((e.code().to_string(), e.to_string())),
                    EXIT_FAILURE,
                ),
                Err(e @ RegistryError::Media(_)) => (
                    "rejected",
                    None,
                    Some((e.code().to_string(), e.to_string())),
                    EXIT_UNREADABLE,
                ),
                // The registry itself failed (disk full, locked…): stop here.
                Err(e) => return Err(CliError::new(e.code(), e.to_string(), EXIT_FAILURE)),
            },
        };
        worst = worst.max(exit);
        if json {
            let record = AddRecord {
                path: name.clone(),
                status,
                entry: entry.clone(),
                error: error.as_ref().map(|(code, message)| ErrorInfo {
                    code: code.clone(),
                    message: message.clone(),
                }),
            };
            outln!("{}", json_line(&record));
        } else {
            let detail = match (&entry, &error) {
                (Some(entry), _) if status == "exists" => {
                    format!("already registered as {}", entry_line(entry))
                }
                (Some(entry), _) => entry_line(entry),
                (None, Some((code, message))) => format!("[{code}] {}", render::escape(message)),
                (None, None) => String::new(),
            };
            outln!("{status:<9} {}  {detail}", render::escape(&name));
        }
    }
    Ok(worst)
}

fn lookup(
    files: &[PathBuf],
    db: &Path,
    verifier: &Verifier,
    threshold: u32,
    json: bool,
) -> Result<u8, CliError> {
    let registry = open(db)?.with_verifier(verifier.clone());
    let max = verifier.limits().max_file_bytes;
    let mut worst = 0u8;
    for path in files {
        let name = path.display().to_string();
        let found = read_file(path, max).and_then(|bytes| {
            registry
                .lookup_file(&bytes, threshold)
                .map_err(|e| (e.code().to_string(), e.to_string()))
        });
        let exit = match &found {
            Ok(found) if found.matches.is_empty() => EXIT_FAILURE,
            Ok(_) => 0,
            Err(_) => EXIT_UNREADABLE,
        };
        worst = worst.max(exit);
        match (&found, json) {
            (Ok(found), true) => {
                outln!("{}", json_line(&LookupRecord::found(name, found.clone())));
            }
            (Err((code, message)), true) => {
                let error = ErrorInfo {
                    code: code.clone(),
                    message: message.clone(),
                };
                outln!("{}", json_line(&LookupRecord::failed(name, error)));
            }
            (Ok(found), false) => {
                let low = found.hash.quality < hallmark_core::pdq::MIN_MATCH_QUALITY;
                let note = if low {
                    format!(
                        " (PDQ quality {} under 50: only identical pixels match)",
                        found.hash.quality
                    )
                } else {
                    String::new()
                };
                let count = match found.matches.len() {
                    0 => "no match".to_string(),
                    1 => "1 match".to_string(),
                    n => format!("{n} matches"),
                };
                outln!("{}  {count}{note}", render::escape(&name));
                for m in &found.matches {
                    if let Some(v) = &m.video {
                        outln!(
                            "  similar video: {:.1} % of its frames match  {}, {} now ({:.1} % of that video's)",
                            v.query_match_percent,
                            entry_line(&m.entry),
                            m.verdict_now,
                            v.compared_match_percent
                        );
                        for s in &v.segments {
                            outln!(
                                "    {} = {} of entry {}",
                                hallmark_core::vpdq::clock_span(s.query_start, s.query_end),
                                hallmark_core::vpdq::clock_span(s.compared_start, s.compared_end),
                                m.entry.id
                            );
                        }
                        continue;
                    }
                    let how = if m.pixel_digest_match {
                        format!("same pixels (distance {})", m.distance)
                    } else {
                        format!("similar picture ({} bits)", m.distance)
                    };
                    outln!("  {how}  {}, {} now", entry_line(&m.entry), m.verdict_now);
                }
                for r in &found.refused {
                    outln!(
                        "  not used: [{}] {}",
                        r.code,
                        render::escape(r.explanation.as_deref().unwrap_or_default())
                    );
                }
            }
            (Err((code, message)), false) => {
                outln!(
                    "{}  unreadable: [{code}] {}",
                    render::escape(&name),
                    render::escape(message)
                );
            }
        }
    }
    Ok(worst)
}
