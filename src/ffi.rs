//! The C ABI: the exports, the pointer helpers and the panic boundary. Nothing else in the crate
//! touches a caller's pointer.
//!
//! Rules every export follows:
//! * its body runs inside [`ffi_boundary!`], so a panic becomes the code `444444` and never
//!   unwinds into the caller;
//! * every pointer argument goes through [`checked`] before use; NULL gives `000105`;
//! * it never writes more than the capacity it was given (or `outBufSize` for the interfaces
//!   without one); the units to write are computed by safe code first ([`crate::entry`]);
//! * the returned code pointer is `'static` or thread-local: nobody frees it, and it stays valid
//!   at least until the next call of the same export family on the same thread.
//!
//! The exports use the platform's system calling convention: `__stdcall` on 32-bit Windows (the
//! vendor's DLL), C elsewhere. `extern "system"` gives exactly that.

// The parameters keep the vendor's names (`pInData`, `pOutData`) so that the header reads like its
// documentation.
#![allow(non_snake_case)]

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CStr, CString};
use std::ptr::NonNull;
use std::sync::Once;

use crate::entry::{self, Written};
use crate::error::codes;

/// Runs an export's body, turning a panic into `$on_panic` (the `444444` code pointer). While
/// the body runs, the panic hook stays silent: a host program's stderr is no place for our
/// panics (they are logged instead).
macro_rules! ffi_boundary {
    ($on_panic:expr, $body:block) => {{
        install_panic_hook();
        IN_EXPORT.set(true);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body));
        IN_EXPORT.set(false);
        match result {
            Ok(value) => value,
            Err(_) => $on_panic,
        }
    }};
}

thread_local! {
    /// Whether this thread is inside an export (for the panic hook).
    static IN_EXPORT: Cell<bool> = const { Cell::new(false) };
    /// The code string of the last narrow call on this thread, when it is not a known code.
    static NARROW_CODE: RefCell<CString> = RefCell::new(CString::default());
    /// The code string of the last wide call on this thread, NUL-terminated UTF-16.
    static WIDE_CODE: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

/// `444444` as NUL-terminated UTF-16, for a panic in the wide export.
static WIDE_INTERNAL: [u16; 7] = [52, 52, 52, 52, 52, 52, 0];

/// Wraps the panic hook once: silent inside exports (the message goes to the log), unchanged
/// elsewhere (for a Rust program that links the crate).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_EXPORT.try_with(Cell::get).unwrap_or(true) {
                crate::log::warn(&format!("内部错误 (internal error, caught): {info}"));
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

/// The units of a NUL-terminated UTF-16 string, without the NUL.
///
/// # Safety
/// `ptr` must point to a NUL-terminated UTF-16 string that stays valid and unchanged for `'a`.
unsafe fn wide_string<'a>(ptr: NonNull<u16>) -> &'a [u16] {
    let mut len = 0;
    while *ptr.as_ptr().add(len) != 0 {
        len += 1;
    }
    std::slice::from_raw_parts(ptr.as_ptr(), len)
}

/// Copies `units` to `dst`.
///
/// # Safety
/// `dst` must be valid for writes of `units.len()` elements; the callers pass units already
/// fitted to the caller's capacity.
unsafe fn write_units<T: Copy>(dst: NonNull<T>, units: &[T]) {
    std::ptr::copy_nonoverlapping(units.as_ptr(), dst.as_ptr(), units.len());
}

/// The returned code pointer for a narrow export: static for the spec's codes, thread-local for
/// a portal code passed through.
fn code_ptr(code: &str) -> *const c_char {
    let known: Option<&'static CStr> = match code {
        codes::SUCCESS => Some(c"000000"),
        codes::OUTCOME_UNKNOWN => Some(c"000001"),
        codes::BAD_RESPONSE => Some(c"000002"),
        codes::UNAVAILABLE => Some(c"000003"),
        codes::NOT_DELIVERED => Some(c"000100"),
        codes::DECRYPT => Some(c"000101"),
        codes::SIGNATURE => Some(c"000102"),
        codes::BAD_INPUT => Some(c"000105"),
        codes::BUFFER_TOO_SMALL => Some(c"000106"),
        codes::INTERNAL => Some(c"444444"),
        _ => None,
    };
    match known {
        Some(s) => s.as_ptr(),
        None => NARROW_CODE.with_borrow_mut(|slot| {
            // Portal codes are cleaned to printable ASCII, so there is no interior NUL.
            *slot = CString::new(code).unwrap_or_else(|_| c"000002".to_owned());
            slot.as_ptr()
        }),
    }
}

/// The returned code pointer for the wide export (thread-local UTF-16).
fn wide_code_ptr(code: &str) -> *const u16 {
    WIDE_CODE.with_borrow_mut(|slot| {
        slot.clear();
        slot.extend(code.encode_utf16());
        slot.push(0);
        slot.as_ptr()
    })
}

fn internal_ptr() -> *const c_char {
    c"444444".as_ptr()
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
    if let Some(len) = out_len {
        len.as_ptr()
            .write(u32::try_from(written.fitted.needed).unwrap_or(u32::MAX));
    }
    code_ptr(&written.code)
}

/// The body of [`MobileTrans`].
///
/// # Safety
/// `pInData` must be NULL or a NUL-terminated string; `pOutData` must be NULL or writable for
/// `outBufSize` bytes.
unsafe fn mobile_trans(pInData: *const c_char, pOutData: *mut c_char) -> *const c_char {
    ffi_boundary!(internal_ptr(), {
        let Some(out) = checked(pOutData) else {
            return code_ptr(codes::BAD_INPUT);
        };
        let input = checked(pInData).map(|p| c_string(p));
        let written = entry::narrow(input, entry::configured_out_buf_size());
        finish(&written, out, None)
    })
}

/// The body of [`MobileTransEx`].
///
/// # Safety
/// `pInData` must be NULL or a NUL-terminated string; `pOutData` NULL or writable for `outCap`
/// bytes; `outLen` NULL or writable.
unsafe fn mobile_trans_ex(
    pInData: *const c_char,
    pOutData: *mut c_char,
    outCap: u32,
    outLen: *mut u32,
) -> *const c_char {
    ffi_boundary!(internal_ptr(), {
        let out_len = checked(outLen);
        let Some(out) = checked(pOutData) else {
            return code_ptr(codes::BAD_INPUT);
        };
        let input = checked(pInData).map(|p| c_string(p));
        let written = entry::narrow(input, outCap as usize);
        finish(&written, out, out_len)
    })
}

/// The body of [`MobileTransW`].
///
/// # Safety
/// `pInData` must be NULL or a NUL-terminated UTF-16 string; `pOutData` NULL or writable for
/// `outBufSize` bytes.
unsafe fn mobile_trans_w(pInData: *const u16, pOutData: *mut u16) -> *const u16 {
    ffi_boundary!(WIDE_INTERNAL.as_ptr(), {
        let Some(out) = checked(pOutData) else {
            return wide_code_ptr(codes::BAD_INPUT);
        };
        let input = checked(pInData).map(|p| wide_string(p));
        let written = entry::wide(input, entry::configured_out_buf_size() / 2);
        write_units(out, &written.fitted.units);
        wide_code_ptr(&written.code)
    })
}

/// The body of [`OneTransLastOutput`].
///
/// # Safety
/// `pOutData` NULL or writable for `outCap` bytes; `outLen` NULL or writable.
unsafe fn last_output(pOutData: *mut c_char, outCap: u32, outLen: *mut u32) -> *const c_char {
    ffi_boundary!(internal_ptr(), {
        let out_len = checked(outLen);
        let Some(out) = checked(pOutData) else {
            return code_ptr(codes::BAD_INPUT);
        };
        let fitted = entry::last_output(outCap as usize);
        let code = if fitted.truncated {
            codes::BUFFER_TOO_SMALL
        } else {
            codes::SUCCESS
        };
        finish(
            &Written {
                code: code.to_owned(),
                fitted,
            },
            out,
            out_len,
        )
    })
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
///   (default 65536, NUL included), in the encoding the input came in.
///
/// Returns a NUL-terminated code: `"000000"` when the portal answered and the answer verified
/// (then check `code` in the output: `0` is business success); `"000105"` bad input or a NULL
/// pointer (nothing is written when `pOutData` is NULL, and no request is sent); `"000100"` not
/// delivered, safe to retry; `"000001"` outcome unknown, query before retrying; `"000002"`,
/// `"000003"`, `"000101"`, `"000102"` bad or unverifiable answers; `"000106"` the output needs
/// more than `outBufSize` bytes (the call was made: fetch the output with
/// `OneTransLastOutput`); `"444444"` internal error; any other code is the portal's own
/// rejection, passed through.
///
/// Ownership: the returned pointer is owned by the library, never freed by anyone, valid at
/// least until the next call on the same thread. Thread-safety: may be called from many threads
/// at once; calls share one pool of kept-alive connections.
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
    mobile_trans(pInData, pOutData)
}

/// `__stdcall` twin of the export of the same name (32-bit Windows).
#[cfg(all(windows, target_arch = "x86"))]
#[no_mangle]
pub unsafe extern "system" fn MobileTrans(
    pInData: *const c_char,
    pOutData: *mut c_char,
) -> *const c_char {
    mobile_trans(pInData, pOutData)
}

/// The same call as [`MobileTrans`], with the buffer's capacity given by the caller.
///
/// * `outCap`: bytes writable at `pOutData`, NUL included; never exceeded.
/// * `outLen`: optional (may be NULL); receives the bytes the full output needs, NUL included,
///   also when it did not fit (`"000106"`).
///
/// Returns the codes of [`MobileTrans`]. When the output does not fit, `"000106"` is returned
/// and `pOutData` holds a short failure JSON saying how many bytes were needed, if that fits, or
/// an empty string. The call was made all the same: fetch its output with
/// `OneTransLastOutput` into a buffer of `*outLen` bytes rather than calling again.
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
    mobile_trans_ex(pInData, pOutData, outCap, outLen)
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
    mobile_trans_ex(pInData, pOutData, outCap, outLen)
}

/// The same call as [`MobileTrans`] in UTF-16 (PowerBuilder's `string`, C#'s `string` with
/// `CharSet.Unicode`).
///
/// * `pInData`: NUL-terminated UTF-16 JSON.
/// * `pOutData`: receives NUL-terminated UTF-16 JSON. Capacity rule: at most `outBufSize` bytes,
///   that is `outBufSize / 2` UTF-16 units including the terminating 0 (32768 units by default).
///
/// Returns the same codes as [`MobileTrans`], as a NUL-terminated UTF-16 string owned by the
/// library (thread-local, valid until the next `MobileTransW` call on the same thread; never
/// freed by the caller: declare it as a pointer, not as a marshalled string, in C#).
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
/// call (in the narrow encoding; UTF-8 after a wide call) into `pOutData`, for a caller whose
/// buffer was too small (`"000106"`). Makes no request.
///
/// * `outCap`: bytes writable at `pOutData`, NUL included; never exceeded.
/// * `outLen`: optional; receives the bytes needed, NUL included.
///
/// Returns `"000000"` when it fitted, `"000106"` when not (then `pOutData` holds an empty
/// string), `"000105"` for a NULL `pOutData`. Ownership and thread-safety as for
/// [`MobileTrans`].
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

/// The library's version (from `Cargo.toml`), e.g. `"0.1.0"`. Static: never freed, always
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
