//! The certificate profile C2PA validators require of what `keygen` makes:
//! a signing certificate issued by a CA (never self-signed), digitalSignature
//! key usage, an allowed EKU, AKI and SKI, and a short life.

use std::process::Command;

use x509_parser::prelude::*;

use crate::support::{identity, pem_certificates, RunExt};

const DOCUMENT_SIGNING: &str = "1.3.6.1.5.5.7.3.36";

fn key_ids(cert: &X509Certificate<'_>) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let mut aki = None;
    let mut ski = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
            _ => {}
        }
    }
    (aki, ski)
}

fn first(iter: impl Iterator<Item = String>) -> String {
    iter.into_iter().next().unwrap_or_default()
}

#[test]
fn signing_certificate_has_the_c2pa_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    crate::support::hallmark()
        .args([
            "keygen",
            "--no-passphrase",
            "--name",
            "Jane Doe",
            "--org",
            "Example News",
        ])
        .args(["--email", "jane@example.com", "--out"])
        .arg(&dir)
        .run()
        .expect_code(0);
    let chain = pem_certificates(&dir.join("chain.pem"));
    let (_, leaf) = X509Certificate::from_der(&chain[0]).unwrap();
    let (_, ca) = X509Certificate::from_der(&chain[1]).unwrap();

    // Who: the names we asked for, issued by the identity's own CA.
    let cn = |name: &X509Name<'_>| {
        first(
            name.iter_common_name()
                .map(|a| a.as_str().unwrap().to_string()),
        )
    };
    let org = |name: &X509Name<'_>| {
        first(
            name.iter_organization()
                .map(|a| a.as_str().unwrap().to_string()),
        )
    };
    assert_eq!(cn(leaf.subject()), "Jane Doe");
    assert_eq!(org(leaf.subject()), "Example News");
    assert_eq!(cn(ca.subject()), "Example News CA");
    assert_eq!(leaf.issuer(), ca.subject(), "issued by the CA in the chain");
    assert_ne!(leaf.subject(), leaf.issuer(), "not self-signed");
    assert_eq!(ca.subject(), ca.issuer(), "the CA is the root");

    // What for: digitalSignature only, an EKU C2PA allows, not a CA.
    let ku = leaf.key_usage().unwrap().expect("keyUsage present");
    assert!(ku.critical, "keyUsage is critical");
    assert!(ku.value.digital_signature());
    assert!(
        !ku.value.key_cert_sign(),
        "the signing certificate can't issue certificates"
    );
    let eku = leaf
        .extended_key_usage()
        .unwrap()
        .expect("extendedKeyUsage present");
    let others: Vec<String> = eku
        .value
        .other
        .iter()
        .map(|oid| oid.to_id_string())
        .collect();
    assert!(eku.value.email_protection, "EKU emailProtection");
    assert!(
        others.contains(&DOCUMENT_SIGNING.to_string()),
        "EKU documentSigning: {others:?}"
    );
    assert!(!eku.value.any, "anyExtendedKeyUsage is not allowed by C2PA");
    let bc = leaf
        .basic_constraints()
        .unwrap()
        .expect("basicConstraints present");
    assert!(!bc.value.ca);
    assert!(!leaf.is_ca());
    let san = leaf
        .subject_alternative_name()
        .unwrap()
        .expect("SAN from --email");
    assert!(
        san.value
            .general_names
            .contains(&GeneralName::RFC822Name("jane@example.com")),
        "{:?}",
        san.value.general_names
    );

    // Key identifiers: the leaf's AKI is the CA's SKI.
    let (leaf_aki, leaf_ski) = key_ids(&leaf);
    let (_, ca_ski) = key_ids(&ca);
    let leaf_aki = leaf_aki.expect("AKI present");
    let leaf_ski = leaf_ski.expect("SKI present");
    assert_eq!(
        Some(leaf_aki.clone()),
        ca_ski,
        "AKI names the issuing CA's key"
    );
    assert_ne!(leaf_aki, leaf_ski);
    assert_eq!(leaf_ski.len(), 20, "RFC 7093 method 1: 160 bits");

    // The CA may issue certificates, and only to end entities.
    assert!(ca.is_ca());
    assert!(ca
        .key_usage()
        .unwrap()
        .expect("CA keyUsage")
        .value
        .key_cert_sign());
    assert_eq!(
        ca.basic_constraints()
            .unwrap()
            .unwrap()
            .value
            .path_len_constraint,
        Some(0)
    );

    // When: valid now, for at most 366 days.
    let validity = leaf.validity();
    assert!(validity.is_valid(), "valid now");
    let days = (validity.not_after.timestamp() - validity.not_before.timestamp()) / 86_400;
    assert!(days <= 366, "the signing certificate lives {days} days");
    assert!(days >= 364, "about a year, as keygen says: {days} days");
    assert!(ca.validity().not_after.timestamp() >= validity.not_after.timestamp());

    // Both Ed25519.
    assert_eq!(
        leaf.signature_algorithm.algorithm.to_id_string(),
        "1.3.101.112"
    );
    assert_eq!(
        leaf.public_key().algorithm.algorithm.to_id_string(),
        "1.3.101.112"
    );
}

#[test]
fn openssl_agrees_on_the_profile_and_the_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = identity(&tmp.path().join("id"), "Jane Doe", "Example News");
    let chain = std::fs::read_to_string(dir.join("chain.pem")).unwrap();
    let end = "-----END CERTIFICATE-----\n";
    let leaf_pem = &chain[..chain.find(end).unwrap() + end.len()];
    let leaf = crate::support::write(tmp.path(), "leaf.pem", leaf_pem.as_bytes());

    let text = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&leaf)
        .run();
    assert_eq!(text.code, Some(0), "{text:#?}");
    for expected in [
        "Issuer: CN = Example News CA, O = Example News",
        "Subject: CN = Jane Doe, O = Example News",
        "X509v3 Key Usage: critical\n                Digital Signature\n",
        "E-mail Protection",
        DOCUMENT_SIGNING,
        "X509v3 Authority Key Identifier",
        "X509v3 Subject Key Identifier",
        "CA:FALSE",
        "Signature Algorithm: ED25519",
    ] {
        assert!(
            text.stdout.contains(expected),
            "missing {expected:?} in\n{}",
            text.stdout
        );
    }

    let verified = Command::new("openssl")
        .args(["verify", "-purpose", "smimesign", "-CAfile"])
        .arg(dir.join("root.pem"))
        .arg(&leaf)
        .run();
    assert_eq!(verified.code, Some(0), "{verified:#?}");
    assert_eq!(verified.stdout.trim(), format!("{}: OK", leaf.display()));
}

#[test]
fn an_individual_without_organization_is_their_own_organization() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    crate::support::hallmark()
        .args([
            "keygen",
            "--no-passphrase",
            "--name",
            "Solo Artist",
            "--out",
        ])
        .arg(&dir)
        .run()
        .expect_code(0);
    let chain = pem_certificates(&dir.join("chain.pem"));
    let (_, leaf) = X509Certificate::from_der(&chain[0]).unwrap();
    let orgs: Vec<&str> = leaf
        .subject()
        .iter_organization()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(orgs, ["Solo Artist"]);

    let input = crate::support::write(tmp.path(), "in.jpg", &crate::support::jpeg(32, 32));
    let out = tmp.path().join("out.jpg");
    crate::support::sign(&dir, &input, &out, crate::support::NO_ARGS).expect_code(0);
    let report = crate::support::verify_json(&[&out], None)
        .expect_code(0)
        .json();
    assert_eq!(report["signer"]["name"], "Solo Artist");
    assert_eq!(report["signer"]["organization"], "Solo Artist");
    assert_eq!(report["signer"]["issuer"], "Solo Artist CA");
    assert_eq!(
        report["summary"],
        "Signed by \"Solo Artist\"; intact; no trust list given, so the signer is unverified"
    );
}
