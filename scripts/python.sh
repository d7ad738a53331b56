#!/usr/bin/env bash
# The Python package's checks (python/): a venv under the target dir with pytest, setuptools and
# wheel (installed from PyPI only when missing); the wheel that bundles the library, installed
# into the venv and checked to find its own copy; then the pytest suite against the simulator,
# importing the installed package (not the source folder).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
venv=$CARGO_TARGET_DIR/python-venv
cargo build -p onetrans -p onetrans-portal --locked --quiet
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import pytest, setuptools, wheel' 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet pytest setuptools wheel
fi
wheel=$(PYTHON="$venv/bin/python" scripts/python-wheel.sh \
    "$CARGO_TARGET_DIR/debug/libonetrans.so" "$CARGO_TARGET_DIR/python-dist")
"$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$wheel"
echo "python: $wheel"
# Installed from the wheel, with no ONETRANS_LIBRARY: the bundled copy is found.
(cd / && env -u ONETRANS_LIBRARY "$venv/bin/python" -c '
import onetrans
path = onetrans.find_library()
assert path.parent.name == "_lib", path
print("python: the wheel bundles", path.name, onetrans.default_library().version())')
cd python
ONETRANS_LIBRARY="$CARGO_TARGET_DIR/debug/libonetrans.so" \
    ONETRANS_PORTAL="$CARGO_TARGET_DIR/debug/onetrans-portal" \
    "$venv/bin/pytest" -p no:cacheprovider "$@"
