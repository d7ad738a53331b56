//! A bad configuration never crashes the host: every call returns 000105 naming the file, the
//! key and the bad value, and nothing is sent.
//!
//! One test in this binary: the configuration is read once per process.

mod common;

use common::*;
use onetrans_portal::{Portal, PortalConfig};

#[test]
fn a_bad_value_is_000105_naming_file_key_and_value() {
    let dir = std::env::temp_dir().join(format!("onetrans-config-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ini = dir.join("OneTrans.ini");
    std::fs::write(
        &ini,
        "[onetrans]\nconnectTimeoutMs = 6000\nreadTimeoutMs = soon\n",
    )
    .unwrap();
    std::env::set_var("ONETRANS_CONFIG", &ini);
    let portal = Portal::start(PortalConfig::default()).unwrap();
    for _ in 0..2 {
        let (code, out) = mobile_trans(&push_msg(&portal.url(PUSH_MSG), "BAD-CFG", ""));
        assert_eq!(code, "000105", "{out}");
        let message = member(&out, "message");
        let message = message.as_str().unwrap();
        assert!(message.contains(&ini.display().to_string()), "{message}");
        assert!(
            message.contains("readTimeoutMs") && message.contains("soon"),
            "{message}"
        );
        assert!(message.contains("第 3 行"), "the line is named: {message}");
    }
    assert!(portal.received().is_empty());
}
