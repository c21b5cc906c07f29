//! The contract for crawl state: list-page validators and runs.

use jujiao_store::{RunSummary, Store, StoreError, Validators};
use std::sync::Arc;

pub async fn list_page_validators(store: Arc<dyn Store>) {
    let url = "https://l.example/list_1.html";
    assert_eq!(store.list_page_validators(url).await.unwrap(), None);
    let v = Validators {
        etag: Some("\"5f3a-1\"".into()),
        last_modified: Some("Wed, 21 Oct 2025 07:28:00 GMT".into()),
    };
    store.set_list_page_validators(url, &v).await.unwrap();
    assert_eq!(store.list_page_validators(url).await.unwrap(), Some(v));
    let only_etag = Validators {
        etag: Some("W/\"2\"".into()),
        last_modified: None,
    };
    store
        .set_list_page_validators(url, &only_etag)
        .await
        .unwrap();
    assert_eq!(
        store.list_page_validators(url).await.unwrap(),
        Some(only_etag)
    );
    assert_eq!(
        store
            .list_page_validators("https://l.example/other")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.stats().await.unwrap().list_pages, 1);
}

pub async fn runs(store: Arc<dyn Store>) {
    let r1 = store.start_run("haidian").await.unwrap();
    let r2 = store.start_run("beijing").await.unwrap();
    let r3 = store.start_run("haidian").await.unwrap();
    assert!(r1 < r2 && r2 < r3);

    let recent = store.recent_runs("haidian", 10).await.unwrap();
    assert_eq!(
        recent.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![r3, r1]
    );
    assert!(
        recent
            .iter()
            .all(|r| r.finished_at.is_none() && r.summary.is_none())
    );

    let summary = RunSummary {
        list_pages: 3,
        article_pages: 40,
        new: 12,
        updated: 1,
        unchanged: 25,
        duplicates: 2,
        errors: 2,
        error_samples: vec!["https://h.example/a.html: 503".into(), "超时".into()],
        verdict: "ok".into(),
    };
    store.finish_run(r1, &summary).await.unwrap();
    store
        .finish_run(
            r3,
            &RunSummary {
                verdict: "empty".into(),
                ..RunSummary::default()
            },
        )
        .await
        .unwrap();

    let recent = store.recent_runs("haidian", 1).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].id, r3);
    assert_eq!(recent[0].summary.as_ref().unwrap().verdict, "empty");
    let older = &store.recent_runs("haidian", 5).await.unwrap()[1];
    assert_eq!(older.summary.as_ref(), Some(&summary));
    assert!(older.finished_at.unwrap() >= older.started_at);

    let last = store.last_runs().await.unwrap();
    let pairs: Vec<_> = last.iter().map(|r| (r.source_id.as_str(), r.id)).collect();
    assert_eq!(pairs, vec![("beijing", r2), ("haidian", r3)]);
    assert!(last[0].summary.is_none());

    let err = store
        .finish_run(jujiao_store::RunId(9999), &summary)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(store.stats().await.unwrap().runs, 3);
}
