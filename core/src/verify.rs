//! Verification: bytes in, one [`Report`] out. Never panics, never fetches.

use crate::code::Code;
use std::io::Cursor;
use std::sync::Arc;

use c2pa::validation_results::StatusCodes;
use c2pa::{Context, Manifest, Reader, ValidationState};

use crate::cert::parse_pem_certificates;
use crate::cert::{signer_info, subject_of};
use crate::chain::{self, ChainError};
use crate::media::{probe, Limits};
use crate::pdq::PdqHash;
use crate::pixels::{decode_rgba8, PixelDigest, PIXELS_ASSERTION};
use crate::report::{
    AnchorInfo, ClaimedFacts, IngredientReport, Report, SignedPixels, SignerInfo, StatusEntry,
    Verdict,
};
use crate::trust::{Anchor, TrustStore};

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

    /// Hallmark re-validates the chain of every X.509 identity credential
    /// c2pa found nothing wrong with, against the CAWG anchors: trusted when
    /// it validates (the credential's subject names the identity), else a
    /// `cawg.x509.credential.untrusted` failure of that identity.
    fn revalidate_identities(
        &self,
        identities: &mut [crate::report::IdentityReport],
        status: &mut Vec<StatusEntry>,
        bytes: &[u8],
        mime: &str,
    ) {
        let wanted = |i: &crate::report::IdentityReport| {
            i.sig_type.as_deref() == Some(crate::cawg::X509_SIG_TYPE) && i.status.is_empty()
        };
        if !identities.iter().any(wanted) {
            return;
        }
        // Read once more with identity assertions left undecoded (the decoded
        // form does not carry the X.509 chain), without validating again.
        let raw = Context::new()
            .with_settings(serde_json::json!({
                "verify": {
                    "verify_after_reading": false,
                    "remote_manifest_fetch": false,
                    "ocsp_fetch": false,
                },
                "core": { "decode_identity_assertions": false },
            }))
            .unwrap_or_else(|_| Context::new());
        let chains = Reader::from_context(raw)
            .with_stream(mime, Cursor::new(bytes))
            .ok()
            .and_then(|r| r.active_manifest().map(crate::cawg::x509_chains))
            .unwrap_or_default();
        let anchors = self.trust.cawg_anchors();
        for identity in identities.iter_mut().filter(|i| wanted(i)) {
            let chain = chains.get(&identity.label).cloned().unwrap_or_default();
            if let Some(leaf) = chain.first() {
                if let Some(info) = signer_info(std::slice::from_ref(leaf)) {
                    identity.name = info.name.or(info.organization);
                }
            }
            match self.vouch(
                &chain,
                anchors,
                &[],
                &chain::Policy::c2pa_signer(),
                self.clock.now(),
            ) {
                Ok(_) => identity.trusted = true,
                Err(e) => {
                    identity.status.push(crate::cawg::X509_UNTRUSTED.into());
                    status.push(StatusEntry {
                        code: crate::cawg::X509_UNTRUSTED.into(),
                        kind: "failure".into(),
                        explanation: Some(format!(
                            "{}: Hallmark's certificate path validation refused the identity credential's chain: {e}",
                            identity.label
                        )),
                        scope: Some("identity".into()),
                        url: None,
                    });
                }
            }
        }
    }

    /// The claim signature's time-stamp: Hallmark re-validates the
    /// time-stamp authority's chain (timeStamping EKU, the TSA anchors only,
    /// every rule of [`chain`], at the current time). A time-stamp it
    /// accepts gives the time (its genTime) at which the signer's chain is
    /// validated, so a certificate that has expired since still vouches; one
    /// it refuses dates nothing (`Err`, why).
    fn check_time_stamp(&self, reader: &Reader, bytes: &[u8], mime: &str) -> Result<u64, String> {
        // A time-stamp whose token or certificates can't be read is refused
        // as well: no time is used that Hallmark did not check.
        let token = reader
            .active_label()
            .and_then(|active| crate::timestamp::claim_time_stamp_token(mime, bytes, active))
            .ok_or_else(|| "its token can't be read".to_string())?;
        let certs = crate::timestamp::signed_data_certificates(&token).unwrap_or_default();
        let chain = crate::timestamp::tsa_chain(certs);
        self.vouch(
            &chain,
            self.trust.tsa_anchors(),
            &[],
            &chain::Policy::time_stamping(),
            self.clock.now(),
        )
        .map_err(|e| e.to_string())?;
        crate::timestamp::tst_info(&token)
            .and_then(crate::timestamp::parse_tst_info)
            .map(|info| info.gen_time)
            .ok_or_else(|| "its TSTInfo can't be read".to_string())
    }

    /// Hallmark's own decision on a chain (signing certificate first) that
    /// c2pa called trusted: the allowed certificate that is this very one,
    /// or the anchor a path validated to under `policy`; or why none did.
    fn vouch(
        &self,
        chain: &[Vec<u8>],
        anchors: &[Anchor],
        allowed: &[Anchor],
        policy: &chain::Policy,
        at: u64,
    ) -> Result<(AnchorInfo, Vec<String>), ChainError> {
        let leaf = chain
            .first()
            .ok_or_else(|| ChainError::Malformed("no certificate".into()))?;
        if let Some(entry) = allowed.iter().find(|a| &a.der == leaf) {
            return Ok((anchor_info(entry), vec![subject_of(leaf)]));
        }
        let ders: Vec<&[u8]> = anchors.iter().map(|a| a.der.as_slice()).collect();
        let path = chain::validate(chain, &ders, at, policy)?;
        Ok((anchor_info(&anchors[path.anchor]), path.subjects))
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
            Ok(reader) => (self.report_from_reader(&reader, bytes, mime), Some(reader)),
            Err(e) => (report_from_error(e), None),
        };
        if report.verdict == Verdict::Tampered {
            self.compare_pixels(bytes, &mut report);
        }
        report.format = Some(mime.to_string());
        (report, reader)
    }

    fn report_from_reader(&self, reader: &Reader, bytes: &[u8], mime: &str) -> Report {
        let empty = StatusCodes::default();
        let codes = reader
            .validation_results()
            .and_then(|r| r.active_manifest())
            .unwrap_or(&empty);
        let mut status = status_entries(codes);
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
        self.revalidate_identities(&mut identities, &mut status, bytes, mime);
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
            .map(|_| self.check_time_stamp(reader, bytes, mime));
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

impl Verifier {
    /// An ingredient's verdict, from its own manifest in the store under the
    /// current trust: never from what the active signer recorded about it,
    /// which may only lower it (a recorded failure is kept, a recorded
    /// success is ignored).
    fn ingredient_verdict(&self, reader: &Reader, ingredient: &c2pa::Ingredient) -> Verdict {
        let Some(label) = ingredient.active_manifest() else {
            return Verdict::Unsigned;
        };
        let Some(manifest) = reader.get_manifest(label) else {
            // It names a manifest the store does not hold.
            return Verdict::Invalid;
        };
        let assertion = ingredient.label().map(|l| format!("/{l}"));
        // What c2pa found now, from the store (the deltas), and what the
        // active signer recorded: both may only lower the verdict.
        let mut failures: Vec<String> = Vec::new();
        if let Some(deltas) = reader
            .validation_results()
            .and_then(|r| r.ingredient_deltas())
        {
            for delta in deltas {
                let codes = delta.validation_deltas();
                let ours = assertion
                    .as_deref()
                    .is_some_and(|a| delta.ingredient_assertion_uri().ends_with(a))
                    || codes
                        .failure()
                        .iter()
                        .any(|s| s.url().is_some_and(|u| u.contains(label)));
                if ours {
                    failures.extend(codes.failure().iter().map(|s| s.code().to_string()));
                }
            }
        }
        let c2pa_untrusted = failures.iter().any(|c| c == UNTRUSTED);
        let recorded: Vec<String> = ingredient
            .validation_results()
            .and_then(|r| r.active_manifest())
            .map(|c| c.failure().iter().map(|s| s.code().to_string()).collect())
            .unwrap_or_default();
        failures.extend(recorded);
        failures.extend(
            ingredient
                .validation_status()
                .unwrap_or_default()
                .iter()
                .filter(|s| !c2pa::validation_status::is_success(s.code()))
                .map(|s| s.code().to_string()),
        );
        if failures.iter().any(|c| c != UNTRUSTED) {
            let mismatch_only = failures
                .iter()
                .all(|c| c == UNTRUSTED || HARD_BINDING_MISMATCH.contains(&c.as_str()));
            return if mismatch_only {
                Verdict::Tampered
            } else {
                Verdict::Invalid
            };
        }
        // c2pa's own "untrusted" for this ingredient, found now, is never raised.
        if c2pa_untrusted {
            return Verdict::Valid;
        }
        let chain = signing_chain(manifest);
        // (An ingredient's own time-stamp is not consulted: its chain is
        // validated now, which can only lower its verdict.)
        match self.vouch(
            &chain,
            self.trust.anchors(),
            self.trust.allowed(),
            &chain::Policy::c2pa_signer(),
            self.clock.now(),
        ) {
            Ok(_) => Verdict::Trusted,
            Err(_) => Verdict::Valid,
        }
    }
}

/// A manifest's signing chain (DER, signing certificate first), as c2pa read it.
fn signing_chain(manifest: &Manifest) -> Vec<Vec<u8>> {
    manifest
        .signature_info()
        .and_then(|info| parse_pem_certificates(info.cert_chain().as_bytes()).ok())
        .unwrap_or_default()
}

fn anchor_info(anchor: &Anchor) -> AnchorInfo {
    use sha2::Digest;
    AnchorInfo {
        name: subject_of(&anchor.der),
        certificate_sha256: hex::encode(sha2::Sha256::digest(&anchor.der)),
        source: anchor.source.clone(),
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

/// The rule (DESIGN.md): Hallmark may only lower c2pa's answer, never raise
/// it. `c2pa` is c2pa's verdict on the claim (its state over the claim's own
/// statuses, Invalid split into tampered and invalid); `ica_failure`, a
/// broken CAWG identity claims aggregation credential (invalid, as the
/// reference decides); `identity_failure`, any other CAWG identity failure
/// (valid at most); `chain`, Hallmark's own path validation of the signer
/// (None: not run). Trusted needs c2pa's Trusted and Hallmark's Some(true).
pub(crate) fn decide(
    c2pa: Verdict,
    ica_failure: bool,
    identity_failure: bool,
    chain: Option<bool>,
) -> Verdict {
    match c2pa {
        Verdict::Trusted | Verdict::Valid if ica_failure => Verdict::Invalid,
        Verdict::Trusted if identity_failure || chain != Some(true) => Verdict::Valid,
        other => other,
    }
}

fn invalid_summary(status: &[StatusEntry]) -> String {
    let first_failure = status
        .iter()
        .find(|s| s.kind == "failure" && s.code != UNTRUSTED);
    format!(
        "Invalid Content Credentials: {}",
        first_failure.map_or_else(
            || "the manifest does not validate".to_string(),
            |s| match &s.explanation {
                Some(why) => format!("{} ({why})", s.code),
                None => s.code.clone(),
            }
        )
    )
}

/// c2pa's validation state over the active manifest's statuses less those
/// of CAWG identity assertions; and whether any of those was a failure.
fn claim_state(reader: &Reader, codes: &StatusCodes) -> (ValidationState, bool) {
    let mut claim = StatusCodes::default();
    let mut identity_failure = false;
    for (list, failure) in [
        (codes.success(), false),
        (codes.informational(), false),
        (codes.failure(), true),
    ] {
        for s in list {
            if scope_of(s) == "identity" {
                identity_failure |= failure;
            } else {
                claim.add_status(s.clone());
            }
        }
    }
    let mut results =
        c2pa::validation_results::ValidationResults::default().add_active_manifest(claim);
    if let Some(deltas) = reader
        .validation_results()
        .and_then(|r| r.ingredient_deltas())
    {
        for delta in deltas {
            results = results.add_ingredient_delta(delta.clone());
        }
    }
    (results.validation_state(), identity_failure)
}

/// Split the reference validator's Invalid into tampered (content changed
/// under a sound signature) and invalid (anything else).
fn invalid_kind(codes: &StatusCodes) -> Verdict {
    let signature_ok = codes
        .success()
        .iter()
        .any(|s| s.code() == "claimSignature.validated");
    let failures: Vec<_> = codes
        .failure()
        .iter()
        .filter(|s| scope_of(s) != "identity")
        .collect();
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

fn status_entries(codes: &StatusCodes) -> Vec<StatusEntry> {
    let mut out = Vec::new();
    for (kind, list) in [
        ("failure", codes.failure()),
        ("informational", codes.informational()),
    ] {
        for s in list {
            let scope = scope_of(s);
            let code = match (scope, s.code()) {
                // The identity credential's trust, never the claim signer's.
                ("identity", "signingCredential.untrusted") => "cawg.x509.credential.untrusted",
                ("identity", "signingCredential.trusted") => "cawg.x509.credential.trusted",
                (_, code) => code,
            };
            out.push(StatusEntry {
                code: code.to_string(),
                kind: kind.to_string(),
                explanation: s.explanation().map(str::to_string),
                scope: Some(scope.into()),
                url: s.url().map(str::to_string),
            });
        }
    }
    out
}

/// What a status entry of the active manifest is about: a CAWG identity
/// assertion (`cawg.*` codes, or a URL into a `cawg.identity` assertion) is
/// never the claim signer's.
fn scope_of(s: &c2pa::validation_status::ValidationStatus) -> &'static str {
    let code = s.code();
    if code.starts_with("cawg.") || s.url().is_some_and(|u| u.contains("cawg.identity")) {
        "identity"
    } else if s.ingredient_uri().is_some() || code.starts_with("ingredient.") {
        "ingredient"
    } else {
        "claim_signature"
    }
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
            Code::FormatMalformed,
            format!("the file's structure can't be read: {e}"),
        ),
        other => {
            let mut report = Report::new(
                Verdict::Invalid,
                format!("Invalid Content Credentials: the manifest store can't be read ({other})"),
            );
            report.status.push(StatusEntry {
                code: Code::ManifestMalformed.into(),
                kind: "failure".into(),
                explanation: Some(other.to_string()),
                scope: Some("manifest".into()),
                url: None,
            });
            report
        }
    }
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
