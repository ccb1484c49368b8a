#!/usr/bin/env bash
# The one-minute tour: make an identity, sign a photo with an RFC 3161
# time-stamp (from a local test TSA), verify it, watch a tampered copy get
# caught, and see the signature outlive its certificate.   ./scripts/demo.sh
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
rm -rf "$D/identity" "$D"/*.jpg "$D"/pattern*.mp4

# A time-stamp authority for the demo: OpenSSL's `openssl ts` on 127.0.0.1
# (scripts/test_tsa.py). In real use, a public TSA (sign --tsa URL) and its
# root from the C2PA TSA trust list (hallmark trust add --tsa ROOT.pem).
python3 scripts/test_tsa.py "$D/tsa" > "$D/tsa.log" 2>&1 &
tsa_pid=$!
trap 'kill $tsa_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$D/tsa.log" 2>/dev/null && break; sleep 0.1; done
TSA=$(sed -n 's/^listening on //p' "$D/tsa.log")
[ -n "$TSA" ] || { echo "demo: the test TSA did not start: $(cat "$D/tsa.log")" >&2; exit 1; }

# The demo's passphrase comes from the environment; in real use, type it at the prompt.
export HALLMARK_PASSPHRASE="demo passphrase"
run hallmark keygen --name "Jane Doe" --org "Example News" --out "$D/identity"
run hallmark sign fixtures/images/sample.jpg -o "$D/signed.jpg" --identity "$D/identity" --tsa "$TSA" --tsa-trust "$D/tsa/tsa-root.pem"
run hallmark verify "$D/signed.jpg"
run hallmark verify "$D/signed.jpg" --trust "$D/identity/root.pem" --tsa-trust "$D/tsa/tsa-root.pem"

echo
echo "Video too: the same identity signs an MP4, and a verifier checks it…"
run hallmark sign fixtures/media/clip.mp4 -o "$D/clip.mp4" --identity "$D/identity" --tsa "$TSA" --tsa-trust "$D/tsa/tsa-root.pem"
run hallmark verify "$D/clip.mp4" --trust "$D/identity/root.pem" --tsa-trust "$D/tsa/tsa-root.pem"

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
echo "A forger paints over seconds 4 to 6 of a signed video and keeps its credentials…"
# Ten seconds of FFmpeg's test pattern, signed (its frames hashed once a second).
ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=10 \
  -c:v mpeg4 -q:v 3 -g 25 "$D/pattern.mp4"
run hallmark sign "$D/pattern.mp4" -o "$D/pattern-signed.mp4" --identity "$D/identity"
ffmpeg -hide_banner -loglevel error -nostdin -y -i "$D/pattern-signed.mp4" \
  -vf "drawbox=x=0:y=0:w=iw:h=ih:color=red:t=fill:enable='between(t,4,6.9)'" \
  -c:v mpeg4 -q:v 3 -g 25 "$D/pattern-painted.mp4"
python3 scripts/keep_credentials.py "$D/pattern-signed.mp4" "$D/pattern-painted.mp4" "$D/pattern-forged.mp4"
run_expect 3 hallmark verify "$D/pattern-forged.mp4" --trust "$D/identity/root.pem"

echo
echo "Two years on, the one-year signing certificate has expired; the time-stamp keeps the signature good…"
run faketime -f +730d hallmark verify "$D/signed.jpg" --trust "$D/identity/root.pem" --tsa-trust "$D/tsa/tsa-root.pem"
echo "…and a renewal issues a new key under the same root.pem, which verifiers already trust:"
run hallmark renew --identity "$D/identity"

echo
echo "Done. Files are in $D/; try: $D/bin/hallmark inspect $D/signed.jpg"
echo "(to install hallmark on your PATH: cargo install --path cli)"
