//! `hallmark_core::scan` over a real folder: copies of the project's fixtures
//! and the c2pa-rs corpus, a text file, an empty file, a nested folder, a link
//! loop and a broken link. Every verified file must get exactly the report
//! `Verifier::verify` gives it alone; the rest must be counted or reported,
//! never dropped.
#![cfg(feature = "scan")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use hallmark_core::scan::{scan, ScanCache, ScanEntry, ScanOptions, ScanSummary, Skip};
use hallmark_core::{Policy, TrustStore, Verdict, Verifier};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/c2pa-rs")
}

fn trusting_newsroom() -> Verifier {
    let pem = fs::read(fixtures().join("keys/newsroom/root.pem")).unwrap();
    Verifier::new(TrustStore::from_pem(&pem).unwrap())
}

fn copy_dir_files(from: &Path, to: &Path, only_jpg: bool) -> Vec<PathBuf> {
    let mut copied = Vec::new();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let is_jpg = path.extension().is_some_and(|e| e == "jpg");
        if path.is_file() && (is_jpg || !only_jpg) {
            let dest = to.join(path.file_name().unwrap());
            fs::copy(&path, &dest).unwrap();
            copied.push(dest);
        }
    }
    copied
}

/// The mixed folder; returns the files scan must verify, with their fixture name when they have one.
struct Mixed {
    _dir: tempfile::TempDir,
    root: PathBuf,
    images: Vec<PathBuf>,
}

fn mixed_folder() -> Mixed {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("inbox");
    let signed = root.join("signed");
    let attacks = root.join("attacks");
    let nested = root.join("deep/er/corpus");
    for d in [&signed, &attacks, &nested] {
        fs::create_dir_all(d).unwrap();
    }
    let mut images = copy_dir_files(&fixtures().join("signed"), &signed, false);
    images.extend(copy_dir_files(&fixtures().join("attacks"), &attacks, false));
    images.extend(copy_dir_files(&corpus(), &nested, true));
    // garbage.key is not an image by content or by name: skipped, not verified.
    images.retain(|p| !p.ends_with("garbage.key"));
    fs::write(root.join("notes.txt"), "not an image\n").unwrap();
    fs::write(root.join("zero-bytes"), b"").unwrap();
    std::os::unix::fs::symlink("..", nested.join("loop")).unwrap();
    std::os::unix::fs::symlink("missing.jpg", root.join("broken-link.jpg")).unwrap();
    Mixed {
        _dir: dir,
        root,
        images,
    }
}

fn run(
    verifier: &Verifier,
    policy: &Policy,
    roots: &[PathBuf],
) -> (HashMap<String, ScanEntry>, ScanSummary) {
    run_with(verifier, policy, roots, ScanOptions::default())
}

fn run_with(
    verifier: &Verifier,
    policy: &Policy,
    roots: &[PathBuf],
    options: ScanOptions<'_>,
) -> (HashMap<String, ScanEntry>, ScanSummary) {
    let mut entries = HashMap::new();
    let summary = scan(verifier, policy, roots, options, |entry| {
        let path = entry
            .report
            .path
            .clone()
            .expect("every report has its path");
        assert!(
            entries.insert(path, entry).is_none(),
            "a path reported twice"
        );
    });
    (entries, summary)
}

/// Expected verdicts of the fixtures, trusting the newsroom root.
fn expected_verdicts() -> HashMap<String, String> {
    let tsv = fs::read_to_string(fixtures().join("expected/reports.tsv")).unwrap();
    tsv.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0].to_string(), cols[2].to_string())
        })
        .collect()
}

#[test]
fn every_file_gets_the_report_verify_gives_it() {
    let mixed = mixed_folder();
    let verifier = trusting_newsroom();
    let (entries, summary) = run(
        &verifier,
        &Policy::default(),
        std::slice::from_ref(&mixed.root),
    );

    assert!(
        mixed.images.len() >= 22,
        "copied {} images",
        mixed.images.len()
    );
    let expected = expected_verdicts();
    let mut fixture_checked = 0;
    for path in &mixed.images {
        let key = path.display().to_string();
        let entry = entries
            .get(&key)
            .unwrap_or_else(|| panic!("{key} not reported"));
        let mut alone = verifier.verify(&fs::read(path).unwrap());
        alone.path = Some(key.clone());
        assert_eq!(entry.report, alone, "{key}");
        let rel = path
            .strip_prefix(&mixed.root)
            .unwrap()
            .display()
            .to_string();
        if let Some(verdict) = expected.get(&rel) {
            assert_eq!(entry.report.verdict.as_str(), verdict, "{rel}");
            fixture_checked += 1;
        }
    }
    assert_eq!(
        fixture_checked, 25,
        "signed/* and attacks/* are in reports.tsv"
    );

    let walk_error = |name: &Path| &entries[&name.display().to_string()].report;
    let looped = walk_error(&mixed.root.join("deep/er/corpus/loop"));
    assert_eq!(looped.verdict, Verdict::Error);
    assert_eq!(looped.error.as_ref().unwrap().code, "walk.symlink_loop");
    let broken = walk_error(&mixed.root.join("broken-link.jpg"));
    assert_eq!(broken.error.as_ref().unwrap().code, "walk.broken_link");

    assert_eq!(entries.len(), mixed.images.len() + 2);
    assert_eq!(summary.checked, entries.len() as u64);
    assert_eq!(
        summary.skipped(Skip::NotImage),
        3,
        "notes.txt, zero-bytes, garbage.key"
    );
    assert_eq!(summary.skipped(Skip::SymlinkedDirectory), 0);
    assert_eq!(summary.by_verdict.values().sum::<u64>(), summary.checked);
    // Five signed by the newsroom, and three attacks that are genuinely the
    // newsroom's (hostile title, deep chain, a lying but unsigned JUMBF length).
    assert_eq!(summary.by_verdict[&Verdict::Trusted], 8);
    assert_eq!(summary.passed + summary.failed, summary.checked);
    assert_eq!(summary.failing.len() as u64, summary.failed);
    assert!(summary.failing.iter().all(|(_, p)| !entries[p].policy.pass));
    assert_eq!(summary.exit_code, 4, "some files are unreadable");
}

#[test]
fn results_arrive_on_the_calling_thread_as_they_finish() {
    let mixed = mixed_folder();
    let caller = std::thread::current().id();
    let mut seen = 0;
    scan(
        &trusting_newsroom(),
        &Policy::default(),
        std::slice::from_ref(&mixed.root),
        ScanOptions::default(),
        |_| {
            assert_eq!(std::thread::current().id(), caller);
            seen += 1;
        },
    );
    assert_eq!(seen, mixed.images.len() + 2);
}

#[test]
fn named_files_are_verified_whatever_they_hold() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    fs::write(&text, "hello").unwrap();
    let missing = dir.path().join("missing.jpg");
    let (entries, summary) = run(
        &trusting_newsroom(),
        &Policy::default(),
        &[text.clone(), missing.clone()],
    );
    let notes = &entries[&text.display().to_string()].report;
    assert_eq!(notes.verdict, Verdict::Error);
    assert_eq!(notes.error.as_ref().unwrap().code, "format.unrecognized");
    let gone = &entries[&missing.display().to_string()].report;
    assert_eq!(gone.error.as_ref().unwrap().code, "io.read");
    assert_eq!(summary.skipped(Skip::NotImage), 0);
    assert_eq!(summary.exit_code, 4);
}

#[test]
fn policies_decide_pass_and_exit_status() {
    let signed = fixtures().join("signed");
    let verifier = trusting_newsroom();
    let ai = vec![signed.join("ai-generated.jpg")];
    let stranger = vec![signed.join("stranger.jpg")];
    let newsroom = vec![signed.join("newsroom.jpg")];

    let default = Policy::default();
    assert_eq!(run(&verifier, &default, &ai).1.exit_code, 0);
    assert_eq!(run(&verifier, &default, &stranger).1.exit_code, 0);

    let no_ai = Policy::from_toml("allow_ai_generated = false").unwrap();
    let (entries, summary) = run(&verifier, &no_ai, &ai);
    assert_eq!(summary.exit_code, 1);
    let outcome = &entries.values().next().unwrap().policy;
    assert!(!outcome.pass);
    assert_eq!(
        outcome.reasons,
        ["AI-generated content is not allowed (digital source type http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia)"]
    );
    assert_eq!(run(&verifier, &no_ai, &newsroom).1.exit_code, 0);

    let trusted_only = Policy::from_toml("require_trusted = true").unwrap();
    let (entries, summary) = run(&verifier, &trusted_only, &stranger);
    assert_eq!(summary.exit_code, 1);
    assert_eq!(
        entries.values().next().unwrap().report.verdict,
        Verdict::Valid
    );
    assert_eq!(run(&verifier, &trusted_only, &newsroom).1.exit_code, 0);

    let tampered = vec![
        fixtures().join("attacks/pixel-flip.jpg"),
        newsroom[0].clone(),
    ];
    assert_eq!(run(&verifier, &default, &tampered).1.exit_code, 3);
}

#[test]
fn links_to_other_folders_are_counted_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    fs::copy(
        fixtures().join("signed/newsroom.jpg"),
        outside.path().join("a.jpg"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("a.jpg"), dir.path().join("linked.jpg"))
        .unwrap();
    let (entries, summary) = run(
        &trusting_newsroom(),
        &Policy::default(),
        &[dir.path().into()],
    );
    assert_eq!(summary.skipped(Skip::SymlinkedDirectory), 1);
    assert_eq!(entries.len(), 1, "a link to a file is verified");
    assert_eq!(
        entries.values().next().unwrap().report.verdict,
        Verdict::Trusted
    );
}

/// What a report says, without where it came from.
fn verdicts(entries: &HashMap<String, ScanEntry>) -> Vec<(String, Verdict, String)> {
    let mut v: Vec<_> = entries
        .iter()
        .map(|(p, e)| (p.clone(), e.report.verdict, e.report.summary.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn a_warm_cache_gives_the_same_reports_without_verifying_again() {
    let mixed = mixed_folder();
    let verifier = trusting_newsroom();
    let roots = std::slice::from_ref(&mixed.root);
    let cache_dir = tempfile::tempdir().unwrap();
    let cache_path = cache_dir.path().join("cache.sqlite");
    let (fresh, fresh_summary) = run(&verifier, &Policy::default(), roots);

    let cache = ScanCache::open(&cache_path, verifier.fingerprint()).unwrap();
    let options = ScanOptions {
        cache: Some(&cache),
        ..ScanOptions::default()
    };
    let (cold, cold_summary) = run_with(&verifier, &Policy::default(), roots, options);
    assert_eq!(cold_summary.cached, 0);
    assert_eq!(verdicts(&cold), verdicts(&fresh));
    drop(cache);

    let cache = ScanCache::open(&cache_path, verifier.fingerprint()).unwrap();
    let options = ScanOptions {
        cache: Some(&cache),
        ..ScanOptions::default()
    };
    let (warm, warm_summary) = run_with(&verifier, &Policy::default(), roots, options);
    for (path, entry) in &warm {
        let mut expected = fresh[path].report.clone();
        expected.signed_pixels = None;
        assert_eq!(entry.report, expected, "{path}");
        assert_eq!(entry.policy, fresh[path].policy, "{path}");
    }
    // Every image is cached; what the walk could not read (a loop, a broken link) is not.
    assert_eq!(warm_summary.cached, mixed.images.len() as u64);
    assert_eq!(warm_summary.by_verdict, fresh_summary.by_verdict);
    assert_eq!(warm_summary.exit_code, fresh_summary.exit_code);

    // A changed file is verified again, whatever its stat says.
    let victim = mixed.root.join("signed/newsroom.jpg");
    let mut bytes = fs::read(&victim).unwrap();
    let at = bytes.len() * 3 / 4;
    bytes[at] ^= 0x55;
    fs::write(&victim, &bytes).unwrap();
    let (changed, changed_summary) = run_with(&verifier, &Policy::default(), roots, options);
    let key = victim.display().to_string();
    assert_eq!(fresh[&key].report.verdict, Verdict::Trusted);
    assert_eq!(changed[&key].report.verdict, Verdict::Tampered);
    assert!(!changed[&key].cached);
    assert_eq!(changed_summary.cached, mixed.images.len() as u64 - 1);

    // Another trust configuration shares nothing.
    let stranger = Verifier::new(TrustStore::empty());
    let other = ScanCache::open(&cache_path, stranger.fingerprint()).unwrap();
    let options = ScanOptions {
        cache: Some(&other),
        ..ScanOptions::default()
    };
    let (untrusting, summary) = run_with(&stranger, &Policy::default(), roots, options);
    assert_eq!(summary.cached, 0);
    assert!(!untrusting
        .values()
        .any(|e| e.report.verdict == Verdict::Trusted));
}

#[test]
fn thumbnails_are_small_jpegs_of_every_decodable_image() {
    let mixed = mixed_folder();
    let verifier = trusting_newsroom();
    let roots = std::slice::from_ref(&mixed.root);
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = ScanCache::open(cache_dir.path().join("c.sqlite"), verifier.fingerprint()).unwrap();
    let options = ScanOptions {
        cache: Some(&cache),
        thumbnail_side: Some(96),
        ..ScanOptions::default()
    };
    for round in ["cold", "warm"] {
        let (entries, summary) = run_with(&verifier, &Policy::default(), roots, options);
        let mut made = 0;
        for (path, entry) in &entries {
            if entry.report.verdict == Verdict::Error {
                assert!(entry.thumbnail.is_none(), "{path}");
                continue;
            }
            let Some(jpeg) = &entry.thumbnail else {
                continue;
            };
            let thumb = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
                .unwrap_or_else(|e| panic!("{round} {path}: {e}"));
            assert!(thumb.width().max(thumb.height()) <= 96, "{path}");
            assert!(thumb.width().max(thumb.height()) >= 8, "{path}");
            made += 1;
        }
        let photo = mixed.root.join("signed/newsroom.jpg").display().to_string();
        assert!(entries[&photo].thumbnail.is_some(), "{round}");
        assert!(made >= 20, "{round}: {made} thumbnails");
        if round == "warm" {
            assert_eq!(summary.cached, mixed.images.len() as u64);
        }
    }
}
