// The VERSIONINFO resource of the shipped Windows binaries (OneTrans.dll, onetrans.exe,
// onetrans-portal.exe), included by the build.rs of each of their crates (`include!`): it writes
// an .rc file into OUT_DIR, compiles it with mingw's windres into a COFF object and links that
// object into the DLL or the EXE. For any other target it does nothing at all, so the Linux
// builds are untouched (docs/DECISIONS.md, "Issue 14: version resources").
//
// No crate (winresource, embed-resource) on purpose: they are build-dependencies that every
// Linux build would compile too, and what they do for a *-windows-gnu target is this: call
// windres. The resource is one string block, 080404b0 (Chinese, Simplified; Unicode), whose
// texts are Chinese first, then English: Explorer's Details tab shows one block, so both
// languages are in it.
//
// windres (binutils) is reproducible: its object has no time stamp and no path.

/// What one binary says about itself.
struct VersionResource {
    /// `OriginalFilename`, and `InternalName` without its extension: `OneTrans.dll`.
    original_filename: &'static str,
    /// `FileDescription`: Chinese first, then English.
    description: &'static str,
    /// `FILETYPE`: `VFT_APP` (1) for an EXE, `VFT_DLL` (2) for a DLL.
    file_type: u32,
}

#[allow(dead_code)] // each build script uses one of the two
const VFT_APP: u32 = 1;
#[allow(dead_code)]
const VFT_DLL: u32 = 2;

/// The product name of every binary.
const PRODUCT_NAME: &str = "OneTrans 医保支付门户接口 (medical-insurance portal interface)";

impl VersionResource {
    /// Compiles and links the resource when building for Windows; a no-op otherwise.
    fn embed(&self) {
        println!("cargo:rerun-if-changed=build.rs");
        println!("cargo:rerun-if-env-changed=ONETRANS_WINDRES");
        if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
            return;
        }
        let out_dir = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
        let rc = out_dir.join("version.rc");
        let object = out_dir.join("version-resource.o");
        std::fs::write(&rc, self.rc_text()).expect("cannot write version.rc");
        let windres = windres();
        let status = std::process::Command::new(&windres)
            .args(["-O", "coff", "-c", "65001", "-i"])
            .arg(&rc)
            .arg("-o")
            .arg(&object)
            .status()
            .unwrap_or_else(|e| {
                panic!(
                    "无法运行 {windres} (cannot run the resource compiler; install the mingw-w64 \
                     binutils or set ONETRANS_WINDRES): {e}"
                )
            });
        assert!(status.success(), "{windres} failed on {}", rc.display());
        let kind = if self.file_type == VFT_DLL {
            "cdylib"
        } else {
            "bins"
        };
        // An object given to the linker is always linked (a library's member would be dropped:
        // nothing refers to a resource).
        println!("cargo:rustc-link-arg-{kind}={}", object.display());
    }

    /// The .rc source (UTF-8, read with code page 65001).
    fn rc_text(&self) -> String {
        let version = std::env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION");
        let licence = std::env::var("CARGO_PKG_LICENSE").unwrap_or_default();
        assert!(
            !licence.is_empty(),
            "the crate's Cargo.toml must name its licence"
        );
        let numbers = version_numbers(&version);
        let internal = self
            .original_filename
            .rsplit_once('.')
            .map_or(self.original_filename, |(stem, _)| stem);
        let copyright = format!(
            "Copyright (c) onetrans 的作者 (the onetrans authors). 许可证 (licence): {licence}"
        );
        let strings = [
            ("FileDescription", self.description),
            ("FileVersion", &version),
            ("InternalName", internal),
            ("LegalCopyright", &copyright),
            ("OriginalFilename", self.original_filename),
            ("ProductName", PRODUCT_NAME),
            ("ProductVersion", &version),
        ];
        let mut values = String::new();
        for (name, value) in strings {
            values.push_str(&format!(
                "      VALUE \"{name}\", \"{}\"\n",
                rc_escape(value)
            ));
        }
        format!(
            "#pragma code_page(65001)\n\
             LANGUAGE 0x04, 0x02\n\
             1 VERSIONINFO\n\
             FILEVERSION {numbers}\n\
             PRODUCTVERSION {numbers}\n\
             FILEFLAGSMASK 0x3f\n\
             FILEFLAGS 0x0\n\
             FILEOS 0x40004\n\
             FILETYPE {file_type}\n\
             FILESUBTYPE 0x0\n\
             BEGIN\n\
             \x20 BLOCK \"StringFileInfo\"\n\
             \x20 BEGIN\n\
             \x20   BLOCK \"080404b0\"\n\
             \x20   BEGIN\n\
             {values}\
             \x20   END\n\
             \x20 END\n\
             \x20 BLOCK \"VarFileInfo\"\n\
             \x20 BEGIN\n\
             \x20   VALUE \"Translation\", 0x804, 1200\n\
             \x20 END\n\
             END\n",
            file_type = self.file_type,
        )
    }
}

/// `0.2.0` (or `0.2.0-rc.1`) as the four numbers of FILEVERSION: `0,2,0,0`.
fn version_numbers(version: &str) -> String {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let mut numbers: Vec<u16> = core.split('.').map(|n| n.parse().unwrap_or(0)).collect();
    numbers.resize(4, 0);
    numbers
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A string for an .rc literal: `"` doubled, `\` escaped.
fn rc_escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\"\"")
}

/// mingw's windres for the target's architecture (or ONETRANS_WINDRES).
fn windres() -> String {
    if let Ok(path) = std::env::var("ONETRANS_WINDRES") {
        return path;
    }
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let prefix = if arch == "x86" { "i686" } else { "x86_64" };
    format!("{prefix}-w64-mingw32-windres")
}
