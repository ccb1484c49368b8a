#!/usr/bin/env bash
# Build the WASM package and test it: TypeScript declarations type-check, and
# in Node every corpus and fixture file gets the native CLI's report and hashes.
#   wasm/test.sh [--hallmark target/debug/hallmark] [--no-build]
# --no-build tests wasm/pkg as it is (scripts/test.sh builds it in the background).
set -euo pipefail
cd "$(dirname "$0")/.."
hallmark=target/debug/hallmark build=1
while [ $# -gt 0 ]; do
  case $1 in
    --hallmark) hallmark=$2; shift 2 ;;
    --no-build) build=; shift ;;
    *) echo "usage: wasm/test.sh [--hallmark PATH] [--no-build]" >&2; exit 2 ;;
  esac
done
[ -x "$hallmark" ] || { echo "wasm/test.sh: $hallmark missing (cargo build -p hallmark-cli)" >&2; exit 1; }

if [ -n "$build" ]; then
  wasm/build.sh
else
  [ -f wasm/pkg/hallmark_wasm_bg.wasm ] || { echo "wasm/test.sh: wasm/pkg missing (wasm/build.sh)" >&2; exit 1; }
fi
tools=wasm/.tools
if [ ! -x "$tools/node_modules/.bin/tsc" ]; then
  npm install --prefix "$tools" --no-audit --no-fund --silent typescript@5.9.3 @types/node@20
fi
echo "==> tsc --strict on wasm/tests/types-check.ts"
"$tools/node_modules/.bin/tsc" --noEmit --strict --target es2022 --module es2022 --moduleResolution bundler \
  --typeRoots "$tools/node_modules/@types" --types node wasm/tests/types-check.ts
echo "==> node --test wasm/tests/"
HALLMARK_BIN=$hallmark node --test wasm/tests/
