//! `onetrans check` for inputs whose `signType` is `SM2` (spec section 11): whether both keys
//! parse (naming what is wrong, never showing a private key), whether the private key's public
//! half is the one the portal registered (`--expect-pub`), and the user id in use.
//!
//! The keys are read from the input's `data`, else from the library's environment variables
//! (`ONETRANS_CLIENT_PRV_KEY`, `ONETRANS_SERVER_PUB_KEY`, `ONETRANS_SM2_USER_ID`), the input
//! winning as in the library. [`configured`] is the one place to switch to the library's
//! configuration (which adds `OneTrans.ini`) once it carries the keys.

use onetrans::json::{self, Value};
use onetrans::sm2::{self, PrivateKey, PublicKey, UserId};
use zeroize::Zeroizing;

use super::{Report, Verdict};
use crate::keygen;

const TITLE: &str = "SM2 密钥 / SM2 keys";

/// A key's text and where it came from.
struct Found {
    text: Zeroizing<String>,
    from: String,
}

/// The SM2 step, when the input's `signType` is `SM2`; a skipped step when it is not but
/// `--expect-pub` was given; nothing otherwise.
pub(super) fn step(report: &mut Report, input_text: &str, expect_pub: Option<&str>) {
    let Some(data) = sm2_data(input_text) else {
        if expect_pub.is_some() {
            report.skip(
                TITLE,
                "signType 不是 SM2，忽略 --expect-pub / signType is not SM2: --expect-pub ignored",
            );
        }
        return;
    };
    let mut details = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();

    let private = match lookup(&data, "clientPrvKey") {
        None => {
            failures.push(missing(
                "clientPrvKey",
                "机构私钥",
                "the institution's private key",
            ));
            None
        }
        Some(found) => match keygen::parse_private("clientPrvKey", &found.text) {
            Ok(key) => {
                details.push(format!("clientPrvKey: 可解析 / parses ({})", found.from));
                details.push(format!(
                    "  对应的公钥 / its public key: {}",
                    sm2::public_of(&key).to_hex()
                ));
                Some(key)
            }
            Err(e) => {
                details.push(format!("clientPrvKey: 无效 / invalid ({})", found.from));
                failures.push(e.message);
                None
            }
        },
    };
    let server = match lookup(&data, "serverPubKey") {
        None => {
            failures.push(missing(
                "serverPubKey",
                "门户公钥",
                "the portal's public key",
            ));
            None
        }
        Some(found) => match PublicKey::parse("serverPubKey", found.text.trim()) {
            Ok(key) => {
                details.push(format!(
                    "serverPubKey: 可解析 / parses ({}): {}",
                    found.from,
                    key.to_hex()
                ));
                Some(key)
            }
            Err(e) => {
                details.push(format!("serverPubKey: 无效 / invalid ({})", found.from));
                failures.push(e.to_string());
                None
            }
        },
    };
    if let (Some(key), Some(server)) = (&private, &server) {
        if sm2::public_of(key) == *server {
            warnings.push("serverPubKey 是本机构自己的公钥（与 clientPrvKey 成对），应填门户提供的公钥 (serverPubKey is the institution's own public key; the portal's belongs there)".to_owned());
        }
    }
    match expect_pub {
        Some(arg) => compare_expected(arg, private.as_ref(), &mut details, &mut failures),
        None => details.push(
            "未给出 --expect-pub：请把上面 clientPrvKey 对应的公钥与门户登记的核对 (no --expect-pub: compare the public key above with the one the portal registered)"
                .to_owned(),
        ),
    }
    match user_id() {
        Ok((id, from)) => details.push(format!("sm2UserId: {} ({from})", id.as_str())),
        Err(e) => failures.push(e),
    }
    finish(report, details, failures, warnings);
}

fn finish(
    report: &mut Report,
    mut details: Vec<String>,
    failures: Vec<String>,
    warnings: Vec<String>,
) {
    if !failures.is_empty() {
        let hint = "按上面的说明改正密钥；在改正之前 MobileTrans 以 000105 拒绝调用，不会发出请求 (fix the keys as said above; until then MobileTrans refuses the call with 000105 and sends nothing)";
        details.extend(failures);
        details.extend(warnings);
        report.step(
            Verdict::Failed,
            TITLE,
            "密钥有问题 / a key is wrong",
            &details,
            hint,
        );
    } else if !warnings.is_empty() {
        let hint = warnings.join("；");
        report.step(
            Verdict::Warning,
            TITLE,
            "两把密钥都可解析 / both keys parse",
            &details,
            &hint,
        );
    } else {
        report.step(
            Verdict::Ok,
            TITLE,
            "两把密钥都可解析 / both keys parse",
            &details,
            "",
        );
    }
}

/// Compares the private key's public half with `--expect-pub`.
fn compare_expected(
    arg: &str,
    private: Option<&PrivateKey>,
    details: &mut Vec<String>,
    failures: &mut Vec<String>,
) {
    let expected = match keygen::read_public("--expect-pub", arg) {
        Ok(key) => key,
        Err(e) => {
            failures.push(e.message);
            return;
        }
    };
    let Some(key) = private else {
        return;
    };
    if sm2::public_of(key) == expected {
        details.push("clientPrvKey 的公钥与 --expect-pub 一致 / clientPrvKey's public half matches --expect-pub".to_owned());
    } else {
        failures.push(format!(
            "clientPrvKey 的公钥与门户登记的 --expect-pub {} 不一致：门户会以签名错误拒绝每一笔请求；核对是否用错了私钥，或请门户运营方登记上面的公钥 (clientPrvKey's public half differs from --expect-pub: the portal would reject every request's signature)",
            expected.to_hex()
        ));
    }
}

/// `data` of the input when its `signType` is `SM2` (any case).
fn sm2_data(input_text: &str) -> Option<Value> {
    let root = json::parse(input_text.trim_start_matches('\u{feff}')).ok()?;
    let data = root.get("data")?.clone();
    let sign_type = data.get("signType")?.as_str()?;
    sign_type.eq_ignore_ascii_case("SM2").then_some(data)
}

/// A key from the input's `data` (it wins), else from the configuration.
fn lookup(data: &Value, key: &str) -> Option<Found> {
    let from_input = data
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    match from_input {
        Some(text) => Some(Found {
            text: Zeroizing::new(text.to_owned()),
            from: format!("入参 / the input's data.{key}"),
        }),
        None => configured(key),
    }
}

/// A key from the library's configuration. For now its environment variable only: the
/// library's configuration loader does not carry the SM2 keys yet (issue 12 is adding them).
fn configured(key: &str) -> Option<Found> {
    let name = onetrans::config::env_name(key);
    let value = std::env::var(&name).ok().filter(|v| !v.trim().is_empty())?;
    Some(Found {
        text: Zeroizing::new(value),
        from: format!("环境变量 / environment {name}"),
    })
}

fn user_id() -> Result<(UserId, String), String> {
    keygen::user_id(None).map_err(|e| e.message)
}

fn missing(key: &str, zh: &str, en: &str) -> String {
    format!(
        "缺少 {key}（{zh}）：填在入参 data.{key} 或 OneTrans.ini 的 {key} (no {key}, {en}: put it in data.{key} or in OneTrans.ini)"
    )
}
