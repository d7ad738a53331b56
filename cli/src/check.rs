//! `onetrans check`: the self-check an integrator runs when something fails. From the caller's
//! input file: the configuration in effect, then DNS, TCP, TLS, a real call through the
//! library, and the clock difference to the portal, each with a verdict and a hint.

use std::fmt;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use onetrans::charset::Charset;
use onetrans::clock::{self, ChinaTime};
use onetrans::config::{self, Config};
use onetrans::input::{self, CallInput};
use onetrans::journal::Journal;
use onetrans::json::{self, Value};
use onetrans::runtime;
use onetrans::url::HttpUrl;

use crate::common::{self, CliError, CliResult};
use crate::tls;

mod sm2_keys;

/// Clock differences above this many seconds are a warning...
const CLOCK_WARN_SECS: i64 = 60;
/// ...and above this one a failure: the portal rejects replays (`010010`) beyond 300 s.
const CLOCK_FAIL_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Warning,
    Failed,
    Skipped,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Ok => "[OK]",
            Verdict::Warning => "[警告 WARNING]",
            Verdict::Failed => "[失败 FAILED]",
            Verdict::Skipped => "[跳过 SKIPPED]",
        })
    }
}

/// Prints the steps and counts the verdicts.
#[derive(Default)]
struct Report {
    step: usize,
    ok: usize,
    warned: usize,
    failed: usize,
}

impl Report {
    /// One step: the verdict line, detail lines, and a hint when there is something to do.
    fn step(
        &mut self,
        verdict: Verdict,
        title: &str,
        summary: &str,
        details: &[String],
        hint: &str,
    ) {
        self.step += 1;
        match verdict {
            Verdict::Ok => self.ok += 1,
            Verdict::Warning => self.warned += 1,
            Verdict::Failed => self.failed += 1,
            Verdict::Skipped => {}
        }
        println!("{verdict} {}. {title}: {summary}", self.step);
        for line in details {
            println!("      {line}");
        }
        if !hint.is_empty() {
            println!("      提示 / hint: {hint}");
        }
    }

    fn skip(&mut self, title: &str, why: &str) {
        self.step(Verdict::Skipped, title, why, &[], "");
    }
}

/// The parts of `serverAddr` the network steps need.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    https: bool,
    host: String,
    port: u16,
}

/// Splits `serverAddr` or `proxy` with the library's URL parser ([`onetrans::url`]), the one its
/// input check and its HTTP client use.
fn target(url: &str) -> Option<Target> {
    let url = HttpUrl::parse(url)?;
    Some(Target {
        https: url.https(),
        host: url.host().to_owned(),
        port: url.port(),
    })
}

/// `expect_pub`: for SM2 inputs, the institution's public key as the portal registered it.
pub fn run(source: &str, do_call: bool, expect_pub: Option<&str>) -> CliResult {
    let (text, charset) = common::read_text(source)?;
    println!(
        "onetrans 对接自检 / self-check (onetrans {})",
        onetrans::VERSION
    );
    println!();
    let mut report = Report::default();

    // The library's settings, as `MobileTrans` would load them.
    let (config, config_error) = match runtime::config() {
        Ok(c) => (c.clone(), None),
        Err(e) => (Config::default(), Some(e.message.clone())),
    };

    // 1. The input (and the settings in effect).
    let parsed = step_input(&mut report, &text, charset, &config, config_error);
    // The SM2 keys, also when the input was refused (a bad key is one reason it may be).
    sm2_keys::step(&mut report, &text, expect_pub);
    let Some(parsed) = parsed else {
        return summary(&report);
    };
    // 2. DNS, 3. TCP, 4. TLS, 5. the real call, 6. the clock.
    step_network(&mut report, &parsed, &text, &config, do_call);
    summary(&report)
}

/// The input, the configuration in effect and the settings' verdict; `None` (after a failed
/// step) when the input is refused, as `MobileTrans` would refuse it.
fn step_input(
    report: &mut Report,
    text: &str,
    charset: Charset,
    config: &Config,
    config_error: Option<String>,
) -> Option<CallInput> {
    let parsed = match input::parse(text) {
        Ok(parsed) => parsed,
        Err(e) => {
            report.step(
                Verdict::Failed,
                "入参 / input",
                &format!("返回码 / code {}", e.code()),
                std::slice::from_ref(&e.message),
                "按提示修改入参 JSON；MobileTrans 会以 000105 拒绝它，请求不会发出 (fix the input JSON; MobileTrans refuses it with 000105 and sends nothing)",
            );
            return None;
        }
    };
    print_config(&parsed, config);
    let config_loaded = config_error.is_none();
    step_settings(report, config, config_error.as_deref());
    if config_loaded {
        step_journal(report, config);
    }
    let fields = parsed.business.as_object().map_or(0, |m| m.len());
    let note = match charset {
        Charset::Utf8 => String::new(),
        Charset::Gb18030 => "；按 GB18030 解码 / decoded as GB18030".to_owned(),
    };
    report.step(
        Verdict::Ok,
        "入参 / input",
        &format!("合法，{fields} 个业务字段 / valid, {fields} business fields{note}"),
        &[],
        "",
    );
    if let Some(ts) = &parsed.timestamp {
        check_fixed_timestamp(report, ts);
    }
    Some(parsed)
}

/// The network steps, to the portal or through the configured proxy: DNS and TCP to the first
/// hop, TLS to the portal, the real call and the clock. A failed step skips the ones that
/// depend on it.
fn step_network(
    report: &mut Report,
    parsed: &CallInput,
    text: &str,
    config: &Config,
    do_call: bool,
) {
    let Some(portal) = target(&parsed.server_addr) else {
        report.step(
            Verdict::Failed,
            "serverAddr",
            "无法解析地址 / cannot split the URL",
            std::slice::from_ref(&parsed.server_addr),
            "serverAddr 应为 http(s)://主机:端口/接口路径 (serverAddr must be http(s)://host:port/path)",
        );
        return;
    };
    let proxy = config.transport.proxy.as_deref().and_then(target);
    let (first_hop, hop_name) = match &proxy {
        Some(p) => (p, "代理 / proxy"),
        None => (&portal, "门户 / portal"),
    };
    let Some(addrs) = step_dns(report, first_hop, hop_name) else {
        skip_network(report, &portal, do_call, "DNS 失败 / DNS failed");
        return;
    };
    let Some(addr) = step_tcp(
        report,
        first_hop,
        hop_name,
        &addrs,
        config.transport.connect_timeout,
    ) else {
        skip_network(report, &portal, do_call, "TCP 不通 / TCP failed");
        return;
    };

    if !portal.https {
        report.skip("TLS", "http:// 地址，不使用 TLS / plain http, no TLS");
    } else if proxy.is_some() {
        report.skip(
            "TLS",
            "经代理连接，由下一步的真实调用检验 / through the proxy: the real call below tests it",
        );
    } else {
        step_tls(report, &portal, addr, config);
    }

    let mut portal_time = None;
    if do_call {
        portal_time = step_call(report, text);
    } else {
        report.skip("接口应答 / the path answers", "--no-call");
    }
    step_clock(report, &parsed.server_addr, config, portal_time);
}

/// The configuration in effect: the caller's connection keys and the library's settings (from
/// `OneTrans.ini`, `ONETRANS_*` variables, or the defaults). One place, so that new settings
/// show up here.
fn print_config(input: &CallInput, config: &Config) {
    let none = "（无 / none）";
    let row = |name: &str, value: &dyn fmt::Display| println!("  {name:<20}: {value}");
    println!("== 生效配置 / configuration in effect ==");
    println!(" 入参 / from the input:");
    row("serverAddr", &input.server_addr);
    row("appId", &input.app_id);
    row("appKey", &common::mask(input.app_key.expose()));
    row("orgId", &input.org_id.as_deref().unwrap_or(none));
    row("version", &input.version);
    row(
        "timestamp",
        &input.timestamp.as_deref().unwrap_or(
            "（留空：调用时取当前北京时间 / empty: the current China time at each call）",
        ),
    );
    let source = match &config.source {
        Some(path) => path.display().to_string(),
        None => format!(
            "默认值（未找到 {} 或 {}） / the defaults (no {} and no {})",
            config::FILE_NAME,
            config::FILE_ENV,
            config::FILE_NAME,
            config::FILE_ENV
        ),
    };
    println!(" 动态库设置 / the library's settings: {source}");
    row(
        "connectTimeoutMs",
        &config.transport.connect_timeout.as_millis(),
    );
    row("readTimeoutMs", &config.transport.read_timeout.as_millis());
    row("outBufSize", &config.out_buf_size);
    row("maxResponseBytes", &config.transport.max_response_bytes);
    row("charset", &format!("{:?}", config.charset));
    let path_or_none = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map_or_else(|| none.to_owned(), |p| p.display().to_string())
    };
    row("logDir", &path_or_none(&config.log_dir));
    row("logLevel", &format!("{:?}", config.log_level));
    row("logRetentionDays", &config.log_retention_days);
    row(
        "proxy",
        &config
            .transport
            .proxy
            .as_deref()
            .map_or_else(|| none.to_owned(), mask_proxy),
    );
    row("caFile", &path_or_none(&config.transport.ca_file));
    row("journalDir", &path_or_none(&config.journal_folder()));
    row("journalSync", &format!("{:?}", config.journal_sync));
    row("journalKeys", &config.journal_keys.join(","));
    row("insecureSkipVerify", &config.transport.insecure_skip_verify);
    println!();
}

/// A proxy URL with its password masked.
fn mask_proxy(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((auth, host)) => {
            let user = auth.split_once(':').map_or(auth, |(u, _)| u);
            format!("{scheme}://{user}:****@{host}")
        }
        None => url.to_owned(),
    }
}

/// The settings themselves: readable, and nothing dangerous switched on.
fn step_settings(report: &mut Report, config: &Config, error: Option<&str>) {
    let title = "动态库设置 / the library's settings";
    if let Some(message) = error {
        report.step(
            Verdict::Failed,
            title,
            "配置无法使用 / the configuration is not usable",
            &[message.to_owned()],
            "修改配置文件或环境变量中的这一项；在修好之前每次调用都返回 000105 (fix that setting; until then every call returns 000105)",
        );
    } else if config.transport.insecure_skip_verify {
        report.step(
            Verdict::Warning,
            title,
            "insecureSkipVerify=true：证书校验已关闭 / certificate verification is OFF",
            &[],
            "只可用于测试环境；生产环境请配置 caFile 并关闭此项 (for test environments only: configure caFile and switch it off in production)",
        );
    } else {
        report.step(Verdict::Ok, title, "可用 / usable", &[], "");
    }
}

/// The call journal: a folder is set, it can be written, and how many requests in it still
/// have an unknown outcome.
fn step_journal(report: &mut Report, config: &Config) {
    let title = "调用流水 / the call journal";
    let Some(journal) = Journal::from_config(config) else {
        report.step(
            Verdict::Skipped,
            title,
            "未启用：没有设置 logDir 或 journalDir / off: neither logDir nor journalDir is set",
            &[],
            "设置 journalDir（或 logDir），程序在调用中途被终止时才能找到结果未知的订单 (set journalDir or logDir, so that requests cut off mid-call can be found)",
        );
        return;
    };
    match journal.probe(clock::now()) {
        Err(e) => report.step(
            Verdict::Warning,
            title,
            &format!("无法写入 / cannot be written: {}", journal.dir().display()),
            &[e.to_string()],
            "调用仍会成功，但不会留下流水；请检查该目录的权限和磁盘空间，或改用可写的 journalDir (calls still succeed but leave no journal: fix the folder's permissions or free space, or set a writable journalDir)",
        ),
        Ok(file) => {
            let open = onetrans::journal::read_folder(journal.dir())
                .map(|scan| onetrans::journal::pair(scan.records).iter().filter(|r| r.unresolved()).count())
                .unwrap_or(0);
            let (verdict, hint) = if open == 0 {
                (Verdict::Ok, String::new())
            } else {
                (Verdict::Warning, format!("有 {open} 个请求结果未知：运行 onetrans journal 列出它们，向门户查询后再决定是否重试 ({open} requests have an unknown outcome: list them with `onetrans journal` and query the portal before retrying)"))
            };
            report.step(
                verdict,
                title,
                &format!("可写入 / writable: {}", file.display()),
                &[],
                &hint,
            );
        }
    }
}

fn check_fixed_timestamp(report: &mut Report, ts: &str) {
    let title = "时间戳 / timestamp";
    let Some(given) = ChinaTime::parse(ts) else {
        return;
    };
    let off = given.unix() - clock::now().unix();
    let detail = [describe_offset(-off, "入参时间戳", "the input's timestamp")];
    if off.abs() > CLOCK_FAIL_SECS {
        report.step(
            Verdict::Failed,
            title,
            &format!("入参写死了 {ts} / the input fixes {ts}"),
            &detail,
            "门户只接受 5 分钟以内的时间戳，会以 010010 拒绝：把 timestamp 留空，由动态库取当前时间 (the portal accepts timestamps within 5 minutes and answers 010010: leave timestamp empty)",
        );
    } else {
        report.step(
            Verdict::Warning,
            title,
            &format!("入参写死了 {ts} / the input fixes {ts}"),
            &detail,
            "5 分钟后同一入参会被门户以 010010 拒绝：正式使用时把 timestamp 留空 (in 5 minutes the portal will reject it with 010010: leave timestamp empty in production)",
        );
    }
}

fn step_dns(report: &mut Report, target: &Target, hop: &str) -> Option<Vec<SocketAddr>> {
    let title = format!("DNS 解析 / DNS resolution of {} ({hop})", target.host);
    let start = Instant::now();
    let result = (target.host.as_str(), target.port).to_socket_addrs();
    let ms = start.elapsed().as_millis();
    match result {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                report.step(
                    Verdict::Failed,
                    &title,
                    "没有地址 / no address",
                    &[],
                    "检查主机名拼写、DNS 服务器和 hosts 文件 (check the host name, the DNS server and the hosts file)",
                );
                return None;
            }
            let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
            let literal = target
                .host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok();
            let summary = if literal {
                format!(
                    "IP 地址，无需解析 / an IP address, no lookup: {}",
                    list.join(", ")
                )
            } else {
                format!("{} ({ms} ms)", list.join(", "))
            };
            report.step(Verdict::Ok, &title, &summary, &[], "");
            Some(addrs)
        }
        Err(e) => {
            report.step(
                Verdict::Failed,
                &title,
                "域名解析失败 / the host name did not resolve",
                &[e.to_string()],
                "检查主机名拼写、本机 DNS 服务器设置和 hosts 文件；内网门户的域名常需在 hosts 中添加 (check the host name, this PC's DNS server and the hosts file; intranet portals often need a hosts entry)",
            );
            None
        }
    }
}

fn step_tcp(
    report: &mut Report,
    target: &Target,
    hop: &str,
    addrs: &[SocketAddr],
    timeout: Duration,
) -> Option<SocketAddr> {
    let title = format!("TCP 连接 / TCP connect to port {} ({hop})", target.port);
    let mut errors = Vec::new();
    for addr in addrs.iter().take(4) {
        let start = Instant::now();
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(stream) => {
                let ms = start.elapsed().as_millis();
                drop(stream);
                let (verdict, hint) = if ms > 1000 {
                    (Verdict::Warning, "连接很慢，网络拥堵或线路质量差，交易可能超时 (the connection is slow; calls may time out)")
                } else {
                    (Verdict::Ok, "")
                };
                report.step(
                    verdict,
                    &title,
                    &format!("{addr} 用时 / took {ms} ms"),
                    &errors,
                    hint,
                );
                return Some(*addr);
            }
            Err(e) => {
                let ms = start.elapsed().as_millis();
                let what = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => "连接被拒绝 / connection refused",
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                        "连接超时 / connect timed out"
                    }
                    _ => "连接失败 / connect failed",
                };
                errors.push(format!("{addr}: {what} ({e}, {ms} ms)"));
            }
        }
    }
    let refused = errors.iter().all(|e| e.contains("refused"));
    let hint = if refused {
        "端口未开放或门户服务未启动：核对 serverAddr 的端口，确认门户服务在运行 (the port is closed or the portal is not running: check the port in serverAddr)"
    } else {
        "防火墙、网闸或路由不通：请网络管理员放通到该地址和端口的访问 (a firewall, gateway or routing problem: ask the network admin to open the way to this host and port)"
    };
    report.step(
        Verdict::Failed,
        &title,
        &format!("{}:{} 无法连接 / cannot connect", target.host, target.port),
        &errors,
        hint,
    );
    None
}

fn step_tls(report: &mut Report, target: &Target, addr: SocketAddr, config: &Config) {
    let title = "TLS 握手与证书 / TLS handshake and certificate";
    let probe = tls::probe(
        addr,
        &target.host,
        config.transport.connect_timeout,
        config.transport.ca_file.as_deref(),
    );
    let mut details = Vec::new();
    if !probe.trust.is_empty() {
        details.push(format!("信任 / trusting: {}", probe.trust));
    }
    for (i, cert) in probe.chain.iter().enumerate() {
        let which = if i == 0 {
            "服务器证书 / server certificate".to_owned()
        } else {
            format!("中间证书 / intermediate {i}")
        };
        details.push(format!("[{which}]"));
        details.extend(cert.lines().into_iter().map(|l| format!("  {l}")));
    }
    if let Some(failure) = probe.failure {
        details.insert(0, failure.detail.clone());
        if config.transport.insecure_skip_verify && !probe.chain.is_empty() {
            let hint = format!("insecureSkipVerify=true，动态库仍会连接，但这只能用于测试；{} (the library connects anyway because verification is off: test environments only)", failure.hint);
            report.step(Verdict::Warning, title, &failure.kind, &details, &hint);
        } else {
            report.step(
                Verdict::Failed,
                title,
                &failure.kind,
                &details,
                &failure.hint,
            );
        }
        return;
    }
    let Some(est) = probe.established else {
        report.step(
            Verdict::Failed,
            title,
            "握手未完成 / no handshake",
            &details,
            "",
        );
        return;
    };
    let summary = format!(
        "{} {} 用时 / took {} ms",
        est.protocol,
        est.cipher,
        probe.elapsed.as_millis()
    );
    let expiry = probe
        .chain
        .first()
        .map(|c| c.not_after - clock::now().unix());
    match expiry {
        Some(left) if left < 30 * 86_400 => report.step(
            Verdict::Warning,
            title,
            &summary,
            &details,
            &format!(
                "服务器证书 {} 天后过期，请提醒门户运维更换 (the server certificate expires in {} days)",
                left / 86_400,
                left / 86_400
            ),
        ),
        _ => report.step(Verdict::Ok, title, &summary, &details, ""),
    }
}

/// What the portal answered, when it did.
struct PortalAnswer {
    resp_code: String,
    resp_msg: String,
    timestamp: Option<ChinaTime>,
}

fn portal_answer(body: Option<&[u8]>) -> Option<PortalAnswer> {
    let value = json::parse_bytes(body?).ok()?;
    let map = value.as_object()?;
    let resp_code = match map.get("respCode")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(PortalAnswer {
        resp_code,
        resp_msg: map
            .get("respMsg")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        timestamp: map
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(ChinaTime::parse),
    })
}

/// The real call. Returns the portal's time from the answer, with the local time it was taken
/// at (the middle of the call).
fn step_call(report: &mut Report, text: &str) -> Option<(i64, i64, &'static str)> {
    let before = clock::now().unix();
    let outcome = onetrans::call::run_live(text);
    let after = clock::now().unix();
    let local = before + (after - before) / 2;
    let code = outcome.code.as_str();
    let message = common::member(&outcome.output, "message").unwrap_or_default();
    // A gateway answer comes with HTTP 200; a JSON error page with another status is not one.
    let answer = portal_answer(outcome.trace.response_body.as_deref())
        .filter(|_| outcome.trace.http_status == Some(200));
    let business = outcome.trace.business_code.clone();
    let mut details = vec![
        format!("POST {}", outcome.trace.path),
        match outcome.trace.http_status {
            Some(s) => format!("HTTP {s}"),
            None => "没有 HTTP 应答 / no HTTP answer".to_owned(),
        },
    ];
    if !message.is_empty() {
        details.push(format!("message: {message}"));
    }
    let summary = format!("返回码 / return code {code}");
    let title = "接口应答 / the path answers (真实调用 / a real call)";
    let verdict = match (&answer, code) {
        (Some(_), "000000") => Verdict::Ok,
        // The path answered; what it said is judged in the next step.
        (Some(a), _) if a.resp_code != "404404" => Verdict::Ok,
        _ => Verdict::Failed,
    };
    let hint = if verdict == Verdict::Failed {
        common::explain(code, None)
    } else {
        details.push(format!(
            "说明 / meaning: {}",
            common::explain(code, business.as_deref())
        ));
        String::new()
    };
    let path_summary = match &answer {
        Some(a) => format!(
            "{summary}；门户 respCode / the portal's respCode {}",
            a.resp_code
        ),
        None => summary.clone(),
    };
    report.step(verdict, title, &path_summary, &details, &hint);

    // The answer's content: credentials, signature, replay protection.
    if let Some(a) = &answer {
        let title = "凭据与签名 / credentials and signature";
        match code {
            "000000" => report.step(
                Verdict::Ok,
                title,
                &format!(
                    "门户验签通过，应答验签通过；业务 code {} / the portal and this library both verified (business code {})",
                    business.as_deref().unwrap_or("?"),
                    business.as_deref().unwrap_or("?")
                ),
                &[],
                "",
            ),
            "404404" => {}
            _ => {
                let from_portal = a.resp_code != "000000";
                let who = if from_portal {
                    format!("门户拒绝 / the portal rejected: {} {}", a.resp_code, a.resp_msg)
                } else {
                    format!("应答校验失败 / the answer failed verification: {code}")
                };
                report.step(Verdict::Failed, title, &who, &[], &common::explain(code, None));
            }
        }
        if let Some(ts) = a.timestamp {
            return Some((
                ts.unix(),
                local,
                "应答报文 timestamp / the answer's timestamp",
            ));
        }
    }
    None
}

fn step_clock(
    report: &mut Report,
    url: &str,
    config: &Config,
    from_answer: Option<(i64, i64, &'static str)>,
) {
    let title = "时钟差 / clock difference to the portal";
    let measured = from_answer.or_else(|| date_header(url, config));
    let Some((portal, local, source)) = measured else {
        report.step(
            Verdict::Warning,
            title,
            "无法取得门户时间 / could not read the portal's time",
            &[],
            "应答中既没有 timestamp 也没有 Date 头：请确认本机时钟与北京时间相差不超过 1 分钟 (no timestamp and no Date header: make sure this PC's clock is within a minute of China time)",
        );
        return;
    };
    let off = local - portal;
    let details = vec![
        format!("来源 / source: {source}"),
        format!(
            "门户 / portal: {}  本机 / this PC: {}（北京时间 / China time）",
            ChinaTime::from_unix(portal),
            ChinaTime::from_unix(local)
        ),
    ];
    let summary = describe_offset(off, "门户", "the portal");
    let fix = "校准本机时钟（Windows：设置 → 时间和语言 → 立即同步；Linux：启用 chrony/NTP） (fix this PC's clock: enable time synchronisation)";
    if off.abs() > CLOCK_FAIL_SECS {
        let hint = format!("相差超过 5 分钟，门户会以 010010 拒绝每一笔请求；{fix} (over 5 minutes: the portal rejects every request with 010010)");
        report.step(Verdict::Failed, title, &summary, &details, &hint);
    } else if off.abs() > CLOCK_WARN_SECS {
        let hint = format!("超过 5 分钟门户将以 010010 拒绝请求；{fix} (beyond 5 minutes the portal answers 010010)");
        report.step(Verdict::Warning, title, &summary, &details, &hint);
    } else {
        report.step(Verdict::Ok, title, &summary, &details, "");
    }
}

/// "本机比门户快 12 秒 / this PC is 12 s ahead of the portal", `other` naming the reference.
fn describe_offset(off: i64, other_zh: &str, other_en: &str) -> String {
    match off {
        0 => format!("本机与{other_zh}一致 / this PC is in step with {other_en}"),
        o if o > 0 => format!("本机比{other_zh}快 {o} 秒 / this PC is {o} s ahead of {other_en}"),
        o => format!(
            "本机比{other_zh}慢 {} 秒 / this PC is {} s behind {other_en}",
            -o, -o
        ),
    }
}

/// The portal's time from the `Date` header of a plain `HEAD` request to `serverAddr` (nothing
/// is posted): (portal, local at the middle of the request, source).
fn date_header(url: &str, config: &Config) -> Option<(i64, i64, &'static str)> {
    let proxy = match &config.transport.proxy {
        Some(p) => Some(ureq::Proxy::new(p).ok()?),
        None => None,
    };
    // Only the Date header is wanted and nothing is sent but a HEAD: the certificate is not
    // checked here (the TLS step judges it), so a bad certificate still yields a clock reading.
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(true)
        .build();
    let agent_config = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(proxy)
        .timeout_global(Some(
            config.transport.connect_timeout + Duration::from_secs(5),
        ))
        .build();
    let agent = ureq::Agent::new_with_config(agent_config);
    let before = clock::now().unix();
    let response = agent.head(url).call().ok()?;
    let after = clock::now().unix();
    let date = response.headers().get("date")?.to_str().ok()?;
    let portal = parse_http_date(date)?;
    Some((
        portal,
        before + (after - before) / 2,
        "HTTP Date 头 / the HTTP Date header",
    ))
}

/// Unix seconds of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(text: &str) -> Option<i64> {
    let mut parts = text.split_whitespace().skip(1);
    let day: u32 = parts.next()?.parse().ok()?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month_name = parts.next()?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month_name))?
        + 1;
    let year: u32 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" {
        return None;
    }
    // The civil time read as China time is 8 hours later than the same civil time in GMT.
    let as_china = ChinaTime::parse(&format!("{year:04}-{month:02}-{day:02} {time}"))?;
    Some(as_china.unix() + 8 * 3600)
}

fn skip_network(report: &mut Report, target: &Target, do_call: bool, why: &str) {
    if target.https {
        report.skip("TLS", why);
    }
    if do_call {
        report.skip("接口应答 / the path answers", why);
    }
    report.skip("时钟差 / clock difference to the portal", why);
}

fn summary(report: &Report) -> CliResult {
    println!();
    println!(
        "结论 / summary: {} OK, {} 警告 WARNING, {} 失败 FAILED",
        report.ok, report.warned, report.failed
    );
    if report.failed > 0 {
        Err(CliError::failed(format!(
            "{} 项检查失败，见上方提示 ({} check(s) failed; see the hints above)",
            report.failed, report.failed
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        let t = |u: &str| target(u).map(|t| (t.https, t.host, t.port));
        assert_eq!(
            t("http://127.0.0.1:8080/api/x"),
            Some((false, "127.0.0.1".into(), 8080))
        );
        assert_eq!(
            t("https://portal.example/api"),
            Some((true, "portal.example".into(), 443))
        );
        assert_eq!(t("http://h"), Some((false, "h".into(), 80)));
        assert_eq!(t("https://[::1]:8443/p"), Some((true, "::1".into(), 8443)));
        assert_eq!(t("http://u:p@h:81/p"), Some((false, "h".into(), 81)));
        assert_eq!(t("http://h:x/p"), None);
        assert_eq!(t("ftp://h/p"), None);
    }

    #[test]
    fn reads_http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37"), None);
        assert_eq!(parse_http_date("garbage"), None);
    }

    #[test]
    fn masks_proxy_passwords() {
        assert_eq!(
            mask_proxy("http://u:secret@127.0.0.1:3128"),
            "http://u:****@127.0.0.1:3128"
        );
        assert_eq!(mask_proxy("http://127.0.0.1:3128"), "http://127.0.0.1:3128");
    }

    #[test]
    fn words_offsets() {
        let d = |o| describe_offset(o, "门户", "the portal");
        assert_eq!(d(0), "本机与门户一致 / this PC is in step with the portal");
        assert_eq!(
            d(12),
            "本机比门户快 12 秒 / this PC is 12 s ahead of the portal"
        );
        assert_eq!(
            d(-3),
            "本机比门户慢 3 秒 / this PC is 3 s behind the portal"
        );
    }
}
