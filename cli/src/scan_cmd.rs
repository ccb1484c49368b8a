//! `hallmark scan`: verify folders against a policy and render the results as
//! a table, JSON lines, CSV or JUnit XML. The library walks, verifies and
//! judges; this file only renders. Every string from a file or a manifest is
//! escaped for its format: no raw control characters reach any output.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use hallmark_core::scan::{ScanEntry, ScanSummary, Skip};
use hallmark_core::{Policy, Report, Verifier};

use crate::commands::trust_store;
use crate::error::{shown, CliError, EXIT_FAILURE, EXIT_USAGE};
use crate::render;

/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// One line per file for people; a summary on stderr.
    Table,
    /// One JSON report per line, with its policy outcome.
    Jsonl,
    /// One row per file, with a header.
    Csv,
    /// A JUnit XML test suite: one test case per file, for CI.
    Junit,
}

pub struct ScanArgs<'a> {
    pub paths: &'a [PathBuf],
    pub trust: &'a [PathBuf],
    pub allowed: &'a [PathBuf],
    pub policy: Option<&'a Path>,
    pub format: ScanFormat,
    pub output: Option<&'a Path>,
    pub force: bool,
}

pub const CSV_HEADER: &str = "path,format,verdict,pass,signer,issuer,ai_generated,summary,reasons";

pub fn scan(args: ScanArgs<'_>) -> Result<u8, CliError> {
    let policy = match args.policy {
        Some(path) => load_policy(path)?,
        None => Policy::default(),
    };
    let verifier = Verifier::new(trust_store(args.trust, args.allowed)?);
    if let Some(out) = args.output {
        if !args.force && std::fs::symlink_metadata(out).is_ok() {
            return Err(CliError::new(
                "output.exists",
                format!("{} already exists", shown(out)),
                EXIT_FAILURE,
            )
            .hint("use --force to replace it, or choose another -o"));
        }
    }
    let mut sink = Sink::new(args.output.is_some());
    if args.format == ScanFormat::Csv {
        sink.line(CSV_HEADER);
    }
    let mut junit_cases = String::new();
    let summary =
        hallmark_core::scan::scan(&verifier, &policy, args.paths, |entry| match args.format {
            ScanFormat::Table => sink.line(&table_line(&entry)),
            ScanFormat::Jsonl => sink.line(&jsonl_line(&entry)),
            ScanFormat::Csv => sink.line(&csv_row(&entry)),
            ScanFormat::Junit => junit_cases.push_str(&junit_case(&entry)),
        });
    if args.format == ScanFormat::Junit {
        sink.text(&junit_document(&summary, &junit_cases));
    }
    sink.finish(args.output, args.force)?;
    eprint!("{}", summary_text(&summary));
    Ok(summary.exit_code)
}

fn load_policy(path: &Path) -> Result<Policy, CliError> {
    let bytes = hallmark_core::read_input(path, MAX_POLICY_BYTES).map_err(|e| {
        CliError::new(e.code(), format!("{}: {e}", shown(path)), EXIT_USAGE)
            .hint("--policy takes a TOML file; see docs/policy.example.toml")
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        CliError::new(
            "policy.malformed",
            format!("{}: not UTF-8 text", shown(path)),
            EXIT_USAGE,
        )
    })?;
    Policy::from_toml(&text).map_err(|e| {
        CliError::new(e.code(), format!("{}: {e}", shown(path)), EXIT_USAGE)
            .hint("see docs/policy.example.toml for the keys a policy takes")
    })
}

/// Where rendered results go: straight to stdout, or gathered for `-o`.
struct Sink {
    buffer: Option<String>,
    stdout: std::io::Stdout,
    failed: Option<std::io::Error>,
}

impl Sink {
    fn new(to_file: bool) -> Self {
        Self {
            buffer: to_file.then(String::new),
            stdout: std::io::stdout(),
            failed: None,
        }
    }

    fn line(&mut self, line: &str) {
        self.text(line);
        self.text("\n");
    }

    fn text(&mut self, text: &str) {
        match &mut self.buffer {
            Some(buffer) => buffer.push_str(text),
            None if self.failed.is_none() => {
                if let Err(e) = self.stdout.lock().write_all(text.as_bytes()) {
                    self.failed = Some(e);
                }
            }
            None => {}
        }
    }

    fn finish(mut self, output: Option<&Path>, force: bool) -> Result<(), CliError> {
        if let (Some(path), Some(buffer)) = (output, &self.buffer) {
            hallmark_core::write_atomically(path, buffer.as_bytes(), force)?;
        }
        let flushed = self.stdout.lock().flush();
        match self.failed.take().map_or(flushed, Err) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::new(
                "io.write",
                format!("can't write the report to stdout: {e}"),
                EXIT_FAILURE,
            )),
            _ => Ok(()),
        }
    }
}

fn path_of(report: &Report) -> &str {
    report.path.as_deref().unwrap_or("")
}

fn pass_word(entry: &ScanEntry) -> &'static str {
    if entry.policy.pass {
        "PASS"
    } else {
        "FAIL"
    }
}

/// `✔ trusted   PASS inbox/a.jpg  Signed by …`, and the policy's reasons on a failure.
pub fn table_line(entry: &ScanEntry) -> String {
    let r = &entry.report;
    let mut line = format!(
        "{} {:<9} {} {}  {}",
        render::mark(r.verdict),
        r.verdict.as_str(),
        pass_word(entry),
        render::escape(path_of(r)),
        render::clip(&r.summary, 300)
    );
    if !entry.policy.pass {
        let _ = write!(
            line,
            " [{}]",
            render::clip(&entry.policy.reasons.join("; "), 300)
        );
    }
    line
}

/// The report's JSON, with `"policy": {"pass", "reasons"}` added.
pub fn jsonl_line(entry: &ScanEntry) -> String {
    let mut value = serde_json::to_value(&entry.report).unwrap_or_else(|e| {
        serde_json::json!({"verdict": "error", "error": {"code": "internal", "message": e.to_string()}})
    });
    if let serde_json::Value::Object(map) = &mut value {
        map.insert(
            "policy".into(),
            serde_json::json!({"pass": entry.policy.pass, "reasons": entry.policy.reasons}),
        );
    }
    value.to_string()
}

/// The signer the credentials vouch for: the report's, or the registry's for a recovered file.
fn vouched_signer(report: &Report) -> Option<&hallmark_core::SignerInfo> {
    report
        .signer
        .as_ref()
        .or(report.recovered.as_ref().map(|r| &r.signer))
}

pub fn csv_row(entry: &ScanEntry) -> String {
    let r = &entry.report;
    let signer = vouched_signer(r);
    let ai = r.ai_generated || r.recovered.as_ref().is_some_and(|x| x.ai_generated);
    [
        csv_field(path_of(r)),
        csv_field(r.format.as_deref().unwrap_or("")),
        csv_field(r.verdict.as_str()),
        csv_field(if entry.policy.pass { "true" } else { "false" }),
        csv_field(&signer.map(|s| s.display_name()).unwrap_or_default()),
        csv_field(signer.and_then(|s| s.issuer.as_deref()).unwrap_or("")),
        csv_field(if ai { "true" } else { "false" }),
        csv_field(&r.summary),
        csv_field(&entry.policy.reasons.join("; ")),
    ]
    .join(",")
}

/// One CSV field (RFC 4180): control characters escaped as `\u{..}`, a leading
/// `=`, `+`, `-` or `@` defused with `'` (so spreadsheets don't run it as a
/// formula), quoted when it holds a comma or a quote.
pub fn csv_field(text: &str) -> String {
    let mut field = render::escape(text);
    if field.starts_with(['=', '+', '-', '@']) {
        field.insert(0, '\'');
    }
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

/// Text for XML 1.0: control and invisible characters escaped as `\u{..}`,
/// characters XML 1.0 forbids dropped, markup escaped (also in attributes).
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in render::escape(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' => {
                out.push(c);
            }
            c if u32::from(c) >= 0x10000 => out.push(c),
            _ => {}
        }
    }
    out
}

fn junit_case(entry: &ScanEntry) -> String {
    let r = &entry.report;
    let mut case = format!(
        "  <testcase classname=\"hallmark.scan.{}\" name=\"{}\"",
        r.verdict.as_str(),
        xml_text(path_of(r))
    );
    if entry.policy.pass {
        case.push_str("/>\n");
    } else {
        let reasons = entry.policy.reasons.join("; ");
        let _ = write!(
            case,
            ">\n    <failure type=\"{}\" message=\"{}\">{}</failure>\n  </testcase>\n",
            r.verdict.as_str(),
            xml_text(&reasons),
            xml_text(&r.summary)
        );
    }
    case
}

fn junit_document(summary: &ScanSummary, cases: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuite name=\"hallmark scan\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n\
         {cases}</testsuite>\n",
        summary.checked, summary.failed
    )
}

/// The summary on stderr: failing files first, then counts per verdict and what was skipped.
pub fn summary_text(summary: &ScanSummary) -> String {
    let mut out = String::new();
    if summary.failed > 0 {
        let _ = writeln!(out, "Failing the policy ({}):", summary.failed);
        for (verdict, path) in &summary.failing {
            let _ = writeln!(
                out,
                "  {} {:<9} {}",
                render::mark(*verdict),
                verdict.as_str(),
                render::escape(path)
            );
        }
        let unlisted = summary.failed - summary.failing.len() as u64;
        if unlisted > 0 {
            let _ = writeln!(out, "  … and {unlisted} more");
        }
    }
    let counts: Vec<String> = summary
        .by_verdict
        .iter()
        .map(|(verdict, n)| format!("{n} {verdict}"))
        .collect();
    let _ = writeln!(
        out,
        "Scanned {} file{}: {}; {} pass, {} fail the policy",
        summary.checked,
        if summary.checked == 1 { "" } else { "s" },
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        },
        summary.passed,
        summary.failed
    );
    let skipped: Vec<String> = [
        (Skip::NotImage, "not an image"),
        (Skip::NotRegular, "not a regular file"),
        (Skip::SymlinkedDirectory, "link to a folder, not followed"),
    ]
    .iter()
    .filter_map(|&(why, label)| {
        let n = summary.skipped(why);
        (n > 0).then(|| format!("{n} {label}"))
    })
    .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "Skipped: {}", skipped.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_core::Verdict;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("line\nbreak"), "line\\u{a}break");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn xml_text_escapes_markup_and_drops_what_xml_forbids() {
        assert_eq!(
            xml_text("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        assert_eq!(xml_text("bell\u{7}"), "bell\\u{7}");
        assert_eq!(xml_text("x\u{FFFE}y\u{FFFF}"), "xy");
        assert_eq!(xml_text("emoji 😀"), "emoji 😀");
    }

    #[test]
    fn summary_lists_failures_first() {
        let mut summary = ScanSummary {
            checked: 2,
            passed: 1,
            failed: 1,
            ..ScanSummary::default()
        };
        summary.by_verdict.insert(Verdict::Trusted, 1);
        summary.by_verdict.insert(Verdict::Tampered, 1);
        summary.failing.push((Verdict::Tampered, "in/x.jpg".into()));
        summary.skipped.insert(Skip::NotImage, 3);
        assert_eq!(
            summary_text(&summary),
            "Failing the policy (1):\n  ✘ tampered  in/x.jpg\n\
             Scanned 2 files: 1 tampered, 1 trusted; 1 pass, 1 fail the policy\n\
             Skipped: 3 not an image\n"
        );
    }
}
