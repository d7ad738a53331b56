#!/usr/bin/env bash
# The Windows target: builds OneTrans.dll for 32-bit (i686) and 64-bit (x86_64) Windows on this
# Linux machine, lays out dist/ as an integrator receives it, checks the DLLs (machine, exports,
# imports, size) and tests them under Wine the way a hospital program loads them: 64-bit Wine on
# the machine, 32-bit Wine in an i386 chroot.
#
#   scripts/windows.sh [all|setup|build|test]      (default: all = setup + build + test)
#   scripts/windows.sh package|test-package         the zip (scripts/windows/package.sh)
#   scripts/windows.sh binaries TARGET OUT         build and copy one target's shipped files
#
#   setup   scripts/windows/setup.sh: the packages, the 64-bit Wine prefix, the i386 chroot
#   build   the packages, then scripts/windows/build.sh: the DLLs and EXEs, dist/ and their
#           checks
#   test    the set-up, the build when dist/ has no DLLs, then scripts/windows/test.sh
#   package       the build (reusing what is built), then dist/onetrans-<version>-windows.zip
#   test-package  the set-up, then the zip unpacked into an empty folder and run from there
#   binaries      OneTrans.dll, onetrans.exe, onetrans-portal.exe of TARGET (a Rust target)
#                 built (no Wine needed) and copied into OUT: what scripts/release/repro.sh
#                 compares between two builds
#
# The steps run in this one shell (one lock, one summary); each also runs alone. The DLL
# checks and the .def files are Rust (xtask/: cargo run -p xtask -- def | check-dll).
#
# Idempotent: installs only what is missing (Debian packages, the i386 chroot, made once and
# reused), rebuilds incrementally, and unmounts whatever it mounted, also on failure.
#
# Where Wine cannot be set up (not Debian on x86_64, not root, no package registry...), the
# Windows build and tests are SKIPPED with a loud message saying why, and the script exits 0.
# On the project's own machines (Debian 12, amd64, root) a failure to set up is an error.
# ONETRANS_WINDOWS=auto|require|skip and the other settings: scripts/windows/lib.sh.
#
# See windows/README.md for what the DLLs are and how to call them.
set -euo pipefail

STEPS=$(cd "$(dirname "$0")/windows" && pwd)
source "$STEPS/lib.sh"
source "$STEPS/setup.sh"
source "$STEPS/build.sh"
source "$STEPS/test.sh"
source "$STEPS/package.sh"

case ${1:-all} in
    all) windows_run step_setup step_build step_test ;;
    setup) windows_run step_setup ;;
    build) windows_run step_setup_host step_build ;;
    test) windows_run step_setup step_build_if_missing step_test ;;
    package) windows_run step_setup_host step_package ;;
    test-package) windows_run step_setup step_test_package ;;
    binaries)
        (($# == 3)) || die "usage: $0 binaries TARGET OUT"
        BINARIES_TARGET=$2 BINARIES_OUT=$3 windows_run step_setup_host step_binaries
        ;;
    *) die "usage: $0 [all|setup|build|test|package|test-package] | $0 binaries TARGET OUT" ;;
esac
