//! Project tasks for the Windows DLLs, in Rust rather than in shell text processing:
//!
//! * [`exports`]: the library's exports from cbindgen's parse of `src/ffi.rs` (the source of the
//!   C header too), and the `.def` files made from them (`windows/OneTrans.<arch>.def`);
//! * [`pe`]: the checks of a built `OneTrans.dll` (machine, exports, imports) with a PE parser.
//!
//! `src/main.rs` is the command line that `scripts/windows/` uses.

pub mod exports;
pub mod pe;

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
