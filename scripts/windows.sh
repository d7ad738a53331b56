#!/usr/bin/env bash
# The Windows target: builds OneTrans.dll for 32-bit (i686) and 64-bit (x86_64) Windows on this
# Linux machine, lays out dist/ as an integrator receives it, checks the DLLs (exports, imports,
# size) and tests them under Wine the way a hospital program loads them: 64-bit Wine on the
# machine, 32-bit Wine in an i386 chroot.
#
#   scripts/windows.sh [all|setup|build|test]      (default: all = setup + build + test)
#
# Idempotent: installs only what is missing (Debian packages, the i386 chroot, made once and
# reused), rebuilds incrementally, and unmounts whatever it mounted, also on failure.
#
# Where Wine cannot be set up (not Debian on x86_64, not root, no package registry...), the
# Windows build and tests are SKIPPED with a loud message saying why, and the script exits 0.
# On the project's own machines (Debian 12, amd64, root) a failure to set up is an error.
#
# Environment:
#   ONETRANS_WINDOWS=auto|require|skip   auto (default): required on the project's machines,
#                                        skipped loudly elsewhere; require: never skip; skip: skip
#   ONETRANS_WINDOWS_TARGET_DIR          cargo's target dir for the Windows builds
#                                        (default /var/cache/onetrans-target-windows)
#   ONETRANS_WINE32_ROOT                 the i386 chroot (default /var/cache/onetrans-wine32)
#
# See windows/README.md for what the DLLs are and how to call them.
set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "$0")/.."
REPO=$PWD

TARGETS=(i686-win7-windows-gnu x86_64-win7-windows-gnu)
# The exports every DLL must have under plain, undecorated names.
EXPORTS=(MobileTrans MobileTransEx MobileTransW OneTransLastOutput OneTransLastOutputW OneTransVersion)
# Exported too, though not part of the API: the DLL's entry point (src/platform.rs), which closes
# the pooled connections on FreeLibrary. rustc exports every #[no_mangle] function of a cdylib;
# it is not in the header, the .def or the import libraries.
ENTRY_POINT=DllMain
# DLLs a Windows 7 machine has (compared case-insensitively). Nothing from mingw (libgcc,
# libwinpthread), no api-ms-win-* sets, nothing newer than Windows 7 (e.g. bcryptprimitives).
ALLOWED_IMPORTS=(kernel32.dll advapi32.dll bcrypt.dll msvcrt.dll ntdll.dll ws2_32.dll
    userenv.dll crypt32.dll ncrypt.dll secur32.dll shell32.dll ole32.dll oleaut32.dll user32.dll)
HOST_PACKAGES=(rustc-web cargo-web rust-web-src gcc-mingw-w64-i686-win32
    gcc-mingw-w64-x86-64-win32 wine wine64 debootstrap locales)
# In the i386 chroot; locales: a zh_CN locale, for Wine's ANSI code page 936.
WINE32_PACKAGES=(wine wine32 locales)

WIN_TARGET_DIR=${ONETRANS_WINDOWS_TARGET_DIR:-/var/cache/onetrans-target-windows}
if ! mkdir -p "$WIN_TARGET_DIR" 2>/dev/null || [ ! -w "$WIN_TARGET_DIR" ]; then
    WIN_TARGET_DIR=$REPO/target/windows # like scripts/env.sh: /var/cache when writable
fi
WINE32_ROOT=${ONETRANS_WINE32_ROOT:-/var/cache/onetrans-wine32}
WINE64_PREFIX=$WIN_TARGET_DIR/wine64-prefix
WINE32_PREFIX=/root/.wine-onetrans # inside the chroot
MODE=${ONETRANS_WINDOWS:-auto}
WINE_TIMEOUT=300 # seconds for any one Wine command
DEBIAN_RUSTC=/usr/bin/rustc
DEBIAN_CARGO=/usr/bin/cargo
STD_SRC=/usr/lib/rustlib/src/rust/library

REQUIRED=0        # 1: a failure to set up Wine fails the script
SKIPPED=()        # reasons for the parts that were skipped
TIMES=()          # "what: N s" lines for the summary
PASSED=0
FAILED=0
PORTAL_PID=
WORK=

# --- small helpers ---------------------------------------------------------------------------

log() { printf '==> windows: %s\n' "$*"; }
die() { printf 'windows: ERROR: %s\n' "$*" >&2; exit 1; }

# Prints the loud banner for a skipped part.
banner() {
    local line='############################################################################'
    printf '\n%s\n# WINDOWS %s SKIPPED: %s\n' "$line" "$1" "$2"
    printf '# (set ONETRANS_WINDOWS=require to make this an error)\n%s\n\n' "$line"
}

# The whole Windows target cannot be done here: skip (loudly) or, where required, fail.
skip_all() {
    if ((REQUIRED)); then
        die "$1 (required on this machine: Debian amd64 as root, or ONETRANS_WINDOWS=require)"
    fi
    banner "BUILD AND TESTS" "$1"
    exit 0
}

# One part (e.g. 32-bit Wine) cannot be done here: skip (loudly) or, where required, fail.
skip_part() {
    if ((REQUIRED)); then
        die "$2"
    fi
    banner "$1" "$2"
    SKIPPED+=("$1: $2")
}

# Runs "$@" and records how long it took under the name $1 (the rest is the command).
timed() {
    local what=$1 start=$SECONDS
    shift
    "$@"
    TIMES+=("$what: $((SECONDS - start)) s")
}

# --- what this machine is --------------------------------------------------------------------

# Sets REQUIRED, or skips the whole target when it cannot be done here.
decide() {
    case $MODE in
        skip) skip_all "ONETRANS_WINDOWS=skip was set" ;;
        require) REQUIRED=1 ;;
        auto)
            if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && [ -r /etc/debian_version ] &&
                [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
                REQUIRED=1
            fi
            ;;
        *) die "ONETRANS_WINDOWS must be auto, require or skip, not '$MODE'" ;;
    esac
    [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
        skip_all "this is $(uname -s) on $(uname -m); the cross build needs x86_64 Linux"
}

# --- set-up ----------------------------------------------------------------------------------

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
    [ -x "$DEBIAN_RUSTC" ] && [ -x "$DEBIAN_CARGO" ] && [ -d "$STD_SRC" ] ||
        skip_all "Debian's rustc-web/cargo-web/rust-web-src are not at $DEBIAN_RUSTC, $DEBIAN_CARGO, $STD_SRC"
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

# Mounts what wine needs inside the chroot (/proc, /dev); chroot_unmount undoes it.
chroot_mount() {
    mountpoint -q "$WINE32_ROOT/proc" || mount -t proc proc "$WINE32_ROOT/proc"
    if ! mountpoint -q "$WINE32_ROOT/dev"; then
        mount --rbind /dev "$WINE32_ROOT/dev"
        mount --make-rslave "$WINE32_ROOT/dev"
    fi
}

# Unmounts everything under the chroot (safe to call any number of times).
chroot_unmount() {
    [ -d "$WINE32_ROOT" ] || return 0
    local m
    for m in "$WINE32_ROOT/work" "$WINE32_ROOT/dev" "$WINE32_ROOT/proc"; do
        if mountpoint -q "$m" 2>/dev/null; then
            umount -R "$m" 2>/dev/null || umount -R -l "$m" || true
        fi
    done
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
    local marker=$WINE32_ROOT/.onetrans-wine32-ready missing
    if [ "$(id -u)" != 0 ]; then
        skip_part "32-BIT TESTS" "32-bit Wine runs in an i386 chroot, which needs root (mount, chroot)"
        return 1
    fi
    if [ -e "$marker" ]; then
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
    touch "$marker"
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

# --- Wine ------------------------------------------------------------------------------------

# The environment of every Wine process: headless, quiet, no Mono/Gecko installers, and none of
# the caller's ONETRANS_* settings.
wine_env() {
    local name
    # env wants its -u options before any NAME=VALUE.
    printf '%s\n' -u DISPLAY -u WAYLAND_DISPLAY
    for name in $(compgen -e | grep '^ONETRANS_' || true); do
        printf '%s\n' -u "$name"
    done
    printf '%s\n' WINEDEBUG=-all 'WINEDLLOVERRIDES=mscoree,mshtml='
}

# Runs a command with the 64-bit Wine of this machine: run_wine64 CMD ARGS...
run_wine64() {
    local env_args
    mapfile -t env_args < <(wine_env)
    timeout -k 10 "$WINE_TIMEOUT" env "${env_args[@]}" WINEPREFIX="$WINE64_PREFIX" WINEARCH=win64 "$@"
}

# Waits for the prefix's wineserver to save the registry and exit (kills it after a minute).
wine64_server_stop() {
    run_wine64 timeout 60 wineserver -w >/dev/null 2>&1 || run_wine64 wineserver -k >/dev/null 2>&1 || true
}

# Runs a command inside the i386 chroot with its 32-bit Wine: run_wine32 CMD ARGS...
run_wine32() {
    local env_args
    mapfile -t env_args < <(wine_env)
    timeout -k 10 "$WINE_TIMEOUT" chroot "$WINE32_ROOT" /usr/bin/env "${env_args[@]}" HOME=/root \
        WINEPREFIX="$WINE32_PREFIX" WINEARCH=win32 LANG=C.UTF-8 "$@"
}

wine32_server_stop() {
    run_wine32 timeout 60 wineserver -w >/dev/null 2>&1 || run_wine32 wineserver -k >/dev/null 2>&1 || true
}

# --- build -----------------------------------------------------------------------------------

# mingw's tool prefix for a Rust target: i686-w64-mingw32 or x86_64-w64-mingw32.
mingw() { printf '%s-w64-mingw32\n' "${1%%-*}"; }

# dist/ folder name for a Rust target: x86 or x64.
arch_dir() { case $1 in i686-*) echo x86 ;; *) echo x64 ;; esac; }

# Runs Debian's cargo/rustc (the same version as the std sources) with the unstable features
# allowed, for this one command only: rustup's toolchain and the Linux builds never see them.
debian_rust() {
    env -u RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u RUSTC_WRAPPER \
        RUSTC_BOOTSTRAP=1 RUSTC="$DEBIAN_RUSTC" PATH="/usr/bin:$PATH" "$@"
}

# rsbegin.o and rsend.o for a target (build-std does not make them; the *-windows-gnu link needs
# them), compiled from the std sources of the same compiler, once per compiler version.
rtstartup() {
    local target=$1 dir=$WIN_TARGET_DIR/rtstartup/$1 version obj
    version=$("$DEBIAN_RUSTC" --version)
    if [ "$(cat "$dir/version" 2>/dev/null)" != "$version" ]; then
        mkdir -p "$dir"
        for obj in rsbegin rsend; do
            debian_rust "$DEBIAN_RUSTC" --target "$target" --emit=obj -C opt-level=2 \
                -o "$dir/$obj.o" "$STD_SRC/rtstartup/$obj.rs"
        done
        printf '%s\n' "$version" >"$dir/version"
    fi
    printf '%s\n' "$dir"
}

# Builds OneTrans.dll for one target in release mode; prints the DLL's path.
build_dll() {
    local target=$1 startup
    startup=$(rtstartup "$target")
    log "building OneTrans.dll for $target" >&2
    debian_rust CARGO_TARGET_DIR="$WIN_TARGET_DIR" "$DEBIAN_CARGO" build --release --locked \
        --lib -p onetrans --target "$target" --config windows/cargo.toml \
        --config "target.$target.rustflags = ['-L', 'native=$startup']" >&2
    printf '%s\n' "$WIN_TARGET_DIR/$target/release/onetrans.dll"
}

# Builds the panic probe (windows/panic-probe: not shipped, for the tests) like the DLL.
build_probe() {
    local target=$1 startup
    startup=$(rtstartup "$target")
    debian_rust CARGO_TARGET_DIR="$WIN_TARGET_DIR" "$DEBIAN_CARGO" build --release --locked \
        --manifest-path windows/panic-probe/Cargo.toml --target "$target" \
        --config windows/cargo.toml \
        --config "target.$target.rustflags = ['-L', 'native=$startup']" >&2
}

# --- what the DLL must export ------------------------------------------------------------------

# "NAME BYTES" for every function in include/onetrans.h (the header cbindgen generates from
# src/ffi.rs): BYTES is the size of its arguments on 32-bit Windows, the n of __stdcall's @n.
header_functions() {
    local line name params bytes p
    grep -E '^ONETRANS_CALL ' include/onetrans.h | while IFS= read -r line; do
        name=$(sed -E 's/^.*[ *]([A-Za-z_][A-Za-z0-9_]*)\(.*$/\1/' <<<"$line")
        params=$(sed -E 's/^[^(]*\((.*)\);.*$/\1/' <<<"$line")
        bytes=0
        if [ "$params" != void ]; then
            IFS=, read -ra parts <<<"$params"
            for p in "${parts[@]}"; do
                # Pointers and 32-bit integers are 4 bytes on i686; anything else needs thought.
                [[ $p == *'*'* || $p =~ (u?int32_t|int|unsigned) ]] ||
                    die "include/onetrans.h: $name takes '$p': not 4 bytes on i686?"
                bytes=$((bytes + 4))
            done
        fi
        printf '%s %s\n' "$name" "$bytes"
    done
}

# --- checks ------------------------------------------------------------------------------------

# Functions newer than Windows 7 that Rust crates are known to pull in (a DLL importing any of
# them fails to load on Windows 7 with "entry point not found").
NEWER_THAN_WIN7=(GetSystemTimePreciseAsFileTime WaitOnAddress WakeByAddressSingle
    WakeByAddressAll ProcessPrng SetThreadDescription GetThreadDescription CreateFile2 CopyFile2
    GetOverlappedResultEx GetCurrentThreadStackLimits PrefetchVirtualMemory
    SetDefaultDllDirectories AddDllDirectory RemoveDllDirectory GetTempPath2W
    GetSystemCpuSetInformation CreateRandomAccessStreamOnFile)

# Checks one DLL: its exports (plain names, exactly the header's functions), its imports (only
# DLLs that ship with Windows 7, none of the functions above) and prints its size.
check_dll() {
    local dll=$1 target=$2 dump exports imports dlls name dll_name bad=0
    dump=$("$(mingw "$target")-objdump" -p "$dll")
    exports=$(sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' <<<"$dump" |
        sed -nE 's/^\s*\[ *[0-9]+\] (.*)$/\1/p' | sort)
    local wanted
    wanted=$( (header_functions | cut -d' ' -f1; printf '%s\n' "${EXPORTS[@]}" "$ENTRY_POINT") | sort -u)
    if [ "$exports" != "$wanted" ]; then
        printf 'windows: %s exports:\n%s\nexpected exactly:\n%s\n' "$dll" "$exports" "$wanted" >&2
        bad=1
    fi
    if grep -qE '[@]|^_' <<<"$exports"; then
        echo "windows: $dll exports decorated names" >&2
        bad=1
    fi

    dlls=$(sed -nE 's/^\s*DLL Name: (.*)$/\1/p' <<<"$dump" | tr 'A-Z' 'a-z' | sort -u)
    for dll_name in $dlls; do
        if ! printf '%s\n' "${ALLOWED_IMPORTS[@]}" | grep -qxF "$dll_name"; then
            echo "windows: $dll imports $dll_name, which is not on the Windows 7 allow-list" >&2
            bad=1
        fi
    done
    imports=$(sed -n '/The Import Tables/,/The Export Tables/p' <<<"$dump" |
        sed -nE 's/^\s*[0-9a-f]+\s+[0-9]+\s+([A-Za-z_][A-Za-z0-9_]*)$/\1/p')
    for name in "${NEWER_THAN_WIN7[@]}"; do
        if grep -qxF "$name" <<<"$imports"; then
            echo "windows: $dll imports $name, which Windows 7 does not have" >&2
            bad=1
        fi
    done
    ((bad == 0)) || die "$dll failed its checks"
    log "$(arch_dir "$target")/OneTrans.dll: $(stat -c %s "$dll") bytes;" \
        "exports $(tr '\n' ' ' <<<"$exports"); imports $(tr '\n' ' ' <<<"$dlls")"
}

# --- dist/ -------------------------------------------------------------------------------------

# The .def of the DLL for an arch: plain names on x64; on x86 the __stdcall names (name@bytes),
# which `dlltool -k` / `llvm-dlltool -k` turn into an import library that links __stdcall callers
# (_MobileTrans@8) to the plain export (MobileTrans).
write_def() {
    local arch=$1 out=$2 name bytes
    {
        echo "; OneTrans.dll ($arch): the exports, for import libraries."
        if [ "$arch" = x86 ]; then
            echo "; __stdcall names: make an import library with dlltool -k or llvm-dlltool -k"
            echo "; (the DLL exports the plain names). MSVC users: link the OneTrans.lib beside it."
        fi
        echo 'LIBRARY "OneTrans.dll"'
        echo 'EXPORTS'
        header_functions | while read -r name bytes; do
            if [ "$arch" = x86 ]; then echo "    $name@$bytes"; else echo "    $name"; fi
        done
    } >"$out"
}

# llvm-dlltool (for the MSVC-style OneTrans.lib), any version; empty when there is none.
find_llvm_dlltool() {
    local c
    for c in llvm-dlltool $(compgen -c llvm-dlltool- | sort -rV) /usr/lib/llvm-*/bin/llvm-dlltool; do
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
}

# dist/ as an integrator receives it.
make_dist() {
    local dist=$REPO/dist target arch dir llvm_dlltool machine
    rm -rf "$dist"
    mkdir -p "$dist/include" "$dist/examples"
    llvm_dlltool=$(find_llvm_dlltool || true)
    for target in "${TARGETS[@]}"; do
        arch=$(arch_dir "$target")
        dir=$dist/$arch
        mkdir -p "$dir"
        cp "$WIN_TARGET_DIR/$target/release/onetrans.dll" "$dir/OneTrans.dll"
        write_def "$arch" "$dir/OneTrans.def"
        # The import library for mingw (GNU ld), and OneTrans.lib for MSVC (short import format).
        "$(mingw "$target")-dlltool" -k -d "$dir/OneTrans.def" -D OneTrans.dll -l "$dir/libOneTrans.dll.a"
        if [ -n "$llvm_dlltool" ]; then
            machine=$([ "$arch" = x86 ] && echo i386 || echo i386:x86-64)
            "$llvm_dlltool" -k -m "$machine" -d "$dir/OneTrans.def" -D OneTrans.dll -l "$dir/OneTrans.lib"
        fi
        check_dll "$dir/OneTrans.dll" "$target"
    done
    cp include/onetrans.h "$dist/include/"
    # Notepad on Windows 7 wants CRLF, and a BOM to read UTF-8 (the library skips the BOM).
    { printf '\xef\xbb\xbf'; sed 's/\r$//; s/$/\r/' OneTrans.ini.sample; } >"$dist/OneTrans.ini"
    cp windows/examples/*.c "$dist/examples/"
    cp windows/README.md "$dist/README.md"
    (cd "$dist" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum >SHA256SUMS)
    log "dist/ laid out:"
    (cd "$dist" && find . -type f -printf '  %P (%s bytes)\n' | sort)
}

# --- the tests under Wine ----------------------------------------------------------------------

# Starts the portal simulator (a Linux program) on 127.0.0.1; sets PORTAL_URL.
start_portal() {
    local bin out i
    (
        source scripts/env.sh
        cargo build --locked -q -p onetrans-portal --bin onetrans-portal
    )
    bin=$(source scripts/env.sh && printf '%s' "$CARGO_TARGET_DIR/debug/onetrans-portal")
    out=$WORK/portal.out
    "$bin" --port 0 >"$out" 2>&1 &
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
    "$cc" "${flags[@]}" -o "$dir/onetrans_test.exe" windows/test_client.c -lws2_32
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
    local dir=$2
    shift 2
    "$@" sh -c "[ -e '$dir/zh_CN.UTF-8/LC_CTYPE' ] || { mkdir -p '$dir' &&
        localedef -i zh_CN -f UTF-8 '$dir/zh_CN.UTF-8' >/dev/null 2>&1;
        [ -e '$dir/zh_CN.UTF-8/LC_CTYPE' ]; }"
}

# The tests of one arch: test_arch TARGET RUNNER DIR LOCALE_DIR. RUNNER runs a Wine command
# (run_wine64 or run_wine32); DIR is the test folder and LOCALE_DIR the folder for the zh_CN
# locale, both as the runner sees them.
test_arch() {
    local target=$1 runner=$2 dir=$3 locale_dir=$4 arch bits url=$PORTAL_URL$PUSH_MSG
    arch=$(arch_dir "$target")
    bits=$([ "$arch" = x86 ] && echo 32 || echo 64)
    log "testing $arch/OneTrans.dll under ${bits}-bit Wine"
    run_client "$arch main" "$runner" wine "$dir/onetrans_test.exe" main "$PORTAL_URL"
    run_client "$arch timeout" "$runner" env ONETRANS_READ_TIMEOUT_MS=1000 \
        wine "$dir/onetrans_test.exe" timeout "$PORTAL_URL"
    run_client "$arch folder" "$runner" wine "$dir/onetrans_test.exe" folder "$PORTAL_URL"
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
}

# The 64-bit tests, when the set-up made a 64-bit Wine prefix (else it said why not).
test_x64() {
    local target=x86_64-win7-windows-gnu
    [ -e "$WINE64_PREFIX/system.reg" ] || return 0
    prepare_arch "$target" "$WORK/x64"
    test_arch "$target" run_wine64 "$WORK/x64" "$WIN_TARGET_DIR/locale"
    wine64_server_stop
}

# The 32-bit tests, when the set-up made the i386 chroot (else it said why not).
test_x86() {
    local target=i686-win7-windows-gnu
    [ -e "$WINE32_ROOT/.onetrans-wine32-ready" ] || return 0
    prepare_arch "$target" "$WORK/x86"
    chroot_mount
    mkdir -p "$WINE32_ROOT/work"
    mount --bind "$WORK" "$WINE32_ROOT/work"
    test_arch "$target" run_wine32 /work/x86 /root/locale
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

# Stops and removes whatever this run started: the portal, the wineservers, the chroot's
# mounts, the work folder. Runs on every exit, also on failure or Ctrl-C.
cleanup() {
    local status=$?
    if [ -n "$PORTAL_PID" ]; then
        kill "$PORTAL_PID" 2>/dev/null || true
        wait "$PORTAL_PID" 2>/dev/null || true
    fi
    if [ -e "$WINE32_ROOT/.onetrans-wine32-ready" ] && mountpoint -q "$WINE32_ROOT/proc" 2>/dev/null; then
        run_wine32 wineserver -k >/dev/null 2>&1 || true
    fi
    chroot_unmount
    if [ -n "$WORK" ] && [ -z "${ONETRANS_KEEP_WORK:-}" ]; then
        rm -rf "$WORK"
    fi
    exit "$status"
}

# --- main ------------------------------------------------------------------------------------

summary() {
    local line
    log "timings:"
    for line in "${TIMES[@]}"; do printf '    %s\n' "$line"; done
    for line in "${SKIPPED[@]}"; do printf '    SKIPPED %s\n' "$line"; done
}

main() {
    local what=${1:-all} target
    case $what in all | setup | build | test) ;; *) die "usage: $0 [all|setup|build|test]" ;; esac
    decide
    mkdir -p "$WIN_TARGET_DIR"
    # One run at a time: the chroot's mounts and the Wine prefixes are shared.
    exec 9>"$WIN_TARGET_DIR/.lock"
    flock 9
    trap cleanup EXIT
    trap 'exit 130' INT TERM

    timed "set-up (packages)" setup_host
    if [ "$what" = setup ]; then
        timed "set-up (64-bit Wine prefix)" setup_wine64 || true
        timed "set-up (32-bit Wine chroot)" setup_wine32 || true
        summary
        return 0
    fi
    if [ "$what" != test ] || [ ! -e dist/x86/OneTrans.dll ]; then
        for target in "${TARGETS[@]}"; do
            timed "build $target" build_dll "$target" >/dev/null
        done
        make_dist
    fi
    if [ "$what" != build ]; then
        for target in "${TARGETS[@]}"; do
            timed "build the panic probe, $target" build_probe "$target"
        done
        timed "set-up (64-bit Wine prefix)" setup_wine64 || true
        timed "set-up (32-bit Wine chroot)" setup_wine32 || true
        run_tests
    fi
    summary
    if [ "$what" != build ]; then
        # The closing line, as every test runner of the suite prints it.
        printf 'windows: %d passed, %d failed\n' "$PASSED" "$FAILED"
        ((FAILED == 0)) || exit 1
        ((PASSED > 0)) || skip_all "no Windows test ran"
    fi
}

PUSH_MSG=/api/amp/hos/pushMsg
main "$@"
