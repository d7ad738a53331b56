//! One HTTP request: the fault prefix, the body, the checks, the record, then the answer as the
//! faults shape it on the wire.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, DATE, SERVER};
use hyper::{Request, Response, StatusCode};
use onetrans::clock::ChinaTime;
use onetrans::error::codes;

use crate::checks::{Handler, Verdict};
use crate::faults::{self, Delivery, Replacement, Route};
use crate::record::{self, Received};
use crate::server::{ConnCtl, Cut, FLUSH_BEFORE_CUT};
use crate::state::Shared;

/// The largest request body read, in bytes; a larger one is answered `000105`.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

const JSON: &str = "application/json;charset=UTF-8";
const TEXT: &str = "text/plain;charset=UTF-8";
const HTML: &str = "text/html;charset=UTF-8";

/// The most bytes of a generated (`oversize`) body sent before a `reset` or `truncate` cut.
const MAX_PARTIAL_GENERATED: u64 = 64 * 1024;
/// The chunk size of a generated body.
const GENERATED_CHUNK: u64 = 64 * 1024;

/// Answers one request, with a `Date` header from the portal's clock: with a clock offset the
/// portal is one clock, so the header moves with the timestamps it checks and answers (a client
/// reading the portal's time from `Date` sees the offset too).
pub(crate) async fn handle(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    ctl: Arc<ConnCtl>,
) -> Result<Response<WireBody>, Infallible> {
    let mut response = answer(request, Arc::clone(&shared), ctl).await?;
    // Taken when the answer goes out (after any `slow` delay), as a server's Date header is.
    if let Ok(date) = HeaderValue::from_str(&http_date(shared.now())) {
        response.headers_mut().insert(DATE, date);
    }
    Ok(response)
}

/// The IMF-fixdate of the HTTP `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110).
pub fn http_date(time: ChinaTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let unix = time.unix();
    // The civil fields of China time 8 hours earlier are the fields of GMT.
    let (y, mo, d, h, mi, s) = ChinaTime::from_unix(unix - 8 * 3600).fields();
    // 1970-01-01 was a Thursday.
    let weekday = DAYS[unix.div_euclid(86_400).rem_euclid(7) as usize];
    let month = MONTHS[(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} GMT")
}

/// The answer to one request, as the faults shape it: route, check and record, wait, then
/// deliver.
async fn answer(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    ctl: Arc<ConnCtl>,
) -> Result<Response<WireBody>, Infallible> {
    let raw_path = request.uri().path().to_owned();
    let route = match faults::route(&raw_path) {
        Ok(route) => route,
        Err(message) => return Ok(bad_route(request, &shared, raw_path, &message).await),
    };
    let body = read_body(request.into_body()).await;
    let answer = check_and_record(&route, body.as_deref(), &shared);
    let plan = route.plan;
    if let Some(delay) = plan.delay {
        tokio::time::sleep(delay).await;
    }
    let (status, content_type, content) = content_of(plan.replacement, answer);
    deliver(plan.delivery, status, content_type, content, ctl).await
}

/// The `400` for a path whose fault prefix does not parse; the request is recorded with the
/// raw path as its fault.
async fn bad_route(
    request: Request<Incoming>,
    shared: &Shared,
    raw_path: String,
    message: &str,
) -> Response<WireBody> {
    let body = read_body(request.into_body()).await.unwrap_or_default();
    shared.record(Received {
        path: raw_path.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
        envelope: None,
        data: None,
        resp_code: String::new(),
        code: None,
        fault: Some(raw_path),
    });
    let text = format!("400 Bad Request: {message}\n");
    response(StatusCode::BAD_REQUEST, TEXT, WireBody::full(text))
}

/// Runs the portal's checks on a request body (`None`: over [`MAX_REQUEST_BYTES`] or not read
/// to its end), records the request, and returns the answer text, mangled as the route's
/// answer fault says.
fn check_and_record(route: &Route, body: Option<&[u8]>, shared: &Shared) -> String {
    let plan = &route.plan;
    let handler = if plan.echo {
        Handler::Echo
    } else {
        Handler::Business
    };
    let verdict = match body {
        Some(body) => shared
            .gateway
            .process(&route.path, body, shared.now(), handler),
        None => Verdict::rejected(
            codes::BAD_INPUT,
            &format!("参数校验不合法：请求体超过 {MAX_REQUEST_BYTES} 字节或未读完"),
            None,
        ),
    };
    let mut answer = verdict.answer.clone();
    if let (Some(fault), Some(accepted)) = (plan.answer, &verdict.accepted) {
        answer = faults::mangle(fault, &answer, accepted);
    }
    shared.record(Received {
        path: route.path.clone(),
        body: String::from_utf8_lossy(body.unwrap_or_default()).into_owned(),
        envelope: verdict.envelope.as_ref().map(record::to_serde_map),
        data: verdict.data.as_ref().map(record::to_serde),
        resp_code: verdict.resp_code.clone(),
        code: verdict.business_code(),
        fault: route.spec.clone(),
    });
    answer
}

/// The response that carries `content` the way `delivery` says: whole, cut half-way (with the
/// full `Content-Length` promised), never (the connection closed), or with the connection
/// closed after it.
async fn deliver(
    delivery: Delivery,
    status: StatusCode,
    content_type: &'static str,
    content: Content,
    ctl: Arc<ConnCtl>,
) -> Result<Response<WireBody>, Infallible> {
    let body = match delivery {
        Delivery::Normal => content.into_body(),
        Delivery::Close => {
            ctl.cut(Cut::Drop {
                flush: std::time::Duration::ZERO,
                reset: false,
            });
            // The connection's task drops this request with the connection.
            return std::future::pending().await;
        }
        Delivery::Reset | Delivery::Truncate => {
            let full_len = content.len();
            let partial = content.prefix(match &content {
                Content::Bytes(b) => (b.len() / 2) as u64,
                Content::Generated(_) => (full_len / 2).min(MAX_PARTIAL_GENERATED),
            });
            let cut = Cut::Drop {
                flush: FLUSH_BEFORE_CUT,
                reset: delivery == Delivery::Reset,
            };
            let mut response =
                response(status, content_type, WireBody::cut_after(partial, ctl, cut));
            response
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(full_len));
            return Ok(response);
        }
        Delivery::CloseIdle => content.into_body().on_drop(ctl, Cut::AfterResponse),
    };
    Ok(response(status, content_type, body))
}

/// The status, content type and body of the answer, or of the body fault that replaces it.
fn content_of(
    replacement: Option<Replacement>,
    answer: String,
) -> (StatusCode, &'static str, Content) {
    match replacement {
        None => (StatusCode::OK, JSON, Content::Bytes(answer.into())),
        Some(Replacement::Status(code)) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            TEXT,
            Content::Bytes(faults::status_body(code).into()),
        ),
        Some(Replacement::NotJson) => (
            StatusCode::OK,
            HTML,
            Content::Bytes(faults::NOT_JSON_BODY.into()),
        ),
        Some(Replacement::NoRespCode) => (
            StatusCode::OK,
            JSON,
            Content::Bytes(faults::NO_RESP_CODE_BODY.into()),
        ),
        Some(Replacement::Upstream) => (
            StatusCode::OK,
            JSON,
            Content::Bytes(faults::UPSTREAM_BODY.into()),
        ),
        Some(Replacement::SpacedCode) => (
            StatusCode::OK,
            JSON,
            Content::Bytes(faults::SPACED_CODE_BODY.into()),
        ),
        Some(Replacement::Oversize(size)) => (
            StatusCode::OK,
            JSON,
            Content::Generated(Generated::new(size)),
        ),
    }
}

/// Reads the request body, `None` when it is over [`MAX_REQUEST_BYTES`] or the client stopped
/// sending.
async fn read_body(body: Incoming) -> Option<Vec<u8>> {
    let collected = Limited::new(body, MAX_REQUEST_BYTES).collect().await.ok()?;
    Some(collected.to_bytes().to_vec())
}

fn response(status: StatusCode, content_type: &'static str, body: WireBody) -> Response<WireBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(SERVER, HeaderValue::from_static("onetrans-portal"));
    response
}

/// What an answer holds before it becomes a body.
enum Content {
    Bytes(Bytes),
    Generated(Generated),
}

impl Content {
    fn len(&self) -> u64 {
        match self {
            Content::Bytes(b) => b.len() as u64,
            Content::Generated(g) => g.total,
        }
    }

    /// The first `n` bytes.
    fn prefix(&self, n: u64) -> Bytes {
        match self {
            Content::Bytes(b) => b.slice(..(n as usize).min(b.len())),
            Content::Generated(g) => {
                let mut g = g.clone();
                let mut out = Vec::with_capacity(n as usize);
                while (out.len() as u64) < n {
                    match g.next_chunk() {
                        Some(chunk) => out.extend_from_slice(&chunk),
                        None => break,
                    }
                }
                out.truncate(n as usize);
                out.into()
            }
        }
    }

    fn into_body(self) -> WireBody {
        match self {
            Content::Bytes(b) => WireBody::full(b),
            Content::Generated(g) => WireBody {
                kind: Kind::Generated(g),
                on_drop: None,
            },
        }
    }
}

/// The `oversize` body: a JSON answer whose `extra` is padded to the requested size.
#[derive(Debug, Clone)]
struct Generated {
    total: u64,
    head: Option<Bytes>,
    fill: u64,
    tail: Option<Bytes>,
}

impl Generated {
    fn new(size: u64) -> Generated {
        let (head, tail) = (faults::OVERSIZE_HEAD, faults::OVERSIZE_TAIL);
        let skeleton = (head.len() + tail.len()) as u64;
        let fill = size.saturating_sub(skeleton);
        Generated {
            total: skeleton + fill,
            head: Some(Bytes::from_static(head.as_bytes())),
            fill,
            tail: Some(Bytes::from_static(tail.as_bytes())),
        }
    }

    /// The bytes not yet produced.
    fn remaining(&self) -> u64 {
        let len = |b: &Option<Bytes>| b.as_ref().map_or(0, |b| b.len() as u64);
        len(&self.head) + self.fill + len(&self.tail)
    }

    fn next_chunk(&mut self) -> Option<Bytes> {
        if let Some(head) = self.head.take() {
            return Some(head);
        }
        if self.fill > 0 {
            let n = self.fill.min(GENERATED_CHUNK);
            self.fill -= n;
            return Some(Bytes::from(vec![b'x'; n as usize]));
        }
        self.tail.take()
    }
}

/// The response body: whole, generated, or cut after a first part.
pub(crate) struct WireBody {
    kind: Kind,
    /// Cut the connection when hyper is done with this body (`closeidle`).
    on_drop: Option<(Arc<ConnCtl>, Cut)>,
}

enum Kind {
    Full(Option<Bytes>),
    Generated(Generated),
    /// Sends `chunk`, then asks for `cut` and never ends.
    CutAfter {
        chunk: Option<Bytes>,
        ctl: Arc<ConnCtl>,
        cut: Cut,
    },
}

impl WireBody {
    fn full(bytes: impl Into<Bytes>) -> WireBody {
        let bytes: Bytes = bytes.into();
        WireBody {
            kind: Kind::Full((!bytes.is_empty()).then_some(bytes)),
            on_drop: None,
        }
    }

    fn cut_after(chunk: Bytes, ctl: Arc<ConnCtl>, cut: Cut) -> WireBody {
        WireBody {
            kind: Kind::CutAfter {
                chunk: (!chunk.is_empty()).then_some(chunk),
                ctl,
                cut,
            },
            on_drop: None,
        }
    }

    fn on_drop(mut self, ctl: Arc<ConnCtl>, cut: Cut) -> WireBody {
        self.on_drop = Some((ctl, cut));
        self
    }
}

impl Drop for WireBody {
    fn drop(&mut self) {
        if let Some((ctl, cut)) = self.on_drop.take() {
            ctl.cut(cut);
        }
    }
}

impl Body for WireBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match &mut self.get_mut().kind {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Generated(g) => Poll::Ready(g.next_chunk().map(|b| Ok(Frame::data(b)))),
            Kind::CutAfter { chunk, ctl, cut } => match chunk.take() {
                Some(bytes) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                None => {
                    // No waker is kept: the connection's task drops this body with the
                    // connection.
                    ctl.cut(*cut);
                    Poll::Pending
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Generated(g) => g.remaining() == 0,
            Kind::CutAfter { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Generated(g) => SizeHint::with_exact(g.remaining()),
            // The Content-Length header (the full length) is set by hand.
            Kind::CutAfter { .. } => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_imf_fixdates() {
        // RFC 9110's example, and a day before the epoch (the weekday of negative days).
        assert_eq!(
            http_date(ChinaTime::from_unix(784_111_777)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            http_date(ChinaTime::from_unix(-1)),
            "Wed, 31 Dec 1969 23:59:59 GMT"
        );
        assert_eq!(
            http_date(ChinaTime::parse("2026-01-01 07:59:59").unwrap()),
            "Wed, 31 Dec 2025 23:59:59 GMT"
        );
    }
}
