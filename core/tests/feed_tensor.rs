//! The tensor engine (feature `gpu`, run here on `tch::Device::Cpu`) against
//! the CPU engine: PDQ on every file of ../shared/corpus/pdq and on synthetic
//! images of awkward shapes, and matching against the multi-index.

#![cfg(feature = "gpu")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is a failed test

use hallmark_core::bank::BankSet;
use hallmark_core::feed::tensor::{TensorMatcher, TensorPdq, TENSOR_PDQ_TOLERANCE};
use hallmark_core::feed::{DeviceChoice, Engine};
use hallmark_core::pdq::PdqHash;
use hallmark_core::pixels::{decode_for_pdq, decode_rgba8, PdqPixels};
use hallmark_core::Limits;
use tch::Device;

fn corpus() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/pdq")
}

fn corpus_files() -> Vec<std::path::PathBuf> {
    let tsv = std::fs::read_to_string(corpus().join("expected.tsv")).unwrap();
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| corpus().join(l.split('\t').next().unwrap()))
        .collect()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Compare tensor and CPU hashes of these images; returns the largest distance.
fn compare(images: &[PdqPixels], what: &[String]) -> u32 {
    let tensor = TensorPdq::new(Device::Cpu).unwrap();
    let refs: Vec<&PdqPixels> = images.iter().collect();
    let got = tensor.hash(&refs).unwrap();
    let mut worst = 0;
    for ((image, t), name) in images.iter().zip(&got).zip(what) {
        let cpu = image.pdq();
        let d = t.hash.distance(&cpu.hash);
        println!(
            "{name:<48} distance {d} quality {} (cpu {})",
            t.quality, cpu.quality
        );
        assert!(
            d <= TENSOR_PDQ_TOLERANCE,
            "{name}: tensor and CPU PDQ differ by {d} bits"
        );
        assert!(
            t.quality.abs_diff(cpu.quality) <= 1,
            "{name}: quality {} vs {}",
            t.quality,
            cpu.quality
        );
        worst = worst.max(d);
    }
    worst
}

#[test]
fn tensor_pdq_equals_cpu_pdq_on_every_corpus_file() {
    let limits = Limits::default();
    let mut images = Vec::new();
    let mut names = Vec::new();
    for path in corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        // Full decode (the `hallmark hash` pixels) and the feed's scaled decode.
        let full = decode_rgba8(&bytes, &limits).unwrap();
        images.push(PdqPixels {
            rows: full.height as usize,
            cols: full.width as usize,
            channels: full.channels,
            pixels: full.pixels,
        });
        names.push(format!("{} (full)", path.display()));
        images.push(decode_for_pdq(&bytes, &limits).unwrap());
        names.push(format!("{} (scaled)", path.display()));
    }
    assert_eq!(images.len(), 2 * 25);
    let worst = compare(&images, &names);
    println!("largest distance: {worst} bits");
}

#[test]
fn tensor_pdq_handles_awkward_shapes_grey_and_alpha() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut images = Vec::new();
    let mut names = Vec::new();
    for (rows, cols, channels) in [
        (5, 5, 3),
        (64, 64, 3),
        (63, 200, 1),
        (600, 401, 4),
        (129, 130, 3),
        (1000, 17, 3),
        (512, 512, 3),
        (512, 512, 3),
    ] {
        // Smooth gradients plus noise: real structure, so the median is not degenerate.
        let pixels: Vec<u8> = (0..rows * cols * channels)
            .map(|i| {
                let (r, c) = ((i / channels) / cols, (i / channels) % cols);
                let base = (r * 255 / rows + c * 128 / cols) as u64;
                ((base + rng.next() % 40) % 256) as u8
            })
            .collect();
        images.push(PdqPixels {
            rows,
            cols,
            channels,
            pixels,
        });
        names.push(format!("{rows}x{cols}x{channels}"));
    }
    // Too small to hash: zero, quality 0, as on the CPU.
    images.push(PdqPixels {
        rows: 4,
        cols: 100,
        channels: 3,
        pixels: vec![9; 4 * 100 * 3],
    });
    names.push("4x100x3".into());
    compare(&images, &names);
    let tensor = TensorPdq::new(Device::Cpu).unwrap();
    let tiny = tensor.hash(&[images.last().unwrap()]).unwrap();
    assert_eq!(tiny[0].hash, PdqHash::default());
    assert_eq!(tiny[0].quality, 0);
}

#[test]
fn tensor_matching_equals_the_cpu_index() {
    let mut rng = Rng(42);
    let mut lanes: Vec<[u64; 4]> = (0..20_000)
        .map(|_| [rng.next(), rng.next(), rng.next(), rng.next()])
        .collect();
    // Queries: bank hashes with 0..40 bits flipped, duplicates, and strangers.
    let mut queries = Vec::new();
    for k in 0..300 {
        let mut q = lanes[(rng.next() % lanes.len() as u64) as usize];
        for _ in 0..(k % 41) {
            let bit = rng.next() % 256;
            q[(bit / 64) as usize] ^= 1 << (bit % 64);
        }
        queries.push(q);
    }
    lanes.push(queries[0]); // a duplicate: the lower id must win
    for _ in 0..50 {
        queries.push([rng.next(), rng.next(), rng.next(), rng.next()]);
    }
    let mut banks = BankSet::new();
    let tsv: String = lanes
        .iter()
        .map(|l| format!("{}\tknown-fake\n", PdqHash::from_lanes(*l).to_hex()))
        .collect();
    banks
        .load_tsv(std::io::Cursor::new(tsv), "random", 0, None)
        .unwrap();
    let cpu = Engine::new(DeviceChoice::Cpu, &banks).unwrap();
    let torch = Engine::new(DeviceChoice::TorchCpu, &banks).unwrap();
    assert_eq!(torch.name(), "cpu (libtorch)");
    for threshold in [0, 10, 31, 47, 64] {
        let a = cpu.nearest(&queries, threshold).unwrap();
        let b = torch.nearest(&queries, threshold).unwrap();
        assert_eq!(a, b, "threshold {threshold}");
        let found = a.iter().filter(|m| m.is_some()).count();
        println!(
            "threshold {threshold}: {found} of {} matched",
            queries.len()
        );
    }
    // Several chunks (bank larger than one chunk): the same answers.
    let chunked = TensorMatcher::new(banks.lanes(), Device::Cpu, 777).unwrap();
    assert_eq!(
        chunked.nearest(&queries, 31).unwrap(),
        cpu.nearest(&queries, 31).unwrap()
    );
    // Top-k: the hash and its later duplicate, in id order.
    let first = lanes.iter().position(|l| *l == queries[0]).unwrap();
    let top = chunked.top_k(&queries[..1], 2, 256).unwrap();
    assert_eq!(top[0], vec![(first, 0), (lanes.len() - 1, 0)]);
}

/// Encode a short test video with FFmpeg's CLI (the tests' independent maker).
#[cfg(feature = "video")]
fn encode(dir: &std::path::Path, name: &str, args: &[&str]) -> std::path::PathBuf {
    let out = dir.join(name);
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=176x144:rate=10:duration=3",
        ])
        .args(args)
        .arg(&out)
        .status()
        .expect("ffmpeg (scripts/setup.sh installs it)");
    assert!(status.success(), "ffmpeg {args:?}");
    out
}

/// vPDQ with the tensor engine's batches against the CPU's hash of the same
/// video: the same frames at the same times, each hash within the tolerance
/// and each quality within 1, for all three ways a frame reaches PDQ (a
/// TV-range Y plane, a full-range one, RGB through swscale).
#[cfg(feature = "video")]
#[test]
fn tensor_vpdq_equals_cpu_vpdq_for_every_kind_of_frame() {
    use hallmark_core::vpdq::decode::{hash_video, hash_video_in_batches, VideoOptions};
    use hallmark_core::{MediaError, MediaFormat, Source};

    let tmp = tempfile::tempdir().unwrap();
    let vpdq = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/vpdq");
    let videos = [
        // TV-range YUV 4:2:0 (H.264), SD and HD.
        (vpdq.join("chair-19-sd-bar.mp4"), MediaFormat::Mp4, 1.0),
        (vpdq.join("doorknob-hd-no-bar.mp4"), MediaFormat::Mp4, 1.0),
        // Full-range YUV (Motion JPEG), every frame.
        (
            encode(
                tmp.path(),
                "mjpeg.avi",
                &["-c:v", "mjpeg", "-pix_fmt", "yuvj420p"],
            ),
            MediaFormat::Avi,
            0.0,
        ),
        // RGB (PNG frames in a MOV), through swscale.
        (
            encode(tmp.path(), "png.mov", &["-c:v", "png", "-pix_fmt", "rgb24"]),
            MediaFormat::Mov,
            0.0,
        ),
    ];
    let tensor = TensorPdq::new(Device::Cpu).unwrap();
    for (path, format, seconds_per_hash) in videos {
        let bytes = std::fs::read(&path).unwrap();
        let options = VideoOptions {
            seconds_per_hash,
            threads: 1,
        };
        let limits = Limits::default();
        let (_, cpu) = hash_video(Source::Bytes(&bytes), format, &limits, &options).unwrap();
        let mut batches = 0;
        let (_, got) =
            hash_video_in_batches(Source::Bytes(&bytes), format, &limits, &options, |b| {
                batches += 1;
                tensor.hash_frames(b).map_err(|e| MediaError::Malformed {
                    format: "video",
                    detail: e.to_string(),
                })
            })
            .unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(cpu.len() >= 3, "{name}: {} frames", cpu.len());
        assert_eq!(got.len(), cpu.len(), "{name}");
        assert!(batches >= 1);
        let mut worst = 0;
        for (t, c) in got.frames.iter().zip(&cpu.frames) {
            assert_eq!((t.frame, t.time), (c.frame, c.time), "{name}");
            let d = t.pdq.distance(&c.pdq);
            assert!(
                d <= TENSOR_PDQ_TOLERANCE,
                "{name} frame {}: {d} bits",
                c.frame
            );
            assert!(
                t.quality.abs_diff(c.quality) <= 1,
                "{name} frame {}: quality {} vs {}",
                c.frame,
                t.quality,
                c.quality
            );
            worst = worst.max(d);
        }
        println!(
            "{name}: {} frames in {batches} batches, worst distance {worst}",
            cpu.len()
        );
    }
}
