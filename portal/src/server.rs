//! The accept loop and the connections: a tokio listener whose every accepted TCP connection
//! is counted, then served (after a TLS handshake, for HTTPS) by hyper's HTTP/1.1 server with
//! keep-alive.
//!
//! Each connection has a [`ConnCtl`] through which a request's faults can cut it: drop it at
//! once (`close`), after flushing what was written (`truncate`), with a reset (`reset`,
//! `SO_LINGER` 0), or right after the current answer (`closeidle`).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

use crate::http;
use crate::state::Shared;

/// The longest a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection being cut is still driven, so that what hyper buffered (the headers
/// and the partial body of `reset` and `truncate`) reaches the socket first.
pub(crate) const FLUSH_BEFORE_CUT: Duration = Duration::from_millis(50);

/// How long a connection closing after its answer (`closeidle`) may take to finish writing.
const CLOSE_AFTER_RESPONSE_LIMIT: Duration = Duration::from_secs(30);

/// Accepts connections until the runtime shuts down.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_nodelay(true);
                tokio::spawn(connection(stream, tls.clone(), Arc::clone(&shared)));
            }
            // Out of file descriptors and the like: wait a little rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

async fn connection(stream: TcpStream, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let ctl = Arc::new(ConnCtl::default());
    let io = ConnIo {
        stream,
        ctl: Arc::clone(&ctl),
    };
    match tls {
        None => serve(io, shared, ctl).await,
        Some(acceptor) => {
            // A failed handshake (the client refused the certificate) just ends the connection.
            if let Ok(Ok(stream)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(io)).await
            {
                serve(stream, shared, ctl).await;
            }
        }
    }
}

async fn serve<I>(io: I, shared: Arc<Shared>, ctl: Arc<ConnCtl>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = {
        let ctl = Arc::clone(&ctl);
        service_fn(move |request| http::handle(request, Arc::clone(&shared), Arc::clone(&ctl)))
    };
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let cut = tokio::select! {
        biased;
        _ = conn.as_mut() => return,
        cut = ctl.wait() => cut,
    };
    match cut {
        Cut::Drop { flush, reset } => {
            if reset {
                ctl.linger0.store(true, Ordering::SeqCst);
            }
            if !flush.is_zero() {
                let _ = tokio::time::timeout(flush, conn.as_mut()).await;
            }
            // Dropping `conn` drops the socket: FIN, or RST with SO_LINGER 0.
        }
        Cut::AfterResponse => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(CLOSE_AFTER_RESPONSE_LIMIT, conn.as_mut()).await;
        }
    }
}

/// How a fault cuts a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    /// Keep driving the connection for `flush` (to write out what is buffered), then drop it;
    /// with `reset`, the socket is closed with `SO_LINGER` 0, which sends RST.
    Drop { flush: Duration, reset: bool },
    /// Finish the current answer, then close instead of keeping the connection alive.
    AfterResponse,
}

/// The per-connection switch a request's faults use to cut its connection.
#[derive(Debug, Default)]
pub(crate) struct ConnCtl {
    notify: Notify,
    cut: Mutex<Option<Cut>>,
    /// Read by [`ConnIo`]'s drop: close with `SO_LINGER` 0.
    linger0: AtomicBool,
}

impl ConnCtl {
    /// Asks the connection's task to cut it; the first request wins.
    pub(crate) fn cut(&self, cut: Cut) {
        let mut slot = self.cut.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(cut);
            self.notify.notify_one();
        }
    }

    async fn wait(&self) -> Cut {
        loop {
            if let Some(cut) = *self.cut.lock().unwrap_or_else(|e| e.into_inner()) {
                return cut;
            }
            self.notify.notified().await;
        }
    }
}

/// The TCP stream of one connection, closed with `SO_LINGER` 0 (RST) when its [`ConnCtl`]
/// asks for it.
struct ConnIo {
    stream: TcpStream,
    ctl: Arc<ConnCtl>,
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.ctl.linger0.load(Ordering::SeqCst) {
            let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
