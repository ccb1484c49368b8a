#!/usr/bin/env bash
# GPU figures for the README's Performance table (issue 21, part 5), run on
# a GPU machine with a binary built here and carried there: the GPU machine
# has PyTorch (python3) but no Rust toolchain and no network.
#
# Here (the gpu build of the feed benchmark, linked against PyTorch 2.11.0):
#   . scripts/gpu-env.sh && cargo build --release -p hallmark-core --features gpu --example feed_bench
# There, from the repository root, with target/release/examples/feed_bench carried:
#   scripts/gpu-bench.sh [FEED_BENCH]
#
# Every input is made there, by the benchmark itself, from fixed seeds:
# nothing but the binary travels. It prints one JSON line a measurement:
# - PDQ of 512x512 images from batches already on the device, 256, 1,024 and
#   4,096 a batch (goal: 20,000 images/s or more), and from host pixels;
# - PDQ of 12 MP images (3,464 x 3,464), 16, 32 and 64 a batch;
# - 10,000 queries against 10,000,000 random hashes (nearest within 31 bits)
#   on the device engine and on the CPU engine, on the same hashes; the
#   nearest distances must be equal (goal: under 1 s on the device).
# Not measured here: PDQ with JPEG decoding included, which needs encoded
# inputs made there (`hallmark feed classify --device cuda --batch N` over
# a folder of JPEGs gives it).
#
# Sizes can be scaled down to try it on the CPU through libtorch:
#   DEVICE=torch-cpu IMAGES=64 SMALL_BATCHES="16 64" BIG=8 BIG_SIDE=256 BIG_BATCHES=8 \
#     BANK=20000 QUERIES=200 scripts/gpu-bench.sh
# (a batch of 4,096 512² images takes tens of GB: a GPU's memory, not this
# machine's.)
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-target/release/examples/feed_bench}
device=${DEVICE:-cuda}
images=${IMAGES:-8192}      # 512x512 images hashed a run
big=${BIG:-256}             # 12 MP images hashed a run
big_side=${BIG_SIDE:-3464}  # their side (3,464² ≈ 12 MP)
small_batches=${SMALL_BATCHES:-256 1024 4096}
big_batches=${BIG_BATCHES:-16 32 64}
bank=${BANK:-10000000}
queries=${QUERIES:-10000}
[ -x "$bench" ] || { echo "gpu-bench: $bench missing: build it here with the gpu feature (see above) and carry it" >&2; exit 2; }

# libtorch from this machine's PyTorch, and the device it sees.
torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
python3 -c 'import torch
print("torch", torch.__version__, "on", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device")'
nproc

for batch in $small_batches; do
  "$bench" pdq "$device" "$(( images > batch ? images : batch ))" 512 "$batch"
done
for batch in $big_batches; do
  "$bench" pdq "$device" "$(( big > batch ? big : batch ))" "$big_side" "$batch"
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bench" match "$device" "$bank" "$queries" "$out/device"
"$bench" match cpu "$bank" "$queries" "$out/cpu"
if cmp -s <(cut -f2 "$out/device/nearest.tsv") <(cut -f2 "$out/cpu/nearest.tsv"); then
  echo "nearest distances: equal on all $queries queries ($device and cpu)"
else
  echo "gpu-bench: the $device engine's nearest distances differ from the CPU engine's" >&2
  exit 1
fi
