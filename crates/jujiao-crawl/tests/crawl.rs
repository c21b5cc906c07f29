#![allow(clippy::unwrap_used)]
//! The crawler against the demo site on 127.0.0.1: real HTTP client, real server, real
//! SQLite file.

use jujiao_config::Config;
use jujiao_crawl::{Crawler, Quiet, RunOptions, SourceReport, Verdict};
use jujiao_demosite::DemoSite;
use jujiao_fetch::HttpFetcher;
use jujiao_store::{FilingQuery, SqliteStore, Store};
use std::path::Path;
use std::sync::Arc;

/// The demo site's "today", also the day edition runs ask for.
const DAY: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2026, 6, 10) {
    Some(d) => d,
    None => panic!("valid day"),
};

struct Setup {
    site: DemoSite,
    store: Arc<dyn Store>,
    config: Config,
    _dir: tempfile::TempDir,
}

async fn setup(edit: impl Fn(String) -> String) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 10).unwrap();
    assert_eq!(DAY, today);
    let site = DemoSite::start(today).await.unwrap();
    let db = dir.path().join("t.db");
    let text = edit(site.config_toml(
        &dir.path().join("tree").to_string_lossy(),
        &db.to_string_lossy(),
    ));
    let config = Config::parse(&text, Path::new("demo.toml")).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db.to_str().unwrap()).await.unwrap());
    Setup {
        site,
        store,
        config,
        _dir: dir,
    }
}

async fn crawl(s: &Setup, id: &str) -> SourceReport {
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&s.config));
    jujiao_crawl::register_sources(&s.config, &fetcher).unwrap();
    let crawler = Crawler::new(s.config.clone(), Arc::clone(&s.store), Arc::new(fetcher)).unwrap();
    crawler
        .run_source(
            id,
            RunOptions {
                day: Some(DAY),
                ..RunOptions::default()
            },
            &Quiet,
        )
        .await
        .unwrap()
}

async fn titles(store: &dyn Store, column: &str) -> Vec<String> {
    let q = FilingQuery {
        column: Some(column.into()),
        ..FilingQuery::default()
    };
    store
        .filed_articles(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.article.title)
        .collect()
}

#[tokio::test]
async fn trs_source_collects_every_article_once_and_reports_the_faults() {
    let s = setup(|t| t).await;
    let r = crawl(&s, "demo-cwhd").await;
    assert_eq!(r.list_pages, 3, "{r:?}");
    assert_eq!(r.tally.new, 24, "{r:?}");
    // robots.txt forbids one link (skipped: the site's policy, not an error), one page
    // fails with 500, one is missing.
    assert_eq!((r.errors, r.skipped), (2, 1), "{:?}", r.error_samples);
    assert!(
        r.error_samples
            .iter()
            .any(|e| jujiao_crawl::is_skipped_sample(e))
    );
    assert!(r.error_samples.iter().any(|e| e.contains("HTTP 500")));
    assert!(r.error_samples.iter().any(|e| e.contains("HTTP 404")));
    assert_eq!(r.verdict, Verdict::Errors);
    let stored = s.store.stats().await.unwrap();
    assert_eq!(stored.filings, 24);
    // The nested paragraphs (div > p) are all there and the byline went to the author.
    let page = s
        .store
        .filed_articles(&FilingQuery::default())
        .await
        .unwrap();
    for fa in &page {
        assert!(fa.article.paragraphs.len() >= 3, "{:?}", fa.article);
        assert!(fa.filing.date.is_some());
    }
    // The forbidden page was never requested.
    assert!(
        !s.site
            .traffic()
            .requests
            .contains_key("/private/internal.html")
    );
}

#[tokio::test]
async fn gbk_site_declaring_gb2312_decodes_characters_outside_gb2312() {
    let s = setup(|t| t).await;
    let r = crawl(&s, "demo-cj").await;
    assert_eq!(r.tally.new, 12, "{r:?}");
    assert_eq!(r.errors, 0, "{:?}", r.error_samples);
    let t = titles(s.store.as_ref(), "财经动态").await;
    assert!(t.iter().any(|t| t.contains("堃喆科技")), "{t:?}");
}

#[tokio::test]
async fn second_run_fetches_only_list_pages_and_gets_304() {
    let s = setup(|t| t).await;
    let first = crawl(&s, "demo-tzgg").await;
    assert_eq!(first.tally.new, 9);
    let before = s.site.traffic();
    let second = crawl(&s, "demo-tzgg").await;
    assert_eq!(second.tally.new, 0);
    assert_eq!(second.article_pages, 0);
    // The first list page answers 304; index_1.html (past the last page) is a 404 again.
    assert_eq!(second.not_modified, 1, "{second:?}");
    let after = s.site.traffic();
    assert_eq!(after.not_modified - before.not_modified, 1);
    // Only list pages (and robots.txt, for the new fetcher) were asked again.
    for (path, n) in &after.requests {
        let was = before.requests.get(path).copied().unwrap_or(0);
        if *n > was {
            assert!(
                path.ends_with('/') || path.contains("index_") || path == "/robots.txt",
                "{path} asked again"
            );
        }
    }
    for (path, n) in &after.requests {
        if path.contains("/t20") {
            assert_eq!(*n, 1, "{path} fetched {n} times");
        }
    }
}

// Two threads, so the site is not stalled while the crawler extracts a page: the
// server stamps a request when it gets to it, and a late stamp of one request makes
// the next gap look short. On a busy machine that lateness is real, so the bound
// leaves half the 200 ms delay for it (no delay at all would show gaps of a few ms).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn politeness_holds_from_the_servers_side() {
    let s = setup(|t| {
        t.replace("concurrency_per_host = 2", "concurrency_per_host = 1")
            .replace("delay = \"20ms\"", "delay = \"200ms\"")
    })
    .await;
    let r = crawl(&s, "demo-cj").await;
    assert_eq!(r.tally.new, 12);
    let traffic = s.site.traffic();
    assert_eq!(traffic.max_in_flight, 1, "more than one request at a time");
    let starts = traffic.starts;
    for w in starts.windows(2) {
        let gap = w[1].duration_since(w[0]);
        assert!(
            gap >= std::time::Duration::from_millis(100),
            "two requests {gap:?} apart"
        );
    }
}

#[tokio::test]
async fn edition_keeps_only_real_pdfs() {
    let s = setup(|t| t).await;
    let r = crawl(&s, "demo-paper").await;
    // Four page links: three PDFs, one HTML error page served as .pdf.
    assert_eq!(r.pdfs, 3, "{r:?}");
    assert_eq!(r.errors, 1);
    assert!(r.error_samples[0].contains("not a PDF"));
    let again = crawl(&s, "demo-paper").await;
    assert_eq!(again.tally.new, 0, "the same zip is not written twice");
}

#[tokio::test]
async fn dry_run_lists_what_it_would_fetch_and_stores_nothing() {
    let s = setup(|t| t).await;
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&s.config));
    let crawler = Crawler::new(s.config.clone(), Arc::clone(&s.store), Arc::new(fetcher)).unwrap();
    let r = crawler
        .run_source(
            "demo-tzgg",
            RunOptions {
                dry_run: true,
                day: Some(DAY),
                ..RunOptions::default()
            },
            &Quiet,
        )
        .await
        .unwrap();
    assert_eq!(r.would_fetch.len(), 9);
    assert_eq!(s.store.stats().await.unwrap().articles, 0);
}

#[tokio::test]
async fn a_bad_selector_is_refused_before_anything_is_fetched() {
    let s = setup(|t| t.replace("ul.secList > li > a", "ul.secList > li:first-child > a")).await;
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&s.config));
    let err = Crawler::new(s.config.clone(), Arc::clone(&s.store), Arc::new(fetcher)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("demo-cwhd") && msg.contains("link"), "{msg}");
    assert_eq!(s.site.traffic().total(), 0);
}

#[tokio::test]
async fn shipped_presets_validate_and_compile() {
    for preset in ["presets/legacy.toml", "jujiao.example.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(preset);
        let config = Config::load(&path).unwrap_or_else(|e| panic!("{preset}: {e}"));
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
        let crawler = Crawler::new(config, store, Arc::new(jujiao_fetch::MemoryFetcher::new()))
            .unwrap_or_else(|e| panic!("{preset}: {e}"));
        assert!(!crawler.source_ids().is_empty());
    }
}
