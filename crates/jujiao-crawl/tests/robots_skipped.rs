#![allow(clippy::unwrap_used)]
//! A link that robots.txt forbids is the site's policy, not a failure (issue 17, 5c):
//! a run and a worker both count it as skipped, apart from errors, keep its sample
//! line (`跳过: robots.txt 不允许 <url>`) with the run, and leave the health `ok`.
//! Before, it was an error and turned the source's health to "some pages failed".

use jujiao_config::Config;
use jujiao_crawl::shared_hosts::{without_source_delays, worker_fetcher_config};
use jujiao_crawl::{Crawler, Quiet, RunOptions, Verdict, Worker, WorkerOptions, skipped_sample};
use jujiao_demosite::farm::{Farm, FarmShape};
use jujiao_fetch::HttpFetcher;
use jujiao_store::{SqliteStore, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A farm of one host with 4 articles, whose robots.txt forbids article 2; a sources
/// file for it on a new SQLite file.
async fn setup(dir: &Path) -> (Farm, Config, Arc<dyn Store>) {
    let farm = Farm::start(FarmShape {
        hosts: 1,
        articles: 4,
        per_page: 10,
        delay: Duration::ZERO,
    })
    .await
    .unwrap();
    farm.set_robots_txt(&format!(
        "User-agent: *\nDisallow: {}\n",
        farm.article_path(2)
    ));
    let db = dir.join("t.db");
    let text = farm.config_toml(
        &dir.join("tree").to_string_lossy(),
        &db.to_string_lossy(),
        2,
        "0s",
    );
    let config = Config::parse(&text, Path::new("farm.toml")).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db.to_str().unwrap()).await.unwrap());
    (farm, config, store)
}

/// The last run of `host0` as stored: its summary's errors, samples and verdict.
async fn stored_run(store: &dyn Store) -> jujiao_store::RunSummary {
    let runs = store.recent_runs("host0", 10).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].summary.clone().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_robots_txt_forbids_is_skipped_not_an_error_in_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let (farm, config, store) = setup(dir.path()).await;
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&config));
    jujiao_crawl::register_sources(&config, &fetcher).unwrap();
    let crawler = Crawler::new(config, Arc::clone(&store), Arc::new(fetcher)).unwrap();
    let r = crawler
        .run_source("host0", RunOptions::default(), &Quiet)
        .await
        .unwrap();
    let forbidden = farm.article_url(0, 2);
    assert_eq!((r.tally.new, r.errors, r.skipped), (3, 0, 1), "{r:?}");
    assert_eq!(r.verdict, Verdict::Ok, "{r:?}");
    assert_eq!(r.error_samples, vec![skipped_sample(&forbidden)]);
    // Never asked for: robots.txt said no.
    assert!(!farm.stats(0).by_path().contains_key(&farm.article_path(2)));
    let sum = stored_run(store.as_ref()).await;
    assert_eq!((sum.new, sum.errors), (3, 0), "{sum:?}");
    assert_eq!(sum.verdict, "ok");
    assert_eq!(sum.error_samples, vec![skipped_sample(&forbidden)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_robots_txt_forbids_is_skipped_not_an_error_by_a_worker() {
    let dir = tempfile::tempdir().unwrap();
    let (farm, config, store) = setup(dir.path()).await;
    let fetcher = HttpFetcher::new(worker_fetcher_config(&config));
    jujiao_crawl::register_sources(&without_source_delays(&config), &fetcher).unwrap();
    let mut options = WorkerOptions::new("w");
    options.until_idle = true;
    options.poll = Duration::from_millis(20);
    let worker = Worker::new(config, Arc::clone(&store), Arc::new(fetcher), options).unwrap();
    worker.seed().await.unwrap();
    let (_tx, rx) = watch::channel(false);
    let report = tokio::time::timeout(Duration::from_secs(120), Arc::new(worker).run(rx))
        .await
        .unwrap();
    assert_eq!(
        (report.tally.new, report.errors, report.skipped),
        (3, 0, 1),
        "{report:?}"
    );
    let sum = stored_run(store.as_ref()).await;
    assert_eq!((sum.new, sum.errors), (3, 0), "{sum:?}");
    assert_eq!(sum.verdict, "ok");
    assert_eq!(
        sum.error_samples,
        vec![skipped_sample(&farm.article_url(0, 2))]
    );
    // Nothing is left to try again later.
    let queue = store.queue_stats().await.unwrap();
    assert_eq!((queue.articles, queue.leased), (0, 0), "{queue:?}");
}
