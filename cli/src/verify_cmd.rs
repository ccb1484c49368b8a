//! `hallmark verify` and `hallmark inspect`: each file through the one
//! `Checker` (read under limits, verify, and recover from a registry when
//! one is given), rendered a line per file or as the whole store.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use hallmark_core::{Checker, Code, Verifier};

use crate::args::{OutputArgs, RegistryArgs, TrustArgs};
use crate::error::{CliError, EXIT_FAILURE};
use crate::out::{out, outln};
use crate::render;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Require {
    Valid,
    Trusted,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// What passes: valid (trusted or valid) or trusted only.
    #[arg(long, value_enum, default_value = "valid")]
    pub require: Require,
    /// One JSON report per line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The whole inspection as one JSON document.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn verify(args: VerifyArgs) -> Result<u8, CliError> {
    let verifier = Verifier::new(args.trust.store()?);
    let remote = args.registry.remote()?;
    let registry = match &args.registry.registry {
        Some(_) if remote.is_some() => None,
        Some(db) => Some(std::sync::Mutex::new(
            crate::registry_cmd::open(db)?.with_verifier(verifier.clone()),
        )),
        None => None,
    };
    let mut checker = Checker::new(&verifier);
    if let Some(registry) = &registry {
        checker = checker.with_registry(registry, args.registry.threshold);
    }
    if let Some(remote) = &remote {
        checker = checker.with_remote(remote, args.registry.threshold);
    }
    let require_trusted = args.require == Require::Trusted;
    let mut worst = 0u8;
    for path in &args.files {
        let report = checker.check_file(path);
        let accept_similar = args.registry.accept_similar;
        worst = worst.max(report.exit_code(require_trusted, accept_similar));
        if args.json {
            outln!("{}", report.to_json_line());
        } else {
            outln!(
                "{}",
                render::report_line(&path.display().to_string(), &report)
            );
            // Why a registry named recovered nothing (unreachable, a
            // certificate refused, a match whose store no longer verifies).
            for note in report
                .status
                .iter()
                .filter(|s| s.scope.as_deref() == Some("registry"))
            {
                if let Some(why) = &note.explanation {
                    outln!("  registry: {why}");
                }
            }
            // Passes `--require valid`, not `--require trusted`: valid or recovered.
            let below = report.exit_code(false, true) == 0 && report.exit_code(true, true) != 0;
            if below && require_trusted {
                outln!("  below the requirement: --require trusted");
            } else if report.exit_code(false, accept_similar) != report.exit_code(false, true) {
                outln!("  similar, not the same pixels: not accepted without --accept-similar");
            }
        }
    }
    Ok(worst)
}

pub fn inspect(args: InspectArgs) -> Result<u8, CliError> {
    let verifier = Verifier::new(args.trust.store()?);
    // An unreadable file is an error, not a report (as before).
    crate::commands::open_input(&args.file)?;
    let mut inspection = Checker::new(&verifier).inspect_file(&args.file);
    inspection.report.path = Some(args.file.display().to_string());
    if args.json {
        let text = serde_json::to_string_pretty(&inspection)
            .map_err(|e| CliError::new(Code::Internal, e.to_string(), EXIT_FAILURE))?;
        outln!("{text}");
    } else {
        out!(
            "{}",
            render::inspection(&args.file.display().to_string(), &inspection)
        );
    }
    Ok(inspection.report.verdict.exit_code(false))
}
