//! The command line of the Windows tasks (see `lib.rs`):
//!
//! ```text
//! cargo run -p xtask -- def                           write windows/OneTrans.{x86,x64}.def
//! cargo run -p xtask -- def --check                   fail if they (or the C header) are stale
//! cargo run -p xtask -- check-dll PATH --arch x86|x64 check a built OneTrans.dll
//! cargo run -p xtask -- check-exe PATH --arch x86|x64 check a built onetrans.exe or
//!                                                     onetrans-portal.exe
//! ```
//!
//! Both checks include the file's `VERSIONINFO` resource (`version.rs`): the version and licence
//! of the workspace's `Cargo.toml`, the file's own name as `OriginalFilename`.
//!
//! Exit status: 0 done, 1 a check failed, 2 a usage error.

use std::path::Path;
use std::process::ExitCode;

use xtask::{exports, pe, version, Arch};

const USAGE: &str =
    "usage: xtask def [--check] | xtask check-dll PATH --arch x86|x64 | xtask check-exe PATH --arch x86|x64";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["def"] => def(false),
        ["def", "--check"] => def(true),
        [command @ ("check-dll" | "check-exe"), path, "--arch", arch]
        | [command @ ("check-dll" | "check-exe"), "--arch", arch, path] => {
            let kind = if *command == "check-dll" {
                Kind::Dll
            } else {
                Kind::Exe
            };
            match Arch::from_dir(arch) {
                Some(arch) => check_file(Path::new(path), arch, kind),
                None => usage(),
            }
        }
        _ => usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

fn usage() -> Result<(), ExitCode> {
    eprintln!("{USAGE}");
    Err(ExitCode::from(2))
}

/// Prints a failure and gives the exit status 1.
fn fail(message: &str) -> ExitCode {
    eprintln!("xtask: ERROR: {message}");
    ExitCode::FAILURE
}

/// Writes the `.def` files from the source, or (`check`) fails when the checked-in ones differ,
/// or when the checked-in C header does (which dist/ ships beside them).
fn def(check: bool) -> Result<(), ExitCode> {
    let root = exports::repo_root();
    let api = exports::load(&root).map_err(|e| fail(&e))?;
    let stale = exports::stale_defs(&root, &api.exports);
    for (path, text) in &stale {
        if check {
            eprintln!("xtask: {} is stale", path.display());
        } else {
            std::fs::write(path, text)
                .map_err(|e| fail(&format!("cannot write {}: {e}", path.display())))?;
            println!("xtask: wrote {}", path.display());
        }
    }
    if check && !stale.is_empty() {
        return Err(fail(
            "the .def files do not match src/ffi.rs: regenerate them with cargo run -p xtask -- def",
        ));
    }
    if let Some(header) = exports::stale_header(&root, &api) {
        return Err(fail(&format!(
            "{} does not match src/ffi.rs: regenerate it with \
             ONETRANS_BLESS=1 cargo test --test header",
            header.display()
        )));
    }
    Ok(())
}

/// Which shipped file a check is for.
#[derive(Clone, Copy)]
enum Kind {
    /// `OneTrans.dll`: also its exports against the C API.
    Dll,
    /// `onetrans.exe`, `onetrans-portal.exe`: also a console program.
    Exe,
}

/// Checks a built DLL or EXE for an arch and prints one line about it; the problems when it
/// fails.
fn check_file(path: &Path, arch: Arch, kind: Kind) -> Result<(), ExitCode> {
    let shown = path.display();
    let data = std::fs::read(path).map_err(|e| fail(&format!("cannot read {shown}: {e}")))?;
    let summary = pe::read(&data).map_err(|e| fail(&format!("{shown}: {e}")))?;
    let (mut problems, file_type) = match kind {
        Kind::Dll => {
            let api = exports::load(&exports::repo_root())
                .map_err(|e| fail(&e))?
                .names();
            (pe::problems(&summary, arch, &api), version::VFT_DLL)
        }
        Kind::Exe => (pe::exe_problems(&summary, arch), version::VFT_APP),
    };
    problems.extend(version_problems(path, &data, file_type)?);
    for problem in &problems {
        eprintln!("xtask: {shown}: {problem}");
    }
    if !problems.is_empty() {
        return Err(fail(&format!("{shown} failed its checks")));
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    println!(
        "{}/{name}: {}",
        arch.dir(),
        pe::describe(&summary, data.len() as u64)
    );
    Ok(())
}

/// What is wrong with a file's `VERSIONINFO`: it must carry the workspace's version and licence,
/// and the file's own name (`OriginalFilename`, ignoring case: cargo writes `onetrans.dll`).
fn version_problems(path: &Path, data: &[u8], file_type: u32) -> Result<Vec<String>, ExitCode> {
    let (release, licence) = xtask::release_package(&exports::repo_root()).map_err(|e| fail(&e))?;
    let info = match version::read(data) {
        Ok(info) => info,
        Err(e) => return Ok(vec![e]),
    };
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    Ok(version::problems(
        &info,
        &version::Expected {
            version: &release,
            licence: &licence,
            file_name: &file_name,
            file_type,
        },
    ))
}
