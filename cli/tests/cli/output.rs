//! `-o FILE` (the shared `OutputArgs`): every command that reports can write
//! to a file instead of stdout, and the file appears whole, only when the
//! command completes. A failed command leaves no file and replaces none; a
//! full disk on stdout is an error, not a silently short report.

use std::fs;

use crate::support::{entries, fixture, hallmark, write, RunExt};

#[test]
fn every_reporting_command_writes_its_output_to_o_file() {
    let dir = tempfile::tempdir().unwrap();
    let signed = fixture("signed/newsroom.jpg");
    let root = fixture("keys/newsroom/root.pem");
    let bank = write(
        dir.path(),
        "bank.tsv",
        b"0000000000000000000000000000000000000000000000000000000000000000\tknown-fake\tall zero\n",
    );
    let db = dir.path().join("reg.sqlite");
    let config = dir.path().join("config");
    hallmark()
        .env("HALLMARK_CONFIG_DIR", &config)
        .args(["trust", "add", "--name", "newsroom"])
        .arg(&root)
        .run()
        .expect_code(0);
    let cases: Vec<(&str, Vec<std::ffi::OsString>, i32, &str)> = vec![
        (
            "verify",
            vec![
                "verify".into(),
                "--json".into(),
                "--trust".into(),
                root.clone().into(),
                signed.clone().into(),
            ],
            0,
            "\"verdict\":\"trusted\"",
        ),
        (
            "inspect",
            vec!["inspect".into(), "--json".into(), signed.clone().into()],
            0,
            "\"manifests\"",
        ),
        (
            "hash",
            vec!["hash".into(), "--json".into(), signed.clone().into()],
            0,
            "\"pdq\"",
        ),
        (
            "match",
            vec![
                "match".into(),
                "--json".into(),
                "--bank".into(),
                bank.clone().into(),
                signed.clone().into(),
            ],
            0,
            "\"label\":\"unknown\"",
        ),
        (
            "registry add",
            vec![
                "registry".into(),
                "add".into(),
                "--json".into(),
                "--db".into(),
                db.clone().into(),
                signed.clone().into(),
            ],
            0,
            "\"added\"",
        ),
        (
            "trust list",
            vec!["trust".into(), "list".into(), "--json".into()],
            0,
            "[",
        ),
        (
            "scan",
            vec![
                "scan".into(),
                "--format".into(),
                "csv".into(),
                "--no-cache".into(),
                signed.clone().into(),
            ],
            0,
            "path,format,verdict",
        ),
        (
            "feed classify",
            vec![
                "feed".into(),
                "classify".into(),
                "--device".into(),
                "cpu".into(),
                "--bank".into(),
                bank.clone().into(),
                signed.clone().into(),
            ],
            0,
            "\"label\"",
        ),
    ];
    for (i, (what, args, code, needle)) in cases.into_iter().enumerate() {
        let out = dir.path().join(format!("out-{i}.txt"));
        let run = hallmark()
            .env("HALLMARK_CONFIG_DIR", &config)
            .args(&args)
            .arg("-o")
            .arg(&out)
            .run();
        assert_eq!(run.code, Some(code), "{what}: {run:#?}");
        assert_eq!(run.stdout, "", "{what}: nothing on stdout with -o");
        let text = fs::read_to_string(&out).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(text.contains(needle), "{what}: {needle} not in {text}");
        // The same command to stdout gives the same bytes.
        let plain = hallmark()
            .env("HALLMARK_CONFIG_DIR", &config)
            .args(&args)
            .run();
        if what != "registry add" {
            assert_eq!(
                plain.stdout, text,
                "{what}: -o FILE holds what stdout would"
            );
        }
    }
    let left: Vec<_> = entries(dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".hallmark-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn o_file_is_never_replaced_without_force_nor_by_a_failed_command() {
    let dir = tempfile::tempdir().unwrap();
    let signed = fixture("signed/newsroom.jpg");
    let out = write(dir.path(), "report.txt", b"yesterday's report\n");

    // Exists, no --force: refused before any work, the file untouched.
    let run = hallmark()
        .arg("hash")
        .arg(&signed)
        .arg("-o")
        .arg(&out)
        .run();
    run.expect_code(1);
    assert!(run.stderr.contains("[output.exists]"), "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(fs::read(&out).unwrap(), b"yesterday's report\n");

    // --force, but the command fails (its bank is missing): nothing replaced, nothing left.
    let run = hallmark()
        .args(["match", "--bank", "/nonexistent/bank.tsv"])
        .arg(&signed)
        .arg("-o")
        .arg(&out)
        .arg("--force")
        .run();
    assert_ne!(run.code, Some(0), "{run:#?}");
    assert_eq!(fs::read(&out).unwrap(), b"yesterday's report\n");
    assert_eq!(
        entries(dir.path()),
        ["report.txt"],
        "no temporary file left"
    );

    // A new path and a failed command: no file at all.
    let fresh = dir.path().join("new.txt");
    let run = hallmark()
        .args(["match", "--bank", "/nonexistent/bank.tsv"])
        .arg(&signed)
        .arg("-o")
        .arg(&fresh)
        .run();
    assert_ne!(run.code, Some(0), "{run:#?}");
    assert!(!fresh.exists());

    // --force and success: replaced whole.
    let run = hallmark()
        .arg("hash")
        .arg(&signed)
        .arg("-o")
        .arg(&out)
        .arg("--force")
        .run();
    run.expect_code(0);
    let text = fs::read_to_string(&out).unwrap();
    assert!(!text.contains("yesterday"), "{text}");
    assert!(text.contains("newsroom.jpg"), "{text}");
    assert_eq!(entries(dir.path()), ["report.txt"]);
}

#[test]
fn a_full_disk_on_stdout_is_an_error_not_a_short_report() {
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let signed = fixture("signed/newsroom.jpg");
    let out = hallmark()
        .arg("hash")
        .arg(&signed)
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("[io.write]"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
