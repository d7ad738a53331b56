#!/usr/bin/env bash
# Step 4 of scripts/windows.sh: the Windows package a hospital downloads, and its test.
#
#   scripts/windows.sh package        dist/ (built, reusing what is built), then
#                                     dist/onetrans-<version>-windows.zip
#   scripts/windows.sh test-package   unpack the zip into an empty folder and run its contents
#                                     from there under Wine (64-bit, and 32-bit in the chroot)
#
# scripts/release/windows.sh (run by scripts/release.sh) calls these two.
#
# The zip holds one folder, onetrans-<version>-windows\ (like the Linux archives):
#   x86\ x64\        OneTrans.dll, OneTrans.lib, libOneTrans.dll.a, OneTrans.def, onetrans.exe,
#                    onetrans-portal.exe
#   include\onetrans.h  OneTrans.ini (sample)  examples\ (C, C++, C#, Delphi, Python, VB6, VB.NET)
#   README.txt (short, Chinese first; UTF-8 with BOM, CRLF)  README.md  LICENSE  CHANGELOG.md
#   SHA256SUMS
# Its bytes depend only on the commit: names sorted, every time stamp the commit's, no extra
# attributes (docs/DECISIONS.md, "Issue 14: the Windows package").
WINDOWS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$WINDOWS_DIR/lib.sh"
source "$WINDOWS_DIR/build.sh"
source "$WINDOWS_DIR/test.sh"

# A text file as Notepad on Windows 7 reads it: UTF-8 with a BOM, CRLF line ends.
notepad_text() {
    { printf '\xef\xbb\xbf'; sed 's/^\xef\xbb\xbf//; s/\r$//; s/$/\r/' "$1"; }
}

# Lays out the package folder STAGE from dist/.
stage_package() {
    local stage=$1 arch
    rm -rf "$stage"
    mkdir -p "$stage/include" "$stage/examples"
    for arch in x86 x64; do
        mkdir -p "$stage/$arch"
        cp dist/"$arch"/{OneTrans.dll,OneTrans.def,libOneTrans.dll.a,onetrans.exe,onetrans-portal.exe} \
            "$stage/$arch/"
        [ ! -e dist/"$arch"/OneTrans.lib ] || cp dist/"$arch"/OneTrans.lib "$stage/$arch/"
    done
    cp dist/include/onetrans.h "$stage/include/"
    cp dist/OneTrans.ini "$stage/OneTrans.ini"
    cp windows/examples/*.c "$stage/examples/"
    cp -r examples/. "$stage/examples/"
    notepad_text windows/README.txt >"$stage/README.txt"
    cp windows/README.md "$stage/README.md"
    notepad_text LICENSE >"$stage/LICENSE"
    cp CHANGELOG.md "$stage/CHANGELOG.md"
    find "$stage" -name '__pycache__' -prune -exec rm -rf {} +
    (cd "$stage" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort |
        xargs -d '\n' sha256sum >SHA256SUMS)
}

package_name() { printf 'onetrans-%s-windows\n' "$(release_version)"; }

# Writes STAGE (one folder) as a reproducible zip: zip_folder STAGE ZIP. Python's zipfile, for
# full control of what goes in: sorted names, one fixed time, fixed permissions, no extra fields.
zip_folder() {
    python3 - "$1" "$2" "$(source_date_epoch)" <<'EOF'
import os, sys, time, zipfile
stage, archive, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
stamp = time.gmtime(max(epoch, 315532800))[:6]  # zip cannot say anything before 1980
root = os.path.dirname(stage)
names = []
for folder, dirs, files in os.walk(stage):
    names += [os.path.relpath(os.path.join(folder, f), root) for f in files]
with zipfile.ZipFile(archive + ".tmp", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name in sorted(names):
        info = zipfile.ZipInfo(name.replace(os.sep, "/"), stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.create_system = 0  # MS-DOS: Windows' own unzip shows nothing odd
        with open(os.path.join(root, name), "rb") as f:
            z.writestr(info, f.read(), compresslevel=9)
os.replace(archive + ".tmp", archive)
EOF
}

# The step (for windows_run): dist/ built (cargo rebuilds only what changed), then the zip.
step_package() {
    local name stage zip
    step_build
    name=$(package_name)
    stage=$WIN_TARGET_DIR/stage/$name
    stage_package "$stage"
    zip=dist/$name.zip
    zip_folder "$stage" "$zip"
    log "$zip: $(stat -c %s "$zip") bytes, $(unzip -Z1 "$zip" | wc -l) files"
}

# --- the unpack-and-run test -------------------------------------------------------------------

# One check: pkg_check WHAT COMMAND...; prints ok/FAIL (and the command's output on failure).
pkg_check() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then
        PASSED=$((PASSED + 1))
        printf '    ok   %s\n' "$what"
        [ -z "${ONETRANS_VERBOSE:-}" ] || printf '%s\n' "$out" | sed 's/^/         /'
    else
        FAILED=$((FAILED + 1))
        printf '    FAIL %s\n' "$what"
        printf '%s\n' "$out" | head -n 40 | sed 's/^/         /'
    fi
}

# The Windows path of a path as the runner sees it (Wine's Z: drive is /): Z:\dir\file.
winpath() { printf 'Z:%s\n' "${1//\//\\}"; }

# A MobileTrans input (a payment push, a Chinese name) for the portal at URL into FILE.
write_input() {
    printf '{"data":{"serverAddr":"%s%s","appId":"zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN","appKey":"St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM","timestamp":"","medOrgOrd":"WINPKG-%s","orderStatus":"MERCHANT_PAID","orgCode":"H46040100001","patientName":"周大鹏","idType":"02","idNo":"460029196507081627","pushType":"HOSPITAL_PAYMENT","amt":12.50},"orgId":"H46010000000"}' \
        "$1" "$PUSH_MSG" "$RANDOM$RANDOM" >"$2"
}

# The runner's view of a path under $WORK: the same on the machine, /work/... in the chroot.
seen() { printf '%s\n' "${PKG_SEEN_ROOT}${1#"$WORK"}"; }

# Runs a program of the package under Wine in a UTF-8 Unix locale, with its output in a file:
# pkg_run LABEL EXE ARGS... (paths as the runner sees them); sets CAPTURED, CAPTURED_STATUS.
pkg_run() {
    local label=$1
    shift
    capture "$label" "$RUNNER" env LANG=C.UTF-8 LC_ALL=C.UTF-8 wine "$@"
}

expect_version() {
    pkg_run "version $ARCH" "$(seen "$PKG/$ARCH/onetrans.exe")" --version
    cat "$CAPTURED"
    ((CAPTURED_STATUS == 0)) && [ "$(cat "$CAPTURED")" = "onetrans $(release_version)" ]
}

expect_keygen() {
    pkg_run "keygen $ARCH" "$(seen "$PKG/$ARCH/onetrans.exe")" keygen
    cat "$CAPTURED"
    ((CAPTURED_STATUS == 0)) && grep -q -- '-----BEGIN PRIVATE KEY-----' "$CAPTURED" &&
        grep -q '私钥 / private key → clientPrvKey' "$CAPTURED"
}

# onetrans.exe call against the portal at URL: the last line says 000000, exit status 0.
expect_call() {
    local url=$1 input=$WORK/in-$ARCH-$RANDOM.json
    write_input "$url" "$input"
    pkg_run "call $ARCH" "$(seen "$PKG/$ARCH/onetrans.exe")" call "$(seen "$input")"
    cat "$CAPTURED"
    ((CAPTURED_STATUS == 0)) && grep -q '^返回码 / return code: 000000$' "$CAPTURED"
}

# onetrans.exe check against the portal at URL: every step passes (exit status 0).
expect_check() {
    local url=$1 input=$WORK/check-$ARCH-$RANDOM.json
    write_input "$url" "$input"
    pkg_run "check $ARCH" "$(seen "$PKG/$ARCH/onetrans.exe")" check "$(seen "$input")"
    cat "$CAPTURED"
    ((CAPTURED_STATUS == 0))
}

# Starts the package's onetrans-portal.exe under Wine; sets WINE_PORTAL_URL and WINE_PORTAL_PID.
start_wine_portal() {
    local log=$WORK/wine-portal-$ARCH.log i
    "$RUNNER" env LANG=C.UTF-8 wine "$(seen "$PKG/$ARCH/onetrans-portal.exe")" --port 0 >"$log" 2>&1 &
    WINE_PORTAL_PID=$!
    WINE_PORTAL_URL=
    for i in $(seq 1 600); do
        WINE_PORTAL_URL=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | head -n1 || true)
        [ -n "$WINE_PORTAL_URL" ] && return 0
        kill -0 "$WINE_PORTAL_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$log"
    return 1
}

# Stops it: its wineserver ends every process of the prefix (only this run's: windows_run holds
# the lock of the target dir), and the runner's subshell then returns.
stop_wine_portal() {
    [ -n "${WINE_PORTAL_PID:-}" ] || return 0
    "$RUNNER" wineserver -k >/dev/null 2>&1 || true
    wait "$WINE_PORTAL_PID" 2>/dev/null || true
    WINE_PORTAL_PID=
}

# call --config with an OneTrans.ini (UTF-8 with BOM, CRLF, as Notepad saves it) in a folder
# whose path has spaces and Chinese characters: the call succeeds, and check --no-call (which
# prints the settings in effect; call itself writes no log) names that file and shows its
# readTimeoutMs and its logDir (relative: below the INI's folder, Chinese too).
expect_config_folder() {
    local dir="$WORK/$ARCH/医保 配置 his" input ini
    mkdir -p "$dir"
    printf '\xef\xbb\xbf[onetrans]\r\nlogDir = 日志 log\r\nlogLevel = info\r\nreadTimeoutMs = 20000\r\n' \
        >"$dir/OneTrans.ini"
    input="$dir/入参 input.json"
    ini=$(winpath "$(seen "$dir/OneTrans.ini")")
    write_input "$PORTAL_URL" "$input"
    pkg_run "config call $ARCH" "$(seen "$PKG/$ARCH/onetrans.exe")" \
        --config "$ini" call "$(winpath "$(seen "$input")")"
    cat "$CAPTURED"
    ((CAPTURED_STATUS == 0)) && grep -q '^返回码 / return code: 000000$' "$CAPTURED" || return 1
    pkg_run "config check $ARCH" "$(seen "$PKG/$ARCH/onetrans.exe")" \
        --config "$ini" check --no-call "$(winpath "$(seen "$input")")"
    cat "$CAPTURED"
    ((CAPTURED_STATUS == 0)) &&
        grep -qF "动态库设置 / the library's settings: $ini" "$CAPTURED" &&
        grep -qE '^  readTimeoutMs +: 20000$' "$CAPTURED" &&
        grep -qE '^  logDir +: .*医保 配置 his.日志 log$' "$CAPTURED"
}

# Redirected to a file, the output is UTF-8 (no BOM) whatever the console's code page: run
# under a Chinese locale (ANSI/OEM code page 936) and read the bytes back.
expect_redirected_utf8() {
    local input=$WORK/redirect-$ARCH.json
    write_input "$PORTAL_URL" "$input"
    capture "redirect $ARCH" "$RUNNER" env LOCPATH="$LOCALE_SEEN" LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 \
        wine "$(seen "$PKG/$ARCH/onetrans.exe")" call "$(seen "$input")"
    cat "$CAPTURED"
    ((CAPTURED_STATUS == 0)) || return 1
    [ "$(head -c 3 "$CAPTURED" | od -An -tx1 | tr -d ' ')" != efbbbf ] || { echo "a BOM"; return 1; }
    iconv -f UTF-8 -t UTF-8 "$CAPTURED" >/dev/null || { echo "not valid UTF-8"; return 1; }
    grep -q '^返回码 / return code: 000000$' "$CAPTURED" &&
        grep -q '^说明 / meaning: ' "$CAPTURED"
}

# Runs a command line on a console: under script(1), Wine's console is the pseudo-terminal,
# shown in the Unix locale's encoding (UTF-8). console LABEL COMMAND-LINE (for sh -c, inside
# the runner, Chinese locale: code page 936).
console() {
    capture "$1" "$RUNNER" env LOCPATH="$LOCALE_SEEN" LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 TERM=dumb \
        script -qec "$2" /dev/null
}

# On a console whose code page is 936, the Chinese text reads correctly: Rust's standard output
# writes to a console with WriteConsoleW (UTF-16), whatever its code page.
expect_console_chinese() {
    local input=$WORK/console-$ARCH.json
    write_input "$PORTAL_URL" "$input"
    console "console $ARCH" "wine '$(seen "$PKG/$ARCH/onetrans.exe")' call '$(seen "$input")'"
    cat "$CAPTURED"
    ((CAPTURED_STATUS == 0)) && grep -q '返回码 / return code: 000000' "$CAPTURED" &&
        grep -q '说明 / meaning: ' "$CAPTURED"
}

# The control of the check above: UTF-8 bytes written to the same console as bytes (cmd's type
# of the redirected file) are read in code page 936 and come out garbled. So the check above
# does see how a program writes, and `type` of a redirected file needs `chcp 65001` first.
expect_console_control() {
    printf '返回码 / return code: 000000\r\n' >"$WORK/utf8-$ARCH.txt"
    console "console control $ARCH" "wine cmd /c type '$(winpath "$(seen "$WORK/utf8-$ARCH.txt")")'"
    cat "$CAPTURED"
    grep -q 'return code: 000000' "$CAPTURED" && ! grep -q '返回码' "$CAPTURED"
}

# The DLL of the package, copied beside a program as an integrator does: the test client's main
# and version checks (OneTransVersion() and the resources of the DLL and the EXEs agree), and the
# examples compiled against the package's header and import libraries.
test_dll_from_package() {
    local app=$WORK/app-$ARCH cc flags=(-static -Wall -Wextra -Werror -O2)
    cc="$(mingw "$TARGET")-gcc"
    mkdir -p "$app"
    cp "$PKG/$ARCH/OneTrans.dll" "$app/"
    "$cc" "${flags[@]}" -o "$app/onetrans_test.exe" windows/test_client.c -lws2_32 -lversion
    "$cc" "${flags[@]}" -I"$PKG/include" -o "$app/link.exe" "$PKG/examples/link.c" \
        -L"$PKG/$ARCH" -lOneTrans
    "$cc" "${flags[@]}" -o "$app/loadlibrary.exe" "$PKG/examples/loadlibrary.c"
    run_client "$ARCH package: version resources" "$RUNNER" wine "$(seen "$app")/onetrans_test.exe" \
        version "$PORTAL_URL" "Z:$(seen "$PKG/$ARCH")/onetrans.exe" "Z:$(seen "$PKG/$ARCH")/onetrans-portal.exe"
    run_client "$ARCH package: OneTrans.dll main" "$RUNNER" wine "$(seen "$app")/onetrans_test.exe" \
        main "$PORTAL_URL"
    run_example "$ARCH package: examples/link.c + libOneTrans.dll.a" "$RUNNER" wine \
        "$(seen "$app")/link.exe" "$PORTAL_URL$PUSH_MSG"
    run_example "$ARCH package: examples/loadlibrary.c" "$RUNNER" wine \
        "$(seen "$app")/loadlibrary.exe" "$PORTAL_URL$PUSH_MSG"
}

# Everything of one arch, from the unpacked package: test_package_arch TARGET RUNNER SEEN_ROOT
# LOCALE_DIR (SEEN_ROOT: where $WORK is for the runner; LOCALE_DIR: the zh_CN locale's folder
# as the runner sees it).
test_package_arch() {
    TARGET=$1 RUNNER=$2 PKG_SEEN_ROOT=$3 LOCALE_SEEN=$4
    ARCH=$(arch_dir "$TARGET")
    log "testing the package's $ARCH under $([ "$ARCH" = x86 ] && echo 32 || echo 64)-bit Wine"
    pkg_check "$ARCH onetrans.exe --version" expect_version
    pkg_check "$ARCH onetrans.exe keygen" expect_keygen
    pkg_check "$ARCH onetrans.exe call, portal simulator on the machine ($PORTAL_URL)" \
        expect_call "$PORTAL_URL"
    pkg_check "$ARCH onetrans.exe check, portal simulator on the machine" expect_check "$PORTAL_URL"
    if start_wine_portal; then
        PASSED=$((PASSED + 1))
        echo "    ok   $ARCH onetrans-portal.exe under Wine ($WINE_PORTAL_URL)"
        pkg_check "$ARCH onetrans.exe call, onetrans-portal.exe under Wine" expect_call "$WINE_PORTAL_URL"
        pkg_check "$ARCH onetrans.exe check, onetrans-portal.exe under Wine" expect_check "$WINE_PORTAL_URL"
        stop_wine_portal
    else
        FAILED=$((FAILED + 1))
        echo "    FAIL $ARCH onetrans-portal.exe did not start under Wine"
    fi
    pkg_check "$ARCH onetrans.exe --config in a folder with spaces and Chinese" expect_config_folder
    if make_locale "$RUNNER" "$LOCALE_SEEN"; then
        pkg_check "$ARCH output redirected to a file is UTF-8 (code page 936)" expect_redirected_utf8
        pkg_check "$ARCH output on a code page 936 console reads correctly" expect_console_chinese
        pkg_check "$ARCH control: UTF-8 bytes typed on that console are garbled" expect_console_control
    else
        skip_part "$ARCH CODE PAGE 936 TESTS" "no zh_CN.UTF-8 locale could be made (package locales)"
    fi
    test_dll_from_package
}

# The step (for windows_run): unpack the zip into an empty folder and test it from there.
step_test_package() {
    local name zip
    require_host_tools
    name=$(package_name)
    zip=$REPO/dist/$name.zip
    [ -f "$zip" ] || die "$zip is missing: run scripts/windows.sh package first"
    TESTED=1
    WORK=$(mktemp -d /tmp/onetrans-winpkg.XXXXXX)
    chmod 755 "$WORK"
    mkdir -p "$WORK/unpacked"
    (cd "$WORK/unpacked" && unzip -q "$zip")
    PKG=$WORK/unpacked/$name
    [ -d "$PKG" ] || die "$zip does not hold one folder $name/"
    log "testing $name from $PKG"
    pkg_check "SHA256SUMS of the unpacked package" bash -c "cd '$PKG' && sha256sum --quiet -c SHA256SUMS"
    pkg_check "README.txt and OneTrans.ini: UTF-8 with BOM, CRLF" expect_notepad_texts
    start_portal
    if wine_ready "64-BIT TESTS" "$WINE64_PREFIX/system.reg"; then
        timed "package tests, 64-bit Wine" test_package_arch x86_64-win7-windows-gnu run_wine64 "$WORK" \
            "$WIN_TARGET_DIR/locale"
        wine64_server_stop
    fi
    if wine_ready "32-BIT TESTS" "$WINE32_READY"; then
        chroot_mount
        mkdir -p "$WINE32_ROOT/work"
        mount --bind "$WORK" "$WINE32_ROOT/work"
        timed "package tests, 32-bit Wine" test_package_arch i686-win7-windows-gnu run_wine32 /work \
            /root/locale
        wine32_server_stop
        chroot_unmount
    fi
}

# The texts meant for Notepad start with a UTF-8 BOM and end every line with CRLF.
expect_notepad_texts() {
    local file
    for file in README.txt OneTrans.ini LICENSE; do
        [ "$(head -c 3 "$PKG/$file" | od -An -tx1 | tr -d ' ')" = efbbbf ] || { echo "$file: no BOM"; return 1; }
        if grep -qv $'\r$' "$PKG/$file"; then echo "$file: a line without CR"; return 1; fi
        iconv -f UTF-8 -t UTF-8 "$PKG/$file" >/dev/null || { echo "$file: not UTF-8"; return 1; }
    done
    grep -q '医保' "$PKG/README.txt"
}
