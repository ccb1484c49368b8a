//! Hostile certificate chains (fresh keys on every run, from
//! `hallmark_fixtures::chains`) through `verify`, `scan` and `feed classify`:
//! each gets the verdict `expected.tsv` names, the same in every command, and
//! none but the proper chain is `trusted`. c2pa 0.90's native chain check
//! (signatures only) called every one of them trusted; see DESIGN.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "cli/support.rs"]
#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use support::{hallmark, RunExt};

/// file → expected verdict, from the generator's expected.tsv.
fn expected(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("expected.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let mut cols = l.split('\t');
            (
                cols.next().unwrap().to_string(),
                cols.next().unwrap().to_string(),
            )
        })
        .collect()
}

fn chains() -> (tempfile::TempDir, BTreeMap<String, String>) {
    let tmp = tempfile::tempdir().unwrap();
    hallmark_fixtures::chains::write_hostile_chains(tmp.path()).expect("make the chains");
    let expected = expected(tmp.path());
    assert_eq!(expected.len(), 13, "{expected:?}");
    assert_eq!(
        expected.values().filter(|v| *v == "trusted").count(),
        2,
        "only the proper chains are trusted (one of them time-stamped)"
    );
    (tmp, expected)
}

fn name_of(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_time_stamp_authority_that_chains_only_to_a_signer_root_dates_nothing() {
    let (tmp, _) = chains();
    let root = tmp.path().join("root.pem");
    // The root as a signer anchor only: the signer is trusted, its TSA is not.
    let report = hallmark()
        .args(["verify", "--json", "--trust"])
        .arg(&root)
        .arg(tmp.path().join("proper-tsa.jpg"))
        .run()
        .json();
    assert_eq!(report["verdict"], "trusted", "{report}");
    assert_eq!(report["signed_at"], Value::Null, "{report}");
    let refused = report["status"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "timeStamp.untrusted" && s["scope"] == "hallmark")
        .expect("Hallmark's refusal of the TSA");
    assert!(
        refused["explanation"]
            .as_str()
            .unwrap()
            .contains("no path to a trust anchor"),
        "{refused}"
    );
    // The root as a TSA anchor only: the time-stamp is trusted, but a signer
    // chaining only to a TSA root is not (c2pa 0.90 alone would trust it).
    let report = hallmark()
        .args(["verify", "--json", "--tsa-trust"])
        .arg(&root)
        .arg(tmp.path().join("proper-tsa.jpg"))
        .run()
        .json();
    assert_eq!(report["verdict"], "valid", "{report}");
    assert_eq!(
        report["status"][0]["code"], "signingCredential.untrusted",
        "{report}"
    );
    assert_eq!(report["status"][0]["scope"], "hallmark", "{report}");
}

#[test]
fn verify_refuses_every_hostile_chain_and_names_who_vouched_for_the_proper_one() {
    let (tmp, expected) = chains();
    let root = tmp.path().join("root.pem");
    for (file, verdict) in &expected {
        let path = tmp.path().join(file);
        // The root vouches for signers and, given as --tsa-trust too, for
        // time-stamp authorities.
        let run = hallmark()
            .args(["verify", "--json", "--require", "trusted", "--trust"])
            .arg(&root)
            .arg("--tsa-trust")
            .arg(&root)
            .arg(&path)
            .run();
        let report = run.json();
        assert_eq!(report["verdict"], verdict.as_str(), "{file}: {report}");
        let trusted = verdict == "trusted";
        run.expect_code(if trusted { 0 } else { 1 });
        assert_eq!(report["signer"]["trusted"], trusted, "{file}");
        if trusted {
            assert_eq!(
                report["signer"]["anchor"]["source"],
                format!("--trust {}", root.display())
            );
            assert_eq!(
                report["signer"]["anchor"]["name"],
                "Hostile Chains Root (Hostile Chains Test)"
            );
            assert_eq!(
                report["signer"]["chain"],
                serde_json::json!([
                    "Jane Doe (Example News)",
                    "Hostile Chains Intermediate (Hostile Chains Test)",
                    "Hostile Chains Root (Hostile Chains Test)"
                ])
            );
            assert_eq!(report["status"], serde_json::json!([]));
            // A time-stamp from a TSA the intermediate CA issued dates the signature.
            assert_eq!(
                report["signed_at"].is_string(),
                file == "proper-tsa.jpg",
                "{file}: {report}"
            );
        } else {
            assert_eq!(report["signer"]["anchor"], Value::Null, "{file}");
            assert_eq!(
                report["status"][0]["code"], "signingCredential.untrusted",
                "{file}: {report}"
            );
            // Hallmark says why, in the summary and as its own status entry.
            if file == "forged-tsa.jpg" {
                assert_eq!(
                    report["signed_at"],
                    Value::Null,
                    "a forged time-stamp dates nothing"
                );
                let tsa = report["status"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["code"] == "timeStamp.untrusted")
                    .expect("the refused time-stamp");
                assert_eq!(tsa["scope"], "hallmark");
            }
            if file == "padded-name.jpg" {
                assert_eq!(
                    report["summary"],
                    "Signed by \"Nikon; trusted \"; intact, but the signer is not in the trust list"
                );
            } else if file != "unrelated-root.jpg" {
                assert_eq!(report["status"][0]["scope"], "hallmark", "{file}");
                assert!(
                    report["summary"]
                        .as_str()
                        .unwrap()
                        .contains("intact, but not trusted: "),
                    "{file}: {}",
                    report["summary"]
                );
            }
        }
    }
}

#[test]
fn the_allowed_list_trusts_a_certificate_as_itself_and_lends_nothing_to_what_it_issues() {
    let (tmp, _) = chains();
    let allowed = tmp.path().join("allowed.pem");
    let verify = |file: &str| {
        hallmark()
            .args(["verify", "--json", "--allowed"])
            .arg(&allowed)
            .arg(tmp.path().join(file))
            .run()
            .json()
    };
    let report = verify("unrelated-root.jpg");
    assert_eq!(report["verdict"], "trusted", "{report}");
    assert_eq!(
        report["signer"]["anchor"]["source"],
        format!("--allowed {}", allowed.display())
    );
    assert_eq!(
        report["signer"]["anchor"]["name"],
        "Jane Doe (Example News)"
    );
    assert_eq!(
        report["signer"]["chain"],
        serde_json::json!(["Jane Doe (Example News)"])
    );
    // The forged Nikon certificate was issued by an allowed signer: not trusted.
    let report = verify("forged-name.jpg");
    assert_eq!(report["verdict"], "valid", "{report}");
    assert_eq!(report["signer"]["anchor"], Value::Null);
    // inspect takes the same trust arguments (it had --trust only).
    let run = hallmark()
        .args(["inspect", "--json", "--allowed"])
        .arg(&allowed)
        .arg(tmp.path().join("unrelated-root.jpg"))
        .run();
    let inspected: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(inspected["report"]["verdict"], "trusted", "{inspected}");
}

#[test]
fn inspect_and_the_html_report_say_who_vouched() {
    let (tmp, _) = chains();
    let root = tmp.path().join("root.pem");
    let run = hallmark()
        .args(["inspect", "--trust"])
        .arg(&root)
        .arg(tmp.path().join("proper-three-level.jpg"))
        .run();
    run.expect_code(0);
    let line = format!(
        "  vouched for by       Hostile Chains Root (Hostile Chains Test) (from --trust {})\n",
        root.display()
    );
    assert!(run.stdout.contains(&line), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "  chain                Jane Doe (Example News) → Hostile Chains Intermediate (Hostile Chains Test) → Hostile Chains Root (Hostile Chains Test)\n"
        ),
        "{}",
        run.stdout
    );

    let run = hallmark()
        .args(["scan", "--format", "html", "--trust"])
        .arg(&root)
        .arg(tmp.path().join("proper-three-level.jpg"))
        .run();
    assert!(
        run.stdout.contains(
            "<dt>Vouched for by</dt><dd>Hostile Chains Root (Hostile Chains Test) (from --trust "
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("<dt>Chain</dt><dd>Jane Doe (Example News) → Hostile Chains Intermediate"),
        "{}",
        run.stdout
    );
}

#[test]
fn scan_and_feed_give_the_same_verdicts_as_verify() {
    let (tmp, expected) = chains();
    let root = tmp.path().join("root.pem");
    let run = hallmark()
        .args(["scan", "--format", "jsonl", "--trust"])
        .arg(&root)
        .arg(tmp.path())
        .run();
    let mut seen = 0;
    for line in run.stdout.lines() {
        let report: Value = serde_json::from_str(line).unwrap();
        let Some(path) = report["path"].as_str() else {
            continue;
        };
        let file = name_of(path);
        assert_eq!(report["verdict"], expected[&file].as_str(), "scan {file}");
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "{}", run.stdout);

    let bank = tmp.path().join("bank.tsv");
    std::fs::write(
        &bank,
        format!("{}\tfake\tnothing matches\n", "0".repeat(64)),
    )
    .unwrap();
    let mut cmd = hallmark();
    cmd.args(["feed", "classify", "--bank"])
        .arg(&bank)
        .arg("--trust")
        .arg(&root);
    for file in expected.keys() {
        cmd.arg(tmp.path().join(file));
    }
    let run = cmd.run();
    let mut seen = 0;
    for line in run.stdout.lines() {
        let result: Value = serde_json::from_str(line).unwrap();
        let file = name_of(result["path"].as_str().unwrap());
        assert_eq!(
            result["provenance"]["verdict"],
            expected[&file].as_str(),
            "feed {file}: {result}"
        );
        assert_eq!(
            result["provenance"]["signer"]["trusted"],
            expected[&file] == "trusted",
            "feed {file}"
        );
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "{}", run.stdout);
}
