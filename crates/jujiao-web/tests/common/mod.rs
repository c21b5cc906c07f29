//! A real server on 127.0.0.1 over a real SQLite store in a temporary directory.

#![allow(dead_code, clippy::unwrap_used)]

pub mod signin;

use chrono::NaiveDate;
use jujiao_model::{Article, Filing, Image, Paragraph, PublishTime};
use jujiao_store::{ArticleRecord, SqliteStore, Store};
use jujiao_web::{AdminToken, AppState, Indexer, SchedulerHandle, SourceInfo};
use std::sync::Arc;
use std::time::Duration;

pub const DAY: &str = "2026-11-20";

pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

pub fn article(source: &str, n: u32, title: &str, body: &[&str]) -> Article {
    Article {
        source: source.to_owned(),
        url: format!("https://news.example.com/{source}/{n}.html"),
        title: title.to_owned(),
        published: Some(PublishTime::from_shanghai(
            day().and_hms_opt(9, 30, 0).unwrap(),
        )),
        author: Some("记者 王小明".to_owned()),
        origin: Some("人民日报".to_owned()),
        editor: Some("李编辑".to_owned()),
        paragraphs: body.iter().map(|p| Paragraph::new(*p)).collect(),
        images: vec![Image {
            url: format!("https://news.example.com/img/{n}.jpg"),
            alt: Some("会议现场".to_owned()),
        }],
        attachments: Vec::new(),
        fetched_at: Some(chrono::Utc::now()),
        disclosure: None,
    }
}

pub fn record(a: Article, column: &str, date: NaiveDate) -> ArticleRecord {
    ArticleRecord {
        article: a,
        filing: Filing {
            column: column.to_owned(),
            date: Some(date),
            legacy: None,
        },
    }
}

pub fn sources() -> Vec<SourceInfo> {
    vec![
        SourceInfo {
            id: "gov".into(),
            name: "市政府网站".into(),
            column: "通知公告".into(),
            interval: Duration::from_secs(3600),
        },
        SourceInfo {
            id: "xinhua".into(),
            name: "新华网".into(),
            column: "国内新闻".into(),
            interval: Duration::from_secs(1800),
        },
        SourceInfo {
            id: "lead".into(),
            name: "区政府领导活动".into(),
            column: "领导活动".into(),
            interval: Duration::from_secs(7200),
        },
    ]
}

pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub struct Setup {
    pub search: bool,
    pub token: Option<&'static str>,
    pub scheduler: Option<SchedulerHandle>,
    /// Sign-in settings (default: `AuthSettings::default()`, reading is public).
    pub auth: Option<jujiao_web::auth::AuthSettings>,
    /// Channels, watch rules and leaders (the 关注 and 领导活动 pages).
    pub watch: Option<jujiao_config::WatchSettings>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            search: true,
            token: None,
            scheduler: None,
            auth: None,
            watch: None,
        }
    }
}

/// Fills the store with a small briefing day: three columns, a hostile title, a revision,
/// a duplicate from a second source.
pub async fn fill(store: &dyn Store) {
    let d = day();
    store
        .record_articles(&[
            record(
                article(
                    "xinhua",
                    1,
                    "全国秋粮收购进展顺利",
                    &[
                        "　　记者从国家粮食和物资储备局获悉，秋粮收购总体平稳。",
                        "各地加强组织协调。",
                    ],
                ),
                "国内新闻",
                d,
            ),
            record(
                article(
                    "gov",
                    2,
                    "关于做好冬季供暖工作的通知",
                    &["各区政府：为做好今冬供暖保障工作，现通知如下。"],
                ),
                "通知公告",
                d,
            ),
            record(
                article(
                    "lead",
                    3,
                    "区长调研<script>alert(1)</script>老旧小区改造",
                    &["区长一行实地查看了改造进度 <b>不是标签</b>。"],
                ),
                "领导活动",
                d,
            ),
        ])
        .await
        .unwrap();
    // A revision of the notice.
    store
        .record_articles(&[record(
            article(
                "gov",
                2,
                "关于做好冬季供暖工作的通知",
                &["各区政府：为做好今冬供暖保障工作，现通知如下（修订）。"],
            ),
            "通知公告",
            d,
        )])
        .await
        .unwrap();
    // The same news from another URL: a duplicate source.
    let mut dup = article(
        "xinhua",
        1,
        "全国秋粮收购进展顺利",
        &[
            "　　记者从国家粮食和物资储备局获悉，秋粮收购总体平稳。",
            "各地加强组织协调。",
        ],
    );
    dup.url = "https://mirror.example.org/copy/1.html".into();
    dup.source = "gov".into();
    store
        .record_articles(&[record(dup, "国内新闻", d)])
        .await
        .unwrap();
}

pub async fn start(setup: Setup) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.to_string_lossy()).await.unwrap());
    fill(store.as_ref()).await;
    let mut b = AppState::builder(Arc::clone(&store), sources());
    if setup.search {
        let index = jujiao_search::SearchIndex::in_memory().unwrap();
        let indexer = Arc::new(Indexer::new(index, Arc::clone(&store), None));
        indexer.catch_up().await.unwrap();
        b = b.indexer(indexer);
    }
    if let Some(t) = setup.token {
        b = b.admin_token(AdminToken::new(t));
    }
    if let Some(s) = setup.scheduler {
        b = b.scheduler(s);
    }
    if let Some(a) = setup.auth {
        b = b.auth(a);
    }
    if let Some(w) = setup.watch {
        b = b.watch(w);
    }
    let app = jujiao_web::router(b.build());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        // With the peer address, as `jujiao serve` does (the per-address login limit).
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        store,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _dir: dir,
    }
}

/// The app state over `store` with a search index caught up with it.
pub async fn searchable(store: &Arc<dyn Store>) -> jujiao_web::AppStateBuilder {
    let index = jujiao_search::SearchIndex::in_memory().unwrap();
    let indexer = Arc::new(Indexer::new(index, Arc::clone(store), None));
    indexer.catch_up().await.unwrap();
    AppState::builder(Arc::clone(store), sources()).indexer(indexer)
}

/// Serves `state` on a free port of 127.0.0.1; its base URL.
pub async fn serve(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, jujiao_web::router(state))
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }
}

pub fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The body as UTF-8 (our pages are UTF-8).
pub async fn body(r: reqwest::Response) -> String {
    String::from_utf8(bytes(r).await).unwrap()
}

/// The body's bytes. The server is our own test server on 127.0.0.1, answering small
/// pages: the capped, charset-aware reading the lint asks for is for crawled sites.
#[allow(clippy::disallowed_methods)]
pub async fn bytes(r: reqwest::Response) -> Vec<u8> {
    r.bytes().await.unwrap().to_vec()
}
