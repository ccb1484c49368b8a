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

/// The first time-stamp token (CMS ContentInfo) of the active manifest's
/// claim signature, or None when it carries none.
pub(crate) fn claim_time_stamp_token(store: &[u8], active: &str) -> Option<Vec<u8>> {
    let cose = claim_signature(store, active)?;
    time_stamp_token(cose)
}

/// The TSTInfo DER inside a token (ContentInfo → SignedData → eContent).
pub(crate) fn tst_info(token: &[u8]) -> Option<&[u8]> {
    let content_info = tlv(token)?.body;
    let explicit = tlv(tlv(content_info)?.rest)?.body;
    let signed_data = tlv(explicit)?.body;
    let version = tlv(signed_data)?;
    let digest_algorithms = tlv(version.rest)?;
    let encap = tlv(digest_algorithms.rest)?.body; // EncapsulatedContentInfo
    let content_type = tlv(encap)?;
    let econtent = tlv(content_type.rest).filter(|t| t.tag == 0xA0)?.body;
    let octets = tlv(econtent).filter(|t| t.tag == 0x04)?.body;
    tlv(octets).filter(|t| t.tag == 0x30).map(|t| t.whole)
}

#[cfg_attr(not(feature = "tsa"), allow(dead_code))]
pub(crate) struct TstInfo<'a> {
    pub hash_oid: &'a [u8],
    pub hashed: &'a [u8],
    pub gen_time: u64,
    pub nonce: Option<&'a [u8]>,
}

pub(crate) fn parse_tst_info(der_bytes: &[u8]) -> Option<TstInfo<'_>> {
    let body = tlv(der_bytes)?.body;
    let version = tlv(body).filter(|t| t.tag == 0x02)?;
    let policy = tlv(version.rest).filter(|t| t.tag == 0x06)?;
    let imprint = tlv(policy.rest).filter(|t| t.tag == 0x30)?;
    let algorithm = tlv(imprint.body).filter(|t| t.tag == 0x30)?;
    let oid = tlv(algorithm.body).filter(|t| t.tag == 0x06)?;
    let hashed = tlv(algorithm.rest).filter(|t| t.tag == 0x04)?;
    let serial = tlv(imprint.rest).filter(|t| t.tag == 0x02)?;
    let gen_time = tlv(serial.rest).filter(|t| t.tag == 0x18)?;
    let mut nonce = None;
    let mut rest = gen_time.rest;
    while let Some(field) = tlv(rest) {
        // accuracy SEQUENCE, ordering BOOLEAN, nonce INTEGER, tsa [0], extensions [1]
        if field.tag == 0x02 {
            nonce = Some(field.body);
        }
        rest = field.rest;
    }
    Some(TstInfo {
        hash_oid: oid.body,
        hashed: hashed.body,
        gen_time: generalized_time(gen_time.body)?,
        nonce,
    })
}

/// GeneralizedTime `YYYYMMDDHHMMSS[.f]Z` as seconds since the Unix epoch.
fn generalized_time(text: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(text).ok()?;
    if !s.ends_with('Z') || s.len() < 15 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(8..10)?, num(10..12)?, num(12..14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 || y < 1970
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y2, m2) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y2 / 400;
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_times_read_as_unix_seconds() {
        assert_eq!(generalized_time(b"19700101000000Z"), Some(0));
        assert_eq!(generalized_time(b"20261201183549Z"), Some(1_796_150_149));
        assert_eq!(generalized_time(b"20240229120000.5Z"), Some(1_709_208_000));
        for bad in [
            &b"2026120118354Z"[..],
            b"20261301000000Z",
            b"20261201183549",
            b"abcdefghijklmnZ",
        ] {
            assert_eq!(generalized_time(bad), None);
        }
    }
}
