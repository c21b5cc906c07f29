//! On-disk indexes: persistence across reopen, outdated layouts, foreign directories,
//! the writer lock, and a rebuild from a real SQLite store.

use chrono::NaiveDate;
use jujiao_model::{Article, Filing, Paragraph};
use jujiao_search::{
    IndexDoc, OpenState, SCHEMA_VERSION, SearchError, SearchIndex, SearchQuery, rebuild,
};
use jujiao_store::{ArticleRecord, ArticleStore, SqliteStore};
use std::time::{Duration, Instant};

fn doc(id: i64, title: &str) -> IndexDoc {
    IndexDoc {
        article_id: id,
        title: title.into(),
        body: format!("{title}的正文。"),
        column: "区内动态".into(),
        source: "hdnews".into(),
        date: NaiveDate::from_ymd_opt(2024, 10, 15),
        url: format!("https://example.invalid/{id}"),
        attachments_text: None,
        disclosure: None,
    }
}

/// Test files need no atomicity (the workspace bans `std::fs::write` for that reason).
fn write_file(path: impl AsRef<std::path::Path>, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(bytes).expect("write");
}

fn titles(index: &SearchIndex, text: &str) -> Vec<String> {
    let mut v: Vec<String> = index
        .search(&SearchQuery::new(text))
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.title)
        .collect();
    v.sort();
    v
}

#[test]
fn index_persists_across_reopen() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("jujiao.db.search");
    {
        let index = SearchIndex::open(&dir).expect("create");
        assert_eq!(index.state(), &OpenState::Created);
        index
            .index(&[doc(1, "疫情防控工作会议"), doc(2, "中关村论坛")])
            .expect("index");
        index.commit().expect("commit");
        index.index(&[doc(3, "未提交的文章")]).expect("index");
        // Dropped without commit: article 3 is lost, 1 and 2 are kept.
    }
    let index = SearchIndex::open(&dir).expect("reopen");
    assert_eq!(index.state(), &OpenState::Existing);
    assert_eq!(index.num_docs(), 2);
    assert_eq!(titles(&index, "疫情"), ["疫情防控工作会议"]);
    assert!(titles(&index, "未提交").is_empty());
}

#[test]
fn an_outdated_layout_is_recreated_with_a_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("idx");
    {
        let index = SearchIndex::open(&dir).expect("create");
        index.index(&[doc(1, "疫情防控")]).expect("index");
        index.commit().expect("commit");
    }
    write_file(dir.join("jujiao-search.json"), br#"{"schema_version":0}"#);
    let index = SearchIndex::open(&dir).expect("reopen");
    match index.state() {
        OpenState::Recreated { reason } => {
            assert!(
                reason.contains('0') && reason.contains(&SCHEMA_VERSION.to_string()),
                "{reason}"
            );
        }
        other => panic!("expected a recreated index, got {other:?}"),
    }
    assert_eq!(index.num_docs(), 0);
    drop(index);
    assert_eq!(
        SearchIndex::open(&dir).expect("reopen").state(),
        &OpenState::Existing
    );
}

#[test]
fn a_directory_of_other_files_is_left_alone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write_file(tmp.path().join("thesis.docx"), b"precious");
    let err = SearchIndex::open(tmp.path()).expect_err("not an index");
    assert!(matches!(err, SearchError::NotAnIndex { .. }), "{err:?}");
    assert!(
        err.to_string().contains("not a jujiao search index"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(tmp.path().join("thesis.docx")).expect("kept"),
        b"precious"
    );
}

#[test]
fn a_second_writer_gets_a_clear_lock_error_only_during_a_write_session() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let first = SearchIndex::open(tmp.path()).expect("open");
    first.index(&[doc(1, "疫情防控")]).expect("index");
    assert!(first.is_writing());
    let second = SearchIndex::open(tmp.path())
        .expect("open for reading")
        .with_lock_wait(Duration::from_millis(300));
    // While the first has uncommitted writes it holds the lock: the second waits, then
    // gives up with a message naming the directory.
    let started = Instant::now();
    let err = second.index(&[doc(2, "另一篇")]).expect_err("locked");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(matches!(err, SearchError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&tmp.path().display().to_string()),
        "{err}"
    );
    // The commit ends the session: the lock is free again and the reader sees the article.
    first.commit().expect("commit");
    assert!(!first.is_writing());
    second
        .index(&[doc(2, "另一篇文章")])
        .expect("index once the first committed");
    second.commit().expect("commit");
    assert_eq!(titles(&second, "疫情"), ["疫情防控"]);
    // The first picks up the second's commit by itself (tantivy watches meta.json).
    let deadline = Instant::now() + Duration::from_secs(10);
    while titles(&first, "另一篇").is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first never saw the second's commit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // And can write again.
    first.index(&[doc(3, "第三篇")]).expect("index");
    first.commit().expect("commit");
}

#[test]
fn a_writer_waits_for_a_busy_lock_and_then_writes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let first = SearchIndex::open(tmp.path()).expect("open");
    first.index(&[doc(1, "疫情防控")]).expect("index");
    let second = SearchIndex::open(tmp.path())
        .expect("open")
        .with_lock_wait(Duration::from_secs(30));
    std::thread::scope(|s| {
        let waiting = s.spawn(|| {
            second.index(&[doc(2, "等待写入的文章")])?;
            second.commit()
        });
        std::thread::sleep(Duration::from_millis(300));
        assert!(!waiting.is_finished(), "the second waits for the lock");
        first.commit().expect("commit");
        waiting
            .join()
            .expect("no panic")
            .expect("written after the wait");
    });
    assert_eq!(titles(&second, "等待写入"), ["等待写入的文章"]);
    assert_eq!(titles(&second, "疫情"), ["疫情防控"]);
}

#[test]
fn a_rollback_discards_the_session_and_frees_the_lock() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let first = SearchIndex::open(tmp.path()).expect("open");
    first.index(&[doc(1, "不要的文章")]).expect("index");
    first.rollback();
    let second = SearchIndex::open(tmp.path())
        .expect("open")
        .with_lock_wait(Duration::ZERO);
    second
        .index(&[doc(2, "要的文章")])
        .expect("the lock is free");
    second.commit().expect("commit");
    first.commit().expect("nothing to commit");
    assert!(titles(&first, "不要").is_empty());
    assert_eq!(titles(&first, "要的"), ["要的文章"]);
}

#[test]
fn the_index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SearchIndex>();
}

fn record(url: &str, title: &str, body: &str, column: &str, day: Option<u32>) -> ArticleRecord {
    ArticleRecord {
        article: Article {
            source: if url.contains("gov") {
                "hdgov"
            } else {
                "hdnews"
            }
            .into(),
            url: url.into(),
            title: title.into(),
            paragraphs: body.split('|').map(Paragraph::new).collect(),
            ..Article::default()
        },
        filing: Filing {
            column: column.into(),
            date: day.and_then(|d| NaiveDate::from_ymd_opt(2024, 10, d)),
            legacy: None,
        },
    }
}

#[tokio::test]
async fn rebuild_indexes_every_filed_article_of_a_sqlite_store() {
    let store = SqliteStore::in_memory().await.expect("store");
    let outcomes = store
        .record_articles(&[
            record(
                "https://news.example.invalid/1",
                "区委常委会召开会议",
                "　　于军主持会议。|研究疫情防控。",
                "领导活动",
                Some(15),
            ),
            record(
                "https://gov.example.invalid/2",
                "中关村科学城建设5G网络",
                "新建基站。",
                "区内动态",
                Some(16),
            ),
            record(
                "https://gov.example.invalid/3",
                "旧文件",
                "存档资料。",
                "历史资料",
                None,
            ),
            // Same content under another URL: a duplicate, not a second article.
            record(
                "https://news.example.invalid/4",
                "中关村科学城建设5G网络",
                "新建基站。",
                "区内动态",
                Some(16),
            ),
        ])
        .await
        .expect("record");
    assert_eq!(outcomes.len(), 4);

    let index = SearchIndex::in_memory().expect("index");
    index.index(&[doc(999, "重建前的旧条目")]).expect("index");
    index.commit().expect("commit");

    let report = rebuild(&index, &store).await.expect("rebuild");
    assert_eq!(report.articles, 3);
    assert_eq!(index.num_docs(), 3);
    assert!(
        titles(&index, "旧条目").is_empty(),
        "a rebuild starts from empty"
    );

    let r = index.search(&SearchQuery::new("于军")).expect("search");
    assert_eq!(r.hits.len(), 1);
    let h = &r.hits[0];
    assert_eq!(h.article_id, outcomes[0].article_id().0);
    assert_eq!(
        (h.column.as_str(), h.source.as_str()),
        ("领导活动", "hdnews")
    );
    assert_eq!(h.date, NaiveDate::from_ymd_opt(2024, 10, 15));
    assert!(
        jujiao_search::marked_html(&h.snippet, &h.snippet_marks)
            .starts_with("<mark>于军</mark>主持会议。 研究疫情防控。"),
        "{}",
        jujiao_search::marked_html(&h.snippet, &h.snippet_marks)
    );

    let mut q = SearchQuery::new("");
    q.column = Some("历史资料".into());
    let r = index.search(&q).expect("search");
    assert_eq!((r.total, r.hits[0].date), (1, None));
    assert_eq!(titles(&index, "5g"), ["中关村科学城建设5G网络"]);
}
