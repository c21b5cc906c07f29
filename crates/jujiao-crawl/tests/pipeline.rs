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
