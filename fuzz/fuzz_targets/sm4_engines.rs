//! The SM4 engines against each other: every engine this processor offers (GFNI/AVX-512,
//! AES-NI; `onetrans::sm4::Backend`) must give, on any key and any data, exactly the portable
//! engine's ciphertext and plaintext. The SIMD engines are the crate's largest body of
//! `unsafe` code; the portable one is checked against the standard's vectors
//! (`tests/vectors.rs`).
//!
//! Input: 16 bytes of key, then data, cut to whole blocks and at most 159 (so that every
//! engine's passes are reached: GFNI's 64-block passes, its 16-block groups and the tail after
//! them; AES-NI's 8-block passes, 4-block groups and tail).
//!
//! Oracles: each engine's encryption and decryption equal the portable engine's; decrypting
//! an encryption gives the data back; the one-block path equals the first block.

#![no_main]

use libfuzzer_sys::fuzz_target;
use onetrans::sm4::{Backend, Sm4, BLOCK};

/// Two 64-block passes, a 16-block group and a 15-block tail (GFNI, the widest engine).
const MAX_BLOCKS: usize = 2 * 64 + 16 + 15;

fuzz_target!(|input: &[u8]| {
    let Some((key, data)) = input.split_first_chunk::<16>() else {
        return;
    };
    let blocks = (data.len() / BLOCK).min(MAX_BLOCKS);
    let plain = &data[..blocks * BLOCK];
    let cipher = Sm4::new(key);

    let mut expected = plain.to_vec();
    cipher.encrypt_blocks_with(Backend::Portable, &mut expected);
    let mut back = expected.clone();
    cipher.decrypt_blocks_with(Backend::Portable, &mut back);
    assert_eq!(back, plain, "portable: decrypt(encrypt(x)) != x");
    if let Some(first) = plain.first_chunk::<16>() {
        let mut one = *first;
        cipher.encrypt_block(&mut one);
        assert_eq!(one[..], expected[..BLOCK], "the one-block path");
    }

    for backend in Backend::ALL {
        if backend == Backend::Portable || !backend.is_available() {
            continue;
        }
        let mut got = plain.to_vec();
        cipher.encrypt_blocks_with(backend, &mut got);
        assert_eq!(got, expected, "{} encrypts unlike portable", backend.name());
        cipher.decrypt_blocks_with(backend, &mut got);
        assert_eq!(got, plain, "{} decrypts unlike portable", backend.name());
    }
    // The engine every call uses (the fastest available).
    let mut got = plain.to_vec();
    cipher.encrypt_blocks(&mut got);
    assert_eq!(got, expected, "the detected engine encrypts unlike portable");
});
