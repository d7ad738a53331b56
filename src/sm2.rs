//! SM2 signatures, the sign type `SM2` of spec section 11 ("SM3withSM2", GB/T 32918): keys in
//! every format the section lists, the user's *Z* value, signing and verification.
//!
//! Pure functions: the only randomness is the 32 fresh bytes [`sign`] draws for its nonce and
//! the key [`generate`] draws, and both have a variant that takes the bytes instead
//! ([`sign_with_entropy`], [`PrivateKey::from_bytes`]).
//!
//! The curve (field and group arithmetic, point decoding, the verification equation, the
//! PKCS#8 / SEC 1 / SPKI encodings) is the RustCrypto `sm2` crate's. Signing is the crate's
//! algorithm too, written out here over the crate's scalars and points only because the
//! crate's `SigningKey` keeps the secret scalar in memory after it is dropped; here it lives in
//! `Zeroizing` (see `docs/DECISIONS.md`, issue 12). A unit test checks that both produce the
//! same signature bit for bit.
//!
//! Key parse errors name the key (as the caller calls it, e.g. `clientPrvKey`) and what is wrong
//! with it, and never contain the key's text.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use sm2::dsa::Signature;
use sm2::elliptic_curve::ff::PrimeField;
use sm2::elliptic_curve::group::Group;
use sm2::elliptic_curve::ops::{LinearCombination, Reduce};
use sm2::elliptic_curve::point::AffineCoordinates;
use sm2::elliptic_curve::sec1::ToSec1Point;
use sm2::elliptic_curve::Curve;
use sm2::pkcs8::der::pem::LineEnding;
use sm2::pkcs8::{AssociatedOid, EncodePrivateKey, EncodePublicKey, ObjectIdentifier};
use sm2::{FieldBytes, ProjectivePoint, Scalar, Sm2, U256};
use sm3::{Digest, Sm3};
use zeroize::Zeroizing;

use crate::crypto;

/// The user id of *Z* when none is configured (GB/T 35276, and every SDK's default).
pub const DEFAULT_USER_ID: &str = "1234567812345678";

/// The curve constants that enter *Z* (GB/T 32918.5, sm2p256v1): a, b, x_G, y_G.
const CURVE_A: [u8; 32] = hex32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC");
const CURVE_B: [u8; 32] = hex32("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
const GENERATOR_X: [u8; 32] =
    hex32("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
const GENERATOR_Y: [u8; 32] =
    hex32("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");

/// `id-ecPublicKey`, the algorithm of PKCS#8 and SPKI SM2 keys (their parameter is the curve).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// The fewest bytes (twice as many hex digits) a private key's short forms may have: Java's
/// `BigInteger` drops leading zero bytes (1 key in 256 loses one), but a real key shorter than
/// 24 bytes has odds of 2⁻⁶⁴, so a shorter text is a truncated key, refused. The same floor
/// as RustCrypto's `SecretKey::from_slice`.
const MIN_KEY_BYTES: usize = 24;

/// The longest user id *Z* can carry: its length in bits is a 16-bit number.
const MAX_USER_ID_BYTES: usize = 8191;

/// 64 hex digits as 32 bytes, at compile time.
const fn hex32(hex: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("upper-case hex digit expected"),
        }
    }
    let digits = hex.as_bytes();
    assert!(digits.len() == 64);
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(digits[2 * i]) << 4 | nibble(digits[2 * i + 1]);
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// User id

/// The user id of *Z* (`sm2UserId`): at most 8191 bytes, as its bit length is a 16-bit field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserId(String);

impl UserId {
    /// A user id, or an error when it is too long for *Z*.
    pub fn new(id: impl Into<String>) -> Result<UserId, UserIdError> {
        let id = id.into();
        if id.len() > MAX_USER_ID_BYTES {
            return Err(UserIdError { bytes: id.len() });
        }
        Ok(UserId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for UserId {
    /// `1234567812345678`.
    fn default() -> Self {
        UserId(DEFAULT_USER_ID.to_owned())
    }
}

/// A user id longer than *Z* allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserIdError {
    pub bytes: usize,
}

impl fmt::Display for UserIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SM2 用户标识 sm2UserId 过长（{} 字节，最多 {MAX_USER_ID_BYTES} 字节），请改用门户约定的标识，通常为 {DEFAULT_USER_ID} (the SM2 user id is {} bytes long, at most {MAX_USER_ID_BYTES} are possible)",
            self.bytes, self.bytes
        )
    }
}

impl std::error::Error for UserIdError {}

// ---------------------------------------------------------------------------------------------
// Keys

/// An SM2 private key *d* in [1, n−2]: zeroed on drop, never shown by `Debug`.
#[derive(Clone)]
pub struct PrivateKey {
    d: Zeroizing<Scalar>,
    /// (1 + d)⁻¹, which every signature needs: computed once, zeroed on drop as well.
    d_plus_1_inv: Zeroizing<Scalar>,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// An SM2 public key: a point of sm2p256v1 other than the point at infinity.
#[derive(Clone)]
pub struct PublicKey {
    /// `04‖X‖Y`.
    sec1: [u8; 65],
    /// The point itself, for [`verify`].
    point: ProjectivePoint,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.sec1 == other.sec1
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl PrivateKey {
    /// Parses a private key in any format of spec section 11: 64 hex digits (either case),
    /// base64 of the 32 bytes, base64 of Java's `BigInteger.toByteArray()` (33 bytes with a
    /// leading zero, or fewer than 32 when the key's top bytes are zero), PEM PKCS#8
    /// (`PRIVATE KEY`) or PEM SEC 1 (`EC PRIVATE KEY`, or `SM2 PRIVATE KEY` as OpenSSL 3's
    /// `openssl ec` labels it). `name` is how the caller calls the key
    /// (`clientPrvKey`); the error names it and never contains `text`.
    pub fn parse(name: &str, text: &str) -> Result<PrivateKey, KeyError> {
        parse_private(text).map_err(|problem| KeyError::new(name, KeyKind::Private, problem))
    }

    /// The key whose big-endian value is `bytes`; `None` outside [1, n−2].
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<PrivateKey> {
        from_scalar_bytes(bytes).ok()
    }

    /// The 32 big-endian bytes of *d*.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.d.to_repr().into())
    }

    /// 64 upper-case hex digits.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(crypto::hex_upper(&*self.to_bytes()))
    }

    /// Base64 of the 32 bytes.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(*self.to_bytes()))
    }

    /// Base64 of the bytes Java's `new BigInteger(1, d).toByteArray()` gives, the form the
    /// vendor's Java SDK prints: the shortest two's complement, so 33 bytes with a leading zero
    /// when the top bit is set, fewer than 32 when the top byte is zero. (A key below 2¹⁹²,
    /// which [`generate`] never makes, may print shorter than the parser accepts.)
    pub fn to_java_base64(&self) -> Zeroizing<String> {
        let bytes = self.to_bytes();
        let skip = bytes
            .iter()
            .zip(&bytes[1..])
            .take_while(|(&b, &next)| b == 0 && next < 0x80)
            .count();
        let mut java = Zeroizing::new(Vec::with_capacity(33));
        if bytes[0] >= 0x80 {
            java.push(0);
        }
        java.extend_from_slice(&bytes[skip..]);
        Zeroizing::new(STANDARD.encode(&*java))
    }

    /// PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey -algorithm SM2` writes it.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        self.secret_key()
            .to_pkcs8_pem(LineEnding::LF)
            .expect("encoding a valid SM2 key as PKCS#8 cannot fail")
    }

    /// PEM SEC 1 (`-----BEGIN EC PRIVATE KEY-----`), as `openssl ec` writes it.
    pub fn to_sec1_pem(&self) -> Zeroizing<String> {
        self.secret_key()
            .to_sec1_pem(LineEnding::LF)
            .expect("encoding a valid SM2 key as SEC 1 cannot fail")
    }

    /// The crate's key type, for its encoders (it zeroes itself on drop).
    fn secret_key(&self) -> sm2::SecretKey {
        let bytes = self.to_bytes();
        sm2::SecretKey::from_bytes(&FieldBytes::from(*bytes)).expect("d is in range")
    }
}

impl PublicKey {
    /// Parses a public key in any format of spec section 11: hex (either case) or base64 of
    /// the 65 bytes `04‖X‖Y` or of the 64 bytes `X‖Y`, or PEM SubjectPublicKeyInfo
    /// (`PUBLIC KEY`). The point must be on sm2p256v1. `name` is how the caller calls the key
    /// (`serverPubKey`); the error names it and never contains `text`.
    pub fn parse(name: &str, text: &str) -> Result<PublicKey, KeyError> {
        parse_public(text).map_err(|problem| KeyError::new(name, KeyKind::Public, problem))
    }

    /// The key whose uncompressed encoding is `04‖X‖Y`; `None` for a point not on the curve.
    pub fn from_sec1_bytes(bytes: &[u8; 65]) -> Option<PublicKey> {
        public_from_sec1(bytes).ok()
    }

    /// `04‖X‖Y`.
    pub fn to_bytes(&self) -> [u8; 65] {
        self.sec1
    }

    /// 130 upper-case hex digits, `04` first.
    pub fn to_hex(&self) -> String {
        crypto::hex_upper(&self.sec1)
    }

    /// Base64 of the 65 bytes `04‖X‖Y`.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.sec1)
    }

    /// PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), as OpenSSL writes it.
    pub fn to_spki_pem(&self) -> String {
        let point =
            sm2::PublicKey::from_sec1_bytes(&self.sec1).expect("a parsed key is on the curve");
        point
            .to_public_key_pem(LineEnding::LF)
            .expect("encoding a valid SM2 key as SPKI cannot fail")
    }
}

/// A new private key from the operating system's CSPRNG.
pub fn generate() -> PrivateKey {
    loop {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut *bytes).expect("the operating system's random source failed");
        // Outside [1, n−2] with probability about 2⁻³², below 2¹⁹² (whose Java form the parser
        // would take for a truncated key, see `MIN_KEY_BYTES`) with 2⁻⁶⁴: draw again.
        if bytes[..32 - MIN_KEY_BYTES].iter().all(|&b| b == 0) {
            continue;
        }
        if let Some(key) = PrivateKey::from_bytes(&bytes) {
            return key;
        }
    }
}

/// The public half of a private key.
pub fn public_of(key: &PrivateKey) -> PublicKey {
    key.public.clone()
}

// ---------------------------------------------------------------------------------------------
// Z, signing, verification

/// *Z* = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) of GB/T 32918.2, the hash of the user id
/// and the public key every SM2 signature covers.
pub fn z(user_id: &UserId, key: &PublicKey) -> [u8; 32] {
    let id = user_id.as_str().as_bytes();
    // At most 8191 bytes (checked by `UserId::new`), so the bit length fits.
    let entl = u16::try_from(id.len() * 8).expect("user id length checked");
    Sm3::new()
        .chain_update(entl.to_be_bytes())
        .chain_update(id)
        .chain_update(CURVE_A)
        .chain_update(CURVE_B)
        .chain_update(GENERATOR_X)
        .chain_update(GENERATOR_Y)
        .chain_update(&key.sec1[1..])
        .finalize()
        .into()
}

/// *e* = SM3(Z ‖ M), the digest that is signed.
fn digest(user_id: &UserId, key: &PublicKey, msg: &[u8]) -> [u8; 32] {
    Sm3::new()
        .chain_update(z(user_id, key))
        .chain_update(msg)
        .finalize()
        .into()
}

/// The SM2 signature `r‖s` (32 bytes each, big-endian) of `msg` under `user_id`.
///
/// The nonce *k* is hedged: RFC 6979's HMAC-SM3 generator over the key, the digest and 32 fresh
/// bytes from the operating system's CSPRNG, so it is new for every signature, and even a
/// broken random source could not repeat it across messages.
pub fn sign(key: &PrivateKey, user_id: &UserId, msg: &[u8]) -> [u8; 64] {
    let mut entropy = Zeroizing::new([0u8; 32]);
    // Without an OS random source no signature can be made safely: a platform failure, which
    // the panic boundary reports as an internal error (as for the nonce).
    getrandom::fill(&mut *entropy).expect("the operating system's random source failed");
    sign_with_entropy(key, user_id, msg, &entropy)
}

/// [`sign`] with its 32 random bytes given: the same bytes give the same signature.
pub fn sign_with_entropy(
    key: &PrivateKey,
    user_id: &UserId,
    msg: &[u8],
    entropy: &[u8; 32],
) -> [u8; 64] {
    let e = digest(user_id, &key.public, msg);
    sign_digest(key, &e, entropy)
}

/// [`sign`], as standard base64 with padding: the `signData` of spec section 11.
pub fn sign_base64(key: &PrivateKey, user_id: &UserId, msg: &[u8]) -> String {
    STANDARD.encode(sign(key, user_id, msg))
}

/// Signs the digest *e* with the nonces of RFC 6979's generator seeded with `added` (the
/// crate's `sign_prehash_with_rng`, step for step).
fn sign_digest(key: &PrivateKey, e: &[u8; 32], added: &[u8]) -> [u8; 64] {
    let e_scalar = reduce(e);
    let d_bytes = key.to_bytes();
    let mut kgen =
        rfc6979::KGenerator::<Sm3, U256>::new(&*d_bytes, &e_scalar.to_repr(), added, &Sm2::ORDER);
    let mut k_bytes = Zeroizing::new([0u8; 32]);
    loop {
        kgen.fill_next_k(&mut *k_bytes);
        // The generator only yields values in [1, n−1].
        let k = Zeroizing::new(
            Scalar::from_repr(FieldBytes::from(*k_bytes))
                .into_option()
                .expect("k is below n"),
        );
        if let Some(signature) = sign_with_k(key, &e_scalar, &k) {
            return signature;
        }
    }
}

/// GB/T 32918.2 section 6.1, steps A4 to A7, for one nonce *k*; `None` when *k* is unusable
/// (r = 0, r + k = n or s = 0: probability about 2⁻²⁵⁶), for the next one.
fn sign_with_k(key: &PrivateKey, e: &Scalar, k: &Scalar) -> Option<[u8; 64]> {
    let x1 = ProjectivePoint::mul_by_generator(k).to_affine().x();
    let r = *e + <Scalar as Reduce<FieldBytes>>::reduce(&x1);
    if bool::from(r.is_zero() | (r + k).is_zero()) {
        return None;
    }
    let s = *key.d_plus_1_inv * (*k - r * *key.d);
    if bool::from(s.is_zero()) {
        return None;
    }
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&r.to_repr());
    out[32..].copy_from_slice(&s.to_repr());
    Some(out)
}

/// A 32-byte big-endian number modulo n.
fn reduce(bytes: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(*bytes))
}

/// Whether `signature` (the `signData` text) is a valid SM2 signature of `msg` by `key` under
/// `user_id`. Accepted encodings (spec section 11): standard base64 with padding of the
/// 64 bytes `r‖s`, or of the DER `SEQUENCE { r INTEGER, s INTEGER }`. Anything else is `false`.
pub fn verify(key: &PublicKey, user_id: &UserId, msg: &[u8], signature: &str) -> bool {
    let candidates = signature_candidates(signature);
    if candidates.is_empty() {
        return false;
    }
    let e = digest(user_id, key, msg);
    candidates.iter().any(|sig| verifies(key, &e, sig))
}

/// GB/T 32918.2 verification steps B5–B7 for the digest `e` (B1, B2: r and s in [1, n−1], are
/// checked when the signature is read). The same steps as the crate's `verify_prehash`, with
/// the variable-time multi-scalar multiplication: everything here is public (key, message,
/// signature), and it takes about half the time of the constant-time one.
fn verifies(key: &PublicKey, e: &[u8; 32], sig: &Signature) -> bool {
    let (r, s) = (*sig.r(), *sig.s());
    let t = r + s;
    if bool::from(t.is_zero()) {
        return false;
    }
    let point =
        ProjectivePoint::lincomb_vartime(&[(ProjectivePoint::generator(), s), (key.point, t)]);
    if bool::from(point.is_identity()) {
        return false;
    }
    let x1 = point.to_affine().x();
    r == reduce(e) + <Scalar as Reduce<FieldBytes>>::reduce(&x1)
}

/// The signature `signData` holds as `r‖s` (either encoding of [`verify`]); `None` when it is
/// neither, or r or s is not in [1, n−1]. 64 bytes that read both as `r‖s` and as DER (a DER
/// whose r and s are 58 bytes together) are taken as `r‖s`; [`verify`] tries both.
pub fn decode_signature(signature: &str) -> Option<[u8; 64]> {
    signature_candidates(signature)
        .first()
        .map(|sig| sig.to_bytes().into())
}

/// The readings of a `signData` text: base64 of 64 bytes is `r‖s`; a DER `SEQUENCE` of two
/// integers is at least 8 and at most 72 bytes, so only a 64-byte one could be read both ways,
/// and then both readings are tried.
fn signature_candidates(signature: &str) -> Vec<Signature> {
    let Ok(bytes) = STANDARD.decode(signature) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(1);
    if bytes.len() == Signature::BYTE_SIZE {
        out.extend(Signature::from_slice(&bytes).ok());
    }
    out.extend(Signature::from_der(&bytes).ok());
    out
}

/// The DER `SEQUENCE { r, s }` of a signature `r‖s` (what OpenSSL reads and writes); `None` when
/// r or s is not in [1, n−1].
pub fn signature_to_der(signature: &[u8; 64]) -> Option<Vec<u8>> {
    let sig = Signature::from_slice(signature).ok()?;
    Some(sig.to_der().as_bytes().to_vec())
}

/// [`signature_to_der`] as standard base64: the second `signData` encoding of spec section 11.
pub fn signature_to_der_base64(signature: &[u8; 64]) -> Option<String> {
    signature_to_der(signature).map(|der| STANDARD.encode(der))
}

// ---------------------------------------------------------------------------------------------
// Key parsing

/// Which half of a key pair a text was meant to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Private,
    Public,
}

/// A key that does not parse: which key, and what is wrong with it. Its text is never kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    /// The key's name as the caller gave it (`clientPrvKey`, `serverPubKey`).
    pub name: String,
    pub kind: KeyKind,
    pub problem: KeyProblem,
}

/// What is wrong with a key text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    Empty,
    /// Neither hex, base64 nor PEM.
    NotHexBase64OrPem,
    /// Hex of a length no format has.
    HexLength {
        digits: usize,
    },
    /// Base64 of a length no format has.
    Base64Length {
        bytes: usize,
    },
    /// A private key of zero.
    Zero,
    /// A private key not below n − 1.
    OutOfRange,
    /// 65 bytes that do not start with `04`.
    NotUncompressed,
    NotOnCurve,
    /// A `-----BEGIN` without its `-----END`, headers, or a body that is not base64.
    PemMalformed,
    /// An encrypted PEM (`ENCRYPTED PRIVATE KEY`, or `Proc-Type: 4,ENCRYPTED`).
    PemEncrypted,
    /// A PEM of another type (its label, when printable).
    PemWrongType {
        label: String,
    },
    /// The DER inside the PEM is not the structure its label promises.
    DerMalformed {
        structure: &'static str,
    },
    /// A key of another algorithm or curve.
    NotSm2,
    /// A private-key PEM whose embedded public key is not the private key's.
    PublicMismatch,
}

impl KeyError {
    fn new(name: &str, kind: KeyKind, problem: KeyProblem) -> KeyError {
        KeyError {
            name: name.to_owned(),
            kind,
            problem,
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (zh_kind, en_kind, advice) = match self.kind {
            KeyKind::Private => (
                "私钥",
                "private",
                "请填写机构入网时获得的 SM2 私钥（64 位十六进制、Base64 或 PEM）",
            ),
            KeyKind::Public => (
                "公钥",
                "public",
                "请填写门户提供的 SM2 公钥（130 位十六进制、Base64 或 PEM）",
            ),
        };
        let (zh, en) = self.problem.describe(self.kind);
        write!(
            f,
            "{name} 不是有效的 SM2 {zh_kind}：{zh}；{advice} ({name} is not a valid SM2 {en_kind} key: {en})",
            name = self.name
        )
    }
}

impl std::error::Error for KeyError {}

impl KeyProblem {
    /// The problem in Chinese and in English.
    fn describe(&self, kind: KeyKind) -> (String, String) {
        let private = kind == KeyKind::Private;
        match self {
            KeyProblem::Empty => ("为空".into(), "it is empty".into()),
            KeyProblem::NotHexBase64OrPem => (
                "既不是十六进制、Base64，也不是 PEM".into(),
                "it is neither hex, base64 nor PEM".into(),
            ),
            KeyProblem::HexLength { digits } => {
                let (zh_expect, en_expect) = if private {
                    ("应为 64 位", "expected 64")
                } else {
                    (
                        "应为 130 位（04 开头）或 128 位",
                        "expected 130 (starting 04) or 128",
                    )
                };
                (
                    format!(
                        "十六进制长度为 {digits} 位，{zh_expect}{}",
                        hint_zh(kind, digits / 2)
                    ),
                    format!(
                        "{digits} hex digits, {en_expect}{}",
                        hint_en(kind, digits / 2)
                    ),
                )
            }
            KeyProblem::Base64Length { bytes } => {
                let (zh_expect, en_expect) = if private {
                    (
                        "应为 32 字节（Java BigInteger 形式为 33 字节）",
                        "expected 32 (33 in Java's BigInteger form)",
                    )
                } else {
                    (
                        "应为 65 字节（04‖X‖Y）或 64 字节（X‖Y）",
                        "expected 65 (04‖X‖Y) or 64 (X‖Y)",
                    )
                };
                (
                    format!(
                        "Base64 解码后为 {bytes} 字节，{zh_expect}{}",
                        hint_zh(kind, *bytes)
                    ),
                    format!(
                        "base64 of {bytes} bytes, {en_expect}{}",
                        hint_en(kind, *bytes)
                    ),
                )
            }
            KeyProblem::Zero => (
                "值为 0，不在 [1, n−2] 范围内".into(),
                "it is zero, outside [1, n−2]".into(),
            ),
            KeyProblem::OutOfRange => (
                "值不小于 n−1（n 为曲线的阶），不在 [1, n−2] 范围内".into(),
                "it is not below n−1 (n is the curve order), outside [1, n−2]".into(),
            ),
            KeyProblem::NotUncompressed => (
                "65 字节但首字节不是 04（非压缩点格式）".into(),
                "65 bytes that do not start with 04 (uncompressed point)".into(),
            ),
            KeyProblem::NotOnCurve => (
                "不是 SM2 曲线 sm2p256v1 上的点".into(),
                "it is not a point on the curve sm2p256v1".into(),
            ),
            KeyProblem::PemMalformed => (
                "PEM 格式损坏（缺少 END 行、标签不一致或内容不是 Base64）".into(),
                "a broken PEM (no END line, mismatched labels, or a body that is not base64)"
                    .into(),
            ),
            KeyProblem::PemEncrypted => (
                "PEM 已加密，请先解密（openssl pkey -in 加密.pem -out 明文.pem）".into(),
                "an encrypted PEM; decrypt it first (openssl pkey -in enc.pem -out plain.pem)"
                    .into(),
            ),
            KeyProblem::PemWrongType { label } => wrong_type(kind, label),
            KeyProblem::DerMalformed { structure } => (
                format!("PEM 内容不是有效的 {structure} 结构"),
                format!("the PEM does not hold a valid {structure} structure"),
            ),
            KeyProblem::NotSm2 => (
                "不是 SM2 密钥（算法或曲线不是 sm2p256v1）".into(),
                "not an SM2 key (another algorithm or curve than sm2p256v1)".into(),
            ),
            KeyProblem::PublicMismatch => (
                "PEM 内附带的公钥与私钥不匹配".into(),
                "the public key inside the PEM is not the private key's".into(),
            ),
        }
    }
}

/// When a private key was given the length of a public one, or the reverse, say so.
fn hint_zh(kind: KeyKind, bytes: usize) -> &'static str {
    match (kind, bytes) {
        (KeyKind::Private, 64 | 65) => "；这像是公钥，此处需要私钥",
        (KeyKind::Public, 32 | 33) => "；这像是私钥，此处需要公钥（切勿把私钥交给他人）",
        _ => "",
    }
}

fn hint_en(kind: KeyKind, bytes: usize) -> &'static str {
    match (kind, bytes) {
        (KeyKind::Private, 64 | 65) => "; this looks like a public key",
        (KeyKind::Public, 32 | 33) => "; this looks like a private key (never hand it out)",
        _ => "",
    }
}

fn wrong_type(kind: KeyKind, label: &str) -> (String, String) {
    let (zh_expect, en_expect) = match kind {
        KeyKind::Private => (
            "PRIVATE KEY 或 EC PRIVATE KEY",
            "PRIVATE KEY or EC PRIVATE KEY",
        ),
        KeyKind::Public => ("PUBLIC KEY", "PUBLIC KEY"),
    };
    let (zh_hint, en_hint) = match (kind, label) {
        (KeyKind::Public, "CERTIFICATE") => (
            "；可用 openssl x509 -in 证书.pem -pubkey -noout 取出公钥",
            "; extract the key with openssl x509 -in cert.pem -pubkey -noout",
        ),
        (KeyKind::Public, l) if l.contains("PRIVATE") => (
            "；这是私钥，此处需要公钥（切勿把私钥交给他人）",
            "; this is a private key (never hand it out)",
        ),
        (KeyKind::Private, "PUBLIC KEY") => ("；这是公钥，此处需要私钥", "; this is a public key"),
        _ => ("", ""),
    };
    let shown = if label.is_empty() { "?" } else { label };
    (
        format!("PEM 类型为 {shown}，应为 {zh_expect}{zh_hint}"),
        format!("a PEM of type {shown}, expected {en_expect}{en_hint}"),
    )
}

/// Base64 for key texts: the standard alphabet, padding optional (some tools drop it).
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn decode_base64(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    KEY_BASE64.decode(text).ok().map(Zeroizing::new)
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The text without surrounding whitespace or byte order mark.
fn trimmed(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// The text without any whitespace: base64 wrapped at 64 or 76 columns, hex in groups.
fn squeezed(text: &str) -> Zeroizing<String> {
    Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect())
}

fn is_pem(text: &str) -> bool {
    text.starts_with("-----BEGIN")
}

fn parse_private(text: &str) -> Result<PrivateKey, KeyProblem> {
    let text = trimmed(text);
    if text.is_empty() {
        return Err(KeyProblem::Empty);
    }
    if is_pem(text) {
        return private_from_pem(text);
    }
    let compact = squeezed(text);
    let bytes = private_bytes(&compact)?;
    from_scalar_bytes(&bytes)
}

/// The 32 bytes of a hex or base64 private key.
fn private_bytes(text: &str) -> Result<Zeroizing<[u8; 32]>, KeyProblem> {
    // Text made of hex digits only is read as hex and nothing else: a hex key cut short by a
    // copy and paste (40 digits, say) is also valid base64, and must not become another key.
    if is_hex(text) {
        let digits =
            private_hex_digits(text).ok_or(KeyProblem::HexLength { digits: text.len() })?;
        let bytes = crypto::hex_decode(&digits).expect("checked hex digits");
        return Ok(left_padded(&Zeroizing::new(bytes)).expect("at most 32 bytes"));
    }
    match decode_base64(text) {
        Some(bytes) => {
            java_big_integer(&bytes).ok_or(KeyProblem::Base64Length { bytes: bytes.len() })
        }
        None => Err(KeyProblem::NotHexBase64OrPem),
    }
}

/// The 64 digits of a hex private key: 64 as they are; 66 starting `00` (the hex of Java's
/// 33 bytes); 48 to 63 (Java's `BigInteger.toString(16)`, which drops leading zeros) padded
/// with zeros. Other lengths are not hex keys.
fn private_hex_digits(text: &str) -> Option<Zeroizing<String>> {
    let digits = match text.len() {
        64 => text,
        66 if text.starts_with("00") => &text[2..],
        n if (2 * MIN_KEY_BYTES..64).contains(&n) => text,
        _ => return None,
    };
    let mut out = Zeroizing::new(String::with_capacity(64));
    out.extend(std::iter::repeat_n('0', 64 - digits.len()));
    out.push_str(digits);
    Some(out)
}

/// A private key's bytes as Java's `BigInteger.toByteArray()` or a plain 32-byte encoding
/// gives them: 33 bytes with a leading zero, 32, or fewer down to [`MIN_KEY_BYTES`] (a key
/// whose top bytes are zero).
fn java_big_integer(bytes: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    match bytes.len() {
        33 if bytes[0] == 0 => left_padded(&bytes[1..]),
        n if (MIN_KEY_BYTES..=32).contains(&n) => left_padded(bytes),
        _ => None,
    }
}

/// A big-endian number of at most 32 bytes as exactly 32.
fn left_padded(bytes: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    if bytes.len() > 32 {
        return None;
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out[32 - bytes.len()..].copy_from_slice(bytes);
    Some(out)
}

/// The key *d* = `bytes` if it is in [1, n−2] (n−1 has no (1 + d)⁻¹).
fn from_scalar_bytes(bytes: &[u8; 32]) -> Result<PrivateKey, KeyProblem> {
    let d = Zeroizing::new(
        Scalar::from_repr(FieldBytes::from(*bytes))
            .into_option()
            .ok_or(KeyProblem::OutOfRange)?,
    );
    if bool::from(d.is_zero()) {
        return Err(KeyProblem::Zero);
    }
    let d_plus_1_inv = Zeroizing::new(
        (*d + Scalar::ONE)
            .invert()
            .into_option()
            .ok_or(KeyProblem::OutOfRange)?,
    );
    let point = ProjectivePoint::mul_by_generator(&*d).to_affine();
    let sec1: [u8; 65] = point
        .to_sec1_point(false)
        .as_bytes()
        .try_into()
        .expect("an uncompressed point is 65 bytes");
    let public = public_from_sec1(&sec1).expect("d·G is on the curve and not infinity");
    Ok(PrivateKey {
        d,
        d_plus_1_inv,
        public,
    })
}

fn parse_public(text: &str) -> Result<PublicKey, KeyProblem> {
    let text = trimmed(text);
    if text.is_empty() {
        return Err(KeyProblem::Empty);
    }
    if is_pem(text) {
        return public_from_pem(text);
    }
    let compact = squeezed(text);
    let hex = is_hex(&compact);
    let bytes = if hex && matches!(compact.len(), 128 | 130) {
        crypto::hex_decode(&compact).expect("checked hex digits")
    } else {
        match decode_base64(&compact) {
            Some(bytes) if matches!(bytes.len(), 64 | 65) => bytes.to_vec(),
            _ if hex => {
                return Err(KeyProblem::HexLength {
                    digits: compact.len(),
                })
            }
            Some(bytes) => return Err(KeyProblem::Base64Length { bytes: bytes.len() }),
            None => return Err(KeyProblem::NotHexBase64OrPem),
        }
    };
    public_from_bytes(&bytes)
}

/// A public key from 65 bytes `04‖X‖Y` or 64 bytes `X‖Y`.
fn public_from_bytes(bytes: &[u8]) -> Result<PublicKey, KeyProblem> {
    let mut sec1 = [0u8; 65];
    match bytes.len() {
        65 if bytes[0] == 0x04 => sec1.copy_from_slice(bytes),
        65 => return Err(KeyProblem::NotUncompressed),
        64 => {
            sec1[0] = 0x04;
            sec1[1..].copy_from_slice(bytes);
        }
        n => return Err(KeyProblem::Base64Length { bytes: n }),
    }
    public_from_sec1(&sec1)
}

fn public_from_sec1(sec1: &[u8; 65]) -> Result<PublicKey, KeyProblem> {
    let point = sm2::PublicKey::from_sec1_bytes(sec1).map_err(|_| KeyProblem::NotOnCurve)?;
    Ok(PublicKey {
        sec1: *sec1,
        point: point.to_projective(),
    })
}

// ---------------------------------------------------------------------------------------------
// PEM

/// One `-----BEGIN label-----` … `-----END label-----` block, its body not yet decoded.
struct PemBlock<'a> {
    label: &'a str,
    body: &'a str,
}

/// The PEM blocks of a text. Lenient about layout (CRLF, any line width, the whole key on one
/// line, `\n` written as the two characters of a JSON or INI escape), strict about structure.
fn pem_blocks(text: &str) -> Result<Vec<PemBlock<'_>>, KeyProblem> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let label_end = after.find("-----").ok_or(KeyProblem::PemMalformed)?;
        let label = &after[..label_end];
        let after_label = &after[label_end + "-----".len()..];
        let end_marker = format!("-----END {label}-----");
        let body_end = after_label
            .find(&end_marker)
            .ok_or(KeyProblem::PemMalformed)?;
        blocks.push(PemBlock {
            label,
            body: &after_label[..body_end],
        });
        rest = &after_label[body_end + end_marker.len()..];
    }
    if blocks.is_empty() {
        return Err(KeyProblem::PemMalformed);
    }
    Ok(blocks)
}

/// The DER a block's body holds.
fn pem_der(block: &PemBlock<'_>) -> Result<Zeroizing<Vec<u8>>, KeyProblem> {
    if block.body.contains(':') {
        // RFC 1421 headers: `Proc-Type: 4,ENCRYPTED` and its `DEK-Info`, or something else
        // that is not a plain key.
        return Err(if block.body.contains("ENCRYPTED") {
            KeyProblem::PemEncrypted
        } else {
            KeyProblem::PemMalformed
        });
    }
    let body = Zeroizing::new(block.body.replace("\\r", "").replace("\\n", ""));
    let der = decode_base64(&squeezed(&body)).ok_or(KeyProblem::PemMalformed)?;
    canonical_lengths(&der).ok_or(KeyProblem::DerMalformed {
        structure: structure_of(block.label),
    })
}

/// The structure a PEM label promises, for error messages.
fn structure_of(label: &str) -> &'static str {
    match label {
        "EC PRIVATE KEY" | "SM2 PRIVATE KEY" => "SEC 1 ECPrivateKey",
        "PUBLIC KEY" => "SubjectPublicKeyInfo",
        _ => "PKCS#8 PrivateKeyInfo",
    }
}

/// How deep a key's DER nests (PKCS#8 ⊃ SEC 1 ⊃ `[1]` ⊃ BIT STRING is 4): deeper input is
/// refused rather than followed.
const MAX_DER_DEPTH: usize = 8;

/// The DER of a key with every length in its shortest form. OpenSSL reads BER lengths (such as
/// `30 81 77` for a 119-byte SEQUENCE, as in the spec's SEC 1 vector) and some tools write them;
/// the `der` crate, rightly strict, does not. Tags and contents are kept as they are; indefinite
/// lengths, high tag numbers and trailing bytes are refused (`None`).
fn canonical_lengths(der: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(der.len()));
    let rest = copy_tlv(der, &mut out, 0)?;
    rest.is_empty().then_some(out)
}

/// Copies the TLV at the start of `input` to `out` with a minimal length, its contents too when
/// it is constructed; returns the bytes after it.
fn copy_tlv<'a>(input: &'a [u8], out: &mut Vec<u8>, depth: usize) -> Option<&'a [u8]> {
    if depth > MAX_DER_DEPTH {
        return None;
    }
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, after) = rest.split_at(count);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, &b| acc << 8 | usize::from(b))
    };
    if rest.len() < len {
        return None;
    }
    let (contents, after) = rest.split_at(len);
    out.push(tag);
    if tag & 0x20 == 0 {
        push_length(out, len);
        out.extend_from_slice(contents);
    } else {
        let mut inner = Zeroizing::new(Vec::with_capacity(len));
        let mut remaining = contents;
        while !remaining.is_empty() {
            remaining = copy_tlv(remaining, &mut inner, depth + 1)?;
        }
        push_length(out, inner.len());
        out.extend_from_slice(&inner);
    }
    Some(after)
}

/// A DER length in its shortest form.
fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// The label of a PEM block, shown in errors only when it looks like a label.
fn printable_label(label: &str) -> String {
    if label.len() <= 40
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b' ' || b.is_ascii_digit())
    {
        label.to_owned()
    } else {
        String::new()
    }
}

/// The first block that is not `EC PARAMETERS` or `SM2 PARAMETERS` (which `openssl ecparam
/// -genkey` writes before the key), for the wrong-type message.
fn first_other_label(blocks: &[PemBlock<'_>]) -> String {
    let block = blocks
        .iter()
        .find(|b| !b.label.ends_with("PARAMETERS"))
        .unwrap_or(&blocks[0]);
    printable_label(block.label)
}

fn private_from_pem(text: &str) -> Result<PrivateKey, KeyProblem> {
    let blocks = pem_blocks(text)?;
    // `SM2 PRIVATE KEY` is what OpenSSL 3's `openssl ec` writes for an SM2 key: SEC 1 inside.
    let wanted = [
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "SM2 PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
    ];
    let Some(block) = blocks.iter().find(|b| wanted.contains(&b.label)) else {
        return Err(KeyProblem::PemWrongType {
            label: first_other_label(&blocks),
        });
    };
    match block.label {
        "PRIVATE KEY" => private_from_pkcs8(&pem_der(block)?),
        "EC PRIVATE KEY" | "SM2 PRIVATE KEY" => {
            private_from_sec1(&pem_der(block)?, "SEC 1 ECPrivateKey")
        }
        _ => Err(KeyProblem::PemEncrypted),
    }
}

fn private_from_pkcs8(der: &[u8]) -> Result<PrivateKey, KeyProblem> {
    let info =
        sm2::pkcs8::PrivateKeyInfoRef::try_from(der).map_err(|_| KeyProblem::DerMalformed {
            structure: "PKCS#8 PrivateKeyInfo",
        })?;
    info.algorithm
        .assert_oids(EC_PUBLIC_KEY, Sm2::OID)
        .map_err(|_| KeyProblem::NotSm2)?;
    private_from_sec1(info.private_key.as_bytes(), "PKCS#8 PrivateKeyInfo")
}

/// A SEC 1 `ECPrivateKey`: its curve, if named, must be SM2's, and its public key, if present,
/// the private key's.
fn private_from_sec1(der: &[u8], structure: &'static str) -> Result<PrivateKey, KeyProblem> {
    let malformed = KeyProblem::DerMalformed { structure };
    // Inside PKCS#8 the SEC 1 structure is an OCTET STRING's contents: its lengths too.
    let der = canonical_lengths(der).ok_or(malformed.clone())?;
    let ec = sec1::EcPrivateKey::try_from(der.as_slice()).map_err(|_| malformed.clone())?;
    if let Some(sec1::EcParameters::NamedCurve(curve)) = ec.parameters {
        if curve != Sm2::OID {
            return Err(KeyProblem::NotSm2);
        }
    }
    let bytes = left_padded(ec.private_key).ok_or(malformed)?;
    let key = from_scalar_bytes(&bytes)?;
    if let Some(embedded) = ec.public_key {
        let matches = sm2::PublicKey::from_sec1_bytes(embedded)
            .map(|p| p.to_sec1_point(false).as_bytes() == key.public.sec1.as_slice())
            .unwrap_or(false);
        if !matches {
            return Err(KeyProblem::PublicMismatch);
        }
    }
    Ok(key)
}

fn public_from_pem(text: &str) -> Result<PublicKey, KeyProblem> {
    let blocks = pem_blocks(text)?;
    let Some(block) = blocks.iter().find(|b| b.label == "PUBLIC KEY") else {
        return Err(KeyProblem::PemWrongType {
            label: first_other_label(&blocks),
        });
    };
    let der = pem_der(block)?;
    let info = sm2::pkcs8::SubjectPublicKeyInfoRef::try_from(der.as_slice()).map_err(|_| {
        KeyProblem::DerMalformed {
            structure: "SubjectPublicKeyInfo",
        }
    })?;
    info.algorithm
        .assert_oids(EC_PUBLIC_KEY, Sm2::OID)
        .map_err(|_| KeyProblem::NotSm2)?;
    let point = info
        .subject_public_key
        .as_bytes()
        .ok_or(KeyProblem::DerMalformed {
            structure: "SubjectPublicKeyInfo",
        })?;
    public_from_bytes(point)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm2::dsa::signature::hazmat::PrehashSigner;
    use sm2::dsa::signature::Verifier;
    use sm2::dsa::SigningKey;

    fn key(hex: &str) -> PrivateKey {
        PrivateKey::parse("k", hex).unwrap()
    }

    #[test]
    fn curve_constants_are_the_crates() {
        let g = sm2::AffinePoint::GENERATOR.to_sec1_point(false);
        assert_eq!(&g.as_bytes()[1..33], GENERATOR_X);
        assert_eq!(&g.as_bytes()[33..], GENERATOR_Y);
        // b is on the curve equation; a = p − 3 with p = 2²⁵⁶ − 2²²⁴ − 2⁹⁶ + 2⁶⁴ − 1.
        assert_eq!(CURVE_A[31], 0xFC);
        assert_eq!(Sm2::ORDER.to_be_bytes()[..4], [0xFF, 0xFF, 0xFF, 0xFE]);
    }

    /// RFC 8998 appendix A (from GB/T 32918.5): the signature with a known k.
    #[test]
    fn known_k_signature_of_rfc_8998() {
        let d = key("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8");
        assert_eq!(
            public_of(&d).to_hex(),
            "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020\
             CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
        );
        let e = digest(&UserId::default(), &d.public, b"message digest");
        let k = Scalar::from_repr(FieldBytes::from(hex32(
            "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21",
        )))
        .unwrap();
        let sig = sign_with_k(&d, &reduce(&e), &k).unwrap();
        assert_eq!(
            crypto::hex_upper(&sig),
            "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3\
             B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
        );
    }

    /// The signing written out here is the crate's, bit for bit (deterministic RFC 6979, no
    /// added bytes), and the crate verifies it with its own *Z*.
    #[test]
    fn signing_is_the_crates() {
        for hex in [
            "AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0",
            "20719101D4A830E974FA9FC1FF978F8B69C2C2129224D002726AF78C26E9FD76",
        ] {
            let ours = key(hex);
            for id in [DEFAULT_USER_ID, "ALICE123@YAHOO.COM", ""] {
                let user = UserId::new(id).unwrap();
                let theirs = SigningKey::from_slice(id, &*ours.to_bytes()).unwrap();
                let msg = "appId=1&data={\"患者\":\"周大鹏\"}".as_bytes();
                let e = digest(&user, &ours.public, msg);
                let expected: Signature = theirs.sign_prehash(&e).unwrap();
                assert_eq!(
                    sign_digest(&ours, &e, &[]),
                    <[u8; 64]>::from(expected.to_bytes())
                );
                let sig = sign(&ours, &user, msg);
                let parsed = Signature::from_slice(&sig).unwrap();
                theirs.verifying_key().verify(msg, &parsed).unwrap();
            }
        }
    }

    /// The variable-time verification here agrees with the crate's constant-time one, on good
    /// signatures and on every one-bit change of r or s (the crate's `VerifyingKey` computes
    /// its own *Z*: the default user id gives the same digest).
    #[test]
    fn verification_agrees_with_the_crates() {
        use sm2::dsa::signature::hazmat::PrehashVerifier;
        for hex in [
            "AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0",
            "20719101D4A830E974FA9FC1FF978F8B69C2C2129224D002726AF78C26E9FD76",
        ] {
            let d = key(hex);
            let theirs = SigningKey::from_slice(DEFAULT_USER_ID, &*d.to_bytes()).unwrap();
            let msg = "appId=1&data={\"患者\":\"周大鹏\"}".as_bytes();
            let e = digest(&UserId::default(), &d.public, msg);
            let good = sign(&d, &UserId::default(), msg);
            let mut cases = vec![good];
            for bit in (0..512).step_by(7) {
                let mut bad = good;
                bad[bit / 8] ^= 1 << (bit % 8);
                cases.push(bad);
            }
            for bytes in cases {
                let Ok(sig) = Signature::from_slice(&bytes) else {
                    continue;
                };
                let crate_says = theirs.verifying_key().verify_prehash(&e, &sig).is_ok();
                assert_eq!(verifies(&d.public, &e, &sig), crate_says);
                assert_eq!(crate_says, bytes == good);
            }
        }
    }

    #[test]
    fn entropy_makes_the_nonce() {
        let d = key("AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0");
        let id = UserId::default();
        let a = sign_with_entropy(&d, &id, b"m", &[1; 32]);
        assert_eq!(a, sign_with_entropy(&d, &id, b"m", &[1; 32]));
        assert_ne!(a, sign_with_entropy(&d, &id, b"m", &[2; 32]));
        assert_ne!(sign(&d, &id, b"m"), sign(&d, &id, b"m"));
    }

    #[test]
    fn range_ends() {
        let n = Sm2::ORDER.to_be_bytes();
        let mut n_minus_1: [u8; 32] = n.as_ref().try_into().unwrap();
        n_minus_1[31] -= 1;
        let mut n_minus_2 = n_minus_1;
        n_minus_2[31] -= 1;
        let mut one = [0u8; 32];
        one[31] = 1;
        assert!(PrivateKey::from_bytes(&one).is_some());
        assert!(PrivateKey::from_bytes(&n_minus_2).is_some());
        assert!(PrivateKey::from_bytes(&n_minus_1).is_none());
        assert_eq!(
            PrivateKey::parse("k", &crypto::hex_upper(&n_minus_1))
                .unwrap_err()
                .problem,
            KeyProblem::OutOfRange
        );
    }

    #[test]
    fn java_forms_round_trip() {
        for top in [0x00u8, 0x01, 0x7f, 0x80, 0xff] {
            for second in [0x00u8, 0x7f, 0x80] {
                let mut bytes = [0x5au8; 32];
                bytes[0] = top;
                bytes[1] = second;
                let d = PrivateKey::from_bytes(&bytes).unwrap();
                let java = d.to_java_base64();
                let decoded = STANDARD.decode(&*java).unwrap();
                // Java's toByteArray: the shortest two's complement of a positive number.
                assert!(decoded[0] < 0x80);
                assert!(decoded.len() == 1 || !(decoded[0] == 0 && decoded[1] < 0x80));
                let back = PrivateKey::parse("k", &java).unwrap();
                assert_eq!(*back.to_bytes(), bytes);
            }
        }
    }

    const CLIENT_HEX: &str = "AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0";
    const CLIENT_PUBLIC_HEX: &str = "0444B4B876E7C2FBD2932391323431C0EDADDE62218647AF639564C633AD357AFE18B4BE1BA4354D114EF9347FB5F698A5A3D5E7BFE1C476A2082FE89F7C6C4F94";
    const SERVER_PUBLIC_HEX: &str = "047DA2F9B9B068936A33F4A8A71C7B305DC8CE398905B5DCEB0C209130011ECDA6F02373E071FB6D37BF10C21457CBC9DBD0115073F55C1A2ECBC0B5A9308EB2B4";

    /// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`.
    const P256_PKCS8: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYJpuQXY0AEPS5/HH
cg8Dwk0dPuVpvxq+PvlB6ANoZL2hRANCAARMd71DSaBeMoYBT6mbBGpHizVsxvle
U6HtP9MKj3sKgEoF+QMfWUb9F/feK5idHyiB8IRiaXcgF/3IPpvTpXdi
-----END PRIVATE KEY-----
";

    fn private_problem(text: &str) -> KeyProblem {
        let err = PrivateKey::parse("clientPrvKey", text).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("clientPrvKey 不是有效的 SM2 私钥"));
        err.problem
    }

    fn public_problem(text: &str) -> KeyProblem {
        let err = PublicKey::parse("serverPubKey", text).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("serverPubKey 不是有效的 SM2 公钥"));
        err.problem
    }

    /// Layouts the vectors do not show but integrators produce: PEM with CRLF, on one line,
    /// with `\n` escapes, after an `SM2 PARAMETERS` block; Java's hex forms; unpadded base64;
    /// base64 wrapped at 76 columns.
    #[test]
    fn lenient_layouts_of_the_same_key() {
        let d = key(CLIENT_HEX);
        let pkcs8 = d.to_pkcs8_pem();
        let sec1 = d.to_sec1_pem();
        let crlf = pkcs8.replace('\n', "\r\n");
        let one_line = pkcs8.replace('\n', " ");
        let escaped = sec1.replace('\n', "\\n");
        let with_params = format!(
            "-----BEGIN SM2 PARAMETERS-----\nBggqgRzPVQGCLQ==\n-----END SM2 PARAMETERS-----\n{}",
            *sec1
        );
        let java_hex = format!("00{CLIENT_HEX}");
        let lower = CLIENT_HEX.to_lowercase();
        let unpadded = d.to_base64().trim_end_matches('=').to_owned();
        let spaced = format!("\u{feff}  {}\r\n", *d.to_java_base64());
        for text in [
            crlf.as_str(),
            one_line.as_str(),
            escaped.as_str(),
            with_params.as_str(),
            java_hex.as_str(),
            lower.as_str(),
            unpadded.as_str(),
            spaced.as_str(),
        ] {
            let parsed = PrivateKey::parse("clientPrvKey", text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(*parsed.to_hex(), CLIENT_HEX);
        }
        // Java's BigInteger.toString(16) drops leading zero digits.
        let mut small = [0x11u8; 32];
        small[0] = 0x0a;
        let short = crypto::hex_upper(&small)[1..].to_owned();
        assert_eq!(*PrivateKey::parse("k", &short).unwrap().to_bytes(), small);

        let q = public_of(&d);
        let b64 = q.to_base64();
        let mime = format!("{}\r\n{}", &b64[..76], &b64[76..]);
        let spki_crlf = q.to_spki_pem().replace('\n', "\r\n");
        for text in [
            mime.as_str(),
            spki_crlf.as_str(),
            &CLIENT_PUBLIC_HEX.to_lowercase(),
        ] {
            let parsed = PublicKey::parse("serverPubKey", text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed.to_hex(), CLIENT_PUBLIC_HEX);
        }
    }

    #[test]
    fn what_is_wrong_is_named() {
        let d = key(CLIENT_HEX);
        let q = public_of(&d);
        assert_eq!(private_problem("  \r\n"), KeyProblem::Empty);
        assert_eq!(
            private_problem(CLIENT_PUBLIC_HEX),
            KeyProblem::HexLength { digits: 130 }
        );
        assert!(PrivateKey::parse("k", CLIENT_PUBLIC_HEX)
            .unwrap_err()
            .to_string()
            .contains("looks like a public key"));
        assert_eq!(
            public_problem(CLIENT_HEX),
            KeyProblem::HexLength { digits: 64 }
        );
        assert!(PublicKey::parse("k", CLIENT_HEX)
            .unwrap_err()
            .to_string()
            .contains("looks like a private key"));
        assert_eq!(
            private_problem(&q.to_base64()),
            KeyProblem::Base64Length { bytes: 65 }
        );
        assert_eq!(
            public_problem(&d.to_base64()),
            KeyProblem::Base64Length { bytes: 32 }
        );
        // 33 bytes without the leading zero of Java's form.
        assert_eq!(
            private_problem(&STANDARD.encode([1u8; 33])),
            KeyProblem::Base64Length { bytes: 33 }
        );
        let mut not_04 = q.to_bytes();
        not_04[0] = 0x02;
        assert_eq!(
            public_problem(&crypto::hex_upper(&not_04)),
            KeyProblem::NotUncompressed
        );
        // A compressed point is not a format of section 11.
        assert_eq!(
            public_problem(&crypto::hex_upper(&not_04[..33])),
            KeyProblem::HexLength { digits: 66 }
        );

        // PEM of the wrong type, either way round, and a certificate.
        assert_eq!(
            private_problem(&q.to_spki_pem()),
            KeyProblem::PemWrongType {
                label: "PUBLIC KEY".into()
            }
        );
        assert_eq!(
            public_problem(&d.to_pkcs8_pem()),
            KeyProblem::PemWrongType {
                label: "PRIVATE KEY".into()
            }
        );
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let err = PublicKey::parse("serverPubKey", cert).unwrap_err();
        assert!(err.to_string().contains("openssl x509"), "{err}");
        // A label that is not a label is not shown.
        let odd = "-----BEGIN secret stuff-----\nMIIB\n-----END secret stuff-----";
        assert_eq!(
            public_problem(odd),
            KeyProblem::PemWrongType {
                label: String::new()
            }
        );

        // Broken PEM.
        let pkcs8 = d.to_pkcs8_pem();
        assert_eq!(
            private_problem(&pkcs8[..pkcs8.len() - 20]),
            KeyProblem::PemMalformed
        );
        assert_eq!(
            private_problem("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----"),
            KeyProblem::PemMalformed
        );
        assert_eq!(
            private_problem("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----"),
            KeyProblem::DerMalformed {
                structure: "PKCS#8 PrivateKeyInfo"
            }
        );
        assert_eq!(
            private_problem(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----"
            ),
            KeyProblem::PemEncrypted
        );
        let legacy = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAA=\n-----END EC PRIVATE KEY-----";
        assert_eq!(private_problem(legacy), KeyProblem::PemEncrypted);

        // Another curve.
        assert_eq!(private_problem(P256_PKCS8), KeyProblem::NotSm2);

        // A SEC 1 key whose embedded public key is another key's.
        let der_of = |pem: &str| {
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            STANDARD.decode(body).unwrap()
        };
        let mut der = der_of(&d.to_sec1_pem());
        let at = der.len() - 65;
        let server = crypto::hex_decode(SERVER_PUBLIC_HEX).unwrap();
        der[at..].copy_from_slice(&server);
        let pem = format!(
            "-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
            STANDARD.encode(&der)
        );
        assert_eq!(private_problem(&pem), KeyProblem::PublicMismatch);
    }

    #[test]
    fn lengths_are_made_minimal_and_nothing_else_changes() {
        // The spec's SEC 1 vector's outer header, long form.
        let ber = [0x30, 0x81, 0x03, 0x02, 0x01, 0x05];
        assert_eq!(
            canonical_lengths(&ber).unwrap().as_slice(),
            [0x30, 0x03, 0x02, 0x01, 0x05]
        );
        let der = key(CLIENT_HEX).to_pkcs8_pem();
        let body: String = der.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = STANDARD.decode(body).unwrap();
        assert_eq!(canonical_lengths(&der).unwrap().as_slice(), der.as_slice());
        // Indefinite lengths, truncation, trailing bytes, high tags, deep nesting: refused.
        for bad in [
            &[0x30, 0x80, 0x00, 0x00][..],
            &[0x30, 0x05, 0x02, 0x01][..],
            &[0x02, 0x01, 0x05, 0x00][..],
            &[0x1f, 0x01, 0x00][..],
            &[0x30, 0x85, 0, 0, 0, 0, 1][..],
        ] {
            assert!(canonical_lengths(bad).is_none(), "{bad:02x?}");
        }
        let nested = |depth: usize| {
            let mut tlv = vec![0x05, 0x00];
            for _ in 0..depth {
                tlv = [vec![0x30, tlv.len() as u8], tlv].concat();
            }
            tlv
        };
        assert!(canonical_lengths(&nested(MAX_DER_DEPTH)).is_some());
        assert!(canonical_lengths(&nested(MAX_DER_DEPTH + 1)).is_none());
    }

    /// Found by the fuzz target: a key whose top 4 bytes are zero printed a 28-byte Java form
    /// that the parser refused. Every key [`generate`] can make round-trips.
    #[test]
    fn hex_cut_short_is_never_read_as_base64() {
        // 40 hex digits are also base64 of 30 bytes, a valid Java-style key: refused as hex.
        let hex = "AFA3F4908938DFE9BD560A23E7160ECEB0579FCB";
        assert!(decode_base64(hex).is_some_and(|b| b.len() == 30));
        assert_eq!(
            PrivateKey::parse("k", hex).unwrap_err().problem,
            KeyProblem::HexLength { digits: 40 }
        );
    }

    #[test]
    fn java_forms_of_keys_with_leading_zero_bytes_round_trip() {
        for zeros in 0..=8 {
            for next in [0x01u8, 0x7f, 0x80, 0xff] {
                let mut bytes = [0x5au8; 32];
                bytes[..zeros].fill(0);
                bytes[zeros] = next;
                let d = PrivateKey::from_bytes(&bytes).unwrap();
                let back = PrivateKey::parse("k", &d.to_java_base64()).unwrap();
                assert_eq!(
                    *back.to_bytes(),
                    bytes,
                    "{zeros} zero bytes, then {next:02x}"
                );
                // And Java's BigInteger.toString(16), which drops leading zero digits, down to
                // the same 24-byte floor.
                let hex = d.to_hex();
                let short = hex.trim_start_matches('0');
                if short.len() >= 2 * MIN_KEY_BYTES {
                    assert_eq!(*PrivateKey::parse("k", short).unwrap().to_bytes(), bytes);
                }
            }
        }
        // Shorter than 24 bytes: a truncated key, refused.
        assert_eq!(
            PrivateKey::parse("k", &STANDARD.encode([0x11u8; 23]))
                .unwrap_err()
                .problem,
            KeyProblem::Base64Length { bytes: 23 }
        );
        assert_eq!(
            PrivateKey::parse("k", &"1".repeat(47)).unwrap_err().problem,
            KeyProblem::HexLength { digits: 47 }
        );
    }

    #[test]
    fn debug_hides_the_private_key() {
        let d = key("AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0");
        assert_eq!(format!("{d:?}"), "PrivateKey(<redacted>)");
    }

    #[test]
    fn user_id_length_limit() {
        assert!(UserId::new("a".repeat(MAX_USER_ID_BYTES)).is_ok());
        let err = UserId::new("a".repeat(MAX_USER_ID_BYTES + 1)).unwrap_err();
        assert!(err.to_string().starts_with("SM2 用户标识"));
    }
}
