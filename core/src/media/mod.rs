//! What kind of media a byte string is, and whether it is within the limits we
//! are willing to process. Formats are sniffed from content, never from names.

mod format;
mod jpeg;
mod source;
mod tiff;

pub use format::{MediaFormat, SNIFF_BYTES};
pub(crate) use jpeg::{jpeg_dimensions, jpeg_error, jpeg_header_options};
pub(crate) use source::identify_source;
pub use source::{load, LoadError, Loaded, Source, Stream};
pub use tiff::MAX_TIFF_DIRECTORIES;

use crate::code::Code;
use std::io::Cursor;

/// Bounds on what an input may make us do. Checked before pixels are allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read into memory, in bytes.
    pub max_file_bytes: u64,
    /// Largest audio or video file, in bytes: those are read in place
    /// ([`Source::File`]), never held whole, so only time bounds them.
    pub max_streamed_bytes: u64,
    /// Largest width or height, in pixels.
    pub max_dimension: u32,
    /// Largest width × height.
    pub max_pixels: u64,
}

impl Default for Limits {
    /// 512 MiB files (64 GiB audio and video), 65,535 px a side, 100 megapixels.
    fn default() -> Self {
        Self {
            max_file_bytes: 512 * 1024 * 1024,
            max_streamed_bytes: 64 << 30,
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
    #[error("not a media format Hallmark reads (unrecognised content)")]
    Unrecognized,
    /// A format Hallmark recognises but can't do this with.
    #[error("{format}: {why}")]
    Unsupported {
        format: &'static str,
        why: &'static str,
    },
    #[error("the file is {size} bytes, over the limit of {max} bytes")]
    FileTooLarge { size: u64, max: u64 },
    #[error("not a readable {format} file: {detail}")]
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
    #[error("the animation has more than {max_frames} frames or {max_pixels} pixels in all frames together, over the limit")]
    TooManyFrames { max_frames: u64, max_pixels: u64 },
}

impl MediaError {
    /// A stable machine-readable code.
    pub fn code(&self) -> Code {
        match self {
            Self::Empty => Code::InputEmpty,
            Self::Unrecognized => Code::FormatUnrecognized,
            Self::Unsupported { .. } => Code::FormatUnsupported,
            Self::FileTooLarge { .. } => Code::LimitsFileSize,
            Self::Malformed { .. } => Code::FormatMalformed,
            Self::TooLarge { .. } | Self::TooManyFrames { .. } => Code::LimitsDimensions,
        }
    }
}

/// Whether a JPEG's marker structure runs from SOI to EOI: walks the
/// segments and the entropy-coded scans, so a file cut short (which lenient
/// decoders silently pad with grey) is caught. Walks `bytes` in place.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Ok(complete) = walk_to_eoi(&mut InMemory { bytes, pos: 0 });
    complete
}

/// [`jpeg_is_complete`] of a JPEG read from `r` a buffer at a time (an
/// open file, never held whole).
pub fn jpeg_is_complete_in(r: impl std::io::Read) -> std::io::Result<bool> {
    walk_to_eoi(&mut Ahead::new(r))
}

/// The walk of [`jpeg_is_complete`], over bytes in memory or read ahead.
fn walk_to_eoi<W: Window>(s: &mut W) -> Result<bool, W::Error> {
    if !s.ensure(2)? || s.at(0) != 0xFF || s.at(1) != 0xD8 {
        return Ok(false);
    }
    s.advance(2);
    loop {
        // Find the next marker (skipping fill bytes).
        s.skip_to_ff()?;
        while s.ensure(1)? && s.at(0) == 0xFF {
            s.advance(1);
        }
        if !s.ensure(1)? {
            return Ok(false);
        }
        let marker = s.at(0);
        s.advance(1);
        match marker {
            0xD9 => return Ok(true),
            0x01 | 0xD0..=0xD7 => continue,
            _ => {
                if !s.ensure(2)? {
                    return Ok(false);
                }
                let len = usize::from(u16::from_be_bytes([s.at(0), s.at(1)]));
                if len < 2 || !s.skip(len)? {
                    return Ok(false);
                }
                if marker == 0xDA {
                    // Entropy-coded data: runs to the next marker that is not
                    // a stuffed 0xFF00 or a restart marker.
                    loop {
                        s.skip_to_ff()?;
                        if !s.ensure(2)? {
                            return Ok(false);
                        }
                        let next = s.at(1);
                        if next != 0x00 && !(0xD0..=0xD7).contains(&next) {
                            break;
                        }
                        s.advance(1);
                    }
                }
            }
        }
    }
}

/// Bytes looked at a few at a time, from a position that only moves on.
trait Window {
    type Error;
    /// Whether `n` (at most 64 KiB) bytes are there to look at.
    fn ensure(&mut self, n: usize) -> Result<bool, Self::Error>;
    /// The byte `k` places on (`k` below what [`Window::ensure`] made sure of).
    fn at(&self, k: usize) -> u8;
    fn advance(&mut self, n: usize);
    /// Skip `n` bytes; false when the data ends first.
    fn skip(&mut self, n: usize) -> Result<bool, Self::Error>;
    /// Move to the next 0xFF byte, or to the end.
    fn skip_to_ff(&mut self) -> Result<(), Self::Error>;
}

/// A [`Window`] on bytes in memory: nothing copied (a 12 MP photo's walk
/// took 2 % of a scan of tampered photos through [`Ahead`]'s buffer).
struct InMemory<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Window for InMemory<'_> {
    type Error = std::convert::Infallible;

    fn ensure(&mut self, n: usize) -> Result<bool, Self::Error> {
        Ok(self.bytes.len().saturating_sub(self.pos) >= n)
    }

    fn at(&self, k: usize) -> u8 {
        self.bytes[self.pos + k]
    }

    fn advance(&mut self, n: usize) {
        self.pos += n;
    }

    fn skip(&mut self, n: usize) -> Result<bool, Self::Error> {
        let left = self.bytes.len().saturating_sub(self.pos);
        self.pos += n.min(left);
        Ok(n <= left)
    }

    fn skip_to_ff(&mut self) -> Result<(), Self::Error> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos += memchr::memchr(0xFF, rest).unwrap_or(rest.len());
        Ok(())
    }
}

/// A reader with a window of bytes looked ahead at.
struct Ahead<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
}

impl<R: std::io::Read> Ahead<R> {
    fn new(r: R) -> Self {
        Self {
            r,
            buf: vec![0; 64 << 10],
            pos: 0,
            len: 0,
            eof: false,
        }
    }
}

impl<R: std::io::Read> Window for Ahead<R> {
    type Error = std::io::Error;

    fn ensure(&mut self, n: usize) -> std::io::Result<bool> {
        while self.len - self.pos < n && !self.eof {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
            match self.r.read(&mut self.buf[self.len..]) {
                Ok(0) => self.eof = true,
                Ok(read) => self.len += read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.len - self.pos >= n)
    }

    fn at(&self, k: usize) -> u8 {
        self.buf[self.pos + k]
    }

    fn advance(&mut self, n: usize) {
        self.pos += n;
    }

    fn skip(&mut self, mut n: usize) -> std::io::Result<bool> {
        while n > 0 {
            if !self.ensure(1)? {
                return Ok(false);
            }
            let step = n.min(self.len - self.pos);
            self.pos += step;
            n -= step;
        }
        Ok(true)
    }

    fn skip_to_ff(&mut self) -> std::io::Result<()> {
        while self.ensure(1)? {
            match memchr::memchr(0xFF, &self.buf[self.pos..self.len]) {
                Some(k) => {
                    self.pos += k;
                    return Ok(());
                }
                None => self.pos = self.len,
            }
        }
        Ok(())
    }
}

pub(crate) fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<(), MediaError> {
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

pub(crate) fn check_size(size: u64, max: u64) -> Result<(), MediaError> {
    if size > max {
        return Err(MediaError::FileTooLarge { size, max });
    }
    Ok(())
}

/// Recognise the format of a file whose Content Credentials are to be read,
/// within the size limit (no pixels are looked at).
pub fn identify(bytes: &[u8], limits: &Limits) -> Result<MediaFormat, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    check_size(bytes.len() as u64, limits.max_file_bytes)?;
    let format = MediaFormat::sniff(bytes).ok_or(MediaError::Unrecognized)?;
    if !format.is_readable() {
        return Err(MediaError::Unsupported {
            format: format.mime(),
            why: "this build reads no Content Credentials from this format",
        });
    }
    if format == MediaFormat::Tiff {
        tiff::check_directories(bytes)?;
    }
    Ok(format)
}

/// Sniff the format and read the picture's header, checking it against
/// `limits`: for what needs pixels (hashes, thumbnails, signing's pixel
/// digest). A format whose pixels Hallmark doesn't decode is `Unsupported`.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, MediaError> {
    let format = identify(bytes, limits)?;
    let Some(image_format) = format.image_format() else {
        return Err(MediaError::Unsupported {
            format: format.mime(),
            why: "Hallmark decodes no pixels of this format (JPEG, PNG, WebP, GIF and TIFF only)",
        });
    };
    if format == MediaFormat::Tiff && !tiff::check_directories(bytes)?.is_one_picture() {
        return Err(MediaError::Unsupported {
            format: format.mime(),
            why: "a raw (DNG) or multi-page TIFF: Hallmark decodes the pixels of single-image TIFFs only",
        });
    }
    // A PNG's size is checked from its IHDR before the decoder sees it: some
    // decoders size buffers from the header at once, which overflows a
    // 32-bit usize (wasm32) and would hide a dimension bomb as "malformed".
    if let Some((width, height)) = png_ihdr_dimensions(bytes) {
        check_dimensions(width, height, limits)?;
    }
    let (width, height) = if format == MediaFormat::Jpeg {
        jpeg_dimensions(bytes)?
    } else {
        image::ImageReader::with_format(Cursor::new(bytes), image_format)
            .into_dimensions()
            .map_err(|e| MediaError::Malformed {
                format: format.mime(),
                detail: e.to_string().trim_end().to_string(),
            })?
    };
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
        assert_eq!(
            MediaFormat::sniff(b"RIFF\0\0\0\0WAVEfmt "),
            Some(MediaFormat::Wav)
        );
        assert_eq!(
            MediaFormat::sniff(b"RIFF\0\0\0\0AVI LIST"),
            Some(MediaFormat::Avi)
        );
        assert_eq!(MediaFormat::sniff(b"RIFF\0\0\0\0CDXA"), None);
        assert_eq!(MediaFormat::sniff(b"GIF89a"), Some(MediaFormat::Gif));
        assert_eq!(
            MediaFormat::sniff(b"II*\0\x08\0\0\0"),
            Some(MediaFormat::Tiff)
        );
        assert_eq!(
            MediaFormat::sniff(b"MM\0*\0\0\0\x08"),
            Some(MediaFormat::Tiff)
        );
        assert_eq!(MediaFormat::sniff(b"%PDF-1.7\n"), Some(MediaFormat::Pdf));
        assert_eq!(MediaFormat::sniff(b"\xFF\x0A\xFA"), Some(MediaFormat::Jxl));
        assert_eq!(
            MediaFormat::sniff(b"\0\0\0\x0cJXL \r\n\x87\n\0\0"),
            Some(MediaFormat::Jxl)
        );
        assert_eq!(
            MediaFormat::sniff(b"fLaC\0\0\0\x22"),
            Some(MediaFormat::Flac)
        );
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz; and a sync word with a reserved layer.
        assert_eq!(
            MediaFormat::sniff(b"\xFF\xFB\x90\x64"),
            Some(MediaFormat::Mp3)
        );
        assert_eq!(MediaFormat::sniff(b"\xFF\xF9\x90\x64"), None);
        assert_eq!(MediaFormat::sniff(b"random text"), None);
    }

    #[test]
    fn an_id3_tag_leads_mp3_or_flac_and_what_follows_decides() {
        let mut tagged = b"ID3\x04\0\0\0\0\0\x05".to_vec();
        tagged.extend_from_slice(b"TIT2\0");
        assert_eq!(MediaFormat::sniff(&tagged), Some(MediaFormat::Mp3));
        tagged.extend_from_slice(b"fLaC\0\0\0\x22");
        assert_eq!(MediaFormat::sniff(&tagged), Some(MediaFormat::Flac));
        // A tag size of 2^28 - 1 points past the end: MP3, no panic.
        assert_eq!(
            MediaFormat::sniff(b"ID3\x04\0\0\x7F\x7F\x7F\x7F"),
            Some(MediaFormat::Mp3)
        );
    }

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut b = u32::try_from(size).unwrap().to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            b.extend_from_slice(*c);
        }
        b.extend_from_slice(b"\0\0\0\x08free");
        b
    }

    #[test]
    fn iso_media_files_are_told_apart_by_their_brands() {
        use MediaFormat as F;
        for (major, compatible, format) in [
            (b"isom", &[b"isom", b"avc1"][..], F::Mp4),
            (b"mp42", &[b"mp42", b"mp41"][..], F::Mp4),
            (b"qt  ", &[b"qt  "][..], F::Mov),
            (b"avif", &[b"avif", b"mif1", b"miaf"][..], F::Avif),
            (b"mif1", &[b"mif1", b"avif"][..], F::Avif),
            (b"heic", &[b"mif1", b"heic"][..], F::Heic),
            (b"mif1", &[b"mif1"][..], F::Heif),
            (b"M4A ", &[b"M4A ", b"mp42", b"isom"][..], F::M4a),
        ] {
            assert_eq!(
                MediaFormat::sniff(&ftyp(major, compatible)),
                Some(format),
                "{major:?}"
            );
        }
        assert_eq!(
            MediaFormat::sniff(b"\0\0\0\x08wide\0\0\0\0mdat"),
            Some(F::Mov)
        );
        assert_eq!(MediaFormat::sniff(b"\0\0\0\x08ftyp"), None, "no brand");
        // A box size past the end, or under the header, reads what there is.
        let mut huge = ftyp(b"heic", &[b"mif1"]);
        huge[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(MediaFormat::sniff(&huge), Some(F::Heic));
        huge[..4].copy_from_slice(&1u32.to_be_bytes());
        assert_eq!(MediaFormat::sniff(&huge), Some(F::Heic));
    }

    #[test]
    fn svg_is_xml_whose_first_element_is_svg() {
        let svg = |text: &str| MediaFormat::sniff(text.as_bytes()) == Some(MediaFormat::Svg);
        assert!(svg("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"));
        assert!(svg("\u{feff}  <?xml version=\"1.0\"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<svg>"));
        assert!(!svg("<html><svg></svg></html>"));
        assert!(!svg("<?xml version=\"1.0\"?><rss/>"));
        assert!(!svg("<!-- never closed <svg>"));
    }

    #[test]
    fn declared_types_are_matched_with_their_aliases() {
        assert!(MediaFormat::Jpeg.answers_to("image/jpeg"));
        assert!(MediaFormat::Jpeg.answers_to(" Image/JPG ; charset=binary"));
        assert!(MediaFormat::Wav.answers_to("audio/x-wav"));
        assert!(
            MediaFormat::Mp4.answers_to("video/quicktime"),
            "ISO media types are loose"
        );
        assert!(MediaFormat::Heic.answers_to("image/heif"));
        assert!(!MediaFormat::Png.answers_to("image/jpeg"));
        assert!(
            !MediaFormat::Webp.answers_to("audio/wav"),
            "both RIFF, not the same"
        );
        for format in MediaFormat::ALL {
            assert!(format.answers_to(format.mime()), "{format:?}");
        }
    }

    #[test]
    fn a_pdf_is_read_only_with_the_pdf_feature_and_a_video_has_no_pixels() {
        let limits = Limits::default();
        let expected = if cfg!(feature = "pdf") {
            Ok(MediaFormat::Pdf)
        } else {
            Err(Code::FormatUnsupported)
        };
        assert_eq!(
            identify(b"%PDF-1.7\n", &limits).map_err(|e| e.code()),
            expected
        );
        assert!(!MediaFormat::Pdf.is_signable());
        let mp4 = ftyp(b"isom", &[b"isom"]);
        assert_eq!(identify(&mp4, &limits), Ok(MediaFormat::Mp4));
        assert_eq!(
            probe(&mp4, &limits).map_err(|e| e.code()),
            Err(Code::FormatUnsupported)
        );
        assert!(!MediaFormat::Mp4.is_picture());
        assert!(MediaFormat::Webp.is_picture());
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
        // Read a few bytes at a time, as from a pipe: the same answers.
        struct Dribble<'a>(&'a [u8]);
        impl std::io::Read for Dribble<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        assert!(jpeg_is_complete_in(Dribble(&jpeg)).unwrap());
        assert!(jpeg_is_complete_in(Dribble(&trailing)).unwrap());
        for cut in [jpeg.len() - 1, jpeg.len() - 2, jpeg.len() / 2, 3] {
            assert!(
                !jpeg_is_complete_in(Dribble(&jpeg[..cut])).unwrap(),
                "cut at {cut}"
            );
        }
    }

    /// The walk in place and the walk read ahead give the same answer on
    /// every JPEG of the fixtures and the corpus, whole, cut short at many
    /// places, and with bytes turned into 0xFF (markers where there were none).
    #[test]
    fn complete_in_memory_and_read_ahead_agree() {
        fn jpegs(dir: &std::path::Path, out: &mut Vec<Vec<u8>>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    jpegs(&path, out);
                } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg")
                }) {
                    out.extend(
                        std::fs::read(&path)
                            .ok()
                            .filter(|b| (16..8 << 20).contains(&b.len())),
                    );
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        jpegs(&root.join("fixtures"), &mut files);
        jpegs(&root.join("../shared/corpus"), &mut files);
        assert!(files.len() >= 10, "only {} JPEGs found", files.len());
        let (mut complete, mut incomplete) = (0, 0);
        for file in &files {
            let n = file.len();
            let mut cases: Vec<Vec<u8>> = vec![file.clone()];
            for k in 1..24 {
                cases.push(file[..n * k / 24].to_vec());
            }
            cases.extend([1, 2, 3].map(|k| file[..n.saturating_sub(k)].to_vec()));
            for k in 1..8 {
                let mut marked = file.clone();
                marked[n * k / 8] = 0xFF;
                cases.push(marked);
            }
            for case in &cases {
                let in_memory = jpeg_is_complete(case);
                let read = jpeg_is_complete_in(std::io::Cursor::new(case)).unwrap();
                assert_eq!(in_memory, read, "a JPEG of {} bytes", case.len());
                if in_memory {
                    complete += 1;
                } else {
                    incomplete += 1;
                }
            }
        }
        // Both answers occur (whole files are complete; most cuts are not).
        assert!(
            complete >= files.len() && incomplete >= files.len(),
            "{complete} / {incomplete}"
        );
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
