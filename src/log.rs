//! The call log: one file a day (`onetrans-YYYYMMDD.log`) in `logDir`, files older than
//! `logRetentionDays` removed, one line per call at `info`, the input and answer too at `debug`.
//!
//! Personal data and secrets are masked before anything is written ([`mask_json_text`],
//! [`mask_text`]), by key name in any text, JSON or not, and by shape (phone and ID numbers);
//! the appKey and the data key never reach the log. Logging never fails a call: write errors are
//! dropped. Writers hold a mutex for the time of one `write` of a finished line, plus, once a
//! day, opening the new file; when the folder cannot be opened, the next attempt waits
//! [`RETRY_OPEN_SECS`] (the lines in between are dropped).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::json::Value;

use crate::clock::ChinaTime;
use crate::config::{Config, LogLevel};

/// One finished call, as the log sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallRecord<'a> {
    pub nonce: &'a str,
    pub org_id: &'a str,
    pub path: &'a str,
    /// The business keys of the call (`journalKeys`), as the journal names them.
    pub keys: &'a [(String, String)],
    pub millis: u128,
    pub code: &'a str,
    pub business_code: Option<&'a str>,
    pub charset: &'a str,
    /// The input text and the output JSON, for `debug`.
    pub input: &'a str,
    pub output: &'a str,
    /// The failure message, if any.
    pub warning: Option<&'a str>,
}

/// After the log folder or file could not be opened, how long lines are dropped before the
/// next attempt, in seconds: an unwritable `logDir` costs one `mkdir` and `open` a minute, not
/// one per call under the lock every caller waits on.
pub(crate) const RETRY_OPEN_SECS: i64 = 60;

/// A log directory with its current day's file.
pub(crate) struct Logger {
    dir: PathBuf,
    level: LogLevel,
    retention_days: u32,
    current: Mutex<Current>,
}

/// The open file, or when the last attempt to open one failed.
#[derive(Default)]
struct Current {
    /// The day (`YYYYMMDD`) and its file.
    file: Option<(String, File)>,
    /// The China time (Unix seconds) of the last failed attempt to open the file.
    failed_at: Option<i64>,
}

impl Current {
    /// Whether to try opening the file now: always after a success, and after a failure only
    /// once [`RETRY_OPEN_SECS`] have passed (or the clock went back).
    fn may_open(&self, now: i64) -> bool {
        self.failed_at
            .is_none_or(|at| now < at || now - at >= RETRY_OPEN_SECS)
    }
}

impl Logger {
    pub(crate) fn new(dir: PathBuf, level: LogLevel, retention_days: u32) -> Logger {
        Logger {
            dir,
            level,
            retention_days,
            current: Mutex::new(Current::default()),
        }
    }

    /// The logger of the configuration, or `None` when logging is off.
    pub(crate) fn from_config(config: &Config) -> Option<Logger> {
        let dir = config.log_dir.clone()?;
        (config.log_level > LogLevel::Off)
            .then(|| Logger::new(dir, config.log_level, config.log_retention_days))
    }

    /// Logs one call.
    pub(crate) fn call(&self, record: &CallRecord<'_>, now: ChinaTime) {
        let ok = record.code == crate::error::codes::SUCCESS;
        let wanted = if ok { LogLevel::Info } else { LogLevel::Error };
        if self.level < wanted {
            return;
        }
        let keys: String = record
            .keys
            .iter()
            .map(|(key, value)| format!(" {key}={}", mask_member(key, value)))
            .collect();
        let mut line = format!(
            "{now} {} nonce={} orgId={} path={}{keys} ms={} code={} bizCode={} charset={}",
            if ok { "INFO " } else { "ERROR" },
            record.nonce,
            record.org_id,
            record.path,
            record.millis,
            record.code,
            record.business_code.unwrap_or("-"),
            record.charset,
        );
        if let Some(w) = record.warning {
            line.push_str(" msg=");
            line.push_str(&mask_json_text(w));
        }
        line.push('\n');
        if self.level >= LogLevel::Debug {
            line.push_str(&format!(
                "{now} DEBUG input={}\n",
                mask_json_text(record.input)
            ));
            line.push_str(&format!(
                "{now} DEBUG output={}\n",
                mask_json_text(record.output)
            ));
        }
        self.write(&line, now);
    }

    /// Logs a warning line (for example `insecureSkipVerify`), at `warn` and above.
    pub(crate) fn warn(&self, message: &str, now: ChinaTime) {
        if self.level >= LogLevel::Warn {
            self.write(&format!("{now} WARN  {}\n", mask_text(message)), now);
        }
    }

    fn write(&self, line: &str, now: ChinaTime) {
        let date = now.date_compact();
        let Ok(mut current) = self.current.lock() else {
            return;
        };
        let stale = current.file.as_ref().is_none_or(|(d, _)| d != &date);
        if stale && current.may_open(now.unix()) {
            current.file = self.open(&date);
            if current.file.is_some() {
                current.failed_at = None;
                self.remove_old(now);
            } else {
                current.failed_at = Some(now.unix());
            }
        }
        if let Some((_, file)) = current.file.as_mut() {
            // A full disk or a vanished folder must not fail the payment call.
            let _ = file.write_all(line.as_bytes());
        }
    }

    fn open(&self, date: &str) -> Option<(String, File)> {
        fs::create_dir_all(&self.dir).ok()?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(file_name(date)))
            .ok()?;
        Some((date.to_owned(), file))
    }

    /// Removes `onetrans-YYYYMMDD.log` files older than the retention.
    fn remove_old(&self, now: ChinaTime) {
        let oldest = ChinaTime::from_unix(now.unix() - i64::from(self.retention_days) * 86_400)
            .date_compact();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(date) = name
                .to_str()
                .and_then(|n| n.strip_prefix("onetrans-"))
                .and_then(|n| n.strip_suffix(".log"))
            else {
                continue;
            };
            if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) && *date < *oldest {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// `onetrans-YYYYMMDD.log`.
pub(crate) fn file_name(date: &str) -> String {
    format!("onetrans-{date}.log")
}

/// The log file of a day, for tests and tools.
pub fn file_for(dir: &Path, day: ChinaTime) -> PathBuf {
    dir.join(file_name(&day.date_compact()))
}

// --- masking -----------------------------------------------------------------------------------
//
// Two layers, so that nothing depends on the text being well-formed:
// * by key: a value under a secret or personal key is masked, in parsed JSON ([`mask_value`])
//   and in any text ([`mask_text`]: `"key":"value"`, `\"key\":\"value\"`, `key=value`, broken
//   JSON, a quoted sign text);
// * by shape: a stand-alone run of digits of a phone's or an ID card's length is masked wherever
//   it is, in text and as a JSON number.

/// Keys whose values are secrets: never written, whatever they hold. `key` is the sign text's
/// `&key=<appKey>`; the SM2 keys of spec 1.1 are here too (a public key is not secret, but a
/// caller who swaps the two must not find the private one in the log).
const SECRET_KEYS: [&str; 16] = [
    "appkey",
    "appsecret",
    "key",
    "secret",
    "secretkey",
    "password",
    "passwd",
    "pwd",
    "clientprvkey",
    "prvkey",
    "privatekey",
    "serverpubkey",
    "datakey",
    "sm4key",
    "token",
    "accesstoken",
];
/// Keys holding person names: first character kept.
const NAME_KEYS: [&str; 6] = [
    "patientname",
    "name",
    "drname",
    "username",
    "psnname",
    "custname",
];
/// Keys holding ID or card numbers: first 6 and last 4 kept.
const ID_KEYS: [&str; 7] = [
    "idno",
    "idcard",
    "certno",
    "cardno",
    "psncertno",
    "mdtrtcertno",
    "sfzh",
];
/// Keys holding phone numbers: first 3 and last 4 kept.
const PHONE_KEYS: [&str; 5] = ["phone", "mobile", "tel", "telephone", "phoneno"];

/// What a key's value is, for masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Secret,
    Name,
    Id,
    Phone,
}

/// The kind of a key (compared case-insensitively), if its value is masked by key.
fn kind_of(key: &str) -> Option<Kind> {
    let key = key.to_ascii_lowercase();
    let key = key.as_str();
    if SECRET_KEYS.contains(&key) {
        Some(Kind::Secret)
    } else if NAME_KEYS.contains(&key) {
        Some(Kind::Name)
    } else if ID_KEYS.contains(&key) {
        Some(Kind::Id)
    } else if PHONE_KEYS.contains(&key) {
        Some(Kind::Phone)
    } else {
        None
    }
}

/// A value masked as its key's kind says.
fn mask_as(kind: Kind, value: &str) -> String {
    match kind {
        Kind::Secret => "***".into(),
        Kind::Name => keep(value, 1, 0),
        Kind::Id => keep(value, 6, 4),
        Kind::Phone => keep(value, 3, 4),
    }
}

/// A member's value as the log shows it: masked when its key names a secret or personal data
/// (by key only: an order number of an ID card's length stays readable).
pub(crate) fn mask_member(key: &str, value: &str) -> String {
    kind_of(key).map_or_else(|| value.to_owned(), |kind| mask_as(kind, value))
}

/// Masks a JSON text for the log; text that is not JSON is masked as free text.
pub fn mask_json_text(text: &str) -> String {
    match crate::json::parse(text) {
        Ok(mut value) => {
            mask_value(&mut value);
            crate::json::compact(&value)
        }
        Err(_) => mask_text(text),
    }
}

/// Masks personal data and secrets in a JSON value, by key and by shape, at every depth.
pub(crate) fn mask_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match (kind_of(key), &*item) {
                    // A secret goes whatever it holds (a number, an object...).
                    (Some(Kind::Secret), _) => *item = Value::String("***".into()),
                    (Some(kind), Value::String(s)) => *item = Value::String(mask_as(kind, s)),
                    (Some(kind), Value::Number(n)) => {
                        *item = Value::String(mask_as(kind, n.as_str()))
                    }
                    _ => mask_value(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_value),
        Value::String(s) => *s = mask_text(s),
        Value::Number(n) => {
            let masked = mask_numbers(n.as_str());
            if masked != n.as_str() {
                *value = Value::String(masked);
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

/// Keeps the first `head` and last `tail` characters, stars for the rest.
fn keep(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len().max(1));
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Masks any text: values of secret and personal keys by key name (whether the text is JSON,
/// broken JSON, escaped JSON inside a string, or `key=value` pairs), the password of a
/// `scheme://user:password@host` URL, and digit runs of a phone's or an ID card's length.
pub(crate) fn mask_text(text: &str) -> String {
    mask_numbers(&mask_userinfo(&mask_keyed(text)))
}

/// Whether a byte belongs to a key name.
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Masks the value after every secret or personal key name in `text`.
fn mask_keyed(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphabetic() || (i > 0 && is_ident(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len() && is_ident(bytes[end]) {
            end += 1;
        }
        let value = kind_of(&text[i..end]).and_then(|kind| Some((kind, value_after(text, end)?)));
        if let Some((kind, (start, stop))) = value {
            out.push_str(&text[copied..start]);
            out.push_str(&mask_as(kind, &text[start..stop]));
            copied = stop;
            i = stop;
        } else {
            i = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The byte range of the value that follows a key name ending at `at`: after the key's closing
/// quote (escaped or not), a `:` or `=`, spaces, then either a quoted value up to its closing
/// quote (at the same escaping depth; to the end of the text when there is none, as in a
/// truncated input) or a bare value up to the next delimiter. `None` when no separator follows
/// (the key name is just a word) or the value is empty.
fn value_after(text: &str, at: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut k = at;
    while k < n && matches!(bytes[k], b'"' | b'\'' | b'\\' | b' ' | b'\t') {
        k += 1;
    }
    if k >= n || !matches!(bytes[k], b':' | b'=') {
        return None;
    }
    k += 1;
    while k < n && matches!(bytes[k], b' ' | b'\t') {
        k += 1;
    }
    let escapes = bytes[k..].iter().take_while(|&&b| b == b'\\').count();
    let q = k + escapes;
    if q < n && matches!(bytes[q], b'"' | b'\'') {
        let quote = bytes[q];
        let start = q + 1;
        for m in start..n {
            if bytes[m] == quote {
                let run = bytes[start..m]
                    .iter()
                    .rev()
                    .take_while(|&&b| b == b'\\')
                    .count();
                // More backslashes than the opening quote had: a quote inside the value.
                if run <= escapes {
                    return Some((start, m - run));
                }
            }
        }
        return Some((start, n));
    }
    let stop = text[k..]
        .char_indices()
        .find(|&(_, c)| is_value_end(c))
        .map_or(n, |(offset, _)| k + offset);
    (stop > k).then_some((k, stop))
}

/// Where a bare (unquoted) value ends: ASCII delimiters of JSON, query strings and prose, and
/// the full-width punctuation of Chinese prose.
fn is_value_end(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | '&'
                | ';'
                | '}'
                | ']'
                | ')'
                | '"'
                | '\''
                | '\\'
                | '<'
                | '>'
                | '|'
                | '，'
                | '。'
                | '；'
                | '：'
                | '、'
                | '）'
                | '】'
        )
}

/// Masks the user and password of every `scheme://user:password@host` in `text` (a proxy URL).
fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| matches!(c, '/' | '@') || is_value_end(c))
            .unwrap_or(tail.len());
        if authority_end > 0 && tail[authority_end..].starts_with('@') {
            out.push_str("***");
            rest = &tail[authority_end..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Masks digit runs that stand alone (not inside a word, not part of a decimal number) and have
/// the length of a phone number (11 digits: first 3 and last 4 kept), an old ID card (15: first
/// 6 and last 3 kept, the birth date hidden) or a resident ID (18, or 17 and an `X`: first 6 and
/// last 4 kept).
fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digit_at = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_run = chars[i].is_ascii_digit()
            && (i == 0
                || !(chars[i - 1].is_ascii_alphanumeric()
                    || (chars[i - 1] == '.' && i >= 2 && digit_at(i - 2))));
        if !starts_run {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = i;
        while digit_at(j) {
            j += 1;
        }
        if j - i == 17 && matches!(chars.get(j), Some('X' | 'x')) {
            j += 1;
        }
        let run: String = chars[i..j].iter().collect();
        let bounded = j == chars.len()
            || !(chars[j].is_ascii_alphanumeric() || (chars[j] == '.' && digit_at(j + 1)));
        let masked = match run.len() {
            18 if bounded => keep(&run, 6, 4),
            15 if bounded => keep(&run, 6, 3),
            11 if bounded => keep(&run, 3, 4),
            _ => run,
        };
        out.push_str(&masked);
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_by_key() {
        let text = r#"{"data":{"appKey":"St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM","patientName":"周大鹏","idNo":"460029196507081627","phone":"13812345678","memo":"身份证460029196507081627电话13812345678","amt":12.50}}"#;
        let masked = mask_json_text(text);
        assert!(!masked.contains("St72fYdf"), "{masked}");
        assert!(masked.contains("\"patientName\":\"周**\""), "{masked}");
        assert!(
            masked.contains("\"idNo\":\"460029********1627\""),
            "{masked}"
        );
        assert!(masked.contains("\"phone\":\"138****5678\""), "{masked}");
        assert!(
            masked.contains("身份证460029********1627电话138****5678"),
            "{masked}"
        );
        assert!(masked.contains("12.50"), "{masked}");
    }

    #[test]
    fn leaves_order_numbers_alone() {
        assert_eq!(mask_text("ZL050509083457355366"), "ZL050509083457355366");
        assert_eq!(mask_text("12345"), "12345");
        assert_eq!(mask_text("35020519870819015X"), "350205********015X");
    }

    const KEY: &str = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";

    #[test]
    fn masks_secret_keys_in_any_text() {
        let cases = [
            // Broken JSON (a trailing comma) is masked as text, by key.
            format!(r#"{{"data":{{"appKey":"{KEY}","amt":1,}}}}"#),
            // Spaces, another case, single quotes.
            format!(r#"{{ "APPKEY" : "{KEY}" }}"#),
            format!("{{'appKey': '{KEY}'}}"),
            // Escaped JSON inside a JSON string (a message quoting a request).
            format!(r#"{{"message":"bad {{\"appKey\":\"{KEY}\"}}"}}"#),
            // A bare value: query strings, the sign text, broken JSON.
            format!("appId=x&appKey={KEY}&b=2"),
            format!("a=1&key={KEY}"),
            format!(r#"{{"appKey":{KEY},"b":1}}"#),
            format!("appSecret = {KEY}，请核对"),
            // Truncated: masked to the end.
            format!(r#"{{"data":{{"appKey":"{KEY}"#),
            r#"{"data":{"appKey":"St72fYdfk6"#.to_owned(),
        ];
        for text in &cases {
            let masked = mask_text(text);
            assert!(!masked.contains("St72fYdfk6"), "{text} -> {masked}");
            assert!(masked.contains("***"), "{text} -> {masked}");
            assert!(!mask_json_text(text).contains("St72fYdfk6"), "{text}");
        }
        assert_eq!(
            mask_text(r#"{"appKey":"a\"b","x":"y"}"#),
            r#"{"appKey":"***","x":"y"}"#,
            "an escaped quote stays inside the value"
        );
        assert_eq!(
            mask_text(r#"{\"appKey\":\"secret\",\"x\":1}"#),
            r#"{\"appKey\":\"***\",\"x\":1}"#
        );
        assert_eq!(mask_text("x&key=secret&y=1"), "x&key=***&y=1");
    }

    #[test]
    fn masks_every_secret_key_name() {
        let pem = r"-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBHkwdwIBAQQg\n-----END PRIVATE KEY-----";
        for key in [
            "appSecret",
            "clientPrvKey",
            "serverPubKey",
            "password",
            "privateKey",
            "dataKey",
        ] {
            let text = format!(r#"{{"{key}":"{pem}",}}"#);
            let masked = mask_text(&text);
            assert_eq!(masked, format!(r#"{{"{key}":"***",}}"#), "{text}");
        }
    }

    #[test]
    fn leaves_words_that_only_look_like_keys() {
        for text in [
            "monkey=1",
            "appKeyword=2",
            "请核对 appKey 是否与门户发放的一致 (check the appKey)",
            r#"{"field":"appKey","n":"x"}"#,
            "key",
            "key=",
        ] {
            assert_eq!(mask_text(text), text);
        }
    }

    #[test]
    fn masks_personal_keys_in_text() {
        assert_eq!(
            mask_text("签名原文 patientName=周大鹏&idNo=460029196507081627&phone=13812345678"),
            "签名原文 patientName=周**&idNo=460029********1627&phone=138****5678"
        );
        assert_eq!(
            mask_text(r#"{"patientName":"周大鹏","tel":"0898-1234567",}"#),
            r#"{"patientName":"周**","tel":"089*****4567",}"#
        );
    }

    #[test]
    fn masks_proxy_passwords() {
        assert_eq!(
            mask_text("proxy=http://user:pa55@127.0.0.1:3128 failed"),
            "proxy=http://***@127.0.0.1:3128 failed"
        );
        assert_eq!(
            mask_text("http://127.0.0.1:3128/a@b"),
            "http://127.0.0.1:3128/a@b"
        );
    }

    #[test]
    fn masks_numbers_of_phone_and_id_length() {
        assert_eq!(mask_text("13912345678"), "139****5678");
        assert_eq!(mask_text("电话:08981234567"), "电话:089****4567");
        assert_eq!(
            mask_text("旧证 460029650708163。"),
            "旧证 460029******163。"
        );
        assert_eq!(mask_text("460029196507081627"), "460029********1627");
        assert_eq!(mask_text("46002919650708162x"), "460029********162x");
        // Not alone, or not of those lengths: kept.
        for text in [
            "12.13912345678",
            "13912345678.50",
            "1391234567",
            "139123456789",
            "4600291965070816270",
            "1234567890123456",
            "A13912345678",
        ] {
            assert_eq!(mask_text(text), text);
        }
    }

    #[test]
    fn masks_json_numbers_by_key_and_shape() {
        let text = r#"{"phone":13912345678,"idNo":460029196507081627,"guardian":110101198001010011,"amt":13912345678.5,"n":12,"appKey":123456,"key":{"a":"b"},"list":[13912345678]}"#;
        assert_eq!(
            mask_json_text(text),
            r#"{"phone":"139****5678","idNo":"460029********1627","guardian":"110101********0011","amt":13912345678.5,"n":12,"appKey":"***","key":"***","list":["139****5678"]}"#
        );
    }

    #[test]
    fn an_unwritable_folder_is_retried_once_a_minute() {
        let base = std::env::temp_dir().join(format!("onetrans-log-retry-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base).unwrap();
        let blocker = base.join("file");
        fs::write(&blocker, "x").unwrap();
        let dir = blocker.join("logs");
        let logger = Logger::new(dir.clone(), LogLevel::Info, 30);
        let t0 = ChinaTime::parse("2026-11-26 10:00:00").unwrap();
        let at = |secs: i64| ChinaTime::from_unix(t0.unix() + secs);
        logger.warn("first", t0);
        fs::remove_file(&blocker).unwrap();
        // Within the minute: not tried again, the line is dropped.
        logger.warn("dropped", at(30));
        logger.warn("dropped", at(59));
        assert!(!dir.exists());
        // A minute later: tried and written.
        logger.warn("second", at(60));
        let text = fs::read_to_string(file_for(&dir, t0)).unwrap();
        assert!(
            text.contains("second") && !text.contains("dropped"),
            "{text}"
        );
        // A clock set back retries at once (no waiting for the old time to come back).
        let blocker = base.join("file2");
        fs::write(&blocker, "x").unwrap();
        let logger = Logger::new(blocker.join("logs"), LogLevel::Info, 30);
        logger.warn("a", t0);
        fs::remove_file(&blocker).unwrap();
        logger.warn("b", at(-10));
        assert!(file_for(&blocker.join("logs"), at(-10)).exists());
        let _ = fs::remove_dir_all(&base);
    }

    #[test]
    fn writes_rotates_and_prunes() {
        let dir = std::env::temp_dir().join(format!("onetrans-log-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("onetrans-20000101.log"), "old").unwrap();
        fs::write(dir.join("unrelated.log"), "keep").unwrap();
        let logger = Logger::new(dir.clone(), LogLevel::Info, 30);
        let day1 = ChinaTime::parse("2026-11-26 10:00:00").unwrap();
        let day2 = ChinaTime::parse("2026-11-27 00:00:01").unwrap();
        let record = CallRecord {
            nonce: "n1",
            code: "000000",
            input: "{\"appKey\":\"secret-key-value\"}",
            ..Default::default()
        };
        logger.call(&record, day1);
        logger.call(&record, day2);
        assert!(!dir.join("onetrans-20000101.log").exists());
        assert!(dir.join("unrelated.log").exists());
        let first = fs::read_to_string(file_for(&dir, day1)).unwrap();
        let second = fs::read_to_string(file_for(&dir, day2)).unwrap();
        assert_eq!((first.lines().count(), second.lines().count()), (1, 1));
        assert!(first.contains("nonce=n1") && !first.contains("secret-key-value"));
        let _ = fs::remove_dir_all(&dir);
    }
}
