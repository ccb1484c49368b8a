//! A registry behind a Soft Binding Resolution API (`hallmark serve`, or any
//! service that resolves Hallmark's bindings): the one place Hallmark goes on
//! the network while verifying, and only when given a URL.
//!
//! By default only hashes leave the machine: a picture's pixel digest (the
//! same pixels), then its PDQ hash (a similar picture); a video's vPDQ hash
//! (a frame a second), all through `byBinding`. With
//! [`RemoteRegistry::send_content`] the file itself is sent (`byContent`).
//! The service's word is never taken: each manifest store it names is
//! fetched and verified here, against the local trust, and the pixel digest,
//! PDQ hash or video frames it signed are compared here with the file's own.
//!
//! `https://` services are reached through rustls (ring), their certificate
//! checked against Mozilla's roots as webpki-roots ships them, or against
//! the CA certificates given with [`RemoteRegistry::with_ca_pem`] instead.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;

use super::binding::{video_binding, DIGEST_ALG, PDQ_ALG, VPDQ_ALG};
use super::Recovery;
use super::RegistryError;
use crate::media::{Limits, MediaFormat, Source};
use crate::pdq::MIN_MATCH_QUALITY;
use crate::pixels;
use crate::report::{Report, StatusEntry, Verdict};
use crate::verify::Verifier;

/// Largest manifest store fetched.
const MAX_STORE: u64 = 16 << 20;
/// Largest matches answer read.
const MAX_ANSWER: u64 = 1 << 20;
/// Most manifest stores fetched for one file.
const MAX_CANDIDATES: usize = 5;

/// A registry service at a URL (its API root, such as `http://host/v1`).
#[derive(Debug, Clone)]
pub struct RemoteRegistry {
    base: String,
    send_content: bool,
    timeout: Duration,
    /// The CA certificates an https service's certificate must chain to
    /// (None: webpki-roots).
    roots: Option<Arc<Vec<ureq::tls::Certificate<'static>>>>,
}

impl RemoteRegistry {
    /// The service whose API root is `url` (`http://…` or `https://…`; its
    /// `/v1` path included). Over plain HTTP a network observer sees the
    /// hashes asked about (the answers are checked here either way).
    pub fn new(url: &str) -> Result<Self, RegistryError> {
        let lower = url.to_ascii_lowercase();
        let host = lower
            .strip_prefix("http://")
            .or_else(|| lower.strip_prefix("https://"));
        if host.is_none_or(|h| h.is_empty() || h.starts_with('/')) {
            return Err(RegistryError::Remote {
                url: url.to_string(),
                detail: "a registry service's URL is http://host/… or https://host/…".into(),
            });
        }
        Ok(Self {
            base: url.trim_end_matches('/').to_string(),
            send_content: false,
            timeout: Duration::from_secs(15),
            roots: None,
        })
    }

    /// Trust only the CA certificates in `pem` (one or more PEM
    /// certificates) for an https service, instead of webpki-roots: a
    /// private registry's own CA.
    pub fn with_ca_pem(mut self, pem: &[u8]) -> Result<Self, RegistryError> {
        if !self.base.to_ascii_lowercase().starts_with("https://") {
            return Err(self.error("a CA file is for an https:// registry service"));
        }
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert.to_owned()),
                Ok(_) => {}
                Err(e) => return Err(self.error(format!("the CA file can't be read: {e}"))),
            }
        }
        if certs.is_empty() {
            return Err(self.error("the CA file holds no PEM certificate"));
        }
        self.roots = Some(Arc::new(certs));
        Ok(self)
    }

    /// Send the file itself (`byContent`) instead of its hashes.
    pub fn send_content(mut self, yes: bool) -> Self {
        self.send_content = yes;
        self
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    fn error(&self, detail: impl Into<String>) -> RegistryError {
        RegistryError::Remote {
            url: self.base.clone(),
            detail: detail.into(),
        }
    }

    fn agent(&self) -> ureq::Agent {
        let roots = match &self.roots {
            Some(certs) => ureq::tls::RootCerts::Specific(certs.clone()),
            None => ureq::tls::RootCerts::WebPki,
        };
        ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .https_only(self.base.to_ascii_lowercase().starts_with("https://"))
            .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
            .build()
            .into()
    }

    /// Turn an `unsigned` report of `source` into `recovered` when the
    /// service leads to a manifest store that verifies here and signed these
    /// pixels (or pixels within `threshold` bits; for a video, frames that
    /// match by the reference rule). Other reports come back unchanged; a
    /// lookup that fails adds an informational status entry.
    pub fn recover(
        &self,
        source: Source<'_>,
        report: Report,
        verifier: &Verifier,
        threshold: u32,
    ) -> Report {
        if report.verdict != Verdict::Unsigned {
            return report;
        }
        let mut report = report;
        match self.find(source, verifier, threshold) {
            Ok((Some(recovery), _)) => return recovery.apply(report),
            Ok((None, notes)) => report.status.extend(notes),
            Err(e) => report.status.push(StatusEntry {
                code: e.code().to_string(),
                kind: "informational".into(),
                explanation: Some(format!("registry lookup failed: {e}")),
                scope: Some("registry".into()),
                url: None,
            }),
        }
        report
    }

    /// The best recovery for `source`, and notes on candidates not used.
    fn find(
        &self,
        source: Source<'_>,
        verifier: &Verifier,
        threshold: u32,
    ) -> Result<(Option<Recovery>, Vec<StatusEntry>), RegistryError> {
        let limits = verifier.limits();
        let format = crate::media::identify_source(source, limits)?;
        if format.is_video() {
            return self.find_video(source, format, verifier, threshold);
        }
        // Pictures are loaded whole; what is read in place and is not a
        // video (audio) has no pixels to look up, and is never read whole.
        let Some(bytes) = source.bytes() else {
            return Ok((None, Vec::new()));
        };
        let hash = pixels::hash_image(bytes, limits)?;
        let agent = self.agent();
        let ids = if self.send_content {
            self.by_content(&agent, source, format.mime())?
        } else {
            let mut ids = self.by_binding(&agent, DIGEST_ALG, &hash.pixel_digest.0)?;
            if ids.is_empty() && hash.quality >= MIN_MATCH_QUALITY {
                let pdq = hex::decode(hash.pdq.to_hex()).unwrap_or_default();
                ids = self.by_binding(&agent, PDQ_ALG, &pdq)?;
            }
            ids
        };
        let stores = self.fetch_stores(&agent, ids, limits);
        Ok(crate::recovery::from_stores(
            stores, &hash, verifier, threshold,
        ))
    }

    /// [`Self::find`] for a video: its vPDQ hash (a frame a second) is
    /// made here, sent as an `org.hallmark.vpdq` binding (or the video
    /// itself, with `send_content`), and each store named is decided on by
    /// the frames it signed.
    fn find_video(
        &self,
        source: Source<'_>,
        format: MediaFormat,
        verifier: &Verifier,
        threshold: u32,
    ) -> Result<(Option<Recovery>, Vec<StatusEntry>), RegistryError> {
        let limits = verifier.limits();
        let (video, width, height) = super::hash_video(source, format, limits)?;
        let agent = self.agent();
        let ids = if self.send_content {
            self.by_content(&agent, source, format.mime())?
        } else {
            self.by_binding(&agent, VPDQ_ALG, &video_binding(&video))?
        };
        let stores = self.fetch_stores(&agent, ids, limits);
        Ok(crate::recovery::from_video_stores(
            stores,
            &video,
            (width, height),
            verifier,
            threshold,
        ))
    }

    /// The first few manifest stores named, each fetched, or why not.
    fn fetch_stores<'s>(
        &'s self,
        agent: &'s ureq::Agent,
        ids: Vec<String>,
        limits: &'s Limits,
    ) -> impl Iterator<Item = (String, Result<Vec<u8>, String>)> + 's {
        ids.into_iter().take(MAX_CANDIDATES).map(move |id| {
            let store = self.fetch_store(agent, &id, limits);
            (id, store)
        })
    }

    /// Manifest ids the service answers a `byBinding` query with.
    fn by_binding(
        &self,
        agent: &ureq::Agent,
        alg: &str,
        value: &[u8],
    ) -> Result<Vec<String>, RegistryError> {
        let body = serde_json::json!({
            "alg": alg,
            "value": base64::engine::general_purpose::STANDARD.encode(value),
        });
        let response = agent
            .post(format!("{}/matches/byBinding", self.base))
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes())
            .map_err(|e| self.error(e.to_string()))?;
        self.manifest_ids(response)
    }

    /// Manifest ids the service answers a `byContent` query with: the
    /// file itself is sent (a video read in place, never held whole).
    fn by_content(
        &self,
        agent: &ureq::Agent,
        source: Source<'_>,
        mime: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let request = agent
            .post(format!("{}/matches/byContent", self.base))
            .header("content-type", mime);
        let response = match source.bytes() {
            Some(bytes) => request.send(bytes),
            None => {
                let mut stream = source
                    .stream()
                    .map_err(|e| self.error(format!("reading the file: {e}")))?;
                request
                    .header("content-length", source.len())
                    .send(ureq::SendBody::from_reader(&mut stream))
            }
        }
        .map_err(|e| self.error(e.to_string()))?;
        self.manifest_ids(response)
    }

    fn manifest_ids(
        &self,
        mut response: ureq::http::Response<ureq::Body>,
    ) -> Result<Vec<String>, RegistryError> {
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(|e| self.error(format!("reading the answer: {e}")))?;
        if status != 200 {
            let why: String = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(|s| s.chars().take(200).collect()))
                .unwrap_or_default();
            return Err(self.error(format!("HTTP {status} {why}")));
        }
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| self.error(format!("the answer is not JSON: {e}")))?;
        let matches = value["matches"]
            .as_array()
            .ok_or_else(|| self.error("the answer has no matches list"))?;
        Ok(matches
            .iter()
            .filter_map(|m| m["manifestId"].as_str())
            .map(|id| id.chars().take(512).collect())
            .collect())
    }

    /// Fetch manifest `id`'s store, at most 16 MiB.
    fn fetch_store(
        &self,
        agent: &ureq::Agent,
        id: &str,
        limits: &Limits,
    ) -> Result<Vec<u8>, String> {
        let encoded: String = id
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let mut response = agent
            .get(format!("{}/manifests/{encoded}", self.base))
            .call()
            .map_err(|e| e.to_string())?;
        if response.status().as_u16() != 200 {
            return Err(format!(
                "fetching its store: HTTP {}",
                response.status().as_u16()
            ));
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_STORE.min(limits.max_file_bytes))
            .read_to_vec()
            .map_err(|e| format!("fetching its store: {e}"))
    }
}
