//! Hallmark in WebAssembly: the same verifier and perceptual hash as the
//! `hallmark` CLI, for web pages, the browser extension and Node. Every
//! decision is `hallmark-core`'s; this crate translates JavaScript values in
//! and out. No network, no threads, no filesystem.
//!
//! Results are plain JavaScript objects with the fields of `hallmark verify
//! --json` and `hallmark hash --json` (absent values are `null`). Failures
//! are thrown as `{code, message}` objects, never as strings.

use std::cell::RefCell;

use hallmark_core::bank::Bank;
use hallmark_core::pdq::PdqHash;
use hallmark_core::{Limits, MediaFormat, Report, TrustStore, Verifier};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A verdict, decided in this order: error, unsigned (recovered), tampered, invalid, trusted, valid. */
export type Verdict = "error" | "unsigned" | "recovered" | "tampered" | "invalid" | "trusted" | "valid";

/** Who signed, from the signing certificate. */
export interface SignerInfo {
  name: string | null;
  organization: string | null;
  issuer: string | null;
  certificate_sha256: string;
  trusted: boolean;
  /** Who vouched, when trusted: the anchor (or allowed certificate) and where it was configured. */
  anchor: AnchorInfo | null;
  /** Subjects from the signing certificate to the anchor (trusted), or as presented. */
  chain: string[];
}

export interface AnchorInfo {
  name: string;
  certificate_sha256: string;
  /** `trustAnchorsPem` or `allowedListPem` here; the CLI names its files. */
  source: string;
}

export interface StatusEntry {
  code: string;
  kind: string;
  explanation: string | null;
  /** claim_signature, ingredient, identity (CAWG), hallmark, manifest, registry. */
  scope: string | null;
  url: string | null;
}

/** A CAWG identity assertion and its own status. */
export interface IdentityReport {
  label: string;
  name: string | null;
  sig_type: string | null;
  issuer: string | null;
  trusted: boolean;
  status: string[];
}

export interface IngredientReport {
  title: string | null;
  relationship: string | null;
  verdict: Verdict;
}

/** What a tampered or invalid manifest claims; never facts about the file. */
export interface ClaimedFacts {
  title: string | null;
  claim_generator: string | null;
  digital_source_type: string | null;
  ai_generated: boolean;
  actions: string[];
  ingredients: IngredientReport[];
}

export interface RecoveredInfo {
  distance: number;
  pixel_digest_match: boolean;
  signer: SignerInfo;
  registered_verdict: Verdict;
  title: string | null;
  signed_at: string | null;
  digital_source_type: string | null;
  ai_generated: boolean;
  registered_at: string;
  asset_blake3: string;
}

/** The report of `hallmark verify --json` (DESIGN.md), without `path`. */
export interface Report {
  path: string | null;
  format: string | null;
  verdict: Verdict;
  summary: string;
  signer: SignerInfo | null;
  claimed_signer: SignerInfo | null;
  claimed: ClaimedFacts | null;
  signed_at: string | null;
  claim_generator: string | null;
  title: string | null;
  digital_source_type: string | null;
  ai_generated: boolean;
  actions: string[];
  ingredients: IngredientReport[];
  /** CAWG identity assertions, each with its own status. */
  identities: IdentityReport[];
  /** When the hard binding fails: whether the decoded pixels still match the signed ones. */
  pixels: { digest: "match" | "mismatch"; pdq_distance: number } | null;
  remote_manifest: string | null;
  status: StatusEntry[];
  error: { code: string; message: string } | null;
  recovered: RecoveredInfo | null;
}

export interface VerifyOptions {
  /** The media type the caller expects; the content is sniffed and must agree. */
  mime?: string;
  /** PEM bundle of trust anchors (e.g. the C2PA trust list). Nothing is trusted by default. */
  trustAnchorsPem?: string;
  /** PEM bundle of end-entity certificates trusted as they are. */
  allowedListPem?: string;
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

fn thrown(code: &str, message: impl Into<String>) -> JsValue {
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
}

/// The keys `verify` options may have.
const OPTION_KEYS: &[&str] = &["mime", "trustAnchorsPem", "allowedListPem"];

thread_local! {
    /// The last verifier built, by its trust configuration: building one
    /// parses every certificate, so repeated calls with the same options reuse it.
    static VERIFIER: RefCell<Option<(String, String, Verifier)>> = const { RefCell::new(None) };
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

fn verifier_for(anchors: &str, allowed: &str) -> Result<Verifier, JsValue> {
    let cached = VERIFIER.with_borrow(|slot| match slot {
        Some((a, l, v)) if a == anchors && l == allowed => Some(v.clone()),
        _ => None,
    });
    if let Some(verifier) = cached {
        return Ok(verifier);
    }
    let mut trust = TrustStore::empty();
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
        *slot = Some((anchors.to_string(), allowed.to_string(), verifier.clone()));
    });
    Ok(verifier)
}

/// Verify the bytes of one image. Returns the report of `hallmark verify
/// --json` (without `path`). Unreadable or malformed media is a report with
/// verdict `error`, as in the CLI; bad options are thrown as `{code, message}`.
#[wasm_bindgen(unchecked_return_type = "Report")]
pub fn verify(
    bytes: &[u8],
    #[wasm_bindgen(unchecked_param_type = "VerifyOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options: VerifyOptions = if options.is_undefined() || options.is_null() {
        VerifyOptions::default()
    } else {
        // Unknown keys are refused: a misspelt `trustAnchorsPem` must not quietly trust nothing.
        if let Some(object) = options.dyn_ref::<js_sys::Object>() {
            for key in js_sys::Object::keys(object).iter() {
                let key = key.as_string().unwrap_or_default();
                if !OPTION_KEYS.contains(&key.as_str()) {
                    return Err(thrown(
                        "options.malformed",
                        format!(
                            "verify options: unknown key `{key}` (expected {})",
                            OPTION_KEYS.join(", ")
                        ),
                    ));
                }
            }
        }
        serde_wasm_bindgen::from_value(options)
            .map_err(|e| thrown("options.malformed", format!("verify options: {e}")))?
    };
    let verifier = verifier_for(
        options.trust_anchors_pem.as_deref().unwrap_or(""),
        options.allowed_list_pem.as_deref().unwrap_or(""),
    )?;
    if let Some(mime) = options.mime.as_deref() {
        let sniffed = MediaFormat::sniff(bytes);
        if let Some(format) = sniffed.filter(|f| !f.mime().eq_ignore_ascii_case(mime.trim())) {
            let report = Report::error(
                "format.mismatch",
                format!(
                    "the content is {}, not the {} it was declared as",
                    format.mime(),
                    mime
                ),
            );
            return to_js(&report);
        }
    }
    to_js(&verifier.verify(bytes))
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
        .ok_or_else(|| thrown("pdq.malformed", "a PDQ hash is 64 hexadecimal digits"))?;
    if threshold > 128 {
        return Err(thrown(
            "threshold.range",
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
