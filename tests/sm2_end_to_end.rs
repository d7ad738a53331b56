//! The `SM2` sign type (spec section 11) end to end, through the exported functions, against
//! the portal simulator with an SM2 application: both interfaces succeed; a wrong
//! `serverPubKey`, a portal signing with another key, a tampered answer, a downgraded answer and
//! an undecodable signature are `000102`; missing and malformed keys are `000105` with nothing
//! sent; 8 threads each get their own answer; the debug log never shows either key.
//!
//! This process logs at `debug` into a temporary folder (set before the first call, which
//! reads the configuration once). The keys from `OneTrans.ini` are tests/sm2_config_file.rs.

mod common;

use std::path::PathBuf;
use std::sync::Once;

use common::*;
use onetrans::json::Value;
use onetrans::sm2::{self, PrivateKey, PublicKey};
use onetrans_portal::apps::Sm2AppSpec;
use onetrans_portal::{Portal, PortalConfig};

fn log_dir() -> PathBuf {
    std::env::temp_dir().join(format!("onetrans-sm2-e2e-{}", std::process::id()))
}

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = std::fs::remove_dir_all(log_dir());
        std::fs::create_dir_all(log_dir()).unwrap();
        std::env::remove_var("ONETRANS_CONFIG");
        std::env::set_var("ONETRANS_READ_TIMEOUT_MS", "3000");
        std::env::set_var("ONETRANS_LOG_DIR", log_dir());
        std::env::set_var("ONETRANS_LOG_LEVEL", "debug");
    });
}

/// A portal where the vendor document's appId ([`APP_ID`]) is an SM2 application of a new
/// institution key pair, and the portal's key pair is made at start. Returns the institution's
/// private key and the portal's public key (the integrator's `clientPrvKey` and `serverPubKey`).
fn sm2_portal() -> (Portal, PrivateKey, PublicKey) {
    setup();
    let institution = sm2::generate();
    let portal = Portal::start(PortalConfig {
        sm2_apps: vec![Sm2AppSpec {
            app_id: APP_ID.into(),
            app_key: APP_KEY.into(),
            institution_pub: sm2::public_of(&institution).to_base64(),
            portal_prv: None,
            user_id: None,
        }],
        ..PortalConfig::default()
    })
    .expect("the simulator starts");
    let server = portal.sm2_server_pub_key(APP_ID).expect("an SM2 app");
    (portal, institution, server)
}

/// `data` members giving both keys.
fn keys(client: &PrivateKey, server: &PublicKey) -> String {
    format!(
        r#""clientPrvKey":"{}","serverPubKey":"{}""#,
        client.to_java_base64().as_str(),
        server.to_hex()
    )
}

/// A pushMsg input with signType `SM2` and `extra` members.
fn sm2_push(url: &str, order: &str, extra: &str) -> String {
    push_msg(url, order, extra).replace(r#""signType":"SM3""#, r#""signType":"SM2""#)
}

#[test]
fn both_interfaces_succeed_and_the_keys_never_travel() {
    let (portal, client, server) = sm2_portal();
    let prv_text = client.to_java_base64();
    let (code, out) = mobile_trans(&sm2_push(
        &portal.url(PUSH_MSG),
        "SM2-1",
        &keys(&client, &server),
    ));
    assert_eq!(code, "000000", "{out}");
    assert_eq!(
        member(&out, "data").get("response"),
        Some(&Value::from("SUCCESS"))
    );
    let received = portal.received();
    let last = received.last().unwrap();
    assert_eq!(last.resp_code, "000000");
    let envelope = last.envelope.as_ref().unwrap();
    assert_eq!(envelope["signType"], "SM2");
    for secret in [
        prv_text.as_str(),
        &server.to_hex(),
        "clientPrvKey",
        "serverPubKey",
    ] {
        assert!(!last.body.contains(secret), "{secret} was sent");
    }
    assert!(last.data.as_ref().unwrap().get("clientPrvKey").is_none());

    // The wide interface, the other business interface, signType in lower case, PEM keys.
    let input = drug(&portal.url(DRUG), "SM2-TICKET-1").replace(
        r#""mobileDrugTipsId""#,
        &format!(
            r#""signType":"sm2","clientPrvKey":{},"serverPubKey":{},"mobileDrugTipsId""#,
            Value::from(client.to_pkcs8_pem().as_str()),
            Value::from(server.to_spki_pem().as_str())
        ),
    );
    let (code, text) = mobile_trans_w(&input);
    assert_eq!(code, "000000", "{text}");
    assert_eq!(member(&text, "code"), Value::from(0));
    assert!(member(&text, "data").get("drugStatus").is_some(), "{text}");
}

#[test]
fn an_answer_signed_in_der_is_accepted() {
    let (portal, client, server) = sm2_portal();
    let (code, out) = mobile_trans(&sm2_push(
        &portal.fault_url("dersign", PUSH_MSG),
        "SM2-DER",
        &keys(&client, &server),
    ));
    assert_eq!(code, "000000", "{out}");
}

#[test]
fn a_wrong_server_pub_key_is_000102() {
    let (portal, client, _) = sm2_portal();
    let stranger = sm2::public_of(&sm2::generate());
    let (code, out) = mobile_trans(&sm2_push(
        &portal.url(PUSH_MSG),
        "SM2-WRONG",
        &keys(&client, &stranger),
    ));
    assert_eq!(code, "000102", "{out}");
    assert!(member(&out, "message")
        .as_str()
        .unwrap()
        .contains("serverPubKey"));
    // The portal accepted the request: the outcome is not trusted, not "not sent".
    assert_eq!(portal.received().last().unwrap().resp_code, "000000");
}

#[test]
fn forged_tampered_and_downgraded_answers_are_000102() {
    let (portal, client, server) = sm2_portal();
    for (fault, says) in [
        ("otherkey", "serverPubKey"),
        ("badsign", "serverPubKey"),
        ("tamper", "serverPubKey"),
        ("downgrade", "signType"),
        ("badenc", ""),
    ] {
        let (code, out) = mobile_trans(&sm2_push(
            &portal.fault_url(fault, PUSH_MSG),
            &format!("SM2-{fault}"),
            &keys(&client, &server),
        ));
        let expected = if fault == "badenc" {
            "000101"
        } else {
            "000102"
        };
        assert_eq!(code, expected, "{fault}: {out}");
        let message = member(&out, "message");
        assert!(message.as_str().unwrap().contains(says), "{fault}: {out}");
    }
}

#[test]
fn missing_and_malformed_keys_are_000105_and_nothing_is_sent() {
    let (portal, client, server) = sm2_portal();
    let url = portal.url(PUSH_MSG);
    let prv = client.to_hex();
    let public = server.to_hex();
    let cases: Vec<(String, &str)> = vec![
        (format!(r#""serverPubKey":"{public}""#), "clientPrvKey"),
        (
            format!(r#""clientPrvKey":"{}""#, prv.as_str()),
            "serverPubKey",
        ),
        (
            format!(r#""clientPrvKey":"","serverPubKey":"{public}""#),
            "clientPrvKey",
        ),
        (
            format!(
                r#""clientPrvKey":"{}","serverPubKey":"{public}""#,
                &prv[..40]
            ),
            "clientPrvKey",
        ),
        (
            format!(
                r#""clientPrvKey":"{}","serverPubKey":"{public}""#,
                "0".repeat(64)
            ),
            "clientPrvKey",
        ),
        (
            format!(
                r#""clientPrvKey":"{public}","serverPubKey":"{}""#,
                prv.as_str()
            ),
            "clientPrvKey",
        ),
        (
            format!(
                r#""clientPrvKey":"{}","serverPubKey":"04{}""#,
                prv.as_str(),
                "1".repeat(128)
            ),
            "serverPubKey",
        ),
        (
            format!(r#""clientPrvKey":12,"serverPubKey":"{public}""#),
            "clientPrvKey",
        ),
    ];
    for (members, named) in cases {
        let (code, out) = mobile_trans(&sm2_push(&url, "SM2-BAD", &members));
        assert_eq!(code, "000105", "{members}: {out}");
        let message = member(&out, "message");
        let message = message.as_str().unwrap();
        assert!(message.contains(named), "{members}: {message}");
        assert!(
            !message.contains(&prv[..40]),
            "the key is echoed: {message}"
        );
        assert!(
            !message.contains(&public[..20]),
            "the key is echoed: {message}"
        );
    }
    assert!(portal.received().is_empty(), "nothing may reach the portal");
}

#[test]
fn eight_threads_each_get_the_answer_to_their_own_request() {
    let (portal, client, server) = sm2_portal();
    let url = portal.fault_url("echo", PUSH_MSG);
    let members = keys(&client, &server);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (url, members) = (url.clone(), members.clone());
            scope.spawn(move || {
                for round in 0..6 {
                    let order = format!("SM2-T{t}-R{round}");
                    let extra = format!("{members},\"thread\":{t}");
                    let (code, out) = mobile_trans(&sm2_push(&url, &order, &extra));
                    assert_eq!(code, "000000", "{out}");
                    let data = member(&out, "data");
                    assert_eq!(data.get("medOrgOrd"), Some(&Value::from(order.as_str())));
                    assert_eq!(
                        data.get("thread").map(|v| v.to_string()),
                        Some(t.to_string())
                    );
                }
            });
        }
    });
    assert_eq!(portal.received().len(), 48);
}

#[test]
fn the_debug_log_shows_neither_key() {
    let (portal, client, server) = sm2_portal();
    let pem = client.to_pkcs8_pem();
    let input = sm2_push(
        &portal.url(PUSH_MSG),
        "SM2-LOG",
        &format!(
            r#""clientPrvKey":{},"serverPubKey":"{}""#,
            Value::from(pem.as_str()),
            server.to_base64()
        ),
    );
    let (code, out) = mobile_trans(&input);
    assert_eq!(code, "000000", "{out}");
    // And a refused one, whose input is logged too.
    let (code, _) = mobile_trans(&input.replace(r#""serverPubKey":""#, r#""serverPubKey":"x"#));
    assert_eq!(code, "000105");
    let log = std::fs::read_to_string(onetrans::log::file_for(&log_dir(), onetrans::clock::now()))
        .expect("today's log");
    assert!(
        log.contains("SM2-LOG"),
        "the calls were logged at debug: {log}"
    );
    assert!(log.contains("DEBUG input="), "{log}");
    let body_line = pem.lines().nth(1).unwrap();
    for secret in [
        body_line,
        client.to_hex().as_str(),
        &server.to_base64()[..40],
        &server.to_hex()[..40],
    ] {
        assert!(!log.contains(secret), "{secret} is in the log");
    }
}

/// `MobileTransW` with a 64 KiB buffer: (code, output).
fn mobile_trans_w(input: &str) -> (String, String) {
    let input: Vec<u16> = input.encode_utf16().chain([0]).collect();
    let mut out = vec![0u16; 32_768];
    // SAFETY: NUL-terminated UTF-16 input; 32768 units = the default 65536 bytes.
    let code = unsafe { onetrans::ffi::MobileTransW(input.as_ptr(), out.as_mut_ptr()) };
    // SAFETY: the library returns a NUL-terminated UTF-16 code.
    let code: Vec<u16> = (0..)
        .map(|i| unsafe { *code.add(i) })
        .take_while(|&u| u != 0)
        .collect();
    let len = out.iter().position(|&u| u == 0).unwrap();
    (
        String::from_utf16(&code).unwrap(),
        String::from_utf16(&out[..len]).unwrap(),
    )
}
