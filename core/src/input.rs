//! Reading input without trusting it: only regular files, never more than
//! the size limit whatever the file system claims, and lines of bounded length.

use crate::code::Code;
use std::fs::File;
use std::io::{BufRead, Read};
use std::path::Path;

/// Why an input file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("is a directory")]
    Directory,
    #[error("not a regular file (a device, FIFO or socket)")]
    NotRegular,
    #[error("more than {max} bytes: over the file size limit")]
    TooLarge { max: u64 },
}

impl InputError {
    pub fn code(&self) -> Code {
        match self {
            Self::Io(_) | Self::Directory | Self::NotRegular => Code::IoRead,
            Self::TooLarge { .. } => Code::LimitsFileSize,
        }
    }
}

/// Open a regular file for reading (not a directory, device, FIFO or socket).
pub fn open_input(path: &Path) -> Result<File, InputError> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(InputError::Directory);
    }
    if !meta.is_file() {
        return Err(InputError::NotRegular);
    }
    Ok(file)
}

/// Read a regular file of at most `max_bytes`. Reads at most one byte more
/// than the limit, so endless or growing files can't exhaust memory.
pub fn read_input(path: &Path, max_bytes: u64) -> Result<Vec<u8>, InputError> {
    let file = open_input(path)?;
    let meta = file.metadata()?;
    if meta.len() > max_bytes {
        return Err(InputError::TooLarge { max: max_bytes });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(InputError::TooLarge { max: max_bytes });
    }
    Ok(bytes)
}

/// What [`read_bounded_line`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundedLine {
    /// The end of the input: nothing was read.
    End,
    /// A line (with its `\n`, unless it ended the input) is in the buffer.
    Line,
    /// The line was longer than the limit: it was read to its end and dropped.
    TooLong,
}

/// Read one `\n`-terminated line of at most `max` bytes into `buf` (cleared
/// first). A longer line is consumed to its end, never held in memory, and
/// reported as [`BoundedLine::TooLong`].
pub fn read_bounded_line(
    reader: &mut impl BufRead,
    max: usize,
    buf: &mut Vec<u8>,
) -> std::io::Result<BoundedLine> {
    buf.clear();
    let read = reader.take(max as u64 + 1).read_until(b'\n', buf)?;
    if read == 0 {
        return Ok(BoundedLine::End);
    }
    if buf.len() <= max || buf.last() == Some(&b'\n') {
        return Ok(BoundedLine::Line);
    }
    loop {
        buf.clear();
        let more = reader.take(max as u64).read_until(b'\n', buf)?;
        if more == 0 || buf.last() == Some(&b'\n') {
            buf.clear();
            return Ok(BoundedLine::TooLong);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_directories_and_oversize() {
        assert!(matches!(
            read_input(Path::new("/dev/zero"), 1024),
            Err(InputError::NotRegular)
        ));
        assert!(matches!(
            read_input(Path::new("/"), 1024),
            Err(InputError::Directory)
        ));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [0u8; 100]).unwrap();
        assert!(matches!(
            read_input(&path, 99),
            Err(InputError::TooLarge { max: 99 })
        ));
        assert_eq!(read_input(&path, 100).unwrap().len(), 100);
    }
}
