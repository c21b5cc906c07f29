//! A demo website for `jujiao demo` and for the crawler's tests: served on 127.0.0.1 (a
//! free port), offline, built from [`content`]. It behaves like the office's real sources
//! — TRS pagination, GBK pages declaring gb2312, conditional GET on list pages, a
//! robots.txt, one page failing with 500, one missing page, a newspaper edition whose
//! page PDFs include an HTML error page served as `.pdf` — and counts what it is asked,
//! so tests can check politeness from the server's side.

pub mod bench;
pub mod content;
pub mod farm;
pub mod replica;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use chrono::NaiveDate;
use content::{DemoArticle, Section};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::oneshot;

/// A running demo site. Dropping it stops the server.
#[derive(Debug)]
pub struct DemoSite {
    addr: SocketAddr,
    state: Arc<State>,
    _stop: oneshot::Sender<()>,
}

/// What the server saw.
#[derive(Debug, Default, Clone)]
pub struct Traffic {
    /// Requests per path.
    pub requests: HashMap<String, usize>,
    /// Responses answered `304 Not Modified`.
    pub not_modified: usize,
    /// The most requests in flight at once.
    pub max_in_flight: usize,
    /// When each request started, in arrival order.
    pub starts: Vec<Instant>,
}

impl Traffic {
    pub fn total(&self) -> usize {
        self.requests.values().sum()
    }
}

#[derive(Debug)]
struct State {
    today: NaiveDate,
    articles: Vec<DemoArticle>,
    traffic: Mutex<(Traffic, usize)>,
    /// Bodies posted to the demo's alert webhook (`POST /hooks/alerts`).
    alerts: Mutex<Vec<String>>,
}

impl DemoSite {
    /// Starts the site on a free loopback port; `today` dates the newest articles and
    /// the newspaper edition.
    pub async fn start(today: NaiveDate) -> std::io::Result<DemoSite> {
        Self::start_on(today, None).await
    }

    /// Like [`DemoSite::start`], trying `port` first (so that a second demo run sees the
    /// same URLs and can show an incremental crawl) and any free port if it is taken.
    pub async fn start_on(today: NaiveDate, port: Option<u16>) -> std::io::Result<DemoSite> {
        let listener = match port {
            Some(p) => match tokio::net::TcpListener::bind(("127.0.0.1", p)).await {
                Ok(l) => l,
                Err(_) => tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?,
            },
            None => tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?,
        };
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            today,
            articles: content::articles(today),
            traffic: Mutex::new((Traffic::default(), 0)),
            alerts: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/hooks/alerts", axum::routing::post(receive_alert))
            .fallback(handle)
            .with_state(Arc::clone(&state));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                eprintln!("demo site stopped: {e}");
            }
        });
        Ok(DemoSite {
            addr,
            state,
            _stop: stop,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port the site listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many article pages the site lists (all sections).
    pub fn article_count(&self) -> usize {
        self.state.articles.len()
    }

    /// The bodies posted to the demo's alert webhook (`{base}/hooks/alerts`), oldest
    /// first: `jujiao demo` points a watch channel there.
    pub fn alerts_received(&self) -> Vec<String> {
        self.state
            .alerts
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// A copy of what the server saw so far.
    pub fn traffic(&self) -> Traffic {
        self.state
            .traffic
            .lock()
            .map(|t| t.0.clone())
            .unwrap_or_default()
    }

    /// The bundled sources file for this site, as `jujiao demo` uses it.
    pub fn config_toml(&self, output: &str, database: &str) -> String {
        DEMO_CONFIG
            .replace("{base}", &self.base_url())
            .replace("{output}", output)
            .replace("{database}", database)
            .replace("{today}", &self.state.today.format("%Y-%m-%d").to_string())
    }

    /// [`config_toml`](Self::config_toml) with another pause between two requests to the
    /// site than the demo's 20 ms (tests: `"5ms"`, to run quicker).
    pub fn config_toml_with_delay(&self, output: &str, database: &str, delay: &str) -> String {
        self.config_toml(output, database)
            .replace(DEMO_DELAY, &format!("delay = \"{delay}\""))
    }
}

/// The demo's sources file; `{base}`, `{output}` and `{database}` are filled in.
pub const DEMO_CONFIG: &str = include_str!("demo.toml");
/// The demo's `delay` setting as written in [`DEMO_CONFIG`].
const DEMO_DELAY: &str = "delay = \"20ms\"";

struct InFlight<'a>(&'a State);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut t) = self.0.traffic.lock() {
            t.1 -= 1;
        }
    }
}

/// The demo's alert webhook: keeps the body, answers like a chat robot.
async fn receive_alert(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    body: String,
) -> &'static str {
    if let Ok(mut a) = state.alerts.lock() {
        a.push(body);
    }
    "{\"errcode\":0,\"errmsg\":\"ok\"}"
}

async fn handle(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_owned();
    if let Ok(mut t) = state.traffic.lock() {
        t.1 += 1;
        let now_in_flight = t.1;
        let traffic = &mut t.0;
        *traffic.requests.entry(path.clone()).or_default() += 1;
        traffic.max_in_flight = traffic.max_in_flight.max(now_in_flight);
        traffic.starts.push(Instant::now());
    }
    let _guard = InFlight(&state);
    // A little latency, as real servers have; keeps in-flight counting meaningful.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let response = route(&state, &path);
    conditional(&state, &headers, response)
}

enum Page {
    Html {
        text: String,
        gbk: bool,
        list: bool,
    },
    Bytes {
        bytes: Vec<u8>,
        content_type: &'static str,
    },
    Status(StatusCode, &'static str),
}

fn route(state: &State, path: &str) -> Page {
    if path == "/robots.txt" {
        return Page::Bytes {
            bytes: b"User-agent: *\nDisallow: /private/\n".to_vec(),
            content_type: "text/plain",
        };
    }
    if path == "/" || path == "/index.html" {
        return html(
            "<html><head><meta charset=\"utf-8\"><title>演示区政府网站</title></head><body><h1>演示区政府网站</h1>\
<ul><li><a href=\"/qwyw/cwhd/\">常委活动</a></li><li><a href=\"/qwyw/tzgg/\">通知公告</a></li><li><a href=\"/cj/gdxw/\">财经滚动</a></li></ul></body></html>".into(),
            false,
        );
    }
    if let Some(rest) = path.strip_prefix("/paper/") {
        return paper(state, rest);
    }
    for section in Section::ALL {
        let Some(rest) = path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(section.path()))
            .and_then(|p| p.strip_prefix('/'))
        else {
            continue;
        };
        let page = match rest {
            "" | "index.html" => Some(0),
            _ => rest
                .strip_prefix("index_")
                .and_then(|r| r.strip_suffix(".html"))
                .and_then(|n| n.parse::<usize>().ok()),
        };
        if let Some(page) = page {
            return match content::list_page(&state.articles, section, page) {
                Some(text) => Page::Html {
                    text,
                    gbk: section.is_gbk(),
                    list: true,
                },
                None => Page::Status(StatusCode::NOT_FOUND, "页面不存在"),
            };
        }
        if rest.ends_with("_9500.html") {
            return Page::Status(StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误");
        }
        if rest.ends_with(".png") {
            return Page::Bytes {
                bytes: content::PNG.to_vec(),
                content_type: "image/png",
            };
        }
        if rest.ends_with(".pdf") {
            return Page::Bytes {
                bytes: content::pdf("Notice attachment"),
                content_type: "application/pdf",
            };
        }
        if let Some(a) = state
            .articles
            .iter()
            .find(|a| a.section == section && a.rel() == rest)
        {
            return html(content::article_page(a), section.is_gbk());
        }
    }
    Page::Status(StatusCode::NOT_FOUND, "页面不存在")
}

fn paper(state: &State, rest: &str) -> Page {
    let day = state.today;
    let prefix = format!("{}", day.format("%Y-%m/%d/"));
    if let Some(file) = rest
        .strip_prefix("html/")
        .and_then(|r| r.strip_prefix(&prefix))
    {
        if file == "node_1.htm" {
            return html(content::edition_page(day), false);
        }
    } else if let Some(file) = rest
        .strip_prefix("pdf/")
        .and_then(|r| r.strip_prefix(&prefix))
    {
        return match file {
            "01.pdf" | "02.pdf" | "04.pdf" => Page::Bytes {
                bytes: content::pdf(&format!("Demo Daily page {file}")),
                content_type: "application/pdf",
            },
            // The old system filed this as a PDF: status 200, but an HTML error page.
            "03.pdf" => html(
                "<html><body><h1>系统繁忙，请稍后再试</h1></body></html>".into(),
                false,
            ),
            _ => Page::Status(StatusCode::NOT_FOUND, "页面不存在"),
        };
    }
    Page::Status(StatusCode::NOT_FOUND, "页面不存在")
}

fn html(text: String, gbk: bool) -> Page {
    Page::Html {
        text,
        gbk,
        list: false,
    }
}

fn conditional(state: &State, headers: &HeaderMap, page: Page) -> Response {
    let (status, bytes, content_type, etag) = match page {
        Page::Html { text, gbk, list } => {
            let bytes = if gbk {
                encoding_rs::GBK.encode(&text).0.into_owned()
            } else {
                text.into_bytes()
            };
            let etag = list.then(|| format!("\"{:x}\"", fnv(&bytes)));
            // Real GBK sites send the charset they declare: gb2312.
            let ct = if gbk {
                "text/html; charset=gb2312"
            } else {
                "text/html; charset=utf-8"
            };
            (StatusCode::OK, bytes, ct, etag)
        }
        Page::Bytes {
            bytes,
            content_type,
        } => (StatusCode::OK, bytes, content_type, None),
        Page::Status(status, text) => (
            status,
            format!(
                "<html><body><h1>{}</h1><p>{text}</p></body></html>",
                status.as_u16()
            )
            .into_bytes(),
            "text/html; charset=utf-8",
            None,
        ),
    };
    let mut builder = Response::builder().header(header::CONTENT_TYPE, content_type);
    if let Some(etag) = &etag {
        let matches = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
        builder = builder.header(
            header::ETAG,
            HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        );
        if matches {
            if let Ok(mut t) = state.traffic.lock() {
                t.0.not_modified += 1;
            }
            return builder
                .status(StatusCode::NOT_MODIFIED)
                .body(Body::empty())
                .unwrap_or_default();
        }
    }
    builder
        .status(status)
        .body(Body::from(bytes))
        .unwrap_or_default()
}

/// FNV-1a: a stable ETag for list pages (identical pages give identical tags).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_delay_is_the_line_replaced() {
        assert_eq!(DEMO_CONFIG.matches(DEMO_DELAY).count(), 1);
    }
}
