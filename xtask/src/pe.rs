//! The checks of a built `OneTrans.dll`, read with a PE parser (the `object` crate): its machine,
//! its exports (exactly the C API's plain names, plus `DllMain`) and its imports (only DLLs and
//! functions that Windows 7 has). The shipped EXEs (`onetrans.exe`, `onetrans-portal.exe`) get
//! the same machine and import checks ([`exe_problems`]), and must be console programs. Reading ([`read`]) and judging ([`problems`]) are separate so
//! that the rules are unit-tested on made-up summaries as well as on the real DLLs.

use std::collections::BTreeSet;

use object::pe::{
    IMAGE_FILE_DLL, IMAGE_FILE_MACHINE_AMD64, IMAGE_FILE_MACHINE_I386, IMAGE_SUBSYSTEM_WINDOWS_CUI,
};
use object::read::pe::{
    ImageNtHeaders, ImageOptionalHeader, ImageThunkData, PeFile, PeFile32, PeFile64,
};
use object::{FileKind, LittleEndian as LE};

use crate::Arch;

/// Exported too, though not part of the C API: the DLL's entry point, which closes the pooled
/// connections on `FreeLibrary`. rustc exports every `#[no_mangle]` function of a cdylib; it is
/// `extern "system"` only, so cbindgen (and the header, the `.def`, the import libraries) leave
/// it out.
pub const ENTRY_POINT: &str = "DllMain";

/// DLLs a Windows 7 machine has (compared case-insensitively). Nothing from mingw (libgcc,
/// libwinpthread), no api-ms-win-* sets, nothing newer than Windows 7 (e.g. bcryptprimitives).
pub const ALLOWED_IMPORTS: [&str; 14] = [
    "kernel32.dll",
    "advapi32.dll",
    "bcrypt.dll",
    "msvcrt.dll",
    "ntdll.dll",
    "ws2_32.dll",
    "userenv.dll",
    "crypt32.dll",
    "ncrypt.dll",
    "secur32.dll",
    "shell32.dll",
    "ole32.dll",
    "oleaut32.dll",
    "user32.dll",
];

/// Functions newer than Windows 7 that Rust crates are known to pull in (a DLL importing any of
/// them fails to load on Windows 7 with "entry point not found").
pub const NEWER_THAN_WIN7: [&str; 18] = [
    "GetSystemTimePreciseAsFileTime",
    "WaitOnAddress",
    "WakeByAddressSingle",
    "WakeByAddressAll",
    "ProcessPrng",
    "SetThreadDescription",
    "GetThreadDescription",
    "CreateFile2",
    "CopyFile2",
    "GetOverlappedResultEx",
    "GetCurrentThreadStackLimits",
    "PrefetchVirtualMemory",
    "SetDefaultDllDirectories",
    "AddDllDirectory",
    "RemoveDllDirectory",
    "GetTempPath2W",
    "GetSystemCpuSetInformation",
    "CreateRandomAccessStreamOnFile",
];

/// What the checks need to know of a PE file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DllSummary {
    /// The COFF header's machine (`IMAGE_FILE_MACHINE_*`).
    pub machine: u16,
    /// The COFF header says it is a DLL (`IMAGE_FILE_DLL`).
    pub is_dll: bool,
    /// The optional header's subsystem (`IMAGE_SUBSYSTEM_WINDOWS_CUI` for a console program).
    pub subsystem: u16,
    /// The names of the export name table, sorted.
    pub exports: Vec<String>,
    /// The imported DLLs, ordinary and delay-loaded, in the file's order.
    pub imports: Vec<ImportedDll>,
}

/// One DLL of the import tables, with what is imported from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportedDll {
    /// As the file spells it (`KERNEL32.dll`).
    pub dll: String,
    /// Function names; an import by ordinal as `#N`.
    pub functions: Vec<String>,
}

/// Reads the summary of a PE image (32- or 64-bit); an error for anything else.
pub fn read(data: &[u8]) -> Result<DllSummary, String> {
    let kind = FileKind::parse(data).map_err(|e| format!("not a PE file: {e}"))?;
    match kind {
        FileKind::Pe32 => summarize(&PeFile32::parse(data).map_err(bad_pe)?),
        FileKind::Pe64 => summarize(&PeFile64::parse(data).map_err(bad_pe)?),
        other => Err(format!("not a PE file: {other:?}")),
    }
}

fn bad_pe(e: object::Error) -> String {
    format!("not a valid PE file: {e}")
}

fn summarize<Pe: ImageNtHeaders>(pe: &PeFile<'_, Pe>) -> Result<DllSummary, String> {
    let header = pe.nt_headers().file_header();
    let characteristics = header.characteristics.get(LE);
    let mut exports = export_names(pe).map_err(bad_pe)?;
    exports.sort();
    let mut imports = imported(pe).map_err(bad_pe)?;
    imports.extend(delay_imported(pe).map_err(bad_pe)?);
    Ok(DllSummary {
        machine: header.machine.get(LE),
        is_dll: characteristics & IMAGE_FILE_DLL != 0,
        subsystem: pe.nt_headers().optional_header().subsystem(),
        exports,
        imports,
    })
}

/// Every name of the export name table, forwarders included.
fn export_names<Pe: ImageNtHeaders>(pe: &PeFile<'_, Pe>) -> object::Result<Vec<String>> {
    let Some(table) = pe.export_table()? else {
        return Ok(Vec::new());
    };
    table
        .name_iter()
        .map(|(pointer, _)| Ok(text(table.name_from_pointer(pointer)?)))
        .collect()
}

fn imported<Pe: ImageNtHeaders>(pe: &PeFile<'_, Pe>) -> object::Result<Vec<ImportedDll>> {
    let mut dlls = Vec::new();
    let Some(table) = pe.import_table()? else {
        return Ok(dlls);
    };
    let mut descriptors = table.descriptors()?;
    while let Some(desc) = descriptors.next()? {
        let mut thunk_address = desc.original_first_thunk.get(LE);
        if thunk_address == 0 {
            thunk_address = desc.first_thunk.get(LE);
        }
        let mut thunks = table.thunks(thunk_address)?;
        let mut functions = Vec::new();
        while let Some(thunk) = thunks.next::<Pe>()? {
            functions.push(if thunk.is_ordinal() {
                format!("#{}", thunk.ordinal())
            } else {
                text(table.hint_name(thunk.address())?.1)
            });
        }
        dlls.push(ImportedDll {
            dll: text(table.name(desc.name.get(LE))?),
            functions,
        });
    }
    Ok(dlls)
}

/// The delay-load import tables (the DLL has none today; a future one is checked the same way).
fn delay_imported<Pe: ImageNtHeaders>(pe: &PeFile<'_, Pe>) -> object::Result<Vec<ImportedDll>> {
    let mut dlls = Vec::new();
    let directories = pe.data_directories();
    let Some(table) = directories.delay_load_import_table(pe.data(), &pe.section_table())? else {
        return Ok(dlls);
    };
    let mut descriptors = table.descriptors()?;
    while let Some(desc) = descriptors.next()? {
        let mut thunks = table.thunks(desc.import_name_table_rva.get(LE))?;
        let mut functions = Vec::new();
        while let Some(thunk) = thunks.next::<Pe>()? {
            functions.push(if thunk.is_ordinal() {
                format!("#{}", thunk.ordinal())
            } else {
                text(table.hint_name(thunk.address())?.1)
            });
        }
        dlls.push(ImportedDll {
            dll: text(table.name(desc.dll_name_rva.get(LE))?),
            functions,
        });
    }
    Ok(dlls)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The file's machine type, when it is not the arch's.
fn machine_problem(file: &DllSummary, arch: Arch) -> Option<String> {
    (file.machine != machine(arch)).then(|| {
        format!(
            "machine is {:#06x}, not {:#06x} ({})",
            file.machine,
            machine(arch),
            arch.dir()
        )
    })
}

/// What is wrong with a DLL for an arch whose C API is `api` (the header's function names);
/// empty when nothing is.
pub fn problems(dll: &DllSummary, arch: Arch, api: &[String]) -> Vec<String> {
    let mut found: Vec<String> = machine_problem(dll, arch).into_iter().collect();
    if !dll.is_dll {
        found.push("the file is not marked as a DLL (IMAGE_FILE_DLL)".to_string());
    }
    found.extend(export_problems(&dll.exports, api));
    found.extend(import_problems(&dll.imports));
    found
}

/// What is wrong with a shipped EXE for an arch; empty when nothing is. The tools are console
/// programs (their output goes to the console or a file), are no DLLs, and import only what
/// Windows 7 has, like the DLL; their exports are not checked (a program has none to speak of).
pub fn exe_problems(exe: &DllSummary, arch: Arch) -> Vec<String> {
    let mut found: Vec<String> = machine_problem(exe, arch).into_iter().collect();
    if exe.is_dll {
        found.push("the file is marked as a DLL (IMAGE_FILE_DLL), not a program".to_string());
    }
    if exe.subsystem != IMAGE_SUBSYSTEM_WINDOWS_CUI {
        found.push(format!(
            "subsystem is {}, not the console ({IMAGE_SUBSYSTEM_WINDOWS_CUI})",
            exe.subsystem
        ));
    }
    found.extend(import_problems(&exe.imports));
    found
}

/// The COFF machine of an arch.
pub fn machine(arch: Arch) -> u16 {
    match arch {
        Arch::X86 => IMAGE_FILE_MACHINE_I386,
        Arch::X64 => IMAGE_FILE_MACHINE_AMD64,
    }
}

/// Exactly the API's plain names and the entry point; none decorated (`_name`, `name@n`).
fn export_problems(exports: &[String], api: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let wanted: BTreeSet<&str> = api
        .iter()
        .map(String::as_str)
        .chain([ENTRY_POINT])
        .collect();
    let have: BTreeSet<&str> = exports.iter().map(String::as_str).collect();
    if have != wanted {
        let list = |s: &BTreeSet<&str>| s.iter().copied().collect::<Vec<_>>().join(" ");
        found.push(format!(
            "exports {}; expected exactly {} (missing: {}; unexpected: {})",
            list(&have),
            list(&wanted),
            list(&wanted.difference(&have).copied().collect()),
            list(&have.difference(&wanted).copied().collect()),
        ));
    }
    let decorated: Vec<&str> = exports
        .iter()
        .map(String::as_str)
        .filter(|name| name.contains('@') || name.starts_with('_'))
        .collect();
    if !decorated.is_empty() {
        found.push(format!("exports decorated names: {}", decorated.join(" ")));
    }
    found
}

/// Only DLLs of the allow-list, and none of the functions newer than Windows 7.
fn import_problems(imports: &[ImportedDll]) -> Vec<String> {
    let mut found = Vec::new();
    for dll in imports {
        let lower = dll.dll.to_ascii_lowercase();
        if !ALLOWED_IMPORTS.contains(&lower.as_str()) {
            found.push(format!(
                "imports {lower}, which is not on the Windows 7 allow-list"
            ));
        }
        for function in &dll.functions {
            if NEWER_THAN_WIN7.contains(&function.as_str()) {
                found.push(format!(
                    "imports {function} ({}), which Windows 7 does not have",
                    dll.dll
                ));
            }
        }
    }
    found
}

/// One line for the build log: size, exports, imported DLLs (lower case, sorted, unique).
pub fn describe(dll: &DllSummary, size: u64) -> String {
    let dlls: BTreeSet<String> = dll
        .imports
        .iter()
        .map(|d| d.dll.to_ascii_lowercase())
        .collect();
    format!(
        "{size} bytes; exports {}; imports {}",
        dll.exports.join(" "),
        dlls.into_iter().collect::<Vec<_>>().join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::repo_root;

    fn api() -> Vec<String> {
        ["MobileTrans", "OneTransVersion"]
            .map(String::from)
            .to_vec()
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    /// A summary that passes for x86 with `api()`.
    fn good() -> DllSummary {
        DllSummary {
            machine: IMAGE_FILE_MACHINE_I386,
            is_dll: true,
            subsystem: object::pe::IMAGE_SUBSYSTEM_WINDOWS_GUI,
            exports: strings(&["DllMain", "MobileTrans", "OneTransVersion"]),
            imports: vec![
                ImportedDll {
                    dll: "KERNEL32.dll".into(),
                    functions: strings(&["CreateFileW", "#12"]),
                },
                ImportedDll {
                    dll: "WS2_32.dll".into(),
                    functions: strings(&["send"]),
                },
            ],
        }
    }

    #[test]
    fn a_good_dll_has_no_problems() {
        assert_eq!(problems(&good(), Arch::X86, &api()), Vec::<String>::new());
    }

    #[test]
    fn the_wrong_machine() {
        let found = problems(&good(), Arch::X64, &api());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("machine is 0x014c, not 0x8664"),
            "{found:?}"
        );
    }

    #[test]
    fn not_a_dll() {
        let dll = DllSummary {
            is_dll: false,
            ..good()
        };
        assert_eq!(problems(&dll, Arch::X86, &api()).len(), 1);
    }

    #[test]
    fn a_missing_and_an_unexpected_export() {
        let dll = DllSummary {
            exports: strings(&["DllMain", "MobileTrans", "Extra"]),
            ..good()
        };
        let found = problems(&dll, Arch::X86, &api());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("missing: OneTransVersion; unexpected: Extra"),
            "{found:?}"
        );
    }

    #[test]
    fn the_entry_point_is_expected() {
        let dll = DllSummary {
            exports: api(),
            ..good()
        };
        let found = problems(&dll, Arch::X86, &api());
        assert!(found[0].contains("missing: DllMain"), "{found:?}");
    }

    #[test]
    fn decorated_exports() {
        let dll = DllSummary {
            exports: strings(&["DllMain", "MobileTrans@8", "_OneTransVersion@0"]),
            ..good()
        };
        let found = problems(&dll, Arch::X86, &api());
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[1],
            "exports decorated names: MobileTrans@8 _OneTransVersion@0"
        );
    }

    #[test]
    fn imports_outside_windows_7() {
        let mut dll = good();
        dll.imports.push(ImportedDll {
            dll: "bcryptprimitives.dll".into(),
            functions: strings(&["ProcessPrng"]),
        });
        dll.imports.push(ImportedDll {
            dll: "libgcc_s_dw2-1.dll".into(),
            functions: Vec::new(),
        });
        dll.imports[0]
            .functions
            .push("GetSystemTimePreciseAsFileTime".into());
        let found = problems(&dll, Arch::X86, &api());
        assert_eq!(
            found,
            [
                "imports GetSystemTimePreciseAsFileTime (KERNEL32.dll), which Windows 7 does not have",
                "imports bcryptprimitives.dll, which is not on the Windows 7 allow-list",
                "imports ProcessPrng (bcryptprimitives.dll), which Windows 7 does not have",
                "imports libgcc_s_dw2-1.dll, which is not on the Windows 7 allow-list",
            ]
        );
    }

    #[test]
    fn a_good_exe_and_a_bad_one() {
        let exe = DllSummary {
            is_dll: false,
            subsystem: IMAGE_SUBSYSTEM_WINDOWS_CUI,
            exports: Vec::new(),
            ..good()
        };
        assert_eq!(exe_problems(&exe, Arch::X86), Vec::<String>::new());
        let mut bad = DllSummary {
            is_dll: true,
            subsystem: object::pe::IMAGE_SUBSYSTEM_WINDOWS_GUI,
            ..exe.clone()
        };
        bad.imports.push(ImportedDll {
            dll: "libwinpthread-1.dll".into(),
            functions: strings(&["pthread_create"]),
        });
        let found = exe_problems(&bad, Arch::X64);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found[0].starts_with("machine is 0x014c"), "{found:?}");
        assert!(found[1].contains("marked as a DLL"), "{found:?}");
        assert_eq!(found[2], "subsystem is 2, not the console (3)");
        assert!(found[3].contains("libwinpthread-1.dll"), "{found:?}");
    }

    #[test]
    fn invalid_input_is_an_error() {
        assert!(read(b"").unwrap_err().starts_with("not a PE file"));
        assert!(read(b"MZ this is not a PE file at all")
            .unwrap_err()
            .starts_with("not a"));
        // An ELF file (this test program) is no PE either.
        let elf = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(read(&elf).unwrap_err().starts_with("not a PE file"));
    }

    /// The plain names of a `.def` file's EXPORTS.
    fn def_names(def: &str) -> Vec<String> {
        def.lines()
            .skip_while(|line| *line != "EXPORTS")
            .skip(1)
            .map(|line| line.trim().split('@').next().unwrap().to_string())
            .collect()
    }

    /// The DLLs of the last `scripts/windows.sh build`, when there are any: they pass, and a
    /// truncated copy is refused. Their API is the `.def` built with them (dist/ may be older
    /// than the source; scripts/windows/build.sh checks each build against the source).
    #[test]
    fn the_built_dlls() {
        for arch in Arch::ALL {
            let dir = repo_root().join("dist").join(arch.dir());
            let Ok(data) = std::fs::read(dir.join("OneTrans.dll")) else {
                eprintln!("{} has no OneTrans.dll: not checked", dir.display());
                continue;
            };
            let def = std::fs::read_to_string(dir.join("OneTrans.def")).unwrap();
            let api = def_names(&def);
            assert!(api.len() >= crate::exports::DOCUMENTED.len(), "{api:?}");
            let path = dir.join("OneTrans.dll");
            let dll = read(&data).unwrap();
            assert_eq!(problems(&dll, arch, &api), Vec::<String>::new(), "{path:?}");
            assert!(read(&data[..4096]).is_err(), "a truncated {path:?} reads");
        }
    }
}
