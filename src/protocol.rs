//! The wire protocol (spec sections 2, 4, 5 and 9) as pure functions: the clock, the nonce and
//! the keys are passed in, so the vectors test every byte without a network. The portal
//! simulator uses the same functions for its side ([`open_request`], [`seal_response`]).

use crate::json::{Map, Value};
use zeroize::Zeroizing;

use crate::crypto::{self, AppKey, DataKey};
use crate::error::{codes, is_passable_code, Error, ErrorKind, MAX_PORTAL_CODE_LEN};
use crate::input::CallInput;
use crate::json;
use crate::signing::{Signing, Verdict};

// --- the sign text (spec section 4): the one place its rules live ----------------------------

/// The envelope members the signature leaves out (besides `null` and `""` values).
const UNSIGNED: [&str; 4] = ["signData", "encData", "extra", "data"];

/// `null` or the empty string: the values a signature leaves out, at every depth.
fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The members that take part in a signature, sorted by the bytes of their keys (`str`'s
/// ordering is the byte order of its UTF-8, as the spec asks): `null` and `""` left out.
fn signed_members<'a>(
    members: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Vec<(&'a str, &'a Value)> {
    let mut members: Vec<_> = members.into_iter().filter(|(_, v)| !is_blank(v)).collect();
    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
    members
}

/// The canonical JSON of spec section 4, for the objects and arrays in a sign text: members
/// sorted by the byte order of their keys, `null` and `""` members left out at every depth,
/// numbers and booleans turned into strings of their text.
#[derive(Debug, Clone, Copy)]
struct Canonical;

impl json::Rendering for Canonical {
    const QUOTES_SCALARS: bool = true;

    fn for_each_member<'m>(map: &'m Map, mut member: impl FnMut(&'m str, &'m Value)) {
        let members = map.iter().map(|(k, v)| (k.as_str(), v));
        for (key, value) in signed_members(members) {
            member(key, value);
        }
    }
}

/// The canonical JSON text of a value (spec section 4).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    json::write::<Canonical>(&mut out, value);
    out
}

/// The sign text of spec section 4 for an envelope and its plain data: the signed members as
/// `key=value` pairs sorted by key, joined with `&`, then `&key=<appKey>`. A string value is
/// written as it is, a number or boolean as its text, an object or array as its
/// [`canonical_json`]. It holds the appKey, so it is zeroed when dropped.
pub fn sign_text(envelope: &Map, data: Option<&Value>, app_key: &AppKey) -> Zeroizing<String> {
    let members = envelope
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .filter(|(k, _)| !UNSIGNED.contains(k))
        .chain(data.map(|d| ("data", d)));
    let mut text = Zeroizing::new(String::with_capacity(256));
    for (key, value) in signed_members(members) {
        text.push_str(key);
        text.push('=');
        match value {
            Value::String(s) => text.push_str(s),
            Value::Number(n) => text.push_str(n.as_str()),
            Value::Bool(b) => text.push_str(if *b { "true" } else { "false" }),
            other => json::write::<Canonical>(&mut text, other),
        }
        text.push('&');
    }
    text.push_str("key=");
    text.push_str(app_key.expose());
    text
}

// --- the caller's side (spec sections 2 and 5) -------------------------------------------------

/// A request ready to send.
#[derive(Debug)]
pub struct SealedRequest {
    /// The body: the envelope as compact JSON.
    pub body: String,
    /// The `nonceStr` it carries, which the answer must echo.
    pub nonce: String,
    /// The sign text with the appKey masked, for `--wire` and debug logs.
    pub sign_text_masked: String,
}

/// Builds, encrypts and signs the request envelope of spec section 2, with SM3.
///
/// `timestamp` is the caller's, or the current China time when the caller left it empty;
/// `nonce` is 32 lowercase hex characters, new for each call ([`new_nonce`]).
pub fn seal_request(
    input: &CallInput,
    key: &DataKey,
    timestamp: &str,
    nonce: &str,
) -> SealedRequest {
    seal_request_with(input, key, timestamp, nonce, &Signing::Sm3)
}

/// [`seal_request`] signed by `signing`: its `signType` (`SM3` or `SM2`) in the envelope and
/// its `signData` over the same sign text (spec sections 2 and 11).
pub fn seal_request_with(
    input: &CallInput,
    key: &DataKey,
    timestamp: &str,
    nonce: &str,
    signing: &Signing,
) -> SealedRequest {
    let mut envelope = Map::with_capacity(7);
    envelope.insert("appId".into(), Value::String(input.app_id.clone()));
    if let Some(org) = &input.org_id {
        envelope.insert("orgId".into(), Value::String(org.clone()));
    }
    envelope.insert("encType".into(), "SM4".into());
    envelope.insert("signType".into(), signing.sign_type().as_str().into());
    envelope.insert("timestamp".into(), timestamp.into());
    envelope.insert("nonceStr".into(), nonce.into());
    envelope.insert("version".into(), Value::String(input.version.clone()));
    let text = sign_text(&envelope, Some(&input.business), &input.app_key);
    let sign_data = signing.sign(&text);
    // The body is the envelope's compact JSON followed by `encData` and `signData`, its last
    // two members. The business data's compact JSON is written into the body itself, then
    // encrypted and turned into hex there: the payload is copied once on the way out.
    let mut body = json::compact(&Value::Object(envelope));
    body.pop(); // the closing brace
    body.push_str(",\"encData\":\"");
    let start = body.len();
    json::write_compact(&mut body, &input.business);
    let mut bytes = body.into_bytes();
    key.encrypt_hex_in_place(&mut bytes, start);
    let mut body = String::from_utf8(bytes).expect("JSON text and hex are UTF-8");
    body.push_str("\",\"signData\":\"");
    body.push_str(&sign_data);
    body.push_str("\"}");
    SealedRequest {
        body,
        nonce: nonce.to_owned(),
        sign_text_masked: mask_key(&text, input.app_key.expose()),
    }
}

/// A new `nonceStr`: 16 bytes from the operating system's CSPRNG as 32 lowercase hex
/// characters. The only impure function of this module.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    // Without an OS random source no call can be made safely; that is a bug-level failure of
    // the platform, reported as an internal error by the panic boundary.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    crypto::hex_upper(&bytes).to_ascii_lowercase()
}

/// Replaces the trailing `&key=<appKey>` of a sign text with asterisks.
pub fn mask_key(sign_text: &str, app_key: &str) -> String {
    match sign_text.strip_suffix(app_key) {
        Some(head) if head.ends_with("key=") => format!("{head}***"),
        _ => sign_text.to_owned(),
    }
}

/// A verified answer of the portal (`respCode` `000000`).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The business code, `0` on success, as the portal wrote it.
    pub code: Value,
    pub message: Value,
    pub extra: Value,
    pub org_id: Value,
    /// The decrypted business data, member order and number text as the portal wrote them.
    pub data: Option<Value>,
}

/// Verifies and decrypts the portal's answer (spec section 5) to an SM3 request. `sent_nonce`
/// is the request's.
pub fn open_response(
    body: &[u8],
    app_id: &str,
    key: &DataKey,
    app_key: &AppKey,
    sent_nonce: &str,
) -> Result<Answer, Error> {
    open_response_with(body, app_id, key, app_key, sent_nonce, &Signing::Sm3)
}

/// [`open_response`] for a request signed by `signing`: with SM2, the answer must carry
/// `signType` `SM2` (any case; anything else is a downgrade) and a `signData` that verifies under
/// the portal's public key (spec section 11). All `000102`.
pub fn open_response_with(
    body: &[u8],
    app_id: &str,
    key: &DataKey,
    app_key: &AppKey,
    sent_nonce: &str,
    signing: &Signing,
) -> Result<Answer, Error> {
    let envelope = parse_answer_envelope(body)?;
    let resp_code = match envelope.get("respCode") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => unreachable!("checked by parse_answer_envelope"),
    };
    if resp_code != codes::SUCCESS {
        let msg = envelope
            .get("respMsg")
            .and_then(Value::as_str)
            .unwrap_or("");
        return Err(portal_rejection(&resp_code, msg));
    }
    if let Some(Value::String(echoed)) = envelope.get("appId") {
        if echoed != app_id {
            return Err(Error::new(
                ErrorKind::Signature,
                format!("应答的 appId \"{echoed}\" 不是本次请求的 appId，已拒绝 (the answer is for another appId)"),
            ));
        }
    }
    let data = match envelope.get("encData") {
        None | Some(Value::Null) => None,
        Some(Value::String(hex)) if hex.is_empty() => None,
        Some(Value::String(hex)) => Some(decrypt_data(key, hex)?),
        Some(_) => {
            return Err(Error::new(
                ErrorKind::Decrypt,
                "应答的 encData 不是字符串，无法解密 (encData is not a string)",
            ))
        }
    };
    let Some(Value::String(sign_data)) = envelope.get("signData") else {
        return Err(Error::new(
            ErrorKind::Signature,
            "应答缺少签名 signData，结果不可信，请先查询交易状态 (the answer has no signData)",
        ));
    };
    let text = sign_text(&envelope, data.as_ref(), app_key);
    check_answer_signature(&envelope, &text, sign_data, signing)?;
    match envelope.get("nonceStr") {
        Some(Value::String(n)) if n == sent_nonce => {}
        _ => {
            return Err(Error::new(
                ErrorKind::Signature,
                "应答的 nonceStr 与请求不一致，可能是其他请求的应答，结果不可信，请先查询交易状态 (the answer's nonceStr is not the request's)",
            ))
        }
    }
    let code = business_code(&envelope)?;
    let field = |name: &str, default: Value| envelope.get(name).cloned().unwrap_or(default);
    Ok(Answer {
        code,
        message: field("message", Value::String(String::new())),
        extra: field("extra", Value::String(String::new())),
        org_id: field("orgId", Value::String(String::new())),
        data,
    })
}

/// Check of a `000000` answer's signature. SM3 as before 1.1 (the answer's `signType` is not
/// read). SM2: the answer's `signType` must be the request's (`SM2`, compared
/// case-insensitively; absent or `SM3` is a downgrade, refused before anything is verified:
/// an SM3 signature only proves the appKey, which the SM2 key pair exists not to trust), then
/// `signData` must be one of the two encodings and verify under `serverPubKey`.
fn check_answer_signature(
    envelope: &Map,
    text: &str,
    sign_data: &str,
    signing: &Signing,
) -> Result<(), Error> {
    let refuse = |message: String| Err(Error::new(ErrorKind::Signature, message));
    if let Signing::Sm3 = signing {
        if !crypto::verify(text, sign_data) {
            return refuse("应答签名校验失败：appKey 与门户不一致或应答被篡改，结果不可信，请先查询交易状态 (the answer's signature is wrong: appKey mismatch or tampering)".into());
        }
        return Ok(());
    }
    let expected = signing.sign_type().as_str();
    let answered = envelope.get("signType").and_then(Value::as_str);
    if !answered.is_some_and(|t| t.eq_ignore_ascii_case(expected)) {
        let shown = answered.map_or_else(|| "（无 / none）".to_owned(), shown_code);
        return refuse(format!(
            "应答的 signType {shown} 不是请求的 {expected}（签名类型被降级），结果不可信，请先查询交易状态并联系门户 (the answer's signType is not the request's {expected}: a downgrade; the outcome is not trusted, query first)"
        ));
    }
    match signing.verify(text, sign_data) {
        Verdict::Valid => Ok(()),
        Verdict::Malformed => refuse("应答的 signData 不是 SM2 签名（应为 r‖s 64 字节或其 DER 编码的 Base64），结果不可信，请先查询交易状态 (the answer's signData is not an SM2 signature: base64 of the 64-byte r‖s or of its DER expected)".into()),
        Verdict::Invalid => refuse("应答 SM2 签名校验失败：serverPubKey 不是门户的公钥，或应答被篡改，结果不可信，请先查询交易状态 (the answer's SM2 signature does not verify: serverPubKey is not the portal's key, or the answer was tampered with)".into()),
    }
}

/// The body as a JSON object with a `respCode`, or `000002`.
fn parse_answer_envelope(body: &[u8]) -> Result<Map, Error> {
    let not_protocol = |detail: &str| {
        Error::new(
            ErrorKind::BadResponse,
            format!(
                "门户应答不是约定的格式（{detail}），请确认 serverAddr 指向医保支付门户，或联系门户运维 (the answer is not a portal answer: {detail}; first bytes: {})",
                preview(body)
            ),
        )
    };
    let value: Value =
        crate::json::parse_bytes(body).map_err(|_| not_protocol("不是 JSON / not JSON"))?;
    let Value::Object(map) = value else {
        return Err(not_protocol("不是 JSON 对象 / not a JSON object"));
    };
    match map.get("respCode") {
        Some(Value::String(_)) | Some(Value::Number(_)) => Ok(map),
        _ => Err(not_protocol("缺少 respCode / no respCode")),
    }
}

fn decrypt_data(key: &DataKey, hex: &str) -> Result<Value, Error> {
    let fail = |detail: String| {
        Error::new(
            ErrorKind::Decrypt,
            format!("应答的 encData 无法解密（{detail}），请核对 appId/appKey 是否与门户登记的一致 (encData could not be decrypted: {detail})"),
        )
    };
    let plain = key.decrypt_hex(hex).map_err(|e| fail(e.to_string()))?;
    crate::json::parse_bytes(&plain)
        .map_err(|_| fail("解密结果不是 UTF-8 JSON / not UTF-8 JSON".into()))
}

/// The business `code` of a `000000` answer: an integer, or a string holding one.
fn business_code(envelope: &Map) -> Result<Value, Error> {
    match envelope.get("code") {
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(Value::Number(n.clone())),
        Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => {
            Ok(Value::Number(s.trim().parse::<i64>().unwrap_or(-1).into()))
        }
        _ => Err(Error::new(
            ErrorKind::BadResponse,
            "门户应答缺少整数业务代码 code，无法判断业务是否成功，请先查询交易状态 (the answer has no integer business code)",
        )),
    }
}

/// The failure for a portal answer whose `respCode` is not `000000` (an unsigned rejection),
/// by spec section 7 (since 1.1):
/// * a code that cannot be passed through is a malformed answer, `000002`;
/// * the portal's own `000100` (外部接口存在问题: its upstream failed after it received the
///   request) is `000001`, outcome unknown, with the portal's code and message in the message:
///   the local `000100` promises that nothing was delivered, which the portal's cannot;
/// * any other code is passed through as it came, with `respMsg`, also when it equals one of the
///   library's own codes (`000102`, `000105`...: the portal's own rejections).
///
/// A code equal to `000000` never gets here: that answer is verified (and `000000` is only ever
/// returned for a verified answer).
fn portal_rejection(code: &str, msg: &str) -> Error {
    if !is_passable_code(code) {
        return Error::new(
            ErrorKind::BadResponse,
            format!(
                "门户应答的 respCode {} 不合规（须为 1 到 {MAX_PORTAL_CODE_LEN} 个可打印 ASCII 字符，不含空格和控制字符），按格式错误处理，请联系门户运维 (the answer's respCode is malformed: it must be 1 to {MAX_PORTAL_CODE_LEN} printable ASCII characters without spaces) {}",
                shown_code(code),
                preview(msg.as_bytes())
            ),
        );
    }
    if code == codes::NOT_DELIVERED {
        return Error::new(
            ErrorKind::OutcomeUnknown,
            format!(
                "门户返回 {code}：{msg}。门户已收到请求，但其后端接口出错，交易结果未知：请先查询交易状态，不要直接重试 (the portal answered {code}: it received the request and its upstream failed; outcome unknown, query before retrying)"
            ),
        );
    }
    Error::new(
        ErrorKind::Rejected(code.to_owned()),
        rejection_message(code, msg),
    )
}

/// A malformed `respCode` for a message: quoted, with spaces and control characters visible as
/// escapes, at most 40 characters of it.
fn shown_code(code: &str) -> String {
    let head: String = code.chars().take(40).collect();
    let more = if head.len() < code.len() { "…" } else { "" };
    format!("\"{}{more}\"", head.escape_debug())
}

fn rejection_message(code: &str, msg: &str) -> String {
    let advice = match code {
        codes::REPLAY => "；请检查本机时钟是否与北京时间一致（误差须在 5 分钟内），并不要重复提交同一请求 (check this PC's clock; do not resend the same request)",
        codes::SIGNATURE => "；请核对 appKey 是否与门户发放的一致 (check the appKey)",
        codes::UNKNOWN_PATH => "；请核对 serverAddr 中的接口路径 (check the path in serverAddr)",
        _ => "",
    };
    format!("门户拒绝了请求 {code}：{msg}{advice} (the portal rejected the request)")
}

/// The first bytes of a body, printable, for error messages.
fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(80)]);
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The portal's side (spec sections 5 and 9), used by the simulator and the debugging tools.

/// A request that passed the portal's checks 1, 5 and 6.
#[derive(Debug, Clone)]
pub struct OpenedRequest {
    pub envelope: Map,
    /// The decrypted business data.
    pub data: Value,
}

/// The members a request envelope must have (check 1).
const REQUIRED_REQUEST_MEMBERS: [&str; 8] = [
    "appId",
    "encType",
    "signType",
    "timestamp",
    "nonceStr",
    "version",
    "encData",
    "signData",
];

/// Check 1: the body is a JSON object with every required member as a string.
pub fn parse_request_envelope(body: &[u8]) -> Result<Map, Error> {
    let bad = |detail: String| Error::new(ErrorKind::BadInput, format!("参数校验不合法：{detail}"));
    let value: Value =
        crate::json::parse_bytes(body).map_err(|_| bad("请求体不是 JSON".to_owned()))?;
    let Value::Object(map) = value else {
        return Err(bad("请求体不是 JSON 对象".to_owned()));
    };
    for member in REQUIRED_REQUEST_MEMBERS {
        match map.get(member) {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => return Err(bad(format!("缺少 {member}"))),
        }
    }
    Ok(map)
}

/// Checks 5 and 6: verifies `signData` (SM3) and decrypts `encData` to a JSON object.
pub fn open_request(
    envelope: Map,
    key: &DataKey,
    app_key: &AppKey,
) -> Result<OpenedRequest, Error> {
    open_request_with(envelope, key, app_key, &Signing::Sm3)
}

/// [`open_request`] with the portal's `signing`: SM3, or SM2 verifying with the institution's
/// public key (spec section 11). The caller has checked that the request's `signType` is the
/// one `signing` verifies.
pub fn open_request_with(
    envelope: Map,
    key: &DataKey,
    app_key: &AppKey,
    signing: &Signing,
) -> Result<OpenedRequest, Error> {
    let text_of = |name: &str| envelope.get(name).and_then(Value::as_str).unwrap_or("");
    let plain = key.decrypt_hex(text_of("encData"));
    let data: Option<Value> = plain.ok().and_then(|p| crate::json::parse_bytes(&p).ok());
    // The signature covers the decrypted data, so an undecryptable body cannot verify: report it
    // as a signature failure, as check 5 comes first.
    let text = sign_text(&envelope, data.as_ref(), app_key);
    if signing.verify(&text, text_of("signData")) != Verdict::Valid {
        return Err(Error::new(
            ErrorKind::Signature,
            "核验签名参数失败，签名无效",
        ));
    }
    match data {
        Some(data @ Value::Object(_)) => Ok(OpenedRequest { envelope, data }),
        _ => Err(Error::new(
            ErrorKind::Decrypt,
            "系统接口加密失败：encData 无法解密为 JSON 对象",
        )),
    }
}

/// What the portal answers to an accepted request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
    pub extra: String,
}

/// Builds the portal's signed (SM3), encrypted answer (spec section 5) to an accepted request.
pub fn seal_response(
    request: &Map,
    reply: &Reply,
    key: &DataKey,
    app_key: &AppKey,
    timestamp: &str,
) -> String {
    seal_response_with(request, reply, key, app_key, timestamp, &Signing::Sm3)
}

/// [`seal_response`] signed by the portal's `signing` (SM2: with the portal's private key, and
/// `signType` `SM2`).
pub fn seal_response_with(
    request: &Map,
    reply: &Reply,
    key: &DataKey,
    app_key: &AppKey,
    timestamp: &str,
    signing: &Signing,
) -> String {
    let echo = |name: &str| request.get(name).cloned().unwrap_or(Value::Null);
    let mut envelope = Map::with_capacity(14);
    envelope.insert("respCode".into(), codes::SUCCESS.into());
    envelope.insert("respMsg".into(), "成功".into());
    envelope.insert("code".into(), reply.code.into());
    envelope.insert("message".into(), reply.message.clone().into());
    envelope.insert("appId".into(), echo("appId"));
    if let Some(org) = request.get("orgId") {
        envelope.insert("orgId".into(), org.clone());
    }
    envelope.insert("timestamp".into(), timestamp.into());
    envelope.insert("nonceStr".into(), echo("nonceStr"));
    envelope.insert("encType".into(), "SM4".into());
    envelope.insert("signType".into(), signing.sign_type().as_str().into());
    if let Some(data) = &reply.data {
        // Encrypted and hex-expanded in the buffer the compact JSON was written to.
        let mut buf = json::compact(data).into_bytes();
        key.encrypt_hex_in_place(&mut buf, 0);
        let enc_data = String::from_utf8(buf).expect("hex is ASCII");
        envelope.insert("encData".into(), enc_data.into());
    }
    let text = sign_text(&envelope, reply.data.as_ref(), app_key);
    envelope.insert("signData".into(), signing.sign(&text).into());
    envelope.insert("extra".into(), reply.extra.clone().into());
    json::compact(&Value::Object(envelope))
}

/// The portal's unsigned rejection (`respCode` other than `000000`).
pub fn rejection(resp_code: &str, resp_msg: &str) -> String {
    let mut envelope = Map::new();
    envelope.insert("respCode".into(), resp_code.into());
    envelope.insert("respMsg".into(), resp_msg.into());
    json::compact(&Value::Object(envelope))
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_ID: &str = "0123456789ABCDEF0123456789ABCDEF";

    /// The code and message a portal answer with no signature gives.
    fn answer_to(body: &str) -> (String, String) {
        let app_key = AppKey::new("k");
        let key = DataKey::derive(APP_ID, &app_key);
        let error = open_response(body.as_bytes(), APP_ID, &key, &app_key, "n")
            .expect_err("an unsigned answer never succeeds");
        (error.code().to_owned(), error.message)
    }

    fn rejection_with(code: &str) -> String {
        json::compact(&Value::Object({
            let mut m = Map::new();
            m.insert("respCode".into(), code.into());
            m.insert("respMsg".into(), "门户的说明".into());
            m
        }))
    }

    #[test]
    fn a_code_that_is_not_exactly_passable_is_malformed() {
        let long = "9".repeat(33);
        for code in [
            "000000 ",
            " 000000",
            "000000\t",
            "0000\u{0}00",
            "000000\n",
            "",
            " ",
            "010 010",
            "０００１００",
            "000100 ",
            &long,
        ] {
            let (got, message) = answer_to(&rejection_with(code));
            assert_eq!(got, "000002", "{code:?}: {message}");
            assert!(message.contains("respCode"), "{message}");
        }
    }

    #[test]
    fn a_passable_code_is_passed_through_as_it_came() {
        let longest = "9".repeat(32);
        for code in [
            "010010", "404404", "-8", "A", "x~!", &longest, // the portal's own rejections
            "000102", "000105", "000101", "000001", "000002", "000003", "000106", "444444",
        ] {
            let (got, message) = answer_to(&rejection_with(code));
            assert_eq!(got, code, "{message}");
            assert!(message.contains("门户的说明"), "{message}");
        }
        let (got, _) = answer_to(r#"{"respCode":100,"respMsg":"m"}"#);
        assert_eq!(got, "100", "a number is passed through as its text");
    }

    #[test]
    fn the_portals_000100_is_outcome_unknown_with_its_code_and_message() {
        let (got, message) = answer_to(r#"{"respCode":"000100","respMsg":"外部接口存在问题"}"#);
        assert_eq!(got, codes::OUTCOME_UNKNOWN);
        assert!(message.contains("000100：外部接口存在问题"), "{message}");
        assert!(message.contains("查询"), "{message}");
    }
}
