//! `hallmark`: sign and verify C2PA Content Credentials from the command line.
//! This crate parses arguments, calls `hallmark-core` and renders what it
//! returns; every decision is the library's.

mod args;
mod commands;
mod dirs;
mod error;
mod feed_cmd;
mod hash_cmd;
mod out;
mod passphrase;
mod registry_cmd;
mod render;
mod scan_cmd;
mod scan_html;
mod serve_cmd;
mod trust_cmd;
mod verify_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    Renew(commands::RenewArgs),
    /// Sign a picture, video or audio file with Content Credentials.
    Sign(commands::SignArgs),
    /// Verify Content Credentials: who signed each file, and whether it changed.
    Verify(verify_cmd::VerifyArgs),
    /// Perceptual hashes: PDQ and pixel digest of pictures, vPDQ of videos.
    Hash(hash_cmd::HashArgs),
    /// Compare two videos, pictures or vPDQ hash files by vPDQ: how much of
    /// each matches the other, and where (exit 0 when they match, 1 when not).
    Compare(hash_cmd::CompareArgs),
    /// Match pictures against a bank of PDQ hashes (TSV: pdq_hex, label, note),
    /// or videos against a video bank (a folder of vPDQ hash files).
    Match(hash_cmd::MatchArgs),
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
    /// Serve a registry over HTTP: the C2PA Soft Binding Resolution API.
    Serve(serve_cmd::ServeArgs),
    /// Verify every image in folders against a policy; report as a table, JSON lines, CSV, JUnit or HTML.
    Scan(scan_cmd::ScanArgs),
    /// Manage your trust list: anchors used by verify, scan and registry.
    Trust {
        #[command(subcommand)]
        action: TrustAction,
    },
    /// Show a file's whole manifest store: active manifest, ingredients, assertions, certificates.
    Inspect(verify_cmd::InspectArgs),
}

fn run(cli: Cli) -> Result<u8, CliError> {
    args::set_cawg_trust(cli.cawg_trust.clone());
    args::set_tsa_trust(cli.tsa_trust.clone());
    match cli.command {
        Command::Keygen(args) => commands::keygen(args),
        Command::Renew(args) => commands::renew(args),
        Command::Sign(args) => commands::sign(args),
        Command::Verify(args) => verify_cmd::verify(args),
        Command::Scan(args) => scan_cmd::scan(args),
        Command::Serve(args) => serve_cmd::serve(args),
        Command::Inspect(args) => verify_cmd::inspect(args),
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
        Command::Hash(args) => hash_cmd::hash(args),
        Command::Match(args) => hash_cmd::match_files(args),
        Command::Compare(args) => hash_cmd::compare(args),
    }
}

impl Command {
    /// Where this command's output goes, for those that report.
    fn output(&self) -> Option<&args::OutputArgs> {
        match self {
            Self::Verify(args) => Some(&args.output),
            Self::Hash(args) => Some(&args.output),
            Self::Match(args) => Some(&args.output),
            Self::Compare(args) => Some(&args.output),
            Self::Scan(args) => Some(&args.output),
            Self::Inspect(args) => Some(&args.output),
            Self::Trust {
                action: TrustAction::List { output, .. },
            } => Some(output),
            Self::Registry { command } => Some(command.output()),
            Self::Feed { command } => Some(command.output()),
            Self::Keygen(_)
            | Self::Renew(_)
            | Self::Sign(_)
            | Self::Trust { .. }
            | Self::Serve(_) => None,
        }
    }
}

/// Large buffers (a picture read whole, decoded rows) in huge pages: see
/// [`hallmark_core::alloc`].
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: hallmark_core::alloc::Allocator = hallmark_core::alloc::Allocator;

fn main() -> ExitCode {
    hallmark_core::tune_allocator();
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
