#![allow(clippy::unwrap_used)]
//! One pipeline for runs and workers: the same page gives the same tally on both paths,
//! and workers run every kind of list source (HTML, JSON, form, feed), against loopback
//! servers and real SQLite files.

use axum::Router;
use axum::body::Body;
use axum::http::{Response, StatusCode, Uri, header};
use chrono::{NaiveDate, Utc};
use jujiao_config::Config;
use jujiao_crawl::shared_hosts::{without_source_delays, worker_fetcher_config};
use jujiao_crawl::{Crawler, Quiet, RunOptions, Tally, Worker, WorkerOptions, WorkerReport};
use jujiao_fetch::HttpFetcher;
use jujiao_store::{SqliteStore, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use url::Url;

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&jujiao_model::shanghai())
        .date_naive()
}

fn reply(status: u16, content_type: &str, body: impl Into<Body>) -> Response<Body> {
    let mut r = Response::new(body.into());
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, content_type.parse().unwrap());
    r
}

fn html(body: String) -> Response<Body> {
    reply(200, "text/html; charset=utf-8", body)
}

/// An article page titled `title`, dated today, whose last sentence ends with `tail`.
fn article(title: &str, tail: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
<h1>{title}</h1><div class=\"info\">发布时间：{day}</div><div class=\"content\">\
<p>　　为深入贯彻落实有关工作部署，进一步做好本年度各项重点任务，现将有关事项通知如下，请各单位认真组织实施。</p>\
<p>　　一、提高思想认识。各单位要充分认识做好此项工作的重要意义，切实加强组织领导，明确责任分工，确保各项措施落到实处。</p>\
<p>　　二、加强统筹协调。各部门要密切配合，形成工作合力，及时研究解决工作中遇到的困难和问题，重要情况{tail}。</p>\
</div></body></html>",
        day = today()
    )
}

async fn serve(app: Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Url::parse(&format!("http://{addr}/")).unwrap()
}

struct Setup {
    config: Config,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new(sources: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let text = format!(
            "[settings]\nallow_private = true\nrespect_robots = false\ndelay = \"0s\"\n\
database = \"{}\"\noutput = \"{}\"\n\n{sources}",
            db.to_string_lossy(),
            dir.path().join("tree").to_string_lossy()
        );
        Setup {
            config: Config::parse(&text, Path::new("test.toml")).unwrap(),
            db,
            _dir: dir,
        }
    }

    /// A second database beside the first, for the other path.
    fn other_db(&self) -> Setup {
        let mut config = self.config.clone();
        let db = self._dir.path().join("other.db");
        config.settings.database = db.to_string_lossy().into_owned();
        Setup {
            config,
            db,
            _dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn store(&self) -> Arc<dyn Store> {
        Arc::new(SqliteStore::open(self.db.to_str().unwrap()).await.unwrap())
    }

    async fn crawler(&self) -> Crawler {
        let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&self.config));
        jujiao_crawl::register_sources(&self.config, &fetcher).unwrap();
        Crawler::new(self.config.clone(), self.store().await, Arc::new(fetcher)).unwrap()
    }

    /// A worker with one task that stops once the crawl has caught up.
    async fn worker(&self, id: &str) -> Arc<Worker> {
        let fetcher = HttpFetcher::new(worker_fetcher_config(&self.config));
        jujiao_crawl::register_sources(&without_source_delays(&self.config), &fetcher).unwrap();
        let mut options = WorkerOptions::new(id);
        options.tasks = 1;
        options.until_idle = true;
        options.poll = Duration::from_millis(20);
        options.heartbeat = Duration::from_millis(100);
        let w = Worker::new(
            self.config.clone(),
            self.store().await,
            Arc::new(fetcher),
            options,
        )
        .unwrap();
        let skipped = w.seed().await.unwrap();
        assert!(skipped.is_empty(), "the worker skips {skipped:?}");
        Arc::new(w)
    }
}

async fn run_worker(w: Arc<Worker>) -> WorkerReport {
    let (_tx, rx) = watch::channel(false);
    tokio::time::timeout(Duration::from_secs(60), w.run(rx))
        .await
        .expect("the worker never caught up")
}

// ------------------------------------------------------------ one tally

/// Two sources carry the same story: `/a/` as written, `/b/` with its last words
/// edited (a near duplicate, not an exact one).
async fn two_sources_one_story(uri: Uri) -> Response<Body> {
    match uri.path() {
        "/a/list.html" => {
            html("<ul class=\"l\"><li><a href=\"/a/1.html\">通知</a></li></ul>".into())
        }
        "/b/list.html" => {
            html("<ul class=\"l\"><li><a href=\"/b/1.html\">通知</a></li></ul>".into())
        }
        "/a/1.html" => html(article("关于做好年度重点工作的通知", "及时报告")),
        "/b/1.html" => html(article("关于做好年度重点工作的通知", "要及时上报")),
        _ => reply(404, "text/plain", "not found"),
    }
}

const TWO_SOURCES: &str = r#"
[[source]]
id = "a"
column = "要闻"
list_urls = ["{base}a/list.html"]
link = "ul.l a"

[[source]]
id = "b"
column = "要闻"
list_urls = ["{base}b/list.html"]
link = "ul.l a"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_near_duplicate_gives_the_same_tally_in_a_run_and_in_a_worker() {
    let base = serve(Router::new().fallback(two_sources_one_story)).await;
    let run_side = Setup::new(&TWO_SOURCES.replace("{base}", base.as_str()));

    // `jujiao crawl`: one run per source, one after the other.
    let crawler = run_side.crawler().await;
    let mut by_runs = Tally::default();
    for id in ["a", "b"] {
        let r = crawler
            .run_source(id, RunOptions::default(), &Quiet)
            .await
            .unwrap();
        assert_eq!(r.errors, 0, "{r:?}");
        by_runs.add(r.tally);
    }
    assert_eq!(
        by_runs,
        Tally {
            new: 1,
            duplicates: 1,
            ..Tally::default()
        },
        "the second page is a near duplicate of the first"
    );

    // `jujiao worker` on another database: the same pages, the same tally, in its
    // summary and in the runs it records.
    let worker_side = run_side.other_db();
    let report = run_worker(worker_side.worker("w").await).await;
    assert_eq!(report.tally, by_runs, "{report:?}");
    let store = worker_side.store().await;
    let mut in_runs = Tally::default();
    for id in ["a", "b"] {
        let runs = store.recent_runs(id, 10).await.unwrap();
        let sum = runs[0].summary.clone().unwrap();
        in_runs.add(Tally {
            new: sum.new,
            updated: sum.updated,
            unchanged: sum.unchanged,
            duplicates: sum.duplicates,
        });
    }
    assert_eq!(in_runs, by_runs);
}

// ------------------------------------------------------------ every list kind in workers

/// A JSON API (GET, `page`), a form portal (POST `page`), an RSS feed and their
/// article pages; each list has two items on its first page and none after.
async fn kinds(uri: Uri, body: String) -> Response<Body> {
    let path = uri.path();
    let page = |text: &str| -> u64 {
        url::form_urlencoded::parse(text.as_bytes())
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
    };
    match path {
        "/api/list" => {
            let list: Vec<serde_json::Value> = if page(uri.query().unwrap_or_default()) == 1 {
                (1..=2)
                    .map(|n| {
                        serde_json::json!({"title": format!("接口文章{n}"), "url": format!("/art/j{n}.html"),
                            "date": today().to_string()})
                    })
                    .collect()
            } else {
                Vec::new()
            };
            reply(
                200,
                "application/json",
                serde_json::json!({ "list": list }).to_string(),
            )
        }
        "/form/list.do" => {
            let items = if page(&body) == 1 {
                "<li><a href=\"/art/f1.html\">表单通知1</a></li><li><a href=\"/art/f2.html\">表单通知2</a></li>"
            } else {
                ""
            };
            html(format!("<ul class=\"l\">{items}</ul>"))
        }
        "/rss.xml" => reply(
            200,
            "application/rss+xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>\
<item><title>订阅文章1</title><link>/art/r1.html</link></item>\
<item><title>订阅文章2</title><link>/art/r2.html</link></item></channel></rss>",
        ),
        _ => match path
            .strip_prefix("/art/")
            .and_then(|p| p.strip_suffix(".html"))
        {
            Some(name) => html(article(&format!("第{name}号文章"), "及时报告")),
            None => reply(404, "text/plain", "not found"),
        },
    }
}

const KINDS: &str = r#"
[[source]]
id = "api"
kind = "json"
column = "接口"
endpoint = "{base}api/list?page={page}"
pages = 3
[source.json]
items = "list[*]"
title = "title"
url = "url"
date = "date"

[[source]]
id = "portal"
kind = "form"
column = "门户"
endpoint = "{base}form/list.do"
pages = 3
link = "ul.l a"
form = { page = "{page}" }

[[source]]
id = "rss"
kind = "feed"
column = "订阅"
list_urls = ["{base}rss.xml"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_runs_json_form_and_feed_sources() {
    let base = serve(
        Router::new().fallback(|uri: Uri, body: String| async move { kinds(uri, body).await }),
    )
    .await;
    let s = Setup::new(&KINDS.replace("{base}", base.as_str()));
    let report = run_worker(s.worker("w").await).await;
    assert_eq!(report.tally.new, 6, "{report:?}");
    assert_eq!(report.errors, 0, "{report:?}");
    let store = s.store().await;
    for (id, column) in [("api", "接口"), ("portal", "门户"), ("rss", "订阅")] {
        let q = jujiao_store::FilingQuery {
            column: Some(column.into()),
            ..jujiao_store::FilingQuery::default()
        };
        assert_eq!(store.filed_articles(&q).await.unwrap().len(), 2, "{id}");
        // Each list visit is a run of its source, with its articles' figures.
        let runs = store.recent_runs(id, 10).await.unwrap();
        assert_eq!(runs.len(), 1, "{id}: {runs:?}");
        let sum = runs[0].summary.clone().unwrap();
        assert_eq!((sum.new, sum.errors), (2, 0), "{id}: {sum:?}");
        assert_eq!(sum.verdict, "ok", "{id}");
    }
}

// ------------------------------------------------------------ verification pages

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../jujiao-extract/tests/fixtures/challenge/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Counts the requests of one path prefix.
#[derive(Default)]
struct Hits(std::sync::Mutex<Vec<String>>);

impl Hits {
    fn of(&self, prefix: &str) -> usize {
        let paths = self.0.lock().unwrap();
        paths.iter().filter(|p| p.starts_with(prefix)).count()
    }
}

/// The feed answers the 瑞数 412 page, the JSON API the 加速乐 521 page, `/s1/` lists
/// the 412 page too; `/s2/` is a real list; articles are real.
async fn gateway(hits: Arc<Hits>, uri: Uri) -> Response<Body> {
    let path = uri.path().to_owned();
    hits.0.lock().unwrap().push(path.clone());
    let page = "text/html; charset=utf-8";
    match path.as_str() {
        "/rss.xml" | "/s1/list.html" => reply(412, page, fixture("ruishu_412.html")),
        "/api/list" => reply(521, page, fixture("jiasule_521.html")),
        "/s2/list.html" => {
            html("<ul class=\"l\"><li><a href=\"/art/1.html\">通知</a></li></ul>".into())
        }
        _ => html(article("关于做好年度重点工作的通知", "及时报告")),
    }
}

async fn serve_gateway() -> (Url, Arc<Hits>) {
    let hits = Arc::new(Hits::default());
    let h = Arc::clone(&hits);
    let base = serve(Router::new().fallback(move |uri: Uri| {
        let h = Arc::clone(&h);
        async move { gateway(h, uri).await }
    }))
    .await;
    (base, hits)
}

#[tokio::test]
async fn feeds_and_json_lists_answering_a_verification_page_are_challenged_and_file_nothing() {
    let (base, hits) = serve_gateway().await;
    let s = Setup::new(
        &r#"
[[source]]
id = "rss"
kind = "feed"
column = "订阅"
list_urls = ["{base}rss.xml"]

[[source]]
id = "api"
kind = "json"
column = "接口"
endpoint = "{base}api/list?page={page}"
[source.json]
items = "list[*]"
title = "title"
url = "url"
"#
        .replace("{base}", base.as_str()),
    );
    for (id, vendor, status) in [("rss", "瑞数", "412"), ("api", "加速乐", "521")] {
        // A crawler each: the first challenge pauses the (one loopback) host.
        let r = s
            .crawler()
            .await
            .run_source(id, RunOptions::default(), &Quiet)
            .await
            .unwrap();
        assert_eq!(r.verdict, jujiao_crawl::Verdict::Challenged, "{id}: {r:?}");
        let evidence = r.challenge.clone().unwrap();
        assert!(
            evidence.contains(vendor) && evidence.contains(status),
            "{id}: {evidence}"
        );
        assert_eq!((r.tally.new, r.links_found), (0, 0), "{id}: {r:?}");
    }
    let stats = s.store().await.stats().await.unwrap();
    assert_eq!(stats.articles, 0);
    assert_eq!(hits.of("/art/"), 0, "no article page was asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_one_worker_meets_keeps_the_other_worker_away_from_the_host() {
    let (base, hits) = serve_gateway().await;
    let source = |id: &str| {
        format!(
            "[[source]]\nid = \"{id}\"\ncolumn = \"要闻\"\nlist_urls = [\"{base}{id}/list.html\"]\nlink = \"ul.l a\"\n"
        )
    };
    // Two workers on one database file, each with a source of the same host.
    let first = Setup::new(&source("s1"));
    let mut second = Setup::new(&source("s2"));
    second.config.settings.database = first.config.settings.database.clone();
    second.db = first.db.clone();

    let a = run_worker(first.worker("a").await).await;
    assert_eq!(hits.of("/s1/"), 1, "{a:?}");
    let b = run_worker(second.worker("b").await).await;
    // The host is paused for every worker: `b` never asked it.
    assert_eq!(hits.of("/s2/") + hits.of("/art/"), 0, "{b:?}");
    assert_eq!(b.tally.new, 0);
    let store = second.store().await;
    let run = store.recent_runs("s2", 1).await.unwrap().remove(0);
    let sum = run.summary.unwrap();
    assert_eq!(sum.verdict, "被验证页拦截", "{sum:?}");
    assert!(
        sum.error_samples.iter().any(|s| s.contains("瑞数")),
        "{sum:?}"
    );
}
