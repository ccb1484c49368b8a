//! `hallmark serve`: the registry as a Soft Binding Resolution API service.
//! Arguments and the tokens file in; `hallmark_server` does the serving.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use hallmark_core::{Code, Verifier};
use hallmark_server::{Config, Tokens};

use crate::args::{threshold_parser, TrustArgs};
use crate::error::{shown, CliError, EXIT_FAILURE, EXIT_USAGE};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The registry: a file (created if missing), as `registry add` makes
    /// it, or a PostgreSQL database (postgresql://user@host:port/dbname;
    /// the password, if any, in PGPASSWORD), which several `serve`
    /// processes may share.
    #[arg(long, value_name = "DB")]
    pub db: PathBuf,
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Bearer tokens: `TOKEN SCOPE…` a line (fetch:manifests,
    /// store:manifests, store:bindings). The file must be readable by its
    /// owner only (chmod 600). Without it, no store endpoint is open.
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,
    /// Reads (matches, manifests) need a token with fetch:manifests.
    #[arg(long)]
    pub private: bool,
    /// Stores offered are verified against this trust, and matches' stored
    /// credentials again at every lookup.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Also accept stores whose signer is valid but not trusted.
    #[arg(long)]
    pub allow_valid: bool,
    /// Largest request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_body: usize,
    /// Seconds a client has to send a request's headers, and then its body.
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Requests a second per token (or per address, without one); 0: no limit.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub rate_limit: u32,
    /// Largest PDQ Hamming distance a match may have (0–128).
    #[arg(long, default_value_t = hallmark_core::pdq::DEFAULT_MATCH_THRESHOLD,
          value_parser = threshold_parser())]
    pub threshold: u32,
    /// Seconds between loads of what other processes sharing the database
    /// added or deleted: the most a match may lag behind them (1–10).
    #[arg(long, value_name = "SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=10))]
    pub refresh: u64,
    /// Serve https: the server's certificate (PEM, then any intermediates).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1),
    /// readable by its owner only (chmod 600).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

pub fn serve(args: ServeArgs) -> Result<u8, CliError> {
    let verifier = Verifier::new(args.trust.store()?);
    let tokens = match &args.tokens {
        Some(path) => read_tokens(path)?,
        None => Tokens::default(),
    };
    let registry = crate::registry_cmd::open(&args.db)?.with_verifier(verifier.clone());
    let entries = match registry.len().unwrap_or(0) {
        1 => "1 entry".to_string(),
        n => format!("{n} entries"),
    };
    let mut config = Config::new(args.listen, verifier);
    config.tokens = tokens;
    config.private = args.private;
    config.allow_valid = args.allow_valid;
    config.max_body = args.max_body;
    config.timeout = Duration::from_secs(args.timeout);
    config.rate_limit = args.rate_limit;
    config.threshold = args.threshold;
    config.refresh = Duration::from_secs(args.refresh);
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let cert_pem = read_owned(cert, false, "certificate")?;
        let key_pem = zeroize::Zeroizing::new(read_owned(key, true, "key")?);
        config.tls = Some(
            hallmark_server::tls_config(&cert_pem, &key_pem)
                .map_err(|e| CliError::new(Code::Usage, e.to_string(), EXIT_USAGE))?,
        );
    }
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let reads = if args.private {
        "reads need a token"
    } else {
        "reads are public"
    };
    let tokens = config.tokens.len();
    let db = shown(&args.db);
    hallmark_server::serve(registry, config, |addr| {
        eprintln!(
            "hallmark: serving {db} ({entries}) at {scheme}://{addr}/v1; {reads}; {tokens} token(s)"
        );
    })
    .map_err(|e| CliError::new(Code::RegistryOpen, e.to_string(), EXIT_FAILURE))?;
    Ok(0)
}

/// The tokens file: owner-only, then parsed (errors name lines, never tokens).
fn read_tokens(path: &std::path::Path) -> Result<Tokens, CliError> {
    let bytes = zeroize::Zeroizing::new(read_owned(path, true, "tokens")?);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        CliError::new(
            Code::Usage,
            format!("{}: the tokens file is not UTF-8 text", shown(path)),
            EXIT_USAGE,
        )
    })?;
    Tokens::parse(text)
        .map_err(|e| CliError::new(Code::Usage, format!("{}: {e}", shown(path)), EXIT_USAGE))
}

/// A file of at most 1 MiB, which must be readable by its owner only when
/// `secret` (a tokens or key file).
fn read_owned(path: &std::path::Path, secret: bool, what: &str) -> Result<Vec<u8>, CliError> {
    let usage = |message: String| CliError::new(Code::Usage, message, EXIT_USAGE);
    let file = std::fs::File::open(path)
        .map_err(|e| usage(format!("{}: can't read the {what} file: {e}", shown(path))))?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(|e| usage(format!("{}: {e}", shown(path))))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(usage(format!(
                "{}: the {what} file is readable by others (mode {:o}); chmod 600 it",
                shown(path),
                mode & 0o777
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, 1 << 20), &mut bytes)
        .map_err(|e| usage(format!("{}: can't read the {what} file: {e}", shown(path))))?;
    Ok(bytes)
}
