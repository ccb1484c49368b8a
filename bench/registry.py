#!/usr/bin/env python3
"""Registry lookup benchmark: Hallmark's PDQ multi-index against an exhaustive
scan and against faiss (IndexBinaryFlat and IndexBinaryMultiHash), on the same
hashes, queries and machine, in one run, all single-threaded.

The data: N uniformly random 256-bit hashes, plus for each query PLANTED
near-duplicates at random distances 0..THRESHOLD (bits flipped at random),
shuffled in. Recall of every method is measured against faiss's exhaustive
IndexBinaryFlat (and the Rust exhaustive scan must agree with it exactly).

Usage:
    pip install faiss-cpu numpy        # or: python3 -m venv V && V/bin/pip install ...
    python3 bench/registry.py [--n 1000000] [--queries 1000] [--planted 4] [--threshold 31]

It builds `target/release/examples/mih_bench` with cargo (skip with
--no-build): the portable build, for baseline x86-64, whose popcount has no
POPCNT instruction. It also compiles the same example and the same index
source (core/src/mih.rs, core/src/pdq.rs; std only) with `rustc -C
target-cpu=native` into bench-out/ (skip with --no-native), as faiss's wheels
dispatch to AVX2 at run time. It writes the hash files and
bench-out/registry.tsv, and prints one table. Caveat: real PDQ hashes are less uniform than random ones, so their
chunk buckets are less even; MIH's speed-up on real banks is smaller.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import faiss
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_data(n, queries, planted, threshold, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    q = rng.integers(0, 256, size=(queries, 32), dtype=np.uint8)
    qbits = np.unpackbits(q, axis=1, bitorder="little")
    near = []
    for i in range(queries):
        for _ in range(planted):
            d = int(rng.integers(0, threshold + 1))
            bits = qbits[i].copy()
            flip = rng.choice(256, size=d, replace=False)
            bits[flip] ^= 1
            near.append(np.packbits(bits, bitorder="little"))
    db = np.concatenate([base, np.array(near, dtype=np.uint8).reshape(-1, 32)])
    db = db[rng.permutation(len(db))]
    return np.ascontiguousarray(db), np.ascontiguousarray(q)


def range_results(lims, ids):
    return [set(ids[lims[i]:lims[i + 1]].tolist()) for i in range(len(lims) - 1)]


def recall(found, truth):
    total = sum(len(t) for t in truth)
    hits = sum(len(f & t) for f, t in zip(found, truth))
    return hits / total if total else 1.0, hits, total


def faiss_run(index, db, q, threshold, add=True):
    start = time.perf_counter()
    if add:
        index.add(db)
    build = time.perf_counter() - start
    index.search(q[:10], 1)  # warm up
    start = time.perf_counter()
    # faiss's binary range search keeps distances strictly below the radius.
    lims, _dist, ids = index.range_search(q, threshold + 1)
    secs = time.perf_counter() - start
    return build, secs, range_results(lims, ids)


def build_native(out):
    """The example and the index it measures, compiled for this CPU with plain rustc."""
    lib = os.path.join(out, "native-hallmark_core.rs")
    with open(lib, "w") as f:
        f.write("#![allow(dead_code)]\n")
        for name in ("pdq", "mih"):
            f.write(f'#[path = "{os.path.join(ROOT, "core", "src", name + ".rs")}"]\npub mod {name};\n')
    flags = ["--edition", "2021", "-C", "opt-level=3", "-C", "target-cpu=native"]
    rlib = os.path.join(out, "libhallmark_core_native.rlib")
    binary = os.path.join(out, "mih_bench_native")
    subprocess.run(["rustc", *flags, "--crate-type", "rlib", "--crate-name", "hallmark_core", lib, "-o", rlib],
                   check=True)
    subprocess.run(["rustc", *flags, "--extern", f"hallmark_core={rlib}",
                    os.path.join(ROOT, "core", "examples", "mih_bench.rs"), "-o", binary], check=True)
    return binary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="random hashes in the bank")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--planted", type=int, default=4, help="near-duplicates planted per query")
    ap.add_argument("--threshold", type=int, default=31)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out"))
    ap.add_argument("--no-build", action="store_true", help="use the mih_bench binary already built")
    ap.add_argument("--no-native", action="store_true", help="skip the target-cpu=native build")
    args = ap.parse_args()

    faiss.omp_set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    binaries = [("portable", os.path.join(ROOT, "target", "release", "examples", "mih_bench"))]
    if not args.no_build:
        print("bench: cargo build --release -p hallmark-core --example mih_bench", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "hallmark-core", "--example", "mih_bench"],
                       cwd=ROOT, check=True)
    if not args.no_native:
        print("bench: rustc -C target-cpu=native core/examples/mih_bench.rs (+ core/src/{pdq,mih}.rs)",
              file=sys.stderr)
        binaries.append(("native", build_native(args.out)))

    db, q = make_data(args.n, args.queries, args.planted, args.threshold, args.seed)
    hashes_path = os.path.join(args.out, "registry-hashes.bin")
    queries_path = os.path.join(args.out, "registry-queries.bin")
    results_prefix = os.path.join(args.out, "registry-results")
    db.tofile(hashes_path)
    q.tofile(queries_path)
    print(f"bench: {len(db):,} hashes ({args.n:,} random + {len(db) - args.n:,} planted), "
          f"{len(q):,} queries, threshold {args.threshold}, 1 thread", file=sys.stderr)

    flat_build, flat_s, truth = faiss_run(faiss.IndexBinaryFlat(256), db, q, args.threshold)

    mih = faiss.IndexBinaryMultiHash(256, 16, 16)
    mih.nflip = args.threshold // 16
    mh_build, mh_s, mh_found = faiss_run(mih, db, q, args.threshold)
    del mih

    nq = len(q)
    rows = []
    for variant, binary in binaries:
        out = subprocess.run([binary, hashes_path, queries_path, str(args.threshold), results_prefix],
                             check=True, capture_output=True, text=True)
        rust = json.loads(out.stdout)

        def read_results(suffix):
            with open(f"{results_prefix}.{suffix}.txt") as f:
                return [set(map(int, line.split())) for line in f.read().split("\n")[:nq]]

        rust_found = read_results("mih")
        rust_exact = read_results("exhaustive")
        if rust_exact != truth:
            print("bench: WARNING: the Rust exhaustive scan and faiss IndexBinaryFlat disagree", file=sys.stderr)
        rows.append((f"hallmark HashIndex (MIH 16x16, radius 1), {variant}", rust["build_s"], nq / rust["mih_s"],
                     recall(rust_found, truth)))
        rows.append((f"hallmark exhaustive scan, {variant}", 0.0, nq / rust["exhaustive_s"],
                     recall(rust_exact, truth)))
    rows += [
        ("faiss IndexBinaryFlat (exhaustive)", flat_build, nq / flat_s, recall(truth, truth)),
        (f"faiss IndexBinaryMultiHash(16, b=16, nflip={args.threshold // 16})", mh_build, nq / mh_s,
         recall(mh_found, truth)),
    ]
    flat_qps = nq / flat_s
    header = f"{'method':<54} {'build s':>8} {'queries/s':>11} {'vs flat':>8} {'recall':>8} {'found/true':>12}"
    lines = [header, "-" * len(header)]
    tsv = ["method\tbuild_s\tqueries_per_s\tspeedup_vs_faiss_flat\trecall\tfound\ttrue"]
    for name, build, qps, (rec, hits, total) in rows:
        lines.append(f"{name:<54} {build:>8.2f} {qps:>11,.0f} {qps / flat_qps:>7.1f}x {rec:>8.4f} {hits:>5}/{total:<6}")
        tsv.append(f"{name}\t{build:.3f}\t{qps:.1f}\t{qps / flat_qps:.2f}\t{rec:.6f}\t{hits}\t{total}")
    print(f"{len(db):,} hashes, {nq:,} queries, threshold {args.threshold} (distance <= {args.threshold}), "
          f"single thread; hallmark index ~{rust['index_bytes'] / 2**20:.0f} MiB; faiss {faiss.__version__}")
    print("\n".join(lines))
    with open(os.path.join(args.out, "registry.tsv"), "w") as f:
        f.write("\n".join(tsv) + "\n")


if __name__ == "__main__":
    main()
