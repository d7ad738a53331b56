#!/usr/bin/env bash
# Step 3 of scripts/windows.sh: tests the DLLs of dist/ under Wine the way a hospital program
# loads them (64-bit Wine on the machine, 32-bit Wine in the i386 chroot), against the portal
# simulator on 127.0.0.1: windows/test_client.c, the examples linked both ways, and the panic
# probe; and, in a network namespace whose resolver never answers, an unload during a DNS
# lookup. Ends with "windows: N passed, M failed".
#
#   scripts/windows/test.sh         (scripts/windows.sh test also sets up and builds if needed)
#
# Needs dist/ (build.sh) and Wine (setup.sh); skips loudly what cannot be done here, or fails
# where required (see lib.sh, ONETRANS_WINDOWS).
WINDOWS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$WINDOWS_DIR/lib.sh"
source "$WINDOWS_DIR/build.sh" # windows_cargo_build, for the panic probe

PUSH_MSG=/api/amp/hos/pushMsg

# Builds the panic probe (windows/panic-probe: not shipped, for the tests) like the DLL.
build_probe() {
    windows_cargo_build "$1" --manifest-path windows/panic-probe/Cargo.toml
}

# Starts the portal simulator (a Linux program) on 127.0.0.1; sets PORTAL_URL.
# The SM2 application of the Wine tests (windows/test_client.c has the client's private key and
# the portal's public key of the same spec vectors, vectors.json -> sm2.keys).
SM2_APP_ID=SM2WINETESTAPP0000000000000000AB
SM2_APP_KEY=Sm2WineTestKey0Sm2WineTestKey0AB
SM2_CLIENT_PUB=0444B4B876E7C2FBD2932391323431C0EDADDE62218647AF639564C633AD357AFE18B4BE1BA4354D114EF9347FB5F698A5A3D5E7BFE1C476A2082FE89F7C6C4F94
SM2_PORTAL_PRV=20719101D4A830E974FA9FC1FF978F8B69C2C2129224D002726AF78C26E9FD76

start_portal() {
    local bin out i
    (
        source scripts/env.sh
        cargo build --locked -q -p onetrans-portal --bin onetrans-portal
    )
    bin=$(source scripts/env.sh && printf '%s' "$CARGO_TARGET_DIR/debug/onetrans-portal")
    out=$WORK/portal.out
    # An SM2 application too (spec section 11), with the spec's vector keys: the institution's
    # public key and the portal's own private key, so that the client knows serverPubKey.
    "$bin" --port 0 --app "$SM2_APP_ID=$SM2_APP_KEY,sm2:$SM2_CLIENT_PUB,portalPrv:$SM2_PORTAL_PRV" \
        >"$out" 2>&1 &
    PORTAL_PID=$!
    for i in $(seq 1 100); do
        PORTAL_URL=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$out" | head -n1 || true)
        [ -n "$PORTAL_URL" ] && break
        kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$out" >&2; die "the portal simulator did not start"; }
        sleep 0.1
    done
    [ -n "$PORTAL_URL" ] || die "the portal simulator printed no address"
    log "portal simulator at $PORTAL_URL (pid $PORTAL_PID)"
}

# Compiles the test client and the examples for an arch into a folder, beside a copy of the
# DLL and of the shipped OneTrans.ini (so the tests also prove that the shipped INI reads).
prepare_arch() {
    local target=$1 dir=$2 cc
    cc="$(mingw "$target")-gcc"
    mkdir -p "$dir"
    cp dist/"$(arch_dir "$target")"/OneTrans.dll dist/OneTrans.ini "$dir/"
    cp "$WIN_TARGET_DIR/$target/release/onetrans_panic_probe.dll" "$dir/"
    local flags=(-static -Wall -Wextra -Werror -O2)
    "$cc" "${flags[@]}" -o "$dir/onetrans_test.exe" windows/test_client.c -lws2_32 -lversion
    "$cc" "${flags[@]}" -o "$dir/loadlibrary.exe" windows/examples/loadlibrary.c
    # The header and the import libraries, as a C/C++ project that links uses them.
    "$cc" "${flags[@]}" -Idist/include -o "$dir/link_dll_a.exe" windows/examples/link.c \
        -Ldist/"$(arch_dir "$target")" -lOneTrans
    if [ -e dist/"$(arch_dir "$target")"/OneTrans.lib ]; then
        "$cc" "${flags[@]}" -Idist/include -o "$dir/link_lib.exe" windows/examples/link.c \
            dist/"$(arch_dir "$target")"/OneTrans.lib
    fi
}

# Runs a command with its output in $WORK/<label>.log, line ends made Unix; sets CAPTURED to that
# file and CAPTURED_STATUS to the exit status. To a file, not a pipe: the wineserver a program
# starts would hold a pipe open.
# capture LABEL COMMAND...
capture() {
    local label=$1
    shift
    CAPTURED=$WORK/$(tr -c 'A-Za-z0-9\n' _ <<<"$label").log
    set +e
    "$@" >"$CAPTURED" 2>&1
    CAPTURED_STATUS=$?
    set -e
    sed -i 's/\r$//' "$CAPTURED"
}

# Runs one Wine program, shows its output, and adds its "N passed, M failed" to the totals.
# run_client LABEL RUNNER [ENV=VALUE...] EXE ARGS...
run_client() {
    local label=$1 out status summary p f
    shift
    capture "$label" "$@"
    out=$CAPTURED status=$CAPTURED_STATUS
    sed 's/^/    /' "$out"
    # The library's panic hook is silent: no panic message may ever reach the host's output.
    if grep -q 'panicked' "$out"; then
        echo "    FAIL $label: a panic message was printed"
        FAILED=$((FAILED + 1))
    fi
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n1 || true)
    if [ -n "$summary" ]; then
        read -r p _ f _ <<<"$summary"
        PASSED=$((PASSED + p))
        FAILED=$((FAILED + f))
    fi
    if ((status != 0)) && { [ -z "$summary" ] || [ "${f:-0}" = 0 ]; }; then
        echo "    FAIL $label: exit status $status"
        FAILED=$((FAILED + 1))
    fi
}

# Runs an example; one check: it exits 0 (its call returned 000000, business code 0).
run_example() {
    local label=$1 out status
    shift
    capture "$label" "$@"
    out=$CAPTURED status=$CAPTURED_STATUS
    if ((status == 0)); then
        PASSED=$((PASSED + 1))
        echo "    ok   $label"
    else
        FAILED=$((FAILED + 1))
        echo "    FAIL $label (exit $status):"
        sed 's/^/      /' "$out"
    fi
}

# A zh_CN.UTF-8 locale compiled into DIR (for LOCPATH), so that Wine's ANSI code page is 936.
# make_locale RUNNER DIR: RUNNER runs commands on the machine or in the chroot.
make_locale() {
    local runner=$1 dir=$2
    "$runner" sh -c "[ -e '$dir/zh_CN.UTF-8/LC_CTYPE' ] || { mkdir -p '$dir' &&
        localedef -i zh_CN -f UTF-8 '$dir/zh_CN.UTF-8' >/dev/null 2>&1;
        [ -e '$dir/zh_CN.UTF-8/LC_CTYPE' ]; }"
}

# Whether this machine can make the namespace of no_dns_answer; if not, says why on stdout.
can_make_dns_namespace() {
    command -v unshare >/dev/null && command -v ip >/dev/null ||
        { echo "unshare(1) or ip(8) is missing (util-linux, iproute2)"; return 1; }
    command -v perl >/dev/null || { echo "perl is missing (the resolver that never answers)"; return 1; }
    unshare --net --mount -- ip link set lo up 2>/dev/null ||
        { echo "no network namespaces here (unshare --net --mount needs root or CAP_SYS_ADMIN)"; return 1; }
}

# Runs a Wine command in a network and mount namespace of its own (as tests/fault_matrix.rs
# does on Linux): its only interface is lo, its /etc/resolv.conf names 127.0.0.1, and there a
# resolver reads every query and never answers. ETC_ROOT is the root whose /etc the runner's
# programs read ("" for the machine, the chroot for 32-bit Wine); STOP stops the runner's
# wineserver. The wineserver is stopped before and started inside (it makes the programs'
# sockets), then stopped there again, so that no Wine process outside ever uses it.
# no_dns_answer ETC_ROOT STOP RUNNER COMMAND...
no_dns_answer() {
    local etc=$1 stop=$2
    shift 2
    mkdir -p "$WORK/dns"
    printf 'nameserver 127.0.0.1\n' >"$WORK/dns/resolv.conf"
    printf '127.0.0.1 localhost\n' >"$WORK/dns/hosts"
    printf 'hosts: files dns\n' >"$WORK/dns/nsswitch.conf"
    "$stop"
    unshare --net --mount -- bash -c "$(declare -f wine_env run_wine64 run_wine32 \
        wine64_server_stop wine32_server_stop no_dns_answer_inside)
        $(declare -p WINE64_PREFIX WINE32_ROOT WINE32_PREFIX WINE_TIMEOUT)
        no_dns_answer_inside \"\$@\"" no_dns_answer "$WORK/dns" "$etc" "$stop" "$@"
}

# The inside of no_dns_answer (in the new namespaces): no_dns_answer_inside DNS_DIR ETC_ROOT
# STOP COMMAND...
no_dns_answer_inside() {
    local dns=$1 etc=$2 stop=$3 name resolver status=0 i
    shift 3
    ip link set lo up || return 1
    for name in resolv.conf hosts nsswitch.conf; do
        # A file the root lacks is not read either (no resolv.conf: glibc asks 127.0.0.1).
        if [ -e "$etc/etc/$name" ]; then
            mount --bind "$dns/$name" "$etc/etc/$name" || return 1
        fi
    done
    perl -MSocket -e 'socket(my $s, PF_INET, SOCK_DGRAM, 0) or die "socket: $!\n";
        bind($s, pack_sockaddr_in(53, inet_aton("127.0.0.1"))) or die "bind 127.0.0.1:53: $!\n";
        $| = 1; print "ready\n";
        1 while defined recv($s, my $query, 4096, 0);' >"$dns/resolver.out" &
    resolver=$!
    for i in $(seq 1 50); do
        grep -q ready "$dns/resolver.out" 2>/dev/null && break
        kill -0 "$resolver" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q ready "$dns/resolver.out" 2>/dev/null; then
        echo "the resolver on 127.0.0.1:53 did not start"
        return 1
    fi
    echo "     (network namespace: lo only; resolver on 127.0.0.1:53 that never answers)"
    "$@" || status=$?
    "$stop"
    kill "$resolver" 2>/dev/null || true
    wait "$resolver" 2>/dev/null || true
    return "$status"
}

# The tests of one arch: test_arch TARGET RUNNER DIR LOCALE_DIR ETC_ROOT. RUNNER runs a Wine
# command (run_wine64 or run_wine32); DIR is the test folder and LOCALE_DIR the folder for the
# zh_CN locale, both as the runner sees them; ETC_ROOT is where the runner's /etc is ("" or
# the chroot).
test_arch() {
    local target=$1 runner=$2 dir=$3 locale_dir=$4 etc_root=$5 arch bits url=$PORTAL_URL$PUSH_MSG
    local why
    arch=$(arch_dir "$target")
    bits=$([ "$arch" = x86 ] && echo 32 || echo 64)
    log "testing $arch/OneTrans.dll under ${bits}-bit Wine"
    run_client "$arch main" "$runner" wine "$dir/onetrans_test.exe" main "$PORTAL_URL"
    run_client "$arch codes" "$runner" wine "$dir/onetrans_test.exe" codes "$PORTAL_URL"
    run_client "$arch timeout" "$runner" env ONETRANS_READ_TIMEOUT_MS=1000 \
        wine "$dir/onetrans_test.exe" timeout "$PORTAL_URL"
    run_client "$arch folder" "$runner" wine "$dir/onetrans_test.exe" folder "$PORTAL_URL"
    run_client "$arch badini" "$runner" wine "$dir/onetrans_test.exe" badini "$PORTAL_URL"
    run_client "$arch panic" "$runner" wine "$dir/onetrans_test.exe" panic "$PORTAL_URL"
    if make_locale "$runner" "$locale_dir"; then
        run_client "$arch acp936" "$runner" env LOCPATH="$locale_dir" LC_ALL=zh_CN.UTF-8 \
            LANG=zh_CN.UTF-8 wine "$dir/onetrans_test.exe" acp936 "$PORTAL_URL"
    else
        skip_part "$arch CODE PAGE 936 TEST" "no zh_CN.UTF-8 locale could be made (package locales)"
    fi
    run_example "$arch examples/loadlibrary.c" "$runner" wine "$dir/loadlibrary.exe" "$url"
    run_example "$arch examples/link.c + libOneTrans.dll.a" "$runner" wine "$dir/link_dll_a.exe" "$url"
    if [ -e "$WORK/$arch/link_lib.exe" ]; then
        run_example "$arch examples/link.c + OneTrans.lib" "$runner" wine "$dir/link_lib.exe" "$url"
    fi
    # Last: it stops the wineserver and runs its own in the namespace.
    if why=$(can_make_dns_namespace); then
        run_client "$arch unload" no_dns_answer "$etc_root" "${runner/run_/}_server_stop" "$runner" \
            env ONETRANS_CONNECT_TIMEOUT_MS=1000 wine "$dir/onetrans_test.exe" unload "$PORTAL_URL"
    else
        skip_part "$arch UNLOAD DURING A DNS LOOKUP TEST" "$why"
    fi
}

# Whether Wine for a part is set up (by setup.sh); if not, and setup.sh did not say why in this
# run, says so: wine_ready PART FILE.
wine_ready() {
    [ -e "$2" ] && return 0
    skipped "$1" || skip_part "$1" "Wine is not set up here ($2 is missing): run scripts/windows/setup.sh"
    return 1
}

# The 64-bit tests, when the set-up made a 64-bit Wine prefix.
test_x64() {
    local target=x86_64-win7-windows-gnu
    wine_ready "64-BIT TESTS" "$WINE64_PREFIX/system.reg" || return 0
    prepare_arch "$target" "$WORK/x64"
    test_arch "$target" run_wine64 "$WORK/x64" "$WIN_TARGET_DIR/locale" ""
    wine64_server_stop
}

# The 32-bit tests, when the set-up made the i386 chroot.
test_x86() {
    local target=i686-win7-windows-gnu
    wine_ready "32-BIT TESTS" "$WINE32_READY" || return 0
    prepare_arch "$target" "$WORK/x86"
    chroot_mount
    mkdir -p "$WINE32_ROOT/work"
    mount --bind "$WORK" "$WINE32_ROOT/work"
    test_arch "$target" run_wine32 /work/x86 /root/locale "$WINE32_ROOT"
    wine32_server_stop
    chroot_unmount
}

run_tests() {
    WORK=$(mktemp -d /tmp/onetrans-windows.XXXXXX)
    chmod 755 "$WORK"
    start_portal
    timed "tests, 64-bit Wine" test_x64
    timed "tests, 32-bit Wine" test_x86
}

# The step (for windows_run): the panic probes, then the tests of dist/'s DLLs; windows_run
# prints their totals.
step_test() {
    local target
    require_host_tools
    [ -e dist/x86/OneTrans.dll ] && [ -e dist/x64/OneTrans.dll ] ||
        die "dist/ has no DLLs to test: run scripts/windows/build.sh first"
    for target in "${TARGETS[@]}"; do
        timed "build the panic probe, $target" build_probe "$target"
    done
    TESTED=1
    run_tests
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    (($# == 0)) || die "usage: $0 (no arguments)"
    windows_run step_test
fi
