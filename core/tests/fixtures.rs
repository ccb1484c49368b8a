//! The project's own fixtures (`fixtures/`, made by `cargo run -p
//! hallmark-fixtures`): every file gives the verdicts and codes checked in
//! as `fixtures/expected/reports.tsv`, every attack is caught the way it
//! should be, and the fixture keys load as documented.
//!
//! That regenerating the fixtures gives the same pictures, keys and reports
//! is tested beside the generator (`fixtures/generator/tests/`), which
//! depends on this crate.

use std::fs;
use std::path::{Path, PathBuf};

use hallmark_core::{
    probe, sign, Identity, Limits, Passphrase, Report, SignOptions, TrustStore, Verdict, Verifier,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn read(rel: &str) -> Vec<u8> {
    fs::read(fixtures().join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e} (run `cargo run -p hallmark-fixtures`)"))
}

fn newsroom_root() -> TrustStore {
    TrustStore::from_pem(&read("keys/newsroom/root.pem")).expect("the newsroom root parses")
}

fn untrusting() -> Verifier {
    Verifier::new(TrustStore::empty())
}

fn trusting_newsroom() -> Verifier {
    Verifier::new(newsroom_root())
}

fn verify(verifier: &Verifier, rel: &str) -> Report {
    verifier.verify(&read(rel))
}

/// The codes column of the expected table: the error code, or the failure codes.
fn codes(report: &Report) -> String {
    match (&report.verdict, &report.error) {
        (Verdict::Error, Some(error)) => error.code.clone(),
        _ => report.failure_codes().join(","),
    }
}

const NEWSROOM_SIGNED: &[&str] = &[
    "signed/newsroom.jpg",
    "signed/newsroom.png",
    "signed/newsroom.webp",
    "signed/ai-generated.jpg",
    "signed/edited.jpg",
];

#[test]
fn every_fixture_gives_the_checked_in_verdicts_and_codes() {
    let table =
        fs::read_to_string(fixtures().join("expected/reports.tsv")).expect("read reports.tsv");
    let (plain, trusting) = (untrusting(), trusting_newsroom());
    let mut checked = Vec::new();
    let mut mismatches = Vec::new();
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 5, "{line:?}");
        let (a, b) = (verify(&plain, cols[0]), verify(&trusting, cols[0]));
        let got = [
            a.verdict.as_str(),
            b.verdict.as_str(),
            &codes(&a),
            &codes(&b),
        ];
        if got != cols[1..] {
            mismatches.push(format!(
                "{}: got {got:?}, expected {:?}",
                cols[0],
                &cols[1..]
            ));
        }
        checked.push(cols[0].to_string());
    }
    assert_eq!(mismatches, Vec::<String>::new());

    // Every picture, signed file and attack (but the key) has its row.
    let mut on_disk = Vec::new();
    for dir in ["images", "signed", "attacks"] {
        for entry in fs::read_dir(fixtures().join(dir)).expect("list fixtures") {
            let name = entry
                .expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if !name.ends_with(".key") && !name.starts_with('.') {
                on_disk.push(format!("{dir}/{name}"));
            }
        }
    }
    on_disk.sort();
    assert_eq!(checked, on_disk);
    assert_eq!(checked.len(), 29);
}

#[test]
fn newsroom_files_name_jane_doe_and_are_trusted_only_with_the_newsroom_root() {
    for rel in NEWSROOM_SIGNED {
        let report = verify(&trusting_newsroom(), rel);
        assert_eq!(
            report.verdict,
            Verdict::Trusted,
            "{rel}: {}",
            report.summary
        );
        assert_eq!(report.failure_codes(), Vec::<&str>::new(), "{rel}");
        let signer = report.signer.as_ref().expect("a signer");
        assert_eq!(signer.name.as_deref(), Some("Jane Doe"), "{rel}");
        assert_eq!(
            signer.organization.as_deref(),
            Some("Example News"),
            "{rel}"
        );
        assert_eq!(signer.issuer.as_deref(), Some("Example News CA"), "{rel}");
        assert!(signer.trusted, "{rel}");
        assert_eq!(report.claimed_signer, None, "{rel}");
        assert_eq!(
            report.claim_generator.as_deref(),
            Some(hallmark_core::CLAIM_GENERATOR),
            "{rel}"
        );
        let title = rel.trim_start_matches("signed/");
        assert_eq!(report.title.as_deref(), Some(title), "{rel}");
        assert!(
            report
                .summary
                .starts_with("Signed by \"Jane Doe (Example News)\"; trusted"),
            "{}",
            report.summary
        );

        let report = verify(&untrusting(), rel);
        assert_eq!(report.verdict, Verdict::Valid, "{rel}");
        assert_eq!(
            report.failure_codes(),
            vec!["signingCredential.untrusted"],
            "{rel}"
        );
        let signer = report.signer.as_ref().expect("a signer");
        assert_eq!(signer.name.as_deref(), Some("Jane Doe"), "{rel}");
        assert!(!signer.trusted, "{rel}");
    }
    let formats: Vec<Option<String>> = [
        "signed/newsroom.jpg",
        "signed/newsroom.png",
        "signed/newsroom.webp",
    ]
    .iter()
    .map(|rel| verify(&untrusting(), rel).format)
    .collect();
    assert_eq!(
        formats,
        [
            Some("image/jpeg".into()),
            Some("image/png".into()),
            Some("image/webp".into())
        ]
    );
}

#[test]
fn all_newsroom_files_carry_the_same_signing_certificate() {
    let hashes: Vec<String> = NEWSROOM_SIGNED
        .iter()
        .map(|rel| {
            verify(&untrusting(), rel)
                .signer
                .expect("a signer")
                .certificate_sha256
        })
        .collect();
    assert!(
        hashes.iter().all(|h| h == &hashes[0] && h.len() == 64),
        "{hashes:?}"
    );
}

#[test]
fn stranger_is_valid_but_not_trusted_by_the_newsroom_root() {
    let report = verify(&trusting_newsroom(), "signed/stranger.jpg");
    assert_eq!(report.verdict, Verdict::Valid);
    assert_eq!(report.failure_codes(), vec!["signingCredential.untrusted"]);
    let signer = report.signer.expect("a signer");
    assert_eq!(signer.name.as_deref(), Some("Sam Stranger"));
    assert_eq!(signer.organization.as_deref(), Some("Unknown Agency"));
    assert_eq!(signer.issuer.as_deref(), Some("Unknown Agency CA"));
    assert!(!signer.trusted);
    assert!(
        report.summary.contains("not in the trust list"),
        "{}",
        report.summary
    );

    let own_root = TrustStore::from_pem(&read("keys/stranger/root.pem")).expect("stranger root");
    assert_eq!(
        verify(&Verifier::new(own_root), "signed/stranger.jpg").verdict,
        Verdict::Trusted
    );
}

#[test]
fn ai_generated_fixture_says_so_and_the_photo_does_not() {
    let report = verify(&trusting_newsroom(), "signed/ai-generated.jpg");
    assert!(report.ai_generated);
    assert_eq!(
        report.digital_source_type.as_deref(),
        Some("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
    );
    assert!(report
        .digital_source_type
        .as_deref()
        .is_some_and(|t| t.ends_with("trainedAlgorithmicMedia")));
    assert_eq!(report.actions, vec!["c2pa.created"]);
    assert!(
        report.summary.ends_with("; AI-generated"),
        "{}",
        report.summary
    );

    let report = verify(&trusting_newsroom(), "signed/newsroom.jpg");
    assert!(!report.ai_generated);
    assert_eq!(
        report.digital_source_type.as_deref(),
        Some("http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture")
    );
    assert_eq!(report.actions, vec!["c2pa.created"]);
    assert!(report.ingredients.is_empty());
}

#[test]
fn edited_fixture_records_its_parent_and_what_was_done() {
    for verifier in [untrusting(), trusting_newsroom()] {
        let report = verify(&verifier, "signed/edited.jpg");
        for action in ["c2pa.opened", "c2pa.edited", "c2pa.cropped"] {
            assert!(
                report.actions.iter().any(|a| a == action),
                "{action} in {:?}",
                report.actions
            );
        }
        assert_eq!(report.ingredients.len(), 1, "{:?}", report.ingredients);
        let parent = &report.ingredients[0];
        assert_eq!(parent.title.as_deref(), Some("newsroom.jpg"));
        assert_eq!(parent.relationship.as_deref(), Some("parentOf"));
        assert!(
            matches!(parent.verdict, Verdict::Valid | Verdict::Trusted),
            "parent verdict {}",
            parent.verdict
        );
    }
}

/// The attacked file is caught, names nobody as its signer, and says who the
/// manifest claims signed it.
fn assert_caught(rel: &str, verdict: Verdict, code: &str) -> Report {
    for verifier in [untrusting(), trusting_newsroom()] {
        let report = verify(&verifier, rel);
        assert_eq!(report.verdict, verdict, "{rel}: {}", report.summary);
        assert!(
            report.failure_codes().contains(&code),
            "{rel}: {:?}",
            report.failure_codes()
        );
        assert_eq!(
            report.signer, None,
            "{rel}: no signer is shown for a failed file"
        );
    }
    verify(&trusting_newsroom(), rel)
}

#[test]
fn pixel_flip_is_tampered() {
    let report = assert_caught(
        "attacks/pixel-flip.jpg",
        Verdict::Tampered,
        "assertion.dataHash.mismatch",
    );
    assert_eq!(report.failure_codes(), vec!["assertion.dataHash.mismatch"]);
    let claimed = report.claimed_signer.expect("the claimed signer is kept");
    assert_eq!(claimed.name.as_deref(), Some("Jane Doe"));
    assert!(!claimed.trusted);
    assert!(report.summary.starts_with("Tampered"), "{}", report.summary);
}

#[test]
fn transplanted_manifest_is_tampered_and_vouches_for_nobody() {
    let report = assert_caught(
        "attacks/manifest-transplant.jpg",
        Verdict::Tampered,
        "assertion.dataHash.mismatch",
    );
    assert_eq!(report.signer, None);
    assert!(!report.summary.contains("Signed by"), "{}", report.summary);
    if let Some(claimed) = &report.claimed_signer {
        assert_eq!(claimed.name.as_deref(), Some("Jane Doe"));
        assert!(!claimed.trusted);
    }
}

#[test]
fn stripped_file_is_unsigned() {
    for verifier in [untrusting(), trusting_newsroom()] {
        let report = verify(&verifier, "attacks/stripped.jpg");
        assert_eq!(report.verdict, Verdict::Unsigned);
        assert_eq!(report.signer, None);
        assert_eq!(report.claimed_signer, None);
        assert!(report.status.is_empty(), "{:?}", report.status);
    }
    // Stripping gives back exactly the picture that was signed.
    assert_eq!(read("attacks/stripped.jpg"), read("images/sample.jpg"));
}

#[test]
fn flipped_signature_byte_is_invalid() {
    let report = assert_caught(
        "attacks/signature-flip.jpg",
        Verdict::Invalid,
        "claimSignature.mismatch",
    );
    assert_eq!(report.failure_codes(), vec!["claimSignature.mismatch"]);
    assert!(
        report
            .summary
            .starts_with("Invalid Content Credentials: claimSignature.mismatch"),
        "{}",
        report.summary
    );
}

#[test]
fn truncated_file_is_never_accepted() {
    let bytes = read("attacks/truncated.jpg");
    assert_eq!(bytes.len(), read("signed/newsroom.jpg").len() * 6 / 10);
    for verifier in [untrusting(), trusting_newsroom()] {
        let report = verifier.verify(&bytes);
        assert!(
            matches!(report.verdict, Verdict::Error | Verdict::Tampered),
            "{}",
            report.verdict
        );
        assert_eq!(report.signer, None);
    }
}

#[test]
fn expired_credential_is_invalid_even_for_a_trusted_issuer() {
    let report = assert_caught(
        "attacks/expired.jpg",
        Verdict::Invalid,
        "signingCredential.expired",
    );
    assert_eq!(report.failure_codes(), vec!["signingCredential.expired"]);
    assert_eq!(
        report.claimed_signer.and_then(|s| s.name).as_deref(),
        Some("Jane Doe")
    );
}

#[test]
fn self_signed_nikon_is_never_trusted_even_with_its_own_certificate() {
    let own_cert = read("keys/nikon-self-signed/chain.pem");
    let mut allowed = TrustStore::empty();
    allowed
        .add_allowed_pem(&own_cert)
        .expect("the self-signed certificate parses");
    let verifiers = [
        untrusting(),
        trusting_newsroom(),
        Verifier::new(TrustStore::from_pem(&own_cert).expect("the self-signed certificate parses")),
        Verifier::new(allowed),
    ];
    for verifier in verifiers {
        let report = verify(&verifier, "attacks/self-signed-nikon.jpg");
        assert_eq!(report.verdict, Verdict::Invalid, "{}", report.summary);
        assert!(
            report
                .failure_codes()
                .contains(&"signingCredential.invalid"),
            "{:?}",
            report.failure_codes()
        );
        assert_eq!(report.signer, None);
        let claimed = report
            .claimed_signer
            .expect("who the forged certificate names");
        assert_eq!(claimed.name.as_deref(), Some("Nikon"));
        assert_eq!(claimed.organization.as_deref(), Some("Nikon Corporation"));
        assert_eq!(
            claimed.issuer.as_deref(),
            Some("Nikon"),
            "self-signed: its own issuer"
        );
        assert!(!claimed.trusted);
    }
    // The forgery kept the claim signature sound: only the credential is refused.
    let report = verify(&untrusting(), "attacks/self-signed-nikon.jpg");
    assert!(!report.failure_codes().contains(&"claimSignature.mismatch"));
}

#[test]
fn bad_inputs_are_errors_with_codes() {
    for (rel, code) in [
        ("attacks/empty.jpg", "input.empty"),
        ("attacks/random.jpg", "format.unrecognized"),
        ("attacks/bomb.png", "limits.dimensions"),
    ] {
        for verifier in [untrusting(), trusting_newsroom()] {
            let report = verify(&verifier, rel);
            assert_eq!(report.verdict, Verdict::Error, "{rel}");
            assert_eq!(
                report.error.as_ref().map(|e| e.code.as_str()),
                Some(code),
                "{rel}"
            );
            assert!(
                report.summary.starts_with("Unreadable: "),
                "{}",
                report.summary
            );
        }
    }
    let bomb = read("attacks/bomb.png");
    assert!(bomb.len() < 2048, "the bomb is a tiny file");
    let err = probe(&bomb, &Limits::default()).expect_err("over the limits");
    assert_eq!(err.code(), "limits.dimensions");
    assert!(err.to_string().contains("100000×100000"), "{err}");
    assert_eq!(read("attacks/random.jpg").len(), 4096);
    assert!(read("attacks/empty.jpg").is_empty());
}

#[test]
fn garbage_key_file_is_malformed() {
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::write(
        dir.path().join(hallmark_core::KEY_FILE),
        read("attacks/garbage.key"),
    )
    .expect("write key");
    fs::write(
        dir.path().join(hallmark_core::CHAIN_FILE),
        read("keys/newsroom/chain.pem"),
    )
    .expect("write chain");
    let err = Identity::load(dir.path(), None).expect_err("garbage is not a key");
    assert_eq!(err.code(), "key.malformed", "{err}");

    let text = String::from_utf8_lossy(&read("attacks/garbage.key")).into_owned();
    let chain = String::from_utf8(read("keys/newsroom/chain.pem")).expect("PEM is text");
    let err = Identity::from_pem(&text, &chain, None).expect_err("garbage is not a key");
    assert_eq!(err.code(), "key.malformed", "{err}");
}

#[test]
fn encrypted_newsroom_key_opens_only_with_its_passphrase() {
    let dir = fixtures().join("keys/newsroom-encrypted");
    assert!(Identity::needs_passphrase(&dir).expect("read the key"));
    assert!(!Identity::needs_passphrase(&fixtures().join("keys/newsroom")).expect("read the key"));

    let err = Identity::load(&dir, None).expect_err("a passphrase is needed");
    assert_eq!(err.code(), "key.passphrase_required");
    let err = Identity::load(&dir, Some(&Passphrase::new("wrong passphrase")))
        .expect_err("wrong passphrase");
    assert_eq!(err.code(), "key.wrong_passphrase");

    let identity = Identity::load(&dir, Some(&Passphrase::new("fixture passphrase")))
        .expect("the right passphrase");
    let plain = Identity::load(&fixtures().join("keys/newsroom"), None).expect("the plain key");
    assert_eq!(identity.chain_der(), plain.chain_der());
    assert_eq!(identity.subject(), "Jane Doe (Example News)");
    assert_eq!(identity.root_pem(), plain.root_pem());

    // The decrypted key signs what the newsroom root trusts.
    let signed = sign(
        &read("images/other.jpg"),
        &identity,
        &SignOptions::default(),
    )
    .expect("sign");
    let report = trusting_newsroom().verify(&signed);
    assert_eq!(report.verdict, Verdict::Trusted, "{}", report.summary);
}

#[test]
fn fixture_key_files_are_pkcs8_pem_beside_their_certificates() {
    let text = |rel: &str| String::from_utf8(read(rel)).expect("PEM is text");
    let blocks = |pem: &str| pem.matches("-----BEGIN CERTIFICATE-----").count();
    for who in ["newsroom", "stranger", "nikon-self-signed"] {
        let key = text(&format!("keys/{who}/signing.key"));
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{who}");
    }
    let key = text("keys/newsroom-encrypted/signing.key");
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    for who in ["newsroom", "newsroom-encrypted", "stranger"] {
        assert_eq!(
            blocks(&text(&format!("keys/{who}/chain.pem"))),
            2,
            "{who}: leaf and CA"
        );
        assert_eq!(blocks(&text(&format!("keys/{who}/root.pem"))), 1, "{who}");
    }
    assert_eq!(blocks(&text("keys/nikon-self-signed/chain.pem")), 1);
    assert!(!fixtures().join("keys/nikon-self-signed/root.pem").exists());
    let nikon = Identity::load(&fixtures().join("keys/nikon-self-signed"), None).expect("load");
    assert_eq!(nikon.subject(), "Nikon (Nikon Corporation)");
    let stranger = Identity::load(&fixtures().join("keys/stranger"), None).expect("load");
    assert_eq!(stranger.subject(), "Sam Stranger (Unknown Agency)");
}

/// AES-CBC in PBES2 has no MAC, so a changed byte in an encrypted key file
/// can decrypt to a different, well-formed key: every such file must still
/// fail to load (bad padding, not PKCS#8, or a key that doesn't match the
/// certificate), never sign as someone else.
#[test]
fn every_single_character_change_to_the_encrypted_key_file_is_refused() {
    let dir = fixtures().join("keys/newsroom-encrypted");
    let pem = String::from_utf8(fs::read(dir.join("signing.key")).expect("key")).expect("text");
    let chain = String::from_utf8(fs::read(dir.join("chain.pem")).expect("chain")).expect("text");
    let pass = Passphrase::new("fixture passphrase");
    Identity::from_pem(&pem, &chain, Some(&pass)).expect("the untouched file opens");
    let body_start = pem.find('\n').expect("a header line") + 1;
    let body_end = pem.rfind("-----END").expect("a footer");
    let mut codes = std::collections::BTreeMap::new();
    for at in body_start..body_end {
        let c = pem.as_bytes()[at];
        if c == b'\n' || c == b'=' {
            continue;
        }
        let swapped = if c == b'A' { 'B' } else { 'A' };
        let mut tampered = pem.clone();
        tampered.replace_range(at..at + 1, &swapped.to_string());
        let err = Identity::from_pem(&tampered, &chain, Some(&pass))
            .expect_err("a changed key file must not load");
        *codes.entry(err.code()).or_insert(0u32) += 1;
    }
    println!("{codes:?}");
    assert!(codes.values().sum::<u32>() > 100, "{codes:?}");
}

/// A one-page PDF; with `manifest`, that manifest store embedded as C2PA
/// says (an associated file whose relationship is `C2PA_Manifest`).
#[cfg(feature = "pdf")]
fn pdf(manifest: Option<&[u8]>) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R /AF [4 0 R] >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>".to_vec(),
    ];
    if let Some(store) = manifest {
        objects.push(
            b"<< /Type /Filespec /F (manifest.c2pa) /AFRelationship /C2PA_Manifest /EF << /F 5 0 R >> >>"
                .to_vec(),
        );
        let mut stream = format!(
            "<< /Type /EmbeddedFile /Subtype /application#2Fc2pa /Length {} >>\nstream\n",
            store.len()
        )
        .into_bytes();
        stream.extend_from_slice(store);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    } else {
        objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>".to_vec();
    }
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(feature = "pdf")]
#[test]
fn a_pdf_s_content_credentials_are_read_and_a_pdf_is_never_signed() {
    let verifier = trusting_newsroom();
    let plain = pdf(None);
    let report = verifier.verify(&plain);
    assert_eq!(
        (report.verdict, report.format.as_deref()),
        (Verdict::Unsigned, Some("application/pdf"))
    );
    // The newsroom JPEG's manifest store, moved into a PDF: its signature is
    // read and holds, but it binds the JPEG's bytes, not these.
    let jpeg = read("signed/newsroom.jpg");
    let store = c2pa::jumbf_io::load_jumbf_from_memory("image/jpeg", &jpeg).expect("a store");
    let report = verifier.verify(&pdf(Some(&store)));
    assert_eq!(report.verdict, Verdict::Tampered, "{}", report.summary);
    assert_eq!(report.failure_codes(), ["assertion.dataHash.mismatch"]);
    assert_eq!(
        report.claimed_signer.and_then(|s| s.name).as_deref(),
        Some("Jane Doe")
    );
    let identity = Identity::load(&fixtures().join("keys/newsroom"), None).expect("the identity");
    let err = sign(&plain, &identity, &SignOptions::default()).expect_err("no PDF is signed");
    assert_eq!(err.code().as_str(), "format.unsupported");
}

#[test]
fn every_media_fixture_gets_the_same_report_read_in_place_as_in_memory() {
    let verifier = untrusting();
    let mut checked = 0;
    for entry in fs::read_dir(fixtures().join("media")).expect("fixtures/media") {
        let path = entry.expect("an entry").path();
        if path
            .extension()
            .is_some_and(|e| e == "md" || e == "tsv" || e == "json")
        {
            continue;
        }
        let bytes = fs::read(&path).expect("read");
        let file = fs::File::open(&path).expect("open");
        let (in_memory, in_place) = (verifier.verify(&bytes), verifier.verify_file(&file));
        assert_eq!(
            in_place.to_json_line(),
            in_memory.to_json_line(),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert_eq!(checked, 10);
}
