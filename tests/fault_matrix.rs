//! The fault matrix of `docs/RELIABILITY.md`: every way the network or the portal can fail, the
//! return code each must give, the longest it may take, and that the host process survives it.
//!
//! The table is data ([`ROWS`]); each row has one test of the same name, run through the
//! exported `MobileTrans` against the portal simulator on 127.0.0.1 (or against a listener or
//! resolver this test makes itself). `the_table_in_docs_is_current` checks that
//! `docs/RELIABILITY.md` holds the table rendered from [`ROWS`]; regenerate it with
//! `ONETRANS_BLESS=1 cargo test --test fault_matrix the_table`.
//!
//! Every row checks, besides its code and time bound:
//! * the output is the failure JSON of spec section 6 with the same `respCode`, and its message
//!   says what the row expects;
//! * whether the request reached the portal (`000100`: never; `000001`: it did);
//! * neither the appKey nor the data key appears in the output or in the call log (this process
//!   logs at `debug`, input and output included);
//! * the process survives: a normal call right after the fault succeeds;
//! * the call journal (issue 13, `logDir/journal` here) holds exactly one intent and one
//!   outcome for the row's order, with the row's code; `onetrans journal` would list it as
//!   unresolved exactly when the code leaves the outcome unknown (never a `000100`).
//!
//! The rows about host names run in a child process (this test binary again) inside a new
//! network and mount namespace (`unshare --net --mount`) whose only interface is `lo` and whose
//! `/etc/resolv.conf` names a resolver this test runs on 127.0.0.1 in that namespace: no DNS
//! query can leave the machine. They need root or unprivileged user namespaces; elsewhere they
//! are skipped with a message, and under `CI` they fail instead.
//!
//! This process runs with `connectTimeoutMs` 1000, `readTimeoutMs` 1500 and `maxResponseBytes`
//! 262144 (set before the first call, which reads the configuration once).

mod common;

use std::fmt::Write as _;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;
use std::time::{Duration, Instant};

use common::net::full_backlog;
use common::*;
use onetrans::crypto::{AppKey, DataKey};
use onetrans::journal;
use onetrans::json::Value;
use onetrans_portal::{Portal, PortalConfig};

const CONNECT_TIMEOUT_MS: u64 = 1_000;
const READ_TIMEOUT_MS: u64 = 1_500;
const MAX_RESPONSE_BYTES: u64 = 262_144;
/// The `readTimeoutMs` of the call of the `per_call_read_timeout` row, in its own `data`.
const PER_CALL_READ_TIMEOUT_MS: u64 = 200;
/// Added to the timeouts a fault runs into: room for a loaded two-core CI machine. A fault that
/// runs into no timeout takes milliseconds.
const MARGIN_MS: u64 = 2_500;

/// The timeout a fault runs into, which bounds how long it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// None: the failure is immediate.
    Nothing,
    /// `connectTimeoutMs`.
    Connect,
    /// `readTimeoutMs`.
    Read,
    /// The call's own `readTimeoutMs` in its `data` ([`PER_CALL_READ_TIMEOUT_MS`]).
    CallRead,
}

impl Wait {
    fn bound(self) -> Duration {
        Duration::from_millis(
            MARGIN_MS
                + match self {
                    Wait::Nothing => 0,
                    Wait::Connect => CONNECT_TIMEOUT_MS,
                    Wait::Read => READ_TIMEOUT_MS,
                    Wait::CallRead => PER_CALL_READ_TIMEOUT_MS,
                },
        )
    }

    fn render(self) -> String {
        let margin = MARGIN_MS as f64 / 1000.0;
        match self {
            Wait::Nothing => format!("{margin} s"),
            Wait::Connect => format!("`connectTimeoutMs` + {margin} s"),
            Wait::Read => format!("`readTimeoutMs` + {margin} s"),
            Wait::CallRead => format!("the call's `readTimeoutMs` + {margin} s"),
        }
    }
}

/// How a row's fault is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// A port on 127.0.0.1 where nothing listens.
    Refused,
    /// A name the in-namespace resolver answers NXDOMAIN for.
    DnsNxdomain,
    /// A name whose in-namespace resolver never answers.
    DnsSilent,
    /// As [`Setup::DnsSilent`], through `libonetrans.so` loaded with `dlopen`, which is closed
    /// while the lookup still hangs.
    DnsSilentUnload,
    /// A loopback listener whose accept backlog is full, so SYNs are dropped.
    BacklogFull,
    /// The simulator's URL-selected fault.
    Portal(&'static str),
    /// A call through `closeidle`, a pause, then the call measured, on the same kept-alive pool.
    CloseIdle,
    /// The simulator's `slow=MS` fault, for a call with a `readTimeoutMs` of its own, while a
    /// concurrent call without one must get its answer.
    PerCallSlow(u64),
}

/// One row of the fault matrix.
#[derive(Debug)]
struct Row {
    /// The test's name.
    id: &'static str,
    /// What goes wrong.
    fault: &'static str,
    /// How the test makes it happen.
    how: &'static str,
    setup: Setup,
    /// The return code the call must give.
    code: &'static str,
    /// What the output's message must mention.
    mentions: &'static str,
    /// The timeout the fault runs into.
    wait: Wait,
    /// Whether the request reaches the portal.
    delivered: bool,
}

const ROWS: &[Row] = &[
    Row {
        id: "refused",
        fault: "connection refused",
        how: "a port on 127.0.0.1 where nothing listens",
        setup: Setup::Refused,
        code: "000100",
        mentions: "可以重试",
        wait: Wait::Nothing,
        delivered: false,
    },
    Row {
        id: "dns_nxdomain",
        fault: "host name that does not resolve",
        how: "`onetrans-fault-matrix.invalid` in a network namespace with only `lo`, whose resolver (the test's, on 127.0.0.1 there) answers NXDOMAIN",
        setup: Setup::DnsNxdomain,
        code: "000100",
        mentions: "域名解析",
        wait: Wait::Nothing,
        delivered: false,
    },
    Row {
        id: "dns_silent",
        fault: "DNS server that never answers",
        how: "as above, the resolver reads the queries and never answers",
        setup: Setup::DnsSilent,
        code: "000100",
        mentions: "域名解析",
        wait: Wait::Connect,
        delivered: false,
    },
    Row {
        id: "dns_silent_unload",
        fault: "the library is unloaded while its DNS lookup still hangs",
        how: "as above, through `libonetrans.so` loaded with `dlopen`: the call, then `dlclose` at once, then 15 s of the process (the system resolver gives up after about 10 s), then `dlopen` again for the next call",
        setup: Setup::DnsSilentUnload,
        code: "000100",
        mentions: "域名解析",
        wait: Wait::Connect,
        delivered: false,
    },
    Row {
        id: "connect_timeout",
        fault: "connect timeout",
        how: "a loopback listener with backlog 0 and its accept queue full: the kernel drops the SYN",
        setup: Setup::BacklogFull,
        code: "000100",
        mentions: "连接超时",
        wait: Wait::Connect,
        delivered: false,
    },
    Row {
        id: "slow",
        fault: "answer slower than the read timeout",
        how: "`/_fault/slow=4000`",
        setup: Setup::Portal("slow=4000"),
        code: "000001",
        mentions: "查询",
        wait: Wait::Read,
        delivered: true,
    },
    Row {
        id: "close",
        fault: "connection closed after the request",
        how: "`/_fault/close`: request read and processed, then FIN, no answer",
        setup: Setup::Portal("close"),
        code: "000001",
        mentions: "查询",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "reset",
        fault: "connection reset mid-body",
        how: "`/_fault/reset`: head and half the body, then RST",
        setup: Setup::Portal("reset"),
        code: "000001",
        mentions: "查询",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "truncate",
        fault: "truncated body",
        how: "`/_fault/truncate`: half the `Content-Length`, then FIN",
        setup: Setup::Portal("truncate"),
        code: "000001",
        mentions: "查询",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "status_500",
        fault: "HTTP 500",
        how: "`/_fault/status=500`",
        setup: Setup::Portal("status=500"),
        code: "000002",
        mentions: "500",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "status_502",
        fault: "HTTP 502",
        how: "`/_fault/status=502`",
        setup: Setup::Portal("status=502"),
        code: "000002",
        mentions: "502",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "status_503",
        fault: "HTTP 503",
        how: "`/_fault/status=503`",
        setup: Setup::Portal("status=503"),
        code: "000003",
        mentions: "503",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "not_json",
        fault: "body that is not JSON",
        how: "`/_fault/notjson`: a proxy's HTML error page with HTTP 200",
        setup: Setup::Portal("notjson"),
        code: "000002",
        mentions: "JSON",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "no_resp_code",
        fault: "JSON without `respCode`",
        how: "`/_fault/norespcode`",
        setup: Setup::Portal("norespcode"),
        code: "000002",
        mentions: "respCode",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "oversize",
        fault: "body over `maxResponseBytes`",
        how: "`/_fault/oversize=1000000` against a limit of 262144 bytes",
        setup: Setup::Portal("oversize=1000000"),
        code: "000002",
        mentions: "262144",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "portal_000100",
        fault: "the portal answers its own `000100` (外部接口存在问题: it received the request, its upstream failed)",
        how: "`/_fault/upstream`: HTTP 200, the unsigned `{\"respCode\":\"000100\",\"respMsg\":\"外部接口存在问题\"}`; the portal's code and message go into the output's `message`",
        setup: Setup::Portal("upstream"),
        code: "000001",
        mentions: "000100：外部接口存在问题",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "spaced_code",
        fault: "an unsigned rejection whose `respCode` is `\"000000 \"` (a trailing space; anyone on a plain-HTTP path can send it)",
        how: "`/_fault/spacedcode`: never trimmed, never `000000`",
        setup: Setup::Portal("spacedcode"),
        code: "000002",
        mentions: "respCode",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "bad_sign",
        fault: "wrong signature",
        how: "`/_fault/badsign`: a well-formed `signData` of something else",
        setup: Setup::Portal("badsign"),
        code: "000102",
        mentions: "签名",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "bad_nonce",
        fault: "wrong nonce",
        how: "`/_fault/badnonce`: correctly signed, echoing another `nonceStr`",
        setup: Setup::Portal("badnonce"),
        code: "000102",
        mentions: "nonceStr",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "bad_enc",
        fault: "bad `encData`",
        how: "`/_fault/badenc`: `encData` that is not hex",
        setup: Setup::Portal("badenc"),
        code: "000101",
        mentions: "encData",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "bad_pad",
        fault: "bad padding",
        how: "`/_fault/badpad`: one block that decrypts to bad PKCS#7 padding",
        setup: Setup::Portal("badpad"),
        code: "000101",
        mentions: "填充",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "other_app",
        fault: "answer for another appId",
        how: "`/_fault/otherapp`: encrypted and signed with that app's key",
        setup: Setup::Portal("otherapp"),
        code: "000102",
        mentions: "appId",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "close_idle",
        fault: "the portal closes an idle kept-alive connection between two calls",
        how: "a call through `/_fault/closeidle` (the portal closes the pooled connection after answering), 500 ms idle, then the call measured: it must open a new connection, not fail as `000001`",
        setup: Setup::CloseIdle,
        code: "000000",
        mentions: "",
        wait: Wait::Nothing,
        delivered: true,
    },
    Row {
        id: "per_call_read_timeout",
        fault: "answer slower than the call's own `readTimeoutMs` (spec 1.1 section 1), while a concurrent call without the key keeps the configured one",
        how: "`/_fault/slow=700` for a call with `\"readTimeoutMs\":200` and, at the same time on another thread, a call without it, which must get its answer (`000000`: the configured 1500 ms)",
        setup: Setup::PerCallSlow(700),
        code: "000001",
        mentions: "查询",
        wait: Wait::CallRead,
        delivered: true,
    },
];

// --- the table in docs/RELIABILITY.md ------------------------------------------------------

const BEGIN: &str = "<!-- fault-matrix:begin (generated by tests/fault_matrix.rs) -->";
const END: &str = "<!-- fault-matrix:end -->";

fn render_table() -> String {
    let mut t = String::new();
    t.push_str("| # | fault | how the test makes it | code | at most | reached the portal | process survives | test |\n");
    t.push_str("|---|---|---|---|---|---|---|---|\n");
    for (i, row) in ROWS.iter().enumerate() {
        let code = if row.setup == Setup::CloseIdle {
            format!("`{}` (the next call)", row.code)
        } else {
            format!("`{}`", row.code)
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | yes: the next call gives `000000` | `{}` |",
            i + 1,
            row.fault,
            row.how,
            code,
            row.wait.render(),
            if row.delivered { "yes" } else { "no" },
            row.id,
        );
    }
    t
}

#[test]
fn the_table_in_docs_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/RELIABILITY.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = format!("{BEGIN}\n{}{END}", render_table());
    let current = match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if b < e => doc[b..e + END.len()].to_owned(),
        _ => String::new(),
    };
    if current != fresh && std::env::var_os("ONETRANS_BLESS").is_some() {
        let updated = if current.is_empty() {
            format!("{doc}\n{fresh}\n")
        } else {
            doc.replacen(&current, &fresh, 1)
        };
        std::fs::write(&path, updated).expect("write docs/RELIABILITY.md");
        return;
    }
    assert!(
        current == fresh,
        "the fault table in docs/RELIABILITY.md is stale: regenerate it with \
         ONETRANS_BLESS=1 cargo test --test fault_matrix the_table"
    );
}

#[test]
fn every_row_has_its_test() {
    let mut ids: Vec<&str> = ROWS.iter().map(|r| r.id).collect();
    let mut tested = TESTED.to_vec();
    ids.sort_unstable();
    tested.sort_unstable();
    assert_eq!(ids, tested);
}

macro_rules! row_tests {
    ($($id:ident),* $(,)?) => {
        const TESTED: &[&str] = &[$(stringify!($id)),*];
        $(
            #[test]
            fn $id() {
                run_row(stringify!($id));
            }
        )*
    };
}

row_tests!(
    refused,
    dns_nxdomain,
    dns_silent,
    dns_silent_unload,
    connect_timeout,
    slow,
    close,
    reset,
    truncate,
    status_500,
    status_502,
    status_503,
    not_json,
    no_resp_code,
    portal_000100,
    spaced_code,
    oversize,
    bad_sign,
    bad_nonce,
    bad_enc,
    bad_pad,
    other_app,
    close_idle,
    per_call_read_timeout,
);

// --- running a row ----------------------------------------------------------------------------

/// Set in the child process that runs a row inside a network namespace: the row's id.
const CHILD_ENV: &str = "ONETRANS_FAULT_MATRIX_CHILD";
/// The line on which the child reports what it saw.
const CHILD_RESULT: &str = "FAULT-MATRIX-RESULT";

fn log_dir() -> PathBuf {
    std::env::temp_dir().join(format!("onetrans-fault-matrix-{}", std::process::id()))
}

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::remove_var("ONETRANS_CONFIG");
        std::env::set_var(
            "ONETRANS_CONNECT_TIMEOUT_MS",
            CONNECT_TIMEOUT_MS.to_string(),
        );
        std::env::set_var("ONETRANS_READ_TIMEOUT_MS", READ_TIMEOUT_MS.to_string());
        std::env::set_var(
            "ONETRANS_MAX_RESPONSE_BYTES",
            MAX_RESPONSE_BYTES.to_string(),
        );
        // A child process logs into its parent's folder (inherited).
        if std::env::var_os(CHILD_ENV).is_none() {
            let dir = log_dir();
            let _ = std::fs::remove_dir_all(&dir);
            std::env::set_var("ONETRANS_LOG_DIR", &dir);
        }
        std::env::set_var("ONETRANS_LOG_LEVEL", "debug");
    });
}

fn row(id: &str) -> &'static Row {
    ROWS.iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

/// What a row's call gave.
#[derive(Debug)]
struct Observed {
    code: String,
    output: String,
    elapsed: Duration,
    /// Whether the portal received the request (`None`: the request had no portal to reach).
    delivered: Option<bool>,
    /// The code of a normal call made right after.
    next_call: String,
}

fn run_row(id: &str) {
    setup();
    let row = row(id);
    if let Some(child_row) = std::env::var_os(CHILD_ENV) {
        // In the namespace: run the row and report to the parent.
        if child_row == id {
            assert_in_namespace();
            let seen = observe(row);
            println!(
                "{CHILD_RESULT}\t{}\t{}\t{}\t{}",
                seen.code,
                seen.elapsed.as_millis(),
                seen.next_call,
                seen.output
            );
        }
        return;
    }
    let seen = match row.setup {
        Setup::DnsNxdomain | Setup::DnsSilent | Setup::DnsSilentUnload => match in_namespace(row) {
            Some(seen) => seen,
            None => return,
        },
        _ => observe(row),
    };
    println!(
        "{id}: {} in {:?}, next call {}",
        seen.code, seen.elapsed, seen.next_call
    );
    check(row, &seen);
}

/// The assertions every row makes.
fn check(row: &Row, seen: &Observed) {
    let id = row.id;
    let out = &seen.output;
    assert_eq!(seen.code, row.code, "{id}: {out}");
    if row.code != "000000" {
        assert_eq!(
            member(out, "respCode"),
            Value::from(row.code),
            "{id}: {out}"
        );
        assert_eq!(member(out, "code"), Value::from(-1), "{id}: {out}");
        let message = member(out, "message");
        assert!(
            message.as_str().unwrap_or("").contains(row.mentions),
            "{id}: the message must mention {:?}: {out}",
            row.mentions
        );
    }
    assert!(
        seen.elapsed < row.wait.bound(),
        "{id} took {:?}, more than {:?}",
        seen.elapsed,
        row.wait.bound()
    );
    if let Some(delivered) = seen.delivered {
        assert_eq!(delivered, row.delivered, "{id}: did the portal get it?");
    }
    let data_key = DataKey::derive(APP_ID, &AppKey::new(APP_KEY));
    let data_key = std::str::from_utf8(data_key.expose()).unwrap().to_owned();
    assert!(!out.contains(APP_KEY), "{id}: the appKey in the output");
    assert!(!out.contains(&data_key), "{id}: the data key in the output");
    let log = read_logs();
    assert!(!log.is_empty(), "the calls are logged");
    assert!(!log.contains(APP_KEY), "{id}: the appKey in the log");
    assert!(!log.contains(&data_key), "{id}: the data key in the log");
    assert_eq!(seen.next_call, "000000", "{id}: the call after the fault");
    check_journal(row);
}

/// One intent and one outcome with the row's code for the row's order; listed as unresolved
/// exactly when the code is one of [`journal::UNKNOWN_CODES`].
fn check_journal(row: &Row) {
    let id = row.id;
    let dir = std::env::var_os("ONETRANS_LOG_DIR")
        .map_or_else(log_dir, PathBuf::from)
        .join("journal");
    let scan = journal::read_folder(&dir).expect("the journal folder");
    assert!(scan.problems.is_empty(), "{id}: {:?}", scan.problems);
    let order = format!("FAULT-{id}");
    let mine: Vec<journal::Record> = scan
        .records
        .into_iter()
        .filter(|r| r.keys.iter().any(|(k, v)| k == "medOrgOrd" && *v == order))
        .collect();
    let count = |event| mine.iter().filter(|r| r.event == event).count();
    assert_eq!(
        (
            count(journal::Event::Intent),
            count(journal::Event::Outcome)
        ),
        (1, 1),
        "{id}: {mine:?}"
    );
    let requests = journal::pair(mine);
    assert_eq!(requests.len(), 1, "{id}: paired by nonce");
    assert_eq!(requests[0].code(), Some(row.code), "{id}");
    assert_eq!(
        requests[0].unresolved(),
        journal::UNKNOWN_CODES.contains(&row.code),
        "{id}: listed as unknown?"
    );
}

fn read_logs() -> String {
    let dir = std::env::var_os("ONETRANS_LOG_DIR").map_or_else(log_dir, PathBuf::from);
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        all += &std::fs::read_to_string(entry.path()).unwrap_or_default();
    }
    all
}

/// Makes the fault happen in this process and records what the call gave.
fn observe(row: &Row) -> Observed {
    let portal = Portal::start(PortalConfig::default()).expect("the simulator starts");
    let order = format!("FAULT-{}", row.id);
    let delivered = || {
        Some(portal.received().iter().any(|r| {
            r.data
                .as_ref()
                .and_then(|d| d.get("medOrgOrd"))
                .and_then(|o| o.as_str())
                == Some(order.as_str())
        }))
    };
    let timed_with = |url: &str, extra: &str| {
        let input = push_msg(url, &order, extra);
        let started = Instant::now();
        let (code, output) = mobile_trans(&input);
        (code, output, started.elapsed())
    };
    let timed = |url: &str| timed_with(url, "");
    let (code, output, elapsed, delivered) = match row.setup {
        Setup::Refused => {
            let (c, o, e) = timed(&format!("http://127.0.0.1:{}{PUSH_MSG}", closed_port()));
            (c, o, e, None)
        }
        Setup::BacklogFull => {
            let (listener, _held) = full_backlog();
            let url = format!("http://{}{PUSH_MSG}", listener.local_addr().unwrap());
            let (c, o, e) = timed(&url);
            (c, o, e, None)
        }
        Setup::DnsNxdomain | Setup::DnsSilent => {
            let dns = UdpSocket::bind("127.0.0.1:53").expect("port 53 in the test's namespace");
            let nxdomain = row.setup == Setup::DnsNxdomain;
            std::thread::spawn(move || serve_dns(&dns, nxdomain));
            let url = format!(
                "http://onetrans-fault-matrix.invalid:{}{PUSH_MSG}",
                portal.addr().port()
            );
            let (c, o, e) = timed(&url);
            (c, o, e, None)
        }
        Setup::DnsSilentUnload => {
            let dns = UdpSocket::bind("127.0.0.1:53").expect("port 53 in the test's namespace");
            std::thread::spawn(move || serve_dns(&dns, false));
            let url = format!(
                "http://onetrans-fault-matrix.invalid:{}{PUSH_MSG}",
                portal.addr().port()
            );
            let (c, o, e) = unload_during_lookup(&url, &order, &portal.url(PUSH_MSG), row.id);
            (c, o, e, None)
        }
        Setup::Portal(fault) => {
            let (c, o, e) = timed(&portal.fault_url(fault, PUSH_MSG));
            (c, o, e, delivered())
        }
        Setup::PerCallSlow(ms) => {
            let url = portal.fault_url(&format!("slow={ms}"), PUSH_MSG);
            let plain = push_msg(&url, &format!("PLAIN-{}", row.id), "");
            let (c, o, e, plain) = std::thread::scope(|scope| {
                let plain = scope.spawn(|| mobile_trans(&plain));
                let own = format!("\"readTimeoutMs\":{PER_CALL_READ_TIMEOUT_MS}");
                let (c, o, e) = timed_with(&url, &own);
                (c, o, e, plain.join().expect("the concurrent call"))
            });
            assert_eq!(
                plain.0, "000000",
                "the concurrent call without the key keeps readTimeoutMs {READ_TIMEOUT_MS}: {}",
                plain.1
            );
            (c, o, e, delivered())
        }
        Setup::CloseIdle => {
            let first = push_msg(&portal.fault_url("closeidle", PUSH_MSG), "IDLE-FIRST", "");
            let (code, out) = mobile_trans(&first);
            assert_eq!(code, "000000", "close_idle, the first call: {out}");
            std::thread::sleep(Duration::from_millis(500));
            let (c, o, e) = timed(&portal.url(PUSH_MSG));
            assert_eq!(
                portal.connections_accepted(),
                2,
                "the second call needed a new connection: the first was closed"
            );
            (c, o, e, delivered())
        }
    };
    let (next_call, next_out) = mobile_trans(&push_msg(
        &portal.url(PUSH_MSG),
        &format!("AFTER-{}", row.id),
        "",
    ));
    assert_eq!(next_call, "000000", "{}: the next call: {next_out}", row.id);
    Observed {
        code,
        output,
        elapsed,
        delivered,
        next_call,
    }
}

type MobileTransFn =
    unsafe extern "C" fn(*const std::ffi::c_char, *mut std::ffi::c_char) -> *const std::ffi::c_char;

/// One call through a `dlopen`ed `libonetrans.so`, on a thread of its own that ends before this
/// returns (a calling thread that lives on keeps the library's thread-local destructors pending,
/// and glibc then never unmaps it): the code and the output.
fn call_loaded(library: &libloading::Library, input: &str) -> (String, String) {
    std::thread::scope(|scope| {
        scope
            .spawn(|| call_loaded_here(library, input))
            .join()
            .expect("the calling thread")
    })
}

fn call_loaded_here(library: &libloading::Library, input: &str) -> (String, String) {
    // SAFETY: the export has this signature (include/onetrans.h).
    let mobile_trans: MobileTransFn =
        *unsafe { library.get::<MobileTransFn>(b"MobileTrans") }.expect("MobileTrans is exported");
    let input = std::ffi::CString::new(input).unwrap();
    let mut out = vec![0u8; 65_536];
    // SAFETY: a NUL-terminated input and a buffer of outBufSize bytes.
    let code = unsafe { mobile_trans(input.as_ptr(), out.as_mut_ptr().cast()) };
    // SAFETY: the code is NUL-terminated and valid until the next call on this thread.
    let code = unsafe { std::ffi::CStr::from_ptr(code) }
        .to_string_lossy()
        .into_owned();
    let text = std::ffi::CStr::from_bytes_until_nul(&out).unwrap();
    (code, text.to_string_lossy().into_owned())
}

/// How many mappings of `path` this process has.
fn mappings_of(path: &Path) -> usize {
    let real = std::fs::canonicalize(path).unwrap();
    let real = real.to_string_lossy();
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| l.ends_with(real.as_ref()))
        .count()
}

/// The `dns_silent_unload` row: a call whose lookup hangs, through a `dlopen`ed library that is
/// closed as soon as the call returns. The lookup thread the call left waiting in the system
/// resolver comes back about 10 s later (glibc: 5 s times 2 attempts); if the library were gone
/// by then, it would return into unmapped code and kill this process. So this process lives
/// 15 s more, then loads the library again for a normal call (to `next_url`) and closes it.
/// Returns the faulted call's code, output and time; prints what stayed mapped.
fn unload_during_lookup(
    url: &str,
    order: &str,
    next_url: &str,
    id: &str,
) -> (String, String, Duration) {
    let path = built_library_dir().join("libonetrans.so");
    // SAFETY: loading our own library runs no initialisers beyond Rust's.
    let library = unsafe { libloading::Library::new(&path) }.expect("dlopen libonetrans.so");
    let started = Instant::now();
    let (code, output) = call_loaded(&library, &push_msg(url, order, ""));
    let elapsed = started.elapsed();
    library.close().expect("dlclose");
    let mapped_after_close = mappings_of(&path);
    std::thread::sleep(Duration::from_secs(15));
    let mapped_after_wait = mappings_of(&path);
    // SAFETY: as above.
    let library = unsafe { libloading::Library::new(&path) }.expect("dlopen again");
    let (next, next_out) = call_loaded(&library, &push_msg(next_url, &format!("RELOAD-{id}"), ""));
    assert_eq!(
        next, "000000",
        "{id}: the call after loading again: {next_out}"
    );
    library.close().expect("dlclose again");
    println!(
        "UNLOAD-DURING-LOOKUP mappings of libonetrans.so: after the first dlclose \
         {mapped_after_close}, 15 s later {mapped_after_wait}, after the second dlclose {}",
        mappings_of(&path)
    );
    (code, output, elapsed)
}

/// A resolver on 127.0.0.1:53 (inside the test's namespace): NXDOMAIN for every query, or no
/// answer at all.
fn serve_dns(socket: &UdpSocket, nxdomain: bool) {
    let mut buf = [0u8; 1500];
    while let Ok((n, from)) = socket.recv_from(&mut buf) {
        if !nxdomain || n < 12 {
            continue;
        }
        let mut answer = buf[..n].to_vec();
        // QR=1, opcode and RD as asked, RA=1, RCODE=3 (NXDOMAIN); no answer records.
        answer[2] = 0x80 | (buf[2] & 0x79);
        answer[3] = 0x80 | 0x03;
        answer[6..12].fill(0);
        let _ = socket.send_to(&answer, from);
    }
}

/// A resolver on 127.0.0.1:53 (inside the test's namespace) that answers every `A` query with
/// 127.0.0.1 (TTL 0) and every other query with no record, counting the `A` queries.
fn serve_dns_answering(socket: &UdpSocket, a_queries: &std::sync::atomic::AtomicUsize) {
    let mut buf = [0u8; 1500];
    while let Ok((n, from)) = socket.recv_from(&mut buf) {
        if n < 12 {
            continue;
        }
        // The question: the name's labels, then type and class.
        let mut end = 12;
        while end < n && buf[end] != 0 {
            end += 1 + buf[end] as usize;
        }
        if end + 5 > n {
            continue;
        }
        let qtype = u16::from_be_bytes([buf[end + 1], buf[end + 2]]);
        let mut answer = buf[..end + 5].to_vec();
        answer[2] = 0x80 | (buf[2] & 0x79);
        answer[3] = 0x80;
        answer[4..6].copy_from_slice(&[0, 1]);
        answer[8..12].fill(0);
        if qtype == 1 {
            a_queries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            answer[6..8].copy_from_slice(&[0, 1]);
            // The name (a pointer to the question's), A, IN, TTL 0, 4 bytes: 127.0.0.1.
            answer.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 1]);
        } else {
            answer[6..8].fill(0);
        }
        let _ = socket.send_to(&answer, from);
    }
}

/// The line on which the child of [`a_pooled_connection_needs_no_lookup`] reports.
const POOL_RESULT: &str = "POOL-LOOKUPS";

/// A call that reuses a pooled connection to a host name looks nothing up (no helper thread, no
/// DNS query): two calls to `http://onetrans-pool.test:PORT/...`, in a namespace whose resolver
/// answers and counts the queries, make one `A` query, not two.
#[test]
fn a_pooled_connection_needs_no_lookup() {
    const ID: &str = "a_pooled_connection_needs_no_lookup";
    setup();
    if std::env::var_os(CHILD_ENV).is_some_and(|c| c == ID) {
        assert_in_namespace();
        let dns = UdpSocket::bind("127.0.0.1:53").expect("port 53 in the test's namespace");
        let a_queries = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = a_queries.clone();
        std::thread::spawn(move || serve_dns_answering(&dns, &counter));
        let portal = Portal::start(PortalConfig::default()).expect("the simulator starts");
        let url = format!(
            "http://onetrans-pool.test:{}{PUSH_MSG}",
            portal.addr().port()
        );
        for i in 0..2 {
            let (code, out) = mobile_trans(&push_msg(&url, &format!("POOL-{i}"), ""));
            assert_eq!(code, "000000", "call {i}: {out}");
        }
        println!(
            "{POOL_RESULT}\t{}\t{}",
            a_queries.load(std::sync::atomic::Ordering::SeqCst),
            portal.connections_accepted()
        );
        return;
    }
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let Some(stdout) = run_in_namespace(ID) else {
        return;
    };
    let line = stdout
        .lines()
        .find_map(|l| l.find(POOL_RESULT).map(|i| &l[i + POOL_RESULT.len()..]))
        .unwrap_or_else(|| panic!("no result from the child: {stdout}"));
    let mut fields = line.split('\t').filter(|f| !f.is_empty());
    let queries: usize = fields.next().unwrap().parse().unwrap();
    let connections: usize = fields.next().unwrap().parse().unwrap();
    println!("two calls: {queries} A queries, {connections} connections");
    assert_eq!(
        connections, 1,
        "the second call reused the pooled connection"
    );
    assert_eq!(
        queries, 1,
        "the call on the pooled connection looked the name up again"
    );
}

// --- rows in a network namespace ----------------------------------------------------------------

/// Runs a row in this test binary again, inside a new network and mount namespace; `None` when
/// namespaces cannot be made here (skipped with a message; a failure under CI).
fn in_namespace(row: &Row) -> Option<Observed> {
    let stdout = run_in_namespace(row.id)?;
    for line in stdout
        .lines()
        .filter(|l| l.contains("UNLOAD-DURING-LOOKUP"))
    {
        println!("{line}");
    }
    let line = stdout
        .lines()
        .find_map(|l| l.find(CHILD_RESULT).map(|i| &l[i + CHILD_RESULT.len()..]))
        .unwrap_or_else(|| panic!("no result from the child: {stdout}"));
    let mut fields = line.trim_start_matches('\t').splitn(4, '\t');
    let mut next = || fields.next().unwrap_or_default().to_owned();
    let (code, millis, next_call, output) = (next(), next(), next(), next());
    Some(Observed {
        code,
        output,
        elapsed: Duration::from_millis(millis.parse().unwrap()),
        delivered: None,
        next_call,
    })
}

/// Runs the test `id` of this binary again, inside a new network and mount namespace, with
/// [`CHILD_ENV`] set to `id`, and returns its standard output; `None` when namespaces cannot be
/// made here (skipped with a message; a failure under CI).
fn run_in_namespace(id: &str) -> Option<String> {
    let root = unsafe { libc::geteuid() } == 0;
    let dir = std::env::temp_dir().join(format!("onetrans-netns-{}-{}", id, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let resolv = dir.join("resolv.conf");
    let hosts = dir.join("hosts");
    let nsswitch = dir.join("nsswitch.conf");
    std::fs::write(&resolv, "nameserver 127.0.0.1\n").unwrap();
    std::fs::write(&hosts, "127.0.0.1 localhost\n").unwrap();
    std::fs::write(&nsswitch, "hosts: files dns\n").unwrap();
    // Inside: bring up lo, hide the machine's resolver configuration, then run the row.
    let script = r#"set -e
ip link set lo up
mount --bind "$1" /etc/resolv.conf
mount --bind "$2" /etc/hosts
mount --bind "$3" /etc/nsswitch.conf
shift 3
exec "$@""#;
    let namespace = |command: &mut Command| {
        command
            .arg("--net")
            .arg("--mount")
            .arg("--propagation=private");
        if !root {
            command.arg("--map-root-user");
        }
    };
    let mut probe = Command::new("unshare");
    namespace(&mut probe);
    let probe_ok = probe
        .args(["sh", "-c", "ip link set lo up"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !probe_ok {
        eprintln!(
            "SKIPPED {id}: cannot make a network namespace here (needs root or unprivileged user \
             namespaces, unshare(1) and ip(8)); the DNS rows of the fault matrix did not run"
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the DNS rows of the fault matrix (as root)"
        );
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    }
    let mut command = Command::new("unshare");
    namespace(&mut command);
    let output = command
        .args(["sh", "-c", script, "sh"])
        .args([&resolv, &hosts, &nsswitch])
        .arg(std::env::current_exe().unwrap())
        .args([id, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, id)
        .output()
        .expect("unshare runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the child in the namespace failed (the host process must survive): {stdout}\n{stderr}"
    );
    Some(stdout)
}

/// In the child: the namespace is what the parent asked for.
fn assert_in_namespace() {
    let interfaces: Vec<String> = std::fs::read_to_string("/proc/self/net/dev")
        .unwrap()
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next().map(|n| n.trim().to_owned()))
        .collect();
    assert_eq!(
        interfaces,
        ["lo"],
        "only lo: no query can leave the machine"
    );
    assert_eq!(
        std::fs::read_to_string("/etc/resolv.conf").unwrap(),
        "nameserver 127.0.0.1\n",
        "the resolver is the test's own"
    );
}
