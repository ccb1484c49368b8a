//! `hallmark trust add|list|remove`: the user's trust list, kept in
//! `trust/` of the configuration directory (`$HALLMARK_CONFIG_DIR`, else
//! `$XDG_CONFIG_HOME/hallmark`, else `~/.config/hallmark`; see `dirs`), one
//! PEM bundle per name.

use crate::out::outln;
use hallmark_core::Code;
use std::path::Path;

use hallmark_core::{TrustDir, TrustDirError};

use crate::error::{shown, CliError, EXIT_FAILURE, EXIT_USAGE};
use crate::render::escape;

/// The user's trust directory (it may not exist yet).
pub fn trust_dir() -> Option<TrustDir> {
    crate::dirs::config_dir().map(|d| TrustDir::new(d.join("trust")))
}

/// The user's time-stamp authority roots, kept apart (`trust add --tsa`).
pub fn tsa_trust_dir() -> Option<TrustDir> {
    crate::dirs::config_dir().map(|d| TrustDir::new(d.join("trust-tsa")))
}

fn err(e: TrustDirError) -> CliError {
    let exit = match e {
        TrustDirError::Io { .. } => EXIT_FAILURE,
        _ => EXIT_USAGE,
    };
    let hint = match &e {
        TrustDirError::Exists(_) => Some("use --force to replace it, or choose another --name"),
        TrustDirError::NotFound(_) => Some("see `hallmark trust list`"),
        _ => None,
    };
    let cli = CliError::new(e.code(), escape(&e.to_string()), exit);
    match hint {
        Some(h) => cli.hint(h),
        None => cli,
    }
}

fn require_dir_of(tsa: bool) -> Result<TrustDir, CliError> {
    if tsa { tsa_trust_dir() } else { trust_dir() }.ok_or_else(|| {
        CliError::new(
            Code::TrustNoConfigDir,
            "no configuration directory",
            EXIT_USAGE,
        )
        .hint("set HALLMARK_CONFIG_DIR or HOME")
    })
}

fn default_name(pem: &Path) -> String {
    let stem = pem
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.trim_start_matches('.').chars().take(64).collect()
}

pub fn add(pem: &Path, name: Option<String>, force: bool, tsa: bool) -> Result<u8, CliError> {
    let dir = require_dir_of(tsa)?;
    let bytes = hallmark_core::read_input(pem, 16 * 1024 * 1024)
        .map_err(|e| CliError::new(e.code(), format!("{}: {e}", shown(pem)), EXIT_USAGE))?;
    let name = name.unwrap_or_else(|| default_name(pem));
    let n = dir.add(&name, &bytes, force).map_err(err)?;
    outln!(
        "Trusting {n} certificate{} as {}\"{}\" (stored in {})",
        if n == 1 { "" } else { "s" },
        if tsa { "time-stamp authority " } else { "" },
        escape(&name),
        shown(dir.path())
    );
    Ok(0)
}

pub fn list(json: bool) -> Result<u8, CliError> {
    let dir = require_dir_of(false)?;
    let entries = dir.list().map_err(err)?;
    let tsa_entries = match tsa_trust_dir() {
        Some(d) => d.list().map_err(err)?,
        None => Vec::new(),
    };
    if json {
        for (kind, list) in [("signer", &entries), ("tsa", &tsa_entries)] {
            for entry in list {
                let mut value = serde_json::to_value(entry).unwrap_or_default();
                value["kind"] = kind.into();
                outln!("{value}");
            }
        }
    } else if entries.is_empty() && tsa_entries.is_empty() {
        outln!(
            "No trust anchors in {} (add one: hallmark trust add ROOT.pem)",
            shown(dir.path())
        );
    } else {
        for entry in &entries {
            outln!(
                "{}  ({} certificates)",
                escape(&entry.name),
                entry.certificates.len()
            );
            for cert in entry.certificates.iter().take(20) {
                outln!("  {}  valid to {}", escape(&cert.subject), cert.not_after);
            }
            if entry.certificates.len() > 20 {
                outln!("  … and {} more", entry.certificates.len() - 20);
            }
        }
        for entry in &tsa_entries {
            outln!(
                "{}  (time-stamp authorities: {} certificates)",
                escape(&entry.name),
                entry.certificates.len()
            );
            for cert in entry.certificates.iter().take(20) {
                outln!("  {}  valid to {}", escape(&cert.subject), cert.not_after);
            }
        }
    }
    Ok(0)
}

pub fn remove(name: &str, tsa: bool) -> Result<u8, CliError> {
    let dir = require_dir_of(tsa)?;
    dir.remove(name).map_err(err)?;
    outln!(
        "Removed \"{}\" from the {}trust list",
        escape(name),
        if tsa { "time-stamp authority " } else { "" }
    );
    Ok(0)
}

/// Add the user's stored anchors to `store` (nothing when there are none).
pub fn load_into(store: &mut hallmark_core::TrustStore) -> Result<(), CliError> {
    if let Some(dir) = trust_dir() {
        dir.load_into(store).map_err(|e| {
            err(e).hint("fix or remove the entry: hallmark trust list / hallmark trust remove NAME")
        })?;
    }
    if let Some(dir) = tsa_trust_dir() {
        dir.load_tsa_into(store).map_err(|e| {
            err(e).hint(
                "fix or remove the entry: hallmark trust list / hallmark trust remove --tsa NAME",
            )
        })?;
    }
    Ok(())
}
