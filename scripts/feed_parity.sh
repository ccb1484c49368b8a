#!/usr/bin/env bash
# `hallmark feed classify --device cpu` must answer byte for byte the same
# whether hallmark was built with the gpu feature or not, and the tensor
# engine on the CPU (--device torch-cpu) the same as the CPU engine.
#   scripts/feed_parity.sh PLAIN_HALLMARK GPU_HALLMARK
set -euo pipefail
cd "$(dirname "$0")/.."
plain=$1 gpu=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
corpus=../shared/corpus/pdq
# A bank of every corpus image but two (those two must come out unknown),
# plus every fixture image and the corpus JPEGs as inputs.
ls "$corpus"/*.jpg "$corpus"/*.png "$corpus"/bridge-mods/*.jpg > "$tmp/all"
grep -v -e 'c.png' -e 'pen-and-coaster' "$tmp/all" | "$plain" hash --json $(cat) 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    r=json.loads(l); print(r["pdq"], "known-fake", r["path"], sep="\t")' > "$tmp/bank.tsv"
find fixtures/images fixtures/signed "$corpus" -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.webp' \) | sort > "$tmp/inputs"
n=$(wc -l < "$tmp/inputs")
run() { "$1" feed classify - --bank "$tmp/bank.tsv" --device "$2" --batch 7 < "$tmp/inputs" > "$3" 2>/dev/null || [ $? -eq 4 ]; }
run "$plain" cpu "$tmp/plain-cpu"
run "$gpu" cpu "$tmp/gpu-cpu"
run "$gpu" torch-cpu "$tmp/gpu-torch"
[ "$(wc -l < "$tmp/plain-cpu")" -eq "$n" ] || { echo "expected $n records, got $(wc -l < "$tmp/plain-cpu")"; exit 1; }
cmp "$tmp/plain-cpu" "$tmp/gpu-cpu" || { echo "--device cpu differs between the plain and the gpu build"; diff "$tmp/plain-cpu" "$tmp/gpu-cpu" | head; exit 1; }
if ! cmp -s "$tmp/plain-cpu" "$tmp/gpu-torch"; then
  echo "--device torch-cpu differs from --device cpu:"; diff "$tmp/plain-cpu" "$tmp/gpu-torch" | head -20; exit 1
fi
labels=$(python3 -c 'import json,sys,collections
c=collections.Counter(json.loads(l).get("label") for l in open(sys.argv[1])); print(dict(sorted((str(k),v) for k,v in c.items())))' "$tmp/plain-cpu")
echo "feed parity: $n inputs, identical output from the plain build (cpu), the gpu build (cpu) and the gpu build (torch-cpu); labels $labels"
