#!/usr/bin/env bash
# Installs what the release builds and their tests need, only what is missing (Debian, as root):
# Debian's rustc-web, cargo-web and rust-web-src (std for the cross targets, built with
# -Z build-std), the aarch64 cross gcc and libc (the tests compile the C example with them and
# qemu-user runs aarch64 programs with -L, no binfmt), and zig: PyPI's ziglang wheel at the
# version pinned in lib.sh, installed with pip into its own folder (ZIG_HOME), the linker and C
# compiler of every Linux release build. Idempotent; safe to run on every release.
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

# zig from PyPI's ziglang wheel (it ships the zig program and its libc headers and stubs), with
# `pip install --target` into a fresh folder that is renamed into place once complete: nothing
# system-wide, no virtual environment needed, and a half-done install is never taken for done.
install_zig() {
    if [ -x "$ZIG" ] && [ "$("$ZIG" version 2>/dev/null)" = "$ZIG_VERSION" ]; then
        return 0
    fi
    command -v python3 >/dev/null || die "python3 (with pip) is needed to install zig"
    log "installing zig $ZIG_VERSION (PyPI: ziglang==$ZIG_VERSION) into $ZIG_HOME"
    local partial=$ZIG_HOME.partial
    rm -rf "$partial"
    mkdir -p "$(dirname "$ZIG_HOME")"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
        --no-compile --target "$partial" "ziglang==$ZIG_VERSION" ||
        die "pip could not install ziglang==$ZIG_VERSION"
    rm -rf "$ZIG_HOME"
    mv "$partial" "$ZIG_HOME"
    [ "$("$ZIG" version)" = "$ZIG_VERSION" ] || die "$ZIG is not zig $ZIG_VERSION"
}

release_setup() {
    command -v dpkg-query >/dev/null || die "no dpkg: install ${RELEASE_PACKAGES[*]} by hand"
    install_debian_packages
    install_zig
}

install_debian_packages() {
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
