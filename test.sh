#!/usr/bin/env bash
# All the tests: formatting, lints, the C header, unit tests with the spec's vectors, end-to-end
# tests against the portal simulator, the C/Python/Pascal examples (C also under valgrind), the
# Java and Python bindings' suites.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/env.sh
scripts/setup.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The benchmarks are built (not run) so that they cannot rot: scripts/bench.sh runs them.
cargo build --workspace --benches --locked
cargo test --workspace --locked
# The Java and Python bindings (java/, python/): their JUnit and pytest suites against the simulator.
java/build.sh test
scripts/python.sh
