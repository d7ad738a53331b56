//! Loading and unloading the built library the way a host program does (`dlopen`, calls from
//! several threads, `dlclose`), many times over: no crash, no leaked threads, calls keep
//! working, every answer is its own request's.
//!
//! What `dlclose` does with a Rust cdylib is glibc's decision, and this test reports it: whether
//! `libonetrans.so` is still mapped after the last handle is closed. It is: glibc unmaps it, and
//! the next `dlopen` starts from fresh statics. The library's static connection pool is never
//! dropped by Rust, so the library closes it from its unload hook (`src/platform.rs`); this
//! test checks that the descriptors come back to where they were, so that every load's pooled
//! sockets are closed at its unload. Every other cycle names the host (`localhost`), so that the
//! lookup runs on the library's helper thread, which must not outlive the library either.

mod common;

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use libloading::Library;
use onetrans::json::Value;
use onetrans_portal::{Portal, PortalConfig};

const CYCLES: usize = 50;
const THREADS: usize = 4;
const CALLS_PER_THREAD: usize = 3;

type MobileTransFn = unsafe extern "C" fn(*const c_char, *mut c_char) -> *const c_char;
type VersionFn = unsafe extern "C" fn() -> *const c_char;

/// The `libonetrans.so` cargo built for this test run.
fn library_path() -> PathBuf {
    built_library_dir().join("libonetrans.so")
}

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

/// How many mappings of `path` this process has.
fn mappings_of(path: &Path) -> usize {
    let real = std::fs::canonicalize(path).unwrap();
    let real = real.to_string_lossy();
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| l.ends_with(real.as_ref()))
        .count()
}

/// `count(dir)` once it is at most `want`, or after 5 seconds whatever it is: a joined thread
/// can linger in /proc for a moment, and the simulator closes its ends of closed connections
/// asynchronously.
fn settled(dir: &str, want: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = count(dir);
        if n <= want || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One cycle: load, call from [`THREADS`] threads, unload.
fn cycle(path: &Path, url: &str, round: usize) {
    // SAFETY: loading our own library runs no initialisers beyond Rust's (none with effects).
    let library = unsafe { Library::new(path) }.expect("dlopen libonetrans.so");
    // SAFETY: the symbols have these signatures (include/onetrans.h).
    let mobile_trans: MobileTransFn =
        *unsafe { library.get::<MobileTransFn>(b"MobileTrans") }.expect("MobileTrans is exported");
    let version: VersionFn = *unsafe { library.get::<VersionFn>(b"OneTransVersion") }.unwrap();
    // SAFETY: a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                scope.spawn(move || {
                    let mut out = vec![0u8; 65_536];
                    for i in 0..CALLS_PER_THREAD {
                        let order = format!("UNLOAD-{round}-{t}-{i}");
                        let input = CString::new(push_msg(url, &order, "")).unwrap();
                        // SAFETY: a NUL-terminated input and a buffer of outBufSize bytes.
                        let code = unsafe {
                            mobile_trans(input.as_ptr(), out.as_mut_ptr().cast::<c_char>())
                        };
                        // SAFETY: the code is NUL-terminated and valid until the next call.
                        let code = unsafe { CStr::from_ptr(code) }.to_str().unwrap().to_owned();
                        let text = CStr::from_bytes_until_nul(&out).unwrap().to_str().unwrap();
                        assert_eq!(code, "000000", "cycle {round}: {text}");
                        assert_eq!(
                            member(text, "data").get("medOrgOrd"),
                            Some(&Value::from(order.as_str())),
                            "{text}"
                        );
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("a calling thread failed");
        }
    });
    library.close().expect("dlclose");
}

#[test]
fn load_call_unload_fifty_times() {
    std::env::remove_var("ONETRANS_CONFIG");
    let path = library_path();
    assert!(path.is_file(), "{} is built", path.display());
    let portal = Portal::start(PortalConfig::default()).expect("the simulator starts");
    let url = portal.fault_url("echo", PUSH_MSG);
    // Every other cycle names the host: the lookup then runs on a helper thread of the library
    // (bounded by connectTimeoutMs), which must not outlive the library either.
    let by_name = url.replace("127.0.0.1", "localhost");
    let url_for = |round: usize| if round & 1 == 0 { &url } else { &by_name };
    // One cycle first, so that the process's own one-time state (the simulator's connections,
    // the allocator's arenas) exists before counting.
    cycle(&path, url_for(0), 0);
    std::thread::sleep(Duration::from_millis(200));
    let tasks_start = count("/proc/self/task");
    let fds_start = count("/proc/self/fd");
    let mapped_after_first = mappings_of(&path);
    for round in 1..=CYCLES {
        cycle(&path, url_for(round), round);
    }
    let tasks_end = settled("/proc/self/task", tasks_start);
    let fds_end = settled("/proc/self/fd", fds_start);
    let mapped_end = mappings_of(&path);
    println!(
        "UNLOAD cycles={CYCLES} threads={THREADS} calls={} tasks: start={tasks_start} \
         end={tasks_end} fds: start={fds_start} end={fds_end} \
         mappings of libonetrans.so after dlclose: first={mapped_after_first} last={mapped_end} \
         portal connections={}",
        CYCLES * THREADS * CALLS_PER_THREAD,
        portal.connections_accepted()
    );
    assert_eq!(tasks_end, tasks_start, "no thread outlives its cycle");
    assert!(
        fds_end <= fds_start,
        "descriptors: {fds_start} -> {fds_end}: each unload must close its pooled connections"
    );
}
