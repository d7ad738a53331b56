//! The portal's answer: any bytes through `protocol::open_response` (spec section 5), and any
//! JSON value sealed correctly by the portal's side (`protocol::seal_response`).
//!
//! Oracles: a refused answer gets one of the codes of spec section 7 and a failure output that
//! is JSON; an accepted raw answer renders to JSON; a correctly sealed answer always opens and
//! gives back exactly the data that was sealed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use onetrans::crypto::{AppKey, DataKey};
use onetrans::json::{self, Map, Value};
use onetrans::protocol::{self, Reply};

const APP_ID: &str = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN";
const APP_KEY: &str = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";
const NONCE: &str = "0123456789abcdef0123456789abcdef";

fn codes_ok(code: &str) -> bool {
    match code {
        "000101" | "000102" | "000002" => true,
        // A rejection passes the portal's code through, cleaned to printable ASCII.
        other => {
            !other.is_empty() && other.len() <= 32 && other.bytes().all(|b| b.is_ascii_graphic())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let app_key = AppKey::new(APP_KEY);
    let key = DataKey::derive(APP_ID, &app_key);
    match protocol::open_response(data, APP_ID, &key, &app_key, NONCE) {
        Ok(answer) => {
            json::parse(&onetrans::output::success(&answer)).expect("success output is JSON");
        }
        Err(e) => {
            assert!(codes_ok(e.code()), "unexpected code {}", e.code());
            // The key can show only where the answer itself carried it (a body preview).
            let in_body = data.windows(APP_KEY.len()).any(|w| w == APP_KEY.as_bytes());
            assert!(
                in_body || !e.message.contains(APP_KEY),
                "the appKey in an error message"
            );
            json::parse(&onetrans::output::failure(&e, Some("H1")))
                .expect("failure output is JSON");
        }
    }
    if let Ok(value) = json::parse_bytes(data) {
        let mut request = Map::new();
        request.insert("appId".into(), APP_ID.into());
        request.insert("orgId".into(), "H46010000000".into());
        request.insert("nonceStr".into(), NONCE.into());
        let reply = Reply {
            code: 0,
            message: "成功".into(),
            data: Some(value.clone()),
            extra: String::new(),
        };
        let body = protocol::seal_response(&request, &reply, &key, &app_key, "2022-05-10 16:56:24");
        let answer = protocol::open_response(body.as_bytes(), APP_ID, &key, &app_key, NONCE)
            .unwrap_or_else(|e| panic!("a correctly sealed answer must open: {e}\n{body}"));
        assert_eq!(
            answer.data,
            Some(value),
            "the sealed data comes back unchanged"
        );
        assert_eq!(answer.code, Value::from(0));
    }
});
