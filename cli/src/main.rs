//! `onetrans`: the integrator's command-line toolbox for the OneTrans (`MobileTrans`) library.
//!
//! Every command reuses the library's own code (`onetrans::call`, `onetrans::protocol`,
//! `onetrans::crypto`, `onetrans::input`); nothing here re-implements the protocol.

mod call_cmd;
mod check;
mod common;
mod demo;
mod journal;
mod keygen;
mod tls;
mod tools;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// 医保支付门户动态库 OneTrans (MobileTrans) 的对接工具箱 / the integrator's toolbox for the OneTrans (MobileTrans) library.
///
/// 退出码 / exit codes: 0 成功 / success; 1 调用或检查失败 / the call or a check failed;
/// 2 用法或文件错误 / usage or file error.
#[derive(Debug, Parser)]
#[command(name = "onetrans", version, max_term_width = 100)]
struct Cli {
    /// 使用这个 OneTrans.ini（等同设置 ONETRANS_CONFIG），与医院系统的动态库用同一份配置 / use this OneTrans.ini (same as setting ONETRANS_CONFIG)
    #[arg(long, global = true, value_name = "OneTrans.ini")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 像 MobileTrans 一样发起一次真实调用 / make one real call, exactly as MobileTrans does.
    ///
    /// 输入与 MobileTrans 的 pInData 相同（UTF-8，或 GB18030）。标准输出：出参 JSON，最后一行是返回码。
    /// 只有返回码为 000000 时退出码为 0。
    ///
    /// The input is MobileTrans' pInData (UTF-8, or GB18030). Standard output: the output JSON,
    /// then a final line with the return code. Exit code 0 only for return code 000000.
    Call(CallArgs),
    /// 对接自检：配置、DNS、TCP、TLS 证书、接口应答、时钟差 / self-check: configuration, DNS, TCP, TLS, the path, the clock.
    ///
    /// 注意：会把输入作为一次真实请求发送给门户（--no-call 不发送）。
    ///
    /// Note: sends the input to the portal as one real request (--no-call to skip that step).
    Check(CheckArgs),
    /// 计算签名原文与 signData（与门户抓包对比）；SM2 时签名或验签 / compute the sign text and signData of an envelope; for SM2, sign or verify.
    ///
    /// SM3（默认）：与报文中的 signData 逐字比对。SM2（报文 signType 为 SM2，或给出 --prv/--verify/--pub）：
    /// 用私钥签名，--verify 验证抓包中的签名（无效时退出码为 1）。
    ///
    /// SM3 (the default): compared with the envelope's signData. SM2 (the envelope's signType is
    /// SM2, or --prv/--verify/--pub is given): signs with the private key; --verify checks a
    /// captured signature (exit code 1 when invalid).
    Sign(tools::SignArgs),
    /// 生成 SM2 密钥对并以协议第 11 节的全部格式输出，说明哪一半填到哪里 / make an SM2 key pair and print it in every format of spec section 11.
    ///
    /// 私钥填入医院 OneTrans.ini 的 clientPrvKey；公钥交给门户运营方登记；门户的公钥填 serverPubKey。
    ///
    /// The private key goes into clientPrvKey of the hospital's OneTrans.ini; the public key to
    /// the portal operator; the portal's own public key into serverPubKey.
    Keygen(keygen::KeygenArgs),
    /// 用数据密钥加密明文，输出 encData / encrypt a plain text into encData.
    Encrypt(tools::EncryptArgs),
    /// 解密 encData，输出明文 / decrypt an encData into its plain text.
    Decrypt(tools::DecryptArgs),
    /// 由 appId/appKey 推导 SM4 数据密钥 / derive the SM4 data key from appId/appKey.
    Key(tools::KeyArgs),
    /// 一键演示：启动门户模拟器，通过动态库完成成功与失败的调用 / the one-command demo: portal simulator + the shared library.
    ///
    /// 像医院系统一样加载动态库（dlopen + MobileTrans），依次演示成功、业务失败、appKey 错误、
    /// 重放拦截和门户不可达。全部得到预期返回码时退出码为 0。
    ///
    /// Loads the shared library as a hospital system does (dlopen + MobileTrans) and shows a
    /// success, a business failure, a bad appKey, a replay and an unreachable portal. Exit code 0
    /// when every step gave the expected return code.
    Demo(DemoArgs),
    /// 调用流水：列出结果未知、需要先向门户查询的请求 / the call journal: list the requests whose outcome is unknown.
    ///
    /// 默认列出流水目录中所有结果未知的请求（新的在前）：有“意图”没有“结果”的（程序在调用中途被终止），
    /// 以及结果为 000001、000101、000102、444444 的。对每一个：先用订单号（如 medOrgOrd）向门户查询交易状态，
    /// 再决定是否重试。不完整的最后一行（写入时进程被终止）会在标准错误中报告并跳过。
    ///
    /// By default lists every request of the journal folder whose outcome is unknown, newest
    /// first: an intent without an outcome (the program ended mid-call) and outcomes 000001,
    /// 000101, 000102 and 444444. For each: query the portal for the order (e.g. its medOrgOrd)
    /// before retrying. A torn last line (a process killed while writing) is reported on standard
    /// error and skipped.
    Journal(journal::JournalArgs),
}

#[derive(Debug, Args)]
struct CallArgs {
    /// 入参 JSON 文件，- 表示标准输入 / the input JSON file, - for standard input
    input: String,
    /// 输出紧凑 JSON（默认缩进） / print the output JSON compact (default: indented)
    #[arg(long)]
    compact: bool,
    /// 同时显示线上报文：签名原文（appKey 已遮盖）、请求报文、HTTP 状态、应答原文 / also show the wire: sign text (appKey masked), request envelope, HTTP status, raw answer
    #[arg(long)]
    wire: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// 入参 JSON 文件（与 MobileTrans 相同），- 表示标准输入 / the input JSON file (as for MobileTrans), - for standard input
    input: String,
    /// 不发送真实请求（跳过"接口应答"一步） / do not send the real request (skips the "path answers" step)
    #[arg(long)]
    no_call: bool,
    /// SM2：门户登记的机构公钥（文本或 @PEM文件），检查 clientPrvKey 的公钥是否与之一致 / SM2: the institution's public key as the portal registered it (text or @FILE): checks that clientPrvKey's public half is this one
    #[arg(long, value_name = "KEY")]
    expect_pub: Option<String>,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// 编译好的动态库路径 / path to the built library, e.g. target/release/libonetrans.so
    #[arg(long, value_name = "PATH_TO_libonetrans.so")]
    lib: std::path::PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(path) = &cli.config {
        if !path.is_file() {
            eprintln!(
                "错误 / error: 配置文件 {} 不存在 (the configuration file does not exist)",
                path.display()
            );
            return ExitCode::from(2);
        }
        // Read by the library at its first call; set before any thread starts.
        std::env::set_var(onetrans::config::FILE_ENV, path);
    }
    let result = match cli.command {
        Command::Call(a) => call_cmd::run(&a.input, a.compact, a.wire),
        Command::Check(a) => check::run(&a.input, !a.no_call, a.expect_pub.as_deref()),
        Command::Sign(a) => tools::sign(&a),
        Command::Encrypt(a) => tools::encrypt(&a),
        Command::Decrypt(a) => tools::decrypt(&a),
        Command::Key(a) => tools::key(&a),
        Command::Keygen(a) => keygen::run(&a),
        Command::Demo(a) => demo::run(&a.lib),
        Command::Journal(a) => journal::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("错误 / error: {}", e.message);
            }
            ExitCode::from(e.exit)
        }
    }
}
