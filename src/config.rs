//! The library's settings: defaults that work without any configuration, an optional INI file
//! (`OneTrans.ini` beside the library, or the file named by `ONETRANS_CONFIG`) and environment
//! variables (`ONETRANS_` + the key in upper snake case) that override it.
//!
//! Read once, at the first call ([`crate::runtime`] keeps it). A bad file or value never crashes the host: every call then
//! returns `000105` with a message naming the file, the key and the bad value.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::charset::CharsetSetting;
use crate::error::Error;
use crate::platform;
use crate::signing::{SecretText, Sm2Defaults};
use crate::sm2::UserId;
use crate::transport::Settings;

/// The INI file's name, looked up beside the library.
pub const FILE_NAME: &str = "OneTrans.ini";
/// The environment variable naming another INI file.
pub const FILE_ENV: &str = "ONETRANS_CONFIG";
/// The INI section the library reads.
pub(crate) const SECTION: &str = "onetrans";

/// How much the log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
}

impl FromStr for LogLevel {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Ok(LogLevel::Off),
            "error" => Ok(LogLevel::Error),
            "warn" | "warning" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" | "trace" => Ok(LogLevel::Debug),
            _ => Err(()),
        }
    }
}

/// When the journal's intent record is forced to the disk (`journalSync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalSync {
    /// Before the request is sent (`sync_data` of the intent): it survives a power cut.
    Always,
    /// Left to the operating system: it survives the program being killed, not a power cut.
    Never,
}

impl FromStr for JournalSync {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "always" => Ok(JournalSync::Always),
            "never" => Ok(JournalSync::Never),
            _ => Err(()),
        }
    }
}

/// The business keys the journal and the log line name by default (`journalKeys`).
pub const DEFAULT_JOURNAL_KEYS: [&str; 4] =
    ["medOrgOrd", "payOrdId", "mobileDrugTipsId", "orgCode"];

/// Every setting, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The connection settings (`connectTimeoutMs`, `readTimeoutMs`, `maxResponseBytes`,
    /// `proxy`, `caFile`, `insecureSkipVerify`), handed to the transport as they are.
    pub transport: Settings,
    /// Bytes `MobileTrans` may write into `pOutData`, NUL included.
    pub out_buf_size: usize,
    pub charset: CharsetSetting,
    pub log_dir: Option<PathBuf>,
    pub log_level: LogLevel,
    pub log_retention_days: u32,
    /// The call journal's folder (`journalDir`); `None`: [`Config::journal_folder`]'s default.
    pub journal_dir: Option<PathBuf>,
    pub journal_sync: JournalSync,
    /// The members of the business data the journal and the log line name (`journalKeys`).
    pub journal_keys: Vec<String>,
    /// `clientPrvKey`, `serverPubKey`, `sm2UserId`: the SM2 keys of calls whose input has none
    /// (spec section 11). The private key's `Debug` is redacted.
    pub sm2: Sm2Defaults,
    /// Where the settings came from, for the self-check and the log.
    pub source: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            transport: Settings::default(),
            out_buf_size: 65_536,
            charset: CharsetSetting::Auto,
            log_dir: None,
            log_level: LogLevel::Info,
            log_retention_days: 30,
            journal_dir: None,
            journal_sync: JournalSync::Always,
            journal_keys: DEFAULT_JOURNAL_KEYS.map(str::to_owned).to_vec(),
            sm2: Sm2Defaults::default(),
            source: None,
        }
    }
}

/// The smallest `outBufSize` accepted.
pub(crate) const MIN_OUT_BUF_SIZE: usize = 256;

/// An `outBufSize` value: bytes, from [`MIN_OUT_BUF_SIZE`] to `u32::MAX`.
fn parse_out_buf_size(value: &str) -> Option<usize> {
    match value.trim().parse::<usize>() {
        Ok(n) if (MIN_OUT_BUF_SIZE..=u32::MAX as usize).contains(&n) => Some(n),
        _ => None,
    }
}

/// The keys, in the INI's spelling; the environment variable is derived from each.
pub const KEYS: [&str; 17] = [
    "connectTimeoutMs",
    "readTimeoutMs",
    "outBufSize",
    "maxResponseBytes",
    "charset",
    "logDir",
    "logLevel",
    "logRetentionDays",
    "proxy",
    "caFile",
    "insecureSkipVerify",
    "journalDir",
    "journalSync",
    "journalKeys",
    "clientPrvKey",
    "serverPubKey",
    "sm2UserId",
];

/// `ONETRANS_` + the key in upper snake case: `readTimeoutMs` → `ONETRANS_READ_TIMEOUT_MS`.
pub fn env_name(key: &str) -> String {
    let mut name = String::from("ONETRANS_");
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

impl Config {
    /// Resolves the settings from an INI text (with its path) and an environment lookup. Pure:
    /// the tests pass both in. `default_log_dir` is where logs go when nothing says otherwise.
    pub fn resolve(
        file: Option<(&Path, &str)>,
        env: &dyn Fn(&str) -> Option<String>,
        default_log_dir: Option<PathBuf>,
    ) -> Result<Config, Error> {
        let mut config = Config {
            log_dir: default_log_dir,
            ..Config::default()
        };
        let base = file
            .and_then(|(path, _)| path.parent())
            .map(Path::to_path_buf);
        if let Some((path, text)) = file {
            config.source = Some(path.to_path_buf());
            for (line_no, key, value) in parse_ini(text, path)? {
                let origin = format!("{} 第 {line_no} 行 (line {line_no})", path.display());
                config.set(&key, &value, &origin, base.as_deref())?;
            }
        }
        for key in KEYS {
            let name = env_name(key);
            if let Some(value) = env(&name) {
                config.set(key, &value, &format!("环境变量 {name} (environment)"), None)?;
            }
        }
        Ok(config)
    }

    /// Sets one key from its text; an error names `origin`, the key and the value.
    fn set(
        &mut self,
        key: &str,
        value: &str,
        origin: &str,
        base: Option<&Path>,
    ) -> Result<(), Error> {
        let v = Value {
            key,
            raw: value,
            text: value.trim(),
            origin,
        };
        match key {
            "connectTimeoutMs" => self.transport.connect_timeout = v.millis()?,
            "readTimeoutMs" => self.transport.read_timeout = v.millis()?,
            "outBufSize" => self.out_buf_size = v.out_buf_size()?,
            "maxResponseBytes" => self.transport.max_response_bytes = v.max_response_bytes()?,
            "charset" => self.charset = v.parsed(" auto、utf-8 或 gbk")?,
            "logDir" => self.log_dir = v.path(base),
            "logLevel" => self.log_level = v.parsed(" off、error、warn、info 或 debug")?,
            "logRetentionDays" => self.log_retention_days = v.days()?,
            "proxy" => self.transport.proxy = v.proxy()?,
            "caFile" => self.transport.ca_file = v.path(base),
            "insecureSkipVerify" => self.transport.insecure_skip_verify = v.switch()?,
            "journalDir" => self.journal_dir = v.path(base),
            "journalSync" => self.journal_sync = v.parsed(" always 或 never")?,
            "journalKeys" => self.journal_keys = v.names()?,
            // The keys are checked by the SM2 calls that use them (`crate::signing::resolve`),
            // so a bad one never shows here, and a key's value is never echoed.
            "clientPrvKey" => self.sm2.client_prv_key = v.secret(),
            "serverPubKey" => self.sm2.server_pub_key = v.non_empty(),
            "sm2UserId" => self.sm2.user_id = v.user_id()?,
            other => {
                return Err(Error::bad_input(format!(
                "配置错误：{origin} 有未知的设置项 {other}，可用的有 {} (unknown setting {other})",
                KEYS.join(", ")
            )))
            }
        }
        Ok(())
    }
}

impl Config {
    /// The call journal's folder in effect: `journalDir`, else a `journal` folder inside the
    /// log folder; `None` when neither is set (no journal: Linux without `logDir`).
    pub fn journal_folder(&self) -> Option<PathBuf> {
        self.journal_dir
            .clone()
            .or_else(|| self.log_dir.as_ref().map(|d| d.join("journal")))
    }
}

/// One setting's value as [`Config::set`] reads it, with what its error message names.
struct Value<'a> {
    key: &'a str,
    /// As given (the message quotes it so).
    raw: &'a str,
    /// Trimmed: what is parsed.
    text: &'a str,
    /// Where it came from: a file and line, or an environment variable.
    origin: &'a str,
}

impl Value<'_> {
    /// The error for a bad value, saying what was `expected`.
    fn bad(&self, expected: &str) -> Error {
        let Value {
            key, raw, origin, ..
        } = self;
        Error::bad_input(format!(
            "配置错误：{origin} 的 {key} = \"{raw}\" 无效，应为{expected} (bad setting {key} = \"{raw}\" in {origin})"
        ))
    }

    /// A secret (`clientPrvKey`): kept in a zeroizing text; empty is none.
    fn secret(&self) -> Option<SecretText> {
        (!self.text.is_empty()).then(|| SecretText::new(self.text.to_owned()))
    }

    /// Any text; empty is none.
    fn non_empty(&self) -> Option<String> {
        (!self.text.is_empty()).then(|| self.text.to_owned())
    }

    /// The SM2 user id (at most 8191 bytes); empty is the default. The error does not quote it.
    fn user_id(&self) -> Result<Option<UserId>, Error> {
        if self.text.is_empty() {
            return Ok(None);
        }
        UserId::new(self.text).map(Some).map_err(|e| {
            Error::bad_input(format!("配置错误：{} 的 sm2UserId 无效：{e}", self.origin))
        })
    }

    /// Milliseconds, 1 to 600000.
    fn millis(&self) -> Result<Duration, Error> {
        crate::input::parse_millis(self.text)
            .ok_or_else(|| self.bad(" 1 到 600000 之间的毫秒数 (milliseconds, 1..=600000)"))
    }

    fn out_buf_size(&self) -> Result<usize, Error> {
        parse_out_buf_size(self.text)
            .ok_or_else(|| self.bad("不小于 256 的字节数 (bytes, at least 256)"))
    }

    fn max_response_bytes(&self) -> Result<u64, Error> {
        match self.text.parse::<u64>() {
            Ok(n) if n >= 1024 => Ok(n),
            _ => Err(self.bad("不小于 1024 的字节数 (bytes, at least 1024)")),
        }
    }

    fn days(&self) -> Result<u32, Error> {
        match self.text.parse::<u32>() {
            Ok(n) if (1..=3650).contains(&n) => Ok(n),
            _ => Err(self.bad(" 1 到 3650 的天数 (days)")),
        }
    }

    /// A value with a [`FromStr`] of its own (`charset`, `logLevel`).
    fn parsed<T: FromStr>(&self, expected: &str) -> Result<T, Error> {
        self.text.parse().map_err(|_| self.bad(expected))
    }

    /// A path, relative to the INI file's folder (`base`) when relative; empty is none.
    fn path(&self, base: Option<&Path>) -> Option<PathBuf> {
        if self.text.is_empty() {
            return None;
        }
        let p = PathBuf::from(self.text);
        Some(match base {
            Some(base) if p.is_relative() => base.join(p),
            _ => p,
        })
    }

    /// `http://[user:password@]host:port`, as ureq accepts it; empty is none.
    fn proxy(&self) -> Result<Option<String>, Error> {
        let value = self.text;
        if value.is_empty() {
            Ok(None)
        } else if crate::url::is_proxy(value) {
            Ok(Some(value.to_owned()))
        } else {
            Err(self.bad(" http://[用户:密码@]主机:端口 (http://[user:password@]host:port)"))
        }
    }

    /// A comma-separated list of JSON member names (letters, digits, `_`); empty is none.
    fn names(&self) -> Result<Vec<String>, Error> {
        let names: Vec<String> = self
            .text
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        let valid =
            |n: &String| n.len() <= 64 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if names.iter().all(valid) {
            Ok(names)
        } else {
            Err(self
                .bad("以逗号分隔的字段名，如 medOrgOrd,payOrdId (comma-separated member names)"))
        }
    }

    fn switch(&self) -> Result<bool, Error> {
        match self.text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" | "" => Ok(false),
            _ => Err(self.bad(" true 或 false")),
        }
    }
}

/// The `key = value` lines of the `[onetrans]` section, with their line numbers. Keys are
/// matched case-insensitively and returned in their canonical spelling (unknown keys as they
/// were written, so that the error names them). `;` and `#` start comment lines.
fn parse_ini(text: &str, path: &Path) -> Result<Vec<(usize, String, String)>, Error> {
    let mut in_section = false;
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = name.trim().eq_ignore_ascii_case(SECTION);
            continue;
        }
        if !in_section {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(Error::bad_input(format!(
                "配置错误：{} 第 {} 行 \"{line}\" 不是 key = value 格式 (line {} is not key = value)",
                path.display(),
                i + 1,
                i + 1
            )));
        };
        let key = key.trim();
        let canonical = KEYS
            .iter()
            .find(|k| k.eq_ignore_ascii_case(key))
            .map_or_else(|| key.to_owned(), |k| (*k).to_owned());
        entries.push((i + 1, canonical, value.trim().to_owned()));
    }
    Ok(entries)
}

/// Reads an INI file as UTF-8 (with or without BOM), UTF-16 with a BOM (Notepad's "Unicode"),
/// or GB18030 when it is not UTF-8 (Notepad on Chinese Windows saves ANSI).
fn read_ini(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::bad_input(format!(
            "配置错误：无法读取配置文件 {}：{e} (cannot read the configuration file)",
            path.display()
        ))
    })?;
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(&bytes) {
        if encoding != encoding_rs::UTF_8 {
            return Ok(encoding.decode_with_bom_removal(&bytes).0.into_owned());
        }
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => Ok(encoding_rs::GB18030.decode(e.as_bytes()).0.into_owned()),
    }
}

/// A loaded configuration, and the capacity `MobileTrans` may assume with it.
pub(crate) struct Loaded {
    pub(crate) config: Result<Config, Error>,
    /// `outBufSize` when the configuration loaded; else [`out_buf_size_after_error`].
    pub(crate) out_buf_size: usize,
}

/// Finds, reads and resolves the configuration, and the capacity that goes with it. Called once
/// per process, by [`crate::runtime`], which keeps the result.
pub(crate) fn load_with_out_buf_size() -> Loaded {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let lib_dir = platform::library_dir();
    let file = match env(FILE_ENV) {
        Some(named) => Some(PathBuf::from(named)),
        None => lib_dir
            .as_ref()
            .map(|d| d.join(FILE_NAME))
            .filter(|p| p.is_file()),
    };
    let default_log_dir = if cfg!(windows) {
        lib_dir.as_ref().map(|d| d.join("log"))
    } else {
        None
    };
    let text = file.as_deref().map(read_ini);
    let config = match (&file, &text) {
        (Some(path), Some(Ok(text))) => Config::resolve(Some((path, text)), &env, default_log_dir),
        (_, Some(Err(error))) => Err(error.clone()),
        _ => Config::resolve(None, &env, default_log_dir),
    };
    let out_buf_size = match &config {
        Ok(config) => config.out_buf_size,
        Err(_) => {
            let file = match &text {
                None => IniFile::Absent,
                Some(Err(_)) => IniFile::Unreadable,
                Some(Ok(text)) => IniFile::Text(text),
            };
            out_buf_size_after_error(file, &env)
        }
    };
    Loaded {
        config,
        out_buf_size,
    }
}

/// The INI file as [`out_buf_size_after_error`] sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IniFile<'a> {
    Absent,
    Unreadable,
    Text(&'a str),
}

/// The capacity `MobileTrans` assumes when the configuration did not load. A configuration
/// error must never widen the caller's buffer, and a file with an error cannot be trusted:
/// the `outBufSize` that would apply when it can be read unambiguously (the environment's, else
/// the file's `outBufSize` lines, the smallest if there are several), otherwise
/// [`MIN_OUT_BUF_SIZE`], the smallest any accepted `outBufSize` can mean (a bad or misspelt
/// `outBufSize`, an unreadable file, a file without the key: the bad line may be the one that
/// meant to set it). With no file and no `ONETRANS_OUT_BUF_SIZE`, the default.
pub(crate) fn out_buf_size_after_error(
    file: IniFile<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> usize {
    if let Some(value) = env(&env_name("outBufSize")) {
        return parse_out_buf_size(&value).unwrap_or(MIN_OUT_BUF_SIZE);
    }
    let text = match file {
        IniFile::Absent => return Config::default().out_buf_size,
        IniFile::Unreadable => return MIN_OUT_BUF_SIZE,
        IniFile::Text(text) => text,
    };
    let mut smallest: Option<usize> = None;
    let mut in_section = false;
    for raw in text.lines() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = name.trim().eq_ignore_ascii_case(SECTION);
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if in_section && key.trim().eq_ignore_ascii_case("outBufSize") {
            let Some(n) = parse_out_buf_size(value) else {
                return MIN_OUT_BUF_SIZE;
            };
            smallest = Some(smallest.map_or(n, |s| s.min(n)));
        }
    }
    smallest.unwrap_or(MIN_OUT_BUF_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("readTimeoutMs"), "ONETRANS_READ_TIMEOUT_MS");
        assert_eq!(env_name("outBufSize"), "ONETRANS_OUT_BUF_SIZE");
        assert_eq!(env_name("logDir"), "ONETRANS_LOG_DIR");
        assert_eq!(env_name("caFile"), "ONETRANS_CA_FILE");
        // Spelled out in `signing`, which sits below this module.
        assert_eq!(env_name("clientPrvKey"), crate::signing::CLIENT_PRV_KEY_ENV);
        assert_eq!(env_name("serverPubKey"), crate::signing::SERVER_PUB_KEY_ENV);
        assert_eq!(env_name("sm2UserId"), "ONETRANS_SM2_USER_ID");
    }

    #[test]
    fn defaults_without_file() {
        let c = Config::resolve(None, &no_env, None).unwrap();
        assert_eq!(c.transport.connect_timeout, Duration::from_millis(6000));
        assert_eq!(c.transport.read_timeout, Duration::from_millis(30000));
        assert_eq!(c.out_buf_size, 65536);
        assert_eq!(c.transport.max_response_bytes, 16 * 1024 * 1024);
        assert_eq!(c.charset, CharsetSetting::Auto);
        assert_eq!((c.log_level, c.log_retention_days), (LogLevel::Info, 30));
        assert_eq!(
            (
                c.transport.proxy.clone(),
                c.transport.ca_file.clone(),
                c.transport.insecure_skip_verify
            ),
            (None, None, false)
        );
    }

    #[test]
    fn every_key_from_file_then_env_overrides() {
        let ini = "; comment\n[other]\nreadTimeoutMs = 1\n[OneTrans]\nconnectTimeoutMs=1500\nREADTIMEOUTMS = 2500\noutBufSize=4096\nmaxResponseBytes=2048\ncharset=gbk\nlogDir=logs\nlogLevel=debug\nlogRetentionDays=7\nproxy=http://u:p@127.0.0.1:3128\ncaFile=ca.pem\ninsecureSkipVerify=true\n";
        let path = Path::new("/opt/his/OneTrans.ini");
        let c = Config::resolve(Some((path, ini)), &no_env, None).unwrap();
        assert_eq!(c.transport.connect_timeout, Duration::from_millis(1500));
        assert_eq!(c.transport.read_timeout, Duration::from_millis(2500));
        assert_eq!(
            (c.out_buf_size, c.transport.max_response_bytes),
            (4096, 2048)
        );
        assert_eq!(c.charset, CharsetSetting::Gbk);
        assert_eq!(c.log_dir, Some(PathBuf::from("/opt/his/logs")));
        assert_eq!((c.log_level, c.log_retention_days), (LogLevel::Debug, 7));
        assert_eq!(
            c.transport.proxy.as_deref(),
            Some("http://u:p@127.0.0.1:3128")
        );
        assert_eq!(c.transport.ca_file, Some(PathBuf::from("/opt/his/ca.pem")));
        assert!(c.transport.insecure_skip_verify);

        let env = |name: &str| (name == "ONETRANS_READ_TIMEOUT_MS").then(|| "777".to_owned());
        let c = Config::resolve(Some((path, ini)), &env, None).unwrap();
        assert_eq!(c.transport.read_timeout, Duration::from_millis(777));
    }

    #[test]
    fn bad_values_name_file_key_and_value() {
        let path = Path::new("/x/OneTrans.ini");
        for (line, key) in [
            ("readTimeoutMs = soon", "readTimeoutMs"),
            ("outBufSize = 10", "outBufSize"),
            ("charset = latin1", "charset"),
            ("proxy = socks5://h:1", "proxy"),
            ("insecureSkipVerify = maybe", "insecureSkipVerify"),
            ("logLevel = loud", "logLevel"),
            ("readTimeOut = 5", "readTimeOut"),
        ] {
            let ini = format!("[onetrans]\n{line}\n");
            let err = Config::resolve(Some((path, &ini)), &no_env, None).unwrap_err();
            assert_eq!(err.code(), "000105");
            assert!(err.message.contains("/x/OneTrans.ini"), "{}", err.message);
            assert!(err.message.contains(key), "{}", err.message);
        }
        let env = |name: &str| (name == "ONETRANS_OUT_BUF_SIZE").then(|| "lots".to_owned());
        let err = Config::resolve(None, &env, None).unwrap_err();
        assert!(err.message.contains("ONETRANS_OUT_BUF_SIZE") && err.message.contains("lots"));
    }
}

#[cfg(test)]
mod journal_tests {
    use super::*;

    #[test]
    fn journal_settings() {
        let none = |_: &str| None;
        let c = Config::resolve(None, &none, Some(PathBuf::from("/dll/log"))).unwrap();
        assert_eq!(c.journal_folder(), Some(PathBuf::from("/dll/log/journal")));
        assert_eq!(c.journal_sync, JournalSync::Always);
        assert_eq!(c.journal_keys, DEFAULT_JOURNAL_KEYS);
        assert_eq!(Config::default().journal_folder(), None);
        let ini =
            "[onetrans]\njournalDir = j\njournalSync = NEVER\njournalKeys = medOrgOrd, hisNo ,\n";
        let path = Path::new("/dll/OneTrans.ini");
        let c = Config::resolve(Some((path, ini)), &none, None).unwrap();
        assert_eq!(c.journal_folder(), Some(PathBuf::from("/dll/j")));
        assert_eq!(c.journal_sync, JournalSync::Never);
        assert_eq!(c.journal_keys, ["medOrgOrd", "hisNo"]);
        let env = |name: &str| (name == "ONETRANS_JOURNAL_KEYS").then(|| "a b".to_owned());
        let err = Config::resolve(None, &env, None).unwrap_err();
        assert!(
            err.message.contains("ONETRANS_JOURNAL_KEYS"),
            "{}",
            err.message
        );
        let env = |name: &str| (name == "ONETRANS_JOURNAL_SYNC").then(|| "sometimes".to_owned());
        assert!(Config::resolve(None, &env, None).is_err());
    }
}

#[cfg(test)]
mod out_buf_size_tests {
    use super::*;

    #[test]
    fn a_broken_configuration_never_widens_the_buffer() {
        let none = |_: &str| None;
        let min = MIN_OUT_BUF_SIZE;
        for (text, expected) in [
            ("[onetrans]\noutBufSize = 4096\nreadTimeOut = 5\n", 4096),
            (
                "[onetrans]\noutBufSize = 65536\noutBufSize=512\nbad line\n",
                512,
            ),
            ("[onetrans]\noutBufSize = 10\n", min),
            ("[onetrans]\noutBufSize = 4096\noutBufSize = lots\n", min),
            ("[onetrans]\noutBufSise = 4096\n", min),
            (
                "[other]\noutBufSize = 4096\n[onetrans]\nreadTimeOut = 5\n",
                min,
            ),
            ("\u{feff}[OneTrans]\r\nOUTBUFSIZE=300\r\nx\r\n", 300),
        ] {
            assert_eq!(
                out_buf_size_after_error(IniFile::Text(text), &none),
                expected,
                "{text}"
            );
        }
        assert_eq!(out_buf_size_after_error(IniFile::Unreadable, &none), min);
        assert_eq!(out_buf_size_after_error(IniFile::Absent, &none), 65_536);
        let env = |v: &'static str| {
            move |name: &str| (name == "ONETRANS_OUT_BUF_SIZE").then(|| v.to_owned())
        };
        let file = IniFile::Text("[onetrans]\noutBufSize = 65536\n");
        assert_eq!(out_buf_size_after_error(file, &env("1024")), 1024);
        assert_eq!(out_buf_size_after_error(file, &env("lots")), min);
        assert_eq!(out_buf_size_after_error(IniFile::Absent, &env("100")), min);
    }
}

#[cfg(test)]
mod sample_tests {
    use super::*;

    #[test]
    fn the_shipped_sample_gives_the_defaults() {
        let text = include_str!("../OneTrans.ini.sample");
        let path = Path::new("/dll/OneTrans.ini");
        let c = Config::resolve(Some((path, text)), &|_| None, None).unwrap();
        let defaults = Config {
            source: Some(path.to_path_buf()),
            ..Config::default()
        };
        assert_eq!(c, defaults);
        for key in KEYS {
            assert!(
                text.contains(&format!("{key} =")),
                "the sample documents {key}"
            );
        }
    }
}
