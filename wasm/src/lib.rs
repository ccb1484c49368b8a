//! Hallmark in WebAssembly: the same verifier and perceptual hash as the
//! `hallmark` CLI, for web pages, the browser extension and Node. Every
//! decision is `hallmark-core`'s; this crate translates JavaScript values in
//! and out. No network, no threads, no filesystem.
//!
//! Results are plain JavaScript objects with the fields of `hallmark verify
//! --json` and `hallmark hash --json` (absent values are `null`). Failures
//! are thrown as `{code, message}` objects, never as strings.

use hallmark_core::Code;
use std::cell::RefCell;
use std::rc::Rc;

use hallmark_core::bank::Bank;
use hallmark_core::display;
use hallmark_core::pdq::PdqHash;
use hallmark_core::screen::{ScreenReference, SourceRect};
use hallmark_core::{Limits, MediaFormat, Report, TrustStore, Verifier};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[cfg(test)]
mod declarations;

/// The core types' declarations, generated from the Rust types (see `declarations.rs`).
#[wasm_bindgen(typescript_custom_section)]
const CORE_TYPES: &'static str = include_str!("../types/core.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export interface VerifyOptions {
  /** The media type the caller expects; the content is sniffed and must agree. */
  mime?: string;
  /** PEM bundle of trust anchors (e.g. the C2PA trust list). Nothing is trusted by default. */
  trustAnchorsPem?: string;
  /** PEM bundle of end-entity certificates trusted as they are. */
  allowedListPem?: string;
  /** PEM bundle of time-stamp authority roots (e.g. the C2PA TSA trust list): a time-stamp dates a signature only when its TSA chains to one. */
  tsaAnchorsPem?: string;
}

/** `hallmark hash --json`, without `path`. */
export interface HashResult {
  /** PDQ hash, 64 hex digits (the reference's order). */
  pdq: string;
  /** PDQ quality, 0-100; below 50 a hash is not used for matching. */
  quality: number;
  /** Hallmark pixel digest v1 (BLAKE3 of the RGBA pixels), 64 hex digits. */
  pixel_digest: string;
  width: number;
  height: number;
}

export interface BankMatch {
  label: string;
  note: string;
  distance: number;
  pdq: string;
}

export interface MatchResult {
  /** Entries within the threshold, nearest first. */
  matches: BankMatch[];
  /** Lines of the bank that could not be read; the others were used. */
  bad_lines: { line: number; message: string }[];
}

/** `bankSummary(tsv)`: a bank read without matching. */
export interface BankSummary {
  entries: number;
  bad_lines: { line: number; message: string }[];
}

export interface BadgeStateInfo { state: BadgeState; label: string; mark: string; }

/** `present(bytes, options, banks)`; `notChecked` and `uncheckable` leave out `report` and `digest`. */
export interface Presented {
  report?: Report;
  badge: Badge;
  card: Card;
  bank: BankHit | null;
  /** The badge waits for the screen comparison (`screenBadge`). */
  screen: boolean;
  digest?: string;
}

export type Uncheckable = "blob" | "scheme" | "canvas" | "background" | "video";

export interface ViewSettings {
  mode?: "all" | "problems" | "filter";
  /** What the feed filter veils: everything not trusted on screen (default), or only the known-bad. */
  filter?: "strict" | "known-bad";
  showUnsigned?: boolean;
}

/** What the content script measured about a trusted image (the cheap first pass). */
export interface ScreenFacts {
  tabVisible?: boolean;
  shownWidth?: number;
  shownHeight?: number;
  shownFraction?: number;
  opacity?: number;
  restyled?: string;
  covered?: boolean;
}

export interface ExtensionLimits {
  maxBytes: number;
  maxCached: number;
  maxReferences: number;
  minSide: number;
  thumbnailSide: number;
  maxShown: number;
  bankMatchBits: number;
  maxBankBytes: number;
  captureIntervalMs: number;
  recheckMs: number;
  cropSide: number;
  minMatchQuality: number;
  registryCandidates: number;
  maxStoreBytes: number;
  registryTimeoutMs: number;
}

/** What every function throws on failure. */
export interface HallmarkError {
  code: string;
  message: string;
}
"#;

/// A failure thrown to JavaScript as `{code, message}`.
#[derive(Debug, Serialize)]
struct Thrown {
    code: String,
    message: String,
}

fn thrown(code: Code, message: impl Into<String>) -> JsValue {
    to_js(&Thrown {
        code: code.into(),
        message: message.into(),
    })
    .unwrap_or_else(|e| e)
}

/// Serialize as JSON would: `None` as `null`, maps as plain objects.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&format!("internal: can't convert a result: {e}")))
}

/// `verify` options, from a JavaScript object (every key optional).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerifyOptions {
    /// The media type the caller believes the bytes are; the content decides, and must agree.
    mime: Option<String>,
    /// PEM bundle of trust anchors (such as the C2PA trust list).
    trust_anchors_pem: Option<String>,
    /// PEM bundle of end-entity certificates trusted as they are.
    allowed_list_pem: Option<String>,
    /// PEM bundle of time-stamp authority roots (such as the C2PA TSA trust list).
    tsa_anchors_pem: Option<String>,
}

/// The keys `verify` options may have.
const OPTION_KEYS: &[&str] = &["mime", "trustAnchorsPem", "allowedListPem", "tsaAnchorsPem"];

thread_local! {
    /// The last verifier built, by its trust configuration: building one
    /// parses every certificate, so repeated calls with the same options reuse it.
    static VERIFIER: RefCell<Option<(TrustKey, Verifier)>> = const { RefCell::new(None) };
}

/// Seconds since the Unix epoch, from the JavaScript host's clock.
fn now_unix() -> u64 {
    let ms = js_sys::Date::now();
    if ms.is_finite() && ms > 0.0 {
        (ms / 1000.0) as u64
    } else {
        0
    }
}

/// The trust options a verifier was built from: signer anchors, allowed list, TSA anchors.
type TrustKey = (String, String, String);

fn verifier_for(anchors: &str, allowed: &str, tsa: &str) -> Result<Verifier, JsValue> {
    let key: TrustKey = (anchors.to_string(), allowed.to_string(), tsa.to_string());
    let cached = VERIFIER.with_borrow(|slot| match slot {
        Some((k, v)) if *k == key => Some(v.clone()),
        _ => None,
    });
    if let Some(verifier) = cached {
        return Ok(verifier);
    }
    let mut trust = TrustStore::empty();
    if !tsa.trim().is_empty() {
        trust
            .add_tsa_anchors_pem_from(tsa.as_bytes(), "tsaAnchorsPem")
            .map_err(|e| thrown(e.code(), format!("tsaAnchorsPem: {e}")))?;
    }
    if !anchors.trim().is_empty() {
        trust
            .add_anchors_pem_from(anchors.as_bytes(), "trustAnchorsPem")
            .map_err(|e| thrown(e.code(), format!("trustAnchorsPem: {e}")))?;
    }
    if !allowed.trim().is_empty() {
        trust
            .add_allowed_pem_from(allowed.as_bytes(), "allowedListPem")
            .map_err(|e| thrown(e.code(), format!("allowedListPem: {e}")))?;
    }
    // wasm32 has no system clock: certificates are checked at the host's time.
    let verifier = Verifier::new(trust).with_clock(now_unix);
    VERIFIER.with_borrow_mut(|slot| {
        *slot = Some((key, verifier.clone()));
    });
    Ok(verifier)
}

/// Read `verify` options: unknown keys are refused, so a misspelt
/// `trustAnchorsPem` can't quietly trust nothing.
fn parse_options(options: JsValue) -> Result<VerifyOptions, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(VerifyOptions::default());
    }
    if let Some(object) = options.dyn_ref::<js_sys::Object>() {
        for key in js_sys::Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !OPTION_KEYS.contains(&key.as_str()) {
                return Err(thrown(
                    Code::OptionsMalformed,
                    format!(
                        "verify options: unknown key `{key}` (expected {})",
                        OPTION_KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    serde_wasm_bindgen::from_value(options)
        .map_err(|e| thrown(Code::OptionsMalformed, format!("verify options: {e}")))
}

fn verify_report(bytes: &[u8], options: &VerifyOptions) -> Result<Report, JsValue> {
    let verifier = verifier_for(
        options.trust_anchors_pem.as_deref().unwrap_or(""),
        options.allowed_list_pem.as_deref().unwrap_or(""),
        options.tsa_anchors_pem.as_deref().unwrap_or(""),
    )?;
    if let Some(mime) = options.mime.as_deref() {
        let sniffed = MediaFormat::sniff(bytes);
        if let Some(format) = sniffed.filter(|f| !f.answers_to(mime)) {
            return Ok(Report::error(
                Code::FormatMismatch,
                format!(
                    "the content is {}, not the {} it was declared as",
                    format.mime(),
                    mime
                ),
            ));
        }
    }
    Ok(hallmark_core::Checker::new(&verifier).check_bytes(bytes))
}

/// Verify the bytes of one image. Returns the report of `hallmark verify
/// --json` (without `path`). Unreadable or malformed media is a report with
/// verdict `error`, as in the CLI; bad options are thrown as `{code, message}`.
#[wasm_bindgen(unchecked_return_type = "Report")]
pub fn verify(
    bytes: &[u8],
    #[wasm_bindgen(unchecked_param_type = "VerifyOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options = parse_options(options)?;
    to_js(&verify_report(bytes, &options)?)
}

/// Banks parsed from TSV, by the BLAKE3 of their text.
type ParsedBanks = ([u8; 32], Rc<Vec<Bank>>);

thread_local! {
    /// The banks last parsed, by the BLAKE3 of their text: the extension
    /// passes the same banks with every image.
    static BANKS: RefCell<Option<ParsedBanks>> = const { RefCell::new(None) };
}

fn banks_for(tsvs: &[String]) -> Rc<Vec<Bank>> {
    let mut hasher = blake3::Hasher::new();
    for tsv in tsvs {
        hasher.update(&(tsv.len() as u64).to_le_bytes());
        hasher.update(tsv.as_bytes());
    }
    let key = *hasher.finalize().as_bytes();
    if let Some(banks) = BANKS.with_borrow(|slot| {
        slot.as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, b)| Rc::clone(b))
    }) {
        return banks;
    }
    let banks = Rc::new(
        tsvs.iter()
            .map(|t| Bank::parse_tsv(t).0)
            .collect::<Vec<_>>(),
    );
    BANKS.with_borrow_mut(|slot| *slot = Some((key, Rc::clone(&banks))));
    banks
}

#[derive(Debug, Serialize)]
struct PresentResult {
    report: Report,
    #[serde(flatten)]
    presented: display::Presented,
    /// BLAKE3 of the bytes, 64 hex digits.
    digest: String,
}

/// Verify an image and say how to show it: the report, its badge and
/// details card (strings already safe to show), the nearest match in the
/// TSV `banks` (eight orientations, `hallmark match`'s threshold), and
/// whether the badge must wait for the screen comparison (`screen`).
#[wasm_bindgen(unchecked_return_type = "Presented")]
pub fn present(
    bytes: &[u8],
    #[wasm_bindgen(unchecked_param_type = "VerifyOptions | undefined")] options: JsValue,
    banks: Vec<String>,
) -> Result<JsValue, JsValue> {
    let options = parse_options(options)?;
    let report = verify_report(bytes, &options)?;
    let banks = banks_for(&banks);
    let presented = display::present_bytes(&report, bytes, &banks, &Limits::default());
    to_js(&PresentResult {
        report,
        presented,
        digest: blake3::hash(bytes).to_hex().to_string(),
    })
}

/// [`present`], for an unsigned image a registry service named manifest
/// stores for (`stores[i]` fetched as `manifestIds[i]`): each store is
/// verified here with the options' trust and the pixels it signed compared
/// with the image's own, and the best that qualifies makes the report
/// `recovered`; those that don't are noted in its status (`registry.remote`).
/// The service's word is never taken. A signed image is presented as it is.
#[wasm_bindgen(js_name = presentRecovered, unchecked_return_type = "Presented")]
pub fn present_recovered(
    bytes: &[u8],
    #[wasm_bindgen(unchecked_param_type = "VerifyOptions | undefined")] options: JsValue,
    banks: Vec<String>,
    #[wasm_bindgen(js_name = manifestIds)] manifest_ids: Vec<String>,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] stores: js_sys::Array,
) -> Result<JsValue, JsValue> {
    let options = parse_options(options)?;
    let mut report = verify_report(bytes, &options)?;
    if report.verdict == hallmark_core::Verdict::Unsigned {
        let verifier = verifier_for(
            options.trust_anchors_pem.as_deref().unwrap_or(""),
            options.allowed_list_pem.as_deref().unwrap_or(""),
            options.tsa_anchors_pem.as_deref().unwrap_or(""),
        )?;
        if let Ok(hash) = hallmark_core::pixels::hash_image(bytes, verifier.limits()) {
            let stores = manifest_ids
                .into_iter()
                .zip(stores.iter())
                .take(5)
                .map(|(id, store)| (id, Ok(js_sys::Uint8Array::new(&store).to_vec())));
            let threshold = hallmark_core::pdq::DEFAULT_MATCH_THRESHOLD;
            let (best, notes) =
                hallmark_core::recovery::from_stores(stores, &hash, &verifier, threshold);
            if let Some(best) = best {
                report = best.apply(report);
            }
            report.status.extend(notes);
        }
    }
    let banks = banks_for(&banks);
    let presented = display::present_bytes(&report, bytes, &banks, &Limits::default());
    to_js(&PresentResult {
        report,
        presented,
        digest: blake3::hash(bytes).to_hex().to_string(),
    })
}

#[derive(Debug, Serialize)]
struct Unverified {
    badge: display::Badge,
    card: display::Card,
    bank: Option<display::BankHit>,
    screen: bool,
}

/// The badge and card of an image that was never verified: its fetch was
/// refused or failed with `code` and `message`.
#[wasm_bindgen(js_name = notChecked, unchecked_return_type = "Presented")]
pub fn not_checked(code: &str, message: &str) -> Result<JsValue, JsValue> {
    let code = Code::parse(code).ok_or_else(|| {
        thrown(
            Code::OptionsMalformed,
            format!("notChecked: `{code}` is not one of Hallmark's error codes"),
        )
    })?;
    let (badge, card) = display::not_checked(code, message);
    to_js(&Unverified {
        badge,
        card,
        bank: None,
        screen: false,
    })
}

/// The badge and card of what can't be checked at all: `"blob"`,
/// `"scheme"`, `"canvas"`, `"background"` or `"video"`.
#[wasm_bindgen(unchecked_return_type = "Presented")]
pub fn uncheckable(
    #[wasm_bindgen(unchecked_param_type = "Uncheckable")] kind: JsValue,
) -> Result<JsValue, JsValue> {
    let kind: display::Uncheckable = serde_wasm_bindgen::from_value(kind)
        .map_err(|e| thrown(Code::OptionsMalformed, format!("uncheckable kind: {e}")))?;
    let (badge, card) = display::uncheckable(kind);
    to_js(&Unverified {
        badge,
        card,
        bank: None,
        screen: false,
    })
}

/// Whether a badge in `state` is drawn and whether its image is veiled,
/// under the extension's settings (`image` false for canvases, videos and
/// CSS backgrounds).
#[wasm_bindgen(unchecked_return_type = "Placement")]
pub fn placement(
    #[wasm_bindgen(unchecked_param_type = "BadgeState")] state: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ViewSettings")] settings: JsValue,
    image: bool,
) -> Result<JsValue, JsValue> {
    let state: display::BadgeState = serde_wasm_bindgen::from_value(state)
        .map_err(|e| thrown(Code::OptionsMalformed, format!("badge state: {e}")))?;
    let settings: display::ViewSettings = serde_wasm_bindgen::from_value(settings)
        .map_err(|e| thrown(Code::OptionsMalformed, format!("view settings: {e}")))?;
    to_js(&display::placement(state, &settings, image))
}

/// The cheap first pass over what the content script measured about a
/// trusted image: an outcome, or `null` when a screenshot must decide.
#[wasm_bindgen(js_name = screenPrecheck, unchecked_return_type = "ScreenOutcome | null")]
pub fn screen_precheck(
    #[wasm_bindgen(unchecked_param_type = "ScreenFacts")] facts: JsValue,
) -> Result<JsValue, JsValue> {
    let facts: display::ScreenFacts = serde_wasm_bindgen::from_value(facts)
        .map_err(|e| thrown(Code::OptionsMalformed, format!("screen facts: {e}")))?;
    to_js(&display::precheck(&facts))
}

/// The badge to draw once the screen was (or could not be) compared.
#[wasm_bindgen(js_name = screenBadge, unchecked_return_type = "Badge")]
pub fn screen_badge(
    #[wasm_bindgen(unchecked_param_type = "Badge")] badge: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ScreenOutcome")] outcome: JsValue,
) -> Result<JsValue, JsValue> {
    let badge: display::Badge = serde_wasm_bindgen::from_value(badge)
        .map_err(|e| thrown(Code::OptionsMalformed, format!("badge: {e}")))?;
    let outcome: display::ScreenOutcome = serde_wasm_bindgen::from_value(outcome)
        .map_err(|e| thrown(Code::OptionsMalformed, format!("screen outcome: {e}")))?;
    to_js(&display::on_screen(&badge, &outcome))
}

/// Text from a file as badges and cards show it: controls and invisible or
/// bidirectional formatting characters as `\u{…}`, cut at 600 characters.
#[wasm_bindgen]
pub fn visible(text: &str) -> String {
    display::visible(text)
}

#[derive(Debug, Serialize)]
struct StateInfo {
    state: display::BadgeState,
    label: &'static str,
    mark: &'static str,
}

/// Every badge state, most alarming first, with its label and mark.
#[wasm_bindgen(js_name = badgeStates, unchecked_return_type = "BadgeStateInfo[]")]
pub fn badge_states() -> Result<JsValue, JsValue> {
    let states: Vec<StateInfo> = display::BadgeState::ALL
        .into_iter()
        .map(|state| StateInfo {
            state,
            label: state.label(),
            mark: state.mark(),
        })
        .collect();
    to_js(&states)
}

/// The extension's limits (sizes, counts, intervals), from the core.
#[wasm_bindgen(js_name = extensionLimits, unchecked_return_type = "ExtensionLimits")]
pub fn extension_limits() -> Result<JsValue, JsValue> {
    to_js(&display::EXTENSION_LIMITS)
}

/// A small decoded copy of verified bytes, to compare screenshots with.
/// Free it (`.free()`) when it is dropped from a cache.
#[derive(Debug)]
#[wasm_bindgen(js_name = ScreenReference)]
pub struct JsScreenReference(ScreenReference);

#[wasm_bindgen(js_class = ScreenReference)]
impl JsScreenReference {
    /// Decode `bytes` under the CLI's limits; throws `{code, message}`.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<JsScreenReference, JsValue> {
        ScreenReference::from_bytes(bytes, &Limits::default())
            .map(JsScreenReference)
            .map_err(|e| thrown(e.code(), e.to_string()))
    }

    /// Compare an RGBA screenshot crop with the part `source` (fractions
    /// `{x, y, width, height}`) of the verified image; `masks` (fractions of
    /// the crop) are where the extension draws its own badge.
    #[wasm_bindgen(unchecked_return_type = "Comparison")]
    pub fn compare(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        #[wasm_bindgen(unchecked_param_type = "SourceRect")] source: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SourceRect[]")] masks: JsValue,
    ) -> Result<JsValue, JsValue> {
        let source: SourceRect = serde_wasm_bindgen::from_value(source)
            .map_err(|e| thrown(Code::OptionsMalformed, format!("source rectangle: {e}")))?;
        let masks: Vec<SourceRect> = if masks.is_undefined() || masks.is_null() {
            Vec::new()
        } else {
            serde_wasm_bindgen::from_value(masks)
                .map_err(|e| thrown(Code::OptionsMalformed, format!("masks: {e}")))?
        };
        to_js(&self.0.compare(rgba, width, height, source, &masks))
    }
}

#[derive(Debug, Serialize)]
struct HashResult {
    pdq: String,
    quality: u8,
    pixel_digest: String,
    width: u32,
    height: u32,
}

/// PDQ and pixel digest of an image, as `hallmark hash --json` (without
/// `path`). An image that can't be decoded is thrown as `{code, message}`.
#[wasm_bindgen(unchecked_return_type = "HashResult")]
pub fn hash(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let h = hallmark_core::pixels::hash_image(bytes, &Limits::default())
        .map_err(|e| thrown(e.code(), e.to_string()))?;
    to_js(&HashResult {
        pdq: h.pdq.to_hex(),
        quality: h.quality,
        pixel_digest: h.pixel_digest.to_hex(),
        width: h.width,
        height: h.height,
    })
}

#[derive(Debug, Serialize)]
struct BankMatchResult {
    label: String,
    note: String,
    distance: u32,
    pdq: String,
}

#[derive(Debug, Serialize)]
struct BadLine {
    line: usize,
    message: String,
}

#[derive(Debug, Serialize)]
struct MatchResult {
    matches: Vec<BankMatchResult>,
    /// Bank lines that could not be read (the rest were used).
    bad_lines: Vec<BadLine>,
}

fn bad_lines(errors: Vec<hallmark_core::bank::BankLineError>) -> Vec<BadLine> {
    errors
        .into_iter()
        .map(|e| BadLine {
            line: e.line,
            message: e.message,
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct BankSummary {
    /// How many entries the bank holds (lines read as hashes).
    entries: usize,
    /// Bank lines that could not be read.
    bad_lines: Vec<BadLine>,
}

/// Read a TSV hash bank without matching: how many entries it holds and
/// which lines are bad (what the options page shows before adding a bank).
#[wasm_bindgen(js_name = bankSummary, unchecked_return_type = "BankSummary")]
pub fn bank_summary(bank_tsv: &str) -> Result<JsValue, JsValue> {
    let (bank, errors) = Bank::parse_tsv(bank_tsv);
    to_js(&BankSummary {
        entries: bank.len(),
        bad_lines: bad_lines(errors),
    })
}

/// Entries of a TSV hash bank (`pdq_hex<TAB>label<TAB>note` a line) within
/// `threshold` bits of `pdqHex`, nearest first. A malformed hash or threshold
/// is thrown; bad bank lines are listed in `bad_lines`.
#[wasm_bindgen(js_name = matchBank, unchecked_return_type = "MatchResult")]
pub fn match_bank(pdq_hex: &str, bank_tsv: &str, threshold: u32) -> Result<JsValue, JsValue> {
    let hash = PdqHash::from_hex(pdq_hex.trim())
        .ok_or_else(|| thrown(Code::PdqMalformed, "a PDQ hash is 64 hexadecimal digits"))?;
    if threshold > hallmark_core::pdq::MAX_MATCH_THRESHOLD {
        return Err(thrown(
            Code::ThresholdRange,
            "the threshold is at most 128 bits",
        ));
    }
    let (bank, errors) = Bank::parse_tsv(bank_tsv);
    let matches = bank
        .matches(&hash, threshold)
        .into_iter()
        .map(|m| BankMatchResult {
            label: m.entry.label.clone(),
            note: m.entry.note.clone(),
            distance: m.distance,
            pdq: m.entry.hash.to_hex(),
        })
        .collect();
    to_js(&MatchResult {
        matches,
        bad_lines: bad_lines(errors),
    })
}

/// BLAKE3 of the bytes, 64 hex digits: the key the extension caches results under.
#[wasm_bindgen(js_name = blake3Hex)]
pub fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// A JPEG preview at most `maxSide` pixels on its longest side (16 to 1024),
/// decoded under the CLI's limits (JPEG at reduced scale). Throws `{code, message}`.
#[wasm_bindgen]
pub fn thumbnail(bytes: &[u8], max_side: u32) -> Result<Vec<u8>, JsValue> {
    hallmark_core::pixels::thumbnail(bytes, &Limits::default(), max_side)
        .map_err(|e| thrown(e.code(), e.to_string()))
}

/// `hallmark/<version>` and the C2PA SDK's version.
#[wasm_bindgen]
pub fn version() -> String {
    format!(
        "{} (c2pa-rs {})",
        hallmark_core::CLAIM_GENERATOR,
        hallmark_core::C2PA_VERSION
    )
}
