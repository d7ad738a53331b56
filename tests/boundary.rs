//! The export boundary (issue 10 items 4, 8, 9, 10, 12 and 14(c)), through the exported
//! functions: what `OneTransLastOutput` says on a thread with no call, that a failure that does
//! not fit keeps its own code (only a verified success becomes `000106`), that returned code
//! pointers outlive their thread, that a panic at the boundary writes the `444444` output, and
//! that the wide export refuses a huge input before decoding it and takes unaligned pointers.
//!
//! This binary's allocator counts the bytes each thread allocates (to see what a call
//! allocates) and overwrites every freed block with `0xDD` (so that reading freed memory shows).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::{c_char, CString};
use std::sync::Once;

use common::*;
use onetrans::ffi;
use onetrans::json::Value;
use onetrans_portal::{Portal, PortalConfig};

// --- the allocator -------------------------------------------------------------------------

struct CountingScribbler;

thread_local! {
    /// Bytes allocated by this thread so far (never decreases).
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: delegates to the system allocator; only counts and fills freed blocks before
// returning them.
unsafe impl GlobalAlloc for CountingScribbler {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + layout.size()));
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ptr.write_bytes(0xDD, layout.size());
        System.dealloc(ptr, layout);
    }
}

#[global_allocator]
static ALLOCATOR: CountingScribbler = CountingScribbler;

fn allocated_by_this_thread() -> usize {
    ALLOCATED.with(Cell::get)
}

// --- helpers ---------------------------------------------------------------------------------

fn portal() -> Portal {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::remove_var("ONETRANS_CONFIG");
        std::env::set_var("ONETRANS_READ_TIMEOUT_MS", "3000");
    });
    Portal::start(PortalConfig::default()).expect("the simulator starts")
}

/// `OneTransLastOutput` with `cap` bytes behind guard bytes: (code, bytes before the NUL or
/// `None` when no NUL was written, reported length).
fn last_output(cap: u32) -> (String, Option<Vec<u8>>, u32) {
    let mut out = vec![b'A'; cap as usize + 64];
    let mut len = 0xFFFF_FFFFu32;
    // SAFETY: `out` has `cap` + 64 writable bytes; `len` is writable.
    let code = unsafe { ffi::OneTransLastOutput(out.as_mut_ptr().cast(), cap, &mut len) };
    assert!(
        out[cap as usize..].iter().all(|&b| b == b'A'),
        "written past outCap {cap}"
    );
    let written = out[..cap as usize]
        .iter()
        .position(|&b| b == 0)
        .map(|n| out[..n].to_vec());
    (code_string(code), written, len)
}

/// Reads a NUL-terminated UTF-16 string (at most 64 units, to stay near a bad pointer).
///
/// # Safety
/// `ptr` must point to readable memory of 64 units or up to a 0.
unsafe fn wide_at_most_64(ptr: *const u16) -> String {
    assert!(!ptr.is_null());
    let units: Vec<u16> = (0..64)
        .map(|i| ptr.add(i).read_unaligned())
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// Reads a NUL-terminated narrow string (at most 64 bytes).
///
/// # Safety
/// `ptr` must point to readable memory of 64 bytes or up to a NUL.
unsafe fn narrow_at_most_64(ptr: *const c_char) -> String {
    assert!(!ptr.is_null());
    let bytes: Vec<u8> = (0..64)
        .map(|i| ptr.add(i).cast::<u8>().read())
        .take_while(|&b| b != 0)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

/// `MobileTransW` with the default 32768-unit buffer: (code, output text).
fn mobile_trans_w(input: &str) -> (String, String) {
    let input = wide(input);
    let mut out = vec![0xA5A5u16; 32_768];
    // SAFETY: NUL-terminated UTF-16 input; 32768 units = the default outBufSize.
    let code = unsafe { ffi::MobileTransW(input.as_ptr(), out.as_mut_ptr()) };
    // SAFETY: the library returns a NUL-terminated UTF-16 code.
    let code = unsafe { wide_at_most_64(code) };
    let len = out.iter().position(|&u| u == 0).expect("NUL-terminated");
    (code, String::from_utf16(&out[..len]).expect("valid UTF-16"))
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8 output")
}

fn message(output: &str) -> String {
    member(output, "message").as_str().unwrap().to_owned()
}

/// Runs `f` on a fresh thread (a thread with no earlier call).
fn on_fresh_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().expect("the thread ran")
}

// --- item 4: OneTransLastOutput on a thread with no call --------------------------------------

#[test]
fn last_output_on_a_thread_with_no_call_says_so() {
    on_fresh_thread(|| {
        let (code, written, len) = last_output(100);
        assert_eq!(code, "000105", "not 000000: there is nothing to hand out");
        let out = written.expect("a NUL within the 100 bytes");
        let out = text(&out);
        assert_eq!(member(out, "respCode"), Value::from("000105"), "{out}");
        assert_eq!(member(out, "code"), Value::from(-1), "{out}");
        assert!(message(out).starts_with("本线程没有"), "{out}");
        assert!(len as usize > out.len(), "the full message's size: {len}");

        // A buffer that takes the whole message: it says what to do.
        let (code, written, full_len) = last_output(len);
        assert_eq!((code.as_str(), full_len), ("000105", len));
        let out = written.unwrap();
        let msg = message(text(&out));
        assert!(
            msg.contains("OneTransLastOutput") && msg.contains("per thread"),
            "{msg}"
        );

        // A capacity of zero: nothing written, the code all the same.
        let (code, written, _) = last_output(0);
        assert_eq!((code.as_str(), written), ("000105", None));
    });
}

// --- item 14(c) and 4: OneTransLastOutput returns the stored call's own code ------------------

#[test]
fn last_output_returns_the_stored_calls_own_code() {
    let portal = portal();
    let unknown = push_msg(&portal.url("/api/nowhere"), "LAST-1", "");
    let big = push_msg(
        &portal.fault_url("echo", PUSH_MSG),
        "LAST-2",
        &format!("\"blob\":\"{}\"", "z".repeat(5000)),
    );
    on_fresh_thread(move || {
        // A passed-through portal code.
        let (_, _, needed) = mobile_trans_ex_bytes(unknown.as_bytes(), 1);
        let (code, written, len) = last_output(needed);
        assert_eq!((code.as_str(), len), ("404404", needed));
        let out = written.unwrap();
        assert_eq!(member(text(&out), "respCode"), Value::from("404404"));

        // A verified success too big for the first buffer: 000106 from the call, 000000 from
        // the recovery.
        let (code, _, needed) = mobile_trans_ex_bytes(big.as_bytes(), 300);
        assert_eq!(code, "000106");
        let (code, written, len) = last_output(needed);
        assert_eq!((code.as_str(), len), ("000000", needed));
        assert_eq!(written.unwrap().len() + 1, needed as usize);

        // The stored output does not fit the recovery buffer either: 000106, an empty string,
        // the size needed; the stored output stays.
        let (code, written, len) = last_output(needed - 1);
        assert_eq!(
            (code.as_str(), written, len),
            ("000106", Some(vec![]), needed)
        );
        let (code, _, _) = last_output(needed);
        assert_eq!(code, "000000");
    });
}

// --- item 8: a failure that does not fit keeps its code ----------------------------------------

#[test]
fn a_failure_that_does_not_fit_keeps_its_own_code() {
    let portal = portal();
    for (url, expected) in [
        (portal.url("/api/nowhere"), "404404"),
        (portal.fault_url("reset", PUSH_MSG), "000001"),
    ] {
        let input = push_msg(&url, "FIT-FAIL", "");
        for cap in [0u32, 1, 40, 120, 200] {
            let (code, written, needed) = mobile_trans_ex_bytes(input.as_bytes(), cap);
            assert_eq!(
                code, expected,
                "cap {cap}: the code still tells sent-or-not"
            );
            assert!(needed > 200, "the full output's size: {needed}");
            match written {
                None => assert_eq!(cap, 0),
                Some(out) if out.is_empty() => assert!(cap < 100, "cap {cap}"),
                Some(out) => {
                    let out = text(&out);
                    assert_eq!(member(out, "respCode"), Value::from(expected), "{out}");
                    assert_eq!(member(out, "orgId"), Value::from("H46010000000"));
                }
            }
        }
    }
}

/// A local failure (a bad timestamp, quoted in the message) with Chinese, a character outside
/// the BMP (4 bytes in UTF-8 and GB18030, a surrogate pair in UTF-16) and escaped quotes.
fn bad_timestamp_input(url: &str, repeat: usize) -> String {
    push_msg(url, "CUT", "").replace(
        "\"timestamp\":\"\"",
        &format!("\"timestamp\":\"{}\"", "周𠀀a\\\"".repeat(repeat)),
    )
}

/// Checks a shortened failure output: JSON, the code unchanged, the message a prefix of the
/// full one (with `…` when cut).
fn check_shortened(out: &str, full_message: &str, cap: u32) {
    assert_eq!(member(out, "respCode"), Value::from("000105"), "cap {cap}");
    let msg = message(out);
    let kept = msg.strip_suffix('…').unwrap_or(&msg);
    assert!(full_message.starts_with(kept), "cap {cap}: {msg}");
}

#[test]
fn shortened_failures_are_json_cut_at_character_boundaries() {
    let input = bad_timestamp_input("http://127.0.0.1:9/x", 120);
    let caps = |needed: u32| (0..=400).chain((401..=needed + 1).step_by(29));

    // UTF-8.
    let (code, full, needed) = mobile_trans_ex_bytes(input.as_bytes(), 1 << 20);
    assert_eq!(code, "000105");
    let full_message = message(text(&full.unwrap()));
    for cap in caps(needed) {
        let (code, written, len) = mobile_trans_ex_bytes(input.as_bytes(), cap);
        assert_eq!((code.as_str(), len), ("000105", needed), "cap {cap}");
        if let Some(out) = written.filter(|o| !o.is_empty()) {
            check_shortened(text(&out), &full_message, cap);
        }
    }

    // GB18030 (the input comes in GBK, so the output goes out in GBK).
    let (gbk, _, _) = encoding_rs::GB18030.encode(&input);
    let (_, _, needed) = mobile_trans_ex_bytes(&gbk, 1);
    for cap in caps(needed) {
        let (code, written, len) = mobile_trans_ex_bytes(&gbk, cap);
        assert_eq!((code.as_str(), len), ("000105", needed), "cap {cap}");
        if let Some(out) = written.filter(|o| !o.is_empty()) {
            let out = encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(&out)
                .unwrap_or_else(|| panic!("cap {cap}: a GB18030 character was cut"));
            check_shortened(&out, &full_message, cap);
        }
    }

    // UTF-16: MobileTransW's 32768 units against a message of about 50000.
    let input = bad_timestamp_input("http://127.0.0.1:9/x", 10_000);
    let (code, out) = mobile_trans_w(&input);
    assert_eq!(code, "000105", "not 000106: the failure keeps its code");
    assert!(out.encode_utf16().count() < 32_768);
    let msg = message(&out);
    assert!(msg.ends_with('…') && msg.contains("周𠀀a\""), "{msg}");
}

#[test]
fn a_success_that_does_not_fit_is_000106_and_points_to_last_output_only() {
    let portal = portal();
    let input = push_msg(
        &portal.fault_url("echo", PUSH_MSG),
        "FIT-OK",
        &format!("\"blob\":\"{}\"", "q".repeat(70_000)),
    );
    on_fresh_thread(move || {
        let (code, out) = mobile_trans(&input);
        assert_eq!(code, "000106");
        let msg = message(&out);
        assert!(msg.contains("OneTransLastOutput"), "{msg}");
        assert!(
            !msg.contains("MobileTransEx"),
            "never suggest calling again: {msg}"
        );
        assert!(msg.contains("验签"), "it says the answer verified: {msg}");
        for cap in [1u32, 90, 120, 200, 300] {
            let (code, written, _) = mobile_trans_ex_bytes(input.as_bytes(), cap);
            assert_eq!(code, "000106", "cap {cap}");
            let out = written.unwrap();
            if !out.is_empty() {
                assert_eq!(member(text(&out), "respCode"), Value::from("000106"));
            }
        }
        let (code, written, _) = last_output(1 << 20);
        assert_eq!(code, "000000");
        assert_eq!(
            member(text(&written.unwrap()), "data").get("medOrgOrd"),
            Some(&Value::from("FIT-OK"))
        );
    });
}

// --- item 9: returned code pointers outlive their thread --------------------------------------

#[test]
fn returned_codes_outlive_their_thread() {
    let portal = portal();
    let unknown = push_msg(&portal.url("/api/nowhere"), "LIFE-1", "");
    let (narrow, wide_codes) = on_fresh_thread(move || {
        let mut out = vec![0u8; 65_536];
        let call = |input: &str, out: &mut [u8]| {
            let input = CString::new(input).unwrap();
            // SAFETY: NUL-terminated input, 64 KiB output.
            unsafe { ffi::MobileTrans(input.as_ptr(), out.as_mut_ptr().cast()) as usize }
        };
        let passed_through = call(&unknown, &mut out);
        let fixed = call("{not json", &mut out);
        let mut out = vec![0u16; 32_768];
        let call_w = |input: &str, out: &mut [u16]| {
            let input = wide(input);
            // SAFETY: NUL-terminated UTF-16 input, 32768 units of output.
            unsafe { ffi::MobileTransW(input.as_ptr(), out.as_mut_ptr()) as usize }
        };
        let passed_through_w = call_w(&unknown, &mut out);
        let fixed_w = call_w("{not json", &mut out);
        ((passed_through, fixed), (passed_through_w, fixed_w))
    });
    // The thread has ended; its thread-local storage is freed (and scribbled over).
    let churn: Vec<Vec<u8>> = (0..1000).map(|i| vec![i as u8; 16]).collect();
    drop(churn);
    // SAFETY: the library documents these pointers as valid after the thread ended.
    unsafe {
        assert_eq!(narrow_at_most_64(narrow.0 as *const c_char), "404404");
        assert_eq!(narrow_at_most_64(narrow.1 as *const c_char), "000105");
        assert_eq!(wide_at_most_64(wide_codes.0 as *const u16), "404404");
        assert_eq!(wide_at_most_64(wide_codes.1 as *const u16), "000105");
    }
}

// --- item 10: a panic at the boundary writes the failure output -------------------------------

#[test]
fn a_panic_at_the_boundary_writes_the_444444_output() {
    let portal = portal();
    let good = push_msg(&portal.url(PUSH_MSG), "PANIC-1", "");
    on_fresh_thread(move || {
        let (code, written, _) = mobile_trans_ex_bytes(good.as_bytes(), 4096);
        assert_eq!(code, "000000", "{:?}", written);

        // MobileTransEx: the buffer, *outLen and the stored output all say 444444.
        let input = CString::new(good.as_str()).unwrap();
        let mut out = vec![0u8; 4096];
        let mut len = 0u32;
        // SAFETY: the previous call's success output is in `out`.
        let code = unsafe {
            ffi::MobileTransEx(input.as_ptr(), out.as_mut_ptr().cast(), 4096, &mut 0);
            onetrans::entry::panic_at_next_call_for_test();
            ffi::MobileTransEx(input.as_ptr(), out.as_mut_ptr().cast(), 4096, &mut len)
        };
        assert_eq!(code_string(code), "444444");
        let end = out.iter().position(|&b| b == 0).unwrap();
        let written = text(&out[..end]);
        assert_eq!(
            member(written, "respCode"),
            Value::from("444444"),
            "{written}"
        );
        assert_eq!(member(written, "code"), Value::from(-1));
        assert_eq!(len as usize, end + 1);
        let (code, stored, _) = last_output(4096);
        assert_eq!(code, "444444", "the stored output is the panic's");
        assert_eq!(stored.unwrap(), written.as_bytes());

        // A small capacity: fitted, the code unchanged.
        onetrans::entry::panic_at_next_call_for_test();
        let (code, written, len) = mobile_trans_ex_bytes(good.as_bytes(), 40);
        assert_eq!(code, "444444");
        assert!(written.is_some() && len > 40);

        // MobileTrans and MobileTransW.
        onetrans::entry::panic_at_next_call_for_test();
        let (code, out) = mobile_trans(&good);
        assert_eq!(code, "444444");
        assert_eq!(member(&out, "respCode"), Value::from("444444"), "{out}");
        onetrans::entry::panic_at_next_call_for_test();
        let (code, out) = mobile_trans_w(&good);
        assert_eq!(code, "444444");
        assert_eq!(member(&out, "respCode"), Value::from("444444"), "{out}");

        // And the next call works.
        let (code, _, _) = mobile_trans_ex_bytes(good.as_bytes(), 4096);
        assert_eq!(code, "000000");
    });
}

// --- item 12: the wide export's input size, unaligned pointers ---------------------------------

#[test]
fn a_huge_wide_input_is_refused_before_it_is_decoded() {
    on_fresh_thread(|| {
        // A warm-up call: the configuration and the like are loaded once.
        mobile_trans_w("{}");
        let limit = onetrans::input::MAX_INPUT_BYTES;
        let mut input = vec![u16::from(b'a'); limit + 1];
        input.push(0);
        let mut out = vec![0u16; 32_768];
        let before = allocated_by_this_thread();
        // SAFETY: NUL-terminated UTF-16 input, 32768 units of output.
        let code = unsafe { ffi::MobileTransW(input.as_ptr(), out.as_mut_ptr()) };
        let allocated = allocated_by_this_thread() - before;
        // SAFETY: a NUL-terminated UTF-16 code.
        assert_eq!(unsafe { wide_at_most_64(code) }, "000105");
        assert!(
            allocated < 1 << 20,
            "{allocated} bytes allocated for a refused input of {} units",
            limit + 1
        );
        let len = out.iter().position(|&u| u == 0).unwrap();
        let out = String::from_utf16(&out[..len]).unwrap();
        assert!(message(&out).contains("UTF-16"), "{out}");
    });
}

#[test]
fn unaligned_pointers_are_read_and_written_safely() {
    let portal = portal();
    let good = push_msg(&portal.url(PUSH_MSG), "ODD-1", "");
    // outLen at an odd address.
    let input = CString::new(good.as_str()).unwrap();
    let mut out = vec![0u8; 4096];
    let mut len_bytes = [0u8; 8];
    // SAFETY: `len_bytes[1..5]` is writable; the library must not assume alignment.
    let code = unsafe {
        ffi::MobileTransEx(
            input.as_ptr(),
            out.as_mut_ptr().cast(),
            4096,
            len_bytes.as_mut_ptr().add(1).cast::<u32>(),
        )
    };
    assert_eq!(code_string(code), "000000");
    let len = u32::from_ne_bytes(len_bytes[1..5].try_into().unwrap());
    let end = out.iter().position(|&b| b == 0).unwrap();
    assert_eq!(len as usize, end + 1);

    // UTF-16 input and output at odd addresses.
    let units = wide(&good);
    let mut input_bytes = vec![0u8; units.len() * 2 + 1];
    for (i, u) in units.iter().enumerate() {
        input_bytes[1 + 2 * i..3 + 2 * i].copy_from_slice(&u.to_ne_bytes());
    }
    let mut out_bytes = vec![0xA5u8; 65_536 + 1];
    // SAFETY: both regions are large enough; only their alignment is odd.
    let code = unsafe {
        ffi::MobileTransW(
            input_bytes.as_ptr().add(1).cast::<u16>(),
            out_bytes.as_mut_ptr().add(1).cast::<u16>(),
        )
    };
    // SAFETY: a NUL-terminated UTF-16 code.
    assert_eq!(unsafe { wide_at_most_64(code) }, "000000");
    let out_units: Vec<u16> = out_bytes[1..]
        .chunks_exact(2)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    let out = String::from_utf16(&out_units).unwrap();
    assert_eq!(
        member(&out, "data").get("response"),
        Some(&Value::from("SUCCESS"))
    );
}

// --- item 14(c): OneTransLastOutputW -----------------------------------------------------------

/// `OneTransLastOutputW` with `cap` units at an odd byte address (any alignment must do):
/// (code, text before the 0 or `None` when no 0 was written, reported length in units).
fn last_output_w(cap: u32) -> (String, Option<String>, u32) {
    let mut bytes = vec![0xA5u8; 2 * cap as usize + 1 + 64];
    let mut len_bytes = [0u8; 8];
    // SAFETY: `bytes[1..]` holds `cap` units and guard bytes; `len_bytes[1..5]` is writable.
    let code = unsafe {
        ffi::OneTransLastOutputW(
            bytes.as_mut_ptr().add(1).cast::<u16>(),
            cap,
            len_bytes.as_mut_ptr().add(1).cast::<u32>(),
        )
    };
    assert!(
        bytes[1 + 2 * cap as usize..].iter().all(|&b| b == 0xA5),
        "written past outCap {cap}"
    );
    let units: Vec<u16> = bytes[1..1 + 2 * cap as usize]
        .chunks_exact(2)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .collect();
    let text = units
        .iter()
        .position(|&u| u == 0)
        .map(|n| String::from_utf16(&units[..n]).expect("whole UTF-16"));
    // SAFETY: the library returns a NUL-terminated UTF-16 code.
    let code = unsafe { wide_at_most_64(code) };
    (
        code,
        text,
        u32::from_ne_bytes(len_bytes[1..5].try_into().unwrap()),
    )
}

#[test]
fn last_output_w_hands_out_the_last_output_in_utf16() {
    let portal = portal();
    let big = push_msg(
        &portal.fault_url("echo", PUSH_MSG),
        "WIDE-BIG",
        &format!("\"blob\":\"{}\"", "w".repeat(40_000)),
    );
    let unknown = push_msg(&portal.url("/api/nowhere"), "WIDE-404", "");
    on_fresh_thread(move || {
        // No call on this thread yet.
        let (code, out, len) = last_output_w(100);
        assert_eq!(code, "000105");
        let out = out.expect("a 0 within 100 units");
        assert!(message(&out).starts_with("本线程没有"), "{out}");
        let (_, out, _) = last_output_w(len);
        assert!(message(&out.unwrap()).contains("OneTransLastOutputW"));

        // A wide call whose verified answer does not fit MobileTransW's 32768 units.
        let (code, out) = mobile_trans_w(&big);
        assert_eq!(code, "000106");
        assert!(message(&out).contains("OneTransLastOutputW"), "{out}");
        let (code, out, needed) = last_output_w(0);
        assert_eq!((code.as_str(), out), ("000106", None));
        assert!(needed > 40_000, "{needed}");
        let (code, out, len) = last_output_w(needed);
        assert_eq!((code.as_str(), len), ("000000", needed));
        let out = out.unwrap();
        assert_eq!(out.encode_utf16().count() + 1, needed as usize);
        let data = member(&out, "data");
        assert_eq!(data.get("medOrgOrd"), Some(&Value::from("WIDE-BIG")));
        assert_eq!(data.get("patientName"), Some(&Value::from("周大鹏")));

        // After a narrow call too, with that call's own code.
        let (code, _, _) = mobile_trans_ex_bytes(unknown.as_bytes(), 1);
        assert_eq!(code, "404404");
        let (code, out, _) = last_output_w(4096);
        assert_eq!(code, "404404");
        assert_eq!(member(&out.unwrap(), "respCode"), Value::from("404404"));
    });
}
