//! CAWG identity assertions (`cawg.identity`), as c2pa decodes them: who each
//! names, with which credential type, and the status entries that belong to
//! that assertion alone, so that an identity failure is never read as the
//! claim signer's.

use c2pa::Manifest;

use crate::report::{IdentityReport, StatusEntry};

pub(crate) const X509_SIG_TYPE: &str = "cawg.x509.cose";
pub(crate) const X509_UNTRUSTED: &str = "cawg.x509.credential.untrusted";

/// The certificate chain (DER, signing certificate first) of each X.509
/// identity credential of `manifest`, by assertion label, from the undecoded
/// assertion: its `signature` is a COSE_Sign1 whose x5chain header holds it.
pub(crate) fn x509_chains(manifest: &Manifest) -> std::collections::HashMap<String, Vec<Vec<u8>>> {
    use coset::{CborSerializable, Label, TaggedCborSerializable};
    let mut out = std::collections::HashMap::new();
    for assertion in manifest.assertions() {
        let label = assertion.label();
        if !is_identity_label(label) {
            continue;
        }
        let Ok(value) = assertion.value() else {
            continue;
        };
        let Some(bytes) = value.get("signature").and_then(|s| s.as_array()).map(|a| {
            a.iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect::<Vec<u8>>()
        }) else {
            continue;
        };
        let sign1 = coset::CoseSign1::from_tagged_slice(&bytes)
            .or_else(|_| coset::CoseSign1::from_slice(&bytes));
        let Ok(sign1) = sign1 else {
            continue;
        };
        let x5chain = Label::Int(33);
        let found = sign1
            .protected
            .header
            .rest
            .iter()
            .chain(sign1.unprotected.rest.iter())
            .find(|(l, _)| *l == x5chain)
            .map(|(_, v)| v.clone());
        let chain: Vec<Vec<u8>> = match found {
            Some(coset::cbor::Value::Bytes(one)) => vec![one],
            Some(coset::cbor::Value::Array(many)) => many
                .into_iter()
                .filter_map(|v| match v {
                    coset::cbor::Value::Bytes(b) => Some(b),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        out.insert(label.to_string(), chain);
    }
    out
}

/// `cawg.identity`, or one of its numbered instances (`cawg.identity__1`…).
fn is_identity_label(label: &str) -> bool {
    label == "cawg.identity" || label.starts_with("cawg.identity__")
}

/// The signature types the CAWG identity assertion 1.1 defines.
const KNOWN_SIG_TYPES: &[&str] = &["cawg.x509.cose", "cawg.identity_claims_aggregation"];
const SIG_TYPE_UNKNOWN: &str = "cawg.identity.sig_type.unknown";

/// One report per identity assertion of `manifest`. Adds to `status` the
/// failures c2pa does not log itself (an unknown signature type).
pub(crate) fn identities(
    manifest: &Manifest,
    status: &mut Vec<StatusEntry>,
) -> Vec<IdentityReport> {
    let mut out = Vec::new();
    for assertion in manifest.assertions() {
        let label = assertion.label();
        if !is_identity_label(label) {
            continue;
        }
        let suffix = format!("/{label}");
        let value = assertion.value().ok();
        let mut identity = IdentityReport {
            label: label.to_string(),
            name: None,
            sig_type: None,
            issuer: None,
            trusted: false,
            status: Vec::new(),
        };
        if let Some(value) = value {
            let is_ica = value
                .get("type")
                .and_then(|t| t.as_array())
                .is_some_and(|t| t.iter().any(|t| t == "IdentityClaimsAggregationCredential"));
            if is_ica {
                identity.sig_type = Some("cawg.identity_claims_aggregation".into());
                identity.issuer = value
                    .get("issuer")
                    .and_then(|i| i.as_str())
                    .map(str::to_string);
                let names: Vec<&str> = value
                    .get("verifiedIdentities")
                    .and_then(|v| v.as_array())
                    .map(|list| {
                        list.iter()
                            .filter_map(|i| i.get("name").and_then(|n| n.as_str()))
                            .collect()
                    })
                    .unwrap_or_default();
                if !names.is_empty() {
                    identity.name = Some(names.join("; "));
                }
            } else {
                identity.sig_type = value
                    .pointer("/signer_payload/sig_type")
                    .and_then(|t| t.as_str())
                    .map(str::to_string);
                identity.issuer = value
                    .pointer("/signature_info/issuer")
                    .and_then(|i| i.as_str())
                    .map(str::to_string);
            }
        }
        let known = identity
            .sig_type
            .as_deref()
            .is_some_and(|t| KNOWN_SIG_TYPES.contains(&t));
        if identity.sig_type.is_some() && !known {
            status.push(StatusEntry {
                code: SIG_TYPE_UNKNOWN.into(),
                kind: "failure".into(),
                explanation: Some(format!(
                    "{label}: unknown signature type {:?}",
                    identity.sig_type.as_deref().unwrap_or_default()
                )),
                scope: Some("identity".into()),
                url: None,
            });
            identity.status.push(SIG_TYPE_UNKNOWN.into());
        }
        // The failures logged at this assertion's URL (see verify::status_entries).
        for entry in manifest_status_for(status, &suffix) {
            if entry.kind == "failure" && !identity.status.contains(&entry.code) {
                identity.status.push(entry.code.clone());
            }
        }
        // An identity claims aggregation credential is signed by its issuer's
        // DID, and c2pa's check of it is the only one. An X.509 credential
        // would be trusted only once Hallmark re-validated its chain, which
        // it does not do yet (the decoded assertion does not carry the
        // chain): it is shown as not trusted, since Hallmark only ever lowers.
        identity.trusted = identity.status.is_empty()
            && identity.sig_type.as_deref() == Some("cawg.identity_claims_aggregation");
        out.push(identity);
    }
    out
}

fn manifest_status_for<'a>(
    status: &'a [StatusEntry],
    suffix: &'a str,
) -> impl Iterator<Item = &'a StatusEntry> + 'a {
    status
        .iter()
        .filter(move |s| s.url.as_deref().is_some_and(|u| u.ends_with(suffix)))
}
