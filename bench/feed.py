#!/usr/bin/env python3
"""Feed matching and batched PDQ, side by side in one run on the same cores.

Matching: 10,000 queries against 1,000,000 random PDQ hashes (half the
queries are bank hashes with 0-31 bits flipped, half strangers), nearest
hash within 31 bits. Hallmark's engines (core/examples/feed_bench.rs) vs
faiss-cpu IndexBinaryFlat (exhaustive, k=1) on the same hashes; every
answer's distance is checked against faiss's.

PDQ: pre-decoded 512x512 RGB images, the CPU engine vs the tensor engine
(libtorch) on the same machine.

    python3 bench/feed.py [--bank 1000000] [--queries 10000] [--device cpu,torch-cpu]

Needs numpy and faiss-cpu (pip install faiss-cpu), and for torch-cpu or cuda
the gpu build of the example (. scripts/gpu-env.sh, see the README).
"""
import argparse, json, os, subprocess, sys, tempfile, time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def example(device):
    plain = os.path.join(ROOT, "target", "release", "examples", "feed_bench")
    gpu = os.path.join(ROOT, "target", "gpu", "release", "examples", "feed_bench")
    if device == "cpu" and os.path.exists(plain):
        return plain
    if not os.path.exists(gpu):
        sys.exit(f"{gpu} missing: build it with the gpu feature (see the README)")
    return gpu


def run(device, *args):
    out = subprocess.run([example(device), *map(str, args)], check=True,
                         capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bank", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--faiss-queries", type=int, default=0,
                    help="time faiss on this many queries and scale up (0: all)")
    ap.add_argument("--images", type=int, default=512)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "hallmark-core",
                    "--example", "feed_bench"], cwd=ROOT, check=True)
    import faiss

    devices = args.device.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for d in devices:
            out = os.path.join(tmp, d)
            results[d] = (run(d, "match", d, args.bank, args.queries, out)[0], out)
        first = results[devices[0]][1]
        bank = np.fromfile(os.path.join(first, "bank.bin"), dtype=np.uint8).reshape(-1, 32)
        queries = np.fromfile(os.path.join(first, "queries.bin"), dtype=np.uint8).reshape(-1, 32)
        index = faiss.IndexBinaryFlat(256)
        index.add(bank)
        nq = args.faiss_queries or len(queries)
        t = time.perf_counter()
        D, I = index.search(queries[:nq], 1)
        faiss_s = (time.perf_counter() - t) * len(queries) / nq
        print(f"faiss IndexBinaryFlat: {len(queries)} x {len(bank)}: {faiss_s:.2f} s"
              f"{' (scaled from %d queries)' % nq if nq < len(queries) else ''} on {faiss.omp_get_max_threads()} threads")
        for d in devices:
            r, out = results[d]
            ours = np.loadtxt(os.path.join(out, "nearest.tsv"), dtype=np.int64).reshape(-1, 2)
            faiss_d = np.where(D[:, 0] <= 31, D[:, 0], -1)
            agree = int((ours[:nq, 1] == faiss_d).sum())
            if agree != nq:
                sys.exit(f"{d}: {nq - agree} of {nq} nearest distances differ from faiss")
            print(f"hallmark {r['device']}: match {r['match_s']:.3f} s (+ index {r['index_build_s']:.2f} s, "
                  f"bank parse {r['load_s']:.2f} s), {r['matched']} matched; "
                  f"{faiss_s / r['match_s']:.1f}x faiss (match), "
                  f"{faiss_s / (r['match_s'] + r['index_build_s']):.1f}x (match + index); "
                  f"distances equal faiss on {agree} of {nq}")
        for d in devices:
            for r in run(d, "pdq", d, args.images, 512):
                print(f"PDQ {r['device']} ({r['from']}): {r['images_per_s']:.0f} images/s "
                      f"({r['images']} images of 512x512)")


if __name__ == "__main__":
    main()
