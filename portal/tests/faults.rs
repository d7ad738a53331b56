//! Each fault's effect on the wire, seen by a raw TCP client and by the library's
//! `open_response`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use onetrans::json::{self, Value};

fn code_of(result: Result<onetrans::protocol::Answer, onetrans::error::Error>) -> String {
    match result {
        Ok(_) => "000000".into(),
        Err(e) => e.code().to_owned(),
    }
}

#[test]
fn slow_delays_the_answer() {
    let portal = portal();
    let sealed = seal(&portal, &push_msg_input());
    let started = Instant::now();
    let wire = raw_exchange(
        portal.addr(),
        &format!("/_fault/slow=700{PUSH_MSG}"),
        &sealed.body,
    );
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(wire.end, End::Complete);
    assert_eq!(code_of(sealed.open(&wire.body)), "000000");
    // A client that gives up first sees nothing, but the portal processed the request.
    let sealed = seal(&portal, &push_msg_input());
    let mut conn = RawConn::connect(portal.addr());
    conn.set_read_timeout(Duration::from_millis(200));
    conn.send(&format!("/_fault/slow=1500{PUSH_MSG}"), &sealed.body);
    let wire = conn.read_answer();
    assert_eq!(wire.end, End::Timeout);
    assert!(wire.raw.is_empty());
    assert_eq!(portal.received().last().unwrap().resp_code, "000000");
}

#[test]
fn close_reads_the_request_then_closes_without_answering() {
    let portal = portal();
    let sealed = seal(&portal, &drug_input("CLOSE1"));
    let wire = raw_exchange(portal.addr(), &portal_path("close", DRUG), &sealed.body);
    assert_eq!(wire.end, End::Eof);
    assert!(
        wire.raw.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&wire.raw)
    );
    // The request was processed: the ticket is written off.
    let received = portal.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].code, Some(0));
    let again = seal(&portal, &drug_input("CLOSE1"));
    let wire = raw_exchange(portal.addr(), DRUG, &again.body);
    assert_eq!(again.open(&wire.body).unwrap().code, Value::from(-2));
}

#[test]
fn reset_sends_part_of_the_answer_then_rst() {
    let portal = portal();
    let sealed = seal(&portal, &push_msg_input());
    let wire = raw_exchange(portal.addr(), &portal_path("reset", PUSH_MSG), &sealed.body);
    assert_eq!(wire.end, End::Reset, "{wire:?}");
    // The headers and the first half of the body arrived before the reset (a receiver reads
    // queued data before it sees the RST).
    assert_eq!(wire.status, Some(200));
    let full = wire.content_length.unwrap();
    assert!(
        !wire.body.is_empty() && wire.body.len() < full,
        "{} of {full}",
        wire.body.len()
    );
    assert_eq!(portal.received()[0].resp_code, "000000");
}

#[test]
fn truncate_sends_fewer_bytes_than_content_length_then_fin() {
    let portal = portal();
    let sealed = seal(&portal, &push_msg_input());
    let wire = raw_exchange(
        portal.addr(),
        &portal_path("truncate", PUSH_MSG),
        &sealed.body,
    );
    assert_eq!(wire.end, End::Eof, "{wire:?}");
    assert_eq!(wire.status, Some(200));
    let full = wire.content_length.unwrap();
    assert!(
        !wire.body.is_empty() && wire.body.len() < full,
        "{} of {full}",
        wire.body.len()
    );
    // The bytes sent are the start of the real answer.
    assert!(
        wire.body_text().starts_with("{\"respCode\":\"000000\""),
        "{}",
        wire.body_text()
    );
}

#[test]
fn status_notjson_norespcode() {
    let portal = portal();
    for code in [500u16, 502, 503, 404, 200] {
        let sealed = seal(&portal, &push_msg_input());
        let wire = raw_exchange(
            portal.addr(),
            &portal_path(&format!("status={code}"), PUSH_MSG),
            &sealed.body,
        );
        assert_eq!(wire.end, End::Complete);
        assert_eq!(wire.status, Some(code));
        assert!(wire
            .header("content-type")
            .unwrap()
            .starts_with("text/plain"));
        assert!(
            wire.body_text().starts_with(&code.to_string()),
            "{}",
            wire.body_text()
        );
    }
    let sealed = seal(&portal, &push_msg_input());
    let wire = raw_exchange(
        portal.addr(),
        &portal_path("notjson", PUSH_MSG),
        &sealed.body,
    );
    assert_eq!(wire.status, Some(200));
    assert!(wire.body_text().starts_with("<html>"));
    assert!(serde_json::from_slice::<serde_json::Value>(&wire.body).is_err());
    assert_eq!(code_of(sealed.open(&wire.body)), "000002");

    let sealed = seal(&portal, &push_msg_input());
    let wire = raw_exchange(
        portal.addr(),
        &portal_path("norespcode", PUSH_MSG),
        &sealed.body,
    );
    assert_eq!(wire.status, Some(200));
    let v: serde_json::Value = serde_json::from_slice(&wire.body).unwrap();
    assert!(v.is_object() && v.get("respCode").is_none());
    assert_eq!(code_of(sealed.open(&wire.body)), "000002");
}

#[test]
fn oversize_sends_a_well_formed_body_of_the_given_size() {
    let portal = portal();
    for size in [100usize, 3 * 1024 * 1024 + 7] {
        let sealed = seal(&portal, &push_msg_input());
        let wire = raw_exchange(
            portal.addr(),
            &portal_path(&format!("oversize={size}"), PUSH_MSG),
            &sealed.body,
        );
        assert_eq!(wire.end, End::Complete);
        assert_eq!(wire.content_length, Some(size));
        assert_eq!(wire.body.len(), size);
        let v: serde_json::Value = serde_json::from_slice(&wire.body).unwrap();
        assert_eq!(v["respCode"], "000000");
    }
    // Smaller than its skeleton: the skeleton.
    let sealed = seal(&portal, &push_msg_input());
    let wire = raw_exchange(
        portal.addr(),
        &portal_path("oversize=1", PUSH_MSG),
        &sealed.body,
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&wire.body).is_ok());
}

#[test]
fn answer_faults_fail_the_clients_checks() {
    let portal = portal();
    for (fault, code, words) in [
        ("badsign", "000102", "签名"),
        ("badnonce", "000102", "nonceStr"),
        ("badenc", "000101", "十六进制"),
        ("badpad", "000101", "填充"),
        ("otherapp", "000102", "appId"),
    ] {
        let sealed = seal(&portal, &push_msg_input());
        let wire = raw_exchange(portal.addr(), &portal_path(fault, PUSH_MSG), &sealed.body);
        assert_eq!(wire.end, End::Complete, "{fault}");
        assert_eq!(wire.status, Some(200));
        let v: serde_json::Value = serde_json::from_slice(&wire.body).unwrap();
        assert_eq!(v["respCode"], "000000", "{fault}");
        let err = sealed.open(&wire.body).unwrap_err();
        assert_eq!(err.code(), code, "{fault}: {err}");
        assert!(err.message.contains(words), "{fault}: {}", err.message);
    }
    // badnonce is correctly signed over another nonce; otherapp names the other app.
    let sealed = seal(&portal, &push_msg_input());
    let wire = raw_exchange(
        portal.addr(),
        &portal_path("badnonce", PUSH_MSG),
        &sealed.body,
    );
    let v: serde_json::Value = serde_json::from_slice(&wire.body).unwrap();
    assert_ne!(v["nonceStr"], sealed.nonce.as_str());
    let other = onetrans_portal::faults::OTHER_APP_ID;
    let wire = raw_exchange(
        portal.addr(),
        &portal_path("otherapp", PUSH_MSG),
        &seal(&portal, &push_msg_input()).body,
    );
    let v: serde_json::Value = serde_json::from_slice(&wire.body).unwrap();
    assert_eq!(v["appId"], other);
    // A rejected request is answered as usual: the fault has nothing to mangle.
    let wire = raw_exchange(portal.addr(), &portal_path("badsign", PUSH_MSG), "{}");
    assert_eq!(resp_code(&wire.body_text()), "000105");
}

#[test]
fn echo_answers_the_request_data() {
    let portal = portal();
    let business = r#"{"seq":7,"amt":12.50,"name":"周大鹏","nested":{"b":[1,null,"x"],"a":""}}"#;
    let sealed = seal(&portal, &input_with(business));
    let wire = raw_exchange(portal.addr(), &portal_path("echo", PUSH_MSG), &sealed.body);
    let opened = sealed.open(&wire.body).unwrap();
    assert_eq!(opened.code, Value::from(0));
    assert_eq!(json::compact(&opened.data.unwrap()), business);
    // The checks still run first.
    let wire = raw_exchange(portal.addr(), &portal_path("echo", PUSH_MSG), &sealed.body);
    assert_eq!(resp_code(&wire.body_text()), "010010");
    let wire = raw_exchange(
        portal.addr(),
        &portal_path("echo", "/api/nope"),
        &seal(&portal, &input_with(business)).body,
    );
    assert_eq!(resp_code(&wire.body_text()), "404404");
}

#[test]
fn echo_serves_parallel_clients_without_mixing_answers() {
    let portal = portal();
    let url = portal.fault_url("echo", PUSH_MSG);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (portal, url) = (&portal, &url);
            scope.spawn(move || {
                let agent = agent();
                for i in 0..10 {
                    let business = format!(r#"{{"thread":{t},"call":{i}}}"#);
                    let sealed = seal(portal, &input_with(&business));
                    let (_, answer) = post(&agent, url, &sealed.body).unwrap();
                    let opened = sealed.open(answer.as_bytes()).unwrap();
                    assert_eq!(json::compact(&opened.data.unwrap()), business);
                }
            });
        }
    });
    assert_eq!(portal.received().len(), 80);
}

#[test]
fn closeidle_closes_the_kept_alive_connection_after_the_answer() {
    let portal = portal();
    let mut conn = RawConn::connect(portal.addr());
    let sealed = seal(&portal, &push_msg_input());
    conn.send(&portal_path("closeidle", PUSH_MSG), &sealed.body);
    let wire = conn.read_answer();
    assert_eq!(wire.end, End::Complete);
    assert_eq!(
        wire.header("connection"),
        None,
        "looks kept alive: {}",
        wire.head
    );
    assert_eq!(code_of(sealed.open(&wire.body)), "000000");
    assert_eq!(conn.closed_by_server(Duration::from_secs(5)), End::Eof);

    // Without the fault the same connection stays open and serves the next request.
    let mut conn = RawConn::connect(portal.addr());
    for _ in 0..3 {
        let sealed = seal(&portal, &push_msg_input());
        conn.send(PUSH_MSG, &sealed.body);
        let wire = conn.read_answer();
        assert_eq!(wire.end, End::Complete);
        assert_eq!(code_of(sealed.open(&wire.body)), "000000");
    }
    assert_eq!(
        conn.closed_by_server(Duration::from_millis(300)),
        End::Timeout
    );
}

#[test]
fn faults_combine_and_bad_prefixes_are_400() {
    let portal = portal();
    let sealed = seal(&portal, &push_msg_input());
    let started = Instant::now();
    let wire = raw_exchange(
        portal.addr(),
        &format!("/_fault/slow=300/_fault/badsign{PUSH_MSG}"),
        &sealed.body,
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(sealed.open(&wire.body).unwrap_err().code(), "000102");
    assert_eq!(
        portal.received()[0].fault.as_deref(),
        Some("slow=300/badsign")
    );

    for bad in ["nope", "slow", "slow=x", "status=42", "close=1"] {
        let wire = raw_exchange(portal.addr(), &portal_path(bad, PUSH_MSG), "{}");
        assert_eq!(wire.status, Some(400), "{bad}");
        assert!(wire.body_text().contains("fault"), "{}", wire.body_text());
    }
    assert_eq!(portal.received().last().unwrap().resp_code, "");
}

fn portal_path(fault: &str, path: &str) -> String {
    format!("/_fault/{fault}{path}")
}
