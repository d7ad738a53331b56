//! The cost of the call journal (issue 13) per call: what `MobileTrans` adds for its intent and
//! outcome records (the facts of the call: its business keys and the SM3 of 1 KB of business
//! data; the two appends), with `journalSync=always` (the intent `sync_data`ed before sending)
//! and `never`, measured side by side in alternating batches to share the machine's noise.
//!
//! `cargo bench -p onetrans --bench journal` (a timed loop, not criterion: one figure per mode,
//! median and p99 of single calls). The folder is in the system's temporary directory; the
//! figure for `always` is the disk's flush latency, so it depends on the disk (here: the
//! machine's virtual disk, ext4). With `BENCH_OUT`, the figures are written there as JSON for
//! `scripts/bench_report.py`.

use std::fmt::Write as _;
use std::time::Instant;

use onetrans::clock;
use onetrans::config::{JournalSync, DEFAULT_JOURNAL_KEYS};
use onetrans::journal::{CallFacts, Ended, Journal};
use onetrans::json::{self, Value};

/// 1 KB of business data with the default keys present.
fn business() -> Value {
    let memo = "x".repeat(900);
    json::parse(&format!(
        r#"{{"medOrgOrd":"ZL050509083457355366","orgCode":"H46040100001","orderStatus":"MERCHANT_PAID","amt":12.50,"memo":"{memo}"}}"#
    ))
    .unwrap()
}

/// One call's journal work: facts, intent, outcome. Returns the elapsed microseconds.
fn one_call(journal: &Journal, business: &Value, keys: &[String], i: usize) -> f64 {
    let started = Instant::now();
    let facts = CallFacts::new(
        &format!("{i:032x}"),
        Some("H46010000000"),
        "/api/amp/hos/pushMsg",
        business,
        keys,
    );
    let now = clock::now();
    journal.intent(&facts, now).unwrap();
    let ended = Ended {
        code: "000000",
        business_code: Some("0"),
        millis: 1,
    };
    journal.outcome(&facts, &ended, now).unwrap();
    started.elapsed().as_secs_f64() * 1e6
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let (batches, batch) = if quick { (4, 50) } else { (20, 100) };
    let base = std::env::temp_dir().join(format!("onetrans-journal-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let keys: Vec<String> = DEFAULT_JOURNAL_KEYS.map(str::to_owned).to_vec();
    let business = business();
    let modes = [
        ("always", JournalSync::Always),
        ("never", JournalSync::Never),
    ];
    let journals: Vec<Journal> = modes
        .iter()
        .map(|(name, sync)| Journal::new(base.join(name), *sync, 30))
        .collect();
    let mut samples = [Vec::new(), Vec::new()];
    // Warm-up: the day's files are created and the page cache holds them.
    for journal in &journals {
        one_call(journal, &business, &keys, 0);
    }
    for b in 0..batches {
        for (m, journal) in journals.iter().enumerate() {
            for i in 0..batch {
                samples[m].push(one_call(journal, &business, &keys, b * batch + i));
            }
        }
    }
    let mut json = String::from("{");
    for (m, (name, _)) in modes.iter().enumerate() {
        let s = &mut samples[m];
        s.sort_by(f64::total_cmp);
        let (median, p99) = (percentile(s, 0.5), percentile(s, 0.99));
        println!(
            "journalSync={name}: median {median:.1} µs, p99 {p99:.1} µs per call ({} calls)",
            s.len()
        );
        let _ = write!(
            json,
            r#"{}"{name}":{{"median_us":{median:.1},"p99_us":{p99:.1},"calls":{}}}"#,
            if m > 0 { "," } else { "" },
            s.len()
        );
    }
    json.push('}');
    if let Some(path) = std::env::var_os("BENCH_OUT") {
        std::fs::write(path, &json).unwrap();
    }
    let _ = std::fs::remove_dir_all(&base);
}
