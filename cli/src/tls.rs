//! The TLS step of `onetrans check`: a handshake with rustls and the roots the library's HTTP
//! agent trusts (the operating system's store plus `caFile`), recording the certificate chain
//! the portal presented even when it does not verify, and naming the failure the way hospital
//! IT talks about it.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onetrans::clock::ChinaTime;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use x509_parser::extensions::GeneralName;

/// One certificate of the chain, as shown to the integrator.
#[derive(Debug, Clone)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    /// The subject alternative names (DNS names and IP addresses).
    pub names: Vec<String>,
}

impl CertInfo {
    fn parse(der: &[u8]) -> Option<CertInfo> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let mut names = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(n) => names.push((*n).to_owned()),
                    GeneralName::IPAddress(ip) => names.push(ip_text(ip)),
                    _ => {}
                }
            }
        }
        Some(CertInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            names,
        })
    }

    /// Lines describing the certificate, validity in China time.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("主体 / subject: {}", self.subject),
            format!("颁发者 / issuer: {}", self.issuer),
            format!(
                "有效期 / valid: {} 至 / to {}（北京时间 / China time）",
                ChinaTime::from_unix(self.not_before),
                ChinaTime::from_unix(self.not_after)
            ),
        ];
        if !self.names.is_empty() {
            lines.push(format!("名称 / names (SAN): {}", self.names.join(", ")));
        }
        lines
    }
}

fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => format!("{bytes:02X?}"),
    }
}

/// What the handshake showed.
#[derive(Debug)]
pub struct TlsReport {
    /// Where the trusted roots came from, e.g. "系统证书库 140 个 / 140 system roots".
    pub trust: String,
    /// The chain as the portal sent it, leaf first (empty when none came).
    pub chain: Vec<CertInfo>,
    /// Set when the handshake completed.
    pub established: Option<Established>,
    /// Why the handshake failed.
    pub failure: Option<Failure>,
    pub elapsed: Duration,
}

#[derive(Debug)]
pub struct Established {
    pub protocol: String,
    pub cipher: String,
}

#[derive(Debug)]
pub struct Failure {
    /// A short name of the failure kind: "unknown CA", "expired", "wrong host"...
    pub kind: String,
    pub detail: String,
    pub hint: String,
}

/// Delegates to the webpki verifier and keeps the chain and the verdict.
#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            chain.push(end_entity.clone().into_owned());
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Connects to `addr` and shakes hands as `host`, trusting the system's roots and the PEM
/// certificates of `ca_file`. Nothing is sent after the handshake.
pub fn probe(addr: SocketAddr, host: &str, timeout: Duration, ca_file: Option<&Path>) -> TlsReport {
    let start = Instant::now();
    let mut report = TlsReport {
        trust: String::new(),
        chain: Vec::new(),
        established: None,
        failure: None,
        elapsed: Duration::ZERO,
    };
    let recorder = match recorder(ca_file) {
        Ok((r, trust)) => {
            report.trust = trust;
            r
        }
        Err(e) => {
            report.failure = Some(Failure {
                kind: "信任证书无法加载 / the trusted certificates could not be loaded".into(),
                detail: e,
                hint: "核对 caFile 指向的 PEM 文件（-----BEGIN CERTIFICATE-----），或安装系统证书库 (check the PEM file caFile names, or install the system's CA store)".into(),
            });
            return report;
        }
    };
    let result = handshake(addr, host, timeout, recorder.clone());
    report.elapsed = start.elapsed();
    if let Ok(chain) = recorder.chain.lock() {
        report.chain = chain.iter().filter_map(|c| CertInfo::parse(c)).collect();
    }
    match result {
        Ok(established) => report.established = Some(established),
        Err(HandshakeError::Tls(e)) => report.failure = Some(describe(&e, host, &report.chain)),
        Err(HandshakeError::Io(e)) => {
            report.failure = Some(Failure {
                kind: "网络错误 / network error".into(),
                detail: e.to_string(),
                hint: "握手过程中连接中断或超时：门户端口可能不是 HTTPS，或中间有网闸/代理拦截；核对 serverAddr 的协议和端口 (the connection broke during the handshake: the port may not speak HTTPS, or a gateway interferes)".into(),
            })
        }
    }
    report
}

/// The verifier over the library's roots ([`onetrans::transport::trusted_roots`], the very
/// certificates its HTTPS connections trust), and a line saying where they came from.
fn recorder(ca_file: Option<&Path>) -> Result<(Arc<Recorder>, String), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let trusted = onetrans::transport::trusted_roots(ca_file).map_err(|e| e.message)?;
    let from_system = onetrans::transport::system_roots().len().min(trusted.len());
    let der = |certs: &[ureq::tls::Certificate<'static>]| -> Vec<CertificateDer<'static>> {
        certs
            .iter()
            .map(|c| CertificateDer::from(c.der().to_vec()))
            .collect()
    };
    let mut roots = RootCertStore::empty();
    let (system, _) = roots.add_parsable_certificates(der(&trusted[..from_system]));
    let mut trust = format!("系统证书库 {system} 个 / {system} system roots");
    if let Some(path) = ca_file {
        let (added, _) = roots.add_parsable_certificates(der(&trusted[from_system..]));
        if added == 0 {
            return Err(format!(
                "caFile {} 中没有可用的证书 / no usable certificate in it",
                path.display()
            ));
        }
        trust.push_str(&format!(
            " + caFile {added} 个 / {added} from {}",
            path.display()
        ));
    }
    if roots.is_empty() {
        return Err("没有任何受信任的根证书 / no trusted root at all".into());
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())?;
    let recorder = Arc::new(Recorder {
        inner,
        chain: Mutex::new(Vec::new()),
    });
    Ok((recorder, trust))
}

enum HandshakeError {
    Tls(rustls::Error),
    Io(std::io::Error),
}

fn handshake(
    addr: SocketAddr,
    host: &str,
    timeout: Duration,
    recorder: Arc<Recorder>,
) -> Result<Established, HandshakeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(HandshakeError::Tls)?
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    config.dangerous().set_certificate_verifier(recorder);
    let name = ServerName::try_from(host.to_owned()).map_err(|e| {
        HandshakeError::Tls(rustls::Error::General(format!(
            "主机名 {host} 不合法 / bad host name: {e}"
        )))
    })?;
    let mut conn = ClientConnection::new(Arc::new(config), name).map_err(HandshakeError::Tls)?;
    let mut sock = TcpStream::connect_timeout(&addr, timeout).map_err(HandshakeError::Io)?;
    sock.set_read_timeout(Some(timeout))
        .map_err(HandshakeError::Io)?;
    sock.set_write_timeout(Some(timeout))
        .map_err(HandshakeError::Io)?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            let tls = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .cloned();
            return Err(match tls {
                Some(t) => HandshakeError::Tls(t),
                None => HandshakeError::Io(e),
            });
        }
    }
    let established = Established {
        protocol: conn
            .protocol_version()
            .map_or_else(|| "?".into(), |v| format!("{v:?}")),
        cipher: conn
            .negotiated_cipher_suite()
            .map_or_else(|| "?".into(), |s| format!("{:?}", s.suite())),
    };
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    Ok(established)
}

/// Names a rustls failure and says what to do about it.
fn describe(error: &rustls::Error, host: &str, chain: &[CertInfo]) -> Failure {
    use rustls::Error as R;
    use CertificateError as C;
    let names = chain
        .first()
        .map(|c| c.names.join(", "))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "?".into());
    let (kind, hint): (&str, String) = match error {
        R::InvalidCertificate(C::UnknownIssuer) => (
            "证书颁发机构不受信任 / unknown CA",
            "门户证书由内网/私有 CA 签发（或是自签名证书）：向门户运维索取 CA 证书，配置为动态库的 caFile 或安装到系统证书库；不要关闭证书校验 (the certificate was issued by a private CA or is self-signed: get the CA certificate from the portal's operators and configure it; do not disable verification)".into(),
        ),
        R::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => (
            "证书已过期 / certificate expired",
            "请门户运维更换证书；若证书其实未过期，检查本机日期时间 (ask the portal's operators to renew it; if it has not expired, check this PC's date)".into(),
        ),
        R::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => (
            "证书尚未生效 / certificate not yet valid",
            "多半是本机日期时间不对，校准时钟 (most likely this PC's date is wrong: fix the clock)".into(),
        ),
        R::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => (
            "证书与主机名不符 / wrong host",
            format!("serverAddr 的主机 {host} 不在证书名称（{names}）中：改用证书上的域名访问，或请门户运维签发包含该地址的证书 (the host {host} is not among the certificate's names: use a name from the certificate)"),
        ),
        R::InvalidCertificate(C::Revoked) => (
            "证书已吊销 / certificate revoked",
            "联系门户运维 (contact the portal's operators)".into(),
        ),
        R::InvalidCertificate(_) => (
            "证书无效 / invalid certificate",
            "把证书信息发给门户运维 (send the certificate details to the portal's operators)".into(),
        ),
        R::AlertReceived(_) => (
            "门户拒绝握手 / the portal refused the handshake",
            "门户可能要求客户端证书，或只支持旧版 TLS / 国密 TLCP：向门户运维确认 TLS 要求 (the portal may want a client certificate or speak only old TLS or TLCP: ask its operators)".into(),
        ),
        R::PeerIncompatible(_) | R::InvalidMessage(_) => (
            "TLS 不兼容 / incompatible TLS",
            "门户的 TLS 版本或算法不受支持（本库支持 TLS 1.2/1.3；不支持国密 TLCP），或该端口不是 HTTPS (the portal's TLS version or ciphers are not supported, or the port is not HTTPS)".into(),
        ),
        _ => (
            "TLS 失败 / TLS failure",
            "把以上信息发给门户运维 (send the above to the portal's operators)".into(),
        ),
    };
    Failure {
        kind: kind.to_owned(),
        detail: error.to_string(),
        hint,
    }
}
