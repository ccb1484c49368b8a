#!/usr/bin/env bash
# The WASM package side by side with the native CLI and @contentauth/c2pa-wasm
# 0.13.3: .wasm size (raw and gzip -9), and verify of a signed 12 MP JPEG in
# Node vs native `hallmark verify` (process per run) and vs c2pa-wasm's
# WasmReader.fromBytes on the same file.
#   bench/wasm.sh            (builds wasm/pkg and target/release/hallmark when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f wasm/pkg/hallmark_wasm_bg.wasm ] || wasm/build.sh
[ -x target/release/hallmark ] || cargo build --release -q -p hallmark-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @contentauth/c2pa-wasm@0.13.3 >/dev/null && tar xzf contentauth-c2pa-wasm-0.13.3.tgz)

# A signed 12 MP photo-like JPEG (4000 × 3000).
python3 bench/make_inbox.py "$work/inbox" --count 3 --min-mp 12 --max-mp 12 --seed 7 \
  --hallmark target/release/hallmark >/dev/null 2>&1
photo=$(find "$work/inbox" -name '*-signed.jpg' | head -1)
[ -n "$photo" ] || { echo "no signed photo was made" >&2; exit 1; }
node bench/wasm.mjs "$photo" --native target/release/hallmark --c2pa-wasm "$work/package"
