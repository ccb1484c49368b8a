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
//!
//! # Frames digest (v1), for GIF
//!
//! A GIF may animate, so its digest covers every frame, as shown:
//! `BLAKE3-derive-key("hallmark 2026 frames digest v1", LE32(width) ‖ LE32(height) ‖ frame… ‖ LE32(frames))`
//! where each frame is `LE32(delay numerator, ms) ‖ LE32(delay denominator) ‖ RGBA8`,
//! the RGBA8 of the whole canvas once the frame is drawn (disposal applied),
//! as the `image` crate's frame iterator gives it. PDQ is of the first frame.

mod scaled;
mod thumbnail;

pub use scaled::{decode_for_pdq, fast_pdq, PdqPixels, PDQ_MAX_KEPT_PIXELS, PDQ_MAX_WHOLE_PIXELS};
pub use thumbnail::{thumbnail, MAX_THUMBNAIL_SIDE};

use std::io::Cursor;

use crate::media::{probe, Limits, MediaError, MediaFormat};
use crate::pdq::{self, Pdq, PdqHash};

const DIGEST_CONTEXT: &str = "hallmark 2026 pixel digest v1";
const FRAMES_CONTEXT: &str = "hallmark 2026 frames digest v1";

/// Most frames of a GIF decoded for its digest.
pub const MAX_FRAMES: u64 = 10_000;
/// Most pixels of all a GIF's frames together, as a multiple of
/// [`Limits::max_pixels`] (one frame's limit).
pub const MAX_FRAMES_PIXELS_FACTOR: u64 = 10;

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
    /// The first (or only) frame.
    pub pixels: Vec<u8>,
    /// The frames digest of a GIF (module docs): every frame, not just `pixels`.
    pub frames_digest: Option<PixelDigest>,
}

impl DecodedImage {
    /// The pixel digest (module docs): over canonical RGBA8, or a GIF's
    /// frames digest.
    pub fn digest(&self) -> PixelDigest {
        if let Some(frames) = self.frames_digest {
            return frames;
        }
        let mut hasher = blake3::Hasher::new_derive_key(DIGEST_CONTEXT);
        hasher.update(&self.width.to_le_bytes());
        hasher.update(&self.height.to_le_bytes());
        if self.channels == 4 {
            hasher.update(&self.pixels);
        } else {
            // RGB to RGBA 16,384 pixels at a time, in fixed-size arrays the
            // compiler turns into vector shuffles (a pixel at a time, with
            // `extend_from_slice`, this took longer than the hashing).
            const PIXELS: usize = 16 * 1024;
            let mut rgba = vec![[0u8; 4]; PIXELS];
            let (rgb, _) = self.pixels.as_chunks::<3>();
            for chunk in rgb.chunks(PIXELS) {
                let out = &mut rgba[..chunk.len()];
                for (o, p) in out.iter_mut().zip(chunk) {
                    *o = [p[0], p[1], p[2], 255];
                }
                hasher.update(out.as_flattened());
            }
        }
        PixelDigest(*hasher.finalize().as_bytes())
    }

    /// The PDQ hash of these pixels (alpha ignored, as the reference's RGB
    /// conversion does). Luminance is made and filtered a band of rows at a
    /// time ([`pdq::hash_rows`]): a few megabytes beside the pixels, whatever
    /// their size, and the reference's hash bit for bit.
    pub fn pdq(&self) -> Pdq {
        pdq::hash_rows(
            self.height as usize,
            self.width as usize,
            &mut |first, band| self.luma_band(first, band),
        )
    }

    /// Luminance of rows `first..` into `band` (whole rows), on every core:
    /// row for row what [`pdq::luma_from_rgb8`] gives.
    fn luma_band(&self, first: usize, band: &mut [f32]) {
        let (w, channels) = (self.width as usize, self.channels.max(3));
        let rows = band.len() / w.max(1);
        let src = &self.pixels[first * w * channels..(first + rows) * w * channels];
        let per = rows.div_ceil(crate::parallel::workers(rows * w)).max(1);
        let jobs: Vec<_> = band
            .chunks_mut(per * w)
            .zip(src.chunks(per * w * channels))
            .collect();
        crate::parallel::for_each(jobs, |(dst, src)| pdq::luma_row(src, channels, dst));
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
                    add_block_sums(&luma, factor, row);
                }
                for v in row.iter_mut() {
                    *v *= scale;
                }
            }
        });
        pdq::hash_luma(&mut small, sh, sw)
    }

    pub fn pdq_dihedral(&self) -> pdq::Dihedral {
        pdq::dihedral_rows(
            self.height as usize,
            self.width as usize,
            &mut |first, band| self.luma_band(first, band),
        )
    }
}

avx2_or_plain! {
    /// `row[i] += luma[i·factor] + … + luma[i·factor + factor − 1]`, summed
    /// left to right (as `Iterator::sum` does: luma is never −0, so its start
    /// value changes nothing). With the factor a constant and AVX2 where the CPU
    /// has it, the compiler sums several blocks at once; the same f32 additions
    /// in the same order, so the same values.
    fn add_block_sums | add_block_sums_any(luma: &[f32], factor: usize, row: &mut [f32]) {
        #[inline(always)]
        fn fixed<const F: usize>(luma: &[f32], row: &mut [f32]) {
            let (blocks, _) = luma.as_chunks::<F>();
            for (out, block) in row.iter_mut().zip(blocks) {
                let mut sum = block[0];
                for v in &block[1..] {
                    sum += v;
                }
                *out += sum;
            }
        }
        match factor {
            2 => fixed::<2>(luma, row),
            3 => fixed::<3>(luma, row),
            4 => fixed::<4>(luma, row),
            5 => fixed::<5>(luma, row),
            6 => fixed::<6>(luma, row),
            _ => {
                for (out, block) in row.iter_mut().zip(luma.chunks_exact(factor.max(1))) {
                    *out += block.iter().sum::<f32>();
                }
            }
        }
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
    if media.format == MediaFormat::Jpeg {
        if let Some((width, height, pixels)) = decode_jpeg_rgb(bytes, limits)? {
            return Ok(DecodedImage {
                width,
                height,
                channels: 3,
                pixels,
                frames_digest: None,
            });
        }
    }
    // `probe` accepts only formats with a decoder; this is never taken.
    let Some(image_format) = media.format.image_format() else {
        return Err(MediaError::Unsupported {
            format: media.format.mime(),
            why: "Hallmark decodes no pixels of this format",
        });
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), image_format);
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
    let frames_digest = match media.format {
        MediaFormat::Gif => Some(gif_frames_digest(bytes, limits)?),
        _ => None,
    };
    Ok(DecodedImage {
        width,
        height,
        channels,
        pixels,
        frames_digest,
    })
}

/// A colour JPEG decoded to RGB8 by zune-jpeg, the decoder the `image`
/// crate uses, with the options it sets (so the very same pixels), but
/// reading `bytes` in place: `image` first copies the whole file into a
/// buffer of its own. `None` for a JPEG `image` would not decode to RGB
/// (greyscale, or with alpha): those go through `image`.
fn decode_jpeg_rgb(
    bytes: &[u8],
    limits: &Limits,
) -> Result<Option<(u32, u32, Vec<u8>)>, MediaError> {
    decode_jpeg_rgb_from(
        &mut || Ok(zune_core::bytestream::ZCursor::new(bytes)),
        limits,
    )
}

/// [`decode_jpeg_rgb`] of the JPEG that `open` reads from its start (it is
/// opened twice: once for the headers, once to decode).
fn decode_jpeg_rgb_from<R: zune_core::bytestream::ZByteReaderTrait>(
    open: &mut dyn FnMut() -> std::io::Result<R>,
    limits: &Limits,
) -> Result<Option<(u32, u32, Vec<u8>)>, MediaError> {
    use zune_core::colorspace::ColorSpace;
    let malformed = crate::media::jpeg_error;
    let options = crate::media::jpeg_header_options();
    let unreadable = |e: std::io::Error| MediaError::Malformed {
        format: MediaFormat::Jpeg.mime(),
        detail: format!("can't be read: {e}"),
    };
    let mut headers =
        zune_jpeg::JpegDecoder::new_with_options(open().map_err(unreadable)?, options);
    headers.decode_headers().map_err(malformed)?;
    let Some(colorspace) = headers.input_colorspace() else {
        return Ok(None);
    };
    if matches!(
        colorspace,
        ColorSpace::RGBA | ColorSpace::Luma | ColorSpace::LumaA
    ) {
        return Ok(None);
    }
    let Some((width, height)) = headers.dimensions() else {
        return Ok(None);
    };
    // `probe` checked the header's size already; the decoder's own reading
    // of it is held to the same limits before a byte is allocated.
    let (w, h) = (
        u32::try_from(width).unwrap_or(u32::MAX),
        u32::try_from(height).unwrap_or(u32::MAX),
    );
    crate::media::check_dimensions(w, h, limits)?;
    let len = width * height * 3;
    let options = options
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .set_max_width(limits.max_dimension as usize)
        .set_max_height(limits.max_dimension as usize);
    let mut decoder =
        zune_jpeg::JpegDecoder::new_with_options(open().map_err(unreadable)?, options);
    let mut pixels = vec![0u8; len];
    decoder.decode_into(&mut pixels).map_err(malformed)?;
    Ok(Some((w, h, pixels)))
}

/// [`decode_rgba8`] of an open JPEG file, read in place: its pixels are the
/// only full-size buffer (a 48 MP photo takes its 144 MB of RGB, not also
/// the file's bytes). `None` when the file is not a colour JPEG: the caller
/// reads it whole and decodes it as before. The same checks as
/// [`decode_rgba8`] (size limits, a file cut short) and the same pixels.
pub fn decode_jpeg_file(
    file: &std::fs::File,
    limits: &Limits,
) -> Result<Option<DecodedImage>, MediaError> {
    use std::io::{Read, Seek};
    let unreadable = |e: std::io::Error| MediaError::Malformed {
        format: MediaFormat::Jpeg.mime(),
        detail: format!("can't be read: {e}"),
    };
    let rewound = || -> std::io::Result<&std::fs::File> {
        let mut f = file;
        f.rewind()?;
        Ok(f)
    };
    let mut head = Vec::with_capacity(crate::media::SNIFF_BYTES);
    rewound()
        .and_then(|f| {
            f.take(crate::media::SNIFF_BYTES as u64)
                .read_to_end(&mut head)
        })
        .map_err(unreadable)?;
    if MediaFormat::sniff(&head) != Some(MediaFormat::Jpeg) {
        return Ok(None);
    }
    let len = file.metadata().map_err(unreadable)?.len();
    crate::media::check_size(len, limits.max_file_bytes)?;
    let complete = rewound()
        .and_then(crate::media::jpeg_is_complete_in)
        .map_err(unreadable)?;
    if !complete {
        return Err(MediaError::Malformed {
            format: MediaFormat::Jpeg.mime(),
            detail: "the file ends before the image does (truncated)".into(),
        });
    }
    let decoded = decode_jpeg_rgb_from(&mut || Ok(InPlace::new(rewound()?)), limits)?;
    Ok(decoded.map(|(width, height, pixels)| DecodedImage {
        width,
        height,
        channels: 3,
        pixels,
        frames_digest: None,
    }))
}

/// An open file read through a window of its bytes, where the decoder's
/// many short look-aheads (a read, then a seek back) stay inside the window:
/// a `BufReader` drops its buffer at every seek, which cost a system call
/// or two each (71,000 of them for a 48 MP photo).
struct InPlace<'a> {
    file: &'a std::fs::File,
    buf: Vec<u8>,
    /// The file offset of `buf[0]`.
    start: u64,
    pos: usize,
    len: usize,
}

impl<'a> InPlace<'a> {
    const WINDOW: usize = 256 << 10;

    fn new(file: &'a std::fs::File) -> Self {
        Self {
            file,
            buf: vec![0; Self::WINDOW],
            start: 0,
            pos: 0,
            len: 0,
        }
    }
}

impl std::io::Read for InPlace<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let available = std::io::BufRead::fill_buf(self)?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for InPlace<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos == self.len {
            use std::io::{Read, Seek};
            self.start += self.len as u64;
            self.pos = 0;
            self.len = 0;
            let mut file = self.file;
            file.seek(std::io::SeekFrom::Start(self.start))?;
            self.len = file.read(&mut self.buf)?;
        }
        Ok(&self.buf[self.pos..self.len])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.len);
    }
}

impl std::io::Seek for InPlace<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let here = self.start + self.pos as u64;
        let target = match to {
            std::io::SeekFrom::Start(at) => Some(at),
            std::io::SeekFrom::Current(by) => here.checked_add_signed(by),
            std::io::SeekFrom::End(by) => self.file.metadata()?.len().checked_add_signed(by),
        }
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        if (self.start..=self.start + self.len as u64).contains(&target) {
            self.pos = (target - self.start) as usize;
        } else {
            // Outside the window: read from there next.
            self.start = target;
            self.pos = 0;
            self.len = 0;
        }
        Ok(target)
    }
}

/// The frames digest of a GIF (module docs), one frame in memory at a time,
/// under [`MAX_FRAMES`] and [`MAX_FRAMES_PIXELS_FACTOR`].
fn gif_frames_digest(bytes: &[u8], limits: &Limits) -> Result<PixelDigest, MediaError> {
    use image::{AnimationDecoder, ImageDecoder};
    let malformed = |e: image::ImageError| MediaError::Malformed {
        format: MediaFormat::Gif.mime(),
        detail: e.to_string().trim_end().to_string(),
    };
    let mut decoder = image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).map_err(malformed)?;
    decoder
        .set_limits(decode_limits(limits))
        .map_err(malformed)?;
    let (width, height) = decoder.dimensions();
    let mut hasher = blake3::Hasher::new_derive_key(FRAMES_CONTEXT);
    hasher.update(&width.to_le_bytes());
    hasher.update(&height.to_le_bytes());
    let budget = limits.max_pixels.saturating_mul(MAX_FRAMES_PIXELS_FACTOR);
    let mut frames: u32 = 0;
    for frame in decoder.into_frames() {
        let frame = frame.map_err(malformed)?;
        frames += 1;
        let pixels = u64::from(frames) * u64::from(width) * u64::from(height);
        if u64::from(frames) > MAX_FRAMES || pixels > budget {
            return Err(MediaError::TooManyFrames {
                max_frames: MAX_FRAMES,
                max_pixels: budget,
            });
        }
        let (numer, denom) = frame.delay().numer_denom_ms();
        hasher.update(&numer.to_le_bytes());
        hasher.update(&denom.to_le_bytes());
        hasher.update(frame.buffer().as_raw());
    }
    hasher.update(&frames.to_le_bytes());
    Ok(PixelDigest(*hasher.finalize().as_bytes()))
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
        // Two passes over the pixels, side by side where cores allow.
        let (pdq, pixel_digest) = crate::parallel::join(|| image.pdq(), || image.digest());
        Self {
            pdq: pdq.hash,
            quality: pdq.quality,
            pixel_digest,
            width: image.width,
            height: image.height,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Block sums for every factor a binding hash uses, against
    /// `Iterator::sum` (the form this had before), on values with rounding.
    #[test]
    fn block_sums_are_the_iterator_sums_bit_for_bit() {
        let luma: Vec<f32> = (0..9000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) % 25_500) as f32 / 100.0 + 0.1)
            .collect();
        for factor in 2..=9 {
            let n = luma.len() / factor;
            let mut fast = vec![0.5f32; n];
            add_block_sums(&luma, factor, &mut fast);
            let mut plain = vec![0.5f32; n];
            for (out, block) in plain.iter_mut().zip(luma.chunks_exact(factor)) {
                *out += block.iter().sum::<f32>();
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&fast), bits(&plain), "factor {factor}");
        }
    }

    /// JPEGs decoded in place give `image`'s pixels, byte for byte (the
    /// pixel digests signed and registered before depend on it), and grey
    /// JPEGs still go through `image`.
    #[test]
    fn jpeg_decoded_in_place_gives_the_image_crates_pixels() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files: Vec<std::path::PathBuf> = [
            "fixtures/images",
            "fixtures/signed",
            "../shared/corpus/pdq",
            "../shared/corpus/pdq/bridge-mods",
        ]
        .iter()
        .filter_map(|dir| std::fs::read_dir(root.join(dir)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg" || x == "jpeg"))
        .collect();
        files.sort();
        assert!(files.len() >= 10, "{files:?}");
        let limits = Limits::default();
        let mut direct = 0;
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            let via_image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            match decode_jpeg_rgb(&bytes, &limits).unwrap() {
                Some((w, h, pixels)) => {
                    direct += 1;
                    let rgb = via_image.as_rgb8().expect("image decodes it as RGB too");
                    assert_eq!((w, h), rgb.dimensions(), "{}", file.display());
                    assert!(pixels == rgb.as_raw().as_slice(), "{}", file.display());
                }
                None => assert!(via_image.as_rgb8().is_none(), "{}", file.display()),
            }
        }
        assert!(direct >= 10, "{direct} of {}", files.len());
    }

    /// The banded exact hash is the whole-image one, bit for bit, with and
    /// without alpha, on a picture taller and wider than a band.
    #[test]
    fn exact_pdq_in_bands_equals_the_whole_image_hash() {
        let (w, h) = (1777usize, 1301usize);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for channels in [3, 4] {
            let pixels: Vec<u8> = (0..w * h * channels)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ((i / channels % w) as u64 / 7 + (i / channels / w) as u64 / 3 + (state & 15))
                        as u8
                })
                .collect();
            let mut luma = pdq::luma_from_rgb8(&pixels, channels);
            let whole = pdq::hash_luma(&mut luma.clone(), h, w);
            let dihedral = pdq::dihedral_luma(&mut luma, h, w);
            let image = DecodedImage {
                width: w as u32,
                height: h as u32,
                channels,
                pixels,
                frames_digest: None,
            };
            assert_eq!(image.pdq(), whole, "{channels} channels");
            assert_eq!(image.pdq_dihedral(), dihedral, "{channels} channels");
        }
    }

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
            frames_digest: None,
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
    fn a_gif_of_too_many_frames_is_refused_and_every_frame_counts() {
        use image::codecs::gif::GifEncoder;
        use image::{Delay, Frame, Rgba, RgbaImage};
        let gif = |frames: usize, last: u8| {
            let mut out = Vec::new();
            {
                let mut encoder = GifEncoder::new(&mut out);
                for i in 0..frames {
                    let shade = if i + 1 == frames { last } else { 9 };
                    let frame = RgbaImage::from_pixel(1, 1, Rgba([shade, 0, 0, 255]));
                    let delay = Delay::from_numer_denom_ms(10, 1);
                    assert!(encoder
                        .encode_frame(Frame::from_parts(frame, 0, 0, delay))
                        .is_ok());
                }
            }
            out
        };
        let limits = Limits::default();
        let too_many = decode_rgba8(&gif(MAX_FRAMES as usize + 1, 9), &limits);
        assert_eq!(
            too_many.map(|_| ()).map_err(|e| e.code()),
            Err(crate::code::Code::LimitsDimensions)
        );
        let (a, b) = (gif(3, 9), gif(3, 200));
        let decode = |bytes: &[u8]| decode_rgba8(bytes, &limits).map_err(|e| e.to_string());
        let (a, b) = (decode(&a), decode(&b));
        assert_eq!(
            a.as_ref().map(|i| i.pixels.clone()),
            b.as_ref().map(|i| i.pixels.clone()),
            "the same first frame"
        );
        assert_ne!(
            a.map(|i| i.digest()),
            b.map(|i| i.digest()),
            "a different last frame"
        );
    }

    #[test]
    fn digest_depends_on_pixels_and_dimensions_only() {
        let a = DecodedImage {
            width: 2,
            height: 1,
            channels: 4,
            pixels: vec![1, 2, 3, 255, 4, 5, 6, 255],
            frames_digest: None,
        };
        let b = DecodedImage {
            width: 1,
            height: 2,
            channels: 4,
            pixels: a.pixels.clone(),
            frames_digest: None,
        };
        let rgb = DecodedImage {
            width: 2,
            height: 1,
            channels: 3,
            pixels: vec![1, 2, 3, 4, 5, 6],
            frames_digest: None,
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
