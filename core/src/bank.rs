//! Hash banks: lists of PDQ hashes with labels ("known-fake",
//! "known-original"), read from TSV, one hash a line:
//! `pdq_hex<TAB>label<TAB>note`. Lines starting with `#` and blank lines are
//! skipped; a bad line is reported with its number and the rest still load.

use crate::pdq::{Dihedral, PdqHash};

/// Longest label or note kept, in bytes.
const MAX_FIELD: usize = 1024;

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

fn clean(field: &str) -> String {
    let mut s: String = field.trim().chars().filter(|c| !c.is_control()).collect();
    if s.len() > MAX_FIELD {
        let mut cut = MAX_FIELD;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

impl Bank {
    /// Parse a TSV bank. Returns the bank and the lines that were skipped.
    pub fn parse_tsv(text: &str) -> (Self, Vec<BankLineError>) {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.splitn(3, '\t');
            let hex = fields.next().unwrap_or_default();
            match PdqHash::from_hex(hex) {
                Some(hash) => entries.push(BankEntry {
                    hash,
                    label: clean(fields.next().unwrap_or("match")),
                    note: clean(fields.next().unwrap_or_default()),
                }),
                None => errors.push(BankLineError {
                    line: i + 1,
                    message: "the first field is not a PDQ hash of 64 hex digits".into(),
                }),
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
}
