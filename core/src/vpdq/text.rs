//! The reference's text form of a video hash: one line a frame,
//! `frame,quality,pdq,timestamp` (frame number, quality 0–100, 64 hex digits,
//! seconds with three decimals), as Meta's `vpdq-hash-video` writes it.

use std::fmt::Write as _;

use super::{VideoHash, VpdqFrame};
use crate::code::Code;
use crate::pdq::PdqHash;

/// Most frames a hash file may hold: an hour of every frame at 500 fps, or
/// 23 days hashed once a second; 96 MB in memory.
pub const MAX_TEXT_FRAMES: usize = 2_000_000;

/// Why a text hash was refused: the first bad line, or too many.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("line {line}: {why}")]
    Line { line: usize, why: String },
    #[error("more than {max} frames")]
    TooManyFrames { max: usize },
    #[error("no frame hash in the file")]
    Empty,
}

impl TextError {
    pub fn code(&self) -> Code {
        match self {
            Self::Line { .. } | Self::Empty => Code::FormatMalformed,
            Self::TooManyFrames { .. } => Code::LimitsDimensions,
        }
    }
}

/// Whether text looks like a vPDQ hash file (its first non-blank line parses
/// as one): how `compare` and `match` tell a hash file from a video.
pub fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let Ok(text) =
        std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
    else {
        return false;
    };
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| parse_line(l).is_ok())
}

fn parse_line(line: &str) -> Result<VpdqFrame, String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [frame, quality, pdq, time] = fields[..] else {
        return Err(format!(
            "expected 4 comma-separated fields (frame,quality,pdq,timestamp), found {}",
            fields.len()
        ));
    };
    let frame: u64 = frame
        .parse()
        .map_err(|_| format!("frame number {frame:?} is not a whole number"))?;
    let quality: u8 = quality
        .parse()
        .ok()
        .filter(|q| *q <= 100)
        .ok_or_else(|| format!("quality {quality:?} is not a whole number from 0 to 100"))?;
    let pdq =
        PdqHash::from_hex(pdq).ok_or_else(|| "the PDQ hash is not 64 hex digits".to_string())?;
    let time: f64 = time
        .parse()
        .ok()
        .filter(|t: &f64| t.is_finite() && *t >= 0.0)
        .ok_or_else(|| format!("timestamp {time:?} is not a number of seconds"))?;
    Ok(VpdqFrame {
        frame,
        time,
        pdq,
        quality,
    })
}

/// Parse a hash file. Blank lines are skipped; any other bad line refuses the
/// whole file (a hash with a line missing would match less than it should).
/// Frames are put in frame order; a frame number given twice is refused.
pub fn parse_text(text: &str) -> Result<VideoHash, TextError> {
    let mut frames = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if frames.len() == MAX_TEXT_FRAMES {
            return Err(TextError::TooManyFrames {
                max: MAX_TEXT_FRAMES,
            });
        }
        let frame = parse_line(line).map_err(|why| TextError::Line { line: i + 1, why })?;
        if !seen.insert(frame.frame) {
            return Err(TextError::Line {
                line: i + 1,
                why: format!("frame {} is given twice", frame.frame),
            });
        }
        frames.push(frame);
    }
    if frames.is_empty() {
        return Err(TextError::Empty);
    }
    Ok(VideoHash::new(frames))
}

/// The reference's text form, one line a frame.
pub fn write_text(hash: &VideoHash) -> String {
    let mut out = String::with_capacity(hash.frames.len() * 80);
    for f in &hash.frames {
        let _ = writeln!(out, "{},{},{},{:.3}", f.frame, f.quality, f.pdq, f.time);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000\n\
                          1,87,c0f11178372c6aaccddea259648fbfd62f434c89c9e99b249772be216c8d055c,0.033\n";

    #[test]
    fn round_trips_the_reference_form() {
        let hash = parse_text(SAMPLE).expect("parses");
        assert_eq!(hash.len(), 2);
        assert_eq!(hash.frames[1].frame, 1);
        assert_eq!(hash.frames[1].quality, 87);
        assert_eq!(hash.frames[1].time, 0.033);
        assert_eq!(write_text(&hash), SAMPLE);
        assert!(looks_like_text(SAMPLE.as_bytes()));
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        let cases = [
            ("0,100,zz,0.0\n", 1, "64 hex digits"),
            (
                "\n0,101,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0\n",
                2,
                "quality",
            ),
            (
                "x,1,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0\n",
                1,
                "frame number",
            ),
            (
                "0,1,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,-1\n",
                1,
                "timestamp",
            ),
            (
                "0,1,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,NaN\n",
                1,
                "timestamp",
            ),
            ("0,1,2\n", 1, "4 comma-separated"),
        ];
        for (text, line, why) in cases {
            match parse_text(text) {
                Err(TextError::Line { line: l, why: w }) => {
                    assert_eq!(l, line, "{text:?}");
                    assert!(w.contains(why), "{text:?}: {w}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let twice = format!(
            "{SAMPLE}1,87,c0f11178372c6aaccddea259648fbfd62f434c89c9e99b249772be216c8d055c,0.033\n"
        );
        assert!(matches!(
            parse_text(&twice),
            Err(TextError::Line { line: 3, .. })
        ));
        assert_eq!(parse_text("\n \n"), Err(TextError::Empty));
        assert!(!looks_like_text(b"\x00\x00\x00\x18ftypmp42"));
        assert_eq!(TextError::Empty.code(), Code::FormatMalformed);
    }
}
