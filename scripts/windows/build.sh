#!/usr/bin/env bash
# Step 2 of scripts/windows.sh: builds OneTrans.dll for 32-bit (i686) and 64-bit (x86_64)
# Windows 7 and later with Debian's rustc-web and -Z build-std, lays out dist/ as an integrator
# receives it, and checks both DLLs (machine, exports, imports: xtask check-dll).
#
#   scripts/windows/build.sh        (scripts/windows.sh build also runs the packages' set-up)
#
# Needs the tools of scripts/windows/setup.sh; skips loudly without them, or fails where
# required (see lib.sh, ONETRANS_WINDOWS).
WINDOWS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$WINDOWS_DIR/lib.sh"

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

# Builds one crate's cdylib for a target in release mode, the way OneTrans.dll is built:
# windows_cargo_build TARGET CARGO-ARGS... (test.sh builds the panic probe with it too).
windows_cargo_build() {
    local target=$1 startup
    shift
    startup=$(rtstartup "$target")
    debian_rust CARGO_TARGET_DIR="$WIN_TARGET_DIR" "$DEBIAN_CARGO" build --release --locked \
        "$@" --target "$target" --config windows/cargo.toml \
        --config "target.$target.rustflags = ['-L', 'native=$startup']" >&2
}

# Builds OneTrans.dll for one target in release mode.
build_dll() {
    log "building OneTrans.dll for $1" >&2
    windows_cargo_build "$1" --lib -p onetrans
}

# llvm-dlltool (for the MSVC-style OneTrans.lib), any version; empty when there is none.
find_llvm_dlltool() {
    local c
    for c in llvm-dlltool $(compgen -c llvm-dlltool- | sort -rV) /usr/lib/llvm-*/bin/llvm-dlltool; do
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
}

# Checks one DLL with xtask check-dll: its machine, its exports (plain names, exactly the
# functions of src/ffi.rs's header, and DllMain), its imports (only DLLs that ship with Windows
# 7, none of the functions known to be newer); logs its size, exports and imported DLLs.
check_dll() {
    local dll=$1 target=$2 line
    line=$(xtask check-dll "$dll" --arch "$(arch_dir "$target")") || die "$dll failed its checks"
    log "$line"
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
        cp "windows/OneTrans.$arch.def" "$dir/OneTrans.def"
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

# The steps (for windows_run): build and lay out dist/; the same only when dist/ has no DLL yet
# (scripts/windows.sh test).
step_build() {
    local target
    require_host_tools
    # The checked-in .def files (made by xtask from src/ffi.rs, like the header) that dist/ ships
    # and the import libraries are made from must be current: checked before the long builds.
    xtask def --check || die "windows/OneTrans.*.def or include/onetrans.h is stale (see above)"
    for target in "${TARGETS[@]}"; do
        timed "build $target" build_dll "$target"
    done
    make_dist
}

step_build_if_missing() {
    [ -e dist/x86/OneTrans.dll ] && [ -e dist/x64/OneTrans.dll ] || step_build
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    (($# == 0)) || die "usage: $0 (no arguments)"
    windows_run step_build
fi
