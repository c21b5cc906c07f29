//! Test support: real axum servers on 127.0.0.1 and a fetcher config for them.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use jujiao_fetch::{FetchRequest, FetcherConfig, Politeness, RetryPolicy, RobotsConfig};
use url::Url;

/// Serve `app` on a random local port; returns the base URL (`http://127.0.0.1:port/`).
pub async fn serve(app: Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    Url::parse(&format!("http://{addr}/")).expect("url")
}

/// Config for local tests: private addresses allowed, robots ignored, no delays,
/// short timeouts and backoff.
pub fn config() -> FetcherConfig {
    FetcherConfig {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        politeness: Politeness::off(8),
        retry: RetryPolicy {
            max_attempts: 3,
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        },
        robots: RobotsConfig {
            is_ignored: true,
            ..RobotsConfig::default()
        },
        allow_private: true,
        ..FetcherConfig::default()
    }
}

/// GET request for `path` under `base`.
pub fn get(base: &Url, path: &str) -> FetchRequest {
    FetchRequest::new(base.join(path).expect("join"))
}

/// A response with `status`, headers and body.
pub fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response<Body> {
    let mut response = Response::new(body.into());
    *response.status_mut() = StatusCode::from_u16(status).expect("status");
    for (name, value) in headers {
        response.headers_mut().append(
            header::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    response
}

/// Server-side record of requests: count, in-flight peak and start times.
#[derive(Debug, Default)]
pub struct Tally {
    pub hits: AtomicUsize,
    in_flight: AtomicUsize,
    pub peak: AtomicUsize,
    pub starts: Mutex<Vec<Instant>>,
}

impl Tally {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Record a request start; the guard records its end.
    pub fn enter(self: &Arc<Self>) -> TallyGuard {
        self.hits.fetch_add(1, Ordering::SeqCst);
        self.starts.lock().expect("lock").push(Instant::now());
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        TallyGuard(Arc::clone(self))
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Gaps between consecutive request starts.
    pub fn gaps(&self) -> Vec<Duration> {
        let mut starts = self.starts.lock().expect("lock").clone();
        starts.sort();
        starts.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

pub struct TallyGuard(Arc<Tally>);

impl Drop for TallyGuard {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
