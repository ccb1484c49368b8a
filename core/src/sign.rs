//! Signing: an image and an identity in, the same image with a C2PA manifest
//! out, verified before it is handed back.

use crate::code::Code;
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom, Write};

use c2pa::{Builder, BuilderIntent, Context};

use crate::identity::Identity;
use crate::media::{load, probe, Limits, LoadError, Loaded, MediaError, MediaFormat, Source};
use crate::output::{AtomicFile, OutputError};
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
    #[error("the input can't be read: {0}")]
    Input(String),
    #[error("{0}")]
    Output(OutputError),
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
            Self::Input(_) => Code::IoRead,
            Self::Output(e) => e.code(),
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

/// How much of a file c2pa may hold in memory while it signs (MB); the
/// rest of its intermediate copy is a temporary file.
const SIGNING_MEMORY_MB: usize = 8;

/// Audio and video over this size have their media data hashed as Merkle
/// trees: c2pa 0.90 hashes a flat range in 256 MB pieces, two at a time,
/// so verifying a large flat-hashed file holds 512 MB; a Merkle leaf is read
/// alone. Smaller files are hashed flat, as most signers do.
const MERKLE_ABOVE_BYTES: u64 = 64 << 20;
/// The size of a Merkle leaf, KB.
const MERKLE_LEAF_KB: usize = 1024;

fn check_text(what: &str, text: &str) -> Result<(), SignError> {
    if text.len() > MAX_TEXT || text.contains('\0') {
        return Err(SignError::InvalidOption(format!(
            "{what} must be under {MAX_TEXT} bytes, without NUL"
        )));
    }
    Ok(())
}

/// What a signer should know about a file signed by [`sign_file`].
#[derive(Debug, Clone)]
pub struct Signed {
    /// The signed file's size in bytes.
    pub size: u64,
    /// Why no pixel digest or PDQ soft binding was recorded, when none was.
    pub no_pixels: Option<String>,
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
    sign_in_memory(bytes, identity, options).map(|(signed, ..)| signed)
}

/// What signing records of a picture's pixels: the pixel digest and the PDQ
/// soft binding, and the size. The decoded pixels are dropped once these
/// are taken, before the file is signed.
#[derive(Debug, Clone, Copy)]
struct PixelFacts {
    digest: crate::pixels::PixelDigest,
    pdq: crate::pdq::Pdq,
    width: u32,
    height: u32,
}

impl PixelFacts {
    fn of(image: &crate::pixels::DecodedImage) -> Self {
        // The digest and the hash read the same pixels: side by side.
        let (digest, pdq) = crate::parallel::join(|| image.digest(), || image.binding_pdq());
        Self {
            digest,
            pdq,
            width: image.width,
            height: image.height,
        }
    }
}

/// Sign and verify `bytes` in memory: the signed file, its time-stamp and
/// the format it was signed as.
fn sign_in_memory(
    bytes: &[u8],
    identity: &Identity,
    options: &SignOptions,
) -> Result<(Vec<u8>, Stamp, SignedAs, VideoFrames), SignError> {
    let source = Source::Bytes(bytes);
    let format = format_of(source, &options.limits)?;
    let video = video_frames(source, format.0, options);
    let mut output = Cursor::new(Vec::with_capacity(bytes.len() + 64 * 1024));
    let stamp = sign_into(source, format, &video, &mut output, identity, options, None)?;
    let signed = output.into_inner();
    self_check(Source::Bytes(&signed), identity, options, &stamp)?;
    Ok((signed, stamp, format, video))
}

/// [`sign`] an open file into `dest`, a new [`AtomicFile`] that the caller
/// commits. Audio and video are read and written in place, never held whole,
/// and verified as read back from the disk; anything else is read, signed
/// and verified in memory under the limits, then written (and read back at
/// commit). On error, nothing is to be committed.
pub fn sign_file(
    input: &File,
    dest: &mut AtomicFile,
    identity: &Identity,
    options: &SignOptions,
) -> Result<Signed, SignError> {
    let loaded = load(input, &options.limits).map_err(|e| match e {
        LoadError::Media(e) => SignError::Media(e),
        LoadError::Input(e) => SignError::Input(e.to_string()),
    })?;
    let (size, stamp, format, video) = match &loaded {
        Loaded::Bytes(bytes) => {
            let (signed, stamp, format, video) = sign_in_memory(bytes, identity, options)?;
            dest.write_all(&signed)
                .map_err(|e| SignError::Output(dest.error(e)))?;
            (signed.len() as u64, stamp, format, video)
        }
        Loaded::Streamed { len, .. } => {
            let source = loaded.source(input);
            let format = format_of(source, &options.limits)?;
            let path = dest.path().to_path_buf();
            let file = dest.file_mut().map_err(|source| {
                SignError::Output(OutputError::Io {
                    path: path.clone(),
                    source,
                })
            })?;
            let video = video_frames(source, format.0, options);
            let mut streamed = |merkle| {
                sign_streamed(
                    source, format, &video, file, &path, identity, options, merkle,
                )
            };
            let (size, stamp) = match streamed(*len > MERKLE_ABOVE_BYTES) {
                // c2pa 0.90 writes Merkle trees that don't verify when a later
                // `mdat` box has a 64-bit size: hash such a file flat (c2pa
                // then holds up to 512 MB of it at a time).
                Err(SignError::SelfCheck {
                    verdict: Verdict::Tampered,
                    ..
                }) if *len > MERKLE_ABOVE_BYTES => streamed(false)?,
                other => other?,
            };
            (size, stamp, format, video)
        }
    };
    Ok(Signed {
        size,
        no_pixels: no_pixels_why(format, &video),
        time_stamp: stamp.time_stamp,
        time_stamp_skipped: stamp.time_stamp_skipped,
        certificate_expires: identity.expires(),
    })
}

/// Sign `source` into `file` (emptied first) and verify it from the disk;
/// with `merkle`, the media data (`mdat`) is hashed as Merkle trees of
/// [`MERKLE_LEAF_KB`] leaves, which c2pa reads a leaf at a time.
#[allow(clippy::too_many_arguments)]
fn sign_streamed(
    source: Source<'_>,
    format: (MediaFormat, bool),
    video: &VideoFrames,
    file: &mut File,
    path: &std::path::Path,
    identity: &Identity,
    options: &SignOptions,
    merkle: bool,
) -> Result<(u64, Stamp), SignError> {
    let output_error = |source| {
        SignError::Output(OutputError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    file.set_len(0).map_err(output_error)?;
    file.rewind().map_err(output_error)?;
    let mut recording = Recording { file, error: None };
    let merkle_kb = merkle.then_some(MERKLE_LEAF_KB);
    let signed = sign_into(
        source,
        format,
        video,
        &mut recording,
        identity,
        options,
        merkle_kb,
    );
    if let (Err(_), Some(e)) = (&signed, recording.error.take()) {
        // c2pa's message names the format, not why: the write failed.
        return Err(output_error(e));
    }
    let stamp = signed?;
    let file = recording.file;
    file.flush().map_err(output_error)?;
    let size = file.seek(SeekFrom::End(0)).map_err(output_error)?;
    self_check(Source::File { file, len: size }, identity, options, &stamp)?;
    Ok((size, stamp))
}

/// A file that remembers the first error of a write, read or seek through it.
struct Recording<'a> {
    file: &'a mut File,
    error: Option<std::io::Error>,
}

impl Recording<'_> {
    fn note<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result {
            if self.error.is_none() {
                self.error = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        }
        result
    }
}

impl Read for Recording<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let result = self.file.read(buf);
        self.note(result)
    }
}

impl Write for Recording<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.file.write(buf);
        self.note(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.file.flush();
        self.note(result)
    }
}

impl Seek for Recording<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let result = self.file.seek(pos);
        self.note(result)
    }
}

/// The format a file was signed as, and whether its pixels were decoded.
type SignedAs = (MediaFormat, bool);

/// What signing added: the time-stamp, or why there is none.
struct Stamp {
    time_stamp: Option<(String, String)>,
    time_stamp_skipped: Option<String>,
}

/// Why a file of this format (and whether its pixels are decoded) gets no
/// pixel digest or PDQ soft binding; `None` when it gets both, or a video
/// its frames' hashes.
fn no_pixels_why((format, pixels): (MediaFormat, bool), video: &VideoFrames) -> Option<String> {
    let mime = format.mime();
    Some(match (format, video) {
        _ if pixels => return None,
        (_, VideoFrames::Hashed(_)) => return None,
        (_, VideoFrames::Unhashed(why)) => format!("{mime}: no frame hashes: {why}"),
        (format, _) if format.is_streamed() => {
            format!("{mime}: audio has no pictures to hash")
        }
        (MediaFormat::Tiff, _) => format!("{mime}: a raw (DNG) or multi-page TIFF, whose pixels Hallmark doesn't decode"),
        (MediaFormat::Avif | MediaFormat::Heic | MediaFormat::Heif, _) => format!(
            "{mime}: no decoder with a licence Hallmark allows builds against this system's libraries (the README's Formats)"
        ),
        _ => format!("{mime}: Hallmark decodes no pixels of this format"),
    })
}

/// A video's frame hashes for its soft binding, or why it has none.
enum VideoFrames {
    /// Not a video.
    NotVideo,
    #[cfg_attr(not(feature = "video"), allow(dead_code))]
    Hashed(crate::vpdq::VideoHash),
    Unhashed(String),
}

/// Hash a video's frames, one a second, for its soft binding. A video whose
/// frames don't decode (a codec FFmpeg lacks, a damaged stream) is still
/// signed, without them: its bytes are what the hard binding covers.
fn video_frames(source: Source<'_>, format: MediaFormat, options: &SignOptions) -> VideoFrames {
    if !matches!(
        format,
        MediaFormat::Mp4 | MediaFormat::Mov | MediaFormat::Avi
    ) {
        return VideoFrames::NotVideo;
    }
    #[cfg(feature = "video")]
    {
        let video = crate::vpdq::VideoOptions {
            seconds_per_hash: crate::vpdq::SIGNED_SECONDS_PER_HASH,
            threads: 0,
        };
        match crate::vpdq::decode::hash_video(source, format, &options.limits, &video) {
            Ok((_, hash)) if hash.is_empty() => VideoFrames::Unhashed("no frame decodes".into()),
            Ok((_, hash)) => VideoFrames::Hashed(hash),
            Err(e) => VideoFrames::Unhashed(format!("[{}] {e}", e.code())),
        }
    }
    #[cfg(not(feature = "video"))]
    {
        let _ = (source, options);
        VideoFrames::Unhashed("this build decodes no video (feature `video`)".into())
    }
}

/// The format to sign as, and whether its pixels are decoded (for the pixel
/// digest and PDQ). A picture's header is read too (the size limits), then
/// every pixel decoded by [`sign_into`]; other formats, and pictures whose
/// pixels Hallmark doesn't decode (a raw or multi-page TIFF), go to c2pa as
/// they are.
fn format_of(source: Source<'_>, limits: &Limits) -> Result<(MediaFormat, bool), SignError> {
    if let Some(format) = source
        .bytes()
        .and_then(MediaFormat::sniff)
        .filter(|f| !f.is_signable())
    {
        return Err(MediaError::Unsupported {
            format: format.mime(),
            why: "read, never signed: c2pa writes no Content Credentials into this format",
        }
        .into());
    }
    Ok(match source {
        Source::Bytes(bytes) => match crate::media::identify(bytes, limits)? {
            format if format.is_picture() => match probe(bytes, limits) {
                Ok(probe) => (probe.format, true),
                Err(MediaError::Unsupported { .. }) => (format, false),
                Err(e) => return Err(e.into()),
            },
            format => (format, false),
        },
        Source::File { .. } => (crate::media::identify_source(source, limits)?, false),
    })
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

/// Sign `source` (of `format`) into `dest`, at its start.
#[allow(clippy::too_many_arguments)]
fn sign_into<D>(
    source: Source<'_>,
    (format, pixels): (MediaFormat, bool),
    video: &VideoFrames,
    dest: &mut D,
    identity: &Identity,
    options: &SignOptions,
    merkle_kb: Option<usize>,
) -> Result<Stamp, SignError>
where
    D: Read + Write + Seek + Send,
{
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
    // The pixels recorded are decoded from the very bytes signed (never from
    // another read of the file, which could have changed in between); the
    // decoded image is dropped before signing. Decoding every pixel also
    // proves the image is whole before we vouch for it.
    let facts = match (pixels, source.bytes()) {
        (true, Some(bytes)) => Some(PixelFacts::of(&decode_rgba8(bytes, &options.limits)?)),
        _ => None,
    };
    if let Some(PixelFacts {
        digest,
        pdq,
        width,
        height,
    }) = facts
    {
        assertions.push(serde_json::json!({"label": "c2pa.soft-binding", "data": {
            "alg": SOFT_BINDING_ALG,
            "name": "PDQ perceptual hash of the whole image (hex, word 15 first)",
            "blocks": [{"scope": {}, "value": pdq.hash.to_hex()}],
        }}));
        assertions.push(serde_json::json!({"label": PIXELS_ASSERTION, "data": {
            "digest": digest.to_hex(),
            "digest_alg": "hallmark pixel digest v1: BLAKE3 of LE32 width, LE32 height, RGBA8",
            "width": width,
            "height": height,
            "pdq": pdq.hash.to_hex(),
            "pdq_quality": pdq.quality,
        }}));
    }
    if let VideoFrames::Hashed(hash) = video {
        assertions.push(serde_json::json!({"label": "c2pa.soft-binding",
            "data": crate::vpdq::soft_binding(hash, crate::vpdq::SIGNED_SECONDS_PER_HASH)}));
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
    // c2pa copies the file through an intermediate that it keeps in memory
    // up to a threshold (512 MB by default), on disk beyond.
    let context = Context::new()
        .with_settings(serde_json::json!({
            "core": {
                "backing_store_memory_threshold_in_mb": SIGNING_MEMORY_MB,
                "merkle_tree_chunk_size_in_kb": merkle_kb,
            },
        }))
        .map_err(c2pa_err)?;
    let mut builder = Builder::from_context(context)
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
    let mut input = source
        .stream()
        .map_err(|e| SignError::Input(e.to_string()))?;
    let signed_result = builder.sign(&signer, mime, &mut input, dest);
    #[cfg(feature = "tsa")]
    let outcome = signer.tsa_outcome();
    #[cfg(feature = "tsa")]
    if let (Err(_), Some(Err(e))) = (&signed_result, &outcome) {
        return Err(SignError::Tsa(e.clone()));
    }
    signed_result.map_err(c2pa_err)?;
    #[cfg(feature = "tsa")]
    let (time_stamp, time_stamp_skipped) = match &outcome {
        Some(Ok(checked)) => (Some((rfc3339(checked.time), checked.tsa.clone())), None),
        Some(Err(e)) => (None, Some(format!("[{}] {e}", e.code()))),
        None => (None, None),
    };
    #[cfg(not(feature = "tsa"))]
    let (time_stamp, time_stamp_skipped): (Option<(String, String)>, Option<String>) = (None, None);
    Ok(Stamp {
        time_stamp,
        time_stamp_skipped,
    })
}

/// Verify what was signed: its verdict must be `trusted` against the
/// identity's own root (`valid` when it has none), with the time-stamp
/// accepted when one was added.
fn self_check(
    signed: Source<'_>,
    identity: &Identity,
    options: &SignOptions,
    stamp: &Stamp,
) -> Result<(), SignError> {
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
            .verify_source(signed);
        if report.verdict != expected {
            return Err(SignError::SelfCheck {
                verdict: report.verdict,
                summary: report.summary,
            });
        }
        if stamp.time_stamp.is_some() && report.signed_at.is_none() {
            return Err(SignError::SelfCheck {
                verdict: report.verdict,
                summary: "the time-stamp in the signed file is not accepted".into(),
            });
        }
    }
    Ok(())
}
