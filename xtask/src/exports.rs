//! The library's exports as the C header declares them, and the `.def` files made from them.
//!
//! The source is cbindgen's parse of `src/ffi.rs` with the project's `cbindgen.toml`: the same
//! parse that generates `include/onetrans.h` (checked by `tests/header.rs`), so the header, the
//! `.def` files and the DLL checks cannot disagree about which functions the DLL exports. A new
//! export in `src/ffi.rs` needs no change here: regenerate the header and the `.def` files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cbindgen::ir::{FunctionArgument, IntKind, PrimitiveType, Type};

use crate::Arch;

/// One exported function of the C API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// The plain name the DLL exports (`MobileTrans`).
    pub name: String,
    /// The size of its arguments on 32-bit Windows: the `n` of `__stdcall`'s `_name@n`.
    pub stdcall_bytes: u32,
}

/// The exports that windows/README.md documents to integrators. Not the expected list (that
/// comes from the source): a floor, so that an export cannot silently drop out of the header
/// (say, by losing its `extern "C"` twin, which is the one cbindgen reads).
pub const DOCUMENTED: [&str; 5] = [
    "MobileTrans",
    "MobileTransEx",
    "MobileTransW",
    "OneTransLastOutput",
    "OneTransVersion",
];

/// The repository's root (this crate lives in `xtask/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_path_buf()
}

/// What cbindgen makes of the library: its exports and the C header's text.
#[derive(Clone, Debug)]
pub struct Api {
    /// In the header's order.
    pub exports: Vec<Export>,
    /// The text `include/onetrans.h` must have (tests/header.rs checks the same).
    pub header: String,
}

impl Api {
    /// The exports' plain names.
    pub fn names(&self) -> Vec<String> {
        self.exports.iter().map(|e| e.name.clone()).collect()
    }
}

/// The API of the library rooted at `root`, from cbindgen's parse of its `src/ffi.rs` with its
/// `cbindgen.toml`.
pub fn load(root: &Path) -> Result<Api, String> {
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .map_err(|e| format!("cbindgen.toml: {e}"))?;
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen could not parse the crate: {e}"))?;
    let exports = bindings
        .functions
        .iter()
        .map(|f| export(f.path.name(), &f.args))
        .collect::<Result<Vec<_>, _>>()?;
    let missing: Vec<&str> = DOCUMENTED
        .into_iter()
        .filter(|name| !exports.iter().any(|e| e.name == *name))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the header no longer declares {} (documented in windows/README.md)",
            missing.join(", ")
        ));
    }
    let mut header = Vec::new();
    bindings.write(&mut header);
    let header = String::from_utf8(header).map_err(|_| "the header is not UTF-8".to_string())?;
    Ok(Api { exports, header })
}

/// The checked-in C header, when it is not what the source generates (the DLL checks take the
/// API from the source; dist/ ships the checked-in header: they must agree).
pub fn stale_header(root: &Path, api: &Api) -> Option<PathBuf> {
    let path = root.join("include/onetrans.h");
    let current = std::fs::read_to_string(&path).ok().as_deref() == Some(api.header.as_str());
    (!current).then_some(path)
}

fn export(name: &str, args: &[FunctionArgument]) -> Result<Export, String> {
    let mut bytes = 0;
    for arg in args {
        bytes += stack_bytes(&arg.ty).ok_or_else(|| {
            format!(
                "{name} takes '{}' ({:?}): not 4 bytes on i686? The __stdcall size in the .def \
                 needs a rule for this type in xtask/src/exports.rs",
                arg.name.as_deref().unwrap_or("?"),
                arg.ty
            )
        })?;
    }
    Ok(Export {
        name: name.to_string(),
        stdcall_bytes: bytes,
    })
}

/// The bytes a parameter of this type takes on the stack of a 32-bit Windows `__stdcall` call:
/// 4 for pointers and 32-bit integers; `None` for anything else, which needs thought (a 64-bit
/// integer takes 8, a struct by value its rounded-up size).
pub fn stack_bytes(ty: &Type) -> Option<u32> {
    match ty {
        Type::Ptr { .. } | Type::FuncPtr { .. } => Some(4),
        Type::Primitive(PrimitiveType::Integer {
            kind: IntKind::B32 | IntKind::Int,
            ..
        }) => Some(4),
        _ => None,
    }
}

/// Where the checked-in `.def` of an arch lives (copied into `dist/<arch>/OneTrans.def`).
pub fn def_path(root: &Path, arch: Arch) -> PathBuf {
    root.join("windows")
        .join(format!("OneTrans.{}.def", arch.dir()))
}

/// The `.def` of the DLL for an arch: plain names on x64; on x86 the `__stdcall` names
/// (`name@bytes`), which `dlltool -k` / `llvm-dlltool -k` turn into an import library that links
/// `__stdcall` callers (`_MobileTrans@8`) to the plain export (`MobileTrans`).
pub fn render_def(arch: Arch, exports: &[Export]) -> String {
    let mut out = format!(
        "; OneTrans.dll ({}): the exports, for import libraries.\n",
        arch.dir()
    );
    if arch == Arch::X86 {
        out.push_str(
            "; __stdcall names: make an import library with dlltool -k or llvm-dlltool -k\n\
             ; (the DLL exports the plain names). MSVC users: link the OneTrans.lib beside it.\n",
        );
    }
    out.push_str("LIBRARY \"OneTrans.dll\"\nEXPORTS\n");
    for e in exports {
        match arch {
            Arch::X86 => writeln!(out, "    {}@{}", e.name, e.stdcall_bytes),
            Arch::X64 => writeln!(out, "    {}", e.name),
        }
        .expect("writing to a String");
    }
    out
}

/// The checked-in `.def` files that differ from what the source generates, with the generated
/// text: `(path, generated)`. Empty when all are current.
pub fn stale_defs(root: &Path, exports: &[Export]) -> Vec<(PathBuf, String)> {
    Arch::ALL
        .into_iter()
        .map(|arch| (def_path(root, arch), render_def(arch, exports)))
        .filter(|(path, text)| std::fs::read_to_string(path).ok().as_deref() != Some(text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, stdcall_bytes: u32) -> Export {
        Export {
            name: name.to_string(),
            stdcall_bytes,
        }
    }

    fn int(kind: IntKind, signed: bool) -> Type {
        Type::Primitive(PrimitiveType::Integer {
            zeroable: true,
            signed,
            kind,
        })
    }

    #[test]
    fn pointers_and_32_bit_integers_take_4_bytes() {
        let char_ptr = Type::Ptr {
            ty: Box::new(Type::Primitive(PrimitiveType::Char)),
            is_const: true,
            is_nullable: true,
            is_ref: false,
        };
        assert_eq!(stack_bytes(&char_ptr), Some(4));
        assert_eq!(stack_bytes(&int(IntKind::B32, false)), Some(4));
        assert_eq!(stack_bytes(&int(IntKind::Int, true)), Some(4));
    }

    #[test]
    fn other_types_need_a_rule() {
        // The shell version accepted anything whose C spelling contained "int" (int64_t too).
        assert_eq!(stack_bytes(&int(IntKind::B64, true)), None);
        assert_eq!(stack_bytes(&int(IntKind::B16, false)), None);
        assert_eq!(stack_bytes(&Type::Primitive(PrimitiveType::Double)), None);
        assert_eq!(stack_bytes(&Type::Primitive(PrimitiveType::Bool)), None);
    }

    #[test]
    fn an_unsized_parameter_names_the_function() {
        let arg = FunctionArgument {
            name: Some("big".into()),
            ty: int(IntKind::B64, false),
            array_length: None,
        };
        let err = export("Wide", &[arg]).unwrap_err();
        assert!(err.contains("Wide takes 'big'"), "{err}");
    }

    #[test]
    fn def_texts() {
        let exports = [e("MobileTrans", 8), e("OneTransVersion", 0)];
        assert_eq!(
            render_def(Arch::X86, &exports),
            "; OneTrans.dll (x86): the exports, for import libraries.\n\
             ; __stdcall names: make an import library with dlltool -k or llvm-dlltool -k\n\
             ; (the DLL exports the plain names). MSVC users: link the OneTrans.lib beside it.\n\
             LIBRARY \"OneTrans.dll\"\nEXPORTS\n    MobileTrans@8\n    OneTransVersion@0\n"
        );
        assert_eq!(
            render_def(Arch::X64, &exports),
            "; OneTrans.dll (x64): the exports, for import libraries.\n\
             LIBRARY \"OneTrans.dll\"\nEXPORTS\n    MobileTrans\n    OneTransVersion\n"
        );
    }

    #[test]
    fn the_library_s_exports_and_their_stdcall_sizes() {
        let exports = load(&repo_root())
            .expect("cbindgen parses src/ffi.rs")
            .exports;
        for (name, bytes) in [
            ("MobileTrans", 8),
            ("MobileTransEx", 16),
            ("MobileTransW", 8),
            ("OneTransLastOutput", 12),
            ("OneTransVersion", 0),
        ] {
            assert!(
                exports.contains(&e(name, bytes)),
                "{name}@{bytes} in {exports:?}"
            );
        }
    }
}
