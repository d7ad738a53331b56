//! One `MobileTrans` call, end to end: parse, seal, send, open, render. The transport, clock and
//! nonce are parameters, so tests and fuzzers run the whole path without a network.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::clock::{self, ChinaTime};
use crate::crypto::DataKey;
use crate::error::{Code, Error, ErrorKind, LibraryCode};
use crate::input::{self, CallInput};
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
}

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
    let mut trace = Trace::default();
    let result = catch_unwind(AssertUnwindSafe(|| run_inner(text, env, sm2, &mut trace)));
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

fn run_inner(text: &str, env: &Env<'_>, sm2: &Sm2Defaults, trace: &mut Trace) -> Partial {
    let (parsed, ignored_tail) = input::parse_noting_tail(text);
    if ignored_tail > 0 {
        runtime::note_ignored_tail(ignored_tail);
    }
    let input = match parsed {
        Ok(input) => input,
        Err(e) => return (input::org_id_hint(text), Err(e)),
    };
    let org_id = input.org_id.clone();
    (org_id, exchange(&input, env, sm2, trace))
}

fn exchange(
    input: &CallInput,
    env: &Env<'_>,
    sm2: &Sm2Defaults,
    trace: &mut Trace,
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
    let answer = env.transport.post(&input.server_addr, body.as_bytes());
    trace.request_body = body;
    let HttpAnswer { status, body } = answer?;
    trace.http_status = Some(status);
    let checked = check_status(status, &body);
    trace.response_body = Some(body);
    checked?;
    let body = trace.response_body.as_deref().unwrap_or_default();
    protocol::open_response_with(body, &input.app_id, &key, &input.app_key, &nonce, &signing)
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
            let sm2 = runtime::config().map(|c| &c.sm2).ok();
            run_configured(
                text,
                &Env::live(transport),
                sm2.unwrap_or(&Sm2Defaults::default()),
            )
        }
        Err(error) => Outcome {
            code: Code::from(&error.kind),
            output: output::failure(&error, input::org_id_hint(text).as_deref()),
            org_id: input::org_id_hint(text),
            trace: Trace::default(),
        },
    }
}
