//! The real runner against the bundled demo site on 127.0.0.1: a run stores articles,
//! publishes the legacy tree and makes them searchable; the scheduler's failure signal
//! follows the crawler's verdict.

#![allow(clippy::unwrap_used)]

use jujiao_config::Config;
use jujiao_crawl::Crawler;
use jujiao_demosite::DemoSite;
use jujiao_fetch::HttpFetcher;
use jujiao_search::{SearchIndex, SearchQuery};
use jujiao_store::{SqliteStore, Store};
use jujiao_tree::PublishOptions;
use jujiao_web::{CrawlRunner, Indexer, SourceRunner};
use std::sync::Arc;

#[tokio::test]
async fn a_run_stores_publishes_and_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let today = chrono::Utc::now()
        .with_timezone(&jujiao_model::shanghai())
        .date_naive();
    let site = DemoSite::start(today).await.unwrap();
    let tree = dir.path().join("briefing");
    let db = dir.path().join("j.db");
    let text = site.config_toml(&tree.to_string_lossy(), &db.to_string_lossy());
    let config = Config::parse(&text, &dir.path().join("jujiao.toml")).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.to_string_lossy()).await.unwrap());
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&config));
    jujiao_crawl::register_sources(&config, &fetcher).unwrap();
    let publish = PublishOptions {
        out: config.settings.output.clone(),
        date_style: config.settings.date_folder,
        mode: config.settings.filenames,
        ..PublishOptions::default()
    };
    let ids: Vec<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    let crawler = Arc::new(Crawler::new(config, Arc::clone(&store), Arc::new(fetcher)).unwrap());
    let indexer = Arc::new(Indexer::new(
        SearchIndex::in_memory().unwrap(),
        Arc::clone(&store),
        None,
    ));
    let runner = CrawlRunner::new(
        crawler,
        Arc::clone(&store),
        publish,
        Some(Arc::clone(&indexer)),
    );

    // The finance source of the demo site is clean: a success.
    let id = ids.iter().find(|i| i.ends_with("-cj")).unwrap();
    let result = runner.run(id).await;
    assert!(!result.is_failure);
    let stats = store.stats().await.unwrap();
    assert!(stats.articles > 0);
    let files = walk(&tree);
    assert!(files > 0, "the legacy tree is written");
    let all = indexer
        .search(SearchQuery {
            limit: 200,
            ..SearchQuery::new("")
        })
        .await
        .unwrap();
    assert_eq!(
        all.total as u64, stats.articles,
        "every stored article is searchable"
    );
    assert_eq!(store.recent_runs(id, 5).await.unwrap().len(), 1);

    // A source whose site is gone is a failure (retried sooner by the scheduler).
    drop(site);
    let result = runner.run(id).await;
    assert!(result.is_failure);
}

fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                1
            }
        })
        .sum()
}
