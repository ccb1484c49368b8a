//! A registry behind a Soft Binding Resolution API (`hallmark serve`, or any
//! service that resolves Hallmark's bindings): the one place Hallmark goes on
//! the network while verifying, and only when given a URL.
//!
//! By default only hashes leave the machine: the file's pixel digest (the
//! same pixels), then its PDQ hash (a similar picture), through `byBinding`.
//! With [`RemoteRegistry::send_content`] the file itself is sent
//! (`byContent`). The service's word is never taken: each manifest store it
//! names is fetched and verified here, against the local trust, and its
//! signed pixel digest and PDQ hash are compared here with the file's own.

use std::time::Duration;

use base64::Engine;

use super::binding::{DIGEST_ALG, PDQ_ALG};
use super::Recovery;
use super::RegistryError;
use crate::code::Code;
use crate::media::Limits;
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
}

impl RemoteRegistry {
    /// The service whose API root is `url` (`http://…`; its `/v1` path
    /// included). Plain HTTP only for now: answers are checked here, never
    /// believed, but a network observer sees the hashes asked about.
    pub fn new(url: &str) -> Result<Self, RegistryError> {
        let lower = url.to_ascii_lowercase();
        if !lower.starts_with("http://") {
            return Err(RegistryError::Remote {
                url: url.to_string(),
                detail: if lower.starts_with("https://") {
                    "https:// is not supported yet: use http:// (the service's answers are verified here)".into()
                } else {
                    "a registry URL starts with http://".into()
                },
            });
        }
        Ok(Self {
            base: url.trim_end_matches('/').to_string(),
            send_content: false,
            timeout: Duration::from_secs(15),
        })
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
        ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .into()
    }

    /// Turn an `unsigned` report of `bytes` into `recovered` when the
    /// service leads to a manifest store that verifies here and signed these
    /// pixels (or pixels within `threshold` bits). Other reports come back
    /// unchanged; a lookup that fails adds an informational status entry.
    pub fn recover(
        &self,
        bytes: &[u8],
        report: Report,
        verifier: &Verifier,
        threshold: u32,
    ) -> Report {
        if report.verdict != Verdict::Unsigned {
            return report;
        }
        let mut report = report;
        match self.find(bytes, verifier, threshold) {
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

    /// The best recovery for `bytes`, and notes on candidates not used.
    fn find(
        &self,
        bytes: &[u8],
        verifier: &Verifier,
        threshold: u32,
    ) -> Result<(Option<Recovery>, Vec<StatusEntry>), RegistryError> {
        let limits = verifier.limits();
        let format = crate::media::identify(bytes, limits)?;
        if format.is_video() {
            return Ok((
                None,
                vec![note(
                    "videos are not looked up in a remote registry yet".to_string(),
                )],
            ));
        }
        let hash = pixels::hash_image(bytes, limits)?;
        let agent = self.agent();
        let ids = if self.send_content {
            self.by_content(&agent, bytes, format.mime())?
        } else {
            let mut ids = self.by_binding(&agent, DIGEST_ALG, &hash.pixel_digest.0)?;
            if ids.is_empty() && hash.quality >= MIN_MATCH_QUALITY {
                let pdq = hex::decode(hash.pdq.to_hex()).unwrap_or_default();
                ids = self.by_binding(&agent, PDQ_ALG, &pdq)?;
            }
            ids
        };
        let stores = ids.into_iter().take(MAX_CANDIDATES).map(|id| {
            let store = self.fetch_store(&agent, &id, limits);
            (id, store)
        });
        Ok(crate::recovery::from_stores(
            stores, &hash, verifier, threshold,
        ))
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

    fn by_content(
        &self,
        agent: &ureq::Agent,
        bytes: &[u8],
        mime: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let response = agent
            .post(format!("{}/matches/byContent", self.base))
            .header("content-type", mime)
            .send(bytes)
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

fn note(explanation: String) -> StatusEntry {
    StatusEntry {
        code: Code::RemoteRegistry.to_string(),
        kind: "informational".into(),
        explanation: Some(explanation),
        scope: Some("registry".into()),
        url: None,
    }
}
