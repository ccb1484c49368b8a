//! Text from files never reaches the terminal raw: titles, signer names and
//! paths with escape sequences or bidi overrides are shown escaped.

use std::fs;
use std::path::Path;

use crate::support::{hallmark, identity, jane, jpeg, sign, verify_json, write, RunExt, NO_ARGS};

const HOSTILE_TITLE: &str = "Evil\x1b[31mRED\u{202E}gpj.exe";
const ESCAPED_TITLE: &str = "Evil\\u{1b}[31mRED\\u{202e}gpj.exe";

/// No control characters but newlines, no bidi controls or invisibles.
#[track_caller]
fn assert_terminal_safe(what: &str, text: &str) {
    for c in text.chars() {
        let bidi = matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
        assert!(
            (!c.is_control() || c == '\n') && !bidi,
            "{what} carries a raw U+{:04X}: {text:?}",
            c as u32
        );
    }
}

#[test]
fn a_hostile_title_is_escaped_in_human_output_and_exact_in_json() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let input = write(tmp.path(), "in.jpg", &jpeg(32, 32));
    let signed = tmp.path().join("signed.jpg");
    sign(&id, &input, &signed, &["--title", HOSTILE_TITLE]).expect_code(0);

    for trust in [None, Some(id.join("root.pem"))] {
        let mut cmd = hallmark();
        cmd.arg("verify").arg(&signed);
        if let Some(root) = &trust {
            cmd.arg("--trust").arg(root);
        }
        let run = cmd.run();
        run.expect_code(0);
        assert!(!run.stdout.contains('\x1b'), "raw ESC: {:?}", run.stdout);
        assert!(
            !run.stdout.contains('\u{202E}'),
            "raw RLO: {:?}",
            run.stdout
        );
        assert_terminal_safe("verify", &run.stdout);
    }

    let inspect = hallmark().arg("inspect").arg(&signed).run();
    inspect.expect_code(0);
    assert_terminal_safe("inspect", &inspect.stdout);
    assert!(
        inspect
            .stdout
            .contains(&format!("  title                {ESCAPED_TITLE}\n")),
        "the title shown escaped: {}",
        inspect.stdout
    );

    let json = verify_json(&[&signed], None);
    assert!(
        !json.stdout.contains('\x1b'),
        "JSON escapes control characters"
    );
    assert_eq!(
        json.expect_code(0).json()["title"],
        HOSTILE_TITLE,
        "machines get the exact text"
    );
}

#[test]
fn a_hostile_signer_name_is_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    // Bidi controls are not control characters: keygen accepts them.
    let dir = tmp.path().join("id");
    let keygen = hallmark()
        .args([
            "keygen",
            "--no-passphrase",
            "--name",
            "Eve\u{202E}gpj.jpg",
            "--org",
            "Org\u{2066}x",
            "--out",
        ])
        .arg(&dir)
        .run();
    keygen.expect_code(0);
    assert_terminal_safe("keygen", &keygen.stdout);
    assert!(
        keygen
            .stdout
            .contains("Made identity Eve\\u{202e}gpj.jpg (Org\\u{2066}x)"),
        "{keygen:#?}"
    );

    let input = write(tmp.path(), "in.jpg", &jpeg(32, 32));
    let signed = tmp.path().join("signed.jpg");
    let run = sign(&dir, &input, &signed, NO_ARGS);
    run.expect_code(0);
    assert_terminal_safe("sign", &run.stdout);

    let run = hallmark()
        .arg("verify")
        .arg(&signed)
        .arg("--trust")
        .arg(dir.join("root.pem"))
        .run();
    run.expect_code(0);
    assert_terminal_safe("verify", &run.stdout);
    assert!(
        run.stdout
            .contains("Signed by \"Eve\\u{202e}gpj.jpg (Org\\u{2066}x)\"; trusted"),
        "{run:#?}"
    );
    let report = verify_json(&[&signed], None).expect_code(0).json();
    assert_eq!(report["signer"]["name"], "Eve\u{202E}gpj.jpg");
    assert_eq!(report["signer"]["organization"], "Org\u{2066}x");
}

#[test]
fn hostile_file_names_are_escaped_in_output_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let id = identity(&tmp.path().join("id"), "Jane Doe", "Example News");
    let evil = "evil\x1b]0;pwned\x07\u{202E}.jpg";
    let input = write(tmp.path(), evil, &jpeg(16, 16));
    let signed = tmp.path().join(format!("signed-{evil}"));

    let run = sign(&id, &input, &signed, NO_ARGS);
    run.expect_code(0);
    assert_terminal_safe("sign", &run.stdout);

    let run = hallmark().arg("verify").arg(&signed).run();
    run.expect_code(0);
    assert_terminal_safe("verify", &run.stdout);
    assert!(
        run.stdout
            .contains("signed-evil\\u{1b}]0;pwned\\u{7}\\u{202e}.jpg"),
        "{run:#?}"
    );

    // The title defaults to the file name: escaped by inspect too.
    let inspect = hallmark().arg("inspect").arg(&signed).run();
    assert_terminal_safe("inspect", &inspect.stdout);

    // Errors that name the file: expect_error checks stderr has no raw control characters.
    let missing = tmp.path().join(format!("missing-{evil}"));
    let run = sign(&id, &missing, &tmp.path().join("out.jpg"), NO_ARGS);
    run.expect_error("io.read", 4);
    assert_terminal_safe("stderr", &run.stderr);
    assert!(
        run.stderr
            .contains("missing-evil\\u{1b}]0;pwned\\u{7}\\u{202e}.jpg"),
        "{run:#?}"
    );

    let dir = tmp.path().join(format!("dir-{evil}"));
    fs::create_dir(&dir).unwrap();
    let run = sign(&id, &dir, &tmp.path().join("out.jpg"), NO_ARGS);
    run.expect_error("io.read", 4);
    assert_terminal_safe("stderr", &run.stderr);
    assert!(!Path::new(&tmp.path().join("out.jpg")).exists());
}
