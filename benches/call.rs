//! Per-call overhead and throughput (issue 7), against the portal simulator on 127.0.0.1.
//!
//! * **Latency**: median and p99 of a `MobileTrans` call (`onetrans::ffi::MobileTrans`, the
//!   export itself) with 1 KB and 64 KB business data on the simulator's `echo` path (the answer
//!   carries the same data back, encrypted and signed), beside the **limit**: a plain HTTP POST
//!   of the same number of bytes each way (the request and answer bodies the library's call put
//!   on the wire, measured) over the same kind of kept-alive connection (a ureq agent), to a
//!   bare HTTP/1.1 keep-alive server on the simulator's stack (hyper on a two-worker tokio
//!   runtime) that reads the body and answers 200 with that many bytes: no JSON, no signing, no
//!   encryption. The two are sampled in alternating batches so that both see the same machine.
//! * **Where the time goes**: the library's own work per call (`call::run` with a transport that
//!   answers at once with a sealed answer: parse, seal, open, verify, render) and the
//!   simulator's (`Gateway::process` on a sealed request: verify, decrypt, replay check, seal
//!   the answer), each without any network.
//! * **Throughput**: calls per second with 1, 4 and 8 calling threads sharing the library's one
//!   agent, beside the plain POST with as many threads sharing one agent, and beside the
//!   reference Python client (benches/reference_client.py: requests + cryptography) with as
//!   many threads, against the same simulator; that client is first checked to get a verified
//!   `000000`.
//!
//! `cargo bench -p onetrans --bench call` writes its figures as JSON to
//! `$BENCH_OUT` (default `$CARGO_TARGET_DIR/bench-results/call.json`); scripts/bench.sh turns
//! them into BENCHMARKS.md. `BENCH_QUICK=1` shortens everything.

use std::convert::Infallible;
use std::ffi::{CStr, CString};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use onetrans::call::{self, Env};
use onetrans::clock::{self, ChinaTime};
use onetrans::crypto::{AppKey, DataKey};
use onetrans::error::Error;
use onetrans::json;
use onetrans::protocol::{self, Reply};
use onetrans::transport::{HttpAnswer, Transport};
use onetrans_portal::apps::{AppRegistry, DEFAULT_APPS};
use onetrans_portal::checks::{Gateway, Handler};
use onetrans_portal::{Portal, PortalConfig};

const PATH: &str = "/api/amp/hos/pushMsg";
const ORG_ID: &str = "H46010000000";

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some()
}

// --- the business data -----------------------------------------------------------------------

/// A pushMsg-like business object whose compact JSON is exactly `size` bytes: the vendor
/// document's fields, a list of drug items, and a remark that makes up the rest.
fn business_json(size: usize) -> String {
    let head = r#"{"orgCode":"H46040100001","medOrgOrd":"ZL050509083457355366","pushType":"HOSPITAL_PAYMENT","orderStatus":"MERCHANT_PAID","patientName":"周大鹏","idType":"02","idNo":"460029196507081627","amt":12.50,"items":["#;
    let mut text = String::from(head);
    let mut i = 0;
    loop {
        let item = format!(
            r#"{}{{"drugCode":"XB01AC{i:06}","drugName":"阿司匹林肠溶片","qty":{},"price":"3.{:02}","memo":null}}"#,
            if i > 0 { "," } else { "" },
            1 + i % 5,
            i % 100
        );
        // Keep room for the tail and a remark of at least a few bytes.
        if text.len() + item.len() + 40 > size {
            break;
        }
        text.push_str(&item);
        i += 1;
    }
    text.push_str(r#"],"remark":""#);
    let fill = size - text.len() - 2;
    text.extend(std::iter::repeat_n('x', fill));
    text.push_str("\"}");
    assert_eq!(text.len(), size);
    json::parse(&text).expect("valid JSON");
    text
}

/// The caller's input (`pInData`) for a call to `url` with this business data.
fn input_json(url: &str, business: &str) -> String {
    let (app_id, app_key) = DEFAULT_APPS[0];
    let fields = &business[1..business.len() - 1];
    format!(
        r#"{{"data":{{"serverAddr":"{url}","appId":"{app_id}","appKey":"{app_key}","encryptType":"SM4","signType":"SM3","version":"1.0.0",{fields}}},"orgId":"{ORG_ID}"}}"#
    )
}

// --- MobileTrans -----------------------------------------------------------------------------

/// The output buffer `MobileTrans` may fill: `outBufSize` of the benchmark's configuration.
const OUT_BUF: usize = 4 << 20;

struct Caller {
    input: CString,
    out: Vec<u8>,
}

impl Caller {
    fn new(input: &str) -> Caller {
        Caller {
            input: CString::new(input).unwrap(),
            out: vec![0u8; OUT_BUF],
        }
    }

    /// One call through the export; true on `000000` with business code 0.
    fn call(&mut self) -> bool {
        // SAFETY: a NUL-terminated input; an output buffer of `outBufSize` bytes.
        let code = unsafe {
            onetrans::ffi::MobileTrans(self.input.as_ptr(), self.out.as_mut_ptr().cast())
        };
        // SAFETY: the library returns a NUL-terminated code.
        let code = unsafe { CStr::from_ptr(code) };
        code.to_bytes() == b"000000" && self.out.starts_with(b"{\"code\":0,")
    }

    fn output(&self) -> String {
        let end = self.out.iter().position(|&b| b == 0).unwrap_or(0);
        String::from_utf8_lossy(&self.out[..end]).into_owned()
    }
}

// --- the plain-POST limit --------------------------------------------------------------------

/// A bare HTTP/1.1 keep-alive server (hyper on a two-worker tokio runtime, as the simulator):
/// reads the whole body and answers 200 with `?n=` bytes.
struct Sink {
    addr: std::net::SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl Sink {
    fn start() -> Sink {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let pad = Bytes::from(vec![b'x'; 4 << 20]);
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let pad = pad.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let pad = pad.clone();
                        async move {
                            let n: usize = request
                                .uri()
                                .query()
                                .and_then(|q| q.strip_prefix("n="))
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(0);
                            let _body = request.into_body().collect().await.map(|b| b.to_bytes());
                            let mut response = Response::new(Full::new(pad.slice(..n)));
                            response.headers_mut().insert(
                                hyper::header::CONTENT_TYPE,
                                hyper::header::HeaderValue::from_static(
                                    "application/json;charset=UTF-8",
                                ),
                            );
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Sink {
            addr,
            _runtime: runtime,
        }
    }

    fn url(&self, answer_bytes: usize) -> String {
        format!("http://{}/sink?n={answer_bytes}", self.addr)
    }
}

struct PlainPost {
    agent: ureq::Agent,
    url: String,
    body: Vec<u8>,
    answer_bytes: usize,
}

impl PlainPost {
    fn post(&self) -> bool {
        let Ok(mut response) = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json;charset=UTF-8")
            .send(&self.body[..])
        else {
            return false;
        };
        let body = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec();
        response.status() == 200 && body.is_ok_and(|b| b.len() == self.answer_bytes)
    }
}

// --- statistics ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Stats {
    median_us: f64,
    p99_us: f64,
    mean_us: f64,
    samples: usize,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| us(samples[((samples.len() as f64 - 1.0) * q).round() as usize]);
    Stats {
        median_us: at(0.5),
        p99_us: at(0.99),
        mean_us: samples.iter().map(|&d| us(d)).sum::<f64>() / samples.len() as f64,
        samples: samples.len(),
    }
}

fn stats_json(s: &Stats) -> String {
    format!(
        r#"{{"median_us":{:.2},"p99_us":{:.2},"mean_us":{:.2},"samples":{}}}"#,
        s.median_us, s.p99_us, s.mean_us, s.samples
    )
}

// --- the measurements ------------------------------------------------------------------------

/// The bytes a `MobileTrans` call with this input puts on the wire: request body and answer
/// body, found by sealing a request the library's way and posting it to the echo path.
fn wire_sizes(input: &str) -> (usize, usize) {
    let parsed = onetrans::input::parse(input).unwrap();
    let key = DataKey::derive(&parsed.app_id, &parsed.app_key);
    let sealed = protocol::seal_request(
        &parsed,
        &key,
        &clock::now().to_string(),
        &protocol::new_nonce(),
    );
    let mut response = ureq::agent()
        .post(&parsed.server_addr)
        .header("Content-Type", "application/json;charset=UTF-8")
        .send(sealed.body.as_bytes())
        .unwrap();
    let answer = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap();
    assert!(
        answer.starts_with(br#"{"respCode":"000000""#),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
    (sealed.body.len(), answer.len())
}

/// Median and p99 of `MobileTrans` and of the plain POST, sampled in alternating batches.
fn latency(
    caller: &mut Caller,
    plain: &PlainPost,
    warmup: usize,
    samples: usize,
) -> (Stats, Stats) {
    for _ in 0..warmup {
        assert!(caller.call(), "{}", caller.output());
        assert!(plain.post());
    }
    let batch = 50.min(samples);
    let mut lib = Vec::with_capacity(samples);
    let mut raw = Vec::with_capacity(samples);
    while lib.len() < samples {
        for _ in 0..batch {
            let t = Instant::now();
            assert!(caller.call(), "{}", caller.output());
            lib.push(t.elapsed());
        }
        for _ in 0..batch {
            let t = Instant::now();
            assert!(plain.post());
            raw.push(t.elapsed());
        }
    }
    (stats(lib), stats(raw))
}

/// Calls per second with `threads` threads each running `work` (which returns success) for
/// `seconds`; failures are counted apart.
fn throughput<W>(threads: usize, seconds: f64, make: impl Fn() -> W) -> (f64, u64)
where
    W: FnMut() -> bool + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let mut work = make();
            let (stop, ok, failed, barrier) = (
                Arc::clone(&stop),
                Arc::clone(&ok),
                Arc::clone(&failed),
                Arc::clone(&barrier),
            );
            std::thread::spawn(move || {
                // Warm: one call opens this thread's connection.
                work();
                barrier.wait();
                let (mut n, mut f) = (0u64, 0u64);
                while !stop.load(Ordering::Relaxed) {
                    if work() {
                        n += 1;
                    } else {
                        f += 1;
                    }
                }
                ok.fetch_add(n, Ordering::Relaxed);
                failed.fetch_add(f, Ordering::Relaxed);
            })
        })
        .collect();
    barrier.wait();
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = t.elapsed().as_secs_f64();
    (
        ok.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed),
    )
}

/// A transport that answers at once with a sealed echo answer (for the library's own cost).
struct Canned(Vec<u8>);

impl Transport for Canned {
    fn post(&self, _url: &str, _body: &[u8]) -> Result<HttpAnswer, Error> {
        Ok(HttpAnswer {
            status: 200,
            body: self.0.clone(),
        })
    }
}

const FIXED_NONCE: &str = "0123456789abcdef0123456789abcdef";

/// The library's own CPU time per call: `call::run` (parse, seal, open, verify, render) with the
/// network replaced by an instant answer. Median over `n` calls.
fn library_cpu(input: &str, business: &str, n: usize) -> Stats {
    let (app_id, app_key) = DEFAULT_APPS[0];
    let app_key = AppKey::new(app_key);
    let key = DataKey::derive(app_id, &app_key);
    let mut request = json::Map::new();
    request.insert("appId".into(), app_id.into());
    request.insert("orgId".into(), ORG_ID.into());
    request.insert("nonceStr".into(), FIXED_NONCE.into());
    let reply = Reply {
        code: 0,
        message: "成功".into(),
        data: Some(json::parse(business).unwrap()),
        extra: String::new(),
    };
    let answer = protocol::seal_response(&request, &reply, &key, &app_key, "2026-01-01 12:00:00");
    let transport = Canned(answer.into_bytes());
    let now = || ChinaTime::from_unix(1_767_240_000);
    let nonce = || FIXED_NONCE.to_owned();
    let env = Env {
        transport: &transport,
        now: &now,
        nonce: &nonce,
    };
    let outcome = call::run(input, &env);
    assert_eq!(outcome.code, "000000", "{}", outcome.output);
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let outcome = call::run(std::hint::black_box(input), &env);
        samples.push(t.elapsed());
        assert_eq!(outcome.code, "000000");
    }
    stats(samples)
}

/// The simulator's CPU time per request on the echo path: `Gateway::process` on sealed
/// requests (each with its own nonce, as the replay check wants). Median over `n`.
fn simulator_cpu(input: &str, n: usize) -> Stats {
    let gateway = Gateway::new(AppRegistry::new(&[]).unwrap());
    let parsed = onetrans::input::parse(input).unwrap();
    let key = DataKey::derive(&parsed.app_id, &parsed.app_key);
    let now = clock::now();
    let bodies: Vec<String> = (0..n)
        .map(|_| {
            protocol::seal_request(&parsed, &key, &now.to_string(), &protocol::new_nonce()).body
        })
        .collect();
    let mut samples = Vec::with_capacity(n);
    for body in &bodies {
        let t = Instant::now();
        let verdict = gateway.process(PATH, body.as_bytes(), now, Handler::Echo);
        samples.push(t.elapsed());
        assert_eq!(verdict.resp_code, "000000");
    }
    stats(samples)
}

/// Runs the reference Python client; its JSON line.
fn python(
    script: &PathBuf,
    url: &str,
    data_file: &PathBuf,
    extra: &[&str],
) -> Result<String, String> {
    let (app_id, app_key) = DEFAULT_APPS[0];
    let python = std::env::var("BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .arg(script)
        .args([
            "--url",
            url,
            "--app-id",
            app_id,
            "--app-key",
            app_key,
            "--data",
        ])
        .arg(data_file)
        .args(extra)
        .output()
        .map_err(|e| format!("{python}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{stdout} {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn main() {
    // `BENCH_PROFILE=SIZE`: only the library's own work on SIZE bytes of business data, in a
    // loop, for a profiler (`perf record -g`).
    if let Some(size) = std::env::var("BENCH_PROFILE")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        let business = business_json(size);
        let input = input_json("http://127.0.0.1:9/api/amp/hos/pushMsg", &business);
        let n = (200_000_000 / size).max(10);
        let s = library_cpu(&input, &business, n);
        eprintln!(
            "library CPU per call, {size} B: median {:.1} µs over {n}",
            s.median_us
        );
        return;
    }
    let out_path = std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
            target.join("bench-results").join("call.json")
        });
    std::fs::create_dir_all(out_path.parent().unwrap()).unwrap();
    let work = out_path.parent().unwrap().to_path_buf();

    // The library reads its configuration once, at the first call: a buffer large enough for
    // the 64 KB answers, the default everything else (no log file on Linux).
    let ini = work.join("bench-OneTrans.ini");
    std::fs::write(&ini, format!("[OneTrans]\noutBufSize={OUT_BUF}\n")).unwrap();
    std::env::set_var("ONETRANS_CONFIG", &ini);

    let portal = Portal::start(PortalConfig::default()).expect("the simulator starts");
    let sink = Sink::start();
    let echo_url = portal.fault_url("echo", PATH);
    let agent: ureq::Agent = ureq::agent();
    let q = quick();

    let mut json_out = String::from("{");
    let _ = write!(
        json_out,
        r#""quick":{q},"sm4_engine":"{}","#,
        onetrans::sm4::Backend::detect().name()
    );

    // Latency, 1 KB and 64 KB.
    json_out.push_str(r#""latency":["#);
    for (i, (size, samples)) in [
        (1024usize, if q { 600 } else { 4000 }),
        (65536, if q { 100 } else { 800 }),
    ]
    .into_iter()
    .enumerate()
    {
        let business = business_json(size);
        let input = input_json(&echo_url, &business);
        let (request_bytes, answer_bytes) = wire_sizes(&input);
        let mut caller = Caller::new(&input);
        let plain = PlainPost {
            agent: agent.clone(),
            url: sink.url(answer_bytes),
            body: vec![b'x'; request_bytes],
            answer_bytes,
        };
        let (lib, raw) = latency(&mut caller, &plain, samples / 10, samples);
        let cpu = library_cpu(&input, &business, samples.min(2000));
        let server = simulator_cpu(&input, samples.min(1000));
        eprintln!(
            "{size} B: MobileTrans median {:.1} µs p99 {:.1} µs | plain POST median {:.1} µs p99 {:.1} µs | ratio {:.3} | library CPU {:.1} µs, simulator CPU {:.1} µs | wire {request_bytes} B out, {answer_bytes} B back",
            lib.median_us, lib.p99_us, raw.median_us, raw.p99_us, lib.median_us / raw.median_us, cpu.median_us, server.median_us
        );
        if i > 0 {
            json_out.push(',');
        }
        let _ = write!(
            json_out,
            r#"{{"business_bytes":{size},"request_bytes":{request_bytes},"answer_bytes":{answer_bytes},"mobiletrans":{},"plain_post":{},"library_cpu":{},"simulator_cpu":{}}}"#,
            stats_json(&lib),
            stats_json(&raw),
            stats_json(&cpu),
            stats_json(&server)
        );
    }
    json_out.push_str("],");

    // Throughput, 1 KB, 1/4/8 threads.
    let business = business_json(1024);
    let input = input_json(&echo_url, &business);
    let (request_bytes, answer_bytes) = wire_sizes(&input);
    let data_file = work.join("bench-business-1KB.json");
    std::fs::write(&data_file, &business).unwrap();
    let script = std::env::var_os("BENCH_REFERENCE_CLIENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/reference_client.py")
        });
    let check = python(&script, &echo_url, &data_file, &["--check"]);
    eprintln!("reference client check: {check:?}");
    let _ = write!(
        json_out,
        r#""reference_check":{},"#,
        match &check {
            Ok(line) => line.clone(),
            Err(e) => format!("{{\"error\":{:?}}}", e),
        }
    );
    let seconds = if q { 1.0 } else { 3.0 };
    json_out.push_str(r#""throughput":["#);
    for (i, threads) in [1usize, 4, 8].into_iter().enumerate() {
        let (lib, lib_failed) = throughput(threads, seconds, || {
            let mut caller = Caller::new(&input);
            move || caller.call()
        });
        let (raw, raw_failed) = throughput(threads, seconds, || {
            let plain = PlainPost {
                agent: agent.clone(),
                url: sink.url(answer_bytes),
                body: vec![b'x'; request_bytes],
                answer_bytes,
            };
            move || plain.post()
        });
        let py = if check.is_ok() {
            python(
                &script,
                &echo_url,
                &data_file,
                &[
                    "--threads",
                    &threads.to_string(),
                    "--seconds",
                    &seconds.to_string(),
                ],
            )
        } else {
            Err("skipped: the reference client failed its check".into())
        };
        eprintln!(
            "{threads} threads: MobileTrans {lib:.0}/s ({lib_failed} failed) | plain POST {raw:.0}/s ({raw_failed} failed) | Python {py:?}"
        );
        if i > 0 {
            json_out.push(',');
        }
        let _ = write!(
            json_out,
            r#"{{"threads":{threads},"mobiletrans_per_sec":{lib:.1},"mobiletrans_failed":{lib_failed},"plain_post_per_sec":{raw:.1},"plain_post_failed":{raw_failed},"python":{}}}"#,
            match &py {
                Ok(line) => line.clone(),
                Err(e) => format!("{{\"error\":{:?}}}", e),
            }
        );
    }
    let _ = write!(
        json_out,
        r#"],"simulator_connections":{}}}"#,
        portal.connections_accepted()
    );
    std::fs::write(&out_path, &json_out).unwrap();
    eprintln!("wrote {}", out_path.display());
}
