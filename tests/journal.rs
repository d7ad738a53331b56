//! The call journal (issue 13) through the exported `MobileTrans`:
//! * a refused input (`000105`) leaves no intent; an unreachable portal (`000100`, nothing
//!   sent) leaves an intent and its outcome, never listed as unknown;
//! * 2 processes × 8 threads × 200 calls into one folder: every line parses, intents and
//!   outcomes pair up by nonce;
//! * an unwritable journal folder: every call still succeeds, and the log says so once.
//!
//! The other processes are this test binary again, with [`CHILD_ENV`] naming what to do and
//! the settings in their environment (read once per process, at the first call).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;

use common::*;
use onetrans::journal::{self, Event, Record};
use onetrans_portal::{Portal, PortalConfig};

/// In a child: what to do (`load` or `unwritable`).
const CHILD_ENV: &str = "ONETRANS_JOURNAL_TEST_CHILD";
/// In a child: the portal's URL.
const URL_ENV: &str = "ONETRANS_JOURNAL_TEST_URL";
const THREADS: usize = 8;
const CALLS: usize = 200;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onetrans-journal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// This process's journal, for the tests that call in-process.
fn own_journal() -> PathBuf {
    static ONCE: Once = Once::new();
    let dir = std::env::temp_dir().join(format!("onetrans-journal-own-{}", std::process::id()));
    ONCE.call_once(|| {
        let _ = std::fs::remove_dir_all(&dir);
        std::env::remove_var("ONETRANS_CONFIG");
        std::env::set_var("ONETRANS_JOURNAL_DIR", &dir);
        std::env::set_var("ONETRANS_CONNECT_TIMEOUT_MS", "1000");
    });
    dir
}

fn records_of(dir: &Path, order: &str) -> Vec<Record> {
    let scan = journal::read_folder(dir).unwrap_or_default();
    assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    scan.records
        .into_iter()
        .filter(|r| r.keys.iter().any(|(k, v)| k == "medOrgOrd" && v == order))
        .collect()
}

/// Runs the test `name` of this binary in a child process with `env`.
fn child(name: &str, env: &[(&str, &std::ffi::OsStr)]) -> std::process::Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env_remove("ONETRANS_CONFIG");
    for key in onetrans::config::KEYS {
        command.env_remove(onetrans::config::env_name(key));
    }
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().expect("the child runs")
}

fn succeeded(output: Output) {
    assert!(
        output.status.success(),
        "the child failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_refused_input_leaves_no_intent() {
    let dir = own_journal();
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let input = push_msg(&portal.url(PUSH_MSG), "REFUSED-0001", "").replace(APP_KEY, "");
    let (code, out) = mobile_trans(&input);
    assert_eq!(code, "000105", "{out}");
    // A call that sends, so that the journal exists.
    let (code, out) = mobile_trans(&push_msg(&portal.url(PUSH_MSG), "SENT-0001", ""));
    assert_eq!(code, "000000", "{out}");
    assert_eq!(records_of(&dir, "SENT-0001").len(), 2);
    assert!(records_of(&dir, "REFUSED-0001").is_empty());
}

#[test]
fn an_unreachable_portal_is_recorded_but_never_unknown() {
    let dir = own_journal();
    let url = format!("http://127.0.0.1:{}{PUSH_MSG}", closed_port());
    let (code, out) = mobile_trans(&push_msg(&url, "NOT-SENT-0001", ""));
    assert_eq!(code, "000100", "{out}");
    let records = records_of(&dir, "NOT-SENT-0001");
    assert_eq!(records.len(), 2, "{records:?}");
    let requests = journal::pair(records);
    assert_eq!(requests[0].code(), Some("000100"));
    assert!(!requests[0].unresolved());
}

#[test]
fn two_processes_of_eight_threads_share_one_folder() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("load") {
        let url = std::env::var(URL_ENV).unwrap();
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let url = &url;
                scope.spawn(move || {
                    for i in 0..CALLS {
                        let order = format!("LOAD-{}-{t}-{i}", std::process::id());
                        let (code, out) = mobile_trans(&push_msg(url, &order, ""));
                        assert_eq!(code, "000000", "{out}");
                    }
                });
            }
        });
        return;
    }
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let dir = temp_dir("load");
    let url = portal.url(PUSH_MSG);
    let env = [
        (CHILD_ENV, "load".as_ref()),
        (URL_ENV, url.as_ref()),
        ("ONETRANS_JOURNAL_DIR", dir.as_os_str()),
    ];
    let children = [
        child("two_processes_of_eight_threads_share_one_folder", &env),
        child("two_processes_of_eight_threads_share_one_folder", &env),
    ];
    for c in children {
        succeeded(c.wait_with_output().unwrap());
    }
    let lines: usize = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap().lines().count())
        .sum();
    let scan = journal::read_folder(&dir).unwrap();
    assert!(
        scan.problems.is_empty(),
        "every line parses: {:?}",
        scan.problems
    );
    let total = 2 * THREADS * CALLS;
    assert_eq!(
        lines,
        2 * total,
        "one intent and one outcome a call, nothing else"
    );
    assert_eq!(scan.records.len(), 2 * total);
    let pids: std::collections::BTreeSet<u64> = scan.records.iter().map(|r| r.pid).collect();
    assert_eq!(pids.len(), 2);
    let requests = journal::pair(scan.records);
    assert_eq!(requests.len(), total, "pairs by nonce");
    for request in &requests {
        let (intent, outcome) = (request.intent.as_ref(), request.outcome.as_ref());
        assert!(
            intent.is_some_and(|r| r.event == Event::Intent),
            "{request:?}"
        );
        assert_eq!(request.code(), Some("000000"), "{request:?}");
        assert_eq!(intent.unwrap().keys, outcome.unwrap().keys);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_folder_never_fails_a_call() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("unwritable") {
        let url = std::env::var(URL_ENV).unwrap();
        for i in 0..3 {
            let (code, out) = mobile_trans(&push_msg(&url, &format!("UNWRITABLE-{i}"), ""));
            assert_eq!(code, "000000", "{out}");
        }
        return;
    }
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let dir = temp_dir("unwritable");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let logs = dir.join("log");
    let url = portal.url(PUSH_MSG);
    let journal_dir = blocker.join("journal");
    let env = [
        (CHILD_ENV, "unwritable".as_ref()),
        (URL_ENV, url.as_ref()),
        ("ONETRANS_JOURNAL_DIR", journal_dir.as_os_str()),
        ("ONETRANS_LOG_DIR", logs.as_os_str()),
    ];
    let c = child("an_unwritable_folder_never_fails_a_call", &env);
    succeeded(c.wait_with_output().unwrap());
    let log: String = std::fs::read_dir(&logs)
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert_eq!(log.matches("journal）无法写入").count(), 1, "once: {log}");
    assert_eq!(log.matches("code=000000").count(), 3, "{log}");
    assert!(
        log.contains("medOrgOrd=UNWRITABLE-2"),
        "the business keys: {log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
