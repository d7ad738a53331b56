//! Shared helpers for the integration tests: inputs, and calls through the exported functions
//! exactly as a C caller makes them.
#![allow(dead_code)]

use std::ffi::{c_char, CStr, CString};

use onetrans::ffi;

pub mod net;

pub const APP_ID: &str = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN";
pub const APP_KEY: &str = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";
pub const PUSH_MSG: &str = "/api/amp/hos/pushMsg";
pub const DRUG: &str = "/api/mobile/verificationDrug";

/// A complete pushMsg input for `url` (the vendor document's fields), with `extra` members
/// (`"key":value` pairs, comma-separated) appended to `data`.
pub fn push_msg(url: &str, order: &str, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"data":{{"serverAddr":"{url}","appId":"{APP_ID}","appKey":"{APP_KEY}","encryptType":"SM4","signType":"SM3","timestamp":"","version":"1.0.0","medOrgOrd":"{order}","orderStatus":"MERCHANT_PAID","orgCode":"H46040100001","patientName":"周大鹏","idType":"02","idNo":"460029196507081627","pushType":"HOSPITAL_PAYMENT","amt":12.50{extra}}},"orgId":"H46010000000"}}"#
    )
}

/// A verificationDrug input.
pub fn drug(url: &str, ticket: &str) -> String {
    format!(
        r#"{{"data":{{"serverAddr":"{url}","appId":"{APP_ID}","appKey":"{APP_KEY}","mobileDrugTipsId":"{ticket}","drugTipsIdType":"qr"}},"orgId":"H1"}}"#
    )
}

/// `MobileTrans` with a 64 KiB buffer: (code, output as UTF-8 text).
pub fn mobile_trans(input: &str) -> (String, String) {
    let (code, bytes) = mobile_trans_bytes(input.as_bytes());
    (code, String::from_utf8(bytes).expect("UTF-8 output"))
}

/// `MobileTrans` on raw bytes: (code, output bytes without the NUL).
pub fn mobile_trans_bytes(input: &[u8]) -> (String, Vec<u8>) {
    let input = CString::new(input).expect("no NUL in the input");
    let mut out = vec![0u8; 65_536];
    // SAFETY: a NUL-terminated input and a 64 KiB output buffer (the default outBufSize).
    let code = unsafe { ffi::MobileTrans(input.as_ptr(), out.as_mut_ptr().cast::<c_char>()) };
    let code = code_string(code);
    let len = out
        .iter()
        .position(|&b| b == 0)
        .expect("NUL-terminated output");
    out.truncate(len);
    (code, out)
}

/// `MobileTransEx` with `cap` bytes behind a guard region: (code, bytes written up to the NUL,
/// reported length). Panics if a byte past `cap` was touched.
pub fn mobile_trans_ex(input: &str, cap: u32) -> (String, Vec<u8>, u32) {
    let (code, written, len) = mobile_trans_ex_bytes(input.as_bytes(), cap);
    (code, written.unwrap_or_default(), len)
}

/// `MobileTransEx` on raw bytes with `cap` bytes followed by guard bytes: (code, bytes before
/// the NUL or `None` when no NUL was written, reported length). Panics if a byte past `cap` was
/// touched.
pub fn mobile_trans_ex_bytes(input: &[u8], cap: u32) -> (String, Option<Vec<u8>>, u32) {
    let input = CString::new(input).expect("no NUL in the input");
    let mut out = vec![0xA5u8; cap as usize + 64];
    let mut len = 0xFFFF_FFFFu32;
    // SAFETY: `out` has `cap` + 64 writable bytes; `len` is writable.
    let code = unsafe {
        ffi::MobileTransEx(
            input.as_ptr(),
            out.as_mut_ptr().cast::<c_char>(),
            cap,
            &mut len,
        )
    };
    assert!(
        out[cap as usize..].iter().all(|&b| b == 0xA5),
        "written past outCap {cap}"
    );
    let written = out[..cap as usize]
        .iter()
        .position(|&b| b == 0)
        .map(|n| out[..n].to_vec());
    (code_string(code), written, len)
}

pub fn code_string(code: *const c_char) -> String {
    assert!(!code.is_null());
    // SAFETY: the library returns a NUL-terminated string valid until the next call.
    unsafe { CStr::from_ptr(code) }
        .to_str()
        .expect("ASCII code")
        .to_owned()
}

/// The member `key` of a JSON text (library's parser).
pub fn member(json_text: &str, key: &str) -> onetrans::json::Value {
    onetrans::json::parse(json_text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {json_text}"))
        .get(key)
        .cloned()
        .unwrap_or_default()
}

/// A port on 127.0.0.1 where nothing listens.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The folder of the `libonetrans.so` cargo built for this test run: `target/<profile>/deps`,
/// beside the test binary (`cargo test` does not copy the cdylib up to `target/<profile>`).
pub fn built_library_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("the test binary's folder");
    assert!(
        deps.join("libonetrans.so").is_file(),
        "{} has no libonetrans.so",
        deps.display()
    );
    deps.to_path_buf()
}

/// A folder for what the tests compile (examples in other languages), beside `deps`.
pub fn build_output_dir() -> std::path::PathBuf {
    let dir = built_library_dir()
        .parent()
        .expect("target/<profile>")
        .join("example-builds");
    std::fs::create_dir_all(&dir).expect("create target/<profile>/example-builds");
    dir
}
