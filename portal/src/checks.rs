//! The portal's checks (spec section 9), in order, and the answer they lead to.
//!
//! | # | check | failure |
//! |---|---|---|
//! | 1 | the body is a JSON object with the eight required members | `000105` |
//! | 2 | the path is a business interface | `404404` |
//! | 3 | the `appId` is registered | `-8` 应用信息不存在 (see below) |
//! | 4 | `timestamp` within 300 s of the portal's clock | `010010` |
//! | 5 | `signType` is the app's (`SM2` for an app registered with SM2 keys, else `SM3`) and `signData` verifies: SM3 upper-case hex, or SM2 under the institution's public key | `000102` |
//! | 6 | `encData` is upper-case hex and decrypts to a JSON object | `000101` |
//! | 7 | `nonceStr` not seen in the last 600 s for this appId | `010010` |
//! | 8 | the business handler answers | `000000`, signed and encrypted |
//!
//! Every rejection is an unsigned `{"respCode":...,"respMsg":...}` in an HTTP 200 body
//! ([`onetrans::protocol::rejection`]); the answer to an accepted request is
//! [`onetrans::protocol::seal_response`] with the request's nonce echoed and the portal's time.
//!
//! **Unknown appId (check 3).** The spec lists `-8` 应用信息不存在 among the app-level business
//! codes, which travel inside a `000000` answer, but such an answer must be signed and encrypted
//! with the app's key, which the portal does not have for an unknown appId. The portal therefore
//! answers an unsigned rejection whose `respCode` is `"-8"` and whose `respMsg` is
//! `应用信息不存在`; a client passes it through as its return code, like any other rejection.

use std::sync::Mutex;

use onetrans::clock::ChinaTime;
use onetrans::error::codes;
use onetrans::json::{self, Map, Value};
use onetrans::protocol::{self, OpenedRequest, Reply};
use onetrans::signing::{SignType, Signing};

use crate::apps::{App, AppRegistry};
use crate::business::{self, Business, SUCCESS_MESSAGE};
use crate::replay::ReplayGuard;

/// The largest difference between a request's `timestamp` and the portal's clock, in seconds
/// (check 4); exactly 300 s is accepted.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

/// The `respCode` of an unknown appId (check 3).
pub const UNKNOWN_APP: &str = "-8";

/// The vendor document's texts for the codes the checks return.
pub mod messages {
    /// `404404`: the interface is not open.
    pub const UNKNOWN_PATH: &str = "该功能未开放";
    /// `-8`: no such application.
    pub const UNKNOWN_APP: &str = "应用信息不存在";
    /// `010010`: the replay interceptor (stale timestamp or reused nonce).
    pub const REPLAY: &str = "重放攻击拦截器,请勿重复操作,谢谢您的配合!";
    /// `000102` for a signature in lower-case hex (it may be right, but is not the spec's form).
    pub const LOWER_CASE_SIGN: &str = "核验签名参数失败：signData 须为大写十六进制，收到的含小写字母，请按规范输出大写 (signData must be upper-case hex; lower-case letters refused)";
    /// `000102` for an SM3 request from an app registered with SM2 keys.
    pub const SM2_APP: &str = "核验签名参数失败：该应用登记为 SM2 签名，signType 应为 SM2 (this app is registered for SM2: signType must be SM2)";
    /// `000102` for an SM2 request from an app registered without SM2 keys.
    pub const SM3_APP: &str = "核验签名参数失败：该应用未登记 SM2 公钥，signType 应为 SM3 (this app has no SM2 key registered: signType must be SM3)";
    /// `000102` for a `signType` that is neither.
    pub const UNKNOWN_SIGN_TYPE: &str =
        "核验签名参数失败：signType 只能为 SM3 或 SM2 (signType must be SM3 or SM2)";
    /// `000101` for data in lower-case hex.
    pub const LOWER_CASE_ENC: &str = "系统接口加密失败：encData 须为大写十六进制，收到的含小写字母，请按规范输出大写 (encData must be upper-case hex; lower-case letters refused)";
}

/// Who answers an accepted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// The business interface of the path (spec section 10).
    Business,
    /// Success, with the decrypted request data as the answer's data (the `echo` fault).
    Echo,
}

/// What the checks decided about one request.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// `000000`, or the code of the first check that failed.
    pub resp_code: String,
    /// The answer body the portal sends when no fault reshapes it.
    pub answer: String,
    /// The body as a JSON object, when it was one.
    pub envelope: Option<Map>,
    /// The decrypted data, when checks 5 and 6 passed.
    pub data: Option<Value>,
    /// Everything needed to re-seal the answer, when the request passed checks 1 to 7.
    pub accepted: Option<Accepted>,
}

/// An accepted request and the reply it got.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The request's envelope and decrypted data.
    pub request: OpenedRequest,
    /// The app it came from.
    pub app: App,
    /// What the handler answered.
    pub reply: Reply,
    /// The answer's `timestamp`: the portal's time when it answered.
    pub timestamp: String,
    /// How the request was verified and the answer signed (the app's).
    pub signing: Signing,
}

impl Verdict {
    /// An unsigned rejection with `resp_code` and `resp_msg`.
    pub fn rejected(resp_code: &str, resp_msg: &str, envelope: Option<Map>) -> Verdict {
        Verdict {
            resp_code: resp_code.to_owned(),
            answer: protocol::rejection(resp_code, resp_msg),
            envelope,
            data: None,
            accepted: None,
        }
    }

    /// The business code of an accepted request.
    pub fn business_code(&self) -> Option<i64> {
        self.accepted.as_ref().map(|a| a.reply.code)
    }
}

/// The registered apps, the replay memory and the business layer: the portal minus HTTP.
#[derive(Debug)]
pub struct Gateway {
    apps: AppRegistry,
    replay: Mutex<ReplayGuard>,
    business: Business,
}

impl Gateway {
    /// A gateway for these apps, with an empty replay memory and no ticket written off.
    pub fn new(apps: AppRegistry) -> Gateway {
        Gateway {
            apps,
            replay: Mutex::new(ReplayGuard::default()),
            business: Business::default(),
        }
    }

    /// The registered apps.
    pub fn apps(&self) -> &AppRegistry {
        &self.apps
    }

    /// Runs checks 1 to 8 on a request for `path` with `body`, at portal time `now`.
    pub fn process(&self, path: &str, body: &[u8], now: ChinaTime, handler: Handler) -> Verdict {
        match self.check(path, body, now) {
            Ok((envelope, app, request)) => self.accept(path, envelope, app, request, now, handler),
            Err(rejection) => *rejection,
        }
    }

    /// Checks 1 to 7, in order: the envelope, the app that sent it and the opened request when
    /// every check passes, else the rejection of the first that failed.
    fn check(
        &self,
        path: &str,
        body: &[u8],
        now: ChinaTime,
    ) -> Result<(Map, &App, OpenedRequest), Rejection> {
        // 1. The envelope.
        let envelope = protocol::parse_request_envelope(body).map_err(|e| {
            let as_object = match json::parse_bytes(body) {
                Ok(Value::Object(map)) => Some(map),
                _ => None,
            };
            Box::new(Verdict::rejected(e.code(), &e.message, as_object))
        })?;
        let app = self.admit(path, &envelope, now)?;
        let request = open(&envelope, app)?;
        self.check_nonce(&envelope, &request, now)?;
        Ok((envelope, app, request))
    }

    /// Checks 2 to 4: the path, the appId (its app), the timestamp.
    fn admit(&self, path: &str, envelope: &Map, now: ChinaTime) -> Result<&App, Rejection> {
        // 2. The path.
        if !business::is_known_path(path) {
            let msg = format!("{}: {path}", messages::UNKNOWN_PATH);
            return Err(reject(codes::UNKNOWN_PATH, &msg, envelope));
        }
        // 3. The appId.
        let Some(app) = self.apps.get(member(envelope, "appId")) else {
            return Err(reject(UNKNOWN_APP, messages::UNKNOWN_APP, envelope));
        };
        // 4. The timestamp.
        if let Err(msg) = check_timestamp(member(envelope, "timestamp"), now) {
            return Err(reject(codes::REPLAY, &msg, envelope));
        }
        Ok(app)
    }

    /// Check 7: the nonce, remembered only once the request is known to be genuine.
    fn check_nonce(
        &self,
        envelope: &Map,
        request: &OpenedRequest,
        now: ChinaTime,
    ) -> Result<(), Rejection> {
        let nonce = member(envelope, "nonceStr");
        let fresh = self
            .replay
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .check_and_record(member(envelope, "appId"), nonce, now.unix());
        if fresh {
            return Ok(());
        }
        let msg = format!(
            "{} (nonceStr {nonce} 已在 600 秒内使用过 / nonceStr already used)",
            messages::REPLAY
        );
        let mut verdict = reject(codes::REPLAY, &msg, envelope);
        verdict.data = Some(request.data.clone());
        Err(verdict)
    }

    /// Check 8: the business answer to a request that passed checks 1 to 7, signed and
    /// encrypted with the portal's time.
    fn accept(
        &self,
        path: &str,
        envelope: Map,
        app: &App,
        request: OpenedRequest,
        now: ChinaTime,
        handler: Handler,
    ) -> Verdict {
        let reply = match handler {
            Handler::Business => self.business.handle(path, &request.data, now),
            Handler::Echo => Reply {
                code: 0,
                message: SUCCESS_MESSAGE.to_owned(),
                data: Some(request.data.clone()),
                extra: String::new(),
            },
        };
        let timestamp = now.to_string();
        let signing = app.signing();
        let answer = protocol::seal_response_with(
            &request.envelope,
            &reply,
            &app.data_key,
            &app.app_key,
            &timestamp,
            &signing,
        );
        Verdict {
            resp_code: codes::SUCCESS.to_owned(),
            answer,
            envelope: Some(envelope),
            data: Some(request.data.clone()),
            accepted: Some(Accepted {
                request,
                app: app.clone(),
                reply,
                timestamp,
                signing,
            }),
        }
    }
}

/// Checks 5 and 6: the signature and the data, their hex upper-case as the spec writes it.
fn open(envelope: &Map, app: &App) -> Result<OpenedRequest, Rejection> {
    let sign = member(envelope, "signType").eq_ignore_ascii_case("SM3");
    if sign && is_lower_case_hex(member(envelope, "signData")) {
        return Err(reject(
            codes::SIGNATURE,
            messages::LOWER_CASE_SIGN,
            envelope,
        ));
    }
    let signing = request_signing(app, member(envelope, "signType"))
        .map_err(|msg| reject(codes::SIGNATURE, msg, envelope))?;
    let request =
        protocol::open_request_with(envelope.clone(), &app.data_key, &app.app_key, &signing)
            .map_err(|e| reject(e.code(), &e.message, envelope))?;
    if is_lower_case_hex(member(envelope, "encData")) {
        return Err(reject(codes::DECRYPT, messages::LOWER_CASE_ENC, envelope));
    }
    Ok(request)
}

/// Check 5's first half: the request's `signType` must be the app's (strict, as a portal that
/// issued an SM2 key pair would be: an SM3 request from it proves only the appKey).
fn request_signing(app: &App, sign_type: &str) -> Result<Signing, &'static str> {
    match (SignType::parse(sign_type), app.sm2.is_some()) {
        (Some(SignType::Sm3), false) | (Some(SignType::Sm2), true) => Ok(app.signing()),
        (Some(SignType::Sm3), true) => Err(messages::SM2_APP),
        (Some(SignType::Sm2), false) => Err(messages::SM3_APP),
        (None, _) => Err(messages::UNKNOWN_SIGN_TYPE),
    }
}

/// A string member of a checked envelope (check 1 makes sure the required ones are strings);
/// `""` for another.
fn member<'m>(envelope: &'m Map, name: &str) -> &'m str {
    envelope
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The verdict of a check that failed (boxed: a verdict is large, and the checks pass it up).
type Rejection = Box<Verdict>;

/// The unsigned rejection of a request whose envelope was read.
fn reject(resp_code: &str, resp_msg: &str, envelope: &Map) -> Rejection {
    Box::new(Verdict::rejected(
        resp_code,
        resp_msg,
        Some(envelope.clone()),
    ))
}

/// Whether `text` is hex with a lower-case digit (`a`–`f`). The spec's hex is upper-case; a
/// client may read either case, but the simulator is the conformance tool an integrator tests
/// a client against, so it accepts exactly the spec's form and names what it refused (anything
/// that is not hex at all is left to the checks that follow).
fn is_lower_case_hex(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_hexdigit()) && text.bytes().any(|b| b.is_ascii_lowercase())
}

/// Check 4. An unparseable timestamp is not within the window either.
fn check_timestamp(timestamp: &str, now: ChinaTime) -> Result<(), String> {
    let Some(sent) = ChinaTime::parse(timestamp) else {
        return Err(format!(
            "{} (timestamp \"{timestamp}\" 不是 yyyy-MM-dd HH:mm:ss 格式 / not yyyy-MM-dd HH:mm:ss)",
            messages::REPLAY
        ));
    };
    let skew = sent.unix() - now.unix();
    if skew.abs() > TIMESTAMP_WINDOW_SECS {
        return Err(format!(
            "{} (timestamp {timestamp} 与门户时间 {now} 相差 {skew} 秒，超过 {TIMESTAMP_WINDOW_SECS} 秒 / more than {TIMESTAMP_WINDOW_SECS} s from the portal's clock)",
            messages::REPLAY
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's vectors (`spec/vectors.json` of the repository).
    fn vectors() -> serde_json::Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors.json");
        let text = std::fs::read_to_string(path).expect("spec/vectors.json");
        serde_json::from_str(&text).unwrap()
    }

    fn named<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no vector {name}"))
    }

    fn gateway() -> Gateway {
        Gateway::new(AppRegistry::new(&[]).unwrap())
    }

    fn at(text: &str) -> ChinaTime {
        ChinaTime::parse(text).unwrap()
    }

    #[test]
    fn reproduces_the_push_msg_success_vector_byte_for_byte() {
        let v = vectors();
        let request = named(&v["request"], "seed pushMsg example");
        let expected = named(&v["response"], "pushMsg success");
        let body = request["envelope_json"].as_str().unwrap();
        let verdict = gateway().process(
            business::PUSH_MSG,
            body.as_bytes(),
            at("2022-05-10 16:56:25"),
            Handler::Business,
        );
        assert_eq!(verdict.resp_code, "000000");
        assert_eq!(verdict.answer, expected["response_json"].as_str().unwrap());
        assert_eq!(verdict.business_code(), Some(0));
    }

    #[test]
    fn the_checks_run_in_order() {
        let v = vectors();
        let seed = named(&v["request"], "seed pushMsg example")["envelope_json"]
            .as_str()
            .unwrap()
            .to_owned();
        let now = at("2022-05-10 16:56:25");
        let g = gateway();
        let code = |path: &str, body: &str, now: ChinaTime| {
            g.process(path, body.as_bytes(), now, Handler::Business)
                .resp_code
        };
        // 1 before 2: a bad body on an unknown path is 000105.
        assert_eq!(code("/nope", "{}", now), "000105");
        assert_eq!(code("/nope", "not json", now), "000105");
        // 2 before 3.
        let unknown_app = seed.replace(
            "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN",
            "ZZZZQCh5RA5SrXm2C3b5JDcGAHMtepFN",
        );
        assert_eq!(code("/nope", &unknown_app, now), "404404");
        // 3 before 4.
        assert_eq!(
            code(business::PUSH_MSG, &unknown_app, at("2030-01-01 00:00:00")),
            "-8"
        );
        // 4 before 5: the window is 300 s either way, inclusive.
        let tampered = seed.replace("\"version\":\"1.0.0\"", "\"version\":\"1.0.1\"");
        assert_eq!(
            code(business::PUSH_MSG, &tampered, at("2022-05-10 17:01:25")),
            "010010"
        );
        assert_eq!(
            code(business::PUSH_MSG, &tampered, at("2022-05-10 16:51:23")),
            "010010"
        );
        assert_eq!(
            code(business::PUSH_MSG, &tampered, at("2022-05-10 17:01:24")),
            "000102"
        );
        // 6: a body encrypted with another key cannot be signed either, so check 6 is reached
        // only by a request whose data signs but is not an object; see the wire tests.
        // 7: the genuine request once, then a replay.
        assert_eq!(code(business::PUSH_MSG, &seed, now), "000000");
        assert_eq!(code(business::PUSH_MSG, &seed, now), "010010");
        // The rejected ones above did not consume the nonce of another app's memory.
        assert_eq!(
            g.replay
                .lock()
                .unwrap()
                .remembered("zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN"),
            1
        );
    }

    /// The SM2 vectors: the portal registered with the institution's public key and the
    /// server's private key accepts the `sm2_request` envelope and answers the `sm2_response`
    /// bytes, except `signData` (a fresh *k*), which verifies under the server's public key.
    #[test]
    fn answers_the_sm2_vector_with_the_portals_key() {
        use crate::apps::Sm2AppSpec;
        use onetrans::signing::{Signing, Sm2Keys};
        use onetrans::sm2::{PrivateKey, PublicKey, UserId};
        let v = vectors();
        let request = named(&v["sm2_request"], "seed pushMsg example, SM2");
        let expected = named(&v["sm2_response"], "pushMsg success, SM2");
        let server_prv = v["sm2"]["keys"][1]["private_hex"].as_str().unwrap();
        let spec = Sm2AppSpec {
            app_id: expected["appId"].as_str().unwrap().into(),
            app_key: expected["appKey"].as_str().unwrap().into(),
            institution_pub: request["client_public_hex"].as_str().unwrap().into(),
            portal_prv: Some(server_prv.into()),
            user_id: None,
        };
        let g = Gateway::new(AppRegistry::with_sm2(&[], &[spec]).unwrap());
        let body = request["envelope_json"].as_str().unwrap();
        let verdict = g.process(
            business::PUSH_MSG,
            body.as_bytes(),
            at("2022-05-10 16:56:25"),
            Handler::Business,
        );
        assert_eq!(verdict.resp_code, "000000", "{}", verdict.answer);
        let without_sign = |text: &str| {
            let mut map = match json::parse(text).unwrap() {
                Value::Object(map) => map,
                _ => unreachable!(),
            };
            let sign = map.shift_remove("signData").unwrap();
            (json::compact(&Value::Object(map)), sign)
        };
        let (ours, sign) = without_sign(&verdict.answer);
        let (theirs, _) = without_sign(expected["response_json"].as_str().unwrap());
        assert_eq!(ours, theirs);
        // The client's side verifies it.
        let client = Signing::Sm2(Box::new(Sm2Keys {
            own: PrivateKey::parse("c", expected["client_private_hex"].as_str().unwrap()).unwrap(),
            peer: PublicKey::parse("s", expected["server_public_hex"].as_str().unwrap()).unwrap(),
            user_id: UserId::default(),
        }));
        let text = expected["sign_text"].as_str().unwrap();
        assert_eq!(
            client.verify(text, sign.as_str().unwrap()),
            onetrans::signing::Verdict::Valid
        );
        // The same app's SM3 request (the SM3 vector) is refused: this app is SM2.
        let sm3 = named(&v["request"], "seed pushMsg example")["envelope_json"]
            .as_str()
            .unwrap();
        let verdict = g.process(
            business::PUSH_MSG,
            sm3.as_bytes(),
            at("2022-05-10 16:56:25"),
            Handler::Business,
        );
        assert_eq!(verdict.resp_code, "000102");
        assert!(verdict.answer.contains("SM2"), "{}", verdict.answer);
        // And an SM2 request to an SM3 app is refused too.
        let verdict = gateway().process(
            business::PUSH_MSG,
            body.as_bytes(),
            at("2022-05-10 16:56:25"),
            Handler::Business,
        );
        assert_eq!(verdict.resp_code, "000102");
    }
}
