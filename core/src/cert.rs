//! Certificates as data: PEM bundles in and out, and what a certificate
//! names (subject, issuer, validity) as people read it. A leaf module:
//! identities, trust stores, the verifier and `inspect` all build on it.

use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::report::SignerInfo;

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

/// What a DER certificate says, or None when it can't be read.
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

/// Parse every CERTIFICATE block of a PEM bundle.
pub(crate) fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut certs = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| format!("bad PEM: {e}"))?;
        if block.label == "CERTIFICATE" {
            x509_parser::parse_x509_certificate(&block.contents)
                .map_err(|e| format!("bad certificate: {e}"))?;
            certs.push(block.contents);
        }
    }
    if certs.is_empty() {
        return Err("no PEM CERTIFICATE block found".into());
    }
    Ok(certs)
}

pub(crate) fn to_pem(der: &[u8]) -> String {
    use pkcs8::der::pem::{encode_string, LineEnding};
    encode_string("CERTIFICATE", LineEnding::LF, der).unwrap_or_default()
}
