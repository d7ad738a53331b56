//! An unwritable `logDir` (issue 10 item 12): calls still succeed, and the library does not
//! retry creating the folder on every call while holding the log's lock; it tries again after
//! a minute.
//!
//! One test in this binary: the configuration is read once per process.

mod common;

use common::*;
use onetrans::clock;
use onetrans_portal::{Portal, PortalConfig};

#[test]
fn an_unwritable_log_dir_is_retried_at_most_once_a_minute() {
    let dir = std::env::temp_dir().join(format!("onetrans-log-backoff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // `logs` is a file: no folder can be created below it (even by root).
    let blocker = dir.join("logs");
    std::fs::write(&blocker, "not a folder").unwrap();
    let log_dir = blocker.join("today");
    let ini = dir.join("OneTrans.ini");
    std::fs::write(
        &ini,
        format!(
            "[onetrans]\nlogDir = {}\nlogLevel = info\n",
            log_dir.display()
        ),
    )
    .unwrap();
    std::env::set_var("ONETRANS_CONFIG", &ini);
    let portal = Portal::start(PortalConfig::default()).unwrap();

    for i in 0..3 {
        let (code, out) = mobile_trans(&push_msg(&portal.url(PUSH_MSG), &format!("BO-{i}"), ""));
        assert_eq!(
            code, "000000",
            "a log that cannot be written fails no call: {out}"
        );
    }
    // The folder becomes creatable; the next calls within the minute do not try again.
    std::fs::remove_file(&blocker).unwrap();
    for i in 3..6 {
        let (code, out) = mobile_trans(&push_msg(&portal.url(PUSH_MSG), &format!("BO-{i}"), ""));
        assert_eq!(code, "000000", "{out}");
    }
    let file = onetrans::log::file_for(&log_dir, clock::now());
    assert!(
        !log_dir.exists() && !file.exists(),
        "the folder was created again within a minute of the failure: {}",
        file.display()
    );
    portal.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
