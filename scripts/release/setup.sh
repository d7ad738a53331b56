#!/usr/bin/env bash
# Installs what the release builds and their tests need, only what is missing (Debian, as root):
# Debian's rustc-web, cargo-web and rust-web-src (std for the cross targets, built with
# -Z build-std), the aarch64 cross toolchain and libc, and qemu-user to run aarch64 programs
# (with -L, no binfmt). Idempotent; safe to run on every release.
#
#   scripts/release/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RELEASE_PACKAGES=(rustc-web cargo-web rust-web-src gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    qemu-user gcc python3
    openjdk-17-jdk-headless libjna-java libjackson2-databind-java) # the jar (java/build.sh)

missing_packages() {
    local pkg
    for pkg in "${RELEASE_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
            printf '%s\n' "$pkg"
    done
}

release_setup() {
    command -v dpkg-query >/dev/null || die "no dpkg: install ${RELEASE_PACKAGES[*]} by hand"
    local missing
    mapfile -t missing < <(missing_packages)
    ((${#missing[@]})) || return 0
    [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}) and not root to install them"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ -x "$DEBIAN_RUSTC" ] && [ -d "$STD_SRC" ] || die "rustc-web/rust-web-src installed but not at $DEBIAN_RUSTC, $STD_SRC"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    release_setup
fi
