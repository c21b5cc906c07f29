//! The sources page (来源) shows links that robots.txt forbids as skipped (跳过), apart
//! from errors, with the source's health still 正常 (issue 17, 5c: they made it
//! 部分页面失败). A real run crawls a loopback farm whose robots.txt forbids one
//! article into a real SQLite store; a real server on that store shows the page.

#![allow(clippy::unwrap_used)]

mod common;

use jujiao_config::Config;
use jujiao_crawl::{Crawler, Quiet, RunOptions};
use jujiao_demosite::farm::{Farm, FarmShape};
use jujiao_fetch::HttpFetcher;
use jujiao_store::{SqliteStore, Store};
use jujiao_web::{AppState, SourceInfo};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_page_shows_links_robots_txt_forbids_as_skipped_not_errors() {
    let farm = Farm::start(FarmShape {
        hosts: 1,
        articles: 3,
        per_page: 10,
        delay: Duration::ZERO,
    })
    .await
    .unwrap();
    farm.set_robots_txt(&format!(
        "User-agent: *\nDisallow: {}\n",
        farm.article_path(1)
    ));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let text = farm.config_toml(
        &dir.path().join("tree").to_string_lossy(),
        &db.to_string_lossy(),
        2,
        "0s",
    );
    let config = Config::parse(&text, Path::new("farm.toml")).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.to_string_lossy()).await.unwrap());
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&config));
    jujiao_crawl::register_sources(&config, &fetcher).unwrap();
    let crawler = Crawler::new(config.clone(), Arc::clone(&store), Arc::new(fetcher)).unwrap();
    let report = crawler
        .run_source("host0", RunOptions::default(), &Quiet)
        .await
        .unwrap();
    assert_eq!((report.tally.new, report.errors, report.skipped), (2, 0, 1));

    let sources = config.sources.iter().map(SourceInfo::from_config).collect();
    let app = jujiao_web::router(AppState::builder(Arc::clone(&store), sources).build());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let html = common::body(reqwest::get(format!("{base}/sources")).await.unwrap()).await;
    let start = html.find("<tr id=\"src-host0\">").unwrap();
    let row = &html[start..start + html[start..].find("</tr>").unwrap()];
    assert!(row.contains("正常"), "{row}");
    assert!(!row.contains("部分页面失败"), "{row}");
    assert!(row.contains("2 / 0 / 0"), "{row}");
    assert!(row.contains("跳过 1 页"), "{row}");
    assert!(!row.contains("错误示例"), "{row}");
    // The skipped URL is listed (its file name: the page escapes the slashes).
    let path = farm.article_path(1);
    let name = path.rsplit('/').next().unwrap();
    assert!(row.contains(name), "{row}");

    let v: serde_json::Value = reqwest::get(format!("{base}/api/sources"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let src = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "host0")
        .unwrap();
    assert_eq!(src["skipped"], 1, "{src}");
    assert_eq!(src["errors"], 0, "{src}");
    assert_eq!(src["samples"].as_array().unwrap().len(), 0, "{src}");
}
