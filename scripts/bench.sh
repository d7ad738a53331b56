#!/usr/bin/env bash
# The benchmarks of issue 7, all of them, and BENCHMARKS.md from their figures:
#   crypto throughput (criterion) beside `openssl speed` run in the same run on the same machine,
#   per-call latency and throughput against the simulator on 127.0.0.1 beside the plain-POST
#   limit and the reference Python client, cold start and the library's size.
#
#   scripts/bench.sh            full run (about 5 minutes of measuring, plus the builds)
#   BENCH_QUICK=1 scripts/bench.sh   short measurements, for trying things out
#   scripts/bench.sh --no-run   only build the benchmarks (what CI should do so they cannot rot)
#
# Needs: the Rust toolchain, python3 with `requests` and `cryptography` (installed here with pip
# when missing: idempotent, nothing happens when they import), the `openssl` command (the
# comparator only; the library never links OpenSSL). Network: 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if [ "${1:-}" = "--no-run" ]; then
    exec cargo bench -p onetrans --locked --no-run
fi

results="$CARGO_TARGET_DIR/bench-results"
mkdir -p "$results"
rm -f "$results"/*.json "$results"/*.txt

# --- what the comparators need --------------------------------------------------------------
if ! python3 -c 'import requests, cryptography' 2>/dev/null; then
    echo "bench: installing requests and cryptography with pip"
    python3 -m pip install --quiet requests cryptography 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages requests cryptography
fi
python3 - <<'EOF'
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
hashes.Hash(hashes.SM3())
Cipher(algorithms.SM4(b"0" * 16), modes.ECB()).encryptor()
EOF
command -v openssl >/dev/null || { echo "bench: the openssl command is needed as the comparator" >&2; exit 1; }

{
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "cores=$(nproc)"
    echo "kernel=$(uname -sr)"
    echo "rustc=$(rustc --version)"
    echo "openssl=$(openssl version)"
    echo "python=$(python3 -c 'import sys, requests, cryptography; print(sys.version.split()[0], "requests", requests.__version__, "cryptography", cryptography.__version__)')"
    echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "quick=${BENCH_QUICK:-}"
} >"$results/machine.txt"

# --- builds -----------------------------------------------------------------------------------
cargo build --release --locked -p onetrans --lib
cargo bench -p onetrans --locked --no-run

# --- OpenSSL, before and after the library's crypto benchmark (the better figure is kept) ----
openssl_speed() { # $1 = label suffix
    local seconds=2
    [ -n "${BENCH_QUICK:-}" ] && seconds=1
    for bytes in 1024 65536 1048576; do
        for alg in "sm4-ecb" "sm4-ecb -decrypt" "sm3"; do
            local name=${alg// /}
            local line
            # shellcheck disable=SC2086
            line=$(openssl speed -seconds "$seconds" -bytes "$bytes" $([ "$alg" = "sm4-ecb -decrypt" ] && echo -decrypt) -evp "${alg%% *}" 2>/dev/null | tail -1)
            echo "$name $bytes ${line##* }" >>"$results/openssl-$1.txt"
        done
    done
}
openssl_speed before

# --- crypto (criterion) ------------------------------------------------------------------------
rm -rf "$CARGO_TARGET_DIR/criterion"
cargo bench -p onetrans --locked --bench crypto

openssl_speed after

# --- per call, throughput, the Python reference client -----------------------------------------
BENCH_OUT="$results/call.json" cargo bench -p onetrans --locked --bench call

# --- cold start ---------------------------------------------------------------------------------
ONETRANS_CDYLIB="$CARGO_TARGET_DIR/release/libonetrans.so" BENCH_COLD_OUT="$results/cold.json" \
    cargo bench -p onetrans --locked --bench cold_start

# --- the call journal (issue 13): journalSync=always vs never ----------------------------------------
BENCH_OUT="$results/journal.json" cargo bench -p onetrans --locked --bench journal

echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$results/machine.txt"
python3 scripts/bench_report.py "$results" "$CARGO_TARGET_DIR/criterion" >BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md"
