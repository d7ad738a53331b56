//! `onetrans call` against the portal simulator, run as the integrator runs it.

mod common;

use common::{output_json, push_msg_input, run, temp_file, with_data, APP_KEY};
use onetrans::charset::{self, Charset};
use onetrans::json::Value;
use onetrans_portal::{Portal, PortalConfig};

fn portal() -> Portal {
    Portal::start(PortalConfig::default()).expect("the portal simulator starts")
}

#[test]
fn a_successful_call_prints_the_output_and_the_return_code() {
    let portal = portal();
    let input = push_msg_input(&portal.url("/api/amp/hos/pushMsg"));
    let r = run(&["call", "-"], Some(input.as_bytes()));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.last_line(), "返回码 / return code: 000000");
    let out = output_json(&r);
    assert_eq!(
        out.get("code").map(ToString::to_string).as_deref(),
        Some("0")
    );
    assert_eq!(
        out.get("data")
            .and_then(|d| d.get("response"))
            .and_then(Value::as_str),
        Some("SUCCESS")
    );
    assert_eq!(
        out.get("orgId").and_then(Value::as_str),
        Some("H46010000000")
    );
    assert!(
        r.stdout.contains("{\n  \"code\": 0,"),
        "indented by default: {}",
        r.stdout
    );
    assert!(!r.all().contains(APP_KEY), "{r:?}");
    let received = portal.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/api/amp/hos/pushMsg");
    assert_eq!(received[0].resp_code, "000000");
    portal.stop();
}

#[test]
fn compact_output_is_one_line() {
    let portal = portal();
    let file = temp_file(
        "push.json",
        push_msg_input(&portal.url("/api/amp/hos/pushMsg")).as_bytes(),
    );
    let r = run(&["call", "--compact", file.to_str().unwrap()], None);
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.trim_end().lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"code":0,"data":{"response":"SUCCESS"},"extra":"","message":"成功","orgId":"H46010000000"}"#,
            "返回码 / return code: 000000"
        ]
    );
    portal.stop();
}

#[test]
fn wire_shows_sign_text_envelope_status_and_answer_but_never_the_app_key() {
    let portal = portal();
    let input = push_msg_input(&portal.url("/api/amp/hos/pushMsg"));
    let r = run(&["call", "--wire", "-"], Some(input.as_bytes()));
    assert_eq!(r.code, 0, "{r:?}");
    let received = portal.received();
    assert_eq!(received.len(), 1);
    let out = &r.stdout;
    assert!(
        out.contains("签名原文（appKey 已遮盖） / sign text (appKey masked)"),
        "{out}"
    );
    let sign_line = out
        .lines()
        .find(|l| l.starts_with("appId="))
        .expect("the sign text");
    assert!(sign_line.ends_with("&key=***"), "{sign_line}");
    assert!(
        sign_line.contains("&data={\"appType\":\"01\""),
        "{sign_line}"
    );
    assert!(
        out.contains("请求报文 / request envelope: POST /api/amp/hos/pushMsg"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l == received[0].body),
        "the envelope as sent: {out}"
    );
    assert!(out.contains("HTTP 状态 / HTTP status: 200"), "{out}");
    let answer = out
        .lines()
        .find(|l| l.starts_with("{\"respCode\":\"000000\""))
        .expect("the raw answer");
    assert!(answer.contains("\"signData\""), "{answer}");
    assert_eq!(r.last_line(), "返回码 / return code: 000000");
    assert!(
        !r.all().contains(APP_KEY),
        "the appKey must never be printed: {r:?}"
    );
    portal.stop();
}

#[test]
fn bad_input_gives_000105_and_a_non_zero_exit() {
    for bad in [
        &b"{\"data\":{}}"[..],
        b"not json",
        b"",
        b"{\"data\":{\"serverAddr\":\"ftp://x\"}}",
    ] {
        let r = run(&["call", "-"], Some(bad));
        assert_eq!(r.code, 1, "{r:?}");
        assert_eq!(r.last_line(), "返回码 / return code: 000105", "{r:?}");
        let out = output_json(&r);
        assert_eq!(out.get("respCode").and_then(Value::as_str), Some("000105"));
        assert!(r.stderr.contains("说明 / meaning"), "{r:?}");
    }
    // Neither UTF-8 nor GB18030: the library's own 000105.
    let r = run(&["call", "-"], Some(b"{\"data\":\"\xFF\xFF\"}"));
    assert_eq!(r.last_line(), "返回码 / return code: 000105", "{r:?}");
}

#[test]
fn gb18030_input_is_decoded_like_mobile_trans_does() {
    let portal = portal();
    let input = push_msg_input(&portal.url("/api/amp/hos/pushMsg"));
    let gbk = charset::encode_output(&input, Charset::Gb18030);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the test input must not be UTF-8"
    );
    let file = temp_file("push-gbk.json", &gbk);
    let r = run(&["call", file.to_str().unwrap()], None);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("GB18030"), "{r:?}");
    let data = portal.received()[0]
        .data
        .clone()
        .expect("the portal decrypted the data");
    assert_eq!(data["patientName"], "周大鹏");
    portal.stop();
}

#[test]
fn a_business_failure_is_return_code_000000() {
    let portal = portal();
    let input = with_data(
        &push_msg_input(&portal.url("/api/mobile/verificationDrug")),
        &[
            ("mobileDrugTipsId", "202212229114"),
            ("drugTipsIdType", "qr"),
        ],
    );
    assert_eq!(run(&["call", "-"], Some(input.as_bytes())).code, 0);
    let r = run(&["call", "-"], Some(input.as_bytes()));
    assert_eq!(r.code, 0, "the gateway accepted it: {r:?}");
    assert_eq!(r.last_line(), "返回码 / return code: 000000");
    let code = output_json(&r).get("code").map(ToString::to_string);
    assert_ne!(code.as_deref(), Some("0"), "{r:?}");
    assert!(r.stderr.contains("业务失败"), "{r:?}");
    portal.stop();
}

#[test]
fn a_portal_rejection_passes_its_code_through() {
    let portal = portal();
    let input = with_data(
        &push_msg_input(&portal.url("/api/amp/hos/pushMsg")),
        &[("appKey", "WrongKeyWrongKeyWrongKeyWrongKey")],
    );
    let r = run(&["call", "-"], Some(input.as_bytes()));
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.last_line(), "返回码 / return code: 000102");
    assert!(r.stderr.contains("appKey"), "{r:?}");
    portal.stop();
}

#[test]
fn an_unreachable_portal_is_000100() {
    let url = format!(
        "http://127.0.0.1:{}/api/amp/hos/pushMsg",
        common::closed_port()
    );
    let r = run(
        &["call", "--wire", "-"],
        Some(push_msg_input(&url).as_bytes()),
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.last_line(), "返回码 / return code: 000100");
    assert!(r.stdout.contains("没有应答 / no answer"), "{r:?}");
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let r = run(&["call", "/nonexistent/input.json"], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("无法读取文件"), "{r:?}");
}
