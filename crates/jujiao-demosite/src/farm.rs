//! Many small sites at once, for the worker tests and benchmark: `hosts` servers on
//! loopback (one port each, so each is its own host for politeness), each with
//! `articles` article pages behind TRS list pages of `per_page` links, every answer
//! given after `delay`. Each server counts its requests in flight and remembers the
//! most it ever had at once, so a test can check per-host concurrency from the server's
//! side, and counts requests per path.
//!
//! A test can also hold answers back ([`Farm::hold`]): the matching requests wait,
//! counted in flight, until [`Farm::release`]; [`Farm::until_held`] waits until a number
//! of them are waiting. So a test decides when a worker's fetches finish (kill it while
//! it has pages in hand, stop it mid-run, keep a page slower than a lease) instead of
//! guessing with delays how far it got.

use crate::content::SENTENCES;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

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
    starts: Mutex<Vec<(Instant, String)>>,
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

    /// When each request came, with its path, in order of arrival.
    pub fn starts(&self) -> Vec<(Instant, String)> {
        self.starts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How often each path was requested.
    pub fn by_path(&self) -> HashMap<String, usize> {
        self.by_path
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Which answers [`Farm::hold`] keeps back. The default holds every request.
#[derive(Debug, Clone, Default)]
pub struct Hold {
    /// Only article pages (list pages and robots.txt are answered as usual).
    pub articles_only: bool,
    /// Only requests whose `User-Agent` contains this (a worker given its own
    /// `user_agent` in its sources file).
    pub user_agent: Option<String>,
}

impl Hold {
    /// Article pages asked by anyone.
    pub fn articles() -> Hold {
        Hold {
            articles_only: true,
            user_agent: None,
        }
    }

    /// Only the requests whose `User-Agent` contains `agent`.
    pub fn from_user_agent(mut self, agent: &str) -> Hold {
        self.user_agent = Some(agent.to_owned());
        self
    }

    fn matches(&self, path: &str, headers: &HeaderMap) -> bool {
        if self.articles_only && !is_article_path(path) {
            return false;
        }
        match &self.user_agent {
            None => true,
            Some(agent) => headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains(agent.as_str())),
        }
    }
}

/// A request being held: (host index, path).
pub type HeldRequest = (usize, String);

/// The hold shared by every host of a farm.
#[derive(Debug)]
struct Gate {
    /// The rule in force; `None` when nothing is held. Requests check it and subscribe
    /// to `released` under this lock, and [`Farm::release`] takes it too, so no
    /// request can miss a release.
    rule: Mutex<Option<Hold>>,
    released: watch::Sender<bool>,
    held: watch::Sender<Vec<HeldRequest>>,
}

impl Gate {
    fn new() -> Gate {
        Gate {
            rule: Mutex::new(None),
            released: watch::Sender::new(true),
            held: watch::Sender::new(Vec::new()),
        }
    }

    /// Waits while a hold matches this request.
    async fn pass(&self, host: usize, path: &str, headers: &HeaderMap) {
        let mut released = {
            let rule = self.rule.lock().unwrap_or_else(PoisonError::into_inner);
            match &*rule {
                Some(hold) if hold.matches(path, headers) => self.released.subscribe(),
                _ => return,
            }
        };
        let entry = (host, path.to_owned());
        self.held.send_modify(|held| held.push(entry.clone()));
        // Removed also when the request is dropped (the client hung up or was killed).
        let _registered = Registered(self, entry);
        let _ = released.wait_for(|is_released| *is_released).await;
    }
}

/// Takes a held request off the list when it is answered or dropped.
struct Registered<'a>(&'a Gate, HeldRequest);

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.0.held.send_modify(|held| {
            if let Some(i) = held.iter().position(|h| *h == self.1) {
                held.swap_remove(i);
            }
        });
    }
}

/// The running farm. Dropping it stops every server.
#[derive(Debug)]
pub struct Farm {
    shape: FarmShape,
    addrs: Vec<SocketAddr>,
    stats: Vec<Arc<HostStats>>,
    gate: Arc<Gate>,
    /// The robots.txt every host serves (allows everything unless a test says).
    robots: Arc<Mutex<String>>,
    _stops: Vec<oneshot::Sender<()>>,
}

/// What a farm's robots.txt says until [`Farm::set_robots_txt`].
const ALLOW_ALL: &str = "User-agent: *\nAllow: /\n";

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
        let gate = Arc::new(Gate::new());
        let robots = Arc::new(Mutex::new(ALLOW_ALL.to_owned()));
        for host in 0..shape.hosts {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
            addrs.push(listener.local_addr()?);
            let counters = Arc::new(HostStats::default());
            stats.push(Arc::clone(&counters));
            let host_gate = Arc::clone(&gate);
            let host_robots = Arc::clone(&robots);
            let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
                let counters = Arc::clone(&counters);
                let gate = Arc::clone(&host_gate);
                let robots = Arc::clone(&host_robots);
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
                    counters
                        .starts
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((Instant::now(), uri.path().to_owned()));
                    gate.pass(host, uri.path(), &headers).await;
                    if !shape.delay.is_zero() {
                        tokio::time::sleep(shape.delay).await;
                    }
                    if uri.path() == "/robots.txt" {
                        let text = robots
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .clone();
                        return (StatusCode::OK, text).into_response();
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
            gate,
            robots,
            _stops: stops,
        })
    }

    /// What every host's robots.txt says from now on (a fetcher that already read it
    /// keeps its copy for a while).
    pub fn set_robots_txt(&self, text: &str) {
        *self.robots.lock().unwrap_or_else(PoisonError::into_inner) = text.to_owned();
    }

    /// The path of article `n` (as in robots.txt), e.g. `/news/202501/t20250101_3.html`.
    pub fn article_path(&self, n: usize) -> String {
        format!("/news/{}", &article_path(n)[2..])
    }

    /// From now on, requests that `hold` matches wait (counted in flight) until
    /// [`Farm::release`]. A new hold replaces the previous rule; requests already
    /// waiting go on waiting.
    pub fn hold(&self, hold: Hold) {
        let mut rule = self
            .gate
            .rule
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *rule = Some(hold);
        self.gate.released.send_replace(false);
    }

    /// Answers every held request and holds no more.
    pub fn release(&self) {
        let mut rule = self
            .gate
            .rule
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *rule = None;
        self.gate.released.send_replace(true);
    }

    /// The requests waiting now, as (host index, path), in no particular order.
    pub fn held(&self) -> Vec<HeldRequest> {
        self.gate.held.borrow().clone()
    }

    /// Waits until at least `n` requests are being held; returns them. Bound it with
    /// `tokio::time::timeout`: it waits for ever if they never come.
    pub async fn until_held(&self, n: usize) -> Vec<HeldRequest> {
        let mut held = self.gate.held.subscribe();
        let now = held
            .wait_for(|h| h.len() >= n)
            .await
            .expect("the farm owns the sender");
        now.clone()
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
        format!("{}{}", self.base_url(i), self.article_path(n))
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

/// An article page's path (`/news/2025MM/t2025MMDD_N.html`), not a list page.
fn is_article_path(path: &str) -> bool {
    path.starts_with("/news/") && path.contains("/t2025")
}

fn serve(shape: &FarmShape, host: usize, path: &str) -> Response {
    let html =
        |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
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
