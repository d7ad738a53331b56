//! Cold start (issue 7): the time from loading the library (dlopen through libloading, as a host
//! program loads the DLL) to the end of its first `MobileTrans` call against the simulator on
//! 127.0.0.1, in a fresh process each time; and the library's size on disk.
//!
//! The parent starts the simulator and runs this same binary again as a child, `runs` times;
//! each child loads the library, makes one call with 1 KB of business data, then a second one,
//! and prints its timings. The library file is `$ONETRANS_CDYLIB`, or `libonetrans.so` (`.dll`,
//! `.dylib`) of the release build beside the benchmark's target directory (scripts/bench.sh
//! builds it first with `cargo build --release -p onetrans --lib`).
//!
//! "Cold" is the process's: a new process, the library's file in the operating system's page
//! cache (as on a cashier's PC after the first start of the day).

use std::ffi::{c_char, CStr, CString};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use onetrans_portal::apps::DEFAULT_APPS;
use onetrans_portal::{Portal, PortalConfig};

type MobileTrans = unsafe extern "C" fn(*const c_char, *mut c_char) -> *const c_char;

const CHILD: &str = "ONETRANS_COLD_START_CHILD";

fn library_path() -> PathBuf {
    if let Some(path) = std::env::var_os("ONETRANS_CDYLIB") {
        return PathBuf::from(path);
    }
    // target/release/deps/cold_start-HASH -> target/release/libonetrans.so
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    dir.join(format!(
        "{}onetrans{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

fn child(url: &str) {
    let (app_id, app_key) = DEFAULT_APPS[0];
    let input = CString::new(format!(
        r#"{{"data":{{"serverAddr":"{url}","appId":"{app_id}","appKey":"{app_key}","medOrgOrd":"COLD","remark":"{}"}},"orgId":"H46010000000"}}"#,
        "x".repeat(1000)
    ))
    .unwrap();
    let mut out = vec![0u8; 65536];
    let path = library_path();

    let t0 = Instant::now();
    // SAFETY: the library is this project's; loading it runs no initialisers that matter here.
    let lib = unsafe { libloading::Library::new(&path) }.expect("the library loads");
    // SAFETY: the export has this signature (include/onetrans.h).
    let f: libloading::Symbol<MobileTrans> =
        unsafe { lib.get(b"MobileTrans\0") }.expect("MobileTrans is exported");
    let loaded = t0.elapsed();
    // SAFETY: NUL-terminated input, a 65536-byte output buffer (the default outBufSize).
    let code = unsafe { CStr::from_ptr(f(input.as_ptr(), out.as_mut_ptr().cast())) };
    let first = t0.elapsed();
    assert_eq!(
        code.to_bytes(),
        b"000000",
        "{}",
        String::from_utf8_lossy(&out[..200])
    );
    let t1 = Instant::now();
    // SAFETY: as above.
    let code = unsafe { CStr::from_ptr(f(input.as_ptr(), out.as_mut_ptr().cast())) };
    let second = t1.elapsed();
    assert_eq!(code.to_bytes(), b"000000");
    println!(
        r#"{{"load_us":{},"first_call_end_us":{},"second_call_us":{}}}"#,
        loaded.as_micros(),
        first.as_micros(),
        second.as_micros()
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if let Ok(url) = std::env::var(CHILD) {
        child(&url);
        return;
    }
    let path = library_path();
    let size = std::fs::metadata(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (build it: cargo build --release -p onetrans --lib)",
                path.display()
            )
        })
        .len();
    let portal = Portal::start(PortalConfig::default()).expect("the simulator starts");
    let url = portal.url("/api/amp/hos/pushMsg");
    let runs = if std::env::var_os("BENCH_QUICK").is_some() {
        5
    } else {
        21
    };
    let (mut load, mut first, mut second) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let out = Command::new(std::env::current_exe().unwrap())
            .env(CHILD, &url)
            .env_remove("ONETRANS_CONFIG")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let field = |name: &str| -> f64 {
            let at = line.find(&format!("\"{name}\":")).unwrap() + name.len() + 3;
            line[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        load.push(field("load_us"));
        first.push(field("first_call_end_us"));
        second.push(field("second_call_us"));
    }
    let mut json = String::new();
    let _ = write!(
        json,
        r#"{{"library":"{}","size_bytes":{size},"runs":{runs},"load_us_median":{:.0},"first_call_end_us_median":{:.0},"second_call_us_median":{:.0}}}"#,
        path.display(),
        median(load),
        median(first),
        median(second)
    );
    eprintln!("{json}");
    let out_path = std::env::var_os("BENCH_COLD_OUT").map(PathBuf::from);
    match out_path {
        Some(p) => std::fs::write(p, json).unwrap(),
        None => println!("{json}"),
    }
}
