//! Everything `hallmark inspect` shows about a file's manifest store.

use serde::Serialize;

use crate::cert::{certificate_info, parse_pem_certificates, CertificateInfo};
use crate::media::Source;
use crate::report::Report;
use crate::verify::Verifier;

/// Everything about a file's manifest store.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The verification report, as `verify` gives it.
    pub report: Report,
    /// The active manifest's label.
    pub active_manifest: Option<String>,
    /// The whole manifest store, as the reference SDK renders it (JSON).
    pub manifest_store: Option<serde_json::Value>,
    /// The active manifest's signing chain, signing certificate first.
    pub certificates: Vec<CertificateInfo>,
}

/// Verify `bytes` and describe their whole manifest store.
pub fn inspect(verifier: &Verifier, bytes: &[u8]) -> Inspection {
    inspect_source(verifier, Source::Bytes(bytes))
}

/// [`inspect`] a file in memory or read in place.
pub fn inspect_source(verifier: &Verifier, source: Source<'_>) -> Inspection {
    let (report, reader) = verifier.verify_with_reader(source);
    let reader = match reader {
        Some(reader) => reader,
        None => {
            return Inspection {
                report,
                active_manifest: None,
                manifest_store: None,
                certificates: Vec::new(),
            }
        }
    };
    let certificates = reader
        .active_manifest()
        .and_then(|m| m.signature_info())
        .and_then(|info| parse_pem_certificates(info.cert_chain().as_bytes()).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|der| certificate_info(der))
        .collect();
    let active_manifest = reader.active_label().map(str::to_string);
    let manifest_store = serde_json::from_str(&reader.json())
        .ok()
        .map(|store| in_order(store, active_manifest.as_deref()));
    Inspection {
        report,
        active_manifest,
        manifest_store,
        certificates,
    }
}

/// The store with its manifests in a stable order: the active one first,
/// then the others by label. The SDK lists them in the order of a hash map,
/// which changed from one run to the next (and so did `inspect`'s output).
fn in_order(mut store: serde_json::Value, active: Option<&str>) -> serde_json::Value {
    let Some(serde_json::Value::Object(manifests)) = store.get_mut("manifests") else {
        return store;
    };
    let mut entries: Vec<(String, serde_json::Value)> =
        std::mem::take(manifests).into_iter().collect();
    entries.sort_by(|(a, _), (b, _)| {
        (Some(a.as_str()) != active, a).cmp(&(Some(b.as_str()) != active, b))
    });
    manifests.extend(entries);
    store
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn manifests_are_listed_active_first_then_by_label() {
        let store = serde_json::json!({
            "active_manifest": "urn:c2pa:b",
            "manifests": {"urn:c2pa:c": {}, "urn:c2pa:b": {"title": "active"}, "urn:c2pa:a": {}}
        });
        let ordered = in_order(store, Some("urn:c2pa:b"));
        let labels: Vec<&str> = ordered["manifests"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(labels, ["urn:c2pa:b", "urn:c2pa:a", "urn:c2pa:c"]);
        assert_eq!(ordered["manifests"]["urn:c2pa:b"]["title"], "active");
    }
}
