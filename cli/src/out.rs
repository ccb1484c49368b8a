//! Standard output for every command's lines. A reader that goes away
//! (`hallmark verify … | head -1`) ends the output quietly: nothing more is
//! written, and the command still exits with its own status (0, or the
//! verdict's), never a panic, as `println!` would on a closed pipe.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether the reader of stdout has gone away.
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Note a write error: a closed pipe ends the output; anything else is
/// reported once on stderr (the output is then incomplete, the status kept).
pub fn failed(e: &io::Error) {
    if !CLOSED.swap(true, Ordering::Relaxed) && e.kind() != io::ErrorKind::BrokenPipe {
        eprintln!("hallmark: warning: can't write to stdout: {e}");
    }
}

/// Write formatted text (and a newline when `newline`) to stdout.
pub fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    if closed() {
        return;
    }
    let mut out = io::stdout().lock();
    let result = out
        .write_fmt(args)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    if let Err(e) = result {
        failed(&e);
    }
}

/// `println!` that never panics on a closed pipe.
macro_rules! outln {
    () => { $crate::out::write(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), true) };
}

/// `print!` that never panics on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), false) };
}

pub(crate) use {out, outln};

/// A record as one line of JSON (`--json` output).
pub fn json_line(record: &impl serde::Serialize) -> String {
    serde_json::to_string(record)
        .unwrap_or_else(|e| format!("{{\"error\":{{\"code\":\"internal\",\"message\":\"{e}\"}}}}"))
}
