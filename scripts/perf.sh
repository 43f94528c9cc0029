#!/usr/bin/env bash
# The performance table (README, issue "Scale"): each figure the median of RUNS
# whole-process runs (default 5) after one warm-up run that is not counted (as
# hyperfine's --warmup: the first run after a file is written pays for the page cache),
# wall time and peak memory from /usr/bin/time, side by side with cp and dtc. The two
# sides of each ratio (16x the functions; -j 2 against -j 1) run interleaved.
# Usage: scripts/perf.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian's 'time')" >&2; exit 1; }
cargo build --release -q
sim=$PWD/target/release/pseries-sim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. scripts/perf-lib.sh
. scripts/perf-inputs.sh
make_inputs "$sim" "$work"

pair "$sim boot $work/f131k.dtb --quiet" "$sim boot $work/f8k.dtb --quiet"
big=$pair_a
small=$pair_b
chk=$(measure $sim check "$work/f131k.dtb")
full=$(measure $sim boot "$work/f2000.dtb")
v1m=$(measure $sim boot "$work/v1m.dtb" --quiet)
x1m=$(measure $sim boot "$work/x1m.dtb" --quiet)
cp_t=$(measure cp "$work/f131k.dtb" "$work/copy.dtb")
dt_t=$(measure $sim dt "$work/f131k.dtb" --to dtb -o "$work/out.dtb")
blob_mib=$(stat -c %s "$work/f131k.dtb" | awk '{ printf "%.0f", $1 / 1048576 }')

# The trace's costs: a full human trace of 16 x 2048 x 16 (138 M lines; one run, it
# takes a minute) against the same boot --quiet, in peak memory; the quota walk's
# messages filtered out of a 4 x 1024 x 16 boot against --quiet, in time.
traced=$(runs=1 warm=0 measure $sim boot "$work/t32k.dtb")
traced_quiet=$(measure $sim boot "$work/t32k.dtb" --quiet)
pair "$work/filtered $work/t4k.dtb" "$sim boot $work/t4k.dtb --quiet"
filtered=$pair_a
filtered_quiet=$pair_b

scenarios=$(echo "$work"/sc/*.scenario)
pair "$sim run $scenarios -j 1" "$sim run $scenarios -j 2"
j1=$pair_a
j2=$pair_b

printf '| work | figure | goal |\n| --- | --- | --- |\n'
printf '| `boot --quiet`, 16 PHBs x 8192 functions x 16 MSI-X (2 M vectors) | %s s, %s MiB | < 2 s |\n' "$(secs "$big")" "$(mib "$big")"
printf '| same, 16 x 512 functions | %s s (16x the functions: %sx the time) | <= 18x |\n' "$(secs "$small")" "$(ratio "$(secs "$big")" "$(secs "$small")")"
printf '| `check` of the 131 k-function tree | %s s | < 2 s |\n' "$(secs "$chk")"
printf '| `boot` (full human trace to /dev/null), 1 PHB x 2000 functions | %s s, %s MiB | < 2 s, < 64 MiB |\n' "$(secs "$full")" "$(mib "$full")"
printf '| `boot --quiet`, 16 x 256 x 256 (1 M vectors) | %s s, %s B/vector | < 1 s, < 200 B/vector |\n' "$(secs "$v1m")" "$(echo "$v1m" | awk '{ printf "%.0f", $2 * 1024 / 1048576 }')"
printf '| same under XIVE (negotiated at CAS; GET_SOURCE_INFO, ESB loads, SET_SOURCE_CONFIG per vector) | %s s, %s B/vector | < 1 s, < 200 B/vector |\n' "$(secs "$x1m")" "$(echo "$x1m" | awk '{ printf "%.0f", $2 * 1024 / 1048576 }')"
printf '| `dt` of the %s MiB blob `--to dtb` vs `cp` | %s s vs %s s: %sx, %s MiB peak (%sx the blob) | <= 10x, < 2x |\n' \
    "$blob_mib" "$(secs "$dt_t")" "$(secs "$cp_t")" "$(ratio "$(secs "$dt_t")" "$(secs "$cp_t")")" "$(mib "$dt_t")" "$(ratio "$(mib "$dt_t")" "$blob_mib")"
printf '| `boot` (full human trace to /dev/null) vs `boot --quiet`, 16 x 2048 x 16, peak memory | %s MiB vs %s MiB: %sx | <= 1.3x |\n' \
    "$(mib "$traced")" "$(mib "$traced_quiet")" "$(ratio2 "$(echo "$traced" | cut -d' ' -f2)" "$(echo "$traced_quiet" | cut -d' ' -f2)")"
printf '| `boot --trace-filter '"'"'msg:rtas_msi: counting'"'"'` vs `boot --quiet`, 4 x 1024 x 16 | %s s vs %s s: %sx | <= 3x |\n' \
    "$(secs "$filtered")" "$(secs "$filtered_quiet")" "$(ratio2 "$(secs "$filtered")" "$(secs "$filtered_quiet")")"
printf '| `run` of 200 fixture scenarios, `-j 2` vs `-j 1` | %s s vs %s s: %sx | <= 0.6x |\n' "$(secs "$j2")" "$(secs "$j1")" "$(ratio2 "$(secs "$j2")" "$(secs "$j1")")"
if command -v dtc >/dev/null; then
    dtc_t=$(runs=1 warm=0 measure dtc -q -I dtb -O dtb -o "$work/dtc.dtb" "$work/f131k.dtb")
    printf '| `dtc -I dtb -O dtb` of the same blob (one run) | %s s | |\n' "$(secs "$dtc_t")"
fi
# The tree client (--client linux:TREE) rows, when the trees are fetched.
scripts/perf-trees.sh "$runs"
