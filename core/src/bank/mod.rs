//! Hash banks: lists of PDQ hashes with labels ("known-fake",
//! "known-original"), one hash a line: `pdq_hex<TAB>label<TAB>note`. Lines
//! starting with `#` and blank lines are skipped; a bad line is reported with
//! its number and the rest still load. One reading of a line
//! ([`parse_tsv_line`]) serves both kinds of bank:
//!
//! - [`Bank`], in memory, for `hallmark match` and the extension;
//! - [`BankSet`] (with the `scan` feature), many TSV or SQLite banks packed
//!   for `hallmark feed`, millions of hashes at a time.

#[cfg(feature = "scan")]
mod set;

#[cfg(feature = "scan")]
pub use set::{is_sqlite, BankError, BankProblem, BankRef, BankSet, MAX_LABELS};

use crate::pdq::{Dihedral, PdqHash};

/// Longest bank line read, in bytes: a longer one is reported and skipped.
pub const MAX_LINE: usize = 64 * 1024;
pub use crate::label::{clean_field, clean_label, DEFAULT_LABEL, MAX_FIELD};
/// The label of an image too featureless to match (PDQ quality under 50).
pub const LOW_QUALITY: &str = "low-quality";
/// The label of an image that matches nothing.
pub const UNKNOWN: &str = "unknown";

/// One hash of a bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankEntry {
    pub hash: PdqHash,
    pub label: String,
    pub note: String,
}

/// A line that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankLineError {
    pub line: usize,
    pub message: String,
}

/// A match of a query against a bank entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankMatch<'a> {
    pub entry: &'a BankEntry,
    pub distance: u32,
    /// Which rotation or reflection of the query matched ("original" when unturned).
    pub transform: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bank {
    entries: Vec<BankEntry>,
}

/// What one bank line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsvLine<'a> {
    /// A comment or a blank line.
    Skip,
    /// A hash, with its label and note as written (clean them with [`clean_field`]).
    Entry {
        hash: PdqHash,
        label: &'a str,
        note: &'a str,
    },
    /// Not a bank line: why.
    Bad(&'static str),
}

/// Read one bank line (without its line ending).
pub fn parse_tsv_line(line: &str) -> TsvLine<'_> {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() || line.starts_with('#') {
        return TsvLine::Skip;
    }
    let mut fields = line.splitn(3, '\t');
    let hex = fields.next().unwrap_or_default();
    match PdqHash::from_hex(hex) {
        Some(hash) => TsvLine::Entry {
            hash,
            label: fields.next().unwrap_or_default(),
            note: fields.next().unwrap_or_default(),
        },
        None => TsvLine::Bad("the first field is not a PDQ hash of 64 hex digits"),
    }
}

impl Bank {
    /// A bank of these entries, in this order.
    pub fn from_entries(entries: Vec<BankEntry>) -> Self {
        Self { entries }
    }

    /// Parse a TSV bank. Returns the bank and the lines that were skipped.
    pub fn parse_tsv(text: &str) -> (Self, Vec<BankLineError>) {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |message: String| BankLineError {
                line: i + 1,
                message,
            };
            if line.len() > MAX_LINE {
                errors.push(bad(format!("longer than {MAX_LINE} bytes")));
                continue;
            }
            match parse_tsv_line(line) {
                TsvLine::Skip => {}
                TsvLine::Entry { hash, label, note } => entries.push(BankEntry {
                    hash,
                    label: clean_label(label),
                    note: clean_field(note),
                }),
                TsvLine::Bad(why) => errors.push(bad(why.into())),
            }
        }
        (Self { entries }, errors)
    }

    pub fn entries(&self) -> &[BankEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry within `threshold` bits of `hash`, nearest first.
    pub fn matches(&self, hash: &PdqHash, threshold: u32) -> Vec<BankMatch<'_>> {
        let mut found: Vec<BankMatch<'_>> = self
            .entries
            .iter()
            .filter_map(|entry| {
                let distance = entry.hash.distance(hash);
                (distance <= threshold).then_some(BankMatch {
                    entry,
                    distance,
                    transform: "original",
                })
            })
            .collect();
        found.sort_by_key(|m| m.distance);
        found
    }

    /// The nearest entry to any of the eight rotations and reflections.
    pub fn best_dihedral_match(&self, hashes: &Dihedral, threshold: u32) -> Option<BankMatch<'_>> {
        hashes
            .all()
            .into_iter()
            .filter_map(|(name, hash)| {
                self.matches(&hash, threshold)
                    .into_iter()
                    .next()
                    .map(|m| BankMatch {
                        transform: name,
                        ..m
                    })
            })
            .min_by_key(|m| m.distance)
    }
}

/// The nearest entry of any bank to any of the eight orientations, within
/// `threshold` bits (among equally near ones, the first bank's).
pub fn best_match<'a>(
    banks: &'a [Bank],
    hashes: &Dihedral,
    threshold: u32,
) -> Option<BankMatch<'a>> {
    let mut best: Option<BankMatch<'a>> = None;
    for found in banks
        .iter()
        .filter_map(|bank| bank.best_dihedral_match(hashes, threshold))
    {
        if best.as_ref().is_none_or(|b| found.distance < b.distance) {
            best = Some(found);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_reported_and_the_rest_load() {
        let good = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let text = format!("# bank\n{good}\tknown-fake\tbridge\nnot-a-hash\tx\n\n{good}\n");
        let (bank, errors) = Bank::parse_tsv(&text);
        assert_eq!(bank.len(), 2);
        assert_eq!(bank.entries()[0].label, "known-fake");
        assert_eq!(bank.entries()[0].note, "bridge");
        assert_eq!(bank.entries()[1].label, "match");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
    }

    /// `hallmark match` and `hallmark feed` read one bank file alike (an
    /// empty label was "" for match and "match" for feed; a 100 KB line
    /// loaded for match and was refused by feed).
    #[cfg(feature = "scan")]
    #[test]
    fn match_and_feed_read_a_bank_alike() {
        let good = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let long = format!("{good}\tlong\t{}", "n".repeat(MAX_LINE));
        let text = format!(
            "{good}\t\tno label\r\n{good}\t known-fake \tnote \u{1b}[31m\n{long}\nzz\tx\n#c\n{good}\n"
        );
        let (bank, errors) = Bank::parse_tsv(&text);
        let mut set = BankSet::new();
        let problems = set
            .load_tsv(std::io::Cursor::new(text.as_bytes()), "b.tsv", 0, None)
            .unwrap();
        let from_set: Vec<(String, String, String)> = (0..set.len())
            .map(|i| {
                let e = set.get(i).unwrap();
                (e.hash.to_hex(), e.label.to_string(), e.note.to_string())
            })
            .collect();
        let from_bank: Vec<(String, String, String)> = bank
            .entries()
            .iter()
            .map(|e| (e.hash.to_hex(), e.label.clone(), e.note.clone()))
            .collect();
        assert_eq!(from_bank, from_set);
        assert_eq!(
            from_bank.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
            ["match", "known-fake", "match"]
        );
        assert_eq!(from_bank[1].2, "note [31m");
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4]);
        assert_eq!(
            errors.iter().map(|e| e.line as u64).collect::<Vec<_>>(),
            lines
        );
        assert_eq!(errors[0].message, problems[0].message);
        assert_eq!(errors[1].message, problems[1].message);
    }
}
