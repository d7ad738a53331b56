//! The examples in other languages, built and run against the portal simulator the way an
//! integrator would run them: the C program (compiled with -Wall -Wextra -Werror, run plainly,
//! under valgrind and built with AddressSanitizer) and the Python ctypes script.

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
