//! SM4 (GB/T 32907-2016), the block cipher under the protocol's `encData` (spec sections 2, 3
//! and 5), with three interchangeable engines for ECB over many blocks:
//!
//! | engine | where | how the S-box is computed |
//! |---|---|---|
//! | [`Backend::Gfni16`] | x86-64 with GFNI, AVX-512F and AVX-512BW (Ice Lake, Zen 4 and later) | two GF(2⁸) affine instructions on 16 blocks at once |
//! | [`Backend::AesNi4`] | x86-64 with AES-NI and SSSE3 (every x86-64 since about 2010) | the AES S-box (`AESENCLAST`) between two nibble-table affine maps, 4 blocks at once |
//! | [`Backend::Portable`] | everywhere | one 1 KB table of S-box-then-L, rotated for the four bytes |
//!
//! SM4's S-box is affine-equivalent to AES's (both are inversion in GF(2⁸), in isomorphic
//! fields): S(x) = A·I(A·x + c) + c, with I the inverse modulo x⁸+x⁷+x⁶+x⁵+x⁴+x²+1. The SIMD
//! engines map the input into AES's field, invert there, and map back; the constants below were
//! derived from the standard's S-box and are checked against it, byte by byte, by the tests. The
//! engine is chosen at run time from the processor's features; the portable one is always there
//! and is tested against the same vectors.
//!
//! The SIMD engines do no data-dependent memory access (constant time in the data); the portable
//! one looks up a table by data bytes, as the RustCrypto `sm4` crate it replaces did with its
//! 256-byte S-box. Round keys are zeroed on drop.

use zeroize::Zeroize;

/// The block size, in bytes.
pub const BLOCK: usize = 16;

const SBOX: [u8; 256] = [
    0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05,
    0x2b, 0x67, 0x9a, 0x76, 0x2a, 0xbe, 0x04, 0xc3, 0xaa, 0x44, 0x13, 0x26, 0x49, 0x86, 0x06, 0x99,
    0x9c, 0x42, 0x50, 0xf4, 0x91, 0xef, 0x98, 0x7a, 0x33, 0x54, 0x0b, 0x43, 0xed, 0xcf, 0xac, 0x62,
    0xe4, 0xb3, 0x1c, 0xa9, 0xc9, 0x08, 0xe8, 0x95, 0x80, 0xdf, 0x94, 0xfa, 0x75, 0x8f, 0x3f, 0xa6,
    0x47, 0x07, 0xa7, 0xfc, 0xf3, 0x73, 0x17, 0xba, 0x83, 0x59, 0x3c, 0x19, 0xe6, 0x85, 0x4f, 0xa8,
    0x68, 0x6b, 0x81, 0xb2, 0x71, 0x64, 0xda, 0x8b, 0xf8, 0xeb, 0x0f, 0x4b, 0x70, 0x56, 0x9d, 0x35,
    0x1e, 0x24, 0x0e, 0x5e, 0x63, 0x58, 0xd1, 0xa2, 0x25, 0x22, 0x7c, 0x3b, 0x01, 0x21, 0x78, 0x87,
    0xd4, 0x00, 0x46, 0x57, 0x9f, 0xd3, 0x27, 0x52, 0x4c, 0x36, 0x02, 0xe7, 0xa0, 0xc4, 0xc8, 0x9e,
    0xea, 0xbf, 0x8a, 0xd2, 0x40, 0xc7, 0x38, 0xb5, 0xa3, 0xf7, 0xf2, 0xce, 0xf9, 0x61, 0x15, 0xa1,
    0xe0, 0xae, 0x5d, 0xa4, 0x9b, 0x34, 0x1a, 0x55, 0xad, 0x93, 0x32, 0x30, 0xf5, 0x8c, 0xb1, 0xe3,
    0x1d, 0xf6, 0xe2, 0x2e, 0x82, 0x66, 0xca, 0x60, 0xc0, 0x29, 0x23, 0xab, 0x0d, 0x53, 0x4e, 0x6f,
    0xd5, 0xdb, 0x37, 0x45, 0xde, 0xfd, 0x8e, 0x2f, 0x03, 0xff, 0x6a, 0x72, 0x6d, 0x6c, 0x5b, 0x51,
    0x8d, 0x1b, 0xaf, 0x92, 0xbb, 0xdd, 0xbc, 0x7f, 0x11, 0xd9, 0x5c, 0x41, 0x1f, 0x10, 0x5a, 0xd8,
    0x0a, 0xc1, 0x31, 0x88, 0xa5, 0xcd, 0x7b, 0xbd, 0x2d, 0x74, 0xd0, 0x12, 0xb8, 0xe5, 0xb4, 0xb0,
    0x89, 0x69, 0x97, 0x4a, 0x0c, 0x96, 0x77, 0x7e, 0x65, 0xb9, 0xf1, 0x09, 0xc5, 0x6e, 0xc6, 0x84,
    0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d, 0x20, 0x79, 0xee, 0x5f, 0x3e, 0xd7, 0xcb, 0x39, 0x48,
];

const FK: [u32; 4] = [0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc];

const CK: [u32; 32] = [
    0x00070e15, 0x1c232a31, 0x383f464d, 0x545b6269, 0x70777e85, 0x8c939aa1, 0xa8afb6bd, 0xc4cbd2d9,
    0xe0e7eef5, 0xfc030a11, 0x181f262d, 0x343b4249, 0x50575e65, 0x6c737a81, 0x888f969d, 0xa4abb2b9,
    0xc0c7ced5, 0xdce3eaf1, 0xf8ff060d, 0x141b2229, 0x30373e45, 0x4c535a61, 0x686f767d, 0x848b9299,
    0xa0a7aeb5, 0xbcc3cad1, 0xd8dfe6ed, 0xf4fb0209, 0x10171e25, 0x2c333a41, 0x484f565d, 0x646b7279,
];

/// The round function's linear transform L.
const fn el(b: u32) -> u32 {
    b ^ b.rotate_left(2) ^ b.rotate_left(10) ^ b.rotate_left(18) ^ b.rotate_left(24)
}

/// The key schedule's linear transform L'.
const fn el_prime(b: u32) -> u32 {
    b ^ b.rotate_left(13) ^ b.rotate_left(23)
}

/// The S-box on each byte of a word.
fn tau(a: u32) -> u32 {
    let b = a.to_be_bytes();
    u32::from_be_bytes([
        SBOX[b[0] as usize],
        SBOX[b[1] as usize],
        SBOX[b[2] as usize],
        SBOX[b[3] as usize],
    ])
}

/// `TABLE[x] = L(S(x) << 24)`. Because L commutes with rotation, the byte at bits 16..24 gives
/// `TABLE[x].rotate_right(8)`, and so on: one 1 KB table serves the four bytes.
static TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = el((SBOX[i] as u32) << 24);
        i += 1;
    }
    t
};

/// The round function T = L∘τ through the table.
#[inline(always)]
fn t_table(x: u32) -> u32 {
    TABLE[(x >> 24) as usize]
        ^ TABLE[((x >> 16) & 0xff) as usize].rotate_right(8)
        ^ TABLE[((x >> 8) & 0xff) as usize].rotate_right(16)
        ^ TABLE[(x & 0xff) as usize].rotate_right(24)
}

/// An SM4 engine (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Table-based, any processor.
    Portable,
    /// AES-NI and SSSE3, 4 blocks at a time (x86-64).
    AesNi4,
    /// GFNI with AVX-512, 16 blocks at a time (x86-64).
    Gfni16,
}

impl Backend {
    /// Every engine, fastest first.
    pub const ALL: [Backend; 3] = [Backend::Gfni16, Backend::AesNi4, Backend::Portable];

    /// Whether this processor can run the engine.
    pub fn is_available(self) -> bool {
        match self {
            Backend::Portable => true,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Backend::AesNi4 => is_x86_feature_detected!("aes") && is_x86_feature_detected!("ssse3"),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Backend::Gfni16 => {
                is_x86_feature_detected!("gfni")
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
            }
            #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
            _ => false,
        }
    }

    /// The fastest engine this processor runs (the feature test is cached by the standard
    /// library; this is a few loads).
    pub fn detect() -> Backend {
        Backend::ALL
            .into_iter()
            .find(|b| b.is_available())
            .unwrap_or(Backend::Portable)
    }

    /// A short name, for benchmarks and diagnostics.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Portable => "portable",
            Backend::AesNi4 => "aesni-x4",
            Backend::Gfni16 => "gfni-avx512-x16",
        }
    }
}

/// An SM4 key schedule: the 32 round keys in encryption and in decryption order, zeroed on
/// drop.
#[derive(Clone)]
pub struct Sm4 {
    enc: [u32; 32],
    dec: [u32; 32],
}

impl std::fmt::Debug for Sm4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm4(***)")
    }
}

impl Drop for Sm4 {
    fn drop(&mut self) {
        self.enc.zeroize();
        self.dec.zeroize();
    }
}

/// The `Drop` above zeroes the round keys.
impl zeroize::ZeroizeOnDrop for Sm4 {}

impl Sm4 {
    /// The key schedule of a 16-byte key.
    pub fn new(key: &[u8; 16]) -> Sm4 {
        let mut k = [0u32; 4];
        for (i, word) in k.iter_mut().enumerate() {
            let bytes = [key[4 * i], key[4 * i + 1], key[4 * i + 2], key[4 * i + 3]];
            *word = u32::from_be_bytes(bytes) ^ FK[i];
        }
        let mut enc = [0u32; 32];
        for (i, rk) in enc.iter_mut().enumerate() {
            let next = k[0] ^ el_prime(tau(k[1] ^ k[2] ^ k[3] ^ CK[i]));
            k = [k[1], k[2], k[3], next];
            *rk = next;
        }
        k.zeroize();
        let mut dec = enc;
        dec.reverse();
        Sm4 { enc, dec }
    }

    /// Encrypts whole blocks in place (ECB) with the fastest engine.
    ///
    /// # Panics
    /// When `data.len()` is not a multiple of 16.
    pub fn encrypt_blocks(&self, data: &mut [u8]) {
        crypt(&self.enc, Backend::detect(), data);
    }

    /// Decrypts whole blocks in place (ECB) with the fastest engine.
    ///
    /// # Panics
    /// When `data.len()` is not a multiple of 16.
    pub(crate) fn decrypt_blocks(&self, data: &mut [u8]) {
        crypt(&self.dec, Backend::detect(), data);
    }

    /// [`Sm4::encrypt_blocks`] with a given engine (for the tests and the benchmarks).
    ///
    /// # Panics
    /// When the engine is not available on this processor or `data.len()` is not a multiple of
    /// 16.
    pub fn encrypt_blocks_with(&self, backend: Backend, data: &mut [u8]) {
        assert!(backend.is_available(), "{} not available", backend.name());
        crypt(&self.enc, backend, data);
    }

    /// `Sm4::decrypt_blocks` with a given engine.
    ///
    /// # Panics
    /// As [`Sm4::encrypt_blocks_with`].
    pub fn decrypt_blocks_with(&self, backend: Backend, data: &mut [u8]) {
        assert!(backend.is_available(), "{} not available", backend.name());
        crypt(&self.dec, backend, data);
    }

    /// One block, in place.
    pub fn encrypt_block(&self, block: &mut [u8; 16]) {
        portable_block(&self.enc, block);
    }
}

/// ECB over whole blocks with round keys `rk` (reversed for decryption). `backend` must be
/// available.
fn crypt(rk: &[u32; 32], backend: Backend, data: &mut [u8]) {
    assert!(
        data.len().is_multiple_of(BLOCK),
        "SM4-ECB needs whole 16-byte blocks"
    );
    match backend {
        Backend::Portable => portable(rk, data),
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        // SAFETY: the caller checked that the processor has AES-NI and SSSE3.
        Backend::AesNi4 => unsafe { x86::aesni_ecb(rk, data) },
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        // SAFETY: the caller checked that the processor has GFNI, AVX-512F and AVX-512BW.
        Backend::Gfni16 => unsafe { x86::gfni_ecb(rk, data) },
        #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
        _ => portable(rk, data),
    }
}

fn portable(rk: &[u32; 32], data: &mut [u8]) {
    let mut pairs = data.chunks_exact_mut(32);
    for pair in &mut pairs {
        portable_two(rk, pair.try_into().expect("32 bytes"));
    }
    for block in pairs.into_remainder().chunks_exact_mut(16) {
        portable_block(rk, block.try_into().expect("16 bytes"));
    }
}

fn load_words(block: &[u8]) -> [u32; 4] {
    let w = |i: usize| u32::from_be_bytes([block[i], block[i + 1], block[i + 2], block[i + 3]]);
    [w(0), w(4), w(8), w(12)]
}

fn store_words(x: [u32; 4], block: &mut [u8]) {
    // The output is the last four words in reverse order.
    for (i, word) in x.iter().rev().enumerate() {
        block[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
}

fn portable_block(rk: &[u32; 32], block: &mut [u8; 16]) {
    let mut x = load_words(block);
    for r in rk.chunks_exact(4) {
        x[0] ^= t_table(x[1] ^ x[2] ^ x[3] ^ r[0]);
        x[1] ^= t_table(x[2] ^ x[3] ^ x[0] ^ r[1]);
        x[2] ^= t_table(x[3] ^ x[0] ^ x[1] ^ r[2]);
        x[3] ^= t_table(x[0] ^ x[1] ^ x[2] ^ r[3]);
    }
    store_words(x, block);
}

/// Two blocks interleaved: the rounds of one block form a chain, two chains fill the pipeline.
fn portable_two(rk: &[u32; 32], pair: &mut [u8; 32]) {
    let (a, b) = pair.split_at_mut(16);
    let mut x = load_words(a);
    let mut y = load_words(b);
    for r in rk.chunks_exact(4) {
        x[0] ^= t_table(x[1] ^ x[2] ^ x[3] ^ r[0]);
        y[0] ^= t_table(y[1] ^ y[2] ^ y[3] ^ r[0]);
        x[1] ^= t_table(x[2] ^ x[3] ^ x[0] ^ r[1]);
        y[1] ^= t_table(y[2] ^ y[3] ^ y[0] ^ r[1]);
        x[2] ^= t_table(x[3] ^ x[0] ^ x[1] ^ r[2]);
        y[2] ^= t_table(y[3] ^ y[0] ^ y[1] ^ r[2]);
        x[3] ^= t_table(x[0] ^ x[1] ^ x[2] ^ r[3]);
        y[3] ^= t_table(y[0] ^ y[1] ^ y[2] ^ r[3]);
    }
    store_words(x, a);
    store_words(y, b);
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod x86 {
    //! The SIMD engines. Four registers hold 4 (SSE) or 16 (AVX-512) blocks; they are
    //! byte-swapped to native words and transposed (within each 128-bit lane) so that register
    //! `i` holds word `i` of every block, then the 32 rounds run on all blocks at once.

    #[cfg(target_arch = "x86")]
    use std::arch::x86::*;
    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::*;

    use super::BLOCK;

    /// Affine map into AES's field, before `AESENCLAST`: `PRE_LO[x & 15] ^ PRE_HI[x >> 4]`.
    const PRE_LO: [u8; 16] = [
        0x3e, 0xb2, 0x0e, 0x82, 0xbb, 0x37, 0x8b, 0x07, 0xa1, 0x2d, 0x91, 0x1d, 0x24, 0xa8, 0x14,
        0x98,
    ];
    const PRE_HI: [u8; 16] = [
        0x00, 0xdc, 0x2e, 0xf2, 0xc5, 0x19, 0xeb, 0x37, 0x08, 0xd4, 0x26, 0xfa, 0xcd, 0x11, 0xe3,
        0x3f,
    ];
    /// Affine map back from AES's S-box output to SM4's S-box output.
    const POST_LO: [u8; 16] = [
        0x6c, 0xd4, 0xa6, 0x1e, 0x52, 0xea, 0x98, 0x20, 0x0b, 0xb3, 0xc1, 0x79, 0x35, 0x8d, 0xff,
        0x47,
    ];
    const POST_HI: [u8; 16] = [
        0x00, 0xe0, 0x50, 0xb0, 0x9d, 0x7d, 0xcd, 0x2d, 0xc0, 0x20, 0x90, 0x70, 0x5d, 0xbd, 0x0d,
        0xed,
    ];
    /// AES's InvShiftRows, undoing the ShiftRows inside `AESENCLAST`.
    const INV_SHIFT_ROWS: [u8; 16] = [0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3];
    /// Big-endian words to native and back.
    const BSWAP32: [u8; 16] = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];
    const ROL8: [u8; 16] = [3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14];
    const ROL16: [u8; 16] = [2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13];
    const ROL24: [u8; 16] = [1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12];

    /// GFNI: the linear part of the map into AES's field, and its constant.
    const GFNI_PRE: i64 = 0x4c28_7db9_1a22_505d;
    const GFNI_PRE_C: i32 = 0x3e;
    /// GFNI: after the inversion in AES's field, the map back, and its constant.
    const GFNI_POST: i64 = 0xf3ab_34a9_74a6_b589_u64 as i64;
    const GFNI_POST_C: i32 = 0xd3;

    #[inline(always)]
    unsafe fn m128(bytes: &[u8; 16]) -> __m128i {
        _mm_loadu_si128(bytes.as_ptr().cast())
    }

    /// 4x4 transpose of 32-bit words, within each 128-bit lane.
    macro_rules! transpose {
        ($unpacklo32:ident, $unpackhi32:ident, $unpacklo64:ident, $unpackhi64:ident,
         $a0:expr, $a1:expr, $a2:expr, $a3:expr) => {{
            let t0 = $unpacklo32($a0, $a1);
            let t1 = $unpacklo32($a2, $a3);
            let t2 = $unpackhi32($a0, $a1);
            let t3 = $unpackhi32($a2, $a3);
            (
                $unpacklo64(t0, t1),
                $unpackhi64(t0, t1),
                $unpacklo64(t2, t3),
                $unpackhi64(t2, t3),
            )
        }};
    }

    /// One SM4 round on one set of registers: `x0 ^= L(S(x1 ^ x2 ^ x3 ^ k))`, AES-NI way.
    macro_rules! aesni_round {
        ($c:ident, $k:expr, $x0:expr, $x1:expr, $x2:expr, $x3:expr) => {{
            let t = _mm_xor_si128(_mm_xor_si128($x1, $x2), _mm_xor_si128($x3, $k));
            // Into AES's field.
            let lo = _mm_and_si128(t, $c.nibble);
            let hi = _mm_and_si128(_mm_srli_epi16(t, 4), $c.nibble);
            let t = _mm_xor_si128(
                _mm_shuffle_epi8($c.pre_lo, lo),
                _mm_shuffle_epi8($c.pre_hi, hi),
            );
            // AES's S-box on each byte (ShiftRows cancelled by the shuffle before it).
            let t = _mm_aesenclast_si128(_mm_shuffle_epi8(t, $c.inv_sr), _mm_setzero_si128());
            // Back to SM4's S-box output.
            let lo = _mm_and_si128(t, $c.nibble);
            let hi = _mm_and_si128(_mm_srli_epi16(t, 4), $c.nibble);
            let s = _mm_xor_si128(
                _mm_shuffle_epi8($c.post_lo, lo),
                _mm_shuffle_epi8($c.post_hi, hi),
            );
            // L(s) = s ^ rol24(s) ^ rol2(s ^ rol8(s) ^ rol16(s)).
            let u = _mm_xor_si128(
                s,
                _mm_xor_si128(_mm_shuffle_epi8(s, $c.rol8), _mm_shuffle_epi8(s, $c.rol16)),
            );
            let u = _mm_or_si128(_mm_slli_epi32(u, 2), _mm_srli_epi32(u, 30));
            $x0 = _mm_xor_si128(
                $x0,
                _mm_xor_si128(_mm_xor_si128(s, _mm_shuffle_epi8(s, $c.rol24)), u),
            );
        }};
    }

    /// The shuffle and table constants of the AES-NI engine.
    struct AesNiConsts {
        pre_lo: __m128i,
        pre_hi: __m128i,
        post_lo: __m128i,
        post_hi: __m128i,
        inv_sr: __m128i,
        rol8: __m128i,
        rol16: __m128i,
        rol24: __m128i,
        nibble: __m128i,
    }

    /// Blocks per pass of the AES-NI engine: 4 per register set, sets interleaved so that the
    /// rounds' dependency chains overlap.
    const AESNI_SETS: usize = 2;

    /// ECB with AES-NI, `4 * AESNI_SETS` blocks per pass; what is left, 4 at a time, the last
    /// partial group through a zeroed buffer.
    ///
    /// # Safety
    /// The processor must have AES-NI and SSSE3.
    #[target_feature(enable = "aes,ssse3,sse2")]
    pub(super) unsafe fn aesni_ecb(rk: &[u32; 32], data: &mut [u8]) {
        let mut passes = data.chunks_exact_mut(64 * AESNI_SETS);
        for pass in &mut passes {
            aesni_pass::<AESNI_SETS>(rk, pass);
        }
        let mut groups = passes.into_remainder().chunks_exact_mut(64);
        for group in &mut groups {
            aesni_pass::<1>(rk, group);
        }
        let rest = groups.into_remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 64];
            buf[..rest.len()].copy_from_slice(rest);
            aesni_pass::<1>(rk, &mut buf);
            rest.copy_from_slice(&buf[..rest.len()]);
            zeroize::Zeroize::zeroize(&mut buf);
        }
        debug_assert!(rest.len().is_multiple_of(BLOCK));
    }

    /// `N` sets of 4 blocks (`data` is `64 * N` bytes).
    #[inline]
    #[target_feature(enable = "aes,ssse3,sse2")]
    unsafe fn aesni_pass<const N: usize>(rk: &[u32; 32], data: &mut [u8]) {
        assert_eq!(data.len(), 64 * N);
        let c = AesNiConsts {
            pre_lo: m128(&PRE_LO),
            pre_hi: m128(&PRE_HI),
            post_lo: m128(&POST_LO),
            post_hi: m128(&POST_HI),
            inv_sr: m128(&INV_SHIFT_ROWS),
            rol8: m128(&ROL8),
            rol16: m128(&ROL16),
            rol24: m128(&ROL24),
            nibble: _mm_set1_epi8(0x0f),
        };
        let bswap = m128(&BSWAP32);
        let p = data.as_mut_ptr().cast::<__m128i>();
        let mut x = [[_mm_setzero_si128(); 4]; N];
        for (s, set) in x.iter_mut().enumerate() {
            let q = p.add(4 * s);
            let (x0, x1, x2, x3) = transpose!(
                _mm_unpacklo_epi32,
                _mm_unpackhi_epi32,
                _mm_unpacklo_epi64,
                _mm_unpackhi_epi64,
                _mm_shuffle_epi8(_mm_loadu_si128(q), bswap),
                _mm_shuffle_epi8(_mm_loadu_si128(q.add(1)), bswap),
                _mm_shuffle_epi8(_mm_loadu_si128(q.add(2)), bswap),
                _mm_shuffle_epi8(_mm_loadu_si128(q.add(3)), bswap)
            );
            *set = [x0, x1, x2, x3];
        }
        for r in rk.chunks_exact(4) {
            let k = _mm_set1_epi32(r[0] as i32);
            for v in x.iter_mut() {
                aesni_round!(c, k, v[0], v[1], v[2], v[3]);
            }
            let k = _mm_set1_epi32(r[1] as i32);
            for v in x.iter_mut() {
                aesni_round!(c, k, v[1], v[2], v[3], v[0]);
            }
            let k = _mm_set1_epi32(r[2] as i32);
            for v in x.iter_mut() {
                aesni_round!(c, k, v[2], v[3], v[0], v[1]);
            }
            let k = _mm_set1_epi32(r[3] as i32);
            for v in x.iter_mut() {
                aesni_round!(c, k, v[3], v[0], v[1], v[2]);
            }
        }
        for (s, v) in x.iter().enumerate() {
            let q = p.add(4 * s);
            let (b0, b1, b2, b3) = transpose!(
                _mm_unpacklo_epi32,
                _mm_unpackhi_epi32,
                _mm_unpacklo_epi64,
                _mm_unpackhi_epi64,
                v[3],
                v[2],
                v[1],
                v[0]
            );
            _mm_storeu_si128(q, _mm_shuffle_epi8(b0, bswap));
            _mm_storeu_si128(q.add(1), _mm_shuffle_epi8(b1, bswap));
            _mm_storeu_si128(q.add(2), _mm_shuffle_epi8(b2, bswap));
            _mm_storeu_si128(q.add(3), _mm_shuffle_epi8(b3, bswap));
        }
    }

    /// One SM4 round on one set of registers, GFNI way.
    macro_rules! gfni_round {
        ($pre:expr, $post:expr, $k:expr, $x0:expr, $x1:expr, $x2:expr, $x3:expr) => {{
            // 0x96: a ^ b ^ c.
            let t = _mm512_xor_si512(_mm512_ternarylogic_epi32::<0x96>($x1, $x2, $x3), $k);
            let t = _mm512_gf2p8affine_epi64_epi8::<GFNI_PRE_C>(t, $pre);
            let s = _mm512_gf2p8affineinv_epi64_epi8::<GFNI_POST_C>(t, $post);
            let l = _mm512_ternarylogic_epi32::<0x96>(
                s,
                _mm512_rol_epi32::<2>(s),
                _mm512_rol_epi32::<10>(s),
            );
            let l = _mm512_ternarylogic_epi32::<0x96>(
                l,
                _mm512_rol_epi32::<18>(s),
                _mm512_rol_epi32::<24>(s),
            );
            $x0 = _mm512_xor_si512($x0, l);
        }};
    }

    /// Blocks per pass of the GFNI engine: 16 per register set, sets interleaved.
    const GFNI_SETS: usize = 4;

    /// ECB with GFNI and AVX-512, `16 * GFNI_SETS` blocks per pass; what is left, 16 at a time,
    /// the last partial group through a zeroed buffer.
    ///
    /// # Safety
    /// The processor must have GFNI, AVX-512F and AVX-512BW.
    #[target_feature(enable = "gfni,avx512f,avx512bw")]
    pub(super) unsafe fn gfni_ecb(rk: &[u32; 32], data: &mut [u8]) {
        let mut passes = data.chunks_exact_mut(256 * GFNI_SETS);
        for pass in &mut passes {
            gfni_pass::<GFNI_SETS>(rk, pass);
        }
        let mut groups = passes.into_remainder().chunks_exact_mut(256);
        for group in &mut groups {
            gfni_pass::<1>(rk, group);
        }
        let rest = groups.into_remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 256];
            buf[..rest.len()].copy_from_slice(rest);
            gfni_pass::<1>(rk, &mut buf);
            rest.copy_from_slice(&buf[..rest.len()]);
            zeroize::Zeroize::zeroize(&mut buf);
        }
    }

    /// `N` sets of 16 blocks (`data` is `256 * N` bytes).
    #[inline]
    #[target_feature(enable = "gfni,avx512f,avx512bw")]
    unsafe fn gfni_pass<const N: usize>(rk: &[u32; 32], data: &mut [u8]) {
        assert_eq!(data.len(), 256 * N);
        let bswap = _mm512_broadcast_i32x4(m128(&BSWAP32));
        let p = data.as_mut_ptr().cast::<__m512i>();
        let mut x = [[_mm512_setzero_si512(); 4]; N];
        for (s, set) in x.iter_mut().enumerate() {
            let q = p.add(4 * s);
            let (x0, x1, x2, x3) = transpose!(
                _mm512_unpacklo_epi32,
                _mm512_unpackhi_epi32,
                _mm512_unpacklo_epi64,
                _mm512_unpackhi_epi64,
                _mm512_shuffle_epi8(_mm512_loadu_si512(q), bswap),
                _mm512_shuffle_epi8(_mm512_loadu_si512(q.add(1)), bswap),
                _mm512_shuffle_epi8(_mm512_loadu_si512(q.add(2)), bswap),
                _mm512_shuffle_epi8(_mm512_loadu_si512(q.add(3)), bswap)
            );
            *set = [x0, x1, x2, x3];
        }
        let pre = _mm512_set1_epi64(GFNI_PRE);
        let post = _mm512_set1_epi64(GFNI_POST);
        for r in rk.chunks_exact(4) {
            let k = _mm512_set1_epi32(r[0] as i32);
            for v in x.iter_mut() {
                gfni_round!(pre, post, k, v[0], v[1], v[2], v[3]);
            }
            let k = _mm512_set1_epi32(r[1] as i32);
            for v in x.iter_mut() {
                gfni_round!(pre, post, k, v[1], v[2], v[3], v[0]);
            }
            let k = _mm512_set1_epi32(r[2] as i32);
            for v in x.iter_mut() {
                gfni_round!(pre, post, k, v[2], v[3], v[0], v[1]);
            }
            let k = _mm512_set1_epi32(r[3] as i32);
            for v in x.iter_mut() {
                gfni_round!(pre, post, k, v[3], v[0], v[1], v[2]);
            }
        }
        for (s, v) in x.iter().enumerate() {
            let q = p.add(4 * s);
            let (b0, b1, b2, b3) = transpose!(
                _mm512_unpacklo_epi32,
                _mm512_unpackhi_epi32,
                _mm512_unpacklo_epi64,
                _mm512_unpackhi_epi64,
                v[3],
                v[2],
                v[1],
                v[0]
            );
            _mm512_storeu_si512(q, _mm512_shuffle_epi8(b0, bswap));
            _mm512_storeu_si512(q.add(1), _mm512_shuffle_epi8(b1, bswap));
            _mm512_storeu_si512(q.add(2), _mm512_shuffle_epi8(b2, bswap));
            _mm512_storeu_si512(q.add(3), _mm512_shuffle_epi8(b3, bswap));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm4_reference::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};

    /// GB/T 32907-2016, appendix A, example 1.
    const KEY: [u8; 16] = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32,
        0x10,
    ];
    const CIPHER: [u8; 16] = [
        0x68, 0x1e, 0xdf, 0x34, 0xd2, 0x06, 0x96, 0x5e, 0x86, 0xb3, 0xe9, 0x4f, 0x53, 0x6e, 0x42,
        0x46,
    ];

    fn available() -> Vec<Backend> {
        let found: Vec<Backend> = Backend::ALL
            .into_iter()
            .filter(|b| b.is_available())
            .collect();
        eprintln!("SM4 engines tested here: {found:?}");
        found
    }

    /// splitmix64: a seeded generator, so that a failure can be replayed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn fill(&mut self, out: &mut [u8]) {
            for chunk in out.chunks_mut(8) {
                let n = self.next().to_le_bytes();
                chunk.copy_from_slice(&n[..chunk.len()]);
            }
        }
    }

    #[test]
    fn the_standard_example_with_every_engine() {
        for backend in available() {
            let k = Sm4::new(&KEY);
            // Every length from 1 to 40 blocks covers full SIMD groups and every partial one.
            for n in 1..=40 {
                let mut data = KEY.repeat(n);
                k.encrypt_blocks_with(backend, &mut data);
                assert_eq!(data, CIPHER.repeat(n), "{backend:?} n={n}");
                k.decrypt_blocks_with(backend, &mut data);
                assert_eq!(data, KEY.repeat(n), "{backend:?} n={n}");
            }
        }
    }

    #[test]
    fn every_sbox_input_through_every_engine() {
        // With round keys of zero and words chosen so that x1^x2^x3 runs over every byte, the
        // first round's S-box sees all 256 values in every byte position; compare whole
        // encryptions with the reference for 256 such blocks.
        let reference = sm4_reference::Sm4::new(&Array::from([0u8; 16]));
        let k = Sm4::new(&[0u8; 16]);
        let mut data = Vec::new();
        for b in 0..=255u8 {
            data.extend_from_slice(&[0, 0, 0, 0, b, b, b, b, 0, 0, 0, 0, 0, 0, 0, 0]);
        }
        let mut expected = data.clone();
        for block in expected.chunks_exact_mut(16) {
            let mut a = Array::try_from(&*block).unwrap();
            reference.encrypt_block(&mut a);
            block.copy_from_slice(&a);
        }
        for backend in available() {
            let mut got = data.clone();
            k.encrypt_blocks_with(backend, &mut got);
            assert_eq!(got, expected, "{backend:?}");
        }
    }

    #[test]
    fn random_keys_and_blocks_match_the_reference_crate() {
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).unwrap();
        let seed = u64::from_le_bytes(seed);
        eprintln!("seed {seed:#x}");
        let mut rng = Rng(seed);
        let backends = available();
        for case in 0..300 {
            let mut key = [0u8; 16];
            rng.fill(&mut key);
            let blocks = 1 + (rng.next() % 140) as usize;
            let mut data = vec![0u8; blocks * 16];
            rng.fill(&mut data);
            let reference = sm4_reference::Sm4::new(&Array::from(key));
            let mut expected = data.clone();
            for block in expected.chunks_exact_mut(16) {
                let mut a = Array::try_from(&*block).unwrap();
                reference.encrypt_block(&mut a);
                block.copy_from_slice(&a);
            }
            let k = Sm4::new(&key);
            for &backend in &backends {
                let mut got = data.clone();
                k.encrypt_blocks_with(backend, &mut got);
                assert_eq!(got, expected, "seed {seed:#x} case {case} {backend:?}");
                k.decrypt_blocks_with(backend, &mut got);
                assert_eq!(got, data, "seed {seed:#x} case {case} {backend:?}");
            }
            let mut single: [u8; 16] = data[..16].try_into().unwrap();
            k.encrypt_block(&mut single);
            assert_eq!(single, expected[..16], "seed {seed:#x} case {case}");
            // And the reference decrypts what we encrypted.
            let mut a = Array::from(single);
            reference.decrypt_block(&mut a);
            assert_eq!(&a[..], &data[..16]);
        }
    }

    #[test]
    fn round_keys_are_zeroed_on_drop() {
        let mut k = std::mem::ManuallyDrop::new(Sm4::new(&KEY));
        assert!(k.enc.iter().any(|&w| w != 0));
        // SAFETY: dropped once, then only read.
        unsafe { std::mem::ManuallyDrop::drop(&mut k) };
        assert!(k.enc.iter().all(|&w| w == 0) && k.dec.iter().all(|&w| w == 0));
    }
}
