#!/usr/bin/env bash
# The demo: builds the library, starts the portal simulator on 127.0.0.1, and calls MobileTrans
# through the built shared library as a hospital system would. Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/env.sh
cargo build --release --locked -p onetrans -p onetrans-cli
exec "$CARGO_TARGET_DIR/release/onetrans" demo --lib "$CARGO_TARGET_DIR/release/libonetrans.so"
