#!/usr/bin/env bash
# The Linux packages: builds, lays out and tests dist/onetrans-<version>-linux-<arch>.tar.gz.
#
#   scripts/release/linux.sh package TARGET   build the binaries and write the archive into dist/
#   scripts/release/linux.sh test TARGET      unpack the archive into an empty folder and run
#                                             its contents from there (natively, or under
#                                             qemu-user for aarch64)
#   scripts/release/linux.sh binaries TARGET OUT  only the shipped binaries, copied into OUT
#                                             (what scripts/release/repro.sh compares)
#
# TARGET: x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu. The packages' set-up is
# scripts/release/setup.sh (scripts/release.sh runs it first). The binaries are linked by zig
# against glibc 2.28's symbols (GLIBC_FLOOR in lib.sh); the test fails a package that needs more.
#
# An archive holds one folder, onetrans-<version>-linux-<arch>/:
#   lib/libonetrans.so  include/onetrans.h  bin/onetrans  bin/onetrans-portal
#   examples/example.c  OneTrans.ini.sample  README.md  CHANGELOG.md  LICENSE  SHA256SUMS
# Its bytes depend only on the commit: files sorted, owner 0, every time stamp the commit's
# (SOURCE_DATE_EPOCH), gzip without a name or time.
source "$(dirname "${BASH_SOURCE[0]}")/build.sh"

package_name() { printf 'onetrans-%s-linux-%s\n' "$(release_version)" "$(arch_of "$1")"; }

# Lays out the package folder STAGE from the built binaries in BIN.
stage_package() {
    local bin=$1 stage=$2
    rm -rf "$stage"
    mkdir -p "$stage/lib" "$stage/bin" "$stage/include" "$stage/examples"
    install -m 0755 "$bin/libonetrans.so" "$stage/lib/"
    install -m 0755 "$bin/onetrans" "$bin/onetrans-portal" "$stage/bin/"
    install -m 0644 include/onetrans.h "$stage/include/"
    install -m 0644 c_examples/example.c "$stage/examples/"
    install -m 0644 OneTrans.ini.sample README.md CHANGELOG.md LICENSE "$stage/"
    # The Java binding (issue 15): one jar for every platform, built reproducibly once.
    mkdir -p "$stage/java"
    install -m 0644 "$(java_jar)" "$stage/java/onetrans.jar"
    (cd "$stage" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort |
        xargs sha256sum >SHA256SUMS)
}

# The Java binding's jar (java/build.sh), built with the commit's time in it (a few seconds).
java_jar() {
    local out=$RELEASE_TARGET_DIR/java
    ONETRANS_JAVA_OUT=$out SOURCE_DATE_EPOCH=$(source_date_epoch) java/build.sh >&2
    printf '%s\n' "$out/onetrans.jar"
}

# Writes STAGE (one folder) as a reproducible .tar.gz: archive_folder STAGE ARCHIVE
archive_folder() {
    local stage=$1 archive=$2
    tar --sort=name --mtime="@$(source_date_epoch)" --owner=0 --group=0 --numeric-owner \
        --mode='u+rwX,go+rX,go-w' --format=gnu -C "$(dirname "$stage")" -cf - "$(basename "$stage")" |
        gzip -9 -n >"$archive"
}

package() {
    local target=$1 name bin stage
    name=$(package_name "$target")
    bin=$RELEASE_TARGET_DIR/shipped/$target
    timed "build $target" build_linux_binaries "$target" "$REPO" "$RELEASE_TARGET_DIR" "$bin"
    stage=$RELEASE_TARGET_DIR/stage/$name
    stage_package "$bin" "$stage"
    mkdir -p dist
    archive_folder "$stage" "dist/$name.tar.gz"
    log "dist/$name.tar.gz: $(stat -c %s "dist/$name.tar.gz") bytes; needs glibc $(glibc_floor "$stage"/lib/* "$stage"/bin/*) or later"
}

# The glibc versions the binaries require (their version references, `objdump -p`: every
# GLIBC_* name the dynamic loader checks, also those no listed symbol shows), one a line,
# without the GLIBC_ prefix; a non-numeric one (GLIBC_PRIVATE, GLIBC_ABI_DT_RELR) as it is.
glibc_versions() {
    LC_ALL=C objdump -p "$@" | awk '/^Version References:/ { refs = 1; next }
        refs && /^[^ ]/ { refs = 0 } refs && $NF ~ /^GLIBC_/ { print $NF }' |
        sed 's/^GLIBC_\([0-9][0-9.]*\)$/\1/' | sort -Vu
}

# The newest glibc the binaries need: the oldest glibc they run on.
glibc_floor() { glibc_versions "$@" | tail -n1; }

# Each binary needs at most glibc GLIBC_FLOOR (lib.sh): prints what a binary needs beyond it.
expect_glibc_floor() {
    local file bad=0 version
    for file in "$@"; do
        while IFS= read -r version; do
            if ! [[ $version =~ ^[0-9.]+$ ]] ||
                [ "$(printf '%s\n%s\n' "$version" "$GLIBC_FLOOR" | sort -V | tail -n1)" != "$GLIBC_FLOOR" ]; then
                printf '%s needs %s (more than glibc %s)\n' "$(basename "$file")" "$version" "$GLIBC_FLOOR"
                bad=1
            fi
        done < <(glibc_versions "$file")
        [ -n "$(glibc_versions "$file")" ] || { printf '%s: no glibc version found\n' "$file"; bad=1; }
    done
    ((bad == 0))
}

# --- the unpack-and-run test -----------------------------------------------------------------

PASSED=0
FAILED=0
PORTAL_PID=
WORK=
PKG_ENV=() # NAME=VALUE settings for in_package (the C example's LD_LIBRARY_PATH)

cleanup() {
    local status=$?
    if [ -n "$PORTAL_PID" ]; then
        # $! is the subshell run_pkg runs in; the simulator (or qemu) is its child.
        pkill -TERM -P "$PORTAL_PID" 2>/dev/null || true
        kill "$PORTAL_PID" 2>/dev/null || true
        wait "$PORTAL_PID" 2>/dev/null || true
    fi
    [ -z "$WORK" ] || [ -n "${ONETRANS_KEEP_WORK:-}" ] || rm -rf "$WORK"
    exit "$status"
}

# One check: check WHAT COMMAND...; prints ok/FAIL and its output on failure. (The command runs
# in an `if`, where bash ignores set -e: the check functions return 1 themselves.)
check() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then
        PASSED=$((PASSED + 1))
        printf 'ok   %s\n' "$what"
    else
        FAILED=$((FAILED + 1))
        printf 'FAIL %s\n%s\n' "$what" "$out" | head -n 60
    fi
}

# Runs a program of the package from the package folder, with an environment that knows nothing
# of the build: no cargo, no ONETRANS_* settings, HOME in the work folder.
in_package() {
    (cd "$PKG" && exec env -i PATH=/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8 TMPDIR="$WORK" \
        "${PKG_ENV[@]}" "$@")
}

# A port on 127.0.0.1 where nothing listens (bound, then released).
closed_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the package's own onetrans-portal (under qemu for aarch64) and sets PORTAL_URL.
start_portal() {
    local i
    run_pkg "$1" bin/onetrans-portal --port 0 >"$WORK/portal.log" 2>&1 &
    PORTAL_PID=$!
    for i in $(seq 1 300); do
        PORTAL_URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$WORK/portal.log")
        [ -n "$PORTAL_URL" ] && return 0
        kill -0 "$PORTAL_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$WORK/portal.log" >&2
    die "the package's onetrans-portal did not start"
}

# Runs a program of the package: natively, or under qemu with the cross libc.
run_pkg() {
    local target=$1
    shift
    case $target in
        aarch64-unknown-linux-gnu) in_package qemu-aarch64 -L "$AARCH64_SYSROOT" "$@" ;;
        *) in_package "$@" ;;
    esac
}

expect_version() {
    local out
    out=$(run_pkg "$1" bin/onetrans --version) || return 1
    printf '%s\n' "$out"
    [ "$out" = "onetrans $(release_version)" ]
}

expect_call_ok() {
    local target=$1 out
    printf '{"data":{"serverAddr":"%s/api/amp/hos/pushMsg","appId":"zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN","appKey":"St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM","timestamp":"","medOrgOrd":"PKG-%s","orderStatus":"MERCHANT_PAID","orgCode":"H46040100001","patientName":"周大鹏","idType":"02","idNo":"460029196507081627","pushType":"HOSPITAL_PAYMENT","amt":12.50},"orgId":"H46010000000"}' \
        "$PORTAL_URL" "$RANDOM$RANDOM" >"$PKG/input.json"
    out=$(run_pkg "$target" bin/onetrans call input.json) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    [[ $(printf '%s\n' "$out" | tail -n1) == *": 000000" ]]
}

# No RPATH/RUNPATH: the library and the tools find nothing through paths of the build.
expect_no_rpath() {
    ! LC_ALL=C readelf -d "$PKG"/lib/* "$PKG"/bin/* | grep -E 'RPATH|RUNPATH'
}

# The C example, compiled against the package's header and library, run against the portal.
expect_c_example() {
    local target=$1 cc=gcc prefix
    prefix=$(gnu_prefix "$target")
    cc=${prefix}gcc
    in_package "$(command -v "$cc")" -Wall -Wextra -Werror -Iinclude examples/example.c \
        -Llib -lonetrans -lpthread -o example || return 1
    PKG_ENV=("LD_LIBRARY_PATH=$PKG/lib")
    run_pkg "$target" ./example "$PORTAL_URL" "http://127.0.0.1:$(closed_port)" >"$WORK/example.out" || true
    PKG_ENV=()
    cat "$WORK/example.out"
    grep -q ' passed, 0 failed' "$WORK/example.out"
}

test_package() {
    local target=$1 name archive
    name=$(package_name "$target")
    archive=$REPO/dist/$name.tar.gz
    [ -f "$archive" ] || die "$archive is missing (scripts/release/linux.sh package $target)"
    trap cleanup EXIT
    WORK=$(mktemp -d /tmp/onetrans-unpack.XXXXXX)
    mkdir -p "$WORK/home"
    tar -xzf "$archive" -C "$WORK"
    PKG=$WORK/$name
    [ -d "$PKG" ] || die "$archive does not hold one folder $name/"
    log "testing $name from $PKG"
    check "$name: SHA256SUMS" in_package sha256sum --quiet -c SHA256SUMS
    check "$name: no RPATH/RUNPATH" expect_no_rpath
    check "$name: needs glibc $GLIBC_FLOOR at most ($(glibc_floor "$PKG"/lib/* "$PKG"/bin/*))" \
        expect_glibc_floor "$PKG"/lib/* "$PKG"/bin/*
    check "$name: onetrans --version" expect_version "$target"
    start_portal "$target"
    check "$name: onetrans call against the package's onetrans-portal ($PORTAL_URL)" \
        expect_call_ok "$target"
    check "$name: onetrans demo --lib lib/libonetrans.so" run_pkg "$target" bin/onetrans demo --lib lib/libonetrans.so
    check "$name: examples/example.c against lib/ and include/" expect_c_example "$target"
    printf 'release %s: %d passed, %d failed\n' "$name" "$PASSED" "$FAILED"
    ((FAILED == 0))
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    case ${1:-} in
        package) (($# == 2)) || die "usage: $0 package TARGET"; package "$2" ;;
        test) (($# == 2)) || die "usage: $0 test TARGET"; test_package "$2" ;;
        binaries) (($# == 3)) || die "usage: $0 binaries TARGET OUT"
            build_linux_binaries "$2" "$REPO" "$RELEASE_TARGET_DIR" "$3" ;;
        *) die "usage: $0 package|test TARGET, or $0 binaries TARGET OUT" ;;
    esac
fi
