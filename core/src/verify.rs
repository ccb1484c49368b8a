//! Verification: bytes in, one [`Report`] out. Never panics, never fetches.

use std::io::Cursor;
use std::sync::Arc;

use c2pa::validation_results::StatusCodes;
use c2pa::{Context, Manifest, Reader, ValidationState};

use crate::inspect::signer_info;
use crate::media::{probe, Limits};
use crate::pdq::PdqHash;
use crate::pixels::{decode_rgba8, PixelDigest, PIXELS_ASSERTION};
use crate::report::{ClaimedFacts, IngredientReport, Report, SignedPixels, StatusEntry, Verdict};
use crate::trust::TrustStore;

/// Failure codes that mean "the content no longer matches the signed hash".
const HARD_BINDING_MISMATCH: &[&str] = &[
    "assertion.dataHash.mismatch",
    "assertion.boxesHash.mismatch",
    "assertion.bmffHash.mismatch",
    "assertion.collectionHash.mismatch",
];
const UNTRUSTED: &str = "signingCredential.untrusted";
const TRUSTED: &str = "signingCredential.trusted";

/// Digital source types that mean generative AI made the content.
const AI_SOURCE_TYPES: &[&str] = &[
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia",
    "http://c2pa.org/digitalsourcetype/trainedAlgorithmicData",
];

/// Verifies files against one trust configuration. Cheap to share across threads.
#[derive(Debug, Clone)]
pub struct Verifier {
    context: Arc<Context>,
    limits: Limits,
    has_trust: bool,
    /// BLAKE3 of the trust configuration (see [`Verifier::fingerprint`]).
    trust_digest: [u8; 32],
}

impl Verifier {
    /// A verifier trusting what `trust` holds (nothing, when it is empty).
    pub fn new(trust: TrustStore) -> Self {
        let mut settings = serde_json::json!({
            "verify": {
                "verify_after_reading": true,
                "verify_trust": true,
                "remote_manifest_fetch": false,
                "ocsp_fetch": false,
            },
            "core": { "decode_identity_assertions": false },
        });
        if let Some(anchors) = trust.anchors_pem() {
            settings["trust"]["trust_anchors"] = anchors.into();
        }
        if let Some(allowed) = trust.allowed_pem() {
            settings["trust"]["allowed_list"] = allowed.into();
        }
        // Settings we built from parsed certificates are always accepted; if c2pa
        // ever refused them, verify with no trust rather than with a wrong one.
        let context = Context::new()
            .with_settings(settings)
            .unwrap_or_else(|_| Context::new());
        Self {
            context: Arc::new(context),
            limits: Limits::default(),
            has_trust: !trust.is_empty(),
            trust_digest: trust.digest(),
        }
    }

    /// What a report depends on besides the file: this version of Hallmark and
    /// of the C2PA SDK, the trust anchors and allowed list, and the limits.
    /// Equal fingerprints give equal reports for equal bytes (until
    /// certificates expire), which is what a result cache keys on.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"hallmark verifier fingerprint v1\0");
        h.update(crate::CLAIM_GENERATOR.as_bytes());
        h.update(b"\0");
        h.update(c2pa::VERSION.as_bytes());
        h.update(b"\0");
        h.update(&self.trust_digest);
        h.update(format!("{:?}", self.limits).as_bytes());
        *h.finalize().as_bytes()
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Read a file under the size limit and verify it, as `hallmark verify`
    /// does; a file that can't be read gives an `error` report. `path` is set.
    pub fn verify_file(&self, path: &std::path::Path) -> Report {
        let mut report = match crate::input::read_input(path, self.limits.max_file_bytes) {
            Ok(bytes) => self.verify(&bytes),
            Err(e) => Report::error(e.code(), e.to_string()),
        };
        report.path = Some(path.display().to_string());
        report
    }

    /// Verify the bytes of one file.
    pub fn verify(&self, bytes: &[u8]) -> Report {
        self.verify_with_reader(bytes).0
    }

    /// Verify, and keep the reference SDK's reader when the bytes hold a
    /// readable manifest store (for `inspect`, which shows all of it).
    pub(crate) fn verify_with_reader(&self, bytes: &[u8]) -> (Report, Option<Reader>) {
        let media = match probe(bytes, &self.limits) {
            Ok(media) => media,
            Err(e) => return (Report::error(e.code(), e.to_string()), None),
        };
        let mime = media.format.mime();
        let reader =
            Reader::from_shared_context(&self.context).with_stream(mime, Cursor::new(bytes));
        let (mut report, reader) = match reader {
            Ok(reader) => (self.report_from_reader(&reader), Some(reader)),
            Err(e) => (report_from_error(e), None),
        };
        if report.verdict == Verdict::Tampered {
            self.compare_pixels(bytes, &mut report);
        }
        report.format = Some(mime.to_string());
        (report, reader)
    }

    fn report_from_reader(&self, reader: &Reader) -> Report {
        let Some(manifest) = reader.active_manifest() else {
            return Report::new(
                Verdict::Unsigned,
                "No Content Credentials (no active manifest)",
            );
        };
        let empty = StatusCodes::default();
        let codes = reader
            .validation_results()
            .and_then(|r| r.active_manifest())
            .unwrap_or(&empty);
        let status = status_entries(codes);
        let verdict = match reader.validation_state() {
            ValidationState::Trusted => Verdict::Trusted,
            ValidationState::Valid => Verdict::Valid,
            ValidationState::Invalid => invalid_kind(codes),
        };
        let signer = manifest
            .signature_info()
            .and_then(|info| signer_info(info.cert_chain(), verdict == Verdict::Trusted));

        let mut report = Report::new(verdict, String::new());
        report.signed_pixels = signed_pixels(manifest);
        let (actions, source_type) = actions_of(manifest);
        report.ai_generated = source_type
            .as_deref()
            .is_some_and(|t| AI_SOURCE_TYPES.contains(&t));
        report.actions = actions;
        report.digital_source_type = source_type;
        report.claim_generator = claim_generator(manifest);
        report.title = manifest.title().map(str::to_string);
        report.signed_at = manifest.signature_info().and_then(|i| i.time.clone());
        report.ingredients = manifest
            .ingredients()
            .iter()
            .map(|ingredient| IngredientReport {
                title: ingredient.title().map(str::to_string),
                relationship: serde_json::to_value(ingredient.relationship())
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string)),
                verdict: match (
                    ingredient.active_manifest(),
                    ingredient.validation_results(),
                ) {
                    (None, _) => Verdict::Unsigned,
                    (Some(_), Some(results)) => match results.active_manifest() {
                        Some(codes) => ingredient_verdict(codes),
                        None => Verdict::Valid,
                    },
                    (Some(_), None) => Verdict::Valid,
                },
            })
            .collect();
        let first_failure = status
            .iter()
            .find(|s| s.kind == "failure" && s.code != UNTRUSTED);
        report.summary = match verdict {
            Verdict::Trusted | Verdict::Valid => {
                let who = signer
                    .as_ref()
                    .map_or_else(|| "an unnamed signer".into(), |s| s.display_name());
                let trust = if verdict == Verdict::Trusted {
                    "trusted".to_string()
                } else if self.has_trust {
                    "intact, but the signer is not in the trust list".to_string()
                } else {
                    "intact; no trust list given, so the signer is unverified".to_string()
                };
                let ai = if report.ai_generated { "; AI-generated" } else { "" };
                format!("Signed by {who}; {trust}{ai}")
            }
            Verdict::Tampered => format!(
                "Tampered: the content changed after it was signed ({}); the credentials do not vouch for this file",
                first_failure.map_or("hash mismatch", |s| s.code.as_str())
            ),
            _ => format!(
                "Invalid Content Credentials: {}",
                first_failure.map_or_else(
                    || "the manifest does not validate".to_string(),
                    |s| match &s.explanation {
                        Some(why) => format!("{} ({why})", s.code),
                        None => s.code.clone(),
                    }
                )
            ),
        };
        if matches!(verdict, Verdict::Trusted | Verdict::Valid) {
            report.signer = signer;
        } else {
            // Nothing a broken manifest says is shown as a fact about this file.
            report.claimed_signer = signer;
            report.claimed = Some(ClaimedFacts {
                title: report.title.take(),
                claim_generator: report.claim_generator.take(),
                digital_source_type: report.digital_source_type.take(),
                ai_generated: std::mem::take(&mut report.ai_generated),
                actions: std::mem::take(&mut report.actions),
            });
            report.signed_at = None;
        }
        report.status = status;
        report
    }
}

/// What the manifest recorded about the signed pixels (Hallmark's own assertion).
fn signed_pixels(manifest: &Manifest) -> Option<SignedPixels> {
    let value = manifest
        .assertions()
        .iter()
        .find(|a| a.label() == PIXELS_ASSERTION)?
        .value()
        .ok()?;
    Some(SignedPixels {
        digest: PixelDigest::from_hex(value.get("digest")?.as_str()?)?,
        pdq: PdqHash::from_hex(value.get("pdq")?.as_str()?)?,
    })
}

impl Verifier {
    /// When the hard binding fails, tell "container rewritten, pixels intact"
    /// from "pixels changed" by decoding what is there now.
    fn compare_pixels(&self, bytes: &[u8], report: &mut Report) {
        let Some(signed) = report.signed_pixels.take() else {
            return;
        };
        let Ok(image) = decode_rgba8(bytes, &self.limits) else {
            report.summary = format!("{}; the pixels can't be decoded any more", report.summary);
            return;
        };
        // PDQ is a function of the pixels: a hash that differs proves they
        // changed, and the digest (a pass over every byte) is needed only when it doesn't.
        let distance = image.binding_pdq().hash.distance(&signed.pdq);
        let digest_match = distance == 0 && image.digest().ct_eq(&signed.digest);
        report.pixels = Some(serde_json::json!({
            "digest": if digest_match { "match" } else { "mismatch" },
            "pdq_distance": distance,
        }));
        report.summary = if digest_match {
            "Tampered: container rewritten, pixels intact (the file's bytes changed after signing, but every pixel is as signed)".to_string()
        } else if distance <= crate::pdq::DEFAULT_MATCH_THRESHOLD {
            format!("Tampered: pixels changed after signing (a perceptually similar picture, PDQ distance {distance} bits)")
        } else {
            format!("Tampered: pixels changed after signing (a different picture, PDQ distance {distance} bits); the credentials do not belong to this file")
        };
    }
}

/// Split the reference validator's Invalid into tampered (content changed
/// under a sound signature) and invalid (anything else).
fn invalid_kind(codes: &StatusCodes) -> Verdict {
    let signature_ok = codes
        .success()
        .iter()
        .any(|s| s.code() == "claimSignature.validated");
    let failures = codes.failure();
    let mismatch = failures
        .iter()
        .any(|s| HARD_BINDING_MISMATCH.contains(&s.code()));
    let only_content = failures
        .iter()
        .all(|s| HARD_BINDING_MISMATCH.contains(&s.code()) || s.code() == UNTRUSTED);
    if signature_ok && mismatch && only_content {
        Verdict::Tampered
    } else {
        Verdict::Invalid
    }
}

fn ingredient_verdict(codes: &StatusCodes) -> Verdict {
    let failures = codes.failure();
    if failures.iter().all(|s| s.code() == UNTRUSTED) {
        if codes.success().iter().any(|s| s.code() == TRUSTED) {
            Verdict::Trusted
        } else {
            Verdict::Valid
        }
    } else {
        invalid_kind(codes)
    }
}

fn status_entries(codes: &StatusCodes) -> Vec<StatusEntry> {
    let mut out = Vec::new();
    for (kind, list) in [
        ("failure", codes.failure()),
        ("informational", codes.informational()),
    ] {
        for s in list {
            out.push(StatusEntry {
                code: s.code().to_string(),
                kind: kind.to_string(),
                explanation: s.explanation().map(str::to_string),
            });
        }
    }
    out
}

/// The action names of the active manifest, and the first digital source type any of them states.
fn actions_of(manifest: &Manifest) -> (Vec<String>, Option<String>) {
    let mut actions = Vec::new();
    let mut source_type = None;
    for assertion in manifest.assertions() {
        let label = assertion.label();
        if label != "c2pa.actions" && label != "c2pa.actions.v2" {
            continue;
        }
        let Ok(value) = assertion.value() else {
            continue;
        };
        let Some(list) = value.get("actions").and_then(|a| a.as_array()) else {
            continue;
        };
        for action in list {
            if let Some(name) = action.get("action").and_then(|a| a.as_str()) {
                actions.push(name.to_string());
            }
            if source_type.is_none() {
                source_type = action
                    .get("digitalSourceType")
                    .and_then(|t| t.as_str())
                    .map(str::to_string);
            }
        }
    }
    (actions, source_type)
}

fn claim_generator(manifest: &Manifest) -> Option<String> {
    if let Some(info) = manifest
        .claim_generator_info
        .as_ref()
        .and_then(|v| v.first())
    {
        return Some(match info.version.as_deref() {
            Some(version) => format!("{}/{version}", info.name),
            None => info.name.clone(),
        });
    }
    manifest.claim_generator().map(str::to_string)
}

/// Reader errors: no store is `unsigned`; a broken container is `error`;
/// a store that can't be parsed is `invalid`.
fn report_from_error(e: c2pa::Error) -> Report {
    use c2pa::Error as E;
    match e {
        E::JumbfNotFound | E::ProvenanceMissing => {
            Report::new(Verdict::Unsigned, "No Content Credentials")
        }
        E::RemoteManifestUrl(url) | E::RemoteManifestFetch(url) => {
            let mut report = Report::new(
                Verdict::Unsigned,
                format!("No embedded Content Credentials; the file points to a remote manifest at {url} (not fetched: Hallmark never goes online)"),
            );
            report.remote_manifest = Some(url);
            report
        }
        E::IoError(_)
        | E::InvalidAsset(_)
        | E::UnsupportedType
        | E::JpegError(_)
        | E::PngError(_)
        | E::RiffError(_) => Report::error(
            "format.malformed",
            format!("the file's structure can't be read: {e}"),
        ),
        other => {
            let mut report = Report::new(
                Verdict::Invalid,
                format!("Invalid Content Credentials: the manifest store can't be read ({other})"),
            );
            report.status.push(StatusEntry {
                code: "manifest.malformed".into(),
                kind: "failure".into(),
                explanation: Some(other.to_string()),
            });
            report
        }
    }
}
