//! `onetrans keygen`: an SM2 key pair (`onetrans::sm2::generate`), printed in every format of
//! spec section 11, with which half goes where. Also the shared readers of SM2 key arguments
//! (`--prv`, `--pub`, `--from`: the key text itself, or `@FILE` for a PEM file).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use clap::Args;
use onetrans::sm2::{self, PrivateKey, PublicKey, UserId};
use zeroize::Zeroizing;

use crate::common::{self, CliError, CliResult};

/// The file names `--out` writes.
pub const PRIVATE_PEM: &str = "sm2_client_private.pem";
pub const PUBLIC_PEM: &str = "sm2_client_public.pem";

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// 不生成新密钥，而是把已有私钥（文本或 @文件）转换成各种格式 / instead of a new key, print this private key (text or @FILE) in every format
    #[arg(long, value_name = "KEY")]
    from: Option<String>,
    /// 同时把 PEM 写入这个目录：sm2_client_private.pem（仅本人可读）与 sm2_client_public.pem，不覆盖已有文件 / also write the PEM files into DIR (the private one readable by its owner only); existing files are never overwritten
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// `onetrans keygen`.
pub fn run(args: &KeygenArgs) -> CliResult {
    let (key, fresh) = match &args.from {
        Some(text) => (read_private("--from", text)?, false),
        None => (sm2::generate(), true),
    };
    let public = sm2::public_of(&key);
    if let Some(dir) = &args.out {
        write_pems(dir, &key, &public)?;
    }
    print_pair(&key, &public, fresh);
    if let Some(dir) = &args.out {
        println!();
        println!(
            "已写入 / written: {} , {}",
            dir.join(PRIVATE_PEM).display(),
            dir.join(PUBLIC_PEM).display()
        );
    }
    Ok(())
}

/// The two halves, every format, and the note on where each goes.
fn print_pair(key: &PrivateKey, public: &PublicKey, fresh: bool) {
    let title = if fresh {
        "新生成的 SM2 密钥对 / a new SM2 key pair"
    } else {
        "SM2 密钥对 / the SM2 key pair"
    };
    println!("{title} (sm2p256v1, GB/T 32918; 协议第 11 节 / spec section 11)");
    println!();
    println!("用法 / where each half goes:");
    println!("  * 私钥 → 医院本机 OneTrans.ini 的 clientPrvKey（或入参 data.clientPrvKey）；只留在医院，不要发给任何人，不要发到聊天群或邮件。");
    println!("    private key → clientPrvKey in the hospital's OneTrans.ini (or data.clientPrvKey); it never leaves the hospital.");
    println!("  * 公钥 → 交给门户运营方登记（任选一种格式，通常是十六进制或 Base64）。");
    println!("    public key → give it to the portal operator to register (any format below; usually hex or base64).");
    println!("  * 门户自己的公钥（由运营方提供）→ serverPubKey；它不是这里的公钥。");
    println!("    the portal's own public key (from the operator) → serverPubKey; it is NOT the public key below.");
    println!("  任选一种私钥格式即可，各格式是同一个密钥 / any one format will do: they are the same key.");
    println!();
    println!("== 私钥 / private key → clientPrvKey（保密 / secret）==");
    row("hex (64)", &key.to_hex());
    row("base64 (32 bytes)", &key.to_base64());
    row("Java base64 (BigInteger)", &key.to_java_base64());
    println!("PEM PKCS#8:");
    print!("{}", *key.to_pkcs8_pem());
    println!("PEM SEC 1:");
    print!("{}", *key.to_sec1_pem());
    println!();
    println!("== 公钥 / public key → 交给门户运营方 / for the portal operator ==");
    let sec1 = public.to_bytes();
    row("hex (04‖X‖Y)", &public.to_hex());
    row("base64 (04‖X‖Y)", &public.to_base64());
    row("hex (X‖Y)", &onetrans::crypto::hex_upper(&sec1[1..]));
    row("base64 (X‖Y)", &STANDARD.encode(&sec1[1..]));
    println!("PEM SubjectPublicKeyInfo:");
    print!("{}", public.to_spki_pem());
}

fn row(name: &str, value: &str) {
    println!("  {name:<26}: {value}");
}

/// Writes the PEM files, refusing to overwrite anything; the private one is created readable
/// by its owner only (on Unix; on Windows it inherits the folder's permissions).
fn write_pems(dir: &Path, key: &PrivateKey, public: &PublicKey) -> CliResult {
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::usage(format!(
            "无法创建目录 {} (could not create the folder): {e}",
            dir.display()
        ))
    })?;
    let private_path = dir.join(PRIVATE_PEM);
    let public_path = dir.join(PUBLIC_PEM);
    for path in [&private_path, &public_path] {
        if path.exists() {
            return Err(CliError::usage(format!(
                "{} 已存在，不会覆盖：换一个目录或先移走它 (already exists and is never overwritten: choose another folder or move it away)",
                path.display()
            )));
        }
    }
    write_new(&private_path, key.to_pkcs8_pem().as_bytes(), true)?;
    write_new(&public_path, public.to_spki_pem().as_bytes(), false)
}

fn write_new(path: &Path, bytes: &[u8], secret: bool) -> CliResult {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|e| {
        CliError::usage(format!(
            "无法写入 {} (could not write the file): {e}",
            path.display()
        ))
    })?;
    file.write_all(bytes).map_err(|e| {
        CliError::usage(format!(
            "无法写入 {} (could not write the file): {e}",
            path.display()
        ))
    })
}

/// A key argument's text: the argument itself, or the contents of `@FILE` (a PEM file, say).
/// Kept in `Zeroizing`: it may be a private key.
pub fn key_text(arg: &str) -> CliResult<Zeroizing<String>> {
    match arg.strip_prefix('@') {
        Some(file) => Ok(Zeroizing::new(common::read_text(file)?.0)),
        None => Ok(Zeroizing::new(arg.to_owned())),
    }
}

/// A private-key argument (`name` is the option, for the error), parsed with the library.
pub fn read_private(name: &str, arg: &str) -> CliResult<PrivateKey> {
    parse_private(name, &key_text(arg)?)
}

/// A public-key argument, parsed with the library.
pub fn read_public(name: &str, arg: &str) -> CliResult<PublicKey> {
    PublicKey::parse(name, key_text(arg)?.trim()).map_err(|e| CliError::usage(e.to_string()))
}

/// Parses a private key; the library's error names the key and what is wrong with it (also
/// when it is in fact a public key), never its text.
pub fn parse_private(name: &str, text: &str) -> CliResult<PrivateKey> {
    PrivateKey::parse(name, text.trim()).map_err(|e| CliError::usage(e.to_string()))
}

/// The user id of *Z*: the argument, else `ONETRANS_SM2_USER_ID`, else the default; with where
/// it came from.
pub fn user_id(arg: Option<&str>) -> CliResult<(UserId, String)> {
    let env_name = onetrans::config::env_name("sm2UserId");
    let (text, from) = match arg {
        Some(id) => (id.to_owned(), "--user-id".to_owned()),
        None => match std::env::var(&env_name).ok().filter(|v| !v.is_empty()) {
            Some(id) => (id, format!("环境变量 / environment {env_name}")),
            None => (
                sm2::DEFAULT_USER_ID.to_owned(),
                "默认值 / the default".to_owned(),
            ),
        },
    };
    let id = UserId::new(text).map_err(|e| CliError::usage(e.to_string()))?;
    Ok((id, from))
}
