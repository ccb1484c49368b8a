//! The HTML report of `hallmark scan --format html`: one self-contained file
//! (styles inline, thumbnails as `data:` URLs, no script, a Content Security
//! Policy that forbids loading anything) with a card per file: thumbnail,
//! verdict badge, policy outcome and the report's details. Files failing the
//! policy come first. Cards are spooled to temporary files as results
//! arrive, so memory stays flat however many files there are.
//!
//! The markup is maud templates: every interpolation is escaped by the
//! template (markup characters), after [`text`] has escaped control and
//! invisible characters as on a terminal. Only [`STYLE`] goes in raw.

use std::io::{self, Seek, Write};

use base64::Engine as _;
use hallmark_core::scan::{ScanEntry, ScanSummary};
use hallmark_core::{Report, SignerInfo};
use maud::{html, Markup, PreEscaped, DOCTYPE};

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
        // One card a line, so reports diff and grep well.
        let card = card(entry).into_string() + "\n";
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
        // The document is streamed: its head, then each section's cards
        // copied from their spool, between the section's opening and closing
        // tags, then the foot, then the end of the document.
        let head = head(summary);
        let (open, close) = split_at_slot(&head);
        out.write_all(open.as_bytes())?;
        for (section, spool) in [
            (
                section("attention", "Needs attention", summary.failed),
                &mut attention,
            ),
            (section("passed", "Passed", summary.passed), &mut passed),
        ] {
            let (open, close) = split_at_slot(&section);
            out.write_all(open.as_bytes())?;
            spool.rewind()?;
            io::copy(spool, out)?;
            out.write_all(close.as_bytes())?;
        }
        out.write_all(foot(summary).into_string().as_bytes())?;
        out.write_all(close.as_bytes())?;
        out.write_all(b"\n")
    }
}

/// Where streamed content goes in a template: an empty element nothing
/// else renders, split out by [`split_at_slot`].
const SLOT: &str = "<hallmark-slot></hallmark-slot>";

fn slot() -> Markup {
    PreEscaped(SLOT.to_string())
}

/// A template's markup before and after its slot.
fn split_at_slot(markup: &Markup) -> (&str, &str) {
    markup.0.split_once(SLOT).unwrap_or((markup.0.as_str(), ""))
}

/// Text from a file or a manifest: control and invisible characters escaped
/// as `\u{..}` (as on a terminal); the template escapes markup.
fn text(s: &str) -> String {
    render::escape(s)
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

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The document around the sections (which go in its slot).
fn head(summary: &ScanSummary) -> Markup {
    let title = format!(
        "Hallmark scan: {} file{}, {} need{} attention",
        summary.checked,
        plural(summary.checked),
        summary.failed,
        if summary.failed == 1 { "s" } else { "" },
    );
    let cached = if summary.cached > 0 {
        format!(" ({} from the cache)", summary.cached)
    } else {
        String::new()
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; img-src data:; style-src 'unsafe-inline'";
                meta name="generator" content=(text(hallmark_core::CLAIM_GENERATOR));
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "Hallmark scan" }
                    p.meta {
                        (summary.checked) " file" (plural(summary.checked)) " checked: "
                        (summary.passed) " pass, " (summary.failed) " fail the policy" (cached) "."
                    }
                    div.counts {
                        @for (verdict, n) in &summary.by_verdict {
                            span class={ "count v-" (verdict.as_str()) }
                                data-verdict=(verdict.as_str()) data-count=(n) {
                                (render::mark(*verdict)) " " (n) " " (verdict.as_str())
                            }
                        }
                    }
                }
                (slot())
            }
        }
    }
}

/// A section of cards (which go in its slot).
fn section(id: &str, title: &str, n: u64) -> Markup {
    html! {
        h2 id=(id) { (title) " (" (n) ")" }
        section.grid data-section=(id) {
            @if n == 0 {
                p.empty { "None." }
            }
            (slot())
        }
    }
}

fn foot(summary: &ScanSummary) -> Markup {
    let skipped = render::skipped_counts(summary);
    html! {
        footer {
            @if !skipped.is_empty() {
                p.meta { "Skipped: " (skipped.join(", ")) "." }
            }
        }
    }
}

/// One row of a card's details, when there is a value.
fn row(label: &str, value: Option<&str>) -> Markup {
    html! {
        @if let Some(value) = value.filter(|v| !v.is_empty()) {
            dt { (label) } dd { (text(value)) }
        }
    }
}

/// One file's card.
pub fn card(entry: &ScanEntry) -> Markup {
    let r: &Report = &entry.report;
    let verdict = r.verdict.as_str();
    let pass = entry.policy.pass;
    let vouched = r.vouched();
    let signer = r.signer.as_ref();
    let identities: Vec<String> = r
        .identities
        .iter()
        .map(|identity| {
            format!(
                "{} ({}; {})",
                identity.name.as_deref().unwrap_or("unnamed"),
                identity.sig_type.as_deref().unwrap_or("unknown type"),
                identity.state()
            )
        })
        .collect();
    html! {
        article class={ "card v-" (verdict) } data-verdict=(verdict) data-pass=(pass) {
            div.thumb {
                @match &entry.thumbnail {
                    Some(jpeg) => img alt="" src={
                        "data:image/jpeg;base64,"
                        (base64::engine::general_purpose::STANDARD.encode(jpeg))
                    };,
                    None => "no preview",
                }
            }
            div.body {
                span class={ "badge v-" (verdict) } { (render::mark(r.verdict)) " " (verdict) }
                span class={ "policy " (if pass { "pass" } else { "fail" }) } {
                    (if pass { "PASS" } else { "FAIL" })
                }
                @if vouched.ai_generated {
                    span.ai { "AI-generated" }
                }
                p.path { (text(r.path.as_deref().unwrap_or(""))) }
                p.summary { (text(&r.summary)) }
                dl {
                    (row("Signer", signer.map(SignerInfo::display_name).as_deref()))
                    (row("Issuer", signer.and_then(|s| s.issuer.as_deref())))
                    @if let Some(anchor) = signer.and_then(|s| s.anchor.as_ref()) {
                        (row("Vouched for by", Some(&anchor.vouched_text())))
                    }
                    @if let Some(signer) = signer.filter(|s| !s.chain.is_empty()) {
                        (row("Chain", Some(&signer.chain_text())))
                    }
                    @for identity in &identities {
                        (row("Identity", Some(identity)))
                    }
                    @if let Some(claimed) = &r.claimed_signer {
                        (row("Claims signer", Some(&claimed.display_name())))
                    }
                    @if let Some(rec) = &r.recovered {
                        (row("Registered signer", Some(&rec.signer.display_name())))
                        (row("Distance", Some(&format!("{} bits", rec.distance))))
                    }
                    // What the credentials vouch for: a recovered file's title,
                    // time and source type are the registered original's.
                    (row("Title", vouched.title))
                    (row("Signed at", vouched.signed_at))
                    (row("Source type", vouched.digital_source_type))
                    @if !vouched.actions.is_empty() {
                        (row("Actions", Some(&vouched.actions.join(", "))))
                    }
                    (row("Format", r.format.as_deref()))
                    (row("Generator", r.claim_generator.as_deref()))
                    @if let Some(e) = &r.error {
                        (row("Error", Some(&format!("{}: {}", e.code, e.message))))
                    }
                }
                @if !entry.policy.reasons.is_empty() {
                    ul.reasons {
                        @for reason in &entry.policy.reasons {
                            li { (text(reason)) }
                        }
                    }
                }
                @if !r.status.is_empty() {
                    details {
                        summary { "Validation status (" (r.status.len()) ")" }
                        ul {
                            @for s in &r.status {
                                li {
                                    code { (text(&s.code)) } " " (text(&s.kind)) " "
                                    (text(s.explanation.as_deref().unwrap_or("")))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_markup_and_controls() {
        let markup = html! { p title=(text("\"><script>")) { (text("<img src=x onerror=\"alert('1')\">&\u{1b}[31m\u{202E}")) } };
        assert_eq!(
            markup.into_string(),
            "<p title=\"&quot;&gt;&lt;script&gt;\">&lt;img src=x onerror=&quot;alert('1')&quot;&gt;&amp;\\u{1b}[31m\\u{202e}</p>"
        );
    }

    #[test]
    fn a_template_splits_at_its_slot_once() {
        let markup = html! { section { "a" (slot()) "b" } };
        assert_eq!(split_at_slot(&markup), ("<section>a", "b</section>"));
    }
}
