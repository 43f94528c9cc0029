#!/usr/bin/env bash
# Mutation testing of the firmware's services and allocators with cargo-mutants (not in
# CI: it builds and tests every mutant, hours on two cores).
#   scripts/mutants.sh [-j N] [EXTRA cargo-mutants ARGS...]
# Installs cargo-mutants from crates.io when missing, mutates rtas/src/services/ and
# rtas/src/alloc/, runs the whole workspace's tests (ci profile) on each mutant, and
# prints the share of viable mutants caught: caught / (caught + missed + timeout).
# The outcomes stay in mutants.out/ (missed.txt lists the survivors to judge).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked --quiet
jobs=1
if [ "${1:-}" = "-j" ]; then
    jobs=$2
    shift 2
fi
status=0
cargo mutants --no-shuffle -j "$jobs" --test-workspace=true --profile ci \
    --file 'rtas/src/services/**/*.rs' --file 'rtas/src/alloc/**/*.rs' "$@" || status=$?
# cargo-mutants exits 2 when some mutants were missed, 3 on timeouts: still report.
count() { [ -f "mutants.out/$1.txt" ] && grep -c . "mutants.out/$1.txt" || echo 0; }
caught=$(count caught)
missed=$(count missed)
timeout=$(count timeout)
unviable=$(count unviable)
viable=$((caught + missed + timeout))
if [ "$viable" -gt 0 ]; then
    echo "mutants: $caught of $viable viable caught ($((100 * caught / viable)) %), $missed missed, $timeout timed out, $unviable unviable"
fi
case $status in 0 | 2 | 3) exit 0 ;; *) exit "$status" ;; esac
