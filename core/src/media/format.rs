//! The formats Hallmark recognises, told apart by content: magic numbers,
//! the brands of an ISO media file's `ftyp` box, what follows an ID3 tag, an
//! MPEG audio frame header, and an SVG's first element.

/// The media formats Hallmark recognises: every format the C2PA SDK reads
/// Content Credentials from. Only [`is_picture`](Self::is_picture) formats
/// have their pixels decoded (for the pixel digest and PDQ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
    Tiff,
    Avif,
    Heic,
    Heif,
    Jxl,
    Svg,
    Mp4,
    Mov,
    Avi,
    M4a,
    Mp3,
    Wav,
    Flac,
    Pdf,
}

/// How many bytes of a file [`MediaFormat::sniff`] looks at, at most: enough
/// for an SVG's XML prologue and comments before its root element.
pub const SNIFF_BYTES: usize = 4096;

impl MediaFormat {
    /// Every format, in the order the README lists them.
    pub const ALL: [Self; 18] = [
        Self::Jpeg,
        Self::Png,
        Self::Webp,
        Self::Gif,
        Self::Tiff,
        Self::Avif,
        Self::Heic,
        Self::Heif,
        Self::Jxl,
        Self::Svg,
        Self::Mp4,
        Self::Mov,
        Self::Avi,
        Self::M4a,
        Self::Mp3,
        Self::Wav,
        Self::Flac,
        Self::Pdf,
    ];

    /// Recognise a format from the first bytes of a file: the first
    /// [`SNIFF_BYTES`] are enough, and only an ID3 tag longer than that is
    /// looked past (to tell FLAC from MP3), when the bytes reach so far.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(Self::Jpeg);
        }
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Self::Png);
        }
        if head.len() >= 12 && &head[0..4] == b"RIFF" {
            return match &head[8..12] {
                b"WEBP" => Some(Self::Webp),
                b"WAVE" => Some(Self::Wav),
                b"AVI " => Some(Self::Avi),
                _ => None,
            };
        }
        if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            return Some(Self::Gif);
        }
        if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
            return Some(Self::Tiff);
        }
        if head.starts_with(&[0xFF, 0x0A]) || head.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
            return Some(Self::Jxl);
        }
        if head.starts_with(b"%PDF-") {
            return Some(Self::Pdf);
        }
        if head.starts_with(b"fLaC") {
            return Some(Self::Flac);
        }
        if head.starts_with(b"ID3") {
            // An ID3v2 tag leads MP3 files, and sometimes FLAC ones: what
            // follows the tag decides (MP3 when it is beyond what we see).
            return match Self::id3_end(head).and_then(|at| bytes.get(at..at + 4)) {
                Some(b"fLaC") => Some(Self::Flac),
                _ => Some(Self::Mp3),
            };
        }
        if mpeg_audio_frame(head) {
            return Some(Self::Mp3);
        }
        if let Some(format) = bmff(head) {
            return Some(format);
        }
        if svg(head) {
            return Some(Self::Svg);
        }
        None
    }

    /// Where the data after a leading ID3v2 tag begins (what tells FLAC from
    /// MP3), when `head` starts with one.
    pub fn id3_end(head: &[u8]) -> Option<usize> {
        if !head.starts_with(b"ID3") {
            return None;
        }
        head.get(6..10).map(|size| {
            10 + size
                .iter()
                .fold(0usize, |n, &b| (n << 7) | usize::from(b & 0x7F))
        })
    }

    /// The IANA media type, as C2PA and the report use it.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
            Self::Tiff => "image/tiff",
            Self::Avif => "image/avif",
            Self::Heic => "image/heic",
            Self::Heif => "image/heif",
            Self::Jxl => "image/jxl",
            Self::Svg => "image/svg+xml",
            Self::Mp4 => "video/mp4",
            Self::Mov => "video/quicktime",
            Self::Avi => "video/x-msvideo",
            Self::M4a => "audio/mp4",
            Self::Mp3 => "audio/mpeg",
            Self::Wav => "audio/wav",
            Self::Flac => "audio/flac",
            Self::Pdf => "application/pdf",
        }
    }

    /// Whether a declared media type (a `Content-Type`, say) may name this
    /// format: its own type or a common alias. The ISO base media formats
    /// accept one another's types (servers label MP4, MOV, AVIF and HEIC
    /// files loosely, and the container is the same).
    pub fn answers_to(self, mime: &str) -> bool {
        let mime = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let aliases: &[&str] = match self {
            Self::Jpeg => &["image/jpeg", "image/jpg", "image/pjpeg"],
            Self::Png => &["image/png", "image/apng"],
            Self::Webp => &["image/webp"],
            Self::Gif => &["image/gif"],
            Self::Tiff => &["image/tiff", "image/tif", "image/dng", "image/x-adobe-dng"],
            Self::Jxl => &["image/jxl"],
            Self::Svg => &["image/svg+xml"],
            Self::Avi => &["video/x-msvideo", "video/avi", "video/msvideo"],
            Self::Mp3 => &["audio/mpeg", "audio/mp3", "audio/x-mp3", "audio/mpeg3"],
            Self::Wav => &["audio/wav", "audio/wave", "audio/x-wav", "audio/vnd.wave"],
            Self::Flac => &["audio/flac", "audio/x-flac"],
            Self::Pdf => &["application/pdf"],
            Self::Avif | Self::Heic | Self::Heif | Self::Mp4 | Self::Mov | Self::M4a => &[
                "image/avif",
                "image/heic",
                "image/heif",
                "image/heic-sequence",
                "image/heif-sequence",
                "video/mp4",
                "video/quicktime",
                "video/x-m4v",
                "audio/mp4",
                "audio/x-m4a",
                "application/mp4",
            ],
        };
        aliases.contains(&mime.as_str())
    }

    /// Whether Hallmark decodes this format's pixels (digest, PDQ, thumbnails).
    pub fn is_picture(self) -> bool {
        self.image_format().is_some()
    }

    /// Video that vPDQ decodes (feature `video`): MP4, MOV, AVI.
    pub fn is_video(self) -> bool {
        matches!(self, Self::Mp4 | Self::Mov | Self::Avi)
    }

    /// Audio and video: read in place, never held whole (see [`Source`](super::Source)).
    pub fn is_streamed(self) -> bool {
        matches!(
            self,
            Self::Mp4 | Self::Mov | Self::Avi | Self::M4a | Self::Mp3 | Self::Wav | Self::Flac
        )
    }

    /// Whether the extension compares what the screen shows with the
    /// verified file's pixels: still pictures (a GIF may animate).
    pub fn is_compared_on_screen(self) -> bool {
        self.is_picture() && self != Self::Gif
    }

    /// Whether this build reads Content Credentials from this format.
    pub fn is_readable(self) -> bool {
        self != Self::Pdf || cfg!(feature = "pdf")
    }

    /// Whether c2pa writes Content Credentials into this format (all it
    /// reads but PDF).
    pub fn is_signable(self) -> bool {
        self != Self::Pdf
    }

    /// The `image` crate's decoder for this format, when Hallmark decodes it.
    pub(crate) fn image_format(self) -> Option<image::ImageFormat> {
        match self {
            Self::Jpeg => Some(image::ImageFormat::Jpeg),
            Self::Png => Some(image::ImageFormat::Png),
            Self::Webp => Some(image::ImageFormat::WebP),
            Self::Gif => Some(image::ImageFormat::Gif),
            Self::Tiff => Some(image::ImageFormat::Tiff),
            _ => None,
        }
    }
}

/// An MPEG audio frame header (MPEG-1/2/2.5, layer I–III, a valid bitrate
/// and sample rate): an MP3 without an ID3 tag.
pub(super) fn mpeg_audio_frame(head: &[u8]) -> bool {
    let [0xFF, b1, b2, ..] = *head else {
        return false;
    };
    let sync = b1 & 0xE0 == 0xE0;
    let version_ok = (b1 >> 3) & 0b11 != 0b01;
    let layer_ok = (b1 >> 1) & 0b11 != 0b00;
    let bitrate_ok = (b2 >> 4) != 0b1111;
    let rate_ok = (b2 >> 2) & 0b11 != 0b11;
    sync && version_ok && layer_ok && bitrate_ok && rate_ok
}

/// An ISO base media file (MP4, MOV, AVIF, HEIC…), told apart by the brands
/// of its `ftyp` box; an old QuickTime file may begin with another box.
pub(super) fn bmff(head: &[u8]) -> Option<MediaFormat> {
    let box_type = head.get(4..8)?;
    if box_type != b"ftyp" {
        return matches!(box_type, b"moov" | b"mdat" | b"wide" | b"pnot")
            .then_some(MediaFormat::Mov);
    }
    let size = head
        .get(0..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)?;
    let end = size.clamp(16, head.len().max(16));
    let major = head.get(8..12)?;
    let compatible = head.get(16..end).unwrap_or(&[]).chunks_exact(4);
    let brands: Vec<&[u8]> = std::iter::once(major).chain(compatible).collect();
    let any = |names: &[&[u8; 4]]| brands.iter().any(|b| names.iter().any(|n| *b == &n[..]));
    Some(if major == b"qt  " {
        MediaFormat::Mov
    } else if any(&[b"avif", b"avis"]) {
        MediaFormat::Avif
    } else if any(&[
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
    ]) {
        MediaFormat::Heic
    } else if any(&[b"mif1", b"msf1"]) && !any(&[b"isom", b"mp41", b"mp42"]) {
        MediaFormat::Heif
    } else if any(&[b"M4A ", b"M4B ", b"M4P "]) {
        MediaFormat::M4a
    } else {
        MediaFormat::Mp4
    })
}

/// An SVG document: XML text (after a byte-order mark, whitespace, an XML
/// declaration, comments or a doctype) whose first element is `<svg`.
pub(super) fn svg(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut rest = text;
    loop {
        let trimmed = rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&[][..], |i| &rest[i..]);
        if trimmed.starts_with(b"<svg") {
            return true;
        }
        let close: &[u8] = if trimmed.starts_with(b"<?") {
            b"?>"
        } else if trimmed.starts_with(b"<!--") {
            b"-->"
        } else if trimmed.starts_with(b"<!") {
            b">"
        } else {
            return false;
        };
        match trimmed.windows(close.len()).position(|w| w == close) {
            Some(at) => rest = &trimmed[at + close.len()..],
            None => return false,
        }
    }
}
