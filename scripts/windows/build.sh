#!/usr/bin/env bash
# Step 2 of scripts/windows.sh: builds OneTrans.dll, onetrans.exe and onetrans-portal.exe for
# 32-bit (i686) and 64-bit (x86_64) Windows 7 and later with Debian's rustc-web and -Z build-std,
# lays out dist/ as an integrator receives it, and checks the DLLs (machine, exports, imports:
# xtask check-dll) and the EXEs (machine, imports: xtask check-exe), with their VERSIONINFO.
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
    env -u RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u RUSTC_WRAPPER -u CFLAGS \
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

# The rustflags of a Windows build (a TOML array): rsbegin.o/rsend.o, no time stamp in the PE
# header (ld writes the link time otherwise: the one byte range two builds would differ in), and
# the path remapping. windows_rustflags TARGET
windows_rustflags() {
    local startup pair flags
    startup=$(rtstartup "$1")
    flags="'-L', 'native=$startup', '-C', 'link-arg=-Wl,--no-insert-timestamp'"
    while IFS= read -r pair; do
        flags+=", '--remap-path-prefix=$pair'"
    done < <(remap_pairs "$REPO" "$WIN_TARGET_DIR")
    printf '[%s]\n' "$flags"
}

# The C compiler's flags for ring's C and assembly: the same remapping.
windows_cflags() {
    local pair flags=''
    while IFS= read -r pair; do
        flags+="${flags:+ }-ffile-prefix-map=$pair"
    done < <(remap_pairs "$REPO" "$WIN_TARGET_DIR")
    printf '%s\n' "$flags"
}

# Builds crates for a target in release mode, the way the shipped DLL and EXEs are built:
# windows_cargo_build TARGET CARGO-ARGS... (test.sh builds the panic probe with it too).
windows_cargo_build() {
    local target=$1 rustflags
    shift
    rustflags=$(windows_rustflags "$target")
    debian_rust CARGO_TARGET_DIR="$WIN_TARGET_DIR" "CFLAGS_${target//-/_}=$(windows_cflags)" \
        "$DEBIAN_CARGO" build --release --locked "$@" --target "$target" \
        --config windows/cargo.toml --config "target.$target.rustflags = $rustflags" >&2
}

# Builds OneTrans.dll, onetrans.exe and onetrans-portal.exe for one target in release mode, in
# one cargo run (as scripts/release/build.sh builds the Linux ones). In two runs (the DLL alone,
# then the tools) cargo resolves the dependencies' features differently (the tools enable more
# of rustls...), and the library crate, shared by both, is rebuilt by each run in turn: about
# 90 s per target for nothing on every later build.
build_binaries() {
    log "building OneTrans.dll, onetrans.exe and onetrans-portal.exe for $1" >&2
    windows_cargo_build "$1" -p onetrans -p onetrans-cli -p onetrans-portal
}

# llvm-dlltool (for the MSVC-style OneTrans.lib), any version; empty when there is none.
find_llvm_dlltool() {
    local c
    for c in llvm-dlltool $(compgen -c llvm-dlltool- | sort -rV) /usr/lib/llvm-*/bin/llvm-dlltool; do
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
}

# Checks one shipped file with xtask: KIND dll (check-dll: its machine, its exports, plain
# names, exactly the functions of src/ffi.rs's header and DllMain) or exe (check-exe: its
# machine, a console program); for both, imports only of DLLs that ship with Windows 7 and none
# of the functions known to be newer, and the VERSIONINFO resource. Logs its size, exports and
# imported DLLs. check_binary KIND FILE TARGET
check_binary() {
    local kind=$1 file=$2 target=$3 line
    line=$(xtask "check-$kind" "$file" --arch "$(arch_dir "$target")") || die "$file failed its checks"
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
        cp "$WIN_TARGET_DIR/$target/release/onetrans.exe" \
            "$WIN_TARGET_DIR/$target/release/onetrans-portal.exe" "$dir/"
        cp "windows/OneTrans.$arch.def" "$dir/OneTrans.def"
        # The import library for mingw (GNU ld), and OneTrans.lib for MSVC (short import format).
        "$(mingw "$target")-dlltool" -k -d "$dir/OneTrans.def" -D OneTrans.dll -l "$dir/libOneTrans.dll.a"
        if [ -n "$llvm_dlltool" ]; then
            machine=$([ "$arch" = x86 ] && echo i386 || echo i386:x86-64)
            "$llvm_dlltool" -k -m "$machine" -d "$dir/OneTrans.def" -D OneTrans.dll -l "$dir/OneTrans.lib"
        fi
        check_binary dll "$dir/OneTrans.dll" "$target"
        check_binary exe "$dir/onetrans.exe" "$target"
        check_binary exe "$dir/onetrans-portal.exe" "$target"
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
        timed "build $target" build_binaries "$target"
    done
    make_dist
}

# The step (for windows_run) behind `scripts/windows.sh binaries TARGET OUT`: the shipped files
# of one target (BINARIES_TARGET), built, copied into BINARIES_OUT under their shipped names.
# Not checked again: the comparison with the checked build is the check.
step_binaries() {
    local target=$BINARIES_TARGET out=$BINARIES_OUT release
    require_host_tools
    [[ " ${TARGETS[*]} " == *" $target "* ]] || die "unknown target $target (${TARGETS[*]})"
    build_binaries "$target"
    release=$WIN_TARGET_DIR/$target/release
    mkdir -p "$out"
    cp "$release/onetrans.dll" "$out/OneTrans.dll"
    cp "$release/onetrans.exe" "$release/onetrans-portal.exe" "$out/"
}

step_build_if_missing() {
    [ -e dist/x86/OneTrans.dll ] && [ -e dist/x64/OneTrans.dll ] && [ -e dist/x86/onetrans.exe ] &&
        [ -e dist/x64/onetrans.exe ] || step_build
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    (($# == 0)) || die "usage: $0 (no arguments)"
    windows_run step_build
fi
