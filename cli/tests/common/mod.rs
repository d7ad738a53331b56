//! Helpers shared by the end-to-end tests: run the built `onetrans` binary, read the spec's
//! vectors, build inputs, write temporary files.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use onetrans::json::{self, Value};

/// The test vectors of the spec, parsed with the library's own JSON reader.
pub const VECTORS: &str = include_str!("../../../spec/vectors.json");

/// The vendor document's credentials, registered at the portal simulator.
pub const APP_ID: &str = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN";
pub const APP_KEY: &str = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";

pub fn vectors(group: &str) -> Vec<Value> {
    let all = json::parse(VECTORS).expect("vectors.json is JSON");
    match all.get(group) {
        Some(Value::Array(items)) => items.clone(),
        _ => panic!("no vector group {group}"),
    }
}

/// A string member of a vector.
pub fn s<'a>(vector: &'a Value, name: &str) -> &'a str {
    vector
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("vector member {name}"))
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Everything printed, for "never shows X" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    pub fn last_line(&self) -> &str {
        self.stdout.trim_end().lines().last().unwrap_or("")
    }

    /// The lines starting with a verdict marker and mentioning `what`.
    pub fn verdict_of(&self, what: &str) -> Option<&str> {
        self.stdout
            .lines()
            .find(|l| l.starts_with('[') && l.contains(what))
    }
}

/// Runs `onetrans` with the given arguments, standard input and extra environment, without
/// any of the library's `ONETRANS_*` settings from the outer environment.
pub fn run_env(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onetrans"));
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env_remove(onetrans::config::FILE_ENV);
    for key in onetrans::config::KEYS {
        cmd.env_remove(onetrans::config::env_name(key));
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the onetrans binary runs");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // A command that fails early (a bad --config) may exit before reading its input.
        if let Err(e) = pipe.write_all(bytes) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "stdin: {e}");
        }
    }
    let out = child.wait_with_output().expect("the binary finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Run {
    run_env(args, stdin, &[])
}

/// A file in a fresh temporary folder of this test process.
pub fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onetrans-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("temp file");
    path
}

/// Sets members of the input's `data`.
pub fn with_data(input: &str, members: &[(&str, &str)]) -> String {
    let mut value = json::parse(input).expect("input is JSON");
    if let Value::Object(root) = &mut value {
        if let Some(Value::Object(data)) = root.get_mut("data") {
            for (k, v) in members {
                data.insert((*k).into(), (*v).into());
            }
        }
    }
    json::compact(&value)
}

/// The vendor document's pushMsg example (the first request vector) sent to `url`, stamped
/// with the current time by the library.
pub fn push_msg_input(url: &str) -> String {
    let input = s(&vectors("request")[0], "input").to_owned();
    with_data(&input, &[("serverAddr", url), ("timestamp", "")])
}

/// The output JSON of a `call` run: everything before the final return-code line.
pub fn output_json(run: &Run) -> Value {
    let text = run.stdout.trim_end();
    let body = text.rsplit_once('\n').map_or("", |(head, _)| head);
    let start = body.rfind("\n{").map_or(0, |i| i + 1);
    json::parse(&body[start..]).unwrap_or_else(|e| panic!("output JSON: {e}\n{}", run.stdout))
}

/// A port on 127.0.0.1 with nothing listening.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
