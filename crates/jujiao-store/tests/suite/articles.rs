//! The contract for articles, filings, revisions and sources.

use crate::common::*;
use jujiao_store::{
    ArticleId, FilingQuery, RecordOutcome, SourceKind, Store, StoreError, StoreStats,
};
use std::collections::HashSet;
use std::sync::Arc;

pub async fn added_then_unchanged(store: Arc<dyn Store>) {
    let r = record(
        "https://a.example/1.html",
        "区委常委会",
        &["　　会议指出。", "第二段"],
    );
    let out = store
        .record_articles(std::slice::from_ref(&r))
        .await
        .unwrap();
    let RecordOutcome::Added {
        article_id,
        filing_id,
    } = out[0]
    else {
        panic!("expected Added, got {out:?}");
    };
    let again = store
        .record_articles(std::slice::from_ref(&r))
        .await
        .unwrap();
    assert_eq!(again, vec![RecordOutcome::Unchanged { article_id }]);

    let stored = store.article(article_id).await.unwrap().unwrap();
    assert_eq!(stored.article, r.article);
    assert_eq!(stored.revision, 1);
    assert_eq!(stored.fingerprint, r.article.fingerprint());
    assert_eq!(stored.filings.len(), 1);
    assert_eq!(stored.filings[0].id, filing_id);
    assert_eq!(stored.filings[0].filing, r.filing);
    assert_eq!(
        store.stats().await.unwrap(),
        StoreStats {
            articles: 1,
            filings: 1,
            urls: 1,
            ..StoreStats::default()
        }
    );
}

pub async fn changed_content_is_a_revision(store: Arc<dyn Store>) {
    let url = "https://a.example/2.html";
    let v1 = record(url, "通知", &["第一版"]);
    let mut v2 = record(url, "通知", &["第一版", "补充一段"]);
    v2.filing.column = "另一栏目".into(); // ignored: a revision is not filed again
    let out = store
        .record_articles(std::slice::from_ref(&v1))
        .await
        .unwrap();
    let id = out[0].article_id();
    let out = store
        .record_articles(std::slice::from_ref(&v2))
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![RecordOutcome::Revised {
            article_id: id,
            revision: 2
        }]
    );
    assert_eq!(
        store
            .record_articles(std::slice::from_ref(&v2))
            .await
            .unwrap(),
        vec![RecordOutcome::Unchanged { article_id: id }]
    );

    let stored = store.article(id).await.unwrap().unwrap();
    assert_eq!(stored.article, v2.article);
    assert_eq!(stored.revision, 2);
    assert_eq!(stored.filings.len(), 1);
    assert_eq!(stored.filings[0].filing, v1.filing);

    let revs = store.revisions(id).await.unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!((revs[0].revision, &revs[0].article), (1, &v1.article));
    assert_eq!(revs[0].fingerprint, v1.article.fingerprint());
    assert_eq!((revs[1].revision, &revs[1].article), (2, &v2.article));
    assert!(revs[0].stored_at <= revs[1].stored_at);

    let page = store.filed_articles(&FilingQuery::default()).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].article, v2.article);
    assert_eq!(page[0].revision, 2);
    let stats = store.stats().await.unwrap();
    assert_eq!((stats.articles, stats.filings, stats.revisions), (1, 1, 1));
}

pub async fn same_text_elsewhere_is_a_duplicate(store: Arc<dyn Store>) {
    let mut first = record(
        "legacy:领导活动/06月11日/会议.txt",
        "会议",
        &["　　内容一。", "内容二"],
    );
    first.article.source = "legacy".into();
    first.filing.legacy = Some(placement("领导活动/06月11日/会议.txt"));
    // Same visible text, different layout, another source and column.
    let mut second = record(
        "https://b.example/x.html",
        "会议 ",
        &["内容一。\r\n", "  内容二"],
    );
    second.filing.column = "北京新闻".into();

    let out = store
        .record_articles(std::slice::from_ref(&first))
        .await
        .unwrap();
    let RecordOutcome::Added {
        article_id,
        filing_id,
    } = out[0]
    else {
        panic!("{out:?}")
    };
    let out = store
        .record_articles(std::slice::from_ref(&second))
        .await
        .unwrap();
    let RecordOutcome::Duplicate {
        article_id: dup_of,
        existing,
    } = &out[0]
    else {
        panic!("expected Duplicate, got {out:?}");
    };
    assert_eq!(*dup_of, article_id);
    assert_eq!(existing.id, filing_id);
    assert_eq!(existing.column, first.filing.column);
    assert_eq!(existing.date, first.filing.date);
    assert_eq!(
        existing.legacy_path.as_deref(),
        Some("领导活动/06月11日/会议.txt")
    );

    let sources = store.sources_of(article_id).await.unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(
        (sources[0].kind, sources[0].url.as_str()),
        (SourceKind::Primary, first.article.url.as_str())
    );
    assert_eq!(sources[0].source, "legacy");
    assert_eq!(sources[0].offered_filing, None);
    assert_eq!(
        (sources[1].kind, sources[1].url.as_str()),
        (SourceKind::Duplicate, second.article.url.as_str())
    );
    assert_eq!(sources[1].source, "test");
    assert_eq!(sources[1].offered_filing.as_ref(), Some(&second.filing));

    // The duplicate URL is known now and unchanged on the next visit.
    let known = store
        .known_urls(&[second.article.url.clone()])
        .await
        .unwrap();
    assert!(known.contains(&second.article.url));
    assert_eq!(
        store.record_articles(&[second]).await.unwrap(),
        vec![RecordOutcome::Unchanged { article_id }]
    );
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (
            stats.articles,
            stats.filings,
            stats.urls,
            stats.duplicate_sources
        ),
        (1, 1, 2, 1)
    );
    // The article shows the first content, all sources visible.
    assert_eq!(
        store.article(article_id).await.unwrap().unwrap().article,
        first.article
    );
}

pub async fn duplicates_and_revisions_within_one_batch(store: Arc<dyn Store>) {
    let a1 = record("https://a.example/1", "标题", &["正文"]);
    let a2 = record("https://a.example/2", "标题", &["正文"]);
    let b1 = record("https://a.example/3", "另一篇", &["第一稿"]);
    let b2 = record("https://a.example/3", "另一篇", &["第二稿"]);
    let c = record("https://a.example/4", "另一篇", &["第二稿"]);
    let out = store
        .record_articles(&[a1.clone(), a2, a1, b1, b2, c])
        .await
        .unwrap();
    let RecordOutcome::Added {
        article_id: a,
        filing_id: fa,
    } = out[0]
    else {
        panic!("{out:?}")
    };
    assert!(
        matches!(&out[1], RecordOutcome::Duplicate { article_id, existing } if *article_id == a && existing.id == fa),
        "{out:?}"
    );
    assert_eq!(out[2], RecordOutcome::Unchanged { article_id: a });
    let RecordOutcome::Added {
        article_id: b,
        filing_id: fb,
    } = out[3]
    else {
        panic!("{out:?}")
    };
    assert_eq!(
        out[4],
        RecordOutcome::Revised {
            article_id: b,
            revision: 2
        }
    );
    // The revised text is the article's text now, so a new URL with it is a duplicate.
    assert!(
        matches!(&out[5], RecordOutcome::Duplicate { article_id, existing } if *article_id == b && existing.id == fb),
        "{out:?}"
    );
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (
            stats.articles,
            stats.filings,
            stats.revisions,
            stats.urls,
            stats.duplicate_sources
        ),
        (2, 2, 1, 4, 2)
    );
}

pub async fn a_shared_text_is_a_duplicate_of_the_oldest_article(store: Arc<dyn Store>) {
    let a = record("https://s.example/a", "同题", &["甲"]);
    let b1 = record("https://s.example/b", "乙稿", &["乙"]);
    let out = store.record_articles(&[a.clone(), b1]).await.unwrap();
    let (ida, idb) = (out[0].article_id(), out[1].article_id());
    // b is revised to a's text: two articles now share one fingerprint.
    let b2 = record("https://s.example/b", "同题", &["甲"]);
    assert_eq!(
        store.record_articles(&[b2]).await.unwrap(),
        vec![RecordOutcome::Revised {
            article_id: idb,
            revision: 2
        }]
    );
    let c = record("https://s.example/c", "同题", &["甲"]);
    let out = store.record_articles(&[c]).await.unwrap();
    assert!(
        matches!(&out[0], RecordOutcome::Duplicate { article_id, .. } if *article_id == ida),
        "{out:?}"
    );
}

pub async fn a_lagging_reprint_does_not_flip_the_article(store: Arc<dyn Store>) {
    let original = record("https://o.example/1", "公告", &["初稿"]);
    let reprint = record("https://r.example/9", "公告", &["初稿"]);
    let out = store
        .record_articles(&[original, reprint.clone()])
        .await
        .unwrap();
    let id = out[0].article_id();
    assert!(matches!(out[1], RecordOutcome::Duplicate { .. }), "{out:?}");
    let corrected = record("https://o.example/1", "公告", &["更正稿"]);
    let out = store
        .record_articles(&[corrected.clone(), reprint.clone()])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            RecordOutcome::Revised {
                article_id: id,
                revision: 2
            },
            RecordOutcome::Unchanged { article_id: id },
        ]
    );
    assert_eq!(
        store.record_articles(&[reprint]).await.unwrap(),
        vec![RecordOutcome::Unchanged { article_id: id }]
    );
    assert_eq!(
        store.article(id).await.unwrap().unwrap().article,
        corrected.article
    );
    assert_eq!(store.revisions(id).await.unwrap().len(), 2);
}

pub async fn legacy_placement_round_trips(store: Arc<dyn Store>) {
    let mut r = record(
        "legacy:网络聚焦/国内新闻/10月15日/标题.txt",
        "标题",
        &["　　段落\r\n续行"],
    );
    r.filing.legacy = Some(placement("网络聚焦/国内新闻/10月15日/标题.txt"));
    let mut undated = record("legacy:讲话/第3页/讲话.txt", "讲话", &["  文本"]);
    undated.filing.date = None;
    undated.filing.legacy = Some(jujiao_model::LegacyPlacement {
        rel_path: "讲话/第3页/讲话.txt".into(),
        layout: serde_json::Value::Null,
    });
    store
        .record_articles(&[r.clone(), undated.clone()])
        .await
        .unwrap();
    let page = store.filed_articles(&FilingQuery::default()).await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].filing, r.filing);
    assert_eq!(page[0].article, r.article);
    assert_eq!(page[1].filing, undated.filing);
    assert_eq!(page[1].article.paragraphs[0].raw, "  文本");
}

pub async fn paging_and_filters(store: Arc<dyn Store>) {
    let columns = ["领导活动", "通知公告", "国内新闻"];
    let mut batch = Vec::new();
    for i in 0..30u32 {
        let mut r = record(
            &format!("https://p.example/{i}"),
            &format!("第{i}篇"),
            &["正文"],
        );
        r.filing.column = columns[i as usize % 3].into();
        r.filing.date = if i % 10 == 9 {
            None
        } else {
            Some(day(1 + i % 5))
        };
        batch.push(r);
    }
    store.record_articles(&batch).await.unwrap();

    // All of them, in pages of 7, by filing id.
    let mut seen = Vec::new();
    let mut q = FilingQuery {
        limit: 7,
        ..FilingQuery::default()
    };
    loop {
        let page = store.filed_articles(&q).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        q.after = Some(page.last().unwrap().filing_id);
        seen.extend(page);
    }
    assert_eq!(seen.len(), 30);
    assert!(seen.windows(2).all(|w| w[0].filing_id < w[1].filing_id));
    let titles: Vec<_> = seen.iter().map(|f| f.article.title.clone()).collect();
    let expected: Vec<_> = (0..30).map(|i| format!("第{i}篇")).collect();
    assert_eq!(titles, expected);

    let count = |q: FilingQuery| {
        let store = store.clone();
        async move { store.filed_articles(&q).await.unwrap() }
    };
    // A date range excludes the 3 undated filings.
    let ranged = count(FilingQuery {
        since: Some(day(1)),
        until: Some(day(5)),
        ..FilingQuery::default()
    })
    .await;
    assert_eq!(ranged.len(), 27);
    let one_day = count(FilingQuery {
        since: Some(day(2)),
        until: Some(day(2)),
        ..FilingQuery::default()
    })
    .await;
    assert!(one_day.iter().all(|f| f.filing.date == Some(day(2))));
    assert_eq!(
        one_day.len(),
        batch
            .iter()
            .filter(|r| r.filing.date == Some(day(2)))
            .count()
    );
    let from = count(FilingQuery {
        since: Some(day(4)),
        ..FilingQuery::default()
    })
    .await;
    assert!(from.iter().all(|f| f.filing.date >= Some(day(4))));
    assert_eq!(
        from.len(),
        batch
            .iter()
            .filter(|r| r.filing.date >= Some(day(4)))
            .count()
    );
    let to = count(FilingQuery {
        until: Some(day(1)),
        ..FilingQuery::default()
    })
    .await;
    assert_eq!(
        to.len(),
        batch
            .iter()
            .filter(|r| r.filing.date == Some(day(1)))
            .count()
    );
    let column = count(FilingQuery {
        column: Some("通知公告".into()),
        ..FilingQuery::default()
    })
    .await;
    assert_eq!(column.len(), 10);
    assert!(
        column.iter().any(|f| f.filing.date.is_none()),
        "no date range: undated included"
    );
    let both = count(FilingQuery {
        column: Some("通知公告".into()),
        since: Some(day(2)),
        until: Some(day(3)),
        limit: 2,
        ..FilingQuery::default()
    })
    .await;
    assert_eq!(both.len(), 2);
    assert!(both.iter().all(|f| f.filing.column == "通知公告"
        && (f.filing.date == Some(day(2)) || f.filing.date == Some(day(3)))));
    let none = count(FilingQuery {
        column: Some("不存在".into()),
        ..FilingQuery::default()
    })
    .await;
    assert!(none.is_empty());
}

pub async fn known_urls_is_the_stored_subset(store: Arc<dyn Store>) {
    assert!(store.known_urls(&[]).await.unwrap().is_empty());
    store
        .record_articles(&[
            record("https://k.example/1", "一", &["a"]),
            record("https://k.example/2", "二", &["b"]),
        ])
        .await
        .unwrap();
    let asked: Vec<String> = [
        "https://k.example/1",
        "https://k.example/3",
        "https://k.example/2",
        "https://k.example/1",
    ]
    .map(String::from)
    .to_vec();
    let known = store.known_urls(&asked).await.unwrap();
    let expected: HashSet<String> = ["https://k.example/1", "https://k.example/2"]
        .map(String::from)
        .into();
    assert_eq!(known, expected);
}

pub async fn failed_batch_leaves_nothing(store: Arc<dyn Store>) {
    let good = record("https://f.example/0", "先存", &["在"]);
    let good_id = store.record_articles(&[good]).await.unwrap()[0].article_id();
    let before = store.stats().await.unwrap();
    let mut bad = record("https://f.example/3", "坏", &["x"]);
    bad.filing.column = String::new();
    let batch = vec![
        record("https://f.example/1", "一", &["一"]),
        record("https://f.example/0", "先存", &["在", "改了"]), // would be a revision
        bad,
        record("https://f.example/4", "四", &["四"]),
    ];
    let err = store.record_articles(&batch).await.unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidRecord { index: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("https://f.example/3"), "{err}");
    assert_eq!(store.stats().await.unwrap(), before);
    let urls: Vec<String> = batch.iter().map(|r| r.article.url.clone()).collect();
    assert_eq!(store.known_urls(&urls).await.unwrap().len(), 1);
    assert_eq!(store.revisions(good_id).await.unwrap().len(), 1);
    // The store is still usable.
    let out = store.record_articles(&batch[..2]).await.unwrap();
    assert!(matches!(out[0], RecordOutcome::Added { .. }));
    assert!(matches!(out[1], RecordOutcome::Revised { revision: 2, .. }));
}

pub async fn missing_article_reads_empty(store: Arc<dyn Store>) {
    assert!(store.record_articles(&[]).await.unwrap().is_empty());
    assert_eq!(store.article(ArticleId(42)).await.unwrap(), None);
    assert!(store.revisions(ArticleId(42)).await.unwrap().is_empty());
    assert!(store.sources_of(ArticleId(42)).await.unwrap().is_empty());
    assert_eq!(store.stats().await.unwrap(), StoreStats::default());
}

/// Issue 17, bug 5a: an imported file with the text of an article already stored is
/// merged into that article but keeps its own filing, title and paragraphs, in a batch
/// of its own or in the original's batch; a collected duplicate is not filed again.
pub async fn imported_duplicates_keep_their_own_place(store: Arc<dyn Store>) {
    let legacy = |rel: &str, column: &str, title: &str, paragraphs: &[&str]| {
        let mut r = record(&format!("legacy:{rel}"), title, paragraphs);
        r.article.source = "legacy".into();
        r.filing.column = column.into();
        r.filing.legacy = Some(placement(rel));
        r
    };
    let first = legacy(
        "国内新闻/10月15日/会议.txt",
        "国内新闻",
        "会议",
        &["　　内容一。", "内容二"],
    );
    let next_day = legacy(
        "国内新闻/10月16日/会议.txt",
        "国内新闻",
        "会议",
        &["　　内容一。", "内容二"],
    );
    let spaced = legacy(
        "国际新闻/10月15日/会议.txt",
        "国际新闻",
        "会 议",
        &["内容 一。", "　内容二"],
    );
    let mut collected = record("https://b.example/x.html", "会议", &["内容一。", "内容二"]);
    collected.filing.column = "北京新闻".into();

    let out = store
        .record_articles(&[first.clone(), next_day.clone()])
        .await
        .unwrap();
    let article_id = out[0].article_id();
    assert!(matches!(out[1], RecordOutcome::Duplicate { .. }), "{out:?}");
    let out = store
        .record_articles(&[spaced.clone(), collected])
        .await
        .unwrap();
    assert!(
        out.iter()
            .all(|o| matches!(o, RecordOutcome::Duplicate { .. }) && o.article_id() == article_id),
        "{out:?}"
    );
    let stats = store.stats().await.unwrap();
    assert_eq!((stats.articles, stats.filings), (1, 3));

    let page = store.filed_articles(&FilingQuery::default()).await.unwrap();
    let filed: Vec<_> = page
        .iter()
        .map(|fa| {
            let path = fa.filing.legacy.as_ref().map(|l| l.rel_path.as_str());
            let raw: Vec<&str> = fa
                .article
                .paragraphs
                .iter()
                .map(|p| p.raw.as_str())
                .collect();
            (
                fa.article_id,
                path,
                fa.filing.column.as_str(),
                fa.article.title.as_str(),
                raw,
            )
        })
        .collect();
    assert_eq!(
        filed,
        [
            (
                article_id,
                Some("国内新闻/10月15日/会议.txt"),
                "国内新闻",
                "会议",
                vec!["　　内容一。", "内容二"]
            ),
            (
                article_id,
                Some("国内新闻/10月16日/会议.txt"),
                "国内新闻",
                "会议",
                vec!["　　内容一。", "内容二"]
            ),
            (
                article_id,
                Some("国际新闻/10月15日/会议.txt"),
                "国际新闻",
                "会 议",
                vec!["内容 一。", "　内容二"]
            ),
        ]
    );
    assert_eq!(page[2].filing, spaced.filing);
    // The article keeps the first file's text; each filing carries its own.
    let stored = store.article(article_id).await.unwrap().unwrap();
    assert_eq!(stored.article.title, "会议");
    assert_eq!(stored.filings.len(), 3);

    // Recording the archive again changes nothing.
    let again = store
        .record_articles(&[first, next_day, spaced])
        .await
        .unwrap();
    assert!(
        again
            .iter()
            .all(|o| matches!(o, RecordOutcome::Unchanged { .. })),
        "{again:?}"
    );
    assert_eq!(store.stats().await.unwrap().filings, 3);
}
