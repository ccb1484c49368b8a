//! Hostile and broken input: each gives one error line with its code, the
//! documented exit status, no panic, and nothing left in the output directory.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{
    entries, hallmark, identity, jane, jpeg, png_claiming, sign, write, RunExt, NO_ARGS, PASSPHRASE,
};

/// A broken media file and the error code both `sign` and `verify` give it.
struct Case {
    name: &'static str,
    make: fn(&Path) -> PathBuf,
    code: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "empty file",
            make: |d| write(d, "empty.jpg", b""),
            code: "input.empty",
        },
        Case {
            name: "random bytes named .jpg",
            make: |d| {
                // A fixed xorshift stream: no magic number of any format.
                let mut x = 0x9E37_79B9_7F4A_7C15u64;
                let bytes: Vec<u8> = (0..4096)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x >> 24) as u8
                    })
                    .collect();
                assert_ne!(bytes[0], 0xFF);
                write(d, "random.jpg", &bytes)
            },
            code: "format.unrecognized",
        },
        Case {
            name: "PNG claiming 100000x100000",
            make: |d| write(d, "huge.png", &png_claiming(100_000, 100_000)),
            code: "limits.dimensions",
        },
        Case {
            name: "PNG claiming 0x0",
            make: |d| write(d, "zero.png", &png_claiming(0, 0)),
            code: "format.malformed",
        },
        Case {
            name: "truncated JPEG",
            make: |d| {
                let full = jpeg(64, 64);
                write(d, "truncated.jpg", &full[..40])
            },
            code: "format.malformed",
        },
        Case {
            name: "JPEG magic then nothing",
            make: |d| write(d, "soi.jpg", b"\xFF\xD8\xFF"),
            code: "format.malformed",
        },
        Case {
            name: "a directory",
            make: |d| {
                let p = d.join("folder.jpg");
                fs::create_dir(&p).unwrap();
                p
            },
            code: "io.read",
        },
        Case {
            name: "a missing file",
            make: |d| d.join("missing.jpg"),
            code: "io.read",
        },
    ]
}

#[test]
fn the_huge_png_is_well_formed_apart_from_its_claim() {
    // So the limit is what rejects it, not a CRC or header error.
    let bytes = png_claiming(100_000, 100_000);
    assert_eq!(bytes.len(), 8 + 25 + 23 + 12);
    let small = png_claiming(1, 1);
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), "one.png", &small);
    let report = crate::support::verify_json(&[&path], None)
        .expect_code(1)
        .json();
    assert_eq!(report["format"], "image/png", "header readable: {report}");
    assert_eq!(report["verdict"], "unsigned", "{report}");
}

#[test]
fn error_messages_carry_no_escaped_line_breaks() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let input = write(tmp.path(), "truncated.jpg", &jpeg(64, 64)[..40]);
    let run = sign(&id, &input, &tmp.path().join("out.jpg"), NO_ARGS);
    run.expect_error("format.malformed", 4);
    assert!(
        !run.stderr.contains("\\u{a}"),
        "a decoder's trailing newline leaks: {run:#?}"
    );
}

/// `verify` and `sign` read at most the file-size limit, whatever `stat` says:
/// a character device such as /dev/zero reports length 0 and never ends.
/// Run under a 3 GB address-space limit so a regression can't exhaust the machine.
#[test]
fn endless_input_is_cut_at_the_file_size_limit() {
    for sub in [
        &["verify", "--json", "/dev/zero"][..],
        &[
            "sign",
            "/dev/zero",
            "-o",
            "/nonexistent/x.jpg",
            "--identity",
            "/nonexistent",
        ][..],
    ] {
        let run =
            crate::support::under_sh("ulimit -v 3000000 || exit 99; exec \"$0\" \"$@\"", sub).run();
        run.expect_no_panic();
        assert_eq!(run.code, Some(4), "{run:#?}");
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !all.contains("out of memory"),
            "read until memory ran out: {run:#?}"
        );
        assert!(
            all.contains("limits.file_size") || all.contains("not a regular file"),
            "{run:#?}"
        );
    }
}

#[test]
fn sign_rejects_unreadable_media_with_exit_4_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let inputs = tmp.path().join("in");
    fs::create_dir(&inputs).unwrap();
    for case in cases() {
        let input = (case.make)(&inputs);
        let out_dir = tmp.path().join(format!("out-{}", case.code));
        fs::create_dir_all(&out_dir).unwrap();
        let run = sign(&id, &input, &out_dir.join("signed.jpg"), NO_ARGS);
        assert_eq!(run.code, Some(4), "{}: {run:#?}", case.name);
        run.expect_error(case.code, 4);
        assert_eq!(run.stdout, "", "{}", case.name);
        assert!(
            entries(&out_dir).is_empty(),
            "{}: left {:?}",
            case.name,
            entries(&out_dir)
        );
    }
}

#[test]
fn sign_in_place_on_unreadable_media_leaves_it_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    for case in cases() {
        let dir = tmp.path().join(format!("case-{}", case.code));
        fs::create_dir_all(&dir).unwrap();
        let input = (case.make)(&dir);
        let before = fs::read(&input).ok();
        let run = hallmark()
            .arg("sign")
            .arg(&input)
            .arg("--in-place")
            .arg("--identity")
            .arg(&id)
            .run();
        run.expect_error(case.code, 4);
        assert_eq!(fs::read(&input).ok(), before, "{}", case.name);
        assert!(crate::support::leftovers(&dir).is_empty(), "{}", case.name);
    }
}

#[test]
fn verify_reports_unreadable_media_as_error_with_exit_4() {
    let tmp = tempfile::tempdir().unwrap();
    for case in cases() {
        let input = (case.make)(tmp.path());
        let run = crate::support::verify_json(&[&input], None);
        run.expect_code(4);
        assert_eq!(
            run.stderr, "",
            "{}: the report carries the error",
            case.name
        );
        let report = run.json();
        assert_eq!(report["verdict"], "error", "{}", case.name);
        assert_eq!(
            report["error"]["code"], case.code,
            "{}: {report}",
            case.name
        );
        assert!(report["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        assert_eq!(report["signer"], serde_json::Value::Null);
        assert_eq!(report["path"], input.display().to_string());

        let human = hallmark().arg("verify").arg(&input).run();
        human.expect_code(4);
        assert!(
            human
                .stdout
                .starts_with(&format!("! error     {}  Unreadable: ", input.display())),
            "{}: {human:#?}",
            case.name
        );
        assert_eq!(human.stdout.lines().count(), 1, "{}: one line", case.name);
    }
}

#[test]
fn the_parent_must_be_readable_media_too() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let input = write(tmp.path(), "in.jpg", &jpeg(16, 16));
    let parent = write(tmp.path(), "parent.jpg", b"");
    let out = tmp.path().join("out.jpg");
    let extra = [std::ffi::OsStr::new("--parent"), parent.as_os_str()];
    let run = sign(&id, &input, &out, &extra);
    run.expect_error("input.empty", 4);
    assert!(run.stderr.contains("parent"), "says which file: {run:#?}");
    assert!(!out.exists());
}

fn encrypted_identity(dir: &Path) -> PathBuf {
    hallmark()
        .args(["keygen", "--name", "Jane Doe", "--out"])
        .arg(dir)
        .env("HALLMARK_PASSPHRASE", PASSPHRASE)
        .run()
        .expect_code(0);
    dir.to_path_buf()
}

/// Sign a good image with a broken identity: exit 1, the code, nothing written.
#[track_caller]
fn expect_key_problem(id: &Path, passphrase: Option<&str>, code: &str) -> crate::support::Run {
    let tmp = tempfile::tempdir().unwrap();
    let input = write(tmp.path(), "in.jpg", &jpeg(16, 16));
    let out_dir = tmp.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let mut cmd = hallmark();
    cmd.arg("sign")
        .arg(&input)
        .arg("-o")
        .arg(out_dir.join("x.jpg"))
        .arg("--identity")
        .arg(id);
    if let Some(p) = passphrase {
        cmd.env("HALLMARK_PASSPHRASE", p);
    }
    let run = cmd.run();
    run.expect_error(code, 1);
    assert!(
        entries(&out_dir).is_empty(),
        "nothing written: {:?}",
        entries(&out_dir)
    );
    assert_eq!(fs::read(&input).unwrap(), jpeg(16, 16));
    run
}

#[test]
fn wrong_passphrase_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let id = encrypted_identity(&tmp.path().join("id"));
    let run = expect_key_problem(
        &id,
        Some("Correct horse battery staple"),
        "key.wrong_passphrase",
    );
    assert!(run.stderr.contains("wrong passphrase"), "{run:#?}");
    let run = expect_key_problem(&id, Some(""), "key.wrong_passphrase");
    assert!(run.stderr.contains("wrong passphrase"), "{run:#?}");
}

#[test]
fn garbage_key_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let garbage: [&[u8]; 5] = [
        b"garbage\n",
        b"",
        &[0x00, 0xFF, 0x13, 0x37, 0x80, 0x81],
        b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN CERTIFICATE-----\nbm90IGEga2V5\n-----END CERTIFICATE-----\n",
    ];
    for bytes in garbage {
        fs::write(id.join("signing.key"), bytes).unwrap();
        let run = expect_key_problem(&id, None, "key.malformed");
        assert!(run.stderr.contains("hint: make a new identity"), "{run:#?}");
    }
    // Encrypted-looking garbage asks for, then fails on, the passphrase.
    fs::write(
        id.join("signing.key"),
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nbm90IGEga2V5\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap();
    let run = expect_key_problem(&id, Some(PASSPHRASE), "key.malformed");
    assert!(
        !run.stderr.contains("wrong passphrase"),
        "garbage is not a wrong passphrase: {run:#?}"
    );
}

#[test]
fn a_key_from_another_identity_does_not_match_the_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let other = identity(&tmp.path().join("other"), "Mallory", "Elsewhere");
    fs::copy(other.join("signing.key"), id.join("signing.key")).unwrap();
    expect_key_problem(&id, None, "identity.key_mismatch");
}

#[test]
fn a_broken_chain_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    fs::write(id.join("chain.pem"), b"no certificates here\n").unwrap();
    expect_key_problem(&id, None, "identity.chain_malformed");
}

#[test]
fn a_missing_identity_is_an_io_error() {
    let tmp = tempfile::tempdir().unwrap();
    let run = expect_key_problem(&tmp.path().join("no-such-identity"), None, "io.read");
    assert!(
        run.stderr.contains("signing.key"),
        "names the file: {run:#?}"
    );
}
