//! Runs of crawler workers on the sources page (`/sources`, 来源) and in `GET /api/runs`:
//! a real worker crawls a loopback farm into a real SQLite store, then a real server on
//! that store shows each source's last run, its figures and its health verdict.

#![allow(clippy::unwrap_used)]

mod common;

use jujiao_config::Config;
use jujiao_crawl::shared_hosts::{without_source_delays, worker_fetcher_config};
use jujiao_crawl::{Worker, WorkerOptions};
use jujiao_demosite::farm::{Farm, FarmShape};
use jujiao_fetch::HttpFetcher;
use jujiao_store::{SqliteStore, Store};
use jujiao_web::{AppState, SourceInfo};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The `<tr>` of one source on the sources page.
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<tr id=\"src-{id}\">")).unwrap();
    let end = html[start..].find("</tr>").unwrap();
    &html[start..start + end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_page_shows_the_runs_of_workers() {
    let farm = Farm::start(FarmShape {
        hosts: 1,
        articles: 4,
        per_page: 10,
        delay: Duration::ZERO,
    })
    .await
    .unwrap();
    // A second source whose site refuses connections: its run says so.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let mut text = farm.config_toml(
        &dir.path().join("tree").to_string_lossy(),
        &db.to_string_lossy(),
        2,
        "0s",
    );
    text.push_str(&format!(
        "\n[[source]]\nid = \"dead\"\nname = \"关闭的站点\"\n\
column = \"国内新闻\"\nlist_urls = [\"http://{closed}/news/\"]\nlink = \"ul.list > li > a\"\n"
    ));
    let config = Config::parse(&text, Path::new("farm.toml")).unwrap();

    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.to_string_lossy()).await.unwrap());
    let fetcher = HttpFetcher::new(worker_fetcher_config(&config));
    jujiao_crawl::register_sources(&without_source_delays(&config), &fetcher).unwrap();
    let mut options = WorkerOptions::new("w1");
    options.until_idle = true;
    options.poll = Duration::from_millis(50);
    let worker = Worker::new(
        config.clone(),
        Arc::clone(&store),
        Arc::new(fetcher),
        options,
    )
    .unwrap();
    worker.seed().await.unwrap();
    let (_tx, rx) = watch::channel(false);
    let report = tokio::time::timeout(Duration::from_secs(60), Arc::new(worker).run(rx))
        .await
        .unwrap();
    assert_eq!(report.tally.new, 4, "{report:?}");

    let sources = config.sources.iter().map(SourceInfo::from_config).collect();
    let app = jujiao_web::router(AppState::builder(Arc::clone(&store), sources).build());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let r = reqwest::get(format!("{base}/sources")).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = common::body(r).await;
    let farm_row = row(&html, "host0");
    assert!(!farm_row.contains("从未运行"), "{farm_row}");
    assert!(farm_row.contains("4 / 0 / 0"), "{farm_row}");
    assert!(farm_row.contains("正常"), "{farm_row}");
    let dead_row = row(&html, "dead");
    assert!(!dead_row.contains("从未运行"), "{dead_row}");
    assert!(dead_row.contains("无法访问"), "{dead_row}");
    assert!(dead_row.contains("0 / 0 / 1"), "{dead_row}");

    let r = reqwest::get(format!("{base}/api/runs?source=host0"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    let run = &v["runs"][0];
    assert!(run["finished_at"].is_string(), "{v}");
    assert_eq!(run["summary"]["new"], 4, "{v}");
    assert_eq!(run["summary"]["article_pages"], 4, "{v}");
    assert_eq!(run["summary"]["list_pages"], 1, "{v}");
    assert_eq!(run["summary"]["verdict"], "ok", "{v}");
}
