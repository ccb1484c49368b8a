//! `hallmark sign` then `hallmark verify`: verdicts, exit statuses, the JSON
//! report contract, formats, and what the manifest records.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::{
    corpus, fixture, hallmark, jane, jpeg, leftovers, pem_certificates, png, sign, tamper_jpeg,
    verify_json, webp, write, RunExt, DIGITAL_CAPTURE, NO_ARGS, TRAINED_ALGORITHMIC_MEDIA,
};

/// Every field DESIGN.md's report contract names.
const REPORT_FIELDS: &[&str] = &[
    "path",
    "format",
    "verdict",
    "summary",
    "signer",
    "signed_at",
    "claim_generator",
    "title",
    "digital_source_type",
    "ai_generated",
    "actions",
    "ingredients",
    "pixels",
    "status",
    "error",
];

fn signed_jpeg(dir: &Path, id: &Path) -> std::path::PathBuf {
    let input = write(dir, "photo.jpg", &jpeg(64, 48));
    let output = dir.join("signed.jpg");
    let run = sign(id, &input, &output, NO_ARGS);
    run.expect_code(0);
    assert!(run.stdout.starts_with("Signed "), "{run:#?}");
    assert!(
        run.stdout.contains("as Jane Doe (Example News) -> "),
        "{run:#?}"
    );
    output
}

#[test]
fn signed_file_is_valid_without_trust_and_trusted_with_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let signed = signed_jpeg(tmp.path(), &id);
    let root = id.join("root.pem");

    let run = hallmark().arg("verify").arg(&signed).run();
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "✓ valid     {}  Signed by \"Jane Doe (Example News)\"; intact; no trust list given, so the signer is unverified\n",
            signed.display()
        )
    );

    let run = hallmark()
        .arg("verify")
        .arg(&signed)
        .arg("--trust")
        .arg(&root)
        .run();
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "✔ trusted   {}  Signed by \"Jane Doe (Example News)\"; trusted\n",
            signed.display()
        )
    );

    let run = hallmark()
        .arg("verify")
        .arg(&signed)
        .args(["--require", "trusted"])
        .run();
    run.expect_code(1);
    assert!(run.stdout.starts_with("✓ valid "), "{run:#?}");
    assert!(
        run.stdout
            .contains("\n  below the requirement: --require trusted\n"),
        "{run:#?}"
    );

    hallmark()
        .arg("verify")
        .arg(&signed)
        .args(["--require", "trusted", "--trust"])
        .arg(&root)
        .run()
        .expect_code(0);

    // Another identity's root is a trust list the signer is not on.
    let other = crate::support::identity(&tmp.path().join("other"), "Mallory", "Elsewhere");
    let report = verify_json(&[&signed], Some(&other.join("root.pem")))
        .expect_code(0)
        .json();
    assert_eq!(report["verdict"], "valid");
    assert_eq!(
        report["summary"],
        "Signed by \"Jane Doe (Example News)\"; intact, but the signer is not in the trust list"
    );
}

#[test]
fn json_report_has_every_contract_field() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let signed = signed_jpeg(tmp.path(), &id);
    let leaf_sha256 = hex(&Sha256::digest(&pem_certificates(&id.join("chain.pem"))[0]));
    let root_sha256 = hex(&Sha256::digest(&pem_certificates(&id.join("root.pem"))[0]));

    let trusted = verify_json(&[&signed], Some(&id.join("root.pem")))
        .expect_code(0)
        .json();
    for field in REPORT_FIELDS {
        assert!(
            trusted.get(field).is_some(),
            "field {field} missing: {trusted}"
        );
    }
    assert_eq!(trusted["path"], signed.display().to_string());
    assert_eq!(trusted["format"], "image/jpeg");
    assert_eq!(trusted["verdict"], "trusted");
    assert_eq!(
        trusted["summary"],
        "Signed by \"Jane Doe (Example News)\"; trusted"
    );
    assert_eq!(
        trusted["signer"],
        json!({
            "name": "Jane Doe",
            "organization": "Example News",
            "issuer": "Example News CA",
            "certificate_sha256": leaf_sha256,
            "trusted": true,
            "anchor": {
                "name": "Example News CA (Example News)",
                "certificate_sha256": root_sha256,
                "source": format!("--trust {}", id.join("root.pem").display()),
            },
            "chain": ["Jane Doe (Example News)", "Example News CA (Example News)"],
        })
    );
    assert_eq!(trusted["claim_generator"], "hallmark/0.1.0");
    assert_eq!(
        trusted["title"], "photo.jpg",
        "the input's file name by default"
    );
    assert_eq!(trusted["digital_source_type"], DIGITAL_CAPTURE);
    assert_eq!(trusted["ai_generated"], false);
    assert_eq!(trusted["actions"], json!(["c2pa.created"]));
    assert_eq!(trusted["ingredients"], json!([]));
    assert_eq!(trusted["pixels"], Value::Null);
    assert_eq!(trusted["status"], json!([]), "nothing fails when trusted");
    assert_eq!(trusted["error"], Value::Null);

    let valid = verify_json(&[&signed], None).expect_code(0).json();
    assert_eq!(valid["verdict"], "valid");
    assert_eq!(valid["signer"]["trusted"], false);
    assert_eq!(valid["signer"]["certificate_sha256"], leaf_sha256);
    assert_eq!(
        valid["status"],
        json!([{"code": "signingCredential.untrusted", "kind": "failure",
                "explanation": "signing certificate untrusted",
                "scope": "claim_signature",
                "url": valid["status"][0]["url"]}])
    );
    let url = valid["status"][0]["url"].as_str().unwrap_or_default();
    assert!(
        url.starts_with("self#jumbf=/c2pa/") && url.ends_with("/c2pa.signature"),
        "{url}"
    );
    assert_eq!(valid["identities"], json!([]));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn several_files_give_one_line_each_and_the_highest_exit_status() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let signed = signed_jpeg(tmp.path(), &id);
    let tampered = write(
        tmp.path(),
        "tampered.jpg",
        &tamper_jpeg(&fs::read(&signed).unwrap()),
    );
    let unsigned = write(tmp.path(), "unsigned.jpg", &jpeg(16, 16));
    let missing = tmp.path().join("missing.jpg");

    let verdicts = |run: &crate::support::Run| -> Vec<(String, String)> {
        run.json_lines()
            .iter()
            .map(|r| {
                (
                    r["path"].as_str().unwrap().to_string(),
                    r["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let name = |p: &Path| p.display().to_string();

    let run = verify_json(&[&signed, &tampered, &unsigned, &missing], None);
    run.expect_code(4);
    assert_eq!(
        verdicts(&run),
        [
            (name(&signed), "valid".to_string()),
            (name(&tampered), "tampered".to_string()),
            (name(&unsigned), "unsigned".to_string()),
            (name(&missing), "error".to_string()),
        ]
    );
    // Tampered (3) beats unsigned (1), in either order.
    verify_json(&[&tampered, &unsigned], None).expect_code(3);
    verify_json(&[&unsigned, &tampered], None).expect_code(3);
    verify_json(&[&unsigned, &signed], None).expect_code(1);
    verify_json(&[&signed, &signed], None).expect_code(0);
    verify_json(&[&missing, &signed], None).expect_code(4);

    let report = &verify_json(&[&tampered], None).expect_code(3).json();
    assert_eq!(
        report["signer"],
        Value::Null,
        "a tampered file has no signer"
    );
    assert_eq!(report["claimed_signer"]["name"], "Jane Doe");
    let failures: Vec<&str> = report["status"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "failure")
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        failures,
        ["signingCredential.untrusted", "assertion.dataHash.mismatch"]
    );

    let report = &verify_json(&[&unsigned], None).expect_code(1).json();
    assert_eq!(report["summary"], "No Content Credentials");
    assert_eq!(report["format"], "image/jpeg");
}

#[test]
fn png_and_webp_sign_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    for (name, bytes, mime) in [
        ("picture.png", png(40, 30), "image/png"),
        ("picture.webp", webp(40, 30), "image/webp"),
        (
            "corpus.png",
            fs::read(corpus("pdq/pen-and-coaster.png")).unwrap(),
            "image/png",
        ),
    ] {
        let input = write(tmp.path(), name, &bytes);
        let output = tmp.path().join(format!("signed-{name}"));
        let run = sign(&id, &input, &output, NO_ARGS);
        run.expect_code(0);
        assert!(!run.stderr.contains("no pixel digest"), "{}", run.stderr);
        let report = verify_json(&[&output], Some(&id.join("root.pem")))
            .expect_code(0)
            .json();
        assert_eq!(report["format"], mime, "{name}");
        assert_eq!(report["verdict"], "trusted", "{name}: {report}");
        assert_eq!(report["title"], name);
        assert_eq!(fs::read(&input).unwrap(), bytes, "the input is untouched");

        let unsigned = verify_json(&[&input], None).expect_code(1).json();
        assert_eq!(unsigned["verdict"], "unsigned", "{name}");
        assert_eq!(unsigned["format"], mime);
    }
}

#[test]
fn corpus_files_get_the_reference_verdicts() {
    let dir = corpus("c2pa-rs");
    let trust = dir.join("certs/trust/test_cert_root_bundle.pem");
    for (table, trust) in [
        ("expected-untrusted.tsv", None),
        ("expected-trusted.tsv", Some(&trust)),
    ] {
        let expected = fs::read_to_string(dir.join(table)).unwrap();
        for line in expected.lines().filter(|l| !l.trim().is_empty()) {
            let mut cols = line.split('\t');
            let (file, verdict) = (cols.next().unwrap(), cols.next().unwrap());
            let report = verify_json(&[&dir.join(file)], trust.map(|p| p.as_path()));
            report.expect_no_panic();
            let report = report.json();
            assert_eq!(report["verdict"], verdict, "{table}: {file}: {report}");
        }
    }
}

#[test]
fn ai_generated_and_source_type_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let input = write(tmp.path(), "gen.jpg", &jpeg(32, 32));

    let ai = tmp.path().join("ai.jpg");
    sign(&id, &input, &ai, &["--ai-generated"]).expect_code(0);
    let report = verify_json(&[&ai], None).expect_code(0).json();
    assert_eq!(report["ai_generated"], true);
    assert_eq!(report["digital_source_type"], TRAINED_ALGORITHMIC_MEDIA);
    assert_eq!(
        report["summary"],
        "Signed by \"Jane Doe (Example News)\"; intact; no trust list given, so the signer is unverified; AI-generated"
    );

    let custom = tmp.path().join("custom.jpg");
    let uri = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalArt";
    sign(&id, &input, &custom, &["--source-type", uri]).expect_code(0);
    let report = verify_json(&[&custom], None).expect_code(0).json();
    assert_eq!(report["ai_generated"], false);
    assert_eq!(report["digital_source_type"], uri);

    let both = tmp.path().join("both.jpg");
    let run = sign(
        &id,
        &input,
        &both,
        &["--ai-generated", "--source-type", uri],
    );
    run.expect_code(2);
    assert!(!both.exists());
}

#[test]
fn title_and_actions_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let input = write(tmp.path(), "in.jpg", &jpeg(32, 32));
    let out = tmp.path().join("out.jpg");
    let extra = [
        "--title",
        "Harbour at dawn",
        "--action",
        "c2pa.cropped",
        "--action",
        "c2pa.color_adjustments",
    ];
    sign(&id, &input, &out, &extra).expect_code(0);
    let report = verify_json(&[&out], None).expect_code(0).json();
    assert_eq!(report["title"], "Harbour at dawn");
    assert_eq!(
        report["actions"],
        json!(["c2pa.created", "c2pa.cropped", "c2pa.color_adjustments"])
    );

    let bad = tmp.path().join("bad.jpg");
    sign(&id, &input, &bad, &["--action", "not an action"]).expect_error("sign.invalid_option", 2);
    assert!(!bad.exists());
}

#[test]
fn parent_is_recorded_as_an_ingredient() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let parent_in = write(tmp.path(), "raw.jpg", &jpeg(48, 48));
    let parent = tmp.path().join("parent.jpg");
    sign(&id, &parent_in, &parent, NO_ARGS).expect_code(0);
    let edit = write(tmp.path(), "edit.jpg", &jpeg(40, 40));

    let child = tmp.path().join("child.jpg");
    let extra = [
        std::ffi::OsStr::new("--parent"),
        parent.as_os_str(),
        "--action".as_ref(),
        "c2pa.cropped".as_ref(),
    ];
    sign(&id, &edit, &child, &extra).expect_code(0);
    let report = verify_json(&[&child], Some(&id.join("root.pem")))
        .expect_code(0)
        .json();
    assert_eq!(report["verdict"], "trusted");
    // The parent's verdict comes from its own manifest under the current
    // trust (it was valid, untrusted, when the child was signed).
    assert_eq!(
        report["ingredients"],
        json!([{"title": "parent.jpg", "relationship": "parentOf", "verdict": "trusted"}])
    );
    let untrusted = verify_json(&[&child], None).expect_code(0).json();
    assert_eq!(
        untrusted["ingredients"],
        json!([{"title": "parent.jpg", "relationship": "parentOf", "verdict": "valid"}])
    );
    assert_eq!(
        report["actions"],
        json!(["c2pa.opened", "c2pa.edited", "c2pa.cropped"])
    );

    // An unsigned parent is an unsigned ingredient.
    let child2 = tmp.path().join("child2.jpg");
    sign(
        &id,
        &edit,
        &child2,
        &[std::ffi::OsStr::new("--parent"), parent_in.as_os_str()],
    )
    .expect_code(0);
    let report = verify_json(&[&child2], None).expect_code(0).json();
    assert_eq!(
        report["ingredients"],
        json!([{"title": "raw.jpg", "relationship": "parentOf", "verdict": "unsigned"}])
    );
}

#[test]
fn sign_refuses_an_existing_output_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let input = write(tmp.path(), "in.jpg", &jpeg(32, 32));
    let existing = write(tmp.path(), "out.jpg", b"precious bytes");

    let run = sign(&id, &input, &existing, NO_ARGS);
    run.expect_error("output.exists", 1);
    assert_eq!(run.stdout, "");
    assert_eq!(fs::read(&existing).unwrap(), b"precious bytes");
    assert!(leftovers(tmp.path()).is_empty());

    sign(&id, &input, &existing, &["--force"]).expect_code(0);
    let report = verify_json(&[&existing], None).expect_code(0).json();
    assert_eq!(report["verdict"], "valid");
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn in_place_replaces_the_input_keeping_its_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let original = jpeg(64, 64);
    let file = write(tmp.path(), "photo.jpg", &original);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();

    let run = hallmark()
        .arg("sign")
        .arg(&file)
        .arg("--in-place")
        .arg("--identity")
        .arg(&id)
        .run();
    run.expect_code(0);
    let signed = fs::read(&file).unwrap();
    assert_ne!(signed, original);
    assert!(signed.len() > original.len());
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        crate::support::entries(tmp.path()),
        ["id", "photo.jpg"],
        "no temp file left"
    );
    let report = verify_json(&[&file], Some(&id.join("root.pem")))
        .expect_code(0)
        .json();
    assert_eq!(report["verdict"], "trusted");
    assert_eq!(report["title"], "photo.jpg");
}

#[test]
fn output_and_in_place_are_exclusive_and_one_is_required() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let input = write(tmp.path(), "in.jpg", &jpeg(16, 16));
    let both = hallmark()
        .arg("sign")
        .arg(&input)
        .arg("--in-place")
        .arg("-o")
        .arg(tmp.path().join("x.jpg"))
        .arg("--identity")
        .arg(&id)
        .run();
    both.expect_code(2);
    let neither = hallmark()
        .arg("sign")
        .arg(&input)
        .arg("--identity")
        .arg(&id)
        .run();
    neither.expect_code(2);
    assert_eq!(fs::read(&input).unwrap(), jpeg(16, 16));
    assert_eq!(crate::support::entries(tmp.path()), ["id", "in.jpg"]);
}

#[test]
fn encrypted_identity_signs_with_env_or_file_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let id = tmp.path().join("id");
    hallmark()
        .args([
            "keygen",
            "--name",
            "Jane Doe",
            "--org",
            "Example News",
            "--out",
        ])
        .arg(&id)
        .env("HALLMARK_PASSPHRASE", crate::support::PASSPHRASE)
        .run()
        .expect_code(0);
    let input = write(tmp.path(), "in.jpg", &jpeg(16, 16));

    let out = tmp.path().join("env.jpg");
    let mut cmd = hallmark();
    cmd.arg("sign")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .arg("--identity")
        .arg(&id);
    cmd.env("HALLMARK_PASSPHRASE", crate::support::PASSPHRASE)
        .run()
        .expect_code(0);
    assert_eq!(
        verify_json(&[&out], None).expect_code(0).json()["verdict"],
        "valid"
    );

    let pass = write(
        tmp.path(),
        "pass.txt",
        format!("{}\n", crate::support::PASSPHRASE).as_bytes(),
    );
    let out = tmp.path().join("file.jpg");
    sign(
        &id,
        &input,
        &out,
        &[std::ffi::OsStr::new("--passphrase-file"), pass.as_os_str()],
    )
    .expect_code(0);
    assert_eq!(
        verify_json(&[&out], None).expect_code(0).json()["verdict"],
        "valid"
    );

    let out = tmp.path().join("none.jpg");
    sign(&id, &input, &out, NO_ARGS).expect_error("key.passphrase_required", 1);
    assert!(!out.exists());
}

#[test]
fn verify_rejects_a_trust_file_that_is_not_pem() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let signed = signed_jpeg(tmp.path(), &id);
    let bogus = write(tmp.path(), "bogus.pem", b"this is not a certificate\n");
    let run = hallmark()
        .arg("verify")
        .arg(&signed)
        .arg("--trust")
        .arg(&bogus)
        .run();
    run.expect_error("trust.malformed", 2);
    assert_eq!(run.stdout, "", "no verdict under a broken trust list");
    let run = hallmark()
        .arg("verify")
        .arg(&signed)
        .arg("--trust")
        .arg(tmp.path().join("nope.pem"))
        .run();
    run.expect_error("io.read", 2);
}

#[test]
fn verify_without_files_is_a_usage_error() {
    let run = hallmark().arg("verify").run();
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("<FILES>"), "{run:#?}");
}

#[test]
fn video_and_audio_sign_and_verify_and_a_changed_frame_is_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let id = jane(dir.path());
    let root = id.join("root.pem");
    for (name, format) in [
        ("video1_no_manifest.mp4", "video/mp4"),
        ("sample1.wav", "audio/wav"),
    ] {
        let signed = dir.path().join(format!("signed-{name}"));
        let run = sign(
            &id,
            &corpus(&format!("c2pa-rs/media/{name}")),
            &signed,
            &["--title", name],
        );
        run.expect_code(0);
        // A video's frames are hashed once a second; audio has no pictures.
        let note = format!(
            "hallmark: note: no pixel digest or PDQ soft binding: {format}: audio has no pictures to hash"
        );
        assert_eq!(
            run.stderr.contains(&note),
            format == "audio/wav",
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("note: no pixel digest") || format == "audio/wav");
        let run = verify_json(&[&signed], Some(&root));
        run.expect_code(0);
        let report: Value = serde_json::from_str(run.stdout.trim()).unwrap();
        assert_eq!(report["verdict"], "trusted", "{name}: {report}");
        assert_eq!(report["format"], format);
        assert_eq!(report["title"], name);
        assert_eq!(report["pixels"], Value::Null, "no pixels are decoded");

        // One bit of the media data changed (the middle of the file is audio or video samples).
        let mut bytes = fs::read(&signed).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        let tampered = write(dir.path(), &format!("tampered-{name}"), &bytes);
        let run = verify_json(&[&tampered], Some(&root));
        run.expect_code(3);
        let report: Value = serde_json::from_str(run.stdout.trim()).unwrap();
        assert_eq!(report["verdict"], "tampered", "{name}: {report}");
        // The video's frames were compared with the signed ones; audio has none.
        assert_eq!(
            report["video_frames"]["signed"].as_u64().is_some(),
            format == "video/mp4",
            "{report}"
        );
    }
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn a_pdf_is_read_but_never_signed_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let id = jane(dir.path());
    // One page, with a cross-reference table that lopdf reads.
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    .iter()
    .enumerate()
    {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    let pdf = write(dir.path(), "paper.pdf", &pdf);
    let out = dir.path().join("signed.pdf");
    let run = sign(&id, &pdf, &out, NO_ARGS);
    run.expect_code(4);
    assert!(
        run.stderr.contains("[format.unsupported]") && run.stderr.contains("read, never signed"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    let report = verify_json(&[&pdf], None).expect_code(1).json();
    assert_eq!(
        (report["verdict"].as_str(), report["format"].as_str()),
        (Some("unsigned"), Some("application/pdf"))
    );
    // A broken one is an error with a code, not a panic.
    let broken = write(
        dir.path(),
        "broken.pdf",
        b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n",
    );
    let report = verify_json(&[&broken], None).expect_code(4).json();
    assert_eq!(report["error"]["code"], "format.malformed");
}

/// An MP4 of `total` bytes: the fixture clip with its one `mdat` box grown
/// (a 64-bit size, where the clip's 8-byte `free` box was, so every sample
/// stays where it was), or, with `second_box`, the clip and one more `mdat`.
fn large_mp4(path: &Path, total: u64, second_box: bool) {
    use std::io::Write;
    let clip = fs::read(fixture("media/clip.mp4")).unwrap();
    let mut f = fs::File::create(path).unwrap();
    if second_box {
        f.write_all(&clip).unwrap();
        f.write_all(&1u32.to_be_bytes()).unwrap();
        f.write_all(b"mdat").unwrap();
        f.write_all(&(total - clip.len() as u64).to_be_bytes())
            .unwrap();
    } else {
        let free = clip
            .windows(8)
            .position(|w| w == b"\0\0\0\x08free")
            .unwrap();
        assert_eq!(&clip[free + 12..free + 16], b"mdat");
        f.write_all(&clip[..free]).unwrap();
        f.write_all(&1u32.to_be_bytes()).unwrap();
        f.write_all(b"mdat").unwrap();
        f.write_all(&(total - free as u64).to_be_bytes()).unwrap();
        f.write_all(&clip[free + 16..]).unwrap();
    }
    f.set_len(total).unwrap();
}

/// The hash a signed MP4's manifest binds it with: Merkle trees or flat.
fn bmff_hash_is_merkle(signed: &Path) -> bool {
    let run = hallmark().arg("inspect").arg("--json").arg(signed).run();
    let store: Value = serde_json::from_str(&run.stdout).unwrap();
    let active = store["active_manifest"].as_str().unwrap().to_string();
    let assertions = store["manifest_store"]["manifests"][&active]["assertions"]
        .as_array()
        .unwrap()
        .clone();
    let bmff = assertions
        .iter()
        .find(|a| a["label"].as_str().unwrap().starts_with("c2pa.hash.bmff"))
        .unwrap_or_else(|| panic!("no BMFF hash in {assertions:?}"));
    bmff["data"].get("merkle").is_some_and(|m| !m.is_null())
}

#[test]
fn a_large_video_is_hashed_as_merkle_trees_and_any_changed_byte_is_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let id = jane(dir.path());
    let root = id.join("root.pem");
    // Over 64 MB: Merkle trees over the media data; a later 64-bit `mdat`
    // (which c2pa 0.90 can't tree) is hashed flat instead. Sparse files.
    for (second_box, merkle) in [(false, true), (true, false)] {
        let input = dir.path().join(format!("large-{second_box}.mp4"));
        large_mp4(&input, 72 << 20, second_box);
        let signed = dir.path().join(format!("signed-large-{second_box}.mp4"));
        sign(&id, &input, &signed, NO_ARGS).expect_code(0);
        assert_eq!(
            bmff_hash_is_merkle(&signed),
            merkle,
            "second box: {second_box}"
        );
        let run = verify_json(&[&signed], Some(&root));
        run.expect_code(0);
        assert_eq!(run.json()["verdict"], "trusted");
        // One byte of the media data, far past the clip's samples.
        let mut bytes = fs::read(&signed).unwrap();
        let at = bytes.len() * 2 / 3;
        bytes[at] ^= 0x01;
        let tampered = write(
            dir.path(),
            &format!("tampered-large-{second_box}.mp4"),
            &bytes,
        );
        let run = verify_json(&[&tampered], Some(&root));
        run.expect_code(3);
        let report = run.json();
        assert_eq!(report["verdict"], "tampered", "{report}");
        assert_eq!(
            report["status"][0]["code"], "assertion.bmffHash.mismatch",
            "{report}"
        );
    }
    // The small clip is hashed flat, as most signers do.
    let small = dir.path().join("signed-clip.mp4");
    sign(&id, &fixture("media/clip.mp4"), &small, NO_ARGS).expect_code(0);
    assert!(!bmff_hash_is_merkle(&small));
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

/// A GIF of two 32 × 32 frames, each with its own palette: a red check,
/// then a check of `second`.
fn two_frame_gif(second: [u8; 3]) -> Vec<u8> {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, Rgba, RgbaImage};
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        for [r, g, b] in [[200, 30, 30], second] {
            let frame = RgbaImage::from_fn(32, 32, |x, y| {
                if (x / 4 + y / 4) % 2 == 0 {
                    Rgba([r, g, b, 255])
                } else {
                    Rgba([250, 250, 250, 255])
                }
            });
            let delay = Delay::from_numer_denom_ms(100, 1);
            encoder
                .encode_frame(Frame::from_parts(frame, 0, 0, delay))
                .unwrap();
        }
    }
    out
}

/// Where the second frame's own palette starts in a GIF.
fn second_frame_palette(gif: &[u8]) -> usize {
    let table = |packed: u8| {
        if packed & 0x80 != 0 {
            3 << ((packed & 7) + 1)
        } else {
            0
        }
    };
    let skip_blocks = |mut i: usize| {
        while gif[i] != 0 {
            i += usize::from(gif[i]) + 1;
        }
        i + 1
    };
    let mut i = 13 + table(gif[10]);
    let mut frames = 0;
    loop {
        match gif[i] {
            0x21 => i = skip_blocks(i + 2),
            0x2C => {
                frames += 1;
                let packed = gif[i + 9];
                if frames == 2 {
                    assert_ne!(table(packed), 0, "the frame has its own palette");
                    return i + 10;
                }
                i = skip_blocks(i + 10 + table(packed) + 1);
            }
            other => panic!("block {other:#x} at {i}"),
        }
    }
}

#[test]
fn every_frame_of_a_gif_is_signed_and_a_changed_later_frame_is_not_pixels_intact() {
    let dir = tempfile::tempdir().unwrap();
    let id = jane(dir.path());
    let root = id.join("root.pem");
    let input = write(dir.path(), "check.gif", &two_frame_gif([30, 30, 200]));
    let signed = dir.path().join("signed.gif");
    sign(&id, &input, &signed, NO_ARGS).expect_code(0);
    let report = verify_json(&[&signed], Some(&root)).expect_code(0).json();
    assert_eq!(
        (report["verdict"].as_str(), report["format"].as_str()),
        (Some("trusted"), Some("image/gif"))
    );
    let bytes = fs::read(&signed).unwrap();

    // A comment added before the trailer: the container changed, every frame as signed.
    let mut commented = bytes[..bytes.len() - 1].to_vec();
    commented.extend_from_slice(b"\x21\xFE\x03hi!\x00\x3B");
    let path = write(dir.path(), "commented.gif", &commented);
    let report = verify_json(&[&path], Some(&root)).expect_code(3).json();
    assert_eq!(
        report["pixels"],
        json!({"digest": "match", "pdq_distance": 0}),
        "{report}"
    );
    assert!(
        report["summary"]
            .as_str()
            .unwrap()
            .contains("container rewritten, pixels intact"),
        "{report}"
    );

    // The second frame's palette changed: the first frame (PDQ) is the same,
    // but the digest covers every frame.
    let mut recoloured = bytes.clone();
    recoloured[second_frame_palette(&bytes)] ^= 0x40;
    let path = write(dir.path(), "recoloured.gif", &recoloured);
    let report = verify_json(&[&path], Some(&root)).expect_code(3).json();
    assert_eq!(
        report["pixels"],
        json!({"digest": "mismatch", "pdq_distance": 0}),
        "{report}"
    );
    assert!(
        report["summary"]
            .as_str()
            .unwrap()
            .contains("pixels changed after signing"),
        "{report}"
    );
}

#[test]
fn a_tiff_is_signed_with_its_pixels_and_a_raw_dng_without() {
    let dir = tempfile::tempdir().unwrap();
    let id = jane(dir.path());
    let root = id.join("root.pem");
    let picture = crate::support::picture(400, 300);
    let mut tiff = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut tiff, image::ImageFormat::Tiff)
        .unwrap();
    let input = write(dir.path(), "picture.tiff", tiff.get_ref());
    let signed = dir.path().join("signed.tiff");
    sign(&id, &input, &signed, NO_ARGS).expect_code(0);
    let report = verify_json(&[&signed], Some(&root)).expect_code(0).json();
    assert_eq!(report["format"], "image/tiff");
    assert_eq!(report["verdict"], "trusted", "{report}");
    // Uncompressed strips: a byte in the middle of the pixels.
    let mut bytes = fs::read(&signed).unwrap();
    let raw = picture.as_raw();
    let strips = bytes.windows(64).position(|w| w == &raw[..64]).unwrap();
    bytes[strips + raw.len() / 2] ^= 0xFF;
    let path = write(dir.path(), "changed.tiff", &bytes);
    let report = verify_json(&[&path], Some(&root)).expect_code(3).json();
    assert_eq!(report["pixels"]["digest"], "mismatch", "{report}");

    // A DNG's first image is a preview, not the picture: signed, no pixels.
    let signed = dir.path().join("signed.dng");
    sign(&id, &fixture("media/tiny.dng"), &signed, NO_ARGS).expect_code(0);
    let report = verify_json(&[&signed], Some(&root)).expect_code(0).json();
    assert_eq!(report["verdict"], "trusted", "{report}");
    let mut bytes = fs::read(&signed).unwrap();
    let at = bytes.len() - 1;
    bytes[at] ^= 0xFF;
    let path = write(dir.path(), "changed.dng", &bytes);
    let report = verify_json(&[&path], Some(&root)).expect_code(3).json();
    assert_eq!(
        report["pixels"],
        Value::Null,
        "nothing is said of a raw image's pixels: {report}"
    );
}
