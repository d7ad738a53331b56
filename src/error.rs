//! What can go wrong in a call, and the one return code each kind maps to (spec section 7).
//!
//! Messages are written for the person who has to act on them (a cashier's IT support): Chinese
//! first, then English, saying what happened and what to do.

use std::fmt;

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
