//! `onetrans journal` (issue 13): a process killed with SIGKILL while its call waits on a slow
//! portal leaves its intent, and the tool lists it as unresolved with its `medOrgOrd`; the
//! filters, the CSV (with its byte-order mark) and the JSON; a torn last line is reported, not
//! a crash.
//!
//! The killed process is this test binary again ([`CHILD_ENV`]), calling the exported
//! `MobileTrans` as a hospital program does.

mod common;

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use onetrans::journal::{self, Event};
use onetrans::json::{self, Value};
use onetrans_portal::{Portal, PortalConfig};

/// Set in the child: the URL it calls; the order is [`ORDER`].
const CHILD_ENV: &str = "ONETRANS_JOURNAL_TEST_CHILD_URL";
const ORDER: &str = "KILLED-中途-0001";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "onetrans-cli-journal-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A pushMsg input with the given order number.
fn input(url: &str, order: &str) -> String {
    with_data(&push_msg_input(url), &[("medOrgOrd", order)])
}

/// One call through the exported `MobileTrans`: its code.
fn mobile_trans(input: &str) -> String {
    let input = CString::new(input).unwrap();
    let mut out = vec![0u8; 65_536];
    // SAFETY: a NUL-terminated input and a buffer of the default outBufSize.
    let code =
        unsafe { onetrans::ffi::MobileTrans(input.as_ptr(), out.as_mut_ptr().cast::<c_char>()) };
    // SAFETY: the code is a NUL-terminated static string.
    unsafe { CStr::from_ptr(code) }
        .to_string_lossy()
        .into_owned()
}

/// Waits until the journal of `dir` holds an intent for `order`.
fn wait_for_intent(dir: &Path, order: &str) {
    let started = Instant::now();
    loop {
        let found = journal::read_folder(dir).is_ok_and(|scan| {
            scan.records.iter().any(|r| {
                r.event == Event::Intent
                    && r.keys.iter().any(|(k, v)| k == "medOrgOrd" && v == order)
            })
        });
        if found {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no intent for {order} in {dir:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_process_killed_mid_call_is_listed_as_unresolved() {
    if let Ok(url) = std::env::var(CHILD_ENV) {
        // The child: one call that waits on the slow portal until it is killed.
        let code = mobile_trans(&input(&url, ORDER));
        panic!("the call was meant to be killed, it returned {code}");
    }
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let dir = temp_dir("killed");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "a_process_killed_mid_call_is_listed_as_unresolved",
            "--exact",
            "--nocapture",
        ])
        .env(
            CHILD_ENV,
            portal.fault_url("slow=60000", "/api/amp/hos/pushMsg"),
        )
        .env("ONETRANS_JOURNAL_DIR", &dir)
        .env("ONETRANS_READ_TIMEOUT_MS", "120000")
        .env_remove("ONETRANS_CONFIG")
        .env_remove("ONETRANS_LOG_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_intent(&dir, ORDER);
    // The request is on its way (or at the portal): kill the process, as a user ending the task.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed: {status:?}");

    let dir_arg = dir.to_str().unwrap();
    let listed = run(&["journal", "--dir", dir_arg], None);
    assert_eq!(listed.code, 0, "{}", listed.all());
    assert!(
        listed.stdout.contains(&format!("medOrgOrd={ORDER}")),
        "{}",
        listed.stdout
    );
    assert!(listed.stdout.contains("无结果"), "{}", listed.stdout);
    assert!(listed.stdout.contains("1 个结果未知"), "{}", listed.stdout);

    let as_json = run(&["journal", "--dir", dir_arg, "--json"], None);
    let value = json::parse(&as_json.stdout).unwrap();
    let Value::Array(items) = value else {
        panic!("an array: {}", as_json.stdout)
    };
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].get("status").and_then(Value::as_str),
        Some("noOutcome")
    );
    assert_eq!(
        items[0]
            .get("keys")
            .and_then(|k| k.get("medOrgOrd"))
            .and_then(Value::as_str),
        Some(ORDER)
    );
    assert_eq!(items[0].get("code"), Some(&Value::Null));
}

/// Writes a journal of four requests through the library's writer: a success, a `000001`, a
/// `000100` and one without an outcome.
fn sample_journal(dir: &Path) {
    use onetrans::clock::ChinaTime;
    use onetrans::config::JournalSync;
    use onetrans::journal::{CallFacts, Ended, Journal};
    let writer = Journal::new(dir.to_path_buf(), JournalSync::Never, 3650);
    let names: Vec<String> = ["medOrgOrd".to_owned()].to_vec();
    let calls = [
        ("n-ok", "2026-11-20 09:00:00", "ORD-OK", Some("000000")),
        (
            "n-unknown",
            "2026-11-21 09:00:00",
            "ORD-UNKNOWN",
            Some("000001"),
        ),
        (
            "n-notsent",
            "2026-11-22 09:00:00",
            "ORD-NOTSENT",
            Some("000100"),
        ),
        ("n-none", "2026-11-23 09:00:00", "ORD-NONE", None),
    ];
    for (nonce, time, order, code) in calls {
        let business = json::parse(&format!(r#"{{"medOrgOrd":"{order}","memo":"医保"}}"#)).unwrap();
        let facts = CallFacts::new(nonce, Some("H1"), "/api/x", &business, &names);
        let at = ChinaTime::parse(time).unwrap();
        writer.intent(&facts, at).unwrap();
        if let Some(code) = code {
            let ended = Ended {
                code,
                business_code: None,
                millis: 5,
            };
            writer.outcome(&facts, &ended, at).unwrap();
        }
    }
}

#[test]
fn filters_csv_and_a_torn_line() {
    let dir = temp_dir("filters");
    sample_journal(&dir);
    let d = dir.to_str().unwrap();
    let orders = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["journal", "--dir", d, "--json"];
        all.extend(args);
        let out = run(&all, None);
        assert_eq!(out.code, 0, "{}", out.all());
        let Value::Array(items) = json::parse(&out.stdout).unwrap() else {
            panic!()
        };
        items
            .iter()
            .map(|i| {
                i.get("keys")
                    .and_then(|k| k.get("medOrgOrd"))
                    .and_then(Value::as_str)
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    // Unresolved only, newest first; a 000100 (nothing sent) is never listed as unknown.
    assert_eq!(orders(&[]), ["ORD-NONE", "ORD-UNKNOWN"]);
    assert_eq!(
        orders(&["--all"]),
        ["ORD-NONE", "ORD-NOTSENT", "ORD-UNKNOWN", "ORD-OK"]
    );
    assert_eq!(orders(&["--code", "000100"]), ["ORD-NOTSENT"]);
    assert_eq!(orders(&["--code", "none"]), ["ORD-NONE"]);
    assert_eq!(
        orders(&["--all", "--since", "2026-11-21", "--until", "2026-11-22"]),
        ["ORD-NOTSENT", "ORD-UNKNOWN"]
    );
    assert_eq!(orders(&["--all", "--key", "medOrgOrd=ORD-OK"]), ["ORD-OK"]);
    assert_eq!(
        run(&["journal", "--dir", d, "--since", "soon"], None).code,
        2
    );

    let csv = run(&["journal", "--dir", d, "--csv"], None);
    assert!(csv.stdout.starts_with('\u{feff}'), "a BOM for Excel");
    let lines: Vec<&str> = csv.stdout.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.stdout);
    assert!(lines[0].starts_with("time,status,code,bizCode,ms,pid,orgId,path,medOrgOrd,nonce"));
    assert!(
        lines[1].contains("ORD-NONE") && lines[1].contains("查询"),
        "{}",
        lines[1]
    );

    // A process killed while writing: a torn last line is reported, the rest still listed.
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(r#"{"time":"2026-11-24 09:00:00","event":"int"#);
    std::fs::write(&file, text).unwrap();
    let torn = run(&["journal", "--dir", d], None);
    assert_eq!(torn.code, 0, "{}", torn.all());
    assert!(torn.stderr.contains("torn"), "{}", torn.stderr);
    assert!(
        torn.stdout.contains("ORD-NONE") && torn.stdout.contains("ORD-UNKNOWN"),
        "{}",
        torn.stdout
    );

    let missing = run(&["journal", "--dir", &format!("{d}/nope")], None);
    assert_eq!(missing.code, 2, "{}", missing.all());
}

#[test]
fn check_reports_an_unwritable_journal() {
    let dir = temp_dir("check");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let input = temp_file(
        "journal-check.json",
        push_msg_input("http://127.0.0.1:9/api/amp/hos/pushMsg").as_bytes(),
    );
    let journal_dir = blocker.join("journal");
    let input = input.to_str().unwrap();
    let out = run_env(
        &["check", "--no-call", input],
        None,
        &[("ONETRANS_JOURNAL_DIR", journal_dir.to_str().unwrap())],
    );
    let line = out
        .verdict_of("调用流水")
        .unwrap_or_else(|| panic!("{}", out.all()));
    assert!(
        line.contains("WARNING") && line.contains("无法写入"),
        "{line}"
    );

    let writable = dir.join("journal");
    let out = run_env(
        &["check", "--no-call", input],
        None,
        &[("ONETRANS_JOURNAL_DIR", writable.to_str().unwrap())],
    );
    let line = out
        .verdict_of("调用流水")
        .unwrap_or_else(|| panic!("{}", out.all()));
    assert!(line.starts_with("[OK]"), "{line}");
}
