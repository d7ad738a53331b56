# Sourced by scripts/windows.sh and by the three steps beside this file (setup.sh, build.sh,
# test.sh): the settings, the skip/require decision, logging and timings, Wine and the i386
# chroot, and windows_run, the frame every entry point runs its steps in (one lock, cleanup on
# every exit, one summary).
#
# Environment:
#   ONETRANS_WINDOWS=auto|require|skip   auto (default): required on the project's machines,
#                                        skipped loudly elsewhere; require: never skip; skip: skip
#   ONETRANS_WINDOWS_TARGET_DIR          cargo's target dir for the Windows builds
#                                        (default /var/cache/onetrans-target-windows)
#   ONETRANS_WINE32_ROOT                 the i386 chroot (default /var/cache/onetrans-wine32)
#   ONETRANS_KEEP_WORK                   set: keep the tests' work folder (/tmp/onetrans-windows.*)
# shellcheck shell=bash

# Once per shell: scripts/windows.sh sources it through every step.
[ -z "${ONETRANS_WINDOWS_LIB:-}" ] || return 0
ONETRANS_WINDOWS_LIB=1

set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$PWD
# DEBIAN_RUSTC, DEBIAN_CARGO, STD_SRC; release_version, source_date_epoch, remap_pairs: shared
# with the Linux release builds.
source scripts/release/common.sh

TARGETS=(i686-win7-windows-gnu x86_64-win7-windows-gnu)
HOST_PACKAGES=(rustc-web cargo-web rust-web-src gcc-mingw-w64-i686-win32
    gcc-mingw-w64-x86-64-win32 wine wine64 debootstrap locales)
# In the i386 chroot; locales: a zh_CN locale, for Wine's ANSI code page 936.
WINE32_PACKAGES=(wine wine32 locales)

WIN_TARGET_DIR=${ONETRANS_WINDOWS_TARGET_DIR:-/var/cache/onetrans-target-windows}
if ! mkdir -p "$WIN_TARGET_DIR" 2>/dev/null || [ ! -w "$WIN_TARGET_DIR" ]; then
    WIN_TARGET_DIR=$REPO/target/windows # like scripts/env.sh: /var/cache when writable
fi
WINE32_ROOT=${ONETRANS_WINE32_ROOT:-/var/cache/onetrans-wine32}
WINE32_READY=$WINE32_ROOT/.onetrans-wine32-ready # made by setup.sh once the chroot is complete
WINE64_PREFIX=$WIN_TARGET_DIR/wine64-prefix
WINE32_PREFIX=/root/.wine-onetrans # inside the chroot
MODE=${ONETRANS_WINDOWS:-auto}
WINE_TIMEOUT=300 # seconds for any one Wine command

REQUIRED=0        # 1: a failure to set up Wine fails the script
SKIPPED=()        # reasons for the parts that were skipped
TIMES=()          # "what: N s" lines for the summary
TESTED=0          # 1 once test.sh ran the tests: the summary ends with their totals
PASSED=0
FAILED=0
PORTAL_PID=
WORK=

# --- small helpers ---------------------------------------------------------------------------

log() { printf '==> windows: %s\n' "$*"; }
die() { printf 'windows: ERROR: %s\n' "$*" >&2; exit 1; }

# Prints the loud banner for a skipped part.
banner() {
    local line='############################################################################'
    printf '\n%s\n# WINDOWS %s SKIPPED: %s\n' "$line" "$1" "$2"
    printf '# (set ONETRANS_WINDOWS=require to make this an error)\n%s\n\n' "$line"
}

# The whole Windows target cannot be done here: skip (loudly) or, where required, fail.
skip_all() {
    if ((REQUIRED)); then
        die "$1 (required on this machine: Debian amd64 as root, or ONETRANS_WINDOWS=require)"
    fi
    banner "BUILD AND TESTS" "$1"
    exit 0
}

# One part (e.g. 32-bit Wine) cannot be done here: skip (loudly) or, where required, fail.
skip_part() {
    if ((REQUIRED)); then
        die "$2"
    fi
    banner "$1" "$2"
    SKIPPED+=("$1: $2")
}

# Whether a part was skipped already (its banner printed, with the reason): skipped PART.
skipped() {
    local line
    for line in "${SKIPPED[@]}"; do
        [[ $line == "$1: "* ]] && return 0
    done
    return 1
}

# Runs "$@" and records how long it took under the name $1 (the rest is the command).
timed() {
    local what=$1 start=$SECONDS
    shift
    "$@"
    TIMES+=("$what: $((SECONDS - start)) s")
}

# mingw's tool prefix for a Rust target: i686-w64-mingw32 or x86_64-w64-mingw32.
mingw() { printf '%s-w64-mingw32\n' "${1%%-*}"; }

# dist/ folder name for a Rust target: x86 or x64.
arch_dir() { case $1 in i686-*) echo x86 ;; *) echo x64 ;; esac; }

# Runs the project's xtask (xtask/: the .def files, the DLL checks) with the Linux toolchain
# and the Linux builds' target directory (scripts/env.sh).
xtask() {
    (
        source scripts/env.sh
        cargo run --locked -q -p xtask -- "$@"
    )
}

# --- what this machine is --------------------------------------------------------------------

# Sets REQUIRED, or skips the whole target when it cannot be done here.
decide() {
    case $MODE in
        skip) skip_all "ONETRANS_WINDOWS=skip was set" ;;
        require) REQUIRED=1 ;;
        auto)
            if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && [ -r /etc/debian_version ] &&
                [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
                REQUIRED=1
            fi
            ;;
        *) die "ONETRANS_WINDOWS must be auto, require or skip, not '$MODE'" ;;
    esac
    [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
        skip_all "this is $(uname -s) on $(uname -m); the cross build needs x86_64 Linux"
}

# The cross compiler that setup.sh installs is there, or the target is skipped (or fails).
require_host_tools() {
    [ -x "$DEBIAN_RUSTC" ] && [ -x "$DEBIAN_CARGO" ] && [ -d "$STD_SRC" ] ||
        skip_all "Debian's rustc-web/cargo-web/rust-web-src are not at $DEBIAN_RUSTC, $DEBIAN_CARGO, $STD_SRC (scripts/windows/setup.sh installs them)"
}

# --- the i386 chroot -------------------------------------------------------------------------

# Mounts what wine needs inside the chroot (/proc, /dev); chroot_unmount undoes it.
chroot_mount() {
    mountpoint -q "$WINE32_ROOT/proc" || mount -t proc proc "$WINE32_ROOT/proc"
    if ! mountpoint -q "$WINE32_ROOT/dev"; then
        mount --rbind /dev "$WINE32_ROOT/dev"
        mount --make-rslave "$WINE32_ROOT/dev"
    fi
}

# Unmounts everything under the chroot (safe to call any number of times).
chroot_unmount() {
    [ -d "$WINE32_ROOT" ] || return 0
    local m
    for m in "$WINE32_ROOT/work" "$WINE32_ROOT/dev" "$WINE32_ROOT/proc"; do
        if mountpoint -q "$m" 2>/dev/null; then
            umount -R "$m" 2>/dev/null || umount -R -l "$m" || true
        fi
    done
}

# --- Wine ------------------------------------------------------------------------------------

# The environment of every Wine process: headless, quiet, no Mono/Gecko installers, and none of
# the caller's ONETRANS_* settings.
wine_env() {
    local name
    # env wants its -u options before any NAME=VALUE.
    printf '%s\n' -u DISPLAY -u WAYLAND_DISPLAY
    for name in $(compgen -e | grep '^ONETRANS_' || true); do
        printf '%s\n' -u "$name"
    done
    printf '%s\n' WINEDEBUG=-all 'WINEDLLOVERRIDES=mscoree,mshtml='
}

# Runs a command with the 64-bit Wine of this machine: run_wine64 CMD ARGS...
run_wine64() {
    local env_args
    mapfile -t env_args < <(wine_env)
    timeout -k 10 "$WINE_TIMEOUT" env "${env_args[@]}" WINEPREFIX="$WINE64_PREFIX" WINEARCH=win64 "$@"
}

# Waits for the prefix's wineserver to save the registry and exit (kills it after a minute).
wine64_server_stop() {
    run_wine64 timeout 60 wineserver -w >/dev/null 2>&1 || run_wine64 wineserver -k >/dev/null 2>&1 || true
}

# Runs a command inside the i386 chroot with its 32-bit Wine: run_wine32 CMD ARGS...
run_wine32() {
    local env_args
    mapfile -t env_args < <(wine_env)
    timeout -k 10 "$WINE_TIMEOUT" chroot "$WINE32_ROOT" /usr/bin/env "${env_args[@]}" HOME=/root \
        WINEPREFIX="$WINE32_PREFIX" WINEARCH=win32 LANG=C.UTF-8 "$@"
}

wine32_server_stop() {
    run_wine32 timeout 60 wineserver -w >/dev/null 2>&1 || run_wine32 wineserver -k >/dev/null 2>&1 || true
}

# --- the frame of every entry point ----------------------------------------------------------

# Stops and removes whatever this run started: the portal, the wineservers, the chroot's
# mounts, the work folder. Runs on every exit, also on failure or Ctrl-C.
cleanup() {
    local status=$?
    if [ -n "$PORTAL_PID" ]; then
        kill "$PORTAL_PID" 2>/dev/null || true
        wait "$PORTAL_PID" 2>/dev/null || true
    fi
    if [ -e "$WINE32_READY" ] && mountpoint -q "$WINE32_ROOT/proc" 2>/dev/null; then
        run_wine32 wineserver -k >/dev/null 2>&1 || true
    fi
    chroot_unmount
    if [ -n "$WORK" ] && [ -z "${ONETRANS_KEEP_WORK:-}" ]; then
        rm -rf "$WORK"
    fi
    exit "$status"
}

summary() {
    local line
    log "timings:"
    for line in "${TIMES[@]}"; do printf '    %s\n' "$line"; done
    for line in "${SKIPPED[@]}"; do printf '    SKIPPED %s\n' "$line"; done
}

# Runs the steps (functions of setup.sh, build.sh, test.sh) in order, then prints the summary
# and, when the tests ran, their totals: windows_run STEP...
windows_run() {
    local step
    decide
    mkdir -p "$WIN_TARGET_DIR"
    # One run at a time: the chroot's mounts and the Wine prefixes are shared.
    exec 9>"$WIN_TARGET_DIR/.lock"
    flock 9
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    for step in "$@"; do
        "$step"
    done
    summary
    if ((TESTED)); then
        # The closing line, as every test runner of the suite prints it.
        printf 'windows: %d passed, %d failed\n' "$PASSED" "$FAILED"
        ((FAILED == 0)) || exit 1
        ((PASSED > 0)) || skip_all "no Windows test ran"
    fi
}
