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

#[tokio::test]
async fn exactly_the_changed_articles_are_indexed_in_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("t.db").to_string_lossy())
            .await
            .unwrap(),
    );
    common::fill(store.as_ref()).await;
    let index_dir = dir.path().join("t.db.search");
    let indexer = Indexer::new(
        SearchIndex::open(&index_dir).unwrap(),
        Arc::clone(&store),
        None,
    );
    assert_eq!(indexer.catch_up().await.unwrap(), 3);

    // A run revises an article (no new filing) and adds one.
    let outcomes = store
        .record_articles(&[
            common::record(
                common::article(
                    "gov",
                    2,
                    "关于做好冬季供暖工作的通知",
                    &["各区政府：热力公司须按时供暖。"],
                ),
                "通知公告",
                common::day(),
            ),
            common::record(
                common::article(
                    "gov",
                    60,
                    "关于开展冬季森林防火检查的通知",
                    &["各单位：现就森林防火检查通知如下。"],
                ),
                "通知公告",
                common::day(),
            ),
        ])
        .await
        .unwrap();
    let changed: Vec<i64> = outcomes.iter().map(|o| o.article_id().0).collect();
    assert_eq!(
        indexer.index_changed(&changed).await.unwrap(),
        2,
        "the revised and the new article, the new one once"
    );
    assert_eq!(
        hits(&indexer, "热力").await,
        1,
        "the revision is searchable"
    );
    assert_eq!(hits(&indexer, "森林防火").await, 1);
    assert_eq!(hits(&indexer, "供暖").await, 1, "replaced, not added");
    assert!(
        !indexer.index().is_writing(),
        "the commit ended the write session, so the CLI can write the index"
    );
    assert_eq!(indexer.index_changed(&[]).await.unwrap(), 0, "nothing new");
    assert_eq!(
        indexer.index_changed(&[424_242]).await.unwrap(),
        0,
        "an unknown id is skipped"
    );

    // Another process holds the writer lock: the call fails, and the revised article
    // comes along with the next call once the lock is free.
    drop(indexer);
    let indexer = Indexer::new(
        SearchIndex::open(&index_dir)
            .unwrap()
            .with_lock_wait(std::time::Duration::from_millis(200)),
        Arc::clone(&store),
        None,
    );
    assert_eq!(
        indexer.catch_up().await.unwrap(),
        4,
        "no mark file: from the start"
    );
    let other = SearchIndex::open(&index_dir).unwrap();
    other.index(&[]).unwrap();
    assert!(other.is_writing());
    let outcomes = store
        .record_articles(&[common::record(
            common::article(
                "gov",
                2,
                "关于做好冬季供暖工作的通知",
                &["热力公司须提前供暖。"],
            ),
            "通知公告",
            common::day(),
        )])
        .await
        .unwrap();
    let err = indexer
        .index_changed(&[outcomes[0].article_id().0])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("search"), "{err:#}");
    assert!(
        !indexer.index().is_writing(),
        "a failure leaves no session open"
    );
    other.commit().unwrap();
    assert_eq!(
        indexer.index_changed(&[]).await.unwrap(),
        1,
        "the pending revision"
    );
    assert_eq!(hits(&indexer, "提前供暖").await, 1);
}
