//! CLI errors: the library's code and sentence, the exit status, and a hint
//! on what to do next.

use std::path::Path;

use hallmark_core::Code;

/// Exit statuses (DESIGN.md): 1 failure or below requirement, 2 usage, 3 tampered/invalid, 4 unreadable input.
pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREADABLE: u8 = 4;

#[derive(Debug)]
pub struct CliError {
    pub code: Code,
    pub message: String,
    pub hint: Option<String>,
    pub exit: u8,
}

impl CliError {
    pub fn new(code: Code, message: impl Into<String>, exit: u8) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
            exit,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn exit_code(&self) -> u8 {
        self.exit
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Code::Usage, message, EXIT_USAGE)
    }

    /// A file we were asked to read could not be read.
    pub fn read(path: &Path, e: &std::io::Error) -> Self {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => Some("check the path"),
            std::io::ErrorKind::PermissionDenied => Some("check the file's permissions"),
            _ if path.is_dir() => Some("give a file, not a directory"),
            _ => None,
        };
        let message = if path.is_dir() {
            format!("{}: is a directory", path.display())
        } else {
            format!("{}: {e}", path.display())
        };
        let err = Self::new(Code::IoRead, message, EXIT_UNREADABLE);
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}

impl CliError {
    /// What stderr shows: `hallmark: error [CODE]: message`, and the hint.
    pub fn line(&self) -> String {
        let mut line = format!(
            "hallmark: error [{}]: {}",
            self.code,
            crate::render::escape(&self.message)
        );
        if let Some(hint) = &self.hint {
            line.push_str(&format!("\n  hint: {hint}"));
        }
        line
    }
}

impl From<hallmark_core::IdentityError> for CliError {
    fn from(e: hallmark_core::IdentityError) -> Self {
        use hallmark_core::IdentityError as E;
        let hint = match &e {
            E::WrongPassphrase => Some("check HALLMARK_PASSPHRASE or --passphrase-file"),
            E::PassphraseRequired => {
                Some("set HALLMARK_PASSPHRASE, pass --passphrase-file FILE, or run on a terminal to be asked")
            }
            E::AlreadyExists(_) => Some("use --force to replace it, or choose another --out"),
            E::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => Some(
                "--identity takes the folder `hallmark keygen --out DIR` made (it holds signing.key and chain.pem)",
            ),
            E::NoCaKey(_) => Some(
                "make a new identity with `hallmark keygen` (it keeps ca.key for renewals); verifiers must trust its new root.pem",
            ),
            E::KeyFileMalformed(_) | E::ChainMalformed(_) | E::KeyMismatch => {
                Some("make a new identity with `hallmark keygen`")
            }
            _ => None,
        };
        let err = Self::new(e.code(), e.to_string(), EXIT_FAILURE);
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}

impl From<hallmark_core::SignError> for CliError {
    fn from(e: hallmark_core::SignError) -> Self {
        use hallmark_core::SignError as E;
        if let E::Output(e) = e {
            return e.into();
        }
        let exit = match &e {
            E::Media(_) | E::Parent(_) => EXIT_UNREADABLE,
            E::InvalidOption(_) => EXIT_USAGE,
            E::Tsa(hallmark_core::tsa::TsaError::Url(_)) => EXIT_USAGE,
            _ => EXIT_FAILURE,
        };
        Self::new(e.code(), e.to_string(), exit)
    }
}

impl From<hallmark_core::OutputError> for CliError {
    fn from(e: hallmark_core::OutputError) -> Self {
        let err = Self::new(e.code(), e.to_string(), EXIT_FAILURE);
        match e {
            hallmark_core::OutputError::Exists(_) => {
                err.hint("use --force to replace it, or choose another output")
            }
            _ => err.hint("nothing was replaced: any file already at the output path is unchanged"),
        }
    }
}

/// A path for messages.
pub fn shown(path: &Path) -> String {
    crate::render::escape(&path.display().to_string())
}

impl CliError {
    pub fn with_exit(mut self, exit: u8) -> Self {
        self.exit = exit;
        self
    }
}
