#!/usr/bin/env bash
# Run every fuzz target for a while with cargo-fuzz (nightly, AddressSanitizer).
#   fuzz/run.sh [SECONDS_PER_TARGET]     (default 60; CI runs a short smoke)
#   fuzz/run.sh --build-only             (scripts/test.sh builds in the background)
# Seeds: the project's fixtures and ../shared/corpus. A crash stops the run
# with its input saved under fuzz/artifacts/TARGET/; add it as a regression test.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
. ../scripts/env.sh
../scripts/setup.sh --part tools   # nightly, and cargo-fuzz (the binary PyPI ships)

if [ "$seconds" = --build-only ]; then
  exec cargo +nightly fuzz build -O
fi

seed() { # seed TARGET FILES...
  local dir=corpus/$1; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$dir/" 2>/dev/null || true; done
}
images=(../fixtures/images/* ../fixtures/signed/* ../fixtures/attacks/* ../../shared/corpus/c2pa-rs/*.jpg ../../shared/corpus/pdq/*.jpg)
# The small files of the media corpus (video, audio, TIFF, SVG, AVIF and the hostile ones).
media=(../../shared/corpus/c2pa-rs/media/{dashinit.mp4,nested_moov_1000.mp4,riff_bomb_1000.wav,tiff_poc.tiff,sample1.svg,sample1.avif})
seed verify "${images[@]}" "${media[@]}"
seed hash "${images[@]}"
seed bank ../../shared/corpus/pdq/expected.tsv
seed registry
seed keyfile ../fixtures/keys/*/signing.key
seed policy ../docs/policy.example.toml
seed feed ../../shared/corpus/pdq/expected.tsv
seed chain
seed vpdq ../../shared/corpus/vpdq/*.vpdq.txt
printf '%s' '{"alg": "org.hallmark.pdq", "blocks": [{"scope": {"timespan": {"start": 0, "end": 1000}}, "value": "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c"}]}' > corpus/vpdq/binding.json
seed video ../fixtures/media/clip.mp4 ../../shared/corpus/c2pa-rs/media/{dashinit.mp4,nested_moov_1000.mp4}
# A real chain as the seed: signing certificate, separator, CA (DER).
for id in ../fixtures/keys/*/; do
  [ -f "$id/chain.pem" ] || continue
  python3 - "$id/chain.pem" "corpus/chain/$(basename "$id").der" <<'PY'
import base64, re, sys
pems = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", open(sys.argv[1]).read(), re.S)
open(sys.argv[2], "wb").write(b"\xff\xfe\xfd".join(base64.b64decode("".join(p.split())) for p in pems))
PY
done
printf '%s\n' '{"path": "a.jpg", "id": 7}' '{"pdq": "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", "quality": 60}' '"b c.png"' > corpus/feed/lines.txt

cargo +nightly fuzz build -O
for target in verify hash bank registry keyfile policy feed chain vpdq video; do
  echo "==> fuzz $target for ${seconds}s"
  cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 \
    | grep -E '^(#[0-9]+\s+DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|.*panicked)' || true
  [ -z "$(ls -A "artifacts/$target" 2>/dev/null)" ] || { echo "fuzz $target: crash saved in fuzz/artifacts/$target" >&2; exit 1; }
done
echo "all fuzz targets ran ${seconds}s each without a crash"
