//! The SM2 toolbox (spec section 11): `onetrans keygen` prints a key pair in every format, each
//! parsing back to the same key (and OpenSSL agreeing on the public half); `onetrans sign`
//! signs SM2 envelopes (OpenSSL verifies the signature) and verifies captured signatures;
//! `onetrans check` reports on the SM2 keys of an input without showing the private key.

mod common;

use std::process::Command;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use common::{closed_port, run, run_env, s, temp_file, vectors, with_data, APP_ID, APP_KEY};
use onetrans::json::{self, Value};
use onetrans::sm2::{self, PrivateKey, PublicKey, UserId};

/// The `sm2` vector group (an object, unlike the other groups).
fn sm2_group() -> Value {
    json::parse(common::VECTORS)
        .expect("vectors.json is JSON")
        .get("sm2")
        .cloned()
        .expect("an sm2 group")
}

/// The key pair named `name` of `sm2.keys`.
fn vector_key(name: &str) -> Value {
    let Some(Value::Array(keys)) = sm2_group().get("keys").cloned() else {
        panic!("sm2.keys");
    };
    keys.into_iter()
        .find(|k| k.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no sm2 key {name}"))
}

/// The value printed after `label` and a colon on one line of `out`.
fn field<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(": ")?;
            (name.trim() == label).then_some(value.trim())
        })
        .unwrap_or_else(|| panic!("no {label} in\n{out}"))
}

/// The PEM block after the line `heading` in `out`.
fn pem_after(out: &str, heading: &str) -> String {
    let start = out
        .find(&format!("{heading}\n"))
        .unwrap_or_else(|| panic!("no {heading} in\n{out}"))
        + heading.len()
        + 1;
    let rest = &out[start..];
    let end = rest.find("-----END").expect("an END line");
    let end = end + rest[end..].find('\n').expect("END line ends");
    rest[..=end].to_owned()
}

/// Every format `keygen` printed parses back to one private key and its public half.
fn assert_every_format_is_one_key(out: &str) -> (PrivateKey, PublicKey) {
    let hex = field(out, "hex (64)");
    let key = PrivateKey::parse("hex", hex).expect("the hex private key parses");
    for (label, text) in [
        ("base64", field(out, "base64 (32 bytes)").to_owned()),
        ("java", field(out, "Java base64 (BigInteger)").to_owned()),
        ("pkcs8", pem_after(out, "PEM PKCS#8:")),
        ("sec1", pem_after(out, "PEM SEC 1:")),
    ] {
        let parsed = PrivateKey::parse(label, &text)
            .unwrap_or_else(|e| panic!("{label} does not parse: {e}\n{out}"));
        assert_eq!(*parsed.to_hex(), hex, "{label}");
    }
    assert!(pem_after(out, "PEM PKCS#8:").starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(pem_after(out, "PEM SEC 1:").starts_with("-----BEGIN EC PRIVATE KEY-----"));
    let public = sm2::public_of(&key);
    for (label, text) in [
        ("hex 04", field(out, "hex (04‖X‖Y)").to_owned()),
        ("base64 04", field(out, "base64 (04‖X‖Y)").to_owned()),
        ("hex XY", field(out, "hex (X‖Y)").to_owned()),
        ("base64 XY", field(out, "base64 (X‖Y)").to_owned()),
        ("spki", pem_after(out, "PEM SubjectPublicKeyInfo:")),
    ] {
        let parsed = PublicKey::parse(label, &text)
            .unwrap_or_else(|e| panic!("{label} does not parse: {e}\n{out}"));
        assert_eq!(parsed, public, "{label}");
    }
    assert_eq!(field(out, "hex (04‖X‖Y)"), public.to_hex());
    assert_eq!(field(out, "hex (X‖Y)").len(), 128);
    assert_eq!(
        field(out, "Java base64 (BigInteger)"),
        *key.to_java_base64()
    );
    (key, public)
}

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl (OpenSSL 3) is installed")
}

#[test]
fn keygen_prints_every_format_of_one_new_key_and_says_where_each_half_goes() {
    let r = run(&["keygen"], None);
    assert_eq!(r.code, 0, "{r:?}");
    let (key, _) = assert_every_format_is_one_key(&r.stdout);
    for note in [
        "clientPrvKey",
        "serverPubKey",
        "OneTrans.ini",
        "门户运营方",
        "portal operator",
    ] {
        assert!(
            r.stdout.contains(note),
            "the note names {note}:\n{}",
            r.stdout
        );
    }
    // The note comes first, Chinese first.
    let note = r.stdout.find("私钥 → ").expect("the Chinese note");
    assert!(note < r.stdout.find("private key →").unwrap());
    assert!(note < r.stdout.find(&*key.to_hex()).unwrap());
    // Two runs make two different keys.
    let again = run(&["keygen"], None);
    assert_ne!(field(&again.stdout, "hex (64)"), &*key.to_hex());
}

#[test]
fn keygen_out_writes_pem_files_openssl_reads_and_never_overwrites_them() {
    let dir = temp_file("keygen-placeholder", b"")
        .parent()
        .unwrap()
        .join("keygen-out");
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.to_str().unwrap();
    let r = run(&["keygen", "--out", dir_arg], None);
    assert_eq!(r.code, 0, "{r:?}");
    let (key, public) = assert_every_format_is_one_key(&r.stdout);
    let private_pem = dir.join("sm2_client_private.pem");
    let public_pem = dir.join("sm2_client_public.pem");
    let written = std::fs::read_to_string(&private_pem).unwrap();
    assert_eq!(
        *PrivateKey::parse("file", &written).unwrap().to_hex(),
        *key.to_hex()
    );
    assert_eq!(
        PublicKey::parse("file", &std::fs::read_to_string(&public_pem).unwrap()).unwrap(),
        public
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private_pem)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the private key is readable by its owner only: {mode:o}"
        );
    }

    // OpenSSL, sharing no code with us, derives the same public key from the private PEM.
    let derived = openssl(&["pkey", "-in", private_pem.to_str().unwrap(), "-pubout"]);
    assert!(derived.status.success(), "{derived:?}");
    let derived = String::from_utf8(derived.stdout).unwrap();
    assert_eq!(
        PublicKey::parse("openssl", &derived).unwrap(),
        public,
        "{derived}"
    );
    // And reads the SEC 1 form the same way.
    let sec1 = temp_file(
        "keygen-sec1.pem",
        pem_after(&r.stdout, "PEM SEC 1:").as_bytes(),
    );
    let derived = openssl(&["pkey", "-in", sec1.to_str().unwrap(), "-pubout"]);
    assert!(derived.status.success(), "{derived:?}");
    let derived = String::from_utf8(derived.stdout).unwrap();
    assert_eq!(PublicKey::parse("openssl", &derived).unwrap(), public);

    // A second run into the same folder refuses, and leaves the files alone.
    let again = run(&["keygen", "--out", dir_arg], None);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("已存在"), "{again:?}");
    assert_eq!(std::fs::read_to_string(&private_pem).unwrap(), written);
}

#[test]
fn keygen_from_prints_an_existing_key_in_every_format() {
    let client = vector_key("client");
    let java = s(&client, "private_java_base64");
    let r = run(&["keygen", "--from", java], None);
    assert_eq!(r.code, 0, "{r:?}");
    let (key, public) = assert_every_format_is_one_key(&r.stdout);
    assert_eq!(*key.to_hex(), s(&client, "private_hex"));
    assert_eq!(public.to_hex(), s(&client, "public_hex"));
    assert!(
        r.stdout.starts_with("SM2 密钥对"),
        "not called new: {}",
        r.stdout
    );

    // From a PEM file, too.
    let pem = temp_file("from.pem", key.to_sec1_pem().as_bytes());
    let r = run(&["keygen", "--from", &format!("@{}", pem.display())], None);
    assert_eq!(field(&r.stdout, "hex (64)"), s(&client, "private_hex"));

    // A bad key is named, not echoed.
    let r = run(&["keygen", "--from", "0411111111"], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--from 不是有效的 SM2 私钥"), "{r:?}");
    assert!(!r.all().contains("0411111111"), "{r:?}");
}

/// The first `sm2_request` vector: its input, envelope and sign text.
fn request_vector() -> (String, String, String) {
    let v = &vectors("sm2_request")[0];
    (
        s(v, "input").to_owned(),
        s(v, "envelope_json").to_owned(),
        s(v, "sign_text").to_owned(),
    )
}

fn base64_decode(text: &str) -> Vec<u8> {
    STANDARD.decode(text.trim()).expect("base64")
}

#[test]
fn sign_makes_an_sm2_signature_that_the_library_and_openssl_verify() {
    let (input, envelope, sign_text) = request_vector();
    let input_file = temp_file("sm2-input.json", input.as_bytes());
    let envelope_file = temp_file("sm2-request.json", envelope.as_bytes());
    let input_arg = input_file.to_str().unwrap();
    let envelope_arg = envelope_file.to_str().unwrap();

    // The sign text is the vector's, byte for byte; the private key never shows.
    let r = run(
        &["sign", envelope_arg, "--input", input_arg, "--show-key"],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains(&format!("签名原文 / sign text: {sign_text}\n")),
        "{r:?}"
    );
    let client = vector_key("client");
    for secret in [s(&client, "private_hex"), s(&client, "private_java_base64")] {
        assert!(!r.all().contains(secret), "the private key shows: {r:?}");
        assert!(!r
            .all()
            .to_ascii_uppercase()
            .contains(&secret[4..40].to_ascii_uppercase()));
    }
    let shown = field(&r.stdout, "signData (SM2, r‖s base64)");
    let public = PublicKey::parse("client", s(&client, "public_hex")).unwrap();
    let user_id = UserId::default();
    assert!(sm2::verify(&public, &user_id, sign_text.as_bytes(), shown));

    // --bare: the signature only; --prv gives the key instead of the input.
    for args in [
        vec!["sign", envelope_arg, "--input", input_arg, "--bare"],
        vec![
            "sign",
            envelope_arg,
            "--app-id",
            APP_ID,
            "--app-key",
            APP_KEY,
            "--prv",
            s(&client, "private_hex"),
            "--bare",
        ],
    ] {
        let r = run(&args, None);
        assert_eq!(r.code, 0, "{r:?}");
        let sig = r.stdout.trim_end();
        assert_eq!(sig.lines().count(), 1, "{r:?}");
        assert!(
            sm2::verify(&public, &user_id, sign_text.as_bytes(), sig),
            "{r:?}"
        );

        // OpenSSL verifies it too (DER, as OpenSSL reads it).
        let raw: [u8; 64] = base64_decode(sig).try_into().expect("64 bytes r‖s");
        let der = sm2::signature_to_der(&raw).unwrap();
        let sig_file = temp_file("sm2-sig.der", &der);
        let msg_file = temp_file("sm2-msg.txt", sign_text.as_bytes());
        let pub_file = temp_file("sm2-pub.pem", public.to_spki_pem().as_bytes());
        let out = openssl(&[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            pub_file.to_str().unwrap(),
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
            "-in",
            msg_file.to_str().unwrap(),
            "-sigfile",
            sig_file.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "OpenSSL rejects our signature: {out:?}"
        );
    }
}

#[test]
fn sign_verify_checks_a_captured_answer_and_request() {
    let response = &vectors("sm2_response")[0];
    let answer = temp_file("sm2-answer.json", s(response, "response_json").as_bytes());
    let answer_arg = answer.to_str().unwrap();
    let server_pub = s(response, "server_public_hex");
    let creds = ["--app-id", APP_ID, "--app-key", APP_KEY];
    let verify = |extra: &[&str]| {
        let mut args = vec!["sign", answer_arg];
        args.extend_from_slice(&creds);
        args.extend_from_slice(extra);
        run(&args, None)
    };

    // The answer's own signData, under the portal's key: valid.
    let r = verify(&["--verify", "--pub", server_pub]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("有效 / valid"), "{r:?}");
    assert!(r
        .stdout
        .contains(s(response, "sign_text").trim_end_matches(APP_KEY)));
    // The same signature as DER: valid too (spec 11 accepts both encodings).
    let signature = json::parse(s(response, "response_json")).unwrap();
    let signature = signature
        .get("signData")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    let raw: [u8; 64] = base64_decode(&signature).try_into().unwrap();
    let der = sm2::signature_to_der(&raw).unwrap();
    let der_b64 = STANDARD.encode(&der);
    let r = verify(&["--verify", &der_b64, "--pub", server_pub]);
    assert_eq!(r.code, 0, "{r:?}");

    // Under the institution's key, tampered, or not a signature at all: invalid, exit code 1.
    let client = vector_key("client");
    let client_pub = s(&client, "public_hex");
    let mut tampered = signature.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for (sig, key) in [
        (signature.as_str(), client_pub),
        (tampered.as_str(), server_pub),
        ("bm90IGEgc2lnbmF0dXJl", server_pub),
    ] {
        let r = verify(&["--verify", sig, "--pub", key]);
        assert_eq!(r.code, 1, "{sig}: {r:?}");
        assert!(r.stdout.contains("无效 / invalid"), "{r:?}");
    }
    // A user id other than the portal's: invalid.
    let r = verify(&[
        "--verify",
        "--pub",
        server_pub,
        "--user-id",
        "1234567812345679",
    ]);
    assert_eq!(r.code, 1, "{r:?}");

    // Without --pub: the input's serverPubKey for an answer, the private key's public half for
    // a request.
    let (input, envelope, _) = request_vector();
    let input_file = temp_file("sm2-verify-input.json", input.as_bytes());
    let r = run(
        &[
            "sign",
            answer_arg,
            "--input",
            input_file.to_str().unwrap(),
            "--verify",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("(data.serverPubKey)"), "{r:?}");
    assert!(
        !r.stdout.contains("signData (SM2"),
        "no new signature: {r:?}"
    );
    let request = temp_file("sm2-verify-request.json", envelope.as_bytes());
    let r = run(
        &[
            "sign",
            request.to_str().unwrap(),
            "--input",
            input_file.to_str().unwrap(),
            "--verify",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(client_pub), "{r:?}");

    // Nothing to verify with: a usage error naming what to give.
    let r = verify(&["--verify"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--pub"), "{r:?}");
}

#[test]
fn sign_without_a_private_key_says_where_to_give_one() {
    let (_, envelope, _) = request_vector();
    let file = temp_file("sm2-nokey.json", envelope.as_bytes());
    let r = run(
        &[
            "sign",
            file.to_str().unwrap(),
            "--app-id",
            APP_ID,
            "--app-key",
            APP_KEY,
        ],
        None,
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--prv"), "{r:?}");
    // A malformed one is named, never echoed.
    let r = run(
        &[
            "sign",
            file.to_str().unwrap(),
            "--app-id",
            APP_ID,
            "--app-key",
            APP_KEY,
            "--prv",
            "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123",
        ],
        None,
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--prv 不是有效的 SM2 私钥"), "{r:?}");
    assert!(!r.all().contains("7203DF6B21C6"), "{r:?}");
}

#[test]
fn sm3_sign_is_unchanged_by_the_sm2_options_existing() {
    // An SM3 envelope without SM2 options still compares against its signData.
    let v = &vectors("request")[0];
    let envelope = s(v, "envelope_json");
    assert!(envelope.contains("\"signType\":\"SM3\""));
    let file = temp_file("sm3-request.json", envelope.as_bytes());
    let input = temp_file("sm3-input.json", s(v, "input").as_bytes());
    let r = run(
        &[
            "sign",
            file.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("与报文中的 signData 一致"), "{r:?}");
}

/// An SM2 input aimed at a closed port, with `data` members replaced.
fn sm2_input(members: &[(&str, &str)]) -> String {
    let (input, _, _) = request_vector();
    let url = format!("http://127.0.0.1:{}/api/amp/hos/pushMsg", closed_port());
    let mut all = vec![("serverAddr", url.as_str()), ("timestamp", "")];
    all.extend_from_slice(members);
    with_data(&input, &all)
}

fn check(input: &str, extra: &[&str], env: &[(&str, &str)]) -> common::Run {
    let mut args = vec!["check", "--no-call", "-"];
    args.extend_from_slice(extra);
    run_env(&args, Some(input.as_bytes()), env)
}

fn sm2_step(r: &common::Run) -> &str {
    r.verdict_of("SM2 密钥 / SM2 keys")
        .unwrap_or_else(|| panic!("no SM2 step:\n{}", r.stdout))
}

#[test]
fn check_reports_sm2_keys_that_parse_and_the_user_id() {
    let client = vector_key("client");
    let r = check(
        &sm2_input(&[]),
        &["--expect-pub", s(&client, "public_hex")],
        &[],
    );
    assert!(sm2_step(&r).starts_with("[OK]"), "{}", r.stdout);
    assert!(
        r.stdout.contains("clientPrvKey: 可解析 / parses"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(s(&client, "public_hex")),
        "the public half is shown"
    );
    assert!(r.stdout.contains("与 --expect-pub 一致"), "{}", r.stdout);
    assert!(
        r.stdout.contains("sm2UserId: 1234567812345678"),
        "{}",
        r.stdout
    );
    assert!(
        !r.all().contains(s(&client, "private_java_base64")),
        "{}",
        r.all()
    );
    assert!(!r.all().contains(s(&client, "private_hex")), "{}", r.all());

    // The user id of the environment is the one in use.
    let r = check(
        &sm2_input(&[]),
        &[],
        &[("ONETRANS_SM2_USER_ID", "ALICE123")],
    );
    assert!(r.stdout.contains("sm2UserId: ALICE123"), "{}", r.stdout);
    assert!(r.stdout.contains("ONETRANS_SM2_USER_ID"), "{}", r.stdout);
}

#[test]
fn check_fails_when_the_private_key_is_not_the_one_the_portal_registered() {
    let server = vector_key("server");
    let r = check(
        &sm2_input(&[]),
        &["--expect-pub", s(&server, "public_hex")],
        &[],
    );
    assert!(sm2_step(&r).starts_with("[失败 FAILED]"), "{}", r.stdout);
    assert!(r.stdout.contains("不一致"), "{}", r.stdout);
    assert_eq!(r.code, 1);
}

#[test]
fn check_names_missing_malformed_and_swapped_keys_without_echoing_them() {
    let client = vector_key("client");
    // The curve order n: out of range.
    let secret = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123";
    for (members, expect) in [
        (vec![("clientPrvKey", "")], "缺少 clientPrvKey"),
        (vec![("serverPubKey", "")], "缺少 serverPubKey"),
        (
            vec![("clientPrvKey", secret)],
            "clientPrvKey 不是有效的 SM2 私钥",
        ),
        (
            vec![("serverPubKey", "04ABCDEF")],
            "serverPubKey 不是有效的 SM2 公钥",
        ),
        // The halves swapped: a public key where the private one belongs.
        (
            vec![("clientPrvKey", s(&client, "public_hex"))],
            "clientPrvKey 不是有效的 SM2 私钥",
        ),
    ] {
        let r = check(&sm2_input(&members), &[], &[]);
        assert!(
            sm2_step(&r).starts_with("[失败 FAILED]"),
            "{members:?}: {}",
            r.stdout
        );
        assert!(r.stdout.contains(expect), "{members:?}: {}", r.stdout);
        assert!(!r.all().contains(&secret[32..]), "echoed: {}", r.all());
        assert_eq!(r.code, 1);
    }
    // serverPubKey holding the institution's own public key: a warning.
    let r = check(
        &sm2_input(&[("serverPubKey", s(&client, "public_base64"))]),
        &[],
        &[],
    );
    assert!(sm2_step(&r).starts_with("[警告 WARNING]"), "{}", r.stdout);
}

#[test]
fn check_takes_sm2_keys_from_the_environment_when_the_input_has_none() {
    let client = vector_key("client");
    let server = vector_key("server");
    let input = sm2_input(&[("clientPrvKey", ""), ("serverPubKey", "")]);
    let r = check(
        &input,
        &[],
        &[
            ("ONETRANS_CLIENT_PRV_KEY", s(&client, "private_hex")),
            ("ONETRANS_SERVER_PUB_KEY", s(&server, "public_hex")),
        ],
    );
    assert!(sm2_step(&r).starts_with("[OK]"), "{}", r.stdout);
    assert!(r.stdout.contains("ONETRANS_CLIENT_PRV_KEY"), "{}", r.stdout);
    assert!(!r.all().contains(s(&client, "private_hex")), "{}", r.all());
}

#[test]
fn check_has_no_sm2_step_for_sm3_inputs() {
    let input = common::push_msg_input(&format!("http://127.0.0.1:{}/p", closed_port()));
    let r = check(&input, &[], &[]);
    assert!(r.verdict_of("SM2").is_none(), "{}", r.stdout);
    let r = check(&input, &["--expect-pub", "04"], &[]);
    assert!(sm2_step(&r).starts_with("[跳过 SKIPPED]"), "{}", r.stdout);
}
