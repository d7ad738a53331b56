//! Per-call connection settings (spec 1.1 section 1, issue 15): `connectTimeoutMs`,
//! `readTimeoutMs`, `proxy` and `charset` in the input's `data`, through the exported
//! `MobileTrans` against the portal simulator on 127.0.0.1.
//!
//! Each key overrides the configuration for its call only; a bad value is `000105` naming the
//! key, with nothing sent; none of them ever reaches the portal; calls that share settings share
//! kept-alive connections. (The fault matrix, `tests/fault_matrix.rs`, has the row for a per-call
//! read timeout beside a concurrent call without one.)
//!
//! This process runs with `connectTimeoutMs` 5000, `readTimeoutMs` 1000 and `charset` gbk (set
//! before the first call, which reads the configuration once): a call's own settings must be
//! seen to beat each. It uses at most 6 distinct per-call settings of the transport (timeouts
//! and proxies), below `MAX_CALL_AGENTS`, so that no test's agent is dropped under another's.

mod common;

use std::sync::Once;
use std::time::{Duration, Instant};

use common::net::{full_backlog, TestProxy};
use common::*;
use onetrans::json::Value;
use onetrans_portal::{Portal, PortalConfig};

/// Added to a timeout for a bound on a loaded two-core machine.
const MARGIN: Duration = Duration::from_millis(2_500);

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::remove_var("ONETRANS_CONFIG");
        std::env::remove_var("ONETRANS_OUT_BUF_SIZE");
        std::env::remove_var("ONETRANS_PROXY");
        std::env::set_var("ONETRANS_CONNECT_TIMEOUT_MS", "5000");
        std::env::set_var("ONETRANS_READ_TIMEOUT_MS", "1000");
        std::env::set_var("ONETRANS_CHARSET", "gbk");
    });
}

fn portal() -> Portal {
    setup();
    Portal::start(PortalConfig::default()).expect("the simulator starts")
}

/// [`push_msg`] in pure ASCII (the Chinese name escaped, as `json.dumps` writes it), readable
/// under this process's `charset=gbk`.
fn ascii_push_msg(url: &str, order: &str, extra: &str) -> String {
    let text = push_msg(url, order, extra).replace("周大鹏", r"\u5468\u5927\u9e4f");
    assert!(text.is_ascii());
    text
}

/// `MobileTrans`: the code, the output bytes, and how long it took.
fn timed(input: &str) -> (String, Vec<u8>, Duration) {
    let started = Instant::now();
    let (code, out) = mobile_trans_bytes(input.as_bytes());
    (code, out, started.elapsed())
}

/// The output of a pure-ASCII call under `charset=gbk`: GB18030 unless the call asked for UTF-8.
fn gbk_text(bytes: &[u8]) -> String {
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .expect("GB18030 output")
        .into_owned()
}

fn utf8_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("UTF-8 output")
}

/// The order numbers the portal received.
fn received_orders(portal: &Portal) -> Vec<String> {
    portal
        .received()
        .iter()
        .filter_map(|r| {
            r.data
                .as_ref()?
                .get("medOrgOrd")?
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn a_per_call_read_timeout_beats_the_configured_one_both_ways() {
    let portal = portal();
    // Configured 1000 ms: an answer after 1800 ms is too late...
    let slow = portal.fault_url("slow=1800", PUSH_MSG);
    let (code, out, _) = timed(&ascii_push_msg(&slow, "READ-1", ""));
    assert_eq!(code, "000001", "{}", gbk_text(&out));
    // ...unless the call waits longer.
    let (code, out, _) = timed(&ascii_push_msg(&slow, "READ-2", r#""readTimeoutMs":8000"#));
    assert_eq!(code, "000000", "{}", gbk_text(&out));
    // And a shorter one than configured is kept to.
    let slower = portal.fault_url("slow=900", PUSH_MSG);
    let (code, out, took) = timed(&ascii_push_msg(
        &slower,
        "READ-3",
        r#""readTimeoutMs":"300""#,
    ));
    assert_eq!(code, "000001", "{}", gbk_text(&out));
    assert!(took < Duration::from_millis(300) + MARGIN, "{took:?}");
}

#[test]
fn a_per_call_connect_timeout_beats_the_configured_one() {
    setup();
    let (listener, _held) = full_backlog();
    let url = format!("http://{}{PUSH_MSG}", listener.local_addr().unwrap());
    let (code, out, took) = timed(&ascii_push_msg(
        &url,
        "CONNECT-1",
        r#""connectTimeoutMs":300"#,
    ));
    let out = gbk_text(&out);
    assert_eq!(code, "000100", "{out}");
    assert!(out.contains("连接超时"), "{out}");
    // Configured: 5000 ms; the call's own: 300 ms.
    assert!(took < Duration::from_millis(300) + MARGIN, "{took:?}");
}

#[test]
fn a_per_call_proxy_is_used_for_that_call_only() {
    let portal = portal();
    let proxy = TestProxy::start("aGlzOnMzY3JldA==");
    let through = format!(r#""proxy":"http://his:s3cret@{}""#, proxy.addr);
    let (code, out) =
        mobile_trans_bytes(ascii_push_msg(&portal.url(PUSH_MSG), "PROXY-1", &through).as_bytes());
    assert_eq!(code, "000000", "{}", gbk_text(&out));
    assert_eq!(proxy.tunnels(), 1, "through the proxy");
    assert_eq!(
        proxy.last_auth().as_deref(),
        Some("aGlzOnMzY3JldA=="),
        "with the call's credentials"
    );
    // The next call without the key goes direct, as configured.
    let (code, out) =
        mobile_trans_bytes(ascii_push_msg(&portal.url(PUSH_MSG), "PROXY-2", "").as_bytes());
    assert_eq!(code, "000000", "{}", gbk_text(&out));
    assert_eq!(proxy.tunnels(), 1, "not through the proxy");
    assert_eq!(received_orders(&portal), ["PROXY-1", "PROXY-2"]);
}

/// The case of issue 15: a UTF-8 program whose JSON is pure ASCII (`json.dumps` escapes the
/// Chinese) gets its answer in UTF-8 when it says so, where the default for ASCII is not UTF-8
/// (here `charset=gbk`; on Chinese Windows, the ANSI code page 936 under `auto`).
#[test]
fn an_ascii_call_asking_for_utf8_is_answered_in_utf8() {
    let portal = portal();
    let echo = portal.fault_url("echo", PUSH_MSG);
    let escaped = ascii_push_msg(&echo, "CHARSET-1", "");
    let (code, out) = mobile_trans_bytes(escaped.as_bytes());
    assert_eq!(code, "000000");
    assert!(gbk_text(&out).contains("周大鹏"), "configured: GBK");
    assert!(String::from_utf8(out).is_err(), "not UTF-8");

    let asking = escaped.replace(r#""amt":12.50"#, r#""amt":12.50,"charset":"utf-8""#);
    let (code, out) = mobile_trans_bytes(asking.as_bytes());
    let out = utf8_text(out);
    assert_eq!(code, "000000", "{out}");
    assert_eq!(
        member(&out, "data").get("patientName"),
        Some(&Value::from("周大鹏"))
    );
    assert_eq!(
        member(&out, "data")
            .get("amt")
            .map(Value::to_string)
            .as_deref(),
        Some("12.50")
    );
}

/// UTF-8 Chinese under `charset=gbk` is refused (it is not GBK); with `"charset":"utf-8"` it is
/// read as UTF-8, the portal gets the Chinese the caller meant, and the answer is UTF-8. And a
/// GBK caller can say `"charset":"gbk"` where the configuration says otherwise.
#[test]
fn the_call_charset_decides_how_its_input_is_read() {
    let portal = portal();
    let echo = portal.fault_url("echo", PUSH_MSG);
    let (code, out) = mobile_trans_bytes(push_msg(&echo, "CHARSET-2", "").as_bytes());
    assert_eq!(code, "000105", "{}", gbk_text(&out));
    let (code, out) =
        mobile_trans_bytes(push_msg(&echo, "CHARSET-3", r#""charset":"utf-8""#).as_bytes());
    let out = utf8_text(out);
    assert_eq!(code, "000000", "{out}");
    assert_eq!(
        member(&out, "data").get("patientName"),
        Some(&Value::from("周大鹏"))
    );
    let sent = portal.received();
    let data = sent.last().and_then(|r| r.data.clone()).expect("received");
    assert_eq!(data["patientName"], "周大鹏");

    // GBK bytes saying gbk: read and answered as GBK (here the configuration agrees; the
    // decision function's unit tests in src/entry.rs cover the other configurations).
    let gbk_input = encoding_rs::GB18030
        .encode(&push_msg(&echo, "CHARSET-4", r#""charset":"GBK""#))
        .0
        .into_owned();
    let (code, out) = mobile_trans_bytes(&gbk_input);
    let out = gbk_text(&out);
    assert_eq!(code, "000000", "{out}");
    assert_eq!(
        member(&out, "data").get("patientName"),
        Some(&Value::from("周大鹏"))
    );
}

#[test]
fn the_wide_interface_accepts_and_ignores_charset() {
    let portal = portal();
    let input = push_msg(&portal.url(PUSH_MSG), "WIDE-1", r#""charset":"gbk""#);
    let (code, out) = mobile_trans_w(&input);
    assert_eq!(code, "000000", "{out}");
    let input = push_msg(&portal.url(PUSH_MSG), "WIDE-2", r#""charset":"ebcdic""#);
    let (code, out) = mobile_trans_w(&input);
    assert_eq!(code, "000105", "{out}");
    assert!(out.contains("charset"), "{out}");
}

/// `MobileTransW` with a 64 Ki-unit buffer: (code, output).
fn mobile_trans_w(input: &str) -> (String, String) {
    let units: Vec<u16> = input.encode_utf16().chain([0]).collect();
    let mut out = vec![0u16; 65_536];
    // SAFETY: a NUL-terminated UTF-16 input and a buffer of outBufSize units.
    let code = unsafe { onetrans::ffi::MobileTransW(units.as_ptr(), out.as_mut_ptr()) };
    let len = out.iter().position(|&u| u == 0).expect("NUL-terminated");
    assert!(!code.is_null());
    // SAFETY: the library returns a 0-terminated UTF-16 code valid until the next call.
    let code: Vec<u16> = (0..)
        .map(|i| unsafe { *code.add(i) })
        .take_while(|&u| u != 0)
        .collect();
    (
        String::from_utf16(&code).unwrap(),
        String::from_utf16(&out[..len]).unwrap(),
    )
}

#[test]
fn a_bad_value_of_each_key_is_000105_naming_it_and_nothing_is_sent() {
    let portal = portal();
    let url = portal.url(PUSH_MSG);
    for (member_text, key) in [
        (r#""connectTimeoutMs":0"#, "connectTimeoutMs"),
        (r#""connectTimeoutMs":"6s""#, "connectTimeoutMs"),
        (r#""readTimeoutMs":600001"#, "readTimeoutMs"),
        (r#""readTimeoutMs":1.5"#, "readTimeoutMs"),
        (r#""proxy":"socks5://127.0.0.1:1080""#, "proxy"),
        (r#""proxy":"127.0.0.1:3128""#, "proxy"),
        (r#""charset":"latin1""#, "charset"),
        (r#""charset":8"#, "charset"),
    ] {
        let (code, out) = mobile_trans_bytes(ascii_push_msg(&url, "BAD", member_text).as_bytes());
        let out = gbk_text(&out);
        assert_eq!(code, "000105", "{member_text}: {out}");
        assert_eq!(member(&out, "respCode"), Value::from("000105"), "{out}");
        let message = member(&out, "message");
        assert!(
            message.as_str().unwrap_or("").contains(key),
            "{member_text}: the message names {key}: {out}"
        );
    }
    assert!(portal.received().is_empty(), "nothing was sent");
    assert_eq!(portal.connections_accepted(), 0, "not even a connection");
}

#[test]
fn the_keys_never_reach_the_portal() {
    let portal = portal();
    let proxy = TestProxy::start("aGlzOnMzY3JldA==");
    let keys = format!(
        r#""connectTimeoutMs":4000,"readTimeoutMs":9000,"proxy":"http://his:s3cret@{}","charset":"utf-8""#,
        proxy.addr
    );
    let (code, out) = mobile_trans_bytes(
        push_msg(&portal.fault_url("echo", PUSH_MSG), "KEYS-1", &keys).as_bytes(),
    );
    let out = utf8_text(out);
    assert_eq!(code, "000000", "{out}");
    let received = portal.received();
    assert_eq!(received.len(), 1);
    let data = received[0].data.as_ref().expect("decrypted data");
    for key in ["connectTimeoutMs", "readTimeoutMs", "proxy", "charset"] {
        assert!(
            data.get(key).is_none(),
            "{key} in the business data: {data}"
        );
        assert!(!received[0].body.contains(key), "{key} on the wire");
        assert!(
            member(&out, "data").get(key).is_none(),
            "{key} echoed: {out}"
        );
    }
    assert!(!received[0].body.contains("s3cret"));
    assert_eq!(
        data["medOrgOrd"], "KEYS-1",
        "the business data is all there"
    );
}

#[test]
fn calls_sharing_settings_share_connections() {
    let portal = portal();
    let url = portal.url(PUSH_MSG);
    let own = r#""readTimeoutMs":7000,"connectTimeoutMs":3000"#;
    for i in 0..3 {
        let (code, out) =
            mobile_trans_bytes(ascii_push_msg(&url, &format!("POOL-{i}"), own).as_bytes());
        assert_eq!(code, "000000", "{}", gbk_text(&out));
    }
    assert_eq!(
        portal.connections_accepted(),
        1,
        "one kept-alive connection"
    );
    // Calls without the keys have their own pool (the configured one); alternating does not
    // cost new connections after the first of each.
    for i in 0..3 {
        let (code, _) =
            mobile_trans_bytes(ascii_push_msg(&url, &format!("POOL-PLAIN-{i}"), "").as_bytes());
        assert_eq!(code, "000000");
        let (code, _) =
            mobile_trans_bytes(ascii_push_msg(&url, &format!("POOL-OWN-{i}"), own).as_bytes());
        assert_eq!(code, "000000");
    }
    assert_eq!(portal.connections_accepted(), 2);
    // A charset of the call's own is no transport setting: the configured pool.
    let (code, _) =
        mobile_trans_bytes(ascii_push_msg(&url, "POOL-CHARSET", r#""charset":"utf-8""#).as_bytes());
    assert_eq!(code, "000000");
    assert_eq!(portal.connections_accepted(), 2);

    // Threads with the same settings reuse the pool's connections: never more connections
    // than calls at the same time.
    let before = portal.connections_accepted();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let url = &url;
            scope.spawn(move || {
                for i in 0..5 {
                    let input = ascii_push_msg(url, &format!("POOL-T{t}-{i}"), own);
                    let (code, out) = mobile_trans_bytes(input.as_bytes());
                    assert_eq!(code, "000000", "{}", gbk_text(&out));
                }
            });
        }
    });
    let opened = portal.connections_accepted() - before;
    println!("20 calls on 4 threads with their own settings: {opened} new connections");
    assert!(opened <= 4, "{opened} new connections for 4 threads");
}

// --- helpers ------------------------------------------------------------------------------------
