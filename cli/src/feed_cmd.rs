//! `hallmark feed classify`: images and videos in (arguments, or lines on
//! stdin), one JSON line out per input, in input order. Bank problems come first, as
//! JSON lines too; the stream never stops for a bad input.

use hallmark_core::Code;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use hallmark_core::bank::BankSet;
use hallmark_core::feed::{Classifier, DeviceChoice, Engine, FeedInput};
use hallmark_core::Verifier;
use hallmark_core::{read_bounded_line, BoundedLine};

use crate::error::{shown, CliError, EXIT_UNREADABLE, EXIT_USAGE};

use crate::render::BANK_PROBLEMS_LISTED as PROBLEMS_LISTED;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Device {
    /// CUDA when this build has the gpu feature and a device is visible, else cpu.
    Auto,
    /// The CPU engine (the reference PDQ arithmetic; identical in every build).
    Cpu,
    /// libtorch on CUDA device 0 (gpu feature).
    Cuda,
    /// libtorch on the CPU (gpu feature): the tensor code without a GPU.
    TorchCpu,
}

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Hash images and videos and match them against banks of known hashes: one JSON line per input.
    Classify(ClassifyArgs),
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Image, video or vPDQ hash files; `-` (or none) reads one input a line from stdin: a path,
    /// a JSON string, or a JSON object with "path" (and an "id" echoed back).
    inputs: Vec<PathBuf>,
    /// A bank: TSV of PDQ hashes (pdq_hex, label, note), SQLite (tables
    /// hashes(pdq, label, note) and/or videos(vpdq, label, note)), or a folder
    /// of .vpdq.txt video hashes. LABEL=FILE labels every hash of FILE. Repeatable.
    #[arg(long = "bank", value_name = "[LABEL=]FILE", required = true)]
    banks: Vec<String>,
    /// A registry of signed originals: matches are labelled known-original,
    /// and unsigned images that match become `recovered`. A registry
    /// service's URL (https://host/v1 or http://…) recovers provenance
    /// only, from each file's hashes (no known-original label).
    #[arg(long, value_name = "DB|URL")]
    registry: Option<PathBuf>,
    /// With an https registry service: trust only these CA certificates
    /// (PEM) for its certificate, instead of the built-in Mozilla roots.
    #[arg(long, value_name = "PEM", requires = "registry")]
    registry_ca: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    device: Device,
    /// Images decoded, hashed and matched together.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    batch: u32,
    #[command(flatten)]
    threshold: crate::args::ThresholdArgs,
    #[command(flatten)]
    percents: crate::hash_cmd::PercentArgs,
    #[command(flatten)]
    video: crate::hash_cmd::VideoArgs,
    /// Who is trusted, for the provenance verdict.
    #[command(flatten)]
    trust: crate::args::TrustArgs,
    /// Skip verifying embedded manifests (provenance is null): hashing and matching only.
    #[arg(long)]
    no_provenance: bool,
    /// Output is always JSON lines; accepted for symmetry with other commands.
    #[arg(long, hide = true)]
    json: bool,
    #[command(flatten)]
    output: crate::args::OutputArgs,
}

impl FeedCommand {
    /// Where the output goes.
    pub fn output(&self) -> &crate::args::OutputArgs {
        match self {
            Self::Classify(args) => &args.output,
        }
    }
}

pub fn run(command: FeedCommand) -> Result<u8, CliError> {
    match command {
        FeedCommand::Classify(args) => classify(args),
    }
}

/// `LABEL=FILE` or `FILE` (a file whose own name has `=` is taken whole when it exists).
fn bank_spec(spec: &str) -> (Option<&str>, &str) {
    if Path::new(spec).exists() {
        return (None, spec);
    }
    match spec.split_once('=') {
        Some((label, file)) if !label.is_empty() && !file.is_empty() => (Some(label), file),
        _ => (None, spec),
    }
}

/// Longest input line read from stdin; a longer one is reported and skipped.
const MAX_INPUT_LINE: usize = 64 * 1024;

/// One line of stdin, or why it can't be used; `None` at the end of input.
fn read_line(reader: &mut impl BufRead) -> Option<Result<String, String>> {
    let mut buf = Vec::new();
    match read_bounded_line(reader, MAX_INPUT_LINE, &mut buf) {
        // A read error ends the stream, as the end of input does.
        Ok(BoundedLine::End) | Err(_) => None,
        Ok(BoundedLine::TooLong) => Some(Err(format!(
            "the line is longer than {MAX_INPUT_LINE} bytes"
        ))),
        Ok(BoundedLine::Line) => {
            Some(String::from_utf8(buf).map_err(|_| "the line is not UTF-8".to_string()))
        }
    }
}

/// One JSON line to the sink; a closed pipe ends the output quietly (the
/// classification still finishes and exits with its status).
fn print_line(value: &serde_json::Value) {
    crate::out::outln!("{value}");
}

fn classify(args: ClassifyArgs) -> Result<u8, CliError> {
    let mut banks = BankSet::new();
    let mut bad_lines = 0u64;
    for spec in &args.banks {
        let (label, file) = bank_spec(spec);
        let problems = banks
            .load(Path::new(file), file, label)
            .map_err(|e| CliError::new(e.code(), e.to_string(), EXIT_USAGE))?;
        for p in problems.iter().take(PROBLEMS_LISTED) {
            print_line(&serde_json::json!({"bank": p.bank, "line": p.line,
                                    "error": {"code": p.code, "message": p.message}}));
        }
        if problems.len() > PROBLEMS_LISTED {
            print_line(&serde_json::json!({"bank": file, "line": null,
                    "error": {"code": Code::BankLines, "message":
                        format!("{} more lines skipped", problems.len() - PROBLEMS_LISTED)}}));
        }
        bad_lines += problems.len() as u64;
    }
    if banks.is_empty() && banks.videos().is_empty() && args.registry.is_none() {
        return Err(CliError::new(
            Code::BankEmpty,
            "no usable hash in any bank",
            EXIT_USAGE,
        ));
    }
    let remote = match crate::args::service_url(args.registry.as_deref()) {
        Some(_) if args.no_provenance => {
            return Err(CliError::new(
                Code::Usage,
                "a registry service only recovers provenance: drop --no-provenance",
                EXIT_USAGE,
            ))
        }
        Some(url) => Some(crate::args::remote_registry(
            url,
            args.registry_ca.as_deref(),
        )?),
        None if args.registry_ca.is_some() => return Err(crate::args::needs_url("--registry-ca")),
        None => None,
    };
    let registry = match &args.registry {
        Some(_) if remote.is_some() => None,
        Some(db) if !db.exists() => {
            return Err(CliError::new(
                Code::RegistryOpen,
                format!("{}: no such registry", shown(db)),
                EXIT_USAGE,
            ))
        }
        Some(db) => {
            Some(crate::registry_cmd::open(db)?.with_verifier(Verifier::new(args.trust.store()?)))
        }
        None => None,
    };
    let choice = match args.device {
        Device::Auto => DeviceChoice::Auto,
        Device::Cpu => DeviceChoice::Cpu,
        Device::Cuda => DeviceChoice::Cuda,
        Device::TorchCpu => DeviceChoice::TorchCpu,
    };
    let engine = Engine::new(choice, &banks)
        .map_err(|e| CliError::new(e.code(), e.to_string(), EXIT_USAGE))?;
    let verifier = if args.no_provenance {
        None
    } else {
        Some(Verifier::new(args.trust.store()?))
    };
    eprintln!(
        "hallmark: feed: {} hashes{} from {} bank(s){} on {}",
        banks.len(),
        match banks.videos().len() {
            0 => String::new(),
            1 => " and 1 video".to_string(),
            n => format!(" and {n} videos"),
        },
        args.banks.len(),
        if bad_lines > 0 {
            format!(" ({bad_lines} bad lines skipped)")
        } else {
            String::new()
        },
        engine.name()
    );
    let mut classifier = Classifier::new(&banks, engine)
        .with_threshold(args.threshold.threshold)
        .with_video_options(args.video.options())
        .with_video_percents(args.percents.query_percent, args.percents.compared_percent);
    if let Some(v) = &verifier {
        let checker = hallmark_core::Checker::new(v);
        classifier = classifier.with_checker(match &remote {
            Some(remote) => checker.with_remote(remote, args.threshold.threshold),
            None => checker,
        });
    }
    if let Some(r) = &registry {
        classifier = classifier.with_registry(r);
    }

    let from_stdin = args.inputs.is_empty() || args.inputs.iter().any(|p| p == Path::new("-"));
    let started = std::time::Instant::now();
    let mut labels: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let mut records = 0u64;
    let mut emit = |record: hallmark_core::feed::FeedRecord| {
        records += 1;
        if let Some(label) = &record.label {
            *labels.entry(label.clone()).or_default() += 1;
        }
        if !crate::out::closed() {
            print_line(&serde_json::to_value(&record).unwrap_or_default());
        }
    };
    let errors = if from_stdin {
        let mut reader = std::io::stdin().lock();
        let mut number = 0u64;
        let lines = std::iter::from_fn(move || loop {
            let line = read_line(&mut reader)?;
            number += 1;
            let input = match line {
                Ok(text) => FeedInput::from_line(&text, number),
                Err(message) => Some(FeedInput {
                    line: Some(number),
                    problem: Some(hallmark_core::ErrorInfo {
                        code: Code::FeedInput.into(),
                        message,
                    }),
                    ..FeedInput::default()
                }),
            };
            if input.is_some() {
                return input;
            }
        });
        let files = args
            .inputs
            .iter()
            .filter(|p| *p != Path::new("-"))
            .cloned()
            .map(FeedInput::path);
        classifier.classify_stream(files.chain(lines), args.batch as usize, &mut emit)
    } else {
        let files = args.inputs.iter().cloned().map(FeedInput::path);
        classifier.classify_stream(files, args.batch as usize, &mut emit)
    };
    let counts: Vec<String> = labels
        .iter()
        .map(|(label, n)| format!("{n} {}", crate::render::escape(label)))
        .collect();
    eprintln!(
        "hallmark: feed: {records} inputs in {:.2} s: {}{}",
        started.elapsed().as_secs_f64(),
        if counts.is_empty() {
            "none classified".to_string()
        } else {
            counts.join(", ")
        },
        match errors {
            0 => String::new(),
            1 => "; 1 error".to_string(),
            n => format!("; {n} errors"),
        }
    );
    Ok(if errors > 0 { EXIT_UNREADABLE } else { 0 })
}
