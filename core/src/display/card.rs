//! The details card of a report: its rows and sections, what the
//! credentials vouch for apart from what a file only claims, and the cards of
//! files that were not checked.

use serde::{Deserialize, Serialize};

use crate::code::Code;
use crate::report::{Report, SignerInfo, VouchedBy};

use super::{signer_name, visible, Badge, BadgeState, BankHit};

/// One line of the details card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CardRow {
    pub label: String,
    pub value: String,
}

/// A group of card lines, under a heading when they are claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CardSection {
    pub heading: Option<String>,
    pub rows: Vec<CardRow>,
}

/// The details card of an image: every string already safe to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Card {
    pub verdict: String,
    pub heading: String,
    pub summary: String,
    pub sections: Vec<CardSection>,
}

/// The heading over what a tampered or invalid manifest claims.
pub const CLAIMS_HEADING: &str = "Claimed, not verified (the file does not match its credentials)";

pub(super) fn rows(pairs: Vec<(&str, Option<String>)>) -> Vec<CardRow> {
    pairs
        .into_iter()
        .filter_map(|(label, value)| {
            value.filter(|v| !v.is_empty()).map(|v| CardRow {
                label: label.into(),
                value: visible(&v),
            })
        })
        .collect()
}

pub(super) fn joined(items: &[String]) -> Option<String> {
    (!items.is_empty()).then(|| items.join(", "))
}

/// The details card for a report and its bank match.
pub fn card(report: &Report, badge: &Badge, bank: Option<&BankHit>) -> Card {
    let signer = report.signer.as_ref();
    let vouched = report.vouched();
    let registered = vouched.signer.filter(|_| vouched.by == VouchedBy::Registry);
    let identities: Vec<String> = report
        .identities
        .iter()
        .map(|i| {
            let trust = if i.trusted {
                "trusted".to_string()
            } else if i.status.is_empty() {
                "not trusted".to_string()
            } else {
                format!("not trusted: {}", i.status.join(", "))
            };
            format!(
                "{} ({}; {trust})",
                i.name.as_deref().unwrap_or("unnamed"),
                i.sig_type.as_deref().unwrap_or("unknown type")
            )
        })
        .collect();
    let mut sections = vec![CardSection {
        heading: None,
        rows: rows(vec![
            ("Signer", signer_name(signer)),
            ("Claims signer", signer_name(report.claimed_signer.as_ref())),
            ("Registered signer", signer_name(registered)),
            (
                "Match",
                report
                    .recovered
                    .as_ref()
                    .filter(|_| registered.is_some())
                    .map(match_text),
            ),
            (
                "Issuer",
                signer
                    .or(report.claimed_signer.as_ref())
                    .and_then(|s| s.issuer.clone()),
            ),
            (
                "Vouched for by",
                signer
                    .and_then(|s| s.anchor.as_ref())
                    .map(|a| a.vouched_text()),
            ),
            (
                "Chain",
                signer
                    .filter(|s| !s.chain.is_empty())
                    .map(SignerInfo::chain_text),
            ),
            ("Identities", joined(&identities)),
            ("Signed at", vouched.signed_at.map(String::from)),
        ]),
    }];
    let ingredient = |i: &crate::report::IngredientReport, claimed: bool| {
        format!(
            "{} ({}{})",
            i.title.as_deref().unwrap_or("untitled"),
            i.verdict.as_str(),
            if claimed { ", claimed" } else { "" }
        )
    };
    match &report.claimed {
        // Tampered and invalid files: what follows is only what the manifest claims.
        Some(claimed) => {
            let ingredients: Vec<String> = claimed
                .ingredients
                .iter()
                .map(|i| ingredient(i, true))
                .collect();
            sections.push(CardSection {
                heading: Some(CLAIMS_HEADING.into()),
                rows: rows(vec![
                    ("Tool", claimed.claim_generator.clone()),
                    ("Title", claimed.title.clone()),
                    ("Source", claimed.digital_source_type.clone()),
                    ("Actions", joined(&claimed.actions)),
                    ("Ingredients", joined(&ingredients)),
                ]),
            });
        }
        None => {
            let ingredients: Vec<String> = report
                .ingredients
                .iter()
                .map(|i| ingredient(i, false))
                .collect();
            sections[0].rows.extend(rows(vec![
                ("Tool", report.claim_generator.clone()),
                ("Title", vouched.title.map(String::from)),
                ("Source", vouched.digital_source_type.map(String::from)),
                ("Actions", joined(vouched.actions)),
                ("Ingredients", joined(&ingredients)),
            ]));
        }
    }
    let codes: Vec<String> = report
        .status
        .iter()
        .filter(|s| s.kind == "failure")
        .map(|s| s.code.clone())
        .collect();
    sections.push(CardSection {
        heading: None,
        rows: rows(vec![
            ("Why", joined(&codes)),
            (
                "Hash bank",
                bank.map(|b| {
                    if b.note.is_empty() {
                        format!("{}, {} bits", b.label, b.distance)
                    } else {
                        format!("{} ({}), {} bits", b.label, b.note, b.distance)
                    }
                }),
            ),
            (
                "Error",
                report
                    .error
                    .as_ref()
                    .map(|e| format!("{}: {}", e.code, e.message)),
            ),
        ]),
    });
    sections.retain(|s| !s.rows.is_empty());
    Card {
        verdict: report.verdict.as_str().into(),
        heading: badge.text.clone(),
        summary: visible(&report.summary),
        sections,
    }
}

/// A badge and card for an image that was never verified: the fetch was
/// refused or failed (`code`, `message`), or there is nothing to fetch.
pub fn not_checked(code: Code, message: &str) -> (Badge, Card) {
    let badge = Badge::new(
        BadgeState::Error,
        "Not checked",
        &format!("{code}: {message}"),
    );
    let card = Card {
        verdict: "error".into(),
        heading: badge.text.clone(),
        summary: visible(&format!("Could not be checked: {message}")),
        sections: vec![CardSection {
            heading: None,
            rows: rows(vec![("Error", Some(format!("{code}: {message}")))]),
        }],
    };
    (badge, card)
}

/// What an element the extension can't fetch bytes for is (it is never checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Uncheckable {
    /// An `<img>` whose bytes live only in the page (`blob:` URLs, MSE).
    Blob,
    /// An `<img>` with a URL scheme the extension does not fetch.
    Scheme,
    Canvas,
    /// An element painted with a CSS `background-image`.
    Background,
    Video,
}

impl Uncheckable {
    /// Whether it is an `<img>` (badged in every mode), not another element (veiled only).
    pub fn is_image(self) -> bool {
        matches!(self, Uncheckable::Blob | Uncheckable::Scheme)
    }

    fn what(self) -> &'static str {
        match self {
            Uncheckable::Blob => "blob: image",
            Uncheckable::Scheme => "image URL",
            Uncheckable::Canvas => "canvas",
            Uncheckable::Background => "CSS background",
            Uncheckable::Video => "streamed video",
        }
    }
}

/// The badge and card for something the extension can't check at all.
pub fn uncheckable(kind: Uncheckable) -> (Badge, Card) {
    let code = match kind {
        Uncheckable::Blob => Code::UncheckedBlob,
        Uncheckable::Scheme => Code::UncheckedScheme,
        Uncheckable::Canvas => Code::UncheckedCanvas,
        Uncheckable::Background => Code::UncheckedBackground,
        Uncheckable::Video => Code::UncheckedVideo,
    };
    let (mut badge, card) = not_checked(
        code,
        &format!(
            "a {} holds only what the page drew; there are no bytes to verify",
            kind.what()
        ),
    );
    badge.text = visible(&format!("Not checked ({})", kind.what()));
    (badge, card)
}

/// How a recovered file matched its registered original, in words: never
/// "the same picture" for what only hashes near it.
fn match_text(r: &crate::report::RecoveredInfo) -> String {
    use crate::report::MatchKind;
    let now = match r.verdict_now {
        crate::report::Verdict::Trusted => "trusted now",
        _ => "valid now, signer not trusted",
    };
    match r.match_kind {
        MatchKind::SamePixels => format!("Same pixels ({now})"),
        MatchKind::SimilarPicture => format!("Similar picture, {} bits ({now})", r.distance),
        MatchKind::SimilarVideo => match &r.video {
            Some(v) => format!(
                "Similar video, {:.0} % of frames ({now})",
                v.query_match_percent
            ),
            None => format!("Similar video ({now})"),
        },
    }
}
