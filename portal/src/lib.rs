#![warn(missing_docs)]
//! `onetrans-portal`: a simulator of the regional medical-insurance payment portal, the server
//! side of the OneTrans wire protocol (`shared/spec/PROTOCOL.md`, sections 5, 9 and 10), for
//! the library's tests and for integrators.
//!
//! It is a real HTTP/1.1 server (hyper on tokio, keep-alive, optional HTTPS with a self-signed
//! certificate) that runs the portal's checks in the spec's order, answers the two business
//! interfaces, and can misbehave on request through the URL ([`faults`]). All the protocol and
//! crypto work is the library's own ([`onetrans::protocol`], [`onetrans::crypto`]).
//!
//! | module | concern |
//! |---|---|
//! | [`apps`] | the registered appId → appKey pairs, and the SM2 applications' keys |
//! | [`checks`] | the eight checks of spec section 9 |
//! | [`replay`] | the nonce memory of check 7 |
//! | [`business`] | the business interfaces of spec section 10 |
//! | [`faults`] | fault injection by URL prefix |
//! | [`tls`] | the self-signed certificate |
//! | [`record`] | what was received |
//! | `server`, `http` | the accept loop, the connections, the wire |
//!
//! ```no_run
//! use onetrans_portal::{Portal, PortalConfig};
//!
//! let portal = Portal::start(PortalConfig::default()).unwrap();
//! let url = portal.url("/api/amp/hos/pushMsg");
//! let slow = portal.fault_url("slow=3000", "/api/amp/hos/pushMsg");
//! # let _ = (url, slow);
//! ```

pub mod apps;
pub mod business;
pub mod checks;
pub mod faults;
mod http;
pub mod record;
pub mod replay;
mod server;
mod state;
pub mod tls;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use onetrans::clock::ChinaTime;
use tokio::runtime::Runtime;
use tokio_rustls::TlsAcceptor;

pub use record::Received;
pub use state::Observer;
pub use tls::CertKind;

use apps::AppRegistry;
use checks::Gateway;
use state::Shared;

/// The listen backlog.
const BACKLOG: i32 = 1024;

/// How a portal is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalConfig {
    /// Where to listen; default `127.0.0.1:0` (a free port).
    pub bind: SocketAddr,
    /// `None`: plain HTTP; `Some(kind)`: HTTPS with a self-signed certificate of that kind.
    pub tls: Option<CertKind>,
    /// `(appId, appKey)` pairs registered besides the vendor document's two
    /// ([`apps::DEFAULT_APPS`]); an appId given again replaces the earlier key.
    pub apps: Vec<(String, String)>,
    /// SM2 applications (spec section 11), registered after `apps` (an appId given again
    /// becomes SM2). Their portal key pair is made at start when not given.
    pub sm2_apps: Vec<apps::Sm2AppSpec>,
    /// The portal's clock is the system clock plus this many seconds: one clock for the
    /// timestamp check, the answers' `timestamp` and the HTTP `Date` header.
    pub clock_offset_secs: i64,
    /// Where to write the certificate as PEM (HTTPS only), for clients' `caFile`.
    pub cert_pem_out: Option<PathBuf>,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            tls: None,
            apps: Vec::new(),
            sm2_apps: Vec::new(),
            clock_offset_secs: 0,
            cert_pem_out: None,
        }
    }
}

/// A running portal. It owns its tokio runtime (two worker threads); dropping it (or
/// [`Portal::stop`]) stops the server and closes its connections.
pub struct Portal {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tls: bool,
    ca_pem: Option<String>,
    runtime: Option<Runtime>,
}

impl std::fmt::Debug for Portal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portal")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Portal {
    /// Starts a portal; returns once it is listening.
    pub fn start(config: PortalConfig) -> io::Result<Portal> {
        Portal::start_with_observer(config, None)
    }

    /// Starts a portal that also shows every request it records to `observer` (called on the
    /// portal's threads).
    pub fn start_with_observer(
        config: PortalConfig,
        observer: Option<Observer>,
    ) -> io::Result<Portal> {
        let registry = AppRegistry::with_sm2(&config.apps, &config.sm2_apps)?;
        let (acceptor, ca_pem) = match config.tls {
            None => (None, None),
            Some(kind) => {
                let identity = tls::generate(kind)?;
                if let Some(path) = &config.cert_pem_out {
                    std::fs::write(path, &identity.cert_pem).map_err(|e| {
                        io::Error::new(
                            e.kind(),
                            format!(
                                "无法写出证书 {} (cannot write the certificate): {e}",
                                path.display()
                            ),
                        )
                    })?;
                }
                let acceptor = TlsAcceptor::from(tls::server_config(&identity)?);
                (Some(acceptor), Some(identity.cert_pem))
            }
        };
        let std_listener = bind(config.bind)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("onetrans-portal")
            .enable_all()
            .build()?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        let shared = Arc::new(Shared::new(
            Gateway::new(registry),
            config.clock_offset_secs,
            observer,
        ));
        runtime.spawn(server::accept_loop(listener, acceptor, Arc::clone(&shared)));
        Ok(Portal {
            shared,
            addr,
            tls: config.tls.is_some(),
            ca_pem,
            runtime: Some(runtime),
        })
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT` (an unspecified bind address is shown
    /// as the loopback address).
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("{scheme}://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// `base_url() + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// `base_url() + "/_fault/" + fault + path`, e.g. `fault_url("slow=3000",
    /// "/api/amp/hos/pushMsg")`. See [`faults`] for the names.
    pub fn fault_url(&self, fault: &str, path: &str) -> String {
        format!("{}{}{fault}{path}", self.base_url(), faults::PREFIX)
    }

    /// The address the portal listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The self-signed certificate as PEM, when the portal speaks HTTPS.
    pub fn ca_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// A copy of the record of received requests, oldest first (at most
    /// [`record::MAX_RECORDED`]).
    pub fn received(&self) -> Vec<Received> {
        self.shared
            .recorder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .snapshot()
    }

    /// Forgets the record of received requests.
    pub fn clear_received(&self) {
        self.shared
            .recorder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// How many TCP connections the portal has accepted.
    pub fn connections_accepted(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Sets the portal's clock to the system clock plus `secs` seconds (for clock-skew and
    /// replay tests).
    pub fn set_clock_offset(&self, secs: i64) {
        self.shared.clock_offset.store(secs, Ordering::SeqCst);
    }

    /// The portal's clock now.
    pub fn now(&self) -> ChinaTime {
        self.shared.now()
    }

    /// The registered appIds, the vendor document's first.
    pub fn app_ids(&self) -> Vec<String> {
        self.shared.gateway.apps().app_ids().to_vec()
    }

    /// The portal's public key for an SM2 application: the `serverPubKey` its integrator
    /// configures. `None` for an unknown or SM3 application.
    pub fn sm2_server_pub_key(&self, app_id: &str) -> Option<onetrans::sm2::PublicKey> {
        let app = self.shared.gateway.apps().get(app_id)?;
        app.sm2
            .as_ref()
            .map(|keys| onetrans::sm2::public_of(&keys.portal))
    }

    /// Stops the portal: no new connections, open ones closed.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                // Blocking is not allowed inside another runtime: let it wind down on its own.
                runtime.shutdown_background();
            } else {
                // Drops every task (the listener and the connections) and waits for the threads.
                runtime.shutdown_timeout(Duration::from_secs(5));
            }
        }
    }
}

/// A listening, non-blocking socket with a large backlog.
fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}
