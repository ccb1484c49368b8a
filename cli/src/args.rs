//! Argument groups that several commands take, flattened into each: one
//! spelling, one help text and one range for `--trust`/`--allowed`,
//! `--threshold`, `--registry` and `-o/--output`.

use std::path::{Path, PathBuf};

use clap::Args;
use hallmark_core::pdq::{DEFAULT_MATCH_THRESHOLD, MAX_MATCH_THRESHOLD};
use hallmark_core::TrustStore;

use std::fs;

use crate::error::{shown, CliError, EXIT_USAGE};

/// Who is trusted (verify, scan, inspect, registry add, feed classify).
#[derive(Debug, Clone, Default, Args)]
pub struct TrustArgs {
    /// PEM bundle of trust anchors (repeatable), besides the trust list
    /// (`hallmark trust add`).
    #[arg(long = "trust", value_name = "PEM")]
    pub trust: Vec<PathBuf>,
    /// PEM bundle of end-entity certificates trusted as they are (repeatable).
    #[arg(long = "allowed", value_name = "PEM")]
    pub allowed: Vec<PathBuf>,
}

impl TrustArgs {
    /// The anchors given, with the trust list's.
    pub fn store(&self) -> Result<TrustStore, CliError> {
        trust_store(&self.trust, &self.allowed)
    }
}

/// The `--threshold` range, the same for every command (core's maximum).
pub fn threshold_parser() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(0..=i64::from(MAX_MATCH_THRESHOLD))
}

/// How near a PDQ hash must be (match, registry lookup, feed classify).
#[derive(Debug, Clone, Copy, Args)]
pub struct ThresholdArgs {
    /// Largest PDQ Hamming distance that counts as the same picture (0–128).
    #[arg(long, default_value_t = DEFAULT_MATCH_THRESHOLD, value_parser = threshold_parser())]
    pub threshold: u32,
}

/// Where the output goes (every command that reports: verify, inspect, hash,
/// match, scan, registry add/lookup, trust list, feed classify).
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Write the output to FILE instead of stdout: it appears, whole, only
    /// when the command completes; a failed command leaves no file.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing -o FILE.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// A registry to recover unsigned files from (verify, scan).
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// A registry of signed manifests: unsigned files whose pixels match an
    /// entry become `recovered`. A file, or a registry service's URL
    /// (https://host/v1 or http://…): then only the file's hashes are sent,
    /// unless --send-content.
    #[arg(long, value_name = "DB|URL")]
    pub registry: Option<PathBuf>,
    /// Largest PDQ Hamming distance that matches a registry entry (0–128).
    #[arg(long, requires = "registry", default_value_t = DEFAULT_MATCH_THRESHOLD,
          value_parser = threshold_parser())]
    pub threshold: u32,
    /// A recovered file that only resembles a registered one (a similar
    /// picture or video, which another picture can also be) passes; by
    /// default only a copy with the same pixels does.
    #[arg(long, requires = "registry")]
    pub accept_similar: bool,
    /// With a registry service: send each unsigned file itself (byContent),
    /// not only its hashes (byBinding: a picture's pixel digest and PDQ
    /// hash, a video's vPDQ hash).
    #[arg(long, requires = "registry")]
    pub send_content: bool,
    /// With an https registry service: trust only these CA certificates
    /// (PEM) for its certificate, instead of the built-in Mozilla roots.
    #[arg(long, value_name = "PEM", requires = "registry")]
    pub registry_ca: Option<PathBuf>,
}

impl RegistryArgs {
    /// The registry service's URL, when --registry names one.
    pub fn url(&self) -> Option<&str> {
        service_url(self.registry.as_deref())
    }

    /// The registry service, when --registry names one.
    pub fn remote(&self) -> Result<Option<hallmark_core::registry::RemoteRegistry>, CliError> {
        let Some(url) = self.url() else {
            for (given, flag) in [
                (self.send_content, "--send-content"),
                (self.registry_ca.is_some(), "--registry-ca"),
            ] {
                if given {
                    return Err(needs_url(flag));
                }
            }
            return Ok(None);
        };
        remote_registry(url, self.registry_ca.as_deref())
            .map(|r| Some(r.send_content(self.send_content)))
    }
}

/// The registry service `--registry` names, when it is a URL (http:// or
/// https://) rather than a registry file.
pub fn service_url(registry: Option<&Path>) -> Option<&str> {
    let text = registry?.to_str()?;
    let lower = text.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then_some(text)
}

/// The usage error of `flag` given without a registry service's URL.
pub fn needs_url(flag: &str) -> CliError {
    CliError::new(
        hallmark_core::Code::Usage,
        format!("{flag} needs a registry service's URL (--registry https://…)"),
        EXIT_USAGE,
    )
}

/// The registry service at `url`, trusting the CA certificates in `ca`
/// (a PEM file) for its certificate when given.
pub fn remote_registry(
    url: &str,
    ca: Option<&Path>,
) -> Result<hallmark_core::registry::RemoteRegistry, CliError> {
    let usage = |e: hallmark_core::registry::RegistryError| {
        CliError::new(e.code(), e.to_string(), EXIT_USAGE)
    };
    let remote = hallmark_core::registry::RemoteRegistry::new(url).map_err(usage)?;
    let Some(ca) = ca else {
        return Ok(remote);
    };
    if !url.to_ascii_lowercase().starts_with("https://") {
        return Err(CliError::new(
            hallmark_core::Code::Usage,
            "--registry-ca is for an https:// registry service",
            EXIT_USAGE,
        ));
    }
    let mut pem = Vec::new();
    std::fs::File::open(ca)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 1 << 20), &mut pem))
        .map_err(|e| {
            CliError::new(
                hallmark_core::Code::Usage,
                format!("{}: can't read the CA file: {e}", shown(ca)),
                EXIT_USAGE,
            )
        })?;
    remote.with_ca_pem(&pem).map_err(usage)
}

/// `--cawg-trust` files (a global option: every command that verifies reads them).
static CAWG_TRUST: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();

pub(crate) fn set_cawg_trust(paths: Vec<PathBuf>) {
    let _ = CAWG_TRUST.set(paths);
}

/// `--tsa-trust` files, for every command of this run.
static TSA_TRUST: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();

pub(crate) fn set_tsa_trust(paths: Vec<PathBuf>) {
    let _ = TSA_TRUST.set(paths);
}

/// Add the `--tsa-trust` files to `store`.
pub(crate) fn add_tsa_trust(store: &mut TrustStore) -> Result<(), CliError> {
    for path in TSA_TRUST.get().map(Vec::as_slice).unwrap_or_default() {
        let pem = fs::read(path).map_err(|e| CliError::read(path, &e).with_exit(EXIT_USAGE))?;
        store
            .add_tsa_anchors_pem_from(&pem, &format!("--tsa-trust {}", path.display()))
            .map_err(|e| CliError::new(e.code(), format!("{}: {e}", shown(path)), EXIT_USAGE))?;
    }
    Ok(())
}

/// The anchors of the user's trust list (`hallmark trust`), plus `--trust`,
/// `--allowed` and `--cawg-trust` for this run.
fn trust_store(trust: &[PathBuf], allowed: &[PathBuf]) -> Result<TrustStore, CliError> {
    let mut store = TrustStore::empty();
    for path in CAWG_TRUST.get().map(Vec::as_slice).unwrap_or_default() {
        let pem = fs::read(path).map_err(|e| CliError::read(path, &e).with_exit(EXIT_USAGE))?;
        store
            .add_cawg_anchors_pem_from(&pem, &format!("--cawg-trust {}", path.display()))
            .map_err(|e| CliError::new(e.code(), format!("{}: {e}", shown(path)), EXIT_USAGE))?;
    }
    crate::trust_cmd::load_into(&mut store)?;
    add_tsa_trust(&mut store)?;
    for path in trust {
        let pem = fs::read(path).map_err(|e| CliError::read(path, &e).with_exit(EXIT_USAGE))?;
        store
            .add_anchors_pem_from(&pem, &format!("--trust {}", path.display()))
            .map_err(|e| CliError::new(e.code(), format!("{}: {e}", shown(path)), EXIT_USAGE))?;
    }
    for path in allowed {
        let pem = fs::read(path).map_err(|e| CliError::read(path, &e).with_exit(EXIT_USAGE))?;
        store
            .add_allowed_pem_from(&pem, &format!("--allowed {}", path.display()))
            .map_err(|e| CliError::new(e.code(), format!("{}: {e}", shown(path)), EXIT_USAGE))?;
    }
    Ok(store)
}
