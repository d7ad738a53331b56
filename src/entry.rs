//! The safe bodies of the exports: decode the caller's text, run the call, log it, encode the
//! output and fit it into the caller's buffer. [`crate::ffi`] only converts pointers to slices
//! and back.

use std::cell::{Cell, RefCell};
use std::sync::{Mutex, PoisonError, TryLockError};
use std::time::Instant;

use crate::call::{self, Outcome};
use crate::charset::{self, Charset, CharsetSetting, Request};
use crate::error::{codes, Code, Error, ErrorKind, LibraryCode, ReturnCode, MAX_PORTAL_CODES};
use crate::input;
use crate::log::CallRecord;
use crate::output::{self, Fitted, Units};
use crate::platform;
use crate::runtime;

/// What an export writes and returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written<T> {
    /// The return code.
    pub code: ReturnCode,
    /// The units to copy into the caller's buffer, NUL included, never more than its capacity.
    pub fitted: Fitted<T>,
}

/// The last call's result on one thread: what `OneTransLastOutput` (and its wide twin) hand
/// out, for a caller whose buffer was too small.
struct Last {
    /// The call's own code (`000000` for a success that got `000106`).
    code: ReturnCode,
    /// The full output JSON.
    output: String,
    /// The narrow encoding the call answered in (UTF-8 after a wide call).
    charset: Charset,
}

thread_local! {
    /// Set by [`panic_at_next_call_for_test`].
    static PANIC_FOR_TEST: Cell<bool> = const { Cell::new(false) };
    /// This thread's last call. Per thread: a host's other threads keep their own.
    static LAST: RefCell<Option<Last>> = const { RefCell::new(None) };
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

/// The capacity `MobileTrans` assumes: `outBufSize`, or, when the configuration did not load,
/// never more than the file could have meant ([`runtime::out_buf_size`]).
pub(crate) fn configured_out_buf_size() -> usize {
    runtime::out_buf_size()
}

fn charset_setting() -> CharsetSetting {
    runtime::config().map_or(CharsetSetting::Auto, |c| c.charset)
}

/// A call through the narrow (`char*`) interface. `input` is `None` for a NULL `pInData`.
pub(crate) fn narrow(input: Option<&[u8]>, capacity: usize) -> Written<u8> {
    panic_if_armed_for_test();
    let started = Instant::now();
    let platform_charset = platform::default_charset();
    let (outcome, out_charset, text) = match input {
        None => (null_input(), platform_charset, None),
        Some(bytes) => match input::check_size(bytes.len())
            .map_err(|error| (error, platform_charset))
            .and_then(|()| decode_narrow(bytes, charset_setting(), platform_charset))
        {
            Ok(request) => {
                if request.ignored_tail > 0 {
                    runtime::note_ignored_tail(request.ignored_tail);
                }
                let text = request.text;
                (call::run_live(&text), request.charset, Some(text))
            }
            Err((error, charset)) => (refused(error), charset, None),
        },
    };
    let call_log = CallLog {
        started,
        charset: out_charset.to_string(),
        input: text.as_deref().unwrap_or(""),
    };
    deliver(
        outcome,
        capacity,
        out_charset,
        Units::Bytes,
        |t| charset::encode_output(t, out_charset),
        Some(call_log),
    )
}

/// Decodes a narrow caller's bytes and decides the encoding of the answer.
///
/// By the `configured` rule first (`charset` of `OneTrans.ini`); when the request's own
/// `data.charset` (spec 1.1 section 1) asks for another rule, the bytes are decoded again by
/// that one, and the answer follows it. So a UTF-8 program whose JSON is pure ASCII (Python's
/// `json.dumps`, .NET's `System.Text.Json` escape all non-ASCII) says `"charset":"utf-8"` and
/// gets its answer in UTF-8 even where the platform's default is the ANSI code page 936. When
/// the configured rule cannot decode the bytes, `data.charset` is looked for in a lenient
/// reading ([`charset::decode_leniently`]), so that it can still say how to read them.
///
/// A failure comes with the encoding to answer it in: the one the request asked for, when it
/// asked for one; else `platform` (the rule before issue 15).
pub(crate) fn decode_narrow(
    bytes: &[u8],
    configured: CharsetSetting,
    platform: Charset,
) -> Result<Request<'_>, (Error, Charset)> {
    let first = charset::decode_request(bytes, configured, platform);
    let asked = match &first {
        Ok(request) => input::charset_asked(&request.text),
        Err(_) => input::charset_asked(&charset::decode_leniently(bytes)),
    };
    let decoded = match asked {
        Some(setting) if setting != configured => charset::decode_request(bytes, setting, platform),
        _ => first,
    };
    decoded.map_err(|error| {
        let answer = asked.map_or(platform, |s| charset::answer_charset(s, platform));
        (error, answer)
    })
}

/// The wide export's input: checked for size before anything is decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WideInput<'a> {
    /// `pInData` was NULL.
    Null,
    /// More than [`input::MAX_INPUT_BYTES`] units before the terminating 0 (not read further).
    TooLarge,
    /// The units before the terminating 0.
    Units(&'a [u16]),
}

/// A call through the wide (UTF-16) interface.
pub(crate) fn wide(input: WideInput<'_>, capacity: usize) -> Written<u16> {
    panic_if_armed_for_test();
    let started = Instant::now();
    let (outcome, text) = match input {
        WideInput::Null => (null_input(), None),
        WideInput::TooLarge => (refused(wide_too_large()), None),
        WideInput::Units(units) => match charset::decode_utf16(units) {
            Ok(text) => (call::run_live(&text), Some(text)),
            Err(error) => (refused(error), None),
        },
    };
    let call_log = CallLog {
        started,
        charset: "UTF-16".to_owned(),
        input: text.as_deref().unwrap_or(""),
    };
    deliver(
        outcome,
        capacity,
        Charset::Utf8,
        Units::Utf16,
        charset::encode_utf16,
        Some(call_log),
    )
}

/// Every UTF-16 unit decodes to at least one byte of UTF-8, so more units than the byte limit
/// are refused without decoding them.
fn wide_too_large() -> Error {
    let limit = input::MAX_INPUT_BYTES;
    Error::bad_input(format!(
        "入参过大：超过 {limit} 个 UTF-16 单位，上限 {limit} 字节，未读取 (input too large: more than {limit} UTF-16 units; the limit is {limit} bytes)"
    ))
}

/// The code an outcome is returned with. A portal code that cannot be passed through (not the
/// spec's shape, or new after the process interned [`MAX_PORTAL_CODES`] distinct ones) makes
/// the answer malformed, `000002`, with the portal's code and message in the output.
fn pass_through(outcome: Outcome) -> (ReturnCode, Outcome) {
    if let Some(code) = ReturnCode::of(&outcome.code) {
        return (code, outcome);
    }
    let portal_message = output::failure_parts(&outcome.output)
        .map(|(message, _, _)| message)
        .unwrap_or_default();
    let error = Error::new(
        ErrorKind::BadResponse,
        format!(
            "门户返回码 \"{}\" 无法原样返回（不是 1 到 32 个可打印 ASCII 字符，或本进程已返回过 {MAX_PORTAL_CODES} 种门户返回码），按异常应答处理，请联系门户核实：{portal_message} (the portal's code cannot be passed through: not 1 to 32 printable ASCII characters, or {MAX_PORTAL_CODES} distinct portal codes were already returned in this process)",
            outcome.code
        ),
    );
    let output = output::failure(&error, outcome.org_id.as_deref());
    let outcome = Outcome {
        code: LibraryCode::BadResponse.into(),
        output,
        ..outcome
    };
    (LibraryCode::BadResponse.code(), outcome)
}

/// What the log line of a call needs besides its outcome.
struct CallLog<'a> {
    started: Instant,
    charset: String,
    input: &'a str,
}

/// Fits an outcome into the caller's `capacity`, logs the call (unless `call_log` is `None`)
/// and keeps the outcome as this thread's last output, with its own code and `narrow_charset`
/// (the encoding `OneTransLastOutput` hands it out in).
fn deliver<T: Copy + Default>(
    outcome: Outcome,
    capacity: usize,
    narrow_charset: Charset,
    units: Units,
    encode: impl Fn(&str) -> Vec<T>,
    call_log: Option<CallLog<'_>>,
) -> Written<T> {
    let (code, outcome) = pass_through(outcome);
    let fitted = output::fit(
        code.as_str(),
        &outcome.output,
        capacity,
        outcome.org_id.as_deref(),
        units,
        encode,
    );
    let returned = if output::code_after_fit(code.as_str(), &fitted) == code.as_str() {
        code
    } else {
        LibraryCode::BufferTooSmall.code()
    };
    if let Some(call_log) = call_log {
        log_call(&outcome, returned.as_str(), &call_log);
    }
    keep(Last {
        code,
        output: outcome.output,
        charset: narrow_charset,
    });
    Written {
        code: returned,
        fitted,
    }
}

fn keep(last: Last) {
    // A panic while the slot was borrowed cannot leave it borrowed (the borrow ends as the
    // stack unwinds); `try_` all the same, so the boundary's panic path never panics here.
    let _ = LAST.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(last);
        }
    });
}

/// The failure for a NULL `pInData`.
pub(crate) fn null_input() -> Outcome {
    refused(Error::bad_input(
        "pInData 为空指针，请传入入参 JSON 字符串 (pInData is NULL)",
    ))
}

/// An outcome for a failure found before the call could start.
pub fn refused(error: Error) -> Outcome {
    Outcome {
        code: Code::from(&error.kind),
        output: output::failure(&error, None),
        org_id: None,
        trace: call::Trace::default(),
    }
}

/// Logs a finished call with the code the caller got (and, first, any panic messages the
/// panic hook queued).
fn log_call(outcome: &Outcome, code: &str, call_log: &CallLog<'_>) {
    flush_panic_notes();
    if runtime::config().is_ok_and(|c| c.transport.insecure_skip_verify) {
        runtime::warn("insecureSkipVerify=true：证书校验已关闭，仅限测试环境使用 (certificate verification is OFF)");
    }
    let failed = code != codes::SUCCESS;
    runtime::log_call(&CallRecord {
        nonce: &outcome.trace.nonce,
        org_id: outcome.org_id.as_deref().unwrap_or(""),
        path: &outcome.trace.path,
        keys: &outcome.trace.business_keys,
        millis: call_log.started.elapsed().as_millis(),
        code,
        business_code: outcome.trace.business_code.as_deref(),
        charset: &call_log.charset,
        input: call_log.input,
        output: &outcome.output,
        warning: failed.then_some(outcome.output.as_str()),
    });
}

// --- panics ------------------------------------------------------------------------------------

/// Panic messages waiting for the log (see [`note_panic`]).
static PANIC_NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// At most this many wait; later ones are dropped.
const MAX_PANIC_NOTES: usize = 16;

/// Queues a panic's message for the log. Called from the panic hook, so it never blocks and
/// never touches the logger or the configuration (whose locks the panicking thread may hold):
/// when the queue is busy or full, the message is dropped. The next logged call writes it.
pub(crate) fn note_panic(message: String) {
    let notes = match PANIC_NOTES.try_lock() {
        Ok(notes) => notes,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return,
    };
    let mut notes = notes;
    if notes.len() < MAX_PANIC_NOTES {
        notes.push(message);
    }
}

fn flush_panic_notes() {
    let notes = std::mem::take(&mut *PANIC_NOTES.lock().unwrap_or_else(PoisonError::into_inner));
    for note in notes {
        runtime::warn(&note);
    }
}

const INTERNAL_MESSAGE: &str = "动态库内部错误，请保存日志并联系供应商；本次交易结果未知，请先查询 (internal error in the library; the outcome is unknown)";

/// What a narrow export writes after a panic caught at the boundary: the `444444` failure
/// fitted to `capacity`, kept as this thread's last output when `keep_as_last` (not for
/// `OneTransLastOutput`, which must not lose the output it hands out). Not logged here: the
/// panic's message is queued by the hook and written by the next call.
pub(crate) fn internal_error_narrow(capacity: usize, keep_as_last: bool) -> Written<u8> {
    let charset = platform::default_charset();
    internal_error(capacity, keep_as_last, charset, Units::Bytes, |t| {
        charset::encode_output(t, charset)
    })
}

/// [`internal_error_narrow`] for the wide exports (`capacity` in UTF-16 units).
pub(crate) fn internal_error_wide(capacity: usize, keep_as_last: bool) -> Written<u16> {
    internal_error(
        capacity,
        keep_as_last,
        Charset::Utf8,
        Units::Utf16,
        charset::encode_utf16,
    )
}

fn internal_error<T: Copy + Default>(
    capacity: usize,
    keep_as_last: bool,
    narrow_charset: Charset,
    units: Units,
    encode: impl Fn(&str) -> Vec<T>,
) -> Written<T> {
    let outcome = refused(Error::new(ErrorKind::Internal, INTERNAL_MESSAGE));
    if keep_as_last {
        return deliver(outcome, capacity, narrow_charset, units, encode, None);
    }
    let code = LibraryCode::Internal.code();
    Written {
        code,
        fitted: output::fit(
            code.as_str(),
            &outcome.output,
            capacity,
            None,
            units,
            encode,
        ),
    }
}

// --- NULL pOutData, OneTransLastOutput ----------------------------------------------------------

/// A call with a NULL `pOutData`: `000105`, nothing written, nothing sent; kept as this
/// thread's last output (so that `OneTransLastOutput` never hands out an older call's output
/// as if it were this one's).
pub(crate) fn null_output_buffer(wide: bool) -> ReturnCode {
    let error = Error::bad_input(
        "pOutData 为空指针，请传入出参缓冲区；本次未发送请求 (pOutData is NULL; nothing was sent)",
    );
    let code = LibraryCode::BadInput.code();
    keep(Last {
        code,
        output: output::failure(&error, None),
        charset: if wide {
            Charset::Utf8
        } else {
            platform::default_charset()
        },
    });
    code
}

/// `OneTransLastOutput`: this thread's last output (in the narrow encoding that call answered
/// in, UTF-8 after a wide call) into `capacity` bytes.
pub(crate) fn last_output(capacity: usize) -> Written<u8> {
    let charset = platform::default_charset();
    last_output_as(
        capacity,
        Units::Bytes,
        |last: &Last| charset::encode_output(&last.output, last.charset),
        |t| charset::encode_output(t, charset),
    )
}

/// `OneTransLastOutputW`: this thread's last output as UTF-16 into `capacity` units.
pub(crate) fn last_output_wide(capacity: usize) -> Written<u16> {
    last_output_as(
        capacity,
        Units::Utf16,
        |last: &Last| charset::encode_utf16(&last.output),
        charset::encode_utf16,
    )
}

/// The stored output with the stored call's own code when it fits; `000106` and an empty
/// string (nothing for a capacity of zero) when it does not, the stored output kept; `000105`
/// with a failure saying so when this thread has no stored output.
fn last_output_as<T: Copy + Default>(
    capacity: usize,
    units: Units,
    encode_last: impl Fn(&Last) -> Vec<T>,
    encode: impl Fn(&str) -> Vec<T>,
) -> Written<T> {
    let stored = LAST.with_borrow(|last| {
        last.as_ref().map(|last| {
            let mut full = encode_last(last);
            full.push(T::default());
            (last.code, full)
        })
    });
    match stored {
        Some((code, full)) if full.len() <= capacity => Written {
            code,
            fitted: Fitted {
                needed: full.len(),
                units: full,
                truncated: false,
            },
        },
        Some((_, full)) => Written {
            code: LibraryCode::BufferTooSmall.code(),
            fitted: Fitted {
                needed: full.len(),
                units: if capacity > 0 {
                    vec![T::default()]
                } else {
                    Vec::new()
                },
                truncated: true,
            },
        },
        None => {
            let function = match units {
                Units::Bytes => "OneTransLastOutput",
                Units::Utf16 => "OneTransLastOutputW",
            };
            let error = Error::bad_input(format!(
                "本线程没有已保存的出参：出参按线程保存，请在收到 000106 的同一线程上调用 {function} (no stored output on this thread: the stored output is per thread; call {function} on the same thread that got 000106)"
            ));
            let code = LibraryCode::BadInput.code();
            let failure = output::failure(&error, None);
            Written {
                code,
                fitted: output::fit(code.as_str(), &failure, capacity, None, units, encode),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GBK_NAME: &[u8] = &[0xD6, 0xDC, 0xB4, 0xF3, 0xC5, 0xF4]; // 周大鹏

    fn request(charset: &str, name: &[u8]) -> Vec<u8> {
        let member = if charset.is_empty() {
            String::new()
        } else {
            format!(r#","charset":"{charset}""#)
        };
        let head = format!(r#"{{"data":{{"appId":"x"{member},"patientName":""#);
        [head.as_bytes(), name, br#""}}"#].concat()
    }

    fn decide(
        bytes: &[u8],
        configured: CharsetSetting,
        platform: Charset,
    ) -> Result<(String, Charset), (String, Charset)> {
        decode_narrow(bytes, configured, platform)
            .map(|r| (r.text.into_owned(), r.charset))
            .map_err(|(e, c)| (e.message, c))
    }

    /// The case of issue 15: pure ASCII JSON on Chinese Windows (ANSI code page 936) answers in
    /// GBK unless the call says `"charset":"utf-8"`.
    #[test]
    fn an_ascii_request_asking_for_utf8_is_answered_in_utf8_on_code_page_936() {
        let gbk = Charset::Gb18030;
        let plain = request("", br"\u5468");
        assert_eq!(decide(&plain, CharsetSetting::Auto, gbk).unwrap().1, gbk);
        let asking = request("utf-8", br"\u5468");
        let (text, answer) = decide(&asking, CharsetSetting::Auto, gbk).unwrap();
        assert_eq!(answer, Charset::Utf8);
        assert_eq!(text.as_bytes(), asking.as_slice());
        // Over a configured charset=gbk too, and in any spelling the INI accepts.
        for spelling in ["utf-8", "UTF8", " Utf-8 "] {
            let asking = request(spelling, b"Zhou");
            for configured in [CharsetSetting::Gbk, CharsetSetting::Auto] {
                assert_eq!(
                    decide(&asking, configured, gbk).unwrap().1,
                    Charset::Utf8,
                    "{spelling} over {configured:?}"
                );
            }
        }
    }

    #[test]
    fn the_request_charset_decides_how_its_bytes_are_read() {
        let utf8 = Charset::Utf8;
        // GBK bytes under a configured utf-8: unreadable by that rule, read by the request's.
        let gbk_asking = request("gbk", GBK_NAME);
        let (text, answer) = decide(&gbk_asking, CharsetSetting::Utf8, utf8).unwrap();
        assert!(text.contains("周大鹏"), "{text}");
        assert_eq!(answer, Charset::Gb18030);
        // Without the member, refused as before (answered in the platform's encoding).
        let gbk_plain = request("", GBK_NAME);
        let (_, answer) = decide(&gbk_plain, CharsetSetting::Utf8, utf8).unwrap_err();
        assert_eq!(answer, utf8);
        // UTF-8 that auto would read as GBK ("José" alone, issue 10 item 5): utf-8 keeps it.
        let jose = request("utf-8", "José".as_bytes());
        let (text, answer) = decide(&jose, CharsetSetting::Auto, utf8).unwrap();
        assert!(text.contains("José"), "{text}");
        assert_eq!(answer, utf8);
        // An ASCII request asking for gbk is answered in GBK on a UTF-8 platform.
        let ascii_gbk = request("gbk", b"Zhou");
        assert_eq!(
            decide(&ascii_gbk, CharsetSetting::Auto, utf8).unwrap().1,
            Charset::Gb18030
        );
        // "auto" asked for over a configured gbk: UTF-8 Chinese is read as UTF-8.
        let auto = request("auto", "周大鹏".as_bytes());
        let (text, answer) = decide(&auto, CharsetSetting::Gbk, utf8).unwrap();
        assert!(text.contains("周大鹏"), "{text}");
        assert_eq!(answer, utf8);
    }

    #[test]
    fn a_request_that_lies_about_its_charset_is_refused_in_the_charset_it_asked_for() {
        // GBK bytes that say utf-8: not valid UTF-8, refused, answered in UTF-8 (what the
        // caller said it reads) even on code page 936.
        let lying = request("utf-8", GBK_NAME);
        let (message, answer) = decide(&lying, CharsetSetting::Auto, Charset::Gb18030).unwrap_err();
        assert!(message.contains("UTF-8"), "{message}");
        assert_eq!(answer, Charset::Utf8);
    }

    #[test]
    fn a_bad_or_absent_charset_member_changes_nothing_here() {
        // A bad value is left for the parse, which refuses it naming the key.
        for bytes in [
            request("latin1", b"Zhou"),
            request("", b"Zhou"),
            br#"{"data":{"charset":5}}"#.to_vec(),
            br#"{"charset":"utf-8","data":{}}"#.to_vec(),
            b"not json charset".to_vec(),
        ] {
            let (_, answer) = decide(&bytes, CharsetSetting::Auto, Charset::Gb18030).unwrap();
            assert_eq!(
                answer,
                Charset::Gb18030,
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        // The key written with an escape counts as the key.
        let escaped = br#"{"data":{"ch\u0061rset":"utf-8"}}"#;
        let (_, answer) = decide(escaped, CharsetSetting::Auto, Charset::Gb18030).unwrap();
        assert_eq!(answer, Charset::Utf8);
    }
}
