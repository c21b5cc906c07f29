#![allow(clippy::unwrap_used)]
//! Verification pages are never filed, and article pages without a body are reported
//! and kept: real axum servers on 127.0.0.1, a real SQLite file.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode, Uri, header};
use jujiao_config::Config;
use jujiao_crawl::{Crawler, Quiet, RunOptions, SourceReport, Verdict};
use jujiao_fetch::HttpFetcher;
use jujiao_store::{FilingQuery, SqliteStore, Store};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../jujiao-extract/tests/fixtures/challenge/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn reply(status: u16, content_type: &str, body: impl Into<Body>) -> Response<Body> {
    let mut r = Response::new(body.into());
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, content_type.parse().unwrap());
    r
}

fn list_page(links: usize) -> String {
    let mut items = String::new();
    for n in 1..=links {
        items.push_str(&format!(
            "<li><a href=\"/zwgk/202612/t20261201_{n}.html\">关于做好第{n}项重点工作的通知</a><span>2026-12-01</span></li>"
        ));
    }
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>通知公告</title></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a></div><ul class=\"list\">{items}</ul></body></html>"
    )
}

fn article(n: usize) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>关于做好第{n}项重点工作的通知</title></head><body>\
<h1>关于做好第{n}项重点工作的通知</h1><div class=\"info\">发布时间：2026-12-01</div><div class=\"content\">\
<p>　　为深入贯彻落实有关工作部署，进一步做好本年度各项重点任务，现将有关事项通知如下，请各单位认真组织实施。</p>\
<p>　　一、提高思想认识。各单位要充分认识做好此项工作的重要意义，切实加强组织领导，明确责任分工。</p>\
</div></body></html>"
    )
}

/// What the site answers for list pages and article pages.
#[derive(Clone, Copy)]
enum Mode {
    /// Every answer is the 瑞数 412 page.
    AllRuishu,
    /// The list is real; every article page is the 加速乐 521 page.
    ArticlesJiasule,
    /// The list is real; article 1 is a 200 block page, article 2 a real article.
    ArticleBlockPage,
    /// The list is real; article 1 has no body (its text is in an iframe), 2 is real.
    ArticleWithoutBody,
}

struct Site {
    mode: Mode,
    links: usize,
    list_gets: AtomicUsize,
    article_gets: AtomicUsize,
}

const NO_BODY_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>关于做好第1项重点工作的通知</title></head>\
<body><h1>关于做好第1项重点工作的通知</h1><iframe src=\"/content/1.html\" width=\"100%\"></iframe></body></html>";

async fn answer(State(site): State<Arc<Site>>, uri: Uri) -> Response<Body> {
    let html = "text/html; charset=utf-8";
    let is_list = uri.path().ends_with('/');
    if is_list {
        site.list_gets.fetch_add(1, Ordering::SeqCst);
    } else {
        site.article_gets.fetch_add(1, Ordering::SeqCst);
    }
    let n: usize = uri
        .path()
        .rsplit('_')
        .next()
        .and_then(|s| s.strip_suffix(".html"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    match (site.mode, is_list) {
        (Mode::AllRuishu, _) => reply(412, html, fixture("ruishu_412.html")),
        (_, true) => reply(200, html, list_page(site.links)),
        (Mode::ArticlesJiasule, false) => reply(521, html, fixture("jiasule_521.html")),
        (Mode::ArticleBlockPage, false) if n == 1 => {
            reply(200, "text/html", fixture("generic_gbk.html"))
        }
        (Mode::ArticleWithoutBody, false) if n == 1 => reply(200, html, NO_BODY_PAGE),
        (_, false) => reply(200, html, article(n)),
    }
}

async fn serve(mode: Mode, links: usize) -> (String, Arc<Site>) {
    let site = Arc::new(Site {
        mode,
        links,
        list_gets: AtomicUsize::new(0),
        article_gets: AtomicUsize::new(0),
    });
    let app = Router::new().fallback(answer).with_state(Arc::clone(&site));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), site)
}

struct Setup {
    store: Arc<dyn Store>,
    config: Config,
    dir: tempfile::TempDir,
}

/// Sources `a` and `b` (list `/a/` and `/b/` of `base`), column 通知公告.
async fn setup(base: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let text = format!(
        r#"
[settings]
database = "{db}"
output = "{out}"
delay = "0s"
allow_private = true
respect_robots = false

[[source]]
id = "a"
column = "通知公告"
list_urls = ["{base}/a/"]
link = "ul.list a"

[[source]]
id = "b"
column = "通知公告"
list_urls = ["{base}/b/"]
link = "ul.list a"
"#,
        db = db.display(),
        out = dir.path().join("tree").display(),
    );
    let config = Config::parse(&text, Path::new("challenge.toml")).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db.to_str().unwrap()).await.unwrap());
    Setup { store, config, dir }
}

fn crawler(s: &Setup) -> Crawler {
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&s.config));
    jujiao_crawl::register_sources(&s.config, &fetcher).unwrap();
    Crawler::new(s.config.clone(), Arc::clone(&s.store), Arc::new(fetcher)).unwrap()
}

async fn run(c: &Crawler, id: &str) -> SourceReport {
    c.run_source(id, RunOptions::default(), &Quiet)
        .await
        .unwrap()
}

async fn filed(store: &dyn Store) -> usize {
    store
        .filed_articles(&FilingQuery::default())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_source_whose_pages_are_all_verification_pages_is_challenged_and_files_nothing() {
    let (base, site) = serve(Mode::AllRuishu, 5).await;
    let s = setup(&base).await;
    let c = crawler(&s);
    let r = run(&c, "a").await;
    assert_eq!(r.verdict, Verdict::Challenged, "{r:?}");
    assert_eq!(r.verdict.as_str(), "被验证页拦截");
    let evidence = r.challenge.clone().unwrap();
    assert!(evidence.contains("瑞数"), "{evidence}");
    assert!(
        evidence.contains("412") && evidence.contains("$_ts"),
        "{evidence}"
    );
    assert!(r.error_samples[0].starts_with("被验证页拦截"), "{r:?}");
    assert_eq!(filed(s.store.as_ref()).await, 0);
    assert_eq!(site.list_gets.load(Ordering::SeqCst), 1);

    // The run stops asking that host: source b, on the same host, is not fetched.
    let r = run(&c, "b").await;
    assert_eq!(r.verdict, Verdict::Challenged, "{r:?}");
    assert_eq!(
        site.list_gets.load(Ordering::SeqCst),
        1,
        "the paused host was asked again"
    );
    assert_eq!(site.article_gets.load(Ordering::SeqCst), 0);
    assert_eq!(filed(s.store.as_ref()).await, 0);

    // The run's summary keeps the verdict and the evidence.
    let runs = s.store.recent_runs("a", 10).await.unwrap();
    let summary = runs[0].summary.as_ref().unwrap();
    assert_eq!(summary.verdict, "被验证页拦截");
    assert!(summary.error_samples[0].contains("瑞数"), "{summary:?}");

    // A pause is for a while: a crawler with a zero pause asks again (and is answered
    // the challenge again).
    let c = crawler(&s).with_challenge_pause(std::time::Duration::ZERO);
    run(&c, "a").await;
    run(&c, "b").await;
    assert_eq!(site.list_gets.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn article_pages_answering_a_challenge_are_not_filed_and_the_host_is_left_alone() {
    let (base, site) = serve(Mode::ArticlesJiasule, 40).await;
    let s = setup(&base).await;
    let r = run(&crawler(&s), "a").await;
    assert_eq!(r.verdict, Verdict::Challenged, "{r:?}");
    assert!(r.challenge.as_deref().unwrap().contains("加速乐"), "{r:?}");
    assert!(r.challenge.as_deref().unwrap().contains("521"), "{r:?}");
    assert_eq!(r.tally.new, 0);
    assert_eq!(
        r.challenged, 40,
        "every link is either challenged or not asked"
    );
    assert_eq!(filed(s.store.as_ref()).await, 0);
    let asked = site.article_gets.load(Ordering::SeqCst);
    assert!(
        asked < 40,
        "{asked} of 40 article pages asked after the first challenge"
    );
}

#[tokio::test]
async fn a_block_page_answered_with_200_is_not_filed() {
    let (base, _site) = serve(Mode::ArticleBlockPage, 1).await;
    let s = setup(&base).await;
    let r = run(&crawler(&s), "a").await;
    assert_eq!(r.verdict, Verdict::Challenged, "{r:?}");
    assert!(
        r.challenge.as_deref().unwrap().contains("您的访问被拦截"),
        "{r:?}"
    );
    assert_eq!(filed(s.store.as_ref()).await, 0);
}

#[tokio::test]
async fn an_article_page_without_body_is_reported_and_kept() {
    let (base, _site) = serve(Mode::ArticleWithoutBody, 2).await;
    let s = setup(&base).await;
    let kept = s.dir.path().join("t.db.files").join("pages-without-body");
    let c = crawler(&s).with_kept_pages(kept.clone());
    let r = run(&c, "a").await;
    assert_eq!(r.tally.new, 1, "{r:?}");
    assert_eq!(r.no_body, 1, "{r:?}");
    assert_eq!(r.verdict, Verdict::Errors);
    let sample = &r.no_body_samples[0];
    assert!(sample.contains("t20261201_1.html"), "{sample}");
    assert!(sample.contains("kept as"), "{sample}");
    let files: Vec<_> = std::fs::read_dir(&kept).unwrap().collect();
    assert_eq!(files.len(), 1);
    let path = files[0].as_ref().unwrap().path();
    assert!(sample.contains(&path.display().to_string()), "{sample}");
    assert_eq!(std::fs::read(&path).unwrap(), NO_BODY_PAGE.as_bytes());
    assert!(r.error_samples.iter().any(|e| e == sample), "{r:?}");
}
