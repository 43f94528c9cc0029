#!/usr/bin/env bash
# Two builds of pseries-sim side by side on perf.sh's work: each row runs the reference
# binary and the candidate interleaved (A B A B ...), after a warm-up of each, and prints
# both medians and the candidate's time as a ratio of the reference's. A host whose speed
# drifts weighs on both alike; the ratio is the figure to read.
# Usage: scripts/perf-compare.sh REFERENCE_BIN CANDIDATE_BIN [RUNS]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 REFERENCE_BIN CANDIDATE_BIN [RUNS]" >&2; exit 2; }
ref=$(realpath "$1")
new=$(realpath "$2")
runs=${3:-5}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

once() {
    local t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || true
    local t1=$EPOCHREALTIME
    echo "$t1 - $t0" | bc -l | xargs printf '%.3f\n'
}
median() { sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { print }'; }
# row NAME ARGS...: the arguments run by both binaries, interleaved
row() {
    local name=$1
    shift
    "$ref" "$@" >/dev/null 2>&1 || true
    "$new" "$@" >/dev/null 2>&1 || true
    : >"$work/a"
    : >"$work/b"
    for _ in $(seq "$runs"); do
        once "$ref" "$@" >>"$work/a"
        once "$new" "$@" >>"$work/b"
    done
    local a b
    a=$(median <"$work/a")
    b=$(median <"$work/b")
    printf '| %s | %s s | %s s | %sx |\n' "$name" "$a" "$b" "$(echo "$b / $a" | bc -l | xargs printf '%.2f')"
}

"$ref" gen --phbs 16 --functions 8192 --msix 16 -o "$work/f131k.dtb"
"$ref" gen --phbs 16 --functions 512 --msix 16 -o "$work/f8k.dtb"
"$ref" gen --phbs 1 --functions 2000 --msix 1 -o "$work/f2000.dtb"
"$ref" gen --phbs 16 --functions 256 --msix 256 -o "$work/v1m.dtb"
"$ref" dt "$work/v1m.dtb" -o "$work/v1m.dts"
sed 's/"IBM,ppc-xicp"/"ibm,power-ivpe"/' "$work/v1m.dts" >"$work/x1m.dts"
"$ref" dt "$work/x1m.dts" -o "$work/x1m.dtb"
mkdir -p "$work/sc"
for i in $(seq -w 0 199); do
    if [ $((10#$i % 2)) -eq 0 ]; then
        sed "s#^machine #machine $PWD/fixtures/linux-guest/#; s#^expect rtas-log #expect rtas-log $PWD/fixtures/linux-guest/#" \
            fixtures/linux-guest/boot.scenario >"$work/sc/s$i.scenario"
    else
        sed "s#^machine #machine $PWD/fixtures/#; s#^save .*#save s$i.state#; s#^restore .*#restore s$i.state#" \
            fixtures/suspend-renumber.scenario >"$work/sc/s$i.scenario"
    fi
done

printf '| work | reference | candidate | candidate / reference |\n| --- | --- | --- | --- |\n'
row '`boot --quiet`, 131 k functions, 2 M vectors' boot "$work/f131k.dtb" --quiet
row '`boot --quiet`, 16 x 512 functions' boot "$work/f8k.dtb" --quiet
row '`check`, 131 k functions' check "$work/f131k.dtb"
row '`boot`, full trace, 2000 functions' boot "$work/f2000.dtb"
row '`boot --quiet`, 1 M vectors' boot "$work/v1m.dtb" --quiet
row 'same under XIVE' boot "$work/x1m.dtb" --quiet
row '`dt` of the 131 k-function blob to DTB' dt "$work/f131k.dtb" --to dtb -o "$work/out.dtb"
(cd "$work/sc" && row '`run` of 200 fixture scenarios, `-j 1`' run ./*.scenario -j 1)
(cd "$work/sc" && row '`run` of 200 fixture scenarios, `-j 2`' run ./*.scenario -j 2)
