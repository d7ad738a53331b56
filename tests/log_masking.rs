//! The debug log, through the exported functions: secrets and personal data are masked in every
//! line, whatever the input looks like (issue 10 item 7).
//!
//! * input that is not JSON (a trailing comma) is masked by key name: the appKey never shows;
//! * numbers of an ID card's or a phone's length are masked like strings;
//! * the ERROR line's `msg=` (and the output) carry the portal's `respMsg` masked.
//!
//! One test in this binary: the configuration is read once per process.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use common::*;
use onetrans::clock;
use onetrans_portal::{Portal, PortalConfig};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onetrans-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A one-connection HTTP server on 127.0.0.1 answering one request with the gateway rejection
/// `body` (what a portal that quotes its sign text and the patient in `respMsg` sends).
fn rejecting_server(body: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stream.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap_or(0));
            if buf.len() >= end + 4 + len {
                break;
            }
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body.as_bytes());
    });
    port
}

#[test]
fn the_debug_log_masks_broken_input_numbers_and_portal_messages() {
    let dir = temp_dir("log-masking");
    let ini = dir.join("OneTrans.ini");
    std::fs::write(
        &ini,
        "[onetrans]\nlogDir = logs\nlogLevel = debug\nreadTimeoutMs = 3000\n",
    )
    .unwrap();
    std::env::set_var("ONETRANS_CONFIG", &ini);
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let url = portal.url(PUSH_MSG);

    // 1. Not JSON (a trailing comma): refused, and logged as text.
    let broken = push_msg(&url, "MASK-1", "").replace("\"amt\":12.50", "\"amt\":12.50,");
    let (code, out) = mobile_trans(&broken);
    assert_eq!(code, "000105", "{out}");

    // 2. Valid JSON with numbers of a phone's and an ID card's length (18 and 15 digits).
    let numbers = push_msg(
        &url,
        "MASK-2",
        r#""phone":13912345678,"guardianId":110101198001010011,"oldId":110101800101002"#,
    );
    let (code, out) = mobile_trans(&numbers);
    assert_eq!(code, "000000", "{out}");

    // 3. A portal rejection whose respMsg quotes the sign text and the patient.
    let port = rejecting_server(
        r#"{"respCode":"000102","respMsg":"签名无效 sign text: appId=zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN&patientName=周大鹏&idNo=460029650708163&key=St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM"}"#,
    );
    let (code, out) = mobile_trans(&push_msg(
        &format!("http://127.0.0.1:{port}{PUSH_MSG}"),
        "MASK-3",
        "",
    ));
    assert_eq!(code, "000102", "{out}");

    let log = std::fs::read_to_string(onetrans::log::file_for(&dir.join("logs"), clock::now()))
        .expect("today's log file exists");
    assert_eq!(log.matches("DEBUG input=").count(), 3, "{log}");
    assert!(log.contains(" msg="), "{log}");
    assert!(
        !log.contains(APP_KEY),
        "the appKey never reaches the log:\n{log}"
    );
    for (secret, what) in [
        ("13912345678", "a numeric phone"),
        ("110101198001010011", "a numeric 18-digit ID"),
        ("110101800101002", "a numeric 15-digit ID"),
        ("460029650708163", "a 15-digit ID in respMsg"),
        ("周大鹏", "a name in respMsg or broken input"),
        ("460029196507081627", "the ID of the broken input"),
    ] {
        assert!(
            !log.contains(secret),
            "{what} ({secret}) in the log:\n{log}"
        );
    }
    // Masked, not dropped: the shapes stay recognisable for support.
    assert!(log.contains("139****5678"), "{log}");
    assert!(log.contains("110101********0011"), "{log}");
    assert!(log.contains("周**"), "{log}");
    portal.stop();
}
