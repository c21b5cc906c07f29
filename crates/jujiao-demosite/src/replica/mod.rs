//! Loopback replicas of the office's sources as public evidence shows them today
//! (`../shared/SOURCES-TODAY.md`): one small, hand-written Chinese site per preset
//! source, with the shape the evidence describes — lists written by `document.write`,
//! inline `item=[…]` arrays, JSON lists served as `text/html`, GBK pages, e-paper day
//! pages reached by a script jump — and the same demands: a `Referer` where the real site
//! wants one, a browser `User-Agent` where it refuses others, and HTTP 412 with a
//! script-only page where the real site puts a verification gateway.
//!
//! One listener serves every host (chosen by the `Host` header) over plain HTTP and
//! over TLS on the same port (a TLS handshake starts with byte `0x16`). The TLS
//! certificate is signed by a test certificate authority ([`CA_PEM`]) made for these
//! replicas only; a crawler reaches them with the real host names pointed at
//! [`Replicas::addr`] (`settings.resolve` or `--resolve`) and the authority trusted
//! (`--cacert`), so the unchanged `presets/legacy.toml` runs against them.
//! 海淀报's URL names port 88: [`Replicas::start`] also listens there when it may.

mod sites;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode, Uri};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

pub use sites::{EDITION_DAY, NO_EDITION_DAY, REPLICA_HOSTS};

/// The test certificate authority that signed the replicas' certificate (PEM). Trust
/// it only in tests and demos: it is for the replicas and nothing else.
pub const CA_PEM: &str = include_str!("tls/ca.pem");
const SERVER_PEM: &str = include_str!("tls/server.pem");
const SERVER_KEY_PEM: &str = include_str!("tls/server-key.pem");

/// The replicas, running; dropping this stops nothing (the tasks end with the runtime).
#[derive(Debug, Clone)]
pub struct Replicas {
    /// Where every replica host answers (HTTP and HTTPS).
    pub addr: SocketAddr,
    /// Where `www.haidian001.com:88` answers, when port 88 could be bound (it needs
    /// the right to bind a low port).
    pub port_88: Option<SocketAddr>,
    requests: Arc<Mutex<HashMap<String, usize>>>,
}

impl Replicas {
    /// Starts the replicas on a free loopback port (and on port 88 of a loopback
    /// address when allowed).
    pub async fn start() -> std::io::Result<Replicas> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(HashMap::new()));
        let acceptor = acceptor()?;
        let app = router(Arc::clone(&requests));
        tokio::spawn(serve(listener, acceptor.clone(), app.clone()));
        let mut port_88 = None;
        // A loopback address of its own, so parallel test processes rarely collide.
        for last in 0..16u8 {
            let ip = std::net::Ipv4Addr::new(127, 88, std::process::id() as u8, 10 + last);
            if let Ok(l) = TcpListener::bind((ip, 88)).await {
                port_88 = Some(l.local_addr()?);
                tokio::spawn(serve(l, acceptor, app));
                break;
            }
        }
        Ok(Replicas {
            addr,
            port_88,
            requests,
        })
    }

    /// `settings.resolve` entries pointing every replica host at the replicas.
    pub fn resolve(&self) -> Vec<(String, SocketAddr)> {
        REPLICA_HOSTS
            .iter()
            .map(|h| {
                let addr = match (*h, self.port_88) {
                    ("www.haidian001.com", Some(a)) => a,
                    _ => self.addr,
                };
                ((*h).to_owned(), addr)
            })
            .collect()
    }

    /// Requests answered per `host/path`.
    pub fn requests(&self) -> HashMap<String, usize> {
        self.requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

fn acceptor() -> std::io::Result<TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let mut chain = Vec::new();
    for cert in CertificateDer::pem_slice_iter(SERVER_PEM.as_bytes()) {
        chain.push(cert.map_err(|e| bad(e.to_string()))?);
    }
    chain.push(CertificateDer::from_pem_slice(CA_PEM.as_bytes()).map_err(|e| bad(e.to_string()))?);
    let key =
        PrivateKeyDer::from_pem_slice(SERVER_KEY_PEM.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| bad(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn router(requests: Arc<Mutex<HashMap<String, usize>>>) -> Router {
    Router::new().fallback(move |headers: HeaderMap, uri: Uri| {
        let requests = Arc::clone(&requests);
        async move {
            let host = headers
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .split(':')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            *requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(format!("{host}{}", uri.path()))
                .or_default() += 1;
            let answer = sites::answer(&host, &uri, &headers);
            let mut response = Response::builder().status(answer.status);
            if let Some(ct) = answer.content_type {
                response = response.header("content-type", ct);
            }
            if let Some(location) = &answer.location {
                response = response.header("location", location);
            }
            response.body(Body::from(answer.body)).unwrap_or_else(|_| {
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                r
            })
        }
    })
}

/// Accepts connections: TLS when the client starts a handshake, plain HTTP otherwise.
async fn serve(listener: TcpListener, acceptor: TlsAcceptor, app: Router) {
    let listener = Either { listener, acceptor };
    let _ = axum::serve(listener, app).await;
}

struct Either {
    listener: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for Either {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        loop {
            let Ok((stream, addr)) = self.listener.accept().await else {
                continue;
            };
            let mut first = [0u8; 1];
            let is_tls = matches!(
                tokio::time::timeout(std::time::Duration::from_secs(5), stream.peek(&mut first))
                    .await,
                Ok(Ok(1))
            ) && first[0] == 0x16;
            if !is_tls {
                return (Conn::Plain(stream), addr);
            }
            let handshake = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                self.acceptor.accept(stream),
            );
            if let Ok(Ok(tls)) = handshake.await {
                return (Conn::Tls(Box::new(tls)), addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// A plain or TLS connection.
enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
