//! PostgreSQL-only behaviour: several workers (separate pools) recording overlapping
//! batches at once, `open_store` on a `postgres://` URL, passwords kept out of errors
//! and `Debug`, and the rule that an explicitly named test server must answer.
//! Each test gets its own schema; see `common/pg.rs` for the server and skipping.

// Test code: helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use common::pg::{SKIPPED, Target, open_pg_at};
use common::*;
use jujiao_store::{ArticleRecord, ArticleStore, RecordOutcome, SourceKind, Store, open_store};
use std::collections::HashSet;
use std::sync::Arc;

const WORKERS: usize = 4;
const TEXTS: usize = 60;
const BATCH: usize = 10;

/// Text `i` is served at a URL of each worker's own (a reprint: the same fingerprint under
/// different URLs, so only the text can bring workers together) and, for even `i`, also
/// at a shared URL every worker records.
fn has_shared(i: usize) -> bool {
    i.is_multiple_of(2)
}

fn shared(i: usize) -> ArticleRecord {
    record(
        &format!("https://w.example/shared/{i}"),
        &format!("稿件{i}"),
        &["正文"],
    )
}

fn reprint(w: usize, i: usize) -> ArticleRecord {
    let mut r = record(
        &format!("https://w{w}.example/{i}"),
        &format!("稿件{i}"),
        &["正文"],
    );
    r.article.source = format!("worker{w}");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_recording_the_same_urls_and_texts_make_one_article_each() {
    let Some((first, guard)) = open_pg_at(Target::from_env()).await else {
        return;
    };
    let mut stores: Vec<Arc<dyn Store>> = vec![Arc::new(first)];
    for _ in 1..WORKERS {
        stores.push(Arc::new(guard.open_another().await));
    }

    // Phase 1: every worker records all texts, each in its own order, through its own
    // reprint URL and the shared URL if there is one.
    let mut tasks = Vec::new();
    for (w, store) in stores.iter().cloned().enumerate() {
        tasks.push(tokio::spawn(async move {
            // Multipliers prime to TEXTS: a different permutation per worker.
            let step = [7, 11, 13, 17][w % 4];
            let order: Vec<usize> = (0..TEXTS).map(|k| (k * step + w) % TEXTS).collect();
            let records: Vec<ArticleRecord> = order
                .iter()
                .flat_map(|&i| match (has_shared(i), (i / 2 + w) % 2 == 0) {
                    (false, _) => vec![reprint(w, i)],
                    (true, true) => vec![shared(i), reprint(w, i)],
                    (true, false) => vec![reprint(w, i), shared(i)],
                })
                .collect();
            let mut outcomes = Vec::new();
            for chunk in records.chunks(BATCH) {
                outcomes.extend(store.record_articles(chunk).await.unwrap());
            }
            outcomes
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.extend(t.await.unwrap());
    }
    let shared_urls = (0..TEXTS).filter(|&i| has_shared(i)).count();
    let urls = TEXTS * WORKERS + shared_urls;
    let count = |f: fn(&RecordOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    assert_eq!(count(|o| matches!(o, RecordOutcome::Added { .. })), TEXTS);
    // Every URL is new exactly once; the shared ones are unchanged for the other workers.
    assert_eq!(
        count(|o| matches!(o, RecordOutcome::Duplicate { .. })),
        urls - TEXTS
    );
    assert_eq!(
        count(|o| matches!(o, RecordOutcome::Unchanged { .. })),
        shared_urls * (WORKERS - 1)
    );

    let stats = stores[0].stats().await.unwrap();
    assert_eq!(
        (
            stats.articles,
            stats.filings,
            stats.urls,
            stats.duplicate_sources
        ),
        (
            TEXTS as u64,
            TEXTS as u64,
            urls as u64,
            (urls - TEXTS) as u64
        )
    );
    // Each text's URLs all point at one article, with exactly one primary.
    let mut articles = HashSet::new();
    for i in 0..TEXTS {
        let urls: Vec<String> = has_shared(i)
            .then(|| shared(i).article.url)
            .into_iter()
            .chain((0..WORKERS).map(|w| reprint(w, i).article.url))
            .collect();
        let out = stores[i % WORKERS]
            .record_articles(&[reprint(i % WORKERS, i)])
            .await
            .unwrap();
        assert!(matches!(out[0], RecordOutcome::Unchanged { .. }), "{out:?}");
        let id = out[0].article_id();
        assert!(articles.insert(id));
        let sources = stores[0].sources_of(id).await.unwrap();
        let seen: HashSet<String> = sources.iter().map(|s| s.url.clone()).collect();
        assert_eq!(seen, urls.into_iter().collect::<HashSet<_>>(), "text {i}");
        assert_eq!(
            sources
                .iter()
                .filter(|s| s.kind == SourceKind::Primary)
                .count(),
            1
        );
    }

    // Phase 2: every worker revises the shared URLs to the same new text at once:
    // one revision per article, the others see it unchanged.
    let mut tasks = Vec::new();
    for (w, store) in stores.iter().cloned().enumerate() {
        tasks.push(tokio::spawn(async move {
            let records: Vec<ArticleRecord> = (0..TEXTS)
                .map(|k| (k + w * 13) % TEXTS)
                .filter(|&i| has_shared(i))
                .map(|i| {
                    record(
                        &format!("https://w.example/shared/{i}"),
                        &format!("稿件{i}"),
                        &["正文", "更正"],
                    )
                })
                .collect();
            let mut outcomes = Vec::new();
            for chunk in records.chunks(BATCH) {
                outcomes.extend(store.record_articles(chunk).await.unwrap());
            }
            outcomes
        }));
    }
    let mut revised = 0;
    for t in tasks {
        for o in t.await.unwrap() {
            match o {
                RecordOutcome::Revised { revision: 2, .. } => revised += 1,
                RecordOutcome::Unchanged { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(revised, shared_urls);
    let stats = stores[0].stats().await.unwrap();
    assert_eq!(
        (stats.articles, stats.revisions),
        (TEXTS as u64, shared_urls as u64)
    );
}

/// Story `i` as worker `w`'s source publishes it: the same title (spacing aside) and
/// body, with the worker's own byline, so every worker's fingerprint differs.
fn story(w: usize, i: usize) -> ArticleRecord {
    let body: Vec<String> = (0..4)
        .map(|k| {
            format!(
                "　　第{i}号稿件第{k}段：会议传达学习了上级有关会议精神，研究部署下一阶段重点工作。"
            )
        })
        .chain(std::iter::once(format!("（来源：第{w}号网站）")))
        .collect();
    let body: Vec<&str> = body.iter().map(String::as_str).collect();
    let title = if w.is_multiple_of(2) {
        format!("第{i}号 稿件")
    } else {
        format!("第{i}号稿件")
    };
    let mut r = record(&format!("https://s{w}.example/{i}"), &title, &body);
    r.article.source = format!("site{w}");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_recording_near_duplicates_at_once_make_one_article_each() {
    let Some((first, guard)) = open_pg_at(Target::from_env()).await else {
        return;
    };
    let mut stores: Vec<Arc<dyn Store>> = vec![Arc::new(first)];
    for _ in 1..WORKERS {
        stores.push(Arc::new(guard.open_another().await));
    }
    let mut tasks = Vec::new();
    for (w, store) in stores.iter().cloned().enumerate() {
        tasks.push(tokio::spawn(async move {
            let step = [7, 11, 13, 17][w % 4];
            let records: Vec<ArticleRecord> = (0..TEXTS)
                .map(|k| story(w, (k * step + w) % TEXTS))
                .collect();
            let mut outcomes = Vec::new();
            for chunk in records.chunks(BATCH) {
                outcomes.extend(store.record_articles(chunk).await.unwrap());
            }
            outcomes
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.extend(t.await.unwrap());
    }
    let added = outcomes
        .iter()
        .filter(|o| matches!(o, RecordOutcome::Added { .. }))
        .count();
    let near = outcomes
        .iter()
        .filter(|o| matches!(o, RecordOutcome::NearDuplicate { .. }))
        .count();
    assert_eq!((added, near), (TEXTS, TEXTS * (WORKERS - 1)));
    let stats = stores[0].stats().await.unwrap();
    assert_eq!(
        (stats.articles, stats.filings),
        (TEXTS as u64, TEXTS as u64)
    );
}

#[tokio::test]
async fn open_store_picks_postgres_and_hides_the_password() {
    let Some((_store, guard)) = open_pg_at(Target::from_env()).await else {
        return;
    };
    // The test server trusts 127.0.0.1, so any password is accepted: enough to check
    // where it could leak. `options` pins the connection to the test's schema.
    let with_password = guard.url.replacen("://postgres@", "://postgres:s3cret@", 1);
    if with_password == guard.url {
        println!(
            "skipped: {} has no plain `postgres@` user to add a password to",
            common::pg::ENV
        );
        return;
    }
    let sep = if with_password.contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!(
        "{with_password}{sep}options=-c%20search_path%3D{}",
        guard.schema
    );
    let store = open_store(&url).await.unwrap();
    assert!(!store.location().contains("s3cret"), "{}", store.location());
    assert!(store.location().contains("****"), "{}", store.location());
    assert!(!format!("{store:?}").contains("s3cret"), "{store:?}");
    let out = store
        .record_articles(&[record("https://o.example/1", "一", &["一"])])
        .await
        .unwrap();
    assert!(matches!(out[0], RecordOutcome::Added { .. }));
    // It wrote into the test's schema, not the database's default one.
    let mine = guard.open_another().await;
    assert_eq!(mine.stats().await.unwrap().articles, 1);
}

#[tokio::test]
async fn a_connection_error_does_not_show_the_password() {
    let err = open_store("postgres://jj:s3cret@127.0.0.1:1/jujiao")
        .await
        .unwrap_err();
    let mut chain = format!("{err:?}");
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        chain.push_str(&format!(" / {e}"));
        source = e.source();
    }
    assert!(!chain.contains("s3cret"), "{chain}");
    assert!(chain.contains("jj:****@127.0.0.1:1/jujiao"), "{chain}");
}

#[tokio::test]
#[should_panic(expected = "JUJIAO_TEST_PG")]
async fn a_named_server_that_does_not_answer_fails_the_test() {
    open_pg_at(Target::Explicit(
        "postgres://postgres@127.0.0.1:1/test".into(),
    ))
    .await;
}

#[tokio::test]
async fn the_default_server_not_answering_skips() {
    let opened = open_pg_at(Target::Default(
        "postgres://postgres@127.0.0.1:1/test".into(),
    ))
    .await;
    assert!(opened.is_none());
    assert!(SKIPPED.contains("JUJIAO_TEST_PG"));
}

/// A claim that meets a locked row of an in-flight message — as a second claimer met
/// the rows a first one had locked and not yet the rest — waits for it and then takes
/// the message whole, or (if the other took it) nothing; with `SKIP LOCKED` it took
/// every row but the locked one, splitting the message.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_waits_for_a_locked_row_of_its_message_instead_of_splitting_it() {
    use chrono::{Duration as Span, Utc};
    use jujiao_store::{DeliveryId, NewWatchMatch, WatchStore};
    use sqlx::{Connection, Executor};
    use std::time::Duration;
    let Some((first, guard)) = open_pg_at(Target::from_env()).await else {
        return;
    };
    let records: Vec<_> = (0..20)
        .map(|i| {
            record(
                &format!("https://w.example/m/{i}"),
                &format!("标题{i}"),
                &["正文"],
            )
        })
        .collect();
    let outcomes = first.record_articles(&records).await.unwrap();
    let now = Utc::now();
    let matches: Vec<_> = outcomes
        .iter()
        .map(|o| NewWatchMatch {
            rule: "规则".into(),
            article_id: o.article_id(),
            title: "标题".into(),
            source_id: "test".into(),
            column: "要闻".into(),
            url: "https://w.example/".into(),
            published: None,
            excerpt: String::new(),
            deliveries: vec![("群".into(), now - Span::seconds(1))],
        })
        .collect();
    first.record_watch_matches(&matches).await.unwrap();
    let lease = Duration::from_secs(60);
    let sent: Vec<DeliveryId> = first
        .claim_deliveries("dead", "群", 200, lease, now)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    first.begin_send(&sent, "dead", "k", now).await.unwrap();

    // Another transaction holds the message's first row.
    let mut holder = sqlx::PgConnection::connect(&guard.url).await.unwrap();
    holder
        .execute(format!("SET search_path TO \"{}\"", guard.schema).as_str())
        .await
        .unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute(
            "SELECT id FROM watch_outbox WHERE message_key = 'k' ORDER BY id LIMIT 1 FOR UPDATE",
        )
        .await
        .unwrap();
    let claimer = guard.open_another().await;
    let later = now + Span::seconds(61);
    let claim = tokio::spawn(async move {
        claimer
            .claim_deliveries("b", "群", 200, lease, later)
            .await
            .unwrap()
    });
    // Wait for the event: the claim blocked on the lock, or it finished.
    let mut watcher = sqlx::PgConnection::connect(&guard.url).await.unwrap();
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE wait_event_type = 'Lock' AND datname = current_database()",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting > 0 || claim.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    holder.execute("COMMIT").await.unwrap();
    let got: Vec<DeliveryId> = claim.await.unwrap().iter().map(|d| d.id).collect();
    assert_eq!(
        got,
        sent,
        "the message whole, not {} of its {} rows",
        got.len(),
        sent.len()
    );
}
