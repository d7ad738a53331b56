//! The caller's text encoding. Chinese Windows programs pass the ANSI code page (GBK/GB18030),
//! not UTF-8; the wire is always UTF-8. [`decode_input`] is the one place that decides which
//! encoding the caller used, and so the encoding the output goes back in.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use encoding_rs::GB18030;

use crate::error::Error;

/// The `charset` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CharsetSetting {
    /// Valid UTF-8 is UTF-8, anything else GB18030; plain ASCII answers in the platform's
    /// default.
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

/// Decodes the caller's bytes and decides the encoding of the answer. `platform` is the
/// platform's default for plain-ASCII input ([`crate::platform::default_charset`]).
///
/// Never lossy: bytes that are not valid in the chosen encoding are bad input (`000105`), with
/// the offset of the first bad byte, rather than replaced before signing.
pub fn decode_input(
    bytes: &[u8],
    setting: CharsetSetting,
    platform: Charset,
) -> Result<(Cow<'_, str>, Charset), Error> {
    match setting {
        CharsetSetting::Utf8 => match std::str::from_utf8(bytes) {
            Ok(text) => Ok((Cow::Borrowed(text), Charset::Utf8)),
            Err(e) => Err(Error::bad_input(format!(
                "入参第 {} 字节起不是合法的 UTF-8（charset=utf-8）；GBK 程序请设置 charset=gbk 或 auto (input is not valid UTF-8 at byte {})",
                e.valid_up_to(),
                e.valid_up_to()
            ))),
        },
        CharsetSetting::Gbk => decode_gb18030(bytes).map(|t| (t, Charset::Gb18030)),
        CharsetSetting::Auto => match std::str::from_utf8(bytes) {
            Ok(text) if text.is_ascii() => Ok((Cow::Borrowed(text), platform)),
            Ok(text) => Ok((Cow::Borrowed(text), Charset::Utf8)),
            Err(_) => decode_gb18030(bytes).map(|t| (t, Charset::Gb18030)),
        },
    }
}

fn decode_gb18030(bytes: &[u8]) -> Result<Cow<'_, str>, Error> {
    GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or_else(|| {
            let offset = first_bad_gb18030_byte(bytes);
            Error::bad_input(format!(
                "入参既不是合法的 UTF-8 也不是合法的 GBK/GB18030（第 {offset} 字节附近），请检查程序传入的字符串编码 (input is neither valid UTF-8 nor GB18030 near byte {offset})"
            ))
        })
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

    #[test]
    fn settings_parse() {
        assert_eq!("UTF-8".parse(), Ok(CharsetSetting::Utf8));
        assert_eq!("gb18030".parse(), Ok(CharsetSetting::Gbk));
        assert_eq!(" Auto ".parse(), Ok(CharsetSetting::Auto));
        assert_eq!("latin1".parse::<CharsetSetting>(), Err(()));
        assert!(decode_utf16(&[0xD800]).is_err());
    }
}
