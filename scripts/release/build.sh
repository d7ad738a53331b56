# Sourced by scripts/release.sh and the scripts beside this file: builds the shipped Linux
# binaries (libonetrans.so, onetrans, onetrans-portal) of one target in release mode, with no
# path of this machine in them, and the cross-compiled test binaries.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The environment of one release build: the path remapping for rustc (CARGO_ENCODED_RUSTFLAGS:
# paths may contain spaces) and for the C compiler (ring's C and assembly: -ffile-prefix-map),
# zig as linker, C compiler and archiver against the target's old glibc (scripts/release/zig-cc,
# its caches inside the target dir), none of the caller's own flags or wrappers. Printed as
# NAME=VALUE lines for env.
release_env() {
    local target=$1 src=$2 target_dir=$3 pair rustflags='' cflags='' sep=$'\x1f' cc_var linker_var
    while IFS= read -r pair; do
        rustflags+="${rustflags:+$sep}--remap-path-prefix=$pair"
        cflags+="${cflags:+ }-ffile-prefix-map=$pair"
    done < <(remap_pairs "$src" "$target_dir")
    cc_var=${target//-/_}
    linker_var=CARGO_TARGET_$(printf '%s' "$cc_var" | tr '[:lower:]' '[:upper:]')_LINKER
    printf '%s\n' "CARGO_ENCODED_RUSTFLAGS=$rustflags" "CFLAGS_$cc_var=$cflags" \
        "CARGO_TARGET_DIR=$target_dir" "SOURCE_DATE_EPOCH=$BUILD_EPOCH" \
        "$linker_var=$REPO/scripts/release/zig-cc" "CC_$cc_var=$REPO/scripts/release/zig-cc" \
        "AR_$cc_var=$REPO/scripts/release/zig-ar" "ONETRANS_ZIG=$ZIG" \
        "ONETRANS_ZIG_TARGET=$(zig_target "$target")" \
        "ZIG_GLOBAL_CACHE_DIR=$target_dir/zig-cache" "ZIG_LOCAL_CACHE_DIR=$target_dir/zig-cache"
}

# Runs cargo for a target, from the source folder $src: rustup's for this machine's own target,
# Debian's rustc-web with build-std (scripts/release/cross-linux.toml) for the others; zig links
# both (release_env).
# target_cargo TARGET SRC TARGET_DIR CARGO-ARGS...
target_cargo() {
    local target=$1 src=$2 target_dir=$3 env_args
    shift 3
    [ -x "$ZIG" ] || die "$ZIG is missing: run scripts/release/setup.sh"
    mapfile -t env_args < <(release_env "$target" "$src" "$target_dir")
    local unset_args=(-u RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u RUSTC_WRAPPER -u CARGO_BUILD_RUSTC_WRAPPER
        -u CFLAGS -u CARGO_TARGET_DIR -u CARGO_INCREMENTAL)
    if uses_build_std "$target"; then
        (cd "$src" && env "${unset_args[@]}" "${env_args[@]}" RUSTC_BOOTSTRAP=1 RUSTC="$DEBIAN_RUSTC" \
            PATH="/usr/bin:$PATH" "$DEBIAN_CARGO" "$@" --locked --target "$target" \
            --config "$REPO/scripts/release/cross-linux.toml")
    else
        (cd "$src" && env "${unset_args[@]}" "${env_args[@]}" cargo "$@" --locked --target "$target")
    fi
}

# Builds the shipped binaries of a target from the source folder SRC into TARGET_DIR and copies
# them into OUT (OUT/libonetrans.so, OUT/onetrans, OUT/onetrans-portal), checking each is an ELF
# file of the right machine: build_linux_binaries TARGET SRC TARGET_DIR OUT
build_linux_binaries() {
    local target=$1 src=$2 target_dir=$3 out=$4 name file machine
    log "building ${LINUX_BINARIES[*]} for $target (source $src, target dir $target_dir)"
    target_cargo "$target" "$src" "$target_dir" build --release \
        -p onetrans -p onetrans-cli -p onetrans-portal >&2
    mkdir -p "$out"
    machine=$(case $target in x86_64-*) echo 'X86-64' ;; aarch64-*) echo 'AArch64' ;;
        loongarch64-*) echo 'LoongArch' ;; esac)
    for name in "${LINUX_BINARIES[@]}"; do
        file=$target_dir/$target/release/$name
        [ -f "$file" ] || die "$file was not built"
        LC_ALL=C readelf -h "$file" | grep -q "Machine: *.*$machine" ||
            die "$file is not an $machine ELF file"
        cp "$file" "$out/$name"
    done
}

# The integration tests built and run like the release (scripts/release/cross-test.sh): the
# spec's vectors (tests/vectors.rs: SM3/SM4/envelope, tests/sm2_vectors.rs: SM2), and the panic
# tests (tests/internal_error.rs: a panic inside a call is 444444; tests/panic_hook.rs: a panic
# at the export boundary is caught), which show that unwinding works with zig's linking.
CROSS_TESTS=(vectors sm2_vectors internal_error panic_hook)

# Builds CROSS_TESTS for a target and prints the test binaries' paths.
build_vector_tests() {
    local target=$1 lines test test_args=()
    for test in "${CROSS_TESTS[@]}"; do test_args+=(--test "$test"); done
    log "building tests ${CROSS_TESTS[*]} for $target"
    lines=$(target_cargo "$target" "$REPO" "$CROSS_TEST_TARGET_DIR" test --no-run -p onetrans \
        "${test_args[@]}" --message-format=json | grep '"executable":"/' || true)
    [ "$(printf '%s\n' "$lines" | grep -c .)" = "${#CROSS_TESTS[@]}" ] ||
        die "cargo did not print the ${#CROSS_TESTS[@]} test executables of ${CROSS_TESTS[*]} ($target)"
    printf '%s\n' "$lines" | sed 's/.*"executable":"\([^"]*\)".*/\1/'
}
