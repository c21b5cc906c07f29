#![allow(clippy::unwrap_used)]
//! Re-checks of stored article pages against a real server on 127.0.0.1 whose article
//! changes after the first crawl: the revision appears once a re-check is due, not
//! before; a re-check of an unchanged page is a conditional GET answered 304.
//! Time is moved with `RunOptions::now`, never slept.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use jujiao_config::Config;
use jujiao_crawl::{Crawler, Quiet, RunOptions, SourceReport};
use jujiao_fetch::HttpFetcher;
use jujiao_media::{Collector, FileStore, MediaSettings};
use jujiao_store::{SqliteStore, Store};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const ARTICLE: &str = "/news/202606/t20260610_1.html";

#[derive(Default)]
struct Site {
    /// The article's current version; its ETag is `"v{n}"`.
    version: Mutex<u32>,
    article_gets: AtomicUsize,
    not_modified: AtomicUsize,
    conditional: AtomicUsize,
    image_gets: AtomicUsize,
}

/// A small JPEG (magic bytes, then filler).
fn photo() -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    v.extend(std::iter::repeat_n(0x5A, 3000));
    v.extend([0xFF, 0xD9]);
    v
}

fn article_html(version: u32) -> String {
    let extra = match version {
        1 => "",
        2 => "<p>　　（本文于6月11日更正：会议时间为上午九时。）</p>",
        // The revision adds a photo of the meeting.
        _ => "<p>　　（本文于6月11日补充会议照片。）</p><p><img src=\"/img/meeting.jpg\"></p>",
    };
    format!(
        "<html><head><meta charset=\"utf-8\"><title>区委常委会召开会议</title></head><body>\
         <h1>区委常委会召开会议</h1><div class=\"info\">发布时间：2026-06-10 09:30</div>\
         <div class=\"content\"><p>　　6月10日，区委常委会召开会议，传达学习上级有关会议精神。</p>\
         <p>　　会议指出，要聚焦科学城建设，持续优化创新生态，加快培育高精尖产业。</p>{extra}</div>\
         </body></html>"
    )
}

async fn serve(site: Arc<Site>) -> String {
    let app = axum::Router::new()
        .route(
            "/news/",
            axum::routing::get(|| async {
                let html = format!(
                    "<html><head><meta charset=\"utf-8\"></head><body><ul class=\"list\">\
                     <li><a href=\"{}\">区委常委会召开会议</a></li></ul></body></html>",
                    ARTICLE.trim_start_matches("/news/")
                );
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html)
            }),
        )
        .route(
            ARTICLE,
            axum::routing::get(
                |axum::extract::State(site): axum::extract::State<Arc<Site>>,
                 headers: HeaderMap| async move {
                    site.article_gets.fetch_add(1, Ordering::SeqCst);
                    let version = *site.version.lock().unwrap();
                    let etag = format!("\"v{version}\"");
                    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
                        site.conditional.fetch_add(1, Ordering::SeqCst);
                        if inm.as_bytes() == etag.as_bytes() {
                            site.not_modified.fetch_add(1, Ordering::SeqCst);
                            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)])
                                .into_response();
                        }
                    }
                    let r: Response = (
                        [
                            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                            (header::ETAG, etag),
                        ],
                        article_html(version),
                    )
                        .into_response();
                    r
                },
            ),
        )
        .route(
            "/img/meeting.jpg",
            axum::routing::get(
                |axum::extract::State(site): axum::extract::State<Arc<Site>>| async move {
                    site.image_gets.fetch_add(1, Ordering::SeqCst);
                    ([(header::CONTENT_TYPE, "image/jpeg")], photo())
                },
            ),
        )
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(site);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn config(base: &str, dir: &Path) -> Config {
    let text = format!(
        r#"
[settings]
database = "{db}"
output = "{out}"
delay = "0s"
allow_private = true

[[source]]
id = "qw"
column = "领导活动"
list_urls = ["{base}/news/"]
link = "ul.list a"
recheck = ["1h", "1d"]
[source.article]
title = "h1"
body = "div.content p"
date = "div.info"
"#,
        db = dir.join("t.db").display(),
        out = dir.join("tree").display(),
    );
    Config::parse(&text, Path::new("recheck.toml")).unwrap()
}

async fn run(config: &Config, store: &Arc<dyn Store>, now: DateTime<Utc>) -> SourceReport {
    run_with(config, store, now, None).await
}

/// A run that also collects files into `files`, when given.
async fn run_with(
    config: &Config,
    store: &Arc<dyn Store>,
    now: DateTime<Utc>,
    files: Option<&FileStore>,
) -> SourceReport {
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(config));
    jujiao_crawl::register_sources(config, &fetcher).unwrap();
    let fetcher: Arc<dyn jujiao_fetch::Fetch> = Arc::new(fetcher);
    let mut crawler =
        Crawler::new(config.clone(), Arc::clone(store), Arc::clone(&fetcher)).unwrap();
    if let Some(files) = files {
        crawler = crawler.with_media(Collector::new(
            fetcher,
            Arc::clone(store),
            files.clone(),
            MediaSettings::default(),
        ));
    }
    crawler
        .run_source(
            "qw",
            RunOptions {
                now: Some(now),
                ..RunOptions::default()
            },
            &Quiet,
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_changed_article_becomes_a_revision_when_its_recheck_is_due_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let site = Arc::new(Site::default());
    *site.version.lock().unwrap() = 1;
    let base = serve(Arc::clone(&site)).await;
    let config = config(&base, dir.path());
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap(),
    );
    let t0 = Utc::now();
    let hours = |h: i64| t0 + chrono::Duration::hours(h);

    let r = run(&config, &store, t0).await;
    assert_eq!((r.tally.new, r.rechecked, r.errors), (1, 0, 0), "{r:?}");
    let id = jujiao_store::ArticleId(r.changed_articles[0]);
    assert_eq!(site.article_gets.load(Ordering::SeqCst), 1);

    // The site corrects the article.
    *site.version.lock().unwrap() = 2;

    // Half an hour later: no re-check due, the stored page is not fetched again.
    let r = run(&config, &store, t0 + chrono::Duration::minutes(30)).await;
    assert_eq!(
        (r.tally.new, r.tally.updated, r.rechecked),
        (0, 0, 0),
        "{r:?}"
    );
    assert_eq!(site.article_gets.load(Ordering::SeqCst), 1);
    assert_eq!(store.revisions(id).await.unwrap().len(), 1);

    // After an hour the first re-check is due: a conditional GET with the first
    // fetch's ETag, which no longer matches, gives the corrected text → a revision.
    let r = run(&config, &store, hours(2)).await;
    assert_eq!(
        (r.tally.new, r.tally.updated, r.rechecked, r.errors),
        (0, 1, 1, 0),
        "{r:?}"
    );
    assert_eq!(r.changed_articles, vec![id.0]);
    assert_eq!(site.article_gets.load(Ordering::SeqCst), 2);
    assert_eq!(site.conditional.load(Ordering::SeqCst), 1);
    let revisions = store.revisions(id).await.unwrap();
    assert_eq!(revisions.len(), 2);
    assert!(revisions[1].article.body().contains("更正"));
    assert_eq!(store.stats().await.unwrap().filings, 1, "no second filing");

    // Not again until the next age (1 day).
    let r = run(&config, &store, hours(3)).await;
    assert_eq!(r.rechecked, 0, "{r:?}");
    assert_eq!(site.article_gets.load(Ordering::SeqCst), 2);

    // After a day: due again; the page did not change since → 304, nothing rewritten.
    let r = run(&config, &store, hours(25)).await;
    assert_eq!(
        (
            r.rechecked,
            r.recheck_not_modified,
            r.tally.updated,
            r.errors
        ),
        (1, 1, 0, 0),
        "{r:?}"
    );
    assert_eq!(site.not_modified.load(Ordering::SeqCst), 1);
    assert_eq!(store.revisions(id).await.unwrap().len(), 2);

    // Every age passed: never fetched again.
    let r = run(&config, &store, hours(24 * 30)).await;
    assert_eq!(r.rechecked, 0, "{r:?}");
    assert_eq!(site.article_gets.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn rechecks_per_run_are_capped_and_off_when_no_ages() {
    let dir = tempfile::tempdir().unwrap();
    let site = Arc::new(Site::default());
    *site.version.lock().unwrap() = 1;
    let base = serve(Arc::clone(&site)).await;
    let mut config = config(&base, dir.path());
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap(),
    );
    let t0 = Utc::now();
    run(&config, &store, t0).await;
    config.sources[0].recheck.clear();
    let r = run(&config, &store, t0 + chrono::Duration::hours(2)).await;
    assert_eq!(r.rechecked, 0, "{r:?}");
    config.sources[0].recheck = vec![std::time::Duration::from_secs(3600)];
    config.sources[0].recheck_per_run = 0;
    let r = run(&config, &store, t0 + chrono::Duration::hours(2)).await;
    assert_eq!(r.rechecked, 0, "{r:?}");
    assert_eq!(site.article_gets.load(Ordering::SeqCst), 1);
}

/// Regression: re-checks recorded revisions without collecting their files, so a photo
/// added to a stored article was never fetched.
#[tokio::test]
async fn a_revision_found_by_a_recheck_brings_its_new_image() {
    let dir = tempfile::tempdir().unwrap();
    let site = Arc::new(Site::default());
    *site.version.lock().unwrap() = 1;
    let base = serve(Arc::clone(&site)).await;
    let config = config(&base, dir.path());
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap(),
    );
    let files = FileStore::new(dir.path().join("files"));
    let t0 = Utc::now();
    let r = run_with(&config, &store, t0, Some(&files)).await;
    assert_eq!((r.tally.new, r.files), (1, 0), "{r:?}");
    let id = jujiao_store::ArticleId(r.changed_articles[0]);
    assert!(store.article_files(id).await.unwrap().is_empty());

    // The site adds a photo; the re-check after an hour finds the revision.
    *site.version.lock().unwrap() = 3;
    let r = run_with(
        &config,
        &store,
        t0 + chrono::Duration::hours(2),
        Some(&files),
    )
    .await;
    assert_eq!(
        (
            r.tally.updated,
            r.rechecked,
            r.files,
            r.files_failed,
            r.errors
        ),
        (1, 1, 1, 0, 0),
        "{r:?}"
    );
    assert_eq!(site.image_gets.load(Ordering::SeqCst), 1);
    let attached = store.article_files(id).await.unwrap();
    assert_eq!(attached.len(), 1, "{attached:?}");
    assert_eq!(attached[0].file.role, jujiao_store::FileRole::Image);
    assert_eq!(attached[0].file.name, "1.jpg");
    assert!(attached[0].file.source_url.ends_with("/img/meeting.jpg"));
    assert_eq!(files.read(&attached[0].file.hash).unwrap(), photo());

    // The site takes the photo down again; the next re-check's revision has no image,
    // so the photo is no longer the article's (nor filed beside it).
    *site.version.lock().unwrap() = 2;
    let r = run_with(
        &config,
        &store,
        t0 + chrono::Duration::hours(25),
        Some(&files),
    )
    .await;
    assert_eq!((r.tally.updated, r.rechecked, r.errors), (1, 1, 0), "{r:?}");
    assert!(store.article_files(id).await.unwrap().is_empty());
    assert_eq!(site.image_gets.load(Ordering::SeqCst), 1);
}
