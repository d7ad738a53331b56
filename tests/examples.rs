//! The examples in other languages, built and run against the portal simulator the way an
//! integrator would run them: the C program (compiled with -Wall -Wextra -Werror, run plainly,
//! under valgrind and built with AddressSanitizer), the Python ctypes script, the C++, Delphi
//! (Free Pascal) and C# (Mono) programs, and the VB.NET program where a `vbnc` exists (Debian 12
//! packages none). The VB6 and VB.NET declarations are checked against the header everywhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{build_output_dir, built_library_dir as lib_dir};
use onetrans_portal::{Portal, PortalConfig};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// Compiles `c_examples/example.c` against the checked-in header and the built library, with
/// extra compiler flags, into `target/<profile>/<name>`. Each test uses its own `name`: the tests
/// run in parallel, and two compilers writing one file race.
fn build_c_example_with(name: &str, flags: &[&str]) -> PathBuf {
    let out = build_output_dir().join(name);
    let status = Command::new("cc")
        .args(flags)
        .args(["-Wall", "-Wextra", "-Werror", "-O1", "-g", "-I"])
        .arg(repo().join("include"))
        .arg(repo().join("c_examples/example.c"))
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib_dir().display()))
        .args(["-lonetrans", "-lpthread"])
        .status()
        .expect("a C compiler (cc) is installed");
    assert!(
        status.success(),
        "the C example must compile without warnings"
    );
    out
}

/// Whether the checked-in header declares an export: the examples may only skip a check for an
/// export the library does not have yet (they print `SKIP` then), never for one it has.
fn header_declares(export: &str) -> bool {
    header_exports().iter().any(|(name, _)| name == export)
}

/// Every export of `include/onetrans.h` with its parameter count.
fn header_exports() -> Vec<(String, usize)> {
    let header = std::fs::read_to_string(repo().join("include/onetrans.h")).unwrap();
    header
        .lines()
        .filter_map(|line| line.strip_prefix("ONETRANS_CALL "))
        .map(|decl| {
            let open = decl.find('(').unwrap();
            let name = decl[..open].rsplit([' ', '*']).next().unwrap().to_string();
            let params = &decl[open + 1..decl.rfind(')').unwrap()];
            (name, count_params(params))
        })
        .collect()
}

/// Counts the parameters of a parameter list, commas inside parentheses (VB's `Char()`) apart.
fn count_params(params: &str) -> usize {
    let params = params.trim();
    if params.is_empty() || params == "void" {
        return 0;
    }
    let mut depth = 0i32;
    let mut count = 1;
    for c in params.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => count += 1,
            _ => {}
        }
    }
    count
}

/// The exports whose declarations the documented languages must carry. The wide twin of
/// `OneTransLastOutput` is declared by the examples while the library gains it in parallel
/// (issue 10, item 14c); once the header has it, its own arity is what counts.
fn expected_exports() -> Vec<(String, usize)> {
    let mut exports = header_exports();
    if !exports
        .iter()
        .any(|(name, _)| name == "OneTransLastOutputW")
    {
        exports.push(("OneTransLastOutputW".to_string(), 3));
    }
    exports
}

/// Checks one file's declarations (name, parameter count, return type) against the exports.
fn check_declarations(file: &str, declared: &[(String, usize, String)], pointer_type: &str) {
    let expected = expected_exports();
    for (name, arity) in &expected {
        let found = declared.iter().find(|(n, _, _)| n == name);
        let (_, params, ret) = found.unwrap_or_else(|| panic!("{file} does not declare {name}"));
        assert_eq!(
            params, arity,
            "{file}: {name} has {params} parameters, the header {arity}"
        );
        assert_eq!(
            ret, pointer_type,
            "{file}: {name} must return {pointer_type} (the code is the library's pointer)"
        );
    }
    for (name, _, _) in declared {
        assert!(
            expected.iter().any(|(n, _)| n == name),
            "{file} declares {name}, which the library does not export"
        );
    }
}

fn run(mut command: Command, what: &str) -> String {
    let output = command
        .env("LD_LIBRARY_PATH", lib_dir())
        .env_remove("ONETRANS_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    println!("--- {what} stdout\n{stdout}\n--- {what} stderr\n{stderr}");
    assert!(output.status.success(), "{what} failed: {stdout}\n{stderr}");
    assert!(stdout.contains(" passed, 0 failed"), "{what}: {stdout}");
    assert!(
        !(stdout.contains("SKIP OneTransLastOutputW") && header_declares("OneTransLastOutputW")),
        "{what} skipped OneTransLastOutputW although the header declares it"
    );
    stdout + &stderr
}

#[test]
fn c_example_runs() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let exe = build_c_example_with("c_example", &[]);
    let mut command = Command::new(&exe);
    command.arg(portal.base_url()).arg(closed_url());
    run(command, "C example");
}

#[test]
fn c_example_is_clean_under_valgrind() {
    if !have("valgrind") {
        // The README's test command installs valgrind; a bare `cargo test` may not have it.
        eprintln!("SKIPPED: valgrind is not installed (./test.sh installs it)");
        assert!(std::env::var_os("CI").is_none(), "CI must have valgrind");
        return;
    }
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let exe = build_c_example_with("c_example_valgrind", &[]);
    let mut command = Command::new("valgrind");
    command
        .args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
        ])
        .arg(&exe)
        .arg(portal.base_url())
        .arg(closed_url());
    let text = run(command, "C example under valgrind");
    assert!(
        text.contains("ERROR SUMMARY: 0 errors"),
        "valgrind reported errors"
    );
    assert!(
        text.contains("definitely lost: 0 bytes") || text.contains("All heap blocks were freed")
    );
}

/// AddressSanitizer checks the C side's use of the library's buffers and strings (the Rust
/// library itself is not instrumented; `cargo fuzz` runs it under ASan instead). The program is
/// linked with libasan first, as `-fsanitize=address` does, so no LD_PRELOAD is needed;
/// LeakSanitizer runs at exit.
#[test]
fn c_example_is_clean_under_address_sanitizer() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let exe = build_c_example_with(
        "c_example_asan",
        &["-fsanitize=address", "-fno-omit-frame-pointer"],
    );
    let mut command = Command::new(&exe);
    command
        .env(
            "ASAN_OPTIONS",
            "detect_leaks=1:halt_on_error=1:exitcode=99:detect_stack_use_after_return=1",
        )
        .arg(portal.base_url())
        .arg(closed_url());
    let text = run(command, "C example under AddressSanitizer");
    assert!(!text.contains("AddressSanitizer"), "ASan reported an error");
    assert!(!text.contains("LeakSanitizer"), "LSan reported a leak");
}

#[test]
fn python_ctypes_example_runs() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let mut command = Command::new("python3");
    command
        .arg(repo().join("examples/python/mobile_trans.py"))
        .arg(lib_dir().join("libonetrans.so"))
        .arg(portal.base_url());
    run(command, "Python ctypes example");
}

#[test]
fn delphi_example_runs_under_free_pascal() {
    if !have("fpc") && Command::new("fpc").arg("-iV").output().is_err() {
        eprintln!("SKIPPED: Free Pascal (fpc) is not installed (./test.sh installs it)");
        assert!(std::env::var_os("CI").is_none(), "CI must have fpc");
        return;
    }
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let build = build_output_dir().join("delphi-example");
    std::fs::create_dir_all(&build).unwrap();
    let status = Command::new("fpc")
        .args(["-Mdelphi", "-vew", "-Sew"])
        .arg(format!("-Fl{}", lib_dir().display()))
        .arg(format!("-FE{}", build.display()))
        .arg(repo().join("examples/delphi/mobile_trans.dpr"))
        .status()
        .expect("fpc runs");
    assert!(
        status.success(),
        "the Delphi example must compile without warnings"
    );
    let mut command = Command::new(build.join("mobile_trans"));
    command.arg(portal.base_url());
    run(command, "Delphi example");
}

#[test]
fn cpp_example_runs() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let out = build_output_dir().join("cpp_example");
    let status = Command::new("c++")
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-O1", "-I"])
        .arg(repo().join("include"))
        .arg(repo().join("examples/cpp/mobile_trans.cpp"))
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib_dir().display()))
        .args(["-lonetrans", "-lpthread"])
        .status()
        .expect("a C++ compiler (c++) is installed");
    assert!(
        status.success(),
        "the C++ example must compile without warnings"
    );
    let mut command = Command::new(&out);
    command.arg(portal.base_url());
    run(command, "C++ example");
}

#[test]
fn csharp_example_runs_under_mono() {
    if Command::new("mcs").arg("--version").output().is_err() {
        eprintln!("SKIPPED: the Mono C# compiler (mcs) is not installed (./test.sh installs it)");
        assert!(std::env::var_os("CI").is_none(), "CI must have mono");
        return;
    }
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let exe = build_output_dir().join("MobileTransCs.exe");
    let status = Command::new("mcs")
        .args(["-warnaserror+", "-nologo"])
        .arg(format!("-out:{}", exe.display()))
        .arg(repo().join("examples/csharp/MobileTrans.cs"))
        .status()
        .expect("mcs runs");
    assert!(
        status.success(),
        "the C# example must compile without warnings"
    );
    let mut command = Command::new("mono");
    command.arg(&exe).arg(portal.base_url());
    run(command, "C# example");
}

/// VB6 (`examples/vb6/OneTrans.bas`): every export declared with `Lib "OneTrans.dll"`, the
/// header's parameter count, and `As Long` for the returned code: `As String` would make VB
/// take the library's pointer for a BSTR and free it. No VB6 compiler runs here.
#[test]
fn vb6_declarations_match_the_header() {
    let file = "examples/vb6/OneTrans.bas";
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    let mut declared = Vec::new();
    for line in text.lines().filter(|l| l.contains("Lib \"OneTrans.dll\"")) {
        let after = line
            .split("Declare Function ")
            .nth(1)
            .expect("Declare Function");
        let name = after.split_whitespace().next().unwrap().to_string();
        let params = &after[after.find('(').unwrap() + 1..after.rfind(')').unwrap()];
        let ret = after[after.rfind(')').unwrap() + 1..]
            .trim()
            .trim_start_matches("As ");
        for param in params.split(',').filter(|p| !p.trim().is_empty()) {
            assert!(
                param.trim().starts_with("ByVal") || param.trim().starts_with("ByRef"),
                "{file}: {name}: say ByVal or ByRef: {param}"
            );
            if param.contains("As String") {
                assert!(
                    param.trim().starts_with("ByVal"),
                    "{file}: {name}: strings go ByVal"
                );
            }
        }
        declared.push((name, count_params(params), ret.to_string()));
    }
    check_declarations(file, &declared, "Long");
    for helper in ["lstrlenA", "lstrlenW", "RtlMoveMemory", "Space$("] {
        assert!(text.contains(helper), "{file} uses {helper}");
    }
}

/// The `<DllImport>` functions of a VB.NET file: name, parameter count, return type.
fn vbnet_declarations(text: &str) -> Vec<(String, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut declared = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.trim_start().starts_with("<DllImport(") {
            continue;
        }
        let decl = lines[i + 1].trim();
        let after = decl
            .strip_prefix("Public Function ")
            .expect("Public Function after DllImport");
        let open = after.find('(').unwrap();
        let close = after.rfind(") As ").unwrap();
        declared.push((
            after[..open].to_string(),
            count_params(&after[open + 1..close]),
            after[close + 5..].trim().to_string(),
        ));
        assert_eq!(lines[i + 2].trim(), "End Function");
    }
    declared
}

/// VB.NET (`examples/vbnet/MobileTrans.vb`): the same checks, `As IntPtr` for the code.
#[test]
fn vbnet_declarations_match_the_header() {
    let file = "examples/vbnet/MobileTrans.vb";
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    assert!(text.contains("Option Strict On"));
    let declared = vbnet_declarations(&text);
    check_declarations(file, &declared, "IntPtr");
    assert!(
        text.matches("CallingConvention:=CallingConvention.StdCall")
            .count()
            == declared.len(),
        "{file}: every import says StdCall (32-bit Windows)"
    );
}

/// Compiles the VB.NET example with Mono's `vbnc` and runs it like the C# one, where a `vbnc`
/// is installed: Debian 12 packages none, so on the project's machines this test only says so.
#[test]
fn vbnet_example_runs_under_mono() {
    if Command::new("vbnc").arg("/help").output().is_err() {
        eprintln!(
            "SKIPPED: no VB.NET compiler (Mono's vbnc; Debian 12 packages none): \
             the declarations are checked by vbnet_declarations_match_the_header"
        );
        return;
    }
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let exe = build_output_dir().join("MobileTransVb.exe");
    let status = Command::new("vbnc")
        .args(["-nologo", "-warnaserror+"])
        .arg(format!("-out:{}", exe.display()))
        .arg(repo().join("examples/vbnet/MobileTrans.vb"))
        .status()
        .expect("vbnc runs");
    assert!(
        status.success(),
        "the VB.NET example must compile without warnings"
    );
    let mut command = Command::new("mono");
    command.arg(&exe).arg(portal.base_url());
    run(command, "VB.NET example");
}

/// The integrator's guide declares the recovery after `000106` (`OneTransLastOutput` and its
/// wide twin) in every language section that has a UTF-16 string type, and the narrow one in
/// every section: a caller left without them calls again, and sends the request twice.
#[test]
fn windows_readme_declares_recovery_for_every_language() {
    let text = std::fs::read_to_string(repo().join("windows/README.md")).unwrap();
    let sections: Vec<&str> = text.split("\n### ").collect();
    let section = |title: &str| {
        sections
            .iter()
            .find(|s| s.starts_with(title))
            .unwrap_or_else(|| panic!("windows/README.md has a section {title}"))
    };
    for title in [
        "PowerBuilder",
        "Delphi",
        "C and C++",
        "C# (.NET)",
        "VB.NET",
        "Visual Basic 6",
        "Python (ctypes)",
    ] {
        let body = section(title);
        assert!(
            body.contains("OneTransLastOutputW"),
            "{title}: OneTransLastOutputW"
        );
        let narrow = body
            .match_indices("OneTransLastOutput")
            .any(|(i, m)| !body[i + m.len()..].starts_with('W'));
        assert!(narrow, "{title}: OneTransLastOutput");
    }
    assert!(section("Visual FoxPro").contains("OneTransLastOutput"));
    let powerbuilder = section("PowerBuilder");
    assert!(powerbuilder.contains("ALIAS FOR \"MobileTransEx;Ansi\""));
    assert!(powerbuilder.contains("Len(ls_out)"));
    assert!(text.contains("Raise `outBufSize` only together with"));
}

/// The vendor document's C++ sample as hospitals copy it (issue 10 item 13): each request
/// `memcpy`d without its NUL into a reused, zero-initialised-once buffer, so a shorter request
/// is followed by the tail of a longer one. Only the first JSON object may reach the portal.
#[test]
fn vendor_reused_buffer_sample_runs() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let out = build_output_dir().join("vendor_reused_buffer");
    let status = Command::new("c++")
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-O1", "-I"])
        .arg(repo().join("include"))
        .arg(repo().join("c_examples/vendor_reused_buffer.cpp"))
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib_dir().display()))
        .args(["-lonetrans", "-lpthread"])
        .status()
        .expect("a C++ compiler (c++) is installed");
    assert!(
        status.success(),
        "the vendor sample must compile without warnings"
    );
    let mut command = Command::new(&out);
    command.arg(portal.base_url());
    run(command, "vendor reused-buffer sample");
    let orders: Vec<String> = portal
        .received()
        .iter()
        .map(|r| r.data.as_ref().expect("decrypted")["medOrgOrd"].to_string())
        .collect();
    assert_eq!(
        orders,
        ["\"VENDOR-LONG-000001\"", "\"VENDOR-S\"", "\"VENDOR-3\""],
        "three requests, each the first object in the buffer"
    );
}
