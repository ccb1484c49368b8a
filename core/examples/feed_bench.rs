//! Times the feed engines on synthetic data (driven by bench/feed.py, which
//! also times faiss on the same hashes and checks the answers agree).
//!
//! ```text
//! cargo run --release -p hallmark-core --example feed_bench -- match DEVICE BANK QUERIES OUT_DIR
//! cargo run --release -p hallmark-core --example feed_bench -- pdq DEVICE IMAGES SIDE [BATCH]
//! ```
//! DEVICE is cpu, or (with `--features gpu`) torch-cpu or cuda. `match`
//! makes BANK random hashes and QUERIES queries (half of them bank hashes
//! with 0–31 bits flipped), writes bank.bin and queries.bin (32 bytes a
//! hash, lanes little-endian) and nearest.tsv (id, distance per query, -1
//! when nothing is within 31 bits) to OUT_DIR, and prints timings as JSON.
//! `pdq` hashes IMAGES pre-decoded SIDE×SIDE RGB images and prints images/s:
//! from host pixels, and (gpu builds, not on `cpu`) from batches of BATCH
//! images already on the device (default 512 on CUDA, 32 on the CPU).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::time::Instant;

use hallmark_core::bank::BankSet;
use hallmark_core::feed::{DeviceChoice, Engine};
use hallmark_core::pdq::PdqHash;
use hallmark_core::pixels::PdqPixels;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn device(name: &str) -> DeviceChoice {
    match name {
        "cpu" => DeviceChoice::Cpu,
        "torch-cpu" => DeviceChoice::TorchCpu,
        "cuda" => DeviceChoice::Cuda,
        other => panic!("unknown device {other}"),
    }
}

fn write_bin(path: &std::path::Path, hashes: &[[u64; 4]]) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for h in hashes {
        for lane in h {
            out.write_all(&lane.to_le_bytes()).unwrap();
        }
    }
}

fn bench_match(device_name: &str, bank_size: usize, queries: usize, out_dir: &str) {
    let mut rng = Rng(2026);
    let bank: Vec<[u64; 4]> = (0..bank_size)
        .map(|_| [rng.next(), rng.next(), rng.next(), rng.next()])
        .collect();
    let qs: Vec<[u64; 4]> = (0..queries)
        .map(|i| {
            if i % 2 == 0 {
                let mut q = bank[(rng.next() % bank_size as u64) as usize];
                for _ in 0..(rng.next() % 32) {
                    let bit = rng.next() % 256;
                    q[(bit / 64) as usize] ^= 1 << (bit % 64);
                }
                q
            } else {
                [rng.next(), rng.next(), rng.next(), rng.next()]
            }
        })
        .collect();
    let dir = std::path::Path::new(out_dir);
    std::fs::create_dir_all(dir).unwrap();
    write_bin(&dir.join("bank.bin"), &bank);
    write_bin(&dir.join("queries.bin"), &qs);

    let t = Instant::now();
    let tsv: String = bank
        .iter()
        .map(|l| format!("{}\tknown-fake\n", PdqHash::from_lanes(*l).to_hex()))
        .collect();
    let mut set = BankSet::new();
    set.load_tsv(std::io::Cursor::new(tsv), "bench", 0, None)
        .unwrap();
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let engine = Engine::new(device(device_name), &set).unwrap();
    let build_s = t.elapsed().as_secs_f64();
    // Warm-up (CUDA context, kernels), then the timed run.
    engine.nearest(&qs[..qs.len().min(64)], 31).unwrap();
    let t = Instant::now();
    let found = engine.nearest(&qs, 31).unwrap();
    let match_s = t.elapsed().as_secs_f64();
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("nearest.tsv")).unwrap());
    for f in &found {
        match f {
            Some((id, d)) => writeln!(out, "{id}\t{d}").unwrap(),
            None => writeln!(out, "-1\t-1").unwrap(),
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "device": engine.name(), "bank": bank_size, "queries": queries,
            "load_s": load_s, "index_build_s": build_s, "match_s": match_s,
            "matched": found.iter().filter(|f| f.is_some()).count(),
        })
    );
}

fn bench_pdq(device_name: &str, images: usize, side: usize, batch_size: Option<usize>) {
    let mut rng = Rng(7);
    let one: Vec<PdqPixels> = (0..images.min(64))
        .map(|_| PdqPixels {
            rows: side,
            cols: side,
            channels: 3,
            pixels: (0..side * side * 3)
                .map(|i| ((i / 3 % side) as u64 * 255 / side as u64 + rng.next() % 32) as u8)
                .collect(),
        })
        .collect();
    let batch: Vec<&PdqPixels> = (0..images).map(|i| &one[i % one.len()]).collect();
    let set = BankSet::new();
    let engine = Engine::new(device(device_name), &set).unwrap();
    engine.hash_images(&batch[..batch.len().min(8)]).unwrap();
    let t = Instant::now();
    let hashes = engine.hash_images(&batch).unwrap();
    let s = t.elapsed().as_secs_f64();
    assert_eq!(hashes.len(), images);
    println!(
        "{}",
        serde_json::json!({
            "device": engine.name(), "images": images, "side": side, "from": "host pixels",
            "seconds": s, "images_per_s": images as f64 / s,
        })
    );
    #[cfg(feature = "gpu")]
    if device_name != "cpu" {
        bench_pdq_resident(device_name, images, side, &one, batch_size);
    }
    #[cfg(not(feature = "gpu"))]
    let _ = batch_size;
}

/// Batches already on the device (N × side × side × 3, u8): the tensor PDQ alone.
#[cfg(feature = "gpu")]
fn bench_pdq_resident(
    device_name: &str,
    images: usize,
    side: usize,
    one: &[PdqPixels],
    batch_size: Option<usize>,
) {
    use hallmark_core::feed::tensor::TensorPdq;
    let device = if device_name == "cuda" {
        tch::Device::Cuda(0)
    } else {
        tch::Device::Cpu
    };
    let batch_size = batch_size.unwrap_or(if device.is_cuda() { 512 } else { 32 });
    let flat: Vec<u8> = (0..batch_size)
        .flat_map(|i| one[i % one.len()].pixels.iter().copied())
        .collect();
    let side = side as i64;
    let batch = tch::Tensor::from_slice(&flat)
        .view([batch_size as i64, side, side, 3])
        .to_device(device);
    let pdq = TensorPdq::new(device).unwrap();
    pdq.hash_batch(&batch).unwrap();
    let rounds = images.div_ceil(batch_size).max(1);
    let t = Instant::now();
    for _ in 0..rounds {
        // hash_batch copies the hashes back to the host: each round is synchronised.
        pdq.hash_batch(&batch).unwrap();
    }
    let s = t.elapsed().as_secs_f64();
    let n = rounds * batch_size;
    println!(
        "{}",
        serde_json::json!({
            "device": hallmark_core::feed::tensor::device_name(device), "images": n,
            "side": side, "from": "device-resident batches", "batch": batch_size,
            "seconds": s, "images_per_s": n as f64 / s,
        })
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(0).as_str() {
        "match" => bench_match(
            &arg(1),
            arg(2).parse().unwrap(),
            arg(3).parse().unwrap(),
            &arg(4),
        ),
        "pdq" => bench_pdq(
            &arg(1),
            arg(2).parse().unwrap(),
            arg(3).parse().unwrap(),
            arg(4).parse().ok(),
        ),
        _ => {
            eprintln!(
                "usage: feed_bench match DEVICE BANK QUERIES OUT_DIR | pdq DEVICE IMAGES SIDE [BATCH]"
            );
            std::process::exit(2);
        }
    }
}
