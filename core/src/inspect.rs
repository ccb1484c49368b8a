//! Everything `hallmark inspect` shows about a file's manifest store.

use serde::Serialize;

use crate::cert::{certificate_info, parse_pem_certificates, CertificateInfo};
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
    let (report, reader) = verifier.verify_with_reader(bytes);
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
    Inspection {
        report,
        active_manifest: reader.active_label().map(str::to_string),
        manifest_store: serde_json::from_str(&reader.json()).ok(),
        certificates,
    }
}
