//! SQLite-only behaviour: real files, reopening, open errors, a failure forced inside
//! SQLite halfway through a batch, and a write→read round-trip law.

// Test code: helpers and strategies outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use jujiao_model::{Article, Attachment, AttachmentKind, Image, Paragraph, PublishTime};
use jujiao_store::{
    ArticleStore, CrawlLog, FilingQuery, RecordOutcome, SqliteStore, StoreError, open_store,
};
use proptest::prelude::*;
use sqlx::Connection;

#[tokio::test]
async fn reopening_a_file_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jujiao.db");
    let mut r = record("https://r.example/1", "标题", &["一"]);
    r.filing.legacy = Some(placement("领导活动/06月11日/标题.txt"));
    let revised = record("https://r.example/1", "标题", &["一", "二"]);
    let dup = record("https://r.example/2", "标题", &["一", "二"]);
    let (id, run) = {
        let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
        let id = store
            .record_articles(std::slice::from_ref(&r))
            .await
            .unwrap()[0]
            .article_id();
        store
            .record_articles(&[revised.clone(), dup])
            .await
            .unwrap();
        store
            .set_list_page_validators(
                "https://r.example/",
                &jujiao_store::Validators {
                    etag: Some("e1".into()),
                    last_modified: None,
                },
            )
            .await
            .unwrap();
        let run = store.start_run("r").await.unwrap();
        store.close().await;
        (id, run)
    };
    let store = open_store(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (
            stats.articles,
            stats.filings,
            stats.revisions,
            stats.urls,
            stats.duplicate_sources
        ),
        (1, 1, 1, 2, 1)
    );
    assert_eq!((stats.list_pages, stats.runs), (1, 1));
    let stored = store.article(id).await.unwrap().unwrap();
    assert_eq!(stored.article, revised.article);
    assert_eq!(stored.filings[0].filing, r.filing);
    assert_eq!(store.revisions(id).await.unwrap()[0].article, r.article);
    assert_eq!(store.last_runs().await.unwrap()[0].id, run);
    assert_eq!(
        store.record_articles(&[revised]).await.unwrap(),
        vec![RecordOutcome::Unchanged { article_id: id }]
    );
}

#[tokio::test]
async fn file_is_in_wal_mode_with_foreign_keys() {
    let (_store, dir) = open_file().await;
    let path = dir.as_ref().unwrap().path().join(jujiao_store::DEFAULT_DB);
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_failure_inside_sqlite_rolls_back_the_whole_batch() {
    let (store, dir) = open_file().await;
    let path = dir.as_ref().unwrap().path().join(jujiao_store::DEFAULT_DB);
    let first = record("https://t.example/0", "旧", &["旧"]);
    store.record_articles(&[first]).await.unwrap();
    {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        sqlx::query(
            "CREATE TRIGGER boom BEFORE INSERT ON filings WHEN NEW.column_name = '炸' \
             BEGIN SELECT RAISE(ABORT, 'forced failure'); END",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let mut bad = record("https://t.example/3", "三", &["三"]);
    bad.filing.column = "炸".into();
    let batch = [
        record("https://t.example/1", "一", &["一"]),
        record("https://t.example/0", "旧", &["新"]),
        record("https://t.example/2", "一", &["一"]),
        bad,
        record("https://t.example/4", "四", &["四"]),
    ];
    let err = store.record_articles(&batch).await.unwrap_err();
    assert!(matches!(err, StoreError::Query { .. }), "{err:?}");
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (stats.articles, stats.filings, stats.revisions, stats.urls),
        (1, 1, 0, 1)
    );
    let page = store.filed_articles(&FilingQuery::default()).await.unwrap();
    assert_eq!(page[0].article.paragraphs[0].raw, "旧");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    // A text file longer than SQLite's 100-byte header.
    tokio::fs::write(&path, "这不是数据库。".repeat(40))
        .await
        .unwrap();
    let err = SqliteStore::open(path.to_str().unwrap()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("notes.txt") && msg.contains("not an SQLite database"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = open_store(dir.path().to_str().unwrap()).await.unwrap_err();
    assert!(matches!(err, StoreError::IsDirectory { .. }), "{err:?}");
    assert!(err.to_string().contains("is a directory"), "{err}");
}

#[tokio::test]
async fn a_missing_parent_directory_is_named_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/jujiao.db");
    let err = SqliteStore::open(path.to_str().unwrap()).await.unwrap_err();
    assert!(matches!(err, StoreError::NoFolder { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("does not exist (create it, or correct the path)"),
        "{err}"
    );
    assert!(!dir.path().join("no").exists());
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}

#[tokio::test]
async fn memory_urls_open_a_private_store() {
    let a = open_store("sqlite::memory:").await.unwrap();
    let b = open_store("sqlite::memory:").await.unwrap();
    a.record_articles(&[record("https://m.example/", "t", &["p"])])
        .await
        .unwrap();
    assert_eq!(a.stats().await.unwrap().articles, 1);
    assert_eq!(b.stats().await.unwrap().articles, 0);
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ]{0,12}",
        "[\u{4e00}-\u{4e80}　\r\n]{0,16}",
        "\\PC{0,10}"
    ]
}

fn arb_article() -> impl Strategy<Value = Article> {
    let time = prop_oneof![
        Just(None),
        (0i64..2_000_000_000, 0u32..1_000_000_000, -12i32..14).prop_map(|(s, ns, h)| {
            let off = chrono::FixedOffset::east_opt(h * 3600).unwrap();
            let t = chrono::DateTime::from_timestamp(s, ns)
                .unwrap()
                .with_timezone(&off);
            Some(PublishTime::DateTime(t))
        }),
        (0i64..40_000).prop_map(|d| {
            Some(PublishTime::Date(
                chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(d),
            ))
        }),
    ];
    let kinds = proptest::sample::select(AttachmentKind::ALL.to_vec());
    (
        text(),
        time,
        proptest::option::of(text()),
        proptest::collection::vec(text(), 0..6),
        proptest::collection::vec((text(), proptest::option::of(text())), 0..3),
        proptest::collection::vec((text(), text(), kinds), 0..3),
        proptest::option::of(0i64..2_000_000_000_000_000),
    )
        .prop_map(
            |(title, published, author, paras, images, atts, fetched)| Article {
                source: "prop".into(),
                url: String::new(),
                title,
                published,
                author: author.clone(),
                origin: author.map(|a| format!("{a}报")),
                editor: None,
                paragraphs: paras.into_iter().map(Paragraph::new).collect(),
                images: images
                    .into_iter()
                    .map(|(url, alt)| Image { url, alt })
                    .collect(),
                attachments: atts
                    .into_iter()
                    .map(|(url, name, kind)| Attachment { url, name, kind })
                    .collect(),
                fetched_at: fetched
                    .map(chrono::DateTime::from_timestamp_micros)
                    .map(Option::unwrap),
                disclosure: None,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn what_is_written_is_read_back(articles in proptest::collection::vec(arb_article(), 1..6)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store = SqliteStore::in_memory().await.unwrap();
            let batch: Vec<_> = articles
                .into_iter()
                .enumerate()
                .map(|(i, mut a)| {
                    a.url = format!("https://prop.example/{i}");
                    let mut r = record("", "", &[]);
                    r.article = a;
                    r
                })
                .collect();
            let out = store.record_articles(&batch).await.unwrap();
            for (r, o) in batch.iter().zip(&out) {
                let stored = store.article(o.article_id()).await.unwrap().unwrap();
                match o {
                    RecordOutcome::Added { .. } => prop_assert_eq!(&stored.article, &r.article),
                    RecordOutcome::Duplicate { .. } => {
                        prop_assert_eq!(stored.fingerprint, r.article.fingerprint());
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
            Ok(())
        })?;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_and_readers_on_one_file() {
    let (store, _dir) = open_file().await;
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..5 {
                let batch: Vec<_> = (0..20)
                    .map(|i| {
                        record(
                            &format!("https://c.example/{w}/{b}/{i}"),
                            &format!("{w}-{b}-{i}"),
                            &["正文"],
                        )
                    })
                    .collect();
                store.record_articles(&batch).await.unwrap();
                store.filed_articles(&FilingQuery::default()).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let stats = store.stats().await.unwrap();
    assert_eq!((stats.articles, stats.filings, stats.urls), (400, 400, 400));
}

/// Regression: two `jujiao worker` processes started at once on a new SQLite file both
/// migrated it, and the second failed with "table articles already exists".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_stores_opening_a_new_file_at_once_all_open() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("new{round}.db"));
        let path = path.to_str().unwrap().to_owned();
        let opens: Vec<_> = (0..6)
            .map(|_| {
                let path = path.clone();
                tokio::spawn(async move { SqliteStore::open(&path).await.map(|_| ()) })
            })
            .collect();
        for open in opens {
            open.await.unwrap().unwrap();
        }
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.stats().await.unwrap().articles, 0);
    }
}

/// Issue 17, bug 5a: a store written before the fix merged an imported duplicate
/// without a filing; importing the archive again gives that file its place back.
#[tokio::test]
async fn reimporting_gives_a_merged_file_its_filing_back() {
    let (store, dir) = open_file().await;
    let path = dir.as_ref().unwrap().path().join(jujiao_store::DEFAULT_DB);
    let legacy = |rel: &str| {
        let mut r = record(
            &format!("legacy:{rel}"),
            "会议",
            &["　　内容一。", "内容二"],
        );
        r.article.source = "legacy".into();
        r.filing.legacy = Some(placement(rel));
        r
    };
    let (first, second) = (
        legacy("领导活动/06月11日/会议.txt"),
        legacy("领导活动/06月12日/会议.txt"),
    );
    store
        .record_articles(&[first.clone(), second.clone()])
        .await
        .unwrap();
    {
        // What the old version left: the second file's URL, no filing of its own.
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        sqlx::query("DELETE FROM filings WHERE legacy_path = '领导活动/06月12日/会议.txt'")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    assert_eq!(store.stats().await.unwrap().filings, 1);
    let out = store
        .record_articles(&[first, second.clone()])
        .await
        .unwrap();
    assert!(matches!(out[0], RecordOutcome::Unchanged { .. }), "{out:?}");
    assert!(matches!(out[1], RecordOutcome::Duplicate { .. }), "{out:?}");
    assert_eq!(store.stats().await.unwrap().filings, 2);
    let page = store.filed_articles(&FilingQuery::default()).await.unwrap();
    assert_eq!(page[1].filing, second.filing);
    let again = store.record_articles(&[second]).await.unwrap();
    assert!(
        matches!(again[0], RecordOutcome::Unchanged { .. }),
        "{again:?}"
    );
}

/// Migration 0013 on a store written by the previous version (migrations 0001–0012):
/// every filing and its placement survive the table's rebuild, and afterwards an
/// article may be filed in one column on two days while a collected article is still
/// filed once per column.
#[tokio::test]
async fn migration_0013_keeps_old_filings_and_drops_the_one_per_column_rule() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("migrations-0012");
    std::fs::create_dir(&old).unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(&all).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < "0013" {
            std::fs::copy(entry.path(), old.join(&name)).unwrap();
        }
    }
    let path = dir.path().join("old.db");
    let url = format!("sqlite:{}?mode=rwc", path.display());
    {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let migrator = sqlx::migrate::Migrator::new(old.as_path()).await.unwrap();
        migrator.run(&mut conn).await.unwrap();
        sqlx::query(
            "INSERT INTO articles (id, fingerprint, revision, source, url, title, paragraphs, \
             created_at, updated_at) VALUES (1, x'00', 1, 'legacy', 'legacy:a.txt', '会议', '[]', \
             '2020-06-11T00:00:00Z', '2020-06-11T00:00:00Z')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO filings (id, article_id, column_name, filing_date, legacy_path, \
             legacy_layout, filed_at) VALUES (7, 1, '领导活动', '2020-06-11', \
             '领导活动/06月11日/会议.txt', '{\"variant\":\"html\"}', '2020-06-11T00:00:00Z')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = SqliteStore::open_path(&path).await.unwrap();
    let page = store.filed_articles(&FilingQuery::default()).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].filing_id.0, 7);
    let legacy = page[0].filing.legacy.as_ref().unwrap();
    assert_eq!(legacy.rel_path, "领导活动/06月11日/会议.txt");
    assert_eq!(legacy.layout, serde_json::json!({"variant": "html"}));
    assert_eq!(page[0].article.title, "会议");
    store.close().await;

    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // The same article on a second day in the same column (an archive's filing)…
    sqlx::query(
        "INSERT INTO filings (article_id, column_name, filing_date, legacy_path, filed_at) \
         VALUES (1, '领导活动', '2020-06-12', '领导活动/06月12日/会议.txt', '2020-06-12')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    // …but a collected article once per column, and an archive path once.
    for sql in [
        "INSERT INTO filings (article_id, column_name, filing_date, filed_at) \
         VALUES (1, '国内新闻', '2020-06-12', 'x'), (1, '国内新闻', '2020-06-13', 'x')",
        "INSERT INTO filings (article_id, column_name, legacy_path, filed_at) \
         VALUES (1, '国际新闻', '领导活动/06月12日/会议.txt', 'x')",
    ] {
        let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
        assert!(err.to_string().contains("UNIQUE"), "{sql}: {err}");
    }
    conn.close().await.unwrap();
}
