//! `onetrans journal`: reads the library's call journal (`onetrans::journal`) and lists the
//! requests whose outcome is unknown — an intent without an outcome (the program died
//! mid-call) or an outcome of `000001`, `000101`, `000102`, `444444` — newest first, with their
//! business keys and what to do. A torn line is reported on standard error and skipped.

use std::path::{Path, PathBuf};

use clap::Args;
use onetrans::clock::ChinaTime;
use onetrans::journal::{self, Request, Status};
use onetrans::json::{self, Map, Value};
use onetrans::runtime;

use crate::common::{CliError, CliResult};

/// What to do about an unresolved request, for the table's footer and the CSV/JSON `action`.
const ACTION: &str = "先用订单号向门户查询交易状态，确认后再决定是否重试，不要直接重发 (query the portal for this order before retrying; never just resend)";

#[derive(Debug, Args)]
pub struct JournalArgs {
    /// 流水目录（默认：OneTrans.ini 的 journalDir，未设置时为日志目录下的 journal） / the journal folder (default: journalDir of the configuration, else logDir/journal)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// 列出全部请求（默认只列结果未知的） / list every request (default: only those whose outcome is unknown)
    #[arg(long)]
    all: bool,
    /// 从这个时间起（北京时间，YYYY-MM-DD 或 "YYYY-MM-DD HH:MM:SS"） / from this time on (China time)
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// 到这个时间为止（含；只写日期时含当天全天） / up to this time (inclusive; a date alone includes the whole day)
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// 只列结果为这个返回码的请求（可重复；none 表示没有结果记录）；给出时不再只限结果未知的 / only requests with this outcome code (repeatable; `none`: no outcome); lists them whether resolved or not
    #[arg(long, value_name = "CODE")]
    code: Vec<String>,
    /// 只列业务字段等于该值的请求，如 --key medOrgOrd=ZL0001（可重复，需全部符合） / only requests whose business key has this value (repeatable, all must match)
    #[arg(long, value_name = "KEY=VALUE")]
    key: Vec<String>,
    /// 输出 CSV（UTF-8 带 BOM，Excel 直接打开中文不乱码） / print CSV (UTF-8 with a BOM, so Excel shows Chinese intact)
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// 输出 JSON 数组 / print a JSON array
    #[arg(long)]
    json: bool,
}

/// The filters of the command line, checked.
struct Filter {
    all: bool,
    since: Option<String>,
    until: Option<String>,
    codes: Vec<String>,
    keys: Vec<(String, String)>,
}

impl Filter {
    fn from_args(args: &JournalArgs) -> CliResult<Filter> {
        let keys = args
            .key
            .iter()
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .ok_or_else(|| {
                        CliError::usage(format!(
                            "--key 应为 字段=值，如 medOrgOrd=ZL0001 (--key takes NAME=VALUE): {kv}"
                        ))
                    })
            })
            .collect::<CliResult<_>>()?;
        Ok(Filter {
            all: args.all,
            since: args
                .since
                .as_deref()
                .map(|t| bound(t, "00:00:00"))
                .transpose()?,
            until: args
                .until
                .as_deref()
                .map(|t| bound(t, "23:59:59"))
                .transpose()?,
            codes: args
                .code
                .iter()
                .map(|c| c.trim().to_ascii_lowercase())
                .collect(),
            keys,
        })
    }

    fn admits(&self, request: &Request) -> bool {
        let record = request.record();
        let listed = if self.codes.is_empty() {
            self.all || request.unresolved()
        } else {
            let code = request.code().unwrap_or("none").to_ascii_lowercase();
            self.codes.contains(&code)
        };
        listed
            && self.since.as_ref().is_none_or(|s| record.time >= *s)
            && self.until.as_ref().is_none_or(|u| record.time <= *u)
            && self
                .keys
                .iter()
                .all(|(k, v)| record.keys.iter().any(|(rk, rv)| rk == k && rv == v))
    }
}

/// A `--since`/`--until` time as the records spell it: a date alone gets `time_of_day`.
fn bound(text: &str, time_of_day: &str) -> CliResult<String> {
    let text = text.trim().replace('T', " ");
    let full = if text.len() == 10 {
        format!("{text} {time_of_day}")
    } else {
        text
    };
    ChinaTime::parse(&full).map(|t| t.to_string()).ok_or_else(|| {
        CliError::usage(format!(
            "时间应为 YYYY-MM-DD 或 \"YYYY-MM-DD HH:MM:SS\" (a time is YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\"): {full}"
        ))
    })
}

pub fn run(args: &JournalArgs) -> CliResult {
    let filter = Filter::from_args(args)?;
    let dir = folder(args.dir.as_deref())?;
    let scan = journal::read_folder(&dir).map_err(|e| {
        CliError::usage(format!(
            "无法读取流水目录 {} (cannot read the journal folder): {e}",
            dir.display()
        ))
    })?;
    for problem in &scan.problems {
        let what = if problem.torn_tail {
            "最后一行不完整：写入时进程被终止或断电，已跳过 (the last line is torn: a process was killed or the power failed while writing it; skipped)"
        } else {
            "不是完整的记录，已跳过 (not a whole record; skipped)"
        };
        eprintln!(
            "警告 / warning: {} 第 {} 行 (line {}): {what}: {}",
            problem.file.display(),
            problem.line,
            problem.line,
            problem.preview
        );
    }
    let requests: Vec<Request> = journal::pair(scan.records)
        .into_iter()
        .filter(|r| filter.admits(r))
        .collect();
    if args.json {
        println!(
            "{}",
            json::pretty(&Value::Array(requests.iter().map(to_json).collect()))
        );
    } else if args.csv {
        print!("{}", to_csv(&requests));
    } else {
        print_table(&dir, &requests, filter.all || !filter.codes.is_empty());
    }
    Ok(())
}

/// `--dir`, else the configuration's journal folder.
fn folder(dir: Option<&Path>) -> CliResult<PathBuf> {
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None => {
            let config = runtime::config().map_err(|e| CliError::usage(e.message))?;
            config.journal_folder().ok_or_else(|| {
                CliError::usage(
                    "没有流水目录：请用 --dir 指定，或在 OneTrans.ini 中设置 journalDir 或 logDir (no journal folder: give --dir, or set journalDir or logDir)",
                )
            })?
        }
    };
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(CliError::usage(format!(
            "流水目录不存在 (the journal folder does not exist): {}",
            dir.display()
        )))
    }
}

/// The status as a word for people and for CSV/JSON.
fn status_words(request: &Request) -> (&'static str, &'static str) {
    match request.status() {
        Status::NoOutcome => ("无结果", "noOutcome"),
        Status::Unknown => ("结果未知", "unknown"),
        Status::Known => ("已有结果", "known"),
    }
}

/// `text` padded with spaces to `width` terminal columns (a CJK character takes two).
fn pad(text: &str, width: usize) -> String {
    let used: usize = text
        .chars()
        .map(|c| if c >= '\u{2e80}' { 2 } else { 1 })
        .sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

fn keys_text(keys: &[(String, String)]) -> String {
    keys.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_table(dir: &Path, requests: &[Request], listing_all: bool) {
    println!("调用流水 / call journal: {}", dir.display());
    if requests.is_empty() {
        println!(
            "{}",
            if listing_all {
                "没有符合条件的请求 / no request matches"
            } else {
                "没有结果未知的请求 / no request with an unknown outcome"
            }
        );
        return;
    }
    println!(
        "{}  {}  {:<7}  {:>7}  {:<14}  {:<28}  {:<32}  业务键 keys",
        pad("时间 time", 19),
        pad("状态", 8),
        "code",
        "pid",
        "orgId",
        "path",
        "nonce"
    );
    for request in requests {
        let record = request.record();
        println!(
            "{:<19}  {}  {:<7}  {:>7}  {:<14}  {:<28}  {:<32}  {}",
            record.time,
            pad(status_words(request).0, 8),
            request.code().unwrap_or("-"),
            record.pid,
            record.org_id,
            record.path,
            record.nonce,
            keys_text(&record.keys)
        );
    }
    let open = requests.iter().filter(|r| r.unresolved()).count();
    println!();
    println!(
        "{} 个请求 / requests; {open} 个结果未知 / with an unknown outcome",
        requests.len()
    );
    if open > 0 {
        println!("无结果 = 程序在调用中途被终止（或调用仍在进行）；结果未知 = 000001/000101/000102/444444");
        println!("(no outcome = the program ended mid-call, or the call is still running; unknown = 000001/000101/000102/444444)");
        println!("处理 / what to do: {ACTION}");
    }
}

fn to_json(request: &Request) -> Value {
    let record = request.record();
    let outcome = request.outcome.as_ref();
    let text = |s: Option<&str>| s.map_or(Value::Null, Value::from);
    let mut map = Map::new();
    map.insert("time".into(), record.time.as_str().into());
    map.insert("status".into(), status_words(request).1.into());
    map.insert("code".into(), text(request.code()));
    map.insert(
        "bizCode".into(),
        text(outcome.and_then(|o| o.business_code.as_deref())),
    );
    map.insert(
        "ms".into(),
        outcome.and_then(|o| o.millis).map_or(Value::Null, |ms| {
            Value::from(i64::try_from(ms).unwrap_or(i64::MAX))
        }),
    );
    map.insert(
        "pid".into(),
        Value::from(i64::try_from(record.pid).unwrap_or(0)),
    );
    map.insert("orgId".into(), record.org_id.as_str().into());
    map.insert("path".into(), record.path.as_str().into());
    let keys: Map = record
        .keys
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    map.insert("keys".into(), keys.into());
    map.insert("nonce".into(), record.nonce.as_str().into());
    map.insert("dataSm3".into(), record.data_sm3.as_str().into());
    map.insert(
        "action".into(),
        if request.unresolved() { ACTION } else { "" }.into(),
    );
    Value::Object(map)
}

/// CSV for Excel: a UTF-8 byte-order mark (without it Excel reads UTF-8 as the ANSI code page
/// and garbles Chinese), CRLF line ends, one column per business key seen.
fn to_csv(requests: &[Request]) -> String {
    let mut key_names: Vec<&str> = Vec::new();
    for request in requests {
        for (k, _) in &request.record().keys {
            if !key_names.contains(&k.as_str()) {
                key_names.push(k);
            }
        }
    }
    let mut out = String::from("\u{feff}");
    let mut header = vec![
        "time", "status", "code", "bizCode", "ms", "pid", "orgId", "path",
    ];
    header.extend(&key_names);
    header.extend(["nonce", "dataSm3", "action"]);
    push_row(&mut out, header.iter().map(|h| (*h).to_owned()));
    for request in requests {
        let record = request.record();
        let outcome = request.outcome.as_ref();
        let mut row = vec![
            record.time.clone(),
            status_words(request).1.to_owned(),
            request.code().unwrap_or_default().to_owned(),
            outcome
                .and_then(|o| o.business_code.clone())
                .unwrap_or_default(),
            outcome
                .and_then(|o| o.millis)
                .map(|ms| ms.to_string())
                .unwrap_or_default(),
            record.pid.to_string(),
            record.org_id.clone(),
            record.path.clone(),
        ];
        for name in &key_names {
            let value = record.keys.iter().find(|(k, _)| k == name);
            row.push(value.map(|(_, v)| v.clone()).unwrap_or_default());
        }
        row.push(record.nonce.clone());
        row.push(record.data_sm3.clone());
        row.push(if request.unresolved() { ACTION } else { "" }.to_owned());
        push_row(&mut out, row.into_iter());
    }
    out
}

/// One CSV line (RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled).
fn push_row(out: &mut String, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_csv_quoting() {
        assert_eq!(
            bound("2026-11-26", "23:59:59").unwrap(),
            "2026-11-26 23:59:59"
        );
        assert_eq!(
            bound("2026-11-26T08:00:00", "x").unwrap(),
            "2026-11-26 08:00:00"
        );
        assert!(bound("yesterday", "x").is_err());
        let mut out = String::new();
        push_row(
            &mut out,
            ["a,b".to_owned(), "say \"hi\"".to_owned(), "c".to_owned()].into_iter(),
        );
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",c\r\n");
    }
}
