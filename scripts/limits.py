#!/usr/bin/env python3
"""Peak memory and time of the worst inputs under 50 MB, one kind at a time,
and of signing and verifying a 2 GB video (read in place, never held whole).

Makes each input in a temporary folder (Pillow, and hand-made bytes), runs
`hallmark verify`, `hallmark hash` and `hallmark feed classify` on it, and
reads each child's peak resident memory from wait4(). Prints a table and
exits non-zero when a run crashed, or when --max-rss-mb / --max-seconds /
--max-bytes-per-pixel are given and exceeded.

Bytes a pixel: what `hash` and `sign` of the 48 MP JPEG hold beyond the
process's own start-up (the peak RSS of `hallmark --version`, which is the
binary's pages: 34 MB for a debug build), over its 48 million pixels.

    python3 scripts/limits.py --hallmark target/release/hallmark [--max-rss-mb 256] [--max-seconds 2] [--capped verify] [--max-bytes-per-pixel 4]
"""
import argparse, io, json, os, struct, subprocess, sys, tempfile, time, zlib

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def grey_png(width, height):
    """A valid greyscale PNG of zeros: a few hundred KB that decode to width x height."""
    raw = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    parts = [raw.compress(row) for _ in range(height)]
    parts.append(raw.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", b"".join(parts)) + png_chunk(b"IEND", b"")


def noisy_jpeg(width, height, quality=90):
    img = Image.effect_noise((width, height), 64).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def app11_flood(base_jpeg, total):
    """C2PA-looking APP11 segments (JUMBF that claims a manifest store) after SOI, ~total bytes."""
    seg_payload = 65533 - 8
    segments = []
    size = 0
    seq = 1
    while size < total:
        body = b"JP" + struct.pack(">HI", 0x0211, seq)
        jumbf = struct.pack(">I", 0x7FFFFFFF) + b"jumb" + b"\x00" * (seg_payload - 8)
        data = body + jumbf
        segments.append(b"\xff\xeb" + struct.pack(">H", len(data) + 2) + data)
        size += len(data) + 4
        seq += 1
    return base_jpeg[:2] + b"".join(segments) + base_jpeg[2:]


MADE = [
    ("big.jpg", "JPEG 8000x6000 (48 MP) photo"),
    ("big.png", "PNG 9999x9999 grey (100 MP, at the pixel limit)"),
    ("mid.png", "PNG 6000x6000 grey (36 MP)"),
    ("flood.jpg", "JPEG with 45 MB of C2PA APP11 segments (lying JUMBF)"),
]


def big_mp4(path, base, total):
    """`base` (a small MP4 whose one `mdat` box follows an 8-byte `free` box)
    with its `mdat` grown to `total` bytes in all: a 64-bit size where the
    `free` box was, so every sample stays in place. Sparse on disk."""
    with open(base, "rb") as f:
        clip = f.read()
    free = clip.index(b"\0\0\0\x08free")
    assert clip[free + 12:free + 16] == b"mdat", "the clip's mdat must follow its free box"
    with open(path, "wb") as f:
        f.write(clip[:free])
        f.write(struct.pack(">I4sQ", 1, b"mdat", total - free))
        f.write(clip[free + 16:])
        f.truncate(total)


def verdict_of(h, path):
    proc = subprocess.run([h, "verify", "--json", path], stdout=subprocess.PIPE)
    try:
        return json.loads(proc.stdout.splitlines()[0])["verdict"]
    except (IndexError, ValueError, KeyError):
        return f"no report (exit {proc.returncode})"


def streamed(h, tmp, args, failures):
    """Sign and verify a 2 GB MP4: never held whole, so memory stays flat."""
    big = os.path.join(tmp, "big.mp4")
    big_mp4(big, os.path.join(ROOT, "fixtures", "media", "clip.mp4"), args.streamed_mb << 20)
    signed = os.path.join(tmp, "signed-big.mp4")
    size = args.streamed_mb
    steps = [("sign", [h, "sign", big, "-o", signed, "--identity", os.path.join(ROOT, "fixtures", "keys", "newsroom")],
              None),
             ("verify", [h, "verify", signed], "valid")]
    for name, cmd, expected in steps:
        code, rss, secs, stderr = run(cmd)
        what = f"MP4 of {size} MB" + (", signed" if name == "verify" else "")
        print(f"{what:<55} {size:>6}MB  {name:<14} {code:>4} {rss:>7.0f}MB {secs:>6.2f}s")
        if code != 0:
            failures.append(f"{what}: {name} exited {code}: {stderr.strip()[:200]}")
        if args.max_rss_mb and rss > args.max_rss_mb:
            failures.append(f"{what}: {name} peaked at {rss:.0f} MB")
        if expected and verdict_of(h, signed) != expected:
            failures.append(f"{what}: verdict {verdict_of(h, signed)}, expected {expected}")
    # One byte changed half-way through: the streamed hash sees it.
    with open(signed, "r+b") as f:
        f.seek(os.path.getsize(signed) // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 1]))
    code, rss, secs, stderr = run([h, "verify", signed])
    what = f"MP4 of {size} MB, signed, then one byte changed"
    print(f"{what:<55} {size:>6}MB  {'verify':<14} {code:>4} {rss:>7.0f}MB {secs:>6.2f}s")
    if args.max_rss_mb and rss > args.max_rss_mb:
        failures.append(f"{what}: verify peaked at {rss:.0f} MB")
    got = verdict_of(h, signed)
    if got != "tampered":
        failures.append(f"{what}: verdict {got}, expected tampered")


def make(tmp):
    def write(name, data):
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(data)

    write("bank.tsv", b"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\tknown-fake\n")
    write("big.jpg", noisy_jpeg(8000, 6000, 80))
    write("big.png", grey_png(9999, 9999))
    write("mid.png", grey_png(6000, 6000))
    write("flood.jpg", app11_flood(noisy_jpeg(1200, 800), 45 << 20))


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    return code, usage.ru_maxrss / 1024, elapsed, stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hallmark", default=os.path.join(ROOT, "target", "release", "hallmark"))
    ap.add_argument("--max-rss-mb", type=float)
    ap.add_argument("--max-seconds", type=float)
    ap.add_argument("--capped", default="verify,hash,feed classify",
                    help="the commands the caps apply to (comma-separated)")
    ap.add_argument("--streamed-mb", type=int, default=2048,
                    help="the size of the MP4 signed and verified in place (0: none)")
    ap.add_argument("--max-bytes-per-pixel", type=float,
                    help="the most `hash` and `sign` of the 48 MP JPEG may hold a pixel, beyond start-up")
    ap.add_argument("--make", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:
        make(args.make)
        return
    h = os.path.abspath(args.hallmark)
    failures = []
    print(f"{'input':<55} {'size':>8}  {'command':<14} {'exit':>4} {'peak RSS':>9} {'time':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        # The inputs are made by a child process: a child's peak RSS counts its
        # parent's memory at fork, so this process stays small.
        subprocess.run([sys.executable, os.path.abspath(__file__), "--make", tmp], check=True)
        bank = os.path.join(tmp, "bank.tsv")
        inputs = [(what, os.path.join(tmp, name)) for name, what in MADE]
        # Signing a 48 MP photo, and the same photo tampered after signing
        # (verify then decodes every pixel to tell what changed).
        signed = os.path.join(tmp, "signed-big.jpg")
        _, base, _, _ = run([h, "--version"])
        per_pixel = {}
        code, rss, secs, stderr = run([h, "sign", os.path.join(tmp, "big.jpg"), "-o", signed,
                                       "--identity", os.path.join(ROOT, "fixtures", "keys", "newsroom")])
        per_pixel["sign"] = (rss - base) * (1 << 20) / 48e6
        print(f"{'sign a 48 MP JPEG':<55} {os.path.getsize(signed) / (1 << 20):>6.1f}MB  {'sign':<14} {code:>4} {rss:>7.0f}MB {secs:>6.2f}s")
        if code != 0:
            failures.append(f"sign: exited {code}: {stderr.strip()[:200]}")
        tampered = os.path.join(tmp, "tampered-big.jpg")
        subprocess.run([sys.executable, "-c", "import sys; d = bytearray(open(sys.argv[1], 'rb').read()); "
                        "d[len(d) * 3 // 4] ^= 0x10; open(sys.argv[2], 'wb').write(d)", signed, tampered], check=True)
        inputs.append(("JPEG 48 MP, signed, then one byte changed", tampered))
        for f in ("attacks/bomb.png", "attacks/bomb.jpg", "attacks/bomb.webp", "attacks/deep-ingredients.jpg",
                  "attacks/ingredient-cycle.jpg", "attacks/jumbf-size-extended.jpg", "attacks/hostile-title.jpg"):
            inputs.append((f"fixtures/{f}", os.path.join(ROOT, "fixtures", f)))
        # The reference's hostile media: boxes nested 1,000 deep, a TIFF of
        # too many subfiles, a RIFF of 1,000 nested chunks.
        media = os.path.join(ROOT, "..", "shared", "corpus", "c2pa-rs", "media")
        for f in ("nested_moov_1000.mp4", "tiff_poc.tiff", "riff_bomb_1000.wav"):
            inputs.append((f"corpus media/{f}", os.path.join(media, f)))
        for what, p in inputs:
            size = os.path.getsize(p) / (1 << 20)
            for name, cmd in [
                ("verify", [h, "verify", p]),
                ("hash", [h, "hash", p]),
                ("feed classify", [h, "feed", "classify", "--device", "cpu", "--bank", bank, p]),
            ]:
                code, rss, secs, stderr = run(cmd)
                if p.endswith("big.jpg") and name == "hash":
                    per_pixel["hash"] = (rss - base) * (1 << 20) / 48e6
                print(f"{what:<55} {size:>6.1f}MB  {name:<14} {code:>4} {rss:>7.0f}MB {secs:>6.2f}s")
                if code not in (0, 1, 3, 4) or "panicked" in stderr:
                    failures.append(f"{what}: {name} exited {code}: {stderr.strip()[:200]}")
                capped = name in args.capped.split(",")
                if capped and args.max_rss_mb and size < 50 and rss > args.max_rss_mb:
                    failures.append(f"{what}: {name} peaked at {rss:.0f} MB")
                if capped and args.max_seconds and secs > args.max_seconds:
                    failures.append(f"{what}: {name} took {secs:.2f} s")
        print(f"48 MP JPEG, beyond start-up ({base:.0f} MB): "
              + ", ".join(f"{k} {v:.2f} bytes a pixel" for k, v in sorted(per_pixel.items())))
        for name, value in sorted(per_pixel.items()):
            if args.max_bytes_per_pixel and value > args.max_bytes_per_pixel:
                failures.append(f"48 MP JPEG: {name} held {value:.2f} bytes a pixel")
        if args.streamed_mb:
            streamed(h, tmp, args, failures)
    if failures:
        print("\n".join(["FAILED:"] + failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
