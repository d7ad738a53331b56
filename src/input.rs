//! The caller's input (spec section 1): one JSON object whose `data` merges the connection
//! settings with the business fields, plus an optional `orgId`.
//!
//! Drop-in leniency for what the vendor's own DLL accepts (issue 10 item 13):
//!
//! * the request is the **first** JSON value, which must be a complete object; anything after
//!   it is ignored: never signed nor sent, and named once per process in a warning
//!   ([`parse_noting_tail`] reports its length; `crate::runtime::note_ignored_tail` warns). The vendor's C++ sample copies each request without its NUL into
//!   a reused buffer, so a short request is followed by the tail of a longer one, and the
//!   vendor's JSON reader (jsoncpp) stops after the first value. A truncated or invalid first
//!   value is still `000105`. (For narrow callers [`crate::charset::decode_input`] has already
//!   cut the tail off before decoding; this covers the wide interface.)
//! * a byte-order mark before the JSON is skipped (for narrow callers the charset module skips
//!   the UTF-8 bytes);
//! * whitespace around `serverAddr` is trimmed, and its scheme is case-insensitive (RFC 3986
//!   section 3.1): `HTTP://` and `Https://` are used as `http://` and `https://`.
//!
//! The per-call connection settings of spec 1.1 section 1 (`connectTimeoutMs`, `readTimeoutMs`,
//! `proxy`, `charset`; issue 15) are split out of `data` like `appKey`, never sent nor signed,
//! and checked by the same rules as their `OneTrans.ini` counterparts ([`parse_millis`],
//! [`crate::url::is_proxy`], [`CharsetSetting`]'s parser): see [`CallSettings`].

use std::time::Duration;

use crate::json::{Map, Value};

use crate::charset::CharsetSetting;
use crate::clock::ChinaTime;
use crate::crypto::AppKey;
use crate::error::Error;
use crate::signing::{CallKeys, SecretText, SignType};
use crate::url::HttpUrl;

/// The keys of `data` that configure the connection; every other member is business data.
/// `clientPrvKey` and `serverPubKey` are the SM2 keys of spec section 11 (1.1): never sent.
pub(crate) const CONNECTION_KEYS: [&str; 9] = [
    "serverAddr",
    "appId",
    "appKey",
    "encryptType",
    "signType",
    "timestamp",
    "version",
    "clientPrvKey",
    "serverPubKey",
];

/// The timeouts' range in milliseconds, the same for `OneTrans.ini` and the input.
pub(crate) const MILLIS_RANGE: std::ops::RangeInclusive<u64> = 1..=600_000;

/// The largest input accepted, in bytes (16 MiB); a larger one is refused as bad input before
/// it is parsed. Business messages of this protocol are a few kilobytes.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// The default `version` (spec section 1).
pub(crate) const DEFAULT_VERSION: &str = "1.0.0";

/// A parsed, validated input.
#[derive(Debug, Clone)]
pub struct CallInput {
    pub server_addr: String,
    pub app_id: String,
    pub app_key: AppKey,
    /// `None` when the caller left it out or empty: the library stamps the current time.
    pub timestamp: Option<String>,
    pub version: String,
    /// `None` when absent or empty.
    pub org_id: Option<String>,
    /// `data` without the connection keys, in the caller's member order.
    pub business: Value,
    /// `signType`: `SM3` (the default) or `SM2`.
    pub sign_type: SignType,
    /// The SM2 keys the caller gave in `data` (spec section 11); the configuration's are used
    /// for those it left out. Never sent, never logged, zeroed when the call ends.
    pub keys: CallKeys,
    /// This call's own connection settings, overriding the configuration's.
    pub settings: CallSettings,
}

/// The connection settings a call may give for itself in `data` (spec 1.1 section 1): each one
/// present overrides the library's configuration (`OneTrans.ini`, `ONETRANS_*`) for this call
/// only; `None` where the input leaves it out (absent, `null` or `""`), so that the
/// configuration's applies. A call cannot switch a configured proxy off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallSettings {
    /// `connectTimeoutMs`.
    pub connect_timeout: Option<Duration>,
    /// `readTimeoutMs`.
    pub read_timeout: Option<Duration>,
    /// `proxy`: `http://[user:password@]host:port`.
    pub proxy: Option<String>,
    /// `charset`: how a narrow (`char*`) call's input was read and its output is written. The
    /// exports decide it from the raw bytes before this parse ([`charset_asked`]); here it is
    /// only checked. The wide interface (UTF-16) has no use for it.
    pub charset: Option<CharsetSetting>,
}

/// Milliseconds for a timeout, from text: an integer in [`MILLIS_RANGE`] (surrounding
/// whitespace allowed). The one rule for `OneTrans.ini`, the environment and the input.
pub(crate) fn parse_millis(text: &str) -> Option<Duration> {
    match text.trim().parse::<u64>() {
        Ok(ms) if MILLIS_RANGE.contains(&ms) => Some(Duration::from_millis(ms)),
        _ => None,
    }
}

/// The `charset` a request's `data` asks for, read from a text that may not be decoded the
/// way the caller meant (only its ASCII structure counts); `None` when it asks for none, or for
/// one that is not valid (the full parse then refuses it, naming the key).
///
/// Cheap for the calls that do not ask: the text is parsed only when it spells `charset` or has
/// a `\u` escape (the only way to write the key otherwise).
pub fn charset_asked(text: &str) -> Option<CharsetSetting> {
    if !text.contains("charset") && !text.contains("\\u") {
        return None;
    }
    let (root, _) = first_value(text).ok()?;
    root.get("data")?.get("charset")?.as_str()?.parse().ok()
}

/// What of the input could be read before a failure, so that failure outputs still echo the
/// caller's `orgId`. An input over [`MAX_INPUT_BYTES`] is not read at all.
pub fn org_id_hint(text: &str) -> Option<String> {
    if text.len() > MAX_INPUT_BYTES {
        return None;
    }
    let (value, _) = first_value(text).ok()?;
    value.get("orgId")?.as_str().map(str::to_owned)
}

/// The first JSON value of the input, after an optional byte-order mark, and the number of
/// bytes after it (0 when they are all whitespace).
fn first_value(text: &str) -> Result<(Value, usize), crate::json::ParseError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let (value, end) = crate::json::parse_first(text)?;
    let rest = &text[end..];
    let ignored = if rest.trim_matches(crate::json::is_json_ws).is_empty() {
        0
    } else {
        rest.len()
    };
    Ok((value, ignored))
}

/// Refuses an input of more than [`MAX_INPUT_BYTES`] bytes. The exports check the caller's
/// bytes with it before decoding them; [`parse`] checks the text again.
pub(crate) fn check_size(len: usize) -> Result<(), Error> {
    if len > MAX_INPUT_BYTES {
        return Err(Error::bad_input(format!(
            "入参过大：{len} 字节，上限 {MAX_INPUT_BYTES} 字节 (input too large: {len} bytes, limit {MAX_INPUT_BYTES})"
        )));
    }
    Ok(())
}

/// Parses and validates the caller's JSON text.
pub fn parse(text: &str) -> Result<CallInput, Error> {
    parse_noting_tail(text).0
}

/// [`parse`], and the number of bytes after the first JSON object that were ignored (0 when
/// none, when they are whitespace, or when the input is not a JSON object), reported also when
/// the object is refused, for the caller's once-per-process warning.
pub(crate) fn parse_noting_tail(text: &str) -> (Result<CallInput, Error>, usize) {
    let mut ignored_tail = 0;
    let parsed = parse_object(text, &mut ignored_tail);
    (parsed, ignored_tail)
}

fn parse_object(text: &str, ignored_tail: &mut usize) -> Result<CallInput, Error> {
    check_size(text.len())?;
    if text.trim_start_matches('\u{FEFF}').trim().is_empty() {
        return Err(Error::bad_input(
            "入参为空，应为 JSON 对象 {\"data\":{...},\"orgId\":\"...\"} (input is empty; expected a JSON object)",
        ));
    }
    let (root, ignored) = first_value(text).map_err(|e| {
        Error::bad_input(format!(
            "入参不是合法的 JSON：{e}，请检查引号、逗号和括号 (input is not valid JSON: {e})"
        ))
    })?;
    let Value::Object(mut root) = root else {
        return Err(Error::bad_input(
            "入参应为 JSON 对象 {\"data\":{...}} (input must be a JSON object)",
        ));
    };
    *ignored_tail = ignored;
    let org_id = match root.get("orgId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(Error::bad_input(format!(
                "orgId 应为字符串，实际为 {} (orgId must be a string)",
                type_name(other)
            )))
        }
    };
    let mut data = match root.shift_remove("data") {
        Some(Value::Object(map)) => map,
        None | Some(Value::Null) => return Err(Error::bad_input(
            "入参缺少 data 对象（连接参数与业务参数都放在 data 里） (input has no \"data\" object)",
        )),
        Some(other) => {
            return Err(Error::bad_input(format!(
                "data 应为 JSON 对象，实际为 {} (\"data\" must be an object)",
                type_name(&other)
            )))
        }
    };
    let settings = take_call_settings(&mut data)?;
    let mut input = split(data, org_id)?;
    input.settings = settings;
    Ok(input)
}

/// Removes the per-call connection settings (`connectTimeoutMs`, `readTimeoutMs`, `proxy`,
/// `charset`) from `data` and checks them; a bad one is bad input (`000105`) naming it. Kept
/// apart from [`CONNECTION_KEYS`]: they are optional and typed.
fn take_call_settings(data: &mut Map) -> Result<CallSettings, Error> {
    let mut take = |key: &str| data.shift_remove(key);
    let connect_timeout = millis_setting("connectTimeoutMs", take("connectTimeoutMs"))?;
    let read_timeout = millis_setting("readTimeoutMs", take("readTimeoutMs"))?;
    let proxy = optional_string("proxy", take("proxy"))?;
    if let Some(proxy) = &proxy {
        if !crate::url::is_proxy(proxy) {
            return Err(Error::bad_input(format!(
                "data 中 proxy \"{proxy}\" 无效，应为 http://[用户:密码@]主机:端口，不用代理请去掉该参数 (proxy in data must be http://[user:password@]host:port)"
            )));
        }
    }
    let charset = match optional_string("charset", take("charset"))? {
        None => None,
        Some(text) => Some(text.parse().map_err(|()| {
            Error::bad_input(format!(
                "data 中 charset \"{text}\" 无效，应为 auto、utf-8 或 gbk (charset in data must be auto, utf-8 or gbk)"
            ))
        })?),
    };
    Ok(CallSettings {
        connect_timeout,
        read_timeout,
        proxy,
        charset,
    })
}

/// A timeout in milliseconds: a JSON integer, or a string of one (for programs that build their
/// JSON from strings), in [`MILLIS_RANGE`]; absent, `null` and `""` are `None`.
fn millis_setting(key: &str, value: Option<Value>) -> Result<Option<Duration>, Error> {
    let text = match &value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Number(n)) => n.as_str(),
        Some(other) => {
            return Err(Error::bad_input(format!(
                "data 中 {key} 应为整数（毫秒），实际为 {} (\"{key}\" must be an integer number of milliseconds)",
                type_name(other)
            )))
        }
    };
    match parse_millis(text) {
        Some(duration) => Ok(Some(duration)),
        None => Err(Error::bad_input(format!(
            "data 中 {key} = {text} 无效，应为 {} 到 {} 之间的整数毫秒数 (\"{key}\" must be whole milliseconds, {}..={})",
            MILLIS_RANGE.start(),
            MILLIS_RANGE.end(),
            MILLIS_RANGE.start(),
            MILLIS_RANGE.end()
        ))),
    }
}

fn split(data: Map, org_id: Option<String>) -> Result<CallInput, Error> {
    let mut conn: [Option<Value>; 9] = Default::default();
    let mut business = Map::with_capacity(data.len());
    for (key, value) in data {
        match CONNECTION_KEYS.iter().position(|k| *k == key) {
            Some(i) => conn[i] = Some(value),
            None => {
                business.insert(key, value);
            }
        }
    }
    let [server_addr, app_id, app_key, encrypt_type, sign_type, timestamp, version, client_prv_key, server_pub_key] =
        conn;

    let server_addr = required_string("serverAddr", server_addr)?;
    let server_addr = normalise_url(&server_addr);
    if server_addr.is_empty() {
        return Err(missing("serverAddr"));
    }
    check_url(&server_addr)?;
    let app_id = required_string("appId", app_id)?;
    if app_id.len() < 16 {
        return Err(Error::bad_input(format!(
            "appId 长度 {} 字节，至少应为 16 字节，请核对门户发放的 appId (appId must be at least 16 bytes, got {})",
            app_id.len(),
            app_id.len()
        )));
    }
    let app_key = AppKey::new(required_string("appKey", app_key)?);
    check_algorithm("encryptType", encrypt_type, "SM4")?;
    let sign_type = parse_sign_type(sign_type)?;
    let keys = CallKeys {
        client_prv_key: optional_secret("clientPrvKey", client_prv_key)?,
        server_pub_key: optional_string("serverPubKey", server_pub_key)?,
    };
    let timestamp = optional_string("timestamp", timestamp)?;
    if let Some(ts) = &timestamp {
        if ChinaTime::parse(ts).is_none() {
            return Err(Error::bad_input(format!(
                "timestamp \"{ts}\" 格式错误，应为 yyyy-MM-dd HH:mm:ss（北京时间），或留空由动态库取当前时间 (timestamp must be yyyy-MM-dd HH:mm:ss in China time, or empty)"
            )));
        }
    }
    let version =
        optional_string("version", version)?.unwrap_or_else(|| DEFAULT_VERSION.to_owned());
    Ok(CallInput {
        server_addr,
        app_id,
        app_key,
        timestamp,
        version,
        org_id,
        business: Value::Object(business),
        sign_type,
        keys,
        settings: CallSettings::default(),
    })
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "布尔值 (boolean)",
        Value::Number(_) => "数字 (number)",
        Value::String(_) => "字符串 (string)",
        Value::Array(_) => "数组 (array)",
        Value::Object(_) => "对象 (object)",
    }
}

fn required_string(key: &str, value: Option<Value>) -> Result<String, Error> {
    optional_string(key, value)?.ok_or_else(|| missing(key))
}

fn missing(key: &str) -> Error {
    Error::bad_input(format!(
        "data 中缺少必填参数 {key}，请按门户发放的参数填写 (required key \"{key}\" is missing from data)"
    ))
}

/// `serverAddr` as the caller meant it: surrounding whitespace (a pasted address often has
/// some, ideographic spaces included) trimmed, and an `http`/`https` scheme in any case written
/// in lower case, as RFC 3986 makes schemes case-insensitive. The rest is left as written.
fn normalise_url(raw: &str) -> String {
    let url = raw.trim();
    match url.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            format!("{}://{rest}", scheme.to_ascii_lowercase())
        }
        _ => url.to_owned(),
    }
}

/// A string member; absent, `null` and `""` are all `None`.
fn optional_string(key: &str, value: Option<Value>) -> Result<Option<String>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Error::bad_input(format!(
            "{key} 应为字符串，实际为 {} (\"{key}\" must be a string)",
            type_name(&other)
        ))),
    }
}

fn check_algorithm(key: &str, value: Option<Value>, only: &str) -> Result<(), Error> {
    match optional_string(key, value)? {
        None => Ok(()),
        Some(v) if v.eq_ignore_ascii_case(only) => Ok(()),
        Some(v) => Err(Error::bad_input(format!(
            "{key} \"{v}\" 不支持，只支持 {only} (unsupported {key} \"{v}\"; only {only})"
        ))),
    }
}

/// `signType`: `SM3` (also when absent or empty) or `SM2`, in any case.
fn parse_sign_type(value: Option<Value>) -> Result<SignType, Error> {
    match optional_string("signType", value)? {
        None => Ok(SignType::Sm3),
        Some(v) => SignType::parse(&v).ok_or_else(|| {
            Error::bad_input(format!(
                "signType \"{v}\" 不支持，只支持 SM3 或 SM2 (unsupported signType \"{v}\"; only SM3 or SM2)"
            ))
        }),
    }
}

/// A secret string member (`clientPrvKey`): moved into a zeroizing text; absent, `null` and
/// `""` are `None`. A non-string is refused without showing it.
fn optional_secret(key: &str, value: Option<Value>) -> Result<Option<SecretText>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(SecretText::new(s))),
        Some(other) => Err(Error::bad_input(format!(
            "{key} 应为字符串，实际为 {} (\"{key}\" must be a string)",
            type_name(&other)
        ))),
    }
}

/// `serverAddr` must be an `http://` or `https://` URL with a host, as the HTTP client parses it
/// ([`crate::url`]).
fn check_url(url: &str) -> Result<(), Error> {
    if HttpUrl::parse(url).is_some() {
        Ok(())
    } else {
        Err(Error::bad_input(format!(
            "serverAddr \"{url}\" 不是合法地址，应为完整的 http:// 或 https:// 地址（含接口路径），如 http://门户地址:端口/api/amp/hos/pushMsg (serverAddr must be a full http:// or https:// URL including the path)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(data: &str) -> String {
        format!(r#"{{"data":{data},"orgId":"H1"}}"#)
    }

    const GOOD: &str = r#"{"serverAddr":"http://127.0.0.1:1/p","appId":"0123456789abcdef","appKey":"k","medOrgOrd":"1"}"#;

    #[test]
    fn splits_connection_keys_from_business_data() {
        let parsed = parse(&input(GOOD)).unwrap();
        assert_eq!(parsed.server_addr, "http://127.0.0.1:1/p");
        assert_eq!(parsed.version, "1.0.0");
        assert_eq!(parsed.timestamp, None);
        assert_eq!(parsed.org_id.as_deref(), Some("H1"));
        assert_eq!(
            crate::json::compact(&parsed.business),
            r#"{"medOrgOrd":"1"}"#
        );
    }

    #[test]
    fn names_the_missing_key() {
        for key in ["serverAddr", "appId", "appKey"] {
            let mut data: Map = crate::json::parse(GOOD)
                .map(|v| match v {
                    Value::Object(m) => m,
                    _ => unreachable!(),
                })
                .unwrap();
            data.shift_remove(key);
            let err = parse(&input(&Value::Object(data).to_string())).unwrap_err();
            assert_eq!(err.code(), "000105");
            assert!(err.message.contains(key), "{}", err.message);
        }
    }

    #[test]
    fn refuses_bad_values() {
        let cases = [
            ("\"serverAddr\":\"ftp://x/y\"", "serverAddr"),
            ("\"serverAddr\":\"http://\"", "serverAddr"),
            ("\"appId\":\"short\"", "appId"),
            ("\"encryptType\":\"AES\"", "encryptType"),
            ("\"signType\":\"MD5\"", "signType"),
            ("\"timestamp\":\"2022-05-10T16:56:24\"", "timestamp"),
            ("\"appKey\":5", "appKey"),
        ];
        for (member, key) in cases {
            // Appended, so that it wins over GOOD's own member (the last duplicate wins).
            let data = format!("{},{member}}}", GOOD.strip_suffix('}').unwrap());
            let err = parse(&input(&data)).unwrap_err();
            assert_eq!(err.code(), "000105", "{member}");
            assert!(err.message.contains(key), "{member}: {}", err.message);
        }
    }

    #[test]
    fn the_first_object_is_the_request() {
        let whole = input(GOOD);
        for tail in ["", " \n", "x", "}", "{\"data\":{}}", "\"}]", " 周"] {
            let parsed = parse(&format!("{whole}{tail}")).unwrap();
            assert_eq!(parsed.org_id.as_deref(), Some("H1"), "{tail:?}");
            assert_eq!(
                org_id_hint(&format!("{whole}{tail}")).as_deref(),
                Some("H1")
            );
        }
        // A byte-order mark before it.
        assert!(parse(&format!("\u{FEFF}{whole}")).is_ok());
        assert_eq!(parse("\u{FEFF}").unwrap_err().code(), "000105");
        // Truncated, invalid, or not an object first: refused whatever follows.
        for bad in [
            &whole[..whole.len() - 1],
            &format!("{} x", &whole[..whole.len() - 1]),
            &format!("[{whole}]"),
            &format!("1 {whole}"),
            &format!("{{,}}{whole}"),
        ] {
            assert_eq!(parse(bad).unwrap_err().code(), "000105", "{bad:?}");
        }
    }

    #[test]
    fn server_addr_is_trimmed_and_its_scheme_case_insensitive() {
        for (given, used) in [
            (" http://127.0.0.1:1/p\t", "http://127.0.0.1:1/p"),
            ("\u{3000}HTTP://127.0.0.1:1/p\r\n", "http://127.0.0.1:1/p"),
            (
                "Https://Host.Example:443/P?Q=1",
                "https://Host.Example:443/P?Q=1",
            ),
            ("hTtPs://h/p", "https://h/p"),
        ] {
            let mut data: Map = match crate::json::parse(GOOD).unwrap() {
                Value::Object(m) => m,
                _ => unreachable!(),
            };
            data.insert("serverAddr".into(), given.into());
            let parsed = parse(&input(&Value::Object(data).to_string())).unwrap();
            assert_eq!(parsed.server_addr, used, "{given:?}");
        }
        for bad in ["FTP://h/p", "http ://h/p", "http://h /p", " \t "] {
            let data = format!(
                "{},\"serverAddr\":{}}}",
                GOOD.strip_suffix('}').unwrap(),
                Value::from(bad)
            );
            let err = parse(&input(&data)).unwrap_err();
            assert!(
                err.message.contains("serverAddr"),
                "{bad:?}: {}",
                err.message
            );
        }
    }

    fn with(member: &str) -> String {
        input(&format!("{},{member}}}", GOOD.strip_suffix('}').unwrap()))
    }

    #[test]
    fn call_settings_are_split_out_and_read() {
        let parsed = parse(&input(GOOD)).unwrap();
        assert_eq!(parsed.settings, CallSettings::default());
        let parsed = parse(&with(
            r#""connectTimeoutMs":1500,"readTimeoutMs":"  2500 ","proxy":"http://u:p@127.0.0.1:3128","charset":"UTF8""#,
        ))
        .unwrap();
        assert_eq!(
            parsed.settings,
            CallSettings {
                connect_timeout: Some(Duration::from_millis(1500)),
                read_timeout: Some(Duration::from_millis(2500)),
                proxy: Some("http://u:p@127.0.0.1:3128".into()),
                charset: Some(CharsetSetting::Utf8),
            }
        );
        assert_eq!(
            crate::json::compact(&parsed.business),
            r#"{"medOrgOrd":"1"}"#,
            "never business data"
        );
        // Absent, null and "" leave the configuration's.
        let parsed = parse(&with(
            r#""connectTimeoutMs":null,"readTimeoutMs":"","proxy":"","charset":null"#,
        ))
        .unwrap();
        assert_eq!(parsed.settings, CallSettings::default());
        // The edges of the range.
        let parsed = parse(&with(r#""connectTimeoutMs":1,"readTimeoutMs":600000"#)).unwrap();
        assert_eq!(
            parsed.settings.connect_timeout,
            Some(Duration::from_millis(1))
        );
        assert_eq!(
            parsed.settings.read_timeout,
            Some(Duration::from_millis(600_000))
        );
    }

    #[test]
    fn bad_call_settings_are_refused_naming_the_key() {
        for (member, key) in [
            (r#""connectTimeoutMs":0"#, "connectTimeoutMs"),
            (r#""connectTimeoutMs":600001"#, "connectTimeoutMs"),
            (r#""connectTimeoutMs":-5"#, "connectTimeoutMs"),
            (r#""connectTimeoutMs":1.5"#, "connectTimeoutMs"),
            (r#""connectTimeoutMs":1e3"#, "connectTimeoutMs"),
            (r#""connectTimeoutMs":true"#, "connectTimeoutMs"),
            (r#""readTimeoutMs":"soon""#, "readTimeoutMs"),
            (r#""readTimeoutMs":[1000]"#, "readTimeoutMs"),
            (
                r#""readTimeoutMs":99999999999999999999999"#,
                "readTimeoutMs",
            ),
            (r#""proxy":"socks5://127.0.0.1:1080""#, "proxy"),
            (r#""proxy":"https://127.0.0.1:3128""#, "proxy"),
            (r#""proxy":"127.0.0.1:3128""#, "proxy"),
            (r#""proxy":3128"#, "proxy"),
            (r#""charset":"latin1""#, "charset"),
            (r#""charset":936"#, "charset"),
        ] {
            let err = parse(&with(member)).unwrap_err();
            assert_eq!(err.code(), "000105", "{member}");
            assert!(err.message.contains(key), "{member}: {}", err.message);
        }
    }

    #[test]
    fn the_ini_and_the_input_share_the_timeout_rule() {
        for (text, ms) in [("1", Some(1)), (" 600000 ", Some(600_000)), ("0", None)] {
            assert_eq!(parse_millis(text), ms.map(Duration::from_millis), "{text}");
        }
        for text in ["600001", "-1", "1.0", "", "x"] {
            assert_eq!(parse_millis(text), None, "{text}");
        }
    }

    #[test]
    fn charset_asked_reads_only_a_valid_data_charset() {
        assert_eq!(
            charset_asked(&with(r#""charset":"gbk""#)),
            Some(CharsetSetting::Gbk)
        );
        assert_eq!(charset_asked(&with(r#""charset":"x""#)), None);
        assert_eq!(charset_asked(&input(GOOD)), None);
        assert_eq!(charset_asked(r#"{"charset":"gbk"}"#), None);
        assert_eq!(
            charset_asked(r#"{"data":{"charset":"gbk"}} tail"#),
            Some(CharsetSetting::Gbk)
        );
    }

    #[test]
    fn refuses_non_objects() {
        for text in [
            "",
            "  ",
            "[]",
            "1",
            "\"x\"",
            "{",
            "{\"data\":1}",
            "{}",
            "{\"orgId\":1,\"data\":{}}",
        ] {
            assert_eq!(parse(text).unwrap_err().code(), "000105", "{text:?}");
        }
        assert!(parse(&" ".repeat(MAX_INPUT_BYTES + 1)).is_err());
    }
}
