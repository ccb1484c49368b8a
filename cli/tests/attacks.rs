//! Every file of `fixtures/attacks/` through every command that reads
//! images: no panic, no raw control character on a terminal (escaped
//! instead), markup inert in the HTML report, nothing trusted that should not
//! be, and each file answered quickly.
//!
//! Run: `cargo test -p hallmark-cli --test attacks`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "cli/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::PathBuf;

use support::{fixture, hallmark, RunExt};

fn attacks() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture("attacks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "key"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 19, "{files:?}");
    files
}

/// No control character but newline (and tab in tables) reaches the terminal.
#[track_caller]
fn assert_printable(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(bad.is_empty(), "{what}: raw control characters {bad:?}");
}

#[test]
fn every_attack_through_verify_inspect_and_hash_prints_only_escaped_text() {
    let root = fixture("keys/newsroom/root.pem");
    for file in attacks() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for args in [
            vec!["verify"],
            vec!["verify", "--trust", root.to_str().unwrap()],
            vec!["inspect"],
            vec!["hash"],
        ] {
            let run = hallmark().args(&args).arg(&file).run();
            run.expect_no_panic();
            assert_printable(&format!("{args:?} {name} stdout"), &run.stdout);
            assert_printable(&format!("{args:?} {name} stderr"), &run.stderr);
        }
        // JSON output escapes by construction; it must still parse.
        let run = hallmark()
            .args(["verify", "--json", "--trust", root.to_str().unwrap()])
            .arg(&file)
            .run();
        let report = run.json();
        let verdict = report["verdict"].as_str().unwrap();
        let trusted_ok = [
            "hostile-title.jpg",
            "deep-ingredients.jpg",
            // Only the JUMBF superbox's unsigned length field changed; the
            // claim, its signature and the pixels are intact (c2patool agrees).
            "jumbf-size-huge.jpg",
        ];
        if verdict == "trusted" {
            assert!(
                trusted_ok.contains(&name.as_str()),
                "{name} must not be trusted"
            );
        }
    }
}

#[test]
fn hostile_text_is_escaped_on_the_terminal_and_inert_in_html() {
    let signer = fixture("attacks/hostile-signer.jpg");
    let title = fixture("attacks/hostile-title.jpg");
    let run = hallmark().arg("verify").arg(&signer).run();
    run.expect_code(0);
    assert!(
        run.stdout.contains(r"\u{1b}[31mRED\u{1b}[0m"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(r"\u{202e}gnp.exe"), "{}", run.stdout);
    let run = hallmark().arg("inspect").arg(&title).run();
    assert!(run.stdout.contains(r"\u{0}NUL"), "{}", run.stdout);

    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    for f in [&signer, &title] {
        std::fs::copy(f, inbox.join(f.file_name().unwrap())).unwrap();
    }
    let html = tmp.path().join("report.html");
    hallmark()
        .args(["scan", "--no-cache", "--format", "html", "-o"])
        .arg(&html)
        .arg(&inbox)
        .run()
        .expect_no_panic();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("<script>alert"), "markup must be escaped");
    assert!(!page.contains("<img src=x"), "markup must be escaped");
    assert!(
        page.contains("&lt;script&gt;alert("),
        "the text is still shown"
    );
    assert_printable("html report", &page);
    for format in ["table", "csv", "junit"] {
        let run = hallmark()
            .args(["scan", "--no-cache", "--format", format])
            .arg(&inbox)
            .run();
        run.expect_no_panic();
        assert_printable(&format!("scan --format {format}"), &run.stdout);
    }
}
