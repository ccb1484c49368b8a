//! What a person is shown for a report: text from files made safe to show,
//! the badge each report gets, the details card, and what each mode of the
//! browser extension draws or veils. One implementation for the CLI, the
//! WASM package and the extension, which only draws what this returns.
//!
//! Nothing here decides a verdict; it only maps the verifier's decision (and
//! a bank match, and what the screen shows) to what is displayed, and it can
//! only ever make a display less green than the verdict: a `trusted` report
//! shows as trusted only once [`on_screen`] confirms the pixels.

mod card;
mod view;

pub use card::*;
pub use view::*;

use serde::{Deserialize, Serialize};

use crate::bank::{best_match, Bank};
use crate::media::Limits;
use crate::pdq::MIN_MATCH_QUALITY;
use crate::report::{Report, SignerInfo, Verdict};

/// Longest text from a manifest that a badge or card shows (the rest is "…").
pub const MAX_SHOWN: usize = 600;
/// PDQ distance at which an image matches a bank entry (`hallmark match`'s default).
pub const BANK_MATCH_BITS: u32 = crate::pdq::DEFAULT_MATCH_THRESHOLD;

/// Escape control characters, bidi controls and other invisibles as
/// `\u{..}`, so "gnp.exe" with a right-to-left override can't read as
/// "exe.png" and no escape sequence reaches a terminal. Markup is left
/// alone: every display sets text, never parses it.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let dangerous = c.is_control()
            || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
        if dangerous {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// [`escape`], then cut to `max` characters with "…".
pub fn clip(text: &str, max: usize) -> String {
    let escaped = escape(text);
    if escaped.chars().count() <= max {
        escaped
    } else {
        let cut: String = escaped.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// Text from a file as a badge or card shows it: escaped, at most [`MAX_SHOWN`] characters.
pub fn visible(text: &str) -> String {
    clip(text, MAX_SHOWN)
}

/// What a badge says about an image, most alarming first (the popup's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BadgeState {
    /// A hash bank labels it (e.g. "known fake").
    Matched,
    /// The file is trusted, but the screen shows something else there.
    Mismatch,
    Tampered,
    Invalid,
    /// Intact credentials that say generative AI made it.
    Ai,
    /// Intact credentials from a signer not in the trust list.
    Unknown,
    /// The file is trusted; what the screen shows is not confirmed yet.
    Pending,
    /// Trusted, and the screen shows its pixels.
    Trusted,
    /// No credentials of its own, but a registry service led to a signed
    /// original whose credentials verify here: the same pixels, or similar.
    Recovered,
    Unsigned,
    /// Not checked: fetch refused, too large, unreadable, or nothing to fetch.
    Error,
}

impl BadgeState {
    pub const ALL: [BadgeState; 11] = [
        BadgeState::Matched,
        BadgeState::Mismatch,
        BadgeState::Tampered,
        BadgeState::Invalid,
        BadgeState::Ai,
        BadgeState::Unknown,
        BadgeState::Pending,
        BadgeState::Trusted,
        BadgeState::Recovered,
        BadgeState::Unsigned,
        BadgeState::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BadgeState::Matched => "matched",
            BadgeState::Mismatch => "mismatch",
            BadgeState::Tampered => "tampered",
            BadgeState::Invalid => "invalid",
            BadgeState::Ai => "ai",
            BadgeState::Unknown => "unknown",
            BadgeState::Pending => "pending",
            BadgeState::Trusted => "trusted",
            BadgeState::Recovered => "recovered",
            BadgeState::Unsigned => "unsigned",
            BadgeState::Error => "error",
        }
    }

    /// What the popup calls images in this state.
    pub fn label(self) -> &'static str {
        match self {
            BadgeState::Matched => "Matches a hash bank",
            BadgeState::Mismatch => "Not what you see",
            BadgeState::Tampered => "Tampered",
            BadgeState::Invalid => "Invalid credentials",
            BadgeState::Ai => "AI-generated",
            BadgeState::Unknown => "Signed by an unknown signer",
            BadgeState::Pending => "Trusted file, screen not checked yet",
            BadgeState::Trusted => "Trusted",
            BadgeState::Recovered => "Credentials recovered from a registry",
            BadgeState::Unsigned => "No Content Credentials",
            BadgeState::Error => "Could not be checked",
        }
    }

    /// The mark drawn before the badge text.
    pub fn mark(self) -> &'static str {
        match self {
            BadgeState::Trusted => "✔",
            BadgeState::Unknown => "✓",
            BadgeState::Ai => "✦",
            BadgeState::Tampered | BadgeState::Invalid => "✘",
            BadgeState::Mismatch => "≠",
            BadgeState::Pending => "…",
            BadgeState::Unsigned => "○",
            BadgeState::Recovered => "↺",
            BadgeState::Matched => "⚑",
            BadgeState::Error => "?",
        }
    }
}

/// The badge over one image: its state, short text and tooltip, all safe to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Badge {
    pub state: BadgeState,
    pub mark: String,
    pub text: String,
    pub title: String,
}

impl Badge {
    fn new(state: BadgeState, text: &str, title: &str) -> Self {
        Badge {
            state,
            mark: state.mark().into(),
            text: visible(text),
            title: visible(title),
        }
    }
}

/// The nearest bank entry to an image, over its eight rotations and reflections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BankHit {
    pub label: String,
    pub note: String,
    pub distance: u32,
    pub transform: String,
}

/// Match an image against banks as `hallmark match` does: all eight
/// orientations, within [`BANK_MATCH_BITS`], images too featureless to
/// match (PDQ quality under 50) never matching. `None` when nothing is
/// near or the image can't be decoded (the report says why).
pub fn bank_hit(bytes: &[u8], banks: &[Bank], limits: &Limits) -> Option<BankHit> {
    if banks.iter().all(Bank::is_empty) {
        return None;
    }
    let image = crate::pixels::decode_rgba8(bytes, limits).ok()?;
    let hashes = image.pdq_dihedral();
    if hashes.quality < MIN_MATCH_QUALITY {
        return None;
    }
    best_match(banks, &hashes, BANK_MATCH_BITS).map(|m| BankHit {
        label: m.entry.label.clone(),
        note: m.entry.note.clone(),
        distance: m.distance,
        transform: m.transform.into(),
    })
}

fn signer_name(signer: Option<&SignerInfo>) -> Option<String> {
    signer.map(SignerInfo::display_name)
}

/// The badge a report gets, with the best bank match. A bank label wins
/// over anything but a trusted file; a trusted file's badge is
/// [`BadgeState::Trusted`] here and goes through [`on_screen`] before it is drawn.
pub fn badge(report: &Report, bank: Option<&BankHit>) -> Badge {
    if let Some(hit) = bank.filter(|_| report.verdict != Verdict::Trusted) {
        return Badge::new(
            BadgeState::Matched,
            &hit.label,
            &format!(
                "Matches “{}” in your hash bank ({} bits{})",
                hit.label,
                hit.distance,
                if hit.transform == "original" {
                    String::new()
                } else {
                    format!(", {}", hit.transform)
                }
            ),
        );
    }
    match report.verdict {
        Verdict::Trusted | Verdict::Valid if report.vouched().ai_generated => {
            Badge::new(BadgeState::Ai, "AI-generated", &report.summary)
        }
        Verdict::Trusted => Badge::new(
            BadgeState::Trusted,
            &signer_name(report.signer.as_ref()).unwrap_or_else(|| "an unnamed signer".into()),
            &report.summary,
        ),
        Verdict::Valid => Badge::new(BadgeState::Unknown, "Unknown signer", &report.summary),
        Verdict::Tampered => Badge::new(BadgeState::Tampered, "Tampered", &report.summary),
        Verdict::Invalid => Badge::new(BadgeState::Invalid, "Invalid", &report.summary),
        Verdict::Recovered if report.vouched().ai_generated => {
            Badge::new(BadgeState::Ai, "AI-generated (recovered)", &report.summary)
        }
        Verdict::Recovered => match &report.recovered {
            Some(r) => Badge::new(BadgeState::Recovered, &recovered_text(r), &report.summary),
            None => Badge::new(BadgeState::Unsigned, "Unsigned", &report.summary),
        },
        Verdict::Unsigned => Badge::new(BadgeState::Unsigned, "Unsigned", &report.summary),
        Verdict::Error => Badge::new(BadgeState::Error, "Not checked", &report.summary),
    }
}

/// A recovered badge's text: whose, and how near. A similar picture is
/// never shown as the signer's own picture.
fn recovered_text(r: &crate::report::RecoveredInfo) -> String {
    let who = r.signer.display_name();
    match r.match_kind {
        crate::report::MatchKind::SamePixels => format!("Recovered: {who}"),
        crate::report::MatchKind::SimilarPicture => {
            format!("Similar to {who}'s ({} bits)", r.distance)
        }
        crate::report::MatchKind::SimilarVideo => format!("Similar to {who}'s video"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ClaimedFacts, StatusEntry};

    fn report(verdict: Verdict) -> Report {
        let mut r = Report::new(verdict, format!("{} summary", verdict.as_str()));
        if matches!(verdict, Verdict::Trusted | Verdict::Valid) {
            r.signer = Some(SignerInfo {
                name: Some("Jane Doe".into()),
                organization: Some("Example News".into()),
                issuer: Some("Example News CA".into()),
                certificate_sha256: String::new(),
                trusted: verdict == Verdict::Trusted,
                anchor: None,
                chain: Vec::new(),
            });
        }
        r
    }

    #[test]
    fn each_verdict_has_its_badge() {
        let b = badge(&report(Verdict::Trusted), None);
        assert_eq!(
            (b.state, b.text.as_str(), b.title.as_str(), b.mark.as_str()),
            (
                BadgeState::Trusted,
                "Jane Doe (Example News)",
                "trusted summary",
                "✔"
            )
        );
        let states: Vec<BadgeState> = [
            Verdict::Valid,
            Verdict::Tampered,
            Verdict::Invalid,
            Verdict::Unsigned,
            Verdict::Recovered,
            Verdict::Error,
        ]
        .into_iter()
        .map(|v| badge(&report(v), None).state)
        .collect();
        use BadgeState::*;
        assert_eq!(
            states,
            [Unknown, Tampered, Invalid, Unsigned, Unsigned, Error]
        );
        // (A recovered report without its registry facts says nothing more than unsigned.)
        assert_eq!(badge(&report(Verdict::Recovered), None).state, Unsigned);
        let mut ai = report(Verdict::Trusted);
        ai.ai_generated = true;
        assert_eq!(badge(&ai, None).state, Ai);
        assert_eq!(badge(&report(Verdict::Valid), None).text, "Unknown signer");
    }

    #[test]
    fn a_bank_match_labels_anything_but_a_trusted_file() {
        let hit = BankHit {
            label: "known-fake".into(),
            note: String::new(),
            distance: 4,
            transform: "rotate90".into(),
        };
        let b = badge(&report(Verdict::Unsigned), Some(&hit));
        assert_eq!(
            (b.state, b.text.as_str()),
            (BadgeState::Matched, "known-fake")
        );
        assert_eq!(
            b.title,
            "Matches “known-fake” in your hash bank (4 bits, rotate90)"
        );
        assert_eq!(
            badge(&report(Verdict::Valid), Some(&hit)).state,
            BadgeState::Matched
        );
        assert_eq!(
            badge(&report(Verdict::Trusted), Some(&hit)).state,
            BadgeState::Trusted
        );
    }

    #[test]
    fn strict_filtering_veils_everything_not_trusted_on_screen() {
        let strict = ViewSettings {
            mode: Mode::Filter,
            ..ViewSettings::default()
        };
        let known_bad = ViewSettings {
            filter: FilterLevel::KnownBad,
            ..strict
        };
        let veiled = |s: &ViewSettings| -> Vec<&str> {
            BadgeState::ALL
                .into_iter()
                .filter(|&st| placement(st, s, true).veil)
                .map(BadgeState::as_str)
                .collect()
        };
        assert_eq!(
            veiled(&strict),
            [
                "matched",
                "mismatch",
                "tampered",
                "invalid",
                "ai",
                "unknown",
                "pending",
                "recovered",
                "unsigned",
                "error"
            ]
        );
        assert_eq!(
            veiled(&known_bad),
            ["matched", "tampered", "invalid", "ai", "unsigned"]
        );
        assert_eq!(veiled(&ViewSettings::default()), Vec::<&str>::new());
        // The default filter level is strict.
        let parsed: ViewSettings = serde_json::from_str(r#"{"mode":"filter"}"#).unwrap_or_default();
        assert_eq!(parsed, strict);
        // Canvases, videos and backgrounds: veiled in strict mode, never badged.
        assert_eq!(
            placement(BadgeState::Error, &strict, false),
            Placement {
                show: false,
                veil: true
            }
        );
        assert_eq!(
            placement(BadgeState::Error, &known_bad, false),
            Placement {
                show: false,
                veil: false
            }
        );
        let problems = ViewSettings {
            mode: Mode::Problems,
            ..ViewSettings::default()
        };
        assert!(!placement(BadgeState::Trusted, &problems, true).show);
        assert!(placement(BadgeState::Pending, &problems, true).show);
        let quiet = ViewSettings {
            show_unsigned: false,
            ..ViewSettings::default()
        };
        assert!(!placement(BadgeState::Unsigned, &quiet, true).show);
        assert!(placement(BadgeState::Unsigned, &strict, true).show);
    }

    #[test]
    fn a_trusted_video_is_never_green_its_screen_cannot_be_compared() {
        let mut video = report(Verdict::Trusted);
        video.format = Some("video/mp4".into());
        let p = present(&video, None);
        assert_eq!(
            (p.badge.state, p.badge.text.as_str(), p.screen),
            (BadgeState::Pending, "Trusted file, not compared", false)
        );
        assert_eq!(
            p.badge.title,
            "The file is signed by Jane Doe (Example News) and trusted, but what the page plays can't be compared with it (Hallmark compares no video/mp4 with the screen), so it is never shown as trusted"
        );
        assert_eq!(
            p.card.verdict, "trusted",
            "the card still tells the verdict"
        );
        let mut avif = report(Verdict::Trusted);
        avif.format = Some("image/avif".into());
        assert!(present(&avif, None)
            .badge
            .title
            .contains("what the page shows can't"));
        let mut jpeg = report(Verdict::Trusted);
        jpeg.format = Some("image/jpeg".into());
        let p = present(&jpeg, None);
        assert_eq!((p.badge.state, p.screen), (BadgeState::Trusted, true));
        // Other verdicts of a video are badged as any file's.
        let mut tampered = report(Verdict::Tampered);
        tampered.format = Some("video/mp4".into());
        assert_eq!(present(&tampered, None).badge.state, BadgeState::Tampered);
    }

    #[test]
    fn a_trusted_badge_is_green_only_once_the_screen_agrees() {
        let trusted = badge(&report(Verdict::Trusted), None);
        assert_eq!(on_screen(&trusted, &ScreenOutcome::Same), trusted);
        let differs = on_screen(
            &trusted,
            &ScreenOutcome::Differs {
                reason: "something on the page covers it".into(),
            },
        );
        assert_eq!(
            (differs.state, differs.text.as_str()),
            (BadgeState::Mismatch, "Not what you see")
        );
        assert!(
            differs
                .title
                .ends_with("not it: something on the page covers it"),
            "{}",
            differs.title
        );
        let pending = on_screen(
            &trusted,
            &ScreenOutcome::Pending {
                reason: "the tab is not visible".into(),
            },
        );
        assert_eq!(pending.state, BadgeState::Pending);
        // Other badges make no claim about the pixels.
        let tampered = badge(&report(Verdict::Tampered), None);
        assert_eq!(
            on_screen(&tampered, &ScreenOutcome::Differs { reason: "x".into() }),
            tampered
        );
    }

    #[test]
    fn the_cheap_pass_settles_what_it_can() {
        let seen = ScreenFacts {
            tab_visible: true,
            shown_width: 300.0,
            shown_height: 200.0,
            shown_fraction: 1.0,
            ..ScreenFacts::default()
        };
        assert_eq!(precheck(&seen), None);
        let kind = |f: ScreenFacts| match precheck(&f) {
            Some(ScreenOutcome::Same) => "same".to_string(),
            Some(ScreenOutcome::Pending { reason }) => format!("pending: {reason}"),
            Some(ScreenOutcome::Differs { reason }) => format!("differs: {reason}"),
            None => "capture".into(),
        };
        assert_eq!(
            kind(ScreenFacts {
                tab_visible: false,
                ..seen.clone()
            }),
            "pending: the tab is not visible"
        );
        assert_eq!(
            kind(ScreenFacts {
                shown_fraction: 0.1,
                ..seen.clone()
            }),
            "pending: too little of it is on screen"
        );
        assert_eq!(
            kind(ScreenFacts {
                opacity: 0.0,
                ..seen.clone()
            }),
            "differs: the page draws it 100% transparent"
        );
        assert_eq!(
            kind(ScreenFacts {
                opacity: f64::NAN,
                ..seen.clone()
            }),
            "differs: the page draws it 100% transparent"
        );
        assert_eq!(
            kind(ScreenFacts {
                restyled: "content".into(),
                ..seen.clone()
            }),
            "differs: the page changes how it is drawn (CSS content)"
        );
        assert_eq!(
            kind(ScreenFacts {
                covered: true,
                ..seen
            }),
            "differs: something on the page covers it"
        );
    }

    #[test]
    fn claims_are_set_apart_and_text_is_made_visible() {
        let mut r = report(Verdict::Tampered);
        r.claimed = Some(ClaimedFacts {
            title: Some("a\u{202e}gnp.exe".into()),
            actions: vec!["c2pa.created".into()],
            ..ClaimedFacts::default()
        });
        r.status.push(StatusEntry {
            code: "assertion.dataHash.mismatch".into(),
            kind: "failure".into(),
            explanation: None,
            scope: None,
            url: None,
        });
        let p = present(&r, None);
        assert_eq!(p.card.sections.len(), 2, "{:?}", p.card);
        assert_eq!(p.card.sections[0].heading.as_deref(), Some(CLAIMS_HEADING));
        assert_eq!(
            p.card.sections[0].rows,
            vec![
                CardRow {
                    label: "Title".into(),
                    value: "a\\u{202e}gnp.exe".into()
                },
                CardRow {
                    label: "Actions".into(),
                    value: "c2pa.created".into()
                },
            ]
        );
        assert_eq!(
            p.card.sections[1].rows[0].value,
            "assertion.dataHash.mismatch"
        );
        assert!(!p.screen);
        assert!(present(&report(Verdict::Trusted), None).screen);
        assert_eq!(
            visible("red\u{1b}[31m\0\r\n"),
            "red\\u{1b}[31m\\u{0}\\u{d}\\u{a}"
        );
        let long = visible(&"x".repeat(MAX_SHOWN + 50));
        assert_eq!(long.chars().count(), MAX_SHOWN + 1);
        let (b, c) = uncheckable(Uncheckable::Canvas);
        assert_eq!(
            (b.state, b.text.as_str()),
            (BadgeState::Error, "Not checked (canvas)")
        );
        assert!(c.summary.contains("canvas"));
    }

    #[test]
    fn a_recovered_card_shows_the_registry_facts_under_the_registered_signer() {
        let mut r = report(Verdict::Recovered);
        r.recovered = Some(crate::report::RecoveredInfo {
            distance: 3,
            pixel_digest_match: false,
            match_kind: crate::report::MatchKind::SimilarPicture,
            signer: report(Verdict::Valid)
                .signer
                .unwrap_or_else(|| unreachable!()),
            registered_verdict: Verdict::Trusted,
            verdict_now: Verdict::Trusted,
            title: Some("bridge.jpg".into()),
            signed_at: Some("2026-11-01T10:00:00Z".into()),
            digital_source_type: Some("digitalCapture".into()),
            ai_generated: false,
            registered_at: "2026-11-02T00:00:00Z".into(),
            asset_blake3: String::new(),
            video: None,
        });
        let p = present(&r, None);
        let shown: Vec<(&str, &str)> = p.card.sections[0]
            .rows
            .iter()
            .map(|row| (row.label.as_str(), row.value.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Registered signer", "Jane Doe (Example News)"),
                ("Match", "Similar picture, 3 bits (trusted now)"),
                ("Signed at", "2026-11-01T10:00:00Z"),
                ("Title", "bridge.jpg"),
                ("Source", "digitalCapture"),
            ]
        );
        assert_eq!(p.badge.state, BadgeState::Recovered);
        assert_eq!(
            p.badge.text,
            "Similar to Jane Doe (Example News)'s (3 bits)"
        );
        assert_eq!(p.badge.mark, "↺");
        let mut same = r.clone();
        if let Some(info) = same.recovered.as_mut() {
            info.match_kind = crate::report::MatchKind::SamePixels;
        }
        assert_eq!(
            present(&same, None).badge.text,
            "Recovered: Jane Doe (Example News)"
        );
        // A recovered badge is not a trusted one: the strict filter veils it.
        assert!(view::veils(BadgeState::Recovered, FilterLevel::Strict));
        assert!(!view::veils(BadgeState::Recovered, FilterLevel::KnownBad));
    }
}
