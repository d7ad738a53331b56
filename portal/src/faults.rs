//! Fault injection, chosen per request by a URL prefix, so that a client changes nothing but
//! its `serverAddr` and parallel tests never interfere:
//!
//! ```text
//! http://127.0.0.1:PORT/_fault/<name>[=<arg>][/_fault/<name>[=<arg>]...]/api/amp/hos/pushMsg
//! ```
//!
//! Several prefixes combine (`/_fault/slow=200/_fault/closeidle/api/...`); within one group
//! below, a later fault replaces an earlier one.
//!
//! **The checks always run first.** Every request, whatever its faults, goes through checks 1
//! to 8 ([`crate::checks`]) and is recorded: the nonce is consumed, a drug ticket is written
//! off. The faults then change only what goes back on the wire, as a real portal whose answer
//! is lost or mangled on the way; this is what makes "outcome unknown" testable.
//!
//! | group | fault | effect |
//! |---|---|---|
//! | handler | `echo` | checks 1 to 7 as usual; check 8 answers `code` 0, `message` 成功, with the decrypted request data as the data (for concurrency tests) |
//! | answer (only when the request was accepted; a rejection goes out unchanged) | `badsign` | the signed answer with a wrong (well-formed) `signData`: SM3 hex, or for an SM2 app an SM2 signature by the portal's key over other text |
//! | | `otherkey` | the answer signed with another key: SM3 with another appKey, SM2 with a key pair made for it (a portal whose key is not the integrator's `serverPubKey`) |
//! | | `tamper` | the signed answer with its `message` changed afterwards |
//! | | `downgrade` | the answer sealed with SM3 (`signType` `SM3`, a correct SM3 signature with the appKey) whatever the request's sign type: for an SM2 request, a downgrade |
//! | | `dersign` | for an SM2 answer, `signData` as base64 of the DER `SEQUENCE {r, s}` (the second encoding of spec section 11, to be accepted); an SM3 answer unchanged |
//! | | `badnonce` | an answer correctly signed but echoing another `nonceStr` |
//! | | `badenc` | the answer with an `encData` that is not hex (`NOT-HEX:` + the real one) |
//! | | `badpad` | the answer with an `encData` of one block that decrypts, with the right key, to a block ending in `0x00`: bad PKCS#7 padding |
//! | | `otherapp` | an answer for another appId ([`OTHER_APP_ID`]), encrypted and signed with that app's key |
//! | body | `status=N` | HTTP status N (200 to 999) with a short text body |
//! | | `notjson` | HTTP 200 with an HTML body (a proxy's error page) |
//! | | `norespcode` | HTTP 200 with a JSON object that has no `respCode` |
//! | | `upstream` | HTTP 200 with the portal's own unsigned `{"respCode":"000100","respMsg":"外部接口存在问题"}`: the portal received the request and its upstream failed (the vendor document's code) |
//! | | `spacedcode` | HTTP 200 with an unsigned rejection whose `respCode` is `"000000 "` (a trailing space): what anyone on a plain-HTTP path can forge |
//! | | `oversize=BYTES` | HTTP 200 with a well-formed JSON answer of exactly BYTES bytes (padded `extra`; at least its skeleton's size; at most 1 GiB), streamed |
//! | timing | `slow=MS` | the answer goes out MS milliseconds (at most 600 000) after the checks ran |
//! | delivery | `close` | the request is read and processed, then the connection is closed (FIN) with no response at all |
//! | | `reset` | the status line, the headers (with the full `Content-Length`) and the first half of the body are sent, then the connection is reset (RST, `SO_LINGER` 0) |
//! | | `truncate` | as `reset`, but closed normally (FIN): fewer body bytes than the `Content-Length` |
//! | | `closeidle` | the full answer, without `Connection: close`, then the server closes the kept-alive connection as soon as the answer is written, so a client's pooled connection goes stale |
//!
//! A malformed prefix (an unknown name, a missing or bad argument) is answered HTTP 400 with a
//! text body naming it, without running the checks.

use std::time::Duration;

use onetrans::crypto::AppKey;
use onetrans::json::{self, Map, Value};
use onetrans::protocol::{self, Reply};
use onetrans::signing::{Signing, Sm2Keys};
use onetrans::sm2;

use crate::apps::App;
use crate::checks::Accepted;

/// The URL prefix that introduces a fault.
pub const PREFIX: &str = "/_fault/";

/// The appId of the `otherapp` answer.
pub const OTHER_APP_ID: &str = "0THERAPP0THERAPP0THERAPP0THERAPP";
/// The appKey the `otherapp` answer is encrypted and signed with.
pub const OTHER_APP_KEY: &str = "0therKey0therKey0therKey0therKey";

/// The longest `slow` delay, in milliseconds.
pub const MAX_SLOW_MS: u64 = 600_000;
/// The largest `oversize` body, in bytes.
pub const MAX_OVERSIZE_BYTES: u64 = 1 << 30;

/// How an accepted answer is mangled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerFault {
    /// `badsign`: a wrong `signData`.
    BadSign,
    /// `badnonce`: signed, but echoing another `nonceStr`.
    BadNonce,
    /// `badenc`: an `encData` that is not hex.
    BadEnc,
    /// `badpad`: an `encData` with bad PKCS#7 padding.
    BadPad,
    /// `otherapp`: an answer for another appId, with its key.
    OtherApp,
    /// `otherkey`: signed with another key (another appKey for SM3, another key pair for SM2).
    OtherKey,
    /// `tamper`: `message` changed after signing.
    Tamper,
    /// `downgrade`: sealed with SM3 whatever the request's sign type.
    Downgrade,
    /// `dersign`: an SM2 `signData` in its DER encoding.
    DerSign,
}

/// A body that replaces the portal's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    /// `status=N`: this HTTP status with a text body.
    Status(u16),
    /// `notjson`: an HTML page.
    NotJson,
    /// `norespcode`: a JSON object without `respCode`.
    NoRespCode,
    /// `upstream`: the portal's own `000100` rejection.
    Upstream,
    /// `spacedcode`: a rejection whose `respCode` is `"000000 "`.
    SpacedCode,
    /// `oversize=BYTES`: a JSON answer of this many bytes.
    Oversize(u64),
}

/// How the answer leaves the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    /// The whole answer, the connection kept alive.
    #[default]
    Normal,
    /// `close`: no answer, FIN.
    Close,
    /// `reset`: half the answer, RST.
    Reset,
    /// `truncate`: half the answer, FIN.
    Truncate,
    /// `closeidle`: the whole answer, then FIN.
    CloseIdle,
}

/// The faults of one request, by group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Plan {
    /// `echo`: answer with the request's data instead of the business handler's.
    pub echo: bool,
    /// How an accepted answer is mangled.
    pub answer: Option<AnswerFault>,
    /// A body that replaces the answer.
    pub replacement: Option<Replacement>,
    /// `slow`: how long to wait before answering.
    pub delay: Option<Duration>,
    /// How the answer leaves the connection.
    pub delivery: Delivery,
}

/// A request path split into its faults and the business path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The business path, `/` when nothing followed the faults.
    pub path: String,
    /// The fault names as written, joined with `/`; `None` without a prefix.
    pub spec: Option<String>,
    /// What the faults do.
    pub plan: Plan,
}

/// Splits `/_fault/...` prefixes off a request path (without its query).
pub fn route(path: &str) -> Result<Route, String> {
    let mut rest = path;
    let mut specs = Vec::new();
    let mut plan = Plan::default();
    while let Some(after) = rest.strip_prefix(PREFIX) {
        let end = after.find('/').unwrap_or(after.len());
        let spec = &after[..end];
        apply(&mut plan, spec)?;
        specs.push(spec);
        rest = &after[end..];
    }
    Ok(Route {
        path: if rest.is_empty() {
            "/".to_owned()
        } else {
            rest.to_owned()
        },
        spec: (!specs.is_empty()).then(|| specs.join("/")),
        plan,
    })
}

fn apply(plan: &mut Plan, spec: &str) -> Result<(), String> {
    let (name, arg) = match spec.split_once('=') {
        Some((name, arg)) => (name, Some(arg)),
        None => (spec, None),
    };
    let number = |max: u64| -> Result<u64, String> {
        let arg =
            arg.ok_or_else(|| format!("故障 {name} 需要参数 / fault {name} needs =<number>"))?;
        match arg.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(format!(
                "故障 {name} 的参数 \"{arg}\" 应为 0 到 {max} 的整数 / the argument of fault {name} must be a number up to {max}"
            )),
        }
    };
    let no_arg = || match arg {
        None => Ok(()),
        Some(_) => Err(format!(
            "故障 {name} 不带参数 / fault {name} takes no argument"
        )),
    };
    match name {
        "slow" => plan.delay = Some(Duration::from_millis(number(MAX_SLOW_MS)?)),
        "status" => {
            let code = number(999)?;
            if code < 200 {
                return Err(format!("HTTP 状态码 {code} 无效，应为 200 到 999 / fault status: bad HTTP status {code}, use 200 to 999"));
            }
            plan.replacement = Some(Replacement::Status(code as u16));
        }
        "oversize" => plan.replacement = Some(Replacement::Oversize(number(MAX_OVERSIZE_BYTES)?)),
        _ => {
            no_arg()?;
            match name {
                "close" => plan.delivery = Delivery::Close,
                "reset" => plan.delivery = Delivery::Reset,
                "truncate" => plan.delivery = Delivery::Truncate,
                "closeidle" => plan.delivery = Delivery::CloseIdle,
                "notjson" => plan.replacement = Some(Replacement::NotJson),
                "norespcode" => plan.replacement = Some(Replacement::NoRespCode),
                "upstream" => plan.replacement = Some(Replacement::Upstream),
                "spacedcode" => plan.replacement = Some(Replacement::SpacedCode),
                "badsign" => plan.answer = Some(AnswerFault::BadSign),
                "badnonce" => plan.answer = Some(AnswerFault::BadNonce),
                "badenc" => plan.answer = Some(AnswerFault::BadEnc),
                "badpad" => plan.answer = Some(AnswerFault::BadPad),
                "otherapp" => plan.answer = Some(AnswerFault::OtherApp),
                "otherkey" => plan.answer = Some(AnswerFault::OtherKey),
                "tamper" => plan.answer = Some(AnswerFault::Tamper),
                "downgrade" => plan.answer = Some(AnswerFault::Downgrade),
                "dersign" => plan.answer = Some(AnswerFault::DerSign),
                "echo" => plan.echo = true,
                _ => {
                    return Err(format!(
                        "未知的故障 \"{name}\" / unknown fault \"{name}\"; 可用 / known: slow=MS, close, reset, truncate, closeidle, status=N, notjson, norespcode, upstream, spacedcode, oversize=BYTES, badsign, badnonce, badenc, badpad, otherapp, otherkey, tamper, downgrade, dersign, echo"
                    ))
                }
            }
        }
    }
    Ok(())
}

/// The accepted answer `answer` (as sealed for `accepted`) mangled by `fault`.
pub fn mangle(fault: AnswerFault, answer: &str, accepted: &Accepted) -> String {
    let reseal_as = |request: &Map, app: &App, app_key: &AppKey, signing: &Signing| {
        protocol::seal_response_with(
            request,
            &accepted.reply,
            &app.data_key,
            app_key,
            &accepted.timestamp,
            signing,
        )
    };
    let reseal = |request: &Map, app: &App, _reply: &Reply| {
        reseal_as(request, app, &app.app_key, &app.signing())
    };
    let with_member = |name: &str, value: String| {
        let mut envelope: Map = match json::parse(answer) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        envelope.insert(name.to_owned(), Value::String(value));
        json::compact(&Value::Object(envelope))
    };
    match fault {
        AnswerFault::BadSign => {
            // A well-formed signature of something else, by the right key.
            let wrong = accepted.signing.sign(&format!("badsign:{answer}"));
            with_member("signData", wrong)
        }
        AnswerFault::OtherKey => {
            let app = &accepted.app;
            let request = &accepted.request.envelope;
            match &accepted.signing {
                Signing::Sm3 => reseal_as(request, app, &AppKey::new(OTHER_APP_KEY), &Signing::Sm3),
                Signing::Sm2(keys) => {
                    let other = Signing::Sm2(Box::new(Sm2Keys {
                        own: sm2::generate(),
                        ..(**keys).clone()
                    }));
                    reseal_as(request, app, &app.app_key, &other)
                }
            }
        }
        AnswerFault::Tamper => {
            let message = json::parse(answer)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            with_member("message", format!("{message}（已篡改 / tampered）"))
        }
        AnswerFault::Downgrade => reseal_as(
            &accepted.request.envelope,
            &accepted.app,
            &accepted.app.app_key,
            &Signing::Sm3,
        ),
        AnswerFault::DerSign => {
            let original = json::parse(answer)
                .ok()
                .and_then(|v| v.get("signData").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            let der =
                sm2::decode_signature(&original).and_then(|rs| sm2::signature_to_der_base64(&rs));
            match der {
                Some(text) if matches!(accepted.signing, Signing::Sm2(_)) => {
                    with_member("signData", text)
                }
                _ => answer.to_owned(),
            }
        }
        AnswerFault::BadNonce => {
            let mut request = accepted.request.envelope.clone();
            request.insert("nonceStr".into(), protocol::new_nonce().into());
            reseal(&request, &accepted.app, &accepted.reply)
        }
        AnswerFault::BadEnc => {
            let original = json::parse(answer)
                .ok()
                .and_then(|v| v.get("encData").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            with_member("encData", format!("NOT-HEX:{original}"))
        }
        AnswerFault::BadPad => {
            // ECB: the first cipher block of 16 zero bytes decrypts back to 16 zero bytes, whose
            // last byte (0x00) is never valid PKCS#7 padding.
            let block = accepted.app.data_key.encrypt(&[0u8; 16]);
            with_member("encData", onetrans::crypto::hex_upper(&block[..16]))
        }
        AnswerFault::OtherApp => {
            let other = App::new(OTHER_APP_ID, OTHER_APP_KEY);
            let mut request = accepted.request.envelope.clone();
            request.insert("appId".into(), OTHER_APP_ID.into());
            reseal(&request, &other, &accepted.reply)
        }
    }
}

/// The `norespcode` body: a JSON object without `respCode`.
pub const NO_RESP_CODE_BODY: &str = r#"{"code":0,"message":"成功","data":null}"#;

/// The `upstream` body: the portal's own `000100` ("外部接口存在问题", the vendor document's
/// wording), unsigned as every rejection is.
pub const UPSTREAM_BODY: &str = r#"{"respCode":"000100","respMsg":"外部接口存在问题"}"#;

/// The `spacedcode` body: an unsigned rejection whose `respCode` is `000000` plus a space.
pub const SPACED_CODE_BODY: &str = r#"{"respCode":"000000 ","respMsg":"x"}"#;

/// The `notjson` body: what a reverse proxy shows when the portal behind it is down.
pub const NOT_JSON_BODY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// The head and tail of the `oversize` body; the padding of `extra` goes between them.
pub const OVERSIZE_HEAD: &str =
    r#"{"respCode":"000000","respMsg":"成功","code":0,"message":"成功","extra":""#;
/// See [`OVERSIZE_HEAD`].
pub const OVERSIZE_TAIL: &str = r#""}"#;

/// The text body of `status=N`.
pub fn status_body(code: u16) -> String {
    let reason = hyper::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Fault");
    format!("{code} {reason} (门户模拟器故障注入 / portal simulator fault injection)\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_plain_and_faulted_paths() {
        let plain = route("/api/amp/hos/pushMsg").unwrap();
        assert_eq!(plain.path, "/api/amp/hos/pushMsg");
        assert_eq!(plain.spec, None);
        assert_eq!(plain.plan, Plan::default());

        let r = route("/_fault/slow=3000/_fault/badsign/api/mobile/verificationDrug").unwrap();
        assert_eq!(r.path, "/api/mobile/verificationDrug");
        assert_eq!(r.spec.as_deref(), Some("slow=3000/badsign"));
        assert_eq!(r.plan.delay, Some(Duration::from_millis(3000)));
        assert_eq!(r.plan.answer, Some(AnswerFault::BadSign));

        assert_eq!(route("/_fault/close").unwrap().path, "/");
        assert_eq!(
            route("/_fault/status=503/x").unwrap().plan.replacement,
            Some(Replacement::Status(503))
        );
        assert_eq!(
            route("/_fault/reset/x").unwrap().plan.delivery,
            Delivery::Reset
        );
        assert!(route("/_fault/echo/x").unwrap().plan.echo);
        assert_eq!(
            route("/_fault/upstream/x").unwrap().plan.replacement,
            Some(Replacement::Upstream)
        );
        assert_eq!(
            route("/_fault/spacedcode/x").unwrap().plan.replacement,
            Some(Replacement::SpacedCode)
        );
        for (name, fault) in [
            ("otherkey", AnswerFault::OtherKey),
            ("tamper", AnswerFault::Tamper),
            ("downgrade", AnswerFault::Downgrade),
            ("dersign", AnswerFault::DerSign),
        ] {
            let r = route(&format!("/_fault/{name}/x")).unwrap();
            assert_eq!(r.plan.answer, Some(fault), "{name}");
        }
    }

    #[test]
    fn refuses_malformed_faults() {
        for bad in [
            "/_fault/nope/x",
            "/_fault/slow/x",
            "/_fault/slow=abc/x",
            "/_fault/slow=600001/x",
            "/_fault/status=99/x",
            "/_fault/status=101/x",
            "/_fault/status=1000/x",
            "/_fault/close=1/x",
            "/_fault/upstream=1/x",
            "/_fault//x",
        ] {
            assert!(route(bad).is_err(), "{bad}");
        }
    }
}
