//! Many small sites at once, for the worker tests and benchmark: `hosts` servers on
//! loopback (one port each, so each is its own host for politeness), each with
//! `articles` article pages behind TRS list pages of `per_page` links, every answer
//! given after `delay`. Each server counts its requests in flight and remembers the
//! most it ever had at once, so a test can check per-host concurrency from the server's
//! side, and counts requests per path.

use crate::content::SENTENCES;
use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;

/// What every host of a farm serves.
#[derive(Debug, Clone, Copy)]
pub struct FarmShape {
    pub hosts: usize,
    pub articles: usize,
    pub per_page: usize,
    /// Each answer waits this long (a slow site, or a far one).
    pub delay: Duration,
}

/// One host's counters.
#[derive(Debug, Default)]
pub struct HostStats {
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    requests: AtomicUsize,
    by_path: Mutex<HashMap<String, usize>>,
}

impl HostStats {
    /// The most requests this host ever had in flight at once.
    pub fn most_in_flight(&self) -> usize {
        self.most_in_flight.load(Ordering::SeqCst)
    }

    /// Requests answered or in flight.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// How often each path was requested.
    pub fn by_path(&self) -> HashMap<String, usize> {
        self.by_path
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The running farm. Dropping it stops every server.
#[derive(Debug)]
pub struct Farm {
    shape: FarmShape,
    addrs: Vec<SocketAddr>,
    stats: Vec<Arc<HostStats>>,
    _stops: Vec<oneshot::Sender<()>>,
}

/// Decrements the in-flight count when the answer is done (also when cancelled).
struct InFlight(Arc<HostStats>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Farm {
    /// Starts `shape.hosts` servers on free loopback ports.
    pub async fn start(shape: FarmShape) -> std::io::Result<Farm> {
        let mut addrs = Vec::new();
        let mut stats = Vec::new();
        let mut stops = Vec::new();
        for host in 0..shape.hosts {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
            addrs.push(listener.local_addr()?);
            let counters = Arc::new(HostStats::default());
            stats.push(Arc::clone(&counters));
            let app = Router::new().fallback(move |uri: Uri| {
                let counters = Arc::clone(&counters);
                async move {
                    let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    let _guard = InFlight(Arc::clone(&counters));
                    counters.most_in_flight.fetch_max(now, Ordering::SeqCst);
                    counters.requests.fetch_add(1, Ordering::SeqCst);
                    *counters
                        .by_path
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .entry(uri.path().to_owned())
                        .or_default() += 1;
                    if !shape.delay.is_zero() {
                        tokio::time::sleep(shape.delay).await;
                    }
                    serve(&shape, host, uri.path())
                }
            });
            let (stop, stopped) = oneshot::channel::<()>();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
            stops.push(stop);
        }
        Ok(Farm {
            shape,
            addrs,
            stats,
            _stops: stops,
        })
    }

    pub fn shape(&self) -> FarmShape {
        self.shape
    }

    /// `http://127.0.0.1:<port>` of host `i`.
    pub fn base_url(&self, i: usize) -> String {
        format!("http://{}", self.addrs[i])
    }

    /// Counters of host `i`.
    pub fn stats(&self, i: usize) -> &HostStats {
        &self.stats[i]
    }

    /// Article pages over all hosts.
    pub fn total_articles(&self) -> usize {
        self.shape.hosts * self.shape.articles
    }

    /// The URL of article `n` of host `i`, as the crawler stores it.
    pub fn article_url(&self, i: usize, n: usize) -> String {
        format!("{}/news/{}", self.base_url(i), &article_path(n)[2..])
    }

    /// A sources file with one source per host: `concurrency` requests per host at
    /// once, `delay` between two requests on a slot.
    pub fn config_toml(
        &self,
        output: &str,
        database: &str,
        concurrency: usize,
        delay: &str,
    ) -> String {
        let mut text = format!(
            "[settings]\ndatabase = \"{database}\"\noutput = \"{output}\"\ndelay = \"{delay}\"\n\
concurrency_per_host = {concurrency}\nallow_private = true\n"
        );
        let pages = self.shape.articles.div_ceil(self.shape.per_page.max(1));
        for i in 0..self.shape.hosts {
            text.push_str(&format!(
                "\n[[source]]\nid = \"host{i}\"\nname = \"站点{i}\"\ncolumn = \"国内新闻\"\n\
list_urls = [\"{base}/news/\"]\npagination = {{ kind = \"trs\", pages = {pages} }}\n\
link = \"ul.list > li > a\"\nmax_new_per_run = {max}\n",
                base = self.base_url(i),
                max = self.shape.articles,
            ));
        }
        text
    }
}

fn serve(shape: &FarmShape, host: usize, path: &str) -> Response {
    let html =
        |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    if path == "/robots.txt" {
        return (StatusCode::OK, "User-agent: *\nAllow: /\n").into_response();
    }
    if let Some(rest) = path.strip_prefix("/news/") {
        let page = match rest {
            "" | "index.html" => Some(0),
            r => r
                .strip_prefix("index_")
                .and_then(|r| r.strip_suffix(".html"))
                .and_then(|n| n.parse::<usize>().ok()),
        };
        if let Some(page) = page
            && page * shape.per_page < shape.articles
        {
            return html(list_page(shape, host, page));
        }
        if let Some(n) = rest
            .rsplit_once('_')
            .and_then(|(_, n)| n.strip_suffix(".html"))
            .and_then(|n| n.parse::<usize>().ok())
            && n < shape.articles
        {
            return html(article_page(host, n));
        }
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

fn day_of(n: usize) -> (u32, u32) {
    (1 + (n / 28 / 28) as u32 % 12, 1 + (n / 28) as u32 % 28)
}

fn article_path(n: usize) -> String {
    let (m, d) = day_of(n);
    format!("./2025{m:02}/t2025{m:02}{d:02}_{n}.html")
}

fn title(host: usize, n: usize) -> String {
    format!(
        "站点{host}第{n}号：{}",
        &SENTENCES[(host + n) % SENTENCES.len()]
            .chars()
            .take(12)
            .collect::<String>()
    )
}

fn list_page(shape: &FarmShape, host: usize, page: usize) -> String {
    let mut items = String::new();
    let first = page * shape.per_page;
    for n in first..(first + shape.per_page).min(shape.articles) {
        let (m, d) = day_of(n);
        items.push_str(&format!(
            "<li><a href=\"{}\">{}</a><span>2025-{m:02}-{d:02}</span></li>\n",
            article_path(n),
            title(host, n)
        ));
    }
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>要闻</title></head><body>\
<ul class=\"list\">{items}</ul></body></html>"
    )
}

fn article_page(host: usize, n: usize) -> String {
    let (m, d) = day_of(n);
    let mut body = String::new();
    for i in 0..4 + n % 4 {
        body.push_str(&format!("<p>　　站点{host}第{n}号第{i}段。"));
        for k in 0..3 {
            body.push_str(SENTENCES[(host + n + i * 3 + k) % SENTENCES.len()]);
        }
        body.push_str("</p>\n");
    }
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"PubDate\" content=\"2025-{m:02}-{d:02} 10:00\">\
<title>{title}_要闻</title></head><body><div class=\"article\"><h1>{title}</h1>\
<div class=\"info\">发布时间：2025-{m:02}-{d:02} 10:00 来源：站点{host}</div>\
<div class=\"TRS_Editor\">{body}</div></div></body></html>",
        title = title(host, n),
    )
}
