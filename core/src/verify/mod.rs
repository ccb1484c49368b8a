//! Verification: bytes in, one [`Report`] out. Never panics, never fetches.

mod credentials;
mod facts;
mod status;

use credentials::signing_chain;
use facts::{actions_of, claim_generator, signed_pixels, signed_video};
use status::{
    claim_state, decide, invalid_kind, invalid_summary, report_from_error, status_entries,
};

use std::sync::Arc;

use c2pa::validation_results::StatusCodes;
use c2pa::{Context, Reader, ValidationState};

use crate::cert::signer_info;
use crate::chain::{self};
use crate::media::{identify, identify_source, probe, Limits, Loaded, MediaError, Source};
use crate::report::{ClaimedFacts, IngredientReport, Report, SignerInfo, StatusEntry, Verdict};
use crate::trust::TrustStore;

/// Failure codes that mean "the content no longer matches the signed hash".
const HARD_BINDING_MISMATCH: &[&str] = &[
    "assertion.dataHash.mismatch",
    "assertion.boxesHash.mismatch",
    "assertion.bmffHash.mismatch",
    "assertion.collectionHash.mismatch",
];
const UNTRUSTED: &str = "signingCredential.untrusted";

/// Digital source types that mean generative AI made the content.
const AI_SOURCE_TYPES: &[&str] = &[
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia",
    "http://c2pa.org/digitalsourcetype/trainedAlgorithmicData",
];

/// Where a manifest store being verified came from: embedded in (or
/// pointed at by) an asset, or detached, with no asset to check it against.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin<'a> {
    Asset(Source<'a>),
    Store(&'a [u8]),
}

impl Origin<'_> {
    /// The store read again with other settings (`context`).
    fn reader(self, context: Context, mime: &str) -> Option<Reader> {
        match self {
            Self::Asset(source) => {
                let stream = source.stream().ok()?;
                Reader::from_context(context).with_stream(mime, stream).ok()
            }
            Self::Store(store) => Reader::from_context(context)
                .with_manifest_data_and_stream(store, mime, std::io::Cursor::new(Vec::new()))
                .ok(),
        }
    }

    /// The manifest store's JUMBF bytes.
    fn store(self, mime: &str) -> Option<Vec<u8>> {
        match self {
            Self::Asset(source) => {
                let mut stream = source.stream().ok()?;
                c2pa::jumbf_io::load_jumbf_from_stream(mime, &mut stream).ok()
            }
            Self::Store(store) => Some(store.to_vec()),
        }
    }
}

/// Status code of a detached store's report: its hard binding was not
/// checked, as there is no asset to check it against.
pub const HARD_BINDING_UNCHECKED: &str = "hallmark.hardBinding.unchecked";

/// Verifies files against one trust configuration. Cheap to share across threads.
#[derive(Debug, Clone)]
pub struct Verifier {
    context: Arc<Context>,
    limits: Limits,
    has_trust: bool,
    /// BLAKE3 of the trust configuration (see [`Verifier::fingerprint`]).
    trust_digest: [u8; 32],
    /// The anchors again, for Hallmark's own path validation.
    trust: Arc<TrustStore>,
    clock: Clock,
}

/// Where the time for certificate validity comes from.
#[derive(Debug, Clone, Copy)]
enum Clock {
    /// The system clock (none on wasm32: there the time must be given, and
    /// without it every certificate is outside its validity, so nothing is trusted).
    System,
    Fixed(u64),
    Function(fn() -> u64),
}

impl Clock {
    fn now(self) -> u64 {
        match self {
            Self::Fixed(t) => t,
            Self::Function(f) => f(),
            #[cfg(not(target_arch = "wasm32"))]
            Self::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            #[cfg(target_arch = "wasm32")]
            Self::System => 0,
        }
    }
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
            "core": { "decode_identity_assertions": true },
        });
        if let Some(anchors) = trust.c2pa_anchors_pem() {
            settings["trust"]["trust_anchors"] = anchors.into();
        }
        if let Some(allowed) = trust.allowed_pem() {
            settings["trust"]["allowed_list"] = allowed.into();
        }
        if let Some(anchors) = trust.cawg_anchors_pem() {
            settings["cawg_trust"]["verify_trust_list"] = true.into();
            settings["cawg_trust"]["trust_anchors"] = anchors.into();
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
            trust: Arc::new(trust),
            clock: Clock::System,
        }
    }

    /// Validate certificates at this time (seconds since the Unix epoch)
    /// instead of the system clock's.
    pub fn at_time(mut self, unix_seconds: u64) -> Self {
        self.clock = Clock::Fixed(unix_seconds);
        self
    }

    /// Take the time from this function (wasm32, which has no system clock).
    pub fn with_clock(mut self, now: fn() -> u64) -> Self {
        self.clock = Clock::Function(now);
        self
    }

    /// What a report depends on besides the file: this version of Hallmark and
    /// of the C2PA SDK, the trust anchors and allowed list, and the limits.
    /// Equal fingerprints give equal reports for equal bytes (until
    /// certificates expire), which is what a result cache keys on.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        // The version of what a report says for the same bytes and settings:
        // bumped when that changes within one release number, so that results
        // cached before are not reused. v2: formats beyond JPEG, PNG and WebP
        // (a cached `format.unrecognized` for an MP4 is stale). v3: GIF and
        // TIFF pixels (a tampered GIF's cached report said nothing of them).
        // v4: the changed seconds of a tampered video. v5: a recovered
        // file's match kind and its entry's verdict now.
        h.update(b"hallmark verifier fingerprint v5\0");
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

    /// Verify the bytes of one file.
    pub fn verify(&self, bytes: &[u8]) -> Report {
        self.verify_source(Source::Bytes(bytes))
    }

    /// Verify an open file: audio and video are read in place (never held
    /// whole, however large), anything else is read into memory under the
    /// limits first. An unreadable file is a report with verdict `error`.
    pub fn verify_file(&self, file: &std::fs::File) -> Report {
        match crate::media::load(file, &self.limits) {
            Ok(Loaded::Bytes(bytes)) => self.verify(&bytes),
            Ok(Loaded::Streamed { len, .. }) => self.verify_source(Source::File { file, len }),
            Err(e) => Report::error(e.code(), e.to_string()),
        }
    }

    /// Verify one file, in memory or read in place.
    pub fn verify_source(&self, source: Source<'_>) -> Report {
        self.verify_with_reader(source).0
    }

    /// Verify, and keep the reference SDK's reader when the file holds a
    /// readable manifest store (for `inspect`, which shows all of it).
    pub(crate) fn verify_with_reader(&self, source: Source<'_>) -> (Report, Option<Reader>) {
        let format = match source {
            // A picture's header is read too: its size is checked against the
            // limits before anything decodes it.
            Source::Bytes(bytes) => match identify(bytes, &self.limits) {
                // (A raw or multi-page TIFF has no pixels Hallmark decodes.)
                Ok(format) if format.is_picture() => match probe(bytes, &self.limits) {
                    Err(MediaError::Unsupported { .. }) => Ok(format),
                    other => other.map(|p| p.format),
                },
                other => other,
            },
            Source::File { .. } => identify_source(source, &self.limits),
        };
        let format = match format {
            Ok(format) => format,
            Err(e) => return (Report::error(e.code(), e.to_string()), None),
        };
        let mime = format.mime();
        let reader = source
            .stream()
            .map_err(c2pa::Error::IoError)
            .and_then(|stream| {
                Reader::from_shared_context(&self.context).with_stream(mime, stream)
            });
        let (mut report, reader) = match reader {
            Ok(reader) => (
                self.report_from_reader(&reader, Origin::Asset(source), mime),
                Some(reader),
            ),
            Err(e) => (report_from_error(e), None),
        };
        if report.verdict == Verdict::Tampered {
            self.compare_pixels(source, format, &mut report);
        }
        report.format = Some(mime.to_string());
        (report, reader)
    }

    /// Verify a manifest store on its own (JUMBF bytes, as `GET
    /// /manifests/{id}` serves them or the registry keeps them), with no
    /// asset: the claim signature, the signer's chain against this
    /// verifier's trust, time-stamps, identities and ingredients are checked
    /// as for a file, and the hard binding (which needs the asset) is not.
    /// A store whose only failures are hard-binding mismatches gets the
    /// verdict its signature earns, with an informational
    /// [`HARD_BINDING_UNCHECKED`] status; `format` is the media type the
    /// claim was made for (any type c2pa reads will do).
    pub fn verify_store(&self, store: &[u8], format: &str) -> Report {
        if store.len() as u64 > self.limits.max_file_bytes {
            return Report::error(
                crate::code::Code::LimitsFileSize,
                format!(
                    "the manifest store is {} bytes, over the limit of {}",
                    store.len(),
                    self.limits.max_file_bytes
                ),
            );
        }
        let reader = Reader::from_shared_context(&self.context).with_manifest_data_and_stream(
            store,
            format,
            std::io::Cursor::new(Vec::new()),
        );
        let mut report = match reader {
            Ok(reader) => self.report_from_reader(&reader, Origin::Store(store), format),
            Err(e) => report_from_error(e),
        };
        if report.verdict == Verdict::Unsigned {
            // There is no asset whose lack of credentials this could describe.
            report = Report::new(
                Verdict::Invalid,
                "Invalid Content Credentials: the data is not a manifest store",
            );
            report.status.push(StatusEntry {
                code: crate::code::Code::ManifestMalformed.into(),
                kind: "failure".into(),
                explanation: Some("no C2PA manifest store was found in the data".into()),
                scope: Some("manifest".into()),
                url: None,
            });
        }
        report
    }

    fn report_from_reader(&self, reader: &Reader, origin: Origin<'_>, mime: &str) -> Report {
        let empty = StatusCodes::default();
        let codes = reader
            .validation_results()
            .and_then(|r| r.active_manifest())
            .unwrap_or(&empty);
        // A detached store has no asset: its hard-binding checks fail
        // because there is nothing to hash, and say nothing about it.
        let detached;
        let codes = if let Origin::Store(_) = origin {
            detached = without_hard_binding(codes);
            &detached
        } else {
            codes
        };
        let mut status = status_entries(codes);
        if let Origin::Store(_) = origin {
            status.push(StatusEntry {
                code: HARD_BINDING_UNCHECKED.into(),
                kind: "informational".into(),
                explanation: Some(
                    "a manifest store on its own: its hard binding to an asset was not checked"
                        .into(),
                ),
                scope: Some("hallmark".into()),
                url: None,
            });
        }
        let Some(manifest) = reader.active_manifest() else {
            if codes.failure().is_empty() {
                return Report::new(
                    Verdict::Unsigned,
                    "No Content Credentials (no active manifest)",
                );
            }
            // A store whose active manifest c2pa could not load.
            let mut report = Report::new(Verdict::Invalid, String::new());
            report.summary = invalid_summary(&status);
            report.status = status;
            return report;
        };
        // c2pa's state over the claim's own statuses; CAWG identity statuses
        // are weighed apart (below), as the reference validator does.
        let (claim_state, identity_failures) = claim_state(reader, codes);
        let c2pa_verdict = match claim_state {
            ValidationState::Trusted => Verdict::Trusted,
            ValidationState::Valid => Verdict::Valid,
            ValidationState::Invalid => invalid_kind(codes),
        };
        let mut identities = crate::cawg::identities(manifest, &mut status);
        self.revalidate_identities(&mut identities, &mut status, origin, mime);
        let identity_failures =
            identity_failures || identities.iter().any(|i| !i.status.is_empty());
        let ica_failure = status
            .iter()
            .any(|s| s.kind == "failure" && s.code.starts_with("cawg.ica."));
        let chain = signing_chain(manifest);
        let mut signer = signer_info(&chain);
        // A trusted time-stamp: the signer's chain is validated at its time.
        let time_stamp = manifest
            .signature_info()
            .and_then(|i| i.time.as_ref())
            .map(|_| self.check_time_stamp(reader, origin, mime));
        let validated_at = match &time_stamp {
            Some(Ok(t)) => *t,
            _ => self.clock.now(),
        };
        // The rule (DESIGN.md): c2pa's Trusted is necessary, never sufficient.
        // Hallmark re-validates the chain it rests on and may only lower it.
        let mut distrust = None;
        let mut chain_ok = None;
        if decide(c2pa_verdict, ica_failure, identity_failures, Some(true)) == Verdict::Trusted {
            chain_ok = Some(false);
            match self.vouch(
                &chain,
                self.trust.anchors(),
                self.trust.allowed(),
                &chain::Policy::c2pa_signer(),
                validated_at,
            ) {
                Ok((anchor, subjects)) => {
                    chain_ok = Some(true);
                    if let Some(signer) = signer.as_mut() {
                        signer.trusted = true;
                        signer.anchor = Some(anchor);
                        signer.chain = subjects;
                    }
                }
                Err(e) => {
                    status.insert(
                        0,
                        StatusEntry {
                            code: UNTRUSTED.into(),
                            kind: "failure".into(),
                            explanation: Some(format!(
                                "Hallmark's certificate path validation refused the signer's chain: {e}"
                            )),
                            scope: Some("hallmark".into()),
                            url: None,
                        },
                    );
                    status.push(StatusEntry {
                        code: e.code().into(),
                        kind: "informational".into(),
                        explanation: Some(e.to_string()),
                        scope: Some("hallmark".into()),
                        url: None,
                    });
                    distrust = Some(e);
                }
            }
        }
        let verdict = decide(c2pa_verdict, ica_failure, identity_failures, chain_ok);

        let mut report = Report::new(verdict, String::new());
        report.signed_pixels = signed_pixels(manifest);
        report.signed_video = signed_video(manifest);
        let (actions, source_type) = actions_of(manifest);
        report.ai_generated = source_type
            .as_deref()
            .is_some_and(|t| AI_SOURCE_TYPES.contains(&t));
        report.actions = actions;
        report.digital_source_type = source_type;
        report.claim_generator = claim_generator(manifest);
        report.title = manifest.title().map(str::to_string);
        report.signed_at = manifest.signature_info().and_then(|i| i.time.clone());
        if let Some(Err(why)) = &time_stamp {
            let time = report.signed_at.take().unwrap_or_default();
            status.push(StatusEntry {
                code: "timeStamp.untrusted".into(),
                kind: "informational".into(),
                explanation: Some(format!(
                    "Hallmark's certificate path validation refused the time-stamp authority, so the time-stamp ({time}) dates nothing: {why}"
                )),
                scope: Some("hallmark".into()),
                url: None,
            });
        }
        report.ingredients = manifest
            .ingredients()
            .iter()
            .map(|ingredient| IngredientReport {
                title: ingredient.title().map(str::to_string),
                relationship: serde_json::to_value(ingredient.relationship())
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string)),
                verdict: self.ingredient_verdict(reader, ingredient),
            })
            .collect();
        report.identities = identities;
        let first_failure = status
            .iter()
            .find(|s| s.kind == "failure" && s.code != UNTRUSTED);
        report.summary = match verdict {
            Verdict::Trusted | Verdict::Valid => {
                let who = signer
                    .as_ref()
                    .map_or_else(|| "an unnamed signer".into(), SignerInfo::quoted_name);
                let trust = if verdict == Verdict::Trusted {
                    "trusted".to_string()
                } else if let Some(e) = &distrust {
                    format!("intact, but not trusted: {e}")
                } else if self.has_trust
                    && codes
                        .success()
                        .iter()
                        .any(|s| s.code() == "signingCredential.trusted")
                {
                    // c2pa trusts the signer, but not the store as a whole:
                    // an ingredient's credentials fail (C2PA 2.2, "trusted manifest").
                    "intact and its signer trusted, but an ingredient's credentials are not, so the file is not trusted as a whole".to_string()
                } else if self.has_trust {
                    "intact, but the signer is not in the trust list".to_string()
                } else {
                    "intact; no trust list given, so the signer is unverified".to_string()
                };
                let ai = if report.ai_generated { "; AI-generated" } else { "" };
                // A trusted time-stamp dates the signature (and keeps it good
                // after the signing certificate expires).
                let stamped = report
                    .signed_at
                    .as_deref()
                    .map(|t| format!("; time-stamped {t}"))
                    .unwrap_or_default();
                format!("Signed by {who}; {trust}{ai}{stamped}")
            }
            Verdict::Tampered => format!(
                "Tampered: the content changed after it was signed ({}); the credentials do not vouch for this file",
                first_failure.map_or("hash mismatch", |s| s.code.as_str())
            ),
            _ => invalid_summary(&status),
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
                ingredients: std::mem::take(&mut report.ingredients),
            });
            report.signed_at = None;
        }
        report.status = status;
        report
    }
}

/// The label of a manifest store's active manifest (its manifest id, as the
/// Soft Binding Resolution API names stores), read without validating
/// anything; None when the data is not a store c2pa can parse.
#[cfg_attr(not(feature = "registry"), allow(dead_code))]
pub fn active_label(store: &[u8], format: &str) -> Option<String> {
    let context = Context::new()
        .with_settings(serde_json::json!({
            "verify": {
                "verify_after_reading": false,
                "remote_manifest_fetch": false,
                "ocsp_fetch": false,
            },
        }))
        .ok()?;
    Origin::Store(store)
        .reader(context, format)?
        .active_label()
        .map(str::to_string)
}

/// `codes` less the failures of hard-binding checks.
fn without_hard_binding(codes: &StatusCodes) -> StatusCodes {
    let mut out = StatusCodes::default();
    for s in codes.success().iter().chain(codes.informational()) {
        out.add_status(s.clone());
    }
    for s in codes.failure() {
        if !HARD_BINDING_MISMATCH.contains(&s.code()) {
            out.add_status(s.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank(v: Verdict) -> u8 {
        match v {
            Verdict::Trusted => 3,
            Verdict::Valid => 2,
            _ => 1,
        }
    }

    #[test]
    fn hallmark_only_ever_lowers_c2pa_and_trusted_needs_both() {
        let mut combos = 0;
        for c2pa in [
            Verdict::Trusted,
            Verdict::Valid,
            Verdict::Tampered,
            Verdict::Invalid,
        ] {
            for ica in [false, true] {
                for identity in [false, true] {
                    for chain in [None, Some(false), Some(true)] {
                        let got = decide(c2pa, ica, identity, chain);
                        combos += 1;
                        assert!(
                            rank(got) <= rank(c2pa),
                            "{c2pa:?} {ica} {identity} {chain:?}: {got:?}"
                        );
                        let expected = match (c2pa, ica, identity, chain) {
                            (Verdict::Tampered, ..) => Verdict::Tampered,
                            (Verdict::Invalid, ..) => Verdict::Invalid,
                            (_, true, _, _) => Verdict::Invalid,
                            (Verdict::Trusted, false, false, Some(true)) => Verdict::Trusted,
                            _ => Verdict::Valid,
                        };
                        assert_eq!(got, expected, "{c2pa:?} {ica} {identity} {chain:?}");
                    }
                }
            }
        }
        assert_eq!(combos, 48);
    }
}
