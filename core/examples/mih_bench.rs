//! The PDQ multi-index ([`hallmark_core::mih::HashIndex`]) against an
//! exhaustive scan, on hash files that `bench/registry.py` writes (and then
//! compares with faiss in the same run). Prints one JSON object on stdout.
//!
//! ```sh
//! cargo build --release -p hallmark-core --example mih_bench
//! target/release/examples/mih_bench HASHES.bin QUERIES.bin THRESHOLD RESULTS
//! ```
//!
//! HASHES.bin and QUERIES.bin are raw 32-byte hashes, bit k of a hash being
//! bit k % 8 of byte k / 8 (numpy's `packbits(bitorder="little")`).
//! RESULTS.mih.txt and RESULTS.exhaustive.txt get one line a query: the ids
//! that the index and the exhaustive scan found, ascending.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::time::Instant;

use hallmark_core::mih::HashIndex;
use hallmark_core::pdq::PdqHash;

fn read_hashes(path: &str) -> Vec<PdqHash> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        bytes.len() % 32,
        0,
        "{path}: not a whole number of 32-byte hashes"
    );
    bytes
        .chunks_exact(32)
        .map(|h| {
            let lane = |i: usize| u64::from_le_bytes(h[i * 8..i * 8 + 8].try_into().unwrap());
            PdqHash::from_lanes([lane(0), lane(1), lane(2), lane(3)])
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: mih_bench HASHES.bin QUERIES.bin THRESHOLD RESULTS");
        std::process::exit(2);
    }
    let hashes = read_hashes(&args[1]);
    let queries = read_hashes(&args[2]);
    let threshold: u32 = args[3].parse().expect("THRESHOLD is a number");
    let n = hashes.len();

    let start = Instant::now();
    let index = HashIndex::from_hashes(hashes);
    let build_s = start.elapsed().as_secs_f64();

    // One pass to warm caches, then the timed pass.
    for q in queries.iter().take(10) {
        std::hint::black_box(index.search(q, threshold));
    }
    let start = Instant::now();
    let found: Vec<Vec<usize>> = queries
        .iter()
        .map(|q| {
            index
                .search(q, threshold)
                .into_iter()
                .map(|m| m.id)
                .collect()
        })
        .collect();
    let mih_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let exact: Vec<Vec<usize>> = queries
        .iter()
        .map(|q| {
            index
                .search_exhaustive(q, threshold)
                .into_iter()
                .map(|m| m.id)
                .collect()
        })
        .collect();
    let exhaustive_s = start.elapsed().as_secs_f64();

    let truth: usize = exact.iter().map(Vec::len).sum();
    let hits: usize = found
        .iter()
        .zip(&exact)
        .map(|(f, e)| e.iter().filter(|id| f.contains(id)).count())
        .sum();

    for (suffix, results) in [("mih", &found), ("exhaustive", &exact)] {
        let mut out = String::new();
        for ids in results {
            let mut ids = ids.clone();
            ids.sort_unstable();
            let line: Vec<String> = ids.iter().map(ToString::to_string).collect();
            writeln!(out, "{}", line.join(" ")).unwrap();
        }
        std::fs::write(format!("{}.{suffix}.txt", args[4]), out).unwrap();
    }

    // 32 bytes a hash, plus per chunk 65,537 offsets and one id a hash.
    let index_bytes = n * 32 + 16 * (65_537 * 4 + n * 4);
    println!(
        "{{\"n\": {n}, \"queries\": {}, \"threshold\": {threshold}, \"build_s\": {build_s:.4}, \
         \"mih_s\": {mih_s:.6}, \"exhaustive_s\": {exhaustive_s:.6}, \"true_neighbours\": {truth}, \
         \"mih_hits\": {hits}, \"index_bytes\": {index_bytes}}}",
        queries.len()
    );
}
