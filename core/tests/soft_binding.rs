//! Soft binding: signing records the PDQ hash and pixel digest; when the hard
//! binding fails, verification tells a rewritten container from changed pixels.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is a failed test

use std::path::PathBuf;

use hallmark_core::{Identity, SignOptions, TrustStore, Verdict, Verifier};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn verifier() -> Verifier {
    let root = std::fs::read(fixtures().join("keys/newsroom/root.pem")).unwrap();
    Verifier::new(TrustStore::from_pem(&root).unwrap())
}

#[test]
fn container_rewrite_keeps_pixels_intact() {
    let identity = Identity::load(&fixtures().join("keys/newsroom"), None).unwrap();
    let original = std::fs::read(fixtures().join("images/sample.jpg")).unwrap();
    let signed = hallmark_core::sign(&original, &identity, &SignOptions::default()).unwrap();
    // A comment segment inserted after SOI: every byte offset moves, no pixel changes.
    let mut rewrapped = signed[..2].to_vec();
    rewrapped.extend_from_slice(b"\xFF\xFE\x00\x0Ehello world!");
    rewrapped.extend_from_slice(&signed[2..]);
    let report = verifier().verify(&rewrapped);
    assert_eq!(report.verdict, Verdict::Tampered);
    assert_eq!(
        report.pixels,
        Some(serde_json::json!({"digest": "match", "pdq_distance": 0}))
    );
    assert!(
        report
            .summary
            .contains("container rewritten, pixels intact"),
        "{}",
        report.summary
    );
}

#[test]
fn flipped_pixel_byte_is_pixels_changed() {
    let bytes = std::fs::read(fixtures().join("attacks/pixel-flip.jpg")).unwrap();
    let report = verifier().verify(&bytes);
    assert_eq!(report.verdict, Verdict::Tampered);
    let pixels = report.pixels.expect("pixels compared");
    assert_eq!(pixels["digest"], "mismatch");
    assert!(pixels["pdq_distance"].as_u64().unwrap() <= 31);
    assert!(
        report.summary.contains("pixels changed"),
        "{}",
        report.summary
    );
}

#[test]
fn transplanted_manifest_is_a_different_picture() {
    let bytes = std::fs::read(fixtures().join("attacks/manifest-transplant.jpg")).unwrap();
    let report = verifier().verify(&bytes);
    assert_eq!(report.verdict, Verdict::Tampered);
    assert_eq!(report.signer, None);
    let pixels = report.pixels.expect("pixels compared");
    assert_eq!(pixels["digest"], "mismatch");
    assert!(pixels["pdq_distance"].as_u64().unwrap() > 31, "{pixels}");
    assert!(
        report.summary.contains("a different picture"),
        "{}",
        report.summary
    );
    assert!(!report.summary.contains("Jane Doe"));
}

#[test]
fn signed_files_carry_the_soft_binding() {
    let bytes = std::fs::read(fixtures().join("signed/newsroom.png")).unwrap();
    let verifier = verifier();
    let inspection = hallmark_core::inspect(&verifier, &bytes);
    let store = inspection.manifest_store.unwrap();
    let label = inspection.active_manifest.unwrap();
    let assertions = store["manifests"][&label]["assertions"]
        .as_array()
        .unwrap()
        .clone();
    let soft = assertions
        .iter()
        .find(|a| a["label"] == "c2pa.soft-binding")
        .expect("soft binding assertion");
    assert_eq!(soft["data"]["alg"], "org.hallmark.pdq");
    let image = hallmark_core::pixels::decode_rgba8(
        &std::fs::read(fixtures().join("images/sample.png")).unwrap(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(
        soft["data"]["blocks"][0]["value"],
        image.pdq().hash.to_hex()
    );
    let pixels = assertions
        .iter()
        .find(|a| a["label"] == "org.hallmark.pixels")
        .unwrap();
    assert_eq!(pixels["data"]["digest"], image.digest().to_hex());
}

#[test]
fn a_truncated_jpeg_is_refused_for_signing_and_hashing() {
    let identity = Identity::load(&fixtures().join("keys/newsroom"), None).unwrap();
    let original = std::fs::read(fixtures().join("images/sample.jpg")).unwrap();
    let cut = &original[..original.len() * 6 / 10];
    let err = hallmark_core::sign(cut, &identity, &SignOptions::default()).unwrap_err();
    assert_eq!(err.code(), "format.malformed");
    assert!(err.to_string().contains("truncated"), "{err}");
    let limits = hallmark_core::Limits::default();
    assert!(hallmark_core::pixels::hash_image(cut, &limits).is_err());
    assert!(hallmark_core::pixels::fast_pdq(cut, &limits).is_err());
}
