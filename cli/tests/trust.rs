//! `hallmark trust add|list|remove`: a trust list that verify uses without --trust.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(rel)
}

fn hallmark(config: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .env("HALLMARK_CONFIG_DIR", config)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn verdict(config: &Path, file: &Path) -> String {
    let (_, out, _) = hallmark(config, &["verify", "--json", file.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    v["verdict"].as_str().unwrap().to_string()
}

#[test]
fn added_roots_make_signers_trusted_until_removed() {
    let config = tempfile::tempdir().unwrap();
    let signed = fixture("signed/newsroom.jpg");
    assert_eq!(verdict(config.path(), &signed), "valid");

    let root = fixture("keys/newsroom/root.pem");
    let (code, out, err) = hallmark(
        config.path(),
        &[
            "trust",
            "add",
            root.to_str().unwrap(),
            "--name",
            "example-news",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Trusting 1 certificate as \"example-news\""),
        "{out}"
    );
    assert!(config.path().join("trust/example-news.pem").is_file());
    assert_eq!(verdict(config.path(), &signed), "trusted");

    let (code, out, _) = hallmark(config.path(), &["trust", "list", "--json"]);
    assert_eq!(code, 0);
    let entry: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(entry["name"], "example-news");
    assert_eq!(
        entry["certificates"][0]["subject"],
        "CN=Example News CA, O=Example News"
    );

    // Same name again: refused without --force, replaced with it.
    let (code, _, err) = hallmark(
        config.path(),
        &[
            "trust",
            "add",
            root.to_str().unwrap(),
            "--name",
            "example-news",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("[trust.exists]"), "{err}");
    let (code, _, _) = hallmark(
        config.path(),
        &[
            "trust",
            "add",
            root.to_str().unwrap(),
            "--name",
            "example-news",
            "--force",
        ],
    );
    assert_eq!(code, 0);

    let (code, _, _) = hallmark(config.path(), &["trust", "remove", "example-news"]);
    assert_eq!(code, 0);
    assert_eq!(verdict(config.path(), &signed), "valid");
    let (code, _, err) = hallmark(config.path(), &["trust", "remove", "example-news"]);
    assert_eq!(code, 2);
    assert!(err.contains("[trust.not_found]"), "{err}");
}

#[test]
fn bundles_import_in_one_step_and_bad_input_is_refused() {
    let config = tempfile::tempdir().unwrap();
    let bundle = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/c2pa-rs/certs/trust/test_cert_root_bundle.pem");
    let (code, out, err) = hallmark(config.path(), &["trust", "add", bundle.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("as \"test_cert_root_bundle\""), "{out}");
    let corpus_file = bundle.parent().unwrap().join("../../C.jpg");
    assert_eq!(verdict(config.path(), &corpus_file), "trusted");

    let garbage = config.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let (code, _, err) = hallmark(config.path(), &["trust", "add", garbage.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("[trust.malformed]"), "{err}");
    let root = fixture("keys/newsroom/root.pem");
    let (code, _, err) = hallmark(
        config.path(),
        &[
            "trust",
            "add",
            root.to_str().unwrap(),
            "--name",
            "../escape",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("[trust.bad_name]"), "{err}");
    assert!(!config.path().join("escape.pem").exists());
}

#[test]
fn the_trust_list_anchors_claim_signers_and_cawg_identities_and_is_named_as_the_source() {
    let config = tempfile::tempdir().unwrap();
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/c2pa-rs");
    let bundle = corpus.join("certs/trust/test_cert_root_bundle.pem");
    let (code, _, err) = hallmark(
        config.path(),
        &[
            "trust",
            "add",
            bundle.to_str().unwrap(),
            "--name",
            "c2pa-test",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let file = corpus.join("cawg/vm_extra_field.jpg");
    let (_, out, _) = hallmark(config.path(), &["verify", "--json", file.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["verdict"], "trusted", "{report}");
    assert_eq!(
        report["signer"]["anchor"]["source"],
        "trust list entry c2pa-test"
    );
    assert_eq!(report["identities"][0]["trusted"], true, "{report}");
    assert_eq!(report["identities"][0]["name"], "C2PA Signer");
}

/// Where the trust list goes without HALLMARK_CONFIG_DIR: the XDG base
/// directory, and never a relative XDG_CONFIG_HOME (the XDG specification
/// says to ignore one). Before, `XDG_CONFIG_HOME=conf` put the trust list in
/// `./conf/hallmark/trust`, wherever the command happened to run.
#[test]
fn the_trust_list_lives_in_the_xdg_config_directory() {
    let home = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let root = fixture("keys/newsroom/root.pem");
    let run = |xdg: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hallmark"));
        cmd.env_remove("HALLMARK_CONFIG_DIR")
            .env_remove("XDG_CONFIG_HOME")
            .env("HOME", home.path())
            .current_dir(cwd.path())
            .args(["trust", "add", "--force", "--name", "news"])
            .arg(&root);
        if let Some(xdg) = xdg {
            cmd.env("XDG_CONFIG_HOME", xdg);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    };
    run(None);
    assert!(home
        .path()
        .join(".config/hallmark/trust/news.pem")
        .is_file());

    let xdg = tempfile::tempdir().unwrap();
    run(Some(xdg.path().to_str().unwrap()));
    assert!(xdg.path().join("hallmark/trust/news.pem").is_file());

    std::fs::remove_file(home.path().join(".config/hallmark/trust/news.pem")).unwrap();
    run(Some("conf"));
    assert!(
        !cwd.path().join("conf").exists(),
        "a relative XDG_CONFIG_HOME is ignored"
    );
    assert!(home
        .path()
        .join(".config/hallmark/trust/news.pem")
        .is_file());
}
