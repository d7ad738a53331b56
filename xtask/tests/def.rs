//! The checked-in `windows/OneTrans.{x86,x64}.def` are what the exports of `src/ffi.rs` give
//! (through cbindgen, like the C header: tests/header.rs). scripts/windows/build.sh ships them in
//! dist/ and makes the import libraries from them. Regenerate them with
//! `cargo run -p xtask -- def` (or `ONETRANS_BLESS=1 cargo test -p xtask --test def`).

use xtask::exports;

#[test]
fn def_files_are_current() {
    let root = exports::repo_root();
    let api = exports::load(&root).expect("cbindgen parses src/ffi.rs");
    let stale = exports::stale_defs(&root, &api.exports);
    if std::env::var_os("ONETRANS_BLESS").is_some() {
        for (path, text) in &stale {
            std::fs::write(path, text).expect("write the .def");
        }
        return;
    }
    let paths: Vec<_> = stale.iter().map(|(path, _)| path.display()).collect();
    assert!(
        stale.is_empty(),
        "stale: {paths:?}: regenerate them with cargo run -p xtask -- def"
    );
}
