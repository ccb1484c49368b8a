//! The HTML report of `hallmark scan --format html`: one self-contained file
//! (styles inline, thumbnails as `data:` URLs, no script, a Content Security
//! Policy that forbids loading anything) with a card per file: thumbnail,
//! verdict badge, policy outcome and the report's details. Files failing the
//! policy come first. Cards are spooled to temporary files as results
//! arrive, so memory stays flat however many files there are.

use std::fmt::Write as _;
use std::io::{self, Seek, Write};

use base64::Engine as _;
use hallmark_core::scan::{ScanEntry, ScanSummary};
use hallmark_core::{Report, SignerInfo};

use crate::render;

/// Cards gathered while the scan runs: failing and passing files apart.
pub struct HtmlSpool {
    attention: io::BufWriter<std::fs::File>,
    passed: io::BufWriter<std::fs::File>,
}

impl HtmlSpool {
    pub fn new() -> io::Result<Self> {
        Ok(Self {
            attention: io::BufWriter::new(tempfile::tempfile()?),
            passed: io::BufWriter::new(tempfile::tempfile()?),
        })
    }

    pub fn add(&mut self, entry: &ScanEntry) -> io::Result<()> {
        let card = card(entry);
        if entry.policy.pass {
            self.passed.write_all(card.as_bytes())
        } else {
            self.attention.write_all(card.as_bytes())
        }
    }

    /// The whole document: head and summary, then the cards needing attention, then the rest.
    pub fn finish(self, summary: &ScanSummary, out: &mut dyn Write) -> io::Result<()> {
        let mut attention = self.attention.into_inner().map_err(|e| e.into_error())?;
        let mut passed = self.passed.into_inner().map_err(|e| e.into_error())?;
        out.write_all(head(summary).as_bytes())?;
        out.write_all(section_title("attention", "Needs attention", summary.failed).as_bytes())?;
        attention.rewind()?;
        io::copy(&mut attention, out)?;
        out.write_all(b"</section>\n")?;
        out.write_all(section_title("passed", "Passed", summary.passed).as_bytes())?;
        passed.rewind()?;
        io::copy(&mut passed, out)?;
        out.write_all(b"</section>\n")?;
        out.write_all(foot(summary).as_bytes())
    }
}

/// Text for HTML: control and invisible characters escaped as `\u{..}` (as on
/// a terminal), markup escaped (also inside attributes).
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in render::escape(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d2430; background: #f4f5f7; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 24px; }
h2 { margin: 28px 0 12px; font-size: 18px; }
.meta { color: #5b6472; margin: 0 0 12px; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.count { padding: 6px 12px; border-radius: 6px; font-weight: 600; color: #fff; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 14px; }
.card { display: flex; gap: 12px; background: #fff; border-radius: 8px; padding: 12px;
        border-left: 6px solid #9aa3af; box-shadow: 0 1px 2px rgba(0,0,0,.08); min-width: 0; }
.thumb { flex: 0 0 120px; height: 120px; display: flex; align-items: center; justify-content: center;
         background: #e9ecf0; border-radius: 4px; overflow: hidden; color: #6b7280; font-size: 12px; }
.thumb img { max-width: 120px; max-height: 120px; }
.body { min-width: 0; flex: 1; }
.path { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; margin: 6px 0; }
.summary { margin: 4px 0 8px; font-size: 14px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 4px; font-size: 13px; font-weight: 700; color: #fff; }
.policy { display: inline-block; margin-left: 6px; font-size: 12px; font-weight: 700; }
.policy.pass { color: #1e7d34; } .policy.fail { color: #b42318; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; font-size: 13px; }
dt { color: #5b6472; } dd { margin: 0; overflow-wrap: anywhere; }
.reasons { margin: 6px 0; padding-left: 18px; color: #b42318; font-size: 13px; }
details { font-size: 12px; margin-top: 6px; } code { font-size: 12px; }
.empty { color: #5b6472; }
.v-trusted { background: #1e7d34; } .card.v-trusted { border-left-color: #1e7d34; background: #fff; }
.v-valid { background: #2563eb; } .card.v-valid { border-left-color: #2563eb; background: #fff; }
.v-recovered { background: #0e7490; } .card.v-recovered { border-left-color: #0e7490; background: #fff; }
.v-unsigned { background: #6b7280; } .card.v-unsigned { border-left-color: #6b7280; background: #fff; }
.v-tampered { background: #b42318; } .card.v-tampered { border-left-color: #b42318; background: #fff; }
.v-invalid { background: #c2410c; } .card.v-invalid { border-left-color: #c2410c; background: #fff; }
.v-error { background: #4b5563; } .card.v-error { border-left-color: #111827; background: #fff; }
.ai { display: inline-block; margin-left: 6px; padding: 1px 6px; border-radius: 4px; font-size: 12px;
      font-weight: 700; background: #7c3aed; color: #fff; }
";

fn head(summary: &ScanSummary) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n\
         <meta name=\"generator\" content=\"{}\">\n\
         <title>Hallmark scan: {} file{}, {} need{} attention</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header>\n<h1>Hallmark scan</h1>\n",
        html_text(hallmark_core::CLAIM_GENERATOR),
        summary.checked,
        plural(summary.checked),
        summary.failed,
        if summary.failed == 1 { "s" } else { "" },
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} file{} checked: {} pass, {} fail the policy{}.</p>",
        summary.checked,
        plural(summary.checked),
        summary.passed,
        summary.failed,
        if summary.cached > 0 {
            format!(" ({} from the cache)", summary.cached)
        } else {
            String::new()
        }
    );
    out.push_str("<div class=\"counts\">\n");
    for (verdict, n) in &summary.by_verdict {
        let _ = writeln!(
            out,
            "<span class=\"count v-{v}\" data-verdict=\"{v}\" data-count=\"{n}\">{} {n} {v}</span>",
            render::mark(*verdict),
            v = verdict.as_str(),
        );
    }
    out.push_str("</div>\n</header>\n");
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn section_title(id: &str, title: &str, n: u64) -> String {
    let mut out = format!(
        "<h2 id=\"{id}\">{title} ({n})</h2>\n<section class=\"grid\" data-section=\"{id}\">\n"
    );
    if n == 0 {
        out.push_str("<p class=\"empty\">None.</p>\n");
    }
    out
}

fn foot(summary: &ScanSummary) -> String {
    let skipped = render::skipped_counts(summary);
    let mut out = String::from("<footer>\n");
    if !skipped.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"meta\">Skipped: {}.</p>",
            skipped.join(", ")
        );
    }
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

fn row(out: &mut String, label: &str, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        let _ = write!(out, "<dt>{label}</dt><dd>{}</dd>", html_text(value));
    }
}

/// One file's card.
pub fn card(entry: &ScanEntry) -> String {
    let r: &Report = &entry.report;
    let verdict = r.verdict.as_str();
    let path = r.path.as_deref().unwrap_or("");
    let mut out = String::with_capacity(2048);
    let _ = write!(
        out,
        "<article class=\"card v-{verdict}\" data-verdict=\"{verdict}\" data-pass=\"{}\">\n<div class=\"thumb\">",
        entry.policy.pass
    );
    match &entry.thumbnail {
        Some(jpeg) => {
            let _ = write!(
                out,
                "<img alt=\"\" src=\"data:image/jpeg;base64,{}\">",
                base64::engine::general_purpose::STANDARD.encode(jpeg)
            );
        }
        None => out.push_str("no preview"),
    }
    let _ = write!(
        out,
        "</div>\n<div class=\"body\">\n<span class=\"badge v-{verdict}\">{} {verdict}</span>\
         <span class=\"policy {}\">{}</span>",
        render::mark(r.verdict),
        if entry.policy.pass { "pass" } else { "fail" },
        if entry.policy.pass { "PASS" } else { "FAIL" },
    );
    let vouched = r.vouched();
    if vouched.ai_generated {
        out.push_str("<span class=\"ai\">AI-generated</span>");
    }
    let _ = write!(
        out,
        "\n<p class=\"path\">{}</p>\n<p class=\"summary\">{}</p>\n<dl>",
        html_text(path),
        html_text(&r.summary)
    );
    let signer = r.signer.as_ref().map(SignerInfo::display_name);
    row(&mut out, "Signer", signer.as_deref());
    row(
        &mut out,
        "Issuer",
        r.signer.as_ref().and_then(|s| s.issuer.as_deref()),
    );
    if let Some(anchor) = r.signer.as_ref().and_then(|s| s.anchor.as_ref()) {
        row(&mut out, "Vouched for by", Some(&anchor.vouched_text()));
    }
    if let Some(signer) = r.signer.as_ref().filter(|s| !s.chain.is_empty()) {
        row(&mut out, "Chain", Some(&signer.chain_text()));
    }
    for identity in &r.identities {
        row(
            &mut out,
            "Identity",
            Some(&format!(
                "{} ({}; {})",
                identity.name.as_deref().unwrap_or("unnamed"),
                identity.sig_type.as_deref().unwrap_or("unknown type"),
                identity.state()
            )),
        );
    }
    if let Some(claimed) = &r.claimed_signer {
        row(&mut out, "Claims signer", Some(&claimed.display_name()));
    }
    if let Some(rec) = &r.recovered {
        row(
            &mut out,
            "Registered signer",
            Some(&rec.signer.display_name()),
        );
        row(
            &mut out,
            "Distance",
            Some(&format!("{} bits", rec.distance)),
        );
    }
    // What the credentials vouch for: a recovered file's title, time and
    // source type are the registered original's.
    row(&mut out, "Title", vouched.title);
    row(&mut out, "Signed at", vouched.signed_at);
    row(&mut out, "Source type", vouched.digital_source_type);
    if !vouched.actions.is_empty() {
        row(&mut out, "Actions", Some(&vouched.actions.join(", ")));
    }
    row(&mut out, "Format", r.format.as_deref());
    row(&mut out, "Generator", r.claim_generator.as_deref());
    if let Some(e) = &r.error {
        row(
            &mut out,
            "Error",
            Some(&format!("{}: {}", e.code, e.message)),
        );
    }
    out.push_str("</dl>\n");
    if !entry.policy.reasons.is_empty() {
        out.push_str("<ul class=\"reasons\">");
        for reason in &entry.policy.reasons {
            let _ = write!(out, "<li>{}</li>", html_text(reason));
        }
        out.push_str("</ul>\n");
    }
    if !r.status.is_empty() {
        let _ = write!(
            out,
            "<details><summary>Validation status ({})</summary><ul>",
            r.status.len()
        );
        for s in &r.status {
            let _ = write!(
                out,
                "<li><code>{}</code> {} {}</li>",
                html_text(&s.code),
                html_text(&s.kind),
                html_text(s.explanation.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</ul></details>\n");
    }
    out.push_str("</div>\n</article>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_escapes_markup_and_controls() {
        assert_eq!(
            html_text("<img src=x onerror=\"alert('1')\">&"),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(html_text("a\u{1b}[31m\u{202E}b"), "a\\u{1b}[31m\\u{202e}b");
    }
}
