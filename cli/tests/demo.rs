//! `onetrans demo`: the one-command demo, with the shared library loaded exactly as a hospital
//! system loads it. Needs the built cdylib (`libonetrans.so`): found next to this test's
//! binaries, or built with `cargo build -p onetrans` into the same target folder.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{run, APP_KEY};

fn lib_name() -> String {
    format!(
        "{}onetrans{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// `<target>/debug/deps` (where this test binary is) and `<target>/debug`.
fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(deps) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        if let Some(profile) = deps.parent() {
            dirs.push(profile.to_path_buf());
        }
        dirs.push(deps);
    }
    dirs
}

/// The newest copy: cargo rebuilds the one in `deps` with this test's build, while the one in
/// the profile folder is only refreshed by `cargo build -p onetrans`.
fn find_lib() -> Option<PathBuf> {
    candidate_dirs()
        .into_iter()
        .map(|d| d.join(lib_name()))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
}

/// Builds the library into the target folder this test runs from.
fn build_lib() {
    let Some(profile) = candidate_dirs().into_iter().next() else {
        return;
    };
    let Some(target) = profile.parent() else {
        return;
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(cargo)
        .args(["build", "-p", "onetrans", "--manifest-path"])
        .arg(workspace.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .status();
    eprintln!("cargo build -p onetrans: {status:?}");
}

#[test]
fn the_demo_runs_every_step_with_the_expected_code() {
    let lib = match find_lib() {
        Some(lib) => lib,
        None => {
            build_lib();
            match find_lib() {
                Some(lib) => lib,
                None => {
                    eprintln!();
                    eprintln!(
                        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
                    );
                    eprintln!(
                        "!!! SKIPPED: {} not found in {:?}",
                        lib_name(),
                        candidate_dirs()
                    );
                    eprintln!(
                        "!!! build it with `cargo build -p onetrans` and run this test again"
                    );
                    eprintln!(
                        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
                    );
                    return;
                }
            }
        }
    };
    eprintln!("demo with {}", lib.display());
    let r = run(&["demo", "--lib", lib.to_str().unwrap()], None);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let out = &r.stdout;
    assert!(out.contains("演示结果 / result: 8/8"), "{out}");
    for code in ["000000", "000102", "010010", "000100"] {
        assert!(
            out.contains(&format!(
                "-- 返回码 / return code: {code}  [符合预期 / as expected]"
            )),
            "{code}: {out}"
        );
    }
    assert_eq!(out.matches("[符合预期 / as expected]").count(), 8, "{out}");
    assert!(
        out.contains("\"signType\":\"SM2\""),
        "the SM2 step's envelope: {out}"
    );
    assert!(
        out.contains("\"clientPrvKey\": \"****\""),
        "the private key is not shown: {out}"
    );
    assert!(out.contains("\"response\": \"SUCCESS\""), "{out}");
    assert!(
        out.contains("不可重复核销") || out.contains("\"code\": -2"),
        "the second write-off fails: {out}"
    );
    assert!(
        out.contains("St72****wCmM"),
        "the input is shown with the appKey masked: {out}"
    );
    assert!(
        !r.all().contains(APP_KEY),
        "the appKey is never shown: {out}"
    );
    assert!(out.contains("nothing reached the portal"), "{out}");
    assert!(out.contains("the data as the portal decrypted it"), "{out}");
}

#[test]
fn a_missing_library_is_a_clear_usage_error() {
    let r = run(&["demo", "--lib", "/nonexistent/libonetrans.so"], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("无法加载动态库") && r.stderr.contains("cargo build"),
        "{r:?}"
    );
}
