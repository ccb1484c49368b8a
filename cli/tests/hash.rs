//! `hallmark hash` and `hallmark match`, run as a user would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is a failed test

use std::path::PathBuf;
use std::process::Command;

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/pdq")
        .join(name)
}

fn hallmark(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .env("HALLMARK_CONFIG_DIR", "/nonexistent/hallmark-test-config")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

#[test]
fn hash_gives_the_reference_pdq_and_the_pixel_digest() {
    let png = corpus("bridge-1-original.png");
    let (code, out, _) = hallmark(&["hash".as_ref(), "--json".as_ref(), png.as_os_str()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["pdq"], BRIDGE);
    assert_eq!(v["quality"], 100);
    assert_eq!(v["width"], 1600);
    assert_eq!(v["height"], 1004);
    assert_eq!(v["pixel_digest"].as_str().unwrap().len(), 64);
    // The JPEG the PNG was made from hashes the same (decoders differ by a
    // pixel value here and there, so the digests do not match).
    let (_, jpg, _) = hallmark(&[
        "hash".as_ref(),
        "--json".as_ref(),
        corpus("bridge-1-original.jpg").as_os_str(),
    ]);
    let j: serde_json::Value = serde_json::from_str(jpg.trim()).unwrap();
    assert_eq!(j["pdq"], BRIDGE);
    assert_ne!(v["pixel_digest"], j["pixel_digest"]);
}

#[test]
fn hash_reports_unreadable_files_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jpg");
    std::fs::write(&bad, b"not an image").unwrap();
    let png = corpus("c.png");
    let (code, out, _) = hallmark(&[
        "hash".as_ref(),
        "--json".as_ref(),
        bad.as_os_str(),
        png.as_os_str(),
    ]);
    assert_eq!(code, 4);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["error"]["code"], "format.unrecognized");
    assert_eq!(lines[1]["quality"], 100);
}

/// JPEGs are hashed from the file in place: a dimension bomb is still
/// `limits.dimensions` from its header, a file cut short is still refused
/// as truncated (never padded with grey), and a whole one hashes as before.
#[test]
fn jpegs_read_in_place_keep_their_checks_and_their_hash() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(corpus("bridge-1-original.jpg")).unwrap();
    let cut = dir.path().join("cut.jpg");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let (code, out, _) = hallmark(&[
        "hash".as_ref(),
        "--json".as_ref(),
        fixtures.join("attacks/bomb.jpg").as_os_str(),
        cut.as_os_str(),
        corpus("bridge-1-original.jpg").as_os_str(),
    ]);
    assert_eq!(code, 4, "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["error"]["code"], "limits.dimensions", "{out}");
    assert_eq!(lines[1]["error"]["code"], "format.malformed", "{out}");
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("truncated"),
        "{out}"
    );
    assert_eq!(lines[2]["pdq"], BRIDGE);
}

#[test]
fn match_labels_copies_rotations_and_strangers() {
    let dir = tempfile::tempdir().unwrap();
    let bank = dir.path().join("bank.tsv");
    std::fs::write(
        &bank,
        format!("# known fakes\n{BRIDGE}\tknown-fake\tbridge\nnot-a-hash\tx\ty\n"),
    )
    .unwrap();
    let files = [
        corpus("bridge-mods/blur-a-lot.jpg"),
        corpus("bridge-2-rotate-90.jpg"),
        corpus("pen-and-coaster.png"),
        corpus("small.jpg"),
    ];
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "match".as_ref(),
        "--json".as_ref(),
        "--bank".as_ref(),
        bank.as_os_str(),
    ];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let (code, out, err) = hallmark(&args);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("bank.tsv:3"),
        "the bad bank line is reported: {err}"
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["label"], "known-fake");
    assert_eq!(lines[0]["match"]["transform"], "original");
    assert!(lines[0]["match"]["distance"].as_u64().unwrap() <= 31);
    assert_eq!(lines[1]["label"], "known-fake");
    assert_eq!(lines[1]["match"]["transform"], "rotate270");
    assert_eq!(lines[2]["label"], "unknown");
    assert_eq!(lines[2]["match"], serde_json::Value::Null);
    assert_eq!(lines[3]["label"], "low-quality");
}

#[test]
fn a_bank_without_a_usable_hash_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let bank = dir.path().join("bank.tsv");
    std::fs::write(&bank, "garbage\n\u{0}\u{1}\n").unwrap();
    let png = corpus("c.png");
    let (code, _, err) = hallmark(&[
        "match".as_ref(),
        "--bank".as_ref(),
        bank.as_os_str(),
        png.as_os_str(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("[bank.empty]"), "{err}");
}

#[test]
fn a_bank_with_many_bad_lines_lists_a_hundred_and_counts_the_rest() {
    // Before, match printed a warning for every bad line: a million-line
    // bank with a broken column flooded stderr with a million lines.
    let dir = tempfile::tempdir().unwrap();
    let bank = dir.path().join("bank.tsv");
    let mut text = format!("{BRIDGE}\tknown-original\tthe bridge\n");
    for i in 0..250 {
        text.push_str(&format!("not-a-hash-{i}\tknown-fake\t\n"));
    }
    std::fs::write(&bank, text).unwrap();
    let png = corpus("bridge-1-original.png");
    let (code, out, err) = hallmark(&[
        "match".as_ref(),
        "--bank".as_ref(),
        bank.as_os_str(),
        png.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("known-original"), "{out}");
    assert_eq!(err.matches("[bank.line]").count(), 100, "{err}");
    assert!(
        err.contains("[bank.lines]: ") && err.contains(": 150 more lines skipped"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 101, "{err}");
}
