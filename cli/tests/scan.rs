//! `hallmark scan` end to end: a folder mixing the project's fixtures, the
//! c2pa-rs corpus, a text file, an empty file, a link loop and a hostile file
//! name. Verdicts must equal `hallmark verify --json` file by file; every
//! output format must parse back; exit statuses follow DESIGN.md.
// Tests state their expectations by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn newsroom_root() -> PathBuf {
    fixtures().join("keys/newsroom/root.pem")
}

/// A cache directory of its own for each run (so runs don't see each other's
/// results), unless a test passes one.
fn fresh_cache_dir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("scan-cache-{}-{n}", std::process::id()))
}

fn hallmark(args: &[PathBuf]) -> Output {
    hallmark_cached(args, &fresh_cache_dir())
}

fn hallmark_cached(args: &[PathBuf], cache: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .env("HALLMARK_CONFIG_DIR", "/nonexistent/hallmark-test-config")
        .env("HALLMARK_CACHE_DIR", cache)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

fn p(s: &str) -> &Path {
    Path::new(s)
}

fn stdout(out: &Output) -> &str {
    std::str::from_utf8(&out.stdout).expect("stdout is UTF-8")
}

/// A hostile name: a comma, a quote, a newline, an escape and markup.
const HOSTILE: &str = "a,\"b\nc\u{1b}[31m<x>&.jpg";

/// The mixed folder, and the image files in it that scan verifies.
fn mixed_folder(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let root = dir.join("inbox");
    let nested = root.join("nested/corpus");
    fs::create_dir_all(&nested).unwrap();
    let mut images = Vec::new();
    for (from, to, only_jpg) in [
        (fixtures().join("signed"), root.clone(), false),
        (fixtures().join("attacks"), root.join("nested"), false),
        (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/c2pa-rs"),
            nested.clone(),
            true,
        ),
    ] {
        for entry in fs::read_dir(&from).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            if !path.is_file() || (only_jpg && !name.ends_with(".jpg")) {
                continue;
            }
            fs::copy(&path, to.join(&name)).unwrap();
            if name != "garbage.key" {
                images.push(to.join(&name));
            }
        }
    }
    fs::copy(fixtures().join("signed/newsroom.jpg"), root.join(HOSTILE)).unwrap();
    images.push(root.join(HOSTILE));
    fs::write(root.join("README.txt"), "not an image").unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    std::os::unix::fs::symlink("..", nested.join("loop")).unwrap();
    (root, images)
}

/// `hallmark verify --json` on each file, by path.
fn verify_reports(images: &[PathBuf]) -> HashMap<String, Value> {
    let mut args = vec![
        "verify".into(),
        "--json".into(),
        "--trust".into(),
        newsroom_root(),
    ];
    args.extend_from_slice(images);
    let out = hallmark(&args);
    stdout(&out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["path"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn scan(root: &Path, extra: &[&Path]) -> Output {
    let mut args = vec![
        "scan".into(),
        root.to_path_buf(),
        "--trust".into(),
        newsroom_root(),
    ];
    args.extend(extra.iter().map(|a| a.to_path_buf()));
    hallmark(&args)
}

#[test]
fn jsonl_reports_equal_verify_json_file_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let (root, images) = mixed_folder(dir.path());
    let out = scan(&root, &[p("--format"), p("jsonl")]);
    assert_eq!(out.status.code(), Some(4), "unreadable files present");
    let mut expected = verify_reports(&images);
    assert_eq!(expected.len(), images.len());
    let mut loops = 0;
    for line in stdout(&out).lines() {
        let mut report: Value = serde_json::from_str(line).unwrap();
        let policy = report.as_object_mut().unwrap().remove("policy").unwrap();
        let path = report["path"].as_str().unwrap().to_string();
        if path.ends_with("loop") {
            assert_eq!(report["error"]["code"], "walk.symlink_loop");
            loops += 1;
            continue;
        }
        let alone = expected
            .remove(&path)
            .unwrap_or_else(|| panic!("{path} not expected"));
        assert_eq!(report, alone, "{path}");
        let passes = matches!(report["verdict"].as_str(), Some("trusted" | "valid"));
        assert_eq!(policy["pass"], passes, "{path}");
        assert_eq!(policy["reasons"].as_array().unwrap().is_empty(), passes);
    }
    assert_eq!(loops, 1);
    assert!(expected.is_empty(), "not scanned: {:?}", expected.keys());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Skipped: 3 not an image"), "{stderr}");
}

/// A tiny RFC 4180 reader: quoted fields, doubled quotes, commas and newlines inside quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "CSV ends with a full row"
    );
    rows
}

#[test]
fn csv_round_trips_and_escapes_hostile_text() {
    let dir = tempfile::tempdir().unwrap();
    let (root, images) = mixed_folder(dir.path());
    let out = scan(&root, &[p("--format"), p("csv")]);
    assert_eq!(out.status.code(), Some(4));
    let text = stdout(&out);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "no raw control characters"
    );
    let rows = parse_csv(text);
    assert_eq!(
        rows[0],
        [
            "path",
            "format",
            "verdict",
            "pass",
            "signer",
            "issuer",
            "ai_generated",
            "summary",
            "reasons"
        ]
    );
    assert_eq!(rows.len(), 1 + images.len() + 1, "header, images, the loop");
    let expected = verify_reports(&images);
    let hostile_path = root.join(HOSTILE).display().to_string();
    let mut hostile_seen = false;
    for row in &rows[1..] {
        assert_eq!(row.len(), 9, "{row:?}");
        if row[0].ends_with("loop") {
            assert_eq!(row[2], "error");
            continue;
        }
        let key = if row[0]
            == hostile_path
                .replace('\n', "\\u{a}")
                .replace('\u{1b}', "\\u{1b}")
        {
            hostile_seen = true;
            hostile_path.clone()
        } else {
            row[0].clone()
        };
        let report = &expected[&key];
        assert_eq!(row[2], report["verdict"].as_str().unwrap(), "{key}");
        // Text from files reaches the CSV with controls and bidi overrides escaped.
        assert_eq!(
            row[7],
            escaped(report["summary"].as_str().unwrap()),
            "{key}"
        );
        assert_eq!(row[6], report["ai_generated"].to_string(), "{key}");
        let trusted = row[2] == "trusted";
        if trusted {
            assert_eq!(row[4], "Jane Doe (Example News)");
            assert_eq!(row[3], "true");
        }
    }
    assert!(hostile_seen, "the hostile name is one escaped field");
}

#[test]
fn junit_parses_with_one_case_per_file_and_a_failure_per_failing_file() {
    use quick_xml::events::Event;
    let dir = tempfile::tempdir().unwrap();
    let (root, images) = mixed_folder(dir.path());
    let report = dir.path().join("report.xml");
    let out = scan(&root, &[p("--format"), p("junit"), p("-o"), &report]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty(), "-o writes the file, not stdout");
    let xml = fs::read_to_string(&report).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (0, 0);
    let mut suite_attrs = (String::new(), String::new());
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| {
        e.try_get_attribute(name)
            .unwrap()
            .unwrap()
            .normalized_value(quick_xml::XmlVersion::default())
            .unwrap()
            .into_owned()
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuite" => suite_attrs = (attr(&e, "tests"), attr(&e, "failures")),
                b"testcase" => cases += 1,
                b"failure" => {
                    failures += 1;
                    assert!(attr(&e, "message").starts_with("verdict `"));
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(cases, images.len() + 1);
    let expected = verify_reports(&images);
    let failing = 1 + expected
        .values()
        .filter(|r| !matches!(r["verdict"].as_str(), Some("trusted" | "valid")))
        .count();
    assert_eq!(failures, failing);
    assert_eq!(suite_attrs, (cases.to_string(), failures.to_string()));

    let again = scan(&root, &[p("--format"), p("junit"), p("-o"), &report]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "refuses to replace without --force"
    );
    let forced = scan(
        &root,
        &[p("--format"), p("junit"), p("-o"), &report, p("--force")],
    );
    assert_eq!(forced.status.code(), Some(4));
}

#[test]
fn table_has_a_line_per_file_and_the_summary_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("in");
    fs::create_dir(&signed).unwrap();
    for name in ["newsroom.jpg", "stranger.jpg"] {
        fs::copy(fixtures().join("signed").join(name), signed.join(name)).unwrap();
    }
    fs::copy(
        fixtures().join("attacks/pixel-flip.jpg"),
        signed.join("flip.jpg"),
    )
    .unwrap();
    let out = scan(&signed, &[]);
    assert_eq!(out.status.code(), Some(3), "tampered, nothing unreadable");
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().any(|l| l.starts_with("✔ trusted   PASS ")
        && l.ends_with("Signed by \"Jane Doe (Example News)\"; trusted")));
    assert!(text
        .lines()
        .any(|l| l.starts_with("✘ tampered  FAIL ") && l.contains("flip.jpg")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("Failing the policy (1):\n  ✘ tampered  "),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("Scanned 3 files: 1 tampered, 1 trusted, 1 valid; 2 pass, 1 fail the policy"),
        "{stderr}"
    );
}

fn policy_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("policy.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn policies_reject_ai_and_untrusted_signers_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let ai = fixtures().join("signed/ai-generated.jpg");
    let stranger = fixtures().join("signed/stranger.jpg");
    let newsroom = fixtures().join("signed/newsroom.jpg");

    assert_eq!(scan(&ai, &[]).status.code(), Some(0));
    let no_ai = policy_file(dir.path(), "allow_ai_generated = false\n");
    let out = scan(&ai, &[p("--policy"), &no_ai, p("--format"), p("jsonl")]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(report["verdict"], "trusted");
    assert_eq!(report["policy"]["pass"], false);
    assert!(report["policy"]["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("AI-generated content is not allowed"));
    assert_eq!(
        scan(&newsroom, &[p("--policy"), &no_ai]).status.code(),
        Some(0)
    );

    assert_eq!(scan(&stranger, &[]).status.code(), Some(0));
    let trusted_only = policy_file(dir.path(), "require_trusted = true\n");
    let out = scan(&stranger, &[p("--policy"), &trusted_only]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("✓ valid     FAIL "),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("the signer is not trusted here"));
    assert_eq!(
        scan(&newsroom, &[p("--policy"), &trusted_only])
            .status
            .code(),
        Some(0)
    );

    let strict = policy_file(
        dir.path(),
        "pass = [\"trusted\"]\nrequired_actions = [\"c2pa.created\"]\n",
    );
    let out = scan(
        &fixtures().join("images/sample.jpg"),
        &[p("--policy"), &strict],
    );
    assert_eq!(out.status.code(), Some(1), "unsigned fails");
}

#[test]
fn a_bad_policy_file_is_a_usage_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = policy_file(dir.path(), "pass = [\"trusted\"]\nallow_ai = false\n");
    let out = scan(
        &fixtures().join("signed/newsroom.jpg"),
        &[p("--policy"), &bad],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[policy.malformed]"), "{stderr}");
    assert!(stderr.contains("line 2, column 1"), "{stderr}");
    assert!(stderr.contains("allow_ai"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing scanned");

    let tampered = policy_file(dir.path(), "pass = [\"tampered\"]\n");
    let out = scan(
        &fixtures().join("signed/newsroom.jpg"),
        &[p("--policy"), &tampered],
    );
    assert_eq!(out.status.code(), Some(2));
    let missing = dir.path().join("nope.toml");
    let out = scan(
        &fixtures().join("signed/newsroom.jpg"),
        &[p("--policy"), &missing],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_2_gb_sparse_file_and_a_vanished_file_are_reported_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    fs::create_dir(&inbox).unwrap();
    let big = inbox.join("huge.jpg");
    fs::File::create(&big).unwrap().set_len(2 << 30).unwrap();
    fs::copy(fixtures().join("signed/newsroom.jpg"), inbox.join("ok.jpg")).unwrap();
    let gone = dir.path().join("deleted-before-scan.jpg");
    let out = hallmark(&[
        "scan".into(),
        inbox.clone(),
        gone.clone(),
        "--format".into(),
        "jsonl".into(),
        "--trust".into(),
        newsroom_root(),
    ]);
    assert_eq!(out.status.code(), Some(4), "unreadable files set exit 4");
    let reports: HashMap<String, Value> = stdout(&out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["path"].as_str().unwrap().to_string(), v)
        })
        .collect();
    assert_eq!(reports.len(), 3, "{reports:?}");
    let huge = &reports[&big.display().to_string()];
    assert_eq!(huge["verdict"], "error");
    assert_eq!(huge["error"]["code"], "limits.file_size");
    assert_eq!(reports[&gone.display().to_string()]["verdict"], "error");
    assert_eq!(
        reports[&inbox.join("ok.jpg").display().to_string()]["verdict"],
        "trusted"
    );
}

/// The cards of an HTML report: (path, verdict, pass, has a thumbnail), in document order.
fn html_cards(html: &str) -> Vec<(String, String, bool, bool)> {
    let unescape = |s: &str| {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    html.split("<article ")
        .skip(1)
        .map(|card| {
            let attr = |name: &str| {
                let start = card.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                card[start..start + card[start..].find('"').unwrap()].to_string()
            };
            let path_start = card.find("<p class=\"path\">").unwrap() + 16;
            let path_end = path_start + card[path_start..].find("</p>").unwrap();
            (
                unescape(&card[path_start..path_end]),
                attr("data-verdict"),
                attr("data-pass") == "true",
                card.contains("src=\"data:image/jpeg;base64,"),
            )
        })
        .collect()
}

#[test]
fn html_has_a_card_per_file_failures_first_with_thumbnails_and_no_script() {
    let dir = tempfile::tempdir().unwrap();
    let (root, images) = mixed_folder(dir.path());
    let report = dir.path().join("report.html");
    let out = scan(&root, &[p("--format"), p("html"), p("-o"), &report]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    let html = fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert!(!html.to_lowercase().contains("<script"), "no script");
    assert!(
        html.contains("default-src 'none'"),
        "a CSP that loads nothing"
    );
    assert!(
        !html.contains("http://127") && !html.contains("src=\"http"),
        "nothing remote"
    );
    assert!(
        !html.contains('\u{1b}'),
        "no raw escape from the hostile name"
    );

    let cards = html_cards(&html);
    assert_eq!(
        cards.len(),
        images.len() + 1,
        "every image and the link loop"
    );
    // Paths are shown as on a terminal: control characters escaped.
    let shown = |p: &str| p.replace('\n', "\\u{a}").replace('\u{1b}', "\\u{1b}");
    let expected: HashMap<String, Value> = verify_reports(&images)
        .into_iter()
        .map(|(path, report)| (shown(&path), report))
        .collect();
    for (path, verdict, _, _) in &cards {
        if path.ends_with("/loop") {
            assert_eq!(verdict, "error");
            continue;
        }
        assert_eq!(
            Some(verdict.as_str()),
            expected[path]["verdict"].as_str(),
            "{path}"
        );
    }
    let hostile = shown(&root.join(HOSTILE).display().to_string());
    assert!(
        cards
            .iter()
            .any(|(p, v, ..)| *p == hostile && v == "trusted"),
        "the hostile name is shown escaped"
    );
    // Failing files come first.
    let first_pass = cards.iter().position(|c| c.2).unwrap();
    assert!(cards[first_pass..].iter().all(|c| c.2));
    assert!(cards[..first_pass].iter().all(|c| !c.2));
    assert!(first_pass > 0);
    // Every decodable picture has a thumbnail: signed, tampered by a pixel, stripped.
    for name in [
        "newsroom.jpg",
        "newsroom.png",
        "newsroom.webp",
        "nested/pixel-flip.jpg",
        "nested/stripped.jpg",
    ] {
        let path = root.join(name).display().to_string();
        let card = cards.iter().find(|c| c.0 == path).unwrap();
        assert!(card.3, "{name} has a thumbnail");
    }
    let empty = root.join("nested/empty.jpg").display().to_string();
    assert!(!cards.iter().find(|c| c.0 == empty).unwrap().3);
    // The counts in the header match the cards.
    let trusted = cards.iter().filter(|c| c.1 == "trusted").count();
    assert!(html.contains(&format!(
        "data-verdict=\"trusted\" data-count=\"{trusted}\""
    )));
}

#[test]
fn a_second_scan_comes_from_the_cache_with_identical_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = mixed_folder(dir.path());
    let cache = dir.path().join("cache");
    let args = |extra: &[&str]| {
        let mut args: Vec<PathBuf> = vec![
            "scan".into(),
            root.clone(),
            "--trust".into(),
            newsroom_root(),
            "--format".into(),
            "jsonl".into(),
        ];
        args.extend(extra.iter().map(PathBuf::from));
        args
    };
    let sorted = |out: &Output| {
        let mut lines: Vec<String> = stdout(out).lines().map(String::from).collect();
        lines.sort();
        lines
    };
    let cold = hallmark_cached(&args(&[]), &cache);
    let warm = hallmark_cached(&args(&[]), &cache);
    let uncached = hallmark_cached(&args(&["--no-cache"]), &cache);
    assert_eq!(cold.status.code(), Some(4));
    assert_eq!(warm.status.code(), Some(4));
    assert_eq!(sorted(&warm), sorted(&cold));
    assert_eq!(sorted(&uncached), sorted(&cold));
    let cold_err = String::from_utf8_lossy(&cold.stderr);
    let warm_err = String::from_utf8_lossy(&warm.stderr);
    assert!(!cold_err.contains("from the cache"), "{cold_err}");
    let images = stdout(&cold).lines().count() - 1; // all but the link loop
    assert!(
        warm_err.contains(&format!("fail the policy ({images} from the cache)")),
        "{warm_err}"
    );
    assert!(!String::from_utf8_lossy(&uncached.stderr).contains("from the cache"));
    assert!(cache.join("scan-cache.sqlite").is_file());

    // Another trust list: nothing from the cache, and verdicts follow the new trust.
    let untrusting = hallmark_cached(
        &[
            "scan".into(),
            root.clone(),
            "--format".into(),
            "jsonl".into(),
        ],
        &cache,
    );
    assert!(!String::from_utf8_lossy(&untrusting.stderr).contains("from the cache"));
    assert!(!stdout(&untrusting).contains("\"verdict\":\"trusted\""));

    // A damaged cache is set aside with a note; the scan itself is unaffected.
    fs::write(
        cache.join("scan-cache.sqlite"),
        b"garbage, not a database at all......",
    )
    .unwrap();
    let damaged = hallmark_cached(&args(&[]), &cache);
    assert_eq!(damaged.status.code(), Some(4));
    assert_eq!(sorted(&damaged), sorted(&cold));
    let err = String::from_utf8_lossy(&damaged.stderr);
    assert!(
        err.contains("[cache.corrupt]") && err.contains("scanning without a cache"),
        "{err}"
    );
}

#[test]
fn scan_with_a_registry_recovers_stripped_copies_and_the_policy_bounds_the_distance() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    let add = hallmark(&[
        "registry".into(),
        "add".into(),
        fixtures().join("signed/newsroom.jpg"),
        "--db".into(),
        db.clone(),
        "--trust".into(),
        newsroom_root(),
    ]);
    assert_eq!(add.status.code(), Some(0), "{add:?}");
    let inbox = dir.path().join("inbox");
    fs::create_dir(&inbox).unwrap();
    fs::copy(
        fixtures().join("attacks/stripped.jpg"),
        inbox.join("stripped.jpg"),
    )
    .unwrap();
    fs::copy(fixtures().join("images/other.jpg"), inbox.join("other.jpg")).unwrap();
    let policy = policy_file(
        dir.path(),
        "pass = [\"trusted\", \"recovered\"]\nrecovered_max_distance = 0\n",
    );
    let cache = dir.path().join("cache");
    let run = |extra: &[&Path]| {
        let mut args = vec![
            "scan".into(),
            inbox.clone(),
            "--format".into(),
            "jsonl".into(),
            "--registry".into(),
            db.clone(),
        ];
        args.extend(extra.iter().map(|a| a.to_path_buf()));
        hallmark_cached(&args, &cache)
    };
    for round in ["cold", "warm"] {
        let out = run(&[p("--policy"), &policy]);
        assert_eq!(out.status.code(), Some(1), "{round}: other.jpg is unsigned");
        let reports: HashMap<String, Value> = stdout(&out)
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["path"]
                        .as_str()
                        .unwrap()
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .to_string(),
                    v,
                )
            })
            .collect();
        let stripped = &reports["stripped.jpg"];
        assert_eq!(stripped["verdict"], "recovered", "{round}");
        assert_eq!(stripped["recovered"]["distance"], 0);
        assert_eq!(stripped["recovered"]["signer"]["name"], "Jane Doe");
        assert_eq!(stripped["policy"]["pass"], true);
        assert_eq!(reports["other.jpg"]["verdict"], "unsigned");
    }
    // The same verdicts as `hallmark verify --registry`.
    let verify = hallmark(&[
        "verify".into(),
        "--json".into(),
        inbox.join("stripped.jpg"),
        "--registry".into(),
        db.clone(),
    ]);
    let verified: Value = serde_json::from_str(stdout(&verify).trim()).unwrap();
    assert_eq!(verified["verdict"], "recovered");
    // The HTML card shows what the registry vouches for: the registered
    // original's title and source type (it showed the copy's, none, before).
    let html_path = dir.path().join("report.html");
    let html_run = hallmark(&[
        "scan".into(),
        inbox.clone(),
        "--format".into(),
        "html".into(),
        "-o".into(),
        html_path.clone(),
        "--registry".into(),
        db.clone(),
    ]);
    assert_eq!(html_run.status.code(), Some(1), "{html_run:?}");
    let html = fs::read_to_string(&html_path).unwrap();
    let card = html
        .split("<article ")
        .find(|c| c.contains("stripped.jpg"))
        .unwrap();
    assert!(
        card.contains("<dt>Title</dt><dd>newsroom.jpg</dd>"),
        "{card}"
    );
    assert!(
        card.contains(
            "<dt>Source type</dt><dd>http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture</dd>"
        ),
        "{card}"
    );
    // A registry that grew is a new registry: cached results for the old one are not used.
    let add = hallmark(&[
        "registry".into(),
        "add".into(),
        "--allow-valid".into(),
        fixtures().join("signed/stranger.jpg"),
        "--db".into(),
        db.clone(),
    ]);
    assert_eq!(add.status.code(), Some(0), "{add:?}");
    let out = run(&[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("from the cache"));
}

#[test]
fn progress_shows_on_a_terminal_and_never_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = mixed_folder(dir.path());
    let piped = scan(&root, &[p("--format"), p("jsonl")]);
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "{stderr:?}"
    );
    assert!(!stderr.contains("checked,"), "{stderr:?}");

    // `script` gives the command a terminal (util-linux, in every Debian).
    let typescript = dir.path().join("typescript");
    let command = format!(
        "{} scan {} --trust {} --format jsonl -o {} --no-cache",
        env!("CARGO_BIN_EXE_hallmark"),
        root.display(),
        newsroom_root().display(),
        dir.path().join("out.jsonl").display()
    );
    let status = Command::new("script")
        .args(["-q", "-e", "-c", &command])
        .arg(&typescript)
        .env("HALLMARK_CONFIG_DIR", "/nonexistent/hallmark-test-config")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("script(1) from util-linux runs");
    assert_eq!(status.code(), Some(4));
    let seen = String::from_utf8_lossy(&fs::read(&typescript).unwrap()).into_owned();
    assert!(seen.contains(" checked, "), "progress drawn: {seen:?}");
    assert!(seen.contains("Scanned "), "{seen:?}");
    let quiet = dir.path().join("quiet");
    let status = Command::new("script")
        .args([
            "-q",
            "-e",
            "-c",
            &format!("{command} --force --no-progress"),
        ])
        .arg(&quiet)
        .env("HALLMARK_CONFIG_DIR", "/nonexistent/hallmark-test-config")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(4));
    assert!(!String::from_utf8_lossy(&fs::read(&quiet).unwrap()).contains(" checked, "));
}

/// The CLI's escaping of text from files: control characters, bidi controls
/// and other invisibles as `\u{..}`.
fn escaped(text: &str) -> String {
    text.chars()
        .map(|c| {
            let dangerous = c.is_control()
                || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
            if dangerous {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}
