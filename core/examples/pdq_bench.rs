//! Times Hallmark's PDQ for bench/pdq.py: `pdq_bench pixels RAW W H REPS`
//! (raw RGB8 → hash) or `pdq_bench file FILE REPS` (file → hash, scaled
//! JPEG decode). Prints the best time in milliseconds and the hash.

use std::time::Instant;

use hallmark_core::pdq;
use hallmark_core::pixels::fast_pdq;
use hallmark_core::Limits;

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
    let (ms, hash) = match args.get(1).map(String::as_str) {
        Some("pixels") => {
            let raw = std::fs::read(&args[2])?;
            let (w, h, reps): (usize, usize, usize) =
                (args[3].parse()?, args[4].parse()?, args[5].parse()?);
            best_ms(reps, || {
                let mut luma = pdq::luma_from_rgb8(&raw, 3);
                pdq::hash_luma(&mut luma, h, w).hash.to_hex()
            })
        }
        Some("file") => {
            let bytes = std::fs::read(&args[2])?;
            let reps: usize = args[3].parse()?;
            let limits = Limits::default();
            best_ms(reps, || {
                fast_pdq(&bytes, &limits)
                    .map(|p| p.hash.to_hex())
                    .unwrap_or_default()
            })
        }
        _ => return Err("usage: pdq_bench pixels RAW W H REPS | pdq_bench file FILE REPS".into()),
    };
    println!("{ms:.3}\t{hash}");
    Ok(())
}
