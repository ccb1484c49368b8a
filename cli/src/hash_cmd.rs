//! `hallmark hash` and `hallmark match`: perceptual hashes of files, and
//! matching them against a bank of known hashes.

use crate::out::{json_line, outln};
use hallmark_core::Code;
use std::fs;
use std::path::{Path, PathBuf};

use hallmark_core::bank::{Bank, LOW_QUALITY};
use hallmark_core::pdq::MIN_MATCH_QUALITY;
use hallmark_core::pixels::{decode_rgba8, ImageHash};
use hallmark_core::records::{ErrorRecord, HashRecord, MatchRecord};
use hallmark_core::{ErrorInfo, Limits};

use crate::args::{OutputArgs, ThresholdArgs};
use crate::error::{shown, CliError, EXIT_UNREADABLE, EXIT_USAGE};
use crate::render::escape;

#[derive(Debug, clap::Args)]
pub struct HashArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// One JSON record per file.
    #[arg(long)]
    pub json: bool,
    /// Also the hashes of the 8 rotations and reflections.
    #[arg(long)]
    pub dihedral: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct MatchArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_name = "BANK.tsv")]
    pub bank: PathBuf,
    #[command(flatten)]
    pub threshold: ThresholdArgs,
    /// One JSON record per file.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn read(path: &Path) -> Result<Vec<u8>, (String, String)> {
    hallmark_core::read_input(path, Limits::default().max_file_bytes)
        .map_err(|e| (e.code().to_string(), e.to_string()))
}

/// An unreadable input: a JSON line in --json mode (the stream goes on), else a line on stderr.
fn report_unreadable(path: &Path, code: &str, message: &str, json: bool) {
    if json {
        let record = ErrorRecord {
            path: path.display().to_string(),
            error: ErrorInfo {
                code: code.into(),
                message: message.into(),
            },
        };
        outln!("{}", json_line(&record));
    } else {
        eprintln!(
            "hallmark: error [{code}]: {}: {}",
            shown(path),
            escape(message)
        );
    }
}

pub fn hash(args: HashArgs) -> Result<u8, CliError> {
    let (files, json, dihedral) = (&args.files, args.json, args.dihedral);
    let limits = Limits::default();
    let mut exit = 0;
    for path in files {
        // One decode for both the hashes and, with --dihedral, the eight turns.
        let result = read(path).and_then(|bytes| {
            let image =
                decode_rgba8(&bytes, &limits).map_err(|e| (e.code().to_string(), e.to_string()))?;
            let variants = dihedral.then(|| image.pdq_dihedral());
            Ok((ImageHash::of(&image), variants))
        });
        match result {
            Ok((h, variants)) => {
                if json {
                    let record = HashRecord::new(path.display().to_string(), h, variants.as_ref());
                    outln!("{}", json_line(&record));
                } else {
                    outln!(
                        "{}  q={:<3} {}x{}  {}",
                        h.pdq,
                        h.quality,
                        h.width,
                        h.height,
                        shown(path)
                    );
                    if let Some(d) = variants {
                        for (name, hash) in d.all().iter().skip(1) {
                            outln!("  {hash}  {name}");
                        }
                    }
                }
            }
            Err((code, message)) => {
                exit = EXIT_UNREADABLE;
                report_unreadable(path, &code, &message, json);
            }
        }
    }
    Ok(exit)
}

pub fn load_bank(path: &Path) -> Result<Bank, CliError> {
    let text =
        fs::read_to_string(path).map_err(|e| CliError::read(path, &e).with_exit(EXIT_USAGE))?;
    let (bank, errors) = Bank::parse_tsv(&text);
    for e in errors.iter().take(crate::render::BANK_PROBLEMS_LISTED) {
        eprintln!(
            "hallmark: warning [bank.line]: {}:{}: {} (line skipped)",
            shown(path),
            e.line,
            e.message
        );
    }
    if errors.len() > crate::render::BANK_PROBLEMS_LISTED {
        eprintln!(
            "hallmark: warning [bank.lines]: {}: {} more lines skipped",
            shown(path),
            errors.len() - crate::render::BANK_PROBLEMS_LISTED
        );
    }
    if bank.is_empty() {
        return Err(CliError::new(
            Code::BankEmpty,
            format!("{}: no usable hash in the bank", shown(path)),
            EXIT_USAGE,
        ));
    }
    Ok(bank)
}

pub fn match_files(args: MatchArgs) -> Result<u8, CliError> {
    let (files, bank_path, threshold, json) = (
        &args.files,
        args.bank.as_path(),
        args.threshold.threshold,
        args.json,
    );
    // --threshold is at most pdq::MAX_MATCH_THRESHOLD (args::threshold_parser).
    let bank = load_bank(bank_path)?;
    let limits = Limits::default();
    let mut exit = 0;
    for path in files {
        let image = read(path).and_then(|bytes| {
            decode_rgba8(&bytes, &limits).map_err(|e| (e.code().to_string(), e.to_string()))
        });
        let image = match image {
            Ok(image) => image,
            Err((code, message)) => {
                exit = EXIT_UNREADABLE;
                report_unreadable(path, &code, &message, json);
                continue;
            }
        };
        let hashes = image.pdq_dihedral();
        let record = MatchRecord::new(
            path.display().to_string(),
            &hashes,
            std::slice::from_ref(&bank),
            threshold,
        );
        if json {
            outln!("{}", json_line(&record));
        } else {
            match (&record.matched, record.label == LOW_QUALITY) {
                (_, true) => outln!(
                    "? low-quality  {}  quality {} < {MIN_MATCH_QUALITY}: too featureless to match",
                    shown(path),
                    hashes.quality
                ),
                (Some(m), false) => outln!(
                    "● {:<12} {}  distance {} ({}){}",
                    escape(&m.label),
                    shown(path),
                    m.distance,
                    m.transform,
                    if m.note.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", escape(&m.note))
                    }
                ),
                (None, false) => outln!(
                    "○ unknown      {}  no bank hash within {threshold} bits",
                    shown(path)
                ),
            }
        }
    }
    Ok(exit)
}
