//! The one output sink of every command: stdout, or with `-o FILE` a file
//! that appears, whole, only when the command completes (a temporary file
//! beside it, synced, read back and renamed into place; see
//! [`AtomicFile`]). A command that fails leaves no file and replaces none.
//!
//! A reader that goes away (`hallmark verify … | head -1`) ends the output
//! quietly: nothing more is written, and the command still exits with its
//! own status (0, or the verdict's), never a panic, as `println!` would on a
//! closed pipe. Any other write error is kept and reported when the command
//! ends, with the code `io.write`.

use std::io::{self, Write};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use hallmark_core::{AtomicFile, Code, OutputError};

use crate::error::{shown, CliError, EXIT_FAILURE};

enum Target {
    Stdout,
    File(Box<AtomicFile>),
}

struct Sink {
    target: Target,
    /// The first write error; nothing more is written after it.
    failed: Option<io::Error>,
}

static SINK: Mutex<Sink> = Mutex::new(Sink {
    target: Target::Stdout,
    failed: None,
});

fn sink() -> MutexGuard<'static, Sink> {
    // A panic while holding the lock can't leave the sink half-updated in a
    // way that matters: keep writing.
    SINK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Send the output to `-o FILE` when the command was given one (`output`).
/// Fails at once when FILE exists without `force`, or its folder can't take it.
pub fn open(output: Option<&Path>, force: bool) -> Result<(), CliError> {
    let Some(path) = output else {
        return Ok(());
    };
    let file = AtomicFile::create(path, force).map_err(|e| open_error(path, e))?;
    sink().target = Target::File(Box::new(file));
    Ok(())
}

fn open_error(path: &Path, e: OutputError) -> CliError {
    match e {
        OutputError::Exists(_) => CliError::new(
            Code::OutputExists,
            format!("{} already exists", shown(path)),
            EXIT_FAILURE,
        )
        .hint("use --force to replace it, or choose another -o"),
        e => e.into(),
    }
}

/// Whether the output has ended: its reader went away, or a write failed.
/// Long loops may stop producing output early; they still finish their work.
pub fn closed() -> bool {
    sink().failed.is_some()
}

/// Write bytes to the sink (stdout is flushed at once, so lines appear as
/// they are made).
pub fn bytes(data: &[u8]) {
    let mut guard = sink();
    let sink = &mut *guard;
    if sink.failed.is_some() {
        return;
    }
    let result = match &mut sink.target {
        Target::Stdout => {
            let mut out = io::stdout().lock();
            out.write_all(data).and_then(|()| out.flush())
        }
        Target::File(file) => file.write_all(data),
    };
    if let Err(e) = result {
        sink.failed = Some(e);
    }
}

/// Write formatted text (and a newline when `newline`).
pub fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut text = match args.as_str() {
        Some(s) => s.to_string(),
        None => args.to_string(),
    };
    if newline {
        text.push('\n');
    }
    bytes(text.as_bytes());
}

/// The sink as an `io::Write`, for writers that stream (the HTML report).
/// Errors are kept by the sink and reported at [`finish`].
pub struct Writer;

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        bytes(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The command completed: put `-o FILE` in place, or report a write error
/// that stdout met (a closed pipe is not one).
pub fn finish() -> Result<(), CliError> {
    let mut guard = sink();
    let failed = guard.failed.take();
    match std::mem::replace(&mut guard.target, Target::Stdout) {
        Target::Stdout => match failed {
            Some(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::new(
                Code::IoWrite,
                format!("can't write to stdout: {e}"),
                EXIT_FAILURE,
            )),
            _ => Ok(()),
        },
        Target::File(file) => match failed {
            Some(e) => Err(file.error(e).into()),
            None => Ok(file.commit()?),
        },
    }
}

/// The command failed: drop `-o FILE`'s temporary file; nothing is replaced.
pub fn discard() {
    let mut guard = sink();
    guard.target = Target::Stdout;
    guard.failed = None;
}

/// `println!` to the sink; never panics on a closed pipe.
macro_rules! outln {
    () => { $crate::out::write(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), true) };
}

/// `print!` to the sink; never panics on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), false) };
}

pub(crate) use {out, outln};

/// A record as one line of JSON (`--json` output).
pub fn json_line(record: &impl serde::Serialize) -> String {
    serde_json::to_string(record)
        .unwrap_or_else(|e| format!("{{\"error\":{{\"code\":\"internal\",\"message\":\"{e}\"}}}}"))
}
