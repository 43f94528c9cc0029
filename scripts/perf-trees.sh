#!/usr/bin/env bash
# The tree client's performance rows: the first build of each Debian tree (an empty
# cache, one run) and a cached run of the fixture guest's boot against the model's run
# of the same scenario, interleaved (scripts/perf-lib.sh's pair). Trees from
# scripts/fetch-kernels.sh ($PSERIES_SIM_KERNELS, else ~/.cache/pseries-sim/kernels).
# Usage: scripts/perf-trees.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
kernels=${PSERIES_SIM_KERNELS:-$HOME/.cache/pseries-sim/kernels}
cargo build --release -q
sim=$PWD/target/release/pseries-sim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. scripts/perf-lib.sh

# The fixture boot without its expect rtas-log (6.1's calls; 7.x make others by design).
scenario=$work/boot.scenario
sed -e '/^expect rtas-log/d' -e "s|^machine .*|machine $PWD/fixtures/linux-guest/qemu-initial.dtb|" \
    fixtures/linux-guest/boot.scenario >"$scenario"

# The same boot under XIVE (the machine offers it, Linux asks for it at CAS) with every
# vector its drivers still hold fired: the tree's own XIVE driver configures each source,
# takes each interrupt from its queue and EOIs it.
fired=$work/boot-fire.scenario
cp "$scenario" "$fired"
for held in 0000:00:01.0/3 0001:00:01.0/3 0000:00:04.0/4 0000:00:05.0/1 0001:00:03.0/1 0000:00:06.0/1; do
    for v in $(seq 0 $((${held#*/} - 1))); do echo "fire ${held%/*} $v" >>"$fired"; done
done

printf '| work | figure | goal |\n| --- | --- | --- |\n'
# The file client: 6.1's msi.c on the stand-in core, in its own process like a tree's.
msi=$kernels/linux-source-6.1/arch/powerpc/platforms/pseries/msi.c
if [ -f "$msi" ]; then
    export PSERIES_SIM_CACHE=$work/cache-file
    "$sim" run "$scenario" --client "linux:$msi" >/dev/null 2>&1 || true
    pair "$sim run $scenario --client linux:$msi" "$sim run $scenario"
    printf '| 6.1 msi.c (file client): cached run vs the model on the same scenario | %s s vs %s s: %sx | <= 2x |\n' \
        "$(secs "$pair_a")" "$(secs "$pair_b")" "$(ratio "$(secs "$pair_a")" "$(secs "$pair_b")")"
    # explore: the file against itself (no difference), 2000 scenarios on two cores; the
    # rate is explore's own figure.
    rate=$("$sim" explore --client "linux:$msi" --client "linux:$msi" -n 2000 -j 2 | sed -n 's/.* \([0-9]*\) scenarios\/s$/\1/p')
    printf '| `explore` of 6.1 msi.c against itself, 2000 scenarios, `-j 2` | %s scenarios/s | >= 50 |\n' "$rate"
fi
for v in 6.1 6.12 7.2 7.3; do
    tree=$kernels/linux-source-$v
    [ -f "$tree/Makefile" ] || { echo "| Linux $v | not fetched (scripts/fetch-kernels.sh) | |"; continue; }
    export PSERIES_SIM_CACHE=$work/cache-$v
    first=$(runs=1 warm=0 measure "$sim" run "$scenario" --client "linux:$tree")
    pair "$sim run $scenario --client linux:$tree" "$sim run $scenario"
    printf '| Linux %s: first build and run of the fixture boot (empty cache) | %s s | < 60 s |\n' "$v" "$(secs "$first")"
    printf '| Linux %s: cached run vs the model on the same scenario | %s s vs %s s: %sx, %s MiB | <= 2x |\n' \
        "$v" "$(secs "$pair_a")" "$(secs "$pair_b")" "$(ratio "$(secs "$pair_a")" "$(secs "$pair_b")")" "$(mib "$pair_a")"
    pair "$sim run $fired --client linux:$tree" "$sim run $fired"
    printf '| Linux %s: its XIVE driver, the boot and 13 vectors fired, cached, vs the model | %s s vs %s s: %sx | <= 3x |\n' \
        "$v" "$(secs "$pair_a")" "$(secs "$pair_b")" "$(ratio "$(secs "$pair_a")" "$(secs "$pair_b")")"
done
