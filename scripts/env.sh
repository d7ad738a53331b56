# Sourced by the scripts: where cargo builds. A target directory outside the clone keeps
# repeated CI runs incremental; it falls back to ./target where /var/cache is not writable.
if [ -z "${CARGO_TARGET_DIR:-}" ]; then
    if mkdir -p /var/cache/onetrans-target 2>/dev/null && [ -w /var/cache/onetrans-target ]; then
        export CARGO_TARGET_DIR=/var/cache/onetrans-target
    else
        export CARGO_TARGET_DIR="$PWD/target"
    fi
fi
