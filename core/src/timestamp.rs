//! The certificates of a claim signature's RFC 3161 time-stamp, so that
//! Hallmark can re-validate the time-stamp authority's chain itself (c2pa
//! 0.90's native check verifies only the signatures of that chain).
//!
//! The path: the manifest store (JUMBF) → the active manifest's
//! `c2pa.signature` box → its COSE_Sign1 → the `sigTst2` (or `sigTst`)
//! header → the first time-stamp token (CMS ContentInfo) → SignedData's
//! certificates. Everything is bounded by the input; nothing is allocated
//! beyond the certificates returned.

use crate::der::tlv;
use coset::cbor::Value;
use coset::{Label, TaggedCborSerializable};

/// One box: its type, its payload, and what follows it.
fn next_box(input: &[u8]) -> Option<([u8; 4], &[u8], &[u8])> {
    let size = u32::from_be_bytes(input.get(..4)?.try_into().ok()?) as usize;
    let kind: [u8; 4] = input.get(4..8)?.try_into().ok()?;
    let (header, size) = match size {
        1 => {
            let large = u64::from_be_bytes(input.get(8..16)?.try_into().ok()?);
            (16, usize::try_from(large).ok()?)
        }
        0 => (8, input.len()),
        n => (8, n),
    };
    if size < header || size > input.len() {
        return None;
    }
    Some((kind, &input[header..size], &input[size..]))
}

/// The children of a JUMBF superbox payload.
fn children(mut payload: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    while let Some((kind, body, rest)) = next_box(payload) {
        out.push((kind, body));
        payload = rest;
    }
    out
}

/// A superbox's label, from its description box.
fn label(children: &[([u8; 4], &[u8])]) -> Option<String> {
    let (kind, desc) = children.first()?;
    if kind != b"jumd" {
        return None;
    }
    let toggles = *desc.get(16)?;
    if toggles & 0x02 == 0 {
        return None;
    }
    let text = desc.get(17..)?;
    let end = text.iter().position(|b| *b == 0)?;
    String::from_utf8(text[..end].to_vec()).ok()
}

/// The labelled child superbox of a superbox.
fn child<'a>(children: &[([u8; 4], &'a [u8])], wanted: &str) -> Option<Vec<([u8; 4], &'a [u8])>> {
    children
        .iter()
        .filter(|(kind, _)| kind == b"jumb")
        .map(|(_, body)| self::children(body))
        .find(|c| label(c).as_deref() == Some(wanted))
}

/// The active manifest's COSE_Sign1 bytes.
fn claim_signature<'a>(store: &'a [u8], active: &str) -> Option<&'a [u8]> {
    let (kind, body, _) = next_box(store)?;
    if &kind != b"jumb" {
        return None;
    }
    let top = children(body);
    let manifest = child(&top, active)?;
    let signature = child(&manifest, "c2pa.signature")?;
    signature
        .iter()
        .find(|(kind, _)| kind == b"cbor")
        .map(|(_, body)| *body)
}

/// The first time-stamp token of a COSE_Sign1's unprotected header.
fn time_stamp_token(cose: &[u8]) -> Option<Vec<u8>> {
    let sign1 = coset::CoseSign1::from_tagged_slice(cose).ok()?;
    let container = sign1
        .unprotected
        .rest
        .iter()
        .find_map(|(label, value)| match label {
            Label::Text(t) if t == "sigTst2" || t == "sigTst" => Some(value),
            _ => None,
        })?;
    let Value::Map(entries) = container else {
        return None;
    };
    let tokens = entries.iter().find_map(|(k, v)| match (k, v) {
        (Value::Text(k), Value::Array(tokens)) if k == "tstTokens" => Some(tokens),
        _ => None,
    })?;
    tokens.iter().find_map(|token| match token {
        Value::Map(fields) => fields.iter().find_map(|(k, v)| match (k, v) {
            (Value::Text(k), Value::Bytes(val)) if k == "val" => Some(val.clone()),
            _ => None,
        }),
        _ => None,
    })
}

/// The certificates (DER) of a CMS ContentInfo holding SignedData.
pub(crate) fn signed_data_certificates(token: &[u8]) -> Option<Vec<Vec<u8>>> {
    let content_info = tlv(token)?.body; // ContentInfo SEQUENCE
    let explicit = tlv(tlv(content_info)?.rest)?.body; // after contentType: [0] EXPLICIT
    let signed_data = tlv(explicit)?.body; // SignedData SEQUENCE
    let version = tlv(signed_data)?;
    let digest_algorithms = tlv(version.rest)?;
    let encap = tlv(digest_algorithms.rest)?;
    let mut rest = encap.rest;
    while let Some(field) = tlv(rest) {
        if field.tag == 0xA0 {
            let mut certs = Vec::new();
            let mut items = field.body;
            while let Some(item) = tlv(items) {
                if item.tag == 0x30 {
                    certs.push(item.whole.to_vec());
                }
                items = item.rest;
            }
            return Some(certs);
        }
        rest = field.rest;
    }
    None
}

/// The time-stamp authority's certificates for the active manifest of
/// `bytes`, or None when its claim signature carries no time-stamp.
pub(crate) fn tsa_certificates(mime: &str, bytes: &[u8], active: &str) -> Option<Vec<Vec<u8>>> {
    let store = c2pa::jumbf_io::load_jumbf_from_memory(mime, bytes).ok()?;
    let cose = claim_signature(&store, active)?;
    let token = time_stamp_token(cose)?;
    signed_data_certificates(&token)
}

/// Order `certs` for path validation: the time-stamping (non-CA)
/// certificate first, then the rest as given.
pub(crate) fn tsa_chain(mut certs: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let signer = certs.iter().position(|der| {
        X509Certificate::from_der(der).is_ok_and(|(_, c)| {
            !c.is_ca()
                && c.extended_key_usage()
                    .ok()
                    .flatten()
                    .is_some_and(|e| e.value.time_stamping)
        })
    });
    if let Some(i) = signer {
        let leaf = certs.remove(i);
        certs.insert(0, leaf);
    }
    certs
}
