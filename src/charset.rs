//! The caller's text encoding. Chinese Windows programs pass the ANSI code page (GBK/GB18030),
//! not UTF-8; the wire is always UTF-8. [`decode_input`] is the one place that decides which
//! encoding the caller used, and so the encoding the output goes back in.
//!
//! # `charset=auto`
//!
//! GBK text can be valid UTF-8 by accident: about 2 % of two-character GB2312 names are, such
//! as `叶倩` (`D2B6 D9BB`), which reads as UTF-8 `Ҷٻ`. Every such GB2312 pair is either two
//! two-byte UTF-8 sequences (U+0080..U+07FF: Latin, Greek, Cyrillic, Arabic...) or one
//! four-byte sequence from U+21000 up (CJK Ext. B and planes with nothing assigned), never a
//! character from U+0800 to U+1FFFF, where all common Chinese (and emoji) lie. So the bytes are
//! read as:
//!
//! 1. plain ASCII: ASCII, answered in the platform's default ([`crate::platform`]);
//! 2. valid UTF-8 with a character from U+0800 to U+1FFFF: UTF-8;
//! 3. other valid UTF-8 (all its non-ASCII characters below U+0800 or from U+20000 up) that is
//!    also valid GB18030: **GB18030**;
//! 4. other valid UTF-8: UTF-8;
//! 5. anything else: GB18030, strictly (bad bytes are `000105`).
//!
//! The consequence of rule 3: a UTF-8 caller whose input has accented Latin, Cyrillic, Greek
//! or Arabic letters but no Chinese (`José` alone: `C3 A9` is also the GBK `茅`) is read as
//! GBK. Such callers set `charset = utf-8` or call `MobileTransW`. The decision is made on the
//! whole request, not string by string: `José 周` is UTF-8.
//!
//! A UTF-8 byte-order mark (`EF BB BF`, a request saved by Notepad) is skipped and means UTF-8,
//! answered in UTF-8; with `charset = gbk` it is refused, as a UTF-8 text is not GBK.
//!
//! # Only the request is decoded
//!
//! The vendor's own C++ sample copies each request without its NUL into a buffer it reuses, so
//! a short request is followed by the tail of an older, longer one, possibly cut in the middle
//! of a character. The request is the first JSON object ([`crate::json::first_object_len`]
//! finds its end without decoding); only those bytes decide the encoding and are decoded. The
//! tail is never decoded, signed, sent or logged; the first time in a process that a tail is
//! ignored, a warning names its length ([`crate::runtime::note_ignored_tail`]; this module only
//! reports the tail's length, [`Request::ignored_tail`]).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use encoding_rs::GB18030;

use crate::error::Error;

/// The UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The `charset` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CharsetSetting {
    /// UTF-8 or GB18030 as the module documentation says; plain ASCII answers in the
    /// platform's default.
    #[default]
    Auto,
    /// UTF-8 both ways.
    Utf8,
    /// GBK/GB18030 both ways (GB18030 is the superset: every GBK text decodes the same).
    Gbk,
}

impl FromStr for CharsetSetting {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Ok(CharsetSetting::Auto),
            "utf-8" | "utf8" => Ok(CharsetSetting::Utf8),
            "gbk" | "gb18030" | "gb2312" | "936" | "cp936" | "ansi" => Ok(CharsetSetting::Gbk),
            _ => Err(()),
        }
    }
}

/// An encoding the library reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Gb18030,
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Charset::Utf8 => "UTF-8",
            Charset::Gb18030 => "GB18030",
        })
    }
}

/// The caller's request, decoded.
struct Decoded<'a> {
    text: Cow<'a, str>,
    charset: Charset,
    /// How many of the bytes (after a byte-order mark) the request took.
    len: usize,
}

/// The caller's request, decoded, with what was left of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// The request's text: the first JSON object only.
    pub text: Cow<'a, str>,
    /// The encoding of the answer.
    pub charset: Charset,
    /// Bytes after a well-formed request that were ignored and deserve a warning (0 when none,
    /// or when they are only whitespace, or when the request is not JSON, which the parser
    /// refuses anyway).
    pub ignored_tail: usize,
}

/// Decodes the caller's bytes and decides the encoding of the answer. `platform` is the
/// platform's default for plain-ASCII input ([`crate::platform::default_charset`]).
///
/// Only the first JSON object is decoded (see the module documentation); what follows it is
/// dropped here, and its length reported in [`Request::ignored_tail`] for the caller to warn
/// about. Never lossy: bytes of the request that are not valid in the chosen encoding are bad
/// input (`000105`), with the offset of the first bad byte, rather than replaced before
/// signing.
pub fn decode_request(
    bytes: &[u8],
    setting: CharsetSetting,
    platform: Charset,
) -> Result<Request<'_>, Error> {
    let decoded = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => decode_after_bom(rest, setting)?,
        None => match setting {
            CharsetSetting::Utf8 => decode_utf8(request_part(bytes, Charset::Utf8), false)?,
            CharsetSetting::Gbk => decode_gb18030(request_part(bytes, Charset::Gb18030))?,
            CharsetSetting::Auto => decode_auto(bytes, platform)?,
        },
    };
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let ignored_tail = tail_worth_a_warning(&body[decoded.len..], &decoded.text);
    Ok(Request {
        text: decoded.text,
        charset: decoded.charset,
        ignored_tail,
    })
}

/// [`decode_request`] without the tail's length: the text and the answer's encoding.
pub fn decode_input(
    bytes: &[u8],
    setting: CharsetSetting,
    platform: Charset,
) -> Result<(Cow<'_, str>, Charset), Error> {
    decode_request(bytes, setting, platform).map(|r| (r.text, r.charset))
}

/// The bytes of the request: up to the end of the first JSON object when the input starts with
/// one that closes, else all of them (the parser then says what is wrong).
fn request_part(bytes: &[u8], charset: Charset) -> &[u8] {
    let len = match charset {
        Charset::Utf8 => crate::json::first_object_len(bytes, |_| 1),
        Charset::Gb18030 => crate::json::first_object_len(bytes, gb18030_char_len),
    };
    len.map_or(bytes, |n| &bytes[..n])
}

/// The length of the GB18030 character whose first byte (0x80 or more) starts `bytes`, for
/// finding the end of the request only (validity is checked when decoding): a lead byte
/// 0x81..=0xFE takes one more byte, or three more when the next is a digit (four-byte form);
/// 0x80 and 0xFF are single bytes.
fn gb18030_char_len(bytes: &[u8]) -> usize {
    let len = match bytes {
        [0x81..=0xFE, b'0'..=b'9', ..] => 4,
        [0x81..=0xFE, ..] => 2,
        _ => 1,
    };
    len.min(bytes.len())
}

/// The length of the bytes after a well-formed request, when they deserve a warning; else 0.
/// Whitespace after the request (jsoncpp ends its text with a newline) is not worth a warning;
/// nor is a tail after a request that is not JSON, which the parser refuses anyway.
fn tail_worth_a_warning(tail: &[u8], request: &str) -> usize {
    let blank = tail.iter().all(|b| b" \t\n\r".contains(b));
    if !blank && crate::json::parse(request).is_ok() {
        tail.len()
    } else {
        0
    }
}

/// After a UTF-8 byte-order mark: UTF-8 whatever `auto` would guess, answered in UTF-8.
fn decode_after_bom(bytes: &[u8], setting: CharsetSetting) -> Result<Decoded<'_>, Error> {
    if setting == CharsetSetting::Gbk {
        return Err(Error::bad_input(
            "入参以 UTF-8 的 BOM（EF BB BF）开头，但 charset=gbk：请以 GBK（ANSI）编码传入，或设置 charset=auto 或 utf-8 (input starts with a UTF-8 byte-order mark but charset=gbk)",
        ));
    }
    decode_utf8(request_part(bytes, Charset::Utf8), true)
}

/// `charset=auto`: the rules of the module documentation.
fn decode_auto(bytes: &[u8], platform: Charset) -> Result<Decoded<'_>, Error> {
    let part = request_part(bytes, Charset::Utf8);
    let Ok(text) = std::str::from_utf8(part) else {
        return decode_gb18030(request_part(bytes, Charset::Gb18030));
    };
    let charset = if text.is_ascii() {
        platform
    } else if has_chinese_range_character(text) {
        Charset::Utf8
    } else {
        let part = request_part(bytes, Charset::Gb18030);
        if let Some(text) = strict_gb18030(part) {
            return Ok(Decoded {
                text,
                charset: Charset::Gb18030,
                len: part.len(),
            });
        }
        Charset::Utf8
    };
    Ok(Decoded {
        text: Cow::Borrowed(text),
        charset,
        len: part.len(),
    })
}

/// Whether the text has a character from U+0800 to U+1FFFF: three-byte UTF-8 (where all
/// common Chinese lies) or the supplementary plane of emoji. Accidental UTF-8 made of GB2312
/// pairs never has one.
fn has_chinese_range_character(text: &str) -> bool {
    text.chars().any(|c| ('\u{800}'..='\u{1FFFF}').contains(&c))
}

/// Strict UTF-8, for `charset=utf-8` or after a byte-order mark (`bom`: offsets in the message
/// then count the mark too).
fn decode_utf8(bytes: &[u8], bom: bool) -> Result<Decoded<'_>, Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Decoded {
            text: Cow::Borrowed(text),
            charset: Charset::Utf8,
            len: bytes.len(),
        }),
        Err(e) if bom => {
            let at = UTF8_BOM.len() + e.valid_up_to();
            Err(Error::bad_input(format!(
                "入参以 UTF-8 的 BOM 开头，但第 {at} 字节起不是合法的 UTF-8：请去掉 BOM 或整体另存为 UTF-8 (input starts with a UTF-8 byte-order mark but is not valid UTF-8 at byte {at})"
            )))
        }
        Err(e) => Err(Error::bad_input(format!(
            "入参第 {} 字节起不是合法的 UTF-8（charset=utf-8）；GBK 程序请设置 charset=gbk 或 auto (input is not valid UTF-8 at byte {})",
            e.valid_up_to(),
            e.valid_up_to()
        ))),
    }
}

fn strict_gb18030(bytes: &[u8]) -> Option<Cow<'_, str>> {
    GB18030.decode_without_bom_handling_and_without_replacement(bytes)
}

fn decode_gb18030(bytes: &[u8]) -> Result<Decoded<'_>, Error> {
    match strict_gb18030(bytes) {
        Some(text) => Ok(Decoded {
            text,
            charset: Charset::Gb18030,
            len: bytes.len(),
        }),
        None => {
            let offset = first_bad_gb18030_byte(bytes);
            Err(Error::bad_input(format!(
                "入参既不是合法的 UTF-8 也不是合法的 GBK/GB18030（第 {offset} 字节附近），请检查程序传入的字符串编码 (input is neither valid UTF-8 nor GB18030 near byte {offset})"
            )))
        }
    }
}

/// The offset where strict GB18030 decoding first fails (for the error message only).
fn first_bad_gb18030_byte(bytes: &[u8]) -> usize {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3 + 16);
    let (_, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match read {
        // `read` counts the malformed sequence too; point at its start when possible.
        n if n > 0 => n - 1,
        _ => 0,
    }
}

/// The bytes read leniently, only to find the request's own `charset` member when the
/// configured rule cannot decode them (see `crate::entry`); never signed, sent or logged.
///
/// GB18030 with replacement: its decoder never takes an ASCII byte into a multi-byte character
/// (WHATWG Encoding: an ASCII byte after a lead byte is an error and is read again), so the JSON
/// structure and every ASCII member and value survive, whatever the text's real encoding.
pub fn decode_leniently(bytes: &[u8]) -> Cow<'_, str> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    GB18030.decode_without_bom_handling(body).0
}

/// The encoding a setting answers in: `auto` answers in `platform`'s (for an output that has
/// no decoded request to go by).
pub fn answer_charset(setting: CharsetSetting, platform: Charset) -> Charset {
    match setting {
        CharsetSetting::Utf8 => Charset::Utf8,
        CharsetSetting::Gbk => Charset::Gb18030,
        CharsetSetting::Auto => platform,
    }
}

/// Encodes output text for the caller (without the NUL terminator).
pub fn encode_output(text: &str, charset: Charset) -> Vec<u8> {
    match charset {
        Charset::Utf8 => text.as_bytes().to_vec(),
        // GB18030 maps every Unicode scalar value, so this never substitutes.
        Charset::Gb18030 => GB18030.encode(text).0.into_owned(),
    }
}

/// Decodes UTF-16 from the wide interface; unpaired surrogates are bad input.
pub fn decode_utf16(units: &[u16]) -> Result<String, Error> {
    String::from_utf16(units).map_err(|_| {
        Error::bad_input(
            "入参包含不成对的 UTF-16 代理项，请检查字符串 (input has an unpaired UTF-16 surrogate)",
        )
    })
}

/// Encodes output text as UTF-16 (without the NUL terminator).
pub fn encode_utf16(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME_GBK: &[u8] = &[0xD6, 0xDC, 0xB4, 0xF3, 0xC5, 0xF4]; // 周大鹏

    #[test]
    fn auto_reads_utf8_and_gbk() {
        let (text, cs) =
            decode_input("周大鹏".as_bytes(), CharsetSetting::Auto, Charset::Utf8).unwrap();
        assert_eq!((text.as_ref(), cs), ("周大鹏", Charset::Utf8));
        let (text, cs) = decode_input(NAME_GBK, CharsetSetting::Auto, Charset::Utf8).unwrap();
        assert_eq!((text.as_ref(), cs), ("周大鹏", Charset::Gb18030));
        assert_eq!(encode_output("周大鹏", Charset::Gb18030), NAME_GBK);
    }

    #[test]
    fn ascii_answers_in_platform_default() {
        let (_, cs) = decode_input(b"{}", CharsetSetting::Auto, Charset::Gb18030).unwrap();
        assert_eq!(cs, Charset::Gb18030);
        let (_, cs) = decode_input(b"{}", CharsetSetting::Auto, Charset::Utf8).unwrap();
        assert_eq!(cs, Charset::Utf8);
    }

    #[test]
    fn forced_settings_are_strict() {
        assert!(decode_input(NAME_GBK, CharsetSetting::Utf8, Charset::Utf8).is_err());
        let (t, cs) = decode_input(NAME_GBK, CharsetSetting::Gbk, Charset::Utf8).unwrap();
        assert_eq!((t.as_ref(), cs), ("周大鹏", Charset::Gb18030));
        // A lone lead byte at the end is malformed GB18030.
        let err = decode_input(&[b'{', 0x81], CharsetSetting::Gbk, Charset::Utf8).unwrap_err();
        assert_eq!(err.code(), "000105");
    }

    #[test]
    fn gb18030_four_byte_and_round_trip() {
        // U+20000 (CJK Ext. B) is a four-byte GB18030 sequence, outside GBK.
        let text = "𠀀 é €";
        let bytes = encode_output(text, Charset::Gb18030);
        let (back, _) = decode_input(&bytes, CharsetSetting::Gbk, Charset::Utf8).unwrap();
        assert_eq!(back, text);
    }

    /// Every GB2312 hanzi (lead 0xB0–0xF7, trail 0xA1–0xFE, without the unassigned D7FA–D7FE).
    fn gb2312_hanzi() -> Vec<[u8; 2]> {
        (0xB0..=0xF7u8)
            .flat_map(|lead| (0xA1..=0xFEu8).map(move |trail| [lead, trail]))
            .filter(|&[lead, trail]| !(lead == 0xD7 && trail >= 0xFA))
            .collect()
    }

    #[test]
    fn every_gb2312_pair_that_is_valid_utf8_is_read_as_gb18030() {
        let hanzi = gb2312_hanzi();
        assert_eq!(hanzi.len(), 6763);
        let mut cases = 0;
        let mut input = br#"{"data":{"patientName":"????"}}"#.to_vec();
        let at = input.iter().position(|&b| b == b'?').unwrap();
        for first in &hanzi {
            // Only these leads can start a valid UTF-8 sequence with a GB2312 trail byte.
            if !(0xC2..=0xDF).contains(&first[0]) && !(0xF0..=0xF3).contains(&first[0]) {
                continue;
            }
            for second in &hanzi {
                let pair = [first[0], first[1], second[0], second[1]];
                if std::str::from_utf8(&pair).is_err() {
                    continue;
                }
                cases += 1;
                input[at..at + 4].copy_from_slice(&pair);
                let (text, cs) = decode_input(&input, CharsetSetting::Auto, Charset::Utf8)
                    .unwrap_or_else(|e| panic!("{pair:02X?}: {}", e.message));
                let expected = GB18030.decode_without_bom_handling(&pair).0;
                assert_eq!(cs, Charset::Gb18030, "{pair:02X?} ({expected})");
                assert_eq!(&text[at..text.len() - 3], expected, "{pair:02X?}");
            }
        }
        // 864,900 pairs of two two-byte UTF-8 sequences (U+0080..U+07FF), and 61,504 whose
        // four bytes are one four-byte sequence (U+21000 and up: CJK Ext. B and unassigned
        // planes).
        assert_eq!(cases, 864_900 + 61_504);
    }

    #[test]
    fn genuine_utf8_stays_utf8() {
        for text in [
            "买买提·艾力",
            "José 周",
            "周大鹏",
            "😀",
            "Ünïcödé ∑",
            "𠀀周",
        ] {
            let input = format!(r#"{{"name":"{text}"}}"#);
            let (out, cs) =
                decode_input(input.as_bytes(), CharsetSetting::Auto, Charset::Gb18030).unwrap();
            assert_eq!(
                (out.as_ref(), cs),
                (input.as_str(), Charset::Utf8),
                "{text}"
            );
        }
        // Plain ASCII answers in the platform's default, as before.
        let (_, cs) =
            decode_input(br#"{"n":"Zhou"}"#, CharsetSetting::Auto, Charset::Utf8).unwrap();
        assert_eq!(cs, Charset::Utf8);
    }

    #[test]
    fn latin_only_utf8_that_is_also_gb18030_is_read_as_gb18030() {
        // The documented consequence of the rule: "José" alone (é = C3 A9) is also the GBK
        // text "Jos茅". Such callers set charset=utf-8 or use MobileTransW.
        let (text, cs) =
            decode_input("José".as_bytes(), CharsetSetting::Auto, Charset::Utf8).unwrap();
        assert_eq!((text.as_ref(), cs), ("Jos茅", Charset::Gb18030));
        let (text, cs) =
            decode_input("José".as_bytes(), CharsetSetting::Utf8, Charset::Utf8).unwrap();
        assert_eq!((text.as_ref(), cs), ("José", Charset::Utf8));
        // Every two-byte UTF-8 sequence is also a GBK pair, so Latin, Cyrillic, Greek... text
        // without a character from U+0800 up is read as GBK whenever it is valid GB18030.
        let cyrillic = "Пётр"; // D0 9F D1 91 D1 82 D1 80
        let (_, cs) =
            decode_input(cyrillic.as_bytes(), CharsetSetting::Auto, Charset::Utf8).unwrap();
        assert_eq!(
            cs,
            Charset::Gb18030,
            "Cyrillic-only UTF-8 that is valid GBK is read as GBK"
        );
    }

    #[test]
    fn only_the_first_object_is_decoded() {
        // A GBK request followed by the tail of an older one cut after a lead byte, and a
        // character whose trail byte is `\\` (0x5C) or `}` (0x7D) inside the request.
        let backslash = GB18030.decode_without_bom_handling(&[0x81, 0x5C]).0;
        let brace = GB18030.decode_without_bom_handling(&[0x81, 0x7D]).0;
        let request = format!(r#"{{"n":"周{backslash}{brace}"}}"#);
        let mut bytes = encode_output(&request, Charset::Gb18030);
        assert!(bytes.windows(2).any(|w| w == [0x81, 0x5C]));
        bytes.extend_from_slice(&[b'\n', 0xB4, 0xF3, b'"', b'}', 0xC5]);
        for setting in [CharsetSetting::Auto, CharsetSetting::Gbk] {
            let (text, cs) = decode_input(&bytes, setting, Charset::Utf8).unwrap();
            assert_eq!((text.as_ref(), cs), (request.as_str(), Charset::Gb18030));
        }
        // UTF-8, cut in the middle of a character.
        let mut bytes = r#"{"n":"周"}"#.as_bytes().to_vec();
        bytes.extend_from_slice(&"大鹏".as_bytes()[1..]);
        for setting in [CharsetSetting::Auto, CharsetSetting::Utf8] {
            let (text, cs) = decode_input(&bytes, setting, Charset::Gb18030).unwrap();
            assert_eq!((text.as_ref(), cs), (r#"{"n":"周"}"#, Charset::Utf8));
        }
        // The tail does not take part in the decision: an ASCII request after which comes
        // GBK answers in the platform's default.
        let (text, cs) = decode_input(b"{} \xD6\xDC", CharsetSetting::Auto, Charset::Utf8).unwrap();
        assert_eq!((text.as_ref(), cs), ("{}", Charset::Utf8));
        // Bad bytes inside the request are still refused, with their offset.
        let err =
            decode_input(b"{\"n\":\"\xFF\"} x", CharsetSetting::Auto, Charset::Utf8).unwrap_err();
        assert!(err.message.contains("第 6 字节"), "{}", err.message);
        // No complete object: everything is decoded, as before.
        let err = decode_input(b"{\"n\":\"\xFF", CharsetSetting::Auto, Charset::Utf8).unwrap_err();
        assert_eq!(err.code(), "000105");
    }

    #[test]
    fn a_utf8_bom_means_utf8() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice(r#"{"n":"José"}"#.as_bytes());
        for setting in [CharsetSetting::Auto, CharsetSetting::Utf8] {
            let (text, cs) = decode_input(&bytes, setting, Charset::Gb18030).unwrap();
            // Not GBK despite rule 3: the mark says UTF-8, and the answer is UTF-8 too.
            assert_eq!((text.as_ref(), cs), (r#"{"n":"José"}"#, Charset::Utf8));
        }
        let err = decode_input(&bytes, CharsetSetting::Gbk, Charset::Gb18030).unwrap_err();
        assert!(err.message.contains("BOM"), "{}", err.message);
        bytes.push(0xFF);
        bytes.extend_from_slice(b"{");
        let (text, _) = decode_input(&bytes, CharsetSetting::Auto, Charset::Utf8).unwrap();
        assert_eq!(
            text, r#"{"n":"José"}"#,
            "a bad tail after the mark is ignored too"
        );
        let err =
            decode_input(b"\xEF\xBB\xBF{\xFF}", CharsetSetting::Auto, Charset::Utf8).unwrap_err();
        assert!(err.message.contains("第 4 字节"), "{}", err.message);
    }

    #[test]
    fn settings_parse() {
        assert_eq!("UTF-8".parse(), Ok(CharsetSetting::Utf8));
        assert_eq!("gb18030".parse(), Ok(CharsetSetting::Gbk));
        assert_eq!(" Auto ".parse(), Ok(CharsetSetting::Auto));
        assert_eq!("latin1".parse::<CharsetSetting>(), Err(()));
        assert!(decode_utf16(&[0xD800]).is_err());
    }
}
