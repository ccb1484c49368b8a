//! Thumbnails for reports: a small JPEG from a reduced-scale decode, under
//! the same limits as every decode.

use crate::media::{probe, Limits, MediaError, MediaFormat};

use super::decode_rgba8;
use super::scaled::decode_jpeg_scaled;

/// Longest side of a thumbnail that [`thumbnail`] is allowed to make.
pub const MAX_THUMBNAIL_SIDE: u32 = 1024;

/// A small JPEG preview of an image, at most `max_side` pixels on its longest
/// side (clamped to 16..=[`MAX_THUMBNAIL_SIDE`]); never larger than the image.
/// JPEG is decoded at reduced scale, so a 12 MP photo costs a few
/// milliseconds; other formats are decoded fully under `limits`.
pub fn thumbnail(bytes: &[u8], limits: &Limits, max_side: u32) -> Result<Vec<u8>, MediaError> {
    let max_side = max_side.clamp(16, MAX_THUMBNAIL_SIDE);
    let media = probe(bytes, limits)?;
    let encode_failed = |e: image::ImageError| MediaError::Malformed {
        format: media.format.mime(),
        detail: format!("can't make a thumbnail: {e}"),
    };
    let rgb: image::RgbImage = if media.format == MediaFormat::Jpeg {
        let target = u16::try_from(max_side).unwrap_or(u16::MAX);
        let scaled = decode_jpeg_scaled(bytes, limits, |w, h| w.max(h) >= target)?;
        let (w, h) = (
            u32::try_from(scaled.cols).unwrap_or(u32::MAX),
            u32::try_from(scaled.rows).unwrap_or(u32::MAX),
        );
        let pixels = match scaled.channels {
            1 => scaled.pixels.iter().flat_map(|&v| [v, v, v]).collect(),
            _ => scaled.pixels,
        };
        image::RgbImage::from_raw(w, h, pixels).ok_or_else(|| MediaError::Malformed {
            format: media.format.mime(),
            detail: "decoded fewer pixels than the header promised".into(),
        })?
    } else {
        let image = decode_rgba8(bytes, limits)?;
        let (w, h) = (image.width, image.height);
        let rgba = match image.channels {
            3 => image::DynamicImage::ImageRgb8(
                image::RgbImage::from_raw(w, h, image.pixels).unwrap_or_default(),
            ),
            _ => image::DynamicImage::ImageRgba8(
                image::RgbaImage::from_raw(w, h, image.pixels).unwrap_or_default(),
            ),
        };
        rgba.to_rgb8()
    };
    let (w, h) = rgb.dimensions();
    let scale = f64::from(max_side) / f64::from(w.max(h).max(1));
    let rgb = if scale < 1.0 {
        let tw = ((f64::from(w) * scale).round() as u32).max(1);
        let th = ((f64::from(h) * scale).round() as u32).max(1);
        image::imageops::thumbnail(&rgb, tw, th)
    } else {
        rgb
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75)
        .encode_image(&rgb)
        .map_err(encode_failed)?;
    Ok(out)
}
