//! A generated site for the end-to-end throughput benchmark: `articles` article pages of
//! 30–60 KB (like real TRS article pages: most of the bytes are navigation, scripts and
//! footers around a few KB of text) behind TRS list pages of `per_page` links each.
//! Pages are generated from their number on each request, so the site costs no memory.

use crate::content::SENTENCES;
use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;

/// A running benchmark site. Dropping it stops the server.
#[derive(Debug)]
pub struct BenchSite {
    addr: SocketAddr,
    shape: Arc<Shape>,
    _stop: oneshot::Sender<()>,
}

#[derive(Debug)]
struct Shape {
    articles: usize,
    per_page: usize,
    requests: AtomicU64,
}

impl BenchSite {
    /// Serves `articles` articles, `per_page` links per list page, on a free loopback port.
    pub async fn start(articles: usize, per_page: usize) -> std::io::Result<BenchSite> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shape = Arc::new(Shape {
            articles,
            per_page: per_page.max(1),
            requests: AtomicU64::new(0),
        });
        let state = Arc::clone(&shape);
        let app = Router::new().fallback(move |uri: Uri| {
            let state = Arc::clone(&state);
            async move { serve(&state, uri.path()) }
        });
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(BenchSite {
            addr,
            shape,
            _stop: stop,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Number of list pages.
    pub fn list_pages(&self) -> usize {
        self.shape.articles.div_ceil(self.shape.per_page)
    }

    /// Requests served so far.
    pub fn requests(&self) -> u64 {
        self.shape.requests.load(Ordering::Relaxed)
    }

    /// A sources file crawling the whole site with politeness off.
    pub fn config_toml(&self, output: &str, database: &str) -> String {
        format!(
            "[settings]\ndatabase = \"{database}\"\noutput = \"{output}\"\ndelay = \"0s\"\n\
concurrency_per_host = 16\nallow_private = true\n\n[[source]]\nid = \"bench\"\nname = \"benchmark site\"\n\
column = \"国内新闻\"\nlist_urls = [\"{base}/news/\"]\npagination = {{ kind = \"trs\", pages = {pages} }}\n\
link = \"ul.list > li > a\"\nmax_new_per_run = {max}\n",
            base = self.base_url(),
            pages = self.list_pages(),
            max = self.shape.articles,
        )
    }
}

fn serve(shape: &Shape, path: &str) -> Response {
    shape.requests.fetch_add(1, Ordering::Relaxed);
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
            return html(list_page(shape, page));
        }
        if let Some(n) = rest
            .rsplit_once('_')
            .and_then(|(_, n)| n.strip_suffix(".html"))
            .and_then(|n| n.parse::<usize>().ok())
            && n < shape.articles
        {
            return html(article_page(n));
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

fn title(n: usize) -> String {
    format!(
        "第{n}号：{}",
        &SENTENCES[n % SENTENCES.len()]
            .chars()
            .take(16)
            .collect::<String>()
    )
}

fn list_page(shape: &Shape, page: usize) -> String {
    let mut items = String::new();
    let first = page * shape.per_page;
    for n in first..(first + shape.per_page).min(shape.articles) {
        let (m, d) = day_of(n);
        items.push_str(&format!(
            "<li><a href=\"{}\">{}</a><span>2025-{m:02}-{d:02}</span></li>\n",
            article_path(n),
            title(n)
        ));
    }
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>要闻</title></head><body>{nav}\
<ul class=\"list\">{items}</ul>{footer}</body></html>",
        nav = navigation(),
        footer = FOOTER
    )
}

fn article_page(n: usize) -> String {
    let (m, d) = day_of(n);
    let mut body = String::new();
    let paragraphs = 4 + n % 8;
    for i in 0..paragraphs {
        body.push_str("<p>　　");
        for k in 0..3 + (n + i) % 4 {
            body.push_str(SENTENCES[(n + i * 3 + k) % SENTENCES.len()]);
        }
        body.push_str("</p>\n");
    }
    // Real article pages are mostly scripts, styles and navigation: 30–60 KB in all.
    let padding = 20_000 + (n * 7919) % 30_000;
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"PubDate\" content=\"2025-{m:02}-{d:02} 10:00\">\
<title>{title}_要闻_基准测试网站</title><style>{style}</style><script>{script}</script></head><body>{nav}\
<div class=\"article\"><h1>{title}</h1><div class=\"info\">发布时间：2025-{m:02}-{d:02} 10:00 来源：基准测试网站</div>\
<div class=\"TRS_Editor\">{body}</div></div>{related}{footer}</body></html>",
        title = title(n),
        style = ".nav{margin:0} ".repeat(padding / 3 / 16),
        script = "var _trs_u=[];function f(a){return a+1;} ".repeat(padding / 3 / 40),
        nav = navigation(),
        related = related(n),
        footer = FOOTER,
    )
}

fn navigation() -> String {
    let mut nav = String::from("<div class=\"nav\"><ul>");
    for i in 0..60 {
        nav.push_str(&format!("<li><a href=\"/channel{i}/\">栏目{i}</a></li>"));
    }
    nav.push_str("</ul></div>");
    nav
}

fn related(n: usize) -> String {
    let mut r = String::from("<div class=\"related\"><h3>相关新闻</h3><ul>");
    for k in 1..=10 {
        let m = (n + k * 37) % 10_000;
        r.push_str(&format!(
            "<li><a href=\"/news/{}\">{}</a></li>",
            &article_path(m)[2..],
            title(m)
        ));
    }
    r.push_str("</ul></div>");
    r
}

const FOOTER: &str = "<div class=\"footer\">主办单位：基准测试网站 版权所有 京ICP备00000000号 \
<a href=\"/about/\">关于我们</a> <a href=\"/contact/\">联系我们</a> <a href=\"/sitemap/\">网站地图</a></div>";
