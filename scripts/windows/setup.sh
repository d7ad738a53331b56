#!/usr/bin/env bash
# Step 1 of scripts/windows.sh: installs what the Windows build and tests need, only what is
# missing: the cross compiler (Debian's rustc-web with the std sources), the mingw-w64 linkers,
# 64-bit Wine and its prefix, and once an i386 chroot with 32-bit Wine.
#
#   scripts/windows/setup.sh        (the same as scripts/windows.sh setup)
#
# Skips loudly where it cannot be done, and fails where it must be (see lib.sh, ONETRANS_WINDOWS).
WINDOWS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$WINDOWS_DIR/lib.sh"

# The host packages that are not installed yet.
missing_host_packages() {
    local pkg
    for pkg in "${HOST_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
            printf '%s\n' "$pkg"
    done
}

# Installs the cross compiler, the mingw linkers, 64-bit Wine and debootstrap, only if missing.
setup_host() {
    command -v dpkg-query >/dev/null || skip_all "no dpkg: the set-up needs Debian's packages"
    local missing
    mapfile -t missing < <(missing_host_packages)
    if ((${#missing[@]})); then
        [ "$(id -u)" = 0 ] || skip_all "packages missing (${missing[*]}) and not root to install them"
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq || skip_all "apt-get update failed: no package registry"
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
            skip_all "apt-get install ${missing[*]} failed"
    fi
    require_host_tools
}

# The Debian mirror this machine uses (for the chroot), from its apt sources.
debian_mirror() {
    local uri
    uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
    if [ -z "$uri" ]; then
        uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null |
            awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
    fi
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# The chroot's packages that are not installed yet.
missing_wine32_packages() {
    local pkg
    for pkg in "${WINE32_PACKAGES[@]}"; do
        chroot "$WINE32_ROOT" dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
            grep -q 'install ok installed' || printf '%s\n' "$pkg"
    done
}

# Installs packages in the chroot (mounted by the caller); skips the 32-bit tests on failure.
install_in_chroot() {
    if ! chroot "$WINE32_ROOT" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends $*" \
        >"$WIN_TARGET_DIR/wine32-install.log" 2>&1; then
        tail -n 20 "$WIN_TARGET_DIR/wine32-install.log" >&2
        chroot_unmount
        skip_part "32-BIT TESTS" "installing $* in the i386 chroot failed"
        return 1
    fi
}

# Creates the i386 chroot with 32-bit Wine once (marker file), and its Wine prefix; later runs
# only add the packages that WINE32_PACKAGES gained since.
setup_wine32() {
    local missing
    if [ "$(id -u)" != 0 ]; then
        skip_part "32-BIT TESTS" "32-bit Wine runs in an i386 chroot, which needs root (mount, chroot)"
        return 1
    fi
    if [ -e "$WINE32_READY" ]; then
        mapfile -t missing < <(missing_wine32_packages)
        ((${#missing[@]} == 0)) && return 0
        log "installing ${missing[*]} in the i386 chroot"
        chroot_mount
        install_in_chroot "${missing[@]}" || return 1
        chroot_unmount
        return 0
    fi
    command -v debootstrap >/dev/null || { skip_part "32-BIT TESTS" "debootstrap is missing"; return 1; }
    local mirror suite
    mirror=$(debian_mirror)
    suite=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
    log "creating the i386 chroot for 32-bit Wine in $WINE32_ROOT ($suite from $mirror)"
    chroot_unmount
    rm -rf "$WINE32_ROOT"
    if ! debootstrap --arch=i386 --variant=minbase "$suite" "$WINE32_ROOT" "$mirror" \
        >"$WIN_TARGET_DIR/debootstrap.log" 2>&1; then
        tail -n 20 "$WIN_TARGET_DIR/debootstrap.log" >&2
        chroot_unmount
        skip_part "32-BIT TESTS" "debootstrap of an i386 $suite failed (see $WIN_TARGET_DIR/debootstrap.log)"
        return 1
    fi
    chroot_mount
    install_in_chroot "${WINE32_PACKAGES[@]}" || return 1
    run_wine32 wine wineboot --init >/dev/null 2>&1 || true
    wine32_server_stop
    chroot_unmount
    touch "$WINE32_READY"
}

# Creates the 64-bit Wine prefix once.
setup_wine64() {
    [ -e "$WINE64_PREFIX/system.reg" ] && return 0
    log "creating the 64-bit Wine prefix $WINE64_PREFIX"
    mkdir -p "$WINE64_PREFIX"
    run_wine64 wine wineboot --init >/dev/null 2>&1 || true
    wine64_server_stop
    [ -e "$WINE64_PREFIX/system.reg" ] || { skip_part "64-BIT TESTS" "wineboot --init failed"; return 1; }
}

# The steps (for windows_run): the packages alone (what the build needs), and Wine.
step_setup_host() {
    timed "set-up (packages)" setup_host
}

step_setup_wine() {
    timed "set-up (64-bit Wine prefix)" setup_wine64 || true
    timed "set-up (32-bit Wine chroot)" setup_wine32 || true
}

step_setup() {
    step_setup_host
    step_setup_wine
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    (($# == 0)) || die "usage: $0 (no arguments)"
    windows_run step_setup
fi
