//! The protocol's cryptographic primitives (spec sections 2, 3 and 5): SM3, SM4-ECB with PKCS#7
//! padding, the data key, upper-case hex and the constant-time signature compare.
//!
//! Everything here is a pure function of its arguments. Secrets (`AppKey`, `DataKey`) live in
//! zeroizing types whose `Debug` never shows them.

use std::fmt;

use sm3::{Digest, Sm3};
use sm4::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use sm4::Sm4;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const BLOCK: usize = 16;

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
        let derivation = Sm4::new(&Array::from(*id_key));
        // Only the first block of the ciphertext shapes the first 16 hex characters.
        let mut first = Zeroizing::new([0u8; BLOCK]);
        let key_bytes = app_key.expose().as_bytes();
        let take = key_bytes.len().min(BLOCK);
        first[..take].copy_from_slice(&key_bytes[..take]);
        if key_bytes.len() < BLOCK {
            let pad = (BLOCK - key_bytes.len()) as u8;
            first[take..].fill(pad);
        }
        let mut block = Array::from(*first);
        derivation.encrypt_block(&mut block);
        let mut ascii = Zeroizing::new([0u8; 16]);
        for (i, byte) in block[..8].iter().enumerate() {
            ascii[2 * i] = HEX_UPPER[(byte >> 4) as usize];
            ascii[2 * i + 1] = HEX_UPPER[(byte & 0x0f) as usize];
        }
        block.zeroize();
        DataKey::from_ascii(*ascii)
    }

    /// A key given as its 16 bytes (the spec's `key_ascii`).
    pub fn from_ascii(ascii: [u8; 16]) -> DataKey {
        let cipher = Sm4::new(&Array::from(ascii));
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
        let pad = BLOCK - plain.len() % BLOCK;
        let mut buf = Vec::with_capacity(plain.len() + pad);
        buf.extend_from_slice(plain);
        buf.resize(plain.len() + pad, pad as u8);
        let (blocks, rest) = Array::slice_as_chunks_mut(&mut buf);
        debug_assert!(rest.is_empty());
        self.cipher.encrypt_blocks(blocks);
        buf
    }

    /// `hex(SM4-ECB-PKCS7(k, plain))`, the `encData` of spec section 2.
    pub fn encrypt_hex(&self, plain: &[u8]) -> String {
        hex_upper(&self.encrypt(plain))
    }

    /// Inverse of [`DataKey::encrypt`]; fails on a length that is not a multiple of 16 or on
    /// bad padding.
    pub fn decrypt(&self, cipher: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if cipher.is_empty() || cipher.len() % BLOCK != 0 {
            return Err(DecryptError::Length(cipher.len()));
        }
        let mut buf = cipher.to_vec();
        let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
        self.cipher.decrypt_blocks(blocks);
        let pad = *buf.last().unwrap_or(&0) as usize;
        if pad == 0 || pad > BLOCK || !buf[buf.len() - pad..].iter().all(|&b| b as usize == pad) {
            return Err(DecryptError::Padding);
        }
        buf.truncate(buf.len() - pad);
        Ok(buf)
    }

    /// Decrypts the hex text of an `encData`.
    pub fn decrypt_hex(&self, hex: &str) -> Result<Vec<u8>, DecryptError> {
        let bytes = hex_decode(hex).ok_or(DecryptError::Hex)?;
        self.decrypt(&bytes)
    }
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
    let cipher = Sm4::new(&Array::from(*key));
    let mut b = Array::from(*block);
    cipher.encrypt_block(&mut b);
    block.copy_from_slice(&b);
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

/// Upper-case hex.
pub fn hex_upper(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX_UPPER[(b >> 4) as usize]);
        out.push(HEX_UPPER[(b & 0x0f) as usize]);
    }
    // Only ASCII hex digits were pushed.
    String::from_utf8(out).expect("hex is ASCII")
}

/// Decodes hex of either case; `None` on an odd length or a non-hex character.
pub fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = hex.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
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
