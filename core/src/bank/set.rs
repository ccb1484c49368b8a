//! Banks for feeds: many hash lists (TSV or SQLite), merged into one packed
//! set that the feed's CPU index and tensor matcher both search; and the
//! video hashes of those banks (folders of `.vpdq.txt` files, or a SQLite
//! table `videos`), merged into one [`VideoBank`].
//!
//! Memory per hash: 32 bytes packed, a label index and the note's span in one
//! shared arena, so ten million hashes fit in about half a gigabyte.

use crate::code::Code;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{clean_field, clean_label, parse_tsv_line, TsvLine, MAX_LINE};
use crate::input::{read_bounded_line, BoundedLine};
use crate::pdq::PdqHash;
use crate::vpdq::{parse_text, VideoBank, MAX_HASH_FILE_BYTES};

/// Most distinct labels a bank set holds (labels are categories, not notes).
pub const MAX_LABELS: usize = 4096;

/// A bank line (or SQLite row) that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankProblem {
    /// The bank's file name as given.
    pub bank: String,
    /// The 1-based line (TSV) or row id (SQLite); 0 for the file as a whole.
    pub line: u64,
    pub code: Code,
    pub message: String,
}

/// Why a bank could not be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("{bank}: {message}")]
    Unreadable { bank: String, message: String },
    #[error("too many distinct labels (more than {MAX_LABELS}): labels name categories such as known-fake; put details in the note")]
    TooManyLabels,
}

impl BankError {
    pub fn code(&self) -> Code {
        match self {
            Self::Unreadable { .. } => Code::BankUnreadable,
            Self::TooManyLabels => Code::BankLabels,
        }
    }
}

/// One hash of a [`BankSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    label: u32,
    source: u32,
    note_start: u64,
    note_len: u32,
}

/// A bank entry as matching reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankRef<'a> {
    pub hash: PdqHash,
    pub label: &'a str,
    pub note: &'a str,
    /// The bank file it came from, as given.
    pub bank: &'a str,
}

/// Every hash of every bank, in load order (bank by bank, line by line): the
/// id of a hash is its position, and ties between equally near hashes go to
/// the lower id.
#[derive(Debug, Default)]
pub struct BankSet {
    lanes: Vec<[u64; 4]>,
    slots: Vec<Slot>,
    labels: Vec<String>,
    sources: Vec<String>,
    notes: String,
    videos: VideoBank,
    /// The source of each video, by its id in `videos`.
    video_sources: Vec<u32>,
}

/// A bank video as feeds report it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoRef<'a> {
    pub entry: &'a crate::vpdq::VideoEntry,
    /// The bank (folder or SQLite file) it came from, as given.
    pub bank: &'a str,
}

impl BankSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.lanes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lanes.is_empty()
    }

    /// The video hashes of every bank.
    pub fn videos(&self) -> &VideoBank {
        &self.videos
    }

    /// The videos, kept as they are (their frame index is not rebuilt).
    pub fn into_videos(self) -> VideoBank {
        self.videos
    }

    /// The video with this id ([`crate::vpdq::VideoMatch::id`]).
    pub fn video(&self, id: usize) -> Option<VideoRef<'_>> {
        let entry = self.videos.entries().get(id)?;
        let bank = self
            .video_sources
            .get(id)
            .and_then(|&s| self.sources.get(s as usize))
            .map_or("", String::as_str);
        Some(VideoRef { entry, bank })
    }

    /// Add a video; a problem (and the bank full) past the video bank's caps.
    fn push_video(
        &mut self,
        label: &str,
        note: &str,
        file: String,
        hash: crate::vpdq::VideoHash,
        source: u32,
    ) -> Result<bool, BankError> {
        // Its label counts against the cap, as a picture hash's does.
        let label = self.label_index(label)?;
        let label = self.labels[label as usize].clone();
        if !self.videos.push(&label, note, file, hash) {
            return Ok(false);
        }
        self.video_sources.push(source);
        Ok(true)
    }

    /// The packed hashes, by id ([`PdqHash::lanes`] form).
    pub fn lanes(&self) -> &[[u64; 4]] {
        &self.lanes
    }

    /// The entry with this id.
    pub fn get(&self, id: usize) -> Option<BankRef<'_>> {
        let slot = self.slots.get(id)?;
        let start = usize::try_from(slot.note_start).ok()?;
        let note = self
            .notes
            .get(start..start + slot.note_len as usize)
            .unwrap_or_default();
        Some(BankRef {
            hash: PdqHash::from_lanes(*self.lanes.get(id)?),
            label: self
                .labels
                .get(slot.label as usize)
                .map_or("", String::as_str),
            note,
            bank: self
                .sources
                .get(slot.source as usize)
                .map_or("", String::as_str),
        })
    }

    fn label_index(&mut self, label: &str) -> Result<u32, BankError> {
        let label = clean_label(label);
        if let Some(i) = self.labels.iter().position(|l| *l == label) {
            return Ok(i as u32);
        }
        if self.labels.len() >= MAX_LABELS {
            return Err(BankError::TooManyLabels);
        }
        self.labels.push(label);
        Ok((self.labels.len() - 1) as u32)
    }

    fn push(&mut self, hash: PdqHash, label: u32, source: u32, note: &str) {
        let note = clean_field(note);
        self.slots.push(Slot {
            label,
            source,
            note_start: self.notes.len() as u64,
            note_len: note.len() as u32,
        });
        self.notes.push_str(&note);
        self.lanes.push(hash.lanes());
    }

    /// Add a bank: a folder of `.vpdq.txt` video hashes (labelled by their
    /// subfolder, as [`VideoBank::load_dir`] reads them), or a file, SQLite
    /// (recognised by its header) or TSV. `label`, when given, is the label
    /// of every entry of this bank (overriding the file's own). Returns the
    /// lines (rows, hash files) that were skipped; the rest are added.
    pub fn load(
        &mut self,
        path: &Path,
        name: &str,
        label: Option<&str>,
    ) -> Result<Vec<BankProblem>, BankError> {
        let unreadable = |message: String| BankError::Unreadable {
            bank: name.to_string(),
            message,
        };
        if path.is_dir() {
            return self.load_video_dir(path, name, label);
        }
        let sqlite = is_sqlite(path).map_err(|e| unreadable(e.to_string()))?;
        let source = self.sources.len() as u32;
        self.sources.push(name.to_string());
        let forced = label.map(|l| self.label_index(l)).transpose()?;
        if sqlite {
            self.load_sqlite(path, name, source, forced)
        } else {
            let file = File::open(path).map_err(|e| unreadable(e.to_string()))?;
            self.load_tsv(BufReader::new(file), name, source, forced)
        }
    }

    /// Add a folder of video hash files. A file that can't be used is a
    /// problem with line 0 and the file named in its message.
    fn load_video_dir(
        &mut self,
        path: &Path,
        name: &str,
        label: Option<&str>,
    ) -> Result<Vec<BankProblem>, BankError> {
        let source = self.sources.len() as u32;
        self.sources.push(name.to_string());
        // Entries go straight into the merged bank: one frame index, built once.
        let mut refused = None;
        let skipped = VideoBank::read_dir(path, |e| {
            let label = label.unwrap_or(&e.label).to_string();
            match self.push_video(&label, &e.note, e.file, e.hash, source) {
                Ok(added) => added,
                Err(err) => {
                    refused = Some(err);
                    false
                }
            }
        })
        .map_err(|e| BankError::Unreadable {
            bank: name.to_string(),
            message: e.to_string(),
        })?;
        if let Some(err) = refused {
            return Err(err);
        }
        Ok(skipped
            .into_iter()
            .map(|p| {
                let file = p.path.strip_prefix(path).unwrap_or(&p.path);
                BankProblem {
                    bank: name.to_string(),
                    line: 0,
                    code: Code::BankLine,
                    message: format!("{}: {}", file.display(), p.message),
                }
            })
            .collect())
    }

    /// Add TSV lines (`pdq_hex<TAB>label<TAB>note`; `#` comments and blank
    /// lines skipped) from any reader.
    pub fn load_tsv(
        &mut self,
        mut reader: impl BufRead,
        name: &str,
        source: u32,
        forced: Option<u32>,
    ) -> Result<Vec<BankProblem>, BankError> {
        let mut problems = Vec::new();
        let mut buf = Vec::new();
        let mut number = 0u64;
        loop {
            buf.clear();
            number += 1;
            let read = read_bounded_line(&mut reader, MAX_LINE, &mut buf).map_err(|e| {
                BankError::Unreadable {
                    bank: name.to_string(),
                    message: format!("line {number}: {e}"),
                }
            })?;
            let problem = |code: Code, message: String| BankProblem {
                bank: name.to_string(),
                line: number,
                code,
                message,
            };
            match read {
                BoundedLine::End => break,
                BoundedLine::TooLong => {
                    problems.push(problem(
                        Code::BankLine,
                        format!("longer than {MAX_LINE} bytes"),
                    ));
                    continue;
                }
                BoundedLine::Line => {}
            }
            let Ok(line) = std::str::from_utf8(&buf) else {
                problems.push(problem(Code::BankLine, "not UTF-8 text".into()));
                continue;
            };
            let (hash, label, note) = match parse_tsv_line(line) {
                TsvLine::Skip => continue,
                TsvLine::Bad(why) => {
                    problems.push(problem(Code::BankLine, why.into()));
                    continue;
                }
                TsvLine::Entry { hash, label, note } => (hash, label, note),
            };
            let label = match forced {
                Some(l) => l,
                None => self.label_index(label)?,
            };
            self.push(hash, label, source, note);
        }
        Ok(problems)
    }

    /// Add the rows of a SQLite bank, opened read-only: table `hashes` with
    /// columns `pdq` (64 hex digits, or a 32-byte blob in [`PdqHash::lanes`]
    /// little-endian order), `label` and `note` (either may be NULL); and/or
    /// table `videos` with columns `vpdq` (a video's hash in the reference's
    /// text format, as `hallmark hash --format vpdq` writes it), `label` and
    /// `note`. At least one of the two must be there.
    fn load_sqlite(
        &mut self,
        path: &Path,
        name: &str,
        source: u32,
        forced: Option<u32>,
    ) -> Result<Vec<BankProblem>, BankError> {
        use rusqlite::{Connection, OpenFlags};
        let unreadable = |e: rusqlite::Error| BankError::Unreadable {
            bank: name.to_string(),
            message: format!("SQLite bank: {e}"),
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(unreadable)?;
        // The file's own schema is not trusted: nothing in it runs functions.
        conn.pragma_update(None, "trusted_schema", false)
            .map_err(unreadable)?;
        let table = |t: &str| -> Result<bool, BankError> {
            conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [t],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(unreadable)
        };
        let (hashes, videos) = (table("hashes")?, table("videos")?);
        if !hashes && !videos {
            return Err(BankError::Unreadable {
                bank: name.to_string(),
                message:
                    "SQLite bank: no table hashes(pdq, label, note) or videos(vpdq, label, note)"
                        .into(),
            });
        }
        let mut problems = Vec::new();
        if hashes {
            self.load_sqlite_hashes(&conn, name, source, forced, &mut problems)?;
        }
        if videos {
            self.load_sqlite_videos(&conn, name, source, forced, &mut problems)?;
        }
        Ok(problems)
    }

    fn load_sqlite_hashes(
        &mut self,
        conn: &rusqlite::Connection,
        name: &str,
        source: u32,
        forced: Option<u32>,
        problems: &mut Vec<BankProblem>,
    ) -> Result<(), BankError> {
        use rusqlite::types::ValueRef;
        let unreadable = |e: rusqlite::Error| BankError::Unreadable {
            bank: name.to_string(),
            message: format!("SQLite bank: {e} (expected a table hashes(pdq, label, note))"),
        };
        let mut stmt = conn
            .prepare("SELECT rowid, pdq, label, note FROM hashes ORDER BY rowid")
            .map_err(unreadable)?;
        let mut rows = stmt.query([]).map_err(unreadable)?;
        while let Some(row) = rows.next().map_err(unreadable)? {
            let rowid: i64 = row.get(0).unwrap_or_default();
            let hash = match row.get_ref(1) {
                Ok(ValueRef::Text(t)) => std::str::from_utf8(t).ok().and_then(PdqHash::from_hex),
                Ok(ValueRef::Blob(b)) => <[u8; 32]>::try_from(b).ok().map(|b| {
                    let lane = |i: usize| {
                        let mut l = [0u8; 8];
                        l.copy_from_slice(&b[i * 8..i * 8 + 8]);
                        u64::from_le_bytes(l)
                    };
                    PdqHash::from_lanes([lane(0), lane(1), lane(2), lane(3)])
                }),
                _ => None,
            };
            let Some(hash) = hash else {
                problems.push(BankProblem {
                    bank: name.to_string(),
                    line: u64::try_from(rowid).unwrap_or_default(),
                    code: Code::BankLine,
                    message: "pdq is neither 64 hex digits nor a 32-byte blob".into(),
                });
                continue;
            };
            let label = match forced {
                Some(l) => l,
                None => self.label_index(&sqlite_text(row.get_ref(2).unwrap_or(ValueRef::Null)))?,
            };
            let note = sqlite_text(row.get_ref(3).unwrap_or(ValueRef::Null));
            self.push(hash, label, source, &note);
        }
        Ok(())
    }

    fn load_sqlite_videos(
        &mut self,
        conn: &rusqlite::Connection,
        name: &str,
        source: u32,
        forced: Option<u32>,
        problems: &mut Vec<BankProblem>,
    ) -> Result<(), BankError> {
        use rusqlite::types::ValueRef;
        let unreadable = |e: rusqlite::Error| BankError::Unreadable {
            bank: name.to_string(),
            message: format!("SQLite bank: {e} (expected a table videos(vpdq, label, note))"),
        };
        let mut stmt = conn
            .prepare("SELECT rowid, vpdq, label, note FROM videos ORDER BY rowid")
            .map_err(unreadable)?;
        let mut rows = stmt.query([]).map_err(unreadable)?;
        while let Some(row) = rows.next().map_err(unreadable)? {
            let rowid: i64 = row.get(0).unwrap_or_default();
            let line = u64::try_from(rowid).unwrap_or_default();
            let problem = |message: String| BankProblem {
                bank: name.to_string(),
                line,
                code: Code::BankLine,
                message,
            };
            let hash = match row.get_ref(1) {
                Ok(ValueRef::Text(t)) if t.len() as u64 > MAX_HASH_FILE_BYTES => {
                    Err(format!("vpdq is longer than {MAX_HASH_FILE_BYTES} bytes"))
                }
                Ok(ValueRef::Text(t)) => match std::str::from_utf8(t) {
                    Ok(t) => parse_text(t).map_err(|e| format!("vpdq: {e}")),
                    Err(_) => Err("vpdq is not UTF-8 text".into()),
                },
                _ => {
                    Err("vpdq is not text in the vPDQ format (frame,quality,pdq,time lines)".into())
                }
            };
            let hash = match hash {
                Ok(hash) => hash,
                Err(message) => {
                    problems.push(problem(message));
                    continue;
                }
            };
            let label = match forced {
                Some(l) => self.labels[l as usize].clone(),
                None => sqlite_text(row.get_ref(2).unwrap_or(ValueRef::Null)),
            };
            let note = sqlite_text(row.get_ref(3).unwrap_or(ValueRef::Null));
            let file = format!("videos row {rowid}");
            if !self.push_video(&label, &note, file, hash, source)? {
                problems.push(problem(crate::vpdq::video_bank_full()));
                break;
            }
        }
        Ok(())
    }
}

/// A label or note column of a SQLite bank as text (NULL and blobs: empty).
fn sqlite_text(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Integer(i) => i.to_string(),
        _ => String::new(),
    }
}

/// Whether the file at `path` starts as a SQLite database does.
pub fn is_sqlite(path: &Path) -> std::io::Result<bool> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 16];
    let n = read_prefix(&mut file, &mut magic)?;
    Ok(magic[..n] == *b"SQLite format 3\0")
}

fn read_prefix(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::super::DEFAULT_LABEL;
    use super::*;

    const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    #[test]
    fn tsv_lines_load_and_bad_lines_are_reported_with_their_numbers() {
        let mut set = BankSet::new();
        let long = "x".repeat(MAX_LINE + 10);
        let text = format!(
            "# bank\n{BRIDGE}\tknown-fake\tbridge \u{1b}[31mred\nnot-a-hash\tx\n\n{BRIDGE}\n{long}\n{BRIDGE}\tknown-fake\t"
        );
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"\xff\n");
        let problems = set
            .load_tsv(std::io::Cursor::new(bytes), "b.tsv", 0, None)
            .unwrap();
        assert_eq!(set.len(), 2);
        let first = set.get(0).unwrap();
        assert_eq!(first.label, "known-fake");
        assert_eq!(first.note, "bridge [31mred");
        assert_eq!(first.hash.to_hex(), BRIDGE);
        assert_eq!(set.get(1).unwrap().label, DEFAULT_LABEL);
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 6, 7]);
        assert_eq!(problems[2].message, "not UTF-8 text");
        assert!(set.get(2).is_none());
    }

    #[test]
    fn a_forced_label_overrides_the_file() {
        let mut set = BankSet::new();
        set.sources.push("b.tsv".into());
        let forced = set.label_index("known-original").unwrap();
        set.load_tsv(
            std::io::Cursor::new(format!("{BRIDGE}\tknown-fake\tnote\n")),
            "b.tsv",
            0,
            Some(forced),
        )
        .unwrap();
        let e = set.get(0).unwrap();
        assert_eq!(
            (e.label, e.note, e.bank),
            ("known-original", "note", "b.tsv")
        );
    }

    /// Three frames of a video hash, in the reference's text format.
    fn video_text() -> String {
        (0..3)
            .map(|i| format!("{i},100,{BRIDGE},{i}.000\n"))
            .collect()
    }

    #[test]
    fn a_folder_bank_holds_videos_labelled_by_subfolder_or_by_force() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("known-fake")).unwrap();
        std::fs::write(dir.path().join("known-fake/a.vpdq.txt"), video_text()).unwrap();
        std::fs::write(dir.path().join("b.vpdq.txt"), "not,a,hash\n").unwrap();
        let mut set = BankSet::new();
        let problems = set.load(dir.path(), "bank", None).unwrap();
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].line, problems[0].code), (0, Code::BankLine));
        assert!(
            problems[0].message.starts_with("b.vpdq.txt: line 1: "),
            "{problems:?}"
        );
        assert_eq!((set.len(), set.videos().len()), (0, 1));
        let v = set.video(0).unwrap();
        assert_eq!(
            (v.entry.label.as_str(), v.entry.note.as_str()),
            ("known-fake", "a")
        );
        assert_eq!(
            (v.entry.file.as_str(), v.bank),
            ("known-fake/a.vpdq.txt", "bank")
        );
        assert_eq!(v.entry.hash.len(), 3);
        set.load(dir.path(), "again", Some("known-original"))
            .unwrap();
        assert_eq!(set.video(1).unwrap().entry.label, "known-original");
        assert_eq!(set.video(1).unwrap().bank, "again");
        assert!(set.video(2).is_none());
    }

    #[test]
    fn a_sqlite_bank_needs_a_hashes_or_a_videos_table() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("b.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE other(x)").unwrap();
        drop(conn);
        let err = BankSet::new().load(&db, "b.db", None).unwrap_err();
        assert_eq!(err.code(), Code::BankUnreadable);
        assert_eq!(
            err.to_string(),
            "b.db: SQLite bank: no table hashes(pdq, label, note) or videos(vpdq, label, note)"
        );
        // A videos table alone is a bank; a blob where the text should be is a bad row.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE videos(vpdq, label, note)")
            .unwrap();
        conn.execute("INSERT INTO videos VALUES (?1, NULL, 'n')", [video_text()])
            .unwrap();
        conn.execute("INSERT INTO videos VALUES (x'00ff', 'x', NULL)", [])
            .unwrap();
        drop(conn);
        let mut set = BankSet::new();
        let problems = set.load(&db, "b.db", None).unwrap();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 2);
        let v = set.video(0).unwrap();
        assert_eq!(
            (v.entry.label.as_str(), v.entry.file.as_str()),
            (DEFAULT_LABEL, "videos row 1")
        );
    }

    #[test]
    fn labels_are_capped() {
        let mut set = BankSet::new();
        let text: String = (0..=MAX_LABELS)
            .map(|i| format!("{BRIDGE}\tlabel-{i}\n"))
            .collect();
        let err = set
            .load_tsv(std::io::Cursor::new(text), "b.tsv", 0, None)
            .unwrap_err();
        assert_eq!(err.code(), "bank.labels");
    }
}
