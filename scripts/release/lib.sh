# Sourced by scripts/release.sh and the scripts beside this file: the version, the target
# directories, the Linux targets and their toolchains, the flags that keep build paths out of the
# binaries, logging and timings.
#
# Environment:
#   ONETRANS_RELEASE_TARGET_DIR  cargo's target dir of the release builds
#                                (default /var/cache/onetrans-target-release)
#   ONETRANS_REPRO_TARGET_DIR    the second, always clean, build of the reproducibility check
#                                (default: the same followed by -repro)
#   ONETRANS_CROSS_TEST_TARGET_DIR  the test binaries linked like the release (vector and
#                                panic tests; default: the same followed by -tests)
#   ONETRANS_ZIG_HOME            where scripts/release/setup.sh installs PyPI's ziglang wheel
#                                (default /var/cache/onetrans-zig; the version is a subfolder)
# shellcheck shell=bash

[ -z "${ONETRANS_RELEASE_LIB:-}" ] || return 0
ONETRANS_RELEASE_LIB=1

set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$PWD
# DEBIAN_RUSTC, DEBIAN_CARGO, STD_SRC; release_version, source_date_epoch, remap_pairs.
source scripts/release/common.sh

# The Linux targets that are packaged. loongarch64 is not among them: docs/DECISIONS.md
# ("Issue 14: loongarch64") says what fails and what would make it work.
LINUX_TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu)
# The binaries a Linux package ships (cargo's names in target/<triple>/release/).
LINUX_BINARIES=(libonetrans.so onetrans onetrans-portal)

RELEASE_TARGET_DIR=${ONETRANS_RELEASE_TARGET_DIR:-/var/cache/onetrans-target-release}
if ! mkdir -p "$RELEASE_TARGET_DIR" 2>/dev/null || [ ! -w "$RELEASE_TARGET_DIR" ]; then
    RELEASE_TARGET_DIR=$REPO/target/release-packages
fi
REPRO_TARGET_DIR=${ONETRANS_REPRO_TARGET_DIR:-$RELEASE_TARGET_DIR-repro}
CROSS_TEST_TARGET_DIR=${ONETRANS_CROSS_TEST_TARGET_DIR:-$RELEASE_TARGET_DIR-tests}

# zig (PyPI's ziglang wheel, pinned): the linker and C compiler of every Linux release build,
# against the symbol set of an old glibc (scripts/release/zig-cc; docs/DECISIONS.md, "glibc
# floor"). scripts/release/setup.sh installs it with pip into its own folder.
ZIG_VERSION=0.17.0
ZIG_HOME=${ONETRANS_ZIG_HOME:-/var/cache/onetrans-zig}/ziglang-$ZIG_VERSION
ZIG=$ZIG_HOME/ziglang/zig
# The oldest glibc the Linux packages load on: Kylin V10, UOS 20, openEuler 20.03 have 2.28.
# scripts/release/linux.sh test fails a package whose binaries need a newer symbol version.
GLIBC_FLOOR=2.28

# Where qemu-user finds the aarch64 dynamic loader and libc (libc6-arm64-cross).
AARCH64_SYSROOT=/usr/aarch64-linux-gnu

TIMES=()

log() { printf '==> release: %s\n' "$*" >&2; }
die() { printf 'release: ERROR: %s\n' "$*" >&2; exit 1; }

# Runs "$@" and records how long it took under the name $1 (the rest is the command).
timed() {
    local what=$1 start=$SECONDS
    shift
    "$@"
    TIMES+=("$what: $((SECONDS - start)) s")
    log "$what: $((SECONDS - start)) s"
}

print_times() {
    local line
    log "timings:"
    for line in "${TIMES[@]}"; do printf '    %s\n' "$line" >&2; done
}

# The SOURCE_DATE_EPOCH of the compilers in the release builds (what a C __DATE__ or __TIME__
# would say): fixed, not the commit's time. cc-rs reruns a build script whenever
# SOURCE_DATE_EPOCH changes, so the commit's time rebuilt ring and everything above it (rustls,
# ureq, our three crates: 62 s for x86_64 after an empty commit) on every commit. The archives
# and the jar keep the commit's time (source_date_epoch).
BUILD_EPOCH=315532800 # 1980-01-01 00:00 UTC

# The short name of a target in file names: x86_64, aarch64.
arch_of() { printf '%s\n' "${1%%-*}"; }

# The GNU tool prefix of a Linux target (aarch64-linux-gnu); empty for this machine's own.
gnu_prefix() {
    case $1 in
        x86_64-unknown-linux-gnu) echo "" ;;
        aarch64-unknown-linux-gnu) echo aarch64-linux-gnu- ;;
        *) die "no GNU toolchain known for $1" ;;
    esac
}

# zig's name of a Linux target, with the glibc whose symbols it links against: the floor, or
# the oldest glibc zig has for the target (LoongArch: 2.36, the first glibc with the port).
zig_target() {
    case $1 in
        x86_64-unknown-linux-gnu) echo "x86_64-linux-gnu.$GLIBC_FLOOR" ;;
        aarch64-unknown-linux-gnu) echo "aarch64-linux-gnu.$GLIBC_FLOOR" ;;
        loongarch64-unknown-linux-gnu) echo loongarch64-linux-gnu.2.36 ;;
        *) die "no zig target known for $1" ;;
    esac
}

# Whether a target is built with rustup's toolchain and its prebuilt std (this machine's own),
# or with Debian's rustc-web and -Z build-std (every other, since `rustup target add` cannot
# download here).
uses_build_std() { [ "$1" != x86_64-unknown-linux-gnu ]; }

# Runs a program of a target: natively, or under qemu-user with the cross libc (no binfmt).
run_target() {
    local target=$1
    shift
    case $target in
        x86_64-unknown-linux-gnu) "$@" ;;
        aarch64-unknown-linux-gnu) qemu-aarch64 -L "$AARCH64_SYSROOT" "$@" ;;
        *) die "cannot run programs of $target here" ;;
    esac
}

# The directories the path check greps the shipped binaries for (scripts/release/repro.sh). Not
# /tmp itself: std names it (std::env::temp_dir); the source copies under /tmp are listed.
build_paths() {
    local src=$1 target_dir=$2
    printf '%s\n' "$src" "$target_dir" "${CARGO_HOME:-$HOME/.cargo}" "${RUSTUP_HOME:-$HOME/.rustup}" \
        "$HOME" /root /var/cache /work "$ZIG_HOME" | awk 'length($0) > 1' | sort -u
}
