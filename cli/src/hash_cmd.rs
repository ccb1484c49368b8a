//! `hallmark hash` and `hallmark match`: perceptual hashes of files, and
//! matching them against a bank of known hashes.

use crate::out::{json_line, outln};
use hallmark_core::Code;
use std::fs;
use std::path::{Path, PathBuf};

use hallmark_core::bank::{is_sqlite, Bank, BankSet, LOW_QUALITY};
use hallmark_core::pdq::{DEFAULT_MATCH_THRESHOLD, MIN_MATCH_QUALITY};
use hallmark_core::pixels::ImageHash;
use hallmark_core::records::{
    CompareRecord, ErrorRecord, HashRecord, MatchBank, MatchOutcome, MatchRecord, VideoHashRecord,
    VideoMatchRecord,
};
use hallmark_core::vpdq::{
    self, read_hashed, write_text, CompareOptions, Hashed, VideoBank, VideoHash, VideoOptions,
    HASH_FILE_SUFFIX,
};
use hallmark_core::{ErrorInfo, Limits};

use crate::args::{threshold_parser, OutputArgs, ThresholdArgs};
use crate::error::{shown, CliError, EXIT_FAILURE, EXIT_UNREADABLE, EXIT_USAGE};
use crate::out;
use crate::render::escape;

/// What `hallmark hash` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HashFormat {
    /// One line a picture; a video's frames one a line under its own.
    Text,
    /// One JSON record per file.
    Json,
    /// The reference vPDQ text format (`frame,quality,pdq,timestamp`), of one
    /// file (a picture is a one-frame video); `compare` and `match` read it.
    Vpdq,
}

#[derive(Debug, clap::Args)]
pub struct HashArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// One JSON record per file (the same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    #[arg(long, value_enum, default_value_t = HashFormat::Text)]
    pub format: HashFormat,
    /// Pictures: also the hashes of the 8 rotations and reflections.
    #[arg(long)]
    pub dihedral: bool,
    #[command(flatten)]
    pub video: VideoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How videos are hashed (hash, compare, match).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct VideoArgs {
    /// Videos: hash a frame every S seconds (0: every frame), as Meta's vPDQ.
    #[arg(long, value_name = "S", default_value_t = 1.0, value_parser = seconds_parser)]
    pub seconds_per_hash: f64,
}

impl VideoArgs {
    pub fn options(&self) -> VideoOptions {
        VideoOptions {
            seconds_per_hash: self.seconds_per_hash,
            threads: 0,
        }
    }
}

fn seconds_parser(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=86_400.0).contains(&v) => Ok(v),
        _ => Err("a number of seconds from 0 to 86400".into()),
    }
}

#[derive(Debug, clap::Args)]
pub struct MatchArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// A TSV bank of picture hashes, or a folder of `.vpdq.txt` video hashes
    /// (a video bank: videos, pictures and hash files are matched by vPDQ).
    #[arg(long, value_name = "BANK.tsv|DIR")]
    pub bank: PathBuf,
    #[command(flatten)]
    pub threshold: ThresholdArgs,
    /// Against a video bank: the reference rule's thresholds.
    #[command(flatten)]
    pub percents: PercentArgs,
    #[command(flatten)]
    pub video: VideoArgs,
    /// One JSON record per file.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// An unreadable input: a JSON line in --json mode (the stream goes on), else a line on stderr.
fn report_unreadable(path: &Path, code: &str, message: &str, json: bool) {
    if json {
        let record = ErrorRecord {
            path: path.display().to_string(),
            error: ErrorInfo {
                code: code.into(),
                message: message.into(),
            },
        };
        outln!("{}", json_line(&record));
    } else {
        eprintln!(
            "hallmark: error [{code}]: {}: {}",
            shown(path),
            escape(message)
        );
    }
}

pub fn hash(args: HashArgs) -> Result<u8, CliError> {
    let format = if args.json {
        HashFormat::Json
    } else {
        args.format
    };
    if format == HashFormat::Vpdq && args.files.len() > 1 {
        return Err(CliError::usage(
            "--format vpdq writes the hash of one file (the format has no room for a name): give one",
        ));
    }
    let limits = Limits::default();
    let options = args.video.options();
    let mut exit = 0;
    for path in &args.files {
        let hashed = match read_hashed(path, &limits, &options) {
            Ok(hashed) => hashed,
            Err(e) => {
                exit = EXIT_UNREADABLE;
                report_unreadable(
                    path,
                    e.code().as_str(),
                    &e.to_string(),
                    format == HashFormat::Json,
                );
                continue;
            }
        };
        let name = path.display().to_string();
        match (format, &hashed) {
            (HashFormat::Vpdq, hashed) => out::bytes(write_text(&hashed.video_hash()).as_bytes()),
            (HashFormat::Json, Hashed::Image(image)) => {
                let variants = args.dihedral.then(|| image.pdq_dihedral());
                let record = HashRecord::new(name, ImageHash::of(image), variants.as_ref());
                outln!("{}", json_line(&record));
            }
            (HashFormat::Json, Hashed::Video { info, hash }) => {
                let record = VideoHashRecord::video(name, info, hash, options.seconds_per_hash);
                outln!("{}", json_line(&record));
            }
            (HashFormat::Json, Hashed::HashFile(hash)) => {
                outln!("{}", json_line(&VideoHashRecord::hash_file(name, hash)));
            }
            (HashFormat::Text, Hashed::Image(image)) => {
                let h = ImageHash::of(image);
                outln!(
                    "{}  q={:<3} {}x{}  {}",
                    h.pdq,
                    h.quality,
                    h.width,
                    h.height,
                    shown(path)
                );
                if args.dihedral {
                    for (name, hash) in image.pdq_dihedral().all().iter().skip(1) {
                        outln!("  {hash}  {name}");
                    }
                }
            }
            (HashFormat::Text, Hashed::Video { info, hash }) => {
                outln!(
                    "vpdq  {} frames hashed of {} ({}, {} {}x{}, {:.3} fps)  {}",
                    hash.len(),
                    info.frames_decoded,
                    sampling(options.seconds_per_hash),
                    info.codec,
                    info.width,
                    info.height,
                    info.frame_rate,
                    shown(path)
                );
                frame_lines(hash);
            }
            (HashFormat::Text, Hashed::HashFile(hash)) => {
                outln!("vpdq  {} frames (a hash file)  {}", hash.len(), shown(path));
                frame_lines(hash);
            }
        }
    }
    Ok(exit)
}

fn sampling(seconds_per_hash: f64) -> String {
    if seconds_per_hash == 0.0 {
        "every frame".into()
    } else {
        format!("every {seconds_per_hash} s")
    }
}

/// A video's frames, one a line: time, hash, quality, frame number.
fn frame_lines(hash: &VideoHash) {
    for f in &hash.frames {
        outln!(
            "  {:>9.3}s  {}  q={:<3} frame {}",
            f.time,
            f.pdq,
            f.quality,
            f.frame
        );
    }
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The query: a video, a picture (a one-frame video) or a vPDQ hash file.
    pub query: PathBuf,
    /// What it is compared with: the same kinds.
    pub compared: PathBuf,
    /// Largest Hamming distance at which two frames match (0–128).
    #[arg(long, default_value_t = DEFAULT_MATCH_THRESHOLD, value_parser = threshold_parser())]
    pub distance: u32,
    /// Frames under this PDQ quality (0–100) are left out.
    #[arg(long, default_value_t = MIN_MATCH_QUALITY, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub quality: u8,
    #[command(flatten)]
    pub percents: PercentArgs,
    /// One JSON record.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub video: VideoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The reference rule's two thresholds (compare, and match against a video bank).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct PercentArgs {
    /// Smallest share of the query's distinct good frames that must match, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 80.0, value_parser = percent_parser)]
    pub query_percent: f64,
    /// Smallest share of the other video's distinct good frames that must match, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 0.0, value_parser = percent_parser)]
    pub compared_percent: f64,
}

fn percent_parser(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err("a percentage from 0 to 100".into()),
    }
}

impl CompareArgs {
    fn options(&self) -> CompareOptions {
        CompareOptions {
            distance: self.distance,
            quality: self.quality,
            query_percent: self.percents.query_percent,
            compared_percent: self.percents.compared_percent,
        }
    }
}

/// `hallmark compare`: exit 0 when the two match, 1 when they don't.
pub fn compare(args: CompareArgs) -> Result<u8, CliError> {
    let limits = Limits::default();
    let options = args.video.options();
    let read = |path: &Path| {
        read_hashed(path, &limits, &options).map_err(|e| {
            CliError::new(
                e.code(),
                format!("{}: {e}", path.display()),
                EXIT_UNREADABLE,
            )
        })
    };
    let query = read(&args.query)?.video_hash();
    let compared = read(&args.compared)?.video_hash();
    let comparison = vpdq::compare(&query, &compared, &args.options());
    let matched = comparison.matched;
    if args.json {
        let record = CompareRecord {
            query: args.query.display().to_string(),
            compared: args.compared.display().to_string(),
            comparison,
        };
        outln!("{}", json_line(&record));
    } else {
        outln!(
            "{} {}  {} ~ {}",
            if matched { "●" } else { "○" },
            if matched { "match" } else { "no match" },
            shown(&args.query),
            shown(&args.compared)
        );
        outln!(
            "  query:    {:5.1} % of {} frames match (needs {} %)",
            comparison.query_match_percent,
            comparison.query_frames,
            args.percents.query_percent
        );
        outln!(
            "  compared: {:5.1} % of {} frames match (needs {} %)",
            comparison.compared_match_percent,
            comparison.compared_frames,
            args.percents.compared_percent
        );
        for s in &comparison.segments {
            outln!(
                "  {} of the query = {} of the compared",
                vpdq::clock_span(s.query_start, s.query_end),
                vpdq::clock_span(s.compared_start, s.compared_end)
            );
        }
    }
    Ok(if matched { 0 } else { EXIT_FAILURE })
}

/// Warn of the bank's lines (or files) left out: the first ones one by one,
/// then how many more.
fn warn_skipped(bank: &Path, skipped: &[String], what: &str) {
    let listed = crate::render::BANK_PROBLEMS_LISTED;
    for place in skipped.iter().take(listed) {
        eprintln!("hallmark: warning [bank.line]: {place} ({what} skipped)");
    }
    if skipped.len() > listed {
        eprintln!(
            "hallmark: warning [bank.lines]: {}: {} more {what}s skipped",
            shown(bank),
            skipped.len() - listed
        );
    }
}

fn empty_bank(bank: &Path, what: &str) -> CliError {
    CliError::new(
        Code::BankEmpty,
        format!("{}: no usable {what}", shown(bank)),
        EXIT_USAGE,
    )
}

pub fn load_bank(path: &Path) -> Result<Bank, CliError> {
    let text =
        fs::read_to_string(path).map_err(|e| CliError::read(path, &e).with_exit(EXIT_USAGE))?;
    let (bank, errors) = Bank::parse_tsv(&text);
    let skipped: Vec<String> = errors
        .iter()
        .map(|e| format!("{}:{}: {}", shown(path), e.line, e.message))
        .collect();
    warn_skipped(path, &skipped, "line");
    if bank.is_empty() {
        return Err(empty_bank(path, "hash in the bank"));
    }
    Ok(bank)
}

pub fn match_files(args: MatchArgs) -> Result<u8, CliError> {
    // --threshold is at most pdq::MAX_MATCH_THRESHOLD (args::threshold_parser).
    let bank = load_match_bank(&args.bank)?;
    let options = CompareOptions {
        distance: args.threshold.threshold,
        quality: MIN_MATCH_QUALITY,
        query_percent: args.percents.query_percent,
        compared_percent: args.percents.compared_percent,
    };
    let (limits, video) = (Limits::default(), args.video.options());
    let mut exit = 0;
    for path in &args.files {
        let input = match read_hashed(path, &limits, &video) {
            Ok(hashed) => hashed,
            Err(e) => {
                exit = EXIT_UNREADABLE;
                report_unreadable(path, e.code().as_str(), &e.to_string(), args.json);
                continue;
            }
        };
        match bank.record(path.display().to_string(), &input, &options) {
            MatchOutcome::Picture(record) => {
                print_picture_match(path, &record, &options, args.json)
            }
            MatchOutcome::Video(record) => print_video_match(path, &record, &options, args.json),
        }
    }
    Ok(exit)
}

/// A bank for `match`: a folder of video hash files, a SQLite bank (its
/// `hashes` and `videos` tables), or a TSV of PDQ hashes.
fn load_match_bank(path: &Path) -> Result<MatchBank, CliError> {
    if path.is_dir() {
        return Ok(MatchBank::new(Bank::default(), load_video_bank(path)?));
    }
    // An unreadable file is left to the TSV reader, which says why.
    if !is_sqlite(path).unwrap_or(false) {
        return Ok(MatchBank::new(load_bank(path)?, VideoBank::new()));
    }
    let mut set = BankSet::new();
    let name = shown(path).to_string();
    let problems = set
        .load(path, &name, None)
        .map_err(|e| CliError::new(e.code(), e.to_string(), EXIT_USAGE))?;
    let skipped: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: row {}: {}", shown(path), p.line, escape(&p.message)))
        .collect();
    warn_skipped(path, &skipped, "row");
    let bank = MatchBank::from_set(set);
    if bank.is_empty() {
        return Err(empty_bank(path, "hash or video in the bank"));
    }
    Ok(bank)
}

fn print_picture_match(path: &Path, record: &MatchRecord, options: &CompareOptions, json: bool) {
    if json {
        outln!("{}", json_line(record));
        return;
    }
    match (&record.matched, record.label == LOW_QUALITY) {
        (_, true) => outln!(
            "? low-quality  {}  quality {} < {MIN_MATCH_QUALITY}: too featureless to match",
            shown(path),
            record.quality
        ),
        (Some(m), false) => outln!(
            "● {:<12} {}  distance {} ({}){}",
            escape(&m.label),
            shown(path),
            m.distance,
            m.transform,
            if m.note.is_empty() {
                String::new()
            } else {
                format!(": {}", escape(&m.note))
            }
        ),
        (None, false) => outln!(
            "○ unknown      {}  no bank hash within {} bits",
            shown(path),
            options.distance
        ),
    }
}

/// Load a video bank folder, warning of the files left out.
pub fn load_video_bank(path: &Path) -> Result<VideoBank, CliError> {
    let (bank, problems) =
        VideoBank::load_dir(path).map_err(|e| CliError::read(path, &e).with_exit(EXIT_USAGE))?;
    let skipped: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", shown(&p.path), escape(&p.message)))
        .collect();
    warn_skipped(path, &skipped, "file");
    if bank.is_empty() {
        return Err(empty_bank(
            path,
            &format!("{HASH_FILE_SUFFIX} file in the video bank"),
        ));
    }
    Ok(bank)
}

/// What `match` prints of an input matched against the bank's videos.
fn print_video_match(path: &Path, record: &VideoMatchRecord, options: &CompareOptions, json: bool) {
    if json {
        outln!("{}", json_line(record));
        return;
    }
    match record.matches.first() {
            None if record.label == LOW_QUALITY => outln!(
                "? low-quality  {}  no frame of quality {MIN_MATCH_QUALITY} or more: too featureless to match",
                shown(path)
            ),
            None => outln!(
                "○ unknown      {}  no bank video matches {} % of its frames",
                shown(path),
                options.query_percent
            ),
            Some(_) => {
                for m in &record.matches {
                    let c = &m.comparison;
                    outln!(
                        "● {:<12} {}  {:.1} % of its frames match {} ({:.1} % of that one's){}",
                        escape(&m.label),
                        shown(path),
                        c.query_match_percent,
                        escape(&m.file),
                        c.compared_match_percent,
                        if m.note.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", escape(&m.note))
                        }
                    );
                    for s in &c.segments {
                        outln!(
                            "    {} = {} of {}",
                            vpdq::clock_span(s.query_start, s.query_end),
                            vpdq::clock_span(s.compared_start, s.compared_end),
                            escape(&m.file)
                        );
                    }
                }
            }
        }
}
