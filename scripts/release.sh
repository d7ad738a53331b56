#!/usr/bin/env bash
# The release: builds the packages a hospital downloads into dist/, and checks them.
#
#   scripts/release.sh            set-up, packages, and every check below
#   scripts/release.sh package    set-up and packages only
#   scripts/release.sh check      the checks of packages already in dist/ (built when missing)
#
# Packages (the version is the [package] version of Cargo.toml):
#   dist/onetrans-<version>-linux-x86_64.tar.gz    Linux x86_64 (glibc, see README)
#   dist/onetrans-<version>-linux-aarch64.tar.gz   Kunpeng, Phytium (cross-built, qemu-tested)
#   the Windows zip, by scripts/release/windows.sh where that script exists (it runs first:
#   scripts/windows/build.sh lays out dist/ afresh). Its interface, like linux.sh's:
#     windows.sh package              write dist/onetrans-<version>-windows.zip
#     windows.sh test                 unpack the zip into an empty folder, run it under Wine
#     windows.sh targets              print the Rust targets it builds, one a line
#     windows.sh binaries TARGET OUT  build, and copy the shipped DLLs and EXEs of TARGET into
#                                     OUT (scripts/release/repro.sh compares two such builds)
# Checks:
#   - each Linux archive unpacked into an empty folder and run from there (natively, under
#     qemu-user for aarch64): --version, onetrans-portal + onetrans call, the demo, the C example
#     (scripts/release/linux.sh test)
#   - aarch64: the vector tests and the C example under qemu against the native simulator
#     (scripts/release/cross-test.sh)
#   - reproducibility: the shipped binaries built a second time from clean (another source
#     folder, another target dir) are byte-identical, and contain no build path
#     (scripts/release/repro.sh); ONETRANS_REPRO=0 skips it, ONETRANS_REPRO_TARGETS="linux:T ..."
#     restricts it (default: every Linux target, and the Windows ones where windows.sh exists)
#
# The scripts beside it (scripts/release/) also run alone; lib.sh lists the settings.
set -euo pipefail
RELEASE_DIR=$(cd "$(dirname "$0")/release" && pwd)
source "$RELEASE_DIR/lib.sh"
source "$RELEASE_DIR/setup.sh"

packages() {
    local target
    if [ -x "$RELEASE_DIR/windows.sh" ]; then
        timed "package windows" "$RELEASE_DIR/windows.sh" package
    fi
    for target in "${LINUX_TARGETS[@]}"; do
        timed "package $(arch_of "$target")" "$RELEASE_DIR/linux.sh" package "$target"
    done
}

checks() {
    local target version
    version=$(release_version)
    for target in "${LINUX_TARGETS[@]}"; do
        [ -f "dist/onetrans-$version-linux-$(arch_of "$target").tar.gz" ] ||
            "$RELEASE_DIR/linux.sh" package "$target"
    done
    if [ -x "$RELEASE_DIR/windows.sh" ]; then
        timed "test windows package" "$RELEASE_DIR/windows.sh" test
    fi
    for target in "${LINUX_TARGETS[@]}"; do
        timed "test package $(arch_of "$target")" "$RELEASE_DIR/linux.sh" test "$target"
        if uses_build_std "$target"; then
            timed "cross tests $(arch_of "$target")" "$RELEASE_DIR/cross-test.sh" "$target"
        fi
    done
    if [ "${ONETRANS_REPRO:-1}" != 0 ]; then
        # shellcheck disable=SC2086 # a list of platform:target words
        timed "reproducibility and paths" "$RELEASE_DIR/repro.sh" ${ONETRANS_REPRO_TARGETS:-}
    fi
}

list_dist() {
    log "dist/:"
    (cd dist && find . -maxdepth 1 -type f -printf '    %P (%s bytes)\n' | sort) >&2
}

start=$SECONDS
timed "set-up" release_setup
case ${1:-all} in
    all) packages; checks ;;
    package) packages ;;
    check) checks ;;
    *) die "usage: $0 [all|package|check]" ;;
esac
list_dist
TIMES+=("total: $((SECONDS - start)) s")
print_times
