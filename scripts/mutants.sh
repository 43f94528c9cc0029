#!/usr/bin/env bash
# Mutation testing of the firmware's services and allocators (issue "Hotplug and error
# recovery"): cargo-mutants changes one thing at a time in rtas/src/services/ and
# rtas/src/alloc/ and runs the tests that speak for them: every crate's unit tests and
# the integration tests of the firmware (LoPAPR's requirements, the services, EEH, DR,
# hotplug, the port, delivery). Not in CI: the whole set takes about 80 minutes on two
# cores.
#   scripts/mutants.sh [SHARD]     SHARD k/n runs every n-th mutant from the k-th
#                                  (round robin over the files), default 0/1: all
# The mutants are made in a scratch clone of HEAD (target/mutants-src), never in this
# tree. Results in mutants.out/ (caught.txt, missed.txt, unviable.txt, timeout.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
shard=${1:-0/1}
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked --quiet
src=$repo/target/mutants-src
rm -rf "$src"
git clone -q --no-hardlinks "$repo" "$src"
git -C "$src" checkout -q "$(git rev-parse HEAD)"
# Only the firmware's tests are built and run for each mutant: passed to every cargo
# call, so the build does not link the other integration tests.
args=(--cargo-arg=--lib)
for t in lopapr rtas_services rtas_services_misc change_msi_edges rtas_malformed eeh eeh_recovery dr rtas_hardware hotplug \
    port xive_delivery ims msi_devices; do
    [ -f "tests/$t.rs" ] && args+=("--cargo-arg=--test=$t")
done
(
    cd "$src"
    CARGO_TARGET_DIR=$repo/target cargo mutants --workspace \
        -f 'rtas/src/services/*.rs' -f 'rtas/src/alloc/*.rs' \
        --in-place --profile mutants --test-workspace true --baseline skip \
        --timeout 60 --build-timeout 300 --shard "$shard" --sharding round-robin \
        --output "$repo" "${args[@]}" || true
)
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
