#!/usr/bin/env bash
# The tests of a Linux release target that the package test does not do, built like the release
# (zig as linker and C compiler, against glibc 2.28's symbols) and run natively or under qemu-user:
#
#   scripts/release/cross-test.sh TARGET     (x86_64- or aarch64-unknown-linux-gnu)
#
# 1. tests/vectors.rs, tests/sm2_vectors.rs, tests/internal_error.rs and tests/panic_hook.rs
#    built with the target's release toolchain (scripts/release/build.sh: rustup's cargo for
#    x86_64, Debian's rustc-web and -Z build-std for the others; its own target dir) and run:
#    every vector of the spec reproduced by the target's own code, and a panic inside a call and
#    at the export boundary caught (unwinding works with zig's linking and its libunwind).
# 2. cross targets only: c_examples/example.c compiled with the target's gcc (-Wall -Wextra
#    -Werror) against the header and the target's release library, run under qemu against the
#    portal simulator running natively on 127.0.0.1 (the x86_64 release build's onetrans-portal).
#    (The x86_64 package test runs the C example natively.)
# Needs the x86_64 and TARGET release binaries (scripts/release/linux.sh package ...).
source "$(dirname "${BASH_SOURCE[0]}")/build.sh"

PORTAL_PID=
WORK=
cleanup() {
    local status=$?
    if [ -n "$PORTAL_PID" ]; then
        kill "$PORTAL_PID" 2>/dev/null || true
        wait "$PORTAL_PID" 2>/dev/null || true
    fi
    [ -z "$WORK" ] || rm -rf "$WORK"
    exit "$status"
}

vector_tests() {
    local target=$1 exe exes
    mapfile -t exes < <(build_vector_tests "$target")
    for exe in "${exes[@]}"; do
        log "running $exe ($target)"
        run_target "$target" "$exe" --test-threads=2
    done
}

# Starts the native simulator and prints nothing; sets PORTAL_URL.
start_native_portal() {
    local portal=$RELEASE_TARGET_DIR/shipped/x86_64-unknown-linux-gnu/onetrans-portal i
    [ -x "$portal" ] || die "$portal is missing (scripts/release/linux.sh package x86_64-unknown-linux-gnu)"
    "$portal" --port 0 >"$WORK/portal.log" 2>&1 &
    PORTAL_PID=$!
    for i in $(seq 1 100); do
        PORTAL_URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$WORK/portal.log")
        [ -n "$PORTAL_URL" ] && return 0
        sleep 0.1
    done
    die "the native onetrans-portal did not start: $(cat "$WORK/portal.log")"
}

c_example() {
    local target=$1 lib closed
    lib=$RELEASE_TARGET_DIR/shipped/$target
    "$(gnu_prefix "$target")gcc" -Wall -Wextra -Werror -Iinclude c_examples/example.c \
        -L"$lib" -lonetrans -lpthread -o "$WORK/example"
    start_native_portal
    closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    log "running the $target C example under qemu against the native simulator $PORTAL_URL"
    LD_LIBRARY_PATH=$lib run_target "$target" "$WORK/example" "$PORTAL_URL" "http://127.0.0.1:$closed" |
        tee "$WORK/example.out"
    grep -q ' passed, 0 failed' "$WORK/example.out"
}

main() {
    local target=$1
    trap cleanup EXIT
    WORK=$(mktemp -d /tmp/onetrans-cross-test.XXXXXX)
    timed "vector and panic tests for $target" vector_tests "$target"
    if uses_build_std "$target"; then
        timed "C example for $target under qemu" c_example "$target"
    fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    (($# == 1)) || die "usage: $0 TARGET"
    main "$1"
fi
