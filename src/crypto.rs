//! The protocol's cryptographic primitives (spec sections 2, 3 and 5): SM3, SM4-ECB with PKCS#7
//! padding, the data key, upper-case hex and the constant-time signature compare.
//!
//! Everything here is a pure function of its arguments. Secrets (`AppKey`, `DataKey`) live in
//! zeroizing types whose `Debug` never shows them.

use std::fmt;

use sm3::{Digest, Sm3};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::sm4::{Sm4, BLOCK};

/// The appKey (the vendor's "appSecret"): zeroed on drop, never shown by `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AppKey(String);

impl AppKey {
    pub fn new(key: impl Into<String>) -> Self {
        AppKey(key.into())
    }

    /// The secret itself, for the sign text and the key derivation only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppKey(***)")
    }
}

/// The 16-byte SM4 data key *k* of spec section 3, with its key schedule: zeroed on drop.
#[derive(Clone)]
pub struct DataKey {
    ascii: Zeroizing<[u8; 16]>,
    cipher: Sm4,
}

/// Both fields zero themselves when dropped: the ASCII key is `Zeroizing`, the key schedule's
/// `Drop` zeroes its round keys.
impl ZeroizeOnDrop for DataKey {}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(***)")
    }
}

impl DataKey {
    /// Derives *k* = the first 16 hex characters of SM4-ECB-PKCS7(key = first 16 bytes of
    /// appId, plaintext = appKey). `app_id` must be at least 16 bytes (checked by the input
    /// parser and the portal); a shorter one is zero-padded so that this function stays total.
    pub fn derive(app_id: &str, app_key: &AppKey) -> DataKey {
        let mut id_key = Zeroizing::new([0u8; 16]);
        let id = app_id.as_bytes();
        let n = id.len().min(16);
        id_key[..n].copy_from_slice(&id[..n]);
        let derivation = Sm4::new(&id_key);
        // Only the first block of the ciphertext shapes the first 16 hex characters.
        let mut block = Zeroizing::new([0u8; BLOCK]);
        let key_bytes = app_key.expose().as_bytes();
        let take = key_bytes.len().min(BLOCK);
        block[..take].copy_from_slice(&key_bytes[..take]);
        if key_bytes.len() < BLOCK {
            let pad = (BLOCK - key_bytes.len()) as u8;
            block[take..].fill(pad);
        }
        derivation.encrypt_block(&mut block);
        let mut ascii = Zeroizing::new([0u8; 16]);
        for (i, byte) in block[..8].iter().enumerate() {
            ascii[2 * i] = HEX_UPPER[(byte >> 4) as usize];
            ascii[2 * i + 1] = HEX_UPPER[(byte & 0x0f) as usize];
        }
        DataKey::from_ascii(*ascii)
    }

    /// A key given as its 16 bytes (the spec's `key_ascii`).
    pub fn from_ascii(ascii: [u8; 16]) -> DataKey {
        let cipher = Sm4::new(&ascii);
        DataKey {
            ascii: Zeroizing::new(ascii),
            cipher,
        }
    }

    /// The key's 16 bytes, for the debugging tools and the tests.
    pub fn expose(&self) -> &[u8; 16] {
        &self.ascii
    }

    /// SM4-ECB with PKCS#7 padding.
    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        let padded = padded_len(plain.len());
        let mut buf = Vec::with_capacity(padded);
        self.encrypt_into(plain, &mut buf);
        buf
    }

    /// Appends the padded plaintext to `buf` and encrypts it there.
    fn encrypt_into(&self, plain: &[u8], buf: &mut Vec<u8>) {
        let start = buf.len();
        let pad = BLOCK - plain.len() % BLOCK;
        buf.extend_from_slice(plain);
        buf.resize(start + plain.len() + pad, pad as u8);
        self.cipher.encrypt_blocks(&mut buf[start..]);
    }

    /// `hex(SM4-ECB-PKCS7(k, plain))`, the `encData` of spec section 2: one allocation, the
    /// ciphertext expanded to hex in place.
    pub fn encrypt_hex(&self, plain: &[u8]) -> String {
        let padded = padded_len(plain.len());
        let mut buf = Vec::with_capacity(2 * padded);
        self.encrypt_into(plain, &mut buf);
        hex_upper_in_place(&mut buf);
        // Only ASCII hex digits are left in the buffer.
        String::from_utf8(buf).expect("hex is ASCII")
    }

    /// Encrypts `buf[start..]` in place and replaces it with its upper-case hex: the `encData`
    /// written straight into the request body that holds the plaintext (no other buffer).
    pub(crate) fn encrypt_hex_in_place(&self, buf: &mut Vec<u8>, start: usize) {
        let plain_len = buf.len() - start;
        let pad = BLOCK - plain_len % BLOCK;
        buf.reserve(plain_len + 2 * pad);
        buf.resize(start + plain_len + pad, pad as u8);
        self.cipher.encrypt_blocks(&mut buf[start..]);
        let n = buf.len() - start;
        buf.resize(start + 2 * n, 0);
        hex_expand(&mut buf[start..], n);
    }

    /// Inverse of [`DataKey::encrypt`]; fails on a length that is not a multiple of 16 or on
    /// bad padding.
    pub fn decrypt(&self, cipher: &[u8]) -> Result<Vec<u8>, DecryptError> {
        self.decrypt_in_place(cipher.to_vec())
    }

    /// Decrypts `buf` in place and drops the padding.
    fn decrypt_in_place(&self, mut buf: Vec<u8>) -> Result<Vec<u8>, DecryptError> {
        if buf.is_empty() || !buf.len().is_multiple_of(BLOCK) {
            return Err(DecryptError::Length(buf.len()));
        }
        self.cipher.decrypt_blocks(&mut buf);
        let pad = *buf.last().unwrap_or(&0) as usize;
        if pad == 0 || pad > BLOCK || !buf[buf.len() - pad..].iter().all(|&b| b as usize == pad) {
            buf.zeroize();
            return Err(DecryptError::Padding);
        }
        buf.truncate(buf.len() - pad);
        Ok(buf)
    }

    /// Decrypts the hex text of an `encData` (decoded and decrypted in one buffer).
    pub fn decrypt_hex(&self, hex: &str) -> Result<Vec<u8>, DecryptError> {
        let bytes = hex_decode(hex).ok_or(DecryptError::Hex)?;
        self.decrypt_in_place(bytes)
    }
}

/// The length of a PKCS#7-padded plaintext of `len` bytes.
fn padded_len(len: usize) -> usize {
    len + BLOCK - len % BLOCK
}

/// Why an `encData` could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecryptError {
    Hex,
    Length(usize),
    Padding,
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecryptError::Hex => f.write_str("encData 不是十六进制文本 (encData is not hex)"),
            DecryptError::Length(n) => write!(
                f,
                "密文长度 {n} 字节不是 16 的倍数 (ciphertext length {n} is not a multiple of 16)"
            ),
            DecryptError::Padding => {
                f.write_str("PKCS#7 填充错误，密钥不对？ (bad PKCS#7 padding: wrong key?)")
            }
        }
    }
}

/// Encrypts one 16-byte block in place with a raw 16-byte key: the GB/T 32907 primitive, exposed
/// for the standard test vectors and the debugging tools.
pub fn sm4_encrypt_block(key: &[u8; 16], block: &mut [u8; 16]) {
    Sm4::new(key).encrypt_block(block);
}

/// SM3 digest.
pub fn sm3(data: &[u8]) -> [u8; 32] {
    Sm3::digest(data).into()
}

/// `signData`: upper-case hex of SM3 over the sign text.
pub fn sign(sign_text: &str) -> String {
    hex_upper(&sm3(sign_text.as_bytes()))
}

/// Whether `signData` (hex, either case) is the signature of `sign_text`, compared in constant
/// time over the digest bytes.
pub fn verify(sign_text: &str, sign_data: &str) -> bool {
    let Some(given) = hex_decode(sign_data) else {
        return false;
    };
    let expected = sm3(sign_text.as_bytes());
    given.len() == expected.len() && bool::from(given.as_slice().ct_eq(&expected))
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The two upper-case hex digits of every byte.
static HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX_UPPER[i >> 4], HEX_UPPER[i & 0x0f]];
        i += 1;
    }
    t
};

/// Upper-case hex.
pub fn hex_upper(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&HEX_PAIRS[b as usize]);
    }
    // Only ASCII hex digits were written.
    String::from_utf8(out).expect("hex is ASCII")
}

/// Replaces the bytes of `buf` with their upper-case hex, in place (from the end, so that no
/// byte is overwritten before it is read).
fn hex_upper_in_place(buf: &mut Vec<u8>) {
    let n = buf.len();
    buf.resize(2 * n, 0);
    hex_expand(buf, n);
}

/// Turns the first `n` bytes of `buf` (which is `2 * n` long) into their hex, in place.
fn hex_expand(buf: &mut [u8], n: usize) {
    debug_assert_eq!(buf.len(), 2 * n);
    for i in (0..n).rev() {
        let pair = HEX_PAIRS[buf[i] as usize];
        buf[2 * i] = pair[0];
        buf[2 * i + 1] = pair[1];
    }
}

/// The value of every hex digit of either case; 0xff for any other byte.
static HEX_VALUES: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Decodes hex of either case; `None` on an odd length or a non-hex character.
pub fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    let bytes = hex.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let mut out = vec![0u8; bytes.len() / 2];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let hi = HEX_VALUES[pair[0] as usize];
        let lo = HEX_VALUES[pair[1] as usize];
        bad |= (hi | lo) & 0xf0;
        *o = hi << 4 | (lo & 0x0f);
    }
    (bad == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex_upper(&[0x00, 0xab, 0xff]), "00ABFF");
        assert_eq!(hex_decode("00abFF"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(hex_decode("0"), None);
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("0g"), None);
        assert_eq!(hex_decode("g0"), None);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(hex_decode(&hex_upper(&all)), Some(all.clone()));
        assert_eq!(
            hex_decode(&hex_upper(&all).to_lowercase()),
            Some(all.clone())
        );
        for b in 0..=255u8 {
            let c = b as char;
            let ok = c.is_ascii_hexdigit();
            assert_eq!(hex_decode(&format!("0{c}")).is_some(), ok, "{c:?}");
        }
        let mut buf = all.clone();
        hex_upper_in_place(&mut buf);
        assert_eq!(buf, hex_upper(&all).into_bytes());
    }

    #[test]
    fn decrypt_rejects_bad_padding_and_length() {
        let k = DataKey::from_ascii(*b"0123456789ABCDEF");
        assert_eq!(k.decrypt(&[0u8; 15]), Err(DecryptError::Length(15)));
        assert_eq!(k.decrypt(&[]), Err(DecryptError::Length(0)));
        // A block whose plaintext ends in 0x00 is never valid PKCS#7.
        let mut block = k.encrypt(b"")[..16].to_vec();
        block.copy_from_slice(&k.encrypt(&[0u8; 16])[..16]);
        assert_eq!(k.decrypt(&block), Err(DecryptError::Padding));
        assert_eq!(k.decrypt(&k.encrypt(b"hello")).unwrap(), b"hello");
    }

    #[test]
    fn encrypting_in_place_gives_the_same_hex() {
        let k = DataKey::from_ascii(*b"0123456789ABCDEF");
        for len in [0, 1, 15, 16, 17, 100, 1000] {
            let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut buf = b"prefix".to_vec();
            buf.extend_from_slice(&plain);
            k.encrypt_hex_in_place(&mut buf, 6);
            assert_eq!(&buf[..6], b"prefix");
            assert_eq!(&buf[6..], k.encrypt_hex(&plain).as_bytes(), "{len}");
            assert_eq!(k.decrypt_hex(&k.encrypt_hex(&plain)).unwrap(), plain);
        }
    }

    #[test]
    fn secrets_are_redacted_from_debug() {
        let key = AppKey::new("St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM");
        let k = DataKey::derive("zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN", &key);
        let shown = format!("{key:?} {k:?}");
        assert!(!shown.contains("St72"), "{shown}");
        assert!(!shown.contains("4D0D7E3A"), "{shown}");
    }

    #[test]
    fn verify_is_case_insensitive_and_rejects_garbage() {
        let s = sign("abc");
        assert!(verify("abc", &s));
        assert!(verify("abc", &s.to_lowercase()));
        assert!(!verify("abd", &s));
        assert!(!verify("abc", ""));
        assert!(!verify("abc", &s[..62]));
    }
}
