//! Helpers of the portal's wire tests: requests built with the library's own `seal_request` from
//! the spec's vector inputs, a keep-alive HTTP client (ureq), and a raw TCP client that shows
//! exactly what came back on the wire.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use onetrans::crypto::DataKey;
use onetrans::input::{self, CallInput};
use onetrans::protocol::{self, Answer};
use onetrans_portal::Portal;

pub const APP_ID: &str = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN";
pub const APP_KEY: &str = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";
pub const PUSH_MSG: &str = "/api/amp/hos/pushMsg";
pub const DRUG: &str = "/api/mobile/verificationDrug";

/// The spec's vectors: the repository's `spec/vectors.json`, else the shared spec's.
pub fn vectors() -> serde_json::Value {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors.json");
    let text = std::fs::read_to_string(repo)
        .or_else(|_| std::fs::read_to_string("/work/shared/spec/vectors.json"))
        .expect("spec/vectors.json");
    serde_json::from_str(&text).unwrap()
}

/// The `input` of the request vector called `name`.
pub fn vector_input(name: &str) -> String {
    let v = vectors();
    v["request"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no request vector {name}"))["input"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The seed pushMsg input, parsed.
pub fn push_msg_input() -> CallInput {
    input::parse(&vector_input("seed pushMsg example")).unwrap()
}

/// The verificationDrug input with another ticket id.
pub fn drug_input(ticket: &str) -> CallInput {
    let text = vector_input("verificationDrug, lower-case types, no orgId")
        .replace("202212229114", ticket);
    input::parse(&text).unwrap()
}

/// An input with this business data (JSON object text) for the default app.
pub fn input_with(business: &str) -> CallInput {
    let text = format!(
        r#"{{"data":{{"serverAddr":"http://127.0.0.1:1/x","appId":"{APP_ID}","appKey":"{APP_KEY}"}},"orgId":"H46010000000"}}"#
    );
    let mut input = input::parse(&text).unwrap();
    input.business = onetrans::json::parse(business).unwrap();
    input
}

/// A request sealed now (by the portal's clock) with a fresh nonce.
pub struct Sealed {
    pub body: String,
    pub nonce: String,
    pub input: CallInput,
}

impl Sealed {
    pub fn key(&self) -> DataKey {
        DataKey::derive(&self.input.app_id, &self.input.app_key)
    }

    /// Opens an answer to this request with the library's `open_response`.
    pub fn open(&self, answer: &[u8]) -> Result<Answer, onetrans::error::Error> {
        protocol::open_response(
            answer,
            &self.input.app_id,
            &self.key(),
            &self.input.app_key,
            &self.nonce,
        )
    }
}

/// Seals `input` with the portal's current time and a new nonce.
pub fn seal(portal: &Portal, input: &CallInput) -> Sealed {
    seal_at(input, &portal.now().to_string())
}

/// Seals `input` with this timestamp and a new nonce.
pub fn seal_at(input: &CallInput, timestamp: &str) -> Sealed {
    let key = DataKey::derive(&input.app_id, &input.app_key);
    let nonce = protocol::new_nonce();
    let sealed = protocol::seal_request(input, &key, timestamp, &nonce);
    Sealed {
        body: sealed.body,
        nonce,
        input: input.clone(),
    }
}

/// A keep-alive HTTP client (ureq) that reports any status as an answer.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// POSTs `body` to `url`: (status, body).
pub fn post(agent: &ureq::Agent, url: &str, body: &str) -> Result<(u16, String), ureq::Error> {
    let mut response = agent
        .post(url)
        .header("Content-Type", "application/json;charset=UTF-8")
        .send(body)?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    Ok((status, text))
}

/// The `respCode` of an answer body.
pub fn resp_code(body: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["respCode"].as_str().unwrap_or_default().to_owned()
}

/// How a raw read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The whole answer (headers and `Content-Length` bytes) came.
    Complete,
    /// The server closed the connection (FIN) first.
    Eof,
    /// The connection was reset (RST).
    Reset,
    /// Nothing more came within the read timeout.
    Timeout,
    Other(io::ErrorKind),
}

/// What came back on a raw connection.
#[derive(Debug, Clone)]
pub struct Wire {
    /// Every byte received.
    pub raw: Vec<u8>,
    pub status: Option<u16>,
    pub head: String,
    pub body: Vec<u8>,
    pub content_length: Option<usize>,
    pub end: End,
}

impl Wire {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// A raw HTTP/1.1 client connection.
pub struct RawConn {
    pub stream: TcpStream,
    addr: SocketAddr,
}

impl RawConn {
    pub fn connect(addr: SocketAddr) -> RawConn {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        RawConn { stream, addr }
    }

    pub fn set_read_timeout(&self, timeout: Duration) {
        self.stream.set_read_timeout(Some(timeout)).unwrap();
    }

    /// Sends one POST.
    pub fn send(&mut self, path: &str, body: &str) {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.stream.write_all(request.as_bytes()).unwrap();
    }

    /// Reads one answer, or as much of it as comes before the connection ends.
    pub fn read_answer(&mut self) -> Wire {
        let mut raw = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        let mut head_end = None;
        let mut content_length = None;
        let end = loop {
            if head_end.is_none() {
                if let Some(i) = find(&raw, b"\r\n\r\n") {
                    head_end = Some(i + 4);
                    let head = String::from_utf8_lossy(&raw[..i]).into_owned();
                    content_length = head.lines().skip(1).find_map(|line| {
                        let (n, v) = line.split_once(':')?;
                        if n.trim().eq_ignore_ascii_case("content-length") {
                            v.trim().parse().ok()
                        } else {
                            None
                        }
                    });
                }
            }
            if let (Some(h), Some(len)) = (head_end, content_length) {
                if raw.len() - h >= len {
                    break End::Complete;
                }
            }
            match self.stream.read(&mut buf) {
                Ok(0) => break End::Eof,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) => {
                    break match e.kind() {
                        io::ErrorKind::ConnectionReset => End::Reset,
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => End::Timeout,
                        other => End::Other(other),
                    }
                }
            }
        };
        let (head, body) = match head_end {
            Some(h) => (
                String::from_utf8_lossy(&raw[..h - 4]).into_owned(),
                raw[h..].to_vec(),
            ),
            None => (String::new(), Vec::new()),
        };
        let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok());
        Wire {
            raw,
            status,
            head,
            body,
            content_length,
            end,
        }
    }

    /// After an answer: whether the server then closes the connection (within `wait`).
    pub fn closed_by_server(&mut self, wait: Duration) -> End {
        self.set_read_timeout(wait);
        let mut buf = [0u8; 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => End::Eof,
            Ok(_) => End::Other(io::ErrorKind::InvalidData),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => End::Reset,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                End::Timeout
            }
            Err(e) => End::Other(e.kind()),
        }
    }
}

/// One request on a new raw connection.
pub fn raw_exchange(addr: SocketAddr, path: &str, body: &str) -> Wire {
    let mut conn = RawConn::connect(addr);
    conn.send(path, body);
    conn.read_answer()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A portal with the default configuration.
pub fn portal() -> Portal {
    Portal::start(Default::default()).unwrap()
}
