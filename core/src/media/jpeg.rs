//! A JPEG's headers read by zune-jpeg, the decoder `image` uses, in place.

use super::{MediaError, MediaFormat};

/// zune-jpeg's error as a [`MediaError`], worded as `image` words it
/// (`ImageError::from_jpeg`): the same message whichever of the two decoded.
pub(crate) fn jpeg_error(e: zune_jpeg::errors::DecodeErrors) -> MediaError {
    use image::error::{
        DecodingError, ImageFormatHint, LimitError, LimitErrorKind, UnsupportedError,
        UnsupportedErrorKind,
    };
    use zune_jpeg::errors::DecodeErrors;
    let jpeg = || ImageFormatHint::Exact(image::ImageFormat::Jpeg);
    let e = match e {
        DecodeErrors::Unsupported(desc) => {
            image::ImageError::Unsupported(UnsupportedError::from_format_and_kind(
                jpeg(),
                UnsupportedErrorKind::GenericFeature(format!("{desc:?}")),
            ))
        }
        DecodeErrors::LargeDimensions(_) => {
            image::ImageError::Limits(LimitError::from_kind(LimitErrorKind::DimensionError))
        }
        e => image::ImageError::Decoding(DecodingError::new(jpeg(), e)),
    };
    MediaError::Malformed {
        format: MediaFormat::Jpeg.mime(),
        detail: e.to_string().trim_end().to_string(),
    }
}

/// The options `image` reads a JPEG's headers with: without zune's own size
/// limits, so that a size over ours is `limits.dimensions`, not a decoding
/// error.
pub(crate) fn jpeg_header_options() -> zune_core::options::DecoderOptions {
    zune_core::options::DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX)
}

/// A JPEG's width and height from its headers, read in place, as `image`'s
/// `into_dimensions` reads them (which first copies the whole file: 3 MB for
/// a 12 MP photo, on every verify).
pub(crate) fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let mut headers = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        jpeg_header_options(),
    );
    headers.decode_headers().map_err(jpeg_error)?;
    let (width, height) = headers.dimensions().ok_or_else(|| MediaError::Malformed {
        format: MediaFormat::Jpeg.mime(),
        detail: "no frame header".into(),
    })?;
    // A JPEG's sides are 16-bit.
    Ok((
        u32::try_from(width).unwrap_or(u32::MAX),
        u32::try_from(height).unwrap_or(u32::MAX),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// What `image` says of the same bytes (what `probe` used before).
    fn image_says(bytes: &[u8]) -> Result<(u32, u32), String> {
        image::ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::Jpeg)
            .into_dimensions()
            .map_err(|e| e.to_string().trim_end().to_string())
    }

    fn ours(bytes: &[u8]) -> Result<(u32, u32), String> {
        jpeg_dimensions(bytes).map_err(|e| match e {
            MediaError::Malformed { detail, .. } => detail,
            other => panic!("not a malformed error: {other}"),
        })
    }

    #[test]
    fn dimensions_and_errors_are_images() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut paths = Vec::new();
        for dir in [
            "fixtures/images",
            "fixtures/signed",
            "fixtures/attacks",
            "../shared/corpus/c2pa-rs",
        ] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                paths.push(entry.unwrap().path());
            }
        }
        let mut jpegs = 0;
        for path in paths {
            if path.is_dir() {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            if !bytes.starts_with(b"\xFF\xD8\xFF") {
                continue;
            }
            jpegs += 1;
            assert_eq!(ours(&bytes), image_says(&bytes), "{}", path.display());
            // Cut short at every few bytes of its headers: the same answer.
            for cut in (2..bytes.len().min(700)).step_by(37) {
                assert_eq!(
                    ours(&bytes[..cut]),
                    image_says(&bytes[..cut]),
                    "{} cut at {cut}",
                    path.display()
                );
            }
        }
        assert!(jpegs >= 15, "{jpegs} JPEGs");
        for junk in [
            &b"\xFF\xD8"[..],
            b"\xFF\xD8\xFF\xC0\x00\x02",
            b"\xFF\xD8\xFF\xC0\x00\x11\x08\x00\x00\x00\x10\x03",
        ] {
            assert_eq!(ours(junk), image_says(junk), "{junk:?}");
            assert!(ours(junk).is_err());
        }
    }
}
