#![allow(clippy::unwrap_used)]
//! The unchanged `presets/legacy.toml` crawled against loopback replicas of the office's
//! sources as they are today (`jujiao_demosite::replica`): the real host names are
//! pointed at the replicas (`settings.resolve`, what `--resolve` sets) and the replicas'
//! test certificate authority is trusted (what `--cacert` adds); nothing else of the
//! preset's sources is changed. Real HTTP and TLS, a real SQLite file.

use jujiao_config::Config;
use jujiao_crawl::{Crawler, Quiet, RunOptions, Verdict};
use jujiao_demosite::replica::{CA_PEM, EDITION_DAY, NO_EDITION_DAY, Replicas};
use jujiao_fetch::HttpFetcher;
use jujiao_store::{FilingQuery, SqliteStore, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn day((y, m, d): (i32, u32, u32)) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

struct Setup {
    replicas: Replicas,
    config: Config,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

/// The preset as shipped, reaching the replicas: only `resolve`, the trusted test
/// authority, the output folder and the politeness delay (2 s per host would make the
/// test take minutes) differ from what an office runs.
async fn setup() -> Setup {
    let replicas = Replicas::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../presets/legacy.toml");
    let mut config = Config::load(&path).unwrap();
    config.settings.resolve = replicas.resolve();
    config.settings.root_certificates = vec![CA_PEM.as_bytes().to_vec()];
    config.settings.output = dir.path().join("tree");
    config.settings.delay = Duration::ZERO;
    for s in &mut config.sources {
        s.delay = None;
    }
    let db = dir.path().join("t.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db.to_str().unwrap()).await.unwrap());
    Setup {
        replicas,
        config,
        store,
        _dir: dir,
    }
}

fn crawler(s: &Setup, config: &Config) -> Crawler {
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(config));
    jujiao_crawl::register_sources(config, &fetcher).unwrap();
    Crawler::new(config.clone(), Arc::clone(&s.store), Arc::new(fetcher)).unwrap()
}

fn options(d: (i32, u32, u32)) -> RunOptions {
    RunOptions {
        day: Some(day(d)),
        ..RunOptions::default()
    }
}

#[tokio::test]
async fn every_preset_source_yields_its_articles_from_the_replicas() {
    let s = setup().await;
    let crawler = crawler(&s, &s.config);
    let days = [
        day(EDITION_DAY),
        day(EDITION_DAY).pred_opt().unwrap(),
        day(EDITION_DAY).pred_opt().unwrap().pred_opt().unwrap(),
    ];
    let mut checked = 0;
    let mut skipped = 0;
    for id in crawler.source_ids() {
        if id == "hdb" && s.replicas.port_88.is_none() {
            // 海淀报's URL names port 88; without the right to bind it, say so.
            eprintln!("hdb not checked: port 88 could not be bound for its replica");
            skipped += 1;
            continue;
        }
        let r = crawler
            .run_source(&id, options(EDITION_DAY), &Quiet)
            .await
            .unwrap();
        if id == "nhc-xwdt" {
            // The replica answers 412 with a script-only page, as the real gateway does.
            assert_eq!(r.verdict, Verdict::Challenged, "{id}: {r:?}");
            assert_eq!(r.tally.new, 0, "{id}: a challenge page is never filed");
            assert!(
                r.challenge.as_deref().is_some_and(|c| c.contains("412")),
                "{r:?}"
            );
            continue;
        }
        assert_eq!(r.verdict, Verdict::Ok, "{id}: {r:?}");
        checked += 1;
        if matches!(id.as_str(), "rmrb" | "bjrb" | "hdb") {
            assert!(r.pdfs >= 3, "{id}: {} pages", r.pdfs);
            continue;
        }
        assert!(
            r.tally.new >= 3,
            "{id}: only {} articles: {r:?}",
            r.tally.new
        );
    }
    // Every source but the challenged one (and 海淀报 without port 88).
    assert_eq!(checked + skipped + 1, crawler.source_ids().len());
    assert_eq!(checked + skipped, 25);
    // Every stored article has its title, publish day, body and 来源.
    let filed = s
        .store
        .filed_articles(&FilingQuery::default())
        .await
        .unwrap();
    let mut per_source: std::collections::BTreeMap<String, usize> = Default::default();
    for f in &filed {
        let a = &f.article;
        assert!(!a.title.trim().is_empty(), "{}: no title", a.url);
        let published = a.published.as_ref().map(|p| p.date());
        assert!(
            published.is_some_and(|d| days.contains(&d)),
            "{}: publish day {published:?}",
            a.url
        );
        assert!(
            a.body().chars().count() > 60,
            "{}: body {:?}",
            a.url,
            a.body()
        );
        assert!(
            a.origin.as_deref().is_some_and(|o| !o.trim().is_empty()),
            "{}: no 来源",
            a.url
        );
        *per_source.entry(a.source.clone()).or_default() += 1;
    }
    for id in crawler.source_ids() {
        if matches!(id.as_str(), "nhc-xwdt" | "rmrb" | "bjrb" | "hdb") {
            continue;
        }
        assert!(
            per_source.get(&id).copied().unwrap_or(0) >= 3,
            "{id}: {per_source:?}"
        );
    }
}

#[tokio::test]
async fn sources_needing_a_referer_or_a_browser_fail_without_them() {
    let s = setup().await;
    let mut bare = s.config.clone();
    for source in &mut bare.sources {
        source.headers.clear();
        source.user_agent = None;
    }
    let crawler = crawler(&s, &bare);
    for id in ["hdzf-hdyw", "beijing-yaowen", "jhsjk-101", "bjrb"] {
        let r = crawler
            .run_source(id, options(EDITION_DAY), &Quiet)
            .await
            .unwrap();
        assert_eq!((r.tally.new, r.pdfs), (0, 0), "{id}: {r:?}");
        assert_eq!(r.verdict, Verdict::Blocked, "{id}: {r:?}");
    }
    // The same sources with the preset's headers work (the other test checks them all).
    let crawler = self::crawler(&s, &s.config);
    let r = crawler
        .run_source("hdzf-hdyw", options(EDITION_DAY), &Quiet)
        .await
        .unwrap();
    assert_eq!((r.tally.new, r.verdict), (3, Verdict::Ok), "{r:?}");
}

#[tokio::test]
async fn a_day_without_an_edition_is_reported_as_such() {
    let s = setup().await;
    let crawler = crawler(&s, &s.config);
    let r = crawler
        .run_source("bjrb", options(NO_EDITION_DAY), &Quiet)
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::NoEdition, "{r:?}");
    assert_eq!((r.errors, r.pdfs), (0, 0), "{r:?}");
    let why = r.no_edition.unwrap();
    assert!(
        why.contains("2026-12-06") && why.contains("星期日"),
        "{why}"
    );
}

#[tokio::test]
async fn sources_check_gives_one_verdict_per_source() {
    let s = setup().await;
    let mut config = s.config.clone();
    // Broken copies of preset sources, as sites break them: a column removed, a list
    // moved to the home page, markup changed, a list emptied.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../presets/legacy.toml"),
    )
    .unwrap();
    let broken = format!(
        "{text}\n{}",
        r#"
[[source]]
id = "gone"
column = "x"
list_urls = ["https://hdqw.bjhd.gov.cn/qwyw/gone/"]

[[source]]
id = "moved"
column = "x"
list_urls = ["http://www.gov.cn/xinwen/yaowen.htm"]

[[source]]
id = "stale"
column = "x"
list_urls = ["https://hdqw.bjhd.gov.cn/qwyw/cwhd/"]
link = "ul.newList > li > a"

[[source]]
id = "empty"
column = "x"
list_urls = ["https://www.bjhd.gov.cn/ywdt/"]
headers = { Referer = "https://www.bjhd.gov.cn/ywdt/" }
script_links = false
"#
    );
    let extra = Config::parse(&broken, Path::new("broken.toml")).unwrap();
    config.sources = extra.sources;
    for source in &mut config.sources {
        source.delay = None;
    }
    let crawler = crawler(&s, &config);
    let line = |id: &'static str| {
        let crawler = &crawler;
        async move {
            let p = crawler.preview(id).await.unwrap();
            (jujiao_crawl::check_line(&p), p.report.verdict.is_failure())
        }
    };
    let (ok, failed) = line("hdqw-cwhd").await;
    assert_eq!((ok.as_str(), failed), ("ok: 3 items", false));
    assert_eq!(line("hdzf-hdyw").await.0, "ok: 3 items");
    assert_eq!(line("12371-dtbb").await.0, "ok: 3 items");
    assert_eq!(line("jhsjk-104").await.0, "ok: 3 items");
    let (challenge, failed) = line("nhc-xwdt").await;
    assert!(
        challenge.starts_with("challenge page (HTTP 412") && challenge.contains("瑞数"),
        "{challenge}"
    );
    assert!(failed);
    let (gone, failed) = line("gone").await;
    assert!(gone.starts_with("404: "), "{gone}");
    assert!(failed);
    let (moved, _) = line("moved").await;
    assert!(
        moved.starts_with("redirected to https://www.gov.cn/"),
        "{moved}"
    );
    let (stale, failed) = line("stale").await;
    assert_eq!(
        stale,
        "selectors no longer match: the automatic reading found 3 items instead"
    );
    assert!(failed);
    let (empty, failed) = line("empty").await;
    assert!(empty.starts_with("list empty"), "{empty}");
    assert!(failed);
    // Editions: the day's pages (today's, whatever today is: every day has a 人民日报).
    let (rmrb, failed) = line("rmrb").await;
    assert_eq!((rmrb.as_str(), failed), ("ok: 4 items", false));
}
