#![allow(clippy::unwrap_used)]
//! JSON list APIs, portal forms with sessions, feeds and sitemaps, against real axum
//! servers on 127.0.0.1 and a real SQLite file.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response, StatusCode, Uri, header};
use axum::routing::{get, post};
use chrono::{Duration, NaiveDate, Utc};
use jujiao_config::Config;
use jujiao_crawl::{Crawler, Quiet, RunOptions, SourceReport, Verdict};
use jujiao_fetch::HttpFetcher;
use jujiao_model::AttachmentKind;
use jujiao_store::{FilingQuery, SqliteStore, Store};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use url::Url;

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&jujiao_model::shanghai())
        .date_naive()
}

fn day(days_ago: i64) -> NaiveDate {
    today() - Duration::days(days_ago)
}

/// An article page; `date` is shown on the page when given.
fn article(title: &str, date: Option<NaiveDate>) -> String {
    let date = date
        .map(|d| format!("<div class=\"info\">发布时间：{d}</div>"))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a> &gt; <a href=\"/tzgg/\">通知公告</a></div>\
<h1>{title}</h1>{date}<div class=\"content\">\
<p>　　{title}。为深入贯彻落实有关工作部署，进一步做好本年度各项重点任务，现将有关事项通知如下，请各单位认真组织实施。</p>\
<p>　　一、提高思想认识。各单位要充分认识做好此项工作的重要意义，切实加强组织领导，明确责任分工，确保各项措施落到实处。</p>\
<p>　　二、加强统筹协调。各部门要密切配合，形成工作合力，及时研究解决工作中遇到的困难和问题，重要情况及时报告。</p>\
</div><div class=\"footer\">版权所有 联系我们</div></body></html>"
    )
}

fn html(body: String) -> Response<Body> {
    reply(200, &[("content-type", "text/html; charset=utf-8")], body)
}

fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response<Body> {
    let mut r = Response::new(body.into());
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    for (k, v) in headers {
        r.headers_mut().append(
            header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    r
}

/// Serves `/art/<n>.html` article pages (title `文章<n>`, dated `n` days ago, except
/// `/art/nodate-<n>.html`) and `/file/<n>.pdf` PDF files.
async fn pages(uri: Uri) -> Response<Body> {
    let path = uri.path();
    if let Some(n) = path
        .strip_prefix("/art/nodate-")
        .and_then(|p| p.strip_suffix(".html"))
    {
        return html(article(&format!("无日期文章{n}"), None));
    }
    if let Some(n) = path
        .strip_prefix("/art/")
        .and_then(|p| p.strip_suffix(".html"))
    {
        let n: i64 = n.parse().unwrap_or(0);
        return html(article(&format!("文章{n}"), Some(day(n))));
    }
    if path.starts_with("/file/") {
        return reply(
            200,
            &[("content-type", "application/octet-stream")],
            &b"%PDF-1.4\n% a notice\n"[..],
        );
    }
    reply(404, &[], "not found")
}

async fn serve(app: Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Url::parse(&format!("http://{addr}/")).unwrap()
}

struct Setup {
    store: Arc<dyn Store>,
    config: Config,
    _dir: tempfile::TempDir,
}

async fn setup(sources: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let text = format!(
        "[settings]\nallow_private = true\nrespect_robots = false\ndelay = \"0s\"\ndatabase = \"{}\"\n\n{sources}",
        db.to_string_lossy()
    );
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db.to_str().unwrap()).await.unwrap());
    Setup {
        store,
        config,
        _dir: dir,
    }
}

fn crawler(s: &Setup) -> Crawler {
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&s.config));
    jujiao_crawl::register_sources(&s.config, &fetcher).unwrap();
    Crawler::new(s.config.clone(), Arc::clone(&s.store), Arc::new(fetcher)).unwrap()
}

async fn crawl(s: &Setup, id: &str) -> SourceReport {
    crawler(s)
        .run_source(id, RunOptions::default(), &Quiet)
        .await
        .unwrap()
}

async fn filed(store: &dyn Store, column: &str) -> Vec<jujiao_store::FiledArticle> {
    let q = FilingQuery {
        column: Some(column.into()),
        ..FilingQuery::default()
    };
    store.filed_articles(&q).await.unwrap()
}

// ---------------------------------------------------------------- JSON list API

#[derive(Default)]
struct Api {
    /// Page numbers asked for, in order.
    pages: Mutex<Vec<u64>>,
}

/// A POST JSON API: 3 items per page, item `n` dated `n` days ago; items 1–12.
async fn api_list(State(api): State<Arc<Api>>, headers: HeaderMap, body: String) -> Response<Body> {
    assert_eq!(
        headers.get("content-type").unwrap().to_str().unwrap(),
        "application/json"
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let page = v["pageNo"].as_u64().unwrap();
    api.pages.lock().unwrap().push(page);
    let first = (page - 1) * 3 + 1;
    let list: Vec<serde_json::Value> = (first..first + 3)
        .filter(|n| *n <= 12)
        .map(|n| {
            // Items 1–3 are 10 days apart so page 2 crosses the 30-day cutoff.
            let age = if n <= 3 { n * 10 - 9 } else { n * 10 };
            serde_json::json!({
                "title": format!("接口文章{n}"),
                "id": age,
                "pubDate": day(age as i64).format("%Y-%m-%d 09:30:00").to_string(),
            })
        })
        .collect();
    reply(
        200,
        &[("content-type", "application/json;charset=UTF-8")],
        serde_json::json!({"code": 0, "data": {"total": 12, "list": list}}).to_string(),
    )
}

#[tokio::test]
async fn json_api_paginates_until_the_date_cutoff_then_stops_at_known_items() {
    let api = Arc::new(Api::default());
    let app = Router::new()
        .route("/api/list", post(api_list))
        .fallback(pages)
        .with_state(Arc::clone(&api));
    let base = serve(app).await;
    let s = setup(&format!(
        r#"
[[source]]
id = "api"
kind = "json"
column = "接口"
endpoint = "{base}api/list"
method = "POST"
body = '{{"pageNo": {{page}}, "pageSize": 3}}'
pages = 4
max_age = "30d"
[source.json]
items = "data.list[*]"
title = "title"
id = "id"
url_template = "{base}art/{{id}}.html"
date = "pubDate"
"#
    ))
    .await;
    let r = crawl(&s, "api").await;
    // Items are 1, 11, 21 days old on page 1, then 40, 50, 60: page 2 crosses the
    // cutoff, so page 3 is never asked for.
    assert_eq!(*api.pages.lock().unwrap(), vec![1, 2]);
    assert_eq!(r.tally.new, 3, "{r:?}");
    assert_eq!(r.verdict, Verdict::Ok, "{r:?}");
    let articles = filed(s.store.as_ref(), "接口").await;
    let mut titles: Vec<_> = articles.iter().map(|a| a.article.title.clone()).collect();
    titles.sort();
    assert_eq!(titles, ["文章1", "文章11", "文章21"]);

    // Next run: page 1 holds only stored items, so pagination stops there.
    let r = crawl(&s, "api").await;
    assert_eq!(*api.pages.lock().unwrap(), vec![1, 2, 1]);
    assert_eq!((r.tally.new, r.article_pages), (0, 0), "{r:?}");
}

// ---------------------------------------------------------------- form portal

#[derive(Default)]
struct Portal {
    /// Session pages served (each hands out a new session).
    sessions: AtomicUsize,
    /// Valid session id → list requests it answered.
    used: Mutex<HashMap<String, usize>>,
    /// A session answers this many list requests, then expires.
    budget: usize,
    /// When set, the session page hands out no cookie (the login is broken).
    is_broken: bool,
    /// How the list answers without a session: a redirect, or a login page itself.
    redirects: bool,
    forms: Mutex<Vec<String>>,
}

async fn portal_index(State(p): State<Arc<Portal>>) -> Response<Body> {
    let n = p.sessions.fetch_add(1, Ordering::SeqCst) + 1;
    if p.is_broken {
        return html("<html><body>门户首页</body></html>".into());
    }
    let id = format!("s{n}");
    p.used.lock().unwrap().insert(id.clone(), 0);
    reply(
        200,
        &[
            ("content-type", "text/html; charset=utf-8"),
            ("set-cookie", &format!("JSESSIONID={id}; Path=/")),
        ],
        "<html><body>门户首页</body></html>",
    )
}

const LOGIN_PAGE: &str = "<html><head><title>统一身份认证</title></head><body><form action=\"/login.do\" method=\"post\">\
用户名 <input name=\"user\"> 密码 <input type=\"password\" name=\"pwd\"><button>登录</button></form></body></html>";

async fn portal_login() -> Response<Body> {
    html(LOGIN_PAGE.into())
}

/// The notice list: 2 notices per page (`number` is the page); the second notice of
/// page 1 is a PDF.
async fn portal_list(
    State(p): State<Arc<Portal>>,
    headers: HeaderMap,
    body: String,
) -> Response<Body> {
    p.forms.lock().unwrap().push(body.clone());
    let session = headers
        .get("cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| {
            c.split(';')
                .find_map(|kv| kv.trim().strip_prefix("JSESSIONID="))
        })
        .map(str::to_owned);
    let is_valid = session.is_some_and(|id| {
        let mut used = p.used.lock().unwrap();
        match used.get_mut(&id) {
            Some(n) if *n < p.budget => {
                *n += 1;
                true
            }
            _ => false,
        }
    });
    if !is_valid {
        return if p.redirects {
            reply(302, &[("location", "/login.jsp?expired=1")], "")
        } else {
            html(LOGIN_PAGE.into())
        };
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form.get("infoID").map(String::as_str), Some("12"));
    let page: i64 = form["number"].parse().unwrap();
    let mut items = String::new();
    if page <= 3 {
        for k in 0..2 {
            let n = (page - 1) * 2 + k + 1;
            let href = if n == 2 {
                "/file/2.pdf".to_owned()
            } else {
                format!("/art/{n}.html")
            };
            items.push_str(&format!(
                "<li><a href=\"{href}\">门户通知{n}</a><span class=\"d\">{}</span></li>",
                day(n)
            ));
        }
    }
    html(format!(
        "<html><body><ul class=\"notices\">{items}</ul></body></html>"
    ))
}

fn portal_app(p: Arc<Portal>) -> Router {
    Router::new()
        .route("/index.do", get(portal_index))
        .route("/login.jsp", get(portal_login))
        .route("/notice/list.do", post(portal_list))
        .fallback(pages)
        .with_state(p)
}

fn portal_source(base: &Url) -> String {
    format!(
        r#"
[[source]]
id = "portal"
kind = "form"
column = "通知公告"
endpoint = "{base}notice/list.do"
pages = 4
link = "ul.notices a"
list_date = "ul.notices span.d"
form = {{ infoID = "12", number = "{{page}}" }}
[source.session]
url = "{base}index.do"
login_url = "/login\\.jsp"
"#
    )
}

#[tokio::test]
async fn form_portal_renews_an_expired_session_once_and_files_the_pdf_notice() {
    let portal = Arc::new(Portal {
        budget: 2,
        redirects: true,
        ..Portal::default()
    });
    let base = serve(portal_app(Arc::clone(&portal))).await;
    let s = setup(&portal_source(&base)).await;
    let r = crawl(&s, "portal").await;
    // The first session answers pages 1 and 2; page 3 is redirected to the login page,
    // the session is renewed and page 3 asked again; page 4 is empty.
    assert_eq!(portal.sessions.load(Ordering::SeqCst), 2, "{r:?}");
    let forms = portal.forms.lock().unwrap().clone();
    assert_eq!(
        forms,
        [
            "infoID=12&number=1",
            "infoID=12&number=2",
            "infoID=12&number=3",
            "infoID=12&number=3",
            "infoID=12&number=4"
        ]
    );
    assert_eq!(r.verdict, Verdict::Ok, "{r:?}");
    assert_eq!(r.login_required, None);
    assert_eq!((r.tally.new, r.attachment_articles), (6, 1), "{r:?}");
    let articles = filed(s.store.as_ref(), "通知公告").await;
    let pdf = articles
        .iter()
        .find(|a| a.article.title == "门户通知2")
        .expect("the PDF notice is filed");
    assert_eq!(pdf.article.attachments.len(), 1);
    assert_eq!(pdf.article.attachments[0].kind, AttachmentKind::Pdf);
    assert!(pdf.article.attachments[0].url.ends_with("/file/2.pdf"));
    assert!(pdf.article.paragraphs.is_empty());
    assert_eq!(pdf.filing.date, Some(day(2)), "the list date files it");
}

#[tokio::test]
async fn form_answering_a_login_page_is_renewed_once_then_reported() {
    let portal = Arc::new(Portal {
        budget: 2,
        is_broken: true,
        redirects: false,
        ..Portal::default()
    });
    let base = serve(portal_app(Arc::clone(&portal))).await;
    let s = setup(&portal_source(&base)).await;
    let r = crawl(&s, "portal").await;
    assert_eq!(
        portal.sessions.load(Ordering::SeqCst),
        2,
        "renewed exactly once"
    );
    assert_eq!(portal.forms.lock().unwrap().len(), 2);
    assert_eq!(r.verdict, Verdict::LoginRequired, "{r:?}");
    let evidence = r.login_required.clone().unwrap();
    assert!(
        evidence.contains("password field") && evidence.contains("after renewing"),
        "{evidence}"
    );
    assert_eq!(r.tally.new, 0);
    // Nothing about the session's secrets in the report.
    assert!(!format!("{r:?}").contains("JSESSIONID"));
}

// ---------------------------------------------------------------- feeds and sitemaps

async fn feeds_app() -> Url {
    async fn rss() -> Response<Body> {
        let item = |n: i64| {
            let d = (Utc::now() - Duration::days(n)).to_rfc2822();
            format!(
                "<item><title>RSS文章{n}</title><link>/art/{n}.html</link><pubDate>{d}</pubDate></item>"
            )
        };
        reply(
            200,
            &[("content-type", "application/rss+xml")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>{}{}\
<item><title>无日期</title><link>/art/nodate-1.html</link><pubDate>{}</pubDate></item></channel></rss>",
                item(1),
                item(2),
                (Utc::now() - Duration::days(3)).to_rfc2822()
            ),
        )
    }
    async fn atom() -> Response<Body> {
        let entry = |n: i64| {
            format!(
                "<entry><title>Atom文章{n}</title><link rel=\"alternate\" href=\"/art/{n}.html\"/><updated>{}</updated></entry>",
                (Utc::now() - Duration::days(n)).to_rfc3339()
            )
        };
        reply(
            200,
            &[("content-type", "application/atom+xml")],
            format!(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>{}{}</feed>",
                entry(4),
                entry(5)
            ),
        )
    }
    async fn index(uri: Uri) -> Response<Body> {
        let _ = uri;
        reply(
            200,
            &[("content-type", "application/xml")],
            "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
<sitemap><loc>/sitemap-1.xml</loc></sitemap><sitemap><loc>/sitemap-2.xml</loc></sitemap></sitemapindex>",
        )
    }
    fn urlset(ns: &[i64]) -> Response<Body> {
        let urls: String = ns
            .iter()
            .map(|n| {
                format!(
                    "<url><loc>/art/{n}.html</loc><lastmod>{}</lastmod></url>",
                    day(*n)
                )
            })
            .collect();
        reply(
            200,
            &[("content-type", "application/xml")],
            format!(
                "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>"
            ),
        )
    }
    let app = Router::new()
        .route("/rss.xml", get(rss))
        .route("/atom.xml", get(atom))
        .route("/sitemap.xml", get(index))
        .route("/sitemap-1.xml", get(|| async { urlset(&[6, 7]) }))
        .route("/sitemap-2.xml", get(|| async { urlset(&[8, 9, 400]) }))
        .fallback(pages);
    serve(app).await
}

#[tokio::test]
async fn rss_atom_and_a_sitemap_index_feed_the_article_pipeline() {
    let base = feeds_app().await;
    let s = setup(&format!(
        r#"
[[source]]
id = "rss"
kind = "feed"
column = "RSS"
list_urls = ["{base}rss.xml"]

[[source]]
id = "atom"
kind = "feed"
column = "Atom"
list_urls = ["{base}atom.xml"]

[[source]]
id = "sitemap"
kind = "feed"
column = "Sitemap"
list_urls = ["{base}sitemap.xml"]
max_age = "365d"
"#
    ))
    .await;

    let r = crawl(&s, "rss").await;
    assert_eq!((r.tally.new, r.verdict), (3, Verdict::Ok), "{r:?}");
    let rss = filed(s.store.as_ref(), "RSS").await;
    let undated = rss
        .iter()
        .find(|a| a.article.title == "无日期文章1")
        .expect("the undated page is filed");
    assert_eq!(undated.filing.date, Some(day(3)), "the feed's date is used");
    let dated = rss.iter().find(|a| a.article.title == "文章1").unwrap();
    assert_eq!(dated.filing.date, Some(day(1)), "the page's own date wins");

    let r = crawl(&s, "atom").await;
    assert_eq!((r.tally.new, r.verdict), (2, Verdict::Ok), "{r:?}");

    let r = crawl(&s, "sitemap").await;
    // The index and both sitemaps are read; the 400-day-old URL is past max_age.
    assert_eq!(r.list_pages, 3, "{r:?}");
    assert_eq!((r.tally.new, r.verdict), (4, Verdict::Ok), "{r:?}");
    let mut titles: Vec<_> = filed(s.store.as_ref(), "Sitemap")
        .await
        .into_iter()
        .map(|a| a.article.title)
        .collect();
    titles.sort();
    assert_eq!(titles, ["文章6", "文章7", "文章8", "文章9"]);
}

#[tokio::test]
async fn check_previews_the_first_items_and_explains_without_secrets() {
    let portal = Arc::new(Portal {
        budget: 5,
        redirects: true,
        ..Portal::default()
    });
    let base = serve(portal_app(Arc::clone(&portal))).await;
    let s = setup(&portal_source(&base).replace(
        "[source.session]",
        "headers = { Authorization = \"Bearer s3cret\" }\n\
         cookies_env = { SSO = \"JUJIAO_TEST_UNSET_COOKIE_VAR\" }\n[source.session]",
    ))
    .await;
    let lines = jujiao_crawl::explain(s.config.source("portal").unwrap());
    let text = lines.join("\n");
    assert!(text.contains(&format!("GET {base}index.do")), "{text}");
    assert!(
        text.contains(&format!("POST {base}notice/list.do")),
        "{text}"
    );
    assert!(text.contains("infoID=12&number=1"), "{text}");
    assert!(text.contains("infoID=12&number=4"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("JUJIAO_TEST_UNSET_COOKIE_VAR"), "{text}");
    assert_eq!(
        portal.sessions.load(Ordering::SeqCst),
        0,
        "explaining sends nothing"
    );

    let preview = crawler(&s).preview("portal").await.unwrap();
    assert_eq!(preview.items.len(), 2, "{preview:?}");
    assert_eq!(preview.items[0].title, "门户通知1");
    assert_eq!(preview.items[0].date, Some(day(1)));
    assert_eq!(portal.forms.lock().unwrap().len(), 1);
    assert_eq!(
        s.store.stats().await.unwrap().articles,
        0,
        "a preview stores nothing"
    );
}
