#!/usr/bin/env bash
# Installs what the tests and the demo need beyond the Rust toolchain, only when missing.
# Idempotent; safe to run on every build. Debian/Ubuntu (apt-get); elsewhere it only reports.
set -euo pipefail

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
command -v fpc >/dev/null 2>&1 || missing+=(fp-compiler fp-units-rtl)
command -v mcs >/dev/null 2>&1 || missing+=(mono-mcs mono-runtime)
# The Java binding (java/build.sh): a JDK, and Debian's JNA, Jackson and JUnit 5 jars.
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
[ -f /usr/share/java/jna.jar ] || missing+=(libjna-java)
[ -f /usr/share/java/jackson-databind.jar ] || missing+=(libjackson2-databind-java)
[ -f /usr/share/java/junit-platform-console-standalone.jar ] || missing+=(junit5)
# The Python package's venv (scripts/python.sh); pytest itself comes from PyPI into the venv.
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    missing+=(python3-venv)
fi
# No VB.NET compiler: Debian 12 packages none (mono-vbnc ended with Debian 10), so the VB.NET
# example is compiled only where a vbnc is already installed (tests/examples.rs says so).

if ((${#missing[@]})); then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "setup: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: please install: ${missing[*]}" >&2
    fi
fi
