//! SM2 interoperability with an implementation that shares no code with ours: the OpenSSL 3
//! command line. Our signatures verified by `openssl pkeyutl -verify -rawin -digest sm3`,
//! OpenSSL's signatures verified by `onetrans::sm2`, for several OpenSSL-made keys (read by our
//! parsers in each PEM form OpenSSL writes), messages including Chinese text, and user ids other
//! than the default. Skipped, loudly, only when `openssl` is missing or lacks SM2.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use onetrans::sm2::{self, PrivateKey, PublicKey, UserId};

const USER_IDS: [&str; 3] = [
    sm2::DEFAULT_USER_ID,
    "ALICE123@YAHOO.COM",
    "医保机构H46010000000",
];

fn messages() -> Vec<Vec<u8>> {
    vec![
        b"a".to_vec(),
        "appId=zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN&data={\"患者\":\"周大鹏\",\"科室\":\"总院牙体牙髓科\"}&encType=SM4&signType=SM2&key=St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM".as_bytes().to_vec(),
        "中文医保移动支付签名测试：¥12.50，挂号费".repeat(200).into_bytes(),
        (0..=255u8).cycle().take(1000).collect(),
    ]
}

/// Whether OpenSSL with SM2 is there; says so loudly when not.
fn openssl_with_sm2() -> bool {
    let listed = Command::new("openssl")
        .args(["list", "-public-key-algorithms"])
        .output();
    match listed {
        Ok(out) if out.status.success() && String::from_utf8_lossy(&out.stdout).contains("SM2") => {
            true
        }
        Ok(_) => {
            eprintln!("\n!!!!! SKIPPED: this openssl has no SM2; the SM2 interoperability tests did NOT run !!!!!\n");
            false
        }
        Err(e) => {
            eprintln!("\n!!!!! SKIPPED: no openssl command ({e}); the SM2 interoperability tests did NOT run !!!!!\n");
            false
        }
    }
}

/// A scratch folder of its own for each test, removed when the test passes.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "onetrans-sm2-openssl-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    fn write(&self, file: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(file);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.path(file)).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Runs `openssl` with these arguments; its output, or a panic with its stderr.
fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Whether OpenSSL verifies the DER signature in `sig` of the file `msg` under `pub_pem`.
fn openssl_verifies(pub_pem: &Path, user_id: &str, msg: &Path, sig: &Path) -> bool {
    let distid = format!("distid:{user_id}");
    let out = Command::new("openssl")
        .args([
            "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", &distid,
        ])
        .args([
            "-pubin",
            "-inkey",
            s(pub_pem),
            "-sigfile",
            s(sig),
            "-in",
            s(msg),
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    // OpenSSL's answer and its exit status agree, or something else went wrong.
    assert_eq!(
        out.status.success(),
        said.contains("Signature Verified Successfully"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.success()
}

/// An OpenSSL-made SM2 key: its PKCS#8 PEM, SEC 1 PEM (`openssl ec`), SPKI PEM, and the
/// private scalar and public point as `openssl pkey -text` prints them.
struct OpensslKey {
    pkcs8: PathBuf,
    public: PathBuf,
    sec1_text: String,
    private_hex: String,
    public_hex: String,
}

fn openssl_key(dir: &Scratch, name: &str) -> OpensslKey {
    let pkcs8 = dir.path(&format!("{name}.pem"));
    let public = dir.path(&format!("{name}.pub.pem"));
    let sec1 = dir.path(&format!("{name}.sec1.pem"));
    openssl(&["genpkey", "-algorithm", "SM2", "-out", s(&pkcs8)]);
    openssl(&["pkey", "-in", s(&pkcs8), "-pubout", "-out", s(&public)]);
    openssl(&["ec", "-in", s(&pkcs8), "-out", s(&sec1)]);
    let text = openssl(&["pkey", "-in", s(&pkcs8), "-text", "-noout"]);
    OpensslKey {
        pkcs8,
        public,
        sec1_text: std::fs::read_to_string(&sec1).unwrap(),
        private_hex: hex_block(&text, "priv:"),
        public_hex: hex_block(&text, "pub:"),
    }
}

/// The colon-separated hex block after `label` in `openssl pkey -text` output, upper-case.
fn hex_block(text: &str, label: &str) -> String {
    let start = text.find(label).unwrap() + label.len();
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .flat_map(|l| l.trim().split(':'))
        .filter(|b| !b.is_empty())
        .collect::<String>()
        .to_uppercase()
}

/// `openssl pkey -text` drops a leading zero byte of the scalar: pad to 64 digits.
fn padded64(hex: &str) -> String {
    format!("{hex:0>64}")
}

#[test]
fn openssl_keys_parse_in_every_pem_form_openssl_writes() {
    if !openssl_with_sm2() {
        return;
    }
    let dir = Scratch::new("keys");
    for n in 0..3 {
        let key = openssl_key(&dir, &format!("k{n}"));
        let pkcs8 = std::fs::read_to_string(&key.pkcs8).unwrap();
        let d = PrivateKey::parse("clientPrvKey", &pkcs8).unwrap();
        assert_eq!(*d.to_hex(), padded64(&key.private_hex));
        assert!(key.sec1_text.starts_with("-----BEGIN SM2 PRIVATE KEY-----"));
        let d_sec1 = PrivateKey::parse("clientPrvKey", &key.sec1_text).unwrap();
        assert_eq!(*d_sec1.to_hex(), *d.to_hex());
        let q_text = std::fs::read_to_string(&key.public).unwrap();
        let q = PublicKey::parse("serverPubKey", &q_text).unwrap();
        assert_eq!(q.to_hex(), key.public_hex);
        assert_eq!(sm2::public_of(&d), q);
        // Our PEM output is OpenSSL's, byte for byte.
        assert_eq!(*d.to_pkcs8_pem(), pkcs8);
        assert_eq!(q.to_spki_pem(), q_text);
    }
}

#[test]
fn openssl_verifies_our_signatures() {
    if !openssl_with_sm2() {
        return;
    }
    let dir = Scratch::new("ours");
    for n in 0..3 {
        let key = openssl_key(&dir, &format!("k{n}"));
        let d = PrivateKey::parse(
            "clientPrvKey",
            &std::fs::read_to_string(&key.pkcs8).unwrap(),
        )
        .unwrap();
        for (m, msg) in messages().iter().enumerate() {
            let msg_path = dir.write(&format!("msg{m}"), msg);
            for (u, id) in USER_IDS.iter().enumerate() {
                let user = UserId::new(*id).unwrap();
                let sig = sm2::sign(&d, &user, msg);
                let der = sm2::signature_to_der(&sig).unwrap();
                let sig_path = dir.write(&format!("sig{n}-{m}-{u}.der"), &der);
                assert!(
                    openssl_verifies(&key.public, id, &msg_path, &sig_path),
                    "key {n}, message {m}, user id {id}"
                );
                // Not vacuous: another user id, or another message, fails.
                let other_id = USER_IDS[(u + 1) % USER_IDS.len()];
                assert!(!openssl_verifies(
                    &key.public,
                    other_id,
                    &msg_path,
                    &sig_path
                ));
                let mut changed = msg.clone();
                changed[0] ^= 1;
                let changed_path = dir.write("changed", &changed);
                assert!(!openssl_verifies(&key.public, id, &changed_path, &sig_path));
            }
        }
    }
}

#[test]
fn we_verify_openssls_signatures() {
    if !openssl_with_sm2() {
        return;
    }
    let dir = Scratch::new("theirs");
    for n in 0..3 {
        let key = openssl_key(&dir, &format!("k{n}"));
        let q = PublicKey::parse(
            "serverPubKey",
            &std::fs::read_to_string(&key.public).unwrap(),
        )
        .unwrap();
        for (m, msg) in messages().iter().enumerate() {
            let msg_path = dir.write(&format!("msg{m}"), msg);
            for (u, id) in USER_IDS.iter().enumerate() {
                let sig_file = format!("sig{n}-{m}-{u}.der");
                let sig_path = dir.path(&sig_file);
                let distid = format!("distid:{id}");
                openssl(&[
                    "pkeyutl",
                    "-sign",
                    "-rawin",
                    "-digest",
                    "sm3",
                    "-pkeyopt",
                    &distid,
                    "-inkey",
                    s(&key.pkcs8),
                    "-in",
                    s(&msg_path),
                    "-out",
                    s(&sig_path),
                ]);
                let der = dir.read(&sig_file);
                let user = UserId::new(*id).unwrap();
                // As DER, and as the r‖s of section 11.
                let der_text = STANDARD.encode(&der);
                assert!(
                    sm2::verify(&q, &user, msg, &der_text),
                    "key {n}, message {m}, id {id}"
                );
                let raw = sm2::decode_signature(&der_text).unwrap();
                assert_eq!(sm2::signature_to_der(&raw).unwrap(), der);
                assert!(sm2::verify(&q, &user, msg, &STANDARD.encode(raw)));
                // Another user id, another message, another key: false.
                let other = UserId::new(USER_IDS[(u + 1) % USER_IDS.len()]).unwrap();
                assert!(!sm2::verify(&q, &other, msg, &der_text));
                let mut changed = msg.clone();
                changed[0] ^= 1;
                assert!(!sm2::verify(&q, &user, &changed, &der_text));
                let stranger = sm2::public_of(&sm2::generate());
                assert!(!sm2::verify(&stranger, &user, msg, &der_text));
            }
        }
    }
}

/// Keys from our generator, in each format we print, are read by OpenSSL as the same key, and
/// OpenSSL's signatures under them verify with ours.
#[test]
fn openssl_reads_the_keys_we_generate() {
    if !openssl_with_sm2() {
        return;
    }
    let dir = Scratch::new("generated");
    for n in 0..3 {
        let d = sm2::generate();
        let q = sm2::public_of(&d);
        let pkcs8 = dir.write(&format!("g{n}.pem"), d.to_pkcs8_pem().as_bytes());
        let sec1 = dir.write(&format!("g{n}.sec1.pem"), d.to_sec1_pem().as_bytes());
        let spki = dir.write(&format!("g{n}.pub.pem"), q.to_spki_pem().as_bytes());
        for private in [&pkcs8, &sec1] {
            let text = openssl(&["pkey", "-in", s(private), "-text", "-noout"]);
            assert_eq!(padded64(&hex_block(&text, "priv:")), *d.to_hex());
            assert_eq!(hex_block(&text, "pub:"), q.to_hex());
            assert_eq!(
                openssl(&["pkey", "-in", s(private), "-pubout"]),
                q.to_spki_pem()
            );
        }
        let text = openssl(&["pkey", "-pubin", "-in", s(&spki), "-text", "-noout"]);
        assert_eq!(hex_block(&text, "pub:"), q.to_hex());
        // The hex and Java forms are ours alone; they round-trip through our parser.
        for form in [d.to_hex(), d.to_base64(), d.to_java_base64()] {
            assert_eq!(
                *PrivateKey::parse("k", &form).unwrap().to_hex(),
                *d.to_hex()
            );
        }
        let msg = "签名文本 sign text".as_bytes();
        let msg_path = dir.write("msg", msg);
        let sig_path = dir.path("sig.der");
        openssl(&[
            "pkeyutl",
            "-sign",
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
            "-inkey",
            s(&sec1),
            "-in",
            s(&msg_path),
            "-out",
            s(&sig_path),
        ]);
        let der = std::fs::read(&sig_path).unwrap();
        assert!(sm2::verify(
            &q,
            &UserId::default(),
            msg,
            &STANDARD.encode(der)
        ));
    }
}
