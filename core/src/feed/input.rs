//! What a feed reads: paths, JSON strings, or JSON objects with a path or a
//! hash computed elsewhere, one a line.

use std::path::PathBuf;

use crate::code::Code;
use crate::pdq::{Pdq, PdqHash};
use crate::report::ErrorInfo;

/// One item of a feed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedInput {
    pub path: Option<PathBuf>,
    /// Echoed back as the record's `id` (from a JSON input line).
    pub id: Option<serde_json::Value>,
    /// The input line it came from, when read from a stream.
    pub line: Option<u64>,
    /// A hash computed elsewhere (a JSON input with `pdq` and no `path`):
    /// matched as it is, nothing is read. Quality 100 unless the input gave one.
    pub pdq: Option<Pdq>,
    /// Why the input line could not be understood (the record carries it).
    pub problem: Option<ErrorInfo>,
}

impl FeedInput {
    pub fn path(path: PathBuf) -> Self {
        Self {
            path: Some(path),
            ..Self::default()
        }
    }

    /// Parse one line of a stream: a JSON object with `path` (and any `id`),
    /// or with `pdq` (64 hex digits, and optionally `quality`) for a hash
    /// computed elsewhere; a JSON string; or a bare path. Blank lines give `None`.
    pub fn from_line(text: &str, line: u64) -> Option<Self> {
        let trimmed = text.trim_end_matches(['\r', '\n']);
        if trimmed.trim().is_empty() {
            return None;
        }
        let mut input = Self {
            line: Some(line),
            ..Self::default()
        };
        let bad = |message: &str| {
            Some(ErrorInfo {
                code: Code::FeedInput.into(),
                message: message.into(),
            })
        };
        match trimmed.trim_start().as_bytes().first() {
            Some(b'{') => match serde_json::from_str::<serde_json::Value>(trimmed) {
                Ok(serde_json::Value::Object(mut object)) => {
                    input.id = object.remove("id");
                    match (object.remove("path"), object.remove("pdq")) {
                        (Some(serde_json::Value::String(p)), _) if !p.is_empty() => {
                            input.path = Some(p.into())
                        }
                        (None, Some(serde_json::Value::String(hex))) => {
                            let quality = object.get("quality").and_then(serde_json::Value::as_u64);
                            match (PdqHash::from_hex(&hex), quality) {
                                (Some(hash), None) => input.pdq = Some(Pdq { hash, quality: 100 }),
                                (Some(hash), Some(q)) if q <= 100 => {
                                    input.pdq = Some(Pdq {
                                        hash,
                                        quality: q as u8,
                                    })
                                }
                                (Some(_), Some(_)) => {
                                    input.problem = bad("\"quality\" is over 100")
                                }
                                (None, _) => {
                                    input.problem =
                                        bad("\"pdq\" is not a PDQ hash of 64 hex digits")
                                }
                            }
                        }
                        _ => {
                            input.problem =
                                bad("the JSON object has neither a \"path\" nor a \"pdq\" string")
                        }
                    }
                }
                _ => input.problem = bad("not valid JSON"),
            },
            Some(b'"') => match serde_json::from_str::<String>(trimmed) {
                Ok(p) if !p.is_empty() => input.path = Some(p.into()),
                _ => input.problem = bad("not a valid JSON string"),
            },
            _ => input.path = Some(trimmed.into()),
        }
        Some(input)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn input_lines_are_paths_json_strings_or_objects() {
        let p = |t: &str| FeedInput::from_line(t, 7);
        assert_eq!(p("  \n"), None);
        assert_eq!(p("a b.jpg\r\n").unwrap().path, Some("a b.jpg".into()));
        assert_eq!(p("\"x\\ty.jpg\"").unwrap().path, Some("x\ty.jpg".into()));
        let o = p(r#"{"path": "c.png", "id": 42}"#).unwrap();
        assert_eq!(o.path, Some("c.png".into()));
        assert_eq!(o.id, Some(serde_json::json!(42)));
        assert_eq!(o.line, Some(7));
        assert_eq!(p("{not json").unwrap().problem.unwrap().code, "feed.input");
        assert_eq!(
            p(r#"{"id": 1}"#).unwrap().problem.unwrap().message,
            "the JSON object has neither a \"path\" nor a \"pdq\" string"
        );
        let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let h = p(&format!(r#"{{"pdq": "{hex}", "quality": 60}}"#)).unwrap();
        assert_eq!(h.pdq.unwrap().hash.to_hex(), hex);
        assert_eq!(h.pdq.unwrap().quality, 60);
        assert_eq!(h.path, None);
        let bad_q = p(&format!(r#"{{"pdq": "{hex}", "quality": 101}}"#)).unwrap();
        assert!(bad_q.problem.is_some());
    }
}
