//! Every vector of `spec/vectors.json` (the spec's, made with OpenSSL), reproduced byte for byte.

use onetrans::crypto::{self, AppKey, DataKey};
use onetrans::input;
use onetrans::json;
use onetrans::protocol::{self, Reply};
use serde_json::Value;

fn vectors() -> Value {
    let text = include_str!("../spec/vectors.json");
    serde_json::from_str(text).expect("vectors.json parses")
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn unhex(h: &str) -> Vec<u8> {
    crypto::hex_decode(h).expect("hex")
}

#[test]
fn the_copy_matches_the_shared_spec() {
    // The repository carries a copy so that it builds anywhere; where the shared spec sits beside
    // the checkout (every project machine and CI), the copy must not drift from it.
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/vectors.json");
    match std::fs::read(shared) {
        Ok(original) => assert_eq!(original, include_bytes!("../spec/vectors.json")),
        Err(_) => eprintln!("NOTE: {shared} not found; checked the repository's copy only"),
    }
}

#[test]
fn sm3() {
    let v = vectors();
    let cases = v["sm3"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let digest = crypto::sm3(s(case, "input_utf8").as_bytes());
        assert_eq!(
            crypto::hex_upper(&digest).to_lowercase(),
            s(case, "digest_hex")
        );
    }
}

#[test]
fn sm4_blocks_including_a_million_iterations() {
    let v = vectors();
    let cases = v["sm4_block"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let key: [u8; 16] = unhex(s(case, "key_hex")).try_into().unwrap();
        let plain: [u8; 16] = unhex(s(case, "plain_hex")).try_into().unwrap();
        let iterations = case["iterations"].as_u64().unwrap_or(1);
        // The block primitive, with one key schedule for all iterations.
        let cipher = onetrans::sm4::Sm4::new(&key);
        let mut block = plain;
        for _ in 0..iterations {
            cipher.encrypt_block(&mut block);
        }
        assert_eq!(
            crypto::hex_upper(&block).to_lowercase(),
            s(case, "cipher_hex")
        );
        if iterations == 1 {
            // The same block through the public one-shot helper and through the ECB-PKCS7 path
            // the protocol uses (its first ciphertext block).
            let mut single = plain;
            crypto::sm4_encrypt_block(&key, &mut single);
            assert_eq!(single, block);
            let ecb = DataKey::from_ascii(key).encrypt(&plain);
            assert_eq!(&ecb[..16], &block);
        }
    }
}

#[test]
fn data_keys() {
    let v = vectors();
    let cases = v["data_key"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let key = DataKey::derive(s(case, "appId"), &AppKey::new(s(case, "appKey")));
        assert_eq!(
            key.expose(),
            s(case, "key_ascii").as_bytes(),
            "{}",
            s(case, "source")
        );
    }
}

#[test]
fn enc_data_both_ways() {
    let v = vectors();
    let cases = v["encrypt"].as_array().unwrap();
    assert_eq!(cases.len(), 15);
    for case in cases {
        let key = DataKey::derive(s(case, "appId"), &AppKey::new(s(case, "appKey")));
        let plain = s(case, "plain_utf8");
        assert_eq!(
            key.encrypt_hex(plain.as_bytes()),
            s(case, "encData"),
            "{plain:?}"
        );
        assert_eq!(
            key.decrypt_hex(s(case, "encData")).unwrap(),
            plain.as_bytes()
        );
    }
}

#[test]
fn canonical_json() {
    let v = vectors();
    let cases = v["canonical"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    for case in cases {
        let value = json::parse(s(case, "json")).unwrap();
        assert_eq!(
            protocol::canonical_json(&value),
            s(case, "canonical"),
            "{}",
            s(case, "json")
        );
    }
}

#[test]
fn request_envelopes() {
    let v = vectors();
    let cases = v["request"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = s(case, "name");
        let parsed = input::parse(s(case, "input")).unwrap();
        assert_eq!(
            json::compact(&parsed.business),
            s(case, "business_data_json"),
            "{name}"
        );
        let key = DataKey::derive(&parsed.app_id, &parsed.app_key);
        let timestamp = parsed.timestamp.clone().expect("vectors carry a timestamp");
        let nonce = s(case, "nonceStr");
        let sealed = protocol::seal_request(&parsed, &key, &timestamp, nonce);
        assert_eq!(sealed.body, s(case, "envelope_json"), "{name}");
        let envelope = json::parse(&sealed.body).unwrap();
        let text = protocol::sign_text(
            envelope.as_object().unwrap(),
            Some(&parsed.business),
            &parsed.app_key,
        );
        assert_eq!(text.as_str(), s(case, "sign_text"), "{name}");
        assert_eq!(
            sealed.sign_text_masked,
            protocol::mask_key(s(case, "sign_text"), parsed.app_key.expose())
        );
        assert!(sealed.sign_text_masked.ends_with("&key=***"));
    }
}

#[test]
fn responses_verify_and_render_the_spec_output() {
    let v = vectors();
    let cases = v["response"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = s(case, "name");
        let app_id = s(case, "appId");
        let app_key = AppKey::new(s(case, "appKey"));
        let key = DataKey::derive(app_id, &app_key);
        let body = s(case, "response_json");
        let answer = protocol::open_response(
            body.as_bytes(),
            app_id,
            &key,
            &app_key,
            s(case, "request_nonceStr"),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            onetrans::output::success(&answer),
            s(case, "output_json"),
            "{name}"
        );
        let envelope = json::parse(body).unwrap();
        let text = protocol::sign_text(
            envelope.as_object().unwrap(),
            answer.data.as_ref(),
            &app_key,
        );
        assert_eq!(text.as_str(), s(case, "sign_text"), "{name}");
    }
}

#[test]
fn the_portal_side_seals_the_spec_responses() {
    // The simulator answers with `seal_response`; given the request's members, the same
    // timestamp and the data, it must produce the spec's response bytes.
    let v = vectors();
    for case in v["response"].as_array().unwrap() {
        let app_key = AppKey::new(s(case, "appKey"));
        let key = DataKey::derive(s(case, "appId"), &app_key);
        let expected = json::parse(s(case, "response_json")).unwrap();
        let field = |name: &str| expected.get(name).and_then(json::Value::as_str).unwrap();
        let mut request = json::Map::new();
        request.insert("appId".into(), s(case, "appId").into());
        request.insert("orgId".into(), field("orgId").into());
        request.insert("nonceStr".into(), s(case, "request_nonceStr").into());
        let data = expected
            .get("encData")
            .map(|e| json::parse_bytes(&key.decrypt_hex(e.as_str().unwrap()).unwrap()).unwrap());
        let code = match expected.get("code") {
            Some(json::Value::Number(n)) => n.as_i64().unwrap(),
            other => panic!("code {other:?}"),
        };
        let reply = Reply {
            code,
            message: field("message").to_owned(),
            data,
            extra: field("extra").to_owned(),
        };
        let sealed = protocol::seal_response(&request, &reply, &key, &app_key, field("timestamp"));
        assert_eq!(sealed, s(case, "response_json"), "{}", s(case, "name"));
    }
}
