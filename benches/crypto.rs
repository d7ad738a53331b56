//! Crypto throughput (issue 7): SM4-ECB-PKCS7 encrypt and decrypt (the `DataKey` the protocol
//! uses, padding and allocation included) and SM3, over 1 KB, 64 KB and 1 MB, in bytes per
//! second. Besides the library's path, each SM4 engine alone (in place, no padding) and the
//! RustCrypto `sm4` crate the library used before, for the record. SM2 (issue 12): sign and
//! verify of a typical sign text, beside `openssl speed sm2`, and the parts of a signature.
//!
//! `cargo bench -p onetrans --bench crypto` (scripts/bench.sh runs it, with OpenSSL's figures
//! beside it). `BENCH_QUICK=1` shortens the measurement while iterating.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use onetrans::crypto::{self, DataKey};
use onetrans::sm4::{Backend, Sm4};
use sm4_reference::cipher::{Array, BlockCipherEncrypt, KeyInit};

const SIZES: [(usize, &str); 3] = [(1024, "1KB"), (65536, "64KB"), (1 << 20, "1MB")];

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

fn configured() -> Criterion {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    Criterion::default()
        .warm_up_time(Duration::from_millis(if quick { 200 } else { 500 }))
        .measurement_time(Duration::from_millis(if quick { 500 } else { 2000 }))
        .sample_size(if quick { 10 } else { 30 })
}

fn sm4_library(c: &mut Criterion) {
    let key = DataKey::from_ascii(*b"4D0D7E3A0123ABCD");
    let mut group = c.benchmark_group("sm4_ecb_pkcs7_encrypt");
    for (len, name) in SIZES {
        let plain = data(len);
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| key.encrypt(black_box(&plain)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("sm4_ecb_pkcs7_decrypt");
    for (len, name) in SIZES {
        let cipher = key.encrypt(&data(len));
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| key.decrypt(black_box(&cipher)).unwrap())
        });
    }
    group.finish();
}

fn sm4_engines(c: &mut Criterion) {
    let sm4 = Sm4::new(b"4D0D7E3A0123ABCD");
    for backend in Backend::ALL.into_iter().filter(|b| b.is_available()) {
        let mut group = c.benchmark_group(format!("sm4_engine_{}", backend.name()));
        for (len, name) in SIZES {
            let mut buf = data(len);
            group.throughput(Throughput::Bytes(len as u64));
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| sm4.encrypt_blocks_with(backend, black_box(&mut buf)))
            });
        }
        group.finish();
    }

    // The RustCrypto crate the library used before (one block at a time, byte S-box).
    let reference = sm4_reference::Sm4::new(&Array::from(*b"4D0D7E3A0123ABCD"));
    let mut group = c.benchmark_group("sm4_engine_rustcrypto-sm4-0.6");
    for (len, name) in SIZES {
        let mut buf = data(len);
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let (blocks, _) = Array::slice_as_chunks_mut(black_box(&mut buf));
                reference.encrypt_blocks(blocks);
            })
        });
    }
    group.finish();
}

fn sm3(c: &mut Criterion) {
    let mut group = c.benchmark_group("sm3");
    for (len, name) in SIZES {
        let input = data(len);
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| crypto::sm3(black_box(&input)))
        });
    }
    group.finish();
}

fn hex(c: &mut Criterion) {
    let mut group = c.benchmark_group("hex_upper");
    let input = data(65536);
    group.throughput(Throughput::Bytes(65536));
    group.bench_function("64KB", |b| b.iter(|| crypto::hex_upper(black_box(&input))));
    group.finish();
    let text = crypto::hex_upper(&input);
    let mut group = c.benchmark_group("hex_decode");
    group.throughput(Throughput::Bytes(65536));
    group.bench_function("64KB", |b| b.iter(|| crypto::hex_decode(black_box(&text))));
    group.finish();
}

/// SM2 over a typical request sign text (the spec's SM2 request vector, 430 bytes): sign (the
/// library's hedged nonce, OS randomness included) and verify (base64 decoding included), as a
/// call does them; and the parts, to see where the time goes.
fn sm2(c: &mut Criterion) {
    use onetrans::sm2::{self as sm2, PrivateKey, PublicKey, UserId};
    let key = PrivateKey::parse(
        "clientPrvKey",
        "AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0",
    )
    .unwrap();
    let public = sm2::public_of(&key);
    let id = UserId::default();
    let text = "appId=zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN&data={\"appType\":\"01\",\"createTime\":\"2022-05-09 08:32:51\",\"deptCode\":\"BM00100\",\"deptName\":\"总院牙体牙髓科\",\"drName\":\"周小鹏\",\"drNo\":\"D460106007245\",\"hisCustId\":\"532494\",\"idNo\":\"460029196507081627\",\"idType\":\"02\",\"medOrgOrd\":\"ZL050509083457355366\",\"orderStatus\":\"MERCHANT_WAIT_PAY\",\"orgCode\":\"H46040100001\",\"patientName\":\"周大鹏\",\"pushType\":\"HOSPITAL_PAYMENT\",\"subOrgCode\":\"5\"}&encType=SM4&nonceStr=abcdef0123456789abcdef0123456789&orgId=H46010000000&signType=SM2&timestamp=2022-05-10 16:56:24&version=1.0.0&key=St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";
    let signature = sm2::sign_base64(&key, &id, text.as_bytes());
    let mut group = c.benchmark_group("sm2");
    group.bench_function("sign", |b| {
        b.iter(|| sm2::sign_base64(&key, &id, black_box(text.as_bytes())))
    });
    group.bench_function("sign_fixed_entropy", |b| {
        b.iter(|| sm2::sign_with_entropy(&key, &id, black_box(text.as_bytes()), &[7; 32]))
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            assert!(sm2::verify(
                &public,
                &id,
                black_box(text.as_bytes()),
                &signature
            ))
        })
    });
    group.bench_function("z", |b| b.iter(|| sm2::z(&id, black_box(&public))));
    group.bench_function("parse_private_hex", |b| {
        b.iter(|| {
            PrivateKey::parse(
                "k",
                black_box("AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0"),
            )
        })
    });
    let public_hex = public.to_hex();
    group.bench_function("parse_public_hex", |b| {
        b.iter(|| PublicKey::parse("k", black_box(&public_hex)))
    });
    group.finish();
}

/// An answer that arrives at once: the network taken out of a call.
struct Canned(Vec<u8>);

impl onetrans::transport::Transport for Canned {
    fn post(
        &self,
        _url: &str,
        _body: &[u8],
    ) -> Result<onetrans::transport::HttpAnswer, onetrans::error::Error> {
        Ok(onetrans::transport::HttpAnswer {
            status: 200,
            body: self.0.clone(),
        })
    }
}

/// The library's own work for one whole call (`call::run`: parse, seal, sign, open, verify,
/// render; the network replaced by an instant answer) with the vendor document's pushMsg
/// example, signed SM3 and signed SM2 (keys in the input, so both parsed per call as a real
/// call does): the per-call cost of choosing SM2.
fn call_sign_types(c: &mut Criterion) {
    use onetrans::call::{self, Env};
    use onetrans::clock::ChinaTime;
    use onetrans::crypto::AppKey;
    use onetrans::json;
    use onetrans::protocol::{self, Reply};
    use onetrans::signing::{Signing, Sm2Keys};
    use onetrans::sm2::{self as sm2, PrivateKey, UserId};

    const NONCE: &str = "abcdef0123456789abcdef0123456789";
    let client_hex = "AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0";
    let server_hex = "20719101D4A830E974FA9FC1FF978F8B69C2C2129224D002726AF78C26E9FD76";
    let client = PrivateKey::parse("c", client_hex).unwrap();
    let server = PrivateKey::parse("s", server_hex).unwrap();
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../spec/vectors.json")).unwrap();
    let sm3_input = vectors["request"][0]["input"].as_str().unwrap().to_owned();
    let sm2_input = vectors["sm2_request"][0]["input"]
        .as_str()
        .unwrap()
        .to_owned();
    let (app_id, app_key) = (
        "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN",
        AppKey::new("St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM"),
    );
    let key = DataKey::derive(app_id, &app_key);
    let mut request = json::Map::new();
    request.insert("appId".into(), app_id.into());
    request.insert("orgId".into(), "H46010000000".into());
    request.insert("nonceStr".into(), NONCE.into());
    let reply = Reply {
        code: 0,
        message: "成功".into(),
        data: Some(json::parse(r#"{"response":"SUCCESS"}"#).unwrap()),
        extra: String::new(),
    };
    let portal_sm2 = Signing::Sm2(Box::new(Sm2Keys {
        own: server,
        peer: sm2::public_of(&client),
        user_id: UserId::default(),
    }));
    let ts = "2022-05-10 16:56:25";
    let seal = |signing: &Signing| {
        protocol::seal_response_with(&request, &reply, &key, &app_key, ts, signing).into_bytes()
    };
    let now = || ChinaTime::parse("2022-05-10 16:56:25").unwrap();
    let nonce = || NONCE.to_owned();
    let mut group = c.benchmark_group("call");
    for (name, input, answer) in [
        ("SM3", &sm3_input, Canned(seal(&Signing::Sm3))),
        ("SM2", &sm2_input, Canned(seal(&portal_sm2))),
    ] {
        let env = Env {
            transport: &answer,
            now: &now,
            nonce: &nonce,
        };
        let outcome = call::run(input, &env);
        assert_eq!(outcome.code, "000000", "{name}: {}", outcome.output);
        group.bench_function(name, |b| {
            b.iter(|| call::run(black_box(input), &env));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = configured();
    targets = sm4_library, sm4_engines, sm3, hex, sm2, call_sign_types
}
criterion_main!(benches);
