//! The modules are layers (issue 11 item 1): the module map in `src/lib.rs` lists them top to
//! bottom, and a module may use (`crate::…`) only modules listed below it. This test reads that
//! list and every `src/*.rs` file, and fails on an upward (or sideways) path, on a module the map
//! does not list, and on a listed module without a file.
//!
//! Comments (doc links included) are not code and are skipped; string literals are not
//! expected to spell `crate::`.

use std::collections::BTreeSet;
use std::path::Path;

/// The module names of the map's table rows (`//! | [`name`] | concern |`), top to bottom.
fn layers(lib_rs: &str) -> Vec<String> {
    lib_rs
        .lines()
        .filter_map(|line| line.trim().strip_prefix("//! | [`"))
        .filter_map(|rest| rest.split_once("`]"))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The code of a source file without its comments: `//` line comments (and doc comments) and
/// `/* */` blocks.
fn code_only(source: &str) -> String {
    let mut code = String::with_capacity(source.len());
    let mut in_block = false;
    for line in source.lines() {
        let mut rest = line;
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(end) => {
                        rest = &rest[end + 2..];
                        in_block = false;
                    }
                    None => break,
                }
            } else {
                let block = rest.find("/*");
                let comment = rest.find("//");
                match (block, comment) {
                    (Some(b), c) if c.is_none_or(|c| b < c) => {
                        code.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    (_, Some(c)) => {
                        code.push_str(&rest[..c]);
                        break;
                    }
                    _ => {
                        code.push_str(rest);
                        break;
                    }
                }
            }
        }
        code.push('\n');
    }
    code
}

/// The crate modules a piece of code names: `crate::name` and every first name inside
/// `crate::{a, b::c}`.
fn used_modules(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut used = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `$crate::`, `my_crate::`
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group only: `crate::{a, b::{c, d}}` names a and b.
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        used.insert(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        used.insert(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            used.insert(ident(rest));
        }
    }
    used.remove("");
    used
}

/// Every path in `sources` (module name, file text) that points up or sideways in `layers`.
fn upward_imports(layers: &[String], sources: &[(String, String)]) -> Vec<String> {
    let rank = |name: &str| layers.iter().position(|l| l == name);
    let mut found = Vec::new();
    for (module, text) in sources {
        let Some(own) = rank(module) else { continue };
        for used in used_modules(&code_only(text)) {
            match rank(&used) {
                Some(r) if r > own => {}
                Some(_) if used == *module => {}
                Some(_) => found.push(format!(
                    "src/{module}.rs uses crate::{used}, listed above it"
                )),
                // Items of lib.rs itself (`crate::VERSION`) sit below every module.
                None if used.chars().next().is_some_and(|c| c.is_ascii_uppercase()) => {}
                None => found.push(format!(
                    "src/{module}.rs uses crate::{used}, not in the map"
                )),
            }
        }
    }
    found
}

fn read_sources(src: &Path) -> Vec<(String, String)> {
    let mut sources: Vec<(String, String)> = std::fs::read_dir(src)
        .expect("src/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| p.file_stem().is_some_and(|s| s != "lib"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                std::fs::read_to_string(&p).expect("read a source file"),
            )
        })
        .collect();
    sources.sort();
    sources
}

#[test]
fn every_import_points_down_the_module_map() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib_rs = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    let layers = layers(&lib_rs);
    assert!(
        layers.len() >= 10,
        "the module map of src/lib.rs: {layers:?}"
    );
    let sources = read_sources(&src);

    let files: BTreeSet<&String> = sources.iter().map(|(name, _)| name).collect();
    let listed: BTreeSet<&String> = layers.iter().collect();
    assert_eq!(
        files, listed,
        "src/lib.rs's module map lists exactly the modules of src/"
    );

    let upward = upward_imports(&layers, &sources);
    assert!(
        upward.is_empty(),
        "imports against the layers:\n{}",
        upward.join("\n")
    );
}

/// The check itself catches what it is for: an upward `use`, a grouped one, a path in code; and
/// ignores comments.
#[test]
fn the_check_catches_an_upward_import() {
    let layers: Vec<String> = ["top", "middle", "bottom"].map(String::from).to_vec();
    let sources = |text: &str| vec![("middle".to_owned(), text.to_owned())];
    let upward = |text: &str| upward_imports(&layers, &sources(text));

    assert!(upward("use crate::bottom::Thing;\nfn f() { crate::bottom::g(); }").is_empty());
    assert!(upward("//! see [`crate::top`]\n/* crate::top */ use crate::bottom;").is_empty());
    assert!(upward("use crate::VERSION;").is_empty());

    assert_eq!(upward("use crate::top::Thing;").len(), 1);
    assert_eq!(upward("fn f() { crate::top::g() }").len(), 1);
    assert_eq!(upward("use crate::{bottom, top::{a, b}};").len(), 1);
    assert_eq!(upward("let x = 1; // fine\nuse crate::top;").len(), 1);
    assert_eq!(
        upward("use crate::elsewhere;").len(),
        1,
        "a module not in the map"
    );
}
