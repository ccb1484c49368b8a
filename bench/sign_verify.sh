#!/usr/bin/env bash
# Time `hallmark verify` against `c2patool FILE` and `hallmark sign` against
# c2patool signing, side by side in the same run, with the same files and the
# same Ed25519 key and chain: JPEGs, and video (MP4, MOV, a 256 MB MP4).
#
# Usage: bench/sign_verify.sh [RUNS]        (default 10; or BENCH_RUNS=N)
# Needs: cargo, python3 with Pillow (installed with pip if missing, saying so),
#        c2patool on PATH, ../shared/corpus beside the project root.
# Writes: bench-out/sign_verify.tsv (case, hallmark_ms, c2patool_ms, ratio, runs);
#         times are medians of RUNS runs, runs of the two tools interleaved.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
runs=${1:-${BENCH_RUNS:-10}}
corpus=$(cd "$root/../shared/corpus" && pwd)
out_dir=$root/bench-out
tsv=$out_dir/sign_verify.tsv
mkdir -p "$out_dir"

say() { printf 'bench: %s\n' "$*" >&2; }

command -v c2patool >/dev/null || { say "c2patool is not on PATH (cargo install c2patool)"; exit 1; }

say "building release: cargo build --release -p hallmark-cli"
cargo build --release --quiet -p hallmark-cli
hallmark=$root/target/release/hallmark

if ! python3 -c 'import PIL' 2>/dev/null; then
    say "Pillow is missing; installing it: python3 -m pip install pillow"
    python3 -m pip install --quiet pillow
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hallmark-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# No ambient settings, trust lists or passphrases for either tool.
unset HALLMARK_PASSPHRASE C2PATOOL_SETTINGS C2PATOOL_TRUST_ANCHORS C2PATOOL_ALLOWED_LIST C2PATOOL_TRUST_CONFIG
echo '{}' >"$work/c2patool-defaults.json"
echo '{"builder": {"thumbnail": {"enabled": false}}}' >"$work/c2patool-no-thumbnail.json"

say "making a 12-megapixel JPEG (4000x3000)"
python3 - "$work/12mp.jpg" <<'PY'
import sys
from PIL import Image
size = (4000, 3000)
# Smooth gradients under a fixed-seed noise layer: compresses like a photograph.
r = Image.linear_gradient("L").resize(size)
g = Image.radial_gradient("L").resize(size)
b = Image.effect_mandelbrot(size, (-2.0, -1.2, 1.0, 1.2), 64)
noise = Image.effect_noise(size, 24)
img = Image.merge("RGB", (r, g, b))
img = Image.blend(img, Image.merge("RGB", (noise, noise, noise)), 0.25)
img.save(sys.argv[1], quality=90)
PY

say "making an unencrypted identity"
"$hallmark" keygen --no-passphrase --name "Bench Signer" --org "Hallmark Bench" --out "$work/id" >/dev/null

# The same manifest content for both signers: title and a c2pa.created action.
cat >"$work/c2patool-manifest.json" <<JSON
{
  "alg": "ed25519",
  "private_key": "$work/id/signing.key",
  "sign_cert": "$work/id/chain.pem",
  "title": "12mp.jpg",
  "claim_generator_info": [{"name": "c2patool-bench", "version": "1"}],
  "assertions": [{"label": "c2pa.actions", "data": {"actions": [
    {"action": "c2pa.created",
     "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}}]
}
JSON

"$hallmark" sign "$work/12mp.jpg" -o "$work/12mp-signed.jpg" --identity "$work/id" >/dev/null
c2patool "$work/12mp.jpg" -m "$work/c2patool-manifest.json" -o "$work/check.jpg" -f \
    --settings "$work/c2patool-defaults.json" >/dev/null
"$hallmark" verify "$work/check.jpg" --trust "$work/id/root.pem" --require trusted >/dev/null \
    || { say "hallmark does not trust what c2patool signed with the same key: not a fair comparison"; exit 1; }

# median_ms FILE: the median of the microsecond samples in FILE, in milliseconds.
median_ms() {
    sort -n "$1" | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'
}

# once CMD…: run it, output and status ignored (tampered or unsigned files exit non-zero).
once() { "$@" >/dev/null 2>&1 || true; }

# compare CASE -- HALLMARK_CMD… -- C2PATOOL_CMD…: time both, interleaved, one warm-up each.
compare() {
    local name=$1; shift; shift
    local a=() b=()
    while [[ $1 != -- ]]; do a+=("$1"); shift; done
    shift
    b=("$@")
    local ta=$work/a.samples tb=$work/b.samples
    if command -v hyperfine >/dev/null; then
        hyperfine --shell=none --ignore-failure --warmup 1 --runs "$runs" \
            --export-json "$work/h.json" "$(printf '%q ' "${a[@]}")" "$(printf '%q ' "${b[@]}")" \
            >/dev/null 2>"$work/hyperfine.log" || { cat "$work/hyperfine.log" >&2; exit 1; }
        python3 - "$work/h.json" "$ta" "$tb" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
for result, path in zip(results, sys.argv[2:]):
    open(path, "w").write("".join(f"{t * 1e6:.0f}\n" for t in result["times"]))
PY
    else
        : >"$ta"; : >"$tb"
        once "${a[@]}"; once "${b[@]}"
        # Bash's own clock ($EPOCHREALTIME, microseconds): `$(date +%s%N)`
        # forked a subshell and ran `date` inside every sample, about 1 ms
        # added to both tools' times (which pulled every ratio toward 1).
        local i t0 t1
        for ((i = 0; i < runs; i++)); do
            t0=${EPOCHREALTIME/[.,]/}; once "${a[@]}"; t1=${EPOCHREALTIME/[.,]/}; echo $((t1 - t0)) >>"$ta"
            t0=${EPOCHREALTIME/[.,]/}; once "${b[@]}"; t1=${EPOCHREALTIME/[.,]/}; echo $((t1 - t0)) >>"$tb"
        done
    fi
    local ma mb
    ma=$(median_ms "$ta"); mb=$(median_ms "$tb")
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$ma" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", a / b }')" "$runs" >>"$tsv"
    printf '%-42s %12s %12s %8s\n' "$name" "$ma" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", a / b }')"
}

printf 'case\thallmark_ms\tc2patool_ms\tratio\truns\n' >"$tsv"
say "$("$hallmark" --version); $(c2patool --version); $runs runs each, median; $(nproc) CPUs"
say "timer: $(command -v hyperfine >/dev/null && echo hyperfine || echo 'bash loop ($EPOCHREALTIME)')"
printf '%-42s %12s %12s %8s\n' case "hallmark ms" "c2patool ms" ratio

for file in "$corpus"/c2pa-rs/*.jpg; do
    compare "verify $(basename "$file")" -- "$hallmark" verify "$file" \
        -- c2patool "$file" --settings "$work/c2patool-defaults.json"
done
compare "verify 12mp-signed.jpg" -- "$hallmark" verify "$work/12mp-signed.jpg" \
    -- c2patool "$work/12mp-signed.jpg" --settings "$work/c2patool-defaults.json"

sign_hallmark=("$hallmark" sign "$work/12mp.jpg" -o "$work/out-hallmark.jpg" --identity "$work/id" --force)
compare "sign 12mp.jpg (c2patool defaults)" -- "${sign_hallmark[@]}" \
    -- c2patool "$work/12mp.jpg" -m "$work/c2patool-manifest.json" -o "$work/out-c2patool.jpg" -f \
    --settings "$work/c2patool-defaults.json"
compare "sign 12mp.jpg (c2patool, no thumbnail)" -- "${sign_hallmark[@]}" \
    -- c2patool "$work/12mp.jpg" -m "$work/c2patool-manifest.json" -o "$work/out-c2patool.jpg" -f \
    --settings "$work/c2patool-no-thumbnail.json"

# Video: the reference corpus's signed MP4 and MOV, and a 256 MB MP4 (the
# fixture clip and 256 MB more media data) signed with the same key by both.
for file in "$corpus"/c2pa-rs/media/video1.mp4 "$corpus"/c2pa-rs/media/c.mov; do
    compare "verify $(basename "$file")" -- "$hallmark" verify "$file" \
        -- c2patool "$file" --settings "$work/c2patool-defaults.json"
done
say "making a 256 MB MP4"
python3 - "$root/fixtures/media/clip.mp4" "$work/big.mp4" $((256 << 20)) <<'PY'
import os, struct, sys
# The clip with its one mdat grown (a 64-bit size where its 8-byte free box
# was): random bytes, not sparse, so both tools read real pages.
clip = open(sys.argv[1], "rb").read()
total = int(sys.argv[3])
free = clip.index(b"\0\0\0\x08free")
with open(sys.argv[2], "wb") as f:
    f.write(clip[:free])
    f.write(struct.pack(">I4sQ", 1, b"mdat", total - free))
    f.write(clip[free + 16:])
    chunk = os.urandom(1 << 20)
    while f.tell() < total:
        f.write(chunk[: total - f.tell()])
PY
sed -e 's/"title": "12mp.jpg"/"title": "big.mp4"/' "$work/c2patool-manifest.json" >"$work/c2patool-video.json"
"$hallmark" sign "$work/big.mp4" -o "$work/big-hallmark.mp4" --identity "$work/id" >/dev/null
c2patool "$work/big.mp4" -m "$work/c2patool-video.json" -o "$work/big-c2patool.mp4" -f \
    --settings "$work/c2patool-defaults.json" >/dev/null
compare "verify a 256 MB MP4 (signed by hallmark)" -- "$hallmark" verify "$work/big-hallmark.mp4" \
    -- c2patool "$work/big-hallmark.mp4" --settings "$work/c2patool-defaults.json"
compare "verify a 256 MB MP4 (signed by c2patool)" -- "$hallmark" verify "$work/big-c2patool.mp4" \
    -- c2patool "$work/big-c2patool.mp4" --settings "$work/c2patool-defaults.json"
compare "sign a 256 MB MP4" -- "$hallmark" sign "$work/big.mp4" -o "$work/big-hallmark.mp4" --identity "$work/id" --force \
    -- c2patool "$work/big.mp4" -m "$work/c2patool-video.json" -o "$work/big-c2patool.mp4" -f \
    --settings "$work/c2patool-defaults.json"

say "12 MP input: $(stat -c %s "$work/12mp.jpg") bytes; signed by hallmark: $(stat -c %s "$work/out-hallmark.jpg") bytes; by c2patool (no thumbnail): $(stat -c %s "$work/out-c2patool.jpg") bytes"
say "wrote $tsv"
