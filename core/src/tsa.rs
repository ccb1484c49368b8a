//! An RFC 3161 time-stamp client for signing: the request built here with a
//! nonce kept for the check, sent over HTTP (`ureq`, with a timeout), and the
//! reply checked before c2pa may put it in a file: the status, the message
//! imprint (SHA-256 of what c2pa countersigns), the nonce, and the
//! time-stamp authority's certificate path (the timeStamping EKU and the
//! TSA trust anchors, by [`crate::chain`]).
//!
//! Only `http://` is spoken: the reply is signed, so TLS adds no integrity
//! (and this build links no TLS stack).

use crate::code::Code;
use std::time::Duration;

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::chain;
use crate::der::tlv;

/// Largest reply read from a TSA.
const MAX_REPLY: u64 = 256 * 1024;
/// SHA-256, 2.16.840.1.101.3.4.2.1.
const SHA256_OID: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

/// Where and how to get a time-stamp.
#[derive(Debug, Clone)]
pub struct TsaConfig {
    /// The TSA's URL (`http://…`).
    pub url: String,
    /// TSA trust anchors (DER): the reply's TSA must chain to one.
    pub anchors: Vec<Vec<u8>>,
    /// Sign without a time-stamp when the TSA can't be reached (or answers
    /// with an HTTP error), instead of failing. A reply that fails a check
    /// always fails the signing.
    pub optional: bool,
    /// For the whole exchange.
    pub timeout: Duration,
}

impl TsaConfig {
    pub fn new(url: impl Into<String>, anchors: Vec<Vec<u8>>) -> Self {
        TsaConfig {
            url: url.into(),
            anchors,
            optional: false,
            timeout: Duration::from_secs(15),
        }
    }
}

/// Why a time-stamp was not obtained. Codes `tsa.*`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsaError {
    #[error("the TSA URL {0} is not http:// (this build speaks HTTP only; RFC 3161 replies are signed, so use the TSA's http:// address)")]
    Url(String),
    #[error("the TSA can't be reached: {0}")]
    Unreachable(String),
    #[error("the TSA answered HTTP {0}")]
    Http(u16),
    #[error("the TSA's reply is not a time-stamp response: {0}")]
    Malformed(String),
    #[error("the TSA refused the request (PKIStatus {0})")]
    Rejected(u32),
    #[error("the time-stamp is for other data than this signature (message imprint mismatch)")]
    Imprint,
    #[error(
        "the time-stamp does not carry this request's nonce (a replayed or substituted reply)"
    )]
    Nonce,
    #[error("the time-stamp authority's certificate may not time-stamp: {0}")]
    Eku(String),
    #[error("the time-stamp authority is not trusted: {0}")]
    Untrusted(String),
}

impl TsaError {
    pub fn code(&self) -> Code {
        match self {
            TsaError::Url(_) => Code::TsaUrl,
            TsaError::Unreachable(_) => Code::TsaUnreachable,
            TsaError::Http(_) => Code::TsaHttp,
            TsaError::Malformed(_) => Code::TsaMalformed,
            TsaError::Rejected(_) => Code::TsaRejected,
            TsaError::Imprint => Code::TsaImprint,
            TsaError::Nonce => Code::TsaNonce,
            TsaError::Eku(_) => Code::TsaEku,
            TsaError::Untrusted(_) => Code::TsaUntrusted,
        }
    }

    /// Whether `--tsa-optional` may sign without a time-stamp after this.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, TsaError::Unreachable(_) | TsaError::Http(_))
    }
}

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(body);
    out
}

/// A DER TimeStampReq for `message` (SHA-256), asking for the TSA's
/// certificates, with `nonce` (a positive INTEGER's content octets).
pub fn request(message: &[u8], nonce: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(message);
    let algorithm = der(0x30, &[der(0x06, SHA256_OID), vec![0x05, 0x00]].concat());
    let imprint = der(0x30, &[algorithm, der(0x04, &digest)].concat());
    der(
        0x30,
        &[
            der(0x02, &[1]),
            imprint,
            der(0x02, nonce),
            der(0x01, &[0xFF]), // certReq TRUE
        ]
        .concat(),
    )
}

/// A fresh nonce: 16 random octets, as a positive INTEGER's contents.
pub fn nonce() -> Vec<u8> {
    let mut n = [0u8; 16];
    OsRng.fill_bytes(&mut n);
    n[0] = (n[0] & 0x7F) | 0x40; // positive, and no leading zero octet
    n.to_vec()
}

/// What a checked reply holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The whole TimeStampResp (what c2pa's `send_timestamp_request` returns).
    pub response: Vec<u8>,
    /// genTime, seconds since the Unix epoch.
    pub time: u64,
    /// The subject of the TSA's certificate.
    pub tsa: String,
}

/// Parse a TimeStampResp and check it against the request (`message`,
/// `nonce`) and the TSA `anchors` at time `now`.
pub fn check_response(
    response: &[u8],
    message: &[u8],
    nonce: &[u8],
    anchors: &[Vec<u8>],
    now: u64,
) -> Result<Checked, TsaError> {
    let malformed = |what: &str| TsaError::Malformed(what.into());
    let resp = tlv(response)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("not a DER SEQUENCE"))?;
    let status_info = tlv(resp.body)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("no PKIStatusInfo"))?;
    let status = tlv(status_info.body)
        .filter(|t| t.tag == 0x02)
        .ok_or_else(|| malformed("no PKIStatus"))?;
    let status_value = status.body.iter().fold(0u32, |a, b| {
        a.saturating_mul(256).saturating_add(u32::from(*b))
    });
    if status.body.len() > 4 || status_value > 1 {
        return Err(TsaError::Rejected(status_value));
    }
    let token = tlv(status_info.rest)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("no time-stamp token"))?;
    let tst_info = crate::timestamp::tst_info(token.whole)
        .ok_or_else(|| malformed("the token holds no TSTInfo"))?;
    let info = crate::timestamp::parse_tst_info(tst_info)
        .ok_or_else(|| malformed("unreadable TSTInfo"))?;
    if info.hash_oid != SHA256_OID || info.hashed != Sha256::digest(message).as_slice() {
        return Err(TsaError::Imprint);
    }
    if info.nonce != Some(nonce) {
        return Err(TsaError::Nonce);
    }
    let certs = crate::timestamp::signed_data_certificates(token.whole).unwrap_or_default();
    let path = crate::timestamp::tsa_chain(certs);
    let tsa = path
        .first()
        .map(|leaf| crate::cert::subject_of(leaf))
        .unwrap_or_default();
    let roots: Vec<&[u8]> = anchors.iter().map(Vec::as_slice).collect();
    match chain::validate(&path, &roots, now, &chain::Policy::time_stamping()) {
        Ok(_) => {}
        Err(e) if e.code() == "chain.leaf_usage" => return Err(TsaError::Eku(e.to_string())),
        Err(e) if path.is_empty() => {
            return Err(TsaError::Malformed(format!(
                "the token carries no certificate ({e})"
            )))
        }
        Err(e) => return Err(TsaError::Untrusted(e.to_string())),
    }
    Ok(Checked {
        response: response.to_vec(),
        time: info.gen_time,
        tsa,
    })
}

/// Ask the TSA for a time-stamp over `message`, and check the reply.
pub fn fetch(config: &TsaConfig, message: &[u8], now: u64) -> Result<Checked, TsaError> {
    if !config.url.to_ascii_lowercase().starts_with("http://") {
        return Err(TsaError::Url(config.url.clone()));
    }
    let nonce = nonce();
    let body = request(message, &nonce);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(config.timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(&config.url)
        .header("content-type", "application/timestamp-query")
        .send(&body[..])
        .map_err(|e| TsaError::Unreachable(e.to_string()))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(TsaError::Http(status));
    }
    let reply = response
        .body_mut()
        .with_config()
        .limit(MAX_REPLY)
        .read_to_vec()
        .map_err(|e| TsaError::Unreachable(format!("reading the reply: {e}")))?;
    check_response(&reply, message, &nonce, &config.anchors, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_the_der_rfc_3161_asks_for() {
        let fixed = [0x41, 0x02, 0x03];
        let req = request(b"hello", &fixed);
        let t = tlv(&req).map(|t| (t.tag, t.rest.len()));
        assert_eq!(t, Some((0x30, 0)));
        // version 1, SHA-256 imprint, the nonce, certReq TRUE.
        let hex = hex::encode(&req);
        assert!(
            hex.starts_with("303e0201013031300d0609608648016503040201"),
            "{hex}"
        );
        assert!(hex.contains(&hex::encode(Sha256::digest(b"hello"))));
        assert!(hex.ends_with("02034102030101ff"), "{hex}");
        let n = nonce();
        assert_eq!(n.len(), 16);
        assert!(n[0] & 0x80 == 0 && n[0] != 0);
    }

    #[test]
    fn garbage_and_refusals_are_told_apart() {
        let msg = b"sig";
        let n = [0x41];
        assert_eq!(
            check_response(b"<html>", msg, &n, &[], 0).map_err(|e| e.code()),
            Err(Code::TsaMalformed)
        );
        // PKIStatusInfo { status 2 (rejection) }, no token.
        let rejected = der(0x30, &der(0x30, &der(0x02, &[2])));
        assert_eq!(
            check_response(&rejected, msg, &n, &[], 0).map_err(|e| e.code()),
            Err(Code::TsaRejected)
        );
        // Granted, but no token.
        let empty = der(0x30, &der(0x30, &der(0x02, &[0])));
        assert_eq!(
            check_response(&empty, msg, &n, &[], 0).map_err(|e| e.code()),
            Err(Code::TsaMalformed)
        );
        let huge = der(0x30, &der(0x30, &der(0x02, &[1, 0, 0, 0, 0])));
        assert_eq!(
            check_response(&huge, msg, &n, &[], 0).map_err(|e| e.code()),
            Err(Code::TsaRejected)
        );
        let cfg = TsaConfig::new("https://tsa.example", Vec::new());
        assert_eq!(fetch(&cfg, msg, 0).map_err(|e| e.code()), Err(Code::TsaUrl));
        let closed = TsaConfig {
            timeout: Duration::from_secs(2),
            ..TsaConfig::new("http://127.0.0.1:9/", Vec::new())
        };
        let e = fetch(&closed, msg, 0).map_err(|e| (e.code(), e.is_unavailable()));
        assert_eq!(e, Err((Code::TsaUnreachable, true)));
    }
}
