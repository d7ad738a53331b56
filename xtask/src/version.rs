//! The `VERSIONINFO` resource of a shipped Windows binary (written by
//! `windows/version_resource.rs`), read back from the built file with the `object` crate's PE
//! resource directory, and checked: the versions are the release's, the texts are there (the
//! description in Chinese and English), the file names and the licence are right. What
//! Explorer's Details tab and `GetFileVersionInfoW` show is this resource.

use object::pe::{ImageNtHeaders32, ImageNtHeaders64, RT_VERSION};
use object::read::pe::{ImageNtHeaders, PeFile, ResourceDirectory};
use object::{FileKind, LittleEndian as LE};

/// `VS_FIXEDFILEINFO`'s signature.
const FIXED_SIGNATURE: u32 = 0xFEEF_04BD;
/// `VFT_APP` and `VFT_DLL`.
pub const VFT_APP: u32 = 1;
pub const VFT_DLL: u32 = 2;

/// What a `VERSIONINFO` resource says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionInfo {
    /// `VS_FIXEDFILEINFO`'s file version, as its four numbers.
    pub file_version: [u16; 4],
    /// `VS_FIXEDFILEINFO`'s product version.
    pub product_version: [u16; 4],
    /// `VS_FIXEDFILEINFO`'s `dwFileType` (`VFT_APP`, `VFT_DLL`).
    pub file_type: u32,
    /// Each string table's name (`080404b0`) with its `(key, value)` pairs, in file order.
    pub tables: Vec<(String, Vec<(String, String)>)>,
    /// `VarFileInfo\Translation`: (language, code page) pairs.
    pub translations: Vec<(u16, u16)>,
}

impl VersionInfo {
    /// A string of the first table (the one `Translation` names first, when it is there).
    pub fn string(&self, key: &str) -> Option<&str> {
        let wanted = self
            .translations
            .first()
            .map(|(lang, cp)| format!("{lang:04x}{cp:04x}"));
        let table = self
            .tables
            .iter()
            .find(|(name, _)| Some(name.to_ascii_lowercase()) == wanted)
            .or(self.tables.first())?;
        table
            .1
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads the `VERSIONINFO` resource (type 16, any name, the first language) of a PE image.
pub fn read(data: &[u8]) -> Result<VersionInfo, String> {
    match FileKind::parse(data).map_err(|e| format!("not a PE file: {e}"))? {
        FileKind::Pe32 => from_pe::<ImageNtHeaders32>(data),
        FileKind::Pe64 => from_pe::<ImageNtHeaders64>(data),
        other => Err(format!("not a PE file: {other:?}")),
    }
}

fn from_pe<Pe: ImageNtHeaders>(data: &[u8]) -> Result<VersionInfo, String> {
    let pe = PeFile::<Pe>::parse(data).map_err(|e| format!("not a valid PE file: {e}"))?;
    let sections = pe.section_table();
    let directory = pe
        .data_directories()
        .resource_directory(data, &sections)
        .map_err(|e| format!("bad resource directory: {e}"))?
        .ok_or("no resources at all (no VERSIONINFO)")?;
    let entry = version_entry(directory).map_err(|e| format!("bad resource directory: {e}"))?;
    let entry = entry.ok_or("no VERSIONINFO resource")?;
    let rva = entry.offset_to_data.get(LE);
    let size = entry.size.get(LE) as usize;
    let bytes = sections
        .pe_data_at(data, rva)
        .filter(|b| b.len() >= size)
        .ok_or("the VERSIONINFO resource lies outside the file")?;
    parse(&bytes[..size])
}

/// The data entry of the first language of the first `RT_VERSION` resource.
fn version_entry(
    directory: ResourceDirectory<'_>,
) -> object::Result<Option<&object::pe::ImageResourceDataEntry>> {
    let root = directory.root()?;
    for by_type in root.entries {
        if by_type.name_or_id().id() != Some(RT_VERSION) {
            continue;
        }
        let Some(names) = by_type.data(directory)?.table() else {
            continue;
        };
        for by_name in names.entries {
            let Some(languages) = by_name.data(directory)?.table() else {
                continue;
            };
            for language in languages.entries {
                if let Some(entry) = language.data(directory)?.data() {
                    return Ok(Some(entry));
                }
            }
        }
    }
    Ok(None)
}

/// One node of the `VS_VERSIONINFO` tree: `wLength`, `wValueLength`, `wType`, the key (UTF-16,
/// NUL-terminated), padding to 4 bytes, the value, padding, the children.
struct Node<'a> {
    key: String,
    value: &'a [u8],
    children: Vec<Node<'a>>,
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, String> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| "VERSIONINFO is cut short".to_string())
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Reads the node at the start of `bytes` (which is aligned to 4 within the resource).
fn node(bytes: &[u8]) -> Result<Node<'_>, String> {
    let length = u16_at(bytes, 0)? as usize;
    let value_length = u16_at(bytes, 2)? as usize;
    // wType: 1 text (the value length counts UTF-16 units), 0 binary (it counts bytes).
    let is_text = u16_at(bytes, 4)? == 1;
    let bytes = bytes
        .get(..length)
        .ok_or("a VERSIONINFO node is longer than the resource")?;
    let mut at = 6;
    let mut key = Vec::new();
    loop {
        let unit = u16_at(bytes, at)?;
        at += 2;
        if unit == 0 {
            break;
        }
        key.push(unit);
    }
    at = align4(at);
    let value_bytes = if is_text {
        value_length * 2
    } else {
        value_length
    };
    let value = bytes
        .get(at.min(length)..(at + value_bytes).min(length))
        .unwrap_or_default();
    at = align4(at + value_bytes);
    let mut children = Vec::new();
    while at < length {
        let child = node(&bytes[at..])?;
        let child_length = u16_at(bytes, at)? as usize;
        if child_length == 0 {
            return Err("a VERSIONINFO node of length 0".into());
        }
        children.push(child);
        at = align4(at + child_length);
    }
    Ok(Node {
        key: String::from_utf16_lossy(&key),
        value,
        children,
    })
}

/// A text value: UTF-16 without its terminating NUL.
fn text_value(node: &Node<'_>) -> String {
    let units: Vec<u16> = node
        .value
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, String> {
    Ok(u32::from(u16_at(bytes, at)?) | (u32::from(u16_at(bytes, at + 2)?) << 16))
}

/// `dwXVersionMS`, `dwXVersionLS` as four numbers.
fn four(bytes: &[u8], at: usize) -> Result<[u16; 4], String> {
    let (ms, ls) = (u32_at(bytes, at)?, u32_at(bytes, at + 4)?);
    Ok([(ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16])
}

/// Parses a `VS_VERSIONINFO` resource.
pub fn parse(bytes: &[u8]) -> Result<VersionInfo, String> {
    let root = node(bytes)?;
    if root.key != "VS_VERSION_INFO" {
        return Err(format!(
            "the resource is {:?}, not VS_VERSION_INFO",
            root.key
        ));
    }
    let fixed = root.value;
    if fixed.len() < 52 || u32_at(fixed, 0)? != FIXED_SIGNATURE {
        return Err("no VS_FIXEDFILEINFO".into());
    }
    let mut info = VersionInfo {
        file_version: four(fixed, 8)?,
        product_version: four(fixed, 16)?,
        file_type: u32_at(fixed, 36)?,
        ..VersionInfo::default()
    };
    for child in &root.children {
        match child.key.as_str() {
            "StringFileInfo" => {
                for table in &child.children {
                    let strings = table
                        .children
                        .iter()
                        .map(|s| (s.key.clone(), text_value(s)))
                        .collect();
                    info.tables.push((table.key.clone(), strings));
                }
            }
            "VarFileInfo" => {
                for var in child.children.iter().filter(|v| v.key == "Translation") {
                    for pair in var.value.chunks_exact(4) {
                        info.translations.push((
                            u16::from_le_bytes([pair[0], pair[1]]),
                            u16::from_le_bytes([pair[2], pair[3]]),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

/// What a shipped binary's resource must say.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    /// The release's version (the workspace's `[package] version`).
    pub version: &'a str,
    /// The licence expression (the workspace's `license`).
    pub licence: &'a str,
    /// The file's shipped name (`OneTrans.dll`, `onetrans.exe`), compared ignoring case.
    pub file_name: &'a str,
    /// `VFT_DLL` or `VFT_APP`.
    pub file_type: u32,
}

/// `0.2.0` (or `0.2.0-rc.1`) as FILEVERSION's four numbers: `[0, 2, 0, 0]`.
pub fn numbers(version: &str) -> [u16; 4] {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let mut four = [0u16; 4];
    for (slot, part) in four.iter_mut().zip(core.split('.')) {
        *slot = part.parse().unwrap_or(0);
    }
    four
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// An English word of four letters or more.
fn has_english(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .any(|word| word.len() >= 4)
}

/// What is wrong with a resource; empty when nothing is.
pub fn problems(info: &VersionInfo, expected: &Expected<'_>) -> Vec<String> {
    let mut found = Vec::new();
    let numbers = numbers(expected.version);
    if info.file_version != numbers || info.product_version != numbers {
        found.push(format!(
            "VS_FIXEDFILEINFO has file version {:?} and product version {:?}, not {numbers:?}",
            info.file_version, info.product_version
        ));
    }
    if info.file_type != expected.file_type {
        found.push(format!(
            "dwFileType is {}, not {}",
            info.file_type, expected.file_type
        ));
    }
    if info.translations.is_empty() {
        found.push("no VarFileInfo\\Translation".into());
    }
    let mut want = |key: &str, ok: &dyn Fn(&str) -> bool, what: &str| match info.string(key) {
        Some(value) if ok(value) => {}
        Some(value) => found.push(format!("{key} is {value:?}, {what}")),
        None => found.push(format!("no {key}")),
    };
    let version = expected.version;
    want(
        "FileVersion",
        &|v| v == version,
        &format!("not {version:?}"),
    );
    want(
        "ProductVersion",
        &|v| v == version,
        &format!("not {version:?}"),
    );
    want(
        "ProductName",
        &|v| v.contains("OneTrans"),
        "without \"OneTrans\"",
    );
    want(
        "FileDescription",
        &|v| has_chinese(v) && has_english(v),
        "not in Chinese and English",
    );
    let name = expected.file_name;
    want(
        "OriginalFilename",
        &|v| v.eq_ignore_ascii_case(name),
        &format!("not {name:?}"),
    );
    let licence = expected.licence;
    want(
        "LegalCopyright",
        &|v| v.contains(licence),
        &format!("without the licence {licence:?}"),
    );
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UTF-16 node as windres writes it: lengths, type, key, padding, value, children.
    fn make(
        key: &str,
        text: bool,
        value: &[u8],
        value_length: u16,
        children: &[Vec<u8>],
    ) -> Vec<u8> {
        let mut out = vec![0, 0];
        out.extend(value_length.to_le_bytes());
        out.extend(u16::from(text).to_le_bytes());
        for unit in key.encode_utf16().chain([0]) {
            out.extend(unit.to_le_bytes());
        }
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend(value);
        for child in children {
            while out.len() % 4 != 0 {
                out.push(0);
            }
            out.extend(child);
        }
        let length = out.len() as u16;
        out[..2].copy_from_slice(&length.to_le_bytes());
        out
    }

    fn string(key: &str, value: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        for unit in value.encode_utf16().chain([0]) {
            bytes.extend(unit.to_le_bytes());
        }
        let units = (bytes.len() / 2) as u16;
        make(key, true, &bytes, units, &[])
    }

    fn fixed(version: [u16; 4], file_type: u32) -> Vec<u8> {
        let ms = (u32::from(version[0]) << 16) | u32::from(version[1]);
        let ls = (u32::from(version[2]) << 16) | u32::from(version[3]);
        let words = [
            FIXED_SIGNATURE,
            0x0001_0000,
            ms,
            ls,
            ms,
            ls,
            0x3f,
            0,
            0x0004_0004,
            file_type,
            0,
            0,
            0,
        ];
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn resource(strings: &[(&str, &str)], version: [u16; 4]) -> Vec<u8> {
        let strings: Vec<Vec<u8>> = strings.iter().map(|(k, v)| string(k, v)).collect();
        let table = make("080404b0", true, &[], 0, &strings);
        let string_info = make("StringFileInfo", true, &[], 0, &[table]);
        let translation = make("Translation", false, &[0x04, 0x08, 0xb0, 0x04], 4, &[]);
        let var_info = make("VarFileInfo", true, &[], 0, &[translation]);
        make(
            "VS_VERSION_INFO",
            false,
            &fixed(version, VFT_DLL),
            52,
            &[string_info, var_info],
        )
    }

    const GOOD: [(&str, &str); 6] = [
        (
            "FileDescription",
            "医保支付门户接口动态库 / the portal library",
        ),
        ("FileVersion", "0.2.0"),
        ("LegalCopyright", "许可证 (licence): MIT OR Apache-2.0"),
        ("OriginalFilename", "OneTrans.dll"),
        ("ProductName", "OneTrans"),
        ("ProductVersion", "0.2.0"),
    ];

    fn expected() -> Expected<'static> {
        Expected {
            version: "0.2.0",
            licence: "MIT OR Apache-2.0",
            file_name: "onetrans.dll",
            file_type: VFT_DLL,
        }
    }

    #[test]
    fn a_good_resource_reads_back_and_passes() {
        let info = parse(&resource(&GOOD, [0, 2, 0, 0])).unwrap();
        assert_eq!(info.translations, [(0x0804, 1200)]);
        assert_eq!(info.string("OriginalFilename"), Some("OneTrans.dll"));
        assert_eq!(problems(&info, &expected()), Vec::<String>::new());
    }

    #[test]
    fn wrong_versions_and_missing_texts_are_named() {
        let mut strings = GOOD.to_vec();
        strings[0].1 = "only English here";
        strings[1].1 = "0.1.0";
        strings.retain(|(k, _)| *k != "LegalCopyright");
        let info = parse(&resource(&strings, [0, 1, 0, 0])).unwrap();
        let found = problems(&info, &expected());
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found[0].starts_with("VS_FIXEDFILEINFO has file version [0, 1, 0, 0]"));
        assert_eq!(found[1], "FileVersion is \"0.1.0\", not \"0.2.0\"");
        assert!(found[2].starts_with("FileDescription is \"only English here\""));
        assert_eq!(found[3], "no LegalCopyright");
    }

    #[test]
    fn version_numbers() {
        assert_eq!(numbers("0.2.0"), [0, 2, 0, 0]);
        assert_eq!(numbers("1.10.3-rc.1"), [1, 10, 3, 0]);
    }

    #[test]
    fn broken_resources_are_errors() {
        let good = resource(&GOOD, [0, 2, 0, 0]);
        assert!(parse(&good[..40]).is_err());
        assert!(parse(&[]).is_err());
        assert!(read(b"MZ not a PE").is_err());
    }

    /// The binaries of the last `scripts/windows.sh build`, when there are any: each has a
    /// resource that passes, with one version in all of an arch's files (dist/ may be older
    /// than Cargo.toml; `xtask check-dll`/`check-exe` compare each build with it).
    #[test]
    fn the_built_binaries() {
        let (_, licence) = crate::release_package(&crate::exports::repo_root()).unwrap();
        for arch in crate::Arch::ALL {
            let dir = crate::exports::repo_root().join("dist").join(arch.dir());
            let Ok(dll) = std::fs::read(dir.join("OneTrans.dll")) else {
                eprintln!("{} has no OneTrans.dll: not checked", dir.display());
                continue;
            };
            let Ok(info) = read(&dll) else {
                eprintln!(
                    "{} has no VERSIONINFO (built before it): not checked",
                    dir.display()
                );
                continue;
            };
            let version = info.string("ProductVersion").unwrap().to_string();
            for (name, file_type) in [
                ("OneTrans.dll", VFT_DLL),
                ("onetrans.exe", VFT_APP),
                ("onetrans-portal.exe", VFT_APP),
            ] {
                let path = dir.join(name);
                let data = std::fs::read(&path).unwrap();
                let info = read(&data).unwrap();
                let expected = Expected {
                    version: &version,
                    licence: &licence,
                    file_name: name,
                    file_type,
                };
                assert_eq!(problems(&info, &expected), Vec::<String>::new(), "{path:?}");
            }
        }
    }
}
