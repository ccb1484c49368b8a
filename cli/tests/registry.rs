//! `hallmark registry add`, `hallmark registry lookup` and `hallmark verify
//! --registry`, run as the real binary on the project's fixtures: exact
//! lines, exit statuses and JSON fields.
//!
//! Run: `cargo test -p hallmark-cli --test registry`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "cli/support.rs"]
#[allow(dead_code)]
mod support;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use support::{fixture, hallmark, write, RunExt};

fn root() -> PathBuf {
    fixture("keys/newsroom/root.pem")
}

/// `hallmark registry add FILES… --db DB --trust newsroom-root [extra…]`.
fn add(db: &Path, files: &[&Path], extra: &[&str]) -> support::Run {
    hallmark()
        .args(["registry", "add"])
        .args(files)
        .arg("--db")
        .arg(db)
        .arg("--trust")
        .arg(root())
        .args(extra)
        .run()
}

/// A registry in `dir` holding `signed/newsroom.jpg`, trusted.
fn newsroom_registry(dir: &Path) -> PathBuf {
    let db = dir.join("registry.db");
    add(&db, &[&fixture("signed/newsroom.jpg")], &[]).expect_code(0);
    db
}

/// `signed/newsroom.jpg` decoded and saved again as JPEG quality 70: no metadata survives.
fn reencoded(dir: &Path) -> PathBuf {
    let img = image::open(fixture("signed/newsroom.jpg"))
        .unwrap()
        .to_rgb8();
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70)
        .encode_image(&img)
        .unwrap();
    write(dir, "reposted.jpg", &out.into_inner())
}

fn garbage_db(dir: &Path) -> PathBuf {
    let bytes: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    write(dir, "garbage.db", &bytes)
}

#[test]
fn add_prints_one_line_per_file_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("registry.db");
    let newsroom = fixture("signed/newsroom.jpg");
    let stranger = fixture("signed/stranger.jpg");

    // A signer no trust anchor vouches for is refused unless allowed:
    // before, anyone's home-made CA was registered, as `valid`.
    let run = add(&db, &[&stranger], &[]);
    run.expect_code(1);
    assert_eq!(
        run.stdout,
        format!(
            "rejected  {}  [registry.rejected] not registered: the file is valid (Signed by \"Sam Stranger (Unknown Agency)\"; intact, but the signer is not in the trust list); only trusted files are registered: trust its signer's root (--trust), or allow valid files (--allow-valid)\n",
            stranger.display()
        )
    );
    let run = add(&db, &[&newsroom, &stranger], &["--allow-valid"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "added     {}  entry 1: Jane Doe (Example News), trusted, \"newsroom.jpg\"\n\
             added     {}  entry 2: Sam Stranger (Unknown Agency), valid, \"stranger.jpg\"\n",
            newsroom.display(),
            stranger.display()
        )
    );
    assert_eq!(run.stderr, "");

    let run = add(&db, &[&newsroom], &["--json"]);
    run.expect_code(0);
    let line = run.json();
    assert_eq!(line["status"], "exists");
    assert_eq!(line["entry"]["id"], 1);
    assert_eq!(line["entry"]["signer"]["name"], "Jane Doe");
    assert_eq!(line["entry"]["verdict"], "trusted");
    assert_eq!(line["entry"]["width"], 1200);
    assert_eq!(line["entry"]["pdq"].as_str().unwrap().len(), 64);
    assert_eq!(line["error"], serde_json::Value::Null);
}

#[test]
fn add_rejects_files_that_do_not_verify_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("registry.db");
    let flipped = fixture("attacks/pixel-flip.jpg");
    let unsigned = fixture("images/other.jpg");
    let newsroom = fixture("signed/newsroom.jpg");

    let run = add(&db, &[&flipped, &newsroom, &unsigned], &[]);
    run.expect_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{run:#?}");
    assert!(
        lines[0].starts_with(&format!(
            "rejected  {}  [registry.rejected] not registered: the file is tampered (",
            flipped.display()
        )),
        "{run:#?}"
    );
    assert!(lines[1].starts_with("added     "), "{run:#?}");
    assert!(
        lines[2].starts_with(&format!(
            "rejected  {}  [registry.rejected] not registered: the file is unsigned (",
            unsigned.display()
        )),
        "{run:#?}"
    );

    let run = add(&db, &[&flipped], &["--json"]);
    run.expect_code(1);
    let line = run.json();
    assert_eq!(line["status"], "rejected");
    assert_eq!(line["error"]["code"], "registry.rejected");
    assert_eq!(line["entry"], serde_json::Value::Null);

    // A file that can't be read: 4, the highest status, wins.
    let run = add(&db, &[&flipped, &tmp.path().join("missing.jpg")], &[]);
    run.expect_code(4);
    assert!(
        run.stdout.lines().nth(1).unwrap().contains("[io.read]"),
        "{run:#?}"
    );
}

#[test]
fn a_file_that_is_not_a_registry_is_refused_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let db = garbage_db(tmp.path());
    let before = std::fs::read(&db).unwrap();
    add(&db, &[&fixture("signed/newsroom.jpg")], &[]).expect_error("registry.corrupt", 2);
    hallmark()
        .args(["registry", "lookup"])
        .arg(fixture("images/sample.jpg"))
        .arg("--db")
        .arg(&db)
        .run()
        .expect_error("registry.corrupt", 2);
    hallmark()
        .arg("verify")
        .arg(fixture("attacks/stripped.jpg"))
        .arg("--registry")
        .arg(&db)
        .run()
        .expect_error("registry.corrupt", 2);
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the file is left as it was"
    );
}

#[test]
fn lookup_lists_matches_and_exits_1_when_none() {
    let tmp = tempfile::tempdir().unwrap();
    let db = newsroom_registry(tmp.path());
    let stripped = fixture("attacks/stripped.jpg");
    let other = fixture("images/other.jpg");
    let lookup = |files: &[&Path], extra: &[&str]| {
        hallmark()
            .args(["registry", "lookup"])
            .args(files)
            .arg("--db")
            .arg(&db)
            .arg("--trust")
            .arg(fixture("keys/newsroom/root.pem"))
            .args(extra)
            .run()
    };

    let run = lookup(&[&stripped], &[]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "{}  1 match\n  same pixels (distance 0)  entry 1: Jane Doe (Example News), trusted, \"newsroom.jpg\", trusted now\n",
            stripped.display()
        )
    );
    // Without the trust, the stored credentials are valid now, not trusted.
    let run = hallmark()
        .args(["registry", "lookup"])
        .arg(&stripped)
        .arg("--db")
        .arg(&db)
        .run();
    run.expect_code(0);
    assert!(run.stdout.ends_with("\", valid now\n"), "{run:#?}");

    let run = lookup(&[&stripped, &other], &[]);
    run.expect_code(1);
    assert!(
        run.stdout
            .ends_with(&format!("{}  no match\n", other.display())),
        "{run:#?}"
    );

    let reposted = reencoded(tmp.path());
    let run = lookup(&[&reposted], &["--json"]);
    run.expect_code(0);
    let line = run.json();
    let m = &line["matches"][0];
    assert_eq!(m["entry"]["signer"]["name"], "Jane Doe");
    assert_eq!(m["pixel_digest_match"], false);
    assert_eq!(m["match"], "similar_picture");
    assert_eq!(m["verdict_now"], "trusted");
    let distance = m["distance"].as_u64().unwrap();
    assert!(distance <= 31, "{distance}");
    assert_eq!(line["quality"], 100);

    // At threshold 0 the re-encoded copy no longer matches.
    let run = lookup(&[&reposted], &["--threshold", "0"]);
    run.expect_code(if distance == 0 { 0 } else { 1 });
    lookup(&[&reposted], &["--threshold", "257"]).expect_code(2);
    // The same limit as `hallmark match` and the WASM package (before: 256 here, 128 there).
    lookup(&[&reposted], &["--threshold", "129"]).expect_code(2);
    lookup(&[&reposted], &["--threshold", "128"]).expect_code(0);
}

#[test]
fn verify_with_a_registry_recovers_stripped_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let db = newsroom_registry(tmp.path());
    let reposted = reencoded(tmp.path());
    let stripped = fixture("attacks/stripped.jpg");
    let verify = |files: &[&Path], extra: &[&str]| {
        hallmark()
            .arg("verify")
            .args(files)
            .arg("--registry")
            .arg(&db)
            .args(extra)
            .run()
    };

    // A re-encoded copy is only a similar picture: it is recovered, and
    // passes only with --accept-similar (another picture can hash near it).
    let run = verify(&[&reposted], &["--trust", root().to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stdout.starts_with(&format!(
            "↺ recovered {}  Credentials recovered from the registry: a similar picture (",
            reposted.display()
        )),
        "{run:#?}"
    );
    assert!(
        run.stdout.ends_with(
            " bits from one signed by Jane Doe (Example News)), not necessarily the same; its stored credentials are trusted now\n  similar, not the same pixels: not accepted without --accept-similar\n"
        ),
        "{run:#?}"
    );
    verify(&[&reposted], &["--accept-similar"]).expect_code(0);
    // The stripped original shows the same pixels: it passes as it is.
    let run = verify(&[&stripped], &[]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("the same pixels as a file signed by Jane Doe (Example News); the metadata was stripped; its stored credentials are valid now, but the signer is not in the trust list"),
        "{run:#?}"
    );
    // --accept-similar means nothing without a registry.
    hallmark()
        .arg("verify")
        .arg(&stripped)
        .arg("--accept-similar")
        .run()
        .expect_code(2);

    let run = verify(&[&stripped, &reposted], &["--json", "--accept-similar"]);
    run.expect_code(0);
    for report in run.json_lines() {
        assert_eq!(report["verdict"], "recovered");
        assert_eq!(report["signer"], serde_json::Value::Null);
        assert_eq!(report["recovered"]["signer"]["name"], "Jane Doe");
        assert_eq!(report["recovered"]["registered_verdict"], "trusted");
        assert_eq!(report["recovered"]["verdict_now"], "valid");
        assert_eq!(report["recovered"]["title"], "newsroom.jpg");
    }

    // Recovered never meets --require trusted: the trust decision was the registry's.
    let run = verify(&[&stripped], &["--require", "trusted"]);
    run.expect_code(1);
    assert!(
        run.stdout
            .ends_with("\n  below the requirement: --require trusted\n"),
        "{run:#?}"
    );

    // Unrelated pictures stay unsigned; tampered files stay tampered.
    let run = verify(&[&fixture("images/other.jpg")], &["--json"]);
    run.expect_code(1);
    assert_eq!(run.json()["verdict"], "unsigned");
    let run = verify(
        &[&fixture("attacks/pixel-flip.jpg"), &stripped],
        &["--json"],
    );
    run.expect_code(3);
    assert_eq!(run.json_lines()[0]["verdict"], "tampered");

    // --threshold needs --registry; without --registry nothing is recovered.
    hallmark()
        .arg("verify")
        .arg(&stripped)
        .args(["--threshold", "10"])
        .run()
        .expect_code(2);
    let run = hallmark().args(["verify", "--json"]).arg(&stripped).run();
    run.expect_code(1);
    assert_eq!(run.json()["verdict"], "unsigned");
}
