# Timing helpers of scripts/perf.sh and scripts/perf-trees.sh (sourced; they set
# $runs and $work first).

# "wall peak_kib" of one run of "$@", output discarded: wall time from bash's
# microsecond clock (time(1)'s 10 ms steps are a tenth of a small run), peak memory
# from time(1)
once() {
    local t0=$EPOCHREALTIME
    /usr/bin/time -f "%M" -o "$work/t" "$@" >/dev/null 2>&1 || true
    local t1=$EPOCHREALTIME
    echo "$(echo "$t1 - $t0" | bc -l | xargs printf '%.3f') $(cat "$work/t")"
}
# the median line of standard input, by wall time
median() { sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { print }'; }
# median "wall peak_kib" of running "$@" $runs times after a warm-up run (none when
# warm=0)
measure() {
    if [ "${warm:-1}" = 1 ]; then "$@" >/dev/null 2>&1 || true; fi
    for _ in $(seq "$runs"); do once "$@"; done | median
}
# The two sides of a ratio row, their runs interleaved (A B A B ...) after a warm-up of
# each, so that a host whose speed drifts during the script weighs on both alike: sets
# pair_a and pair_b to the medians. Usage: pair "A command" "B command" (words split on
# spaces; no quoting inside).
pair() {
    local a b
    read -r -a a <<<"$1"
    read -r -a b <<<"$2"
    "${a[@]}" >/dev/null 2>&1 || true
    "${b[@]}" >/dev/null 2>&1 || true
    : >"$work/pair_a"
    : >"$work/pair_b"
    for _ in $(seq "$runs"); do
        once "${a[@]}" >>"$work/pair_a"
        once "${b[@]}" >>"$work/pair_b"
    done
    pair_a=$(median <"$work/pair_a")
    pair_b=$(median <"$work/pair_b")
}
secs() { echo "$1" | cut -d' ' -f1; }
mib() { echo "$1" | awk '{ printf "%.0f", $2 / 1024 }'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.1f'; }
# two decimals: a goal of 0.6x must not pass on a rounded 0.64
ratio2() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
