//! `onetrans-portal`: the portal simulator for integrators. Listens until Ctrl-C or SIGTERM.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use onetrans_portal::{apps, business, CertKind, Observer, Portal, PortalConfig, Received};

/// 医保支付门户模拟器：按协议校验签名、加解密、防重放，应答 pushMsg 与 verificationDrug /
/// the medical-insurance portal simulator: checks signatures, decrypts, refuses replays, and
/// answers pushMsg and verificationDrug.
///
/// 故障注入 / fault injection: 在接口路径前加 /_fault/<名称>[=<参数>]，如
/// http://127.0.0.1:端口/_fault/slow=3000/api/amp/hos/pushMsg。
/// 可用 / faults: slow=MS, close, reset, truncate, closeidle, status=N, notjson, norespcode,
/// oversize=BYTES, badsign, badnonce, badenc, badpad, otherapp, echo, upstream, spacedcode,
/// otherkey, tamper, downgrade, dersign.
///
/// SM2 应用 / SM2 applications: --app ID=KEY,sm2:机构公钥[,portalPrv:门户私钥][,uid:用户标识]；
/// 未给 portalPrv 时启动时生成门户密钥对，并打印其公钥（即接入方应配置的 serverPubKey）/
/// without portalPrv a key pair is made at start and its public key printed (the serverPubKey
/// to configure).
#[derive(Debug, Parser)]
#[command(name = "onetrans-portal", version, max_term_width = 100)]
struct Args {
    /// 监听端口，0 表示任选空闲端口 / the port to listen on, 0 for any free port
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// 监听地址 / the address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// 使用 HTTPS（启动时生成自签名证书） / serve HTTPS with a self-signed certificate made at start
    #[arg(long)]
    tls: bool,
    /// 证书种类（测试客户端的证书错误提示） / the certificate kind (to test a client's TLS errors)
    #[arg(long, value_enum, default_value_t = Kind::Valid, requires = "tls")]
    cert_kind: Kind,
    /// 把证书以 PEM 写到此文件，供客户端作 caFile / write the certificate as PEM to this file, for clients' caFile
    #[arg(long, value_name = "PATH", requires = "tls")]
    cert_out: Option<PathBuf>,
    /// 登记应用 appId=appKey，或 SM2 应用 appId=appKey,sm2:机构公钥[,portalPrv:门户私钥][,uid:用户标识]，可重复 / register an application appId=appKey, or an SM2 one appId=appKey,sm2:INSTITUTION_PUB[,portalPrv:PORTAL_PRV][,uid:USER_ID] (repeatable)
    #[arg(long = "app", value_name = "ID=KEY[,sm2:PUB...]", value_parser = parse_app)]
    app: Vec<apps::AppEntry>,
    /// 从文件登记应用：每行一个，格式同 --app，# 开头为注释 / register applications from a file: one a line as for --app, # comments
    #[arg(long, value_name = "FILE")]
    apps: Option<PathBuf>,
    /// 门户时钟 = 本机时钟 + 此秒数（时间戳校验、应答 timestamp 与 HTTP Date 头）/ the portal's clock is this machine's plus SECS seconds (timestamp checks, answers and the HTTP Date header)
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    clock_offset: i64,
    /// 打印每个请求：路径、报文、解密后的数据、应答码 / print every request: path, envelope, decrypted data, answer code
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    /// 有效，适用于 localhost 与 127.0.0.1 / valid for localhost and 127.0.0.1
    Valid,
    /// 主机名不符 / for another host name
    WrongHost,
    /// 已过期 / expired
    Expired,
}

fn parse_app(text: &str) -> Result<apps::AppEntry, String> {
    apps::parse_entry(text).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("错误 / error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut registered = args.app.clone();
    if let Some(path) = &args.apps {
        let from_file = apps::load_entries_file(path).map_err(|e| e.to_string())?;
        // The file first, so that --app on the command line wins.
        registered.splice(0..0, from_file);
    }
    let (sm3_apps, sm2_apps) = apps::split_entries(registered);
    let config = PortalConfig {
        bind: SocketAddr::new(args.bind, args.port),
        tls: args.tls.then_some(match args.cert_kind {
            Kind::Valid => CertKind::Valid,
            Kind::WrongHost => CertKind::WrongHost,
            Kind::Expired => CertKind::Expired,
        }),
        apps: sm3_apps,
        sm2_apps: sm2_apps.clone(),
        clock_offset_secs: args.clock_offset,
        cert_pem_out: args.cert_out.clone(),
    };
    let observer: Option<Observer> = args.verbose.then(|| Box::new(show) as Observer);
    let portal = Portal::start_with_observer(config, observer)
        .map_err(|e| format!("门户模拟器无法启动 / the portal simulator could not start: {e}"))?;

    println!(
        "门户模拟器已启动 / portal simulator listening on {}",
        portal.base_url()
    );
    println!("接口 / interfaces:");
    for path in business::KNOWN_PATHS {
        println!("  {}", portal.url(path));
    }
    println!("已登记的 appId / registered appIds:");
    for id in portal.app_ids() {
        println!("  {id}");
    }
    for spec in &sm2_apps {
        print_sm2_app(&portal, spec);
    }
    if let Some(path) = &args.cert_out {
        println!(
            "证书（PEM，可作 caFile） / certificate (PEM, usable as caFile): {}",
            path.display()
        );
    }
    if args.clock_offset != 0 {
        println!(
            "门户时钟偏移 / clock offset: {} s (门户时间 / portal time {})",
            args.clock_offset,
            portal.now()
        );
    }
    println!(
        "故障注入 / fault injection: {}",
        portal.fault_url("<name>[=<arg>]", business::PUSH_MSG)
    );
    println!("按 Ctrl-C 停止 / press Ctrl-C to stop");

    wait_for_stop()?;
    portal.stop();
    println!("门户模拟器已停止 / portal simulator stopped");
    Ok(())
}

/// An SM2 application's portal public key, the `serverPubKey` its integrator configures, and
/// whether the key pair was made now (then it changes at every start).
fn print_sm2_app(portal: &Portal, spec: &apps::Sm2AppSpec) {
    let Some(key) = portal.sm2_server_pub_key(&spec.app_id) else {
        return;
    };
    let made = if spec.portal_prv.is_none() {
        "（本次启动时生成，重启后改变；固定请用 portalPrv / made at this start, changes at every start; use portalPrv to keep it）"
    } else {
        ""
    };
    println!(
        "SM2 应用 / SM2 app {}: 接入方应配置的 serverPubKey / the serverPubKey to configure{made}:",
        spec.app_id
    );
    println!("  hex:    {}", key.to_hex());
    println!("  base64: {}", key.to_base64());
}

/// Blocks until Ctrl-C (or SIGTERM on Unix).
fn wait_for_stop() -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r.map_err(|e| e.to_string()),
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.map_err(|e| e.to_string())
        }
    })
}

/// `--verbose`: one request, as received and answered.
fn show(r: &Received) {
    let code = r.code.map(|c| format!(" code {c}")).unwrap_or_default();
    let fault = r
        .fault
        .as_ref()
        .map(|f| format!(" [故障 / fault {f}]"))
        .unwrap_or_default();
    let resp = if r.resp_code.is_empty() {
        "-"
    } else {
        &r.resp_code
    };
    println!(
        "[{}] {}{fault} -> respCode {resp}{code}",
        onetrans::clock::now(),
        r.path
    );
    match &r.envelope {
        Some(envelope) => println!(
            "  报文 / envelope: {}",
            serde_json::Value::Object(envelope.clone())
        ),
        None => println!("  请求体 / body: {}", preview(&r.body)),
    }
    if let Some(data) = &r.data {
        println!("  数据 / data: {data}");
    }
}

fn preview(body: &str) -> String {
    let mut text: String = body.chars().take(200).collect();
    if body.chars().count() > 200 {
        text.push('…');
    }
    text
}
