//! Soak: many calls from 8 threads through the exported `MobileTrans` against the portal
//! simulator's `echo` path, every answer checked against its own request; then resident memory,
//! open descriptors and threads compared with what they were.
//!
//! * calls: `ONETRANS_SOAK_CALLS` (default 4,000 for CI; the figures in `docs/RELIABILITY.md`
//!   are for 100,000), spread over 8 threads;
//! * memory: `VmRSS` after the run is within [`RSS_SLACK`] of `VmRSS` after the first 1,000
//!   calls (when the connection pool, the allocator's per-thread arenas and the library's
//!   one-time state exist);
//! * descriptors: `/proc/self/fd` right after the run holds at most the pool's idle
//!   connections more than at the start, and once the portal is gone and one more call has
//!   found its pooled connections dead, exactly what it held at the start;
//! * threads: `/proc/self/task` back to its start.
//!
//! The simulator runs in a child process (this test binary again), so that this process's
//! memory and descriptors are the library's alone: the simulator remembers up to 100,000
//! nonces for replay protection, which would grow this process by megabytes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use onetrans::json::Value;
use onetrans_portal::{Portal, PortalConfig};

const THREADS: usize = 8;
const WARM_UP: usize = 1_000;
/// How much resident memory may grow after the first 1,000 calls.
const RSS_SLACK_KB: u64 = 4 * 1024;
/// ureq keeps at most this many idle connections to one host.
const POOL_IDLE_PER_HOST: usize = 3;
const CHILD_ENV: &str = "ONETRANS_SOAK_PORTAL";

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

/// `calls` calls over [`THREADS`] threads, numbered from `first`; each checks its own answer.
/// Returns once every thread has ended (joined).
fn run_calls(url: &str, first: usize, calls: usize) {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                scope.spawn(move || {
                    for seq in (first + t..first + calls).step_by(THREADS) {
                        let order = format!("SOAK-{t}-{seq}");
                        let extra = format!("\"thread\":{t},\"seq\":{seq}");
                        let (code, out) = mobile_trans(&push_msg(url, &order, &extra));
                        assert_eq!(code, "000000", "call {seq}: {out}");
                        let data = member(&out, "data");
                        assert_eq!(
                            data.get("medOrgOrd"),
                            Some(&Value::from(order.as_str())),
                            "call {seq} got another call's answer: {out}"
                        );
                        assert_eq!(data.get("seq").map(Value::to_string), Some(seq.to_string()));
                        assert_eq!(
                            data.get("thread").map(Value::to_string),
                            Some(t.to_string())
                        );
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a soak thread failed");
        }
    });
}

/// `count(dir)` once it equals `want`, or after 5 seconds whatever it is: a joined thread can
/// linger in /proc for a moment after `pthread_join` returns.
fn settled_count(dir: &str, want: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = count(dir);
        if n == want || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn soak() {
    std::env::remove_var("ONETRANS_CONFIG");
    if std::env::var_os(CHILD_ENV).is_some() {
        // The child: serve until killed.
        let portal = Portal::start(PortalConfig::default()).expect("the simulator starts");
        println!("PORTAL {}", portal.base_url());
        loop {
            std::thread::park();
        }
    }
    let calls: usize = std::env::var("ONETRANS_SOAK_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_000)
        .max(WARM_UP + THREADS);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["soak", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the simulator's process starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.find("PORTAL ").map(|i| l[i + 7..].trim().to_owned()))
        .expect("the simulator reports its address");
    let url = format!("{base}/_fault/echo{PUSH_MSG}");

    let (fds_start, tasks_start, rss_start) =
        (count("/proc/self/fd"), count("/proc/self/task"), rss_kb());
    let started = Instant::now();
    run_calls(&url, 0, WARM_UP);
    let rss_warm = rss_kb();
    // The rest in chunks of 10,000, noting the resident memory after each.
    let mut curve = vec![(WARM_UP, rss_warm)];
    let mut done = WARM_UP;
    while done < calls {
        let chunk = (calls - done).min(10_000);
        run_calls(&url, done, chunk);
        done += chunk;
        curve.push((done, rss_kb()));
    }
    let took = started.elapsed();
    let fds_run = count("/proc/self/fd");
    let tasks_end = settled_count("/proc/self/task", tasks_start);
    let rss_end = rss_kb();

    // The portal goes away; the next call finds the pooled connections closed, drops them and
    // is refused (not delivered).
    child.kill().unwrap();
    child.wait().unwrap();
    let (code, out) = mobile_trans(&push_msg(&url, "SOAK-AFTER", ""));
    assert_eq!(code, "000100", "{out}");
    let fds_settled = settled_count("/proc/self/fd", fds_start);

    println!(
        "SOAK calls={calls} threads={THREADS} seconds={:.1} calls_per_second={:.0} \
         rss_kb: start={rss_start} after_{WARM_UP}={rss_warm} end={rss_end} (growth {} kB) \
         fds: start={fds_start} after_run={fds_run} settled={fds_settled} \
         tasks: start={tasks_start} end={tasks_end} rss_curve_kb={curve:?}",
        took.as_secs_f64(),
        calls as f64 / took.as_secs_f64(),
        rss_end as i64 - rss_warm as i64,
    );
    assert!(
        rss_end <= rss_warm + RSS_SLACK_KB,
        "resident memory grew from {rss_warm} kB to {rss_end} kB"
    );
    assert!(
        fds_run <= fds_start + POOL_IDLE_PER_HOST,
        "descriptors: {fds_start} at the start, {fds_run} after the run"
    );
    assert_eq!(fds_settled, fds_start, "descriptors back to their start");
    assert_eq!(tasks_end, tasks_start, "threads back to their start");
}
