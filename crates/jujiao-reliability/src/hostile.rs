//! A hostile web site on 127.0.0.1, written on raw TCP so it can misbehave in ways a
//! well-mannered HTTP library would not let it: bodies that never end, decompression
//! bombs, responses dribbled a byte at a time, answers that are not HTTP at all.
//!
//! [`HostileSite::start`] serves every [`crate::scenarios::Scenario`] under its own
//! prefix (`/s/<name>/…`) and counts the requests per path, so a scenario can check
//! from the server's side what the crawler asked for (for example that a link to
//! another host was never followed).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server sends for one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A normal response with `Content-Length`.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Arc<Vec<u8>>,
    },
    /// `200` with a body that never ends (close-delimited, 64 KiB chunks).
    Endless,
    /// Headers at once, then the body one byte per `interval` (slowloris).
    SlowBody { body: Vec<u8>, interval: Duration },
    /// The status line and headers themselves one byte per `interval`.
    SlowHeaders { interval: Duration },
    /// These exact bytes, then the connection is closed (invalid HTTP).
    Raw(Vec<u8>),
}

impl Reply {
    /// `200 text/html; charset=<charset>` with `body`.
    pub fn html(body: impl Into<Vec<u8>>) -> Reply {
        Reply::with_type("text/html", body)
    }

    /// `200` with the given `Content-Type`.
    pub fn with_type(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Arc::new(body.into()),
        }
    }

    /// A redirect to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply::Full {
            status: 302,
            headers: vec![("Location".into(), location.into())],
            body: Arc::new(Vec::new()),
        }
    }

    /// `404 Not Found`.
    pub fn not_found() -> Reply {
        Reply::Full {
            status: 404,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: Arc::new(b"not found".to_vec()),
        }
    }
}

/// Answers a request path (query included) with a reply; `base` is the site's
/// `http://127.0.0.1:port` so pages can link back to it.
pub type Handler = dyn Fn(&str, &str) -> Reply + Send + Sync;

/// A running hostile site. Dropping it stops accepting connections.
pub struct HostileSite {
    addr: SocketAddr,
    hits: Arc<Mutex<HashMap<String, u64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for HostileSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostileSite")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for HostileSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HostileSite {
    /// Starts the site on a free port of `ip` (any address of 127/8 works on Linux).
    pub async fn start(ip: &str, handler: Arc<Handler>) -> std::io::Result<HostileSite> {
        Self::start_on(&format!("{ip}:0"), handler).await
    }

    /// Starts the site on `addr` (`ip:port`).
    pub async fn start_on(addr: &str, handler: Arc<Handler>) -> std::io::Result<HostileSite> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let hits: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
        let counted = Arc::clone(&hits);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = Arc::clone(&handler);
                let hits = Arc::clone(&counted);
                let base = base.clone();
                tokio::spawn(async move {
                    // A client that hangs up mid-reply is the normal end of most
                    // hostile replies: nothing to report.
                    let _ = serve(stream, &base, handler.as_ref(), &hits).await;
                });
            }
        });
        Ok(HostileSite { addr, hits, task })
    }

    /// `http://ip:port`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests seen per path, for paths starting with `prefix`.
    pub fn hits_under(&self, prefix: &str) -> Vec<(String, u64)> {
        let mut found: Vec<(String, u64)> = self
            .hits
            .lock()
            .map(|h| {
                h.iter()
                    .filter(|(p, _)| p.starts_with(prefix))
                    .map(|(p, n)| (p.clone(), *n))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }

    /// Requests seen for paths starting with `prefix`.
    pub fn hits(&self, prefix: &str) -> u64 {
        self.hits
            .lock()
            .map(|h| {
                h.iter()
                    .filter(|(p, _)| p.starts_with(prefix))
                    .map(|(_, n)| n)
                    .sum()
            })
            .unwrap_or(0)
    }
}

async fn serve(
    mut stream: TcpStream,
    base: &str,
    handler: &Handler,
    hits: &Mutex<HashMap<String, u64>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    if let Ok(mut h) = hits.lock() {
        *h.entry(path.clone()).or_default() += 1;
    }
    match handler(base, &path) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut out = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
            for (k, v) in &headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            stream.write_all(out.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Reply::Endless => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><body><p>")
                .await?;
            let chunk = "无尽".repeat(64 * 1024 / 6).into_bytes();
            loop {
                stream.write_all(&chunk).await?;
            }
        }
        Reply::SlowBody { body, interval } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            for b in body {
                stream.write_all(&[b]).await?;
                tokio::time::sleep(interval).await;
            }
        }
        Reply::SlowHeaders { interval } => {
            for b in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n" {
                stream.write_all(&[*b]).await?;
                tokio::time::sleep(interval).await;
            }
        }
        Reply::Raw(bytes) => {
            stream.write_all(&bytes).await?;
        }
    }
    stream.shutdown().await
}

/// `n` zero bytes compressed with gzip, made once per process: a small body that
/// inflates to `n` bytes.
pub fn gzip_bomb() -> Arc<Vec<u8>> {
    static BOMB: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    Arc::clone(BOMB.get_or_init(|| {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..BOMB_MIB {
            enc.write_all(&zeros).expect("writing to a Vec cannot fail");
        }
        Arc::new(enc.finish().expect("writing to a Vec cannot fail"))
    }))
}

/// Like [`gzip_bomb`], with brotli.
pub fn brotli_bomb() -> Arc<Vec<u8>> {
    static BOMB: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    Arc::clone(BOMB.get_or_init(|| {
        use std::io::Write;
        let mut out = Vec::new();
        {
            let mut enc = brotli::CompressorWriter::new(&mut out, 1 << 16, 5, 22);
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..BOMB_MIB {
                enc.write_all(&zeros).expect("writing to a Vec cannot fail");
            }
        }
        Arc::new(out)
    }))
}

/// What the bombs inflate to, in MiB (the fetcher's default cap is 20 MiB).
pub const BOMB_MIB: usize = 1024;
