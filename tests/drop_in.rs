//! Drop-in leniency the vendor's own sample relies on (issue 10 item 13), through the exported
//! functions against the simulator:
//!
//! * the vendor's C++ sample `memcpy`s each request without its NUL into a buffer it reuses, so
//!   a shorter request is followed by the tail of a longer one: the first complete JSON object
//!   is the request, the rest is ignored (never signed, never sent, logged once per process);
//! * a truncated or invalid first value is still `000105`;
//! * a UTF-8 byte-order mark before the JSON (a request saved by Notepad);
//! * whitespace around `serverAddr`, and an upper- or mixed-case URL scheme.
//!
//! This process logs to its own folder (set before the first call, which reads the
//! configuration once), so that the once-per-process warning can be read back.

mod common;

use std::path::PathBuf;
use std::sync::Once;

use common::*;
use onetrans::json::Value;
use onetrans_portal::{Portal, PortalConfig};

fn log_dir() -> PathBuf {
    std::env::temp_dir().join(format!("onetrans-drop-in-{}", std::process::id()))
}

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = std::fs::remove_dir_all(log_dir());
        std::env::remove_var("ONETRANS_CONFIG");
        std::env::remove_var("ONETRANS_OUT_BUF_SIZE");
        std::env::remove_var("ONETRANS_CHARSET");
        std::env::set_var("ONETRANS_LOG_DIR", log_dir());
        std::env::set_var("ONETRANS_LOG_LEVEL", "info");
    });
}

fn portal() -> Portal {
    setup();
    Portal::start(PortalConfig::default()).expect("the simulator starts")
}

/// What the vendor's sample leaves in its reused buffer: `next` (jsoncpp's `FastWriter` ends it
/// with a newline), `memcpy`d without its NUL over `previous`, so that the rest of `previous`
/// follows it up to the NUL the buffer had from the first call.
fn reused_buffer(previous: &[u8], next: &[u8]) -> Vec<u8> {
    assert!(next.len() < previous.len(), "the second request is shorter");
    let mut buffer = previous.to_vec();
    buffer[..next.len()].copy_from_slice(next);
    buffer
}

/// A request as jsoncpp's `FastWriter` writes it: compact, then a newline.
fn fast_writer(json: &str) -> String {
    format!("{json}\n")
}

/// The data the portal decrypted for the last request.
fn last_data(portal: &Portal) -> serde_json::Value {
    let received = portal.received();
    let last = received.last().expect("the portal got a request");
    last.data.clone().expect("decrypted")
}

/// Shortens the second request until the first's byte at its end is in the middle of a
/// multi-byte character (a UTF-8 continuation byte, or a GB18030 trail byte when `gbk`).
fn cut_mid_character(long: &[u8], mut short: String, gbk: bool) -> Vec<u8> {
    loop {
        let bytes = if gbk {
            encoding_rs::GB18030.encode(&short).0.into_owned()
        } else {
            short.clone().into_bytes()
        };
        let at = bytes.len();
        let mid = if gbk {
            // Inside a GB18030 character: the byte before is a lead byte that starts a pair in
            // `long` (count the lead bytes from the start to be sure of the pairing).
            let mut i = 0;
            while i < at {
                i += if long[i] >= 0x81 { 2 } else { 1 };
            }
            i > at
        } else {
            long[at] & 0xC0 == 0x80
        };
        if mid {
            return bytes;
        }
        // Lengthen `memo`, the last member of `data`.
        let at = short
            .rfind("\"},\"orgId\"")
            .expect("memo at the end of data");
        short.insert(at, 'x');
    }
}

/// The log lines of this process that say input was ignored.
fn ignored_warnings() -> Vec<String> {
    let log = std::fs::read_dir(log_dir())
        .map(|dir| {
            // Files only: the call journal's folder (issue 13) is in there too.
            dir.map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .map(|p| std::fs::read_to_string(p).unwrap())
                .collect::<String>()
        })
        .unwrap_or_default();
    log.lines()
        .filter(|l| l.contains("已忽略"))
        .map(str::to_owned)
        .collect()
}

/// Every call that leaves a tail is in this one test: the warning is once per process, and the
/// first call here must be the one that writes it.
#[test]
fn tails_after_the_first_object_are_ignored_and_warned_about_once() {
    let portal = portal();
    the_vendor_samples_reused_buffer_sends_the_first_object_only(&portal);
    let warnings = ignored_warnings();
    a_gbk_tail_cut_in_the_middle_of_a_character_is_ignored(&portal);
    a_second_complete_object_after_the_first_is_never_sent(&portal);
    the_wide_interface_ignores_a_tail_too(&portal);
    assert_eq!(ignored_warnings(), warnings, "once per process");
}

/// `MobileTransW`: (code, output).
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

/// A wide caller reusing a `wchar_t` buffer the same way: the text after the first object
/// (cut in the middle of nothing here: UTF-16 has no partial characters once decoded).
fn the_wide_interface_ignores_a_tail_too(portal: &Portal) {
    let url = portal.url(PUSH_MSG);
    let input = push_msg(&url, "WIDE-S", "") + "\n\"deptName\":\"总院\"},\"orgId\":\"H1\"}";
    let (code, out) = mobile_trans_w(&input);
    assert_eq!(code, "000000", "{out}");
    assert_eq!(last_data(portal)["medOrgOrd"], "WIDE-S");
    // A byte-order mark (U+FEFF) before the JSON is skipped here too.
    let (code, out) = mobile_trans_w(&format!("\u{FEFF}{}", push_msg(&url, "WIDE-BOM", "")));
    assert_eq!(code, "000000", "{out}");
    assert_eq!(last_data(portal)["medOrgOrd"], "WIDE-BOM");
}

fn the_vendor_samples_reused_buffer_sends_the_first_object_only(portal: &Portal) {
    let url = portal.fault_url("echo", PUSH_MSG);
    let long = fast_writer(&push_msg(
        &url,
        "REUSE-LONG-0001",
        "\"deptName\":\"总院牙体牙髓科（门诊二楼东侧）\",\"memo\":\"复诊\"",
    ));
    let short = fast_writer(&push_msg(&url, "REUSE-S", "\"memo\":\"x\""));
    let short = cut_mid_character(long.as_bytes(), short, false);
    let input = reused_buffer(long.as_bytes(), &short);
    // Everything after the object's closing brace: FastWriter's newline and the old tail.
    let tail = input.len() - (short.len() - 1);
    assert!(
        std::str::from_utf8(&input[short.len()..]).is_err(),
        "the tail starts in the middle of a character"
    );

    let (code, out) = mobile_trans_bytes(&input);
    let out = String::from_utf8(out).expect("a UTF-8 caller gets UTF-8");
    assert_eq!(code, "000000", "{out}");
    let data = last_data(portal);
    assert_eq!(data["medOrgOrd"], "REUSE-S", "the first object was sent");
    assert!(
        data.get("deptName").is_none(),
        "nothing of the tail: {data}"
    );
    let memo = member(&out, "data")
        .get("memo")
        .cloned()
        .unwrap_or_default();
    assert!(
        memo.as_str().is_some_and(|m| m.chars().all(|c| c == 'x')),
        "{out}"
    );
    assert_eq!(portal.received().len(), 1, "one request, not two");

    // The warning names the byte count.
    let warnings = ignored_warnings();
    assert_eq!(warnings.len(), 1, "one warning: {warnings:?}");
    assert!(
        warnings[0].contains(&format!("{tail} 字节")),
        "the byte count {tail}: {}",
        warnings[0]
    );
}

fn a_gbk_tail_cut_in_the_middle_of_a_character_is_ignored(portal: &Portal) {
    let url = portal.fault_url("echo", PUSH_MSG);
    let long = fast_writer(&push_msg(
        &url,
        "GBK-LONG-0001",
        "\"deptName\":\"总院牙体牙髓科（门诊二楼东侧）\",\"memo\":\"复诊\"",
    ));
    let long = encoding_rs::GB18030.encode(&long).0.into_owned();
    let short = fast_writer(&push_msg(&url, "GBK-S", "\"memo\":\"牙\""));
    let short = cut_mid_character(&long, short, true);
    let input = reused_buffer(&long, &short);

    let (code, out) = mobile_trans_bytes(&input);
    let (text, _, malformed) = encoding_rs::GB18030.decode(&out);
    assert!(!malformed && std::str::from_utf8(&out).is_err(), "GBK back");
    assert_eq!(code, "000000", "{text}");
    let data = last_data(portal);
    assert_eq!(data["medOrgOrd"], "GBK-S");
    assert_eq!(data["patientName"], "周大鹏");
    assert!(
        data.get("deptName").is_none(),
        "nothing of the tail: {data}"
    );
    let memo = member(&text, "data")
        .get("memo")
        .cloned()
        .unwrap_or_default();
    assert!(memo.as_str().is_some_and(|m| m.starts_with('牙')), "{text}");
}

fn a_second_complete_object_after_the_first_is_never_sent(portal: &Portal) {
    let url = portal.url(PUSH_MSG);
    let before = portal.received().len();
    let input = push_msg(&url, "FIRST", "") + &push_msg(&url, "SECOND", "");
    let (code, out) = mobile_trans(&input);
    assert_eq!(code, "000000", "{out}");
    let received = portal.received();
    assert_eq!(received.len(), before + 1, "one request, not two");
    assert_eq!(last_data(portal)["medOrgOrd"], "FIRST");
}

#[test]
fn a_truncated_or_invalid_first_value_is_still_refused() {
    let portal = portal();
    let url = portal.url(PUSH_MSG);
    let whole = push_msg(&url, "TRUNC", "");
    let cases = [
        // Cut short: no complete object at all.
        whole[..whole.len() - 1].to_owned(),
        whole[..whole.len() / 2].to_owned(),
        // Invalid inside the first object, whatever follows.
        whole.replacen("\"orgId\"", "\"orgId\",", 1),
        format!("{}, }} trailing", &whole[..whole.len() - 1]),
        // Not an object first.
        format!("[{whole}]{whole}"),
        format!("x{whole}"),
    ];
    for input in cases {
        let (code, out) = mobile_trans(&input);
        assert_eq!(code, "000105", "{input}: {out}");
        assert_eq!(member(&out, "code"), Value::from(-1), "{out}");
    }
    assert!(portal.received().is_empty(), "nothing may reach the portal");
}

#[test]
fn a_utf8_byte_order_mark_before_the_json_is_accepted() {
    let portal = portal();
    let url = portal.fault_url("echo", PUSH_MSG);
    let mut input = vec![0xEF, 0xBB, 0xBF];
    input.extend_from_slice(push_msg(&url, "BOM-1", "\"memo\":\"é\"").as_bytes());
    let (code, out) = mobile_trans_bytes(&input);
    let out = String::from_utf8(out).expect("a UTF-8 file gets UTF-8 back");
    assert_eq!(code, "000000", "{out}");
    assert!(!out.starts_with('\u{FEFF}'));
    let data = last_data(&portal);
    assert_eq!(data["medOrgOrd"], "BOM-1");
    assert_eq!(data["memo"], "é");
    assert_eq!(data["patientName"], "周大鹏");
}

#[test]
fn whitespace_around_server_addr_is_trimmed() {
    let portal = portal();
    let url = portal.url(PUSH_MSG);
    for (i, padded) in [
        format!(" {url}"),
        format!("{url}  "),
        format!(r"\t {url}\r\n"),
        format!("\u{3000}{url}\u{3000}"),
    ]
    .iter()
    .enumerate()
    {
        let order = format!("WS-{i}");
        let (code, out) = mobile_trans(&push_msg(padded, &order, ""));
        assert_eq!(code, "000000", "{padded:?}: {out}");
        assert_eq!(last_data(&portal)["medOrgOrd"], order.as_str());
    }
    // Inside the address whitespace is still an error, and blank is still "missing".
    let inside = url.replacen("/api", " /api", 1);
    let (code, out) = mobile_trans(&push_msg(&inside, "WS-IN", ""));
    assert_eq!(code, "000105", "{out}");
    let (code, out) = mobile_trans(&push_msg("   ", "WS-BLANK", ""));
    assert_eq!(code, "000105", "{out}");
    assert!(out.contains("serverAddr"), "{out}");
}

#[test]
fn an_upper_or_mixed_case_scheme_is_accepted() {
    let portal = portal();
    let url = portal.url(PUSH_MSG);
    let rest = url.strip_prefix("http://").unwrap();
    for (i, scheme) in ["HTTP", "Http", "hTtP"].iter().enumerate() {
        let order = format!("CASE-{i}");
        let (code, out) = mobile_trans(&push_msg(&format!("{scheme}://{rest}"), &order, ""));
        assert_eq!(code, "000000", "{scheme}: {out}");
        assert_eq!(last_data(&portal)["medOrgOrd"], order.as_str());
    }
    // Other schemes stay refused, whatever their case.
    let (code, out) = mobile_trans(&push_msg(&format!("FTP://{rest}"), "CASE-FTP", ""));
    assert_eq!(code, "000105", "{out}");
}

/// `Https://` through the same call path with the TLS simulator's CA (the exports read their CA
/// from the configuration once per process; the transport is the one they build from it).
#[test]
fn a_mixed_case_https_scheme_is_accepted() {
    use onetrans::call::{self, Env};
    use onetrans::transport::{HttpTransport, Settings};
    setup();
    let portal = Portal::start(PortalConfig {
        tls: Some(onetrans_portal::CertKind::Valid),
        ..PortalConfig::default()
    })
    .expect("the TLS simulator starts");
    let ca = std::env::temp_dir().join(format!("onetrans-drop-in-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, portal.ca_pem().unwrap()).unwrap();
    let transport = HttpTransport::new(Settings {
        ca_file: Some(ca),
        ..Settings::default()
    })
    .unwrap();
    let url = portal.url(PUSH_MSG);
    let rest = url.strip_prefix("https://").unwrap();
    for scheme in ["HTTPS", "Https"] {
        let input = push_msg(&format!("  {scheme}://{rest} "), "TLS-CASE", "");
        let outcome = call::run(&input, &Env::live(&transport));
        assert_eq!(outcome.code, "000000", "{scheme}: {}", outcome.output);
    }
}
