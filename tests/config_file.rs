//! The configuration as a hospital deploys it, through the exported functions: an INI file named
//! by `ONETRANS_CONFIG`, an environment variable overriding one key, the output cap, a forced
//! charset, and the daily log with personal data masked and no secrets.
//!
//! One test in this binary: the configuration is read once per process.

mod common;

use std::path::PathBuf;

use common::*;
use onetrans::clock;
use onetrans::crypto::{AppKey, DataKey};
use onetrans_portal::{Portal, PortalConfig};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onetrans-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn ini_file_env_override_output_cap_charset_and_logs() {
    let dir = temp_dir("config-file");
    let ini = dir.join("OneTrans.ini");
    std::fs::write(
        &ini,
        "[onetrans]\noutBufSize = 4096\ncharset = utf-8\nlogDir = logs\nlogLevel = debug\nreadTimeoutMs = 3000\n",
    )
    .unwrap();
    std::env::set_var("ONETRANS_CONFIG", &ini);
    // The environment wins over the file.
    std::env::set_var("ONETRANS_OUT_BUF_SIZE", "2048");

    let portal = Portal::start(PortalConfig::default()).unwrap();

    // A normal call fits and is logged.
    let (code, out) = mobile_trans(&push_msg(&portal.url(PUSH_MSG), "CFG-1", ""));
    assert_eq!(code, "000000", "{out}");

    // An answer over 2048 bytes is 000106 for MobileTrans (outBufSize from the environment).
    let big = push_msg(
        &portal.fault_url("echo", PUSH_MSG),
        "CFG-2",
        &format!("\"blob\":\"{}\"", "y".repeat(3000)),
    );
    let (code, out) = mobile_trans(&big);
    assert_eq!(code, "000106", "{out}");
    assert!(out.len() < 2048);

    // charset = utf-8 is strict: GBK bytes are bad input, not guessed.
    let utf8 = push_msg(&portal.url(PUSH_MSG), "CFG-3", "");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&utf8);
    let (code, out) = mobile_trans_bytes(&gbk);
    assert_eq!(code, "000105");
    assert!(String::from_utf8_lossy(&out).contains("UTF-8"));

    // The log: one file a day, a line per call with nonce, orgId, path, ms, codes; at debug the
    // input and output, masked; never the appKey or the data key.
    let log = std::fs::read_to_string(onetrans::log::file_for(&dir.join("logs"), clock::now()))
        .expect("today's log file exists");
    let nonce = portal.received()[0].envelope.as_ref().unwrap()["nonceStr"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(log.contains(&format!("nonce={nonce}")), "{log}");
    assert!(
        log.contains("orgId=H46010000000 path=/api/amp/hos/pushMsg"),
        "{log}"
    );
    assert!(log.contains("code=000000 bizCode=0"), "{log}");
    assert!(log.contains("code=000106"), "{log}");
    assert!(log.contains("DEBUG input="), "{log}");
    assert!(
        log.contains("460029********1627"),
        "ID numbers are masked: {log}"
    );
    assert!(log.contains("周**"), "names are masked: {log}");
    assert!(!log.contains("460029196507081627"), "{log}");
    assert!(!log.contains(APP_KEY), "the appKey never reaches the log");
    let data_key = DataKey::derive(APP_ID, &AppKey::new(APP_KEY));
    assert!(
        !log.contains(std::str::from_utf8(data_key.expose()).unwrap()),
        "nor the data key"
    );
}
