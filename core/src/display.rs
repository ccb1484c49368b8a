//! What a person is shown for a report: text from files made safe to show,
//! the badge each report gets, the details card, and what each mode of the
//! browser extension draws or veils. One implementation for the CLI, the
//! WASM package and the extension, which only draws what this returns.
//!
//! Nothing here decides a verdict; it only maps the verifier's decision (and
//! a bank match, and what the screen shows) to what is displayed, and it can
//! only ever make a display less green than the verdict: a `trusted` report
//! shows as trusted only once [`on_screen`] confirms the pixels.

use serde::{Deserialize, Serialize};

use crate::bank::{best_match, Bank};
use crate::code::Code;
use crate::media::Limits;
use crate::pdq::MIN_MATCH_QUALITY;
use crate::report::{Report, SignerInfo, Verdict, VouchedBy};

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
    Unsigned,
    /// Not checked: fetch refused, too large, unreadable, or nothing to fetch.
    Error,
}

impl BadgeState {
    pub const ALL: [BadgeState; 10] = [
        BadgeState::Matched,
        BadgeState::Mismatch,
        BadgeState::Tampered,
        BadgeState::Invalid,
        BadgeState::Ai,
        BadgeState::Unknown,
        BadgeState::Pending,
        BadgeState::Trusted,
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
        Verdict::Unsigned | Verdict::Recovered => {
            Badge::new(BadgeState::Unsigned, "Unsigned", &report.summary)
        }
        Verdict::Error => Badge::new(BadgeState::Error, "Not checked", &report.summary),
    }
}

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

fn rows(pairs: Vec<(&str, Option<String>)>) -> Vec<CardRow> {
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

fn joined(items: &[String]) -> Option<String> {
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
            Uncheckable::Video => "video",
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

/// Which images the extension badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A badge on every image.
    #[default]
    All,
    /// Badges only where the image is not trusted.
    Problems,
    /// Feed filter: veil images until clicked, per [`FilterLevel`].
    Filter,
}

/// What the feed filter veils.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FilterLevel {
    /// Everything that is not trusted on screen: unknown signers, files it
    /// could not check, media it can't check at all, and trusted files while
    /// the screen is not confirmed to show them.
    #[default]
    Strict,
    /// Only what is known to be bad: unsigned, AI-generated, tampered,
    /// invalid, and hash-bank matches.
    KnownBad,
}

/// The extension's display settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ViewSettings {
    pub mode: Mode,
    pub filter: FilterLevel,
    pub show_unsigned: bool,
}

impl Default for ViewSettings {
    fn default() -> Self {
        ViewSettings {
            mode: Mode::All,
            filter: FilterLevel::Strict,
            show_unsigned: true,
        }
    }
}

/// Whether a badge is drawn, and whether the image is veiled until clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Placement {
    pub show: bool,
    pub veil: bool,
}

/// Whether the feed filter at `level` veils an image in `state`.
pub fn veils(state: BadgeState, level: FilterLevel) -> bool {
    match level {
        FilterLevel::Strict => state != BadgeState::Trusted,
        FilterLevel::KnownBad => matches!(
            state,
            BadgeState::Unsigned
                | BadgeState::Ai
                | BadgeState::Tampered
                | BadgeState::Invalid
                | BadgeState::Matched
        ),
    }
}

/// How an `<img>` in `state` is drawn under `settings`; `image` is false for
/// canvases, videos and CSS backgrounds, which get a veil (strict filter)
/// and never a badge.
pub fn placement(state: BadgeState, settings: &ViewSettings, image: bool) -> Placement {
    let veil = settings.mode == Mode::Filter && veils(state, settings.filter);
    let show = image
        && match settings.mode {
            Mode::Filter => true,
            Mode::Problems => state != BadgeState::Trusted,
            Mode::All => state != BadgeState::Unsigned || settings.show_unsigned,
        };
    Placement { show, veil }
}

/// What the screen showed where a trusted image is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ScreenOutcome {
    /// The pixels on the screen are the verified file's.
    Same,
    /// Not compared (yet): the tab is hidden, or too little is on screen.
    Pending { reason: String },
    /// The screen shows something else there.
    Differs { reason: String },
}

/// Whether a badge may only be drawn once the screen is compared.
pub fn needs_screen_check(state: BadgeState) -> bool {
    state == BadgeState::Trusted
}

/// The badge to draw once the screen was (or could not be) compared: a
/// trusted badge stays green only when the screen shows the verified pixels.
/// Other badges make no claim about the pixels and are left as they are.
pub fn on_screen(badge: &Badge, outcome: &ScreenOutcome) -> Badge {
    if !needs_screen_check(badge.state) {
        return badge.clone();
    }
    match outcome {
        ScreenOutcome::Same => badge.clone(),
        ScreenOutcome::Pending { reason } => Badge::new(
            BadgeState::Pending,
            "Checking what you see",
            &format!(
                "The file is signed by {} and trusted, but the screen is not compared yet: {reason}",
                badge.text
            ),
        ),
        ScreenOutcome::Differs { reason } => Badge::new(
            BadgeState::Mismatch,
            "Not what you see",
            &format!(
                "The file at this address is signed by {} and trusted, but what the page shows here is not it: {reason}",
                badge.text
            ),
        ),
    }
}

/// What the content script measured about a trusted image before any
/// screenshot (the cheap first pass).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScreenFacts {
    /// The tab is visible (`document.visibilityState`).
    pub tab_visible: bool,
    /// Width and height of the part of the image inside the viewport, CSS px.
    pub shown_width: f64,
    pub shown_height: f64,
    /// That part's share of the whole image's box (0–1).
    pub shown_fraction: f64,
    /// Opacity of the image and its ancestors, multiplied.
    pub opacity: f64,
    /// CSS that changes how it is drawn on it or an ancestor: the first such
    /// property found (`filter`, `mix-blend-mode`, `clip-path`, `mask`,
    /// `visibility`, `content`, `transform`), or empty.
    pub restyled: String,
    /// Another element is topmost somewhere over it (`elementsFromPoint`).
    pub covered: bool,
}

impl Default for ScreenFacts {
    fn default() -> Self {
        ScreenFacts {
            tab_visible: false,
            shown_width: 0.0,
            shown_height: 0.0,
            shown_fraction: 0.0,
            opacity: 1.0,
            restyled: String::new(),
            covered: false,
        }
    }
}

/// Smallest part of an image, on each side in CSS px, worth comparing.
pub const MIN_COMPARED_SIDE: f64 = 32.0;
/// Smallest share of an image on screen worth comparing.
pub const MIN_COMPARED_FRACTION: f64 = 0.25;

/// The cheap first pass: an outcome when the facts alone settle it, `None`
/// when a screenshot must be compared.
pub fn precheck(facts: &ScreenFacts) -> Option<ScreenOutcome> {
    let pending = |reason: &str| {
        Some(ScreenOutcome::Pending {
            reason: reason.into(),
        })
    };
    let differs = |reason: String| Some(ScreenOutcome::Differs { reason });
    if !facts.tab_visible {
        return pending("the tab is not visible");
    }
    if facts.shown_width < MIN_COMPARED_SIDE
        || facts.shown_height < MIN_COMPARED_SIDE
        || facts.shown_fraction < MIN_COMPARED_FRACTION
    {
        return pending("too little of it is on screen");
    }
    let opaque = facts.opacity.is_finite() && facts.opacity >= 0.99;
    if !opaque {
        return differs(format!(
            "the page draws it {}% transparent",
            ((1.0
                - if facts.opacity.is_finite() {
                    facts.opacity.clamp(0.0, 1.0)
                } else {
                    0.0
                })
                * 100.0)
                .round()
        ));
    }
    if !facts.restyled.is_empty() {
        return differs(format!(
            "the page changes how it is drawn (CSS {})",
            visible(&facts.restyled)
        ));
    }
    if facts.covered {
        return differs("something on the page covers it".into());
    }
    None
}

/// The limits and tunables the extension uses, from one place.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionLimits {
    /// Largest image fetched and checked, in bytes.
    pub max_bytes: usize,
    /// Results kept in memory (each cache), oldest dropped first.
    pub max_cached: usize,
    /// Screen references kept (decoded verified images).
    pub max_references: usize,
    /// Images smaller than this on a side get no badge.
    pub min_side: u32,
    /// Longest side of the thumbnails in the popup and card.
    pub thumbnail_side: u32,
    /// Longest text shown from a manifest.
    pub max_shown: usize,
    /// PDQ bits within which a bank entry matches.
    pub bank_match_bits: u32,
    /// Largest bank file the options page reads.
    pub max_bank_bytes: usize,
    /// Least time between two screenshots of a tab (Chrome allows two a second).
    pub capture_interval_ms: u32,
    /// How often a trusted image on screen is compared again, with no DOM change seen.
    pub recheck_ms: u32,
    /// Longest edge of a screenshot crop sent to the comparison.
    pub crop_side: u32,
}

pub const EXTENSION_LIMITS: ExtensionLimits = ExtensionLimits {
    max_bytes: 32 << 20,
    max_cached: 2000,
    max_references: 48,
    min_side: 64,
    thumbnail_side: 96,
    max_shown: MAX_SHOWN,
    bank_match_bits: BANK_MATCH_BITS,
    max_bank_bytes: 64 << 20,
    capture_interval_ms: 600,
    recheck_ms: 3000,
    crop_side: 256,
};

/// Everything the extension draws for one verified image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Presented {
    pub badge: Badge,
    pub card: Card,
    pub bank: Option<BankHit>,
    /// Whether the badge waits for the screen comparison ([`on_screen`]).
    pub screen: bool,
}

/// Present a report: badge, card, bank match.
pub fn present(report: &Report, bank: Option<BankHit>) -> Presented {
    let badge = badge(report, bank.as_ref());
    let card = card(report, &badge, bank.as_ref());
    Presented {
        screen: needs_screen_check(badge.state),
        badge,
        card,
        bank,
    }
}

/// Match `bytes` against `banks` ([`bank_hit`]) and present `report`.
pub fn present_bytes(report: &Report, bytes: &[u8], banks: &[Bank], limits: &Limits) -> Presented {
    present(report, bank_hit(bytes, banks, limits))
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
                "matched", "mismatch", "tampered", "invalid", "ai", "unknown", "pending",
                "unsigned", "error"
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
            signer: report(Verdict::Valid)
                .signer
                .unwrap_or_else(|| unreachable!()),
            registered_verdict: Verdict::Trusted,
            title: Some("bridge.jpg".into()),
            signed_at: Some("2026-11-01T10:00:00Z".into()),
            digital_source_type: Some("digitalCapture".into()),
            ai_generated: false,
            registered_at: "2026-11-02T00:00:00Z".into(),
            asset_blake3: String::new(),
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
                ("Signed at", "2026-11-01T10:00:00Z"),
                ("Title", "bridge.jpg"),
                ("Source", "digitalCapture"),
            ]
        );
        assert_eq!(p.badge.state, BadgeState::Unsigned);
    }
}
