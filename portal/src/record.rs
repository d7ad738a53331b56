//! The record of what the portal received, for tests and `--verbose`.
//!
//! The record holds `serde_json` values, which tests index and compare easily; they are
//! converted from the library's own JSON values ([`onetrans::json`]), keeping member order and
//! the digits of every number (serde_json's `arbitrary_precision`; an exponent may be
//! rewritten, `1.5e3` as `1.5e+3`). The raw body is kept as it came.

use std::collections::VecDeque;

use serde_json::{Map, Value};

/// The most requests kept; older ones are dropped first.
pub const MAX_RECORDED: usize = 10_000;

/// One request as the portal received it, and what it decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The request path without the fault prefix and the query, e.g. `/api/amp/hos/pushMsg`.
    pub path: String,
    /// The raw body, as text (lossy when it was not UTF-8).
    pub body: String,
    /// The body as a JSON object, when it was one (even when check 1 then failed).
    pub envelope: Option<Map<String, Value>>,
    /// The decrypted business data, when the request passed checks 1 to 6.
    pub data: Option<Value>,
    /// The `respCode` the checks and the business layer decided (`000000`, `000105`,
    /// `404404`, `-8`, `010010`, `000102`, `000101`), before any fault reshaped the wire answer;
    /// empty when the checks did not run (a malformed `/_fault/` prefix).
    pub resp_code: String,
    /// The business `code` of a `000000` answer.
    pub code: Option<i64>,
    /// The fault prefix of the URL, as written (`slow=3000`, `badsign/_fault/closeidle`), when
    /// there was one.
    pub fault: Option<String>,
}

/// A bounded list of [`Received`], oldest first.
#[derive(Debug, Default)]
pub struct Recorder {
    entries: VecDeque<Received>,
}

impl Recorder {
    /// Adds an entry, dropping the oldest beyond [`MAX_RECORDED`].
    pub fn push(&mut self, entry: Received) {
        if self.entries.len() >= MAX_RECORDED {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// A copy of the entries, oldest first.
    pub fn snapshot(&self) -> Vec<Received> {
        self.entries.iter().cloned().collect()
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// A library JSON value as a `serde_json` value.
pub fn to_serde(value: &onetrans::json::Value) -> Value {
    use onetrans::json::Value as J;
    match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => serde_json::from_str::<serde_json::Number>(n.as_str())
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(n.as_str().to_owned())),
        J::String(s) => Value::String(s.clone()),
        J::Array(items) => Value::Array(items.iter().map(to_serde).collect()),
        J::Object(map) => Value::Object(to_serde_map(map)),
    }
}

/// A library JSON object as a `serde_json` map.
pub fn to_serde_map(map: &onetrans::json::Map) -> Map<String, Value> {
    map.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_keeping_order_and_digits() {
        let text =
            r#"{"z":1,"a":12.50,"big":12345678901234567890,"s":"周","n":null,"t":[true,{}]}"#;
        let value = onetrans::json::parse(text).unwrap();
        assert_eq!(serde_json::to_string(&to_serde(&value)).unwrap(), text);
    }
}
