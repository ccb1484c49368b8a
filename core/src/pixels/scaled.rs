//! PDQ as fast as possible: JPEGs decoded at reduced scale (PDQ's tent
//! filter averages 1/64 of each side anyway), PNG rows streamed and kept only
//! as far as PDQ needs them, and the whole decode as the fallback.

use std::io::Cursor;

use crate::media::{probe, Limits, MediaError, MediaFormat};
use crate::pdq::{self, Pdq};

use super::decode_rgba8;

/// The smallest side a reduced-scale JPEG decode keeps: PDQ's tent filter
/// averages 1/64 of each side anyway, so 1/8-scale IDCT loses almost nothing.
pub(super) const FAST_MIN_SIDE: u16 = 256;

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
pub(super) fn png_rows_for_pdq(
    bytes: &[u8],
    limits: &Limits,
) -> Result<Option<PdqPixels>, MediaError> {
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

/// A JPEG decoded at reduced scale: 1 (grey) or 3 (RGB) channels.
pub(super) struct ScaledJpeg {
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) channels: usize,
    pub(super) pixels: Vec<u8>,
}

/// Decode a JPEG with IDCT scaling at the smallest of 1/8, 1/4, 1/2 for which
/// `keeps(width, height)` still holds (full size if none does). CMYK is
/// converted to RGB; 16-bit grey is cut to 8 bits.
pub(super) fn decode_jpeg_scaled(
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
