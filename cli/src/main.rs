//! `hallmark`: sign and verify C2PA Content Credentials from the command line.
//! This crate parses arguments, calls `hallmark-core` and renders what it
//! returns; every decision is the library's.

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
        /// Days the signing certificate is valid (the CA: ten years, or longer).
        #[arg(long, value_name = "N", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
        valid_days: u32,
    },
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
    Sign {
        input: PathBuf,
        /// Where to write the signed image.
        #[arg(
            short,
            long,
            required_unless_present = "in_place",
            conflicts_with = "in_place"
        )]
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
        /// Time-stamp the signature at this RFC 3161 TSA (http://…), so the
        /// file stays valid after the signing certificate expires (default:
        /// `tsa` in config.toml). Its root must be trusted: `trust add --tsa`
        /// or `--tsa-trust`.
        #[arg(long, value_name = "URL")]
        tsa: Option<String>,
        /// Sign without a time-stamp when the TSA can't be reached (and say so).
        #[arg(long)]
        tsa_optional: bool,
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
        /// A registry of signed manifests: unsigned files whose pixels match an entry become `recovered`.
        #[arg(long, value_name = "DB")]
        registry: Option<PathBuf>,
        /// Largest PDQ Hamming distance that matches a registry entry (0–128).
        #[arg(long, requires = "registry", default_value_t = hallmark_core::pdq::DEFAULT_MATCH_THRESHOLD,
              value_parser = registry_cmd::threshold_parser())]
        threshold: u32,
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
    },
    /// Match images against a bank of PDQ hashes (TSV: pdq_hex, label, note).
    Match {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_name = "BANK.tsv")]
        bank: PathBuf,
        /// Largest Hamming distance that counts as the same picture.
        #[arg(long, default_value_t = hallmark_core::pdq::DEFAULT_MATCH_THRESHOLD)]
        threshold: u32,
        #[arg(long)]
        json: bool,
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
        /// PEM bundle of trust anchors (repeatable).
        #[arg(long = "trust", value_name = "PEM")]
        trust: Vec<PathBuf>,
        /// PEM bundle of end-entity certificates trusted as they are (repeatable).
        #[arg(long = "allowed", value_name = "PEM")]
        allowed: Vec<PathBuf>,
        /// A TOML policy: which verdicts pass, trust, AI-generated content, source types, actions.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: scan_cmd::ScanFormat,
        /// Write the report to FILE (atomically) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace an existing -o FILE.
        #[arg(long, requires = "output")]
        force: bool,
        /// A registry of signed manifests: unsigned files whose pixels match an entry become `recovered`.
        #[arg(long, value_name = "DB")]
        registry: Option<PathBuf>,
        /// Largest PDQ Hamming distance that matches a registry entry (0–128).
        #[arg(long, requires = "registry", default_value_t = hallmark_core::pdq::DEFAULT_MATCH_THRESHOLD,
              value_parser = registry_cmd::threshold_parser())]
        threshold: u32,
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
        #[arg(long = "trust", value_name = "PEM")]
        trust: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

fn run(cli: Cli) -> Result<u8, CliError> {
    commands::set_cawg_trust(cli.cawg_trust.clone());
    commands::set_tsa_trust(cli.tsa_trust.clone());
    match cli.command {
        Command::Keygen {
            name,
            org,
            email,
            out,
            no_passphrase,
            passphrase_file,
            force,
            valid_days,
        } => commands::keygen(commands::KeygenArgs {
            name,
            org,
            email,
            out,
            no_passphrase,
            passphrase_file,
            force,
            valid_days,
        }),
        Command::Renew {
            identity,
            valid_days,
            passphrase_file,
        } => commands::renew(&identity, valid_days, passphrase_file.as_deref()),
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
            tsa,
            tsa_optional,
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
            tsa,
            tsa_optional,
        }),
        Command::Verify {
            files,
            trust,
            allowed,
            require,
            json,
            registry: Some(db),
            threshold,
        } => registry_cmd::verify(registry_cmd::VerifyArgs {
            files: &files,
            trust: &trust,
            allowed: &allowed,
            require_trusted: require == Require::Trusted,
            json,
            db: &db,
            threshold,
        }),
        Command::Verify {
            files,
            trust,
            allowed,
            require,
            json,
            registry: None,
            threshold: _,
        } => {
            let verifier = hallmark_core::Verifier::new(commands::trust_store(&trust, &allowed)?);
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
            allowed,
            policy,
            format,
            output,
            force,
            registry,
            threshold,
            no_cache,
            no_progress,
        } => scan_cmd::scan(scan_cmd::ScanArgs {
            paths: &paths,
            trust: &trust,
            allowed: &allowed,
            policy: policy.as_deref(),
            format,
            output: output.as_deref(),
            force,
            registry: registry.as_deref(),
            threshold,
            no_cache,
            progress: !no_progress,
        }),
        Command::Inspect { file, trust, json } => commands::inspect(&file, &trust, json),
        Command::Trust { action } => match action {
            TrustAction::Add {
                pem,
                name,
                force,
                tsa,
            } => trust_cmd::add(&pem, name, force, tsa),
            TrustAction::List { json } => trust_cmd::list(json),
            TrustAction::Remove { name, tsa } => trust_cmd::remove(&name, tsa),
        },
        Command::Registry { command } => registry_cmd::run(command),
        Command::Feed { command } => feed_cmd::run(command),
        Command::Hash {
            files,
            json,
            dihedral,
        } => hash_cmd::hash(&files, json, dihedral),
        Command::Match {
            files,
            bank,
            threshold,
            json,
        } => hash_cmd::match_files(&files, &bank, threshold, json),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{}", e.line());
            ExitCode::from(e.exit_code())
        }
    }
}
