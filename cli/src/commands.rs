//! One function per subcommand: read arguments and files, call the library,
//! render its answer.

use crate::out::outln;
use hallmark_core::Code;
use std::fs;
use std::path::{Path, PathBuf};

use hallmark_core::{Identity, IdentityRequest, SignOptions, SourceType, TrustStore};

use crate::error::{shown, CliError, EXIT_FAILURE, EXIT_UNREADABLE, EXIT_USAGE};
use crate::{passphrase, render};

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// The signer's name, as verifiers will see it.
    #[arg(long)]
    pub name: String,
    /// The signer's organization.
    #[arg(long)]
    pub org: Option<String>,
    /// An email address recorded in the certificate.
    #[arg(long)]
    pub email: Option<String>,
    /// Directory for signing.key, chain.pem and root.pem.
    #[arg(long)]
    pub out: PathBuf,
    /// Store the key unencrypted (for automation on a trusted machine).
    #[arg(long)]
    pub no_passphrase: bool,
    /// Read the passphrase from this file's first line.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Replace an existing identity in DIR.
    #[arg(long)]
    pub force: bool,
    /// Days the signing certificate is valid (the CA: ten years, or longer).
    #[arg(long, value_name = "N", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub valid_days: u32,
}

pub fn keygen(args: KeygenArgs) -> Result<u8, CliError> {
    let key_path = args.out.join(hallmark_core::KEY_FILE);
    if !args.force && fs::symlink_metadata(&key_path).is_ok() {
        return Err(CliError::new(
            Code::IdentityExists,
            format!("{} already exists", shown(&key_path)),
            EXIT_FAILURE,
        )
        .hint("use --force to replace it, or choose another --out"));
    }
    let passphrase = if args.no_passphrase {
        None
    } else {
        Some(passphrase::for_new_key(args.passphrase_file.as_deref())?)
    };
    let mut request = IdentityRequest::new(&args.name)
        .validity(hallmark_core::Validity::days_from_now(args.valid_days));
    if let Some(org) = &args.org {
        request = request.organization(org);
    }
    if let Some(email) = &args.email {
        request = request.email(email);
    }
    let identity = Identity::generate(&request)?;
    identity.save_renewable(&args.out, passphrase.as_ref(), args.force)?;
    let dir = shown(&args.out);
    outln!(
        "Made identity {} in {dir}/",
        render::escape(&identity.subject())
    );
    outln!(
        "  {dir}/{}  Ed25519 key ({}, mode 0600)",
        hallmark_core::KEY_FILE,
        if passphrase.is_some() {
            "encrypted"
        } else {
            "NOT encrypted"
        }
    );
    outln!(
        "  {dir}/{}   signing certificate (valid {} days) and CA",
        hallmark_core::CHAIN_FILE,
        args.valid_days
    );
    outln!(
        "  {dir}/{}    give this to verifiers: hallmark verify --trust {dir}/{}",
        hallmark_core::ROOT_FILE,
        hallmark_core::ROOT_FILE
    );
    outln!(
        "  {dir}/{}      the CA's key ({}, mode 0600): renews the signing certificate (hallmark renew); keep it offline between renewals",
        hallmark_core::CA_KEY_FILE,
        if passphrase.is_some() { "encrypted" } else { "NOT encrypted" }
    );
    Ok(0)
}

/// `hallmark renew`: a new signing key and certificate under the same CA.
#[derive(Debug, clap::Args)]
pub struct RenewArgs {
    /// The identity directory made by `hallmark keygen`.
    #[arg(long, value_name = "DIR")]
    pub identity: PathBuf,
    /// Days the new signing certificate is valid.
    #[arg(long, value_name = "N", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub valid_days: u32,
    /// Read the passphrase from this file's first line.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

pub fn renew(args: RenewArgs) -> Result<u8, CliError> {
    let (dir, valid_days) = (args.identity.as_path(), args.valid_days);
    let passphrase_file = args.passphrase_file.as_deref();
    let passphrase = if Identity::ca_key_needs_passphrase(dir)? {
        Some(passphrase::for_unlock(passphrase_file)?)
    } else {
        None
    };
    let identity = Identity::renew(
        dir,
        passphrase.as_ref(),
        hallmark_core::Validity::days_from_now(valid_days),
    )?;
    let expires = identity.expires().unwrap_or_default();
    outln!(
        "Renewed {} in {}: a new signing key and certificate, valid until {expires}; root.pem is unchanged",
        render::escape(&identity.subject()),
        shown(dir)
    );
    Ok(0)
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    pub input: PathBuf,
    /// Where to write the signed image.
    #[arg(
        short,
        long,
        required_unless_present = "in_place",
        conflicts_with = "in_place"
    )]
    pub output: Option<PathBuf>,
    /// Replace the input with the signed image (atomically).
    #[arg(long)]
    pub in_place: bool,
    /// The identity directory made by `hallmark keygen`.
    #[arg(long, value_name = "DIR")]
    pub identity: PathBuf,
    /// Title recorded in the manifest (default: the input's file name).
    #[arg(long)]
    pub title: Option<String>,
    /// Mark the image as made by generative AI (trainedAlgorithmicMedia).
    #[arg(long, conflicts_with = "source_type")]
    pub ai_generated: bool,
    /// Digital source type URI (default: IPTC digitalCapture).
    #[arg(long, value_name = "URI")]
    pub source_type: Option<String>,
    /// The file this image was made from: recorded as parent ingredient, with c2pa.edited.
    #[arg(long, value_name = "FILE")]
    pub parent: Option<PathBuf>,
    /// An action to record, e.g. c2pa.cropped (repeatable).
    #[arg(long = "action", value_name = "ACTION")]
    pub actions: Vec<String>,
    /// Read the passphrase from this file's first line.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Time-stamp the signature at this RFC 3161 TSA (http://…), so the
    /// file stays valid after the signing certificate expires (default:
    /// `tsa` in config.toml). Its root must be trusted: `trust add --tsa`
    /// or `--tsa-trust`.
    #[arg(long, value_name = "URL")]
    pub tsa: Option<String>,
    /// Sign without a time-stamp when the TSA can't be reached (and say so).
    #[arg(long)]
    pub tsa_optional: bool,
}

/// `$HALLMARK_CONFIG_DIR/config.toml` (default
/// `$XDG_CONFIG_HOME/hallmark/config.toml`): defaults for options.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// The RFC 3161 TSA `sign` time-stamps with, unless `--tsa` is given.
    tsa: Option<String>,
}

fn config() -> Result<Config, CliError> {
    let Some(path) = crate::dirs::config_dir().map(|d| d.join("config.toml")) else {
        return Ok(Config::default());
    };
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => return Err(CliError::read(&path, &e).with_exit(EXIT_USAGE)),
    };
    toml::from_str(&text).map_err(|e| {
        CliError::new(
            Code::ConfigMalformed,
            format!("{}: {e}", shown(&path)),
            EXIT_USAGE,
        )
        .hint("config.toml holds `tsa = \"http://…\"`")
    })
}

/// Read an input file under the size limit; refuse directories and devices.
pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>, CliError> {
    hallmark_core::read_input(path, hallmark_core::Limits::default().max_file_bytes)
        .map_err(|e| input_error(path, &e))
}

/// Open an input file (a regular file) to be read in place.
pub(crate) fn open_input(path: &Path) -> Result<std::fs::File, CliError> {
    hallmark_core::open_input(path).map_err(|e| input_error(path, &e))
}

fn input_error(path: &Path, e: &hallmark_core::InputError) -> CliError {
    let err = CliError::new(e.code(), format!("{}: {e}", shown(path)), EXIT_UNREADABLE);
    match e {
        hallmark_core::InputError::Directory => err.hint("give a file, not a directory"),
        hallmark_core::InputError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            err.hint("check the path")
        }
        _ => err,
    }
}

fn file_name(path: &Path) -> Option<String> {
    path.file_name().map(|n| n.to_string_lossy().into_owned())
}

pub fn sign(args: SignArgs) -> Result<u8, CliError> {
    let output = match (&args.output, args.in_place) {
        (Some(out), false) => out.clone(),
        (None, true) => args.input.clone(),
        _ => return Err(CliError::usage("give exactly one of -o OUT and --in-place")),
    };
    let input = open_input(&args.input)?;
    let parent = match &args.parent {
        Some(p) => Some(read_input(p)?),
        None => None,
    };
    let passphrase = if Identity::needs_passphrase(&args.identity)? {
        Some(passphrase::for_unlock(args.passphrase_file.as_deref())?)
    } else {
        None
    };
    let identity = Identity::load(&args.identity, passphrase.as_ref())?;
    let source_type = match (args.ai_generated, args.source_type) {
        (true, _) => SourceType::TrainedAlgorithmicMedia,
        (false, Some(uri)) => SourceType::Uri(uri),
        (false, None) => SourceType::DigitalCapture,
    };
    let tsa = match args.tsa {
        Some(url) => Some(url),
        None => config()?.tsa,
    };
    let tsa = match tsa {
        Some(url) => {
            // The TSA's certificates must chain to a TSA anchor: the user's
            // `trust add --tsa` entries and `--tsa-trust` files.
            let mut store = TrustStore::empty();
            crate::trust_cmd::load_into(&mut store)?;
            crate::args::add_tsa_trust(&mut store)?;
            let mut config = hallmark_core::tsa::TsaConfig::new(url, store.tsa_anchors_der());
            config.optional = args.tsa_optional;
            Some(config)
        }
        None => None,
    };
    let options = SignOptions {
        title: args.title.or_else(|| file_name(&args.input)),
        source_type,
        actions: args.actions,
        parent,
        parent_title: args.parent.as_deref().and_then(file_name),
        tsa,
        ..SignOptions::default()
    };
    // Signed into a temporary file beside the output, renamed over it only
    // once the signed file verifies: the original is never touched on failure.
    let mut file = hallmark_core::AtomicFile::create(&output, args.force || args.in_place)?;
    let signed = hallmark_core::sign_file(&input, &mut file, &identity, &options).map_err(|e| {
        let untrusted = e.code() == Code::TsaUntrusted;
        let err = CliError::from(e);
        if untrusted {
            err.hint("trust the TSA's root: hallmark trust add --tsa ROOT.pem, or --tsa-trust ROOT.pem (nothing was written)")
        } else if err.code.as_str().starts_with("tsa.") && err.code != Code::TsaUrl {
            err.hint("nothing was written; --tsa-optional signs without a time-stamp when the TSA can't be reached")
        } else {
            err
        }
    })?;
    file.commit()?;
    outln!(
        "Signed {} as {} -> {} ({} bytes{})",
        shown(&args.input),
        render::escape(&identity.subject()),
        shown(&output),
        signed.size,
        match &signed.time_stamp {
            Some((time, tsa)) => format!(", time-stamped {time} by {}", render::escape(tsa)),
            None => String::new(),
        }
    );
    if let Some(why) = &signed.no_pixels {
        eprintln!(
            "hallmark: note: no pixel digest or PDQ soft binding: {}",
            render::escape(why)
        );
    }
    if let Some(why) = &signed.time_stamp_skipped {
        eprintln!(
            "hallmark: warning: signed without a time-stamp (--tsa-optional): {}",
            render::escape(why)
        );
    }
    if signed.time_stamp.is_none() {
        eprintln!(
            "hallmark: warning: valid until {}, when the signing certificate expires; sign with --tsa URL to keep it valid after",
            signed.certificate_expires.as_deref().unwrap_or("the signing certificate expires")
        );
    }
    Ok(0)
}
