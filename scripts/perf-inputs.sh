# The inputs of the performance scripts, sourced by perf.sh and perf-compare.sh:
# make_inputs SIM WORK writes into WORK the generated trees (f131k, f8k, f2000, v1m and
# its XIVE twin x1m, t32k and t4k for the traced boots, as .dtb), a command that boots a
# tree with the quota walk's messages filtered out (WORK/filtered, the filter holding a
# space that perf-lib's pair cannot pass), and 200 copies of the fixture scenarios in
# WORK/sc, each with its own state file.
make_inputs() {
    local sim=$1 work=$2 i
    "$sim" gen --phbs 16 --functions 8192 --msix 16 -o "$work/f131k.dtb"
    "$sim" gen --phbs 16 --functions 512 --msix 16 -o "$work/f8k.dtb"
    "$sim" gen --phbs 1 --functions 2000 --msix 1 -o "$work/f2000.dtb"
    "$sim" gen --phbs 16 --functions 256 --msix 256 -o "$work/v1m.dtb"
    "$sim" gen --phbs 16 --functions 2048 --msix 16 -o "$work/t32k.dtb"
    "$sim" gen --phbs 4 --functions 1024 --msix 16 -o "$work/t4k.dtb"
    printf '#!/bin/sh\nexec %q boot "$1" --trace-filter "msg:rtas_msi: counting"\n' "$sim" >"$work/filtered"
    chmod +x "$work/filtered"
    # The same machine with a XIVE controller in place of XICS's.
    "$sim" dt "$work/v1m.dtb" -o "$work/v1m.dts"
    sed 's/"IBM,ppc-xicp"/"ibm,power-ivpe"/' "$work/v1m.dts" >"$work/x1m.dts"
    "$sim" dt "$work/x1m.dts" -o "$work/x1m.dtb"
    mkdir -p "$work/sc"
    for i in $(seq -w 0 199); do
        if [ $((10#$i % 2)) -eq 0 ]; then
            sed "s#^machine #machine $PWD/fixtures/linux-guest/#; s#^expect rtas-log #expect rtas-log $PWD/fixtures/linux-guest/#" \
                fixtures/linux-guest/boot.scenario >"$work/sc/s$i.scenario"
        else
            sed "s#^machine #machine $PWD/fixtures/#; s#^save .*#save s$i.state#; s#^restore .*#restore s$i.state#" \
                fixtures/suspend-renumber.scenario >"$work/sc/s$i.scenario"
        fi
    done
}
