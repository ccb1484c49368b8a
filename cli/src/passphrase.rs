//! Where passphrases come from: `HALLMARK_PASSPHRASE`, `--passphrase-file`, or
//! a prompt on the terminal. Never from an argument, never echoed or logged.

use hallmark_core::Code;
use std::io::IsTerminal;
use std::path::Path;

use hallmark_core::Passphrase;
use zeroize::Zeroizing;

use crate::error::{CliError, EXIT_FAILURE};

pub const ENV: &str = "HALLMARK_PASSPHRASE";

fn from_file(path: &Path) -> Result<Passphrase, CliError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| CliError::read(path, &e))?);
    let line = text.lines().next().unwrap_or_default();
    Ok(Passphrase::new(line))
}

/// The passphrase to unlock an existing key.
pub fn for_unlock(file: Option<&Path>) -> Result<Passphrase, CliError> {
    if let Some(path) = file {
        return from_file(path);
    }
    if let Ok(value) = std::env::var(ENV) {
        return Ok(Passphrase::new(value));
    }
    if std::io::stdin().is_terminal() {
        let entered = Zeroizing::new(
            rpassword::prompt_password("Passphrase for the signing key: ")
                .map_err(|e| CliError::new(Code::IoPrompt, e.to_string(), EXIT_FAILURE))?,
        );
        return Ok(Passphrase::new(entered.as_str()));
    }
    Err(CliError::new(
        Code::KeyPassphraseRequired,
        "the signing key is encrypted and no passphrase was given",
        EXIT_FAILURE,
    )
    .hint(format!(
        "set {ENV}, pass --passphrase-file FILE, or run on a terminal to be asked"
    )))
}

/// A new passphrase, confirmed when typed.
pub fn for_new_key(file: Option<&Path>) -> Result<Passphrase, CliError> {
    let passphrase = if let Some(path) = file {
        from_file(path)?
    } else if let Ok(value) = std::env::var(ENV) {
        Passphrase::new(value)
    } else if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(
            rpassword::prompt_password("New passphrase for the signing key: ")
                .map_err(|e| CliError::new(Code::IoPrompt, e.to_string(), EXIT_FAILURE))?,
        );
        let second = Zeroizing::new(
            rpassword::prompt_password("Repeat it: ")
                .map_err(|e| CliError::new(Code::IoPrompt, e.to_string(), EXIT_FAILURE))?,
        );
        if *first != *second {
            return Err(CliError::new(
                Code::KeyPassphraseMismatch,
                "the passphrases differ",
                EXIT_FAILURE,
            ));
        }
        Passphrase::new(first.as_str())
    } else {
        return Err(CliError::new(
            Code::KeyPassphraseRequired,
            "no passphrase to encrypt the new key with",
            EXIT_FAILURE,
        )
        .hint(format!(
            "set {ENV}, pass --passphrase-file FILE, or use --no-passphrase"
        )));
    };
    if passphrase.is_empty() {
        return Err(CliError::new(
            Code::KeyPassphraseEmpty,
            "the passphrase is empty",
            EXIT_FAILURE,
        )
        .hint("choose a passphrase, or use --no-passphrase to store the key unencrypted"));
    }
    Ok(passphrase)
}
