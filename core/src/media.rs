//! What kind of media a byte string is, and whether it is within the limits we
//! are willing to process. Formats are sniffed from content, never from names.

use crate::code::Code;
use std::io::Cursor;

/// The media formats Hallmark signs and verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaFormat {
    Jpeg,
    Png,
    Webp,
}

impl MediaFormat {
    /// Recognise a format from the first bytes of a file.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    /// The IANA media type, as C2PA and the report use it.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::Webp => image::ImageFormat::WebP,
        }
    }
}

/// Bounds on what an input may make us do. Checked before pixels are allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Largest width or height, in pixels.
    pub max_dimension: u32,
    /// Largest width × height.
    pub max_pixels: u64,
}

impl Default for Limits {
    /// 512 MiB files, 65,535 px a side, 100 megapixels.
    fn default() -> Self {
        Self {
            max_file_bytes: 512 * 1024 * 1024,
            max_dimension: 65_535,
            max_pixels: 100_000_000,
        }
    }
}

/// What a header read tells about an image, without decoding its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub format: MediaFormat,
    pub width: u32,
    pub height: u32,
}

/// Why bytes were not accepted as media.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error("not a JPEG, PNG or WebP image (unrecognised content)")]
    Unrecognized,
    #[error("the file is {size} bytes, over the limit of {max} bytes")]
    FileTooLarge { size: u64, max: u64 },
    #[error("not a readable {format} image: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
    #[error("the image claims {width}×{height} pixels, over the limit ({max_dimension} px a side, {max_pixels} pixels)")]
    TooLarge {
        width: u32,
        height: u32,
        max_dimension: u32,
        max_pixels: u64,
    },
}

impl MediaError {
    /// A stable machine-readable code.
    pub fn code(&self) -> Code {
        match self {
            Self::Empty => Code::InputEmpty,
            Self::Unrecognized => Code::FormatUnrecognized,
            Self::FileTooLarge { .. } => Code::LimitsFileSize,
            Self::Malformed { .. } => Code::FormatMalformed,
            Self::TooLarge { .. } => Code::LimitsDimensions,
        }
    }
}

/// Whether a JPEG's marker structure runs from SOI to EOI: walks the
/// segments and the entropy-coded scans, so a file cut short (which lenient
/// decoders silently pad with grey) is caught.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        // Find the next marker (skipping fill bytes).
        while i < bytes.len() && bytes[i] != 0xFF {
            i += 1;
        }
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => continue,
            _ => {
                let Some(len) = bytes
                    .get(i..i + 2)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                else {
                    return false;
                };
                if len < 2 || i + len > bytes.len() {
                    return false;
                }
                i += len;
                if marker == 0xDA {
                    // Entropy-coded data: runs to the next marker that is not
                    // a stuffed 0xFF00 or a restart marker.
                    loop {
                        match bytes.get(i..i + 2) {
                            None => return false,
                            Some([0xFF, next])
                                if *next != 0x00 && !(0xD0..=0xD7).contains(next) =>
                            {
                                break
                            }
                            _ => i += 1,
                        }
                    }
                }
            }
        }
    }
}

fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<(), MediaError> {
    if width > limits.max_dimension
        || height > limits.max_dimension
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(MediaError::TooLarge {
            width,
            height,
            max_dimension: limits.max_dimension,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

/// Width and height from a PNG's first chunk, when it is a well-formed IHDR.
fn png_ihdr_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let ihdr = bytes.get(8..24)?;
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || ihdr[..8] != *b"\0\0\0\x0dIHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&ihdr[8..12]), be(&ihdr[12..16])))
}

/// Sniff the format and read the image header, checking it against `limits`.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(MediaError::FileTooLarge {
            size,
            max: limits.max_file_bytes,
        });
    }
    let format = MediaFormat::sniff(bytes).ok_or(MediaError::Unrecognized)?;
    // A PNG's size is checked from its IHDR before the decoder sees it: some
    // decoders size buffers from the header at once, which overflows a
    // 32-bit usize (wasm32) and would hide a dimension bomb as "malformed".
    if let Some((width, height)) = png_ihdr_dimensions(bytes) {
        check_dimensions(width, height, limits)?;
    }
    let reader = image::ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| MediaError::Malformed {
            format: format.mime(),
            detail: e.to_string().trim_end().to_string(),
        })?;
    if width == 0 || height == 0 {
        return Err(MediaError::Malformed {
            format: format.mime(),
            detail: "zero width or height".into(),
        });
    }
    check_dimensions(width, height, limits)?;
    Ok(Probe {
        format,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(
            MediaFormat::sniff(b"\xFF\xD8\xFF\xE0"),
            Some(MediaFormat::Jpeg)
        );
        assert_eq!(
            MediaFormat::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(MediaFormat::Png)
        );
        assert_eq!(
            MediaFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(MediaFormat::Webp)
        );
        assert_eq!(MediaFormat::sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(MediaFormat::sniff(b"GIF89a"), None);
    }

    #[test]
    fn truncated_jpeg_is_incomplete() {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
            .encode(
                &[128u8; 16 * 16 * 3],
                16,
                16,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        assert!(jpeg_is_complete(&jpeg));
        for cut in [jpeg.len() - 1, jpeg.len() - 2, jpeg.len() / 2, 3] {
            assert!(!jpeg_is_complete(&jpeg[..cut]), "cut at {cut}");
        }
        let mut trailing = jpeg.clone();
        trailing.extend_from_slice(b"trailing data after EOI");
        assert!(jpeg_is_complete(&trailing));
    }

    #[test]
    fn empty_and_random_bytes_are_rejected_with_codes() {
        let limits = Limits::default();
        assert_eq!(
            probe(b"", &limits).map_err(|e| e.code()),
            Err(Code::InputEmpty)
        );
        assert_eq!(
            probe(b"not an image at all", &limits).map_err(|e| e.code()),
            Err(Code::FormatUnrecognized)
        );
        assert_eq!(
            probe(b"\xFF\xD8\xFF", &limits).map_err(|e| e.code()),
            Err(Code::FormatMalformed)
        );
    }

    #[test]
    fn a_png_dimension_bomb_is_refused_from_its_ihdr() {
        // IHDR claiming 70,000 × 1 (over the side limit), with no valid CRC or data after it.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&70_000u32.to_be_bytes());
        png.extend_from_slice(&1u32.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            probe(&png, &Limits::default()).map_err(|e| e.code()),
            Err(Code::LimitsDimensions)
        );
        assert_eq!(png_ihdr_dimensions(&png), Some((70_000, 1)));
        assert_eq!(
            png_ihdr_dimensions(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDX........"),
            None
        );
    }
}
