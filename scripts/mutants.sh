#!/usr/bin/env bash
# Mutation testing of the firmware's services and allocators (issue "Hotplug and error
# recovery"): cargo-mutants changes one thing at a time in rtas/src/services/ and
# rtas/src/alloc/ and runs the tests that speak for them: rtas's own unit tests and the
# integration tests of the services (LoPAPR's requirements, EEH, DR, the service tests).
# Not in CI: the whole set takes hours on two cores.
#   scripts/mutants.sh [SHARD]     SHARD k/n runs every n-th mutant from the k-th
#                                  (round robin over the files), default 0/1: all
# Results in mutants.out/ (caught.txt, missed.txt, unviable.txt, timeout.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
shard=${1:-0/1}
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked --quiet
tests=()
for t in lopapr rtas_services rtas_malformed eeh eeh_recovery dr; do
    [ -f "tests/$t.rs" ] && tests+=(--test "$t")
done
cargo mutants --workspace -f 'rtas/src/services/*.rs' -f 'rtas/src/alloc/*.rs' \
    --test-workspace true --baseline skip \
    --shard "$shard" --sharding round-robin -j 1 --minimum-test-timeout 60 \
    -- --lib "${tests[@]}" || true
out=mutants.out
count() { [ -f "$out/$1.txt" ] && wc -l <"$out/$1.txt" || echo 0; }
caught=$(count caught)
missed=$(count missed)
timeout=$(count timeout)
unviable=$(count unviable)
viable=$((caught + missed + timeout))
echo "mutants: $viable viable ($unviable unviable): $caught caught, $timeout timed out, $missed missed"
if [ "$viable" -gt 0 ]; then
    echo "caught (timeouts counted as caught): $(((caught + timeout) * 100 / viable)) %"
fi
[ "$missed" = 0 ] || sed 's/^/missed: /' "$out/missed.txt"
