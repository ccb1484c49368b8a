//! `hallmark serve`: the C2PA Soft Binding Resolution API (2.4, in the
//! shapes of its MIT-licensed OpenAPI file) over a Hallmark registry. Every
//! decision is `hallmark_core::registry`'s; this crate turns HTTP requests
//! into registry calls and their answers into JSON.
//!
//! The accept loop is hyper's own: each connection gets a header-read
//! timeout, each body a read timeout and a size limit, each client (bearer
//! token, or address) a rate limit, and the server a bound on connections.

mod api;
pub mod auth;
mod body;
pub mod rate;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hallmark_core::registry::Registry;
use hallmark_core::Verifier;
use hyper_util::rt::{TokioIo, TokioTimer};

pub use auth::Tokens;

/// How a server runs.
#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    /// Bearer tokens and their scopes (none: no store endpoint is open).
    pub tokens: Tokens,
    /// Reads need a token with `fetch:manifests`.
    pub private: bool,
    /// Who the server trusts: stores offered are verified against it, and
    /// matches' stored credentials again at each lookup.
    pub verifier: Verifier,
    /// Accept stores whose signer is valid but not trusted.
    pub allow_valid: bool,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Time allowed to send a request's headers, and then its body.
    pub timeout: Duration,
    /// Requests a second per client (0: no limit).
    pub rate_limit: u32,
    /// Largest PDQ distance a match may have (bits).
    pub threshold: u32,
    /// Most connections open at once.
    pub max_connections: usize,
    /// How often the in-memory indexes load what other processes sharing
    /// the database added or deleted: the staleness bound of matches.
    pub refresh: Duration,
    /// Serve https with this certificate and key ([`tls_config`]); None: http.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

impl Config {
    pub fn new(listen: SocketAddr, verifier: Verifier) -> Self {
        Self {
            listen,
            tokens: Tokens::default(),
            private: false,
            verifier,
            allow_valid: false,
            max_body: 64 << 20,
            timeout: Duration::from_secs(30),
            rate_limit: 100,
            threshold: hallmark_core::pdq::DEFAULT_MATCH_THRESHOLD,
            max_connections: 1024,
            refresh: Duration::from_secs(5),
            tls: None,
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("can't listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("can't start the server's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("TLS: {0}")]
    Tls(String),
}

/// A TLS server configuration from PEM text: `cert` the server's
/// certificate, then any intermediates; `key` its private key (PKCS#8,
/// PKCS#1 or SEC1). TLS 1.2 and 1.3, rustls's safe defaults; HTTP/1.1 by ALPN.
pub fn tls_config(
    cert: &[u8],
    key: &[u8],
) -> Result<Arc<tokio_rustls::rustls::ServerConfig>, ServeError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::Tls(format!("the certificate file can't be read: {e}")))?;
    if chain.is_empty() {
        return Err(ServeError::Tls(
            "the certificate file holds no PEM certificate".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| ServeError::Tls(format!("the key file holds no private key: {e}")))?;
    // ring, as the registry client's ureq uses: aws-lc-rs (rustls's choice
    // for post-quantum key exchange, hence ring's deprecation note) would
    // add a CMake build of AWS-LC to every build of the CLI.
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| ServeError::Tls(format!("the certificate and key don't go together: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serve `registry` until the process ends. `ready` is called with the
/// address bound (a port 0 in `listen` becomes a real one) before the first
/// connection is accepted.
pub fn serve(
    registry: Registry,
    config: Config,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(run(registry, config, ready))
}

async fn run(
    registry: Registry,
    config: Config,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: config.listen,
        source,
    })?;
    let timeout = config.timeout;
    let tls = config.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let connections = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let state = Arc::new(api::State {
        registry: Mutex::new(registry),
        limiter: rate::RateLimiter::new(config.rate_limit),
        config,
    });
    tokio::spawn(refresh_loop(state.clone()));
    let app = api::router(state);
    ready(addr);
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else {
            return Ok(());
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of descriptors and the like: wait, then accept again.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = app.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => serve_connection(stream, peer, app, timeout).await,
                // The handshake is held to the header-read time-out, as a
                // slow client's headers are.
                Some(acceptor) => {
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(timeout, acceptor.accept(stream)).await
                    {
                        serve_connection(stream, peer, app, timeout).await;
                    }
                }
            }
        });
    }
}

/// Serve one connection's requests with `app`, over plain TCP or TLS.
async fn serve_connection<I>(io: I, peer: SocketAddr, app: axum::Router, timeout: Duration)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request| {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let app = app.clone();
        async move {
            use tower::Service;
            let mut app = app;
            app.call(request).await
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    let _ = connection.await;
}

/// Every `config.refresh`, load into the indexes what other processes
/// sharing the database changed. A failure is said once until it clears;
/// lookups go on with what was loaded.
async fn refresh_loop(state: Arc<api::State>) {
    let mut tick = tokio::time::interval(state.config.refresh.max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut failing = false;
    loop {
        tick.tick().await;
        let state = state.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut registry = state.registry.lock().unwrap_or_else(|p| p.into_inner());
            registry.refresh().map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
        match result {
            Ok(_) => failing = false,
            Err(e) if !failing => {
                failing = true;
                eprintln!("hallmark: can't refresh the registry's index: {e}");
            }
            Err(_) => {}
        }
    }
}
