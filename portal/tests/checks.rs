//! The portal's checks over real HTTP (spec section 9), in order, and its business answers
//! (spec section 10), with requests made by the library's `seal_request`.

mod common;

use common::*;
use onetrans::clock::ChinaTime;
use onetrans::crypto::{self, AppKey};
use onetrans::json::{self, Value};
use onetrans::protocol;
use onetrans_portal::{Portal, PortalConfig};

const OTHER_ID: &str = "T98HPCGN5ZVVQBS8LZQNOAEXVI9GYHKQ";
const OTHER_KEY: &str = "NMVFVILMKT13GEMD3BKPKCTBOQBPZR2P";

fn shifted(portal: &Portal, secs: i64) -> String {
    ChinaTime::from_unix(portal.now().unix() + secs).to_string()
}

/// Re-signs an envelope after changing it, the way a client would have signed it.
fn resign(envelope: &mut json::Map, data: Option<&Value>, app_key: &str) {
    let text = protocol::sign_text(envelope, data, &AppKey::new(app_key));
    envelope.insert("signData".into(), crypto::sign(&text).into());
}

fn envelope_of(body: &str) -> json::Map {
    match json::parse(body).unwrap() {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

#[test]
fn check_1_the_body_must_be_an_envelope() {
    let portal = portal();
    let agent = agent();
    let url = portal.url(PUSH_MSG);
    let sealed = seal(&portal, &push_msg_input());
    let mut missing = envelope_of(&sealed.body);
    missing.shift_remove("signData");
    let mut empty = envelope_of(&sealed.body);
    empty.insert("nonceStr".into(), "".into());
    let mut number = envelope_of(&sealed.body);
    number.insert("timestamp".into(), Value::from(5));
    for body in [
        "".to_owned(),
        "not json".to_owned(),
        "[1,2]".to_owned(),
        "{}".to_owned(),
        json::compact(&Value::Object(missing)),
        json::compact(&Value::Object(empty)),
        json::compact(&Value::Object(number)),
    ] {
        let (status, answer) = post(&agent, &url, &body).unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(resp_code(&answer), "000105", "{body}: {answer}");
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert!(
            v["respMsg"].as_str().unwrap().starts_with("参数校验不合法"),
            "{answer}"
        );
        assert!(
            v.get("signData").is_none(),
            "rejections are unsigned: {answer}"
        );
    }
    // 1 comes before 2: a bad body on an unknown path.
    let (_, answer) = post(&agent, &portal.url("/api/nope"), "{}").unwrap();
    assert_eq!(resp_code(&answer), "000105");
}

#[test]
fn check_2_unknown_path_is_404404_in_a_200() {
    let portal = portal();
    let agent = agent();
    for path in [
        "/api/nope",
        "/",
        "/api/amp/hos/pushMsg/",
        "/API/AMP/HOS/PUSHMSG",
    ] {
        let sealed = seal(&portal, &push_msg_input());
        let (status, answer) = post(&agent, &portal.url(path), &sealed.body).unwrap();
        assert_eq!(status, 200);
        assert_eq!(resp_code(&answer), "404404", "{path}: {answer}");
        assert!(answer.contains("该功能未开放"), "{answer}");
    }
    // A query string does not change the path.
    let sealed = seal(&portal, &push_msg_input());
    let (_, answer) = post(&agent, &(portal.url(PUSH_MSG) + "?x=1"), &sealed.body).unwrap();
    assert_eq!(resp_code(&answer), "000000");
    // 2 comes before 3: an unknown app on an unknown path.
    let mut other = push_msg_input();
    other.app_id = OTHER_ID.into();
    other.app_key = AppKey::new(OTHER_KEY);
    let (_, answer) = post(
        &agent,
        &portal.url("/api/nope"),
        &seal(&portal, &other).body,
    )
    .unwrap();
    assert_eq!(resp_code(&answer), "404404");
}

#[test]
fn check_3_unknown_app_is_minus_8_and_apps_can_be_added() {
    let portal = portal();
    let agent = agent();
    let mut other = push_msg_input();
    other.app_id = OTHER_ID.into();
    other.app_key = AppKey::new(OTHER_KEY);
    let (status, answer) =
        post(&agent, &portal.url(PUSH_MSG), &seal(&portal, &other).body).unwrap();
    assert_eq!(status, 200);
    assert_eq!(answer, r#"{"respCode":"-8","respMsg":"应用信息不存在"}"#);
    // 3 comes before 4: an unknown app with a stale timestamp.
    let stale = seal_at(&other, "2020-01-01 00:00:00");
    let (_, answer) = post(&agent, &portal.url(PUSH_MSG), &stale.body).unwrap();
    assert_eq!(resp_code(&answer), "-8");

    let registered = Portal::start(PortalConfig {
        apps: vec![(OTHER_ID.into(), OTHER_KEY.into())],
        ..Default::default()
    })
    .unwrap();
    let sealed = seal(&registered, &other);
    let (_, answer) = post(&agent, &registered.url(PUSH_MSG), &sealed.body).unwrap();
    let opened = sealed.open(answer.as_bytes()).unwrap();
    assert_eq!(opened.code, Value::from(0));
    // The defaults stay registered.
    let sealed = seal(&registered, &push_msg_input());
    let (_, answer) = post(&agent, &registered.url(PUSH_MSG), &sealed.body).unwrap();
    assert_eq!(resp_code(&answer), "000000");
    let dll = input_with(
        r#"{"orgCode":"H1","medOrgOrd":"1","pushType":"P","orderStatus":"MERCHANT_PAID","patientName":"周","idType":"01","idNo":"1"}"#,
    );
    let mut dll = dll;
    dll.app_id = "1FM99V9JP0009A23A8C00000D445BA03".into();
    dll.app_key = AppKey::new("1FM99V9JM00N9A23A8C000003F4B7C32");
    let sealed = seal(&registered, &dll);
    let (_, answer) = post(&agent, &registered.url(PUSH_MSG), &sealed.body).unwrap();
    assert_eq!(sealed.open(answer.as_bytes()).unwrap().code, Value::from(0));
}

#[test]
fn check_4_timestamp_within_300_seconds_of_the_portal_clock() {
    let portal = portal();
    let agent = agent();
    let url = portal.url(PUSH_MSG);
    let input = push_msg_input();
    for (skew, expected) in [
        (-301, "010010"),
        (301, "010010"),
        (-3600, "010010"),
        (-290, "000000"),
        (290, "000000"),
    ] {
        let sealed = seal_at(&input, &shifted(&portal, skew));
        let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
        assert_eq!(resp_code(&answer), expected, "skew {skew}: {answer}");
    }
    // A timestamp that is not yyyy-MM-dd HH:mm:ss is not within the window either.
    let sealed = seal_at(&input, "2022/05/10 16:56:24");
    let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
    assert_eq!(resp_code(&answer), "010010");
    // 4 comes before 5: a stale request with a bad signature.
    let mut bad = envelope_of(&seal_at(&input, &shifted(&portal, -400)).body);
    bad.insert("signData".into(), "00".repeat(32).into());
    let (_, answer) = post(&agent, &url, &json::compact(&Value::Object(bad))).unwrap();
    assert_eq!(resp_code(&answer), "010010");
}

#[test]
fn check_4_follows_the_clock_offset() {
    let portal = Portal::start(PortalConfig {
        clock_offset_secs: 3600,
        ..Default::default()
    })
    .unwrap();
    let agent = agent();
    let url = portal.url(PUSH_MSG);
    let input = push_msg_input();
    let real_now = onetrans::clock::now().to_string();
    let (_, answer) = post(&agent, &url, &seal_at(&input, &real_now).body).unwrap();
    assert_eq!(resp_code(&answer), "010010", "the portal is an hour ahead");
    let sealed = seal(&portal, &input);
    let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
    let ts = serde_json::from_str::<serde_json::Value>(&answer).unwrap()["timestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    let answered = ChinaTime::parse(&ts).unwrap().unix();
    assert!(
        (answered - onetrans::clock::now().unix() - 3600).abs() <= 5,
        "{ts}"
    );
    portal.set_clock_offset(0);
    let (_, answer) = post(
        &agent,
        &url,
        &seal_at(&input, &onetrans::clock::now().to_string()).body,
    )
    .unwrap();
    assert_eq!(resp_code(&answer), "000000");
}

/// Unix seconds of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(text: &str) -> i64 {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = text.split_whitespace().collect();
    assert_eq!((parts.len(), parts[5]), (6, "GMT"), "{text}");
    let month = MONTHS.iter().position(|m| *m == parts[2]).expect(text) + 1;
    let civil = format!("{}-{month:02}-{} {}", parts[3], parts[1], parts[4]);
    // The civil time read as China time is 8 hours earlier than the same civil time in GMT.
    ChinaTime::parse(&civil).expect(text).unix() + 8 * 3600
}

#[test]
fn the_date_header_follows_the_clock_offset() {
    let portal = Portal::start(PortalConfig {
        clock_offset_secs: 600,
        ..Default::default()
    })
    .unwrap();
    let date_off = |portal: &Portal| {
        let wire = raw_exchange(portal.addr(), PUSH_MSG, "{}");
        let date = wire.header("date").expect("a Date header");
        parse_http_date(&date) - onetrans::clock::now().unix()
    };
    // One clock: the Date header is as far ahead as the timestamps the portal checks.
    let off = date_off(&portal);
    assert!((off - 600).abs() <= 5, "Date is {off} s off, not 600");
    portal.set_clock_offset(-3600);
    let off = date_off(&portal);
    assert!((off + 3600).abs() <= 5, "Date is {off} s off, not -3600");
    portal.set_clock_offset(0);
    assert!(date_off(&portal).abs() <= 5);
}

#[test]
fn check_5_signature() {
    let portal = portal();
    let agent = agent();
    let url = portal.url(PUSH_MSG);
    // The wrong appKey for a registered appId.
    let mut wrong_key = push_msg_input();
    wrong_key.app_key = AppKey::new("WrongKeyWrongKeyWrongKeyWrongKey");
    let (_, answer) = post(&agent, &url, &seal(&portal, &wrong_key).body).unwrap();
    assert_eq!(resp_code(&answer), "000102", "{answer}");
    // A signed member changed after signing.
    let mut tampered = envelope_of(&seal(&portal, &push_msg_input()).body);
    tampered.insert("version".into(), "1.0.1".into());
    let (_, answer) = post(&agent, &url, &json::compact(&Value::Object(tampered))).unwrap();
    assert_eq!(resp_code(&answer), "000102");
    assert!(answer.contains("核验签名参数失败"), "{answer}");
    // The data changed (another encData, same signature).
    let one = envelope_of(&seal(&portal, &push_msg_input()).body);
    let mut other = envelope_of(&seal(&portal, &drug_input("X1")).body);
    other.insert("signData".into(), one["signData"].clone());
    let (_, answer) = post(&agent, &url, &json::compact(&Value::Object(other))).unwrap();
    assert_eq!(resp_code(&answer), "000102");
    // The right signature in lower-case hex is refused, naming the case (the spec's hex is
    // upper-case; the simulator accepts exactly the spec's form).
    let mut lower = envelope_of(&seal(&portal, &push_msg_input()).body);
    let sign = lower["signData"].as_str().unwrap().to_lowercase();
    lower.insert("signData".into(), sign.into());
    let (_, answer) = post(&agent, &url, &json::compact(&Value::Object(lower))).unwrap();
    assert_eq!(resp_code(&answer), "000102", "{answer}");
    assert!(
        answer.contains("signData must be upper-case hex"),
        "{answer}"
    );
    // The same request with the spec's upper case is accepted: only the case was refused.
    let upper = seal(&portal, &push_msg_input());
    let (_, answer) = post(&agent, &url, &upper.body).unwrap();
    assert_eq!(resp_code(&answer), "000000", "{answer}");
}

#[test]
fn the_library_sends_upper_case_hex_and_lower_case_enc_data_is_refused() {
    let portal = portal();
    let agent = agent();
    let url = portal.url(PUSH_MSG);
    // What the library seals: signData and encData in upper-case hex, whatever the data.
    for input in [
        push_msg_input(),
        drug_input("UPPER-1"),
        input_with(r#"{"memo":"小写 abc"}"#),
    ] {
        let envelope = envelope_of(&seal(&portal, &input).body);
        for name in ["signData", "encData"] {
            let hex = envelope[name].as_str().unwrap();
            assert!(
                !hex.is_empty()
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
                "{name}: {hex}"
            );
        }
    }
    // encData in lower case, correctly signed (the signature covers the data, not its hex).
    let mut lower = envelope_of(&seal(&portal, &push_msg_input()).body);
    let enc = lower["encData"].as_str().unwrap().to_lowercase();
    lower.insert("encData".into(), enc.into());
    let (_, answer) = post(&agent, &url, &json::compact(&Value::Object(lower))).unwrap();
    assert_eq!(resp_code(&answer), "000101", "{answer}");
    assert!(
        answer.contains("encData must be upper-case hex"),
        "{answer}"
    );
}

#[test]
fn check_6_data_must_decrypt_to_an_object() {
    let portal = portal();
    let agent = agent();
    let url = portal.url(PUSH_MSG);
    let sealed = seal(&portal, &push_msg_input());
    let key = sealed.key();
    // Not decryptable, signed without data (the only signature a client could make).
    let mut garbage = envelope_of(&sealed.body);
    garbage.insert("encData".into(), "00112233".into());
    resign(&mut garbage, None, APP_KEY);
    let (_, answer) = post(&agent, &url, &json::compact(&Value::Object(garbage))).unwrap();
    assert_eq!(resp_code(&answer), "000101", "{answer}");
    // Decrypts, signs, but is a string, not an object.
    let mut string = envelope_of(&seal(&portal, &push_msg_input()).body);
    string.insert("encData".into(), key.encrypt_hex(b"\"a\"").into());
    resign(&mut string, Some(&Value::from("a")), APP_KEY);
    let (_, answer) = post(&agent, &url, &json::compact(&Value::Object(string))).unwrap();
    assert_eq!(resp_code(&answer), "000101");
    assert!(answer.contains("系统接口加密失败"), "{answer}");
    // 5 comes before 6: undecryptable and wrongly signed.
    let mut both = envelope_of(&seal(&portal, &push_msg_input()).body);
    both.insert("encData".into(), "ZZ".into());
    let (_, answer) = post(&agent, &url, &json::compact(&Value::Object(both))).unwrap();
    assert_eq!(resp_code(&answer), "000102");
}

#[test]
fn check_7_replays_are_refused_per_app() {
    let portal = portal();
    let agent = agent();
    let url = portal.url(PUSH_MSG);
    let sealed = seal(&portal, &push_msg_input());
    let (_, first) = post(&agent, &url, &sealed.body).unwrap();
    assert_eq!(resp_code(&first), "000000");
    for _ in 0..2 {
        let (status, again) = post(&agent, &url, &sealed.body).unwrap();
        assert_eq!(status, 200);
        assert_eq!(resp_code(&again), "010010", "{again}");
        assert!(again.contains("重放攻击拦截器"), "{again}");
    }
    // The same nonce for the other default app is not a replay.
    let mut dll = push_msg_input();
    dll.app_id = "1FM99V9JP0009A23A8C00000D445BA03".into();
    dll.app_key = AppKey::new("1FM99V9JM00N9A23A8C000003F4B7C32");
    let key = onetrans::crypto::DataKey::derive(&dll.app_id, &dll.app_key);
    let same_nonce = protocol::seal_request(&dll, &key, &portal.now().to_string(), &sealed.nonce);
    let (_, answer) = post(&agent, &url, &same_nonce.body).unwrap();
    assert_eq!(resp_code(&answer), "000000");
    // A rejected request does not consume its nonce: a bad signature first, then the genuine one.
    let fresh = seal(&portal, &push_msg_input());
    let mut forged = envelope_of(&fresh.body);
    forged.insert("version".into(), "9".into());
    let (_, answer) = post(&agent, &url, &json::compact(&Value::Object(forged))).unwrap();
    assert_eq!(resp_code(&answer), "000102");
    let (_, answer) = post(&agent, &url, &fresh.body).unwrap();
    assert_eq!(resp_code(&answer), "000000");
    // The nonce is forgotten after 600 s of portal time: a request re-sealed with the same
    // nonce and a fresh timestamp then passes.
    portal.set_clock_offset(601);
    let input = push_msg_input();
    let key = onetrans::crypto::DataKey::derive(&input.app_id, &input.app_key);
    let later = protocol::seal_request(&input, &key, &portal.now().to_string(), &sealed.nonce);
    let (_, answer) = post(&agent, &url, &later.body).unwrap();
    assert_eq!(resp_code(&answer), "000000", "{answer}");
}

#[test]
fn check_8_push_msg_answers_and_business_failures() {
    let portal = portal();
    let agent = agent();
    let url = portal.url(PUSH_MSG);
    let sealed = seal(&portal, &push_msg_input());
    let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
    let opened = sealed.open(answer.as_bytes()).unwrap();
    assert_eq!(opened.code, Value::from(0));
    assert_eq!(opened.message, Value::from("成功"));
    assert_eq!(opened.org_id, Value::from("H46010000000"));
    assert_eq!(
        json::compact(opened.data.as_ref().unwrap()),
        r#"{"response":"SUCCESS"}"#
    );
    let envelope: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(envelope["nonceStr"], sealed.nonce.as_str());
    assert_eq!(envelope["respMsg"], "成功");

    let base = r#"{"orgCode":"H1","medOrgOrd":"O1","pushType":"HOSPITAL_PAYMENT","orderStatus":"MERCHANT_PAID","patientName":"周大鹏","idType":"01","idNo":"X"}"#;
    for field in [
        "orgCode",
        "medOrgOrd",
        "pushType",
        "orderStatus",
        "patientName",
        "idType",
        "idNo",
    ] {
        let mut data = envelope_of(base);
        data.shift_remove(field);
        let sealed = seal(&portal, &input_with(&json::compact(&Value::Object(data))));
        let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
        assert_eq!(resp_code(&answer), "000000");
        let opened = sealed.open(answer.as_bytes()).unwrap();
        assert_eq!(opened.code, Value::from(-2), "{field}");
        assert_eq!(
            opened.message,
            Value::from(format!("请求参数异常: {field} 必填"))
        );
        assert_eq!(opened.data, None);
    }
    for status in [
        "MERCHANT_WAIT_PAY",
        "MERCHANT_PAID",
        "MERCHANT_PART_REFUNDED",
        "MERCHANT_REFUNDED",
        "PAID",
    ] {
        let sealed = seal(&portal, &input_with(&base.replace("MERCHANT_PAID", status)));
        let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
        let opened = sealed.open(answer.as_bytes()).unwrap();
        let expected = if status == "PAID" { -2 } else { 0 };
        assert_eq!(opened.code, Value::from(expected), "{status}");
    }
}

#[test]
fn drug_tickets_are_written_off_once() {
    let portal = portal();
    let agent = agent();
    let url = portal.url(DRUG);
    let sealed = seal(&portal, &drug_input("202212229114"));
    let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
    let opened = sealed.open(answer.as_bytes()).unwrap();
    assert_eq!(opened.code, Value::from(0));
    let data = opened.data.unwrap();
    for field in [
        "traceId",
        "drugStatus",
        "drugStatusDesc",
        "drugType",
        "drugTypeDesc",
    ] {
        assert!(
            data.get(field)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()),
            "{field}"
        );
    }
    assert_eq!(data.get("drugType"), Some(&Value::from("DRUG")));
    assert_eq!(data.get("fee").map(json::compact).as_deref(), Some("12.50"));

    let again = seal(&portal, &drug_input("202212229114"));
    let (_, answer) = post(&agent, &url, &again.body).unwrap();
    assert_eq!(resp_code(&answer), "000000");
    let opened = again.open(answer.as_bytes()).unwrap();
    assert_eq!(opened.code, Value::from(-2));
    let message = opened.message.as_str().unwrap().to_owned();
    assert!(
        message.contains("已于") && message.contains("核销"),
        "{message}"
    );
    assert!(
        message.contains(&portal.now().to_string()[..10]),
        "names the time: {message}"
    );

    for (ticket, kind) in [("C100", "CHECK"), ("T100", "TEST")] {
        let sealed = seal(&portal, &drug_input(ticket));
        let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
        let data = sealed.open(answer.as_bytes()).unwrap().data.unwrap();
        assert_eq!(data.get("drugType"), Some(&Value::from(kind)));
    }
    let bad = seal(
        &portal,
        &input_with(r#"{"mobileDrugTipsId":"9","drugTipsIdType":"nfc"}"#),
    );
    let (_, answer) = post(&agent, &url, &bad.body).unwrap();
    let opened = bad.open(answer.as_bytes()).unwrap();
    assert_eq!(opened.code, Value::from(-2));
    assert!(opened.message.as_str().unwrap().contains("drugTipsIdType"));
}

#[test]
fn the_record_shows_what_was_received() {
    let portal = portal();
    let agent = agent();
    let sealed = seal(&portal, &drug_input("REC1"));
    post(&agent, &portal.url(DRUG), &sealed.body).unwrap();
    post(&agent, &portal.url("/nope"), "garbage").unwrap();
    post(
        &agent,
        &portal.fault_url("echo", PUSH_MSG),
        &seal(&portal, &push_msg_input()).body,
    )
    .unwrap();
    let received = portal.received();
    assert_eq!(received.len(), 3);
    let first = &received[0];
    assert_eq!(first.path, DRUG);
    assert_eq!(first.body, sealed.body);
    assert_eq!(first.resp_code, "000000");
    assert_eq!(first.code, Some(0));
    assert_eq!(first.fault, None);
    assert_eq!(
        first.envelope.as_ref().unwrap()["nonceStr"],
        sealed.nonce.as_str()
    );
    assert_eq!(
        first.data.as_ref().unwrap(),
        &serde_json::json!({"mobileDrugTipsId": "REC1", "drugTipsIdType": "qr"})
    );
    assert_eq!(received[1].path, "/nope");
    assert_eq!(received[1].resp_code, "000105");
    assert_eq!(received[1].envelope, None);
    assert_eq!(received[1].data, None);
    assert_eq!(received[2].path, PUSH_MSG);
    assert_eq!(received[2].fault.as_deref(), Some("echo"));
    portal.clear_received();
    assert!(portal.received().is_empty());
}
