//! `onetrans demo`: the one-command demo's engine. Starts the portal simulator in this process,
//! loads the built shared library exactly as a hospital system loads `OneTrans.dll` (dlopen and
//! the `MobileTrans` symbol, a 64 KiB output buffer) and walks through a success, a business
//! failure, an SM2-signed call (spec section 11) and the failures an integrator meets.

use std::ffi::{c_char, CStr, CString};
use std::net::TcpListener;
use std::path::Path;

use onetrans::clock::{self, ChinaTime};
use onetrans::json::{self, Map, Value};
use onetrans::sm2::{self, PrivateKey, PublicKey};
use onetrans_portal::apps::Sm2AppSpec;
use onetrans_portal::{Portal, PortalConfig, Received};

use crate::common::{self, business_code, CliError, CliResult};

/// `MobileTrans(pInData, pOutData)`: the vendor's `char* (__stdcall*)(char*, char*)`.
type MobileTrans = unsafe extern "system" fn(*const c_char, *mut c_char) -> *const c_char;

/// The output buffer a hospital system typically passes.
const OUT_BUFFER: usize = 64 * 1024;

/// The vendor document's pushMsg example (the first `request` vector); `serverAddr` and
/// `timestamp` are replaced at run time.
const PUSH_MSG_EXAMPLE: &str = r#"{"data": {"serverAddr": "http://127.0.0.1:8080/api/amp/hos/pushMsg", "appId": "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN", "appKey": "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM", "encryptType": "SM4", "signType": "SM3", "timestamp": "2022-05-10 16:56:24", "version": "1.0.0", "hisCustType": "", "hisCustId": "532494", "appType": "01", "medOrgOrd": "ZL050509083457355366", "subOrgCode": "5", "refundReason": "", "payOrdId": "", "orderStatus": "MERCHANT_WAIT_PAY", "orgCode": "H46040100001", "patientName": "周大鹏", "idType": "02", "idNo": "460029196507081627", "takeMedicineLoc": "", "pushType": "HOSPITAL_PAYMENT", "scheduledTime": "", "deptName": "总院牙体牙髓科", "deptCode": "BM00100", "deptLoc": "", "drName": "周小鹏", "drLvName": "", "drNo": "D460106007245", "waitingNum": "", "checkItem": "", "createTime": "2022-05-09 08:32:51", "updateTime": "", "extData": null}, "orgId": "H46010000000"}"#;

const APP_ID: &str = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN";
const APP_KEY: &str = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM";
const PUSH_MSG: &str = "/api/amp/hos/pushMsg";
/// The vendor document's DLL example credentials, registered in the demo as an SM2 application.
const SM2_APP_ID: &str = "1FM99V9JP0009A23A8C00000D445BA03";
const SM2_APP_KEY: &str = "1FM99V9JM00N9A23A8C000003F4B7C32";
const VERIFICATION_DRUG: &str = "/api/mobile/verificationDrug";

/// What a step must give.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// `000000` and business `code` 0.
    Success,
    /// `000000` and a non-zero business `code`.
    BusinessFailure,
    /// This return code.
    Code(&'static str),
}

impl Expect {
    fn describe(self) -> String {
        match self {
            Expect::Success => "000000，业务 code 0 / business code 0".into(),
            Expect::BusinessFailure => "000000，业务 code 非 0 / a non-zero business code".into(),
            Expect::Code(c) => c.into(),
        }
    }

    fn met(self, code: &str, business: Option<&str>) -> bool {
        match self {
            Expect::Success => code == "000000" && business == Some("0"),
            Expect::BusinessFailure => code == "000000" && business.is_some_and(|b| b != "0"),
            Expect::Code(c) => code == c,
        }
    }
}

/// The library, loaded the way a hospital system loads it.
struct Loaded {
    // Kept alive as long as the function pointer is used.
    _lib: libloading::Library,
    mobile_trans: MobileTrans,
}

fn load(path: &Path) -> CliResult<Loaded> {
    // SAFETY: loading the library runs its initialisers; it is the library this tool ships with.
    let lib = unsafe { libloading::Library::new(path) }.map_err(|e| {
        CliError::usage(format!(
            "无法加载动态库 {} (could not load the library): {e}\n  提示 / hint: 先编译 / build it first: cargo build --release -p onetrans",
            path.display()
        ))
    })?;
    // SAFETY: the symbol has the vendor's signature, `char* __stdcall MobileTrans(char*, char*)`.
    let mobile_trans = unsafe { lib.get::<MobileTrans>(c"MobileTrans") }
        .map(|s| *s)
        .map_err(|e| {
            CliError::usage(format!(
                "动态库 {} 没有导出 MobileTrans (the library does not export MobileTrans): {e}",
                path.display()
            ))
        })?;
    Ok(Loaded {
        _lib: lib,
        mobile_trans,
    })
}

impl Loaded {
    /// One call, as the vendor's C example makes it: input as a C string, a zeroed 64 KiB output
    /// buffer, the return code read from the returned pointer.
    fn call(&self, input: &str) -> (String, String) {
        let c_in = CString::new(input).unwrap_or_default();
        let mut out = vec![0u8; OUT_BUFFER];
        // SAFETY: `c_in` is NUL-terminated; `out` has OUT_BUFFER bytes, the capacity the library
        // is configured for by default; the returned pointer is a NUL-terminated string the
        // library keeps valid until the next call on this thread.
        let (code, output) = unsafe {
            let ret = (self.mobile_trans)(c_in.as_ptr(), out.as_mut_ptr().cast());
            let code = if ret.is_null() {
                "(NULL)".to_owned()
            } else {
                CStr::from_ptr(ret).to_string_lossy().into_owned()
            };
            (code, out)
        };
        let end = output.iter().position(|&b| b == 0).unwrap_or(output.len());
        let text = common::decode_text(&output[..end])
            .map(|(t, _)| t)
            .unwrap_or_else(|_| String::from_utf8_lossy(&output[..end]).into_owned());
        (code, text)
    }
}

/// The pushMsg example pointed at `url`, `timestamp` as given ("" lets the library stamp it).
fn push_msg_input(url: &str, timestamp: &str) -> String {
    let mut value = json::parse(PUSH_MSG_EXAMPLE).expect("the embedded example is JSON");
    if let Value::Object(root) = &mut value {
        if let Some(Value::Object(data)) = root.get_mut("data") {
            data.insert("serverAddr".into(), url.into());
            data.insert("timestamp".into(), timestamp.into());
        }
    }
    json::compact(&value)
}

/// A verificationDrug (YM_PORTAL_008) write-off input.
fn write_off_input(url: &str, app_key: &str, timestamp: &str) -> String {
    let mut data = Map::new();
    for (key, value) in [
        ("serverAddr", url),
        ("appId", APP_ID),
        ("appKey", app_key),
        ("encryptType", "SM4"),
        ("signType", "SM3"),
        ("timestamp", timestamp),
        ("version", "1.0.0"),
        ("mobileDrugTipsId", "202212229114"),
        ("drugTipsIdType", "qr"),
    ] {
        data.insert(key.into(), value.into());
    }
    let mut root = Map::new();
    root.insert("data".into(), data.into());
    root.insert("orgId".into(), "H46010000000".into());
    json::compact(&root.into())
}

/// The pushMsg example as the SM2 application: `signType` `SM2`, the institution's private key
/// and the portal's public key in `data` (spec section 11).
fn sm2_push_msg_input(url: &str, client: &PrivateKey, server: &PublicKey) -> String {
    let mut value = json::parse(&push_msg_input(url, "")).expect("the example is JSON");
    if let Value::Object(root) = &mut value {
        if let Some(Value::Object(data)) = root.get_mut("data") {
            data.insert("appId".into(), SM2_APP_ID.into());
            data.insert("appKey".into(), SM2_APP_KEY.into());
            data.insert("signType".into(), "SM2".into());
            data.insert("clientPrvKey".into(), client.to_hex().as_str().into());
            data.insert("serverPubKey".into(), server.to_base64().into());
        }
    }
    json::compact(&value)
}

fn rule(title: &str) {
    let line = "=".repeat(78);
    println!();
    println!("{line}");
    println!(" {title}");
    println!("{line}");
}

fn print_received(received: &[Received]) {
    println!("-- 线上请求（门户收到的） / the request on the wire (as the portal received it) --");
    if received.is_empty() {
        println!("（门户没有收到任何请求 / nothing reached the portal）");
        return;
    }
    for r in received {
        println!(
            "POST {}  → 门户 respCode / the portal's respCode: {}",
            r.path, r.resp_code
        );
        println!("报文 / envelope: {}", r.body);
        match &r.data {
            Some(data) => println!(
                "门户解密后的 data / the data as the portal decrypted it:\n{}",
                common::pretty_text(&data.to_string())
            ),
            None => println!("（门户没有解密出 data / the portal did not decrypt any data）"),
        }
    }
}

struct Demo<'a> {
    lib: &'a Loaded,
    portal: &'a Portal,
    steps: usize,
    passed: usize,
    total: usize,
}

impl Demo<'_> {
    /// Runs one call through the library and prints it. Returns the return code.
    fn step(&mut self, title: &str, input: &str, expect: Expect) -> String {
        self.steps += 1;
        rule(&format!("{}/{} {title}", self.steps, self.total));
        println!("-- 入参（appKey 已遮盖） / input (appKey masked) --");
        println!("{}", common::masked_input(input));
        self.portal.clear_received();
        let (code, output) = self.lib.call(input);
        print_received(&self.portal.received());
        println!("-- 出参 / output --");
        println!("{}", common::pretty_text(&output));
        let business = business_code(&output).filter(|_| code == "000000");
        self.verdict(&code, business.as_deref(), expect);
        code
    }

    fn verdict(&mut self, code: &str, business: Option<&str>, expect: Expect) {
        let ok = expect.met(code, business);
        if ok {
            self.passed += 1;
        }
        let mark = if ok {
            "符合预期 / as expected".to_owned()
        } else {
            format!(
                "不符合预期！预期 / NOT AS EXPECTED! expected {}",
                expect.describe()
            )
        };
        println!("-- 返回码 / return code: {code}  [{mark}]");
        println!("说明 / meaning: {}", common::explain(code, business));
    }

    /// Posts a captured request body again, byte for byte, as an attacker would.
    fn replay(&mut self, title: &str, captured: Option<Received>) {
        self.steps += 1;
        rule(&format!("{}/{} {title}", self.steps, self.total));
        let Some(captured) = captured else {
            println!("（没有可重放的请求 / no captured request to replay）");
            self.verdict("(none)", None, Expect::Code("010010"));
            return;
        };
        println!("-- 重放第 1 步门户收到的报文，原样再发一次（不经过动态库） / posting step 1's captured envelope again, byte for byte (not through the library) --");
        self.portal.clear_received();
        let url = self.portal.url(&captured.path);
        let answer = raw_post(&url, &captured.body);
        print_received(&self.portal.received());
        println!("-- 门户应答 / the portal's answer --");
        let code = match &answer {
            Ok(body) => {
                println!("{}", common::pretty_text(body));
                common::member(body, "respCode").unwrap_or_else(|| "(none)".into())
            }
            Err(e) => {
                println!("{e}");
                "(none)".into()
            }
        };
        self.verdict(&code, None, Expect::Code("010010"));
        println!("      签名有效也没用：门户记得 nonceStr，同一请求只受理一次 (a valid signature does not help: the portal remembers the nonceStr and accepts a request once)");
    }
}

fn raw_post(url: &str, body: &str) -> Result<String, String> {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build();
    let agent = ureq::Agent::new_with_config(config);
    agent
        .post(url)
        .header("Content-Type", "application/json;charset=UTF-8")
        .send(body)
        .and_then(|mut r| r.body_mut().read_to_string())
        .map_err(|e| e.to_string())
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> CliResult<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| CliError::usage(format!("无法分配端口 (no free port): {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| CliError::usage(e.to_string()))?
        .port();
    drop(listener);
    Ok(port)
}

pub fn run(lib_path: &Path) -> CliResult {
    let lib = load(lib_path)?;
    // The institution's SM2 key pair, as the portal would issue it at onboarding; the portal's
    // own key pair is made when it starts.
    let institution = sm2::generate();
    let config = PortalConfig {
        sm2_apps: vec![Sm2AppSpec {
            app_id: SM2_APP_ID.into(),
            app_key: SM2_APP_KEY.into(),
            institution_pub: sm2::public_of(&institution).to_hex(),
            portal_prv: None,
            user_id: None,
        }],
        ..PortalConfig::default()
    };
    let portal = Portal::start(config).map_err(|e| {
        CliError::usage(format!(
            "无法启动门户模拟器 (could not start the portal simulator): {e}"
        ))
    })?;
    println!("onetrans 演示 / demo");
    println!("动态库 / library : {}", lib_path.display());
    println!("门户模拟器 / portal simulator : {}", portal.base_url());
    println!("调用方式 / calling convention : dlopen + MobileTrans(pInData, pOutData)，出参缓冲区 / output buffer {OUT_BUFFER} 字节 / bytes");

    let push_url = portal.url(PUSH_MSG);
    let drug_url = portal.url(VERIFICATION_DRUG);
    let mut demo = Demo {
        lib: &lib,
        portal: &portal,
        steps: 0,
        passed: 0,
        total: 8,
    };

    demo.step(
        "医疗消息推送（厂商文档示例） / medical message push (the vendor document's example)",
        &push_msg_input(&push_url, ""),
        Expect::Success,
    );
    let captured_push = portal.received().into_iter().next();
    demo.step(
        "药品核销 / drug write-off (verificationDrug, YM_PORTAL_008)",
        &write_off_input(&drug_url, APP_KEY, ""),
        Expect::Success,
    );
    demo.step(
        "再次核销同一药品：业务失败 / the same write-off again: a business failure",
        &write_off_input(&drug_url, APP_KEY, ""),
        Expect::BusinessFailure,
    );
    demo.step(
        "appKey 错误 / a wrong appKey",
        &write_off_input(&drug_url, "WrongKeyWrongKeyWrongKeyWrongKey", ""),
        Expect::Code("000102"),
    );
    if let Some(server) = portal.sm2_server_pub_key(SM2_APP_ID) {
        let title = "SM2 签名（协议 1.1 第 11 节）：机构私钥签名，门户公钥验签 / SM2 signatures (protocol 1.1 section 11): signed with the institution's private key, the answer verified with the portal's public key";
        demo.step(
            title,
            &sm2_push_msg_input(&push_url, &institution, &server),
            Expect::Success,
        );
        println!(
            "      门户登记的机构公钥 / the institution's public key at the portal: {}",
            sm2::public_of(&institution).to_hex()
        );
        println!(
            "      门户公钥（接入方配置为 serverPubKey） / the portal's public key (the integrator's serverPubKey): {}",
            server.to_base64()
        );
    }
    let stale = ChinaTime::from_unix(clock::now().unix() - 600).to_string();
    demo.step(
        "时间戳落后 10 分钟：重放拦截 / a timestamp 10 minutes old: replay protection",
        &push_msg_input(&push_url, &stale),
        Expect::Code("010010"),
    );
    demo.replay(
        "截获的请求原样重发：重放拦截 / a captured request sent again: replay protection",
        captured_push,
    );
    let port = closed_port()?;
    demo.step(
        "门户不可达（127.0.0.1 上关闭的端口） / the portal unreachable (a closed port on 127.0.0.1)",
        &push_msg_input(&format!("http://127.0.0.1:{port}{PUSH_MSG}"), ""),
        Expect::Code("000100"),
    );

    let (passed, total) = (demo.passed, demo.steps);
    portal.stop();
    println!();
    println!("演示结果 / result: {passed}/{total} 步符合预期 / steps as expected");
    if passed == total {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "{} 步不符合预期 ({} step(s) not as expected)",
            total - passed,
            total - passed
        )))
    }
}
