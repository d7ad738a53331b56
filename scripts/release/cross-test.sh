#!/usr/bin/env bash
# The tests of a cross-built Linux target that the package test does not do, under qemu-user:
#
#   scripts/release/cross-test.sh TARGET     (aarch64-unknown-linux-gnu)
#
# 1. tests/vectors.rs and tests/sm2_vectors.rs cross-compiled (Debian's rustc-web, -Z build-std, its own target dir) and
#    run under qemu: every vector of the spec reproduced by the target's own code.
# 2. c_examples/example.c compiled with the target's gcc (-Wall -Wextra -Werror) against the
#    header and the target's release library, run under qemu against the portal simulator
#    running natively on 127.0.0.1 (the x86_64 release build's onetrans-portal).
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
        log "running $exe under qemu"
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
    uses_build_std "$target" || die "$target is this machine's own: cargo test runs its tests"
    trap cleanup EXIT
    WORK=$(mktemp -d /tmp/onetrans-cross-test.XXXXXX)
    timed "vector tests for $target under qemu" vector_tests "$target"
    timed "C example for $target under qemu" c_example "$target"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    (($# == 1)) || die "usage: $0 TARGET"
    main "$1"
fi
