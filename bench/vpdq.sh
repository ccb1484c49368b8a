#!/usr/bin/env bash
# vPDQ hashing speed, side by side in one run: Hallmark (release build of
# core/examples/vpdq_hash.rs) against Meta's `vpdq` package from PyPI (the
# reference C++ through Cython, against the same Debian FFmpeg), hashing
# every frame (seconds_per_hash 0) and once a second, on the same videos.
# Prints frames a second for each and the ratio, and checks that the two
# outputs agree (every frame within 31 bits of the reference's).
#   bench/vpdq.sh [VIDEO…]     default: the corpus's sample videos
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/env.sh"
venv=$HALLMARK_CACHE/vpdq-venv
# Meta's package builds against FFmpeg's libavdevice and libavfilter too.
for p in libavdevice-dev libavfilter-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p"; }
done
[ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c 'import vpdq' 2>/dev/null || {
  python3 -m venv "$venv"; "$venv/bin/pip" install -q --disable-pip-version-check vpdq; }
cargo build -q --release -p hallmark-core --example vpdq_hash
ours=$root/target/release/examples/vpdq_hash
[ $# -gt 0 ] || set -- "$root"/../shared/corpus/vpdq/*.mp4
"$venv/bin/python3" - "$ours" "$@" <<'PY'
import subprocess, sys, time, vpdq
ours, videos = sys.argv[1], sys.argv[2:]
def run_ours(v, s):
    out = subprocess.run([ours, v, str(s)], check=True, capture_output=True, text=True).stdout
    return [l.split(",") for l in out.splitlines()]
for s in (0, 1):
    t_ours = t_ref = 0.0; frames = 0; far = 0; compared = 0
    for rep in range(3):
        for v in videos:
            a = time.perf_counter(); mine = run_ours(v, s); t_ours += time.perf_counter() - a
            a = time.perf_counter(); ref = vpdq.computeHash(v, seconds_per_hash=s); t_ref += time.perf_counter() - a
            if rep == 0:
                assert len(mine) == len(ref), (v, len(mine), len(ref))
                for m, r in zip(mine, ref):
                    d = bin(int(m[2], 16) ^ int(str(r.hex), 16)).count("1")
                    far += d > 31; compared += 1
                frames += len(ref)
    print(f"seconds_per_hash {s}: {frames} hashed frames ×3; Hallmark {3*frames/t_ours:.0f} hashes/s, "
          f"Meta vpdq {3*frames/t_ref:.0f} hashes/s, ratio {t_ref/t_ours:.2f}×; "
          f"{far} of {compared} frames over 31 bits apart")
PY
