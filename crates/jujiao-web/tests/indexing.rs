//! The indexer keeps search in step with the store: new filings after a run, a mark that
//! survives restarts, a fresh index filled from the start.

#![allow(clippy::unwrap_used)]

mod common;

use jujiao_search::{SearchIndex, SearchQuery};
use jujiao_store::{SqliteStore, Store};
use jujiao_web::Indexer;
use std::sync::Arc;

async fn hits(indexer: &Indexer, text: &str) -> usize {
    indexer.search(SearchQuery::new(text)).await.unwrap().total
}

#[tokio::test]
async fn new_filings_are_indexed_and_the_mark_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.to_string_lossy()).await.unwrap());
    common::fill(store.as_ref()).await;
    let index_dir = dir.path().join("t.db.search");
    let mark = dir.path().join("t.db.search.indexed");

    let indexer = Indexer::new(
        SearchIndex::open(&index_dir).unwrap(),
        Arc::clone(&store),
        Some(mark.clone()),
    );
    assert_eq!(indexer.catch_up().await.unwrap(), 3);
    assert_eq!(hits(&indexer, "供暖").await, 1);
    assert_eq!(indexer.catch_up().await.unwrap(), 0, "nothing new");
    drop(indexer);

    // A crawl (here: a direct record) adds an article while the server is down.
    store
        .record_articles(&[common::record(
            common::article(
                "gov",
                50,
                "关于开展冬季森林防火检查的通知",
                &["各单位：现就森林防火检查通知如下。"],
            ),
            "通知公告",
            common::day(),
        )])
        .await
        .unwrap();
    let indexer = Indexer::new(
        SearchIndex::open(&index_dir).unwrap(),
        Arc::clone(&store),
        Some(mark.clone()),
    );
    assert_eq!(hits(&indexer, "森林防火").await, 0);
    assert_eq!(
        indexer.catch_up().await.unwrap(),
        1,
        "only the filing after the mark"
    );
    assert_eq!(hits(&indexer, "森林防火").await, 1);
    assert_eq!(hits(&indexer, "供暖").await, 1);
    drop(indexer);

    // A removed index is recreated empty and refilled from the start, whatever the mark.
    std::fs::remove_dir_all(&index_dir).unwrap();
    let indexer = Indexer::new(
        SearchIndex::open(&index_dir).unwrap(),
        Arc::clone(&store),
        Some(mark),
    );
    assert_eq!(indexer.catch_up().await.unwrap(), 4);
    assert_eq!(hits(&indexer, "秋粮").await, 1);
}

#[tokio::test]
async fn revised_days_are_indexed_again() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("t.db").to_string_lossy())
            .await
            .unwrap(),
    );
    common::fill(store.as_ref()).await;
    let indexer = Indexer::new(SearchIndex::in_memory().unwrap(), Arc::clone(&store), None);
    indexer.catch_up().await.unwrap();
    assert_eq!(hits(&indexer, "热力").await, 0);
    store
        .record_articles(&[common::record(
            common::article(
                "gov",
                2,
                "关于做好冬季供暖工作的通知",
                &["各区政府：热力公司须按时供暖。"],
            ),
            "通知公告",
            common::day(),
        )])
        .await
        .unwrap();
    assert_eq!(
        indexer.catch_up().await.unwrap(),
        0,
        "a revision makes no filing"
    );
    indexer
        .reindex_days(common::day(), common::day())
        .await
        .unwrap();
    assert_eq!(hits(&indexer, "热力").await, 1);
}
