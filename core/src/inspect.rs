//! Reading certificates and whole manifest stores for people: who a
//! certificate names, and everything `hallmark inspect` shows.

use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::identity::parse_pem_certificates;
use crate::report::{Report, SignerInfo};
use crate::verify::Verifier;

/// One certificate of a signer's chain, as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub sha256: String,
    pub is_ca: bool,
    pub self_signed: bool,
}

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

fn first_attr(name: &X509Name<'_>, oid: &x509_parser::der_parser::Oid<'_>) -> Option<String> {
    name.iter_by_oid(oid)
        .next()
        .and_then(|a| a.as_str().ok())
        .map(str::to_string)
}

fn common_name(name: &X509Name<'_>) -> Option<String> {
    first_attr(name, &x509_parser::oid_registry::OID_X509_COMMON_NAME)
}

fn organization(name: &X509Name<'_>) -> Option<String> {
    first_attr(name, &x509_parser::oid_registry::OID_X509_ORGANIZATION_NAME)
}

/// A certificate's subject as "CN (O)".
pub(crate) fn subject_of(der: &[u8]) -> String {
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => {
            let info = SignerInfo {
                name: common_name(cert.subject()),
                organization: organization(cert.subject()),
                issuer: None,
                certificate_sha256: String::new(),
                trusted: false,
                anchor: None,
                chain: Vec::new(),
            };
            info.display_name()
        }
        Err(_) => "an unreadable certificate".into(),
    }
}

/// The signer named by the first certificate of a chain (DER, signing
/// certificate first); `chain` lists the subjects as presented.
pub(crate) fn signer_info(chain: &[Vec<u8>]) -> Option<SignerInfo> {
    let leaf = chain.first()?;
    let (_, cert) = X509Certificate::from_der(leaf).ok()?;
    Some(SignerInfo {
        name: common_name(cert.subject()),
        organization: organization(cert.subject()),
        issuer: common_name(cert.issuer()).or_else(|| organization(cert.issuer())),
        certificate_sha256: hex::encode(Sha256::digest(leaf)),
        trusted: false,
        anchor: None,
        chain: chain.iter().map(|der| subject_of(der)).collect(),
    })
}

pub(crate) fn certificate_info(der: &[u8]) -> Option<CertificateInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.raw_serial_as_string(),
        not_before: cert.validity().not_before.to_string(),
        not_after: cert.validity().not_after.to_string(),
        sha256: hex::encode(Sha256::digest(der)),
        is_ca: cert.is_ca(),
        self_signed: cert.subject() == cert.issuer(),
    })
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
