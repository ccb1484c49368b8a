//! Walking the folders a scan is given: depth first with `std::fs`, lazily (one
//! open directory per level), never following a symbolic link to a directory,
//! so a link loop can't make the walk endless.

use crate::code::Code;
use std::fs;
use std::path::{Path, PathBuf};

/// Deepest folder nesting walked; deeper folders are reported, not entered.
const MAX_DEPTH: usize = 256;

/// Why a path found in a walk is not verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Skip {
    /// Its content is no format Hallmark reads and its name doesn't say it is media.
    NotImage,
    /// A device, FIFO or socket.
    NotRegular,
    /// A symbolic link to a directory outside the walk; not followed.
    SymlinkedDirectory,
}

/// One thing the walk found.
#[derive(Debug)]
pub(crate) enum Found {
    /// A regular file (or a link to one). `named`: given as a root, not found in a folder.
    File {
        path: PathBuf,
        named: bool,
    },
    /// A path that can't be walked: reported as an `error` report.
    Problem {
        path: PathBuf,
        code: Code,
        message: String,
    },
    Skipped(Skip),
}

/// A lazy depth-first walk over files and folders.
#[derive(Debug)]
pub(crate) struct Walk<'a> {
    roots: std::slice::Iter<'a, PathBuf>,
    open: Vec<(PathBuf, fs::ReadDir)>,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(roots: &'a [PathBuf]) -> Self {
        Self {
            roots: roots.iter(),
            open: Vec::new(),
        }
    }

    /// A root is followed even through a link: the user named it.
    fn root(&mut self, path: PathBuf) -> Option<Found> {
        match fs::metadata(&path) {
            Err(e) => Some(problem(path, Code::IoRead, e.to_string())),
            Ok(meta) if meta.is_dir() => self.descend(path),
            Ok(_) => Some(Found::File { path, named: true }),
        }
    }

    fn descend(&mut self, dir: PathBuf) -> Option<Found> {
        if self.open.len() >= MAX_DEPTH {
            return Some(problem(
                dir,
                Code::WalkTooDeep,
                format!("folders nested more than {MAX_DEPTH} deep; not entered"),
            ));
        }
        match fs::read_dir(&dir) {
            Ok(entries) => {
                self.open.push((dir, entries));
                None
            }
            Err(e) => Some(problem(dir, Code::IoReadDir, e.to_string())),
        }
    }

    /// An entry of a folder: links are looked at, not followed into folders.
    fn entry(&mut self, path: PathBuf) -> Option<Found> {
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) => return Some(problem(path, Code::IoRead, e.to_string())),
        };
        let kind = meta.file_type();
        if kind.is_dir() {
            return self.descend(path);
        }
        if kind.is_file() {
            return Some(Found::File { path, named: false });
        }
        if !kind.is_symlink() {
            return Some(Found::Skipped(Skip::NotRegular));
        }
        Some(match fs::metadata(&path) {
            Err(e) => problem(
                path,
                Code::WalkBrokenLink,
                format!("symbolic link that can't be followed (broken, or a loop of links): {e}"),
            ),
            Ok(target) if target.is_dir() => {
                if links_to_ancestor(&path) {
                    problem(
                        path,
                        Code::WalkSymlinkLoop,
                        "symbolic link to a folder that contains it (a loop); not followed",
                    )
                } else {
                    Found::Skipped(Skip::SymlinkedDirectory)
                }
            }
            Ok(target) if target.is_file() => Found::File { path, named: false },
            Ok(_) => Found::Skipped(Skip::NotRegular),
        })
    }
}

impl Iterator for Walk<'_> {
    type Item = Found;

    fn next(&mut self) -> Option<Found> {
        loop {
            if let Some((dir, entries)) = self.open.last_mut() {
                let found = match entries.next() {
                    None => {
                        self.open.pop();
                        continue;
                    }
                    Some(Err(e)) => {
                        // A folder that fails mid-listing is reported once and left.
                        let dir = dir.clone();
                        self.open.pop();
                        Some(problem(dir, Code::IoReadDir, e.to_string()))
                    }
                    Some(Ok(entry)) => self.entry(entry.path()),
                };
                if found.is_some() {
                    return found;
                }
                continue;
            }
            let root = self.roots.next()?.clone();
            if let Some(found) = self.root(root) {
                return Some(found);
            }
        }
    }
}

fn problem(path: PathBuf, code: Code, message: impl Into<String>) -> Found {
    Found::Problem {
        path,
        code,
        message: message.into(),
    }
}

/// Whether a link to a folder points at the folder holding it or one above.
fn links_to_ancestor(link: &Path) -> bool {
    let Some(parent) = link.parent() else {
        return false;
    };
    match (fs::canonicalize(link), fs::canonicalize(parent)) {
        (Ok(target), Ok(parent)) => parent.starts_with(target),
        _ => false,
    }
}
