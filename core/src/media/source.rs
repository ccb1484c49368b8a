//! Where a file's bytes are read from: memory, or an open file read in place.
//! Audio and video ([`MediaFormat::is_streamed`]) are never held whole: c2pa
//! hashes them through a stream, so a 2 GB video costs no more memory than a
//! small one.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};

use super::{check_size, identify, Limits, MediaError, MediaFormat, SNIFF_BYTES};
use crate::code::Code;
use crate::input::InputError;

/// The bytes of one file to verify or sign.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Bytes(&'a [u8]),
    /// An open regular file of `len` bytes, read through `&File` (every
    /// [`stream`](Self::stream) starts at its beginning).
    File {
        file: &'a File,
        len: u64,
    },
}

/// A reader over a [`Source`], at its start when made.
#[derive(Debug)]
pub enum Stream<'a> {
    Bytes(Cursor<&'a [u8]>),
    File(&'a File),
}

impl Read for Stream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Bytes(c) => c.read(buf),
            Self::File(f) => f.read(buf),
        }
    }

    // The reference SDK reads a JPEG, PNG, … whole, twice, through
    // `read_to_end`: the default one grows its buffer by doubling (copies and
    // fresh pages each time); these size it once.
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        match self {
            Self::Bytes(c) => c.read_to_end(buf),
            Self::File(f) => f.read_to_end(buf),
        }
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        match self {
            Self::Bytes(c) => c.read_exact(buf),
            Self::File(f) => f.read_exact(buf),
        }
    }
}

impl Seek for Stream<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        match self {
            Self::Bytes(c) => c.seek(pos),
            Self::File(f) => f.seek(pos),
        }
    }
}

impl<'a> Source<'a> {
    /// A reader from the first byte. Readers of one file share its position:
    /// use one at a time.
    pub fn stream(&self) -> std::io::Result<Stream<'a>> {
        match *self {
            Self::Bytes(bytes) => Ok(Stream::Bytes(Cursor::new(bytes))),
            Self::File { mut file, .. } => {
                file.rewind()?;
                Ok(Stream::File(file))
            }
        }
    }

    /// The whole file, when it is in memory.
    pub fn bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Self::Bytes(bytes) => Some(bytes),
            Self::File { .. } => None,
        }
    }

    pub fn len(&self) -> u64 {
        match *self {
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::File { len, .. } => len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An open file, ready to check: in memory, or (audio and video) to be
/// streamed.
#[derive(Debug)]
pub enum Loaded {
    Bytes(Vec<u8>),
    Streamed { format: MediaFormat, len: u64 },
}

impl Loaded {
    /// The loaded file as a [`Source`]: its bytes, or `file` read in place.
    pub fn source<'a>(&'a self, file: &'a File) -> Source<'a> {
        match self {
            Self::Bytes(bytes) => Source::Bytes(bytes),
            Self::Streamed { len, .. } => Source::File { file, len: *len },
        }
    }
}

/// Why an open file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("{0}")]
    Media(#[from] MediaError),
}

impl LoadError {
    pub fn code(&self) -> Code {
        match self {
            Self::Input(e) => e.code(),
            Self::Media(e) => e.code(),
        }
    }
}

/// Sniff an open regular file and read it whole, under
/// [`Limits::max_file_bytes`], unless it is audio or video: those stay on
/// disk, under [`Limits::max_streamed_bytes`], and are identified here.
pub fn load(file: &File, limits: &Limits) -> Result<Loaded, LoadError> {
    let meta = file.metadata().map_err(InputError::Io)?;
    if meta.is_dir() {
        return Err(InputError::Directory.into());
    }
    if !meta.is_file() {
        return Err(InputError::NotRegular.into());
    }
    let len = meta.len();
    let mut reader = file;
    reader.rewind().map_err(InputError::Io)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    reader
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(InputError::Io)?;
    if let Some(format) = sniff_file(file, &head)
        .map_err(InputError::Io)?
        .filter(|f| f.is_streamed())
    {
        check_size(len, limits.max_streamed_bytes)?;
        return Ok(Loaded::Streamed { format, len });
    }
    check_size(len, limits.max_file_bytes)?;
    reader
        .seek(SeekFrom::Start(head.len() as u64))
        .map_err(InputError::Io)?;
    let mut bytes = head;
    bytes.reserve(
        usize::try_from(len)
            .unwrap_or(0)
            .saturating_sub(bytes.len()),
    );
    reader
        .take(limits.max_file_bytes.saturating_add(1) - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(InputError::Io)?;
    // A file that grew while it was read is held to the same limit.
    check_size(bytes.len() as u64, limits.max_file_bytes)?;
    Ok(Loaded::Bytes(bytes))
}

/// [`MediaFormat::sniff`] of a file whose first bytes are `head`, looking
/// past an ID3 tag longer than `head` (FLAC or MP3) in the file itself.
fn sniff_file(mut file: &File, head: &[u8]) -> std::io::Result<Option<MediaFormat>> {
    if let Some(at) = MediaFormat::id3_end(head).filter(|&at| at + 4 > head.len()) {
        let mut next = [0u8; 4];
        file.seek(SeekFrom::Start(at as u64))?;
        let read = file.read(&mut next)?;
        if next[..read] == *b"fLaC" {
            return Ok(Some(MediaFormat::Flac));
        }
    }
    Ok(MediaFormat::sniff(head))
}

/// The format of a source whose Content Credentials are to be read
/// ([`identify`] for bytes; streamed files were identified by [`load`]).
pub(crate) fn identify_source(
    source: Source<'_>,
    limits: &Limits,
) -> Result<MediaFormat, MediaError> {
    match source {
        Source::Bytes(bytes) => identify(bytes, limits),
        Source::File { len, .. } => {
            check_size(len, limits.max_streamed_bytes)?;
            let mut head = Vec::with_capacity(SNIFF_BYTES);
            source
                .stream()
                .and_then(|s| s.take(SNIFF_BYTES as u64).read_to_end(&mut head))
                .map_err(|e| MediaError::Malformed {
                    format: "file",
                    detail: format!("can't be read: {e}"),
                })?;
            let sniffed = source
                .stream()
                .and_then(|s| match s {
                    Stream::File(file) => sniff_file(file, &head),
                    Stream::Bytes(_) => Ok(MediaFormat::sniff(&head)),
                })
                .map_err(|e| MediaError::Malformed {
                    format: "file",
                    detail: format!("can't be read: {e}"),
                })?;
            match sniffed {
                Some(format) if format.is_streamed() => Ok(format),
                Some(format) => Err(MediaError::Unsupported {
                    format: format.mime(),
                    why: "only audio and video are read in place; load this file whole",
                }),
                None if head.is_empty() => Err(MediaError::Empty),
                None => Err(MediaError::Unrecognized),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;

    fn file_of(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(bytes).unwrap();
        let file = File::open(tmp.path()).unwrap();
        (tmp, file)
    }

    #[test]
    fn audio_and_video_stay_on_disk_and_pictures_are_read_whole() {
        let limits = Limits {
            max_file_bytes: 64,
            ..Limits::default()
        };
        let mut mp4 = b"\0\0\0\x10ftypisom\0\0\0\0".to_vec();
        mp4.resize(1000, 0);
        let (_keep, file) = file_of(&mp4);
        assert!(matches!(
            load(&file, &limits).unwrap(),
            Loaded::Streamed {
                format: MediaFormat::Mp4,
                len: 1000
            }
        ));
        let source = Source::File {
            file: &file,
            len: 1000,
        };
        assert_eq!(identify_source(source, &limits), Ok(MediaFormat::Mp4));
        let mut again = Vec::new();
        source.stream().unwrap().read_to_end(&mut again).unwrap();
        assert_eq!(again, mp4, "a stream starts at the first byte");

        let (_keep, file) = file_of(b"\x89PNG\r\n\x1a\n tiny");
        assert!(matches!(load(&file, &limits).unwrap(), Loaded::Bytes(b) if b.len() == 13));
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.resize(65, 0);
        let (_keep, file) = file_of(&png);
        assert_eq!(
            load(&file, &limits).map(|_| ()).map_err(|e| e.code()),
            Err(Code::LimitsFileSize)
        );
        let streamed_limit = Limits {
            max_streamed_bytes: 999,
            ..limits
        };
        let (_keep, file) = file_of(&mp4);
        assert_eq!(
            load(&file, &streamed_limit)
                .map(|_| ())
                .map_err(|e| e.code()),
            Err(Code::LimitsFileSize)
        );
        // FLAC behind an ID3 tag longer than what is sniffed (as c2patool
        // signs FLAC): the file is looked into past the tag, not called MP3.
        let mut flac = b"ID3\x04\0\0\0\0\x40\0".to_vec(); // a tag of 8,192 bytes
        flac.resize(10 + 8192, 0);
        flac.extend_from_slice(b"fLaC\0\0\0\x22");
        flac.resize(12_000, 0);
        let (_keep, file) = file_of(&flac);
        assert!(matches!(
            load(&file, &limits).unwrap(),
            Loaded::Streamed {
                format: MediaFormat::Flac,
                ..
            }
        ));
        let source = Source::File {
            file: &file,
            len: 12_000,
        };
        assert_eq!(identify_source(source, &limits), Ok(MediaFormat::Flac));
        assert_eq!(
            MediaFormat::sniff(&flac),
            Some(MediaFormat::Flac),
            "as in memory"
        );
        flac[10 + 8192] = b'x';
        let (_keep, file) = file_of(&flac);
        let source = Source::File {
            file: &file,
            len: 12_000,
        };
        assert_eq!(identify_source(source, &limits), Ok(MediaFormat::Mp3));
        assert_eq!(
            load(&File::open("/dev/null").unwrap(), &limits)
                .map(|_| ())
                .map_err(|e| e.code()),
            Err(Code::IoRead)
        );
    }
}
