//! Signing: an image and an identity in, the same image with a C2PA manifest
//! out, verified before it is handed back.

use crate::code::Code;
use std::io::Cursor;

use c2pa::{Builder, BuilderIntent};

use crate::identity::Identity;
use crate::media::{probe, Limits, MediaError};
use crate::pixels::{decode_rgba8, PIXELS_ASSERTION, SOFT_BINDING_ALG};
use crate::report::Verdict;
use crate::trust::TrustStore;
use crate::verify::Verifier;

/// How the content came to be: the C2PA/IPTC digital source type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SourceType {
    /// A camera or scanner captured it (the default).
    #[default]
    DigitalCapture,
    /// Generative AI made it.
    TrainedAlgorithmicMedia,
    /// Any other digital source type URI.
    Uri(String),
}

impl SourceType {
    pub fn uri(&self) -> &str {
        match self {
            Self::DigitalCapture => "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
            Self::TrainedAlgorithmicMedia => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
            }
            Self::Uri(uri) => uri,
        }
    }
}

/// An action to record, such as `c2pa.cropped` or `c2pa.color_adjustments`.
pub type Action = String;

/// What to say about the content being signed.
#[derive(Debug, Clone, Default)]
pub struct SignOptions {
    /// The title recorded in the manifest (usually the file name).
    pub title: Option<String>,
    pub source_type: SourceType,
    /// Actions recorded after `c2pa.created` (or `c2pa.opened` with a parent).
    pub actions: Vec<Action>,
    /// The file this one was made from: recorded as parent ingredient, with `c2pa.edited`.
    pub parent: Option<Vec<u8>>,
    pub parent_title: Option<String>,
    pub limits: Limits,
    /// Time-stamp the claim signature with an RFC 3161 TSA, so the file
    /// stays valid after the signing certificate expires.
    #[cfg(feature = "tsa")]
    pub tsa: Option<crate::tsa::TsaConfig>,
    /// Skip verifying the result. Only for making attack fixtures.
    #[doc(hidden)]
    pub dangerous_skip_self_check: bool,
    /// Take the title as it is (any length, NUL included). Only for making
    /// the hostile-text attack fixtures.
    #[doc(hidden)]
    pub dangerous_unchecked_text: bool,
}

/// Why signing failed. The input is never modified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error("{0}")]
    Media(#[from] MediaError),
    #[error("the parent file: {0}")]
    Parent(MediaError),
    #[error("invalid option: {0}")]
    InvalidOption(String),
    #[error("the C2PA library could not sign: {0}")]
    C2pa(String),
    #[error("the signed file did not verify ({verdict}): {summary}")]
    SelfCheck { verdict: Verdict, summary: String },
    #[cfg(feature = "tsa")]
    #[error("no time-stamp: {0}")]
    Tsa(crate::tsa::TsaError),
}

impl SignError {
    pub fn code(&self) -> Code {
        match self {
            Self::Media(e) | Self::Parent(e) => e.code(),
            Self::InvalidOption(_) => Code::SignInvalidOption,
            Self::C2pa(_) => Code::SignC2pa,
            Self::SelfCheck { .. } => Code::SignSelfCheck,
            #[cfg(feature = "tsa")]
            Self::Tsa(e) => e.code(),
        }
    }
}

fn c2pa_err(e: c2pa::Error) -> SignError {
    SignError::C2pa(e.to_string())
}

const MAX_TEXT: usize = 4096;

fn check_text(what: &str, text: &str) -> Result<(), SignError> {
    if text.len() > MAX_TEXT || text.contains('\0') {
        return Err(SignError::InvalidOption(format!(
            "{what} must be under {MAX_TEXT} bytes, without NUL"
        )));
    }
    Ok(())
}

/// A signed file, and what a signer should know about it.
#[derive(Debug, Clone)]
pub struct Signed {
    pub bytes: Vec<u8>,
    /// The time-stamp's time (RFC 3339) and TSA, when one was added.
    pub time_stamp: Option<(String, String)>,
    /// Why there is no time-stamp although a TSA was asked (`--tsa-optional`
    /// and the TSA unreachable).
    pub time_stamp_skipped: Option<String>,
    /// When the signing certificate expires (RFC 3339): without a
    /// time-stamp, the file is valid only until then.
    pub certificate_expires: Option<String>,
}

/// Sign `bytes` (any format [`MediaFormat::is_readable`](crate::MediaFormat)
/// that c2pa writes) with `identity`, returning the signed file. Pictures
/// (JPEG, PNG, WebP) also get the pixel digest and the PDQ soft binding.
///
/// The result is verified before it is returned: its verdict must be
/// `trusted` against the identity's own root (or `valid` when the identity has none).
pub fn sign(
    bytes: &[u8],
    identity: &Identity,
    options: &SignOptions,
) -> Result<Vec<u8>, SignError> {
    sign_detailed(bytes, identity, options).map(|s| s.bytes)
}

#[cfg(feature = "tsa")]
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(feature = "tsa")]
fn rfc3339(unix: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(unix).unwrap_or(0))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// [`sign`], saying also whether a time-stamp was added and until when the
/// signature is valid without one.
pub fn sign_detailed(
    bytes: &[u8],
    identity: &Identity,
    options: &SignOptions,
) -> Result<Signed, SignError> {
    // Pictures have their header read too (the size limits), then every
    // pixel decoded below; other formats go to c2pa as they are.
    let format = match crate::media::identify(bytes, &options.limits)? {
        format if format.is_picture() => probe(bytes, &options.limits)?.format,
        format => format,
    };
    let mime = format.mime();
    if let Some(title) = options
        .title
        .as_ref()
        .filter(|_| !options.dangerous_unchecked_text)
    {
        check_text("the title", title)?;
    }
    for action in &options.actions {
        check_text("an action", action)?;
        if !action.contains('.') || action.chars().any(char::is_whitespace) {
            return Err(SignError::InvalidOption(format!(
                "\"{action}\" is not an action name such as c2pa.cropped"
            )));
        }
    }
    check_text("the source type", options.source_type.uri())?;

    let mut actions = vec![serde_json::json!({
        "action": if options.parent.is_some() { "c2pa.edited" } else { "c2pa.created" },
        "digitalSourceType": options.source_type.uri(),
    })];
    for action in &options.actions {
        actions.push(serde_json::json!({ "action": action }));
    }
    let mut assertions = vec![serde_json::json!(
        {"label": "c2pa.actions", "data": {"actions": actions}}
    )];
    if format.is_picture() {
        // Decoding every pixel also proves the image is whole before we vouch for it.
        let image = decode_rgba8(bytes, &options.limits)?;
        // The digest and the hash read the same pixels: compute them side by side.
        let (digest, pdq) = crate::parallel::join(|| image.digest(), || image.binding_pdq());
        assertions.push(serde_json::json!({"label": "c2pa.soft-binding", "data": {
            "alg": SOFT_BINDING_ALG,
            "name": "PDQ perceptual hash of the whole image (hex, word 15 first)",
            "blocks": [{"scope": {}, "value": pdq.hash.to_hex()}],
        }}));
        assertions.push(serde_json::json!({"label": PIXELS_ASSERTION, "data": {
            "digest": digest.to_hex(),
            "digest_alg": "hallmark pixel digest v1: BLAKE3 of LE32 width, LE32 height, RGBA8",
            "width": image.width,
            "height": image.height,
            "pdq": pdq.hash.to_hex(),
            "pdq_quality": pdq.quality,
        }}));
    }
    let mut definition = serde_json::json!({
        "claim_generator_info": [{"name": "hallmark", "version": env!("CARGO_PKG_VERSION")}],
        "format": mime,
        "assertions": assertions,
    });
    if let Some(title) = &options.title {
        definition["title"] = title.as_str().into();
    }
    // The definition first: setting it replaces any ingredient added before.
    let mut builder = Builder::default()
        .with_definition(definition.to_string())
        .map_err(c2pa_err)?;
    if let Some(parent) = &options.parent {
        let parent_format =
            crate::media::identify(parent, &options.limits).map_err(SignError::Parent)?;
        let ingredient = serde_json::json!({
            "title": options.parent_title.as_deref().unwrap_or("parent"),
            "relationship": "parentOf",
        });
        builder
            .add_ingredient_from_stream(
                ingredient.to_string(),
                parent_format.mime(),
                &mut Cursor::new(parent),
            )
            .map_err(c2pa_err)?;
        // c2pa ties a `c2pa.opened` action to the parent ingredient.
        builder.set_intent(BuilderIntent::Edit);
    }

    let signer = identity.signer();
    #[cfg(feature = "tsa")]
    let signer = match &options.tsa {
        Some(config) => signer.with_tsa(config.clone(), unix_now()),
        None => signer,
    };
    let mut output = Cursor::new(Vec::with_capacity(bytes.len() + 64 * 1024));
    let signed_result = builder.sign(&signer, mime, &mut Cursor::new(bytes), &mut output);
    #[cfg(feature = "tsa")]
    let outcome = signer.tsa_outcome();
    #[cfg(feature = "tsa")]
    if let (Err(_), Some(Err(e))) = (&signed_result, &outcome) {
        return Err(SignError::Tsa(e.clone()));
    }
    signed_result.map_err(c2pa_err)?;
    let signed = output.into_inner();
    #[cfg(feature = "tsa")]
    let (time_stamp, time_stamp_skipped) = match &outcome {
        Some(Ok(checked)) => (Some((rfc3339(checked.time), checked.tsa.clone())), None),
        Some(Err(e)) => (None, Some(format!("[{}] {e}", e.code()))),
        None => (None, None),
    };
    #[cfg(not(feature = "tsa"))]
    let (time_stamp, time_stamp_skipped): (Option<(String, String)>, Option<String>) = (None, None);

    if !options.dangerous_skip_self_check {
        #[cfg_attr(not(feature = "tsa"), allow(unused_mut))]
        let mut trust = match identity.root_pem() {
            Some(root) => TrustStore::from_pem(root.as_bytes()).unwrap_or_default(),
            None => TrustStore::empty(),
        };
        // Trusted when the identity has a root to trust (TSA anchors vouch for no signer).
        let expected = if trust.is_empty() {
            Verdict::Valid
        } else {
            Verdict::Trusted
        };
        #[cfg(feature = "tsa")]
        if let Some(config) = &options.tsa {
            trust.add_tsa_anchors_der(config.anchors.clone(), "the TSA's anchors");
        }
        let report = Verifier::new(trust)
            .with_limits(options.limits)
            .verify(&signed);
        if report.verdict != expected {
            return Err(SignError::SelfCheck {
                verdict: report.verdict,
                summary: report.summary,
            });
        }
        if time_stamp.is_some() && report.signed_at.is_none() {
            return Err(SignError::SelfCheck {
                verdict: report.verdict,
                summary: "the time-stamp in the signed file is not accepted".into(),
            });
        }
    }
    let certificate_expires = identity.expires();
    Ok(Signed {
        bytes: signed,
        time_stamp,
        time_stamp_skipped,
        certificate_expires,
    })
}
