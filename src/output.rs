//! The output JSON (spec section 6) and the buffer rules (spec section 8).

use crate::json::{Map, Value};

use crate::error::{codes, Error, ErrorKind};
use crate::json;
use crate::protocol::Answer;

/// The output of a verified answer:
/// `{"code":..,"data":..,"extra":..,"message":..,"orgId":..}`.
pub fn success(answer: &Answer) -> String {
    // Written member by member (the same bytes as the compact JSON of that object), so that the
    // business data is not cloned into a temporary object first.
    let mut out = String::with_capacity(64);
    let member = |out: &mut String, prefix: &str, value: &Value| {
        out.push_str(prefix);
        match value {
            Value::Null => out.push_str("\"\""),
            other => json::write_compact(out, other),
        }
    };
    out.push_str("{\"code\":");
    json::write_compact(&mut out, &answer.code);
    out.push_str(",\"data\":");
    match &answer.data {
        Some(data) => json::write_compact(&mut out, data),
        None => out.push_str("null"),
    }
    member(&mut out, ",\"extra\":", &answer.extra);
    member(&mut out, ",\"message\":", &answer.message);
    member(&mut out, ",\"orgId\":", &answer.org_id);
    out.push('}');
    out
}

/// The output of a failed call:
/// `{"code":-1,"data":null,"extra":"","message":..,"orgId":..,"respCode":..}`.
pub fn failure(error: &Error, org_id: Option<&str>) -> String {
    let mut out = Map::with_capacity(6);
    out.insert("code".into(), Value::from(-1));
    out.insert("data".into(), Value::Null);
    out.insert("extra".into(), Value::String(String::new()));
    out.insert("message".into(), Value::String(error.message.clone()));
    out.insert("orgId".into(), org_id.unwrap_or("").into());
    out.insert("respCode".into(), error.code().into());
    json::compact(&Value::Object(out))
}

/// What to write into a caller's buffer of `capacity` units (bytes, or UTF-16 units for the
/// wide interface), NUL terminator included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted<T> {
    /// The units to write, NUL included; never longer than the capacity.
    pub units: Vec<T>,
    /// The units the full output needs, NUL included.
    pub needed: usize,
    /// `true` when the full output did not fit and `units` holds the `000106` notice instead.
    pub truncated: bool,
}

/// Fits an encoded output into `capacity` units (spec section 8). `encode` turns output text
/// into the caller's units without the NUL. When the output does not fit, the result is a
/// `000106` failure output saying how much was needed, if that fits; otherwise an empty string
/// (just the NUL), or nothing at all for a capacity of zero.
pub fn fit<T: Copy + Default>(
    text: &str,
    capacity: usize,
    org_id: Option<&str>,
    encode: impl Fn(&str) -> Vec<T>,
) -> Fitted<T> {
    let mut units = encode(text);
    units.push(T::default());
    let needed = units.len();
    if needed <= capacity {
        return Fitted {
            units,
            needed,
            truncated: false,
        };
    }
    let notice = Error::new(
        ErrorKind::BufferTooSmall,
        format!(
            "出参缓冲区太小：需要 {needed} 个单位（含结尾 0），只有 {capacity} 个；请加大 pOutData 缓冲区（并设置 outBufSize），或使用 MobileTransEx 先取所需长度 (output buffer too small: {needed} needed, {capacity} available)"
        ),
    );
    let mut notice_units = encode(&failure(&notice, org_id));
    notice_units.push(T::default());
    let units = if notice_units.len() <= capacity {
        notice_units
    } else if capacity > 0 {
        vec![T::default()]
    } else {
        Vec::new()
    };
    Fitted {
        units,
        needed,
        truncated: true,
    }
}

/// The return code of a fitted output: `000106` when truncated.
pub fn code_after_fit<'a, T>(code: &'a str, fitted: &Fitted<T>) -> &'a str {
    if fitted.truncated {
        codes::BUFFER_TOO_SMALL
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    #[test]
    fn fits_when_room() {
        let f = fit("{}", 3, None, bytes);
        assert_eq!(f.units, b"{}\0");
        assert_eq!((f.needed, f.truncated), (3, false));
    }

    #[test]
    fn too_small_gets_notice_or_empty_string() {
        let big = "x".repeat(10_000);
        let f = fit(&big, 4096, Some("H1"), bytes);
        assert!(f.truncated);
        assert_eq!(f.needed, 10_001);
        assert!(f.units.len() <= 4096);
        let text = std::str::from_utf8(&f.units[..f.units.len() - 1]).unwrap();
        assert!(
            text.contains("\"respCode\":\"000106\"") && text.contains("10001"),
            "{text}"
        );
        assert_eq!(fit(&big, 1, None, bytes).units, vec![0]);
        assert!(fit(&big, 0, None, bytes).units.is_empty());
    }
}
