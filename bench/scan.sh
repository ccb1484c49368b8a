#!/usr/bin/env bash
# Time `hallmark scan` on a generated inbox against a shell loop calling
# `c2patool FILE` once per file, side by side in the same run; then the same
# scan with its cache, empty (cold) and filled (warm); then peak memory of a
# scan of a large inbox. Goals (issue 4): scan cold >= 4x faster than the
# c2patool loop; warm >= 50x faster than cold; peak memory < 500 MB for 10,000
# files.
#
# Usage: bench/scan.sh [--count 500] [--files 10000] [--seed 1] [--keep] [--strict] [--build]
#   --count N   photos in the timed inbox (1 to 12 MP; a third each unsigned, signed, tampered)
#   --files N   small files in the memory inbox (0: skip that part)
#   --keep      keep generated inboxes in bench/.inbox-SEED-COUNT and bench/.inbox-copies-SEED-FILES;
#               an inbox already there is always reused (generating 500 photos takes minutes)
#   --strict    exit 1 when a goal is missed, not only on failures
#   --build     run `cargo build --release -p hallmark-cli` even when the binary exists
# Env: HALLMARK=PATH  the hallmark binary to measure (default target/release/hallmark, which is
#                     built when missing: several minutes on this 2-core machine)
# Needs: python3 with Pillow and numpy (bench/make_inbox.py), c2patool (0.27) on PATH or in
#        ~/.cargo/bin.
# Writes: bench-out/scan.tsv (run, files, seconds, peak_rss_mb, inbox) and bench-out/scan.md (the table).
#
# "Cold" means Hallmark's cache is empty (or off with --no-cache); the files themselves are read
# once before timing, so every run, c2patool's too, reads them from the page cache. No trust list
# is used (HALLMARK_CONFIG_DIR is an empty folder), so signed files are `valid`, not `trusted`.
# Exit status: 0 done, 1 a failure (a wrong verdict, a scan's exit status, a file c2patool was not
# run on, warm and cold reports disagreeing) or, with --strict, a missed goal; 2 usage.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

count=500 files=10000 seed=1 keep=0 strict=0 build=0 warm_runs=3
usage() { sed -n '/^# Usage:/,/^set -e/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
    case $1 in
        --count) count=${2:?}; shift 2 ;;
        --files) files=${2:?}; shift 2 ;;
        --seed) seed=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        --strict) strict=1; shift ;;
        --build) build=1; shift ;;
        -h | --help) usage ;;
        *) printf 'bench: unknown argument %q\n' "$1" >&2; usage ;;
    esac
done
[[ $count =~ ^[0-9]+$ && $count -ge 3 && $files =~ ^[0-9]+$ && $seed =~ ^[0-9]+$ ]] || usage

say() { printf 'bench: %s\n' "$*" >&2; }
failures=0
fail() { say "FAIL: $*"; failures=$((failures + 1)); }

c2patool=$(command -v c2patool || true)
[[ -n $c2patool ]] || c2patool=$HOME/.cargo/bin/c2patool
[[ -x $c2patool ]] || { say "c2patool is not on PATH nor in ~/.cargo/bin (cargo install c2patool)"; exit 1; }

if [[ -n ${HALLMARK:-} ]]; then
    hallmark=$(cd "$(dirname "$HALLMARK")" && pwd)/$(basename "$HALLMARK")
    [[ -x $hallmark ]] || { say "HALLMARK=$HALLMARK is not an executable"; exit 1; }
else
    hallmark=$root/target/release/hallmark
    if ((build)) || [[ ! -x $hallmark ]]; then
        # A release build from scratch takes several minutes on this 2-core machine.
        say "building release: cargo build --release -p hallmark-cli (minutes when not up to date)"
        cargo build --release --quiet -p hallmark-cli
    elif [[ -n $(find core/src cli/src core/Cargo.toml cli/Cargo.toml -newer "$hallmark" -print -quit) ]]; then
        say "warning: $hallmark is older than the sources; rerun with --build to measure them"
    fi
fi
if ! "$hallmark" scan --help | grep -q -- '--no-cache'; then
    say "$hallmark has no \`scan --no-cache\`: build the current tree (--build)"
    exit 1
fi
python3 -c 'import PIL, numpy' 2>/dev/null \
    || { say "python3 needs Pillow and numpy: python3 -m pip install pillow numpy"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hallmark-scan-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# No ambient trust list, cache, passphrase or settings for either tool.
unset HALLMARK_CACHE_DIR HALLMARK_PASSPHRASE C2PATOOL_SETTINGS C2PATOOL_TRUST_ANCHORS \
    C2PATOOL_ALLOWED_LIST C2PATOOL_TRUST_CONFIG
export HALLMARK_CONFIG_DIR=$work/config
mkdir -p "$HALLMARK_CONFIG_DIR"
echo '{}' >"$work/c2patool-defaults.json"

# measure.py OUT CMD...: runs CMD (stdin closed); writes "seconds peak_rss_kb exit_status" to OUT.
# The peak is the largest of CMD and everything it waited for (ru_maxrss of the children).
cat >"$work/measure.py" <<'PY'
import resource, subprocess, sys, time
start = time.perf_counter()
rc = subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL).returncode
secs = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(f"{secs:.3f} {rss} {rc}\n")
PY

# verdicts.py JSONL FILES [SAME_AS_JSONL]: checks every file's verdict against its name
# (NNNN-unsigned, -signed -> valid, -tampered), one report per file; with SAME_AS_JSONL, that
# both reports give every file the same verdict and summary. Prints the counts per verdict.
cat >"$work/verdicts.py" <<'PY'
import collections, json, os, sys
want = {"unsigned": "unsigned", "signed": "valid", "tampered": "tampered"}

def load(path):
    out = {}
    for n, line in enumerate(open(path), 1):
        r = json.loads(line)
        if r["path"] in out:
            sys.exit(f"{path}:{n}: {r['path']} reported twice")
        out[r["path"]] = r
    return out

reports, files = load(sys.argv[1]), int(sys.argv[2])
bad = []
for path, r in sorted(reports.items()):
    kind = os.path.splitext(os.path.basename(path))[0].rsplit("-", 1)[-1]
    if r["verdict"] != want.get(kind):
        bad.append(f"{path}: {r['verdict']} ({r['summary']}), expected {want.get(kind)}")
counts = collections.Counter(r["verdict"] for r in reports.values())
print(", ".join(f"{v} {counts[v]}" for v in sorted(counts)))
if len(reports) != files:
    bad.append(f"{len(reports)} reports for {files} files")
if len(sys.argv) > 3:
    other = load(sys.argv[3])
    for path in sorted(set(reports) | set(other)):
        a, b = reports.get(path, {}), other.get(path, {})
        if (a.get("verdict"), a.get("summary")) != (b.get("verdict"), b.get("summary")):
            bad.append(f"{path}: {a.get('verdict')} ({a.get('summary')}) here, "
                       f"{b.get('verdict')} ({b.get('summary')}) in {sys.argv[3]}")
for line in bad[:10]:
    print("  " + line, file=sys.stderr)
if len(bad) > 10:
    print(f"  ... and {len(bad) - 10} more", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# inbox NAME N MAKE_INBOX_ARGS...: the path of an inbox of N .jpg files, reused from
# bench/.inbox-NAME when there, else generated (into bench/.inbox-NAME with --keep).
inbox() {
    local name=$1 n=$2 dir; shift 2
    if [[ -d $root/bench/.inbox-$name ]]; then
        dir=$root/bench/.inbox-$name
        say "reusing $dir"
    else
        if ((keep)); then dir=$root/bench/.inbox-$name; else dir=$work/inbox-$name; fi
        rm -rf "$dir.partial"
        python3 bench/make_inbox.py "$dir.partial" --seed "$seed" --hallmark "$hallmark" "$@" >&2
        mv "$dir.partial" "$dir"
    fi
    local have
    have=$(find "$dir" -type f -name '*.jpg' | wc -l)
    [[ $have -eq $n ]] || { say "$dir holds $have .jpg files, not $n: delete it"; exit 1; }
    printf '%s\n' "$dir"
}

# expected_rc DIR: the exit status scan must give: 3 with tampered files, else 1 with unsigned, else 0.
expected_rc() {
    if [[ -n $(find "$1" -name '*-tampered.jpg' -print -quit) ]]; then echo 3
    elif [[ -n $(find "$1" -name '*-unsigned.jpg' -print -quit) ]]; then echo 1
    else echo 0; fi
}

# measure CMD...: sets secs, rss_mb and rc.
measure() {
    python3 "$work/measure.py" "$work/measure.out" "$@"
    read -r secs rss_kb rc <"$work/measure.out"
    rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.0f", k / 1024 }')
}

# scan LABEL DIR N OUT CACHE_DIR ARGS...: a timed `hallmark scan DIR --format jsonl -o OUT ARGS`
# with HALLMARK_CACHE_DIR=CACHE_DIR; checks its exit status and verdicts (and with --no-cache,
# that CACHE_DIR stays empty). Its stderr goes to $work/scan.log; only the summary line is shown.
scan() {
    local label=$1 dir=$2 n=$3 out=$4 cache=$5; shift 5
    measure env "HALLMARK_CACHE_DIR=$cache" "$hallmark" scan "$dir" --format jsonl -o "$out" --force "$@" \
        2>"$work/scan.log"
    local want
    want=$(expected_rc "$dir")
    if [[ $rc != "$want" ]]; then
        tail -5 "$work/scan.log" >&2
        fail "$label: scan exited $rc, expected $want"
        # A usage error or a crash: every later figure would be as meaningless.
        if [[ $rc == 2 || $rc -gt 4 ]]; then say "giving up"; exit 1; fi
    fi
    local counts
    if [[ ! -f $out ]]; then
        fail "$label: no report in $out"
    elif counts=$(python3 "$work/verdicts.py" "$out" "$n" ${same_as:+"$same_as"}); then
        say "$label: ${secs} s, ${rss_mb} MB peak; verdicts: $counts"
        say "  hallmark said: $(tail -1 "$work/scan.log")"
    else
        fail "$label: wrong reports (verdicts: $counts)"
    fi
    if [[ " $* " == *" --no-cache "* && -e $cache && -n $(find "$cache" -mindepth 1 -print -quit) ]]; then
        fail "$label: scan --no-cache wrote into HALLMARK_CACHE_DIR ($(find "$cache" -mindepth 1 -print -quit))"
    fi
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

say "$("$hallmark" --version); $("$c2patool" --version); $(nproc) CPUs"
photos=$(inbox "$seed-$count" "$count" --count "$count")
big=
if ((files > 0)); then
    big=$(inbox "copies-$seed-$files" "$files" --copies "$files")
fi
say "reading the inboxes once, so that every run finds them in the page cache"
find "$photos" ${big:+"$big"} -type f -print0 | xargs -0 cat >/dev/null

rows=() # run<TAB>files<TAB>seconds<TAB>peak MB<TAB>inbox (photos or big)
same_as=

# 1. c2patool, one process a file, as a shell loop would run it.
find "$photos" -type f -name '*.jpg' -print0 | sort -z >"$work/list"
cat >"$work/c2patool-loop.sh" <<'SH'
#!/usr/bin/env bash
# c2patool-loop.sh C2PATOOL SETTINGS LIST COUNT_FILE: c2patool FILE on every file in LIST.
n=0
while IFS= read -r -d '' f; do
    "$1" "$f" --settings "$2" >/dev/null 2>&1 || true
    n=$((n + 1))
done <"$3"
echo "$n" >"$4"
SH
say "c2patool loop over $count files"
measure bash "$work/c2patool-loop.sh" "$c2patool" "$work/c2patool-defaults.json" "$work/list" "$work/c2patool.count"
[[ $(cat "$work/c2patool.count") == "$count" ]] \
    || fail "the c2patool loop ran on $(cat "$work/c2patool.count") files, not $count"
c2pa_secs=$secs
rows+=("c2patool loop (\`c2patool FILE\`, one process a file; RSS of the largest)	$count	$secs	$rss_mb	photos")
say "c2patool loop: $secs s, ${rss_mb} MB peak (its largest process)"

# 2. hallmark scan, no cache (the cache dir it is given must stay empty).
scan "scan --no-cache" "$photos" "$count" "$work/nocache.jsonl" "$work/nocache-cache" --no-cache
nocache_secs=$secs
rows+=("\`hallmark scan --no-cache\`	$count	$secs	$rss_mb	photos")

# 3. hallmark scan with its cache: empty, then warm (median of $warm_runs); warm must agree with cold.
rm -rf "$work/cache"
same_as=$work/nocache.jsonl
scan "scan, empty cache" "$photos" "$count" "$work/cold.jsonl" "$work/cache"
cold_secs=$secs
rows+=("\`hallmark scan\`, empty cache (cold)	$count	$secs	$rss_mb	photos")
: >"$work/warm.secs"
warm_rss=0
for ((i = 1; i <= warm_runs; i++)); do
    scan "scan, warm cache ($i/$warm_runs)" "$photos" "$count" "$work/warm.jsonl" "$work/cache"
    echo "$secs" >>"$work/warm.secs"
    if ((rss_mb > warm_rss)); then warm_rss=$rss_mb; fi
done
warm_secs=$(median <"$work/warm.secs")
rows+=("\`hallmark scan\`, warm cache (median of $warm_runs)	$count	$warm_secs	$warm_rss	photos")
same_as=

# 3b. Where the time goes: each kind of file alone, the c2patool loop beside `scan --no-cache`
# (a tampered file costs Hallmark a full decode: it tells changed pixels from a rewritten container).
for kind in unsigned signed tampered; do
    find "$photos" -type f -name "*-$kind.jpg" -print0 | sort -z >"$work/list-$kind"
    n=$(tr -cd '\0' <"$work/list-$kind" | wc -c)
    measure bash "$work/c2patool-loop.sh" "$c2patool" "$work/c2patool-defaults.json" "$work/list-$kind" "$work/c2patool.count"
    kind_c2pa=$secs
    mapfile -d '' kind_files <"$work/list-$kind"
    measure env "HALLMARK_CACHE_DIR=$work/nocache-cache" "$hallmark" scan "${kind_files[@]}" --format jsonl \
        -o "$work/kind.jsonl" --force --no-cache 2>/dev/null
    python3 "$work/verdicts.py" "$work/kind.jsonl" "$n" >/dev/null || fail "$kind files alone: wrong reports"
    rows+=("$kind files only: c2patool loop / \`hallmark scan --no-cache\`	$n	$kind_c2pa / $secs	$rss_mb	kind:$kind_c2pa:$secs")
    say "$kind files alone: c2patool loop $kind_c2pa s, hallmark scan $secs s"
done

# 4. peak memory on the large inbox: no cache, empty cache, warm cache.
big_rss=0
if [[ -n $big ]]; then
    scan "$files files, scan --no-cache" "$big" "$files" "$work/big-nocache.jsonl" "$work/nocache-cache" --no-cache
    rows+=("\`hallmark scan --no-cache\`	$files	$secs	$rss_mb	big")
    big_rss=$rss_mb
    rm -rf "$work/big-cache"
    scan "$files files, scan, empty cache" "$big" "$files" "$work/big-cold.jsonl" "$work/big-cache"
    rows+=("\`hallmark scan\`, empty cache (cold)	$files	$secs	$rss_mb	big")
    big_cold_secs=$secs
    if ((rss_mb > big_rss)); then big_rss=$rss_mb; fi
    same_as=$work/big-cold.jsonl
    scan "$files files, scan, warm cache" "$big" "$files" "$work/big-warm.jsonl" "$work/big-cache"
    same_as=
    rows+=("\`hallmark scan\`, warm cache	$files	$secs	$rss_mb	big")
    if ((rss_mb > big_rss)); then big_rss=$rss_mb; fi
fi

# The table: speed-up over the c2patool loop (same inbox only) and of warm over cold.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "∞" }'; }
mkdir -p bench-out
{
    echo "| run | files | seconds | speed-up vs c2patool loop | warm vs cold | peak RSS MB |"
    echo "|---|---:|---:|---:|---:|---:|"
    for row in "${rows[@]}"; do
        IFS=$'\t' read -r run n s mb set <<<"$row"
        vs_c2pa="" vs_cold=""
        if [[ $set == photos && $run != c2patool* ]]; then vs_c2pa=$(ratio "$c2pa_secs" "$s"); fi
        if [[ $set == kind:* ]]; then
            IFS=: read -r _ kc kh <<<"$set"
            vs_c2pa=$(ratio "$kc" "$kh")
        fi
        if [[ $run == *warm* ]]; then
            if [[ $set == photos ]]; then vs_cold=$(ratio "$cold_secs" "$s"); else vs_cold=$(ratio "$big_cold_secs" "$s"); fi
        fi
        printf '| %s | %s | %s | %s | %s | %s |\n' "$run" "$n" "$s" "$vs_c2pa" "$vs_cold" "$mb"
    done
} | tee bench-out/scan.md
printf '%s\n' "${rows[@]}" | sed 's/`//g' | { printf 'run\tfiles\tseconds\tpeak_rss_mb\tinbox\n'; cat; } >bench-out/scan.tsv

# The goals.
missed=0
goal() { # goal TEXT MET(0|1)
    if (($2)); then printf 'goal met:    %s\n' "$1"; else printf 'goal MISSED: %s\n' "$1"; missed=$((missed + 1)); fi
}
goal "scan --no-cache $(ratio "$c2pa_secs" "$nocache_secs") faster than the c2patool loop (>= 4×)" \
    "$(awk -v a="$c2pa_secs" -v b="$nocache_secs" 'BEGIN { print (a >= 4 * b) }')"
goal "warm cache $(ratio "$cold_secs" "$warm_secs") faster than an empty cache (>= 50×)" \
    "$(awk -v a="$cold_secs" -v b="$warm_secs" 'BEGIN { print (a >= 50 * b) }')"
if [[ -n $big ]]; then
    goal "peak memory for $files files ${big_rss} MB (< 500 MB)" "$((big_rss < 500))"
fi
say "wrote bench-out/scan.md and bench-out/scan.tsv"

if ((failures)); then say "$failures failure(s)"; exit 1; fi
if ((strict && missed)); then say "$missed goal(s) missed (--strict)"; exit 1; fi
