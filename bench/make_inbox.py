#!/usr/bin/env python3
"""Make a photo inbox for `bench/scan.sh`: JPEGs, a third unsigned, a third
signed with `hallmark sign`, a third signed and then tampered.

    python3 bench/make_inbox.py DIR [--count 500] [--seed 1] [--min-mp 1] [--max-mp 12]
    python3 bench/make_inbox.py DIR --copies 10000 [--seed 1] [--copy-mp 0.3]

Pictures look like photographs to a JPEG encoder, not like flat noise: a
smooth two-colour gradient, a dozen flat shapes (ellipses, boxes, triangles)
softened by a blur, blotchy mid-frequency texture and fine grain. At quality
90 they take about 0.37 bytes a pixel, like real photos. Sizes are spread
evenly from --min-mp to --max-mp megapixels (in shuffled order), with varied
aspect ratios (landscape, portrait, square). Files go in folders of 100.

Each file's name says what it is: NNNN-unsigned.jpg, NNNN-signed.jpg,
NNNN-tampered.jpg. `hallmark verify` should call them unsigned, valid (the
fixture signer is not trusted unless you trust it) and tampered. Tampering
changes 4 bytes of the entropy-coded picture data at 70% of its length
(well after the APP11 segments holding the manifest, never making a 0xFF
marker byte), and the result is checked to still decode with Pillow.

--copies N makes a large inbox cheaply instead: N small (--copy-mp, default
0.3 MP) files in nested folders (d000/d0/NNNNNN-KIND.jpg, 100 a folder),
made from 6 base pictures. Every file has different bytes, so content-keyed
caches can't fold them together: unsigned copies carry a unique JPEG comment
(COM segment), signed copies are such a variant signed on its own (one
`hallmark sign` each: N/3 signatures, about a minute with the release build),
and tampered copies are a tampered signed base with unique bytes after EOI.

Deterministic for a seed: the same pictures, sizes, names, kinds and tamper
positions. Signed and tampered files are not byte-identical between runs
(c2pa puts random UUIDs in manifest labels).

Signing uses --hallmark PATH, else $HALLMARK, else target/release/hallmark,
else target/debug/hallmark; and --identity DIR (default the unencrypted test
identity fixtures/keys/newsroom; an encrypted key reads $HALLMARK_PASSPHRASE).
--jobs processes (default 2) generate and sign in parallel.
"""

import argparse
import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ("unsigned", "signed", "tampered")
ASPECTS = [(4, 3), (3, 2), (16, 9), (5, 4), (1, 1), (3, 4), (2, 3), (9, 16)]
BASES = 6  # distinct pictures behind a --copies inbox


def say(msg):
    print(f"make_inbox: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- pictures

def picture(rng, w, h):
    """A photo-like RGB image of w x h pixels, drawn from rng."""
    # Smooth gradient between two colours, drawn at 1/8 size and scaled up.
    lw, lh = max(8, w // 8), max(8, h // 8)
    yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
    ang = rng.uniform(0, 2 * math.pi)
    t = math.cos(ang) * xx / lw + math.sin(ang) * yy / lh
    t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    base = (c0 + (c1 - c0) * t[..., None]).clip(0, 255).astype(np.uint8)
    img = Image.fromarray(base).resize((w, h), Image.BILINEAR)
    # Flat shapes with hard edges, softened a little like a lens would.
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(6, 16))):
        x0, y0 = rng.uniform(-0.2, 1.0) * w, rng.uniform(-0.2, 1.0) * h
        sw, sh = rng.uniform(0.05, 0.5) * w, rng.uniform(0.05, 0.5) * h
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse([x0, y0, x0 + sw, y0 + sh], fill=colour)
        elif shape == 1:
            draw.rectangle([x0, y0, x0 + sw, y0 + sh], fill=colour)
        else:
            draw.polygon([(x0, y0 + sh), (x0 + sw / 2, y0), (x0 + sw, y0 + sh)], fill=colour)
    img = img.filter(ImageFilter.BoxBlur(2))
    a = np.asarray(img, dtype=np.int16)
    # Blotchy texture: noise at 1/3 size, scaled up smoothly (foliage, fabric, gravel).
    tw, th = max(4, w // 3), max(4, h // 3)
    blot = (rng.normal(0, 1, (th, tw)) * 40 + 128).clip(0, 255).astype(np.uint8)
    blot = np.asarray(Image.fromarray(blot).resize((w, h), Image.BICUBIC), dtype=np.int16) - 128
    # Fine grain: a 256 x 256 tile of sensor-like noise, repeated.
    tile = rng.integers(-6, 7, (256, 256, 3), dtype=np.int16)
    grain = np.tile(tile, (h // 256 + 1, w // 256 + 1, 1))[:h, :w]
    a = a + blot[..., None] + grain
    return Image.fromarray(a.clip(0, 255).astype(np.uint8))


def size_for(mp, aspect):
    aw, ah = aspect
    s = math.sqrt(mp * 1e6 / (aw * ah))
    return max(16, round(aw * s)), max(16, round(ah * s))


def encode(img, quality):
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


# ---------------------------------------------------------------- JPEG bytes

def scan_data(data):
    """(end of the last APP11 segment, start of the entropy-coded data, offset of EOI)."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    i, app11_end = 2, 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError(f"no marker at {i}")
        while data[i + 1] == 0xFF:  # fill bytes
            i += 1
        marker = data[i + 1]
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            i += 2
            continue
        seg_end = i + 2 + int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xEB:
            app11_end = seg_end
        if marker == 0xDA:
            return app11_end, seg_end, data.rindex(b"\xff\xd9")
        i = seg_end
    raise ValueError("no SOS segment")


def tamper(data, frac=0.7):
    """Change 4 bytes of the entropy-coded data at frac of the file; still decodable."""
    app11_end, start, eoi = scan_data(data)
    out = bytearray(data)
    for attempt in range(20):
        p = max(int(len(data) * (frac + 0.01 * attempt)), start + 64, app11_end + 64)
        if p + 64 > eoi:
            break
        changed = 0
        while changed < 4 and p < eoi - 1:
            # Skip 0xFF bytes and the stuffed 0x00 after them; never write 0xFF.
            if data[p] != 0xFF and data[p - 1] != 0xFF:
                new = data[p] ^ 0x5A
                out[p] = new if new != 0xFF else data[p] ^ 0x5B
                changed += 1
            p += 3
        try:
            Image.open(io.BytesIO(bytes(out))).load()
            return bytes(out)
        except Exception:  # noqa: BLE001 - any decoder complaint: try further on
            out = bytearray(data)
    raise ValueError("could not tamper and keep the JPEG decodable")


def with_comment(data, text):
    """The JPEG with a COM segment holding text right after SOI."""
    body = text.encode()
    return data[:2] + b"\xff\xfe" + (len(body) + 2).to_bytes(2, "big") + body + data[2:]


# ---------------------------------------------------------------- signing

def find_hallmark(arg):
    for cand in (arg, os.environ.get("HALLMARK"),
                 os.path.join(ROOT, "target", "release", "hallmark"),
                 os.path.join(ROOT, "target", "debug", "hallmark")):
        if cand and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    sys.exit("make_inbox: no hallmark binary: pass --hallmark PATH or run "
             "`cargo build --release -p hallmark-cli`")


def sign(cfg, data, dst, title):
    """Sign JPEG bytes with hallmark into dst; returns the signed bytes."""
    src = os.path.join(cfg["tmp"], f"{os.getpid()}-{title}")
    with open(src, "wb") as f:
        f.write(data)
    try:
        r = subprocess.run([cfg["hallmark"], "sign", src, "-o", dst, "--identity", cfg["identity"],
                            "--title", title, "--force"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"hallmark sign {title} failed ({r.returncode}): {r.stderr.strip()}")
    finally:
        os.unlink(src)
    with open(dst, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- the two inboxes

def photo_task(job):
    """One file of the photo inbox: (index, kind, megapixels, aspect); returns (bytes, pixels)."""
    cfg, i, kind, mp, aspect = job
    rng = np.random.default_rng([cfg["seed"], i])
    w, h = size_for(mp, aspect)
    data = encode(picture(rng, w, h), cfg["quality"])
    name = f"{i:04d}-{kind}.jpg"
    folder = os.path.join(cfg["dir"], f"batch-{i // 100:02d}")
    os.makedirs(folder, exist_ok=True)
    dst = os.path.join(folder, name)
    if kind == "unsigned":
        write(dst, data)
    else:
        signed = sign(cfg, data, dst, name)
        if kind == "tampered":
            write(dst, tamper(signed))
    return os.path.getsize(dst), w * h


def photo_jobs(cfg, count, min_mp, max_mp):
    rng = np.random.default_rng([cfg["seed"], 0x5EED])
    mps = np.linspace(min_mp, max_mp, count) if count > 1 else np.array([min_mp])
    mps = mps[rng.permutation(count)]
    kinds = np.array([KINDS[k % 3] for k in range(count)])[rng.permutation(count)]
    aspects = rng.integers(0, len(ASPECTS), count)
    return [(cfg, i, str(kinds[i]), float(mps[i]), ASPECTS[aspects[i]]) for i in range(count)]


def copy_path(cfg, i, kind):
    folder = os.path.join(cfg["dir"], f"d{i // 1000:03d}", f"d{(i // 100) % 10}")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"{i:06d}-{kind}.jpg")


def base_task(job):
    """One of the base pictures of a --copies inbox: (unsigned bytes, tampered signed bytes)."""
    cfg, b, mp = job
    rng = np.random.default_rng([cfg["seed"], 0xC0DE, b])
    w, h = size_for(mp * rng.uniform(0.85, 1.15), ASPECTS[b % len(ASPECTS)])
    data = encode(picture(rng, w, h), cfg["quality"])
    tmp_dst = os.path.join(cfg["tmp"], f"base-{b}-signed.jpg")
    signed = sign(cfg, data, tmp_dst, f"base-{b}.jpg")
    return data, tamper(signed)


_BASES = []


def set_bases(bases):
    """Pool initializer: the base pictures, sent to each worker once rather than with every job."""
    _BASES[:] = bases


def copy_task(job):
    cfg, i, kind = job
    unsigned, tampered = _BASES[i % len(_BASES)]
    dst = copy_path(cfg, i, kind)
    tag = f"hallmark bench copy {i:06d}"
    if kind == "unsigned":
        write(dst, with_comment(unsigned, tag))
    elif kind == "signed":
        sign(cfg, with_comment(unsigned, tag), dst, os.path.basename(dst))
    else:
        write(dst, tampered + b"\n" + tag.encode())
    return os.path.getsize(dst), 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-mp", type=float, default=1.0)
    ap.add_argument("--max-mp", type=float, default=12.0)
    ap.add_argument("--quality", type=int, default=90)
    ap.add_argument("--copies", type=int, default=0, help="make N small files instead (see above)")
    ap.add_argument("--copy-mp", type=float, default=0.3)
    ap.add_argument("--hallmark", help="the hallmark binary that signs")
    ap.add_argument("--identity", default=os.path.join(ROOT, "fixtures", "keys", "newsroom"))
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if os.path.exists(args.dir) and os.listdir(args.dir):
        sys.exit(f"make_inbox: {args.dir} exists and is not empty")
    os.makedirs(args.dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="hallmark-inbox-")
    cfg = {"dir": os.path.abspath(args.dir), "seed": args.seed, "quality": args.quality,
           "hallmark": find_hallmark(args.hallmark), "identity": os.path.abspath(args.identity),
           "tmp": tmp}
    started = time.perf_counter()
    n = args.copies or args.count
    say(f"{n} files into {args.dir} with {args.jobs} processes; signing with {cfg['hallmark']}")
    total_bytes = total_px = done = 0
    try:
        if args.copies:
            with Pool(args.jobs) as pool:
                bases = pool.map(base_task, [(cfg, b, args.copy_mp) for b in range(BASES)])
            rng = np.random.default_rng([args.seed, 0xC0FE])
            kinds = np.array([KINDS[k % 3] for k in range(n)])[rng.permutation(n)]
            jobs = [(cfg, i, str(kinds[i])) for i in range(n)]
            pool = Pool(args.jobs, initializer=set_bases, initargs=(bases,))
            results = pool.imap_unordered(copy_task, jobs, chunksize=16)
        else:
            jobs = photo_jobs(cfg, n, args.min_mp, args.max_mp)
            # Biggest first, so the last jobs to finish are short ones.
            jobs.sort(key=lambda j: -j[3])
            pool = Pool(args.jobs)
            results = pool.imap_unordered(photo_task, jobs)
        with pool:
            for size, px in results:
                total_bytes += size
                total_px += px
                done += 1
                if done % max(1, n // 10) == 0 or done == n:
                    say(f"{done}/{n} files, {time.perf_counter() - started:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    per_px = f", {total_bytes / total_px:.2f} bytes/pixel" if total_px else ""
    say(f"done: {n} files, {total_bytes / 1e6:.1f} MB{per_px}, in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
