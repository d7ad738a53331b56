//! The safe bodies of the exports: decode the caller's text, run the call, log it, encode the
//! output and fit it into the caller's buffer. [`crate::ffi`] only converts pointers to slices
//! and back.

use std::cell::{Cell, RefCell};
use std::time::Instant;

use crate::call::{self, Outcome};
use crate::charset::{self, Charset, CharsetSetting};
use crate::config;
use crate::error::Error;
use crate::input;
use crate::log::{self, CallRecord};
use crate::output::{self, Fitted};
use crate::platform;

/// The buffer size used when the configuration itself could not be read.
const FALLBACK_OUT_BUF_SIZE: usize = 65_536;

/// What an export writes and returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written<T> {
    /// The return code.
    pub code: String,
    /// The units to copy into the caller's buffer, NUL included, never more than its capacity.
    pub fitted: Fitted<T>,
}

thread_local! {
    /// Set by [`panic_at_next_call_for_test`].
    static PANIC_FOR_TEST: Cell<bool> = const { Cell::new(false) };
    /// The last full output on this thread, in the caller's encoding, NUL included: what
    /// `OneTransLastOutput` hands out after a `000106`.
    static LAST_OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Test hook: the next [`narrow`] or [`wide`] call on this thread panics in the library's own
/// code, outside `call::run` (which catches its own panics). The tests of the export boundary use
/// it to reach the panic handling of `crate::ffi`, which no input can reach. Costs one
/// thread-local read per call.
#[doc(hidden)]
pub fn panic_at_next_call_for_test() {
    PANIC_FOR_TEST.set(true);
}

fn panic_if_armed_for_test() {
    if PANIC_FOR_TEST.replace(false) {
        panic!("test hook: a panic at the export boundary");
    }
}

/// `outBufSize` from the configuration (the capacity `MobileTrans` assumes).
pub fn configured_out_buf_size() -> usize {
    config::get().map_or(FALLBACK_OUT_BUF_SIZE, |c| c.out_buf_size)
}

fn charset_setting() -> CharsetSetting {
    config::get().map_or(CharsetSetting::Auto, |c| c.charset)
}

/// A call through the narrow (`char*`) interface. `input` is `None` for a NULL `pInData`.
pub fn narrow(input: Option<&[u8]>, capacity: usize) -> Written<u8> {
    panic_if_armed_for_test();
    let started = Instant::now();
    let platform_charset = platform::default_charset();
    let (outcome, out_charset, text) = match input {
        None => (null_input(), platform_charset, None),
        Some(bytes) => match input::check_size(bytes.len())
            .and_then(|()| charset::decode_input(bytes, charset_setting(), platform_charset))
        {
            Ok((text, cs)) => (call::run_live(&text), cs, Some(text)),
            Err(error) => (refused(error), platform_charset, None),
        },
    };
    let encode = |text: &str| charset::encode_output(text, out_charset);
    let fitted = output::fit(&outcome.output, capacity, outcome.org_id.as_deref(), encode);
    remember_last(&outcome.output, out_charset);
    let code = output::code_after_fit(&outcome.code, &fitted).to_owned();
    log_call(
        &outcome,
        &code,
        started,
        out_charset,
        text.as_deref().unwrap_or(""),
    );
    Written { code, fitted }
}

/// A call through the wide (UTF-16) interface. `input` is `None` for a NULL `pInData`.
pub fn wide(input: Option<&[u16]>, capacity: usize) -> Written<u16> {
    panic_if_armed_for_test();
    let started = Instant::now();
    let (outcome, text) = match input {
        None => (null_input(), None),
        Some(units) => match charset::decode_utf16(units) {
            Ok(text) => (call::run_live(&text), Some(text)),
            Err(error) => (refused(error), None),
        },
    };
    let fitted = output::fit(
        &outcome.output,
        capacity,
        outcome.org_id.as_deref(),
        charset::encode_utf16,
    );
    remember_last(&outcome.output, Charset::Utf8);
    let code = output::code_after_fit(&outcome.code, &fitted).to_owned();
    log_call(
        &outcome,
        &code,
        started,
        "UTF-16",
        text.as_deref().unwrap_or(""),
    );
    Written { code, fitted }
}

/// The failure for a NULL `pInData`.
pub fn null_input() -> Outcome {
    refused(Error::bad_input(
        "pInData 为空指针，请传入入参 JSON 字符串 (pInData is NULL)",
    ))
}

/// An outcome for a failure found before the call could start.
pub fn refused(error: Error) -> Outcome {
    Outcome {
        code: error.code().to_owned(),
        output: output::failure(&error, None),
        org_id: None,
        trace: call::Trace::default(),
    }
}

/// Logs a finished call with the code the caller got.
fn log_call(
    outcome: &Outcome,
    code: &str,
    started: Instant,
    charset: impl std::fmt::Display,
    input: &str,
) {
    if config::get().is_ok_and(|c| c.insecure_skip_verify) {
        log::warn("insecureSkipVerify=true：证书校验已关闭，仅限测试环境使用 (certificate verification is OFF)");
    }
    let failed = code != crate::error::codes::SUCCESS;
    log::call(&CallRecord {
        nonce: &outcome.trace.nonce,
        org_id: outcome.org_id.as_deref().unwrap_or(""),
        path: &outcome.trace.path,
        millis: started.elapsed().as_millis(),
        code,
        business_code: outcome.trace.business_code.as_deref(),
        charset: &charset.to_string(),
        input,
        output: &outcome.output,
        warning: failed.then_some(outcome.output.as_str()),
    });
}

fn remember_last(output: &str, charset: Charset) {
    LAST_OUTPUT.with_borrow_mut(|last| {
        *last = charset::encode_output(output, charset);
        last.push(0);
    });
}

/// The last full output of this thread's last narrow or wide call (encoded as the narrow
/// interface would, UTF-8 for wide calls), fitted into `capacity` bytes.
pub fn last_output(capacity: usize) -> Fitted<u8> {
    LAST_OUTPUT.with_borrow(|last| {
        let needed = last.len();
        if needed <= capacity {
            Fitted {
                units: last.clone(),
                needed,
                truncated: false,
            }
        } else {
            Fitted {
                units: if capacity > 0 { vec![0] } else { Vec::new() },
                needed,
                truncated: true,
            }
        }
    })
}
