#!/usr/bin/env bash
# Build the WASM package and test it: TypeScript declarations type-check, and
# in Node every corpus and fixture file gets the native CLI's report and hashes.
#   wasm/test.sh [--hallmark target/debug/hallmark]
set -euo pipefail
cd "$(dirname "$0")/.."
hallmark=target/debug/hallmark
[ "${1:-}" = "--hallmark" ] && hallmark=$2
[ -x "$hallmark" ] || { echo "wasm/test.sh: $hallmark missing (cargo build -p hallmark-cli)" >&2; exit 1; }

wasm/build.sh
tools=wasm/.tools
if [ ! -x "$tools/node_modules/.bin/tsc" ]; then
  npm install --prefix "$tools" --no-audit --no-fund --silent typescript@5.9.3 @types/node@20
fi
echo "==> tsc --strict on wasm/tests/types-check.ts"
"$tools/node_modules/.bin/tsc" --noEmit --strict --target es2022 --module es2022 --moduleResolution bundler \
  --typeRoots "$tools/node_modules/@types" --types node wasm/tests/types-check.ts
echo "==> node --test wasm/tests/"
HALLMARK_BIN=$hallmark node --test wasm/tests/
