#!/usr/bin/env bash
# The Python wheel that bundles the shared library: onetrans-<version>-py3-none-<platform>.whl.
#
#   scripts/python-wheel.sh LIBRARY OUTDIR     e.g. target/release/libonetrans.so dist/
#
# LIBRARY goes into the wheel as onetrans/_lib/<its file name> (libonetrans.so, OneTrans.dll).
# Built from a copy of python/ (no build/ or egg-info left in the tree) with $PYTHON (default
# python3): without build isolation when it has setuptools and wheel, else pip fetches them
# from PyPI. Prints the wheel's path.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 LIBRARY OUTDIR" >&2; exit 2; }
library=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r python "$work/src"
rm -rf "$work/src/build" "$work/src"/*.egg-info "$work/src/onetrans/_lib"
isolation=()
if "$python" -c 'import setuptools, wheel' 2>/dev/null; then
    isolation=(--no-build-isolation)
fi
rm -f "$out"/onetrans-*.whl
ONETRANS_BUNDLE_LIBRARY="$library" "$python" -m pip wheel --quiet --no-deps "${isolation[@]}" \
    --wheel-dir "$out" "$work/src" >&2
ls "$out"/onetrans-*.whl
