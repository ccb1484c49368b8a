//! Turning reports into what a person reads. Every string that came from a
//! file is escaped: no control characters or bidi overrides reach the terminal.

use hallmark_core::{Report, Verdict};

pub use hallmark_core::display::{clip, escape};

pub fn mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Trusted => "✔",
        Verdict::Valid => "✓",
        Verdict::Unsigned => "○",
        Verdict::Recovered => "↺",
        Verdict::Tampered | Verdict::Invalid => "✘",
        _ => "!",
    }
}

/// One line per file: mark, verdict, path, and why.
pub fn report_line(path: &str, report: &Report) -> String {
    format!(
        "{} {:<9} {}  {}",
        mark(report.verdict),
        report.verdict.as_str(),
        escape(path),
        clip(&report.summary, 300)
    )
}

/// The human rendering of `hallmark inspect`.
pub fn inspection(path: &str, inspection: &hallmark_core::Inspection) -> String {
    let r = &inspection.report;
    let mut out = String::new();
    out.push_str(&report_line(path, r));
    out.push('\n');
    let field = |out: &mut String, name: &str, value: Option<&str>| {
        if let Some(v) = value {
            out.push_str(&format!("  {name:<20} {}\n", clip(v, 200)));
        }
    };
    field(&mut out, "format", r.format.as_deref());
    field(
        &mut out,
        "active manifest",
        inspection.active_manifest.as_deref(),
    );
    field(&mut out, "title", r.title.as_deref());
    field(&mut out, "claim generator", r.claim_generator.as_deref());
    field(&mut out, "signed at", r.signed_at.as_deref());
    field(
        &mut out,
        "digital source type",
        r.digital_source_type.as_deref(),
    );
    if r.ai_generated {
        out.push_str("  ai generated         yes\n");
    }
    if let Some(signer) = r.signer.as_ref().or(r.claimed_signer.as_ref()) {
        let label = if r.signer.is_some() {
            "signer"
        } else {
            "claimed signer"
        };
        field(&mut out, label, Some(&signer.display_name()));
        field(&mut out, "issuer", signer.issuer.as_deref());
        if let Some(anchor) = &signer.anchor {
            field(&mut out, "vouched for by", Some(&anchor.vouched_text()));
            field(&mut out, "anchor sha256", Some(&anchor.certificate_sha256));
        }
        if !signer.chain.is_empty() {
            let what = if signer.anchor.is_some() {
                "chain"
            } else {
                "chain presented"
            };
            field(&mut out, what, Some(&signer.chain_text()));
        }
    }
    for identity in &r.identities {
        field(
            &mut out,
            "identity",
            Some(&format!(
                "{} ({}, issuer {}; {})",
                identity.name.as_deref().unwrap_or("unnamed"),
                identity.sig_type.as_deref().unwrap_or("unknown type"),
                identity.issuer.as_deref().unwrap_or("unknown"),
                identity.state()
            )),
        );
    }
    if !r.actions.is_empty() {
        field(&mut out, "actions", Some(&r.actions.join(", ")));
    }
    if let Some(frames) = &r.video_frames {
        field(
            &mut out,
            "signed frames",
            Some(&format!(
                "{} of {} still match (within {} bits)",
                frames.matching, frames.signed, frames.threshold
            )),
        );
        let ranges = hallmark_core::vpdq::clock_ranges;
        if !frames.changed.is_empty() {
            field(&mut out, "changed seconds", Some(&ranges(&frames.changed)));
        }
        if !frames.missing.is_empty() {
            field(&mut out, "missing seconds", Some(&ranges(&frames.missing)));
        }
    }
    if let Some(claimed) = &r.claimed {
        out.push_str(
            "  the manifest claims (not vouched for: the file does not match it):
",
        );
        field(&mut out, "  title", claimed.title.as_deref());
        field(
            &mut out,
            "  claim generator",
            claimed.claim_generator.as_deref(),
        );
        field(
            &mut out,
            "  source type",
            claimed.digital_source_type.as_deref(),
        );
        if !claimed.actions.is_empty() {
            field(&mut out, "  actions", Some(&claimed.actions.join(", ")));
        }
        for ingredient in &claimed.ingredients {
            field(
                &mut out,
                "  ingredient",
                Some(&format!(
                    "{} ({}, {})",
                    ingredient.title.as_deref().unwrap_or("untitled"),
                    ingredient.relationship.as_deref().unwrap_or("?"),
                    ingredient.verdict
                )),
            );
        }
    }
    for ingredient in &r.ingredients {
        out.push_str(&format!(
            "  ingredient           {} ({}, {})\n",
            clip(ingredient.title.as_deref().unwrap_or("untitled"), 100),
            ingredient.relationship.as_deref().unwrap_or("?"),
            ingredient.verdict
        ));
    }
    if let Some(store) = &inspection.manifest_store {
        if let Some(manifests) = store.get("manifests").and_then(|m| m.as_object()) {
            for (label, manifest) in manifests {
                out.push_str(&format!("  manifest             {}\n", clip(label, 120)));
                if let Some(assertions) = manifest.get("assertions").and_then(|a| a.as_array()) {
                    for a in assertions {
                        if let Some(l) = a.get("label").and_then(|l| l.as_str()) {
                            out.push_str(&format!("    assertion          {}\n", clip(l, 120)));
                        }
                    }
                }
            }
        }
    }
    for (i, cert) in inspection.certificates.iter().enumerate() {
        out.push_str(&format!(
            "  certificate {i}        {}\n    issued by          {}\n    valid              {} to {}\n    sha256             {}\n",
            clip(&cert.subject, 200),
            clip(&cert.issuer, 200),
            cert.not_before,
            cert.not_after,
            cert.sha256
        ));
    }
    for s in &r.status {
        out.push_str(&format!(
            "  status               {} {}{}\n",
            s.kind,
            clip(&s.code, 100),
            s.explanation
                .as_deref()
                .map(|e| format!(": {}", clip(e, 200)))
                .unwrap_or_default()
        ));
    }
    out
}

/// "3 not an image", … for each reason files were skipped (none when nothing was).
pub fn skipped_counts(summary: &hallmark_core::scan::ScanSummary) -> Vec<String> {
    [
        (hallmark_core::scan::Skip::NotImage, "not an image"),
        (hallmark_core::scan::Skip::NotRegular, "not a regular file"),
        (
            hallmark_core::scan::Skip::SymlinkedDirectory,
            "link to a folder, not followed",
        ),
    ]
    .iter()
    .filter_map(|&(why, label)| {
        let n = summary.skipped(why);
        (n > 0).then(|| format!("{n} {label}"))
    })
    .collect()
}

/// Bad bank lines listed one by one per bank (feed and match); the rest are counted.
pub const BANK_PROBLEMS_LISTED: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_and_bidi_controls() {
        assert_eq!(escape("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(escape("nul\0"), "nul\\u{0}");
        assert_eq!(escape("Jane Doe"), "Jane Doe");
        // The Arabic letter mark, line and paragraph separators, the word
        // joiner and the invisible operators.
        assert_eq!(
            escape("a\u{061C}b\u{2028}c\u{2029}d\u{2060}e\u{2064}f"),
            "a\\u{61c}b\\u{2028}c\\u{2029}d\\u{2060}e\\u{2064}f"
        );
    }
}
