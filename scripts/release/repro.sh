#!/usr/bin/env bash
# The reproducibility and clean-path check of the shipped binaries.
#
#   scripts/release/repro.sh [PLATFORM-TARGET...]   (default: every Linux target of lib.sh)
#
# 1. Set A: the binaries of the release build (scripts/release/linux.sh package, in the release
#    target dir, from this checkout; built here when missing).
# 2. Set B: the same commit built again from clean: the checkout's files copied to another folder,
#    built into an emptied second target dir (ONETRANS_REPRO_TARGET_DIR). A different source
#    path and target dir on purpose: neither may reach the binaries.
# 3. Every file of A must equal its twin in B byte for byte (cmp), and no file of A may contain
#    a directory of the build (the checkout and its copy, the target dirs, cargo's and rustup's
#    homes, $HOME, /root, /var/cache, /work): grep -F on the bytes.
#
# Platforms: "linux:<rust target>" builds with scripts/release/linux.sh binaries, and
# "windows:<rust target>" with scripts/release/windows.sh binaries, for each target that
# `windows.sh targets` prints, where that script exists (scripts/release.sh describes it). Each
# builds from the current folder, with the target dir in ONETRANS_RELEASE_TARGET_DIR, and copies
# what it ships into OUT.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Builds one platform-target's shipped binaries from SRC with TARGET_DIR into OUT.
binaries_of() {
    local spec=$1 src=$2 target_dir=$3 out=$4
    case $spec in
        linux:*)
            (cd "$src" && ONETRANS_RELEASE_TARGET_DIR=$target_dir \
                "scripts/release/${spec%%:*}.sh" binaries "${spec#*:}" "$out")
            ;;
        windows:*)
            # Build A reuses the Windows target dir of the package (scripts/windows.sh build:
            # nothing is rebuilt); build B gets a clean one inside the second target dir.
            local win_dir=${ONETRANS_WINDOWS_TARGET_DIR:-}
            [ "$target_dir" = "$RELEASE_TARGET_DIR" ] || win_dir=$target_dir/windows
            (cd "$src" && ONETRANS_RELEASE_TARGET_DIR=$target_dir ONETRANS_WINDOWS_TARGET_DIR=$win_dir \
                scripts/release/windows.sh binaries "${spec#*:}" "$out")
            ;;
        *) die "unknown platform-target $spec" ;;
    esac
}

# Copies the checkout's files (tracked and untracked, not ignored: what a clean clone of this
# commit plus the work in progress holds) into DEST.
copy_checkout() {
    local dest=$1
    rm -rf "$dest"
    mkdir -p "$dest"
    git -C "$REPO" ls-files -z --cached --others --exclude-standard |
        (cd "$REPO" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
        tar -C "$REPO" --null -T - -cf - | tar -C "$dest" -xf -
}

# Greps every file of DIR for the build's directories (each with its trailing slash: a file
# below it; "/work" alone is part of tokio's "/worker.rs"); prints the hits.
path_hits() {
    local dir=$1 src=$2 target_dir=$3 path file hits=0
    while IFS= read -r path; do
        for file in "$dir"/*; do
            if grep -qaF -- "$path/" "$file"; then
                printf 'FAIL %s contains %s/:\n' "$file" "$path"
                strings -n 4 "$file" | grep -F -- "$path/" | head -n 3 | sed 's/^/       /'
                hits=$((hits + 1))
            fi
        done
    done < <({ build_paths "$src" "$target_dir"; build_paths "$COPY" "$REPRO_TARGET_DIR"; } | sort -u)
    ((hits == 0))
}

main() {
    local specs=("$@") spec set_a set_b file passed=0 failed=0 out
    if ((${#specs[@]} == 0)); then
        for spec in "${LINUX_TARGETS[@]}"; do specs+=("linux:$spec"); done
        if [ -x "$REPO/scripts/release/windows.sh" ]; then
            while IFS= read -r spec; do specs+=("windows:$spec"); done < <("$REPO/scripts/release/windows.sh" targets)
        fi
    fi
    COPY=$(mktemp -d /tmp/onetrans-repro-src.XXXXXX)
    trap 'rm -rf "$COPY" "$COPY.planted"' EXIT
    timed "repro: copy the checkout" copy_checkout "$COPY"
    # The path check must catch a path: a file with the checkout's path in it must fail it.
    mkdir -p "$COPY.planted"
    printf 'x\0%s/src/lib.rs\0' "$REPO" >"$COPY.planted/planted"
    if path_hits "$COPY.planted" "$REPO" "$RELEASE_TARGET_DIR" >/dev/null; then
        die "the path check did not catch a planted path"
    fi
    rm -rf "$COPY.planted"
    rm -rf "$REPRO_TARGET_DIR"
    for spec in "${specs[@]}"; do
        set_a=$RELEASE_TARGET_DIR/repro-a/${spec//:/-}
        set_b=$REPRO_TARGET_DIR/repro-b/${spec//:/-}
        rm -rf "$set_a" "$set_b"
        timed "repro: build A $spec (release target dir)" binaries_of "$spec" "$REPO" "$RELEASE_TARGET_DIR" "$set_a"
        timed "repro: build B $spec (copy, clean target dir)" binaries_of "$spec" "$COPY" "$REPRO_TARGET_DIR" "$set_b"
        for file in "$set_a"/*; do
            if cmp -s "$file" "$set_b/$(basename "$file")"; then
                passed=$((passed + 1))
                printf 'ok   %s %s: identical in both builds (%s bytes, sha256 %s)\n' "$spec" \
                    "$(basename "$file")" "$(stat -c %s "$file")" "$(sha256sum "$file" | cut -c1-16)"
            else
                failed=$((failed + 1))
                printf 'FAIL %s %s: the two builds differ (%s)\n' "$spec" "$(basename "$file")" \
                    "$(cmp "$file" "$set_b/$(basename "$file")" 2>&1 | head -n1)"
            fi
        done
        if out=$(path_hits "$set_a" "$REPO" "$RELEASE_TARGET_DIR"); then
            passed=$((passed + 1))
            printf 'ok   %s: no build path in %s\n' "$spec" "$(cd "$set_a" && echo *)"
        else
            failed=$((failed + 1))
            printf '%s\n' "$out"
        fi
    done
    # The second target dir is only for this comparison: give the disk back.
    [ -n "${ONETRANS_KEEP_WORK:-}" ] || rm -rf "$REPRO_TARGET_DIR"
    printf 'release reproducibility: %d passed, %d failed\n' "$passed" "$failed"
    ((failed == 0))
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
