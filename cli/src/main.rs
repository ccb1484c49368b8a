//! `hallmark`: sign and verify C2PA Content Credentials from the command line.
//! This crate parses arguments, calls `hallmark-core` and renders what it
//! returns; every decision is the library's.

mod commands;
mod error;
mod passphrase;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::CliError;

#[derive(Debug, Parser)]
#[command(name = "hallmark", version, about = "Sign and verify Content Credentials (C2PA) with Ed25519 identities")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Require {
    Valid,
    Trusted,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a signing identity: an Ed25519 CA and a signing certificate it issues.
    Keygen {
        /// The signer's name, as verifiers will see it.
        #[arg(long)]
        name: String,
        /// The signer's organization.
        #[arg(long)]
        org: Option<String>,
        /// An email address recorded in the certificate.
        #[arg(long)]
        email: Option<String>,
        /// Directory for signing.key, chain.pem and root.pem.
        #[arg(long)]
        out: PathBuf,
        /// Store the key unencrypted (for automation on a trusted machine).
        #[arg(long)]
        no_passphrase: bool,
        /// Read the passphrase from this file's first line.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// Replace an existing identity in DIR.
        #[arg(long)]
        force: bool,
    },
    /// Sign a JPEG, PNG or WebP image with Content Credentials.
    Sign {
        input: PathBuf,
        /// Where to write the signed image.
        #[arg(short, long, required_unless_present = "in_place", conflicts_with = "in_place")]
        output: Option<PathBuf>,
        /// Replace the input with the signed image (atomically).
        #[arg(long)]
        in_place: bool,
        /// The identity directory made by `hallmark keygen`.
        #[arg(long, value_name = "DIR")]
        identity: PathBuf,
        /// Title recorded in the manifest (default: the input's file name).
        #[arg(long)]
        title: Option<String>,
        /// Mark the image as made by generative AI (trainedAlgorithmicMedia).
        #[arg(long, conflicts_with = "source_type")]
        ai_generated: bool,
        /// Digital source type URI (default: IPTC digitalCapture).
        #[arg(long, value_name = "URI")]
        source_type: Option<String>,
        /// The file this image was made from: recorded as parent ingredient, with c2pa.edited.
        #[arg(long, value_name = "FILE")]
        parent: Option<PathBuf>,
        /// An action to record, e.g. c2pa.cropped (repeatable).
        #[arg(long = "action", value_name = "ACTION")]
        actions: Vec<String>,
        /// Read the passphrase from this file's first line.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Verify Content Credentials: who signed each file, and whether it changed.
    Verify {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// PEM bundle of trust anchors (repeatable).
        #[arg(long = "trust", value_name = "PEM")]
        trust: Vec<PathBuf>,
        /// PEM bundle of end-entity certificates trusted as they are (repeatable).
        #[arg(long = "allowed", value_name = "PEM")]
        allowed: Vec<PathBuf>,
        /// What passes: valid (trusted or valid) or trusted only.
        #[arg(long, value_enum, default_value = "valid")]
        require: Require,
        /// One JSON report per line.
        #[arg(long)]
        json: bool,
    },
    /// Show a file's whole manifest store: active manifest, ingredients, assertions, certificates.
    Inspect {
        file: PathBuf,
        #[arg(long = "trust", value_name = "PEM")]
        trust: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Keygen {
            name,
            org,
            email,
            out,
            no_passphrase,
            passphrase_file,
            force,
        } => commands::keygen(commands::KeygenArgs {
            name,
            org,
            email,
            out,
            no_passphrase,
            passphrase_file,
            force,
        }),
        Command::Sign {
            input,
            output,
            in_place,
            identity,
            title,
            ai_generated,
            source_type,
            parent,
            actions,
            passphrase_file,
            force,
        } => commands::sign(commands::SignArgs {
            input,
            output,
            in_place,
            identity,
            title,
            ai_generated,
            source_type,
            parent,
            actions,
            passphrase_file,
            force,
        }),
        Command::Verify {
            files,
            trust,
            allowed,
            require,
            json,
        } => commands::verify(&files, &trust, &allowed, require == Require::Trusted, json),
        Command::Inspect { file, trust, json } => commands::inspect(&file, &trust, json),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{}", render::error_line(&e));
            ExitCode::from(e.exit_code())
        }
    }
}
