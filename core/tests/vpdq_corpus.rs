//! vPDQ against Meta's reference hashes of Meta's sample videos
//! (../shared/corpus/vpdq: NAME.mp4 and NAME.vpdq.txt, every frame hashed).
//! Conformance: at least 99 % of frames within 31 bits of the reference's
//! hash (the reference's own regression tolerance), a median distance of at
//! most 4 bits (ours); and `compare` decides every pair of corpus videos as
//! the reference hashes decide it under the reference rule.

#![cfg(feature = "video")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is a failed test

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hallmark_core::vpdq::decode::{hash_video, VideoOptions};
use hallmark_core::vpdq::{compare, frame_mod, parse_text, CompareOptions, VideoHash};
use hallmark_core::{Limits, MediaFormat, Source};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/vpdq")
}

fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".mp4").map(str::to_string)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 8, "the corpus's sample videos");
    names
}

fn ours(name: &str, seconds_per_hash: f64) -> VideoHash {
    let file = File::open(corpus().join(format!("{name}.mp4"))).unwrap();
    let len = file.metadata().unwrap().len();
    let options = VideoOptions {
        seconds_per_hash,
        threads: 0,
    };
    let (_, hash) = hash_video(
        Source::File { file: &file, len },
        MediaFormat::Mp4,
        &Limits::default(),
        &options,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    hash
}

fn reference(name: &str) -> VideoHash {
    parse_text(&std::fs::read_to_string(corpus().join(format!("{name}.vpdq.txt"))).unwrap())
        .unwrap()
}

/// Every corpus video hashed at every frame, once for all the tests.
fn all_frames() -> &'static Vec<(String, VideoHash, VideoHash)> {
    static ALL: OnceLock<Vec<(String, VideoHash, VideoHash)>> = OnceLock::new();
    ALL.get_or_init(|| {
        names()
            .into_iter()
            .map(|n| (n.clone(), ours(&n, 0.0), reference(&n)))
            .collect()
    })
}

#[test]
fn frame_hashes_conform_to_the_reference() {
    let mut distances = Vec::new();
    for (name, ours, theirs) in all_frames() {
        assert_eq!(ours.len(), theirs.len(), "{name}: frames decoded");
        let mut worst = 0;
        for (a, b) in ours.frames.iter().zip(&theirs.frames) {
            assert_eq!(a.frame, b.frame, "{name}");
            assert!(
                (a.time - b.time).abs() < 0.0015,
                "{name} frame {}: time {} vs {}",
                a.frame,
                a.time,
                b.time
            );
            let d = a.pdq.distance(&b.pdq);
            worst = worst.max(d);
            distances.push(d);
        }
        let within = ours
            .frames
            .iter()
            .zip(&theirs.frames)
            .filter(|(a, b)| a.pdq.distance(&b.pdq) <= 31)
            .count();
        println!(
            "{name}: {} frames, {within} within 31 bits, worst {worst}",
            ours.len()
        );
    }
    distances.sort_unstable();
    let within = distances.iter().filter(|d| **d <= 31).count();
    let share = within as f64 * 100.0 / distances.len() as f64;
    let median = distances[distances.len() / 2];
    println!(
        "vPDQ conformance: {} frames, {share:.2} % within 31 bits, median distance {median} bits, mean {:.2}",
        distances.len(),
        distances.iter().sum::<u32>() as f64 / distances.len() as f64
    );
    assert_eq!(distances.len(), 3206);
    assert!(share >= 99.0, "{share:.2} % within 31 bits");
    assert!(median <= 4, "median {median}");
}

#[test]
fn qualities_conform_to_the_reference() {
    let mut off = Vec::new();
    for (_, ours, theirs) in all_frames() {
        for (a, b) in ours.frames.iter().zip(&theirs.frames) {
            off.push(a.quality.abs_diff(b.quality));
        }
    }
    off.sort_unstable();
    let median = off[off.len() / 2];
    println!(
        "quality: median difference {median}, largest {}",
        off[off.len() - 1]
    );
    assert!(median <= 1, "median quality difference {median}");
}

#[test]
fn sampling_keeps_every_frame_mod_th_frame() {
    let (name, every, _) = &all_frames()[0];
    let sampled = ours(name, 1.0);
    // The chair videos are 30 frames a second (times 0.033 apart).
    let step = frame_mod(1.0, 30.0);
    let expected: Vec<u64> = every
        .frames
        .iter()
        .map(|f| f.frame)
        .filter(|n| n % step == 0)
        .collect();
    assert_eq!(
        sampled.frames.iter().map(|f| f.frame).collect::<Vec<_>>(),
        expected
    );
    for f in &sampled.frames {
        let full = every.frames.iter().find(|g| g.frame == f.frame).unwrap();
        assert_eq!(f.pdq, full.pdq);
        assert_eq!(f.quality, full.quality);
    }
}

#[test]
fn compare_decides_as_the_reference_hashes_do() {
    let all = all_frames();
    let options = CompareOptions::default();
    let mut pairs = 0;
    let mut matches = 0;
    for (qn, q_ours, q_ref) in all {
        for (cn, c_ours, c_ref) in all {
            let a = compare(q_ours, c_ours, &options);
            let b = compare(q_ref, c_ref, &options);
            assert_eq!(
                a.matched, b.matched,
                "{qn} vs {cn}: ours {a:?}, reference hashes {b:?}"
            );
            pairs += 1;
            matches += usize::from(a.matched);
            println!(
                "{qn} vs {cn}: ours {:.1} % / {:.1} %, reference hashes {:.1} % / {:.1} %, {}",
                a.query_match_percent,
                a.compared_match_percent,
                b.query_match_percent,
                b.compared_match_percent,
                if a.matched { "match" } else { "no match" }
            );
        }
    }
    assert_eq!(pairs, 64);
    println!("{matches} of {pairs} pairs match");
}

/// Hashing in batches (the tensor engine's way) with the CPU's hasher gives
/// exactly `hash_video`'s hash; batches stay within their bounds, and a
/// hasher's error, or a wrong count of hashes, ends decoding with it.
#[test]
fn batched_hashing_equals_hash_video_and_stops_on_the_hashers_error() {
    use hallmark_core::vpdq::decode::{
        hash_video_in_batches, FramePixels, MAX_BATCH_FRAMES, MAX_BATCH_PIXELS,
    };
    use hallmark_core::MediaError;

    let name = "chair-19-sd-bar";
    let bytes = std::fs::read(corpus().join(format!("{name}.mp4"))).unwrap();
    let limits = Limits::default();
    let options = VideoOptions {
        seconds_per_hash: 0.0,
        threads: 2,
    };
    let (_, whole) =
        hash_video(Source::Bytes(&bytes), MediaFormat::Mp4, &limits, &options).unwrap();
    let mut sizes = Vec::new();
    let (info, batched) = hash_video_in_batches(
        Source::Bytes(&bytes),
        MediaFormat::Mp4,
        &limits,
        &options,
        |b: &[FramePixels]| -> Result<_, MediaError> {
            let pixels: usize = b.iter().map(|f| f.bytes().len()).sum();
            sizes.push((b.len(), pixels));
            Ok(b.iter().map(FramePixels::pdq).collect())
        },
    )
    .unwrap();
    assert_eq!(batched, whole);
    assert_eq!(batched.len() as u64, info.frames_decoded);
    let frame = (info.width * info.height) as usize;
    assert!(sizes.len() > 1, "{sizes:?}");
    for (n, pixels) in &sizes {
        assert!(
            *n <= MAX_BATCH_FRAMES && *pixels < MAX_BATCH_PIXELS + frame,
            "{sizes:?}"
        );
    }
    assert_eq!(sizes.iter().map(|s| s.0).sum::<usize>(), whole.len());

    let mut calls = 0;
    let stopped = hash_video_in_batches(
        Source::Bytes(&bytes),
        MediaFormat::Mp4,
        &limits,
        &options,
        |_| {
            calls += 1;
            Err::<Vec<_>, _>(MediaError::Malformed {
                format: "video",
                detail: "device lost".into(),
            })
        },
    );
    assert!(
        matches!(stopped, Err(MediaError::Malformed { ref detail, .. }) if detail == "device lost")
    );
    assert_eq!(calls, 1, "decoding goes no further than the failed batch");
    let short = hash_video_in_batches(
        Source::Bytes(&bytes),
        MediaFormat::Mp4,
        &limits,
        &options,
        |b| Ok::<_, MediaError>(b.iter().skip(1).map(FramePixels::pdq).collect()),
    );
    assert!(
        matches!(short, Err(MediaError::Malformed { ref detail, .. }) if detail.contains("hashes came back for")),
        "{short:?}"
    );
}
