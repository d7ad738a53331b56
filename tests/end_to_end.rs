//! End to end through the exported functions, against the portal simulator on 127.0.0.1:
//! success, business failures, bad input, the portal's rejections, buffers, threads and
//! connection reuse. The network and answer faults (every other return code of spec section 7)
//! are the fault matrix: tests/fault_matrix.rs.
//!
//! This process runs with a 1.5 s read timeout and a 256 KiB answer limit (set before the first
//! call, which reads the configuration once).

mod common;

use std::sync::Once;

use common::*;
use onetrans::json::Value;
use onetrans_portal::{Portal, PortalConfig};

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::remove_var("ONETRANS_CONFIG");
        std::env::set_var("ONETRANS_READ_TIMEOUT_MS", "1500");
        std::env::set_var("ONETRANS_MAX_RESPONSE_BYTES", "262144");
    });
}

fn portal() -> Portal {
    setup();
    Portal::start(PortalConfig::default()).expect("the simulator starts")
}

fn code_of(output: &str) -> Value {
    member(output, "code")
}

#[test]
fn push_msg_succeeds_and_the_portal_receives_the_exact_business_data() {
    let portal = portal();
    let (code, out) = mobile_trans(&push_msg(&portal.url(PUSH_MSG), "E2E-1", "\"memo\":null"));
    assert_eq!(code, "000000", "{out}");
    assert!(
        out.starts_with(r#"{"code":0,"data":{"response":"SUCCESS"},"extra":"","message":"#),
        "{out}"
    );
    assert!(out.ends_with(r#","orgId":"H46010000000"}"#), "{out}");
    let received = portal.received();
    let last = received.last().expect("the portal got the request");
    assert_eq!(last.path, PUSH_MSG);
    let data = last.data.as_ref().expect("decrypted");
    assert_eq!(
        serde_json::to_string(data).unwrap(),
        r#"{"medOrgOrd":"E2E-1","orderStatus":"MERCHANT_PAID","orgCode":"H46040100001","patientName":"周大鹏","idType":"02","idNo":"460029196507081627","pushType":"HOSPITAL_PAYMENT","amt":12.50,"memo":null}"#
    );
    let envelope = last.envelope.as_ref().unwrap();
    let nonce = envelope
        .get("nonceStr")
        .and_then(serde_json::Value::as_str)
        .unwrap();
    assert!(
        nonce.len() == 32
            && nonce
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    let keys: Vec<&str> = envelope.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "appId",
            "orgId",
            "encType",
            "signType",
            "timestamp",
            "nonceStr",
            "version",
            "encData",
            "signData"
        ]
    );
}

#[test]
fn drug_write_off_happens_once() {
    let portal = portal();
    let input = drug(&portal.url(DRUG), "E2E-TICKET-1");
    let (code, out) = mobile_trans(&input);
    assert_eq!(
        (code.as_str(), code_of(&out)),
        ("000000", Value::from(0)),
        "{out}"
    );
    let data = member(&out, "data");
    for key in [
        "traceId",
        "drugStatus",
        "drugStatusDesc",
        "drugType",
        "drugTypeDesc",
    ] {
        assert!(data.get(key).is_some(), "{key} missing: {out}");
    }
    let (code, out) = mobile_trans(&input);
    assert_eq!(code, "000000", "{out}");
    assert_ne!(
        code_of(&out),
        Value::from(0),
        "a second write-off must fail: {out}"
    );
}

#[test]
fn business_failure_names_the_field() {
    let portal = portal();
    let input = format!(
        r#"{{"data":{{"serverAddr":"{}","appId":"{APP_ID}","appKey":"{APP_KEY}","orgCode":"H1","orderStatus":"NOT_A_STATUS"}}}}"#,
        portal.url(PUSH_MSG)
    );
    let (code, out) = mobile_trans(&input);
    assert_eq!(code, "000000", "{out}");
    assert_eq!(code_of(&out), Value::from(-2), "{out}");
    assert!(
        member(&out, "message")
            .as_str()
            .unwrap()
            .contains("medOrgOrd"),
        "{out}"
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let portal = portal();
    let url = portal.url(PUSH_MSG);
    let cases = [
        ("", "为空"),
        ("{not json", "JSON"),
        ("[1,2]", "对象"),
        (r#"{"orgId":"H1"}"#, "data"),
        (
            &format!(r#"{{"data":{{"appId":"{APP_ID}","appKey":"k"}}}}"#),
            "serverAddr",
        ),
        (
            &format!(r#"{{"data":{{"serverAddr":"{url}","appKey":"k"}}}}"#),
            "appId",
        ),
        (
            &format!(r#"{{"data":{{"serverAddr":"{url}","appId":"{APP_ID}"}}}}"#),
            "appKey",
        ),
        (
            &format!(r#"{{"data":{{"serverAddr":"{url}","appId":"short","appKey":"k"}}}}"#),
            "appId",
        ),
        (
            &format!(r#"{{"data":{{"serverAddr":"ftp://x","appId":"{APP_ID}","appKey":"k"}}}}"#),
            "serverAddr",
        ),
        (
            &push_msg(&url, "X", "\"encryptType\":\"AES\""),
            "encryptType",
        ),
        (
            &push_msg(&url, "X", "\"timestamp\":\"yesterday\""),
            "timestamp",
        ),
    ];
    for (input, named) in cases {
        let (code, out) = mobile_trans(input);
        assert_eq!(code, "000105", "{input}: {out}");
        assert_eq!(member(&out, "respCode"), Value::from("000105"));
        assert_eq!(code_of(&out), Value::from(-1));
        assert!(
            member(&out, "message").as_str().unwrap().contains(named),
            "{input}: {out}"
        );
    }
    assert!(portal.received().is_empty(), "nothing may reach the portal");
}

#[test]
fn portal_rejections_pass_through() {
    let portal = portal();
    let url = portal.url(PUSH_MSG);
    // Wrong appKey: the portal cannot verify the signature.
    let bad_key = push_msg(&url, "REJ-1", "").replace(APP_KEY, "WRONGfYdfk6ph4YiFpMwa4yw8Tyr8wCmM");
    let (code, out) = mobile_trans(&bad_key);
    assert_eq!(code, "000102", "{out}");
    assert!(
        member(&out, "message").as_str().unwrap().contains("appKey"),
        "{out}"
    );
    // A stale timestamp: replay protection, with advice about the clock.
    let stale = push_msg(&url, "REJ-2", "\"timestamp\":\"2022-05-10 16:56:24\"");
    let (code, out) = mobile_trans(&stale);
    assert_eq!(code, "010010", "{out}");
    assert!(
        member(&out, "message").as_str().unwrap().contains("时钟"),
        "{out}"
    );
    // An unknown path.
    let (code, _) = mobile_trans(&push_msg(&portal.url("/api/nowhere"), "REJ-3", ""));
    assert_eq!(code, "404404");
    // An unknown appId.
    let other = push_msg(&url, "REJ-4", "").replace(APP_ID, "UNKNOWNAPPID0000000000000000000X");
    let (code, out) = mobile_trans(&other);
    assert_eq!(code, "-8", "{out}");
}

#[test]
fn an_output_bigger_than_the_buffer_is_000106_and_can_be_fetched() {
    let portal = portal();
    let input = push_msg(
        &portal.fault_url("echo", PUSH_MSG),
        "BIG-1",
        &format!("\"blob\":\"{}\"", "x".repeat(100_000)),
    );
    // The default MobileTrans buffer (64 KiB) is too small for this echo.
    let (code, out) = mobile_trans(&input);
    assert_eq!(code, "000106");
    assert_eq!(member(&out, "respCode"), Value::from("000106"));
    // The notice points to the recovery call only, never to a call that sends again.
    let message = member(&out, "message");
    let message = message.as_str().unwrap();
    assert!(message.contains("OneTransLastOutput"), "{out}");
    assert!(!message.contains("MobileTransEx"), "{out}");
    // MobileTransEx reports the size; a buffer of that size takes the output.
    let (code, written, needed) = mobile_trans_ex(&input, 1024);
    assert_eq!(code, "000106");
    assert!(needed > 100_000, "{needed}");
    assert!(written.len() < 1024);
    let mut full = vec![0u8; needed as usize];
    let mut len = 0u32;
    // SAFETY: `full` has `needed` bytes.
    let code =
        unsafe { onetrans::ffi::OneTransLastOutput(full.as_mut_ptr().cast(), needed, &mut len) };
    assert_eq!(code_string(code), "000000");
    assert_eq!(len, needed);
    assert_eq!(full[needed as usize - 1], 0);
    let text = std::str::from_utf8(&full[..needed as usize - 1]).unwrap();
    assert_eq!(
        member(text, "data").get("medOrgOrd"),
        Some(&Value::from("BIG-1"))
    );
    // A one-byte buffer gets an empty string.
    let (code, written, _) = mobile_trans_ex(&input, 1);
    assert_eq!((code.as_str(), written.len()), ("000106", 0));
}

#[test]
fn null_pointers_give_000105() {
    setup();
    let mut out = vec![0xA5u8; 1024];
    // SAFETY: NULL input is allowed; `out` is 1024 bytes, far more than the failure output.
    let code = unsafe { onetrans::ffi::MobileTrans(std::ptr::null(), out.as_mut_ptr().cast()) };
    assert_eq!(code_string(code), "000105");
    let text = std::ffi::CStr::from_bytes_until_nul(&out)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(text.contains("pInData"), "{text}");
    let input = std::ffi::CString::new("{}").unwrap();
    // SAFETY: NULL output is allowed and must not be written.
    let code = unsafe { onetrans::ffi::MobileTrans(input.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(code_string(code), "000105");
    // SAFETY: as above, for the length-aware export with a NULL outLen.
    let code = unsafe {
        onetrans::ffi::MobileTransEx(
            input.as_ptr(),
            std::ptr::null_mut(),
            10,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(code_string(code), "000105");
}

#[test]
fn sixteen_threads_each_get_their_own_answer() {
    let portal = portal();
    let url = portal.fault_url("echo", PUSH_MSG);
    std::thread::scope(|scope| {
        for t in 0..16 {
            let url = url.clone();
            scope.spawn(move || {
                for round in 0..10 {
                    let order = format!("T{t:02}-R{round:02}");
                    let (code, out) =
                        mobile_trans(&push_msg(&url, &order, &format!("\"thread\":{t}")));
                    assert_eq!(code, "000000", "{out}");
                    let data = member(&out, "data");
                    assert_eq!(
                        data.get("medOrgOrd"),
                        Some(&Value::from(order.as_str())),
                        "{out}"
                    );
                    assert_eq!(
                        data.get("thread").map(|v| v.to_string()),
                        Some(t.to_string())
                    );
                }
            });
        }
    });
}

#[test]
fn connections_are_kept_alive() {
    let portal = portal();
    let url = portal.url(PUSH_MSG);
    for i in 0..50 {
        let (code, out) = mobile_trans(&push_msg(&url, &format!("KEEP-{i}"), ""));
        assert_eq!(code, "000000", "{out}");
    }
    let accepted = portal.connections_accepted();
    assert!(
        accepted <= 2,
        "50 sequential calls opened {accepted} connections"
    );
}

#[test]
fn a_gbk_caller_gets_gbk_back_and_the_portal_gets_utf8() {
    let portal = portal();
    let input = push_msg(
        &portal.fault_url("echo", PUSH_MSG),
        "GBK-1",
        "\"deptName\":\"总院牙体牙髓科\"",
    );
    let (gbk, _, _) = encoding_rs::GB18030.encode(&input);
    let (code, out) = mobile_trans_bytes(&gbk);
    assert_eq!(code, "000000");
    assert!(
        std::str::from_utf8(&out).is_err(),
        "the answer must be GBK, not UTF-8"
    );
    let (text, _, bad) = encoding_rs::GB18030.decode(&out);
    assert!(!bad);
    assert_eq!(
        member(&text, "data").get("patientName"),
        Some(&Value::from("周大鹏"))
    );
    let received = portal.received();
    let data = received.last().unwrap().data.as_ref().unwrap();
    assert_eq!(data["deptName"], "总院牙体牙髓科");
}

#[test]
fn the_wide_interface_round_trips_utf16() {
    let portal = portal();
    let input: Vec<u16> = push_msg(&portal.url(PUSH_MSG), "WIDE-1", "")
        .encode_utf16()
        .chain([0])
        .collect();
    let mut out = vec![0u16; 32_768];
    // SAFETY: NUL-terminated UTF-16 input; 32768 units = the default 65536 bytes.
    let code = unsafe { onetrans::ffi::MobileTransW(input.as_ptr(), out.as_mut_ptr()) };
    // SAFETY: the library returns a NUL-terminated UTF-16 code.
    let code: Vec<u16> = (0..)
        .map(|i| unsafe { *code.add(i) })
        .take_while(|&u| u != 0)
        .collect();
    assert_eq!(String::from_utf16(&code).unwrap(), "000000");
    let len = out.iter().position(|&u| u == 0).unwrap();
    let text = String::from_utf16(&out[..len]).unwrap();
    assert_eq!(
        member(&text, "data").get("response"),
        Some(&Value::from("SUCCESS"))
    );
}

#[test]
fn version_is_the_crate_version() {
    let v = code_string(onetrans::ffi::OneTransVersion());
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
}
