//! Project tasks for the Windows DLLs, in Rust rather than in shell text processing:
//!
//! * [`exports`]: the library's exports from cbindgen's parse of `src/ffi.rs` (the source of the
//!   C header too), and the `.def` files made from them (`windows/OneTrans.<arch>.def`);
//! * [`pe`]: the checks of a built `OneTrans.dll` (machine, exports, imports) with a PE parser,
//!   and of the shipped EXEs (`onetrans.exe`, `onetrans-portal.exe`: machine, imports);
//! * [`version`]: their `VERSIONINFO` resources, read back and checked against `Cargo.toml`.
//!
//! `src/main.rs` is the command line that `scripts/windows/` uses.

pub mod exports;
pub mod pe;
pub mod version;

/// The two Windows DLLs the project ships.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// 32-bit (`i686-win7-windows-gnu`), `__stdcall`.
    X86,
    /// 64-bit (`x86_64-win7-windows-gnu`).
    X64,
}

impl Arch {
    pub const ALL: [Arch; 2] = [Arch::X86, Arch::X64];

    /// The name of its folder in dist/ and on the command line: `x86` or `x64`.
    pub fn dir(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
        }
    }

    /// The arch named `x86` or `x64`.
    pub fn from_dir(name: &str) -> Option<Arch> {
        Arch::ALL.into_iter().find(|arch| arch.dir() == name)
    }
}

/// The `[package]` `version` and `license` of the workspace's root `Cargo.toml`: the release's
/// version (what `OneTransVersion()` returns) and its licence.
pub fn release_package(root: &std::path::Path) -> Result<(String, String), String> {
    let path = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut in_package = false;
    let (mut version, mut licence) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_string();
        match key.trim() {
            "version" if in_package => version = version.or(Some(value)),
            "license" if in_package => licence = licence.or(Some(value)),
            _ => {}
        }
    }
    match (version, licence) {
        (Some(v), Some(l)) => Ok((v, l)),
        _ => Err(format!(
            "{} has no [package] version and license",
            path.display()
        )),
    }
}
