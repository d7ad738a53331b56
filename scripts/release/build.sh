# Sourced by scripts/release.sh and the scripts beside this file: builds the shipped Linux
# binaries (libonetrans.so, onetrans, onetrans-portal) of one target in release mode, with no
# path of this machine in them, and the cross-compiled test binaries.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The environment of one release build: the path remapping for rustc (CARGO_ENCODED_RUSTFLAGS:
# paths may contain spaces) and for the C compiler (ring's C and assembly: -ffile-prefix-map),
# none of the caller's own flags or wrappers. Printed as NAME=VALUE lines for env.
release_env() {
    local target=$1 src=$2 target_dir=$3 pair rustflags='' cflags='' sep=$'\x1f' cc_var
    while IFS= read -r pair; do
        rustflags+="${rustflags:+$sep}--remap-path-prefix=$pair"
        cflags+="${cflags:+ }-ffile-prefix-map=$pair"
    done < <(remap_pairs "$src" "$target_dir")
    cc_var=${target//-/_}
    printf '%s\n' "CARGO_ENCODED_RUSTFLAGS=$rustflags" "CFLAGS_$cc_var=$cflags" \
        "CARGO_TARGET_DIR=$target_dir" "SOURCE_DATE_EPOCH=$(source_date_epoch)"
}

# Runs cargo for a target, from the source folder $src: rustup's for this machine's own target,
# Debian's rustc-web with build-std (scripts/release/cross-linux.toml) for the others.
# target_cargo TARGET SRC TARGET_DIR CARGO-ARGS...
target_cargo() {
    local target=$1 src=$2 target_dir=$3 env_args
    shift 3
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
    machine=$(case $target in x86_64-*) echo 'X86-64' ;; aarch64-*) echo 'AArch64' ;; esac)
    for name in "${LINUX_BINARIES[@]}"; do
        file=$target_dir/$target/release/$name
        [ -f "$file" ] || die "$file was not built"
        LC_ALL=C readelf -h "$file" | grep -q "Machine: *.*$machine" ||
            die "$file is not an $machine ELF file"
        cp "$file" "$out/$name"
    done
}

# Builds the vector tests (tests/vectors.rs: the spec's SM3/SM4/envelope vectors, and
# tests/sm2_vectors.rs: its SM2 vectors) for a target and prints the test binaries' paths.
build_vector_tests() {
    local target=$1 lines
    log "building tests/vectors.rs and tests/sm2_vectors.rs for $target"
    lines=$(target_cargo "$target" "$REPO" "$CROSS_TEST_TARGET_DIR" test --no-run -p onetrans \
        --test vectors --test sm2_vectors --message-format=json | grep '"executable":"/' || true)
    [ "$(printf '%s\n' "$lines" | grep -c .)" = 2 ] ||
        die "cargo did not print the two test executables of the vector tests ($target)"
    printf '%s\n' "$lines" | sed 's/.*"executable":"\([^"]*\)".*/\1/'
}
