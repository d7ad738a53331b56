//! The panic hook never blocks (issue 10 item 11). The old hook logged through the logger's
//! mutex (and its `OnceLock`), so a panic while that lock was held waited for it, forever when
//! the holder was the panicking thread itself.
//!
//! Here the lock is held, for as long as the test wants, by another thread: the day's log file
//! is a named pipe (FIFO), so the logger blocks in `open` while holding its mutex until the test
//! opens the pipe for reading. A call that panics meanwhile must still return `444444` at once;
//! the panic's message reaches the log with a later call.
//!
//! One test in this binary: the configuration (the log folder) is read once per process.

mod common;

use std::ffi::CString;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use onetrans::clock::{self, ChinaTime};

#[test]
fn a_panic_while_the_log_is_busy_does_not_block() {
    let dir = std::env::temp_dir().join(format!("onetrans-panic-hook-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::env::remove_var("ONETRANS_CONFIG");
    std::env::set_var("ONETRANS_LOG_DIR", &dir);
    std::env::set_var("ONETRANS_LOG_LEVEL", "info");
    // Today's and tomorrow's log files are pipes (a test running over midnight still blocks).
    let now = clock::now();
    let fifos: Vec<_> = [now, ChinaTime::from_unix(now.unix() + 86_400)]
        .iter()
        .map(|day| onetrans::log::file_for(&dir, *day))
        .collect();
    for fifo in &fifos {
        let status = Command::new("mkfifo").arg(fifo).status().expect("mkfifo");
        assert!(status.success());
    }

    // Thread A: a failed call; its log line blocks in open() with the logger's mutex held.
    let holder = std::thread::spawn(|| mobile_trans("{not json"));
    std::thread::sleep(Duration::from_secs(2));

    // Thread B: a call that panics at the boundary.
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        onetrans::entry::panic_at_next_call_for_test();
        let input = CString::new("{}").unwrap();
        let mut out = vec![0u8; 1024];
        let mut len = 0u32;
        // SAFETY: 1024 writable bytes; `len` is writable.
        let code = unsafe {
            onetrans::ffi::MobileTransEx(input.as_ptr(), out.as_mut_ptr().cast(), 1024, &mut len)
        };
        let _ = done.send(code_string(code));
    });
    let code = finished.recv_timeout(Duration::from_secs(30));

    // Release the logger: open the pipes for reading (non-blocking, so the open returns).
    let mut readers: Vec<_> = fifos
        .iter()
        .map(|fifo| {
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(fifo)
                .unwrap()
        })
        .collect();
    assert_eq!(
        code.as_deref(),
        Ok("444444"),
        "the panicking call must return while another thread holds the log"
    );
    let (code, _) = holder.join().unwrap();
    assert_eq!(code, "000105");

    // The next call writes the queued panic message to the log.
    let (code, _) = mobile_trans("{still not json");
    assert_eq!(code, "000105");
    let mut log = Vec::new();
    for reader in &mut readers {
        let mut buf = [0u8; 65_536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            log.extend_from_slice(&buf[..n]);
        }
    }
    let log = String::from_utf8_lossy(&log);
    assert!(
        log.contains("test hook: a panic at the export boundary"),
        "the panic is logged later: {log}"
    );
    drop(readers);
    let _ = std::fs::remove_dir_all(&dir);
}
