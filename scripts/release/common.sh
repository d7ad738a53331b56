# Sourced by scripts/release/lib.sh and scripts/windows/lib.sh: what the Linux release builds and
# the Windows builds must agree on. Both set REPO (the checkout) before sourcing this file; it
# defines nothing else of theirs (each has its own log, die and timings).
# shellcheck shell=bash

# Debian's rustc-web, cargo-web and rust-web-src: the compiler and std sources of every build
# with -Z build-std (the win7 targets, the Linux cross targets).
DEBIAN_RUSTC=/usr/bin/rustc
DEBIAN_CARGO=/usr/bin/cargo
STD_SRC=/usr/lib/rustlib/src/rust/library

# The crate's version: the [package] version of the workspace's root Cargo.toml (the lead bumps
# it for a release; nothing here writes it).
release_version() {
    awk -F'"' '/^\[/ { in_pkg = ($0 == "[package]") } in_pkg && /^version *=/ { print $2; exit }' \
        "$REPO/Cargo.toml"
}

# The time stamp of every file in the archives: the commit's time, so that two builds of one
# commit give the same archives (https://reproducible-builds.org/specs/source-date-epoch/).
source_date_epoch() {
    if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
        printf '%s\n' "$SOURCE_DATE_EPOCH"
    else
        git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0
    fi
}

# The paths of this machine that may appear in a binary through file names (panic locations,
# C __FILE__, debug info): the checkout, cargo's home (the registry's sources), the target
# directory, rustup's toolchains and Debian's std sources. Printed as FROM=TO pairs, each mapped
# to a fixed name: the same binary whatever the paths of the build. The longest comes last: where
# several match (./target inside the checkout), rustc and gcc both apply the last one given.
# remap_pairs SRC TARGET_DIR
remap_pairs() {
    local src=$1 target_dir=$2 cargo_home rustup_home
    cargo_home=${CARGO_HOME:-$HOME/.cargo}
    rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
    {
        printf '%s=/onetrans\n' "$src"
        printf '%s=/target\n' "$target_dir"
        printf '%s=/cargo\n' "$cargo_home"
        printf '%s=/rustup\n' "$rustup_home"
        printf '%s=/rustc/library\n' "$STD_SRC"
    } | awk -F= '{ print length($1) "\t" $0 }' | sort -n | cut -f2-
}
