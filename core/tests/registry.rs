//! The registry of signed manifests, end to end: a signed fixture is
//! registered, then copies of it with the credentials stripped (as platforms
//! do: metadata removed, re-encoded, resized) are recovered to their signer;
//! unrelated pictures stay unsigned, files that don't verify are refused, and
//! a file that is not a registry is a typed error.
//!
//! Run: `cargo test -p hallmark-core --test registry`.
#![cfg(feature = "registry")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use hallmark_core::pdq::DEFAULT_MATCH_THRESHOLD;
use hallmark_core::pixels::hash_image;
use hallmark_core::registry::{Added, Registry, RegistryError};
use hallmark_core::{
    sign, Identity, Limits, MatchKind, SignOptions, TrustStore, Verdict, Verifier,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn read(rel: &str) -> Vec<u8> {
    fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn trusting_newsroom() -> Verifier {
    Verifier::new(TrustStore::from_pem(&read("keys/newsroom/root.pem")).unwrap())
}

/// `images/sample.jpg` signed now by the newsroom fixture identity (Jane Doe, Example News).
fn signed_sample() -> Vec<u8> {
    let identity = Identity::load(&fixtures().join("keys/newsroom"), None).unwrap();
    let options = SignOptions {
        title: Some("sunset.jpg".into()),
        ..SignOptions::default()
    };
    sign(&read("images/sample.jpg"), &identity, &options).unwrap()
}

/// Decode and re-encode as a platform would: no metadata survives.
fn reencode_jpeg(bytes: &[u8], quality: u8, scale_down: u32) -> Vec<u8> {
    let mut img = image::load_from_memory(bytes).unwrap().to_rgb8();
    if scale_down > 1 {
        let (w, h) = (img.width() / scale_down, img.height() / scale_down);
        img = image::imageops::resize(&img, w, h, image::imageops::FilterType::Triangle);
    }
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&img)
        .unwrap();
    out.into_inner()
}

/// A registry in a temporary directory with the signed sample registered.
fn registry_with_sample(dir: &Path) -> (Registry, Vec<u8>) {
    let mut registry = Registry::open(dir.join("registry.db"))
        .unwrap()
        .with_verifier(trusting_newsroom());
    let signed = signed_sample();
    let added = registry.add(&signed, &trusting_newsroom()).unwrap();
    assert!(matches!(added, Added::New(_)), "{added:?}");
    (registry, signed)
}

#[test]
fn stripped_reencoded_and_resized_copies_are_recovered_to_their_signer() {
    let tmp = tempfile::tempdir().unwrap();
    let (registry, signed) = registry_with_sample(tmp.path());
    let verifier = trusting_newsroom();
    assert_eq!(verifier.verify(&signed).verdict, Verdict::Trusted);

    let copies = [
        ("metadata stripped", read("attacks/stripped.jpg")),
        ("JPEG quality 70", reencode_jpeg(&signed, 70, 1)),
        ("half size", reencode_jpeg(&signed, 85, 2)),
    ];
    for (what, copy) in &copies {
        let report = verifier.verify(copy);
        assert_eq!(report.verdict, Verdict::Unsigned, "{what}");
        let report = registry.recover(copy, report, DEFAULT_MATCH_THRESHOLD);
        assert_eq!(report.verdict, Verdict::Recovered, "{what}: {report:#?}");
        let identical = *what == "metadata stripped";
        // Only the same pixels pass by default: a similar picture may be another one.
        assert_eq!(
            report.exit_code(false, false),
            if identical { 0 } else { 1 }
        );
        assert_eq!(report.exit_code(false, true), 0);
        assert_eq!(report.exit_code(true, true), 1);
        let recovered = report.recovered.as_ref().unwrap();
        assert_eq!(recovered.verdict_now, Verdict::Trusted, "{what}");
        assert_eq!(
            recovered.match_kind,
            if identical {
                MatchKind::SamePixels
            } else {
                MatchKind::SimilarPicture
            }
        );
        eprintln!("{what}: {}", report.summary);
        assert_eq!(recovered.signer.name.as_deref(), Some("Jane Doe"), "{what}");
        assert_eq!(
            recovered.signer.organization.as_deref(),
            Some("Example News")
        );
        assert!(recovered.signer.trusted);
        assert_eq!(recovered.registered_verdict, Verdict::Trusted);
        assert_eq!(recovered.title.as_deref(), Some("sunset.jpg"));
        assert_eq!(
            recovered.asset_blake3,
            blake3::hash(&signed).to_hex().as_str()
        );
        assert!(!report.ai_generated);
        // The signer of a recovered file is the registered one's, never this file's own.
        assert_eq!(report.signer, None);
        assert!(
            recovered.distance <= DEFAULT_MATCH_THRESHOLD,
            "{what}: {}",
            recovered.distance
        );
        assert_eq!(recovered.pixel_digest_match, identical, "{what}");
        let expected = if identical {
            assert_eq!(recovered.distance, 0);
            "Credentials recovered from the registry: the same pixels as a file signed by Jane Doe (Example News); the metadata was stripped; its stored credentials are trusted now".to_string()
        } else if *what == "half size" {
            format!("Credentials recovered from the registry: a similar picture ({} bits from one signed by Jane Doe (Example News); this file is 600×400, the signed one 1200×800), not necessarily the same; its stored credentials are trusted now", recovered.distance)
        } else {
            format!("Credentials recovered from the registry: a similar picture ({} bits from one signed by Jane Doe (Example News)), not necessarily the same; its stored credentials are trusted now", recovered.distance)
        };
        assert_eq!(report.summary, expected, "{what}");
        assert!(!report.summary.contains("re-encod"), "{what}");
        let json: serde_json::Value = serde_json::from_str(&report.to_json_line()).unwrap();
        assert_eq!(json["verdict"], "recovered");
        assert_eq!(json["recovered"]["signer"]["name"], "Jane Doe");
        assert_eq!(json["recovered"]["registered_verdict"], "trusted");
        assert_eq!(json["recovered"]["verdict_now"], "trusted");
        assert_eq!(
            json["recovered"]["match"],
            if identical {
                "same_pixels"
            } else {
                "similar_picture"
            }
        );
    }
}

#[test]
fn unrelated_pictures_stay_unsigned_and_other_verdicts_are_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let (registry, _) = registry_with_sample(tmp.path());
    let verifier = trusting_newsroom();

    let other = read("images/other.jpg");
    let report = registry.recover(&other, verifier.verify(&other), DEFAULT_MATCH_THRESHOLD);
    assert_eq!(report.verdict, Verdict::Unsigned);
    assert_eq!(report.recovered, None);
    assert!(report.status.is_empty(), "{:?}", report.status);

    // A tampered file keeps its verdict, even though its pixels are close to the registered ones.
    let flipped = read("attacks/pixel-flip.jpg");
    let report = registry.recover(&flipped, verifier.verify(&flipped), DEFAULT_MATCH_THRESHOLD);
    assert_eq!(report.verdict, Verdict::Tampered);
    assert_eq!(report.recovered, None);

    // At threshold 0 a re-encoded copy no longer matches (but identical pixels still do).
    let reencoded = reencode_jpeg(&read("images/sample.jpg"), 70, 2);
    let report = registry.recover(&reencoded, verifier.verify(&reencoded), 0);
    assert_eq!(report.verdict, Verdict::Unsigned);
    let stripped = read("attacks/stripped.jpg");
    let report = registry.recover(&stripped, verifier.verify(&stripped), 0);
    assert_eq!(report.verdict, Verdict::Recovered);
}

#[test]
fn lookups_find_the_entry_and_survive_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    let (registry, signed) = registry_with_sample(tmp.path());
    let hash = hash_image(&read("images/sample.jpg"), &Limits::default()).unwrap();
    assert!(hash.quality >= 50);

    let matches = registry.lookup(&hash.pdq, DEFAULT_MATCH_THRESHOLD).unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0].distance, 0);
    let entry = &matches[0].entry;
    assert_eq!(entry.pdq, hash.pdq);
    assert_eq!(entry.pixel_digest, hash.pixel_digest);
    assert_eq!((entry.width, entry.height), (1200, 800));
    assert_eq!(entry.format, "image/jpeg");
    assert_eq!(entry.verdict, Verdict::Trusted);
    assert_eq!(entry.signer.issuer.as_deref(), Some("Example News CA"));
    assert_eq!(entry.signer.certificate_sha256.len(), 64);
    assert_eq!(
        registry.lookup_digest(&hash.pixel_digest).unwrap(),
        vec![entry.clone()]
    );

    // The stored manifest store is the C2PA JUMBF superbox, as embedded in the file.
    let store = registry.manifest_store(entry.id).unwrap().unwrap();
    assert_eq!(&store[4..8], b"jumb");
    assert!(store.windows(4).any(|w| w == b"c2pa"));
    assert!(store.len() < signed.len());

    // Adding the same bytes again changes nothing.
    drop(registry);
    let mut registry = Registry::open(tmp.path().join("registry.db")).unwrap();
    assert_eq!(registry.len().unwrap(), 1);
    let again = registry.add(&signed, &trusting_newsroom()).unwrap();
    assert_eq!(again, Added::Existing(entry.clone()));
    assert_eq!(registry.len().unwrap(), 1);
    // The PDQ index was loaded back from SQLite.
    assert_eq!(registry.lookup(&hash.pdq, 0).unwrap()[0].entry, *entry);
    let other = hash_image(&read("images/other.jpg"), &Limits::default()).unwrap();
    assert_eq!(
        registry
            .lookup(&other.pdq, DEFAULT_MATCH_THRESHOLD)
            .unwrap(),
        vec![]
    );
}

#[test]
fn files_that_do_not_verify_are_refused_with_their_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let mut registry = Registry::open(tmp.path().join("registry.db")).unwrap();
    let verifier = trusting_newsroom();
    for (rel, verdict) in [
        ("attacks/pixel-flip.jpg", Verdict::Tampered),
        ("attacks/signature-flip.jpg", Verdict::Invalid),
        ("images/sample.jpg", Verdict::Unsigned),
        ("attacks/random.jpg", Verdict::Error),
    ] {
        let err = registry.add(&read(rel), &verifier).unwrap_err();
        assert_eq!(err.code(), "registry.rejected", "{rel}");
        match err {
            RegistryError::Rejected { verdict: got, .. } => assert_eq!(got, verdict, "{rel}"),
            other => panic!("{rel}: {other:?}"),
        }
    }
    assert_eq!(registry.len().unwrap(), 0);
    // A signer nobody here trusts is refused (anyone can make one): before,
    // it was registered as valid, and recovered copies showed its name.
    let stranger = read("signed/stranger.jpg");
    let err = registry.add(&stranger, &verifier).unwrap_err();
    assert_eq!(err.code(), "registry.rejected");
    assert!(matches!(
        err,
        RegistryError::Rejected {
            verdict: Verdict::Valid,
            ..
        }
    ));
    assert!(err.to_string().contains("--allow-valid"), "{err}");
    assert_eq!(registry.len().unwrap(), 0);
    // Allowed, it is registered, as valid.
    let added = registry.add_allowing(&stranger, &verifier, true).unwrap();
    assert_eq!(added.entry().verdict, Verdict::Valid);
    assert!(!added.entry().signer.trusted);
}

#[test]
fn a_file_that_is_not_a_registry_is_a_typed_error() {
    let tmp = tempfile::tempdir().unwrap();
    // 8 KiB of SplitMix64 bytes: not an SQLite header.
    let mut state = 0x5EED_u64;
    let garbage: Vec<u8> = (0..1024)
        .flat_map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)).to_le_bytes()
        })
        .collect();
    let path = tmp.path().join("random.db");
    fs::write(&path, &garbage).unwrap();
    let err = Registry::open(&path).unwrap_err();
    assert_eq!(err.code(), "registry.corrupt", "{err:?}");
    assert!(matches!(err, RegistryError::Corrupt { .. }));
    assert_eq!(
        fs::read(&path).unwrap(),
        garbage,
        "a refused file is left as it was"
    );

    // A real SQLite database made by something else is refused, and left alone.
    let path = tmp.path().join("other.db");
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("CREATE TABLE notes (text TEXT)")
        .unwrap();
    drop(other);
    let err = Registry::open(&path).unwrap_err();
    assert_eq!(err.code(), "registry.foreign", "{err:?}");

    // An empty file is a new, empty registry.
    let path = tmp.path().join("empty.db");
    fs::write(&path, b"").unwrap();
    assert!(Registry::open(&path).unwrap().is_empty().unwrap());
    assert!(Registry::open(&path).unwrap().is_empty().unwrap());

    let err = Registry::open(tmp.path().join("missing-dir/registry.db")).unwrap_err();
    assert_eq!(err.code(), "registry.open", "{err:?}");
}

/// A registry file holding a trigger or a view is not one Hallmark made: it
/// is refused on opening, before anything is written or believed. Before, a
/// trigger planted in the file ran on the next `add` (here it would have
/// renamed every signer), and a view could stand in for a table.
#[test]
fn a_registry_with_a_trigger_or_a_view_is_refused() {
    for (name, sql) in [
        (
            "trigger",
            "CREATE TRIGGER rename AFTER INSERT ON manifests \
             BEGIN UPDATE manifests SET signer_name = 'Trusted Newsroom'; END;",
        ),
        ("view", "CREATE VIEW everyone AS SELECT * FROM manifests;"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("registry.db");
        drop(registry_with_sample(tmp.path()));
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(sql).unwrap();
        drop(conn);
        let before = fs::read(&path).unwrap();
        let err = Registry::open(&path).unwrap_err();
        assert_eq!(err.code(), "registry.foreign", "{name}: {err:?}");
        assert_eq!(
            fs::read(&path).unwrap(),
            before,
            "{name}: the file is unchanged"
        );
    }
}

/// A manifest store on its own (as the registry keeps it and a resolution
/// service serves it) is verified without its asset: the signature and the
/// signer's chain decide, and only the hard binding goes unchecked.
#[test]
fn a_detached_manifest_store_is_verified_on_its_own() {
    let signed = signed_sample();
    let store = c2pa::jumbf_io::load_jumbf_from_memory("image/jpeg", &signed).unwrap();
    let report = trusting_newsroom().verify_store(&store, "image/jpeg");
    assert_eq!(report.verdict, Verdict::Trusted, "{report:#?}");
    assert_eq!(
        report.signer.as_ref().unwrap().name.as_deref(),
        Some("Jane Doe")
    );
    assert_eq!(report.title.as_deref(), Some("sunset.jpg"));
    let codes: Vec<(&str, &str)> = report
        .status
        .iter()
        .map(|s| (s.code.as_str(), s.kind.as_str()))
        .collect();
    assert_eq!(codes, [("hallmark.hardBinding.unchecked", "informational")]);

    // With no trust, the same store is valid: intact, signer unverified.
    let untrusted = Verifier::new(TrustStore::default()).verify_store(&store, "image/jpeg");
    assert_eq!(untrusted.verdict, Verdict::Valid);
    // A stranger's store is valid, not trusted, under the newsroom's trust.
    let stranger = read("signed/stranger.jpg");
    let theirs = c2pa::jumbf_io::load_jumbf_from_memory("image/jpeg", &stranger).unwrap();
    assert_eq!(
        trusting_newsroom()
            .verify_store(&theirs, "image/jpeg")
            .verdict,
        Verdict::Valid
    );
    // A broken signature is invalid, never excused as a missing asset.
    let flipped = read("attacks/signature-flip.jpg");
    let broken = c2pa::jumbf_io::load_jumbf_from_memory("image/jpeg", &flipped).unwrap();
    assert_eq!(
        trusting_newsroom()
            .verify_store(&broken, "image/jpeg")
            .verdict,
        Verdict::Invalid
    );
    // Garbage, and nothing at all, are invalid stores with a code.
    for data in [
        &b"not a manifest store"[..],
        &[][..],
        &store[..store.len() / 2],
    ] {
        let report = trusting_newsroom().verify_store(data, "image/jpeg");
        assert_eq!(report.verdict, Verdict::Invalid, "{} bytes", data.len());
        assert!(
            report.status.iter().any(|s| s.kind == "failure"),
            "{report:#?}"
        );
    }
}

/// A match is recovered from its entry's stored credentials as they verify
/// now, never as they did at registration: without trust it is valid at
/// best, and once its certificate has expired (no time-stamp) it recovers
/// nothing and says why. Before, the registration verdict was believed forever.
#[test]
fn stored_credentials_are_validated_again_at_lookup() {
    let tmp = tempfile::tempdir().unwrap();
    drop(registry_with_sample(tmp.path()));
    let stripped = read("attacks/stripped.jpg");
    let unsigned = trusting_newsroom().verify(&stripped);

    let no_trust = Registry::open(tmp.path().join("registry.db")).unwrap();
    let report = no_trust.recover(&stripped, unsigned.clone(), DEFAULT_MATCH_THRESHOLD);
    assert_eq!(report.verdict, Verdict::Recovered);
    let recovered = report.recovered.as_ref().unwrap();
    assert_eq!(recovered.registered_verdict, Verdict::Trusted);
    assert_eq!(recovered.verdict_now, Verdict::Valid);
    assert!(!recovered.signer.trusted);
    assert!(
        report.summary.ends_with(
            "its stored credentials are valid now, but the signer is not in the trust list"
        ),
        "{}",
        report.summary
    );

    // Forty years on, the signing certificate has long expired (no
    // time-stamp): still intact, no longer trusted, and the summary says why.
    let later = trusting_newsroom().at_time(2_000_000_000 + 40 * 365 * 86_400);
    let expired = Registry::open(tmp.path().join("registry.db"))
        .unwrap()
        .with_verifier(later);
    let report = expired.recover(&stripped, unsigned.clone(), DEFAULT_MATCH_THRESHOLD);
    let recovered = report.recovered.as_ref().unwrap();
    assert_eq!(recovered.verdict_now, Verdict::Valid);
    assert!(!recovered.signer.trusted);
    eprintln!("{}", report.summary);
    assert!(
        report.summary.contains("valid now, but not trusted ("),
        "{}",
        report.summary
    );

    // Stored credentials that no longer verify at all recover nothing, and say why.
    let conn = rusqlite::Connection::open(tmp.path().join("registry.db")).unwrap();
    let mut store: Vec<u8> = conn
        .query_row("SELECT manifest_store FROM manifest_stores", [], |r| {
            r.get(0)
        })
        .unwrap();
    let n = store.len();
    store[n - 40] ^= 0x01; // in the claim signature, at the end of the store
    conn.execute("UPDATE manifest_stores SET manifest_store = ?1", [&store])
        .unwrap();
    drop(conn);
    let broken = Registry::open(tmp.path().join("registry.db"))
        .unwrap()
        .with_verifier(trusting_newsroom());
    let report = broken.recover(&stripped, unsigned, DEFAULT_MATCH_THRESHOLD);
    assert_eq!(report.verdict, Verdict::Unsigned, "{report:#?}");
    assert_eq!(report.recovered, None);
    let stale: Vec<&str> = report.status.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(stale, ["registry.stale"]);
}

/// A row edited behind Hallmark's back is not believed: the signer and facts
/// shown come from the stored, re-verified credentials, and a row whose
/// hashes were changed to point at another picture recovers nothing for it.
#[test]
fn an_edited_row_is_not_believed() {
    let tmp = tempfile::tempdir().unwrap();
    drop(registry_with_sample(tmp.path()));
    let path = tmp.path().join("registry.db");
    let other = read("images/other.jpg");
    let other_hash = hash_image(&other, &Limits::default()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE manifests SET signer_name = 'Trusted Newsroom', title = 'forged', ai_generated = 0",
        [],
    )
    .unwrap();
    drop(conn);
    let registry = Registry::open(&path)
        .unwrap()
        .with_verifier(trusting_newsroom());
    let stripped = read("attacks/stripped.jpg");
    let report = registry.recover(&stripped, trusting_newsroom().verify(&stripped), 31);
    assert_eq!(report.verdict, Verdict::Recovered);
    let recovered = report.recovered.as_ref().unwrap();
    assert_eq!(recovered.signer.name.as_deref(), Some("Jane Doe"));
    assert_eq!(recovered.title.as_deref(), Some("sunset.jpg"));

    // The row now claims another picture's hashes: that picture matches the
    // row, but the credentials signed other pixels, so nothing is recovered.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE manifests SET pdq = ?1, pixel_digest = ?2",
        [other_hash.pdq.to_hex(), other_hash.pixel_digest.to_hex()],
    )
    .unwrap();
    drop(conn);
    let registry = Registry::open(&path)
        .unwrap()
        .with_verifier(trusting_newsroom());
    let report = registry.recover(&other, trusting_newsroom().verify(&other), 31);
    assert_eq!(report.verdict, Verdict::Unsigned, "{report:#?}");
    let codes: Vec<&str> = report.status.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, ["registry.stale"]);
    assert!(
        report.status[0]
            .explanation
            .as_deref()
            .unwrap()
            .contains("not the one its credentials signed"),
        "{:?}",
        report.status
    );
}
