//! A plain JSON codec that keeps what the protocol signs: member order and the exact text of
//! numbers (spec section 2). The sign text's rules (section 4: which members, in what order,
//! numbers as strings) live in [`crate::protocol`], not here.
//!
//! The library reads JSON with its own small parser because the protocol signs the exact text
//! of numbers: `12.50` must stay `12.50` and `1.5e3` must stay `1.5e3`. (serde_json with
//! `arbitrary_precision` keeps digits but rewrites exponents to `1.5e+3`, which breaks the
//! spec's canonical-JSON vector.) Parsing rules, for every JSON the library reads:
//!
//! * RFC 8259 syntax, nothing more (no comments, no trailing commas, no NaN);
//! * member order kept; a number keeps its source text;
//! * a key that appears twice in one object keeps the position of its first appearance and the
//!   value of its last (as Python's `json` and JavaScript's `JSON.parse` do);
//! * nesting deeper than `MAX_DEPTH` (128) is refused (no recursion overflow on hostile input);
//! * `\u0000` and other escapes decode to their characters; unpaired surrogates are refused.
//!
//! [`parse`] refuses anything after the value; `parse_first` reads the first value and leaves
//! the rest to the caller (the caller's input, where the vendor's own sample leaves the tail of
//! an old request behind the JSON: see [`crate::input`]).
//!
//! One writer, `write`, walks a value for every rendering; a `Rendering` chooses an
//! object's members and their order and whether numbers and booleans are quoted:
//! * **compact** ([`compact`]): no whitespace, order and number text as parsed,
//!   strings escaped minimally (`"`, `\` and control characters; no `\u` for non-ASCII, `/`
//!   not escaped);
//! * the sign text's canonical JSON is the other rendering, in [`crate::protocol`];
//! * [`pretty`], indented for people (the command-line tool).

use std::fmt::{self, Write as _};

use indexmap::IndexMap;

/// The deepest nesting of arrays and objects accepted.
pub(crate) const MAX_DEPTH: usize = 128;

/// A JSON object: members in document order.
pub type Map = IndexMap<String, Value>;

/// A JSON number, kept as its source text (already validated against the JSON grammar).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(Box<str>);

impl Number {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value, when the text is an integer that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Number {
        Number(n.to_string().into_boxed_str())
    }
}

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// A member of an object (`None` for other values).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n.into())
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}

/// Compact JSON, as [`compact`].
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&compact(self))
    }
}

// --- parsing ---------------------------------------------------------------------------------

/// Why a text is not JSON: what, and where (1-based line and column, in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub what: &'static str,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "第 {} 行第 {} 列：{} (line {}, column {})",
            self.line, self.column, self.what, self.line, self.column
        )
    }
}

impl std::error::Error for ParseError {}

/// Parses one JSON text (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let (value, end) = parse_first(text)?;
    if !text[end..].trim_start_matches(is_json_ws).is_empty() {
        let mut p = Parser::new(text);
        p.pos = end;
        p.skip_ws();
        return Err(p.error("JSON 之后还有多余内容 / trailing characters after the JSON"));
    }
    Ok(value)
}

/// Parses the first JSON value of a text (leading whitespace allowed) and returns it with the
/// byte offset just after it; what follows is not looked at. The value itself is read with
/// every rule of [`parse`]: a truncated or invalid first value is an error.
pub(crate) fn parse_first(text: &str) -> Result<(Value, usize), ParseError> {
    let mut p = Parser::new(text);
    p.skip_ws();
    let value = p.value(0)?;
    Ok((value, p.pos))
}

/// JSON's whitespace (RFC 8259: space, tab, line feed, carriage return).
pub(crate) fn is_json_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Where the first JSON object of some bytes ends, found without decoding them: the length of
/// the prefix from the start up to and including the `}` that closes an object starting at the
/// first non-whitespace byte. `None` when the bytes do not start with `{` or the object never
/// closes.
///
/// This only finds the extent, so that what follows can be left undecoded (the tail of an old
/// request in a reused buffer may be cut in the middle of a character); the prefix is then
/// decoded and parsed with every rule. `char_len` gives the length of the character starting
/// at a byte of 0x80 or more in the caller's encoding, so that the ASCII-range trail byte of a
/// GBK character (`\`, `{`, `}`...) is not taken for JSON punctuation.
pub(crate) fn first_object_len(bytes: &[u8], char_len: impl Fn(&[u8]) -> usize) -> Option<usize> {
    let mut i = bytes.iter().position(|b| !b" \t\n\r".contains(b))?;
    if bytes[i] != b'{' {
        return None;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    while let Some(&b) = bytes.get(i) {
        if b >= 0x80 {
            i += char_len(&bytes[i..]).max(1);
            continue;
        }
        match (in_string, b) {
            (true, b'\\') => {
                // The escaped character is skipped whole, whatever it is.
                i += 1;
                if let Some(&next) = bytes.get(i) {
                    i += if next >= 0x80 {
                        char_len(&bytes[i..]).max(1)
                    } else {
                        1
                    };
                }
                continue;
            }
            (true, b'"') => in_string = false,
            (false, b'"') => in_string = true,
            (false, b'{' | b'[') => depth += 1,
            (false, b'}' | b']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parses JSON from bytes that must be UTF-8.
pub fn parse_bytes(bytes: &[u8]) -> Result<Value, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let before = &bytes[..e.valid_up_to()];
            let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
            let column =
                1 + String::from_utf8_lossy(before.rsplit(|&b| b == b'\n').next().unwrap_or(&[]))
                    .chars()
                    .count();
            Err(ParseError {
                what: "不是 UTF-8 文本 / not UTF-8",
                line,
                column,
            })
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn error(&self, what: &'static str) -> ParseError {
        let before = &self.text[..floor_char_boundary(self.text, self.pos)];
        let line = 1 + before.matches('\n').count();
        let column = 1 + before.rsplit('\n').next().unwrap_or("").chars().count();
        ParseError { what, line, column }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &str, value: Value) -> Result<Value, ParseError> {
        if self.bytes[self.pos..].starts_with(literal.as_bytes()) {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(self.error("无法识别的值 / unexpected token"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        match self.peek() {
            None => Err(self.error("JSON 不完整 / unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.expect_literal("true", Value::Bool(true)),
            Some(b'f') => self.expect_literal("false", Value::Bool(false)),
            Some(b'n') => self.expect_literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("无法识别的值 / unexpected character")),
        }
    }

    fn enter(&self, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            Err(self.error("嵌套层数超过 128 / nesting deeper than 128"))
        } else {
            Ok(())
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        let mut map = Map::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("此处应为带引号的键名 / expected a quoted key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("键名后应为冒号 / expected ':' after the key"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            // IndexMap keeps the first position and takes the new value.
            map.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.error("此处应为逗号或 } / expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.enter(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("此处应为逗号或 ] / expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("数字格式错误 / invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("小数点后应有数字 / invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("指数部分应有数字 / invalid number"));
            }
        }
        Ok(Value::Number(Number(self.text[start..self.pos].into())))
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain characters at once.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.error("字符串缺少结尾引号 / unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => {
                    return Err(self.error(
                        "字符串中有未转义的控制字符 / unescaped control character in a string",
                    ))
                }
            }
        }
    }

    fn escape(&mut self) -> Result<char, ParseError> {
        let Some(b) = self.peek() else {
            return Err(self.error("字符串缺少结尾引号 / unterminated string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(self.error("不成对的 UTF-16 代理项 / unpaired surrogate"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.error("不成对的 UTF-16 代理项 / unpaired surrogate"));
                        }
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(code).unwrap_or('\u{FFFD}')
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.error("不成对的 UTF-16 代理项 / unpaired surrogate"))
                    }
                    code => char::from_u32(code).unwrap_or('\u{FFFD}'),
                }
            }
            _ => return Err(self.error("无效的转义序列 / invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self.bytes.get(self.pos..self.pos + 4);
        let value = digits.and_then(|d| {
            d.iter().try_fold(0u32, |acc, &c| {
                let v = (c as char).to_digit(16)?;
                Some(acc * 16 + v)
            })
        });
        match value {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.error("\\u 后应为 4 位十六进制 / invalid \\u escape")),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

// --- rendering -------------------------------------------------------------------------------

/// How [`write`] renders objects and scalars. Compact JSON ([`Compact`]) writes what was
/// parsed; the sign text's canonical JSON (`crate::protocol`) leaves members out, sorts them
/// and quotes numbers and booleans. Strings, arrays and the punctuation are the same for every
/// rendering, so they are written in one place.
pub(crate) trait Rendering {
    /// Whether numbers and booleans are written as JSON strings of their text.
    const QUOTES_SCALARS: bool;

    /// Calls `member` for each member of `map` to be written, in the order to write them.
    fn for_each_member<'m>(map: &'m Map, member: impl FnMut(&'m str, &'m Value));
}

/// Compact JSON: every member in document order, numbers as their source text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Compact;

impl Rendering for Compact {
    const QUOTES_SCALARS: bool = false;

    fn for_each_member<'m>(map: &'m Map, mut member: impl FnMut(&'m str, &'m Value)) {
        for (key, value) in map {
            member(key, value);
        }
    }
}

/// Appends `value` to `out`, rendered as `R` says, without whitespace.
pub(crate) fn write<R: Rendering>(out: &mut String, value: &Value) {
    let scalar = |out: &mut String, text: &str| {
        if R::QUOTES_SCALARS {
            out.push('"');
            out.push_str(text);
            out.push('"');
        } else {
            out.push_str(text);
        }
    };
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => scalar(out, if *b { "true" } else { "false" }),
        Value::Number(n) => scalar(out, n.as_str()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write::<R>(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            let mut first = true;
            R::for_each_member(map, |key, item| {
                if !std::mem::take(&mut first) {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write::<R>(out, item);
            });
            out.push('}');
        }
    }
}

/// Compact JSON text of a value, as the wire carries it.
pub fn compact(value: &Value) -> String {
    let mut out = String::new();
    write_compact(&mut out, value);
    out
}

/// Appends the compact JSON of `value` to `out`.
pub(crate) fn write_compact(out: &mut String, value: &Value) {
    write::<Compact>(out, value);
}

/// Indented JSON for people (the command-line tool); same escaping as [`compact`].
pub fn pretty(value: &Value) -> String {
    fn go(out: &mut String, value: &Value, indent: usize) {
        let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
        match value {
            Value::Array(items) if !items.is_empty() => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    pad(out, indent + 2);
                    go(out, item, indent + 2);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push(']');
            }
            Value::Object(map) if !map.is_empty() => {
                out.push_str("{\n");
                for (i, (key, item)) in map.iter().enumerate() {
                    pad(out, indent + 2);
                    write_string(out, key);
                    out.push_str(": ");
                    go(out, item, indent + 2);
                    out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push('}');
            }
            other => write_compact(out, other),
        }
    }
    let mut out = String::new();
    go(&mut out, value, 0);
    out
}

/// A JSON string literal, escaped minimally.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut plain_from = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain_from..i]);
        if escape.is_empty() {
            // Infallible: writing to a String.
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(escape);
        }
        plain_from = i + 1;
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Value {
        parse(text).unwrap()
    }

    #[test]
    fn compact_keeps_order_and_number_text() {
        let text = r#" { "z" : 1, "a":12.50,"big":12345678901234567890,"e":1.5e3,"E":-2E+02,"s":"周/\"\u0001\/" } "#;
        assert_eq!(
            compact(&p(text)),
            "{\"z\":1,\"a\":12.50,\"big\":12345678901234567890,\"e\":1.5e3,\"E\":-2E+02,\"s\":\"周/\\\"\\u0001/\"}"
        );
    }

    #[test]
    fn duplicate_keys_keep_first_position_and_last_value() {
        assert_eq!(compact(&p(r#"{"a":1,"b":2,"a":3}"#)), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(parse(&deep).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let over = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&over).is_err());
    }

    #[test]
    fn escapes_and_surrogates() {
        assert_eq!(
            p(r#""\ud83d\ude00 \u00e9 \u0000""#),
            Value::String("😀 é \0".into())
        );
        assert_eq!(
            compact(&p(r#""\u0000\u001f\b\f""#)),
            r#""\u0000\u001f\b\f""#
        );
        for bad in [
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83dx""#,
            r#""\x""#,
            "\"a\u{1}\"",
            r#""\u12""#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_what_rfc8259_rejects() {
        for bad in [
            "",
            " ",
            "{",
            "}",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "NaN",
            "tru",
            "nul",
            "{a:1}",
            "{\"a\" 1}",
            "[1 2]",
            "1 2",
            "'a'",
            "\"abc",
            "{\"a\":}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        for good in [
            "0", "-0", "-0.0e-0", "1E9", "[]", "{}", "\"\"", "null", " true ",
        ] {
            assert_eq!(compact(&p(good)), good.trim(), "{good:?}");
        }
    }

    #[test]
    fn errors_say_where() {
        let e = parse("{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert_eq!((e.line, e.column), (3, 7));
        let e = parse_bytes(b"{\"a\":\"\xff\"}").unwrap_err();
        assert_eq!((e.line, e.column), (1, 7));
    }

    #[test]
    fn parse_first_reads_one_value_and_leaves_the_rest() {
        let (v, end) = parse_first(" {\"a\":[1,\"}\"]} tail {").unwrap();
        assert_eq!(compact(&v), r#"{"a":[1,"}"]}"#);
        assert_eq!(end, 14);
        for bad in ["", "{\"a\":1", "{\"a\":1,}", "{\"a\" 1} x"] {
            assert!(parse_first(bad).is_err(), "{bad:?}");
        }
        // parse itself still refuses a tail, and allows trailing whitespace.
        assert!(parse("{} x").is_err());
        assert!(parse("{} \r\n").is_ok());
    }

    #[test]
    fn first_object_len_follows_strings_escapes_and_nesting() {
        let one = |_: &[u8]| 1;
        let cases: [(&[u8], Option<usize>); 9] = [
            (b"{}", Some(2)),
            (b"  {\"a\":{\"b\":[1,{}]}}xyz", Some(20)),
            (b"{\"s\":\"}{\\\"}\"}{", Some(13)),
            (b"{\"a\":1", None),
            (b"[{}]", None),
            (b"x{}", None),
            (b"", None),
            (b"{\"s\":\"\\", None),
            (b"{\"\xE5\x91\xA8\":1} \xE5\x91", Some(9)),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                first_object_len(bytes, one),
                expected,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        // A two-byte character whose second byte is `\`, as a GBK trail byte can be: counted
        // as one character, it escapes nothing.
        let gbk_like = b"{\"s\":\"\x81\\\"}tail\"}";
        assert_eq!(first_object_len(gbk_like, |_| 2), Some(10));
        assert_eq!(first_object_len(gbk_like, one), Some(16));
    }

    #[test]
    fn pretty_is_readable_and_equivalent() {
        let v = p(r#"{"a":[1,{"b":"周"}],"c":{},"d":[]}"#);
        let text = pretty(&v);
        assert!(text.contains("\n  \"a\": [\n    1,"), "{text}");
        assert_eq!(p(&text), v);
    }
}
