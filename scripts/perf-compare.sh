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

. scripts/perf-inputs.sh
make_inputs "$ref" "$work"

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
