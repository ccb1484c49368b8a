//! `hallmark keygen`: the files it writes, their modes and formats, that
//! OpenSSL reads the key, and that an existing identity is never replaced
//! without `--force`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::support::{hallmark, pem_certificates, write, RunExt, PASSPHRASE};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `openssl pkey -in KEY -passin pass:PASS -pubout`, asserting its status.
fn openssl_public_key(key: &Path, passphrase: Option<&str>) -> crate::support::Run {
    let mut cmd = Command::new("openssl");
    cmd.arg("pkey").arg("-in").arg(key).arg("-pubout");
    if let Some(pass) = passphrase {
        cmd.arg("-passin").arg(format!("pass:{pass}"));
    }
    cmd.run()
}

fn openssl_certificate_key(chain: &Path) -> String {
    let run = Command::new("openssl")
        .args(["x509", "-pubkey", "-noout", "-in"])
        .arg(chain)
        .run();
    assert_eq!(run.code, Some(0), "{run:#?}");
    run.stdout
}

fn keygen(dir: &Path, extra: &[&str]) -> crate::support::Run {
    hallmark()
        .args([
            "keygen",
            "--name",
            "Jane Doe",
            "--org",
            "Example News",
            "--out",
        ])
        .arg(dir)
        .args(extra)
        .env("HALLMARK_PASSPHRASE", PASSPHRASE)
        .run()
}

#[test]
fn writes_an_encrypted_key_0600_a_two_certificate_chain_and_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    let run = keygen(&dir, &[]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("Made identity Jane Doe (Example News)"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("(encrypted, mode 0600)"), "{run:#?}");

    let key = dir.join("signing.key");
    assert_eq!(mode(&key), 0o600);
    let pem = fs::read_to_string(&key).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
        "{pem}"
    );
    assert!(pem
        .trim_end()
        .ends_with("-----END ENCRYPTED PRIVATE KEY-----"));

    let chain = pem_certificates(&dir.join("chain.pem"));
    assert_eq!(chain.len(), 2, "signing certificate, then the CA");
    let root = pem_certificates(&dir.join("root.pem"));
    assert_eq!(root.len(), 1);
    assert_eq!(root[0], chain[1], "root.pem is the chain's issuing CA");
    assert_eq!(mode(&dir.join("chain.pem")), 0o644);
    assert_eq!(mode(&dir.join("root.pem")), 0o644);
    // The CA key, kept for renewals, encrypted like the signing key; the
    // signing key and chain live in the first generation, named through `current`.
    assert_eq!(mode(&dir.join("ca.key")), 0o600);
    assert!(fs::read_to_string(dir.join("ca.key"))
        .unwrap()
        .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    assert_eq!(
        crate::support::entries(&dir),
        [
            "ca.key",
            "chain.pem",
            "current",
            "gen-0001",
            "root.pem",
            "signing.key"
        ]
    );
    assert_eq!(
        fs::read_link(dir.join("current")).unwrap(),
        std::path::Path::new("gen-0001")
    );
    assert_eq!(
        fs::read_link(&key).unwrap(),
        std::path::Path::new("current/signing.key")
    );
    assert_eq!(
        crate::support::entries(&dir.join("gen-0001")),
        ["chain.pem", "signing.key"]
    );
    assert!(
        run.stdout
            .contains("ca.key      the CA's key (encrypted, mode 0600)"),
        "{run:#?}"
    );
}

#[test]
fn openssl_reads_the_encrypted_key_with_the_passphrase_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    keygen(&dir, &[]).expect_code(0);
    let key = dir.join("signing.key");

    let run = openssl_public_key(&key, Some(PASSPHRASE));
    assert_eq!(
        run.code,
        Some(0),
        "openssl pkey must read the key: {run:#?}"
    );
    assert!(run.stdout.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(
        run.stdout,
        openssl_certificate_key(&dir.join("chain.pem")),
        "the key is the signing certificate's"
    );

    let wrong = openssl_public_key(&key, Some("not the passphrase"));
    assert_ne!(
        wrong.code,
        Some(0),
        "a wrong passphrase must not decrypt: {wrong:#?}"
    );
    assert!(!wrong.stdout.contains("BEGIN PUBLIC KEY"));
}

#[test]
fn no_passphrase_writes_a_plain_pkcs8_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    let run = hallmark()
        .args(["keygen", "--no-passphrase", "--name", "Bot", "--out"])
        .arg(&dir)
        .run();
    run.expect_code(0);
    assert!(run.stdout.contains("NOT encrypted"), "{run:#?}");
    let key = dir.join("signing.key");
    assert_eq!(mode(&key), 0o600);
    assert!(fs::read_to_string(&key)
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----\n"));
    // It signs without any passphrase source.
    let input = write(tmp.path(), "in.jpg", &crate::support::jpeg(16, 16));
    crate::support::sign(
        &dir,
        &input,
        &tmp.path().join("out.jpg"),
        crate::support::NO_ARGS,
    )
    .expect_code(0);
}

#[test]
fn openssl_reads_the_plain_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = crate::support::identity(&tmp.path().join("id"), "Bot", "Bots");
    let run = openssl_public_key(&dir.join("signing.key"), None);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(run.stdout, openssl_certificate_key(&dir.join("chain.pem")));
}

#[test]
fn passphrase_file_supplies_its_first_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    let file = write(
        tmp.path(),
        "pass.txt",
        b"from a file\nsecond line is ignored\n",
    );
    hallmark()
        .args(["keygen", "--name", "Jane Doe", "--out"])
        .arg(&dir)
        .arg("--passphrase-file")
        .arg(&file)
        .run()
        .expect_code(0);
    let input = write(tmp.path(), "in.jpg", &crate::support::jpeg(16, 16));
    let sign = |pass: &str, out: &str| {
        hallmark()
            .arg("sign")
            .arg(&input)
            .arg("-o")
            .arg(tmp.path().join(out))
            .arg("--identity")
            .arg(&dir)
            .env("HALLMARK_PASSPHRASE", pass)
            .run()
    };
    sign("from a file", "a.jpg").expect_code(0);
    sign("from a file\nsecond line is ignored", "b.jpg").expect_error("key.wrong_passphrase", 1);
}

#[test]
fn refuses_to_replace_an_identity_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    keygen(&dir, &[]).expect_code(0);
    let files = ["signing.key", "chain.pem", "root.pem"];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap())
        .collect();

    let again = keygen(&dir, &[]);
    again.expect_error("identity.exists", 1);
    assert_eq!(again.stdout, "", "nothing on stdout");
    let after: Vec<Vec<u8>> = files
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap())
        .collect();
    assert_eq!(before, after, "the first identity is byte-identical");
    assert_eq!(mode(&dir.join("signing.key")), 0o600);

    keygen(&dir, &["--force"]).expect_code(0);
    let replaced: Vec<Vec<u8>> = files
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap())
        .collect();
    assert_ne!(before[0], replaced[0], "--force replaces the key");
    assert_ne!(before[1], replaced[1], "--force replaces the chain");
    assert_eq!(mode(&dir.join("signing.key")), 0o600);
    assert!(crate::support::leftovers(&dir).is_empty());
}

#[test]
fn refuses_to_replace_an_unencrypted_key_either() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = crate::support::identity(&tmp.path().join("id"), "A", "B");
    let before = fs::read(dir.join("signing.key")).unwrap();
    hallmark()
        .args(["keygen", "--no-passphrase", "--name", "C", "--out"])
        .arg(&dir)
        .run()
        .expect_error("identity.exists", 1);
    assert_eq!(fs::read(dir.join("signing.key")).unwrap(), before);
}

#[test]
fn without_a_passphrase_source_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    hallmark()
        .args(["keygen", "--name", "Jane Doe", "--out"])
        .arg(&dir)
        .run()
        .expect_error("key.passphrase_required", 1);
    assert!(!dir.exists(), "no directory, no key");
}

#[test]
fn an_empty_passphrase_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    hallmark()
        .args(["keygen", "--name", "Jane Doe", "--out"])
        .arg(&dir)
        .env("HALLMARK_PASSPHRASE", "")
        .run()
        .expect_error("key.passphrase_empty", 1);
    assert!(!dir.join("signing.key").exists());
}

#[test]
fn names_with_control_characters_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("id");
    hallmark()
        .args(["keygen", "--no-passphrase", "--name", "Eve\x1b[2J", "--out"])
        .arg(&dir)
        .run()
        .expect_error("identity.invalid_request", 1);
    assert!(!dir.join("signing.key").exists());
}
