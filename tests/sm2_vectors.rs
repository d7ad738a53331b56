//! The `sm2`, `sm2_request` and `sm2_response` vectors of `spec/vectors.json` (spec section 11)
//! against `onetrans::sm2`: key formats, refused keys, Z values, signatures, and the sign texts
//! of the request and response envelopes (rebuilt with `onetrans::protocol::sign_text`), and the
//! library's own request builder and answer check with the vectors' inputs.

use onetrans::crypto::{self, AppKey, DataKey};
use onetrans::json::{self, Value};
use onetrans::protocol;
use onetrans::signing::{self, SignType, Sm2Defaults};
use onetrans::sm2::{self, KeyKind, PrivateKey, PublicKey, UserId};

fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("../spec/vectors.json")).expect("vectors.json parses")
}

fn s<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn public(hex: &str) -> PublicKey {
    PublicKey::parse("public_hex", hex).expect("a vector's public key parses")
}

fn user(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

#[test]
fn the_default_user_id_is_the_specs() {
    assert_eq!(
        s(&vectors()["sm2"], "user_id_default"),
        sm2::DEFAULT_USER_ID
    );
    assert_eq!(UserId::default().as_str(), sm2::DEFAULT_USER_ID);
}

#[test]
fn key_pairs_match_and_print_in_their_formats() {
    let v = vectors();
    let keys = v["sm2"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    for pair in keys {
        let name = s(pair, "name");
        let d = PrivateKey::parse("private_hex", s(pair, "private_hex")).unwrap();
        let java =
            PrivateKey::parse("private_java_base64", s(pair, "private_java_base64")).unwrap();
        assert_eq!(*d.to_bytes(), *java.to_bytes(), "{name}");
        assert_eq!(*d.to_hex(), s(pair, "private_hex"), "{name}");
        assert_eq!(
            *d.to_java_base64(),
            s(pair, "private_java_base64"),
            "{name}"
        );
        let q = public(s(pair, "public_hex"));
        assert_eq!(q, public(s(pair, "public_base64")), "{name}");
        assert_eq!(
            sm2::public_of(&d),
            q,
            "{name}: the private key's public half"
        );
        assert_eq!(q.to_hex(), s(pair, "public_hex"), "{name}");
        assert_eq!(q.to_base64(), s(pair, "public_base64"), "{name}");
    }
}

#[test]
fn every_key_format_parses_to_its_value() {
    let v = vectors();
    let formats = v["sm2"]["key_formats"].as_array().unwrap();
    assert_eq!(formats.len(), 11);
    for case in formats {
        let (text, note, expect) = (s(case, "text"), s(case, "note"), s(case, "expect_hex"));
        match s(case, "kind") {
            "private" => {
                let d = PrivateKey::parse("clientPrvKey", text)
                    .unwrap_or_else(|e| panic!("{note}: {e}"));
                assert_eq!(*d.to_hex(), expect, "{note}");
                // Not a public key, whatever its format.
                assert!(PublicKey::parse("serverPubKey", text).is_err(), "{note}");
            }
            "public" => {
                let q = PublicKey::parse("serverPubKey", text)
                    .unwrap_or_else(|e| panic!("{note}: {e}"));
                assert_eq!(q.to_hex(), expect, "{note}");
                assert!(PrivateKey::parse("clientPrvKey", text).is_err(), "{note}");
            }
            other => panic!("unknown kind {other}"),
        }
    }
}

/// The PEM vectors are OpenSSL's output; the key generator's PEM must be the same bytes.
#[test]
fn pem_output_is_openssls() {
    let v = vectors();
    let client = &v["sm2"]["keys"][0];
    let d = PrivateKey::parse("k", s(client, "private_hex")).unwrap();
    let q = sm2::public_of(&d);
    let pem_of = |note_start: &str| {
        v["sm2"]["key_formats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| s(c, "note").starts_with(note_start))
            .map(|c| s(c, "text").to_owned())
            .unwrap()
    };
    assert_eq!(*d.to_pkcs8_pem(), pem_of("PKCS#8 PEM"));
    assert_eq!(q.to_spki_pem(), pem_of("SubjectPublicKeyInfo PEM"));
    // The spec's SEC 1 vector writes its outer length in the long form (`30 81 77`, BER, which
    // OpenSSL reads); ours is DER (`30 77`). Same contents after that header.
    let der_of = |pem: &str| {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    };
    let ours = der_of(&d.to_sec1_pem());
    let spec = der_of(&pem_of("SEC 1 PEM"));
    assert_eq!(ours[..2], [0x30, 0x77]);
    assert_eq!(spec[..3], [0x30, 0x81, 0x77]);
    assert_eq!(ours[2..], spec[3..]);
}

#[test]
fn every_bad_key_is_refused_by_name_without_echoing_it() {
    let v = vectors();
    let bad = v["sm2"]["bad_key_formats"].as_array().unwrap();
    assert_eq!(bad.len(), 5);
    for case in bad {
        let (text, why) = (s(case, "text"), s(case, "why"));
        let err = match s(case, "kind") {
            "private" => PrivateKey::parse("clientPrvKey", text).unwrap_err(),
            _ => PublicKey::parse("serverPubKey", text).unwrap_err(),
        };
        let message = err.to_string();
        let name = match err.kind {
            KeyKind::Private => "clientPrvKey",
            KeyKind::Public => "serverPubKey",
        };
        assert!(message.starts_with(name), "{why}: {message}");
        assert!(
            message.contains(&format!("({name} is not a valid SM2")),
            "{why}: {message}"
        );
        assert!(
            !message.contains(text),
            "{why}: the message echoes the key: {message}"
        );
        assert!(
            !format!("{err:?}").contains(text),
            "{why}: Debug echoes the key"
        );
        println!("{why}: {message}");
    }
}

#[test]
fn z_values() {
    let v = vectors();
    let cases = v["sm2"]["z"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let z = sm2::z(&user(s(case, "user_id")), &public(s(case, "public_hex")));
        assert_eq!(crypto::hex_upper(&z), s(case, "z_hex"));
    }
}

#[test]
fn every_verify_vector_gives_its_result() {
    let v = vectors();
    let cases = v["sm2"]["verify"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    for case in cases {
        let valid = sm2::verify(
            &public(s(case, "public_hex")),
            &user(s(case, "user_id")),
            s(case, "message_utf8").as_bytes(),
            s(case, "signature_base64"),
        );
        assert_eq!(
            valid,
            case["valid"].as_bool().unwrap(),
            "{}",
            s(case, "note")
        );
    }
}

/// The r‖s and DER vectors are the same signature; `decode_signature` reads both alike, and
/// `signature_to_der` writes the DER one.
#[test]
fn both_signature_encodings_decode_alike() {
    let v = vectors();
    let cases = v["sm2"]["verify"].as_array().unwrap();
    let raw = s(&cases[0], "signature_base64");
    let der = s(&cases[2], "signature_base64");
    let decoded = sm2::decode_signature(raw).unwrap();
    assert_eq!(sm2::decode_signature(der), Some(decoded));
    let der_bytes = sm2::signature_to_der(&decoded).unwrap();
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(der_bytes),
        der
    );
}

/// What section 11 calls "anything else" is not a signature.
#[test]
fn other_signature_texts_are_false() {
    let v = vectors();
    let case = &v["sm2"]["verify"][0];
    let q = public(s(case, "public_hex"));
    let msg = s(case, "message_utf8").as_bytes();
    let good = s(case, "signature_base64");
    let id = UserId::default();
    assert!(sm2::verify(&q, &id, msg, good));
    let raw = sm2::decode_signature(good).unwrap();
    let hex = crypto::hex_upper(&raw);
    let unpadded = good.trim_end_matches('=');
    let url_safe = good.replace('+', "-").replace('/', "_");
    let wrapped = format!("{}\n{}", &good[..40], &good[40..]);
    let spaced = format!(" {good}");
    let longer = format!("{}AAAA", &good[..good.len() - 2]);
    for other in [
        "",
        "not base64!",
        hex.as_str(),
        unpadded,
        url_safe.as_str(),
        wrapped.as_str(),
        spaced.as_str(),
        longer.as_str(),
    ] {
        assert!(!sm2::verify(&q, &id, msg, other), "{other:?}");
    }
    // r ≥ n is not reduced into range.
    let mut big_r = raw;
    big_r[..32].copy_from_slice(&[0xff; 32]);
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(big_r);
    assert!(!sm2::verify(&q, &id, msg, &text));
    assert!(sm2::decode_signature(&text).is_none());
}

/// The business data of an envelope, decrypted.
fn decrypted_data(envelope: &json::Map, key: &DataKey) -> Option<Value> {
    match envelope.get("encData") {
        Some(Value::String(hex)) if !hex.is_empty() => {
            let plain = key.decrypt_hex(hex).expect("encData decrypts");
            Some(json::parse_bytes(&plain).expect("encData is JSON"))
        }
        _ => None,
    }
}

fn object(text: &str) -> json::Map {
    match json::parse(text).expect("JSON") {
        Value::Object(map) => map,
        other => panic!("not an object: {other:?}"),
    }
}

/// Each request envelope: its sign text (section 4, rebuilt from the envelope and the decrypted
/// data) is the vector's, its `signData` verifies with the client's public key, the input's
/// keys parse to the client's pair and the server's public key, and neither key travels.
#[test]
fn request_envelopes_are_signed_over_their_sign_text() {
    let v = vectors();
    let cases = v["sm2_request"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    let server = public(s(&v["sm2"]["keys"][1], "public_hex"));
    for case in cases {
        let name = s(case, "name");
        let input: serde_json::Value = serde_json::from_str(s(case, "input")).unwrap();
        let data = &input["data"];
        let app_key = AppKey::new(s(data, "appKey"));
        let client_prv = PrivateKey::parse("clientPrvKey", s(data, "clientPrvKey")).unwrap();
        let client_pub = public(s(case, "client_public_hex"));
        assert_eq!(sm2::public_of(&client_prv), client_pub, "{name}");
        assert_eq!(
            PublicKey::parse("serverPubKey", s(data, "serverPubKey")).unwrap(),
            server
        );

        let body = s(case, "envelope_json");
        let envelope = object(body);
        assert_eq!(
            envelope.get("signType").and_then(Value::as_str),
            Some("SM2"),
            "{name}"
        );
        assert_eq!(
            envelope.get("nonceStr").and_then(Value::as_str),
            Some(s(case, "nonceStr"))
        );
        let key = DataKey::derive(s(data, "appId"), &app_key);
        let business = decrypted_data(&envelope, &key).expect("a request carries data");
        // The keys are split out of `data` like appKey: neither is sent.
        for secret in ["clientPrvKey", "serverPubKey", "appKey"] {
            assert!(
                business.get(secret).is_none(),
                "{name}: {secret} in encData"
            );
            assert!(!body.contains(secret), "{name}: {secret} in the envelope");
        }
        assert!(!body.contains(s(data, "clientPrvKey")), "{name}");
        // encData is the data's compact JSON, encrypted: byte-exact.
        let enc = key.encrypt_hex(json::compact(&business).as_bytes());
        assert_eq!(
            envelope.get("encData").and_then(Value::as_str),
            Some(enc.as_str())
        );

        let text = protocol::sign_text(&envelope, Some(&business), &app_key);
        assert_eq!(text.as_str(), s(case, "sign_text"), "{name}");
        let sign_data = envelope.get("signData").and_then(Value::as_str).unwrap();
        let id = UserId::default();
        assert!(
            sm2::verify(&client_pub, &id, text.as_bytes(), sign_data),
            "{name}"
        );
        assert!(
            !sm2::verify(&server, &id, text.as_bytes(), sign_data),
            "{name}"
        );
        // A signature of ours over the same text verifies the same way.
        let ours = sm2::sign_base64(&client_prv, &id, text.as_bytes());
        assert!(
            sm2::verify(&client_pub, &id, text.as_bytes(), &ours),
            "{name}"
        );
        assert_ne!(ours, sign_data, "{name}: a fresh k every signature");
    }
}

/// Each portal answer: its sign text is the vector's and its `signData` verifies with the
/// server's public key (and not with the client's).
#[test]
fn response_envelopes_verify_with_the_server_key() {
    let v = vectors();
    let cases = v["sm2_response"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    let client = &v["sm2"]["keys"][0];
    for case in cases {
        let name = s(case, "name");
        let client_prv = PrivateKey::parse("clientPrvKey", s(case, "client_private_hex")).unwrap();
        assert_eq!(sm2::public_of(&client_prv), public(s(client, "public_hex")));
        let server = public(s(case, "server_public_hex"));
        let app_key = AppKey::new(s(case, "appKey"));
        let key = DataKey::derive(s(case, "appId"), &app_key);
        let envelope = object(s(case, "response_json"));
        assert_eq!(
            envelope.get("signType").and_then(Value::as_str),
            Some("SM2")
        );
        assert_eq!(
            envelope.get("nonceStr").and_then(Value::as_str),
            Some(s(case, "request_nonceStr"))
        );
        let data = decrypted_data(&envelope, &key);
        let text = protocol::sign_text(&envelope, data.as_ref(), &app_key);
        assert_eq!(text.as_str(), s(case, "sign_text"), "{name}");
        let sign_data = envelope.get("signData").and_then(Value::as_str).unwrap();
        let id = UserId::default();
        assert!(
            sm2::verify(&server, &id, text.as_bytes(), sign_data),
            "{name}"
        );
        assert!(
            !sm2::verify(
                &sm2::public_of(&client_prv),
                &id,
                text.as_bytes(),
                sign_data
            ),
            "{name}"
        );
        // The output's data is the decrypted data (rendering is the integration's).
        let output = object(s(case, "output_json"));
        let expected = output.get("data").cloned().unwrap_or(Value::Null);
        assert_eq!(data.unwrap_or(Value::Null), expected, "{name}");
    }
}

/// The library's request builder, with each `sm2_request` vector's input, nonce and timestamp:
/// the envelope is byte-identical to the vector's except `signData`, which verifies under the
/// client's public key over the vector's sign text.
#[test]
fn the_library_builds_every_sm2_request_envelope() {
    let v = vectors();
    for case in v["sm2_request"].as_array().unwrap() {
        let name = s(case, "name");
        let parsed = onetrans::input::parse(s(case, "input")).unwrap();
        assert_eq!(parsed.sign_type, SignType::Sm2, "{name}");
        let signing = signing::resolve(parsed.sign_type, &parsed.keys, &Sm2Defaults::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let key = DataKey::derive(&parsed.app_id, &parsed.app_key);
        let timestamp = parsed.timestamp.clone().expect("vectors carry a timestamp");
        let sealed =
            protocol::seal_request_with(&parsed, &key, &timestamp, s(case, "nonceStr"), &signing);
        let mut ours = object(&sealed.body);
        let mut theirs = object(s(case, "envelope_json"));
        let our_sign = ours.insert("signData".into(), Value::Null).unwrap();
        theirs.insert("signData".into(), Value::Null);
        assert_eq!(
            json::compact(&Value::Object(ours)),
            json::compact(&Value::Object(theirs)),
            "{name}"
        );
        // signData is the last member: the bodies agree byte for byte up to it.
        let cut = |body: &str| body[..body.find("\"signData\":").unwrap()].to_owned();
        assert_eq!(cut(&sealed.body), cut(s(case, "envelope_json")), "{name}");
        let client_pub = public(s(case, "client_public_hex"));
        assert!(
            sm2::verify(
                &client_pub,
                &UserId::default(),
                s(case, "sign_text").as_bytes(),
                our_sign.as_str().unwrap()
            ),
            "{name}"
        );
        assert!(sealed.sign_text_masked.ends_with("&key=***"), "{name}");
    }
}

/// Each `sm2_response` vector through the library's answer check with the server's public key:
/// it verifies and renders to its `output_json`; the same answer under another `serverPubKey`,
/// tampered, downgraded to `SM3`, or with a signature in neither encoding is `000102`.
#[test]
fn the_library_verifies_and_renders_every_sm2_response() {
    let v = vectors();
    for case in v["sm2_response"].as_array().unwrap() {
        let name = s(case, "name");
        let app_id = s(case, "appId");
        let app_key = AppKey::new(s(case, "appKey"));
        let key = DataKey::derive(app_id, &app_key);
        let signing_with = |server_pub: &str| {
            let keys = signing::CallKeys {
                client_prv_key: Some(signing::SecretText::new(
                    s(case, "client_private_hex").to_owned(),
                )),
                server_pub_key: Some(server_pub.to_owned()),
            };
            signing::resolve(SignType::Sm2, &keys, &Sm2Defaults::default()).unwrap()
        };
        let right = signing_with(s(case, "server_public_hex"));
        let open = |body: &str, signing: &signing::Signing| {
            protocol::open_response_with(
                body.as_bytes(),
                app_id,
                &key,
                &app_key,
                s(case, "request_nonceStr"),
                signing,
            )
        };
        let body = s(case, "response_json");
        let answer = open(body, &right).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            onetrans::output::success(&answer),
            s(case, "output_json"),
            "{name}"
        );
        // The DER encoding of the same signature is accepted too.
        let envelope = object(body);
        let rs = sm2::decode_signature(envelope["signData"].as_str().unwrap()).unwrap();
        let der = sm2::signature_to_der_base64(&rs).unwrap();
        let with = |member: &str, value: &str| {
            let mut e = envelope.clone();
            e.insert(member.into(), value.into());
            json::compact(&Value::Object(e))
        };
        assert!(open(&with("signData", &der), &right).is_ok(), "{name}");

        let code = |body: &str, signing: &signing::Signing| match open(body, signing) {
            Ok(_) => "000000".to_owned(),
            Err(e) => e.code().to_owned(),
        };
        let other_server = sm2::public_of(&sm2::generate()).to_hex();
        assert_eq!(code(body, &signing_with(&other_server)), "000102", "{name}");
        assert_eq!(code(&with("message", "改"), &right), "000102", "{name}");
        assert_eq!(code(&with("signType", "SM3"), &right), "000102", "{name}");
        for bad in ["", "AAAA", "not base64!", &onetrans::crypto::sign("x")] {
            assert_eq!(code(&with("signData", bad), &right), "000102", "{bad}");
        }
        // A correct SM3 signature under signType SM3 (a downgrade) is refused.
        let mut downgraded = envelope.clone();
        downgraded.insert("signType".into(), "SM3".into());
        let data = decrypted_data(&downgraded, &key);
        let text = protocol::sign_text(&downgraded, data.as_ref(), &app_key);
        downgraded.insert("signData".into(), onetrans::crypto::sign(&text).into());
        let downgraded = json::compact(&Value::Object(downgraded));
        assert_eq!(code(&downgraded, &right), "000102", "{name}");
        let message = open(&downgraded, &right).unwrap_err().message;
        assert!(message.contains("signType"), "{message}");
    }
}
