//! HTTPS and proxies, through the library's transport with explicit settings (the same code the
//! exports use, built from `OneTrans.ini`): a private CA given as `caFile`, no CA (a clear
//! `000100`), `insecureSkipVerify`, an expired or wrong-host certificate, and an HTTP proxy on
//! loopback with authentication.

mod common;

use common::net::TestProxy;
use common::*;
use onetrans::call::{self, Env, Outcome};
use onetrans::transport::{HttpTransport, Settings};
use onetrans_portal::{CertKind, Portal, PortalConfig};

fn tls_portal(kind: CertKind) -> Portal {
    Portal::start(PortalConfig {
        tls: Some(kind),
        ..PortalConfig::default()
    })
    .expect("the TLS simulator starts")
}

fn call_with(settings: Settings, input: &str) -> Outcome {
    let transport = HttpTransport::new(settings).expect("usable settings");
    call::run(input, &Env::live(&transport))
}

fn write_ca(portal: &Portal, name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("onetrans-{name}-{}.pem", std::process::id()));
    std::fs::write(
        &path,
        portal.ca_pem().expect("a TLS portal has a certificate"),
    )
    .unwrap();
    path
}

#[test]
fn https_with_the_private_ca_as_ca_file() {
    let portal = tls_portal(CertKind::Valid);
    let ca = write_ca(&portal, "valid");
    let input = push_msg(&portal.url(PUSH_MSG), "TLS-1", "");
    assert!(input.contains("https://127.0.0.1:"));
    let outcome = call_with(
        Settings {
            ca_file: Some(ca),
            ..Settings::default()
        },
        &input,
    );
    assert_eq!(outcome.code, "000000", "{}", outcome.output);
}

#[test]
fn https_without_the_ca_is_refused_as_unknown_ca_and_not_delivered() {
    let portal = tls_portal(CertKind::Valid);
    let outcome = call_with(
        Settings::default(),
        &push_msg(&portal.url(PUSH_MSG), "TLS-2", ""),
    );
    assert_eq!(outcome.code, "000100", "{}", outcome.output);
    assert!(outcome.output.contains("unknown CA"), "{}", outcome.output);
    assert!(portal.received().is_empty(), "nothing may reach the portal");
}

#[test]
fn insecure_skip_verify_accepts_any_certificate() {
    let portal = tls_portal(CertKind::WrongHost);
    let outcome = call_with(
        Settings {
            insecure_skip_verify: true,
            ..Settings::default()
        },
        &push_msg(&portal.url(PUSH_MSG), "TLS-3", ""),
    );
    assert_eq!(outcome.code, "000000", "{}", outcome.output);
}

#[test]
fn tls_failures_say_which() {
    for (kind, says) in [
        (CertKind::Expired, "expired"),
        (CertKind::WrongHost, "another host name"),
    ] {
        let portal = tls_portal(kind);
        let ca = write_ca(&portal, says.split(' ').next().unwrap());
        let outcome = call_with(
            Settings {
                ca_file: Some(ca),
                ..Settings::default()
            },
            &push_msg(&portal.url(PUSH_MSG), "TLS-4", ""),
        );
        assert_eq!(outcome.code, "000100", "{}", outcome.output);
        assert!(outcome.output.contains(says), "{says}: {}", outcome.output);
    }
}

#[test]
fn a_ca_file_that_is_not_pem_is_a_configuration_error() {
    let path = std::env::temp_dir().join(format!("onetrans-notpem-{}.pem", std::process::id()));
    std::fs::write(&path, "not a certificate").unwrap();
    let err = HttpTransport::new(Settings {
        ca_file: Some(path.clone()),
        ..Settings::default()
    })
    .unwrap_err();
    assert_eq!(err.code(), "000105");
    assert!(err.message.contains("caFile") && err.message.contains(&path.display().to_string()));
}

#[test]
fn calls_go_through_the_configured_proxy_with_credentials() {
    let portal = Portal::start(PortalConfig::default()).unwrap();
    // base64("his:s3cret")
    let proxy = TestProxy::start("aGlzOnMzY3JldA==");
    let outcome = call_with(
        Settings {
            proxy: Some(format!("http://his:s3cret@{}", proxy.addr)),
            ..Settings::default()
        },
        &push_msg(&portal.url(PUSH_MSG), "PROXY-1", ""),
    );
    assert_eq!(outcome.code, "000000", "{}", outcome.output);
    assert_eq!(proxy.tunnels(), 1, "the call went through the proxy");

    // Wrong credentials: the proxy refuses before anything reaches the portal.
    let before = portal.received().len();
    let outcome = call_with(
        Settings {
            proxy: Some(format!("http://his:wrong@{}", proxy.addr)),
            ..Settings::default()
        },
        &push_msg(&portal.url(PUSH_MSG), "PROXY-2", ""),
    );
    assert_eq!(outcome.code, "000100", "{}", outcome.output);
    assert_eq!(portal.received().len(), before);
}

#[test]
fn proxy_environment_variables_are_not_picked_up() {
    // A proxy in the environment that does not exist: if it were used, the call would fail.
    std::env::set_var("HTTP_PROXY", "http://127.0.0.1:9");
    std::env::set_var("ALL_PROXY", "http://127.0.0.1:9");
    let portal = Portal::start(PortalConfig::default()).unwrap();
    let outcome = call_with(
        Settings::default(),
        &push_msg(&portal.url(PUSH_MSG), "NOENV-1", ""),
    );
    assert_eq!(outcome.code, "000000", "{}", outcome.output);
}
