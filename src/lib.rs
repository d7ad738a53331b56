//! `onetrans`: a drop-in replacement for the medical-insurance portal's `OneTrans.dll`.
//!
//! The C ABI lives in [`ffi`] and nowhere else; everything below it is safe Rust:
//!
//! | module | concern |
//! |---|---|
//! | [`input`] | the caller's JSON (spec section 1) |
//! | [`json`] | compact and canonical JSON |
//! | [`crypto`] | SM3, SM4-ECB-PKCS7, the data key, hex |
//! | [`sm2`] | SM2 keys in every format, *Z*, SM3withSM2 signing and verification (spec section 11) |
//! | [`sm4`] | the SM4 block cipher: GFNI/AVX-512, AES-NI and portable engines, chosen at run time |
//! | [`signing`] | the sign types `SM3` and `SM2` behind one interface; the SM2 keys of a call |
//! | [`protocol`] | envelopes, sign text, answer verification (pure functions) |
//! | [`transport`] | the process-wide HTTP agent and its error classification |
//! | [`call`] | one `MobileTrans` call, end to end |
//! | [`entry`] | the safe bodies of the exports: charset, call, log, buffer fitting |
//! | [`log`] | daily call logs with personal data masked |
//! | [`output`] | the output JSON and the buffer rules |
//! | [`error`] | failure kinds and their return codes |
//! | [`config`] | `OneTrans.ini` and `ONETRANS_*` settings |
//! | [`charset`] | UTF-8 / GB18030 / UTF-16 at the boundary |
//! | [`platform`] | the library's own path, the ANSI code page |
//! | [`clock`] | China time |

pub mod call;
pub mod charset;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod entry;
pub mod error;
pub mod ffi;
pub mod input;
pub mod json;
pub mod log;
pub mod output;
pub mod platform;
pub mod protocol;
pub mod signing;
pub mod sm2;
pub mod sm4;
pub mod transport;

/// The library's version, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
