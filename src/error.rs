//! What can go wrong in a call, and the one return code each kind maps to (spec section 7).
//!
//! Messages are written for the person who has to act on them (a cashier's IT support): Chinese
//! first, then English, saying what happened and what to do.

use std::ffi::{CStr, CString};
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// The kind of a failure; each kind maps to exactly one return code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// `000105`: bad input, found before anything was sent.
    BadInput,
    /// `000100`: the portal could not be reached; the request was certainly not delivered.
    NotDelivered,
    /// `000001`: the request was or may have been delivered, but no complete answer came back.
    OutcomeUnknown,
    /// `000003`: HTTP 503, the portal is under maintenance.
    Unavailable,
    /// `000002`: another non-200 status, or a body that is not a JSON object with `respCode`, or
    /// a body over the size limit.
    BadResponse,
    /// `000101`: the answer's `encData` could not be decrypted.
    Decrypt,
    /// `000102`: the answer's signature is missing or wrong, or its `nonceStr` is not ours.
    Signature,
    /// `000106`: the output does not fit the caller's buffer.
    BufferTooSmall,
    /// `444444`: a bug in the library (a caught panic).
    Internal,
    /// The portal rejected the request with this `respCode` (passed through as it came).
    Rejected(String),
}

impl ErrorKind {
    /// The return code of this kind.
    pub fn code(&self) -> &str {
        match self {
            ErrorKind::BadInput => codes::BAD_INPUT,
            ErrorKind::NotDelivered => codes::NOT_DELIVERED,
            ErrorKind::OutcomeUnknown => codes::OUTCOME_UNKNOWN,
            ErrorKind::Unavailable => codes::UNAVAILABLE,
            ErrorKind::BadResponse => codes::BAD_RESPONSE,
            ErrorKind::Decrypt => codes::DECRYPT,
            ErrorKind::Signature => codes::SIGNATURE,
            ErrorKind::BufferTooSmall => codes::BUFFER_TOO_SMALL,
            ErrorKind::Internal => codes::INTERNAL,
            ErrorKind::Rejected(code) => code,
        }
    }
}

/// The return codes of spec section 7.
pub mod codes {
    pub const SUCCESS: &str = "000000";
    pub const OUTCOME_UNKNOWN: &str = "000001";
    pub const BAD_RESPONSE: &str = "000002";
    pub const UNAVAILABLE: &str = "000003";
    pub const NOT_DELIVERED: &str = "000100";
    pub const DECRYPT: &str = "000101";
    pub const SIGNATURE: &str = "000102";
    pub const BAD_INPUT: &str = "000105";
    pub const BUFFER_TOO_SMALL: &str = "000106";
    pub const INTERNAL: &str = "444444";
    /// The portal's replay rejection (spec section 9, checks 4 and 7).
    pub const REPLAY: &str = "010010";
    /// The portal's unknown path (spec section 9, check 2).
    pub const UNKNOWN_PATH: &str = "404404";
}

/// The library's own return codes (spec section 7), each with `'static` narrow and wide C
/// strings: a returned code pointer never depends on the calling thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibraryCode {
    Success,
    OutcomeUnknown,
    BadResponse,
    Unavailable,
    NotDelivered,
    Decrypt,
    Signature,
    BadInput,
    BufferTooSmall,
    Internal,
}

/// The text and narrow C string of each [`LibraryCode`], in declaration order.
const LIBRARY_CODES: [(&str, &CStr); 10] = [
    (codes::SUCCESS, c"000000"),
    (codes::OUTCOME_UNKNOWN, c"000001"),
    (codes::BAD_RESPONSE, c"000002"),
    (codes::UNAVAILABLE, c"000003"),
    (codes::NOT_DELIVERED, c"000100"),
    (codes::DECRYPT, c"000101"),
    (codes::SIGNATURE, c"000102"),
    (codes::BAD_INPUT, c"000105"),
    (codes::BUFFER_TOO_SMALL, c"000106"),
    (codes::INTERNAL, c"444444"),
];

/// A six-character ASCII code as NUL-terminated UTF-16.
const fn wide_code(text: &str) -> [u16; 7] {
    let bytes = text.as_bytes();
    let mut out = [0u16; 7];
    let mut i = 0;
    while i < 6 {
        out[i] = bytes[i] as u16;
        i += 1;
    }
    out
}

/// The wide C string of each [`LibraryCode`], in declaration order.
static WIDE_LIBRARY_CODES: [[u16; 7]; 10] = {
    let mut table = [[0u16; 7]; 10];
    let mut i = 0;
    while i < 10 {
        table[i] = wide_code(LIBRARY_CODES[i].0);
        i += 1;
    }
    table
};

impl LibraryCode {
    pub const ALL: [LibraryCode; 10] = [
        LibraryCode::Success,
        LibraryCode::OutcomeUnknown,
        LibraryCode::BadResponse,
        LibraryCode::Unavailable,
        LibraryCode::NotDelivered,
        LibraryCode::Decrypt,
        LibraryCode::Signature,
        LibraryCode::BadInput,
        LibraryCode::BufferTooSmall,
        LibraryCode::Internal,
    ];

    /// The code with its static strings.
    pub fn code(self) -> ReturnCode {
        let (text, narrow) = LIBRARY_CODES[self as usize];
        ReturnCode {
            text,
            narrow,
            wide: &WIDE_LIBRARY_CODES[self as usize],
        }
    }

    pub fn as_str(self) -> &'static str {
        LIBRARY_CODES[self as usize].0
    }

    /// The library code spelt `text`, if any.
    pub fn from_text(text: &str) -> Option<LibraryCode> {
        LibraryCode::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// A return code as the exports hand it out: its text and its NUL-terminated narrow and
/// UTF-16 strings, all `'static` (never freed while the library is loaded, whatever thread
/// asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnCode {
    text: &'static str,
    narrow: &'static CStr,
    /// NUL included.
    wide: &'static [u16],
}

/// How many distinct portal codes one process interns; beyond that, a new portal code is
/// returned as `000002` (see [`ReturnCode::of`]).
pub const MAX_PORTAL_CODES: usize = 1024;

/// The portal codes passed through so far in this process, interned for good.
static PORTAL_CODES: Mutex<Vec<ReturnCode>> = Mutex::new(Vec::new());

impl ReturnCode {
    pub fn as_str(&self) -> &'static str {
        self.text
    }

    pub fn narrow(&self) -> &'static CStr {
        self.narrow
    }

    /// The NUL-terminated UTF-16 code.
    pub fn wide(&self) -> &'static [u16] {
        self.wide
    }

    /// The return code for `code`: a library code's static strings, or a portal code interned
    /// in a process-wide set, so that its pointer is never freed. `None` when `code` cannot be
    /// passed through: not 1 to 32 printable ASCII characters without a space (spec section
    /// 7), or a new code once [`MAX_PORTAL_CODES`] are interned (a portal, or a forger on the
    /// path, inventing codes must not grow the process without bound).
    pub fn of(code: &str) -> Option<ReturnCode> {
        match LibraryCode::from_text(code) {
            Some(library) => Some(library.code()),
            None => intern(code, &PORTAL_CODES, MAX_PORTAL_CODES),
        }
    }
}

/// Whether a portal code can be returned as a C string (spec section 7, since 1.1).
pub fn is_passable_code(code: &str) -> bool {
    (1..=32).contains(&code.len()) && code.bytes().all(|b| (0x21..=0x7E).contains(&b))
}

/// Finds or adds `code` in `set` (of at most `max` codes). Added strings are leaked on purpose:
/// they live as long as the process.
fn intern(code: &str, set: &Mutex<Vec<ReturnCode>>, max: usize) -> Option<ReturnCode> {
    if !is_passable_code(code) {
        return None;
    }
    let mut set = set.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = set.iter().find(|c| c.text == code) {
        return Some(*found);
    }
    if set.len() >= max {
        return None;
    }
    let narrow = CString::new(code).ok()?;
    let wide: Vec<u16> = code.encode_utf16().chain([0]).collect();
    let interned = ReturnCode {
        text: Box::leak(code.into()),
        narrow: Box::leak(narrow.into_boxed_c_str()),
        wide: Box::leak(wide.into_boxed_slice()),
    };
    set.push(interned);
    Some(interned)
}

/// A failed call: its kind and a message to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::BadInput, message)
    }

    pub fn code(&self) -> &str {
        self.kind.code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_codes_have_matching_narrow_and_wide_strings() {
        for code in LibraryCode::ALL {
            let rc = code.code();
            assert_eq!(rc.narrow().to_str().unwrap(), code.as_str());
            let wide: Vec<u16> = code.as_str().encode_utf16().chain([0]).collect();
            assert_eq!(rc.wide(), wide.as_slice());
            assert_eq!(LibraryCode::from_text(code.as_str()), Some(code));
            assert_eq!(ReturnCode::of(code.as_str()), Some(rc));
        }
    }

    #[test]
    fn portal_codes_are_interned_once_and_bounded() {
        let set = Mutex::new(Vec::new());
        let a = intern("010010", &set, 2).unwrap();
        assert_eq!(
            intern("010010", &set, 2).unwrap().narrow().as_ptr(),
            a.narrow().as_ptr()
        );
        assert_eq!(a.narrow().to_str().unwrap(), "010010");
        assert_eq!(String::from_utf16(a.wide()).unwrap(), "010010\0");
        assert!(intern("-8", &set, 2).is_some());
        assert_eq!(intern("404404", &set, 2), None, "the set is full");
        assert!(intern("-8", &set, 2).is_some(), "known codes still resolve");
        for bad in ["", "a b", "x\u{1}", &"9".repeat(33), "周"] {
            assert_eq!(intern(bad, &set, 100), None, "{bad:?}");
        }
        assert_eq!(set.lock().unwrap().len(), 2);
    }
}
