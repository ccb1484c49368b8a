//! `hallmark scan`: verify folders against a policy and render the results as
//! a table, JSON lines, CSV, JUnit XML or an HTML page. The library walks,
//! verifies, caches and judges; this file only renders. Every string from a
//! file or a manifest is escaped for its format: no raw control characters
//! reach any output. Output is written as results arrive (to a temporary file
//! beside `-o FILE`, renamed into place at the end), so memory stays flat.

use hallmark_core::Code;
use std::fmt::Write as _;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use clap::ValueEnum;
use hallmark_core::scan::{ScanCache, ScanEntry, ScanOptions, ScanSummary};
use hallmark_core::{Policy, Report, Verifier};

use crate::error::{shown, CliError, EXIT_FAILURE, EXIT_USAGE};
use crate::render;
use crate::scan_html::HtmlSpool;

/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;
/// Longest side of the thumbnails in the HTML report (shown at half that, sharp on high-DPI screens).
const THUMBNAIL_SIDE: u32 = 240;
/// The cache file in the cache directory.
const CACHE_FILE: &str = "scan-cache.sqlite";

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
    /// One self-contained page: a thumbnail, a verdict badge and the details of every file.
    Html,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and folders (walked recursively; links to folders are not followed).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub trust: crate::args::TrustArgs,
    /// A TOML policy: which verdicts pass, trust, AI-generated content, source types, actions.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ScanFormat,
    #[command(flatten)]
    pub output: crate::args::OutputArgs,
    #[command(flatten)]
    pub registry: crate::args::RegistryArgs,
    /// Verify every file again: neither read nor write the result cache
    /// (kept in $HALLMARK_CACHE_DIR, else $XDG_CACHE_HOME/hallmark, else ~/.cache/hallmark).
    #[arg(long)]
    pub no_cache: bool,
    /// No progress line on stderr (it is shown only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

pub const CSV_HEADER: &str = "path,format,verdict,pass,signer,issuer,ai_generated,summary,reasons";

/// Open the cache, or say on stderr why this scan runs without one.
fn open_cache(fingerprint: [u8; 32]) -> Option<ScanCache> {
    let Some(dir) = crate::dirs::cache_dir() else {
        eprintln!("hallmark: note: no cache directory (set HALLMARK_CACHE_DIR or HOME); scanning without a cache");
        return None;
    };
    let made = {
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
        }
        #[cfg(not(unix))]
        {
            std::fs::create_dir_all(&dir)
        }
    };
    if let Err(e) = made {
        eprintln!(
            "hallmark: note: can't create the cache directory {}: {e}; scanning without a cache",
            shown(&dir)
        );
        return None;
    }
    match ScanCache::open(dir.join(CACHE_FILE), fingerprint) {
        Ok(cache) => Some(cache),
        Err(e) => {
            eprintln!(
                "hallmark: note: [{}] {}; scanning without a cache (remove the file to start a new one)",
                e.code(),
                render::escape(&e.to_string())
            );
            None
        }
    }
}

pub fn scan(args: ScanArgs) -> Result<u8, CliError> {
    let mut policy = match args.policy.as_deref() {
        Some(path) => load_policy(path)?,
        None => Policy::default(),
    };
    policy.recovered_accept_similar |= args.registry.accept_similar;
    let verifier = Verifier::new(args.trust.store()?);
    let remote = args.registry.remote()?;
    let registry = match args.registry.registry.as_deref() {
        Some(_) if remote.is_some() => None,
        Some(path) => Some(crate::registry_cmd::open(path)?.with_verifier(verifier.clone())),
        None => None,
    };
    let mut fingerprint = verifier.fingerprint();
    if let Some(registry) = &registry {
        let state = registry
            .state()
            .map_err(|e| CliError::new(e.code(), render::escape(&e.to_string()), EXIT_FAILURE))?;
        let extra = format!("registry\0{state}\0{}", args.registry.threshold);
        fingerprint = ScanCache::fingerprint_with(fingerprint, extra.as_bytes());
    }
    // What a registry service holds is not in the fingerprint: no cache with one.
    let cache = if args.no_cache || remote.is_some() {
        None
    } else {
        open_cache(fingerprint)
    };
    let registry = registry.map(Mutex::new);
    let options = ScanOptions {
        cache: cache.as_ref(),
        registry: registry.as_ref().map(|r| (r, args.registry.threshold)),
        remote: remote.as_ref().map(|r| (r, args.registry.threshold)),
        thumbnail_side: (args.format == ScanFormat::Html).then_some(THUMBNAIL_SIDE),
    };
    let spool_error = |e: io::Error| {
        CliError::new(
            Code::IoWrite,
            format!("can't write a temporary file for the report: {e}"),
            EXIT_FAILURE,
        )
    };
    let mut html = match args.format {
        ScanFormat::Html => Some(HtmlSpool::new().map_err(spool_error)?),
        _ => None,
    };
    let mut junit = match args.format {
        ScanFormat::Junit => Some(io::BufWriter::new(
            tempfile::tempfile().map_err(spool_error)?,
        )),
        _ => None,
    };
    if args.format == ScanFormat::Csv {
        crate::out::outln!("{CSV_HEADER}");
    }
    let progress = Progress::new(!args.no_progress);
    let mut spool_failed: Option<io::Error> = None;
    let summary = hallmark_core::scan::scan(&verifier, &policy, &args.paths, options, |entry| {
        progress.tick(&entry);
        let mut spooled = Ok(());
        match args.format {
            ScanFormat::Table => progress.suspend(|| crate::out::outln!("{}", table_line(&entry))),
            ScanFormat::Jsonl => progress.suspend(|| crate::out::outln!("{}", jsonl_line(&entry))),
            ScanFormat::Csv => progress.suspend(|| crate::out::outln!("{}", csv_row(&entry))),
            ScanFormat::Junit => {
                if let Some(spool) = &mut junit {
                    spooled = spool.write_all(junit_case(&entry).as_bytes());
                }
            }
            ScanFormat::Html => {
                if let Some(spool) = &mut html {
                    spooled = spool.add(&entry);
                }
            }
        }
        if let Err(e) = spooled {
            spool_failed.get_or_insert(e);
        }
    });
    progress.finish();
    if let Some(e) = spool_failed {
        return Err(spool_error(e));
    }
    if let Some(spool) = junit {
        let mut cases = spool
            .into_inner()
            .map_err(|e| spool_error(e.into_error()))?;
        cases.rewind().map_err(spool_error)?;
        crate::out::out!("{}", junit_head(&summary));
        io::copy(&mut cases, &mut crate::out::Writer).map_err(spool_error)?;
        crate::out::out!("</testsuite>\n");
    }
    if let Some(spool) = html {
        spool
            .finish(&summary, &mut crate::out::Writer)
            .map_err(spool_error)?;
    }
    // Everything is written: put -o FILE in place before the summary says so.
    crate::out::finish()?;
    eprint!("{}", summary_text(&summary));
    Ok(summary.exit_code)
}

/// The progress line on stderr: only on a terminal, and only when asked for.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    failed: std::cell::Cell<u64>,
}

impl Progress {
    fn new(wanted: bool) -> Self {
        use std::io::IsTerminal;
        let failed = std::cell::Cell::new(0);
        if !wanted || !io::stderr().is_terminal() {
            return Self { bar: None, failed };
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            None,
            indicatif::ProgressDrawTarget::stderr_with_hz(10),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos} checked, {msg} · {per_sec} · {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message("0 fail");
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Self {
            bar: Some(bar),
            failed,
        }
    }

    fn tick(&self, entry: &ScanEntry) {
        if let Some(bar) = &self.bar {
            if !entry.policy.pass {
                self.failed.set(self.failed.get() + 1);
                bar.set_message(format!("{} fail", self.failed.get()));
            }
            bar.inc(1);
        }
    }

    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn load_policy(path: &Path) -> Result<Policy, CliError> {
    let bytes = hallmark_core::read_input(path, MAX_POLICY_BYTES).map_err(|e| {
        CliError::new(e.code(), format!("{}: {e}", shown(path)), EXIT_USAGE)
            .hint("--policy takes a TOML file; see docs/policy.example.toml")
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        CliError::new(
            Code::PolicyMalformed,
            format!("{}: not UTF-8 text", shown(path)),
            EXIT_USAGE,
        )
    })?;
    Policy::from_toml(&text).map_err(|e| {
        CliError::new(e.code(), format!("{}: {e}", shown(path)), EXIT_USAGE)
            .hint("see docs/policy.example.toml for the keys a policy takes")
    })
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
        serde_json::json!({"verdict": "error", "error": {"code": Code::Internal, "message": e.to_string()}})
    });
    if let serde_json::Value::Object(map) = &mut value {
        map.insert(
            "policy".into(),
            serde_json::json!({"pass": entry.policy.pass, "reasons": entry.policy.reasons}),
        );
    }
    value.to_string()
}

pub fn csv_row(entry: &ScanEntry) -> String {
    let r = &entry.report;
    let vouched = r.vouched();
    let (signer, ai) = (vouched.signer, vouched.ai_generated);
    csv_line(&[
        csv_cell(path_of(r)),
        csv_cell(r.format.as_deref().unwrap_or("")),
        csv_cell(r.verdict.as_str()),
        csv_cell(if entry.policy.pass { "true" } else { "false" }),
        csv_cell(&signer.map(|s| s.display_name()).unwrap_or_default()),
        csv_cell(signer.and_then(|s| s.issuer.as_deref()).unwrap_or("")),
        csv_cell(if ai { "true" } else { "false" }),
        csv_cell(&r.summary),
        csv_cell(&entry.policy.reasons.join("; ")),
    ])
}

/// A CSV cell as a spreadsheet may read it: control characters escaped as
/// `\u{..}`, and a leading `=`, `+`, `-` or `@` defused with `'` (so it is
/// never run as a formula). The csv crate quotes it.
fn csv_cell(text: &str) -> String {
    let mut cell = render::escape(text);
    if cell.starts_with(['=', '+', '-', '@']) {
        cell.insert(0, '\'');
    }
    cell
}

/// One CSV record (RFC 4180 quoting, by the csv crate), without its line end.
fn csv_line(cells: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    if writer.write_record(cells).is_err() {
        return String::new();
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_string()
}

/// One field as a CSV line holds it (defused, then quoted when needed).
#[cfg(test)]
fn csv_field(text: &str) -> String {
    csv_line(&[csv_cell(text)])
}

/// Text XML 1.0 may hold: control and invisible characters escaped as
/// `\u{..}`, characters XML 1.0 forbids dropped. quick-xml's writer escapes
/// the markup.
pub fn xml_safe(text: &str) -> String {
    render::escape(text)
        .chars()
        .filter(|&c| {
            matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
                || u32::from(c) >= 0x10000
        })
        .collect()
}

/// One `<testcase>` (with its `<failure>` when the file fails the policy).
fn junit_case(entry: &ScanEntry) -> String {
    use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
    let r = &entry.report;
    let verdict = r.verdict.as_str();
    let classname = format!("hallmark.scan.{verdict}");
    let name = xml_safe(path_of(r));
    let mut case = BytesStart::new("testcase");
    case.push_attribute(("classname", classname.as_str()));
    case.push_attribute(("name", name.as_str()));
    let mut xml = quick_xml::Writer::new(b"  ".to_vec());
    // Writing into memory can't fail.
    if entry.policy.pass {
        let _ = xml.write_event(Event::Empty(case));
    } else {
        let reasons = xml_safe(&entry.policy.reasons.join("; "));
        let summary = xml_safe(&r.summary);
        let mut failure = BytesStart::new("failure");
        failure.push_attribute(("type", verdict));
        failure.push_attribute(("message", reasons.as_str()));
        let _ = xml.write_event(Event::Start(case));
        xml.get_mut().extend_from_slice(b"\n    ");
        let _ = xml.write_event(Event::Start(failure));
        let _ = xml.write_event(Event::Text(BytesText::new(&summary)));
        let _ = xml.write_event(Event::End(BytesEnd::new("failure")));
        xml.get_mut().extend_from_slice(b"\n  ");
        let _ = xml.write_event(Event::End(BytesEnd::new("testcase")));
    }
    let mut bytes = xml.into_inner();
    bytes.push(b'\n');
    String::from_utf8_lossy(&bytes).into_owned()
}

fn junit_head(summary: &ScanSummary) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuite name=\"hallmark scan\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n",
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
        "Scanned {} file{}: {}; {} pass, {} fail the policy{}",
        summary.checked,
        if summary.checked == 1 { "" } else { "s" },
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        },
        summary.passed,
        summary.failed,
        if summary.cached > 0 {
            format!(" ({} from the cache)", summary.cached)
        } else {
            String::new()
        }
    );
    let skipped = render::skipped_counts(summary);
    if !skipped.is_empty() {
        let _ = writeln!(out, "Skipped: {}", skipped.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_core::scan::Skip;
    use hallmark_core::Verdict;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("line\nbreak"), "line\\u{a}break");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }

    #[test]
    fn junit_escapes_markup_and_drops_what_xml_forbids() {
        assert_eq!(xml_safe("bell\u{7}"), "bell\\u{7}");
        assert_eq!(xml_safe("x\u{FFFE}y\u{FFFF}"), "xy");
        assert_eq!(xml_safe("emoji 😀"), "emoji 😀");
        let mut report = Report::error(hallmark_core::Code::IoRead, "<b>&'\"</b>");
        report.path = Some("a\"<&>'.jpg".into());
        let entry = ScanEntry {
            report,
            policy: hallmark_core::PolicyOutcome {
                pass: false,
                reasons: vec!["x < y & \"z\"".into()],
            },
            thumbnail: None,
            cached: false,
        };
        let case = junit_case(&entry);
        assert!(
            case.starts_with(
                "  <testcase classname=\"hallmark.scan.error\" name=\"a&quot;&lt;&amp;&gt;&apos;.jpg\">\n    <failure type=\"error\" message=\"x &lt; y &amp; &quot;z&quot;\">"
            ),
            "{case}"
        );
        assert!(case.ends_with("</failure>\n  </testcase>\n"), "{case}");
        assert!(!case.contains("<b>"), "{case}");
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
