#!/usr/bin/env bash
# The reliability checks of docs/RELIABILITY.md that `cargo test` does not run itself:
#   1. a short fuzzing run of every cargo-fuzz target (scripts/fuzz.sh, FUZZ_SECONDS each);
#   2. Miri over the library's unit tests that touch neither the network nor the OS.
# (`cargo test --workspace` runs the rest: the fault matrix, hostile input, the soak with
# ONETRANS_SOAK_CALLS calls, unload, the security properties, the C example under valgrind
# and AddressSanitizer.)
#
#   scripts/reliability.sh [FUZZ_SECONDS]     (default 60: what CI runs)
#
# Both need the nightly toolchain (with its miri component for 2.); without it each part says
# SKIPPED and the script goes on. Exits non-zero when a fuzz target crashed or Miri failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

fuzz_seconds=${1:-60}
status=0

scripts/fuzz.sh "$fuzz_seconds" || status=1

# Miri: the unit tests of the pure modules, the spec's vectors, the panic boundary and the
# security properties that touch neither the network nor the OS. Left out: the log's file
# rotation (the file system), the network tests, and the long loops (the SM4 engine comparisons,
# a million SM4 iterations, a million nonces), which take tens of minutes to interpret; they
# pass under Miri too (docs/RELIABILITY.md). The exports themselves call dladdr(3) on first use,
# which Miri cannot run: the C example under valgrind and ASan covers that boundary.
if cargo +nightly --version >/dev/null 2>&1 && ! cargo +nightly miri --version >/dev/null 2>&1; then
    # rustup can fetch the component on this project's machines; bounded, and optional.
    timeout 300 rustup component add --toolchain nightly miri rust-src >/dev/null 2>&1 || true
fi
if cargo +nightly miri --version >/dev/null 2>&1; then
    echo "miri: unit tests of the pure modules, vectors, internal_error, security"
    # The library's own unit tests, of the modules that touch neither the OS nor the network
    # (libtest takes several name filters). Left out besides: the SM2 curve arithmetic (sm2,
    # signing: pure Rust with no unsafe, minutes a scalar multiplication under Miri) and
    # the 926,404-pair charset test (the same code as its small neighbours, a million times).
    cargo +nightly miri test -p onetrans --lib -- \
        crypto:: json:: protocol:: output:: error:: input:: url:: clock:: charset:: sm4:: \
        --skip sm4::tests::every_sbox_input_through_every_engine \
        --skip sm4::tests::random_keys_and_blocks_match_the_reference_crate \
        --skip charset::tests::every_gb2312_pair_that_is_valid_utf8_is_read_as_gb18030 ||
        status=1
    cargo +nightly miri test -p onetrans --test vectors --test internal_error --test security -- \
        --skip sm4_blocks_including_a_million_iterations \
        --skip the_copy_matches_the_shared_spec \
        --skip a_failing_certificate_is_never_silently_accepted \
        --skip a_million_nonces_from_eight_threads_never_repeat ||
        status=1
else
    echo "miri: SKIPPED: the nightly toolchain has no miri component here"
fi

exit "$status"
