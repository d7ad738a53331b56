//! `charset=auto` and GBK text that happens to be valid UTF-8 (issue 10 item 5), through the
//! exported functions against the simulator's `echo` path: the portal must receive the Chinese
//! the caller meant, and the answer must come back in the caller's encoding.
//!
//! The rule (see `src/charset.rs` and docs/DECISIONS.md): valid UTF-8 none of whose non-ASCII
//! characters is in U+0800..=U+1FFFF (the range of ordinary Chinese in UTF-8), and which is
//! also valid GB18030, is read as GB18030. The unit tests in `src/charset.rs` check every
//! GB2312 character pair; these check a few of them end to end.

mod common;

use std::sync::Once;

use common::*;
use onetrans::json::Value;
use onetrans_portal::{Portal, PortalConfig};

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::remove_var("ONETRANS_CONFIG");
        std::env::remove_var("ONETRANS_OUT_BUF_SIZE");
        std::env::remove_var("ONETRANS_CHARSET");
    });
}

fn portal() -> Portal {
    setup();
    Portal::start(PortalConfig::default()).expect("the simulator starts")
}

/// A drug write-off (no Chinese of its own) whose `patientName` is the raw bytes `name`.
fn with_name(url: &str, name: &[u8]) -> Vec<u8> {
    let text = format!(
        r#"{{"data":{{"serverAddr":"{url}","appId":"{APP_ID}","appKey":"{APP_KEY}","mobileDrugTipsId":"T-1","drugTipsIdType":"qr","patientName":"@@"}},"orgId":"H1"}}"#
    );
    let (head, tail) = text.split_once("@@").unwrap();
    [head.as_bytes(), name, tail.as_bytes()].concat()
}

/// Calls the echo path with `name`: (the portal's `patientName`, the raw output).
fn echo_name(portal: &Portal, name: &[u8]) -> (String, Vec<u8>) {
    let (code, out) = mobile_trans_bytes(&with_name(&portal.fault_url("echo", DRUG), name));
    assert_eq!(code, "000000", "{}", String::from_utf8_lossy(&out));
    let received = portal.received();
    let data = received.last().unwrap().data.as_ref().unwrap();
    (data["patientName"].as_str().unwrap().to_owned(), out)
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}

#[test]
fn gbk_names_that_are_valid_utf8_are_read_as_gbk() {
    let portal = portal();
    // 叶倩 (D2B6 D9BB) reads as UTF-8 "Ҷٻ"; 稹阿 (F0A1 B0A2) as one supplementary character.
    for name in ["叶倩", "郑伟", "谢霞", "肖平", "稹阿"] {
        let bytes = gbk(name);
        assert!(std::str::from_utf8(&bytes).is_ok(), "{name} is valid UTF-8");
        let (received, out) = echo_name(&portal, &bytes);
        assert_eq!(
            received, name,
            "the portal got the Chinese the caller meant"
        );
        let (text, _, malformed) = encoding_rs::GB18030.decode(&out);
        assert!(!malformed);
        assert_eq!(
            member(&text, "data").get("patientName"),
            Some(&Value::from(name)),
            "the answer is GBK: {text}"
        );
        assert!(
            out.windows(bytes.len()).any(|w| w == bytes.as_slice()),
            "the name's GBK bytes are in the answer"
        );
    }
}

#[test]
fn genuine_utf8_stays_utf8() {
    let portal = portal();
    for name in [
        "买买提·艾力",
        "José 周",
        "周大鹏",
        "Zhou Dapeng",
        "😀 周",
        "Zoë 😀",
    ] {
        let (received, out) = echo_name(&portal, name.as_bytes());
        assert_eq!(received, name);
        let out = String::from_utf8(out).expect("a UTF-8 caller gets UTF-8");
        assert_eq!(
            member(&out, "data").get("patientName"),
            Some(&Value::from(name))
        );
    }
}
