//! The endpoints: requests in, registry calls, JSON out. Deviations from the
//! OpenAPI file are listed in the README ("Registry service").

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, RawQuery};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use hallmark_core::code::Code;
use hallmark_core::registry::{
    BindMode, Binding, BindingError, Bound, Lookup, Recovery, Registry, RegistryError,
    LOOKUP_ALGORITHMS, PDQ_ALG,
};
use serde_json::{json, Value};

use crate::auth::{Access, Principal, FETCH, STORE_BINDINGS, STORE_MANIFESTS};
use crate::rate::RateLimiter;
use crate::Config;

/// The C2PA specification version the API follows.
const SPEC_VERSION: &str = "2.4.0";
/// Longest query string read (a binding value is 44 characters of base64).
const MAX_QUERY: usize = 4096;
/// Largest JSON body of `bindings`.
const MAX_JSON: usize = 64 << 10;
/// Largest JSON body of `byBinding`: an `org.hallmark.vpdq` value, a video's
/// frames a second in text (about 110 bytes of base64 a frame), fits 2.5
/// hours of video.
const MAX_LOOKUP_JSON: usize = 1 << 20;
/// Most matches returned, whatever `maxResults` asks.
const MAX_RESULTS: usize = 100;

pub struct State {
    pub registry: Mutex<Registry>,
    pub limiter: RateLimiter,
    pub config: Config,
}

type Shared = Arc<State>;

/// An error answer: its status, code and message, as `{"error", "code"}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Code::HttpBadRequest, message)
    }

    fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, Code::Internal, message)
    }

    fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, Code::HttpNotFound, what)
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        let status = match &e {
            RegistryError::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            RegistryError::Conflict { .. } => StatusCode::CONFLICT,
            RegistryError::Media(m) => media_status(m.code()),
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<BindingError> for ApiError {
    fn from(e: BindingError) -> Self {
        let code = match e {
            BindingError::UnknownAlg(_) => Code::BindingAlg,
            _ => Code::HttpBadRequest,
        };
        Self::new(StatusCode::BAD_REQUEST, code, e.to_string())
    }
}

/// The status of a file that could not be hashed.
fn media_status(code: Code) -> StatusCode {
    match code {
        Code::FormatUnrecognized | Code::FormatUnsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Code::LimitsFileSize | Code::LimitsDimensions => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(json!({"error": self.message, "code": self.code})),
        )
            .into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

type ApiResult = Result<Response, ApiError>;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/.well-known/c2pa-soft-binding-resolution", get(well_known))
        .route("/v1/services/supportedAlgorithms", get(algorithms))
        .route("/v1/services/capabilities", get(capabilities))
        .route("/v1/services/status", get(status))
        .route(
            "/v1/matches/byBinding",
            get(by_binding_query).post(by_binding_body),
        )
        .route("/v1/matches/byContent", post(by_content))
        .route("/v1/manifests", post(store_manifest))
        .route(
            "/v1/manifests/{id}",
            get(fetch_manifest).delete(delete_manifest),
        )
        .route("/v1/bindings", post(create_binding).put(replace_binding))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .with_state(state)
}

/// Let a request in: its token must grant `scope` (None: anyone), and its
/// client must be within its rate limit.
fn gate(
    state: &State,
    headers: &HeaderMap,
    peer: SocketAddr,
    scope: Option<&str>,
) -> Result<Principal, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let principal = match state.config.tokens.check(authorization, scope) {
        Access::Granted(p) => p,
        Access::Unauthenticated => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                Code::HttpUnauthorized,
                match scope {
                    Some(scope) => format!("a bearer token with scope {scope} is needed"),
                    None => "the bearer token is not one this server knows".to_string(),
                },
            ))
        }
        Access::Forbidden => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                Code::HttpForbidden,
                format!("the token lacks scope {}", scope.unwrap_or_default()),
            ))
        }
    };
    state
        .limiter
        .take(principal, peer.ip())
        .map_err(|seconds| ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                Code::HttpRateLimited,
                format!("rate limit reached; retry in {seconds} s"),
            )
        })?;
    Ok(principal)
}

/// The scope reads need: none for a public registry.
fn read_scope(state: &State) -> Option<&'static str> {
    state.config.private.then_some(FETCH)
}

/// Run `f` on the registry, off the async threads.
async fn with_registry<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&mut Registry) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut registry = state
            .registry
            .lock()
            .map_err(|_| ApiError::internal("the registry lock was poisoned"))?;
        f(&mut registry)
    })
    .await
    .map_err(|e| ApiError::internal(format!("a registry task failed: {e}")))?
}

fn json_response(value: Value) -> Response {
    axum::Json(value).into_response()
}

async fn well_known(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult {
    gate(&state, &headers, peer, None)?;
    Ok(json_response(json!({
        "apiEndpoint": "/v1",
        "c2paSpecificationVersion": SPEC_VERSION,
        "capabilitiesEndpoint": "/v1/services/capabilities",
        "statusEndpoint": "/v1/services/status",
    })))
}

async fn algorithms(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult {
    gate(&state, &headers, peer, None)?;
    let fingerprints: Vec<Value> = LOOKUP_ALGORITHMS
        .iter()
        .map(|a| json!({"alg": a}))
        .collect();
    Ok(json_response(json!({
        "watermarks": [],
        "fingerprints": fingerprints,
    })))
}

async fn capabilities(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult {
    gate(&state, &headers, peer, None)?;
    // What this server does; not byReference (it never fetches a URL) nor receipts.
    Ok(json_response(json!({
        "c2paSpecificationVersion": SPEC_VERSION,
        "supportedCapabilities": [
            "queryByBinding",
            "queryByContent",
            "fetchManifests",
            "storeManifests",
            "storeBindings",
            "deleteManifests",
        ],
    })))
}

async fn status(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult {
    gate(&state, &headers, peer, None)?;
    let healthy = with_registry(&state, |r| Ok(r.len().is_ok())).await?;
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    Ok(json_response(json!({
        "status": if healthy { "ok" } else { "degraded" },
        "timestamp": now,
    })))
}

/// The query string's parameters (a malformed one is a 400; too long, 414).
fn query_params(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let query = query.unwrap_or_default();
    if query.len() > MAX_QUERY {
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            Code::HttpBadRequest,
            format!("the query string is over {MAX_QUERY} bytes; use POST"),
        ));
    }
    serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::bad(format!("the query string can't be read: {e}")))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `maxResults`: 1 or more (default 10, at most 100).
fn max_results(params: &[(String, String)]) -> Result<usize, ApiError> {
    match param(params, "maxResults") {
        None => Ok(10),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n.min(MAX_RESULTS)),
            _ => Err(ApiError::bad(format!(
                "maxResults must be a whole number of at least 1, not {:?}",
                text.chars().take(40).collect::<String>()
            ))),
        },
    }
}

/// A base64 binding value (standard or URL-safe alphabet, padded or not).
fn decode_value(text: &str) -> Result<Vec<u8>, ApiError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| ApiError::bad("the binding value is not base64"))
}

/// The matches answer: the API's `manifestId` and `similarityScore` (1 for
/// the same pixels, else 1 − distance/256), and what Hallmark knows besides.
fn matches_response(matches: Vec<Recovery>, limit: usize, notes: Vec<Value>) -> Response {
    let list: Vec<Value> = matches
        .iter()
        .filter(|m| m.entry.manifest_id.is_some())
        .take(limit)
        .map(|m| {
            let score = if m.pixel_digest_match {
                1.0
            } else {
                1.0 - f64::from(m.distance.min(256)) / 256.0
            };
            let e = &m.entry;
            json!({
                "manifestId": e.manifest_id,
                "similarityScore": score,
                "match": m.match_kind().as_str(),
                "distance": m.distance,
                "verdictNow": m.verdict_now.as_str(),
                "signer": {
                    "name": e.signer.name,
                    "organization": e.signer.organization,
                    "issuer": e.signer.issuer,
                    "trusted": e.signer.trusted,
                },
                "title": e.title,
                "signedAt": e.signed_at,
                "aiGenerated": e.ai_generated,
                "video": m.video,
            })
        })
        .collect();
    let mut body = json!({"matches": list});
    if !notes.is_empty() {
        body["notUsed"] = Value::Array(notes);
    }
    json_response(body)
}

fn notes(refused: Vec<hallmark_core::StatusEntry>) -> Vec<Value> {
    refused
        .into_iter()
        .map(|s| json!({"code": s.code, "explanation": s.explanation}))
        .collect()
}

async fn by_binding(state: Shared, alg: &str, value: &str, limit: usize) -> ApiResult {
    let lookup = Lookup::parse(alg, &decode_value(value)?)?;
    let threshold = state.config.threshold;
    let found = with_registry(&state, move |r| Ok(r.resolve(&lookup, threshold)?)).await?;
    Ok(matches_response(found.matches, limit, notes(found.refused)))
}

async fn by_binding_query(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult {
    gate(&state, &headers, peer, read_scope(&state))?;
    let params = query_params(query.as_deref())?;
    let limit = max_results(&params)?;
    let alg = param(&params, "alg").ok_or_else(|| ApiError::bad("alg is required"))?;
    let value = param(&params, "value").ok_or_else(|| ApiError::bad("value is required"))?;
    let (alg, value) = (alg.to_string(), value.to_string());
    by_binding(state, &alg, &value, limit).await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingQuery {
    value: String,
    alg: String,
}

/// A JSON body of type `T` of at most `limit` bytes (400 when it is not one).
async fn json_body<T: serde::de::DeserializeOwned>(
    state: &State,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, ApiError> {
    let limit = limit.min(state.config.max_body);
    let bytes = crate::body::read(headers, body, limit, state.config.timeout).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad(format!("the JSON body can't be read: {e}")))
}

async fn by_binding_body(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> ApiResult {
    gate(&state, &headers, peer, read_scope(&state))?;
    let limit = max_results(&query_params(query.as_deref())?)?;
    let q: BindingQuery = json_body(&state, &headers, body, MAX_LOOKUP_JSON).await?;
    by_binding(state, &q.alg, &q.value, limit).await
}

/// Whether a request's content type is an asset's (image, video, or bytes).
fn asset_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_ascii_lowercase();
    if kind.starts_with("image/")
        || kind.starts_with("video/")
        || kind.starts_with("application/octet-stream")
    {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::HttpUnsupportedMedia,
            format!("byContent takes image/*, video/* or application/octet-stream, not {kind}"),
        ))
    }
}

async fn by_content(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> ApiResult {
    gate(&state, &headers, peer, read_scope(&state))?;
    let params = query_params(query.as_deref())?;
    let limit = max_results(&params)?;
    if let Some(alg) = param(&params, "alg") {
        if alg != PDQ_ALG {
            return Err(Binding::parse(alg, &[0; 32]).err().map_or_else(
                || ApiError::bad(format!("byContent extracts {PDQ_ALG} only")),
                ApiError::from,
            ));
        }
    }
    asset_type(&headers)?;
    let bytes =
        crate::body::read(&headers, body, state.config.max_body, state.config.timeout).await?;
    let limits = *state.config.verifier.limits();
    let threshold = state.config.threshold;
    let format = hallmark_core::identify(&bytes, &limits)
        .map_err(|e| ApiError::new(media_status(e.code()), e.code(), e.to_string()))?;
    let found = if format.is_video() {
        // Videos are hashed under the registry's lock (rare, and slow anyway).
        with_registry(&state, move |r| Ok(r.lookup_file(&bytes, threshold)?)).await?
    } else {
        // Pictures are hashed first, off the lock.
        let hash =
            tokio::task::spawn_blocking(move || hallmark_core::pixels::hash_image(&bytes, &limits))
                .await
                .map_err(|e| ApiError::internal(format!("a hashing task failed: {e}")))?
                .map_err(|e| ApiError::new(media_status(e.code()), e.code(), e.to_string()))?;
        with_registry(&state, move |r| Ok(r.lookup_hash(hash, threshold)?)).await?
    };
    Ok(matches_response(found.matches, limit, notes(found.refused)))
}

async fn store_manifest(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    gate(&state, &headers, peer, Some(STORE_MANIFESTS))?;
    let store =
        crate::body::read(&headers, body, state.config.max_body, state.config.timeout).await?;
    let verifier = state.config.verifier.clone();
    let allow_valid = state.config.allow_valid;
    let added = with_registry(&state, move |r| {
        Ok(r.add_store(&store, &verifier, allow_valid)?)
    })
    .await?;
    let entry = added.entry();
    Ok(json_response(json!({
        "manifestId": entry.manifest_id,
        "verdict": entry.verdict.as_str(),
        "new": matches!(added, hallmark_core::registry::Added::New(_)),
    })))
}

async fn fetch_manifest(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    gate(&state, &headers, peer, read_scope(&state))?;
    let store = with_registry(&state, move |r| Ok(r.manifest_by_id(&id)?)).await?;
    match store {
        Some(bytes) => Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/c2pa"),
            )],
            bytes,
        )
            .into_response()),
        None => Err(ApiError::not_found("no manifest store with that id")),
    }
}

async fn delete_manifest(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    gate(&state, &headers, peer, Some(STORE_MANIFESTS))?;
    if with_registry(&state, move |r| Ok(r.delete_manifest(&id)?)).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("no manifest store with that id"))
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BindingBody {
    binding_value: String,
    manifest_id: String,
    /// Not in the OpenAPI file, which names no algorithm: default PDQ.
    #[serde(default)]
    alg: Option<String>,
}

async fn bind(
    state: Shared,
    headers: HeaderMap,
    peer: SocketAddr,
    body: Body,
    mode: BindMode,
) -> ApiResult {
    gate(&state, &headers, peer, Some(STORE_BINDINGS))?;
    let b: BindingBody = json_body(&state, &headers, body, MAX_JSON).await?;
    let binding = Binding::parse(
        b.alg.as_deref().unwrap_or(PDQ_ALG),
        &decode_value(&b.binding_value)?,
    )?;
    let id = b.manifest_id;
    match with_registry(&state, move |r| Ok(r.bind(&binding, &id, mode)?)).await? {
        Bound::Done => Ok(StatusCode::NO_CONTENT.into_response()),
        Bound::NoManifest => Err(ApiError::not_found("no manifest store with that id")),
        Bound::NoBinding => Err(ApiError::not_found("that binding value is not bound")),
        Bound::Exists => Err(ApiError::new(
            StatusCode::CONFLICT,
            Code::HttpConflict,
            "that binding value is bound already; PUT replaces it",
        )),
    }
}

async fn create_binding(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    bind(state, headers, peer, body, BindMode::Create).await
}

async fn replace_binding(
    axum::extract::State(state): axum::extract::State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    bind(state, headers, peer, body, BindMode::Replace).await
}
