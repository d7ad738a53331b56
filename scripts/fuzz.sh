#!/usr/bin/env bash
# Fuzzes the library with cargo-fuzz (libFuzzer, AddressSanitizer, debug assertions):
#   input_parser     the caller's JSON (json::parse, input::parse, the log's masking)
#   response_parser  the portal's answer (protocol::open_response), and sealed answers
#   mobile_trans     the whole MobileTrans path with the network stubbed
#   sm2_keys         the SM2 key parsers and signature decoding (spec section 11)
#   sm4_engines      every SM4 engine the CPU offers against the portable one (differential)
# SECONDS per target (default 60, CI's short run), one target after the other, from a seed
# corpus made from spec/vectors.json plus whatever earlier runs kept in fuzz/corpus/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Prints one summary line per target (runs, seconds, corpus size, crashes) and exits non-zero
# when a target crashed; the crashing input is in fuzz/artifacts/<target>/. Needs the nightly
# toolchain; without one it says SKIPPED and exits 0 (no toolchain can be fetched here).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(input_parser response_parser mobile_trans sm2_keys sm4_engines)

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: SKIPPED: no nightly toolchain (cargo +nightly), which cargo fuzz needs"
    exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked --quiet
fi
if [ -z "${ONETRANS_FUZZ_TARGET_DIR:-}" ]; then
    if mkdir -p /var/cache/onetrans-fuzz 2>/dev/null && [ -w /var/cache/onetrans-fuzz ]; then
        ONETRANS_FUZZ_TARGET_DIR=/var/cache/onetrans-fuzz
    else
        ONETRANS_FUZZ_TARGET_DIR="$PWD/fuzz/target"
    fi
fi
export CARGO_TARGET_DIR="$ONETRANS_FUZZ_TARGET_DIR"

python3 fuzz/make_seeds.py spec/vectors.json fuzz/seeds
cargo +nightly fuzz build --fuzz-dir fuzz

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
    log="$logs/$target.log"
    echo "fuzz: $target for ${seconds}s"
    status=0
    cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    crashes=$(grep -cE '^==[0-9]+== ?ERROR|^SUMMARY: |panicked at|deadly signal' "$log" || true)
    if [ "$status" -ne 0 ]; then
        failed=1
        tail -60 "$log"
        crashes=$((crashes > 0 ? crashes : 1))
    fi
    summary+=("fuzz: $target: ${runs:-?} runs in ${took:-?} s, ${cov:-cov: ?}, corpus $corpus inputs, crashes $crashes")
done
printf '%s\n' "${summary[@]}"
exit "$failed"
