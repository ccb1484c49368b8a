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
        tokio::spawn(async move {
            let _permit = permit;
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
                .serve_connection(TokioIo::new(stream), service);
            let _ = connection.await;
        });
    }
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
