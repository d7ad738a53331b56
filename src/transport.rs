//! HTTP(S) transport: one ureq agent for the whole process (and one more per distinct set of
//! per-call settings, [`HttpTransport::post_with`]), kept-alive connections, and the
//! classification of every failure into "certainly not delivered" (`000100`, safe to retry) or
//! "outcome unknown" (`000001`, query first).
//!
//! The classification does not guess from error texts: a connector at the end of ureq's chain
//! wraps every connection and notes, per calling thread, whether any byte of the HTTP request
//! was handed to the socket. Until then nothing can have reached the portal; after that it may
//! have. ureq runs a request on the caller's thread, so a thread-local flag is exact.

use std::cell::Cell;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::time::Duration as UreqDuration;
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, NextTimeout, RustlsConnector,
    TcpConnector, Transport as UreqTransport,
};
use ureq::Agent;

use crate::error::{Error, ErrorKind};
use crate::input::CallSettings;

/// What came back over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends one request body to a URL and returns the answer. The seam for tests and fuzzers.
pub trait Transport: Send + Sync {
    fn post(&self, url: &str, body: &[u8]) -> Result<HttpAnswer, Error>;

    /// [`Transport::post`] with the call's own connection settings (spec 1.1 section 1) in
    /// place of the configured ones. A transport without settings of its own (a test double)
    /// ignores them.
    fn post_with(&self, url: &str, body: &[u8], call: &CallSettings) -> Result<HttpAnswer, Error> {
        let _ = call;
        self.post(url, body)
    }
}

/// Connection settings (see [`crate::config`] for where they come from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_response_bytes: u64,
    /// `http://[user:password@]host:port`; `None`: direct (the environment's proxy variables
    /// are deliberately not used).
    pub proxy: Option<String>,
    /// Extra trusted CA certificates (PEM), added to the operating system's store.
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate. Logged as a warning on every call.
    pub insecure_skip_verify: bool,
}

impl Settings {
    /// These settings with a call's own timeouts and proxy in their place (its `charset` is
    /// not the transport's).
    pub fn for_call(&self, call: &CallSettings) -> Settings {
        Settings {
            connect_timeout: call.connect_timeout.unwrap_or(self.connect_timeout),
            read_timeout: call.read_timeout.unwrap_or(self.read_timeout),
            proxy: call.proxy.clone().or_else(|| self.proxy.clone()),
            ..self.clone()
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connect_timeout: Duration::from_millis(6_000),
            read_timeout: Duration::from_millis(30_000),
            max_response_bytes: 16 * 1024 * 1024,
            proxy: None,
            ca_file: None,
            insecure_skip_verify: false,
        }
    }
}

/// The most agents kept for calls with settings of their own besides the configured one
/// (see [`HttpTransport::post_with`]).
pub const MAX_CALL_AGENTS: usize = 8;

/// The real transport: a ureq agent with a connection pool for the configured settings, and
/// up to [`MAX_CALL_AGENTS`] more for calls that give their own timeouts or proxy.
pub struct HttpTransport {
    base: Arc<Pooled>,
    /// The caFile's certificates, read (and checked) once, for every agent.
    ca_file_certs: Vec<Certificate<'static>>,
    /// The agents for per-call settings, the most recently used last; `None` after
    /// [`HttpTransport::shut_down`].
    per_call: Mutex<Option<Vec<Arc<Pooled>>>>,
}

/// One ureq agent, its connection pool, and the settings it was built with.
struct Pooled {
    agent: Agent,
    settings: Settings,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("settings", &self.base.settings)
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// Whether any byte of the current request has been handed to a socket on this thread.
    static REQUEST_SENT: Cell<bool> = const { Cell::new(false) };
}

impl HttpTransport {
    /// Builds the agent. Fails (as bad input, `000105`) when the proxy or the CA file in the
    /// settings cannot be used.
    pub fn new(settings: Settings) -> Result<HttpTransport, Error> {
        // The operating system's trust store is read on the first `https://` connection only
        // ([`TrustOnFirstTls`]): an `http://` portal never pays for it. The caFile is read now,
        // so that an unusable one fails every call from the first, whatever the scheme.
        let ca_file_certs = match settings.ca_file.as_deref() {
            Some(path) => ca_file_roots(path)?,
            None => Vec::new(),
        };
        Ok(HttpTransport {
            base: Arc::new(Pooled::new(settings, &ca_file_certs)?),
            ca_file_certs,
            per_call: Mutex::new(Some(Vec::new())),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.base.settings
    }

    /// Closes every connection of every agent, idle or in use, and refuses new ones (for the
    /// library's unload: [`crate::runtime::shut_down`]). An agent for per-call settings that
    /// was already dropped from the list while a call still used it closes its connections when
    /// that call ends.
    pub(crate) fn shut_down(&self) {
        self.base.agent.clone().shutdown();
        if let Some(per_call) = self.lock_per_call().take() {
            for pooled in per_call {
                pooled.agent.clone().shutdown();
            }
        }
    }

    fn lock_per_call(&self) -> std::sync::MutexGuard<'_, Option<Vec<Arc<Pooled>>>> {
        self.per_call
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The agent for a call's settings: the configured one when the call changes nothing,
    /// else the one kept for exactly these settings, built on first use.
    ///
    /// ureq takes the proxy only per agent, so a call with a proxy of its own needs an agent of
    /// its own; timeouts get the same treatment, which keeps one rule (and the connect timeout
    /// also bounds the agent's own host name lookup, [`LookupThenTcp`]). Calls with the same
    /// effective settings share an agent and so its kept-alive connections, from any thread.
    /// At most [`MAX_CALL_AGENTS`] are kept; the least recently used is dropped (with its idle
    /// connections) to make room, which costs only a new connection if it is needed again.
    fn pooled_for(&self, call: &CallSettings) -> Result<Arc<Pooled>, Error> {
        let settings = self.base.settings.for_call(call);
        if settings == self.base.settings {
            return Ok(Arc::clone(&self.base));
        }
        let mut guard = self.lock_per_call();
        // After the unload's shut_down: the base agent, which refuses to connect.
        let Some(per_call) = guard.as_mut() else {
            return Ok(Arc::clone(&self.base));
        };
        if let Some(i) = per_call.iter().position(|p| p.settings == settings) {
            let pooled = per_call.remove(i);
            per_call.push(Arc::clone(&pooled));
            return Ok(pooled);
        }
        let pooled = Arc::new(Pooled::new(settings, &self.ca_file_certs)?);
        if per_call.len() >= MAX_CALL_AGENTS {
            per_call.remove(0);
        }
        per_call.push(Arc::clone(&pooled));
        Ok(pooled)
    }

    /// How many agents for per-call settings are kept (for tests).
    #[doc(hidden)]
    pub fn per_call_agents(&self) -> usize {
        self.lock_per_call().as_ref().map_or(0, Vec::len)
    }
}

impl Pooled {
    /// Builds an agent for `settings`, trusting the caFile's `ca_file_certs` besides the
    /// system's store. Fails (as bad input) when the proxy cannot be used.
    fn new(settings: Settings, ca_file_certs: &[Certificate<'static>]) -> Result<Pooled, Error> {
        let proxy: Option<ureq::Proxy> = match &settings.proxy {
            None => None,
            Some(url) => Some(ureq::Proxy::new(url).map_err(|e| {
                Error::bad_input(format!(
                    "配置错误：proxy \"{url}\" 无效：{e} (bad proxy setting)"
                ))
            })?),
        };
        let config = agent_config(&settings, proxy.clone(), Vec::new());
        // ureq's default chain (CONNECT proxy, TCP, rustls) with the host name lookup moved
        // into the TCP step, so that it runs only when a new connection is made, and the
        // tracker of sent bytes at the end.
        let connector = ()
            .chain(ConnectProxyConnector::default())
            .chain(LookupThenTcp {
                limit: settings.connect_timeout,
            })
            .chain(TrustOnFirstTls {
                settings: settings.clone(),
                proxy: proxy.clone(),
                ca_file_certs: ca_file_certs.to_vec(),
                config: OnceLock::new(),
                inner: RustlsConnector::default(),
            })
            .chain(SentTracker {
                proxied: proxy.is_some(),
            });
        let resolver = DeferredResolver {
            inner: DefaultResolver::default(),
        };
        Ok(Pooled {
            agent: Agent::with_parts(config, connector, resolver),
            settings,
        })
    }

    fn post(&self, url: &str, body: &[u8]) -> Result<HttpAnswer, Error> {
        release_finished_lookups();
        REQUEST_SENT.set(false);
        let result = self.exchange(url, body);
        let sent = REQUEST_SENT.replace(false);
        result.map_err(|e| classify(&e, sent, url, self.settings.max_response_bytes))
    }

    fn exchange(&self, url: &str, body: &[u8]) -> Result<HttpAnswer, ureq::Error> {
        let mut response = self
            .agent
            .post(url)
            .header("Content-Type", "application/json;charset=UTF-8")
            .send(body)?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.settings.max_response_bytes)
            .read_to_vec()?;
        Ok(HttpAnswer { status, body })
    }
}

/// The agent's configuration, trusting `roots` for HTTPS (see [`TrustOnFirstTls`]).
fn agent_config(
    settings: &Settings,
    proxy: Option<ureq::Proxy>,
    roots: Vec<Certificate<'static>>,
) -> ureq::config::Config {
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .disable_verification(settings.insecure_skip_verify)
        .build();
    Agent::config_builder()
        .http_status_as_error(false)
        // A redirect of a POST would resend a payment: never follow one.
        .max_redirects(0)
        // Proxies come from the library's configuration only, never silently from the
        // environment.
        .proxy(proxy)
        .tls_config(tls)
        .timeout_connect(Some(settings.connect_timeout))
        .timeout_send_request(Some(settings.read_timeout))
        .timeout_send_body(Some(settings.read_timeout))
        .timeout_recv_response(Some(settings.read_timeout))
        .timeout_recv_body(Some(settings.read_timeout))
        .user_agent(concat!("onetrans/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// ureq's rustls step, with the trusted roots ([`trusted_roots`]) loaded when the first
/// `https://` connection is made rather than when the agent is built.
///
/// ureq's rustls connector takes its roots from the configuration it is handed, and the agent's
/// is fixed when the agent is built; so the agent is built without roots, and this step hands
/// the rustls connector the same configuration with the roots, built once, on the first
/// connection that needs TLS. Every other connection goes through with the agent's own.
#[derive(Debug)]
struct TrustOnFirstTls {
    settings: Settings,
    proxy: Option<ureq::Proxy>,
    /// The caFile's certificates, read (and checked) when the agent was built.
    ca_file_certs: Vec<Certificate<'static>>,
    /// The agent's configuration with the trusted roots.
    config: OnceLock<ureq::config::Config>,
    inner: RustlsConnector,
}

impl TrustOnFirstTls {
    fn config_with_roots(&self) -> &ureq::config::Config {
        self.config.get_or_init(|| {
            let mut roots = system_roots().to_vec();
            roots.extend(self.ca_file_certs.iter().cloned());
            agent_config(&self.settings, self.proxy.clone(), roots)
        })
    }
}

impl<In: UreqTransport> Connector<In> for TrustOnFirstTls {
    type Out = <RustlsConnector as Connector<In>>::Out;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if !details.needs_tls() {
            return self.inner.connect(details, chained);
        }
        let with_roots = ConnectionDetails {
            uri: details.uri,
            addrs: details.addrs.clone(),
            config: self.config_with_roots(),
            request_level: details.request_level,
            resolver: details.resolver,
            now: details.now,
            timeout: details.timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: details.register_shutdown.clone(),
        };
        self.inner.connect(&with_roots, chained)
    }
}

impl Transport for HttpTransport {
    fn post(&self, url: &str, body: &[u8]) -> Result<HttpAnswer, Error> {
        self.base.post(url, body)
    }

    fn post_with(&self, url: &str, body: &[u8], call: &CallSettings) -> Result<HttpAnswer, Error> {
        self.pooled_for(call)?.post(url, body)
    }
}

/// Turns a ureq error into the call's failure. `sent`: whether any request byte reached a
/// socket.
///
/// "Sent" is decided first: once a byte of the request went out, the portal may have it, so no
/// error after that (whatever ureq calls it) can be `000105` "nothing was sent" or `000100`.
/// Only an oversized answer has a code of its own then (`000002`, spec section 7).
fn classify(error: &ureq::Error, sent: bool, url: &str, limit: u64) -> Error {
    use ureq::Error as E;
    if let E::BodyExceedsLimit(_) = error {
        return Error::new(
            ErrorKind::BadResponse,
            format!("门户应答超过 {limit} 字节上限（maxResponseBytes），已丢弃 (the answer is over the {limit}-byte limit)"),
        );
    }
    let detail = describe(error);
    if sent {
        return Error::new(
            ErrorKind::OutcomeUnknown,
            format!("请求已发出，但没有收到完整应答（{detail}）：交易结果未知，请先查询交易状态，不要直接重试 (the request was sent but no complete answer came back: outcome unknown, query before retrying)"),
        );
    }
    match error {
        E::BadUri(_) | E::Http(_) => Error::bad_input(format!(
            "serverAddr \"{url}\" 无法使用：{error} (serverAddr is not a usable URL)"
        )),
        _ => Error::new(
            ErrorKind::NotDelivered,
            format!("无法连接医保支付门户（{detail}），请求未发出，可以重试；请检查网络、serverAddr、代理和证书设置 (could not reach the portal; the request was not sent and is safe to retry)"),
        ),
    }
}

/// A short, actionable description of a transport error, Chinese first.
fn describe(error: &ureq::Error) -> String {
    use ureq::Error as E;
    use ureq::Timeout as T;
    match error {
        E::HostNotFound => {
            "域名解析失败，请检查 serverAddr 的主机名和 DNS / host name not found".into()
        }
        E::Timeout(T::Resolve) => "域名解析超时 / DNS lookup timed out".into(),
        E::Timeout(T::Connect) => "连接超时（connectTimeoutMs） / connect timed out".into(),
        E::Timeout(_) => "等待应答超时（readTimeoutMs） / timed out waiting for the answer".into(),
        E::Io(e) if tls_error(e).is_some() => {
            let tls = tls_error(e).map(describe_tls).unwrap_or_default();
            format!("TLS 握手或证书校验失败 / TLS failure: {tls}")
        }
        E::Io(e) => {
            match e.kind() {
                io::ErrorKind::ConnectionRefused => {
                    "连接被拒绝，门户端口未开放或服务未启动 / connection refused".into()
                }
                io::ErrorKind::ConnectionReset => "连接被重置 / connection reset".into(),
                io::ErrorKind::UnexpectedEof => "连接被关闭 / connection closed".into(),
                _ if e.to_string().contains("lookup") => {
                    format!("域名解析失败，请检查 serverAddr 的主机名和 DNS / host name lookup failed: {e}")
                }
                _ => format!("网络错误 / network error: {e}"),
            }
        }
        E::Rustls(e) => format!("TLS 握手或证书校验失败 / TLS failure: {}", describe_tls(e)),
        E::Tls(e) => format!("TLS 失败 / TLS failure: {e}"),
        E::Protocol(e) => format!("门户应答不是合法的 HTTP / not valid HTTP: {e}"),
        other => other.to_string(),
    }
}

/// The rustls error inside an I/O error (how ureq reports handshake failures).
fn tls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

/// Names the common certificate failures the way hospital IT talks about them.
fn describe_tls(error: &rustls::Error) -> String {
    use rustls::{CertificateError as C, Error as R};
    match error {
        R::InvalidCertificate(C::UnknownIssuer) => {
            "证书颁发机构不受信任（内网 CA 请配置 caFile 或安装到系统证书库） / unknown CA".into()
        }
        R::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "证书已过期（或本机时间不对） / certificate expired".into()
        }
        R::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "证书与主机名不符 / certificate is for another host name".into()
        }
        other => other.to_string(),
    }
}

/// ureq's resolver, which looks nothing up: an IP address becomes its socket address on the
/// calling thread, and a host name is left unresolved (no address) for [`LookupThenTcp`].
///
/// ureq resolves the host before it looks in its connection pool, so a lookup here would run on
/// every call, also when a pooled connection is reused. Deferred to the TCP step of the chain,
/// it runs only when a new connection is made. With an HTTP proxy, ureq passes no address for
/// the target either (the proxy resolves it), and the proxy's own host goes through this
/// resolver and [`LookupThenTcp`] like a target's.
#[derive(Debug)]
struct DeferredResolver {
    inner: DefaultResolver,
}

impl Resolver for DeferredResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or("");
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok();
        if !literal {
            return Ok(self.empty());
        }
        // Without a timeout, ureq's resolver parses the address on this thread (no helper
        // thread, no lookup) and checks the URL as it always does.
        let sync = NextTimeout {
            after: UreqDuration::NotHappening,
            ..timeout
        };
        self.inner.resolve(uri, config, sync)
    }
}

/// ureq's TCP connector, preceded by the lookup of a host name [`DeferredResolver`] left
/// unresolved, bounded by `connectTimeoutMs` ([`bounded_lookup`]). Runs only for a new
/// connection: a reused pooled connection needs neither.
#[derive(Debug)]
struct LookupThenTcp {
    limit: Duration,
}

impl<In: UreqTransport> Connector<In> for LookupThenTcp {
    type Out = <TcpConnector as Connector<In>>::Out;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let tcp = TcpConnector::default();
        if chained.is_some() || !details.addrs.is_empty() {
            return tcp.connect(details, chained);
        }
        let scheme = details.uri.scheme().ok_or(ureq::Error::HostNotFound)?;
        let authority = details.uri.authority().ok_or(ureq::Error::HostNotFound)?;
        let host_port =
            DefaultResolver::host_and_port(scheme, authority).ok_or(ureq::Error::HostNotFound)?;
        let mut addrs = details.resolver.empty();
        let found = bounded_lookup(
            move || host_port.to_socket_addrs().map(Iterator::collect),
            self.limit,
        )?;
        // ureq keeps at most 16 addresses (its `MAX_ADDRS`, the size of the list).
        let family = details.config.ip_family();
        for addr in family.keep_wanted(found.into_iter()).take(16) {
            addrs.push(addr);
        }
        if addrs.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        let resolved = ConnectionDetails {
            uri: details.uri,
            addrs,
            config: details.config,
            request_level: details.request_level,
            resolver: details.resolver,
            now: details.now,
            timeout: details.timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: details.register_shutdown.clone(),
        };
        tcp.connect(&resolved, None)
    }
}

/// A lookup thread the call stopped waiting for, and the pin that keeps the library loaded
/// while it runs.
struct Abandoned {
    thread: JoinHandle<()>,
    _pin: Option<crate::platform::ModulePin>,
}

/// The lookup threads calls stopped waiting for, until they are found finished.
static ABANDONED: Mutex<Vec<Abandoned>> = Mutex::new(Vec::new());

/// Runs `lookup` (the system resolver's, for a host and port), waiting at most `limit`.
///
/// `getaddrinfo` cannot be cancelled and, with a resolver that does not answer, blocks for as
/// long as the system retries (glibc: 5 s times 2 attempts per name server), far past
/// `connectTimeoutMs`; so it runs on a helper thread, and the call stops waiting after `limit`
/// (`000100`: nothing was sent). No helper thread is ever left running in a library that can
/// be unloaded:
/// * a lookup that ends in time is joined before the call goes on;
/// * a lookup the call stops waiting for pins the library in memory
///   ([`crate::platform::ModulePin`]): a `dlclose`/`FreeLibrary` of the host then does not unmap
///   it, so the thread cannot return into unmapped code. The pin is released by a later call
///   that finds the thread finished ([`release_finished_lookups`]); a pin is always released
///   from inside a call, while the host holds its own reference, so that release never unloads.
///   Without a later call the library stays loaded until the process exits.
///
/// The unload hooks cannot wait for the thread instead: `DllMain` runs under the loader lock,
/// which a thread needs to exit (`DLL_THREAD_DETACH`), and glibc runs ELF destructors under its
/// own loader lock.
fn bounded_lookup<F>(lookup: F, limit: Duration) -> Result<Vec<SocketAddr>, ureq::Error>
where
    F: FnOnce() -> io::Result<Vec<SocketAddr>> + Send + 'static,
{
    release_finished_lookups();
    let (tx, rx) = mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("onetrans-dns".into())
        .spawn(move || {
            let _ = tx.send(lookup());
        })
        .map_err(ureq::Error::Io)?;
    match rx.recv_timeout(limit) {
        Ok(found) => {
            // The thread has sent its result and is ending: wait for it, so that nothing of it
            // runs once the call has returned (the host may unload the library then).
            let _ = thread.join();
            found.map_err(ureq::Error::Io)
        }
        Err(_) => {
            let pin = crate::platform::ModulePin::new();
            lock_abandoned().push(Abandoned { thread, _pin: pin });
            Err(ureq::Error::Timeout(ureq::Timeout::Resolve))
        }
    }
}

fn lock_abandoned() -> std::sync::MutexGuard<'static, Vec<Abandoned>> {
    ABANDONED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Joins the abandoned lookup threads that have finished and releases their pins. Run at the
/// start of every call: cheap (an empty list) unless a lookup timed out earlier.
fn release_finished_lookups() {
    let finished: Vec<Abandoned> = {
        let mut abandoned = lock_abandoned();
        if abandoned.is_empty() {
            return;
        }
        let (done, running) = abandoned.drain(..).partition(|a| a.thread.is_finished());
        *abandoned = running;
        done
    };
    for entry in finished {
        let _ = entry.thread.join();
        // Dropping the entry releases its pin (outside the lock).
    }
}

/// How many lookup threads that calls stopped waiting for are still running (or not yet found
/// finished by a call).
#[cfg(test)]
fn abandoned_lookups() -> usize {
    lock_abandoned().len()
}

/// The last connector of the chain: wraps each connection to note when request bytes go out.
///
/// With a proxy, ureq runs the whole chain a second time, inside the connect step, for the
/// connection to the proxy itself (its config then has no proxy). The `CONNECT` line written
/// there is not the request: that hop is wrapped untracked.
#[derive(Debug)]
struct SentTracker {
    proxied: bool,
}

impl<In: UreqTransport> Connector<In> for SentTracker {
    type Out = Tracked;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Tracked>, ureq::Error> {
        let proxy_hop = self.proxied && details.config.proxy().is_none();
        Ok(chained.map(|inner| Tracked {
            inner: Box::new(inner),
            track: !proxy_hop,
        }))
    }
}

#[derive(Debug)]
struct Tracked {
    inner: Box<dyn UreqTransport>,
    track: bool,
}

impl UreqTransport for Tracked {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.track && amount > 0 {
            REQUEST_SENT.set(true);
        }
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// The operating system's trusted certificates (where hospital IT installs the private
/// network's CA), read once per process, when first asked for.
pub fn system_roots() -> &'static [Certificate<'static>] {
    static SYSTEM: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    SYSTEM.get_or_init(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .into_iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect()
    })
}

/// The PEM certificates of a `caFile`; bad input (`000105`) when it cannot be read or holds
/// none.
fn ca_file_roots(path: &Path) -> Result<Vec<Certificate<'static>>, Error> {
    let unusable = |why: String| {
        Error::bad_input(format!(
            "配置错误：caFile \"{}\" 无法使用：{why} (caFile is not usable)",
            path.display()
        ))
    };
    let pem = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
    let mut certs = Vec::new();
    for item in parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(unusable(e.to_string())),
        }
    }
    if certs.is_empty() {
        return Err(unusable(
            "文件中没有 PEM 证书 / no PEM certificate in it".into(),
        ));
    }
    Ok(certs)
}

/// The certificates trusted for HTTPS: the operating system's store ([`system_roots`]) plus the
/// PEM certificates of `ca_file`. The transport trusts exactly these (loaded on its first
/// `https://` connection); `onetrans check` tests the portal's chain against them.
pub fn trusted_roots(ca_file: Option<&Path>) -> Result<Vec<Certificate<'static>>, Error> {
    let mut roots = system_roots().to_vec();
    if let Some(path) = ca_file {
        roots.extend(ca_file_roots(path)?);
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_after_sending_is_never_bad_input() {
        let url = "http://127.0.0.1:1/api";
        let bad_uri = || ureq::Error::BadUri("bad".into());
        let http = || {
            let e = ureq::http::Request::builder()
                .method("BAD METHOD")
                .body(())
                .unwrap_err();
            ureq::Error::Http(e)
        };
        for error in [bad_uri(), http()] {
            assert_eq!(
                classify(&error, true, url, 10).kind,
                ErrorKind::OutcomeUnknown,
                "{error:?} after sending"
            );
            assert_eq!(
                classify(&error, false, url, 10).kind,
                ErrorKind::BadInput,
                "{error:?} before sending"
            );
        }
        let io = ureq::Error::Io(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(classify(&io, true, url, 10).kind, ErrorKind::OutcomeUnknown);
        assert_eq!(classify(&io, false, url, 10).kind, ErrorKind::NotDelivered);
        let big = ureq::Error::BodyExceedsLimit(10);
        assert_eq!(classify(&big, true, url, 10).kind, ErrorKind::BadResponse);
    }

    #[test]
    fn calls_sharing_settings_share_an_agent_and_the_agents_are_bounded() {
        let t = HttpTransport::new(Settings::default()).unwrap();
        let base = |p: &Arc<Pooled>| Arc::ptr_eq(p, &t.base);
        assert!(base(&t.pooled_for(&CallSettings::default()).unwrap()));
        // Settings equal to the configured ones, or only a charset: the configured agent.
        let same = CallSettings {
            read_timeout: Some(t.settings().read_timeout),
            charset: Some(crate::charset::CharsetSetting::Utf8),
            ..CallSettings::default()
        };
        assert!(base(&t.pooled_for(&same).unwrap()));
        assert_eq!(t.per_call_agents(), 0);
        let read = |ms| CallSettings {
            read_timeout: Some(Duration::from_millis(ms)),
            ..CallSettings::default()
        };
        let first = t.pooled_for(&read(1_000)).unwrap();
        assert!(!base(&first));
        assert_eq!(first.settings.read_timeout, Duration::from_millis(1_000));
        assert_eq!(first.settings.connect_timeout, t.settings().connect_timeout);
        assert!(Arc::ptr_eq(&first, &t.pooled_for(&read(1_000)).unwrap()));
        let proxied = CallSettings {
            proxy: Some("http://127.0.0.1:3128".into()),
            ..read(1_000)
        };
        assert!(!Arc::ptr_eq(&first, &t.pooled_for(&proxied).unwrap()));
        // Filling the list drops the least recently used: `proxied`, not `first` (used again).
        for ms in 0..MAX_CALL_AGENTS as u64 - 2 {
            t.pooled_for(&read(2_000 + ms)).unwrap();
        }
        assert_eq!(t.per_call_agents(), MAX_CALL_AGENTS);
        assert!(Arc::ptr_eq(&first, &t.pooled_for(&read(1_000)).unwrap()));
        t.pooled_for(&read(9_999)).unwrap();
        assert_eq!(t.per_call_agents(), MAX_CALL_AGENTS);
        assert!(Arc::ptr_eq(&first, &t.pooled_for(&read(1_000)).unwrap()));
        // After the unload's shut-down, none is kept or built.
        t.shut_down();
        assert_eq!(t.per_call_agents(), 0);
        assert!(base(&t.pooled_for(&read(1_000)).unwrap()));
    }

    /// One test for the abandoned-lookup list: it is process-wide.
    #[test]
    fn a_lookup_past_its_limit_is_abandoned_then_released() {
        let here: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let quick = bounded_lookup(move || Ok(vec![here]), Duration::from_secs(5));
        assert_eq!(quick.unwrap(), vec![here]);
        assert_eq!(
            abandoned_lookups(),
            0,
            "a lookup that ended in time is joined"
        );

        let slow = bounded_lookup(
            move || {
                std::thread::sleep(Duration::from_millis(300));
                Ok(vec![here])
            },
            Duration::from_millis(20),
        );
        assert!(
            matches!(slow, Err(ureq::Error::Timeout(ureq::Timeout::Resolve))),
            "{slow:?}"
        );
        assert_eq!(abandoned_lookups(), 1, "the slow lookup is still running");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while abandoned_lookups() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            release_finished_lookups();
        }
        assert_eq!(abandoned_lookups(), 0, "released once it finished");
    }
}
