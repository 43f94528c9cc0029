#!/usr/bin/env bash
# The project's test command: installs what the tests need, then checks formatting,
# lints, and runs every test. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v dtc >/dev/null 2>&1 || need_apt+=(device-tree-compiler)
command -v rsvg-convert >/dev/null 2>&1 || need_apt+=(librsvg2-bin)
# The real Linux client's tests take arch/powerpc/platforms/pseries/msi.c from Debian's
# kernel source package (never shipped with the project).
[ -f /usr/src/linux-source-6.1.tar.xz ] || need_apt+=(linux-source-6.1)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
# The tree client: objcopy (binutils), and xz to unpack Debian's kernel sources.
command -v objcopy >/dev/null 2>&1 || need_apt+=(binutils)
command -v xz >/dev/null 2>&1 || need_apt+=(xz-utils)
# scripts/acyclic.py, the import-circle check
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing: ${need_apt[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v dtc >/dev/null || { echo "dtc is still missing" >&2; exit 1; }
command -v rsvg-convert >/dev/null || { echo "rsvg-convert is still missing" >&2; exit 1; }
[ -f /usr/src/linux-source-6.1.tar.xz ] || { echo "linux-source-6.1 is still missing" >&2; exit 1; }
# Debian's 6.1, 6.12, 7.2 and 7.3 trees for the tree client's tests (kept between runs
# in ~/.cache/pseries-sim/kernels, or $PSERIES_SIM_KERNELS).
scripts/fetch-kernels.sh
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy

cargo fmt --all -- --check
python3 scripts/acyclic.py
# The OS (platform) reaches the firmware only through its port: no dependency on rtas.
if cargo tree -p platform -e normal,build --prefix none | grep -q '^rtas '; then
    echo "platform depends on rtas: the OS must reach the firmware only through its port" >&2
    exit 1
fi
cargo clippy --workspace --all-targets -- -D warnings
RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps --quiet
cargo test --workspace --profile ci
