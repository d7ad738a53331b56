//! `onetrans check`: the self-check, step by step, against the portal simulator (plain and
//! HTTPS with good and bad certificates), a closed port and a skewed clock.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::{push_msg_input, run, run_env, temp_file, with_data, APP_KEY};
use onetrans::clock::{self, ChinaTime};
use onetrans_portal::{CertKind, Portal, PortalConfig};

fn check(input: &str, env: &[(&str, &str)]) -> common::Run {
    run_env(&["check", "-"], Some(input.as_bytes()), env)
}

fn assert_verdict(r: &common::Run, what: &str, verdict: &str) {
    let line = r
        .verdict_of(what)
        .unwrap_or_else(|| panic!("no verdict line for {what}:\n{}", r.stdout));
    assert!(
        line.starts_with(verdict),
        "{what}: expected {verdict}, got {line}\n{}",
        r.stdout
    );
}

#[test]
fn every_step_passes_against_the_portal() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let r = check(&push_msg_input(&portal.url("/api/amp/hos/pushMsg")), &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("生效配置 / configuration in effect"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("St72****wCmM"),
        "the appKey masked: {}",
        r.stdout
    );
    assert!(!r.all().contains(APP_KEY), "{r:?}");
    assert!(
        r.stdout.contains("connectTimeoutMs    : 6000"),
        "{}",
        r.stdout
    );
    assert_verdict(&r, "动态库设置 / the library's settings", "[OK]");
    assert_verdict(&r, "入参 / input", "[OK]");
    assert_verdict(&r, "DNS", "[OK]");
    assert_verdict(&r, "TCP", "[OK]");
    assert_verdict(&r, "TLS", "[跳过 SKIPPED]");
    assert_verdict(&r, "接口应答 / the path answers", "[OK]");
    assert_verdict(&r, "凭据与签名 / credentials and signature", "[OK]");
    assert_verdict(&r, "时钟差 / clock difference", "[OK]");
    assert!(
        r.stdout.contains("应答报文 timestamp"),
        "the clock from the answer: {}",
        r.stdout
    );
    assert!(r.stdout.contains("0 失败 FAILED"), "{}", r.stdout);
    assert_eq!(portal.received().len(), 1, "exactly one real call");
    portal.stop();
}

#[test]
fn no_call_sends_nothing_and_reads_the_clock_from_the_date_header() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let r = run_env(
        &["check", "--no-call", "-"],
        Some(push_msg_input(&portal.url("/api/amp/hos/pushMsg")).as_bytes()),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_verdict(&r, "接口应答", "[跳过 SKIPPED]");
    assert_verdict(&r, "时钟差", "[OK]");
    assert!(r.stdout.contains("HTTP Date"), "{}", r.stdout);
    assert!(
        portal.received().iter().all(|r| r.envelope.is_none()),
        "nothing was posted"
    );
    portal.stop();
}

#[test]
fn a_closed_port_fails_at_tcp_after_dns() {
    let url = format!(
        "http://127.0.0.1:{}/api/amp/hos/pushMsg",
        common::closed_port()
    );
    let r = check(&push_msg_input(&url), &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_verdict(&r, "DNS", "[OK]");
    assert_verdict(&r, "TCP", "[失败 FAILED]");
    assert!(r.stdout.contains("connection refused"), "{}", r.stdout);
    assert!(r.stdout.contains("提示 / hint"), "{}", r.stdout);
    assert_verdict(&r, "接口应答", "[跳过 SKIPPED]");
    assert_verdict(&r, "时钟差", "[跳过 SKIPPED]");
}

#[test]
fn a_wrong_app_key_still_proves_the_path_answers() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let input = with_data(
        &push_msg_input(&portal.url("/api/amp/hos/pushMsg")),
        &[("appKey", "WrongKeyWrongKeyWrongKeyWrongKey")],
    );
    let r = check(&input, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_verdict(&r, "接口应答", "[OK]");
    assert_verdict(&r, "凭据与签名", "[失败 FAILED]");
    assert!(r.stdout.contains("000102"), "{}", r.stdout);
    assert!(r.stdout.contains("Wron****gKey"), "{}", r.stdout);
    portal.stop();
}

#[test]
fn an_unknown_path_fails_the_path_step() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let r = check(&push_msg_input(&portal.url("/api/no/such/path")), &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_verdict(&r, "接口应答", "[失败 FAILED]");
    assert!(r.stdout.contains("404404"), "{}", r.stdout);
    portal.stop();
}

#[test]
fn a_clock_two_minutes_off_is_a_warning() {
    let portal = Portal::start(PortalConfig {
        clock_offset_secs: 120,
        ..PortalConfig::default()
    })
    .unwrap();
    let r = check(&push_msg_input(&portal.url("/api/amp/hos/pushMsg")), &[]);
    assert_eq!(r.code, 0, "a warning does not fail: {}", r.stdout);
    assert_verdict(&r, "时钟差", "[警告 WARNING]");
    assert!(r.stdout.contains("s behind the portal"), "{}", r.stdout);
    portal.stop();
}

#[test]
fn a_portal_ten_minutes_ahead_fails_the_clock_step_from_its_date_header() {
    // The simulator's clock offset moves its Date header too: every call gets 010010 (no
    // timestamp in that rejection), and the clock step reads the same clock from Date.
    let portal = Portal::start(PortalConfig {
        clock_offset_secs: 600,
        ..PortalConfig::default()
    })
    .unwrap();
    let r = check(&push_msg_input(&portal.url("/api/amp/hos/pushMsg")), &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("010010"), "{}", r.stdout);
    assert_verdict(&r, "时钟差", "[失败 FAILED]");
    assert!(r.stdout.contains("HTTP Date"), "{}", r.stdout);
    let behind = (595..=605).any(|s| r.stdout.contains(&format!("{s} s behind the portal")));
    assert!(behind, "about 600 s behind: {}", r.stdout);
    portal.stop();
}

#[test]
fn a_fixed_old_timestamp_is_caught_before_the_portal_rejects_it() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let old = ChinaTime::from_unix(clock::now().unix() - 600).to_string();
    let input = with_data(
        &push_msg_input(&portal.url("/api/amp/hos/pushMsg")),
        &[("timestamp", &old)],
    );
    let r = check(&input, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_verdict(&r, "时间戳 / timestamp", "[失败 FAILED]");
    assert_verdict(&r, "凭据与签名", "[失败 FAILED]");
    assert!(r.stdout.contains("010010"), "{}", r.stdout);
    portal.stop();
}

/// A one-thread HTTP server on 127.0.0.1 that answers every request with a gateway rejection
/// and a `Date` header `skew` seconds off; serves at most `max` connections.
fn skewed_server(skew: i64, max: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then as many body bytes as Content-Length says.
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
            let body = r#"{"respCode":"000102","respMsg":"核验签名参数失败，签名无效"}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\nDate: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                http_date(clock::now().unix() + skew),
                body.len()
            );
            let is_head = buf.starts_with(b"HEAD");
            let _ = stream.write_all(head.as_bytes());
            if !is_head {
                let _ = stream.write_all(body.as_bytes());
            }
        }
    });
    port
}

/// IMF-fixdate of a Unix time (the weekday is not read by the parser, any will do).
fn http_date(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = ChinaTime::from_unix(unix - 8 * 3600).fields();
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "Mon, {d:02} {} {y:04} {h:02}:{mi:02}:{s:02} GMT",
        MONTHS[(mo - 1) as usize]
    )
}

#[test]
fn a_clock_ten_minutes_off_fails_from_the_date_header() {
    let port = skewed_server(-600, 4);
    let r = check(
        &push_msg_input(&format!("http://127.0.0.1:{port}/api/amp/hos/pushMsg")),
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_verdict(&r, "接口应答", "[OK]");
    assert_verdict(&r, "时钟差", "[失败 FAILED]");
    assert!(r.stdout.contains("HTTP Date"), "{}", r.stdout);
    assert!(
        r.stdout.contains("600 s ahead of the portal"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("010010"),
        "the hint names the portal's code: {}",
        r.stdout
    );
}

fn https_portal(kind: CertKind, name: &str) -> (Portal, String) {
    let pem = temp_file(name, b"");
    let portal = Portal::start(PortalConfig {
        tls: Some(kind),
        cert_pem_out: Some(pem.clone()),
        ..PortalConfig::default()
    })
    .unwrap();
    (portal, pem.to_str().unwrap().to_owned())
}

#[test]
fn https_with_the_portal_ca_configured_passes_and_shows_the_certificate() {
    let (portal, pem) = https_portal(CertKind::Valid, "valid.pem");
    let url = portal.url("/api/amp/hos/pushMsg");
    assert!(url.starts_with("https://"), "{url}");
    let r = check(&push_msg_input(&url), &[("ONETRANS_CA_FILE", &pem)]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_verdict(&r, "TLS", "[OK]");
    for label in [
        "主体 / subject",
        "颁发者 / issuer",
        "有效期 / valid",
        "caFile",
    ] {
        assert!(r.stdout.contains(label), "{label}: {}", r.stdout);
    }
    assert_verdict(&r, "凭据与签名", "[OK]");
    portal.stop();
}

#[test]
fn https_with_an_unknown_ca_names_the_failure() {
    let (portal, _) = https_portal(CertKind::Valid, "unknown.pem");
    let r = check(&push_msg_input(&portal.url("/api/amp/hos/pushMsg")), &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_verdict(&r, "TLS", "[失败 FAILED]");
    assert!(
        r.verdict_of("TLS").unwrap().contains("unknown CA"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("主体 / subject"),
        "the chain is shown anyway: {}",
        r.stdout
    );
    // The library itself refuses it too: not delivered.
    assert!(r.stdout.contains("000100"), "{}", r.stdout);
    portal.stop();
}

#[test]
fn https_with_a_certificate_for_another_host_names_the_failure() {
    let (portal, pem) = https_portal(CertKind::WrongHost, "wrong-host.pem");
    let r = check(
        &push_msg_input(&portal.url("/api/amp/hos/pushMsg")),
        &[("ONETRANS_CA_FILE", &pem)],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.verdict_of("TLS").unwrap().contains("wrong host"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("wrong-host.invalid"),
        "the certificate's names: {}",
        r.stdout
    );
    portal.stop();
}

#[test]
fn https_with_an_expired_certificate_names_the_failure() {
    let (portal, pem) = https_portal(CertKind::Expired, "expired.pem");
    let r = check(
        &push_msg_input(&portal.url("/api/amp/hos/pushMsg")),
        &[("ONETRANS_CA_FILE", &pem)],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.verdict_of("TLS").unwrap().contains("expired"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("2001-01-01"),
        "the validity: {}",
        r.stdout
    );
    portal.stop();
}

#[test]
fn a_broken_setting_fails_the_settings_step() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let r = check(
        &push_msg_input(&portal.url("/api/amp/hos/pushMsg")),
        &[("ONETRANS_READ_TIMEOUT_MS", "soon")],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_verdict(&r, "动态库设置", "[失败 FAILED]");
    assert!(
        r.stdout.contains("ONETRANS_READ_TIMEOUT_MS"),
        "{}",
        r.stdout
    );
    portal.stop();
}

#[test]
fn bad_input_fails_the_input_step() {
    let r = run(&["check", "-"], Some(b"{\"data\":{\"appId\":\"x\"}}"));
    assert_eq!(r.code, 1, "{r:?}");
    assert_verdict(&r, "入参 / input", "[失败 FAILED]");
    assert!(r.stdout.contains("000105"), "{}", r.stdout);
}

#[test]
fn a_configured_proxy_is_the_first_hop() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let proxy = format!("http://user:secret@127.0.0.1:{}", common::closed_port());
    let r = check(
        &push_msg_input(&portal.url("/api/amp/hos/pushMsg")),
        &[("ONETRANS_PROXY", &proxy)],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_verdict(&r, "DNS", "[OK]");
    assert!(
        r.verdict_of("TCP").unwrap().contains("代理 / proxy"),
        "{}",
        r.stdout
    );
    assert_verdict(&r, "TCP", "[失败 FAILED]");
    assert!(
        r.stdout.contains("user:****@"),
        "the proxy password masked: {}",
        r.stdout
    );
    assert!(!r.stdout.contains("secret"), "{}", r.stdout);
    assert!(portal.received().is_empty());
    portal.stop();
}

#[test]
fn the_config_option_reads_that_ini_file() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let ini = temp_file("OneTrans.ini", b"[onetrans]\nconnectTimeoutMs = 2500\n");
    let ini = ini.to_str().unwrap();
    let input = push_msg_input(&portal.url("/api/amp/hos/pushMsg"));
    let r = run(&["check", "--config", ini, "-"], Some(input.as_bytes()));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains(ini), "the source is named: {}", r.stdout);
    assert!(
        r.stdout.contains("connectTimeoutMs    : 2500"),
        "{}",
        r.stdout
    );

    let bad = temp_file("Bad.ini", b"[onetrans]\nreadTimeoutMs = soon\n");
    let r = run(
        &["check", "--config", bad.to_str().unwrap(), "-"],
        Some(input.as_bytes()),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_verdict(&r, "动态库设置", "[失败 FAILED]");
    assert!(r.stdout.contains("Bad.ini"), "{}", r.stdout);

    let r = run(
        &["call", "--config", "/nonexistent/OneTrans.ini", "-"],
        Some(input.as_bytes()),
    );
    assert_eq!(r.code, 2, "{r:?}");
    portal.stop();
}
