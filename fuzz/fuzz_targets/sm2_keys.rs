//! The SM2 key parsers (spec section 11) on any text: as a private key, as a public key, and as
//! a `signData` signature text under a fixed key.
//!
//! Oracles besides "no panic, no hang, no overflow": an accepted key prints in every format
//! the key generator offers, and each of those parses back to the same key; a refused key's
//! message names the key, stays short and never contains a long input; a signature text that
//! decodes round-trips through DER and verifies exactly when one of its readings does.

#![no_main]

use libfuzzer_sys::fuzz_target;
use onetrans::sm2::{self, PrivateKey, PublicKey, UserId};

/// The spec's server key (vectors.json, sm2.keys[1]).
const SERVER_PUBLIC_HEX: &str = "047DA2F9B9B068936A33F4A8A71C7B305DC8CE398905B5DCEB0C209130011ECDA6F02373E071FB6D37BF10C21457CBC9DBD0115073F55C1A2ECBC0B5A9308EB2B4";

/// A refused key's message: it names the key, is bounded, and does not quote a long input.
fn check_refusal(name: &str, message: &str, text: &str) {
    assert!(message.starts_with(name), "{message}");
    assert!(message.len() < 1000, "{message}");
    if text.trim().len() >= 48 {
        assert!(
            !message.contains(text.trim()),
            "the message quotes the key: {message}"
        );
    }
}

fn private(text: &str) {
    match PrivateKey::parse("clientPrvKey", text) {
        Ok(key) => {
            let hex = key.to_hex();
            let mut forms = vec![
                key.to_hex(),
                key.to_base64(),
                key.to_pkcs8_pem(),
                key.to_sec1_pem(),
            ];
            // A key below 2¹⁹² (never generated, odds 2⁻⁶⁴) has a Java form shorter than the
            // parser takes from a real key: it is refused as truncated (see MIN_KEY_BYTES).
            // And a Java form made of hex digits only (`BAAA…` for 0x0400…: odds about 2⁻⁶⁷
            // for a real key) is read as hex, never as base64: a hex key cut short must not
            // become another key (src/sm2.rs, private_bytes).
            let java = key.to_java_base64();
            if key.to_bytes()[..8] != [0; 8] && !java.bytes().all(|b| b.is_ascii_hexdigit()) {
                forms.push(java);
            }
            for form in forms {
                let again = PrivateKey::parse("clientPrvKey", &form).expect("our output parses");
                assert_eq!(*again.to_hex(), *hex);
            }
            assert_eq!(format!("{key:?}"), "PrivateKey(<redacted>)");
            let public = sm2::public_of(&key);
            let sig = sm2::sign_with_entropy(&key, &UserId::default(), text.as_bytes(), &[7; 32]);
            let der = sm2::signature_to_der(&sig).expect("our signature is in range");
            assert!(sm2::verify(
                &public,
                &UserId::default(),
                text.as_bytes(),
                &base64_encode(&der)
            ));
        }
        Err(e) => check_refusal("clientPrvKey", &e.to_string(), text),
    }
}

fn public(text: &str) {
    match PublicKey::parse("serverPubKey", text) {
        Ok(key) => {
            for form in [key.to_hex(), key.to_base64(), key.to_spki_pem()] {
                let again = PublicKey::parse("serverPubKey", &form).expect("our output parses");
                assert_eq!(again, key);
            }
            assert_eq!(PublicKey::from_sec1_bytes(&key.to_bytes()), Some(key));
        }
        Err(e) => check_refusal("serverPubKey", &e.to_string(), text),
    }
}

fn signature(text: &str) {
    let key = PublicKey::parse("serverPubKey", SERVER_PUBLIC_HEX).unwrap();
    let valid = sm2::verify(&key, &UserId::default(), b"msg", text);
    match sm2::decode_signature(text) {
        Some(raw) => {
            let der = sm2::signature_to_der(&raw).expect("a decoded signature is in range");
            // A 64-byte DER (r and s 58 bytes together) is read as r‖s first when it can be:
            // `verify` tries both readings, `decode_signature` returns the first.
            if der.len() != 64 {
                assert_eq!(sm2::decode_signature(&base64_encode(&der)), Some(raw));
            }
            assert_eq!(sm2::decode_signature(&base64_encode(&raw)), Some(raw));
        }
        None => assert!(!valid, "verified a signature that does not decode"),
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        private(text);
        public(text);
        signature(text);
    }
});
