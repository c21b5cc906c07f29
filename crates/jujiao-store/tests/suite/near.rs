//! The contract for near duplicates and re-checks of stored pages (migration 0006).

use crate::common::*;
use chrono::{DateTime, Utc};
use jujiao_model::{Paragraph, PublishTime};
use jujiao_store::{
    ArticleRecord, PageCheck, RecordOutcome, SourceKind, Store, StoredPage, Validators,
};
use std::sync::Arc;

pub const STORY: [&str; 4] = [
    "　　6月10日，区委常委会召开会议，传达学习上级有关会议精神，研究部署下一阶段重点工作。",
    "　　会议指出，要聚焦科学城建设，持续优化创新生态，加快培育高精尖产业，推动高质量发展。",
    "　　会议强调，要进一步完善工作机制，强化督促检查，形成工作合力，确保各项任务落到实处。",
    "　　会议还研究了其他事项。",
];

/// The story as another source publishes it: spaces instead of ideographic ones, its own
/// byline line at the end, the title with a space in it.
pub fn reprint(source: &str, url: &str) -> ArticleRecord {
    let mut r = record(url, "区委常委会 召开会议", &[]);
    r.article.source = source.into();
    r.article.paragraphs = STORY
        .iter()
        .map(|p| Paragraph::new(p.replace('　', " ")))
        .chain(std::iter::once(Paragraph::new(
            "（来源：北京日报　记者 张三）",
        )))
        .collect();
    r.filing.column = "北京新闻".into();
    r
}

pub fn original() -> ArticleRecord {
    let mut r = record("https://qw.example/1.html", "区委常委会召开会议", &STORY);
    r.article.source = "qw".into();
    r
}

pub async fn near_duplicate_from_another_source_is_filed_once(store: Arc<dyn Store>) {
    let out = store.record_articles(&[original()]).await.unwrap();
    let RecordOutcome::Added {
        article_id,
        filing_id,
    } = out[0]
    else {
        panic!("{out:?}")
    };
    let out = store
        .record_articles(&[reprint("bjrb", "https://bjrb.example/a.html")])
        .await
        .unwrap();
    let RecordOutcome::NearDuplicate {
        article_id: of,
        existing,
    } = &out[0]
    else {
        panic!("expected NearDuplicate, got {out:?}")
    };
    assert_eq!((*of, existing.id), (article_id, filing_id));
    let sources = store.sources_of(article_id).await.unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[1].kind, SourceKind::NearDuplicate);
    assert_eq!(sources[1].source, "bjrb");
    assert_eq!(
        sources[1]
            .offered_filing
            .as_ref()
            .map(|f| f.column.as_str()),
        Some("北京新闻")
    );
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (stats.articles, stats.filings, stats.duplicate_sources),
        (1, 1, 1)
    );
    // The reprint's URL now serves what it served: unchanged, not a second filing.
    let out = store
        .record_articles(&[reprint("bjrb", "https://bjrb.example/a.html")])
        .await
        .unwrap();
    assert_eq!(out[0], RecordOutcome::Unchanged { article_id });
}

pub async fn near_duplicates_within_one_batch(store: Arc<dyn Store>) {
    let out = store
        .record_articles(&[
            original(),
            reprint("bjrb", "https://bjrb.example/a.html"),
            reprint("rmw", "https://rmw.example/b.html"),
        ])
        .await
        .unwrap();
    let id = out[0].article_id();
    assert!(matches!(out[0], RecordOutcome::Added { .. }), "{out:?}");
    for o in &out[1..] {
        assert!(matches!(o, RecordOutcome::NearDuplicate { .. }), "{out:?}");
        assert_eq!(o.article_id(), id);
    }
    assert_eq!(store.stats().await.unwrap().filings, 1);
}

pub async fn near_duplicate_rules_keep_different_articles_apart(store: Arc<dyn Store>) {
    store.record_articles(&[original()]).await.unwrap();
    // The same source publishing it again under another URL: its own decision.
    let mut same_source = reprint("qw", "https://qw.example/2.html");
    // Another source, weeks later: a new event with the same title.
    let mut later = reprint("bjrb", "https://bjrb.example/later.html");
    later.article.published = Some(PublishTime::Date(day(28)));
    later
        .article
        .paragraphs
        .push(Paragraph::new("（6月28日电）"));
    // Another source, same title, another text.
    let mut other_text = record(
        "https://rmw.example/other.html",
        "区委常委会召开会议",
        &["　　区委常委会召开会议，审议通过了关于加强安全生产工作的实施意见，部署汛期工作。"],
    );
    other_text.article.source = "rmw".into();
    // Different title, same text, another source: not looked at (titles key the search).
    let mut retitled = reprint("xh", "https://xh.example/retitled.html");
    retitled.article.title = "海淀区委召开常委会".into();
    same_source.filing.column = "领导活动".into();
    let out = store
        .record_articles(&[same_source, later, other_text, retitled])
        .await
        .unwrap();
    assert!(
        out.iter().all(|o| matches!(o, RecordOutcome::Added { .. })),
        "{out:?}"
    );
    assert_eq!(store.stats().await.unwrap().articles, 5);
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000 + secs, 0).unwrap()
}

pub async fn page_checks_round_trip_for_rechecks(store: Arc<dyn Store>) {
    let before = Utc::now() - chrono::Duration::seconds(5);
    let mut other = record("https://b.example/2", "乙", &["二"]);
    other.article.source = "other".into();
    store
        .record_articles(&[record("https://a.example/1", "甲", &["一"]), other])
        .await
        .unwrap();
    let pages = store.recheck_candidates("test", before).await.unwrap();
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(pages[0].url, "https://a.example/1");
    assert_eq!(pages[0].checked_at, None);
    assert_eq!(pages[0].validators, Validators::default());
    assert!(pages[0].first_seen >= before);
    // Pages first seen before the window are not candidates.
    let later = Utc::now() + chrono::Duration::seconds(60);
    assert!(
        store
            .recheck_candidates("test", later)
            .await
            .unwrap()
            .is_empty()
    );

    let v = Validators {
        etag: Some("\"abc\"".into()),
        last_modified: Some("Wed, 10 Jun 2026 08:00:00 GMT".into()),
    };
    let check = |secs, v: &Validators| PageCheck {
        url: "https://a.example/1".into(),
        checked_at: at(secs),
        validators: v.clone(),
    };
    store.record_page_checks(&[check(0, &v)]).await.unwrap();
    // A later check replaces the earlier one, also twice in one call.
    let v2 = Validators {
        etag: None,
        last_modified: Some("Thu, 11 Jun 2026 08:00:00 GMT".into()),
    };
    store
        .record_page_checks(&[check(10, &v), check(20, &v2)])
        .await
        .unwrap();
    store.record_page_checks(&[]).await.unwrap();
    let pages = store.recheck_candidates("test", before).await.unwrap();
    assert_eq!(
        pages,
        vec![StoredPage {
            url: "https://a.example/1".into(),
            first_seen: pages[0].first_seen,
            checked_at: Some(at(20)),
            validators: v2,
        }]
    );
}
