//! The security properties of issue 6, each with a test. Where another test already proves a
//! property, this file names it; `docs/RELIABILITY.md` lists them all.
//!
//! * Certificates are verified by default; a failing certificate is never silently accepted
//!   (here, and `tls_and_proxy.rs`).
//! * The appKey and the data key never reach a log, an error message or the output (here for
//!   what the library sends and refuses; `fault_matrix.rs` for every fault row's output and
//!   log; `config_file.rs` for the log of a deployed configuration).
//! * Keys in memory are zeroed when dropped (by type, at compile time).
//! * Signatures are compared in constant time, and an answer whose nonce is not the request's
//!   is rejected (here, and the `bad_nonce` row of the fault matrix).
//! * Nonces are unique: 1,000,000 from 8 threads, no repeat.

mod common;

use std::collections::HashSet;
use std::sync::Mutex;

use common::*;
use onetrans::call::{self, Env};
use onetrans::clock::ChinaTime;
use onetrans::config::Config;
use onetrans::crypto::{self, AppKey, DataKey};
use onetrans::error::Error;
use onetrans::json::Map;
use onetrans::protocol::{self, Reply};
use onetrans::transport::{HttpAnswer, HttpTransport, Settings, Transport};
use onetrans_portal::{CertKind, Portal, PortalConfig};
use zeroize::{ZeroizeOnDrop, Zeroizing};

fn data_key_text() -> String {
    let key = DataKey::derive(APP_ID, &AppKey::new(APP_KEY));
    std::str::from_utf8(key.expose()).unwrap().to_owned()
}

// --- certificates -------------------------------------------------------------------------------

#[test]
fn certificate_verification_is_on_by_default() {
    assert!(!Settings::default().insecure_skip_verify);
    assert!(!Config::default().transport.insecure_skip_verify);
    let resolved = Config::resolve(None, &|_| None, None).unwrap();
    assert!(!resolved.transport.insecure_skip_verify);
    // And nothing in the environment of this test turns it off by accident.
    assert!(std::env::var_os("ONETRANS_INSECURE_SKIP_VERIFY").is_none());
}

#[test]
fn a_failing_certificate_is_never_silently_accepted() {
    // An unknown CA, an expired certificate and one for another host: each is 000100 (nothing
    // sent), and the portal receives nothing, with the default settings and with the CA given.
    for (kind, give_ca, says) in [
        (CertKind::Valid, false, "unknown CA"),
        (CertKind::Expired, true, "expired"),
        (CertKind::WrongHost, true, "another host name"),
    ] {
        let portal = Portal::start(PortalConfig {
            tls: Some(kind),
            ..PortalConfig::default()
        })
        .unwrap();
        let ca_file = give_ca.then(|| {
            let path = std::env::temp_dir().join(format!(
                "onetrans-security-{kind:?}-{}.pem",
                std::process::id()
            ));
            std::fs::write(&path, portal.ca_pem().unwrap()).unwrap();
            path
        });
        let transport = HttpTransport::new(Settings {
            ca_file: ca_file.clone(),
            ..Settings::default()
        })
        .unwrap();
        let input = push_msg(&portal.url(PUSH_MSG), "CERT", "");
        let outcome = call::run(&input, &Env::live(&transport));
        assert_eq!(outcome.code, "000100", "{kind:?}: {}", outcome.output);
        assert!(
            outcome.output.contains(says),
            "{kind:?}: {}",
            outcome.output
        );
        assert!(
            portal.received().is_empty(),
            "{kind:?}: nothing may reach a portal whose certificate failed"
        );
        if let Some(path) = ca_file {
            let _ = std::fs::remove_file(path);
        }
    }
}

// --- secrets never shown ---------------------------------------------------------------------

/// Keeps what the library would have sent, and answers 503.
struct Capture(Mutex<Vec<Vec<u8>>>);

impl Transport for Capture {
    fn post(&self, _url: &str, body: &[u8]) -> Result<HttpAnswer, Error> {
        self.0.lock().unwrap().push(body.to_vec());
        Ok(HttpAnswer {
            status: 503,
            body: b"maintenance".to_vec(),
        })
    }
}

#[test]
fn the_keys_never_leave_in_the_request_the_trace_or_an_error() {
    let capture = Capture(Mutex::new(Vec::new()));
    let env = Env {
        transport: &capture,
        now: &|| ChinaTime::from_unix(1_652_172_984),
        nonce: &|| "0123456789abcdef0123456789abcdef".to_owned(),
    };
    let data_key = data_key_text();
    let url = "http://127.0.0.1:9/api/amp/hos/pushMsg";
    let mut inputs = vec![push_msg(url, "SEC-1", "")];
    // Refusals that quote the caller's values: none of them may quote the keys.
    for (from, to) in [
        ("\"encryptType\":\"SM4\"", "\"encryptType\":\"AES\""),
        ("\"signType\":\"SM3\"", "\"signType\":\"MD5\""),
        ("\"timestamp\":\"\"", "\"timestamp\":\"tomorrow\""),
        ("\"version\":\"1.0.0\"", "\"version\":1"),
        ("\"orgId\":\"H46010000000\"", "\"orgId\":[1]"),
    ] {
        inputs.push(push_msg(url, "SEC-2", "").replace(from, to));
    }
    inputs.push(push_msg(url, "SEC-3", "").replace(url, "ftp://nowhere"));
    let good = push_msg(url, "SEC-4", "");
    // Not JSON: the first object never closes.
    inputs.push(format!("{}, trailing", &good[..good.len() - 1]));
    // Since issue 10 item 13 a tail after the first object is ignored: this one is sent.
    inputs.push(good + "trailing");
    for input in &inputs {
        let outcome = call::run(input, &env);
        let trace = &outcome.trace;
        for shown in [
            &outcome.output,
            &trace.request_body,
            &trace.sign_text_masked,
            &format!("{trace:?}"),
        ] {
            assert!(!shown.contains(APP_KEY), "the appKey shown: {shown}");
            assert!(!shown.contains(&data_key), "the data key shown: {shown}");
        }
    }
    let sent = capture.0.lock().unwrap();
    assert_eq!(
        sent.len(),
        2,
        "only the good input and the one with an ignored tail were sent"
    );
    for body in sent.iter() {
        let body = String::from_utf8(body.clone()).unwrap();
        assert!(
            !body.contains(APP_KEY) && !body.contains(&data_key),
            "{body}"
        );
    }
    // The parsed input and the keys do not show themselves either.
    let parsed = onetrans::input::parse(&inputs[0]).unwrap();
    let debug = format!("{parsed:?} {:?}", DataKey::derive(APP_ID, &parsed.app_key));
    assert!(
        !debug.contains(APP_KEY) && !debug.contains(&data_key),
        "{debug}"
    );
}

// --- zeroed on drop -----------------------------------------------------------------------------

/// Compiles only for types that zero themselves when dropped.
fn zeroed_on_drop<T: ZeroizeOnDrop>() {}

#[test]
fn keys_in_memory_are_zeroed_when_dropped() {
    // Reading freed memory to "see" the zeros would be undefined behaviour; the types say it
    // instead, and the compiler checks them.
    // The appKey, wherever the library holds it (the parsed input holds an AppKey).
    zeroed_on_drop::<AppKey>();
    let parsed = onetrans::input::parse(&push_msg("http://127.0.0.1:9/x", "Z", "")).unwrap();
    let _: &AppKey = &parsed.app_key;
    // The data key: its 16 ASCII bytes are a Zeroizing<[u8; 16]>, its key schedule zeroes its
    // round keys in Drop (src/sm4.rs tests that itself).
    zeroed_on_drop::<onetrans::crypto::DataKey>();
    zeroed_on_drop::<onetrans::sm4::Sm4>();
    zeroed_on_drop::<Zeroizing<[u8; 16]>>();
    // The sign text, which ends with the appKey.
    let text: Zeroizing<String> = protocol::sign_text(&Map::new(), None, &AppKey::new("k"));
    assert!(text.ends_with("key=k"));
    zeroed_on_drop::<Zeroizing<String>>();
}

// --- signatures and nonces -----------------------------------------------------------------------

#[test]
fn signatures_are_compared_in_constant_time_and_every_bit_counts() {
    let text = "appId=zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN&nonceStr=x&key=k";
    let good = crypto::sign(text);
    assert!(crypto::verify(text, &good));
    assert!(
        crypto::verify(text, &good.to_lowercase()),
        "hex of either case"
    );
    let digest = crypto::hex_decode(&good).unwrap();
    for bit in 0..digest.len() * 8 {
        let mut flipped = digest.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        assert!(
            !crypto::verify(text, &crypto::hex_upper(&flipped)),
            "a flip of bit {bit} was accepted"
        );
    }
    for bad in [
        "",
        "00",
        &good[..62],
        &format!("{good}00"),
        &good.replace('A', "G"),
    ] {
        assert!(!crypto::verify(text, bad), "{bad:?}");
    }
    // The comparison itself is subtle's constant-time equality over the digest bytes; timing
    // is not measured in a test, the source is checked instead.
    let source = include_str!("../src/crypto.rs");
    assert!(
        source.contains("ct_eq(") && source.contains("use subtle::ConstantTimeEq"),
        "crypto::verify must compare with subtle::ConstantTimeEq"
    );
}

#[test]
fn an_answer_whose_nonce_is_not_the_requests_is_rejected() {
    let app_key = AppKey::new(APP_KEY);
    let key = DataKey::derive(APP_ID, &app_key);
    let sent = "0123456789abcdef0123456789abcdef";
    let reply = Reply {
        code: 0,
        message: "成功".into(),
        data: Some(onetrans::json::parse(r#"{"response":"SUCCESS"}"#).unwrap()),
        extra: String::new(),
    };
    let seal = |nonce: Option<&str>| {
        let mut request = Map::new();
        request.insert("appId".into(), APP_ID.into());
        if let Some(n) = nonce {
            request.insert("nonceStr".into(), n.into());
        }
        protocol::seal_response(&request, &reply, &key, &app_key, "2022-05-10 16:56:25")
    };
    let open =
        |body: String| protocol::open_response(body.as_bytes(), APP_ID, &key, &app_key, sent);
    assert!(
        open(seal(Some(sent))).is_ok(),
        "the request's own nonce opens"
    );
    // Correctly signed, but for another request; or with no nonce at all.
    for other in [
        Some("ffffffffffffffffffffffffffffffff"),
        Some("0123456789ABCDEF0123456789ABCDEF"),
        Some(""),
        None,
    ] {
        let err = open(seal(other)).unwrap_err();
        assert_eq!(err.code(), "000102", "{other:?}: {err}");
        assert!(err.message.contains("nonceStr"), "{err}");
    }
}

#[test]
fn a_million_nonces_from_eight_threads_never_repeat() {
    const THREADS: usize = 8;
    const EACH: usize = 125_000;
    let batches: Vec<Vec<u128>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    (0..EACH)
                        .map(|_| {
                            let nonce = protocol::new_nonce();
                            assert!(
                                nonce.len() == 32
                                    && nonce
                                        .bytes()
                                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                                "{nonce}"
                            );
                            u128::from_str_radix(&nonce, 16).unwrap()
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut seen = HashSet::with_capacity(THREADS * EACH);
    for nonce in batches.into_iter().flatten() {
        assert!(seen.insert(nonce), "nonce {nonce:032x} repeated");
    }
    assert_eq!(seen.len(), 1_000_000);
}
