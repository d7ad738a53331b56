//! See Cargo.toml: a DLL whose export panics inside `catch_unwind`, like OneTrans.dll's
//! `ffi_boundary!`, to prove that unwinding works in DLLs built by scripts/windows.sh.

use std::hint::black_box;
use std::panic::{catch_unwind, set_hook};
use std::sync::Once;

/// Panics `depth` frames down, inside `catch_unwind`, with a silent panic hook (as the library's).
/// Returns 1 when the panic was caught; a broken unwinder aborts the process instead.
#[no_mangle]
pub extern "system" fn PanicProbe(depth: u32) -> i32 {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| set_hook(Box::new(|_| {})));
    match catch_unwind(|| nested(black_box(depth))) {
        Ok(_) => 0,
        Err(_) => 1,
    }
}

#[inline(never)]
fn nested(depth: u32) -> u32 {
    let guard = vec![depth; 4]; // something to drop on the way up
    if depth == 0 {
        panic!("the probe's panic");
    }
    black_box(nested(depth - 1)) + guard[0]
}
