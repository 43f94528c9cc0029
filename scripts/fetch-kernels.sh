#!/usr/bin/env bash
# Fetches Debian's kernel source packages and extracts the part of each tree the
# tree-mode Linux client compiles or includes, without touching the machine's apt setup
# (a sources list, package lists and caches of its own; the system's Debian keyring).
#
#   scripts/fetch-kernels.sh [DEST] [VERSION...]
#
# DEST defaults to $PSERIES_SIM_KERNELS, else ~/.cache/pseries-sim/kernels; the versions
# to 6.1 6.12 7.2 7.3. Each tree lands in DEST/linux-source-VERSION with a file
# DEST/linux-source-VERSION.debian naming the package version it came from; a tree
# already there is kept. 6.1 comes from /usr/src/linux-source-6.1.tar.xz (package
# linux-source-6.1 of bookworm, installed by apt-get as usual); the others from trixie
# (6.12), sid (7.2) and experimental (7.3) of the mirror the machine's apt sources name.
set -euo pipefail
set -f # the subset's patterns are tar's, not the shell's
DEST=${1:-${PSERIES_SIM_KERNELS:-$HOME/.cache/pseries-sim/kernels}}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 6.1 6.12 7.2 7.3
mkdir -p "$DEST"

# What the client reads from a tree.
full_subset() {
    local t=linux-source-$1
    echo "$t/Makefile $t/include $t/arch/powerpc/include $t/arch/powerpc/platforms/pseries"
    echo "$t/kernel/irq $t/drivers/pci/msi $t/drivers/pci/pci.h $t/lib/xarray.c"
    echo "$t/$XIVE"
    echo "$t/lib/radix-tree.*"
    case $1 in 6.1) ;; *) echo "$t/drivers/irqchip/irq-msi-lib.*";; esac
}

# The mirror the machine's apt sources name (deb822 or one-line), else Debian's.
mirror() {
    local m
    m=$(grep -hsoE 'https?://[^ ]+/debian/?' /etc/apt/sources.list.d/*.sources \
        /etc/apt/sources.list.d/*.list /etc/apt/sources.list | head -n1 || true)
    echo "${m:-http://deb.debian.org/debian}"
}

# The XIVE driver, added to the subset later: a tree without it gets it alone.
XIVE=arch/powerpc/sysdev/xive

A=$DEST/apt
APT=(-o "Dir::Etc::SourceList=$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$A/lists" -o "Dir::Cache::Archives=$A/archives"
     -o "Dir::Cache::pkgcache=$A/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$A/srcpkgcache.bin"
     -o APT::Architecture=amd64 -o Acquire::Languages=none
     -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
     -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
     -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
     -o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false)
updated=""
apt_ready() {
    [ -n "$updated" ] && return
    mkdir -p "$A/lists/partial" "$A/archives/partial"
    local m key=/usr/share/keyrings/debian-archive-keyring.gpg
    m=$(mirror)
    : > "$A/sources.list"
    for suite in trixie bookworm-backports sid experimental; do
        echo "deb [signed-by=$key] $m $suite main" >> "$A/sources.list"
    done
    apt-get "${APT[@]}" -qq update
    updated=1
}

for v in "$@"; do
    tree=$DEST/linux-source-$v
    if [ -f "$tree/Makefile" ] && [ -d "$tree/$XIVE" ]; then
        echo "linux-source-$v: $(cat "$tree.debian" 2>/dev/null || echo kept) in $tree"
        continue
    fi
    # A tree kept from before gets the missing part only (in place: files are added).
    topup=""
    [ -f "$tree/Makefile" ] && topup=1
    subset() { if [ -n "$topup" ]; then echo "linux-source-$1/$XIVE"; else full_subset "$1"; fi; }
    rm -rf "$tree.part"
    mkdir -p "$tree.part"
    if [ "$v" = 6.1 ]; then
        tarball=/usr/src/linux-source-6.1.tar.xz
        [ -f $tarball ] || { echo "$tarball is missing: apt-get install linux-source-6.1" >&2; exit 1; }
        # shellcheck disable=SC2046
        tar -xJf $tarball -C "$tree.part" --wildcards $(subset "$v")
        [ -n "$topup" ] || dpkg-query -W -f='${Version}\n' linux-source-6.1 > "$tree.debian" 2>/dev/null || echo unknown > "$tree.debian"
    else
        apt_ready
        pkg=linux-source-$v
        ver=$(apt-cache "${APT[@]}" policy "$pkg" | sed -n 's/^  Candidate: //p')
        # A kept tree is topped up from its own version, if the mirror still has it.
        [ -n "$topup" ] && [ -s "$tree.debian" ] && ver=$(cat "$tree.debian")
        if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
            echo "$pkg: not in trixie, bookworm-backports, sid or experimental of $(mirror)" >&2
            exit 1
        fi
        (cd "$A/archives" && apt-get "${APT[@]}" -qq download "$pkg=$ver" 2>&1 | grep -v unsandboxed || true)
        deb=$(find "$A/archives" -maxdepth 1 -name "${pkg}_*_all.deb" | grep -F "_${ver//:/%3a}_" | head -n1)
        [ -f "$deb" ] || { echo "$pkg $ver: download failed" >&2; exit 1; }
        # The .deb holds usr/src/linux-source-X.tar.xz: stream it, untar the subset only.
        # shellcheck disable=SC2046
        dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" | xz -dc -T2 \
            | tar -x -C "$tree.part" --wildcards $(subset "$v")
        rm -f "$deb"
        echo "$ver" > "$tree.debian"
    fi
    if [ -n "$topup" ]; then
        mkdir -p "$(dirname "$tree/$XIVE")"
        mv "$tree.part/linux-source-$v/$XIVE" "$tree/$XIVE"
        rm -rf "$tree.part"
        echo "linux-source-$v: $XIVE added to $tree"
        continue
    fi
    mv "$tree.part/linux-source-$v" "$tree"
    rmdir "$tree.part"
    echo "linux-source-$v: $(cat "$tree.debian") in $tree ($(du -sh "$tree" | cut -f1))"
done
