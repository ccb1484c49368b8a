//! Pixels: decoding under limits, the pixel digest, and perceptual hashes of
//! files (with a fast path that decodes JPEG at reduced scale).
//!
//! # Pixel digest (v1), exactly
//!
//! `BLAKE3-derive-key("hallmark 2026 pixel digest v1", LE32(width) ‖ LE32(height) ‖ RGBA8)`
//! where RGBA8 is the decoded image in row-major order, 4 bytes a pixel, as
//! the `image` crate's `to_rgba8()` gives it: greyscale replicated into R, G
//! and B, alpha 255 where the image has none, 16-bit samples scaled to 8 bit,
//! palettes expanded, no colour management and no EXIF rotation. Two files
//! with the same digest show exactly the same pixels, whatever their container.

use std::io::Cursor;

use crate::media::{probe, Limits, MediaError, MediaFormat};
use crate::pdq::{self, Pdq, PdqHash};

const DIGEST_CONTEXT: &str = "hallmark 2026 pixel digest v1";

/// The soft-binding algorithm name Hallmark writes (our namespace: PDQ is not
/// on the C2PA soft-binding list). Value: the PDQ hash in the reference's hex form.
pub const SOFT_BINDING_ALG: &str = "org.hallmark.pdq";
/// The label of Hallmark's assertion carrying the pixel digest.
pub const PIXELS_ASSERTION: &str = "org.hallmark.pixels";

/// BLAKE3 of canonical RGBA8 pixels and dimensions (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PixelDigest(pub [u8; 32]);

/// As hex text, the form the CLI prints.
impl serde::Serialize for PixelDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl PixelDigest {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// Compare in constant time.
    pub fn ct_eq(&self, other: &Self) -> bool {
        blake3::Hash::from(self.0) == blake3::Hash::from(other.0)
    }
}

impl std::fmt::Debug for PixelDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PixelDigest({})", self.to_hex())
    }
}

/// A decoded image, row-major 8-bit: RGB (`channels == 3`, as most JPEGs
/// decode, kept to avoid a copy) or canonical RGBA (`channels == 4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    pub width: u32,
    pub height: u32,
    pub channels: usize,
    pub pixels: Vec<u8>,
}

impl DecodedImage {
    /// The pixel digest (module docs): always over canonical RGBA8.
    pub fn digest(&self) -> PixelDigest {
        let mut hasher = blake3::Hasher::new_derive_key(DIGEST_CONTEXT);
        hasher.update(&self.width.to_le_bytes());
        hasher.update(&self.height.to_le_bytes());
        if self.channels == 4 {
            hasher.update(&self.pixels);
        } else {
            let mut rgba = Vec::with_capacity(16 * 1024 * 4);
            for chunk in self.pixels.chunks(16 * 1024 * 3) {
                rgba.clear();
                for p in chunk.chunks_exact(3) {
                    rgba.extend_from_slice(&[p[0], p[1], p[2], 255]);
                }
                hasher.update(&rgba);
            }
        }
        PixelDigest(*hasher.finalize().as_bytes())
    }

    /// The PDQ hash of these pixels (alpha ignored, as the reference's RGB conversion does).
    pub fn pdq(&self) -> Pdq {
        let mut luma = pdq::luma_from_rgb8(&self.pixels, self.channels);
        pdq::hash_luma(&mut luma, self.height as usize, self.width as usize)
    }

    /// The PDQ hash Hallmark records at signing and compares at verification.
    /// Images whose short side exceeds 1024 px are first box-averaged by the
    /// integer factor that keeps it at least 512 px (as a scaled JPEG decode
    /// would); smaller images are hashed exactly as [`DecodedImage::pdq`] does.
    /// Measured against the full hash: a few bits (see `core/tests/pdq_corpus.rs`).
    pub fn binding_pdq(&self) -> Pdq {
        let (w, h) = (self.width as usize, self.height as usize);
        let factor = w.min(h) / 512;
        if w.min(h) <= 1024 || factor < 2 {
            return self.pdq();
        }
        // Luma is made a row at a time and box-summed at once (no full-size
        // luma buffer): the same values, summed in the same order, as
        // `luma_from_rgb8` followed by a box filter.
        let channels = self.channels.max(3);
        let (sw, sh) = (w / factor, h / factor);
        let mut small = vec![0f32; sw * sh];
        let scale = 1.0 / (factor * factor) as f32;
        let band = sh.div_ceil(crate::parallel::workers(w * h)).max(1);
        let jobs: Vec<_> = small.chunks_mut(band * sw).enumerate().collect();
        crate::parallel::for_each(jobs, |(band_index, out)| {
            let mut luma = vec![0f32; sw * factor];
            for (i, row) in out.chunks_exact_mut(sw).enumerate() {
                let sy = band_index * band + i;
                for y in sy * factor..(sy + 1) * factor {
                    let start = y * w * channels;
                    let src = &self.pixels[start..start + sw * factor * channels];
                    pdq::luma_row(src, channels, &mut luma);
                    for (out, block) in row.iter_mut().zip(luma.chunks_exact(factor)) {
                        *out += block.iter().sum::<f32>();
                    }
                }
                for v in row.iter_mut() {
                    *v *= scale;
                }
            }
        });
        pdq::hash_luma(&mut small, sh, sw)
    }

    pub fn pdq_dihedral(&self) -> pdq::Dihedral {
        let mut luma = pdq::luma_from_rgb8(&self.pixels, self.channels);
        pdq::dihedral_luma(&mut luma, self.height as usize, self.width as usize)
    }
}

fn image_format(format: MediaFormat) -> image::ImageFormat {
    match format {
        MediaFormat::Jpeg => image::ImageFormat::Jpeg,
        MediaFormat::Png => image::ImageFormat::Png,
        MediaFormat::Webp => image::ImageFormat::WebP,
    }
}

fn decode_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_dimension);
    l.max_image_height = Some(limits.max_dimension);
    // Room for the decoded image at 16 bits a channel, plus the RGBA8 copy.
    l.max_alloc = Some(limits.max_pixels.saturating_mul(8 + 4));
    l
}

/// Decode the whole image under `limits` (dimensions are checked from the
/// header before any pixel is allocated).
pub fn decode_rgba8(bytes: &[u8], limits: &Limits) -> Result<DecodedImage, MediaError> {
    let media = probe(bytes, limits)?;
    if media.format == MediaFormat::Jpeg && !crate::media::jpeg_is_complete(bytes) {
        return Err(MediaError::Malformed {
            format: media.format.mime(),
            detail: "the file ends before the image does (truncated)".into(),
        });
    }
    let mut reader =
        image::ImageReader::with_format(Cursor::new(bytes), image_format(media.format));
    reader.limits(decode_limits(limits));
    let decoded = reader.decode().map_err(|e| MediaError::Malformed {
        format: media.format.mime(),
        detail: e.to_string().trim_end().to_string(),
    })?;
    let (width, height) = (decoded.width(), decoded.height());
    let (channels, pixels) = match decoded {
        image::DynamicImage::ImageRgb8(rgb) => (3, rgb.into_raw()),
        other => (4, other.to_rgba8().into_raw()),
    };
    Ok(DecodedImage {
        width,
        height,
        channels,
        pixels,
    })
}

/// What `hallmark hash` reports for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImageHash {
    pub pdq: PdqHash,
    pub quality: u8,
    pub pixel_digest: PixelDigest,
    pub width: u32,
    pub height: u32,
}

/// Decode fully, then hash: PDQ on all pixels and the pixel digest.
pub fn hash_image(bytes: &[u8], limits: &Limits) -> Result<ImageHash, MediaError> {
    Ok(ImageHash::of(&decode_rgba8(bytes, limits)?))
}

impl ImageHash {
    /// The hashes of an image already decoded with [`decode_rgba8`].
    pub fn of(image: &DecodedImage) -> Self {
        let pdq = image.pdq();
        Self {
            pdq: pdq.hash,
            quality: pdq.quality,
            pixel_digest: image.digest(),
            width: image.width,
            height: image.height,
        }
    }
}

/// The smallest side a reduced-scale JPEG decode keeps: PDQ's tent filter
/// averages 1/64 of each side anyway, so 1/8-scale IDCT loses almost nothing.
const FAST_MIN_SIDE: u16 = 256;

/// Pixels ready for PDQ, as [`decode_for_pdq`] gives them: 8-bit, row-major,
/// 1 (grey), 3 (RGB) or 4 (RGBA, alpha ignored) channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdqPixels {
    pub rows: usize,
    pub cols: usize,
    pub channels: usize,
    pub pixels: Vec<u8>,
}

impl PdqPixels {
    /// PDQ of these pixels, on the CPU (the reference's arithmetic).
    pub fn pdq(&self) -> Pdq {
        let mut luma = match self.channels {
            1 => self.pixels.iter().map(|&v| f32::from(v)).collect(),
            c => pdq::luma_from_rgb8(&self.pixels, c),
        };
        pdq::hash_luma(&mut luma, self.rows, self.cols)
    }
}

/// Most pixels [`decode_for_pdq`] keeps: larger PNGs are box-averaged to this
/// while they are read (PDQ itself averages each side down to 64).
pub const PDQ_MAX_KEPT_PIXELS: u64 = 4 << 20;
/// Largest image [`decode_for_pdq`] decodes whole (formats that can't be read
/// a row at a time, and interlaced PNG): about 15 bytes a pixel at the peak.
pub const PDQ_MAX_WHOLE_PIXELS: u64 = 16 << 20;

/// Decode for PDQ as fast as possible, in bounded memory: JPEG at reduced
/// scale (IDCT scaling to 1/2, 1/4 or 1/8, keeping at least 256 px a side);
/// PNG a row at a time, box-averaged by the integer factor that keeps at
/// most [`PDQ_MAX_KEPT_PIXELS`]; WebP and interlaced PNG whole, up to
/// [`PDQ_MAX_WHOLE_PIXELS`] (larger ones are refused, `limits.dimensions`).
pub fn decode_for_pdq(bytes: &[u8], limits: &Limits) -> Result<PdqPixels, MediaError> {
    let media = probe(bytes, limits)?;
    if media.format == MediaFormat::Png {
        if let Some(pixels) = png_rows_for_pdq(bytes, limits)? {
            return Ok(pixels);
        }
    }
    if media.format != MediaFormat::Jpeg {
        let pixels = u64::from(media.width) * u64::from(media.height);
        if pixels > PDQ_MAX_WHOLE_PIXELS {
            return Err(MediaError::TooLarge {
                width: media.width,
                height: media.height,
                max_dimension: limits.max_dimension,
                max_pixels: PDQ_MAX_WHOLE_PIXELS,
            });
        }
        let image = decode_rgba8(bytes, limits)?;
        return Ok(PdqPixels {
            rows: image.height as usize,
            cols: image.width as usize,
            channels: image.channels,
            pixels: image.pixels,
        });
    }
    let scaled = decode_jpeg_scaled(bytes, limits, |w, h| w.min(h) >= FAST_MIN_SIDE)?;
    Ok(PdqPixels {
        rows: scaled.rows,
        cols: scaled.cols,
        channels: scaled.channels,
        pixels: scaled.pixels,
    })
}

/// A non-interlaced PNG read a row at a time and box-averaged into at most
/// [`PDQ_MAX_KEPT_PIXELS`] (grey stays one channel, colour becomes RGB, alpha
/// is dropped). `None` for interlaced PNG, which comes in passes.
fn png_rows_for_pdq(bytes: &[u8], limits: &Limits) -> Result<Option<PdqPixels>, MediaError> {
    let malformed = |detail: String| MediaError::Malformed {
        format: MediaFormat::Png.mime(),
        detail,
    };
    let mut decoder =
        png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: 64 << 20 });
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| malformed(e.to_string()))?;
    let info = reader.info();
    if info.interlaced {
        return Ok(None);
    }
    let (w, h) = (info.width as usize, info.height as usize);
    if (w as u64) * (h as u64) > limits.max_pixels {
        return Err(MediaError::TooLarge {
            width: info.width,
            height: info.height,
            max_dimension: limits.max_dimension,
            max_pixels: limits.max_pixels,
        });
    }
    let (source_channels, channels) = match reader.output_color_type().0 {
        png::ColorType::Grayscale => (1, 1),
        png::ColorType::GrayscaleAlpha => (2, 1),
        png::ColorType::Rgb => (3, 3),
        png::ColorType::Rgba => (4, 3),
        png::ColorType::Indexed => return Err(malformed("palette not expanded".into())),
    };
    let pixels = (w as u64) * (h as u64);
    let mut factor = 1usize;
    while pixels / (factor as u64 * factor as u64) > PDQ_MAX_KEPT_PIXELS {
        factor += 1;
    }
    let (cols, rows) = (w / factor, h / factor);
    if cols == 0 || rows == 0 {
        return Err(malformed("no pixels".into()));
    }
    let mut out = Vec::with_capacity(cols * rows * channels);
    let mut sums = vec![0u32; cols * channels];
    let area = (factor * factor) as u32;
    for y in 0..rows * factor {
        let row = reader
            .next_row()
            .map_err(|e| malformed(e.to_string().trim_end().to_string()))?
            .ok_or_else(|| malformed("the file ends before the image does (truncated)".into()))?;
        let data = row.data();
        if data.len() < w * source_channels {
            return Err(malformed("a row is shorter than the image is wide".into()));
        }
        for (x, sum) in sums.chunks_exact_mut(channels).enumerate() {
            for dx in 0..factor {
                let p = &data[(x * factor + dx) * source_channels..];
                for (c, s) in sum.iter_mut().enumerate() {
                    *s += u32::from(p[c]);
                }
            }
        }
        if y % factor == factor - 1 {
            out.extend(sums.iter().map(|&s| ((s + area / 2) / area) as u8));
            sums.iter_mut().for_each(|s| *s = 0);
        }
    }
    Ok(Some(PdqPixels {
        rows,
        cols,
        channels,
        pixels: out,
    }))
}

/// PDQ of a file as fast as possible ([`decode_for_pdq`]): hashes of JPEGs may
/// differ by a few bits from a full decode.
pub fn fast_pdq(bytes: &[u8], limits: &Limits) -> Result<Pdq, MediaError> {
    Ok(decode_for_pdq(bytes, limits)?.pdq())
}

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

/// A JPEG decoded at reduced scale: 1 (grey) or 3 (RGB) channels.
struct ScaledJpeg {
    rows: usize,
    cols: usize,
    channels: usize,
    pixels: Vec<u8>,
}

/// Decode a JPEG with IDCT scaling at the smallest of 1/8, 1/4, 1/2 for which
/// `keeps(width, height)` still holds (full size if none does). CMYK is
/// converted to RGB; 16-bit grey is cut to 8 bits.
fn decode_jpeg_scaled(
    bytes: &[u8],
    limits: &Limits,
    keeps: impl Fn(u16, u16) -> bool,
) -> Result<ScaledJpeg, MediaError> {
    let format = MediaFormat::Jpeg.mime();
    if !crate::media::jpeg_is_complete(bytes) {
        return Err(MediaError::Malformed {
            format,
            detail: "the file ends before the image does (truncated)".into(),
        });
    }
    let malformed = |detail: String| MediaError::Malformed {
        format,
        detail: detail.trim_end().to_string(),
    };
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(
        usize::try_from(limits.max_pixels.saturating_mul(4)).unwrap_or(usize::MAX),
    );
    decoder.read_info().map_err(|e| malformed(e.to_string()))?;
    let info = decoder
        .info()
        .ok_or_else(|| malformed("no frame header".into()))?;
    let (w, h) = (info.width, info.height);
    let factor = (1..=3)
        .rev()
        .map(|s| 1u16 << s)
        .find(|f| keeps(w / f, h / f))
        .unwrap_or(1);
    let (sw, sh) = decoder
        .scale(w.div_ceil(factor), h.div_ceil(factor))
        .map_err(|e| malformed(e.to_string()))?;
    let pixels = decoder.decode().map_err(|e| malformed(e.to_string()))?;
    let info = decoder
        .info()
        .ok_or_else(|| malformed("no frame header".into()))?;
    let (rows, cols) = (usize::from(sh), usize::from(sw));
    let (channels, pixels) = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => (3, pixels),
        jpeg_decoder::PixelFormat::L8 => (1, pixels),
        jpeg_decoder::PixelFormat::L16 => (
            1,
            pixels
                .chunks_exact(2)
                .map(|p| (u16::from_be_bytes([p[0], p[1]]) >> 8) as u8)
                .collect(),
        ),
        jpeg_decoder::PixelFormat::CMYK32 => (
            // Adobe CMYK JPEGs are stored inverted; convert as the image crate does.
            3,
            pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = u16::from(p[3]);
                    [p[0], p[1], p[2]].map(|c| ((u16::from(c) * k) / 255) as u8)
                })
                .collect(),
        ),
    };
    if pixels.len() < rows * cols * channels {
        return Err(malformed(
            "decoded fewer pixels than the header promised".into(),
        ));
    }
    Ok(ScaledJpeg {
        rows,
        cols,
        channels,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_pdq_equals_luma_then_box_filter_bit_for_bit() {
        let (w, h) = (2203usize, 1301usize);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let pixels: Vec<u8> = (0..w * h * 3)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((i / 3 % w) as u64 / 9 + (i / 3 / w) as u64 / 5 + (state & 31)) as u8
            })
            .collect();
        let image = DecodedImage {
            width: w as u32,
            height: h as u32,
            channels: 3,
            pixels,
        };
        // The formulation signing used before the fused version: full luma, then boxes.
        let factor = h / 512;
        let luma = pdq::luma_from_rgb8(&image.pixels, 3);
        let (sw, sh) = (w / factor, h / factor);
        let mut small = vec![0f32; sw * sh];
        for (sy, row) in small.chunks_exact_mut(sw).enumerate() {
            for y in sy * factor..(sy + 1) * factor {
                let src = &luma[y * w..y * w + sw * factor];
                for (out, block) in row.iter_mut().zip(src.chunks_exact(factor)) {
                    *out += block.iter().sum::<f32>();
                }
            }
            for v in row.iter_mut() {
                *v *= 1.0 / (factor * factor) as f32;
            }
        }
        let expected = pdq::hash_luma(&mut small, sh, sw);
        assert_eq!(image.binding_pdq(), expected);
    }

    #[test]
    fn digest_depends_on_pixels_and_dimensions_only() {
        let a = DecodedImage {
            width: 2,
            height: 1,
            channels: 4,
            pixels: vec![1, 2, 3, 255, 4, 5, 6, 255],
        };
        let b = DecodedImage {
            width: 1,
            height: 2,
            channels: 4,
            pixels: a.pixels.clone(),
        };
        let rgb = DecodedImage {
            width: 2,
            height: 1,
            channels: 3,
            pixels: vec![1, 2, 3, 4, 5, 6],
        };
        assert_eq!(
            rgb.digest(),
            a.digest(),
            "RGB digests as its canonical RGBA"
        );
        assert_ne!(a.digest(), b.digest());
        assert_eq!(a.digest(), a.clone().digest());
        assert_eq!(
            PixelDigest::from_hex(&a.digest().to_hex()),
            Some(a.digest())
        );
    }
}
