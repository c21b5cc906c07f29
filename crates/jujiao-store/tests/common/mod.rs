//! Test helpers: stores per backend and article builders.
#![allow(dead_code)]

use chrono::NaiveDate;
use jujiao_model::{Article, Filing, LegacyPlacement, Paragraph, PublishTime};
use jujiao_store::{ArticleRecord, SqliteStore, Store};
use std::sync::Arc;

pub mod pg;

/// Keeps a backend's resources (a temporary directory) alive for a test.
pub type Guard = Option<tempfile::TempDir>;

pub async fn open_memory() -> (Arc<dyn Store>, Guard) {
    (Arc::new(SqliteStore::in_memory().await.unwrap()), None)
}

pub async fn open_file() -> (Arc<dyn Store>, Guard) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(jujiao_store::DEFAULT_DB);
    let store = jujiao_store::open_store(path.to_str().unwrap())
        .await
        .unwrap();
    (store, Some(dir))
}

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, d).unwrap()
}

pub fn article(url: &str, title: &str, paragraphs: &[&str]) -> Article {
    Article {
        source: "test".into(),
        url: url.into(),
        title: title.into(),
        published: Some(PublishTime::Date(day(10))),
        author: Some("记者 唐炜".into()),
        origin: Some("人民日报".into()),
        editor: None,
        paragraphs: paragraphs.iter().map(|p| Paragraph::new(*p)).collect(),
        images: Vec::new(),
        attachments: Vec::new(),
        fetched_at: None,
        disclosure: None,
    }
}

pub fn record(url: &str, title: &str, paragraphs: &[&str]) -> ArticleRecord {
    ArticleRecord {
        article: article(url, title, paragraphs),
        filing: Filing {
            column: "领导活动".into(),
            date: Some(day(11)),
            legacy: None,
        },
    }
}

/// A legacy placement with a layout of every JSON kind.
pub fn placement(rel_path: &str) -> LegacyPlacement {
    LegacyPlacement {
        rel_path: rel_path.into(),
        layout: serde_json::json!({
            "variant": "html",
            "title_newline": false,
            "style": "font-size:16px;margin-top:15px;line-height:25px",
            "paragraphs": [{"indent": "　　", "crlf": true}, {"indent": "", "crlf": false}],
            "trailing": null,
            "number_prefix": 53,
        }),
    }
}
