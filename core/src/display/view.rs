//! What each mode of the browser extension draws: where a badge goes, which
//! images a feed filter veils, and the screen check that alone lets a badge
//! show green (what the page shows must be the signed pixels).

use serde::{Deserialize, Serialize};

use crate::bank::Bank;
use crate::media::{Limits, MediaFormat};
use crate::report::Report;

use super::card::{card, Card};
use super::{badge, bank_hit, visible, Badge, BadgeState, BankHit, BANK_MATCH_BITS, MAX_SHOWN};

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
    /// Least PDQ quality for which a registry service is asked by PDQ hash
    /// (below it, a picture is matched by its pixel digest only).
    pub min_match_quality: u8,
    /// Registry matches whose manifest stores are fetched, at most.
    pub registry_candidates: usize,
    /// Largest manifest store fetched from a registry service, in bytes.
    pub max_store_bytes: usize,
    /// Time allowed to each request to a registry service.
    pub registry_timeout_ms: u32,
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
    min_match_quality: crate::pdq::MIN_MATCH_QUALITY,
    registry_candidates: 5,
    max_store_bytes: 16 << 20,
    registry_timeout_ms: 10_000,
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

/// Present a report: badge, card, bank match. A trusted file that can't be
/// compared with the screen (video, audio, AVIF, HEIC, an animated GIF…), so its badge is never green: it stays
/// [`BadgeState::Pending`] and says why.
pub fn present(report: &Report, bank: Option<BankHit>) -> Presented {
    let mut badge = badge(report, bank.as_ref());
    let undecoded = report
        .format
        .as_deref()
        .and_then(|mime| MediaFormat::ALL.into_iter().find(|f| f.mime() == mime))
        .filter(|format| !format.is_compared_on_screen());
    if let (BadgeState::Trusted, Some(format)) = (badge.state, undecoded) {
        let what = if format.is_streamed() {
            "what the page plays"
        } else {
            "what the page shows"
        };
        badge = Badge::new(
            BadgeState::Pending,
            "Trusted file, not compared",
            &format!(
                "The file is signed by {} and trusted, but {what} can't be compared with it (Hallmark compares no {} with the screen), so it is never shown as trusted",
                badge.text,
                format.mime()
            ),
        );
    }
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
