//! Times Hallmark's PDQ for bench/pdq.py, printing the best time in
//! milliseconds and the hash:
//! - `pdq_bench pixels RAW W H REPS`: raw RGB8 → the exact hash, as `hash`
//!   computes it (luminance and the Jarosz filter a band of rows at a time);
//! - `pdq_bench whole RAW W H REPS`: the same with the whole-image filter
//!   (full-size luminance and scratch buffers), the peer of `pixels`;
//! - `pdq_bench exact FILE REPS`: a file → decoded pixels → the exact hash
//!   and the pixel digest (what `hallmark hash` computes);
//! - `pdq_bench file FILE REPS`: a file → the feed's hash (JPEG decoded at
//!   reduced scale).

use std::time::Instant;

use hallmark_core::pixels::{decode_jpeg_file, decode_rgba8, fast_pdq, DecodedImage};
use hallmark_core::Limits;

/// The allocator the CLI runs with (large buffers in huge pages).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: hallmark_core::alloc::Allocator = hallmark_core::alloc::Allocator;

fn best_ms(reps: usize, mut f: impl FnMut() -> String) -> (f64, String) {
    let mut best = f64::MAX;
    let mut out = String::new();
    for _ in 0..reps {
        let start = Instant::now();
        out = f();
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    (best, out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let limits = Limits::default();
    let (ms, hash) = match args.get(1).map(String::as_str) {
        Some("pixels") => {
            let raw = std::fs::read(&args[2])?;
            let (w, h, reps): (u32, u32, usize) =
                (args[3].parse()?, args[4].parse()?, args[5].parse()?);
            let image = DecodedImage {
                width: w,
                height: h,
                channels: 3,
                pixels: raw,
                frames_digest: None,
            };
            best_ms(reps, || image.pdq().hash.to_hex())
        }
        Some("whole") => {
            let raw = std::fs::read(&args[2])?;
            let (w, h, reps): (usize, usize, usize) =
                (args[3].parse()?, args[4].parse()?, args[5].parse()?);
            best_ms(reps, || {
                let mut luma = hallmark_core::pdq::luma_from_rgb8(&raw, 3);
                hallmark_core::pdq::hash_luma(&mut luma, h, w).hash.to_hex()
            })
        }
        Some("exact") => {
            let reps: usize = args[3].parse()?;
            best_ms(reps, || {
                let decoded = std::fs::File::open(&args[2])
                    .ok()
                    .and_then(|f| decode_jpeg_file(&f, &limits).ok().flatten())
                    .or_else(|| {
                        let bytes = std::fs::read(&args[2]).ok()?;
                        decode_rgba8(&bytes, &limits).ok()
                    });
                // What `hallmark hash` computes: PDQ and the pixel digest.
                decoded
                    .map(|i| hallmark_core::pixels::ImageHash::of(&i).pdq.to_hex())
                    .unwrap_or_default()
            })
        }
        Some("file") => {
            let bytes = std::fs::read(&args[2])?;
            let reps: usize = args[3].parse()?;
            best_ms(reps, || {
                fast_pdq(&bytes, &limits)
                    .map(|p| p.hash.to_hex())
                    .unwrap_or_default()
            })
        }
        _ => {
            return Err(
                "usage: pdq_bench pixels|whole RAW W H REPS | exact FILE REPS | file FILE REPS"
                    .into(),
            )
        }
    };
    println!("{ms:.3}\t{hash}");
    Ok(())
}
