//! One `MobileTrans` call, end to end: parse, seal, send, open, render. The transport, clock and
//! nonce are parameters, so tests and fuzzers run the whole path without a network.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use crate::clock::{self, ChinaTime};
use crate::crypto::DataKey;
use crate::error::{Code, Error, ErrorKind, LibraryCode};
use crate::input::{self, CallInput};
use crate::journal::{self, CallFacts, Ended, Journal};
use crate::output;
use crate::protocol::{self, Answer, SealedRequest};
use crate::runtime;
use crate::signing::{self, Sm2Defaults};
use crate::transport::{HttpAnswer, Transport};
use crate::url;

/// The result of a call, before it is encoded for the caller.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The return code: `000000` or the failure's.
    pub code: Code,
    /// The output JSON (UTF-8).
    pub output: String,
    /// The caller's `orgId`, when it could be read (echoed in buffer notices).
    pub org_id: Option<String>,
    /// What a log line or `--wire` shows of the call.
    pub trace: Trace,
}

/// What happened on the wire, for logs and the command-line tool's `--wire`.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub path: String,
    pub nonce: String,
    pub sign_text_masked: String,
    pub request_body: String,
    pub http_status: Option<u16>,
    pub response_body: Option<Vec<u8>>,
    /// The business `code` of a verified answer.
    pub business_code: Option<String>,
    /// The business keys (`journalKeys`) of the request, for the log line.
    pub business_keys: Vec<(String, String)>,
}

/// Where a call records its intent and outcome (see [`crate::journal`]), and the business keys
/// it names in them and in its trace.
#[derive(Clone, Copy, Default)]
pub struct Journaling<'a> {
    pub journal: Option<&'a Journal>,
    pub keys: &'a [String],
}

/// A call whose intent was recorded: what its outcome record repeats, and when it was sent.
type Pending = (CallFacts, Instant);

/// Where the moving parts of a call come from.
pub struct Env<'a> {
    pub transport: &'a dyn Transport,
    pub now: &'a dyn Fn() -> ChinaTime,
    pub nonce: &'a dyn Fn() -> String,
}

impl Env<'_> {
    /// The real clock and the OS random source over the given transport.
    pub fn live(transport: &dyn Transport) -> Env<'_> {
        Env {
            transport,
            now: &clock::now,
            nonce: &protocol::new_nonce,
        }
    }
}

/// Runs a call from the caller's (already decoded) JSON text, with no configured SM2 keys (an
/// SM2 call then needs both keys in its input). Never panics: a panic inside is caught and
/// reported as `444444` with a failure output.
pub fn run(text: &str, env: &Env<'_>) -> Outcome {
    run_configured(text, env, &Sm2Defaults::default())
}

/// [`run`] with the configuration's SM2 keys for the calls whose input leaves them out.
pub fn run_configured(text: &str, env: &Env<'_>, sm2: &Sm2Defaults) -> Outcome {
    run_journaled(text, env, sm2, Journaling::default())
}

/// [`run_configured`], recording the call in `journaling`'s journal: the intent just before the
/// request is handed to the transport, the outcome when the call ends (also after a caught
/// panic).
pub fn run_journaled(
    text: &str,
    env: &Env<'_>,
    sm2: &Sm2Defaults,
    journaling: Journaling<'_>,
) -> Outcome {
    let mut pending = None;
    let outcome = run_noting(text, env, sm2, journaling, &mut pending);
    if let (Some(journal), Some((facts, sent))) = (journaling.journal, pending) {
        let ended = Ended {
            code: outcome.code.as_str(),
            business_code: outcome.trace.business_code.as_deref(),
            millis: sent.elapsed().as_millis(),
        };
        if let Err(error) = journal.outcome(&facts, &ended, (env.now)()) {
            runtime::journal_failed(journal, &error);
        }
    }
    outcome
}

fn run_noting(
    text: &str,
    env: &Env<'_>,
    sm2: &Sm2Defaults,
    journaling: Journaling<'_>,
    pending: &mut Option<Pending>,
) -> Outcome {
    let mut trace = Trace::default();
    let result = catch_unwind(AssertUnwindSafe(|| {
        run_inner(text, env, sm2, &mut trace, journaling, pending)
    }));
    let (org_id, result) = match result {
        Ok(r) => r,
        Err(_) => (
            input::org_id_hint(text),
            Err(Error::new(
                ErrorKind::Internal,
                "动态库内部错误，请保存日志并联系供应商；本次交易结果未知，请先查询 (internal error in the library; the outcome is unknown)",
            )),
        ),
    };
    match result {
        Ok(answer) => {
            trace.business_code = Some(answer.code.to_string());
            Outcome {
                code: LibraryCode::Success.into(),
                output: output::success(&answer),
                org_id,
                trace,
            }
        }
        Err(error) => Outcome {
            code: Code::from(&error.kind),
            output: output::failure(&error, org_id.as_deref()),
            org_id,
            trace,
        },
    }
}

type Partial = (Option<String>, Result<Answer, Error>);

fn run_inner(
    text: &str,
    env: &Env<'_>,
    sm2: &Sm2Defaults,
    trace: &mut Trace,
    journaling: Journaling<'_>,
    pending: &mut Option<Pending>,
) -> Partial {
    let (parsed, ignored_tail) = input::parse_noting_tail(text);
    if ignored_tail > 0 {
        runtime::note_ignored_tail(ignored_tail);
    }
    let input = match parsed {
        Ok(input) => input,
        Err(e) => return (input::org_id_hint(text), Err(e)),
    };
    let org_id = input.org_id.clone();
    (
        org_id,
        exchange(&input, env, sm2, trace, journaling, pending),
    )
}

fn exchange(
    input: &CallInput,
    env: &Env<'_>,
    sm2: &Sm2Defaults,
    trace: &mut Trace,
    journaling: Journaling<'_>,
    pending: &mut Option<Pending>,
) -> Result<Answer, Error> {
    // The keys are parsed once, before anything is sent; a bad one is 000105.
    let signing = signing::resolve(input.sign_type, &input.keys, sm2)?;
    let key = DataKey::derive(&input.app_id, &input.app_key);
    let timestamp = match &input.timestamp {
        Some(ts) => ts.clone(),
        None => (env.now)().to_string(),
    };
    let nonce = (env.nonce)();
    let SealedRequest {
        body,
        nonce,
        sign_text_masked,
    } = protocol::seal_request_with(input, &key, &timestamp, &nonce, &signing);
    trace.path = url::path_of(&input.server_addr);
    trace.nonce.clone_from(&nonce);
    trace.sign_text_masked = sign_text_masked;
    note_intent(input, env, trace, journaling, pending);
    let answer = env
        .transport
        .post_with(&input.server_addr, body.as_bytes(), &input.settings);
    trace.request_body = body;
    let HttpAnswer { status, body } = answer?;
    trace.http_status = Some(status);
    let checked = check_status(status, &body);
    trace.response_body = Some(body);
    checked?;
    let body = trace.response_body.as_deref().unwrap_or_default();
    protocol::open_response_with(body, &input.app_id, &key, &input.app_key, &nonce, &signing)
}

/// Names the request's business keys in the trace and, with a journal, records its intent: the
/// last step before the transport, after every local check (a refused input leaves no intent).
/// A journal that cannot be written is noted and the call goes on.
fn note_intent(
    input: &CallInput,
    env: &Env<'_>,
    trace: &mut Trace,
    journaling: Journaling<'_>,
    pending: &mut Option<Pending>,
) {
    let Some(journal) = journaling.journal else {
        trace.business_keys = journal::business_keys(&input.business, journaling.keys);
        return;
    };
    let facts = CallFacts::new(
        &trace.nonce,
        input.org_id.as_deref(),
        &trace.path,
        &input.business,
        journaling.keys,
    );
    trace.business_keys.clone_from(&facts.keys);
    if let Err(error) = journal.intent(&facts, (env.now)()) {
        runtime::journal_failed(journal, &error);
    }
    *pending = Some((facts, Instant::now()));
}

fn check_status(status: u16, body: &[u8]) -> Result<(), Error> {
    let preview = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
    match status {
        200 => Ok(()),
        503 => Err(Error::new(
            ErrorKind::Unavailable,
            format!("门户系统维护中或灰度发布中 (HTTP 503)，请稍后再试 (the portal is under maintenance: HTTP 503) {preview}"),
        )),
        other => Err(Error::new(
            ErrorKind::BadResponse,
            format!("门户返回 HTTP {other}，请核对 serverAddr 或联系门户运维 (the portal answered HTTP {other}) {preview}"),
        )),
    }
}

/// Runs a call the way `MobileTrans` does: the process-wide configuration and HTTP agent, the
/// real clock and the OS random source.
pub fn run_live(text: &str) -> Outcome {
    match runtime::transport() {
        Ok(transport) => {
            // The transport loaded, so the configuration did.
            let config = runtime::config().ok();
            let journaling = Journaling {
                journal: runtime::journal(),
                keys: config.map_or(&[], |c| c.journal_keys.as_slice()),
            };
            let default_sm2 = Sm2Defaults::default();
            let sm2 = config.map_or(&default_sm2, |c| &c.sm2);
            run_journaled(text, &Env::live(transport), sm2, journaling)
        }
        Err(error) => Outcome {
            code: Code::from(&error.kind),
            output: output::failure(&error, input::org_id_hint(text).as_deref()),
            org_id: input::org_id_hint(text),
            trace: Trace::default(),
        },
    }
}
