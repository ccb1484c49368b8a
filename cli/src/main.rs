//! `hallmark`: sign and verify C2PA Content Credentials from the command line.
//! This crate parses arguments, calls `hallmark-core` and renders what it
//! returns; every decision is the library's.

mod args;
mod commands;
mod error;
mod feed_cmd;
mod hash_cmd;
mod out;
mod passphrase;
mod registry_cmd;
mod render;
mod scan_cmd;
mod scan_html;
mod trust_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "hallmark",
    version,
    about = "Sign and verify Content Credentials (C2PA) with Ed25519 identities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// PEM bundle of anchors for CAWG X.509 identity credentials (repeatable;
    /// verify, scan, inspect, registry and feed).
    #[arg(long = "cawg-trust", value_name = "PEM", global = true)]
    cawg_trust: Vec<PathBuf>,
    /// PEM bundle of time-stamp authority roots (repeatable), such as the
    /// C2PA TSA trust list: a time-stamp dates a signature only when its TSA
    /// chains to one of these (or to one added with `trust add --tsa`).
    #[arg(long = "tsa-trust", value_name = "PEM", global = true)]
    tsa_trust: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Require {
    Valid,
    Trusted,
}

#[derive(Debug, Subcommand)]
enum TrustAction {
    /// Trust every certificate of a PEM bundle (a root.pem, or the C2PA trust list).
    Add {
        pem: PathBuf,
        /// Trust them as time-stamp authority roots only (such as the C2PA
        /// TSA trust list), kept apart from signer roots.
        #[arg(long)]
        tsa: bool,
        /// The entry's name (default: the file's name).
        #[arg(long)]
        name: Option<String>,
        /// Replace an entry of the same name.
        #[arg(long)]
        force: bool,
    },
    /// List the trusted entries and their certificates.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        output: args::OutputArgs,
    },
    /// Stop trusting an entry.
    Remove {
        name: String,
        /// The entry is a time-stamp authority one.
        #[arg(long)]
        tsa: bool,
    },
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a signing identity: an Ed25519 CA and a signing certificate it issues.
    Keygen(commands::KeygenArgs),
    /// Issue a new signing key and certificate under the identity's CA
    /// (ca.key): root.pem is unchanged, so verifiers keep trusting it.
    Renew {
        /// The identity directory made by `hallmark keygen`.
        #[arg(long, value_name = "DIR")]
        identity: PathBuf,
        /// Days the new signing certificate is valid.
        #[arg(long, value_name = "N", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
        valid_days: u32,
        /// Read the passphrase from this file's first line.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Sign a JPEG, PNG or WebP image with Content Credentials.
    Sign(commands::SignArgs),
    /// Verify Content Credentials: who signed each file, and whether it changed.
    Verify {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        trust: args::TrustArgs,
        /// What passes: valid (trusted or valid) or trusted only.
        #[arg(long, value_enum, default_value = "valid")]
        require: Require,
        /// One JSON report per line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        registry: args::RegistryArgs,
        #[command(flatten)]
        output: args::OutputArgs,
    },
    /// Perceptual hash (PDQ) and pixel digest of images.
    Hash {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Also the hashes of the 8 rotations and reflections.
        #[arg(long)]
        dihedral: bool,
        #[command(flatten)]
        output: args::OutputArgs,
    },
    /// Match images against a bank of PDQ hashes (TSV: pdq_hex, label, note).
    Match {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_name = "BANK.tsv")]
        bank: PathBuf,
        #[command(flatten)]
        threshold: args::ThresholdArgs,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        output: args::OutputArgs,
    },
    /// Classify feeds: match images against banks of known hashes, on CPU or GPU.
    Feed {
        #[command(subcommand)]
        command: feed_cmd::FeedCommand,
    },
    /// The registry of signed manifests, which recovers stripped Content Credentials.
    Registry {
        #[command(subcommand)]
        command: registry_cmd::RegistryCommand,
    },
    /// Verify every image in folders against a policy; report as a table, JSON lines, CSV, JUnit or HTML.
    Scan {
        /// Files and folders (walked recursively; links to folders are not followed).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        trust: args::TrustArgs,
        /// A TOML policy: which verdicts pass, trust, AI-generated content, source types, actions.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: scan_cmd::ScanFormat,
        #[command(flatten)]
        output: args::OutputArgs,
        #[command(flatten)]
        registry: args::RegistryArgs,
        /// Verify every file again: neither read nor write the result cache
        /// (kept in $HALLMARK_CACHE_DIR, else $XDG_CACHE_HOME/hallmark, else ~/.cache/hallmark).
        #[arg(long)]
        no_cache: bool,
        /// No progress line on stderr (it is shown only on a terminal anyway).
        #[arg(long)]
        no_progress: bool,
    },
    /// Manage your trust list: anchors used by verify, scan and registry.
    Trust {
        #[command(subcommand)]
        action: TrustAction,
    },
    /// Show a file's whole manifest store: active manifest, ingredients, assertions, certificates.
    Inspect {
        file: PathBuf,
        #[command(flatten)]
        trust: args::TrustArgs,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        output: args::OutputArgs,
    },
}

fn run(cli: Cli) -> Result<u8, CliError> {
    args::set_cawg_trust(cli.cawg_trust.clone());
    args::set_tsa_trust(cli.tsa_trust.clone());
    match cli.command {
        Command::Keygen(args) => commands::keygen(args),
        Command::Renew {
            identity,
            valid_days,
            passphrase_file,
        } => commands::renew(&identity, valid_days, passphrase_file.as_deref()),
        Command::Sign(args) => commands::sign(args),
        Command::Verify {
            files,
            trust,
            require,
            json,
            registry:
                args::RegistryArgs {
                    registry: Some(db),
                    threshold,
                },
            ..
        } => registry_cmd::verify(registry_cmd::VerifyArgs {
            files: &files,
            trust: &trust,
            require_trusted: require == Require::Trusted,
            json,
            db: &db,
            threshold,
        }),
        Command::Verify {
            files,
            trust,
            require,
            json,
            registry: args::RegistryArgs { registry: None, .. },
            ..
        } => {
            let verifier = hallmark_core::Verifier::new(trust.store()?);
            Ok(commands::verify(
                &hallmark_core::Checker::new(&verifier),
                &files,
                require == Require::Trusted,
                json,
            ))
        }
        Command::Scan {
            paths,
            trust,
            policy,
            format,
            registry,
            no_cache,
            no_progress,
            ..
        } => scan_cmd::scan(scan_cmd::ScanArgs {
            paths: &paths,
            trust: &trust,
            policy: policy.as_deref(),
            format,
            registry: registry.registry.as_deref(),
            threshold: registry.threshold,
            no_cache,
            progress: !no_progress,
        }),
        Command::Inspect {
            file, trust, json, ..
        } => commands::inspect(&file, &trust, json),
        Command::Trust { action } => match action {
            TrustAction::Add {
                pem,
                name,
                force,
                tsa,
            } => trust_cmd::add(&pem, name, force, tsa),
            TrustAction::List { json, .. } => trust_cmd::list(json),
            TrustAction::Remove { name, tsa } => trust_cmd::remove(&name, tsa),
        },
        Command::Registry { command } => registry_cmd::run(command),
        Command::Feed { command } => feed_cmd::run(command),
        Command::Hash {
            files,
            json,
            dihedral,
            ..
        } => hash_cmd::hash(&files, json, dihedral),
        Command::Match {
            files,
            bank,
            threshold,
            json,
            ..
        } => hash_cmd::match_files(&files, &bank, threshold.threshold, json),
    }
}

impl Command {
    /// Where this command's output goes, for those that report.
    fn output(&self) -> Option<&args::OutputArgs> {
        match self {
            Self::Verify { output, .. }
            | Self::Hash { output, .. }
            | Self::Match { output, .. }
            | Self::Scan { output, .. }
            | Self::Inspect { output, .. }
            | Self::Trust {
                action: TrustAction::List { output, .. },
            } => Some(output),
            Self::Registry { command } => Some(command.output()),
            Self::Feed { command } => Some(command.output()),
            Self::Keygen(_) | Self::Renew { .. } | Self::Sign(_) | Self::Trust { .. } => None,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let opened = match cli.command.output() {
        Some(output) => out::open(output.output.as_deref(), output.force),
        None => Ok(()),
    };
    // The output is put in place only when the command completed (whatever
    // its verdict); a failed command leaves no -o FILE behind.
    let result = opened
        .and_then(|()| run(cli))
        .and_then(|code| out::finish().map(|()| code));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            out::discard();
            eprintln!("{}", e.line());
            ExitCode::from(e.exit_code())
        }
    }
}
