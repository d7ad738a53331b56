//! `onetrans sign | encrypt | decrypt | key`: the spec's primitives, for comparing against a
//! capture from the real portal. All of them call the library (`onetrans::protocol`,
//! `onetrans::crypto`); none re-implements a step.

use clap::Args;
use onetrans::crypto::{self, AppKey, DataKey};
use onetrans::json::{self, Map, Value};
use onetrans::protocol;
use zeroize::Zeroizing;

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
        let id = match &self.app_id {
            Some(id) => Some(id.clone()),
            None => self.input_member("appId")?.map(|s| s.to_string()),
        };
        let key = match &self.app_key {
            Some(key) => Some(key.clone()),
            None => self.input_member("appKey")?.map(|s| s.to_string()),
        };
        Ok((id, key))
    }

    /// A non-empty string member of the `--input` file's `data` (`None` without `--input`).
    /// Zeroized when dropped: it may be a key.
    fn input_member(&self, name: &str) -> CliResult<Option<Zeroizing<String>>> {
        let Some(file) = &self.input else {
            return Ok(None);
        };
        let (text, _) = common::read_text(file)?;
        let text = Zeroizing::new(text);
        let value = json::parse(&text).map_err(|e| {
            CliError::usage(format!(
                "--input {file} 不是合法的 JSON (is not valid JSON): {e}"
            ))
        })?;
        Ok(value
            .get("data")
            .and_then(|d| d.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| Zeroizing::new(s.to_owned())))
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
    #[command(flatten)]
    sm2: Sm2SignArgs,
}

/// The SM2 options of `onetrans sign` (spec section 11). Any of them, or an envelope whose
/// `signType` is `SM2`, selects SM2.
#[derive(Debug, Args)]
pub struct Sm2SignArgs {
    /// SM2：机构私钥（文本或 @PEM文件），缺省取 --input 的 data.clientPrvKey / SM2: the institution's private key (text or @FILE); default: data.clientPrvKey of --input
    #[arg(long = "prv", value_name = "KEY")]
    prv: Option<String>,
    /// SM2：验证这个 signData（省略值时验证报文中的 signData），无效时退出码为 1 / SM2: verify this signData (without a value: the envelope's), exit code 1 when invalid
    #[arg(long, value_name = "SIG", num_args = 0..=1, default_missing_value = "")]
    verify: Option<String>,
    /// SM2：验签公钥（文本或 @PEM文件）；缺省时应答用 data.serverPubKey，请求用私钥对应的公钥 / SM2: the public key to verify with; default: data.serverPubKey for an answer, the private key's public half for a request
    #[arg(long = "pub", value_name = "KEY")]
    public: Option<String>,
    /// SM2：用户标识，缺省为环境变量 ONETRANS_SM2_USER_ID 或 1234567812345678 / SM2: the user id (default: ONETRANS_SM2_USER_ID, else 1234567812345678)
    #[arg(long, value_name = "ID")]
    user_id: Option<String>,
}

impl Sm2SignArgs {
    fn any(&self) -> bool {
        self.prv.is_some()
            || self.verify.is_some()
            || self.public.is_some()
            || self.user_id.is_some()
    }
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

/// `onetrans sign`: SM3 (the default) or SM2 (spec section 11), by the envelope's `signType`
/// or the SM2 options.
pub fn sign(args: &SignArgs) -> CliResult {
    let envelope = read_envelope(&args.envelope)?;
    let app_key = args.creds.app_key()?;
    let (text, notes) = envelope_sign_text(args, &envelope, &app_key)?;
    let envelope_sm2 = envelope
        .get("signType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("SM2"));
    if envelope_sm2 || args.sm2.any() {
        return sm2_sign::run(args, &envelope, &text, &notes, &app_key);
    }
    let sign_data = crypto::sign(&text);
    let given = envelope.get("signData").and_then(Value::as_str);
    if args.bare {
        println!("{sign_data}");
    } else {
        print_notes_and_text(args, &notes, &text, &app_key);
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

/// The sign text of the envelope (spec section 4), with notes on where its data came from.
fn envelope_sign_text(
    args: &SignArgs,
    envelope: &Map,
    app_key: &AppKey,
) -> CliResult<(Zeroizing<String>, Vec<String>)> {
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
    Ok((protocol::sign_text(envelope, data.as_ref(), app_key), notes))
}

/// The notes and the sign text (the appKey masked unless `--show-key`).
fn print_notes_and_text(args: &SignArgs, notes: &[String], text: &str, app_key: &AppKey) {
    for note in notes {
        println!("{note}");
    }
    let shown = if args.show_key {
        text.to_owned()
    } else {
        protocol::mask_key(text, app_key.expose())
    };
    println!("签名原文 / sign text: {shown}");
}

/// `onetrans sign` for SM2: a fresh signature with the private key, and the verification of a
/// captured `signData` with a public key.
mod sm2_sign {
    use onetrans::crypto::AppKey;
    use onetrans::json::{Map, Value};
    use onetrans::sm2::{self, PrivateKey, PublicKey};

    use super::{print_notes_and_text, SignArgs};
    use crate::common::{CliError, CliResult};
    use crate::keygen;

    pub(super) fn run(
        args: &SignArgs,
        envelope: &Map,
        text: &str,
        notes: &[String],
        app_key: &AppKey,
    ) -> CliResult {
        let (user_id, user_id_from) = keygen::user_id(args.sm2.user_id.as_deref())?;
        let private = private_key(args)?;
        // With --verify, a new signature only when --prv asks for one: the input's
        // clientPrvKey is then only the source of the request's public key.
        let wants_signature = args.sm2.verify.is_none() || args.sm2.prv.is_some();
        let signature = private
            .as_ref()
            .filter(|_| wants_signature)
            .map(|key| sm2::sign_base64(key, &user_id, text.as_bytes()));
        if args.bare && args.sm2.verify.is_none() {
            return match signature {
                Some(sig) => {
                    println!("{sig}");
                    Ok(())
                }
                None => Err(no_private_key()),
            };
        }
        if !args.bare {
            print_notes_and_text(args, notes, text, app_key);
            println!(
                "signType: SM2；用户标识 / user id: {} ({user_id_from})",
                user_id.as_str()
            );
            match &signature {
                Some(sig) => {
                    println!("signData (SM2, r‖s base64): {sig}");
                    println!("注意 / note: SM2 签名每次都不同（随机数 k），无法与抓包逐字比对，请用 --verify 验签 (SM2 signatures differ every time: compare by verifying, --verify)");
                }
                None if args.sm2.verify.is_none() => return Err(no_private_key()),
                None => {}
            }
        }
        match &args.sm2.verify {
            Some(given) => verify(args, envelope, text, given, private.as_ref(), &user_id),
            None => Ok(()),
        }
    }

    /// `--prv`, else `clientPrvKey` of the `--input` file's `data`.
    fn private_key(args: &SignArgs) -> CliResult<Option<PrivateKey>> {
        if let Some(arg) = &args.sm2.prv {
            return keygen::read_private("--prv", arg).map(Some);
        }
        match args.creds.input_member("clientPrvKey")? {
            Some(text) => keygen::parse_private("clientPrvKey", &text).map(Some),
            None => Ok(None),
        }
    }

    fn no_private_key() -> CliError {
        CliError::usage("SM2 签名需要私钥：用 --prv 或 --input（data.clientPrvKey）提供；只验签时用 --verify --pub (an SM2 signature needs the private key: give --prv or --input; to verify only, --verify --pub)")
    }

    /// Verifies `given` (or, when empty, the envelope's `signData`) and says valid or invalid;
    /// invalid is a failure (exit code 1).
    fn verify(
        args: &SignArgs,
        envelope: &Map,
        text: &str,
        given: &str,
        private: Option<&PrivateKey>,
        user_id: &sm2::UserId,
    ) -> CliResult {
        let signature = if given.is_empty() {
            envelope
                .get("signData")
                .and_then(Value::as_str)
                .ok_or_else(|| CliError::usage("报文中没有 signData：用 --verify SIG 给出要验证的签名 (the envelope has no signData: give --verify SIG)"))?
                .to_owned()
        } else {
            given.trim().to_owned()
        };
        let (public, from) = public_key(args, envelope, private)?;
        if !args.bare {
            println!("验签公钥 / verifying with: {} ({from})", public.to_hex());
        }
        if sm2::verify(&public, user_id, text.as_bytes(), &signature) {
            println!("验签结果 / signature: 有效 / valid");
            return Ok(());
        }
        println!("验签结果 / signature: 无效 / invalid");
        let why = if sm2::decode_signature(&signature).is_none() {
            "签名既不是 64 字节 r‖s 的 Base64，也不是 DER 的 Base64 (the signature is neither base64 of the 64-byte r‖s nor of DER)"
        } else {
            "核对公钥（应答用门户公钥 serverPubKey，请求用机构公钥）、用户标识、appKey 和业务数据 (check the public key — the portal's for an answer, the institution's for a request — the user id, the appKey and the data)"
        };
        Err(CliError::failed(format!(
            "SM2 签名无效 (invalid SM2 signature): {why}"
        )))
    }

    /// `--pub`; else, for an answer (it has `respCode`), `serverPubKey` of the `--input` file;
    /// for a request, the public half of the private key.
    fn public_key(
        args: &SignArgs,
        envelope: &Map,
        private: Option<&PrivateKey>,
    ) -> CliResult<(PublicKey, &'static str)> {
        if let Some(arg) = &args.sm2.public {
            return Ok((keygen::read_public("--pub", arg)?, "--pub"));
        }
        let answer = envelope.contains_key("respCode");
        if answer {
            if let Some(text) = args.creds.input_member("serverPubKey")? {
                let key = PublicKey::parse("serverPubKey", text.trim())
                    .map_err(|e| CliError::usage(e.to_string()))?;
                return Ok((key, "data.serverPubKey"));
            }
        } else if let Some(key) = private {
            return Ok((
                sm2::public_of(key),
                "私钥对应的公钥 / the private key's public half",
            ));
        }
        Err(CliError::usage(if answer {
            "验证应答签名需要门户公钥：用 --pub 或 --input（data.serverPubKey）提供 (verifying an answer needs the portal's public key: give --pub or --input)"
        } else {
            "验证请求签名需要机构公钥：用 --pub，或用 --prv 给出私钥 (verifying a request needs the institution's public key: give --pub, or --prv)"
        }))
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
