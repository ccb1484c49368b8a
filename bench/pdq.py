#!/usr/bin/env python3
"""PDQ speed, side by side in one run: Hallmark vs Meta's C++ reference
(PyPI `pdqhash`), on the same decoded pixels, and file-to-hash with decoding:
the exact hash (every pixel decoded, as `hallmark hash`) and the feed's
(JPEG decoded at reduced scale), each vs Pillow + pdqhash. Best of N runs each.

    python3 -m venv /tmp/bv && /tmp/bv/bin/pip install 'numpy<2' pdqhash pillow
    /tmp/bv/bin/python bench/pdq.py      (builds the release example first)

pdqhash's wheels are built against NumPy 1: with NumPy 2 it fails to import.
"""
import os, subprocess, sys, tempfile, time

import numpy as np
import pdqhash
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "pdq")
REPS = int(os.environ.get("REPS", "7"))


def best(f, reps=REPS):
    t = float("inf")
    for _ in range(reps):
        s = time.perf_counter()
        out = f()
        t = min(t, time.perf_counter() - s)
    return t * 1000, out


def hex_of(vector):
    bits = "".join(str(int(b)) for b in vector)
    return "%064x" % int(bits, 2)


def hallmark(*args):
    exe = os.path.join(ROOT, "target", "release", "examples", "pdq_bench")
    out = subprocess.run([exe, *map(str, args)], check=True, capture_output=True, text=True).stdout
    ms, h = out.split()
    return float(ms), h


def main():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "hallmark-core", "--example", "pdq_bench"],
                   cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp()
    bridge = Image.open(os.path.join(CORPUS, "bridge-1-original.jpg")).convert("RGB")
    big = bridge.resize((4000, 3000), Image.LANCZOS)
    big_jpg = os.path.join(tmp, "12mp.jpg")
    big.save(big_jpg, quality=90)
    rows = []
    for name, img in [("1.6 MP (1600x1004)", bridge), ("12 MP (4000x3000)", big)]:
        rgb = np.asarray(img)
        raw = os.path.join(tmp, "raw.rgb")
        rgb.tofile(raw)
        ref_ms, (vec, q) = best(lambda: pdqhash.compute(rgb))
        hm_ms, hm_hash = hallmark("pixels", raw, img.width, img.height, REPS)
        same = "identical" if hm_hash == hex_of(vec) else "DIFFERENT"
        rows.append((f"PDQ on pixels, {name}", hm_ms, ref_ms, same))
        whole_ms, whole_hash = hallmark("whole", raw, img.width, img.height, REPS)
        same = "identical" if whole_hash == hm_hash else "DIFFERENT"
        rows.append((f"  in row bands vs the whole-image filter, {name}", hm_ms, whole_ms, same))
    ref_ms, (vec, q) = best(lambda: pdqhash.compute(np.asarray(Image.open(big_jpg).convert("RGB"))))
    hm_ms, hm_hash = hallmark("exact", big_jpg, REPS)
    bits = bin(int(hm_hash, 16) ^ int(hex_of(vec), 16)).count("1")
    rows.append(("file to exact hash, 12 MP JPEG (vs Pillow+pdqhash)", hm_ms, ref_ms,
                 f"{bits} bits apart (two JPEG decoders)"))
    hm_ms, _ = hallmark("file", big_jpg, REPS)
    rows.append(("file to feed hash, 12 MP JPEG (scaled decode vs Pillow+pdqhash)", hm_ms, ref_ms, ""))
    print(f"{'case':<62} {'hallmark ms':>12} {'reference ms':>13} {'ratio':>7}  hashes")
    for case, a, b, note in rows:
        print(f"{case:<62} {a:>12.2f} {b:>13.2f} {a / b:>7.3f}  {note}")
    os.makedirs(os.path.join(ROOT, "bench-out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench-out", "pdq.tsv"), "w") as f:
        for case, a, b, note in rows:
            f.write(f"{case}\t{a:.3f}\t{b:.3f}\t{a / b:.4f}\t{note}\n")


if __name__ == "__main__":
    sys.exit(main())
