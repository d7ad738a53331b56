//! The caller's input: the library's JSON parser on any bytes, then the input rules of spec
//! section 1, the orgId hint of failure outputs and the log's masking.
//!
//! Oracles besides "no panic, no hang, no overflow": the byte and text parsers agree; every
//! parsed value renders (compact, canonical, pretty) to JSON that parses again, compact and
//! pretty to the same value; a refused input is always `000105`; an accepted one has a
//! `serverAddr`, an appId of at least 16 bytes and an object as business data.

#![no_main]

use libfuzzer_sys::fuzz_target;
use onetrans::json::{self, Value};

fuzz_target!(|data: &[u8]| {
    let from_bytes = json::parse_bytes(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let from_text = json::parse(text);
        assert_eq!(from_bytes, from_text, "parse_bytes and parse disagree");
        match onetrans::input::parse(text) {
            Ok(input) => {
                assert!(input.app_id.len() >= 16);
                assert!(!input.server_addr.is_empty());
                assert!(matches!(input.business, Value::Object(_)));
                // The business data goes on the wire as compact JSON and must come back equal.
                let wire = json::compact(&input.business);
                assert_eq!(
                    json::parse(&wire).expect("compact business data parses"),
                    input.business
                );
            }
            Err(e) => assert_eq!(e.code(), "000105", "{e}"),
        }
        let _ = onetrans::input::org_id_hint(text);
        let masked = onetrans::log::mask_json_text(text);
        if from_text.is_ok() {
            json::parse(&masked).expect("the masked log text of JSON is JSON");
        }
    }
    if let Ok(value) = from_bytes {
        let compact = json::compact(&value);
        let again = json::parse(&compact).expect("compact output parses");
        assert_eq!(again, value, "compact round trip");
        assert_eq!(json::compact(&again), compact, "compact is a fixpoint");
        json::parse(&onetrans::protocol::canonical_json(&value)).expect("canonical output parses");
        assert_eq!(
            json::parse(&json::pretty(&value)).expect("pretty output parses"),
            value
        );
    }
});
