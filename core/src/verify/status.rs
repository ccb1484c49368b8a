//! From c2pa's validation results to a verdict: the rule that Hallmark only
//! ever lowers c2pa's answer, the claim's own state, the status entries and
//! scopes of the report, and the reports of files c2pa could not read.

use crate::code::Code;

use c2pa::validation_results::StatusCodes;
use c2pa::{Reader, ValidationState};

use super::{HARD_BINDING_MISMATCH, UNTRUSTED};
use crate::report::{Report, StatusEntry, Verdict};

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

pub(super) fn invalid_summary(status: &[StatusEntry]) -> String {
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
pub(super) fn claim_state(reader: &Reader, codes: &StatusCodes) -> (ValidationState, bool) {
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
pub(super) fn invalid_kind(codes: &StatusCodes) -> Verdict {
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

pub(super) fn status_entries(codes: &StatusCodes) -> Vec<StatusEntry> {
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
pub(super) fn scope_of(s: &c2pa::validation_status::ValidationStatus) -> &'static str {
    let code = s.code();
    if code.starts_with("cawg.") || s.url().is_some_and(|u| u.contains("cawg.identity")) {
        "identity"
    } else if s.ingredient_uri().is_some() || code.starts_with("ingredient.") {
        "ingredient"
    } else {
        "claim_signature"
    }
}

/// Reader errors: no store is `unsigned`; a broken container is `error`;
/// a store that can't be parsed is `invalid`.
pub(super) fn report_from_error(e: c2pa::Error) -> Report {
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
