//! The contract for 政府信息公开 tables (migration 0009): written with the article,
//! read back with it, replaced or removed by a revision, never taken by a duplicate
//! from an article that has one.

use crate::common::*;
use chrono::NaiveDate;
use jujiao_model::Disclosure;
use jujiao_store::{FilingQuery, RecordOutcome, Store};
use std::sync::Arc;

fn table(doc_number: &str, validity: &str) -> Disclosure {
    Disclosure {
        index_no: Some("11110108000016063X/2024-00012".into()),
        topic: Some("综合政务".into()),
        issuer: Some("北京市海淀区人民政府".into()),
        written_on: NaiveDate::from_ymd_opt(2024, 1, 3),
        doc_number: Some(doc_number.into()),
        published_on: NaiveDate::from_ymd_opt(2024, 1, 5),
        validity: Some(validity.into()),
        method: Some("主动公开".into()),
    }
}

pub async fn disclosure_tables_round_trip_and_follow_revisions(store: Arc<dyn Store>) {
    let url = "https://gov.example/zwgk/202401/t20240105_1.html";
    let mut r = record(
        url,
        "关于印发重点工作任务的通知",
        &["　　现将任务印发给你们。"],
    );
    r.article.disclosure = Some(table("京海政发〔2024〕1号", "现行有效"));
    let plain = record(
        "https://gov.example/news/1.html",
        "区领导调研",
        &["　　正文。"],
    );
    let out = store
        .record_articles(&[r.clone(), plain.clone()])
        .await
        .unwrap();
    let RecordOutcome::Added { article_id: id, .. } = out[0] else {
        panic!("{out:?}");
    };
    let RecordOutcome::Added {
        article_id: plain_id,
        ..
    } = out[1]
    else {
        panic!("{out:?}");
    };

    // Read back by both paths, exactly as written; an article without one has none.
    let stored = store.article(id).await.unwrap().unwrap();
    assert_eq!(stored.article.disclosure, r.article.disclosure);
    assert_eq!(stored.article, r.article);
    assert_eq!(
        store
            .article(plain_id)
            .await
            .unwrap()
            .unwrap()
            .article
            .disclosure,
        None
    );
    let filed = store.filed_articles(&FilingQuery::default()).await.unwrap();
    let by_id = |id| filed.iter().find(|f| f.article_id == id).unwrap();
    assert_eq!(by_id(id).article.disclosure, r.article.disclosure);
    assert_eq!(by_id(plain_id).article.disclosure, None);

    // A duplicate from another URL with another table does not replace it.
    let mut dup = r.clone();
    dup.article.url = "https://mirror.example/1.html".into();
    dup.article.disclosure = Some(table("京海政发〔2099〕9号", "废止"));
    let out = store.record_articles(&[dup]).await.unwrap();
    assert!(matches!(out[0], RecordOutcome::Duplicate { .. }), "{out:?}");
    let stored = store.article(id).await.unwrap().unwrap();
    assert_eq!(stored.article.disclosure, r.article.disclosure);

    // The page revised with the document now 失效: the table follows.
    let mut revised = r.clone();
    revised
        .article
        .paragraphs
        .push("　　本通知自印发之日起失效。".into());
    revised.article.disclosure = Some(table("京海政发〔2024〕1号", "失效"));
    let out = store.record_articles(&[revised.clone()]).await.unwrap();
    assert!(matches!(out[0], RecordOutcome::Revised { .. }), "{out:?}");
    let stored = store.article(id).await.unwrap().unwrap();
    assert_eq!(
        stored.article.disclosure.unwrap().validity.as_deref(),
        Some("失效")
    );

    // Revised again without a table: the row goes.
    let mut bare = revised.clone();
    bare.article.paragraphs.push("　　附件略。".into());
    bare.article.disclosure = None;
    store.record_articles(&[bare]).await.unwrap();
    assert_eq!(
        store.article(id).await.unwrap().unwrap().article.disclosure,
        None
    );

    // Unchanged text, and the page now shows its table: it is kept.
    let mut same = plain.clone();
    same.article.disclosure = Some(table("海政办〔2024〕3号", "现行有效"));
    let out = store.record_articles(&[same.clone()]).await.unwrap();
    assert!(matches!(out[0], RecordOutcome::Unchanged { .. }), "{out:?}");
    assert_eq!(
        store
            .article(plain_id)
            .await
            .unwrap()
            .unwrap()
            .article
            .disclosure,
        same.article.disclosure
    );
}
