#!/usr/bin/env bash
# The Windows hook of scripts/release.sh (which runs it when it exists): the Windows package,
# built, tested and laid out by scripts/windows.sh (its steps in scripts/windows/).
#
#   scripts/release/windows.sh package              dist/onetrans-<version>-windows.zip (builds
#                                                   the DLLs and EXEs, reusing what is built)
#   scripts/release/windows.sh test                 the zip unpacked into an empty folder and
#                                                   run from there under Wine, 64- and 32-bit
#   scripts/release/windows.sh targets              the Rust targets, one a line
#   scripts/release/windows.sh binaries TARGET OUT  OneTrans.dll, onetrans.exe and
#                                                   onetrans-portal.exe of TARGET, built from the
#                                                   current folder and copied into OUT
#
# binaries builds in ONETRANS_WINDOWS_TARGET_DIR (scripts/windows/lib.sh; scripts/release/repro.sh
# gives its clean second build one of its own). Where Wine or the cross compiler cannot be set
# up, scripts/windows.sh skips loudly (ONETRANS_WINDOWS, scripts/windows/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

case ${1:-} in
    package) exec scripts/windows.sh package ;;
    test) exec scripts/windows.sh test-package ;;
    targets) printf '%s\n' i686-win7-windows-gnu x86_64-win7-windows-gnu ;;
    binaries)
        (($# == 3)) || { echo "usage: $0 binaries TARGET OUT" >&2; exit 2; }
        exec scripts/windows.sh binaries "$2" "$3"
        ;;
    *) echo "usage: $0 package|test|targets, or $0 binaries TARGET OUT" >&2; exit 2 ;;
esac
