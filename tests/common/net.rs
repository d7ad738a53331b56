//! Network helpers shared by the integration tests, all on 127.0.0.1: a listener whose accept
//! queue is full (connects to it time out) and a CONNECT proxy that counts its tunnels.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A loopback listener that accepts nothing and whose accept queue is full: the kernel drops
/// further SYNs, so a connect to it times out. Returns the listener and the connections that
/// fill its queue (both must stay open).
pub fn full_backlog() -> (TcpListener, Vec<TcpStream>) {
    for _attempt in 0..5 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        // listen() again changes the backlog of a listening socket: 0 lets one connection wait.
        // SAFETY: a valid listening socket descriptor, owned by `listener`.
        let rc = unsafe { libc::listen(listener.as_raw_fd(), 0) };
        assert_eq!(rc, 0, "listen(fd, 0)");
        let addr: SocketAddr = listener.local_addr().unwrap();
        let mut held = Vec::new();
        for _ in 0..8 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                Ok(stream) => held.push(stream),
                // Full: at least one connection waits, and the last SYN was dropped.
                Err(_) if !held.is_empty() => return (listener, held),
                Err(_) => break,
            }
        }
    }
    panic!("could not fill a loopback listener's accept queue");
}

/// A CONNECT proxy on loopback that tunnels only to 127.0.0.1, only with the expected
/// `Proxy-Authorization: Basic` credentials (407 otherwise), counts its tunnels and keeps the
/// last credentials it was given.
pub struct TestProxy {
    pub addr: SocketAddr,
    pub tunnels: Arc<AtomicUsize>,
    pub auth: Arc<Mutex<Option<String>>>,
}

impl TestProxy {
    /// Starts the proxy; `expected_auth` is the base64 of `user:password`.
    pub fn start(expected_auth: &'static str) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let tunnels = Arc::new(AtomicUsize::new(0));
        let auth = Arc::new(Mutex::new(None));
        let (count, seen) = (tunnels.clone(), auth.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (count, seen) = (count.clone(), seen.clone());
                std::thread::spawn(move || tunnel(client, expected_auth, &count, &seen));
            }
        });
        TestProxy {
            addr,
            tunnels,
            auth,
        }
    }

    /// How many tunnels the proxy has opened.
    pub fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }

    /// The credentials of the last CONNECT that had any.
    pub fn last_auth(&self) -> Option<String> {
        self.auth.lock().unwrap().clone()
    }
}

/// Serves one client connection: reads the CONNECT head, then copies bytes both ways.
fn tunnel(
    client: TcpStream,
    expected_auth: &str,
    count: &AtomicUsize,
    seen: &Mutex<Option<String>>,
) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        head.push(line);
    }
    let mut client_w = client;
    let target = head[0].split_whitespace().nth(1).unwrap_or("").to_owned();
    let credentials = head
        .iter()
        .find(|h| h.to_ascii_lowercase().starts_with("proxy-authorization:"))
        .and_then(|h| h.split_whitespace().nth(2).map(str::to_owned));
    let authorized = credentials.as_deref() == Some(expected_auth);
    if credentials.is_some() {
        *seen.lock().unwrap() = credentials;
    }
    if !head[0].starts_with("CONNECT ") || !target.starts_with("127.0.0.1:") {
        let _ = client_w.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    if !authorized {
        let _ = client_w
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    let Ok(upstream) = TcpStream::connect(&target) else {
        let _ = client_w.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    count.fetch_add(1, Ordering::SeqCst);
    client_w
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .unwrap();
    let mut up_w = upstream.try_clone().unwrap();
    let mut up_r = upstream;
    let mut client_r = reader;
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_r, &mut up_w);
        let _ = up_w.shutdown(Shutdown::Write);
    });
    let mut buf = [0u8; 8192];
    while let Ok(n) = up_r.read(&mut buf) {
        if n == 0 || client_w.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client_w.shutdown(Shutdown::Both);
    let _ = t.join();
}
