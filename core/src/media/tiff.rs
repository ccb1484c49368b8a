//! A bound on the work a TIFF asks of the C2PA SDK's reader, checked before
//! it sees the file: c2pa 0.90 reads every image directory and every
//! sub-image a TIFF points to, and a 38 KB file pointing to five million
//! (the reference corpus's `tiff_poc.tiff`) kept it busy for 80 seconds,
//! and c2patool 0.27 for 95. c2pa-rs 0.91 refuses such files; so does this.

use std::collections::HashSet;

use super::MediaError;

/// Most image directories a TIFF may point to: its main chain of directories
/// and the sub-images, EXIF, GPS and interoperability directories they name,
/// together. A DNG has a handful; a scanned document of 1,000 pages fits.
pub const MAX_TIFF_DIRECTORIES: u64 = 1024;

/// Tags whose values point to further directories.
const POINTER_TAGS: [u16; 4] = [0x014A, 0x8769, 0x8825, 0xA005];
/// DNGVersion: the file is a raw camera image (its first directory is
/// usually a small RGB preview, not the picture).
const DNG_VERSION: u16 = 0xC612;
/// ImageWidth: the directory holds an image.
const IMAGE_WIDTH: u16 = 0x0100;

/// What the directory walk saw of a TIFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Layout {
    /// Directories in the main chain that hold an image (an ImageWidth):
    /// pages. (c2pa adds one holding only its manifest.)
    pub pages: u64,
    /// A DNG (raw camera image).
    pub dng: bool,
}

impl Layout {
    /// Whether the `tiff` decoder shows all of it: one page, not raw.
    pub fn is_one_picture(self) -> bool {
        self.pages == 1 && !self.dng
    }
}

fn malformed(detail: String) -> MediaError {
    MediaError::Malformed {
        format: "image/tiff",
        detail,
    }
}

/// Refuse a TIFF that points to more than [`MAX_TIFF_DIRECTORIES`]
/// directories, or whose chain of directories loops. Reads only directory
/// headers (at most 1,025 of them, and 12 bytes an entry); a structure cut
/// short is left to the reader, which reports it. Says how many pages there
/// are and whether it is a DNG.
pub(super) fn check_directories(bytes: &[u8]) -> Result<Layout, MediaError> {
    let big_endian = bytes.starts_with(b"MM");
    let u16_at = |at: usize| {
        let b = bytes.get(at..at.checked_add(2)?)?;
        Some(if big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| {
        let b = bytes.get(at..at.checked_add(4)?)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let mut layout = Layout::default();
    let Some(mut offset) = u32_at(4) else {
        return Ok(layout);
    };
    let mut seen = HashSet::new();
    let mut directories: u64 = 0;
    while offset != 0 {
        if !seen.insert(offset) {
            return Err(malformed("its image directories form a loop".to_string()));
        }
        directories += 1;
        let at = offset as usize;
        let Some(entries) = u16_at(at) else {
            return Ok(layout);
        };
        for i in 0..usize::from(entries) {
            let entry = at + 2 + 12 * i;
            let (Some(tag), Some(count)) = (u16_at(entry), u32_at(entry + 4)) else {
                return Ok(layout);
            };
            layout.dng |= tag == DNG_VERSION;
            if tag == IMAGE_WIDTH {
                layout.pages += 1;
            }
            if POINTER_TAGS.contains(&tag) {
                directories += u64::from(count);
            }
        }
        if directories > MAX_TIFF_DIRECTORIES {
            return Err(malformed(format!(
                "too many subfiles: it points to more than {MAX_TIFF_DIRECTORIES} image directories"
            )));
        }
        let Some(next) = u32_at(at + 2 + 12 * usize::from(entries)) else {
            return Ok(layout);
        };
        offset = next;
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF of `directories` chained directories, each with
    /// two entries: an ImageWidth, and a SubIFDs tag naming `subfiles` sub-images.
    fn tiff(directories: u32, subfiles: u32, looped: bool) -> Vec<u8> {
        let mut b = b"II*\0\x08\0\0\0".to_vec();
        for i in 0..directories {
            let here = 8 + 30 * i;
            b.extend_from_slice(&2u16.to_le_bytes());
            b.extend_from_slice(&0x0100u16.to_le_bytes());
            b.extend_from_slice(&3u16.to_le_bytes());
            b.extend_from_slice(&1u32.to_le_bytes());
            b.extend_from_slice(&64u32.to_le_bytes());
            b.extend_from_slice(&0x014Au16.to_le_bytes());
            b.extend_from_slice(&4u16.to_le_bytes());
            b.extend_from_slice(&subfiles.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            let next = if i + 1 < directories {
                here + 30
            } else if looped {
                8
            } else {
                0
            };
            b.extend_from_slice(&next.to_le_bytes());
        }
        b
    }

    #[test]
    fn directories_are_counted_with_their_sub_images() {
        let one = Layout {
            pages: 1,
            dng: false,
        };
        assert_eq!(check_directories(&tiff(1, 0, false)), Ok(one));
        assert!(one.is_one_picture());
        let pages = check_directories(&tiff(512, 1, false));
        assert_eq!(pages.as_ref().map(|l| l.pages), Ok(512), "1,024 in all");
        assert!(!pages.unwrap_or_default().is_one_picture());
        let too_many = check_directories(&tiff(513, 1, false)).map_err(|e| e.to_string());
        assert!(too_many.is_err_and(|e| e.contains("too many subfiles")));
        // One directory naming five million sub-images (as tiff_poc.tiff's do).
        assert!(check_directories(&tiff(1, 5_000_000, false)).is_err());
    }

    #[test]
    fn a_loop_of_directories_is_refused_and_short_files_are_left_to_the_reader() {
        let looped = check_directories(&tiff(3, 0, true)).map_err(|e| e.to_string());
        assert!(looped.is_err_and(|e| e.contains("loop")));
        let whole = tiff(3, 0, false);
        for cut in 0..whole.len() {
            assert!(check_directories(&whole[..cut]).is_ok(), "cut at {cut}");
        }
        // An offset past the end, or the largest one, reads nothing.
        assert!(check_directories(b"II*\0\xFF\xFF\xFF\xFF").is_ok());
    }
}
