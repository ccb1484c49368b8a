//! The x509-limbo path-validation suite (`shared/corpus/x509-limbo/limbo.json`,
//! C2SP, Apache-2.0) through Hallmark's validator (`hallmark_core::chain`),
//! and, for comparison, through c2pa 0.90's own chain check
//! (`CertificateTrustPolicy` with `rust_native_crypto`).
//!
//! Limbo's leaves are TLS certificates, so each case runs with its own EKU
//! (serverAuth, clientAuth or what it names) and without the C2PA end-entity
//! rules. Skipped, by family, with the reason printed: host-name matching
//! (C2PA signers are not TLS servers), CRLs (not implemented), and
//! `max_chain_depth` (webpki takes no such setting). Where a browser rule of
//! the `webpki::` family conflicts with an RFC 5280 case, RFC 5280 is followed.
//!
//! Run: `cargo test -p hallmark-core --test limbo -- --nocapture` prints both figures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hallmark_core::chain::{self, Policy};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde_json::Value;

const SERVER_AUTH: &[usize] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
const CLIENT_AUTH: &[usize] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];

fn der(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .expect("a PEM certificate")
        .to_vec()
}

/// RFC 3339 (`2024-01-01T00:00:00+00:00` or `Z`) to Unix seconds.
fn unix(text: &str) -> u64 {
    let (date, rest) = text.split_once('T').expect("date and time");
    let mut d = date.split('-').map(|p| p.parse::<i32>().unwrap());
    let (y, m, day) = (d.next().unwrap(), d.next().unwrap(), d.next().unwrap());
    let clock = &rest[..8];
    let mut t = clock.split(':').map(|p| p.parse::<u8>().unwrap());
    let (h, mi, s) = (t.next().unwrap(), t.next().unwrap(), t.next().unwrap());
    // Fractions of a second are dropped: validity is checked to the second.
    let zone = rest[8..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    assert!(zone == "+00:00" || zone == "Z", "{text}");
    let date =
        time::Date::from_calendar_date(y, time::Month::try_from(m as u8).unwrap(), day as u8)
            .unwrap();
    let dt =
        time::PrimitiveDateTime::new(date, time::Time::from_hms(h, mi, s).unwrap()).assume_utc();
    u64::try_from(dt.unix_timestamp()).unwrap()
}

fn oid_of(name: &str) -> Vec<usize> {
    match name {
        "serverAuth" => SERVER_AUTH.to_vec(),
        "clientAuth" => CLIENT_AUTH.to_vec(),
        "codeSigning" => vec![1, 3, 6, 1, 5, 5, 7, 3, 3],
        "emailProtection" => chain::EKU_EMAIL_PROTECTION.to_vec(),
        "timeStamping" => chain::EKU_TIME_STAMPING.to_vec(),
        "OCSPSigning" => vec![1, 3, 6, 1, 5, 5, 7, 3, 9],
        "anyExtendedKeyUsage" => vec![2, 5, 29, 37, 0],
        other => panic!("unknown EKU name {other}"),
    }
}

fn dotted(oid: &[usize]) -> String {
    oid.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// Why a case does not apply to signers of Content Credentials, or None.
fn skip_reason(case: &Value, applicable_ids: &BTreeSet<String>) -> Option<&'static str> {
    let id = case["id"].as_str().unwrap();
    let features: Vec<&str> = case["features"]
        .as_array()
        .map(|f| f.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if id.starts_with("crl::")
        || features.contains(&"has-crl")
        || !case["crls"].as_array().is_none_or(|c| c.is_empty())
    {
        return Some("CRLs (not implemented)");
    }
    if !case["max_chain_depth"].is_null() {
        return Some("max_chain_depth (webpki takes no such setting)");
    }
    for family in ["webpki::cn::", "webpki::san::", "rfc5280::san::"] {
        if id.starts_with(family) {
            return Some("host names (a C2PA signer is not a TLS server)");
        }
    }
    if matches!(
        id,
        "webpki::eku::ee-critical-eku" | "webpki::eku::root-has-eku"
    ) {
        return Some("CA/Browser Forum rule for TLS, in neither RFC 5280 nor C2PA");
    }
    if matches!(
        id,
        "rfc5280::ca-as-leaf" | "pathlen::validation-ignores-pathlen-in-leaf"
    ) {
        return Some("a CA as end entity (the C2PA signer profile forbids it)");
    }
    if id.starts_with("webpki::")
        && case["conflicts_with"].as_array().is_some_and(|c| {
            c.iter()
                .any(|o| o.as_str().is_some_and(|o| applicable_ids.contains(o)))
        })
    {
        return Some("browser rule conflicting with an RFC 5280 case");
    }
    None
}

#[test]
fn limbo_cases_against_hallmark_and_c2pa() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/x509-limbo/limbo.json");
    let suite: Value =
        serde_json::from_slice(&std::fs::read(path).expect("read limbo.json")).unwrap();
    let cases = suite["testcases"].as_array().unwrap();
    assert_eq!(cases.len(), 208);
    let rfc_ids: BTreeSet<String> = cases
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|id| id.starts_with("rfc5280::") || id.starts_with("pathlen::"))
        .map(str::to_string)
        .collect();

    let mut skipped: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let (mut applicable, mut hallmark_right, mut c2pa_right) = (0, 0, 0);
    let mut hallmark_wrong = Vec::new();
    let mut c2pa_wrong = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap().to_string();
        if let Some(why) = skip_reason(case, &rfc_ids) {
            skipped.entry(why).or_default().push(id);
            continue;
        }
        applicable += 1;
        let expect_ok = case["expected_result"] == "SUCCESS";
        let leaf = der(case["peer_certificate"].as_str().unwrap());
        let mut presented = vec![leaf.clone()];
        presented.extend(
            case["untrusted_intermediates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| der(p.as_str().unwrap())),
        );
        let anchors: Vec<Vec<u8>> = case["trusted_certs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| der(p.as_str().unwrap()))
            .collect();
        let time = match case["validation_time"].as_str() {
            Some(t) => unix(t),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        };
        let mut ekus: Vec<Vec<usize>> = case["extended_key_usage"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| oid_of(e.as_str().unwrap()))
            .collect();
        if ekus.is_empty() {
            ekus.push(if case["validation_kind"] == "CLIENT" {
                CLIENT_AUTH.to_vec()
            } else {
                SERVER_AUTH.to_vec()
            });
        }
        let policy = Policy {
            ekus: ekus.clone(),
            c2pa_leaf: false,
        };
        let ours = chain::validate(&presented, &anchors, time, &policy);
        if ours.is_ok() == expect_ok {
            hallmark_right += 1;
        } else {
            hallmark_wrong.push(format!(
                "{id} (expected {}): {ours:?}",
                case["expected_result"]
            ));
        }

        // c2pa 0.90's own check, with the case's EKU added.
        let mut c2pa_policy = c2pa::crypto::cose::CertificateTrustPolicy::new();
        let pems: String = case["trusted_certs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        let theirs = c2pa_policy
            .add_trust_anchors(pems.as_bytes())
            .map_err(|e| format!("{e:?}"))
            .and_then(|()| {
                let oids: String = ekus.iter().map(|e| dotted(e) + "\n").collect();
                c2pa_policy.add_valid_ekus(oids.as_bytes());
                c2pa_policy
                    .check_certificate_trust(&presented, &leaf, Some(time as i64))
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}"))
            });
        if theirs.is_ok() == expect_ok {
            c2pa_right += 1;
        } else {
            c2pa_wrong.push(id.clone());
        }
    }
    println!(
        "x509-limbo: {applicable} applicable cases of {}",
        cases.len()
    );
    println!("  Hallmark (hallmark_core::chain): {hallmark_right}/{applicable} right");
    println!(
        "  c2pa 0.90 CertificateTrustPolicy (rust_native_crypto): {c2pa_right}/{applicable} right"
    );
    for (why, ids) in &skipped {
        println!("  skipped {} ({why}): {}", ids.len(), ids.join(" "));
    }
    println!("  c2pa wrong on: {}", c2pa_wrong.join(" "));
    for wrong in &hallmark_wrong {
        println!("  Hallmark wrong: {wrong}");
    }
    // Known gaps, all but the last failing closed (refused though valid):
    // webpki does not build paths through self-issued certificates, nor
    // evaluate directory-name and email name constraints; the anchor of
    // cve-2024-0567 is a cross-signed certificate without an authority key
    // identifier, which Hallmark requires as RFC 5280 does (and
    // rfc5280::aki::cross-signed-root-missing-aki expects); nc-dos-3 is valid
    // but refused by implementations that bound name-constraint work, and
    // webpki's bound is not reached.
    let known: BTreeSet<&str> = [
        "cve::cve-2024-0567",
        "pathlen::self-issued-certs-pathlen",
        "rfc5280::nc::permitted-self-issued",
        "rfc5280::nc::permitted-dn-match",
        "rfc5280::nc::nc-permits-email-exact",
        "rfc5280::nc::nc-permits-email-domain",
        "rfc5280::nc::nc-permits-email-literal-asterisk-exact-match",
        "rfc5280::nc::nc-permits-email-literal-double-asterisk",
        "rfc5280::nc::nc-permits-email-literal-mid-asterisk",
        "pathological::nc-dos-3",
    ]
    .into();
    let unexpected: Vec<&String> = hallmark_wrong
        .iter()
        .filter(|w| !known.contains(w.split(' ').next().unwrap_or_default()))
        .collect();
    assert_eq!(unexpected, Vec::<&String>::new(), "new wrong answers");
    assert_eq!(applicable, 155, "the applicable cases changed");
    assert_eq!(hallmark_right, applicable - known.len());
    assert!(hallmark_right > c2pa_right);
}
