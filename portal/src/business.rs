//! The business interfaces (spec section 10, check 8): what the portal answers to a request
//! that passed the gateway checks.
//!
//! A business failure is `respCode` `000000` with `code` `-2` (请求参数异常) and a message naming
//! the field, in the form of the spec's vector: `请求参数异常: medOrgOrd 必填`.

use std::collections::HashMap;
use std::sync::Mutex;

use onetrans::clock::ChinaTime;
use onetrans::json::{self, Map, Value};
use onetrans::protocol::Reply;

/// Medical message push (医疗消息推送).
pub const PUSH_MSG: &str = "/api/amp/hos/pushMsg";
/// Drug write-off (药品核销, YM_PORTAL_008).
pub const VERIFICATION_DRUG: &str = "/api/mobile/verificationDrug";

/// The paths the portal serves; any other is `404404` (check 2).
pub const KNOWN_PATHS: [&str; 2] = [PUSH_MSG, VERIFICATION_DRUG];

/// The business code of a parameter failure (应用级 -2 请求参数异常).
pub const CODE_BAD_PARAM: i64 = -2;

/// The business message of a success.
pub const SUCCESS_MESSAGE: &str = "成功";

/// `pushMsg`'s required fields, checked in this order.
pub const PUSH_MSG_REQUIRED: [&str; 7] = [
    "orgCode",
    "medOrgOrd",
    "pushType",
    "orderStatus",
    "patientName",
    "idType",
    "idNo",
];

/// `orderStatus` values (vendor document: 待支付, 已支付, 已部分退款, 已全额退款).
pub const ORDER_STATUSES: [&str; 4] = [
    "MERCHANT_WAIT_PAY",
    "MERCHANT_PAID",
    "MERCHANT_PART_REFUNDED",
    "MERCHANT_REFUNDED",
];

/// `drugTipsIdType` values: `qr` 二维码, `bar` 条码.
pub const DRUG_TIPS_ID_TYPES: [&str; 2] = ["qr", "bar"];

/// Whether `path` is one of the business interfaces.
pub fn is_known_path(path: &str) -> bool {
    KNOWN_PATHS.contains(&path)
}

/// The business layer and its state: the drug tickets written off so far.
#[derive(Debug, Default)]
pub struct Business {
    ledger: Mutex<Ledger>,
}

#[derive(Debug, Default)]
struct Ledger {
    /// mobileDrugTipsId → when it was written off (portal time).
    written_off: HashMap<String, ChinaTime>,
    /// Sequence for trace ids.
    seq: u64,
}

impl Business {
    /// Answers an accepted request for `path` with its decrypted `data` at portal time `now`.
    /// An unknown path (not reachable after check 2) is answered with `-5` 无效的请求地址.
    pub fn handle(&self, path: &str, data: &Value, now: ChinaTime) -> Reply {
        let empty = Map::new();
        let fields = data.as_object().unwrap_or(&empty);
        match path {
            PUSH_MSG => push_msg(fields),
            VERIFICATION_DRUG => self.verification_drug(fields, now),
            _ => failure(-5, format!("无效的请求地址: {path}")),
        }
    }

    fn verification_drug(&self, fields: &Map, now: ChinaTime) -> Reply {
        let id = match required(fields, "mobileDrugTipsId") {
            Ok(id) => id,
            Err(detail) => return bad_param(detail),
        };
        match required(fields, "drugTipsIdType") {
            Ok(kind) if DRUG_TIPS_ID_TYPES.contains(&kind) => {}
            Ok(kind) => {
                return bad_param(format!(
                    "drugTipsIdType 取值 {kind} 无效，应为 qr（二维码）或 bar（条码）"
                ))
            }
            Err(detail) => return bad_param(detail),
        }
        let mut ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = ledger.written_off.get(id) {
            return bad_param(format!(
                "mobileDrugTipsId {id} 已于 {at} 核销，不可重复核销 (already written off at {at})"
            ));
        }
        ledger.written_off.insert(id.to_owned(), now);
        ledger.seq += 1;
        let (y, mo, d, h, mi, s) = now.fields();
        let trace_id = format!(
            "T{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{:04}",
            ledger.seq % 10_000
        );
        let (kind, kind_desc) = item_type(id);
        let mut answer = Map::new();
        answer.insert("traceId".into(), trace_id.into());
        answer.insert("drugStatus".into(), "1".into());
        answer.insert("drugStatusDesc".into(), "已核销".into());
        answer.insert("drugType".into(), kind.into());
        answer.insert("drugTypeDesc".into(), kind_desc.into());
        // A sample amount in yuan, written as 12.50 so that clients can check that number text
        // survives (spec section 1).
        let fee = json::parse("12.50").unwrap_or(Value::Null);
        answer.insert("fee".into(), fee);
        success(Value::Object(answer))
    }
}

/// The item type of a ticket, chosen by its first character so that tests can get each one:
/// `C…` a check (检查), `T…` a test (检验), anything else a drug (药品).
fn item_type(ticket: &str) -> (&'static str, &'static str) {
    match ticket.chars().next() {
        Some('C') => ("CHECK", "检查"),
        Some('T') => ("TEST", "检验"),
        _ => ("DRUG", "药品"),
    }
}

fn push_msg(fields: &Map) -> Reply {
    for name in PUSH_MSG_REQUIRED {
        let value = match required(fields, name) {
            Ok(value) => value,
            Err(detail) => return bad_param(detail),
        };
        if name == "orderStatus" && !ORDER_STATUSES.contains(&value) {
            return bad_param(format!(
                "orderStatus 取值 {value} 无效，应为 {}",
                ORDER_STATUSES.join("、")
            ));
        }
    }
    let mut answer = Map::new();
    answer.insert("response".into(), "SUCCESS".into());
    success(Value::Object(answer))
}

/// A required string field: present, a string, not blank; else the failure's detail.
fn required<'a>(fields: &'a Map, name: &str) -> Result<&'a str, String> {
    match fields.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        None | Some(Value::Null) | Some(Value::String(_)) => Err(format!("{name} 必填")),
        Some(_) => Err(format!("{name} 应为字符串")),
    }
}

fn success(data: Value) -> Reply {
    Reply {
        code: 0,
        message: SUCCESS_MESSAGE.to_owned(),
        data: Some(data),
        extra: String::new(),
    }
}

fn bad_param(detail: String) -> Reply {
    failure(CODE_BAD_PARAM, format!("请求参数异常: {detail}"))
}

fn failure(code: i64, message: String) -> Reply {
    Reply {
        code,
        message,
        data: None,
        extra: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(text: &str) -> Value {
        json::parse(text).unwrap()
    }

    fn member<'a>(value: &'a Value, name: &str) -> &'a str {
        value.get(name).and_then(Value::as_str).unwrap_or_default()
    }

    const PUSH: &str = r#"{"orgCode":"H1","medOrgOrd":"O1","pushType":"HOSPITAL_PAYMENT","orderStatus":"MERCHANT_PAID","patientName":"周大鹏","idType":"01","idNo":"X"}"#;

    fn now() -> ChinaTime {
        ChinaTime::parse("2022-12-22 09:11:04").unwrap()
    }

    #[test]
    fn push_msg_accepts_the_vendor_fields() {
        let reply = Business::default().handle(PUSH_MSG, &data(PUSH), now());
        assert_eq!(reply.code, 0);
        assert_eq!(reply.message, "成功");
        assert_eq!(reply.data, Some(data(r#"{"response":"SUCCESS"}"#)));
    }

    #[test]
    fn push_msg_names_the_missing_or_bad_field() {
        let business = Business::default();
        for name in PUSH_MSG_REQUIRED {
            let Value::Object(mut fields) = data(PUSH) else {
                unreachable!()
            };
            fields.shift_remove(name);
            let reply = business.handle(PUSH_MSG, &Value::Object(fields), now());
            assert_eq!(reply.code, -2);
            assert_eq!(reply.message, format!("请求参数异常: {name} 必填"));
            assert_eq!(reply.data, None);
        }
        let bad = PUSH.replace("MERCHANT_PAID", "PAID");
        let reply = business.handle(PUSH_MSG, &data(&bad), now());
        assert_eq!(reply.code, -2);
        assert!(reply.message.contains("orderStatus"), "{}", reply.message);
        let number = PUSH.replace("\"idNo\":\"X\"", "\"idNo\":5");
        let reply = business.handle(PUSH_MSG, &data(&number), now());
        assert!(
            reply.message.contains("idNo 应为字符串"),
            "{}",
            reply.message
        );
    }

    #[test]
    fn a_drug_ticket_is_written_off_once() {
        let business = Business::default();
        let request = data(r#"{"mobileDrugTipsId":"202212229114","drugTipsIdType":"qr"}"#);
        let first = business.handle(VERIFICATION_DRUG, &request, now());
        assert_eq!(first.code, 0);
        let answer = first.data.unwrap();
        assert_eq!(member(&answer, "drugStatusDesc"), "已核销");
        assert_eq!(member(&answer, "drugType"), "DRUG");
        assert_eq!(member(&answer, "traceId"), "T202212220911040001");
        assert_eq!(answer.get("fee").unwrap().to_string(), "12.50");
        let second = business.handle(VERIFICATION_DRUG, &request, now());
        assert_eq!(second.code, -2);
        assert!(
            second.message.contains("已于 2022-12-22 09:11:04 核销"),
            "{}",
            second.message
        );
        let check = data(r#"{"mobileDrugTipsId":"C1","drugTipsIdType":"bar"}"#);
        let reply = business.handle(VERIFICATION_DRUG, &check, now());
        assert_eq!(member(&reply.data.unwrap(), "drugType"), "CHECK");
    }

    #[test]
    fn drug_fields_are_checked() {
        let business = Business::default();
        let cases = [
            (r#"{"drugTipsIdType":"qr"}"#, "mobileDrugTipsId 必填"),
            (r#"{"mobileDrugTipsId":"1"}"#, "drugTipsIdType 必填"),
            (
                r#"{"mobileDrugTipsId":"1","drugTipsIdType":"QR"}"#,
                "drugTipsIdType 取值 QR 无效",
            ),
        ];
        for (request, expected) in cases {
            let reply = business.handle(VERIFICATION_DRUG, &data(request), now());
            assert_eq!(reply.code, -2);
            assert!(reply.message.contains(expected), "{}", reply.message);
        }
    }
}
