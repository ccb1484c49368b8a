#!/usr/bin/env bash
# The one-minute tour: make an identity, sign a photo, verify it, and watch a
# tampered copy get caught.   ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
# Show a command whose non-zero exit status is the point.
run_expect() {
  local want=$1; shift
  say "$*"
  local got=0; "$@" || got=$?
  echo "(exit status $got)"
  [ "$got" -eq "$want" ] || { echo "demo: expected exit status $want, got $got" >&2; exit 1; }
}

echo "Building hallmark (release)…"
cargo build --release --quiet -p hallmark-cli
mkdir -p demo-out/bin && cp target/release/hallmark demo-out/bin/hallmark
export PATH="$PWD/demo-out/bin:$PATH"
D=demo-out
rm -rf "$D/identity" "$D"/*.jpg

# The demo's passphrase comes from the environment; in real use, type it at the prompt.
export HALLMARK_PASSPHRASE="demo passphrase"
run hallmark keygen --name "Jane Doe" --org "Example News" --out "$D/identity"
run hallmark sign fixtures/images/sample.jpg -o "$D/signed.jpg" --identity "$D/identity"
run hallmark verify "$D/signed.jpg"
run hallmark verify "$D/signed.jpg" --trust "$D/identity/root.pem"

echo
echo "Now someone changes one byte of the picture…"
cp "$D/signed.jpg" "$D/tampered.jpg"
size=$(stat -c %s "$D/tampered.jpg")
offset=$((size - 200))
byte=$(od -An -tu1 -j "$offset" -N1 "$D/tampered.jpg" | tr -d ' ')
printf "$(printf '\\%03o' $(( byte ^ 0x20 )))" | dd of="$D/tampered.jpg" bs=1 seek="$offset" conv=notrunc status=none
run_expect 3 hallmark verify "$D/tampered.jpg" --trust "$D/identity/root.pem"
run_expect 1 hallmark verify fixtures/images/sample.jpg

echo
echo "Done. Files are in $D/; try: $D/bin/hallmark inspect $D/signed.jpg"
echo "(to install hallmark on your PATH: cargo install --path cli)"
