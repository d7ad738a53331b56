//! The C ABI: the exports, the pointer helpers, the panic boundary and the unload hooks
//! (`DllMain` on Windows, an ELF destructor on Unix). Nothing else in the crate touches a
//! caller's pointer or is called by the loader.
//!
//! Rules every export follows:
//! * its body runs inside [`boundary`], so a panic becomes the code `444444`, with its failure
//!   output written like any other, and never unwinds into the caller;
//! * every pointer argument goes through [`checked`] before use; NULL gives `000105`;
//! * it never writes more than the capacity it was given (or `outBufSize` for the interfaces
//!   without one); the units to write are computed by safe code first ([`crate::entry`]);
//! * it assumes no alignment: `outLen` and the UTF-16 buffers are read and written unaligned
//!   (a C caller may pass `(uint16_t*)(buf + 1)`);
//! * the returned code pointer is `'static` ([`crate::error::ReturnCode`]): nobody frees it, and
//!   it stays valid, whatever thread asked, for as long as the library is loaded.
//!
//! The exports use the platform's system calling convention: `__stdcall` on 32-bit Windows (the
//! vendor's DLL), C elsewhere. `extern "system"` gives exactly that.

// The parameters keep the vendor's names (`pInData`, `pOutData`) so that the header reads like its
// documentation.
#![allow(non_snake_case)]

use std::borrow::Cow;
use std::cell::Cell;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::Once;

use crate::entry::{self, WideInput, Written};
use crate::error::LibraryCode;
use crate::input::MAX_INPUT_BYTES;
use crate::runtime;

thread_local! {
    /// Whether this thread is inside an export (for the panic hook).
    static IN_EXPORT: Cell<bool> = const { Cell::new(false) };
}

/// Runs an export's `body`. A panic in it runs `on_panic` (which writes the `444444` output);
/// a panic in that returns `fallback`. While they run the panic hook stays silent: a host
/// program's stderr is no place for our panics (their messages go to the log instead).
fn boundary<R>(fallback: R, body: impl FnOnce() -> R, on_panic: impl FnOnce() -> R) -> R {
    install_panic_hook();
    let outer = IN_EXPORT.replace(true);
    let result = catch_unwind(AssertUnwindSafe(body))
        .or_else(|_| catch_unwind(AssertUnwindSafe(on_panic)))
        .unwrap_or(fallback);
    IN_EXPORT.set(outer);
    result
}

/// Wraps the panic hook once: inside exports it only queues the message for the log
/// ([`entry::note_panic`]: never blocks, never takes the logger's or the configuration's lock,
/// which the panicking thread may hold); elsewhere the previous hook runs unchanged (for a Rust
/// program that links the crate).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_EXPORT.try_with(Cell::get).unwrap_or(true) {
                entry::note_panic(format!("内部错误 (internal error, caught): {info}"));
            } else {
                previous(info);
            }
        }));
    });
}

/// The one pointer check: `None` for NULL.
fn checked<T>(ptr: *const T) -> Option<NonNull<T>> {
    NonNull::new(ptr.cast_mut())
}

/// The bytes of a NUL-terminated C string, without the NUL.
///
/// # Safety
/// `ptr` must point to a NUL-terminated string that stays valid and unchanged for `'a`.
unsafe fn c_string<'a>(ptr: NonNull<c_char>) -> &'a [u8] {
    CStr::from_ptr(ptr.as_ptr()).to_bytes()
}

/// The units of a NUL-terminated UTF-16 string, without the 0, at any alignment: borrowed when
/// aligned, copied when not. Reads at most `limit + 1` units: a longer string is
/// [`WideInput::TooLarge`], refused before anything is decoded or copied.
///
/// # Safety
/// `ptr` must point to a NUL-terminated UTF-16 string that stays valid and unchanged for `'a`.
unsafe fn wide_string<'a>(ptr: NonNull<u16>, limit: usize) -> Option<Cow<'a, [u16]>> {
    let p = ptr.as_ptr();
    let len = (0..=limit).find(|&i| p.add(i).read_unaligned() == 0)?;
    Some(if p.is_aligned() {
        Cow::Borrowed(std::slice::from_raw_parts(p, len))
    } else {
        Cow::Owned((0..len).map(|i| p.add(i).read_unaligned()).collect())
    })
}

/// Copies `units` to `dst`, byte by byte as far as alignment goes.
///
/// # Safety
/// `dst` must be valid for writes of `units.len()` elements; the callers pass units already
/// fitted to the caller's capacity.
unsafe fn write_units<T: Copy>(dst: NonNull<T>, units: &[T]) {
    std::ptr::copy_nonoverlapping(
        units.as_ptr().cast::<u8>(),
        dst.as_ptr().cast::<u8>(),
        std::mem::size_of_val(units),
    );
}

/// Writes `*outLen` (at any alignment), when given.
///
/// # Safety
/// `out_len`, when given, must be valid for writing a `u32`.
unsafe fn report_len(out_len: Option<NonNull<u32>>, needed: usize) {
    if let Some(len) = out_len {
        len.as_ptr()
            .write_unaligned(u32::try_from(needed).unwrap_or(u32::MAX));
    }
}

fn internal_ptr() -> *const c_char {
    LibraryCode::Internal.code().narrow().as_ptr()
}

fn wide_internal_ptr() -> *const u16 {
    LibraryCode::Internal.code().wide().as_ptr()
}

/// Writes a narrow result and reports its length; returns the code pointer.
///
/// # Safety
/// `out` must be valid for `written.fitted.units.len()` bytes; `out_len`, when given, for one
/// `u32`.
unsafe fn finish(
    written: &Written<u8>,
    out: NonNull<c_char>,
    out_len: Option<NonNull<u32>>,
) -> *const c_char {
    write_units(out.cast::<u8>(), &written.fitted.units);
    report_len(out_len, written.fitted.needed);
    written.code.narrow().as_ptr()
}

/// Writes a wide result and reports its length; returns the code pointer.
///
/// # Safety
/// As for [`finish`], in UTF-16 units.
unsafe fn finish_wide(
    written: &Written<u16>,
    out: NonNull<u16>,
    out_len: Option<NonNull<u32>>,
) -> *const u16 {
    write_units(out, &written.fitted.units);
    report_len(out_len, written.fitted.needed);
    written.code.wide().as_ptr()
}

/// The body of [`MobileTrans`] and [`MobileTransEx`]; `capacity` is `None` for `MobileTrans`
/// (`outBufSize`).
///
/// # Safety
/// `pInData` must be NULL or a NUL-terminated string; `pOutData` NULL or writable for the
/// capacity; `outLen` NULL or writable.
unsafe fn mobile_trans_narrow(
    pInData: *const c_char,
    pOutData: *mut c_char,
    capacity: Option<u32>,
    outLen: *mut u32,
) -> *const c_char {
    let out_len = checked(outLen);
    let out = checked(pOutData);
    let out_cap = || capacity.map_or_else(entry::configured_out_buf_size, |c| c as usize);
    boundary(
        internal_ptr(),
        || {
            let Some(out) = out else {
                return entry::null_output_buffer(false).narrow().as_ptr();
            };
            let input = checked(pInData).map(|p| c_string(p));
            finish(&entry::narrow(input, out_cap()), out, out_len)
        },
        || match out {
            Some(out) => finish(&entry::internal_error_narrow(out_cap(), true), out, out_len),
            None => internal_ptr(),
        },
    )
}

/// The body of [`MobileTransW`].
///
/// # Safety
/// `pInData` must be NULL or a NUL-terminated UTF-16 string; `pOutData` NULL or writable for
/// `outBufSize` bytes.
unsafe fn mobile_trans_w(pInData: *const u16, pOutData: *mut u16) -> *const u16 {
    let out = checked(pOutData);
    let out_cap = || entry::configured_out_buf_size() / 2;
    boundary(
        wide_internal_ptr(),
        || {
            let Some(out) = out else {
                return entry::null_output_buffer(true).wide().as_ptr();
            };
            let units = checked(pInData).map(|p| wide_string(p, MAX_INPUT_BYTES));
            let input = match &units {
                None => WideInput::Null,
                Some(None) => WideInput::TooLarge,
                Some(Some(units)) => WideInput::Units(units),
            };
            finish_wide(&entry::wide(input, out_cap()), out, None)
        },
        || match out {
            Some(out) => finish_wide(&entry::internal_error_wide(out_cap(), true), out, None),
            None => wide_internal_ptr(),
        },
    )
}

/// The body of [`OneTransLastOutput`]. A panic here writes the `444444` failure but keeps the
/// stored output (it is what the caller is trying to recover).
///
/// # Safety
/// `pOutData` NULL or writable for `outCap` bytes; `outLen` NULL or writable.
unsafe fn last_output(pOutData: *mut c_char, outCap: u32, outLen: *mut u32) -> *const c_char {
    let out_len = checked(outLen);
    let Some(out) = checked(pOutData) else {
        return LibraryCode::BadInput.code().narrow().as_ptr();
    };
    let capacity = outCap as usize;
    boundary(
        internal_ptr(),
        || finish(&entry::last_output(capacity), out, out_len),
        || finish(&entry::internal_error_narrow(capacity, false), out, out_len),
    )
}

/// The body of [`OneTransLastOutputW`].
///
/// # Safety
/// `pOutData` NULL or writable for `outCap` UTF-16 units; `outLen` NULL or writable.
unsafe fn last_output_w(pOutData: *mut u16, outCap: u32, outLen: *mut u32) -> *const u16 {
    let out_len = checked(outLen);
    let Some(out) = checked(pOutData) else {
        return LibraryCode::BadInput.code().wide().as_ptr();
    };
    let capacity = outCap as usize;
    boundary(
        wide_internal_ptr(),
        || finish_wide(&entry::last_output_wide(capacity), out, out_len),
        || finish_wide(&entry::internal_error_wide(capacity, false), out, out_len),
    )
}

/// The body of [`OneTransVersion`].
fn version() -> *const c_char {
    static VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    VERSION.as_ptr()
}

// --- unload hooks -----------------------------------------------------------------------------

/// Called once when the library is unloaded (and, on Unix, at process exit): closes the pooled
/// connections ([`runtime::shut_down`]). Never unwinds into the loader.
fn on_unload() {
    let _ = catch_unwind(runtime::shut_down);
}

/// An ELF destructor: runs when the library is unmapped (`dlclose` of the last handle) and at
/// process exit.
#[cfg(unix)]
#[used]
#[link_section = ".fini_array"]
static ON_UNLOAD: extern "C" fn() = {
    extern "C" fn on_unload_hook() {
        on_unload();
    }
    on_unload_hook
};

/// The DLL entry point the C runtime calls. On `FreeLibrary` (`DLL_PROCESS_DETACH` with a NULL
/// `reserved`) it closes the pooled connections; at process termination (`reserved` not NULL)
/// it does nothing, as Windows advises.
///
/// It never waits for a thread: it runs under the loader lock, which an exiting thread needs
/// (`DLL_THREAD_DETACH`), so a wait here can deadlock. A DNS lookup thread a call stopped
/// waiting for holds a [`crate::platform::ModulePin`] instead: while it runs, `FreeLibrary` does
/// not bring the count to zero and this is not called.
#[cfg(windows)]
#[no_mangle]
extern "system" fn DllMain(
    _module: windows_sys::Win32::Foundation::HMODULE,
    reason: u32,
    reserved: *mut core::ffi::c_void,
) -> windows_sys::core::BOOL {
    const DLL_PROCESS_DETACH: u32 = 0;
    if reason == DLL_PROCESS_DETACH && reserved.is_null() {
        on_unload();
    }
    1
}

// --- the exports --------------------------------------------------------------------------
//
// cbindgen only reads `extern "C"` functions, and `extern "system"` is `extern "C"` everywhere
// but 32-bit Windows. So each export is written twice, one line each: `extern "C"` (read by
// cbindgen, carrying the documentation) and, on 32-bit Windows only, `extern "system"`
// (`__stdcall`). The header's ONETRANS_CALL macro says the same to C callers.

/// Makes one portal call (the vendor's `MobileTrans`).
///
/// * `pInData`: NUL-terminated JSON, `{"data":{"serverAddr":..,"appId":..,"appKey":..,
///   ...business fields},"orgId":".."}`, in UTF-8 or the ANSI code page (GBK/GB18030); see
///   `charset` in `OneTrans.ini`.
/// * `pOutData`: the caller's buffer for the output JSON. At most `outBufSize` bytes are written
///   (default 65536, NUL included), in the encoding the input came in. When `OneTrans.ini` has
///   an error, at most its `outBufSize` if that line could be read, else 256 bytes (the smallest
///   accepted `outBufSize`): a configuration error never widens the buffer.
///
/// Returns a NUL-terminated code: `"000000"` when the portal answered and the answer verified
/// (then check `code` in the output: `0` is business success); `"000105"` bad input or a NULL
/// pointer (nothing is written when `pOutData` is NULL, and no request is sent); `"000100"` not
/// delivered, safe to retry; `"000001"` outcome unknown, query before retrying; `"000002"`,
/// `"000003"`, `"000101"`, `"000102"` bad or unverifiable answers; `"000106"` the portal
/// answered, the answer verified, but the output needs more than `outBufSize` bytes: fetch it
/// with `OneTransLastOutput` on the same thread (never call `MobileTrans` again for it: that
/// sends the request again); `"444444"` internal error; any other code is the portal's own
/// rejection, passed through.
///
/// A failure never becomes `"000106"`: when its output does not fit, it keeps its own code and
/// its JSON is written with the `message` shortened (at a character boundary, ending in `…`),
/// or as an empty string if even that does not fit. The full output is always kept for
/// `OneTransLastOutput`.
///
/// Ownership: the returned pointer is owned by the library and never freed: static for the
/// library's own codes, and interned for the process for a portal's code (at most 1024
/// distinct portal codes per process; a new one beyond that is returned as `"000002"`). It
/// stays valid after the calling thread ends, until the library is unloaded.
/// Thread-safety: may be called from many threads at once; calls share one pool of
/// kept-alive connections. The output kept for `OneTransLastOutput` is per thread.
///
/// # Safety
/// `pInData` must be NULL or a NUL-terminated string; `pOutData` must be NULL or writable for
/// `outBufSize` bytes.
#[cfg(not(all(windows, target_arch = "x86")))]
#[no_mangle]
pub unsafe extern "C" fn MobileTrans(
    pInData: *const c_char,
    pOutData: *mut c_char,
) -> *const c_char {
    mobile_trans_narrow(pInData, pOutData, None, std::ptr::null_mut())
}

/// `__stdcall` twin of the export of the same name (32-bit Windows).
#[cfg(all(windows, target_arch = "x86"))]
#[no_mangle]
pub unsafe extern "system" fn MobileTrans(
    pInData: *const c_char,
    pOutData: *mut c_char,
) -> *const c_char {
    mobile_trans_narrow(pInData, pOutData, None, std::ptr::null_mut())
}

/// The same call as [`MobileTrans`], with the buffer's capacity given by the caller.
///
/// * `outCap`: bytes writable at `pOutData`, NUL included; never exceeded.
/// * `outLen`: optional (may be NULL; any alignment); receives the bytes the full output
///   needs, NUL included, also when it did not fit.
///
/// Returns the codes of [`MobileTrans`]. When a verified success does not fit, `"000106"` is
/// returned and `pOutData` holds a short notice (shortened to fit, or an empty string): the call
/// was made and its output kept; fetch it with `OneTransLastOutput` into a buffer of `*outLen`
/// bytes, on the same thread, rather than calling again. When a failure does not fit, its own
/// code is returned with its message shortened (see [`MobileTrans`]).
///
/// Ownership and thread-safety as for [`MobileTrans`].
///
/// # Safety
/// `pInData` must be NULL or a NUL-terminated string; `pOutData` NULL or writable for `outCap`
/// bytes; `outLen` NULL or writable.
#[cfg(not(all(windows, target_arch = "x86")))]
#[no_mangle]
pub unsafe extern "C" fn MobileTransEx(
    pInData: *const c_char,
    pOutData: *mut c_char,
    outCap: u32,
    outLen: *mut u32,
) -> *const c_char {
    mobile_trans_narrow(pInData, pOutData, Some(outCap), outLen)
}

/// `__stdcall` twin of the export of the same name (32-bit Windows).
#[cfg(all(windows, target_arch = "x86"))]
#[no_mangle]
pub unsafe extern "system" fn MobileTransEx(
    pInData: *const c_char,
    pOutData: *mut c_char,
    outCap: u32,
    outLen: *mut u32,
) -> *const c_char {
    mobile_trans_narrow(pInData, pOutData, Some(outCap), outLen)
}

/// The same call as [`MobileTrans`] in UTF-16 (PowerBuilder's `string`, C#'s `string` with
/// `CharSet.Unicode`).
///
/// * `pInData`: NUL-terminated UTF-16 JSON (any alignment); more than 16 Mi units is refused
///   (`"000105"`) before it is decoded.
/// * `pOutData`: receives NUL-terminated UTF-16 JSON (any alignment). Capacity rule: at most
///   `outBufSize` bytes, that is `outBufSize / 2` UTF-16 units including the terminating 0
///   (32768 units by default).
///
/// Returns the same codes as [`MobileTrans`], as a NUL-terminated UTF-16 string owned by the
/// library with the same lifetime (static or interned: valid after the calling thread ends;
/// never freed by the caller: declare it as a pointer, not as a marshalled string, in C#).
/// After `"000106"`, fetch the output with `OneTransLastOutputW` on the same thread.
///
/// # Safety
/// `pInData` must be NULL or a NUL-terminated UTF-16 string; `pOutData` NULL or writable for
/// `outBufSize` bytes.
#[cfg(not(all(windows, target_arch = "x86")))]
#[no_mangle]
pub unsafe extern "C" fn MobileTransW(pInData: *const u16, pOutData: *mut u16) -> *const u16 {
    mobile_trans_w(pInData, pOutData)
}

/// `__stdcall` twin of the export of the same name (32-bit Windows).
#[cfg(all(windows, target_arch = "x86"))]
#[no_mangle]
pub unsafe extern "system" fn MobileTransW(pInData: *const u16, pOutData: *mut u16) -> *const u16 {
    mobile_trans_w(pInData, pOutData)
}

/// Copies the full output of this thread's last `MobileTrans`/`MobileTransEx`/`MobileTransW`
/// call (in the narrow encoding that call answered in; UTF-8 after a `MobileTransW` call) into
/// `pOutData`, for a caller whose buffer was too small. Makes no request.
///
/// The stored output is per thread: call it on the thread that made the call (a thread-pool
/// host: in the same task, right after the call, before yielding the thread).
///
/// * `outCap`: bytes writable at `pOutData`, NUL included; never exceeded.
/// * `outLen`: optional (any alignment); receives the bytes the stored output needs, NUL
///   included.
///
/// Returns the stored call's own code (the one it would have returned with a big enough
/// buffer: `"000000"` after a `"000106"`, or the failure's code) when the output fits;
/// `"000106"` when it does not (then `pOutData` holds an empty string if `outCap > 0`, and the
/// output stays stored); `"000105"` when this thread has made no call (with a failure JSON
/// saying so, shortened to fit) or for a NULL `pOutData`. Ownership as for [`MobileTrans`].
///
/// # Safety
/// `pOutData` NULL or writable for `outCap` bytes; `outLen` NULL or writable.
#[cfg(not(all(windows, target_arch = "x86")))]
#[no_mangle]
pub unsafe extern "C" fn OneTransLastOutput(
    pOutData: *mut c_char,
    outCap: u32,
    outLen: *mut u32,
) -> *const c_char {
    last_output(pOutData, outCap, outLen)
}

/// `__stdcall` twin of the export of the same name (32-bit Windows).
#[cfg(all(windows, target_arch = "x86"))]
#[no_mangle]
pub unsafe extern "system" fn OneTransLastOutput(
    pOutData: *mut c_char,
    outCap: u32,
    outLen: *mut u32,
) -> *const c_char {
    last_output(pOutData, outCap, outLen)
}

/// [`OneTransLastOutput`] in UTF-16, for `MobileTransW` callers (it hands out the output of a
/// narrow call too): `outCap` and `*outLen` count UTF-16 units, the terminating 0 included.
/// Same codes, per-thread rule and ownership, as NUL-terminated UTF-16 strings.
///
/// # Safety
/// `pOutData` NULL or writable for `outCap` UTF-16 units; `outLen` NULL or writable.
#[cfg(not(all(windows, target_arch = "x86")))]
#[no_mangle]
pub unsafe extern "C" fn OneTransLastOutputW(
    pOutData: *mut u16,
    outCap: u32,
    outLen: *mut u32,
) -> *const u16 {
    last_output_w(pOutData, outCap, outLen)
}

/// `__stdcall` twin of the export of the same name (32-bit Windows).
#[cfg(all(windows, target_arch = "x86"))]
#[no_mangle]
pub unsafe extern "system" fn OneTransLastOutputW(
    pOutData: *mut u16,
    outCap: u32,
    outLen: *mut u32,
) -> *const u16 {
    last_output_w(pOutData, outCap, outLen)
}

/// The library's version (from `Cargo.toml`), e.g. `"0.2.0"`. Static: never freed, always
/// valid. Thread-safe.
#[cfg(not(all(windows, target_arch = "x86")))]
#[no_mangle]
pub extern "C" fn OneTransVersion() -> *const c_char {
    version()
}

/// `__stdcall` twin of the export of the same name (32-bit Windows).
#[cfg(all(windows, target_arch = "x86"))]
#[no_mangle]
pub extern "system" fn OneTransVersion() -> *const c_char {
    version()
}
