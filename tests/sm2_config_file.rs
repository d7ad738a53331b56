//! The SM2 keys from the configuration, through the exported functions: `clientPrvKey` (a PEM
//! on one line with `\n` escapes) and `sm2UserId` from `OneTrans.ini`, `serverPubKey` from the
//! environment, which wins over the file's (wrong) one; a key in the input wins over both.
//!
//! One test in this binary: the configuration is read once per process.

mod common;

use common::*;
use onetrans::sm2;
use onetrans_portal::apps::Sm2AppSpec;
use onetrans_portal::{Portal, PortalConfig};

#[test]
fn keys_and_user_id_from_the_ini_file_and_the_environment() {
    let dir = std::env::temp_dir().join(format!("onetrans-sm2-ini-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let institution = sm2::generate();
    let user_id = "HOSPITAL-46010001";
    let portal = Portal::start(PortalConfig {
        sm2_apps: vec![Sm2AppSpec {
            app_id: APP_ID.into(),
            app_key: APP_KEY.into(),
            institution_pub: sm2::public_of(&institution).to_hex(),
            portal_prv: None,
            user_id: Some(user_id.into()),
        }],
        ..PortalConfig::default()
    })
    .unwrap();
    let server = portal.sm2_server_pub_key(APP_ID).unwrap();
    let stranger = sm2::public_of(&sm2::generate());

    let pem_one_line = institution.to_sec1_pem().trim_end().replace('\n', "\\n");
    let ini = dir.join("OneTrans.ini");
    std::fs::write(
        &ini,
        format!(
            "[onetrans]\nlogDir = logs\nlogLevel = debug\nclientPrvKey = {pem_one_line}\nserverPubKey = {}\nsm2UserId = {user_id}\n",
            stranger.to_hex()
        ),
    )
    .unwrap();
    std::env::set_var("ONETRANS_CONFIG", &ini);
    std::env::set_var("ONETRANS_SERVER_PUB_KEY", server.to_base64());

    let input = |order: &str, extra: &str| {
        push_msg(&portal.url(PUSH_MSG), order, extra)
            .replace(r#""signType":"SM3""#, r#""signType":"SM2""#)
    };
    // No key in the input: the file's private key and user id, the environment's public key.
    let (code, out) = mobile_trans(&input("INI-1", ""));
    assert_eq!(code, "000000", "{out}");
    assert_eq!(
        portal.received().last().unwrap().envelope.as_ref().unwrap()["signType"],
        "SM2"
    );

    // The input wins: a wrong serverPubKey in data is used (and the answer refused).
    let wrong = format!(r#""serverPubKey":"{}""#, stranger.to_base64());
    let (code, out) = mobile_trans(&input("INI-2", &wrong));
    assert_eq!(code, "000102", "{out}");
    // ... and so does a private key in data: another institution's key does not verify at the
    // portal (its 000102 passed through).
    let other = format!(r#""clientPrvKey":"{}""#, sm2::generate().to_hex().as_str());
    let (code, out) = mobile_trans(&input("INI-3", &other));
    assert_eq!(code, "000102", "{out}");
    assert!(out.contains("门户拒绝了请求"), "{out}");

    // SM3 calls are unaffected by the SM2 settings.
    let (code, out) = mobile_trans(
        &push_msg(&portal.url(PUSH_MSG), "INI-4", "")
            .replace(APP_ID, "1FM99V9JP0009A23A8C00000D445BA03")
            .replace(APP_KEY, "1FM99V9JM00N9A23A8C000003F4B7C32"),
    );
    assert_eq!(code, "000000", "{out}");

    // The configured private key never reaches the log.
    let log = std::fs::read_to_string(onetrans::log::file_for(
        &dir.join("logs"),
        onetrans::clock::now(),
    ))
    .unwrap();
    assert!(log.contains("INI-1"), "{log}");
    let pem = institution.to_sec1_pem();
    assert!(!log.contains(pem.lines().nth(1).unwrap()), "{log}");
    assert!(!log.contains(institution.to_hex().as_str()), "{log}");
}
