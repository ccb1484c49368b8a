//! RFC 3161 time-stamps, against a real TSA: OpenSSL's `openssl ts -reply`
//! behind `scripts/test_tsa.py` on 127.0.0.1 (independent of Hallmark's
//! code), and `faketime` two years ahead. A time-stamped file stays trusted
//! after its signing certificate expires; an unstamped one turns invalid
//! (`signingCredential.expired`); every bad reply is refused with its own
//! code and writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "cli/support.rs"]
#[allow(dead_code)]
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;
use support::{fixture, hallmark, jane, RunExt};

/// The test TSA, started once for all tests of this file.
struct Tsa {
    url: String,
    dir: PathBuf,
    _child: Child,
    _tmp: tempfile::TempDir,
}

fn tsa() -> &'static Tsa {
    static TSA: OnceLock<Tsa> = OnceLock::new();
    TSA.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("tsa");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/test_tsa.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&dir)
            .arg("--exit-with-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs scripts/test_tsa.py (the test TSA)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the test TSA did not start: {line:?}"))
            .to_string();
        Tsa {
            url,
            dir,
            _child: child,
            _tmp: tmp,
        }
    })
}

impl Tsa {
    fn root(&self) -> PathBuf {
        self.dir.join("tsa-root.pem")
    }
    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

/// `hallmark sign sample.jpg -o OUT --identity ID ARGS…`.
fn sign(id: &Path, out: &Path, args: &[&str]) -> support::Run {
    hallmark()
        .arg("--tsa-trust")
        .arg(tsa().root())
        .arg("sign")
        .arg(fixture("images/sample.jpg"))
        .arg("-o")
        .arg(out)
        .arg("--identity")
        .arg(id)
        .args(args)
        .run()
}

/// The binary under test as `hallmark()` gives it, run under `faketime -f
/// OFFSET` when an offset is given.
fn hallmark_at(offset: Option<&str>) -> Command {
    match offset {
        Some(offset) => {
            let mut c = Command::new("faketime");
            c.args(["-f", offset]).arg(env!("CARGO_BIN_EXE_hallmark"));
            c.env("HALLMARK_CONFIG_DIR", "/nonexistent/hallmark-test-config")
                .stdin(Stdio::null());
            c
        }
        None => hallmark(),
    }
}

/// `hallmark verify --json FILE` with the identity's root (signers) and the
/// TSA root (time-stamp authorities), `faketime`d by `offset` when given.
fn verify(file: &Path, id: &Path, offset: Option<&str>) -> Value {
    let mut cmd = hallmark_at(offset);
    cmd.args(["verify", "--json", "--trust"])
        .arg(id.join("root.pem"))
        .arg("--tsa-trust")
        .arg(tsa().root())
        .arg(file);
    let run = cmd.run();
    assert!(run.code.is_some(), "{run:#?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:#?}"))
}

fn codes(report: &Value) -> Vec<String> {
    report["status"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] != "success")
        .map(|s| s["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_time_stamped_file_outlives_its_signing_certificate_and_an_unstamped_one_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let stamped = tmp.path().join("stamped.jpg");
    let run = sign(&id, &stamped, &["--tsa", &tsa().at("/")]);
    run.expect_code(0);
    assert!(run.stdout.contains(", time-stamped 20"), "{run:#?}");
    assert!(
        run.stdout
            .contains("by Hallmark Test TSA Root time-stamping"),
        "{run:#?}"
    );
    assert!(
        !run.stderr.contains("valid until"),
        "no warning with a time-stamp: {run:#?}"
    );

    let plain = tmp.path().join("plain.jpg");
    let run = sign(&id, &plain, &[]);
    run.expect_code(0);
    let warning: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("valid until"))
        .collect();
    assert_eq!(warning.len(), 1, "warned once: {run:#?}");
    assert!(
        warning[0].ends_with(
            "when the signing certificate expires; sign with --tsa URL to keep it valid after"
        ),
        "{run:#?}"
    );

    // Today both are trusted; only the stamped one is dated by a TSA.
    let now = verify(&stamped, &id, None);
    assert_eq!(
        (now["verdict"].as_str(), codes(&now)),
        (Some("trusted"), vec![]),
        "{now}"
    );
    assert!(
        now["signed_at"].as_str().unwrap().starts_with("20"),
        "{now}"
    );
    assert_eq!(verify(&plain, &id, None)["verdict"], "trusted");

    // Two years on, the one-year signing certificate has expired.
    let later = verify(&stamped, &id, Some("+730d"));
    assert_eq!(later["verdict"], "trusted", "{later}");
    assert_eq!(later["signed_at"], now["signed_at"]);
    let later_plain = verify(&plain, &id, Some("+730d"));
    assert_eq!(later_plain["verdict"], "invalid", "{later_plain}");
    assert_eq!(
        codes(&later_plain),
        ["signingCredential.expired"],
        "{later_plain}"
    );
}

/// Signings at once all get their time-stamp (the test TSA made its
/// replies concurrently, and OpenSSL's serial file then collided now and then:
/// status rejection, a failed sign).
#[test]
fn concurrent_signings_all_get_a_time_stamp() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let runs: Vec<support::Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (id, out) = (&id, tmp.path().join(format!("s{i}.jpg")));
                scope.spawn(move || sign(id, &out, &["--tsa", &tsa().at("/")]))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for run in runs {
        run.expect_code(0);
    }
}

#[test]
fn every_bad_reply_is_refused_with_its_own_code_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    for (path, code) in [
        ("/garbage", "tsa.malformed"),
        ("/rejected", "tsa.rejected"),
        ("/http-500", "tsa.http"),
        ("/wrong-nonce", "tsa.nonce"),
        ("/wrong-imprint", "tsa.imprint"),
        ("/untrusted", "tsa.untrusted"),
        ("/no-eku", "tsa.eku"),
    ] {
        let out = tmp.path().join("out.jpg");
        let run = sign(&id, &out, &["--tsa", &tsa().at(path)]);
        run.expect_error(code, 1);
        assert!(!out.exists(), "{path}: a file was written");
        // --tsa-optional forgives an unreachable TSA, never a bad reply.
        if path != "/http-500" {
            sign(&id, &out, &["--tsa", &tsa().at(path), "--tsa-optional"]).expect_error(code, 1);
            assert!(!out.exists(), "{path}: a file was written");
        }
    }
    // Not http://, and no TSA trusted at all.
    let out = tmp.path().join("out.jpg");
    sign(&id, &out, &["--tsa", "https://tsa.example/"]).expect_error("tsa.url", 2);
    let run = hallmark()
        .arg("sign")
        .arg(fixture("images/sample.jpg"))
        .arg("-o")
        .arg(&out)
        .arg("--identity")
        .arg(&id)
        .args(["--tsa", &tsa().at("/")])
        .run();
    run.expect_error("tsa.untrusted", 1);
    assert!(run.stderr.contains("hallmark trust add --tsa"), "{run:#?}");
    assert!(!out.exists());
}

#[test]
fn tsa_optional_signs_without_a_time_stamp_when_the_tsa_is_unreachable_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let out = tmp.path().join("out.jpg");
    sign(&id, &out, &["--tsa", &url]).expect_error("tsa.unreachable", 1);
    assert!(!out.exists());
    let run = sign(&id, &out, &["--tsa", &url, "--tsa-optional"]);
    run.expect_code(0);
    assert!(
        run.stderr
            .contains("signed without a time-stamp (--tsa-optional): [tsa.unreachable]"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("valid until"), "{run:#?}");
    let report = verify(&out, &id, None);
    assert_eq!(
        (report["verdict"].as_str(), &report["signed_at"]),
        (Some("trusted"), &Value::Null)
    );
}

#[test]
fn the_tsa_comes_from_config_toml_and_its_root_from_trust_add_tsa() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let config = tmp.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!("tsa = \"{}\"\n", tsa().at("/")),
    )
    .unwrap();
    let with_config = |cmd: &mut Command| {
        cmd.env("HALLMARK_CONFIG_DIR", &config);
    };
    let mut add = hallmark();
    with_config(&mut add);
    let run = add.args(["trust", "add", "--tsa"]).arg(tsa().root()).run();
    run.expect_code(0);
    assert!(
        run.stdout.contains("as time-stamp authority \"tsa-root\""),
        "{run:#?}"
    );
    let mut list = hallmark();
    with_config(&mut list);
    let run = list.args(["trust", "list"]).run();
    assert!(
        run.stdout
            .contains("tsa-root  (time-stamp authorities: 1 certificates)"),
        "{run:#?}"
    );

    let out = tmp.path().join("out.jpg");
    let mut sign = hallmark();
    with_config(&mut sign);
    let run = sign
        .arg("sign")
        .arg(fixture("images/sample.jpg"))
        .arg("-o")
        .arg(&out)
        .arg("--identity")
        .arg(&id)
        .run();
    run.expect_code(0);
    assert!(run.stdout.contains(", time-stamped "), "{run:#?}");
    // The stored TSA root dates it for verify too (and is no signer anchor).
    let mut check = hallmark();
    with_config(&mut check);
    let report = check
        .args(["verify", "--json", "--trust"])
        .arg(id.join("root.pem"))
        .arg(&out)
        .run()
        .json();
    assert_eq!(report["verdict"], "trusted", "{report}");
    assert!(report["signed_at"].is_string(), "{report}");

    std::fs::write(config.join("config.toml"), "tsa_url = \"x\"\n").unwrap();
    let mut bad = hallmark();
    with_config(&mut bad);
    bad.arg("sign")
        .arg(fixture("images/sample.jpg"))
        .arg("-o")
        .arg(tmp.path().join("other.jpg"))
        .arg("--identity")
        .arg(&id)
        .run()
        .expect_error("config.malformed", 2);
}

#[test]
fn the_reference_sdk_agrees_two_years_on() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let stamped = tmp.path().join("stamped.jpg");
    sign(&id, &stamped, &["--tsa", &tsa().at("/")]).expect_code(0);
    let plain = tmp.path().join("plain.jpg");
    sign(&id, &plain, &[]).expect_code(0);
    // c2pa-python (the reference SDK), its trust list holding both roots.
    let script = r#"
import sys, c2pa
anchors = open(sys.argv[1]).read() + open(sys.argv[2]).read()
context = c2pa.Context.from_dict({
    "verify": {"verify_trust": True, "ocsp_fetch": False, "remote_manifest_fetch": False},
    "trust": {"trust_anchors": anchors},
})
for path in sys.argv[3:]:
    with open(path, "rb") as stream, c2pa.Reader("image/jpeg", stream, context=context) as reader:
        print(reader.get_validation_state())
"#;
    let out = Command::new("faketime")
        .args(["-f", "+730d", "python3", "-c", script])
        .arg(id.join("root.pem"))
        .arg(tsa().root())
        .arg(&stamped)
        .arg(&plain)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.split_whitespace().collect::<Vec<_>>(),
        ["Trusted", "Invalid"],
        "{stdout}"
    );
}

/// The signing certificate's DER from an identity's chain.pem.
fn leaf(id: &Path) -> Vec<u8> {
    support::pem_certificates(&id.join("chain.pem")).remove(0)
}

fn validity_days(der: &[u8]) -> i64 {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / 86_400
}

#[test]
fn renew_issues_a_new_key_under_the_same_root_and_old_stamped_files_stay_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let id = tmp.path().join("id");
    let pass = tmp.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    hallmark()
        .args([
            "keygen",
            "--name",
            "Jane Doe",
            "--org",
            "Example News",
            "--valid-days",
            "30",
            "--passphrase-file",
        ])
        .arg(&pass)
        .arg("--out")
        .arg(&id)
        .run()
        .expect_code(0);
    // The CA key is kept, encrypted, 0600.
    use std::os::unix::fs::PermissionsExt;
    let ca = std::fs::read_to_string(id.join("ca.key")).unwrap();
    assert!(ca.contains("ENCRYPTED PRIVATE KEY"), "{ca}");
    assert_eq!(
        std::fs::metadata(id.join("ca.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(validity_days(&leaf(&id)), 30);
    let root = std::fs::read(id.join("root.pem")).unwrap();
    let first = leaf(&id);

    let sign_with = |out: &Path, extra: &[&str]| {
        hallmark()
            .arg("--tsa-trust")
            .arg(tsa().root())
            .arg("sign")
            .arg(fixture("images/sample.jpg"))
            .arg("-o")
            .arg(out)
            .arg("--identity")
            .arg(&id)
            .arg("--passphrase-file")
            .arg(&pass)
            .args(extra)
            .run()
    };
    let old_stamped = tmp.path().join("old-stamped.jpg");
    sign_with(&old_stamped, &["--tsa", &tsa().at("/")]).expect_code(0);
    let old_plain = tmp.path().join("old-plain.jpg");
    sign_with(&old_plain, &[]).expect_code(0);

    // A wrong passphrase changes nothing.
    let wrong = tmp.path().join("wrong.txt");
    std::fs::write(&wrong, "not it\n").unwrap();
    hallmark()
        .args(["renew", "--identity"])
        .arg(&id)
        .arg("--passphrase-file")
        .arg(&wrong)
        .run()
        .expect_error("key.wrong_passphrase", 1);
    assert_eq!(leaf(&id), first);

    let run = hallmark()
        .args(["renew", "--valid-days", "400", "--identity"])
        .arg(&id)
        .arg("--passphrase-file")
        .arg(&pass)
        .run();
    run.expect_code(0);
    assert!(run.stdout.contains("root.pem is unchanged"), "{run:#?}");
    assert_eq!(
        std::fs::read(id.join("root.pem")).unwrap(),
        root,
        "root.pem unchanged"
    );
    let second = leaf(&id);
    assert_ne!(second, first, "a new signing certificate");
    assert_eq!(validity_days(&second), 400);
    let (_, a) = x509_parser::parse_x509_certificate(&first).unwrap();
    let (_, b) = x509_parser::parse_x509_certificate(&second).unwrap();
    assert_ne!(a.public_key().raw, b.public_key().raw, "a new key");
    assert_eq!(a.subject().as_raw(), b.subject().as_raw(), "the same name");
    assert_eq!(
        std::fs::read_link(id.join("current")).unwrap(),
        Path::new("gen-0002")
    );

    // What the new key signs is trusted under the old root.pem.
    let new_file = tmp.path().join("new.jpg");
    sign_with(&new_file, &["--tsa", &tsa().at("/")]).expect_code(0);
    let trusted_root = tmp.path().join("root-as-published.pem");
    std::fs::write(&trusted_root, &root).unwrap();
    let verify_at = |file: &Path, offset: Option<&str>| {
        let mut cmd = hallmark_at(offset);
        cmd.args(["verify", "--json", "--trust"])
            .arg(&trusted_root)
            .arg("--tsa-trust")
            .arg(tsa().root())
            .arg(file);
        let run = cmd.run();
        serde_json::from_str::<Value>(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:#?}"))
            ["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(verify_at(&new_file, None), "trusted");
    assert_eq!(verify_at(&old_stamped, None), "trusted");
    // Sixty days on, the first certificate has expired: only its stamped file stays trusted.
    assert_eq!(verify_at(&old_stamped, Some("+60d")), "trusted");
    assert_eq!(verify_at(&old_plain, Some("+60d")), "invalid");
    assert_eq!(verify_at(&new_file, Some("+60d")), "trusted");
}

#[test]
fn renew_refuses_an_identity_without_a_ca_key_with_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    // An identity from before ca.key was kept: plain files.
    let id = tmp.path().join("old");
    std::fs::create_dir(&id).unwrap();
    for f in ["signing.key", "chain.pem", "root.pem"] {
        std::fs::copy(fixture(&format!("keys/newsroom/{f}")), id.join(f)).unwrap();
    }
    let run = hallmark().args(["renew", "--identity"]).arg(&id).run();
    run.expect_error("identity.no_ca_key", 1);
    assert!(
        run.stderr
            .contains("hint: make a new identity with `hallmark keygen`"),
        "{run:#?}"
    );
    assert_eq!(
        support::entries(&id),
        ["chain.pem", "root.pem", "signing.key"],
        "nothing changed"
    );
    hallmark()
        .args([
            "keygen",
            "--name",
            "X",
            "--valid-days",
            "0",
            "--no-passphrase",
            "--out",
        ])
        .arg(tmp.path().join("x"))
        .run()
        .expect_code(2);
}
