#!/usr/bin/env bash
# Runs the AFL fuzz targets (fuzz/src/bin/*) on stable Rust with cargo-afl.
#   scripts/fuzz.sh smoke [SECONDS]    each target for a short bounded time (CI: 10 s);
#                                      fails when a target crashes
#   scripts/fuzz.sh long SECONDS [EXECS]
#                                      each target until EXECS executions (default 10 M)
#                                      or SECONDS, as many at a time as there are cores,
#                                      then the figures
# A crash found is kept under fuzz/out/TARGET/default/crashes: copy it to
# fuzz/regressions/KIND/ so that tests/fuzz_regressions.rs replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-smoke}
secs=${2:-10}
command -v cargo-afl >/dev/null 2>&1 || cargo install cargo-afl --locked --quiet
(cd fuzz && cargo afl build --release --quiet)
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
out=fuzz/out
mkdir -p "$out"
seed_dir() {
    case $1 in
        rtas_buffer) echo rtas ;; replay_log) echo replay ;; state_blob) echo state ;;
        import_log) echo import ;; *) echo "$1" ;;
    esac
}
targets=(dtb dts rtas_buffer replay_log scenario state_blob import_log)
run() {
    local t=$1
    shift
    rm -rf "$out/$t"
    cargo afl fuzz -i "fuzz/seeds/$(seed_dir "$t")" -o "$out/$t" -V "$secs" "$@" "fuzz/target/release/$t" >"$out/$t.log" 2>&1
}
if [ "$mode" = long ]; then
    execs=${3:-10000000}
    jobs=$(nproc)
    for t in "${targets[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
        run "$t" -E "$execs" &
    done
    wait
else
    for t in "${targets[@]}"; do run "$t"; done
fi
crashed=0
for t in "${targets[@]}"; do
    stats="$out/$t/default/fuzzer_stats"
    execs=$(awk -F: '/^execs_done/ {gsub(/ /,"",$2); print $2}' "$stats")
    crashes=$(awk -F: '/^saved_crashes/ {gsub(/ /,"",$2); print $2}' "$stats")
    took=$(awk -F: '/^run_time/ {gsub(/ /,"",$2); print $2}' "$stats")
    echo "fuzz $t: $execs executions, $crashes crashes ($took s)"
    if [ "$crashes" != 0 ]; then crashed=1; ls "$out/$t/default/crashes"; fi
done
exit $crashed
