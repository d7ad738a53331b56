//! The call log: one file a day (`onetrans-YYYYMMDD.log`) in `logDir`, files older than
//! `logRetentionDays` removed, one line per call at `info`, the input and answer too at `debug`.
//!
//! Personal data is masked before anything is written ([`mask_value`]); the appKey and the data
//! key never reach the log. Logging never fails a call: write errors are dropped. Writers hold a
//! mutex only for the time of one `write` of a finished line.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::json::Value;

use crate::clock::{self, ChinaTime};
use crate::config::{Config, LogLevel};

/// One finished call, as the log sees it.
#[derive(Debug, Clone, Default)]
pub struct CallRecord<'a> {
    pub nonce: &'a str,
    pub org_id: &'a str,
    pub path: &'a str,
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

/// A log directory with its current day's file.
pub struct Logger {
    dir: PathBuf,
    level: LogLevel,
    retention_days: u32,
    current: Mutex<Option<(String, File)>>,
}

impl Logger {
    pub fn new(dir: PathBuf, level: LogLevel, retention_days: u32) -> Logger {
        Logger {
            dir,
            level,
            retention_days,
            current: Mutex::new(None),
        }
    }

    /// The logger of the configuration, or `None` when logging is off.
    pub fn from_config(config: &Config) -> Option<Logger> {
        let dir = config.log_dir.clone()?;
        (config.log_level > LogLevel::Off)
            .then(|| Logger::new(dir, config.log_level, config.log_retention_days))
    }

    pub fn level(&self) -> LogLevel {
        self.level
    }

    /// Logs one call.
    pub fn call(&self, record: &CallRecord<'_>, now: ChinaTime) {
        let ok = record.code == crate::error::codes::SUCCESS;
        let wanted = if ok { LogLevel::Info } else { LogLevel::Error };
        if self.level < wanted {
            return;
        }
        let mut line = format!(
            "{now} {} nonce={} orgId={} path={} ms={} code={} bizCode={} charset={}",
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
            line.push_str(&mask_text(w));
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
    pub fn warn(&self, message: &str, now: ChinaTime) {
        if self.level >= LogLevel::Warn {
            self.write(&format!("{now} WARN  {}\n", mask_text(message)), now);
        }
    }

    fn write(&self, line: &str, now: ChinaTime) {
        let date = now.date_compact();
        let Ok(mut current) = self.current.lock() else {
            return;
        };
        if current.as_ref().map(|(d, _)| d != &date).unwrap_or(true) {
            *current = self.open(&date);
            self.remove_old(now);
        }
        if let Some((_, file)) = current.as_mut() {
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
pub fn file_name(date: &str) -> String {
    format!("onetrans-{date}.log")
}

/// The log file of a day, for tests and tools.
pub fn file_for(dir: &Path, day: ChinaTime) -> PathBuf {
    dir.join(file_name(&day.date_compact()))
}

/// The process's logger, created with the configuration.
pub fn global() -> Option<&'static Logger> {
    static LOGGER: std::sync::OnceLock<Option<Logger>> = std::sync::OnceLock::new();
    LOGGER
        .get_or_init(|| crate::config::get().ok().and_then(Logger::from_config))
        .as_ref()
}

/// Logs a call to the process's logger, if any.
pub fn call(record: &CallRecord<'_>) {
    if let Some(logger) = global() {
        logger.call(record, clock::now());
    }
}

/// Logs a warning to the process's logger, if any.
pub fn warn(message: &str) {
    if let Some(logger) = global() {
        logger.warn(message, clock::now());
    }
}

// --- masking -----------------------------------------------------------------------------------

/// Keys whose values are secrets: never written, whatever they hold.
const SECRET_KEYS: [&str; 4] = ["appkey", "appsecret", "key", "password"];
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
pub fn mask_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let k = key.to_ascii_lowercase();
                if let Value::String(s) = item {
                    if SECRET_KEYS.contains(&k.as_str()) {
                        *s = "***".into();
                    } else if NAME_KEYS.contains(&k.as_str()) {
                        *s = keep(s, 1, 0);
                    } else if ID_KEYS.contains(&k.as_str()) {
                        *s = keep(s, 6, 4);
                    } else if PHONE_KEYS.contains(&k.as_str()) {
                        *s = keep(s, 3, 4);
                    } else {
                        *s = mask_text(s);
                    }
                } else {
                    mask_value(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_value),
        Value::String(s) => *s = mask_text(s),
        _ => {}
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

/// Masks number runs that look like a resident ID (18 characters, the last a digit or X) or a
/// mainland mobile number (11 digits starting with 1) inside free text.
pub fn mask_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if j < chars.len() && j - i == 17 && matches!(chars[j], 'X' | 'x') {
                j += 1;
            }
            let run: String = chars[i..j].iter().collect();
            let bounded = j == chars.len() || !chars[j].is_ascii_alphanumeric();
            let masked = match run.len() {
                18 if bounded => keep(&run, 6, 4),
                11 if bounded && run.starts_with('1') => keep(&run, 3, 4),
                _ => run,
            };
            out.push_str(&masked);
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
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
