#!/usr/bin/env bash
# Reproduces the README's performance figures in one run: DTB read+write against a
# plain copy (and dtc when installed), and boots of 65 536 and 1 048 576 vectors.
# Usage: scripts/perf.sh [RUNS]   (default 5 runs each; the best run is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release -q
sim=target/release/pseries-sim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

best() { # best wall time in seconds of running "$@" $runs times
    local b=""
    for _ in $(seq "$runs"); do
        local s e t
        s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc -l)
        if [ -z "$b" ] || (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
    done
    printf '%.3f' "$b"
}

$sim gen --phbs 16 --functions 8192 --msix 16 -o "$work/big.dtb"
echo "big.dtb: $(stat -c %s "$work/big.dtb") bytes"
cp_t=$(best cp "$work/big.dtb" "$work/copy.dtb")
dt_t=$(best $sim dt "$work/big.dtb" --to dtb -o "$work/out.dtb")
echo "cp:                          ${cp_t} s"
echo "pseries-sim dt --to dtb:     ${dt_t} s  ($(echo "$dt_t / $cp_t" | bc -l | xargs printf '%.1f')x cp)"
if command -v dtc >/dev/null; then
    dtc_s=$(date +%s.%N); dtc -q -I dtb -O dtb -o "$work/dtc.dtb" "$work/big.dtb"; dtc_e=$(date +%s.%N)
    dtc_t=$(echo "$dtc_e - $dtc_s" | bc -l | xargs printf '%.3f')
    echo "dtc -I dtb -O dtb (one run): ${dtc_t} s  ($(echo "$dtc_t / $cp_t" | bc -l | xargs printf '%.0f')x cp)"
fi
for phbs in 1 16; do
    $sim gen --phbs $phbs --functions 256 --msix 256 -o "$work/m$phbs.dtb"
    echo "boot $phbs x 256 functions x 256 MSI-X:"
    for _ in $(seq "$runs"); do $sim boot "$work/m$phbs.dtb" --quiet; done | sort -t';' -k2 | head -1
done
