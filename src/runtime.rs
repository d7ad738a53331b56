//! The process-wide state, in one place: the configuration (loaded once, at the first call), the
//! shared HTTP transport, the logger and the call journal built from it, the once-per-process notices, and their
//! shutdown when the library is unloaded.
//!
//! Everything below this module is handed what it needs (a [`Config`], transport [`Settings`](
//! crate::transport::Settings), a [`Logger`]) and keeps no process-wide state of its own built
//! from the configuration; everything above asks here. The unload hooks of [`crate::ffi`] call
//! [`shut_down`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::clock;
use crate::config::{self, Config, Loaded};
use crate::error::Error;
use crate::journal::Journal;
use crate::log::{CallRecord, Logger};
use crate::transport::HttpTransport;

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(config::load_with_out_buf_size)
}

/// The process's configuration, loaded at the first call.
pub fn config() -> Result<&'static Config, Error> {
    loaded().config.as_ref().map_err(Clone::clone)
}

/// The bytes `MobileTrans` may write into `pOutData`, NUL included: `outBufSize`, or when the
/// configuration did not load, [`config::out_buf_size_after_error`].
pub fn out_buf_size() -> usize {
    loaded().out_buf_size
}

static TRANSPORT: OnceLock<Result<HttpTransport, Error>> = OnceLock::new();

/// The process-wide transport, created on first use from the configuration and shared by all
/// threads (connections are kept alive between calls).
pub fn transport() -> Result<&'static HttpTransport, Error> {
    TRANSPORT
        .get_or_init(|| HttpTransport::new(config()?.transport.clone()))
        .as_ref()
        .map_err(Clone::clone)
}

/// The process's logger, created from the configuration; `None` when logging is off or the
/// configuration did not load.
pub(crate) fn logger() -> Option<&'static Logger> {
    static LOGGER: OnceLock<Option<Logger>> = OnceLock::new();
    LOGGER
        .get_or_init(|| config().ok().and_then(Logger::from_config))
        .as_ref()
}

/// The process's call journal, created from the configuration; `None` when it has no folder
/// (see [`Config::journal_folder`]) or the configuration did not load.
pub fn journal() -> Option<&'static Journal> {
    static JOURNAL: OnceLock<Option<Journal>> = OnceLock::new();
    JOURNAL
        .get_or_init(|| config().ok().and_then(Journal::from_config))
        .as_ref()
}

/// Notes that the journal could not be written. The call goes on (a journal never fails a
/// call); the first failure of the process is logged, the others are not (an unwritable folder
/// fails every call's records alike).
pub(crate) fn journal_failed(journal: &Journal, error: &std::io::Error) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        warn(&format!(
            "调用日志（journal）无法写入 {}：{error}。交易照常进行，但程序在调用中途被终止时将无法找到结果未知的请求；请检查 journalDir 的权限和磁盘空间（onetrans check 会检查它）。本进程只提示这一次 (the call journal cannot be written: calls go on, but a request cut off mid-call can no longer be found; check journalDir's permissions and free space. Logged once per process)",
            journal.dir().display()
        ));
    }
}

/// Logs a call to the process's logger, if any.
pub(crate) fn log_call(record: &CallRecord<'_>) {
    if let Some(logger) = logger() {
        logger.call(record, clock::now());
    }
}

/// Logs a warning to the process's logger, if any.
pub(crate) fn warn(message: &str) {
    if let Some(logger) = logger() {
        logger.warn(message, clock::now());
    }
}

/// Logs, the first time in the process, that `len` bytes after the first JSON object of an
/// input were ignored (see [`crate::input`]). Once: a program built on the vendor's sample
/// leaves a tail on most calls.
pub fn note_ignored_tail(len: usize) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        warn(&format!(
            "入参第一个 JSON 对象之后还有 {len} 字节，已忽略（不签名、不发送）；这通常是复用的入参缓冲区中上一次请求的残留，请在入参末尾写入 '\\0'。本进程只提示这一次 (ignored {len} bytes after the first JSON object of the input: never signed nor sent; usually the rest of an earlier request in a reused buffer: end the input with a NUL. Logged once per process)"
        ));
    }
}

/// Closes every connection of the process-wide transport, idle or in use, and refuses new ones.
///
/// Run when the library is unloaded (the unload hooks of [`crate::ffi`]): statics are never
/// dropped, so without this a host that loads and frees the library around each transaction
/// would keep the pooled sockets of every load open until it exits. Never builds anything: a
/// transport that was never created is left alone.
pub(crate) fn shut_down() {
    if let Some(Ok(transport)) = TRANSPORT.get() {
        transport.shut_down();
    }
}
