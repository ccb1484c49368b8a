//! One input of `hash`, `compare` or `match`, read and hashed by what it is:
//! a picture (decoded), a video (its vPDQ hash, feature `video`), or a vPDQ
//! hash file in the reference's text format. The CLI and the feed ask this
//! one function, so every command tells them apart the same way.

use std::path::Path;

use super::{parse_text, TextError, VideoHash, VideoInfo, VideoOptions, VpdqFrame};
use crate::code::Code;
use crate::input::{open_input, InputError};
use crate::media::{load, Limits, LoadError, Loaded, MediaError};
use crate::pixels::{decode_rgba8, DecodedImage};

/// What an input turned out to be, hashed.
#[derive(Debug)]
pub enum Hashed {
    /// A still picture, decoded (its PDQ hashes are the caller's to take:
    /// one, or the eight turns).
    Image(DecodedImage),
    /// A video, decoded and hashed.
    Video { info: VideoInfo, hash: VideoHash },
    /// A vPDQ hash file.
    HashFile(VideoHash),
}

impl Hashed {
    /// The input as a video hash: a picture is a one-frame video at 0 s.
    pub fn video_hash(&self) -> VideoHash {
        match self {
            Self::Image(image) => {
                let pdq = image.pdq();
                VideoHash::new(vec![VpdqFrame {
                    frame: 0,
                    time: 0.0,
                    pdq: pdq.hash,
                    quality: pdq.quality,
                }])
            }
            Self::Video { hash, .. } | Self::HashFile(hash) => hash.clone(),
        }
    }

    /// `image`, `video` or `vpdq` (a hash file).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Image(_) => "image",
            Self::Video { .. } => "video",
            Self::HashFile(_) => "vpdq",
        }
    }
}

/// Why an input could not be hashed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashedError {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("{0}")]
    Media(#[from] MediaError),
    #[error("not a vPDQ hash file: {0}")]
    Text(#[from] TextError),
}

impl HashedError {
    pub fn code(&self) -> Code {
        match self {
            Self::Input(e) => e.code(),
            Self::Media(e) => e.code(),
            Self::Text(e) => e.code(),
        }
    }
}

impl From<LoadError> for HashedError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Input(e) => Self::Input(e),
            LoadError::Media(e) => Self::Media(e),
        }
    }
}

/// Read the file at `path` and hash it by what it is. Audio, and video in
/// a build without the `video` feature, are `format.unsupported`.
pub fn read_hashed(
    path: &Path,
    limits: &Limits,
    options: &VideoOptions,
) -> Result<Hashed, HashedError> {
    let file = open_input(path)?;
    // A colour JPEG is decoded in place, never held whole.
    if let Some(image) = crate::pixels::decode_jpeg_file(&file, limits)? {
        return Ok(Hashed::Image(image));
    }
    match load(&file, limits)? {
        Loaded::Bytes(bytes) => {
            if super::looks_like_text(&bytes) {
                let text = std::str::from_utf8(&bytes).map_err(|e| TextError::Line {
                    line: 1 + bytes[..e.valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count(),
                    why: "not UTF-8 text".into(),
                })?;
                return Ok(Hashed::HashFile(parse_text(text)?));
            }
            Ok(Hashed::Image(decode_rgba8(&bytes, limits)?))
        }
        Loaded::Streamed { format, len } => video(&file, len, format, limits, options),
    }
}

fn video(
    file: &std::fs::File,
    len: u64,
    format: crate::media::MediaFormat,
    limits: &Limits,
    options: &VideoOptions,
) -> Result<Hashed, HashedError> {
    let source = crate::media::Source::File { file, len };
    let (info, hash) = hash_source(source, format, limits, options)?;
    Ok(Hashed::Video { info, hash })
}

/// Decode and hash a video from any source: the one way every part of the
/// library (hash, feeds, the registry, recovery) hashes a video. Without the
/// `video` feature, `format.unsupported`.
#[cfg(feature = "video")]
pub(crate) fn hash_source(
    source: crate::media::Source<'_>,
    format: crate::media::MediaFormat,
    limits: &Limits,
    options: &VideoOptions,
) -> Result<(VideoInfo, super::VideoHash), MediaError> {
    super::decode::hash_video(source, format, limits, options)
}

#[cfg(not(feature = "video"))]
pub(crate) fn hash_source(
    _source: crate::media::Source<'_>,
    format: crate::media::MediaFormat,
    _limits: &Limits,
    _options: &VideoOptions,
) -> Result<(VideoInfo, super::VideoHash), MediaError> {
    Err(MediaError::Unsupported {
        format: format.mime(),
        why: "this build decodes no video (built without the `video` feature)",
    })
}
