//! `onetrans`: a drop-in replacement for the medical-insurance portal's `OneTrans.dll`.
//!
//! The C ABI lives in [`ffi`] and nowhere else; everything below it is safe Rust.
//!
//! The modules are layers, listed top to bottom: each one uses (`crate::…`) only modules listed
//! below it, never one above it (`tests/layers.rs` checks this list against the sources).
//!
//! | module | concern |
//! |---|---|
//! | [`ffi`] | the exports, pointer helpers, the panic boundary, the unload hooks (`DllMain`, ELF destructor) |
//! | [`entry`] | the safe bodies of the exports: charset, call, log, buffer fitting |
//! | [`call`] | one `MobileTrans` call, end to end |
//! | [`runtime`] | the process-wide state: the configuration once loaded, the shared transport, the logger, their shutdown on unload |
//! | [`journal`] | the call journal: an intent before each request is sent, its outcome after; reading it back |
//! | [`log`] | daily call logs with personal data masked |
//! | [`config`] | `OneTrans.ini` and `ONETRANS_*` settings |
//! | [`transport`] | the HTTP agent, its trust store and its error classification |
//! | [`output`] | the output JSON and the buffer rules |
//! | [`protocol`] | envelopes, the sign-text rules (spec section 4, only here), answer verification (pure functions) |
//! | [`input`] | the caller's JSON (spec section 1) |
//! | [`url`] | `http://` / `https://` URLs, split by the HTTP client's own parser |
//! | [`platform`] | the library's own path, the ANSI code page, pinning the library in memory |
//! | [`charset`] | UTF-8 / GB18030 / UTF-16 at the boundary |
//! | [`clock`] | China time |
//! | [`signing`] | the sign types `SM3` and `SM2` behind one interface; the SM2 keys of a call |
//! | [`sm2`] | SM2 keys in every format, *Z*, SM3withSM2 signing and verification (spec section 11) |
//! | [`crypto`] | SM3, SM4-ECB-PKCS7, the data key, hex |
//! | [`sm4`] | the SM4 block cipher: GFNI/AVX-512, AES-NI and portable engines, chosen at run time |
//! | [`json`] | the JSON codec: member order and number text kept; one writer |
//! | [`error`] | the table of return codes (`LibraryCode`), failure kinds |

// `unsafe` only where it is the point: the C ABI, the OS queries, the SIMD engines of SM4.
#![deny(unsafe_code)]

pub mod call;
pub mod charset;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod entry;
pub mod error;
#[allow(unsafe_code)] // pointers from the caller, `#[no_mangle]`, the unload hooks
pub mod ffi;
pub mod input;
pub mod journal;
pub mod json;
pub mod log;
pub mod output;
#[allow(unsafe_code)] // dladdr/dlopen, GetModuleHandleExW/GetACP
pub(crate) mod platform;
pub mod protocol;
pub mod runtime;
pub mod signing;
pub mod sm2;
#[allow(unsafe_code)] // the AES-NI and GFNI/AVX-512 engines' intrinsics
pub mod sm4;
pub mod transport;
pub mod url;

/// The library's version, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
