//! What can go wrong in a call, and the one return code each kind maps to (spec section 7).
//!
//! Messages are written for the person who has to act on them (a cashier's IT support): Chinese
//! first, then English, saying what happened and what to do.

use std::ffi::{CStr, CString};
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// The library's own return codes (spec section 7): the one table of them. Their text, their
/// `'static` narrow and wide C strings, the [`codes`] constants and the kinds of [`ErrorKind`]
/// all come from here; `tests/header.rs` checks that the C header and the README list exactly
/// these (and that a portal's code is passed through, [`Code::Portal`]).
///
/// A returned code pointer never depends on the calling thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LibraryCode {
    /// `000000`: the portal answered `000000` and the answer verified.
    Success,
    /// `000001`: the request was or may have been delivered, but no complete answer came back.
    OutcomeUnknown,
    /// `000002`: a bad HTTP status or an answer that is not the portal's format.
    BadResponse,
    /// `000003`: HTTP 503, the portal is under maintenance.
    Unavailable,
    /// `000100`: the portal could not be reached; the request was certainly not delivered.
    NotDelivered,
    /// `000101`: the answer's `encData` could not be decrypted.
    Decrypt,
    /// `000102`: the answer's signature or `nonceStr` is wrong.
    Signature,
    /// `000105`: bad input or a NULL pointer; nothing was sent.
    BadInput,
    /// `000106`: a verified success whose output does not fit the caller's buffer.
    BufferTooSmall,
    /// `444444`: a bug in the library (a caught panic).
    Internal,
}

impl LibraryCode {
    /// Every library code, in the order of the spec's table.
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

    /// The code as a NUL-terminated C string: the one place each code is spelt.
    pub const fn narrow(self) -> &'static CStr {
        match self {
            LibraryCode::Success => c"000000",
            LibraryCode::OutcomeUnknown => c"000001",
            LibraryCode::BadResponse => c"000002",
            LibraryCode::Unavailable => c"000003",
            LibraryCode::NotDelivered => c"000100",
            LibraryCode::Decrypt => c"000101",
            LibraryCode::Signature => c"000102",
            LibraryCode::BadInput => c"000105",
            LibraryCode::BufferTooSmall => c"000106",
            LibraryCode::Internal => c"444444",
        }
    }

    /// The code's text.
    pub const fn as_str(self) -> &'static str {
        match std::str::from_utf8(self.narrow().to_bytes()) {
            Ok(text) => text,
            Err(_) => panic!("a library code is ASCII"),
        }
    }

    /// The code as a NUL-terminated UTF-16 string.
    pub fn wide(self) -> &'static [u16] {
        &WIDE_LIBRARY_CODES[self as usize]
    }

    /// The code with its static strings, as the exports hand it out.
    pub fn code(self) -> ReturnCode {
        ReturnCode {
            text: self.as_str(),
            narrow: self.narrow(),
            wide: self.wide(),
        }
    }

    /// The library code spelt `text`, if any.
    pub fn from_text(text: &str) -> Option<LibraryCode> {
        LibraryCode::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The length of every library code.
const LIBRARY_CODE_LEN: usize = 6;

/// The wide C string of each [`LibraryCode`], in declaration order, made from its text.
static WIDE_LIBRARY_CODES: [[u16; LIBRARY_CODE_LEN + 1]; LibraryCode::ALL.len()] = {
    let mut table = [[0u16; LIBRARY_CODE_LEN + 1]; LibraryCode::ALL.len()];
    let mut i = 0;
    while i < table.len() {
        let text = LibraryCode::ALL[i].as_str().as_bytes();
        assert!(text.len() == LIBRARY_CODE_LEN);
        let mut j = 0;
        while j < LIBRARY_CODE_LEN {
            table[i][j] = text[j] as u16;
            j += 1;
        }
        i += 1;
    }
    table
};

/// The return codes as text: the library's (from [`LibraryCode`]) and the portal's that the
/// library and the simulator name.
pub mod codes {
    use super::LibraryCode;

    pub const SUCCESS: &str = LibraryCode::Success.as_str();
    pub const OUTCOME_UNKNOWN: &str = LibraryCode::OutcomeUnknown.as_str();
    pub const BAD_RESPONSE: &str = LibraryCode::BadResponse.as_str();
    pub const UNAVAILABLE: &str = LibraryCode::Unavailable.as_str();
    pub const NOT_DELIVERED: &str = LibraryCode::NotDelivered.as_str();
    pub const DECRYPT: &str = LibraryCode::Decrypt.as_str();
    pub const SIGNATURE: &str = LibraryCode::Signature.as_str();
    pub const BAD_INPUT: &str = LibraryCode::BadInput.as_str();
    pub const BUFFER_TOO_SMALL: &str = LibraryCode::BufferTooSmall.as_str();
    pub const INTERNAL: &str = LibraryCode::Internal.as_str();
    /// The portal's replay rejection (spec section 9, checks 4 and 7).
    pub const REPLAY: &str = "010010";
    /// The portal's unknown path (spec section 9, check 2).
    pub const UNKNOWN_PATH: &str = "404404";
}

/// A call's return code before it is handed out: one of the library's, or a portal's rejection
/// passed through as it came (spec section 7). The exports turn it into a [`ReturnCode`]
/// (static strings; a portal's code interned).
///
/// Compared by text: a portal that rejects with one of the library's codes (`000102`...) gives
/// the same code as the library's own (it is passed through, spec 1.1 section 7).
#[derive(Debug, Clone)]
pub enum Code {
    Library(LibraryCode),
    Portal(String),
}

impl Code {
    /// The code's text.
    pub fn as_str(&self) -> &str {
        match self {
            Code::Library(code) => code.as_str(),
            Code::Portal(code) => code,
        }
    }
}

impl From<LibraryCode> for Code {
    fn from(code: LibraryCode) -> Code {
        Code::Library(code)
    }
}

impl std::ops::Deref for Code {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Code {
    fn eq(&self, other: &Code) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Code {}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    /// The library's code of this kind, or the portal's code it passes through.
    fn library_code(&self) -> Result<LibraryCode, &str> {
        Ok(match self {
            ErrorKind::BadInput => LibraryCode::BadInput,
            ErrorKind::NotDelivered => LibraryCode::NotDelivered,
            ErrorKind::OutcomeUnknown => LibraryCode::OutcomeUnknown,
            ErrorKind::Unavailable => LibraryCode::Unavailable,
            ErrorKind::BadResponse => LibraryCode::BadResponse,
            ErrorKind::Decrypt => LibraryCode::Decrypt,
            ErrorKind::Signature => LibraryCode::Signature,
            ErrorKind::BufferTooSmall => LibraryCode::BufferTooSmall,
            ErrorKind::Internal => LibraryCode::Internal,
            ErrorKind::Rejected(portal) => return Err(portal),
        })
    }

    /// The return code of this kind, as text.
    pub fn code(&self) -> &str {
        match self.library_code() {
            Ok(code) => code.as_str(),
            Err(portal) => portal,
        }
    }
}

impl From<&ErrorKind> for Code {
    fn from(kind: &ErrorKind) -> Code {
        match kind.library_code() {
            Ok(code) => Code::Library(code),
            Err(portal) => Code::Portal(portal.to_owned()),
        }
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
pub(crate) const MAX_PORTAL_CODES: usize = 1024;

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
    /// 7), or a new code once `MAX_PORTAL_CODES` (1024) are interned (a portal, or a forger on the
    /// path, inventing codes must not grow the process without bound).
    pub fn of(code: &Code) -> Option<ReturnCode> {
        match code {
            Code::Library(library) => Some(library.code()),
            Code::Portal(text) => match LibraryCode::from_text(text) {
                Some(library) => Some(library.code()),
                None => intern(text, &PORTAL_CODES, MAX_PORTAL_CODES),
            },
        }
    }
}

/// The longest portal code passed through (spec section 7, since 1.1).
pub(crate) const MAX_PORTAL_CODE_LEN: usize = 32;

/// Whether a portal code may be passed through to the caller, as a C string: 1 to 32 printable
/// ASCII characters, no space, no control character (spec section 7, since 1.1). Nothing is
/// cleaned or trimmed: `"000000 "` is not `000000`, it is a malformed answer.
pub(crate) fn is_passable_code(code: &str) -> bool {
    (1..=MAX_PORTAL_CODE_LEN).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_graphic())
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

    pub(crate) fn bad_input(message: impl Into<String>) -> Error {
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
            assert_eq!(ReturnCode::of(&code.into()), Some(rc));
            assert_eq!(
                ReturnCode::of(&Code::Portal(code.as_str().to_owned())),
                Some(rc),
                "a portal's rejection with a library code gets the static strings"
            );
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
