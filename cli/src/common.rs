//! What every command shares: reading input files, decoding them, masking secrets, printing JSON,
//! the command-line error type and what a return code means for the caller.

use std::fmt;
use std::io::Read;
use std::path::Path;

use onetrans::charset::{self, Charset, CharsetSetting};
use onetrans::json::{self, Value};

/// A command's failure: a message for the terminal and the process exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub exit: u8,
}

impl CliError {
    /// A usage or environment problem (file not found, bad argument): exit code 2.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            exit: 2,
        }
    }

    /// The command ran but what it checked or computed failed: exit code 1.
    pub fn failed(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            exit: 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// Reads a file, or standard input for `-`, as raw bytes.
pub fn read_source(source: &str) -> CliResult<Vec<u8>> {
    if source == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| {
            CliError::usage(format!(
                "读取标准输入失败 (could not read standard input): {e}"
            ))
        })?;
        return Ok(bytes);
    }
    std::fs::read(Path::new(source)).map_err(|e| {
        CliError::usage(format!(
            "无法读取文件 {source} (could not read the file): {e}"
        ))
    })
}

/// Decodes an input the way `MobileTrans` decodes `pInData` (`onetrans::charset`): UTF-8, or
/// GB18030 (which includes GBK) when it is not valid UTF-8, per the configured `charset`. A
/// leading UTF-8 byte-order mark (Notepad adds one) is dropped first.
pub fn decode_text(bytes: &[u8]) -> CliResult<(String, Charset)> {
    decode_input(bytes).map_err(|e| CliError::failed(e.to_string()))
}

/// As [`decode_text`], failing with the library's error (`000105`).
pub fn decode_input(bytes: &[u8]) -> Result<(String, Charset), onetrans::error::Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let setting = onetrans::runtime::config().map_or(CharsetSetting::Auto, |c| c.charset);
    let request = charset::decode_request(bytes, setting, Charset::Utf8)?;
    if request.ignored_tail > 0 {
        onetrans::runtime::note_ignored_tail(request.ignored_tail);
    }
    Ok((request.text.into_owned(), request.charset))
}

/// Reads and decodes an input file (or `-`).
pub fn read_text(source: &str) -> CliResult<(String, Charset)> {
    decode_text(&read_source(source)?)
}

/// Masks a secret for display: `St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM` becomes `St72****wCmM`.
/// Short secrets show less, and secrets of under 8 characters show nothing.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let keep = match chars.len() {
        n if n >= 12 => 4,
        n if n >= 8 => 2,
        _ => 0,
    };
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}****{tail}")
}

/// The caller's input JSON with `data.appKey` masked and `data.clientPrvKey` (the SM2
/// private key) hidden, indented; the text as it is when it is not JSON.
pub fn masked_input(text: &str) -> String {
    let Ok(mut value) = json::parse(text) else {
        return text.to_owned();
    };
    if let Value::Object(root) = &mut value {
        if let Some(Value::Object(data)) = root.get_mut("data") {
            if let Some(Value::String(key)) = data.get_mut("appKey") {
                *key = mask(key);
            }
            // Not even a head and tail of a private key: "****".
            if let Some(Value::String(key)) = data.get_mut("clientPrvKey") {
                *key = "****".to_owned();
            }
        }
    }
    json::pretty(&value)
}

/// Indented JSON of a JSON text (member order and number text kept); the text as it is when
/// it is not JSON.
pub fn pretty_text(text: &str) -> String {
    match json::parse(text) {
        Ok(value) => json::pretty(&value),
        Err(_) => text.to_owned(),
    }
}

/// The business `code` of an output JSON, as text.
pub fn business_code(output: &str) -> Option<String> {
    match json::parse(output).ok()?.get("code")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A string member of a JSON text's top level.
pub fn member(text: &str, name: &str) -> Option<String> {
    json::parse(text)
        .ok()?
        .get(name)?
        .as_str()
        .map(str::to_owned)
}

/// One line saying what a return code (and, for `000000`, the business `code`) means for the
/// caller: what happened and what to do.
pub fn explain(code: &str, business_code: Option<&str>) -> String {
    let text = match code {
        "000000" => match business_code {
            Some("0") | None => "成功：门户已受理，应答验签通过，业务结果在出参 data 中 (success: the portal accepted the request and the answer verified; the result is in data)",
            Some(_) => "门户已受理且应答验签通过，但业务失败：按出参 message 处理，不要原样重发 (the portal accepted the request, but the business layer refused it: act on message, do not resend as is)",
        },
        "000001" => "结果未知：请求可能已送达但没有收到完整应答；先查询交易状态，不要直接重试 (outcome unknown: the request may have been delivered; query before retrying)",
        "000002" => "门户应答不是约定格式或 HTTP 状态异常：核对 serverAddr 是否指向医保支付门户 (the answer is not a portal answer or the HTTP status is wrong: check serverAddr)",
        "000003" => "门户维护中 (HTTP 503)：稍后再试 (the portal is under maintenance: retry later)",
        "000100" => "门户无法连接，请求肯定没有发出：检查网络/serverAddr/证书后可以安全重试 (the portal could not be reached; the request was certainly not sent and is safe to retry)",
        "000101" => "应答无法解密：核对 appId/appKey 是否与门户登记的一致 (the answer could not be decrypted: check appId/appKey)",
        "000102" => "签名无效：核对 appKey 是否与门户发放的一致（门户拒绝了请求签名，或应答签名不对） (bad signature: check the appKey)",
        "000105" => "入参不合法，请求没有发出：按 message 修改入参 JSON (bad input, nothing was sent: fix the input JSON as message says)",
        "000106" => "出参缓冲区太小：加大 pOutData 缓冲区 (the output buffer is too small)",
        "010010" => "重放拦截：时间戳与门户相差超过 5 分钟或请求重复；校准本机时钟、timestamp 留空、不要重发同一请求 (replay rejected: fix the clock, leave timestamp empty, never resend the same request)",
        "404404" => "接口未开放或路径错误：核对 serverAddr 中的接口路径 (unknown path: check the path in serverAddr)",
        "-8" => "应用信息不存在：appId 未在门户登记，核对 appId (the appId is not registered at the portal)",
        "444444" => "动态库内部错误：保存日志并联系供应商，交易结果未知 (internal error in the library; the outcome is unknown)",
        _ => "门户返回的代码，原样透传：见出参 message (a portal code passed through: see message)",
    };
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_the_brief() {
        assert_eq!(mask("St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM"), "St72****wCmM");
        assert_eq!(mask("abcdefgh"), "ab****gh");
        assert_eq!(mask("short"), "****");
        assert_eq!(mask(""), "****");
        assert_eq!(mask("周大鹏周大鹏周大鹏周大鹏"), "周大鹏周****鹏周大鹏");
    }

    #[test]
    fn decodes_utf8_bom_and_gb18030() {
        assert_eq!(
            decode_text(b"\xEF\xBB\xBF{}").unwrap(),
            ("{}".into(), Charset::Utf8)
        );
        // "周" in GBK is D6 DC.
        let (text, cs) = decode_text(b"{\"n\":\"\xD6\xDC\"}").unwrap();
        assert_eq!((text.as_str(), cs), ("{\"n\":\"周\"}", Charset::Gb18030));
        assert!(decode_text(b"\xFF\xFF\xFF").is_err());
    }

    #[test]
    fn masks_the_input_app_key() {
        let shown = masked_input(
            r#"{"data":{"appKey":"St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM","amt":12.50,"e":1.5e3}}"#,
        );
        assert!(
            shown.contains("St72****wCmM") && shown.contains("12.50"),
            "{shown}"
        );
        assert!(shown.contains("1.5e3"), "{shown}");
        assert!(!shown.contains("St72fYdfk6ph"));
    }

    #[test]
    fn hides_the_sm2_private_key() {
        let shown = masked_input(
            r#"{"data":{"clientPrvKey":"AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0","serverPubKey":"04AB"}}"#,
        );
        assert!(!shown.contains("AFA3F49"), "{shown}");
        assert!(!shown.contains("6643EA0E1B0"), "{shown}");
        assert!(shown.contains("\"clientPrvKey\": \"****\""), "{shown}");
        assert!(shown.contains("04AB"), "{shown}");
    }
}
