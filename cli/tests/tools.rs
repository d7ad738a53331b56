//! `onetrans key | encrypt | decrypt | sign` reproduce the spec's vectors byte for byte.

mod common;

use common::{run, s, temp_file, vectors, APP_KEY};
use onetrans::json::{self, Value};

#[test]
fn key_reproduces_every_data_key_vector() {
    for v in vectors("data_key") {
        let (id, key, expected) = (s(&v, "appId"), s(&v, "appKey"), s(&v, "key_ascii"));
        let r = run(&["key", "--app-id", id, "--app-key", key, "--bare"], None);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, format!("{expected}\n").as_str()),
            "{r:?}"
        );
        let r = run(&["key", "--app-id", id, "--app-key", key], None);
        assert!(
            r.stdout
                .contains(&format!("数据密钥 / data key: {expected}")),
            "{r:?}"
        );
    }
}

#[test]
fn encrypt_reproduces_every_encrypt_vector() {
    let all = vectors("encrypt");
    assert!(all.len() >= 5);
    for v in all {
        let (id, key) = (s(&v, "appId"), s(&v, "appKey"));
        let (plain, expected) = (s(&v, "plain_utf8"), s(&v, "encData"));
        let r = run(
            &["encrypt", "--app-id", id, "--app-key", key, "--bare", plain],
            None,
        );
        assert_eq!(
            (r.code, r.stdout.trim_end()),
            (0, expected),
            "{plain:?}: {r:?}"
        );
        let r = run(&["encrypt", "--app-id", id, "--app-key", key, plain], None);
        assert!(r.stdout.contains(&format!("encData: {expected}")), "{r:?}");
        assert!(
            !r.stdout.contains("data key"),
            "the key shows only with --show-key: {r:?}"
        );
    }
}

#[test]
fn decrypt_inverts_every_encrypt_vector() {
    for v in vectors("encrypt") {
        let (id, key) = (s(&v, "appId"), s(&v, "appKey"));
        let (plain, enc) = (s(&v, "plain_utf8"), s(&v, "encData"));
        let r = run(
            &["decrypt", "--app-id", id, "--app-key", key, "--bare", enc],
            None,
        );
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, format!("{plain}\n").as_str()),
            "{r:?}"
        );
        // Lower-case hex from standard input works too.
        let lower = enc.to_ascii_lowercase();
        let r = run(
            &["decrypt", "--app-id", id, "--app-key", key],
            Some(lower.as_bytes()),
        );
        assert!(
            r.stdout.contains(&format!("明文 / plain text: {plain}")),
            "{r:?}"
        );
    }
}

#[test]
fn credentials_come_from_an_input_file_and_stdin_carries_the_plain_text() {
    let v = &vectors("encrypt")[2];
    let input = format!(
        r#"{{"data":{{"serverAddr":"http://127.0.0.1:1/x","appId":"{}","appKey":"{}"}}}}"#,
        s(v, "appId"),
        s(v, "appKey")
    );
    let file = temp_file("creds.json", input.as_bytes());
    let file = file.to_str().unwrap();
    let plain = format!("{}\n", s(v, "plain_utf8"));
    let r = run(
        &["encrypt", "--input", file, "--show-key"],
        Some(plain.as_bytes()),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains(&format!("encData: {}", s(v, "encData"))),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("数据密钥 / data key: C3AE5873D08418DA"),
        "{r:?}"
    );
    let r = run(&["key", "--input", file, "--bare"], None);
    assert_eq!(r.stdout.trim(), "C3AE5873D08418DA");
}

#[test]
fn encrypt_compact_renders_the_wire_form_first() {
    let v = &vectors("encrypt")[2];
    let spaced = "{ \"患者\": \"周大鹏\", \"amt\": 12.50 }";
    let args = [
        "encrypt",
        "--app-id",
        s(v, "appId"),
        "--app-key",
        s(v, "appKey"),
        "--bare",
    ];
    let mut with_compact = args.to_vec();
    with_compact.extend(["--compact", spaced]);
    let r = run(&with_compact, None);
    assert_eq!(r.stdout.trim_end(), s(v, "encData"), "{r:?}");
    let mut without = args.to_vec();
    without.push(spaced);
    let r = run(&without, None);
    assert_ne!(r.stdout.trim_end(), s(v, "encData"));
    assert!(
        r.stderr.contains("--compact"),
        "a hint for non-compact JSON: {r:?}"
    );
}

#[test]
fn sign_reproduces_every_request_vector() {
    for (i, v) in vectors("request").iter().enumerate() {
        let envelope = temp_file(
            &format!("request-{i}.json"),
            s(v, "envelope_json").as_bytes(),
        );
        let input = temp_file(&format!("input-{i}.json"), s(v, "input").as_bytes());
        let (envelope, input) = (envelope.to_str().unwrap(), input.to_str().unwrap());
        let env = json::parse(s(v, "envelope_json")).unwrap();
        let sign_data = env.get("signData").and_then(Value::as_str).unwrap();

        let r = run(&["sign", envelope, "--input", input, "--show-key"], None);
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            r.stdout
                .lines()
                .any(|l| l == format!("签名原文 / sign text: {}", s(v, "sign_text"))),
            "vector {i}: {}",
            r.stdout
        );
        assert!(
            r.stdout
                .lines()
                .any(|l| l == format!("signData: {sign_data}")),
            "{r:?}"
        );
        assert!(
            r.stdout.contains("matches the envelope's signData"),
            "{r:?}"
        );
        assert!(
            r.stdout
                .contains(&format!("decrypted data: {}", s(v, "business_data_json"))),
            "{r:?}"
        );

        // Masked by default.
        let r = run(&["sign", envelope, "--input", input], None);
        let masked = s(v, "sign_text").replace(&format!("key={APP_KEY}"), "key=***");
        assert!(
            r.stdout
                .contains(&format!("签名原文 / sign text: {masked}")),
            "{r:?}"
        );
        assert!(!r.all().contains(APP_KEY), "{r:?}");

        // The plain data given instead of decrypting; the envelope's encData is checked.
        let r = run(
            &[
                "sign",
                envelope,
                "--app-key",
                APP_KEY,
                "--data",
                s(v, "business_data_json"),
                "--bare",
            ],
            None,
        );
        assert_eq!((r.code, r.stdout.trim_end()), (0, sign_data), "{r:?}");
        let r = run(
            &[
                "sign",
                envelope,
                "--input",
                input,
                "--data",
                s(v, "business_data_json"),
            ],
            None,
        );
        assert!(
            r.stdout.contains("the envelope's encData matches --data"),
            "{r:?}"
        );
    }
}

#[test]
fn sign_takes_enc_data_and_inline_envelopes() {
    let v = &vectors("request")[1];
    let mut env = json::parse(s(v, "envelope_json")).unwrap();
    let Value::Object(map) = &mut env else {
        panic!()
    };
    let enc = map.shift_remove("encData").unwrap();
    let sign_data = map
        .get("signData")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    let inline = json::compact(&env);
    let r = run(
        &[
            "sign",
            &inline,
            "--app-key",
            APP_KEY,
            "--app-id",
            common::APP_ID,
            "--enc-data",
            enc.as_str().unwrap(),
            "--bare",
        ],
        None,
    );
    assert_eq!(
        (r.code, r.stdout.trim_end()),
        (0, sign_data.as_str()),
        "{r:?}"
    );
    // From standard input.
    let r = run(
        &[
            "sign",
            "-",
            "--app-key",
            APP_KEY,
            "--data",
            s(v, "business_data_json"),
        ],
        Some(inline.as_bytes()),
    );
    assert!(
        r.stdout.contains(&format!("signData: {sign_data}")),
        "{r:?}"
    );
}

#[test]
fn sign_reproduces_every_response_vector() {
    for (i, v) in vectors("response").iter().enumerate() {
        let file = temp_file(
            &format!("response-{i}.json"),
            s(v, "response_json").as_bytes(),
        );
        let file = file.to_str().unwrap();
        let r = run(
            &["sign", file, "--app-key", s(v, "appKey"), "--show-key"],
            None,
        );
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            r.stdout
                .lines()
                .any(|l| l == format!("签名原文 / sign text: {}", s(v, "sign_text"))),
            "vector {i}: {}",
            r.stdout
        );
        let answer = json::parse(s(v, "response_json")).unwrap();
        let sign_data = answer.get("signData").and_then(Value::as_str).unwrap();
        let r = run(&["sign", file, "--app-key", s(v, "appKey"), "--bare"], None);
        assert_eq!(r.stdout.trim_end(), sign_data);
    }
}

#[test]
fn a_wrong_key_is_reported_as_a_mismatch() {
    // The business-failure answer carries no encData, so only the signature can disagree.
    let v = &vectors("response")[2];
    let file = temp_file("response-wrong.json", s(v, "response_json").as_bytes());
    let r = run(
        &["sign", file.to_str().unwrap(), "--app-key", "not-the-key"],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("不一致") && r.stderr.contains("differs"),
        "{r:?}"
    );
    // With encData, a wrong key already fails to decrypt, and says so.
    let v = &vectors("response")[0];
    let file = temp_file("response-wrong-2.json", s(v, "response_json").as_bytes());
    let r = run(
        &["sign", file.to_str().unwrap(), "--app-key", "not-the-key"],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("wrong key?"), "{r:?}");
}

#[test]
fn missing_credentials_and_bad_hex_fail_clearly() {
    let r = run(&["key", "--app-id", common::APP_ID], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("appKey"), "{r:?}");
    let r = run(&["key", "--app-id", "short", "--app-key", "k"], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("16"), "{r:?}");
    let r = run(
        &[
            "decrypt",
            "--app-id",
            common::APP_ID,
            "--app-key",
            APP_KEY,
            "XYZ",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("解密失败"), "{r:?}");
}

#[test]
fn every_command_has_help() {
    for cmd in ["call", "check", "sign", "encrypt", "decrypt", "key", "demo"] {
        let r = run(&[cmd, "--help"], None);
        assert_eq!(r.code, 0, "{cmd}: {r:?}");
        assert!(r.stdout.contains("Usage"), "{cmd}: {r:?}");
    }
}
