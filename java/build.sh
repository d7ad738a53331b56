#!/usr/bin/env bash
# The Java binding, built with javac and jar only (Maven and Gradle fetch plugins from
# repositories these machines cannot reach); JNA, Jackson and JUnit are Debian's jars under
# /usr/share/java (scripts/setup.sh installs them when missing).
#
#   java/build.sh        $OUT/onetrans.jar (Java 8 bytecode) and $OUT/onetrans-examples.jar
#   java/build.sh test   the jars, then the JUnit suite against the portal simulator: builds
#                        the library and onetrans-portal with cargo first
#
# OUT is $ONETRANS_JAVA_OUT, else $CARGO_TARGET_DIR/java (scripts/env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
OUT=${ONETRANS_JAVA_OUT:-$CARGO_TARGET_DIR/java}
JARS=${ONETRANS_JAVA_JARS:-/usr/share/java}
LIB_CP="$JARS/jna.jar:$JARS/jackson-databind.jar:$JARS/jackson-core.jar:$JARS/jackson-annotations.jar"
TEST_CP="$JARS/junit-platform-console-standalone.jar"

need() {
    local jar
    for jar in "$@"; do
        [ -f "$jar" ] || {
            echo "java/build.sh: $jar is missing: run scripts/setup.sh (Debian: libjna-java," \
                "libjackson2-databind-java, junit5)" >&2
            exit 1
        }
    done
}

# Reproducible jars (scripts/release.sh sets SOURCE_DATE_EPOCH): every entry's time is that
# instant, and the entries go in in byte order rather than the folder's listing order.
jar_date() {
    [ -z "${SOURCE_DATE_EPOCH:-}" ] || echo "--date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
}

# `-C DIR FILE` for every file below DIR, sorted (class files have no spaces in their names).
jar_entries() {
    local dir=$1 file
    for file in $(cd "$dir" && find . -type f | LC_ALL=C sort); do
        printf -- '-C %s %s\n' "$dir" "$file"
    done
}

build() {
    need "$JARS/jna.jar" "$JARS/jackson-databind.jar" "$JARS/jackson-core.jar" \
        "$JARS/jackson-annotations.jar"
    rm -rf "$OUT/classes" "$OUT/example-classes"
    mkdir -p "$OUT/classes" "$OUT/example-classes"
    # Java 8 bytecode: many hospital systems still run Java 8 (the vendor's SDK targets it).
    javac --release 8 -Xlint:all,-options,-path -Werror -encoding UTF-8 -cp "$LIB_CP" \
        -d "$OUT/classes" $(find java/src/main/java -name '*.java' | sort)
    # The manifest names the dependencies beside the jar first, then Debian's.
    cat >"$OUT/manifest.txt" <<EOF
Implementation-Title: onetrans
Implementation-Version: $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
Class-Path: jna.jar jackson-databind.jar jackson-core.jar jackson-annotations.jar
  file:$JARS/jna.jar file:$JARS/jackson-databind.jar file:$JARS/jackson-core.jar
  file:$JARS/jackson-annotations.jar
EOF
    jar --create --file "$OUT/onetrans.jar" --manifest "$OUT/manifest.txt" $(jar_date) \
        $(jar_entries "$OUT/classes")
    javac --release 8 -Xlint:all,-options,-path -Werror -encoding UTF-8 -cp "$OUT/onetrans.jar:$LIB_CP" \
        -d "$OUT/example-classes" $(find java/examples -name '*.java' | sort)
    jar --create --file "$OUT/onetrans-examples.jar" $(jar_date) $(jar_entries "$OUT/example-classes")
    echo "java: $OUT/onetrans.jar"
}

run_tests() {
    need "$TEST_CP"
    cargo build -p onetrans -p onetrans-portal --locked --quiet
    rm -rf "$OUT/test-classes"
    mkdir -p "$OUT/test-classes"
    local cp="$OUT/onetrans.jar:$OUT/onetrans-examples.jar:$LIB_CP"
    javac --release 17 -Xlint:all,-path -Werror -encoding UTF-8 -cp "$cp:$TEST_CP" \
        -d "$OUT/test-classes" $(find java/src/test/java -name '*.java' | sort)
    # java.library.path holds the library's folder too, as a deployment would.
    java -Donetrans.library="$CARGO_TARGET_DIR/debug/libonetrans.so" \
        -Djava.library.path="$CARGO_TARGET_DIR/debug" \
        -Donetrans.portal="$CARGO_TARGET_DIR/debug/onetrans-portal" \
        -Donetrans.repo="$PWD" \
        -jar "$TEST_CP" --disable-banner --details=summary --details-theme=ascii \
        --class-path "$OUT/test-classes:$cp" --scan-class-path "$OUT/test-classes" \
        ${ONETRANS_JAVA_TEST_ARGS:-}
}

case ${1:-build} in
    build) build ;;
    test) build; run_tests ;;
    *) echo "usage: java/build.sh [build|test]" >&2; exit 2 ;;
esac
