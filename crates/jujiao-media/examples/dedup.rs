//! Disk used by images with and without de-duplication, for a crawl where images
//! repeat (a site logo and banners on every article, photos reused across reports):
//! `cargo run --release -p jujiao-media --example dedup -- [articles] [images-per-article]`.
//!
//! A loopback site serves 40 distinct JPEG-like files of 30–90 KB; each article uses the
//! site logo, one of 3 banners, and `images-per-article − 2` photos from a pool of 36
//! (photos are reused by several reports under different URLs). Every article's files
//! are collected through the real [`Collector`] into a real SQLite store; "without
//! de-duplication" is what keeping each article's own copy (the old `图片/` folders)
//! would take: the sum of every article's file sizes.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use jujiao_fetch::{FetcherConfig, HttpFetcher, Politeness};
use jujiao_media::{Collector, FileStore, MediaReport, MediaSettings};
use jujiao_model::{Article, Filing, Image, Paragraph};
use jujiao_store::{ArticleRecord, SqliteStore, Store};
use std::sync::Arc;

fn image(n: u32) -> Vec<u8> {
    let len = 30_000 + (n as usize * 1_543) % 60_000;
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..len).map(|i| ((i as u32).wrapping_mul(2_654_435_761) ^ n) as u8));
    v
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let articles: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let per_article: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);

    let app = Router::new().route(
        "/{dir}/{file}",
        axum::routing::get(|Path((_, file)): Path<(String, String)>| async move {
            let n: u32 = file.trim_end_matches(".jpg").parse().unwrap_or(0);
            ([(header::CONTENT_TYPE, "image/jpeg")], image(n % 40))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db.to_str().unwrap()).await.unwrap());
    let files = FileStore::beside_database(db.to_str().unwrap()).unwrap();
    let fetcher = Arc::new(HttpFetcher::new(FetcherConfig {
        allow_private: true,
        politeness: Politeness::off(16),
        ..FetcherConfig::default()
    }));
    let collector = Collector::new(
        fetcher,
        Arc::clone(&store),
        files.clone(),
        MediaSettings::default(),
    );

    let started = std::time::Instant::now();
    let mut total = MediaReport::default();
    let mut without_dedup: u64 = 0;
    for i in 0..articles {
        let mut urls = vec![
            format!("{base}/static/0.jpg"),
            format!("{base}/banner/{}.jpg", 1 + i % 3),
        ];
        for k in 0..per_article.saturating_sub(2) {
            // Photos: 36 distinct, each report's photos also appear in later reports
            // under that report's own folder (a different URL for the same bytes).
            let photo = 4 + (i * 7 + k * 5) % 36;
            urls.push(format!("{base}/a{}/{photo}.jpg", i % 50));
        }
        without_dedup += urls
            .iter()
            .map(|u| {
                let n: u32 = u
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .trim_end_matches(".jpg")
                    .parse()
                    .unwrap();
                image(n % 40).len() as u64
            })
            .sum::<u64>();
        let article = Article {
            source: "bench".into(),
            url: format!("{base}/art/{i}.html"),
            title: format!("稿件 {i}"),
            paragraphs: vec![Paragraph::new(format!("正文 {i}"))],
            images: urls
                .into_iter()
                .map(|url| Image { url, alt: None })
                .collect(),
            ..Article::default()
        };
        let id = store
            .record_articles(&[ArticleRecord {
                article: article.clone(),
                filing: Filing {
                    column: "测试".into(),
                    date: None,
                    legacy: None,
                },
            }])
            .await
            .unwrap()[0]
            .article_id();
        total.merge(collector.collect(id, &article, None).await);
    }
    let with_dedup = files.disk_usage();
    println!(
        "articles {articles}, image references {}",
        articles * per_article
    );
    println!(
        "fetched {} files, {} URLs reused without fetching, {} fetched files already stored",
        total.fetched, total.reused, total.deduplicated
    );
    println!(
        "disk without de-duplication {:.1} MB, with {:.1} MB ({:.1}×), failures {}",
        without_dedup as f64 / 1e6,
        with_dedup as f64 / 1e6,
        without_dedup as f64 / with_dedup.max(1) as f64,
        total.failures.len()
    );
    println!("time {:.2}s", started.elapsed().as_secs_f64());
}
