//! The server itself: keep-alive and connection counting, HTTPS with its certificate written
//! as PEM, the certificate kinds, and stopping.

mod common;

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use onetrans::json::Value;
use onetrans_portal::{CertKind, Portal, PortalConfig};

#[test]
fn fifty_sequential_calls_reuse_one_connection() {
    let portal = portal();
    let agent = agent();
    let url = portal.url(PUSH_MSG);
    for _ in 0..50 {
        let sealed = seal(&portal, &push_msg_input());
        let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
        assert_eq!(sealed.open(answer.as_bytes()).unwrap().code, Value::from(0));
    }
    assert_eq!(portal.connections_accepted(), 1);
    assert_eq!(portal.received().len(), 50);
}

#[test]
fn every_tcp_connection_is_counted() {
    let portal = portal();
    assert_eq!(portal.connections_accepted(), 0);
    for _ in 0..3 {
        drop(TcpStream::connect(portal.addr()).unwrap());
    }
    let sealed = seal(&portal, &push_msg_input());
    raw_exchange(portal.addr(), PUSH_MSG, &sealed.body);
    // Accepting is asynchronous: wait for the count to settle.
    for _ in 0..100 {
        if portal.connections_accepted() == 4 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(portal.connections_accepted(), 4);
}

#[test]
fn closeidle_makes_the_next_call_open_a_new_connection() {
    let portal = portal();
    let mut conn = RawConn::connect(portal.addr());
    let sealed = seal(&portal, &push_msg_input());
    conn.send(&format!("/_fault/closeidle{PUSH_MSG}"), &sealed.body);
    assert_eq!(conn.read_answer().end, End::Complete);
    assert_eq!(conn.closed_by_server(Duration::from_secs(5)), End::Eof);
    let sealed = seal(&portal, &push_msg_input());
    raw_exchange(portal.addr(), PUSH_MSG, &sealed.body);
    assert_eq!(portal.connections_accepted(), 2);
}

fn tls_agent(ca_pem: Option<&str>) -> ureq::Agent {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let roots = match ca_pem {
        Some(pem) => RootCerts::Specific(Arc::new(vec![
            Certificate::from_pem(pem.as_bytes()).unwrap()
        ])),
        None => RootCerts::Specific(Arc::new(Vec::new())),
    };
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .build()
        .into()
}

#[test]
fn https_with_the_certificate_written_as_pem() {
    let dir = std::env::temp_dir().join(format!("onetrans-portal-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem_path = dir.join("portal-ca.pem");
    let portal = Portal::start(PortalConfig {
        tls: Some(CertKind::Valid),
        cert_pem_out: Some(pem_path.clone()),
        ..Default::default()
    })
    .unwrap();
    assert!(
        portal.base_url().starts_with("https://127.0.0.1:"),
        "{}",
        portal.base_url()
    );
    let pem = std::fs::read_to_string(&pem_path).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(portal.ca_pem().as_deref(), Some(pem.as_str()));

    let agent = tls_agent(Some(&pem));
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{}{PUSH_MSG}", portal.addr().port());
        for _ in 0..3 {
            let sealed = seal(&portal, &push_msg_input());
            let (_, answer) = post(&agent, &url, &sealed.body).unwrap();
            assert_eq!(
                sealed.open(answer.as_bytes()).unwrap().code,
                Value::from(0),
                "{host}"
            );
        }
    }
    // Keep-alive over TLS too: one connection per host name.
    assert_eq!(portal.connections_accepted(), 2);

    // Faults work the same over TLS.
    let sealed = seal(&portal, &push_msg_input());
    let (status, _) = post(
        &agent,
        &portal.fault_url("status=503", PUSH_MSG),
        &sealed.body,
    )
    .unwrap();
    assert_eq!(status, 503);
    let sealed = seal(&portal, &push_msg_input());
    assert!(post(&agent, &portal.fault_url("close", PUSH_MSG), &sealed.body).is_err());

    // Without the certificate as a root, the client refuses it. (ureq 3.5 reports certificate
    // failures as `ureq::Error::Io` of kind InvalidData wrapping the rustls error.)
    let err = post(&tls_agent(None), &portal.url(PUSH_MSG), "{}").unwrap_err();
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wrong_host_and_expired_certificates_fail_the_handshake() {
    for (kind, words) in [
        (CertKind::WrongHost, "not valid for name"),
        (CertKind::Expired, "expired"),
    ] {
        let portal = Portal::start(PortalConfig {
            tls: Some(kind),
            ..Default::default()
        })
        .unwrap();
        let agent = tls_agent(portal.ca_pem().as_deref());
        let sealed = seal(&portal, &push_msg_input());
        let err = post(&agent, &portal.url(PUSH_MSG), &sealed.body).unwrap_err();
        assert!(err.to_string().contains(words), "{kind:?}: {err}");
        assert!(portal.received().is_empty(), "nothing was delivered");
    }
}

#[test]
fn stop_closes_the_port() {
    let portal = portal();
    let addr = portal.addr();
    let sealed = seal(&portal, &push_msg_input());
    let mut conn = RawConn::connect(addr);
    conn.send(PUSH_MSG, &sealed.body);
    assert_eq!(conn.read_answer().end, End::Complete);
    portal.stop();
    assert!(TcpStream::connect(addr).is_err(), "refused after stop");
    // The kept-alive connection is closed too.
    assert_ne!(conn.closed_by_server(Duration::from_secs(5)), End::Timeout);
}

#[test]
fn config_errors_are_reported() {
    let short = Portal::start(PortalConfig {
        apps: vec![("short".into(), "key".into())],
        ..Default::default()
    });
    assert_eq!(short.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    let portal = portal();
    let busy = Portal::start(PortalConfig {
        bind: portal.addr(),
        ..Default::default()
    });
    assert!(busy.is_err(), "the port is taken");
    assert_eq!(portal.app_ids()[0], APP_ID);
    assert_eq!(
        portal.fault_url("slow=1", PUSH_MSG),
        format!("{}/_fault/slow=1{PUSH_MSG}", portal.base_url())
    );
}
