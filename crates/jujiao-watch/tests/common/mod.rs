//! A loopback endpoint that records every request it gets and answers with a chosen
//! body, and helpers to fill a store with articles and matches.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use chrono::{DateTime, Utc};
use jujiao_model::{Article, Filing, Paragraph};
use jujiao_store::{ArticleRecord, RuleOrigin, SqliteStore, Store, StoredWatchRule};
use jujiao_watch::Watcher;
use std::sync::{Arc, Mutex};

/// One request as the endpoint saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub uri: String,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Vec<Seen>>>,
    answers: Arc<Mutex<Vec<String>>>,
}

/// The endpoint: `base` is its URL, `seen` what it got.
pub struct Endpoint {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    answers: Arc<Mutex<Vec<String>>>,
}

impl Endpoint {
    /// Answers `ok` to every request, unless answers were queued with [`answer_next`].
    pub async fn start(ok: &str) -> Endpoint {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(vec![ok.to_owned()]));
        let shared = Shared {
            seen: seen.clone(),
            answers: answers.clone(),
        };
        let app = axum::Router::new().fallback(handler).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Endpoint {
            base: format!("http://{addr}"),
            seen,
            answers,
        }
    }

    /// The next request gets `body` (then the default again).
    pub fn answer_next(&self, body: &str) {
        self.answers.lock().unwrap().push(body.to_owned());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn handler(State(s): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> String {
    let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    s.seen.lock().unwrap().push(Seen {
        uri: uri.to_string(),
        headers,
        body,
    });
    let mut answers = s.answers.lock().unwrap();
    if answers.len() > 1 {
        answers.pop().unwrap()
    } else {
        answers[0].clone()
    }
}

pub fn rule(name: &str, query: &str, channels: &[&str]) -> StoredWatchRule {
    StoredWatchRule {
        name: name.to_owned(),
        query: query.to_owned(),
        columns: Vec::new(),
        sources: Vec::new(),
        title_only: false,
        channels: channels.iter().map(|c| (*c).to_owned()).collect(),
        digest_minute: None,
        origin: RuleOrigin::Web,
    }
}

pub fn record(i: usize, title: &str, body: &str) -> ArticleRecord {
    ArticleRecord {
        article: Article {
            source: "qxw".into(),
            url: format!("https://q.example/a/{i}.html"),
            title: title.into(),
            published: None,
            author: None,
            origin: None,
            editor: None,
            paragraphs: vec![Paragraph::new(body)],
            images: Vec::new(),
            attachments: Vec::new(),
            fetched_at: None,
            disclosure: None,
        },
        filing: Filing {
            column: "要闻".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 6),
            legacy: None,
        },
    }
}

pub async fn memory_store() -> Arc<dyn Store> {
    Arc::new(SqliteStore::in_memory().await.unwrap())
}

/// Records articles and tests them against the stored rules, as the crawler does.
pub async fn record_and_watch(
    store: &Arc<dyn Store>,
    records: &[ArticleRecord],
    now: DateTime<Utc>,
) -> u64 {
    Watcher::new(store.clone())
        .record(records, now)
        .await
        .unwrap()
        .1
}
