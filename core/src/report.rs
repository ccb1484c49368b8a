//! The one `Report` every shell shows: the contract of DESIGN.md. Fields are
//! snake_case and stable; add fields, never rename.

use serde::{Deserialize, Serialize};

mod vouched;
pub use vouched::{Vouched, VouchedBy};

/// The outcome of verifying one file, decided in this order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Verdict {
    /// The file can't be read or parsed as the format it claims.
    Error,
    /// No manifest store (or only a pointer to a remote one, not fetched).
    Unsigned,
    /// Unsigned, but its pixels match a file whose manifest a registry holds:
    /// the credentials were stripped and are recovered from the registry.
    Recovered,
    /// The signature holds but the content changed after signing.
    Tampered,
    /// Anything else that makes the active manifest invalid.
    Invalid,
    /// Valid, and the signer chains to a trust anchor or is on the allowed list.
    Trusted,
    /// Cryptographically intact; signer not trusted here.
    Valid,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Unsigned => "unsigned",
            Self::Recovered => "recovered",
            Self::Tampered => "tampered",
            Self::Invalid => "invalid",
            Self::Trusted => "trusted",
            Self::Valid => "valid",
        }
    }

    /// `hallmark verify`'s exit status for this verdict under a requirement
    /// (DESIGN.md): 0 pass, 1 unsigned or below requirement, 3 tampered or
    /// invalid, 4 unreadable.
    pub fn exit_code(self, require_trusted: bool) -> u8 {
        match self {
            Self::Trusted => 0,
            Self::Valid if !require_trusted => 0,
            // Only trusted or valid manifests are registered; the trust decision was
            // the registry's, not this verifier's, so it never meets --require trusted.
            Self::Recovered if !require_trusted => 0,
            Self::Recovered => 1,
            Self::Valid | Self::Unsigned => 1,
            Self::Tampered | Self::Invalid => 3,
            Self::Error => 4,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who signed, from the signing certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignerInfo {
    pub name: Option<String>,
    pub organization: Option<String>,
    pub issuer: Option<String>,
    pub certificate_sha256: String,
    pub trusted: bool,
    /// Who vouched, when `trusted`: the anchor the chain validated to (or
    /// the allowed-list entry that is this very certificate).
    #[serde(default)]
    pub anchor: Option<AnchorInfo>,
    /// Certificate subjects from the signing certificate to the anchor when
    /// trusted; otherwise the chain as the manifest presents it.
    #[serde(default)]
    pub chain: Vec<String>,
}

/// The trust anchor (or allowed certificate) that vouched for a signer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AnchorInfo {
    pub name: String,
    pub certificate_sha256: String,
    /// Where it was configured: `--trust FILE`, `trust list entry NAME`,
    /// `--allowed FILE`, or what the library caller named.
    pub source: String,
}

impl SignerInfo {
    /// "Name (Organization)", or whichever is known.
    pub fn display_name(&self) -> String {
        match (&self.name, &self.organization) {
            (Some(n), Some(o)) if n != o => format!("{n} ({o})"),
            (Some(n), _) => n.clone(),
            (None, Some(o)) => o.clone(),
            (None, None) => "an unnamed signer".into(),
        }
    }

    /// The chain as displays show it: subjects joined by arrows.
    pub fn chain_text(&self) -> String {
        self.chain.join(" → ")
    }

    /// The name as a summary quotes it: in double quotes, with quotes and
    /// backslashes escaped, runs of white space (padding) made one space, and
    /// cut at 160 characters, so no name can pass for the verdict after it.
    pub fn quoted_name(&self) -> String {
        match (&self.name, &self.organization) {
            (None, None) => "an unnamed signer".into(),
            _ => quote_name(&self.display_name()),
        }
    }
}

impl AnchorInfo {
    /// "NAME (from SOURCE)", as displays show who vouched.
    pub fn vouched_text(&self) -> String {
        format!("{} (from {})", self.name, self.source)
    }
}

/// A name from a certificate or manifest, quoted for a summary line (see
/// [`SignerInfo::quoted_name`]).
pub fn quote_name(name: &str) -> String {
    const MAX_CHARS: usize = 160;
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    let mut last_space = false;
    let mut count = 0;
    for c in name.chars() {
        if count == MAX_CHARS {
            out.push('…');
            break;
        }
        // Blank-looking letters (Braille blank, Hangul fillers) pad as spaces do.
        if c.is_whitespace()
            || matches!(
                c,
                '\u{2800}' | '\u{3164}' | '\u{115F}' | '\u{1160}' | '\u{FFA0}'
            )
        {
            if last_space {
                continue;
            }
            last_space = true;
            out.push(' ');
        } else {
            last_space = false;
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        count += 1;
    }
    out.push('"');
    out
}

/// One validation status entry of the active manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusEntry {
    pub code: String,
    /// "success", "informational" or "failure".
    pub kind: String,
    pub explanation: Option<String>,
    /// What the entry is about: `claim_signature` (the manifest's signer and
    /// content), `ingredient`, `identity` (a CAWG identity assertion), or
    /// `hallmark` (Hallmark's own re-validation). Absent in older reports.
    #[serde(default)]
    pub scope: Option<String>,
    /// The JUMBF URL of what the entry is about, as c2pa logged it.
    #[serde(default)]
    pub url: Option<String>,
}

/// A CAWG identity assertion of the active manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IdentityReport {
    /// The assertion's label (`cawg.identity`, `cawg.identity__1`…).
    pub label: String,
    /// Who it names (an identity claims aggregation credential's verified names).
    pub name: Option<String>,
    /// `cawg.x509.cose`, `cawg.identity_claims_aggregation`, or what the file says.
    pub sig_type: Option<String>,
    /// The credential's issuer (a DID, or an X.509 issuer name).
    pub issuer: Option<String>,
    /// The credential is valid and vouched for by a trusted issuer.
    pub trusted: bool,
    /// The failure codes logged for this assertion alone.
    pub status: Vec<String>,
}

impl IdentityReport {
    /// "trusted", "not trusted", or "not trusted: CODE, …", as displays show it.
    pub fn state(&self) -> String {
        if self.trusted {
            "trusted".into()
        } else if self.status.is_empty() {
            "not trusted".into()
        } else {
            format!("not trusted: {}", self.status.join(", "))
        }
    }
}

/// An ingredient of the active manifest and its own verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IngredientReport {
    pub title: Option<String>,
    pub relationship: Option<String>,
    pub verdict: Verdict,
}

/// What a manifest says about content it does not vouch for (verdicts
/// tampered and invalid): kept apart so no shell shows it as fact.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClaimedFacts {
    pub title: Option<String>,
    pub claim_generator: Option<String>,
    pub digital_source_type: Option<String>,
    pub ai_generated: bool,
    pub actions: Vec<String>,
    /// The ingredients it lists, with their own verdicts.
    #[serde(default)]
    pub ingredients: Vec<IngredientReport>,
}

/// The pixel digest and PDQ hash a manifest recorded at signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedPixels {
    pub digest: crate::pixels::PixelDigest,
    pub pdq: crate::pdq::PdqHash,
    /// The PDQ quality and picture size recorded beside them (0 when absent).
    pub quality: u8,
    pub width: u32,
    pub height: u32,
}

/// Where stripped credentials were recovered from: the registered file whose
/// pixels match (verdict `recovered`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecoveredInfo {
    /// PDQ Hamming distance between this file and the registered one (0–256);
    /// for a video, the largest distance at which its frames counted as
    /// matching (the threshold), the match itself being in `video`.
    pub distance: u32,
    /// This file shows exactly the registered file's pixels (same pixel digest).
    pub pixel_digest_match: bool,
    /// How this file's content matched: the same pixels, or only a similar
    /// picture or video (perceptual hashes within the threshold, which a
    /// different picture can also be).
    #[serde(rename = "match", default)]
    pub match_kind: MatchKind,
    /// Who signed the registered file, as its stored credentials verify now
    /// against the current trust (`trusted` now, not at registration).
    pub signer: SignerInfo,
    /// The registered file's verdict when it was registered: trusted or valid.
    pub registered_verdict: Verdict,
    /// Its stored manifest store's verdict now, validated again at lookup
    /// against the current trust: trusted or valid (a store that no
    /// longer validates recovers nothing).
    #[serde(default = "valid")]
    pub verdict_now: Verdict,
    pub title: Option<String>,
    pub signed_at: Option<String>,
    /// The registered manifest's digital source type, and whether it means generative AI.
    pub digital_source_type: Option<String>,
    pub ai_generated: bool,
    /// RFC 3339, UTC.
    pub registered_at: String,
    /// BLAKE3 of the registered file's bytes (hex): its content address in the registry.
    pub asset_blake3: String,
    /// A video matched by vPDQ: how much of each matches, and which seconds;
    /// null for a picture.
    #[serde(default)]
    pub video: Option<RecoveredVideo>,
}

fn valid() -> Verdict {
    Verdict::Valid
}

/// How a recovered file's content matched the registered original.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The same pixel digest: exactly the registered pixels, whatever the container.
    SamePixels,
    /// A PDQ hash within the threshold: a similar picture (re-encoded,
    /// resized, or another picture that hashes near it).
    #[default]
    SimilarPicture,
    /// A vPDQ match: a similar video.
    SimilarVideo,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SamePixels => "same_pixels",
            Self::SimilarPicture => "similar_picture",
            Self::SimilarVideo => "similar_video",
        }
    }
}

/// How a video matched a registered one, by the reference vPDQ rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecoveredVideo {
    /// Share of this video's distinct good frames that match the registered one's.
    pub query_match_percent: f64,
    /// Share of the registered video's distinct good frames that match this one's.
    pub compared_match_percent: f64,
    /// Which seconds of this video show which seconds of the registered one.
    pub segments: Vec<crate::vpdq::Segment>,
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
}

/// What verification found, for one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Report {
    pub path: Option<String>,
    pub format: Option<String>,
    pub verdict: Verdict,
    pub summary: String,
    /// The signer, shown only when the manifest belongs to this content
    /// (verdicts trusted and valid).
    pub signer: Option<SignerInfo>,
    /// Who the manifest claims signed it, when it is tampered or invalid: never
    /// presented as the signer of this file.
    pub claimed_signer: Option<SignerInfo>,
    /// What a tampered or invalid manifest claims (title, source type, actions…).
    pub claimed: Option<ClaimedFacts>,
    pub signed_at: Option<String>,
    pub claim_generator: Option<String>,
    pub title: Option<String>,
    pub digital_source_type: Option<String>,
    pub ai_generated: bool,
    pub actions: Vec<String>,
    pub ingredients: Vec<IngredientReport>,
    /// The CAWG identity assertions, each with its own status.
    #[serde(default)]
    pub identities: Vec<IdentityReport>,
    /// Pixel-level comparison when the hard binding fails (perceptual hashing).
    #[cfg_attr(
        feature = "ts",
        ts(type = "{ digest: \"match\" | \"mismatch\"; pdq_distance: number } | null")
    )]
    pub pixels: Option<serde_json::Value>,
    /// A tampered video's frames compared with those it was signed with:
    /// which seconds changed (Hallmark's per-second soft binding).
    #[serde(default)]
    pub video_frames: Option<crate::vpdq::VideoFrames>,
    /// A pointer to a remote manifest that was not fetched.
    pub remote_manifest: Option<String>,
    pub status: Vec<StatusEntry>,
    pub error: Option<ErrorInfo>,
    /// Set when the verdict is `recovered`: the registry entry the pixels match.
    #[serde(default)]
    pub recovered: Option<RecoveredInfo>,
    /// What the manifest recorded about the signed pixels; internal.
    #[serde(skip)]
    pub signed_pixels: Option<SignedPixels>,
    /// The frames a video's manifest recorded at signing; internal.
    #[serde(skip)]
    pub signed_video: Option<Vec<crate::vpdq::SignedFrame>>,
}

impl Report {
    /// The exit status this report asks for (DESIGN.md): as
    /// [`Verdict::exit_code`], except that a `recovered` file whose content
    /// only resembles the registered one (a similar picture or video, not
    /// the same pixels) passes only when `accept_similar`.
    pub fn exit_code(&self, require_trusted: bool, accept_similar: bool) -> u8 {
        let similar = self
            .recovered
            .as_ref()
            .is_none_or(|r| r.match_kind != MatchKind::SamePixels);
        if self.verdict == Verdict::Recovered && similar && !accept_similar {
            return 1;
        }
        self.verdict.exit_code(require_trusted)
    }

    /// Why Hallmark's certificate path validation refused the signer's
    /// chain, when it did (the `signingCredential.untrusted` failure the
    /// verifier adds, scope `hallmark`).
    pub(crate) fn untrusted_because(&self) -> Option<String> {
        self.status
            .iter()
            .find(|s| {
                s.code == "signingCredential.untrusted" && s.scope.as_deref() == Some("hallmark")
            })
            .and_then(|s| s.explanation.clone())
    }

    /// An empty report with a verdict and summary; the rest filled by the verifier.
    pub(crate) fn new(verdict: Verdict, summary: impl Into<String>) -> Self {
        Self {
            path: None,
            format: None,
            verdict,
            summary: summary.into(),
            signer: None,
            claimed_signer: None,
            claimed: None,
            signed_at: None,
            claim_generator: None,
            title: None,
            digital_source_type: None,
            ai_generated: false,
            actions: Vec::new(),
            ingredients: Vec::new(),
            identities: Vec::new(),
            pixels: None,
            video_frames: None,
            remote_manifest: None,
            status: Vec::new(),
            error: None,
            recovered: None,
            signed_pixels: None,
            signed_video: None,
        }
    }

    /// A report for a file that could not be read.
    pub fn error(code: crate::code::Code, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut report = Self::new(Verdict::Error, format!("Unreadable: {message}"));
        report.error = Some(ErrorInfo {
            code: code.into(),
            message,
        });
        report
    }

    /// Codes of the failures, in order.
    pub fn failure_codes(&self) -> Vec<&str> {
        self.status
            .iter()
            .filter(|s| s.kind == "failure")
            .map(|s| s.code.as_str())
            .collect()
    }

    /// The report as one line of JSON.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(
                "{{\"verdict\":\"error\",\"error\":{{\"code\":\"internal\",\"message\":\"{e}\"}}}}"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_design() {
        assert_eq!(Verdict::Trusted.exit_code(true), 0);
        assert_eq!(Verdict::Valid.exit_code(false), 0);
        assert_eq!(Verdict::Valid.exit_code(true), 1);
        assert_eq!(Verdict::Unsigned.exit_code(false), 1);
        assert_eq!(Verdict::Tampered.exit_code(false), 3);
        assert_eq!(Verdict::Invalid.exit_code(false), 3);
        assert_eq!(Verdict::Error.exit_code(false), 4);
        assert_eq!(Verdict::Recovered.exit_code(false), 0);
        assert_eq!(Verdict::Recovered.exit_code(true), 1);
    }

    #[test]
    fn quoted_names_cannot_pass_for_a_verdict() {
        let padded = format!("Nikon; trusted{}x", " ".repeat(300));
        assert_eq!(quote_name(&padded), "\"Nikon; trusted x\"");
        let blank = format!("Nikon; trusted{}x", "\u{2800}\u{3164}".repeat(100));
        assert_eq!(quote_name(&blank), "\"Nikon; trusted x\"");
        assert_eq!(quote_name("a\"; trusted \\"), "\"a\\\"; trusted \\\\\"");
        let long = "n".repeat(500);
        let quoted = quote_name(&long);
        assert_eq!(
            quoted.chars().count(),
            160 + 3,
            "cut, with an ellipsis and both quotes"
        );
        assert!(quoted.ends_with("…\""));
    }

    #[test]
    fn verdicts_serialize_snake_case() {
        assert_eq!(
            serde_json::to_string(&Verdict::Tampered).unwrap(),
            "\"tampered\""
        );
        assert_eq!(
            serde_json::to_string(&Verdict::Recovered).unwrap(),
            "\"recovered\""
        );
    }
}
