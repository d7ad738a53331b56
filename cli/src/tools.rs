//! `onetrans sign | encrypt | decrypt | key`: the spec's primitives, for comparing against a
//! capture from the real portal. All of them call the library (`onetrans::protocol`,
//! `onetrans::crypto`); none re-implements a step.

use clap::Args;
use onetrans::crypto::{self, AppKey, DataKey};
use onetrans::json::{self, Map, Value};
use onetrans::protocol;

use crate::common::{self, CliError, CliResult};

/// Where the credentials come from: flags, or a MobileTrans input file.
#[derive(Debug, Args)]
pub struct Credentials {
    /// 门户发放的 appId / the appId the portal issued
    #[arg(long, value_name = "APP_ID")]
    app_id: Option<String>,
    /// 门户发放的 appKey（会留在命令历史里，可改用 --input） / the appKey (stays in the shell history; --input avoids that)
    #[arg(long, value_name = "APP_KEY")]
    app_key: Option<String>,
    /// 从 MobileTrans 入参文件读取 data.appId / data.appKey / read data.appId and data.appKey from a MobileTrans input file
    #[arg(long, value_name = "FILE")]
    input: Option<String>,
}

impl Credentials {
    /// (appId, appKey): the flags first, then the input file's `data`.
    fn resolve(&self) -> CliResult<(Option<String>, Option<String>)> {
        let (mut id, mut key) = (self.app_id.clone(), self.app_key.clone());
        if let Some(file) = &self.input {
            let (text, _) = common::read_text(file)?;
            let value = json::parse(&text).map_err(|e| {
                CliError::usage(format!(
                    "--input {file} 不是合法的 JSON (is not valid JSON): {e}"
                ))
            })?;
            let member = |name: &str| {
                value
                    .get("data")
                    .and_then(|d| d.get(name))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            id = id.or_else(|| member("appId"));
            key = key.or_else(|| member("appKey"));
        }
        Ok((id, key))
    }

    fn app_id(&self, fallback: Option<&str>) -> CliResult<String> {
        let (id, _) = self.resolve()?;
        id.or_else(|| fallback.map(str::to_owned)).ok_or_else(|| {
            CliError::usage(
                "缺少 appId：请用 --app-id 或 --input 提供 (no appId: give --app-id or --input)",
            )
        })
    }

    fn app_key(&self) -> CliResult<AppKey> {
        let (_, key) = self.resolve()?;
        key.map(AppKey::new).ok_or_else(|| {
            CliError::usage("缺少 appKey：请用 --app-key 或 --input 提供 (no appKey: give --app-key or --input)")
        })
    }

    fn data_key(&self, fallback_id: Option<&str>) -> CliResult<DataKey> {
        let app_id = self.app_id(fallback_id)?;
        if app_id.len() < 16 {
            return Err(CliError::usage(format!(
                "appId 长度 {} 字节，至少应为 16 字节 (appId must be at least 16 bytes)",
                app_id.len()
            )));
        }
        Ok(DataKey::derive(&app_id, &self.app_key()?))
    }
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(flatten)]
    creds: Credentials,
    /// 只输出密钥本身 / print the key only
    #[arg(long)]
    bare: bool,
}

#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// 明文 JSON；省略或 - 时读标准输入，@FILE 读文件（去掉末尾一个换行） / the plain JSON; stdin when absent or -, @FILE for a file (one trailing line break dropped)
    plain: Option<String>,
    #[command(flatten)]
    creds: Credentials,
    /// 先把 JSON 转成线上的紧凑格式（保留成员顺序和数字原文） / first render the JSON compact, as the wire carries it
    #[arg(long)]
    compact: bool,
    /// 同时显示数据密钥 / also show the data key
    #[arg(long)]
    show_key: bool,
    /// 只输出 encData / print encData only
    #[arg(long)]
    bare: bool,
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// encData 十六进制；省略或 - 时读标准输入 / the encData hex; stdin when absent or -
    hex: Option<String>,
    #[command(flatten)]
    creds: Credentials,
    /// 同时显示数据密钥 / also show the data key
    #[arg(long)]
    show_key: bool,
    /// 只输出明文 / print the plain text only
    #[arg(long)]
    bare: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// 报文 JSON（请求或应答）：文件、- 表示标准输入，或以 { 开头的 JSON 文本 / the envelope JSON (request or answer): a file, - for stdin, or JSON text starting with {
    envelope: String,
    #[command(flatten)]
    creds: Credentials,
    /// 业务数据明文 JSON（或 @FILE），代替解密 encData / the plain business data JSON (or @FILE), instead of decrypting encData
    #[arg(long, value_name = "JSON")]
    data: Option<String>,
    /// 先解密这个 encData 作为业务数据（需 appId） / decrypt this encData first and sign its data (needs the appId)
    #[arg(long, value_name = "HEX", conflicts_with = "data")]
    enc_data: Option<String>,
    /// 签名原文中显示 appKey 明文 / show the appKey in the sign text
    #[arg(long)]
    show_key: bool,
    /// 只输出 signData / print signData only
    #[arg(long)]
    bare: bool,
}

/// `onetrans key`.
pub fn key(args: &KeyArgs) -> CliResult {
    let key = args.creds.data_key(None)?;
    let text = String::from_utf8_lossy(key.expose());
    if args.bare {
        println!("{text}");
    } else {
        println!("数据密钥 / data key: {text}");
    }
    Ok(())
}

/// `onetrans encrypt`.
pub fn encrypt(args: &EncryptArgs) -> CliResult {
    let key = args.creds.data_key(None)?;
    let mut plain = arg_text(args.plain.as_deref())?;
    if args.compact {
        let value = json::parse(&plain).map_err(|e| {
            CliError::usage(format!(
                "--compact: 明文不是合法的 JSON (the plain text is not JSON): {e}"
            ))
        })?;
        plain = json::compact(&value);
    } else if let Ok(value) = json::parse(&plain) {
        if json::compact(&value) != plain {
            eprintln!("注意 / note: 明文不是紧凑 JSON；线上 encData 加密的是紧凑 JSON，需要时加 --compact (the plain text is not compact JSON; the wire encrypts compact JSON: add --compact)");
        }
    }
    let enc = key.encrypt_hex(plain.as_bytes());
    if args.bare {
        println!("{enc}");
        return Ok(());
    }
    if args.show_key {
        println!(
            "数据密钥 / data key: {}",
            String::from_utf8_lossy(key.expose())
        );
    }
    println!("明文 / plain text ({} 字节 / bytes): {plain}", plain.len());
    println!("encData: {enc}");
    Ok(())
}

/// `onetrans decrypt`.
pub fn decrypt(args: &DecryptArgs) -> CliResult {
    let key = args.creds.data_key(None)?;
    let hex = arg_text(args.hex.as_deref())?;
    let plain = decrypt_text(&key, hex.trim())?;
    if args.bare {
        println!("{plain}");
        return Ok(());
    }
    if args.show_key {
        println!(
            "数据密钥 / data key: {}",
            String::from_utf8_lossy(key.expose())
        );
    }
    println!("明文 / plain text: {plain}");
    Ok(())
}

/// `onetrans sign`.
pub fn sign(args: &SignArgs) -> CliResult {
    let envelope = read_envelope(&args.envelope)?;
    let app_key = args.creds.app_key()?;
    let envelope_id = envelope.get("appId").and_then(Value::as_str);
    let envelope_enc = envelope
        .get("encData")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let mut notes = Vec::new();
    let data: Option<Value> = if let Some(text) = &args.data {
        let value = parse_json(&arg_text(Some(text))?, "--data")?;
        if let (Some(enc), Ok(key)) = (envelope_enc, args.creds.data_key(envelope_id)) {
            let ours = key.encrypt_hex(json::compact(&value).as_bytes());
            notes.push(if ours.eq_ignore_ascii_case(enc) {
                "encData 与 --data 加密结果一致 / the envelope's encData matches --data".to_owned()
            } else {
                format!("encData 与 --data 加密结果不一致 / the envelope's encData differs from --data encrypted: {ours}")
            });
        }
        Some(value)
    } else if let Some(enc) = args.enc_data.as_deref().or(envelope_enc) {
        let key = args.creds.data_key(envelope_id)?;
        let plain = decrypt_text(&key, enc.trim())?;
        notes.push(format!("解密得到的业务数据 / decrypted data: {plain}"));
        Some(parse_json(&plain, "解密结果 / the decrypted data")?)
    } else {
        // A log may show the plain data inside the envelope.
        envelope.get("data").cloned()
    };
    let text = protocol::sign_text(&envelope, data.as_ref(), &app_key);
    let sign_data = crypto::sign(&text);
    let given = envelope.get("signData").and_then(Value::as_str);
    if args.bare {
        println!("{sign_data}");
    } else {
        for note in &notes {
            println!("{note}");
        }
        let shown = if args.show_key {
            text.to_string()
        } else {
            protocol::mask_key(&text, app_key.expose())
        };
        println!("签名原文 / sign text: {shown}");
        println!("signData: {sign_data}");
    }
    match given {
        Some(given) if given.eq_ignore_ascii_case(&sign_data) => {
            if !args.bare {
                println!("与报文中的 signData 一致 / matches the envelope's signData");
            }
            Ok(())
        }
        Some(given) => Err(CliError::failed(format!(
            "与报文中的 signData {given} 不一致：核对 appKey、业务数据和报文成员 (differs from the envelope's signData: check the appKey, the data and the members)"
        ))),
        None => Ok(()),
    }
}

/// The envelope argument: JSON text, a file, or `-`.
fn read_envelope(arg: &str) -> CliResult<Map> {
    let text = if arg.trim_start().starts_with('{') {
        arg.to_owned()
    } else {
        common::read_text(arg)?.0
    };
    match parse_json(&text, "报文 / the envelope")? {
        Value::Object(map) => Ok(map),
        _ => Err(CliError::usage(
            "报文应为 JSON 对象 (the envelope must be a JSON object)",
        )),
    }
}

fn parse_json(text: &str, what: &str) -> CliResult<Value> {
    json::parse(text)
        .map_err(|e| CliError::usage(format!("{what} 不是合法的 JSON (is not valid JSON): {e}")))
}

/// A text argument: the text itself, `@FILE`, or standard input when absent or `-`. One
/// trailing line break of a file or of standard input is dropped.
fn arg_text(arg: Option<&str>) -> CliResult<String> {
    let from = match arg {
        None | Some("-") => "-",
        Some(text) => match text.strip_prefix('@') {
            Some(file) => file,
            None => return Ok(text.to_owned()),
        },
    };
    let (mut text, _) = common::read_text(from)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

fn decrypt_text(key: &DataKey, hex: &str) -> CliResult<String> {
    let plain = key.decrypt_hex(hex).map_err(|e| {
        CliError::failed(format!(
            "解密失败 (could not decrypt): {e}；核对 appId/appKey 与 encData (check appId/appKey and the encData)"
        ))
    })?;
    String::from_utf8(plain).map_err(|e| {
        CliError::failed(format!(
            "解密结果不是 UTF-8 文本 (the plain text is not UTF-8): {}",
            crypto::hex_upper(e.as_bytes())
        ))
    })
}
