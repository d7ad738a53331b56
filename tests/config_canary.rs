//! A configuration error never widens the caller's buffer (issue 10 item 1): with
//! `outBufSize = 256` (or an `outBufSize` that could not be read) and any kind of bad INI, the
//! `000105` failure fits 256 bytes (128 UTF-16 units for `MobileTransW`), and a canary after the
//! caller's buffer survives.
//!
//! The configuration is read once per process, so each scenario runs in a child process: this
//! binary started again with `CANARY_CHILD` set, running only [`child_call`].

mod common;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use onetrans::json::Value;

const CHILD_ENV: &str = "CANARY_CHILD";
const CAP: usize = 256;
const CANARY: usize = 65_536;

/// The child: one `MobileTrans` into 256 bytes and one `MobileTransW` into 128 units, each
/// followed by 64 KiB of canary.
#[test]
fn child_call() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let input = push_msg(
        &format!("http://127.0.0.1:{}{PUSH_MSG}", closed_port()),
        "CANARY",
        "",
    );
    let c_input = CString::new(input.as_str()).unwrap();
    let mut out = vec![0xA5u8; CAP + CANARY];
    // SAFETY: the caller's buffer is 256 bytes (outBufSize); the canary behind it is ours.
    let code = unsafe { onetrans::ffi::MobileTrans(c_input.as_ptr(), out.as_mut_ptr().cast()) };
    let code = code_string(code);
    let touched = out[CAP..].iter().filter(|&&b| b != 0xA5).count();
    let end = out.iter().position(|&b| b == 0).unwrap_or(usize::MAX);
    println!("narrow: code {code}, {touched} canary bytes overwritten, NUL at {end}");
    assert_eq!(touched, 0, "MobileTrans wrote past the 256-byte buffer");
    assert_eq!(code, "000105");
    assert!(end < CAP, "NUL-terminated within the buffer");
    let text = std::str::from_utf8(&out[..end]).expect("UTF-8");
    if !text.is_empty() {
        assert_eq!(member(text, "respCode"), Value::from("000105"), "{text}");
        let message = member(text, "message");
        println!("narrow message: {}", message.as_str().unwrap());
    }

    let wide_input: Vec<u16> = input.encode_utf16().chain([0]).collect();
    let mut out = vec![0xA5A5u16; CAP / 2 + CANARY];
    // SAFETY: the caller's buffer is 128 units (outBufSize bytes); the canary behind it is ours.
    let code = unsafe { onetrans::ffi::MobileTransW(wide_input.as_ptr(), out.as_mut_ptr()) };
    // SAFETY: the library returns a NUL-terminated UTF-16 code.
    let code: Vec<u16> = (0..)
        .map(|i| unsafe { *code.add(i) })
        .take_while(|&u| u != 0)
        .collect();
    let code = String::from_utf16(&code).unwrap();
    let touched = out[CAP / 2..].iter().filter(|&&u| u != 0xA5A5).count();
    let end = out.iter().position(|&u| u == 0).unwrap_or(usize::MAX);
    println!("wide: code {code}, {touched} canary units overwritten, NUL at {end}");
    assert_eq!(touched, 0, "MobileTransW wrote past the 128-unit buffer");
    assert_eq!(code, "000105");
    assert!(end < CAP / 2);
    let text = String::from_utf16(&out[..end]).expect("whole UTF-16");
    if !text.is_empty() {
        assert_eq!(member(&text, "respCode"), Value::from("000105"), "{text}");
    }
    println!("CHILD OK");
}

fn scenario_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onetrans-canary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs [`child_call`] in a child process with `ONETRANS_CONFIG` = `ini` and the extra
/// environment; returns its output when it failed.
fn run_child(ini: &Path, env: &[(&str, &str)]) -> Option<String> {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["child_call", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env("ONETRANS_CONFIG", ini);
    for (name, _) in std::env::vars() {
        if name.starts_with("ONETRANS_") && name != "ONETRANS_CONFIG" {
            command.env_remove(name);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (!output.status.success() || !stdout.contains("CHILD OK"))
        .then(|| format!("{stdout}\n{stderr}"))
}

/// A name, the INI file's bytes, extra environment variables.
type Scenario = (&'static str, Vec<u8>, Vec<(&'static str, &'static str)>);

#[test]
fn no_bad_ini_widens_the_buffer() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = scenario_dir();
    let long_line = "这是一行很长的错误配置".repeat(1000);
    let utf16_file = {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "[onetrans]\r\noutBufSize = 256\r\nreadTimeOut = 5\r\n".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        bytes
    };
    let scenarios: Vec<Scenario> = vec![
        // The reproduction: a typo in another key.
        (
            "typo key",
            b"[onetrans]\noutBufSize = 256\nreadTimeOut = 5\n".to_vec(),
            vec![],
        ),
        (
            "bad value quoting a long text",
            format!("[onetrans]\noutBufSize = 256\nreadTimeoutMs = {long_line}\n").into_bytes(),
            vec![],
        ),
        (
            "outBufSize itself too small",
            b"[onetrans]\noutBufSize = 10\n".to_vec(),
            vec![],
        ),
        (
            "outBufSize itself not a number",
            b"[onetrans]\noutBufSize = 256 bytes\n".to_vec(),
            vec![],
        ),
        (
            "outBufSize key misspelt",
            b"[onetrans]\noutBufSise = 256\n".to_vec(),
            vec![],
        ),
        (
            "outBufSize twice",
            b"[onetrans]\noutBufSize = 65536\noutBufSize = 256\nlogLevel = loud\n".to_vec(),
            vec![],
        ),
        (
            "a line that is not key = value",
            format!("[onetrans]\noutBufSize = 256\n{long_line}\n").into_bytes(),
            vec![],
        ),
        (
            "not UTF-8 (read as GBK), garbage key",
            b"[onetrans]\noutBufSize = 256\n\xff\xfe\x80\x81 = 1\n".to_vec(),
            vec![],
        ),
        ("UTF-16 with a typo", utf16_file, vec![]),
        (
            "bad INI, outBufSize from the environment",
            b"[onetrans]\nreadTimeOut = 5\n".to_vec(),
            vec![("ONETRANS_OUT_BUF_SIZE", "256")],
        ),
        (
            "bad outBufSize in the environment",
            b"[onetrans]\noutBufSize = 65536\n".to_vec(),
            vec![("ONETRANS_OUT_BUF_SIZE", "lots")],
        ),
    ];
    let mut failed = Vec::new();
    for (i, (name, bytes, env)) in scenarios.iter().enumerate() {
        let ini = dir.join(format!("{i}.ini"));
        std::fs::write(&ini, bytes).unwrap();
        if let Some(output) = run_child(&ini, env) {
            failed.push(format!("=== {name}\n{output}"));
        }
    }
    // A file that cannot be read: a folder, and a file that is not there.
    for (name, ini) in [
        ("unreadable (a folder)", dir.clone()),
        ("missing file", dir.join("nowhere.ini")),
    ] {
        if let Some(output) = run_child(&ini, &[]) {
            failed.push(format!("=== {name}\n{output}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
