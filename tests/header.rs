//! The checked-in C header is what cbindgen generates from `src/ffi.rs` and `cbindgen.toml`.
//! Regenerate it with `ONETRANS_BLESS=1 cargo test --test header`.
//!
//! The return codes are listed once, in `onetrans::error::LibraryCode`; the header (its opening
//! comment from `cbindgen.toml`, and the `MobileTrans` doc comment) and the README's two tables
//! list them again for people, and the tests below check that they list exactly those.

use std::path::Path;

#[test]
fn header_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("UTF-8 header");
    let path = root.join("include/onetrans.h");
    if std::env::var_os("ONETRANS_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/onetrans.h");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/onetrans.h is stale: regenerate it with ONETRANS_BLESS=1 cargo test --test header"
    );
}

// --- the return codes: one table (`onetrans::error::LibraryCode`), listed again for people ----

/// The library's codes, as the table in `src/error.rs` has them.
fn table_codes() -> Vec<String> {
    onetrans::error::LibraryCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

/// Checks that `listed` holds each code of the table exactly once, and nothing else.
fn assert_lists_the_table(listed: &[String], place: &str) {
    let mut sorted = listed.to_vec();
    sorted.sort();
    let mut expected = table_codes();
    expected.sort();
    assert_eq!(
        sorted, expected,
        "{place} must list exactly the return codes of LibraryCode in src/error.rs, each once"
    );
}

/// The `"NNNNNN"` codes quoted in a text, in order.
fn quoted_codes(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

fn header() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join("include/onetrans.h")).expect("include/onetrans.h")
}

/// The header's opening comment (from `cbindgen.toml`): one line a code, then the portal's.
#[test]
fn the_header_comment_lists_exactly_the_library_codes() {
    let header = header();
    let block: Vec<&str> = header
        .lines()
        .skip_while(|l| !l.contains("Return codes"))
        .take_while(|l| !l.contains("anything else"))
        .filter(|l| l.trim_start_matches([' ', '*']).starts_with('"'))
        .collect();
    let codes: Vec<String> = block
        .iter()
        .flat_map(|l| quoted_codes(l).into_iter().take(1))
        .collect();
    assert_lists_the_table(&codes, "the return-code list of cbindgen.toml's header");
    assert!(
        header.contains("anything else: the portal's own rejection, passed through"),
        "the header's list must end with the portal's passed-through codes"
    );
}

/// The `MobileTrans` doc comment (src/ffi.rs, copied into the header): its paragraph on what
/// the function returns names every library code.
#[test]
fn the_mobile_trans_doc_lists_exactly_the_library_codes() {
    let header = header();
    let paragraph: String = header
        .lines()
        .skip_while(|l| !l.starts_with("// Returns a NUL-terminated code"))
        .take_while(|l| l.trim() != "//")
        .collect::<Vec<_>>()
        .join(" ");
    let mut codes = quoted_codes(&paragraph);
    codes.dedup();
    assert_lists_the_table(&codes, "the MobileTrans doc comment (src/ffi.rs)");
    assert!(
        paragraph.contains("any other code is the portal's own"),
        "the MobileTrans doc comment must say that a portal's code is passed through"
    );
}

/// The rows of the markdown table whose header row starts with `| {first} |`: the first cell
/// of each row, trimmed.
fn first_column(markdown: &str, first: &str) -> Vec<String> {
    let head = format!("| {first} |");
    let mut lines = markdown.lines().skip_while(|l| !l.starts_with(&head));
    assert!(
        lines.next().is_some(),
        "README.md has no table headed {head}"
    );
    lines
        .take_while(|l| l.starts_with('|'))
        .filter(|l| !l.starts_with("|---"))
        .map(|l| l.split('|').nth(1).unwrap_or("").trim().to_owned())
        .collect()
}

/// The README's two return-code tables (Chinese and English): a row for each library code,
/// then one for the portal's codes.
#[test]
fn the_readme_tables_list_exactly_the_library_codes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    for (first, other) in [("返回码", "其他"), ("code", "other")] {
        let mut cells = first_column(&readme, first);
        assert_eq!(
            cells.pop().as_deref(),
            Some(other),
            "the README's table headed {first:?} must end with the portal's codes ({other:?})"
        );
        let codes: Vec<String> = cells
            .iter()
            .map(|c| c.trim_matches('`').to_owned())
            .collect();
        assert_lists_the_table(&codes, &format!("the README's table headed {first:?}"));
    }
}
