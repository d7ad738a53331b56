//! The call journal: one line of JSON per event in `journalDir/onetrans-YYYYMMDD.jsonl`, so that
//! no request can vanish without a trace (issue 13).
//!
//! Every call that gets as far as sending writes an **intent** record just before the request is
//! handed to the transport (so before its first byte reaches a socket), and an **outcome** record
//! when the call ends, whatever its code. A program killed mid-call leaves an intent without an
//! outcome; [`read_folder`] and [`pair`] find those and the outcomes whose result is unknown
//! ([`UNKNOWN_CODES`]), for `onetrans journal`.
//!
//! * **Whole records**: each record is written with one `write` on a file opened in append mode
//!   (`O_APPEND`; on Windows `FILE_APPEND_DATA`, which std's `OpenOptions::append` asks for), so
//!   threads and processes sharing one folder never interleave. A record torn by a power cut is
//!   at most the file's last line; the reader reports it and goes on, and the next writer to open
//!   the file ends it with a newline first.
//! * **Durability**: with `journalSync=always` (the default) the intent is `sync_data`ed before
//!   the request is sent; the outcome is not (a lost outcome leaves the call listed as unknown,
//!   the safe side).
//! * **Never fails a call**: every write error is returned to [`crate::runtime`], which logs the
//!   first one of the process and carries on.
//! * **No personal data, no secrets**: the records hold the nonce, `orgId`, the path, the
//!   business keys of `journalKeys` (masked like the log when a key names personal data) and
//!   the SM3 hash of the business data's compact JSON (to tell two requests apart, not to read
//!   them).
//! * A `000100` (nothing sent: the portal could not be reached) or a `000105` the transport finds
//!   (an unusable URL) leaves an intent and its outcome: recorded, never listed as unknown.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::clock::ChinaTime;
use crate::config::{Config, JournalSync};
use crate::crypto;
use crate::json::{self, Map, Value};
use crate::log;

/// The outcome codes after which the portal may or may not have acted on the request: query it
/// before retrying. With an intent that has no outcome, what `onetrans journal` lists.
pub const UNKNOWN_CODES: [&str; 4] = ["000001", "000101", "000102", "444444"];

/// The longest business key value recorded, in characters (longer ones are cut).
const MAX_KEY_CHARS: usize = 128;

/// What the journal records of one call: no personal data, no secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFacts {
    pub nonce: String,
    pub org_id: String,
    pub path: String,
    /// The business keys (`journalKeys`) present in the business data, in the list's order.
    pub keys: Vec<(String, String)>,
    /// SM3 of the business data's compact JSON, upper-case hex.
    pub data_sm3: String,
}

impl CallFacts {
    /// The facts of a call about to send `business` (the caller's `data` without the connection
    /// keys).
    pub fn new(
        nonce: &str,
        org_id: Option<&str>,
        path: &str,
        business: &Value,
        key_names: &[String],
    ) -> CallFacts {
        CallFacts {
            nonce: nonce.to_owned(),
            org_id: org_id.unwrap_or_default().to_owned(),
            path: path.to_owned(),
            keys: business_keys(business, key_names),
            data_sm3: crypto::hex_upper(&crypto::sm3(json::compact(business).as_bytes())),
        }
    }
}

/// The members of `business` named in `names` that hold a string, a number or a boolean, as
/// text: masked when the name is one the log masks (an ID or phone number, a secret), control
/// characters replaced (a record and a log line stay one line), at most [`MAX_KEY_CHARS`].
pub fn business_keys(business: &Value, names: &[String]) -> Vec<(String, String)> {
    names
        .iter()
        .filter_map(|name| {
            let text = match business.get(name)? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.as_str().to_owned(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            let clean: String = text
                .chars()
                .take(MAX_KEY_CHARS)
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
            Some((name.clone(), log::mask_member(name, &clean)))
        })
        .collect()
}

/// How a call ended, for its outcome record.
#[derive(Debug, Clone, Copy)]
pub struct Ended<'a> {
    /// The return code.
    pub code: &'a str,
    /// The business `code` of a verified answer.
    pub business_code: Option<&'a str>,
    /// From the intent to the end.
    pub millis: u128,
}

/// The kind of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Intent,
    Outcome,
}

impl Event {
    fn as_str(self) -> &'static str {
        match self {
            Event::Intent => "intent",
            Event::Outcome => "outcome",
        }
    }
}

/// `onetrans-YYYYMMDD.jsonl`.
pub fn file_name(date: &str) -> String {
    format!("onetrans-{date}.jsonl")
}

/// The journal file of a day in `dir`.
pub fn file_for(dir: &Path, day: ChinaTime) -> PathBuf {
    dir.join(file_name(&day.date_compact()))
}

/// A journal folder with its current day's file, shared by the threads of the process.
pub struct Journal {
    dir: PathBuf,
    sync: JournalSync,
    retention_days: u32,
    /// The day's open file, or when opening it last failed. Held only to swap the file; the
    /// writes themselves (and `sync_data`) run outside it, on a shared handle.
    current: Mutex<Current>,
}

/// The open file of a day (`YYYYMMDD`), or when the last attempt to open one failed.
#[derive(Default)]
struct Current {
    file: Option<(String, Arc<File>)>,
    /// The China time (Unix seconds) of the last failed attempt.
    failed_at: Option<i64>,
}

impl Journal {
    pub fn new(dir: PathBuf, sync: JournalSync, retention_days: u32) -> Journal {
        Journal {
            dir,
            sync,
            retention_days,
            current: Mutex::new(Current::default()),
        }
    }

    /// The journal of the configuration ([`Config::journal_folder`]), if it has a folder.
    pub fn from_config(config: &Config) -> Option<Journal> {
        let dir = config.journal_folder()?;
        Some(Journal::new(
            dir,
            config.journal_sync,
            config.log_retention_days,
        ))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends the intent of a call about to be sent, and with `journalSync=always` forces it
    /// to the disk.
    pub fn intent(&self, facts: &CallFacts, now: ChinaTime) -> io::Result<()> {
        let line = record_line(Event::Intent, facts, None, now);
        let file = self.file(now)?;
        (&*file).write_all(line.as_bytes())?;
        if self.sync == JournalSync::Always {
            file.sync_data()?;
        }
        Ok(())
    }

    /// Appends the outcome of a call (never forced to the disk: see the module's notes).
    pub fn outcome(&self, facts: &CallFacts, ended: &Ended<'_>, now: ChinaTime) -> io::Result<()> {
        let line = record_line(Event::Outcome, facts, Some(ended), now);
        let file = self.file(now)?;
        (&*file).write_all(line.as_bytes())
    }

    /// Opens (creating it) the file of `now`'s day, as a write would: for `onetrans check`.
    pub fn probe(&self, now: ChinaTime) -> io::Result<PathBuf> {
        self.file(now)?;
        Ok(file_for(&self.dir, now))
    }

    /// The file of `now`'s day, opened on the first write of the day (which also prunes the
    /// files past the retention). After a failed open, the writes of the next
    /// [`log::RETRY_OPEN_SECS`] fail without trying (as the log's: an unwritable folder costs one
    /// `mkdir` and `open` a minute, not two per call under the lock every caller takes).
    fn file(&self, now: ChinaTime) -> io::Result<Arc<File>> {
        let date = now.date_compact();
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((day, file)) = current.file.as_ref() {
            if *day == date {
                return Ok(Arc::clone(file));
            }
        }
        if let Some(at) = current.failed_at {
            let t = now.unix();
            if t >= at && t - at < log::RETRY_OPEN_SECS {
                return Err(io::Error::other(
                    "the journal folder could not be opened less than a minute ago",
                ));
            }
        }
        let file = match self.open(&date) {
            Ok(file) => Arc::new(file),
            Err(error) => {
                current.failed_at = Some(now.unix());
                return Err(error);
            }
        };
        current.failed_at = None;
        current.file = Some((date, Arc::clone(&file)));
        drop(current);
        self.remove_old(now);
        Ok(file)
    }

    fn open(&self, date: &str) -> io::Result<File> {
        fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(file_name(date));
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)?;
        if existed {
            end_torn_line(&mut file)?;
        } else if self.sync == JournalSync::Always {
            sync_folder(&self.dir);
        }
        Ok(file)
    }

    /// Removes `onetrans-YYYYMMDD.jsonl` files older than the retention (the logs' own).
    fn remove_old(&self, now: ChinaTime) {
        let oldest = ChinaTime::from_unix(now.unix() - i64::from(self.retention_days) * 86_400)
            .date_compact();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(date) = name.to_str().and_then(date_of_file) else {
                continue;
            };
            if *date < *oldest {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// The `YYYYMMDD` of a journal file's name.
fn date_of_file(name: &str) -> Option<&str> {
    let date = name.strip_prefix("onetrans-")?.strip_suffix(".jsonl")?;
    (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit())).then_some(date)
}

/// Ends a file whose last line was torn (a power cut mid-write) with a newline, so that the
/// next record starts a line of its own. Two processes may both do it: an empty line, skipped.
fn end_torn_line(file: &mut File) -> io::Result<()> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        file.write_all(b"\n")?;
    }
    Ok(())
}

/// Makes a new file's name durable (POSIX: the folder's entry is synced separately). Best
/// effort; Windows has no equivalent to ask for.
fn sync_folder(dir: &Path) {
    #[cfg(unix)]
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// One record as a line of compact JSON, newline included.
fn record_line(
    event: Event,
    facts: &CallFacts,
    ended: Option<&Ended<'_>>,
    now: ChinaTime,
) -> String {
    let mut map = Map::with_capacity(11);
    map.insert("time".into(), now.to_string().into());
    map.insert("event".into(), event.as_str().into());
    map.insert("pid".into(), i64::from(std::process::id()).into());
    map.insert("nonce".into(), facts.nonce.as_str().into());
    map.insert("orgId".into(), facts.org_id.as_str().into());
    map.insert("path".into(), facts.path.as_str().into());
    let keys: Map = facts
        .keys
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    map.insert("keys".into(), keys.into());
    map.insert("dataSm3".into(), facts.data_sm3.as_str().into());
    if let Some(ended) = ended {
        map.insert("code".into(), ended.code.into());
        map.insert(
            "bizCode".into(),
            ended.business_code.map_or(Value::Null, Value::from),
        );
        let millis = i64::try_from(ended.millis).unwrap_or(i64::MAX);
        map.insert("ms".into(), millis.into());
    }
    let mut line = json::compact(&Value::Object(map));
    line.push('\n');
    line
}

// --- reading -----------------------------------------------------------------------------------

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub time: String,
    pub event: Event,
    pub pid: u64,
    pub nonce: String,
    pub org_id: String,
    pub path: String,
    pub keys: Vec<(String, String)>,
    pub data_sm3: String,
    /// The outcome's return code.
    pub code: Option<String>,
    pub business_code: Option<String>,
    pub millis: Option<u64>,
}

/// Reads one line; `None` when it is not a whole record.
pub fn parse_record(line: &str) -> Option<Record> {
    let value = json::parse(line).ok()?;
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let number = |key: &str| {
        value.get(key).and_then(|v| match v {
            Value::Number(n) => n.as_str().parse::<u64>().ok(),
            _ => None,
        })
    };
    let event = match text("event")?.as_str() {
        "intent" => Event::Intent,
        "outcome" => Event::Outcome,
        _ => return None,
    };
    let keys = value
        .get("keys")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let record = Record {
        time: text("time")?,
        event,
        pid: number("pid").unwrap_or(0),
        nonce: text("nonce")?,
        org_id: text("orgId").unwrap_or_default(),
        path: text("path").unwrap_or_default(),
        keys,
        data_sm3: text("dataSm3").unwrap_or_default(),
        code: text("code"),
        business_code: text("bizCode"),
        millis: number("ms"),
    };
    (event == Event::Intent || record.code.is_some()).then_some(record)
}

/// A line that is not a whole record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// The file's last line, without a newline: a process killed (or a machine losing power)
    /// while writing it.
    pub torn_tail: bool,
    /// The line's first characters.
    pub preview: String,
}

/// The records of a folder and the lines that were not records.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// In file (day) order, then line order.
    pub records: Vec<Record>,
    pub problems: Vec<Problem>,
}

/// Reads every `onetrans-YYYYMMDD.jsonl` of `dir`, oldest day first. Never fails on a file's
/// content; only an unreadable folder is an error (an unreadable file is a [`Problem`]).
pub fn read_folder(dir: &Path) -> io::Result<Scan> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .flatten()
        .filter(|e| e.file_name().to_str().and_then(date_of_file).is_some())
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut scan = Scan::default();
    for path in files {
        match fs::read(&path) {
            Ok(bytes) => read_text(&String::from_utf8_lossy(&bytes), &path, &mut scan),
            Err(e) => scan.problems.push(Problem {
                file: path,
                line: 0,
                torn_tail: false,
                preview: format!("无法读取 (unreadable): {e}"),
            }),
        }
    }
    Ok(scan)
}

/// Adds the records of one file's text to `scan`. A line that does not parse is a problem; when
/// a whole record follows the broken part on the same line (a torn record, then a record of
/// another process appended before anyone ended the line), that record is kept.
pub fn read_text(text: &str, file: &Path, scan: &mut Scan) {
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.split('\n').collect();
    let count = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if let Some(record) = parse_record(line) {
            scan.records.push(record);
            continue;
        }
        let recovered = line
            .rfind("{\"time\":")
            .filter(|&at| at > 0)
            .and_then(|at| parse_record(&line[at..]));
        scan.problems.push(Problem {
            file: file.to_path_buf(),
            line: i + 1,
            torn_tail: i + 1 == count && !ends_with_newline,
            preview: line.chars().take(80).collect(),
        });
        scan.records.extend(recovered);
    }
}

/// One request: its intent and its outcome, as far as they were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub intent: Option<Record>,
    pub outcome: Option<Record>,
}

/// Whether a request's result is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// An intent without an outcome: the program ended mid-call (or the call is still running).
    NoOutcome,
    /// An outcome of [`UNKNOWN_CODES`].
    Unknown,
    /// Any other outcome.
    Known,
}

impl Request {
    /// The record that names the request (the intent, else the outcome).
    pub fn record(&self) -> &Record {
        self.intent
            .as_ref()
            .or(self.outcome.as_ref())
            .expect("a request has a record")
    }

    /// The outcome's code, if any.
    pub fn code(&self) -> Option<&str> {
        self.outcome.as_ref().and_then(|o| o.code.as_deref())
    }

    pub fn status(&self) -> Status {
        match self.code() {
            None => Status::NoOutcome,
            Some(code) if UNKNOWN_CODES.contains(&code) => Status::Unknown,
            Some(_) => Status::Known,
        }
    }

    /// Whether someone must query the portal before retrying this request.
    pub fn unresolved(&self) -> bool {
        self.status() != Status::Known
    }
}

/// Pairs intents and outcomes by nonce; newest first (by the intent's time, or the outcome's
/// when there is no intent; ties: the later record first).
pub fn pair(records: Vec<Record>) -> Vec<Request> {
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut requests: Vec<Request> = Vec::new();
    for record in records {
        let slot = *index.entry(record.nonce.clone()).or_insert_with(|| {
            requests.push(Request {
                intent: None,
                outcome: None,
            });
            requests.len() - 1
        });
        let request = &mut requests[slot];
        match record.event {
            Event::Intent => request.intent = Some(record),
            Event::Outcome => request.outcome = Some(record),
        }
    }
    requests.reverse();
    requests.sort_by(|a, b| b.record().time.cmp(&a.record().time));
    requests
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(nonce: &str) -> CallFacts {
        let business = json::parse(
            r#"{"medOrgOrd":"ZL0001","idNo":"460029196507081627","amt":12.5,"orgCode":"H1\n"}"#,
        )
        .unwrap();
        let names: Vec<String> = ["medOrgOrd", "payOrdId", "idNo", "orgCode"]
            .map(str::to_owned)
            .to_vec();
        CallFacts::new(nonce, Some("H46"), "/api/x", &business, &names)
    }

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("onetrans-journal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn keys_are_named_masked_and_one_line() {
        let f = facts("n1");
        assert_eq!(
            f.keys,
            [
                ("medOrgOrd".to_owned(), "ZL0001".to_owned()),
                ("idNo".to_owned(), "460029********1627".to_owned()),
                ("orgCode".to_owned(), "H1?".to_owned()),
            ]
        );
        assert_eq!(f.data_sm3.len(), 64);
    }

    #[test]
    fn writes_reads_pairs_and_prunes() {
        let dir = temp("rw");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("onetrans-20000101.jsonl"), "old\n").unwrap();
        let journal = Journal::new(dir.clone(), JournalSync::Always, 30);
        let t = ChinaTime::parse("2026-11-26 10:00:00").unwrap();
        let later = ChinaTime::parse("2026-11-26 10:00:05").unwrap();
        journal.intent(&facts("a"), t).unwrap();
        journal.intent(&facts("b"), later).unwrap();
        let ended = Ended {
            code: "000000",
            business_code: Some("0"),
            millis: 12,
        };
        journal.outcome(&facts("a"), &ended, later).unwrap();
        assert!(!dir.join("onetrans-20000101.jsonl").exists(), "pruned");
        let scan = read_folder(&dir).unwrap();
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        assert_eq!(scan.records.len(), 3);
        let requests = pair(scan.records);
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].record().nonce, "b", "newest first");
        assert_eq!(requests[0].status(), Status::NoOutcome);
        assert_eq!(requests[1].status(), Status::Known);
        assert_eq!(requests[1].outcome.as_ref().unwrap().millis, Some(12));
        let text = fs::read_to_string(file_for(&dir, t)).unwrap();
        assert!(!text.contains("460029196507081627"), "{text}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_torn_line_is_reported_and_ended_by_the_next_writer() {
        let dir = temp("torn");
        fs::create_dir_all(&dir).unwrap();
        let t = ChinaTime::parse("2026-11-26 10:00:00").unwrap();
        let path = file_for(&dir, t);
        let whole = record_line(Event::Intent, &facts("a"), None, t);
        fs::write(&path, format!("{whole}{}", &whole[..40])).unwrap();
        let scan = read_folder(&dir).unwrap();
        assert_eq!(scan.records.len(), 1);
        assert_eq!(scan.problems.len(), 1);
        assert!(scan.problems[0].torn_tail && scan.problems[0].line == 2);
        // A writer ends the torn line before its own record.
        let journal = Journal::new(dir.clone(), JournalSync::Never, 30);
        journal.intent(&facts("b"), t).unwrap();
        let scan = read_folder(&dir).unwrap();
        assert_eq!(scan.records.len(), 2);
        assert!(!scan.problems[0].torn_tail);
        // A torn record that a record was appended to: the record is kept.
        fs::write(&path, format!("{}{whole}", &whole[..40])).unwrap();
        let scan = read_folder(&dir).unwrap();
        assert_eq!((scan.records.len(), scan.problems.len()), (1, 1));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unwritable_folder_is_retried_once_a_minute() {
        let base = temp("retry");
        fs::create_dir_all(&base).unwrap();
        let blocker = base.join("file");
        fs::write(&blocker, "x").unwrap();
        let dir = blocker.join("journal");
        let journal = Journal::new(dir.clone(), JournalSync::Never, 30);
        let t0 = ChinaTime::parse("2026-11-26 10:00:00").unwrap();
        let at = |secs: i64| ChinaTime::from_unix(t0.unix() + secs);
        assert!(journal.intent(&facts("a"), t0).is_err());
        fs::remove_file(&blocker).unwrap();
        assert!(journal.intent(&facts("b"), at(59)).is_err());
        assert!(!dir.exists(), "not tried again within the minute");
        journal.intent(&facts("c"), at(60)).unwrap();
        assert_eq!(read_folder(&dir).unwrap().records.len(), 1);
        let _ = fs::remove_dir_all(&base);
    }

    #[test]
    fn unknown_codes_are_unresolved() {
        let record = |event, code: Option<&str>| Record {
            time: "2026-11-26 10:00:00".into(),
            event,
            pid: 1,
            nonce: "n".into(),
            org_id: String::new(),
            path: String::new(),
            keys: Vec::new(),
            data_sm3: String::new(),
            code: code.map(str::to_owned),
            business_code: None,
            millis: None,
        };
        for (code, unresolved) in [
            ("000001", true),
            ("000101", true),
            ("000102", true),
            ("444444", true),
            ("000000", false),
            ("000100", false),
            ("000105", false),
            ("000002", false),
        ] {
            let request = Request {
                intent: Some(record(Event::Intent, None)),
                outcome: Some(record(Event::Outcome, Some(code))),
            };
            assert_eq!(request.unresolved(), unresolved, "{code}");
        }
    }
}
