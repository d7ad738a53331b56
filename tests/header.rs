//! The checked-in C header is what cbindgen generates from `src/ffi.rs` and `cbindgen.toml`.
//! Regenerate it with `ONETRANS_BLESS=1 cargo test --test header`.

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
