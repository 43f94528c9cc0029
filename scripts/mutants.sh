#!/usr/bin/env bash
# Mutation testing of the firmware's services and allocators (issue "Hotplug and error
# recovery"): cargo-mutants changes one thing at a time in rtas/src/services/ and
# rtas/src/alloc/ and runs the rtas crate's whole suite against each mutant: its unit
# tests and every integration test in rtas/tests/ (LoPAPR's requirements, the services,
# EEH, DR, hotplug, partitions, the call interface, suspend and saved state), that is
# what `cargo test -p rtas` runs. No list of tests is kept here: a test added to
# rtas/tests/ is in the next run. The tests that boot an OS (the root package's tests/:
# eeh_recovery, the OS side of hotplug, port, xive_delivery, ims, msi_devices, LoPAPR's
# change-msi sequences) are not run for mutants: they build the whole simulator and
# speak for the firmware only through an OS. Not in CI: the whole set took about 80
# minutes on two cores (its last run, with the OS tests in).
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
# Mutants only in rtas (--package), tested by the package that holds them
# (--test-workspace=false): each mutant's build and test is
# `cargo test --package rtas --profile mutants`, the lib and every rtas/tests/ binary.
(
    cd "$src"
    CARGO_TARGET_DIR=$repo/target cargo mutants --package rtas \
        -f 'rtas/src/services/*.rs' -f 'rtas/src/alloc/*.rs' \
        --in-place --profile mutants --test-workspace=false --baseline skip \
        --timeout 60 --build-timeout 300 --shard "$shard" --sharding round-robin \
        --output "$repo" || true
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
