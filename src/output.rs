//! The output JSON (spec section 6) and the buffer rules (spec section 8).

use crate::json::{Map, Value};

use crate::error::{codes, Error};
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
    failure_json(error.code(), &error.message, org_id)
}

fn failure_json(code: &str, message: &str, org_id: Option<&str>) -> String {
    let mut out = Map::with_capacity(6);
    out.insert("code".into(), Value::from(-1));
    out.insert("data".into(), Value::Null);
    out.insert("extra".into(), Value::String(String::new()));
    out.insert("message".into(), Value::String(message.to_owned()));
    out.insert("orgId".into(), org_id.unwrap_or("").into());
    out.insert("respCode".into(), code.into());
    json::compact(&Value::Object(out))
}

/// The `message`, `orgId` and `respCode` of a failure output made by [`failure`].
pub(crate) fn failure_parts(output: &str) -> Option<(String, String, String)> {
    let value = json::parse(output).ok()?;
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    Some((text("message")?, text("orgId")?, text("respCode")?))
}

/// The units of a caller's buffer, for the `000106` notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// The narrow interface: bytes; recovery with `OneTransLastOutput`.
    Bytes,
    /// The wide interface: UTF-16 units; recovery with `OneTransLastOutputW`.
    Utf16,
}

/// What to write into a caller's buffer of `capacity` units (bytes, or UTF-16 units for the
/// wide interface), NUL terminator included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted<T> {
    /// The units to write, NUL included; never longer than the capacity.
    pub units: Vec<T>,
    /// The units the full output needs, NUL included.
    pub needed: usize,
    /// `true` when the full output did not fit: `units` then holds the failure with its message
    /// shortened, or the `000106` notice for a success, or just the NUL (nothing for a capacity
    /// of zero).
    pub truncated: bool,
}

/// Fits the output of a call that returned `code` into `capacity` units (spec section 8, with
/// the rule of `docs/DECISIONS.md`: a `000106` never hides a failure). `encode` turns output
/// text into the caller's units without the NUL.
///
/// * The whole output when it fits.
/// * A failure (any code but `000000`) that does not fit keeps its code: its JSON is written
///   with the message shortened at a character boundary, ending in `…`; if even an empty
///   message does not fit, just the NUL.
/// * A success that does not fit becomes the `000106` notice (see [`code_after_fit`]), itself
///   shortened the same way: the portal answered, the answer verified, the output was kept
///   for `OneTransLastOutput`.
pub fn fit<T: Copy + Default>(
    code: &str,
    text: &str,
    capacity: usize,
    org_id: Option<&str>,
    units: Units,
    encode: impl Fn(&str) -> Vec<T>,
) -> Fitted<T> {
    let mut full = encode(text);
    full.push(T::default());
    let needed = full.len();
    if needed <= capacity {
        return Fitted {
            units: full,
            needed,
            truncated: false,
        };
    }
    let units = if code == codes::SUCCESS {
        let notice = notice_message(needed, capacity, units);
        fit_failure(codes::BUFFER_TOO_SMALL, &notice, org_id, capacity, &encode)
    } else {
        match failure_parts(text) {
            Some((message, org, resp_code)) => {
                fit_failure(&resp_code, &message, Some(&org), capacity, &encode)
            }
            None => just_nul(capacity),
        }
    };
    Fitted {
        units,
        needed,
        truncated: true,
    }
}

/// The `000106` notice's message. It names the recovery call only: calling `MobileTrans` again
/// would send the request again.
fn notice_message(needed: usize, capacity: usize, units: Units) -> String {
    let (unit_zh, unit_en, call, recover) = match units {
        Units::Bytes => ("字节", "bytes", "MobileTrans", "OneTransLastOutput"),
        Units::Utf16 => (
            "个 UTF-16 单位",
            "UTF-16 units",
            "MobileTransW",
            "OneTransLastOutputW",
        ),
    };
    format!(
        "出参缓冲区太小：需要 {needed} {unit_zh}（含结尾 0），只有 {capacity}。门户已应答且验签通过，完整出参已保存：请在本线程立即调用 {recover} 取回；不要再次调用 {call}（会再次发送请求） (output buffer too small: {needed} {unit_en} needed, {capacity} available. The portal answered and the answer verified; the full output was kept: fetch it with {recover} on this same thread. Do not call {call} again: that would send the request again)"
    )
}

/// The failure JSON for `code`, with `message` shortened at a character boundary (so that no
/// GB18030 or UTF-8 sequence and no UTF-16 surrogate pair is ever split) until it fits
/// `capacity` units with its NUL. Just the NUL when even an empty message does not fit; nothing
/// for a capacity of zero.
fn fit_failure<T: Copy + Default>(
    code: &str,
    message: &str,
    org_id: Option<&str>,
    capacity: usize,
    encode: &impl Fn(&str) -> Vec<T>,
) -> Vec<T> {
    let build = |message: &str| {
        let mut units = encode(&failure_json(code, message, org_id));
        units.push(T::default());
        Some(units).filter(|u| u.len() <= capacity)
    };
    if let Some(whole) = build(message) {
        return whole;
    }
    // Every character takes at least one unit, so a prefix of more than `capacity` characters
    // never fits: the search stays proportional to the capacity, not to the message.
    let ends: Vec<usize> = message
        .char_indices()
        .map(|(i, _)| i)
        .skip(1)
        .take(capacity)
        .collect();
    let cut = |k: usize| format!("{}…", &message[..if k == 0 { 0 } else { ends[k - 1] }]);
    // The longest prefix of k characters (0 <= k <= ends.len()) that fits with the ellipsis.
    let (mut lo, mut hi) = (0usize, ends.len());
    if build(&cut(0)).is_none() {
        return build("").unwrap_or_else(|| just_nul(capacity));
    }
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if build(&cut(mid)).is_some() {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    build(&cut(lo)).unwrap_or_else(|| just_nul(capacity))
}

/// An empty string (just the NUL), or nothing for a capacity of zero.
fn just_nul<T: Default>(capacity: usize) -> Vec<T> {
    if capacity > 0 {
        vec![T::default()]
    } else {
        Vec::new()
    }
}

/// The return code of a fitted output: `000106` for a verified success that did not fit, the
/// call's own code otherwise (a failure is shortened, never turned into `000106`).
pub fn code_after_fit<'a, T>(code: &'a str, fitted: &Fitted<T>) -> &'a str {
    if fitted.truncated && code == codes::SUCCESS {
        codes::BUFFER_TOO_SMALL
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn bytes(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    fn gb18030(s: &str) -> Vec<u8> {
        encoding_rs::GB18030.encode(s).0.into_owned()
    }

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn fits_when_room() {
        let f = fit("000000", "{}", 3, None, Units::Bytes, bytes);
        assert_eq!(f.units, b"{}\0");
        assert_eq!((f.needed, f.truncated), (3, false));
    }

    #[test]
    fn a_success_too_big_gets_the_notice_or_an_empty_string() {
        let big = "x".repeat(10_000);
        let f = fit("000000", &big, 4096, Some("H1"), Units::Bytes, bytes);
        assert!(f.truncated);
        assert_eq!(code_after_fit("000000", &f), "000106");
        assert_eq!(f.needed, 10_001);
        assert!(f.units.len() <= 4096);
        let text = std::str::from_utf8(&f.units[..f.units.len() - 1]).unwrap();
        assert!(
            text.contains("\"respCode\":\"000106\"")
                && text.contains("10001")
                && text.contains("OneTransLastOutput")
                && !text.contains("MobileTransEx"),
            "{text}"
        );
        let f = fit("000000", &big, 4096, None, Units::Utf16, utf16);
        let text = String::from_utf16(&f.units[..f.units.len() - 1]).unwrap();
        assert!(text.contains("OneTransLastOutputW"), "{text}");
        let f = fit("000000", &big, 1, None, Units::Bytes, bytes);
        assert_eq!(
            (&f.units[..], code_after_fit("000000", &f)),
            (&[0u8][..], "000106")
        );
        assert!(fit("000000", &big, 0, None, Units::Bytes, bytes)
            .units
            .is_empty());
    }

    /// Every capacity from 0 to the full size, in UTF-8, GB18030 and UTF-16, with characters of
    /// 1 to 4 bytes, a surrogate pair and JSON escapes in the message.
    #[test]
    fn a_failure_too_big_keeps_its_code_and_is_cut_at_a_character_boundary() {
        let message = "门户拒绝：𠀀\"é\\\u{1}周大鹏".repeat(8);
        let error = Error::new(ErrorKind::Rejected("010010".into()), message.clone());
        let output = failure(&error, Some("H1"));
        fn check<T: Copy + Default + PartialEq + std::fmt::Debug>(
            output: &str,
            message: &str,
            encode: impl Fn(&str) -> Vec<T>,
            decode: impl Fn(&[T]) -> Option<String>,
        ) {
            let needed = encode(output).len() + 1;
            let skeleton = encode(&failure_json("010010", "", Some("H1"))).len() + 1;
            for capacity in 0..=needed {
                let f = fit(
                    "010010",
                    output,
                    capacity,
                    Some("H1"),
                    Units::Bytes,
                    &encode,
                );
                assert_eq!(code_after_fit("010010", &f), "010010");
                assert_eq!(f.needed, needed);
                assert!(f.units.len() <= capacity, "capacity {capacity}");
                assert_eq!(f.truncated, capacity < needed);
                if capacity == 0 {
                    assert!(f.units.is_empty());
                    continue;
                }
                assert_eq!(f.units.last(), Some(&T::default()));
                if capacity < skeleton {
                    assert_eq!(f.units.len(), 1, "capacity {capacity}");
                    continue;
                }
                let text = decode(&f.units[..f.units.len() - 1])
                    .unwrap_or_else(|| panic!("capacity {capacity}: a character was split"));
                let (got, org, code) = failure_parts(&text).unwrap();
                assert_eq!((org.as_str(), code.as_str()), ("H1", "010010"));
                let kept = got.strip_suffix('…').unwrap_or(&got);
                assert!(message.starts_with(kept), "capacity {capacity}: {got}");
                // The longest that fits: one more character would not.
                if capacity < needed && kept.len() < message.len() {
                    let next = message[kept.len()..].chars().next().unwrap();
                    let longer = format!("{kept}{next}…");
                    let longer = encode(&failure_json("010010", &longer, Some("H1")));
                    assert!(longer.len() + 1 > capacity, "capacity {capacity}: {got}");
                }
            }
        }
        check(&output, &message, bytes, |u| {
            String::from_utf8(u.to_vec()).ok()
        });
        check(&output, &message, gb18030, |u| {
            encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(u)
                .map(|c| c.into_owned())
        });
        check(&output, &message, utf16, |u| String::from_utf16(u).ok());
    }
}
