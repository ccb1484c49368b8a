#!/usr/bin/env bash
# Set up and run every Hallmark test. Exits non-zero on any failure.
#   ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh --tests
export PATH="$HOME/.cargo/bin:$PATH"

failed=()
step() {
  local name=$1; shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  if "$@"; then echo "ok: $name"; else echo "FAILED: $name"; failed+=("$name"); fi
}

step "format (cargo fmt --check)" cargo fmt --all -- --check
step "lints (cargo clippy -D warnings)" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "dependencies: licences, banned crates and sources (cargo deny; advisories need GitHub, unreachable here)" \
  cargo deny --log-level error check licenses bans sources
step "unit, integration and CLI tests (cargo test)" cargo test --workspace
step "the gpu feature on the CPU: libtorch PDQ and matching vs the CPU engine (tests with --features gpu)" \
  bash -c '. scripts/gpu-env.sh && cargo clippy -p hallmark-core -p hallmark-cli --features hallmark-cli/gpu --all-targets --target-dir target/gpu --quiet -- -D warnings && cargo test -p hallmark-core -p hallmark-cli --features hallmark-cli/gpu --target-dir target/gpu --lib --test feed_tensor --test feed'
step "feed classify answers identically with and without the gpu feature (scripts/feed_parity.sh)" \
  scripts/feed_parity.sh target/debug/hallmark target/gpu/debug/hallmark
step "fuzz smoke: every cargo-fuzz target (nightly, AddressSanitizer) for 15 s from the fixtures and corpus (fuzz/run.sh 15)" \
  fuzz/run.sh 15
step "interoperability with c2patool and c2pa-python" \
  python3 tests/interop/test_interop.py --hallmark target/debug/hallmark
step "crash safety: sign --in-place killed at 100 random moments never damages the file" \
  python3 scripts/crash_safety.py --hallmark target/debug/hallmark --runs 100
step "limits: the worst inputs under 50 MB never crash; verify stays under 256 MB (and 5 s in this debug build; release figures in the README) (scripts/limits.py)" \
  python3 scripts/limits.py --hallmark target/debug/hallmark --max-rss-mb 256 --max-seconds 5 --capped verify
step "WASM build and tests: types, and every corpus file against the native CLI (wasm/test.sh)" \
  wasm/test.sh --hallmark target/debug/hallmark
step "browser extension in Chromium (npm test in browser-extension/; screenshots in browser-extension/test-artifacts)" \
  bash -c 'cd browser-extension && npm install --no-audit --no-fund --silent && HALLMARK_BIN=../target/debug/hallmark npm test'
step "the HTML scan report in Chromium (screenshot in target/test-artifacts)" \
  python3 tests/browser/scan_report.py --hallmark target/debug/hallmark

echo
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED steps: %s\n' "${failed[*]}"
  exit 1
fi
echo "All test steps passed."
