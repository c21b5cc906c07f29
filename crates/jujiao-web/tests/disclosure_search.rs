//! The 政府信息公开 search filters through the real server: a 发文字号 finds its document,
//! 发文机关 and 有效性 narrow the results, on the JSON API and on the search page.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use common::{article, body, day, record, searchable, serve};
use jujiao_model::Disclosure;
use jujiao_store::{SqliteStore, Store};
use std::sync::Arc;

const DISTRICT: &str = "北京市海淀区人民政府";
const BUREAU: &str = "北京市海淀区发展和改革委员会";

struct App {
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// A filed 政府信息公开 document.
fn document(
    n: u32,
    title: &str,
    number: &str,
    issuer: &str,
    validity: &str,
) -> jujiao_store::ArticleRecord {
    let mut a = article(
        "gov",
        n,
        title,
        &["为进一步做好相关工作，现将有关事项通知如下。"],
    );
    a.disclosure = Some(Disclosure {
        index_no: Some(format!("000014349/2024-{n:05}")),
        issuer: Some(issuer.to_owned()),
        doc_number: Some(number.to_owned()),
        written_on: NaiveDate::from_ymd_opt(2024, 1, n),
        published_on: Some(day()),
        validity: Some(validity.to_owned()),
        ..Disclosure::default()
    });
    record(a, "通知公告", day())
}

async fn start() -> App {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.to_string_lossy()).await.unwrap());
    store
        .record_articles(&[
            document(
                1,
                "关于印发海淀区优化营商环境实施方案的通知",
                "京海政发〔2024〕1号",
                DISTRICT,
                "现行有效",
            ),
            document(
                2,
                "关于废止部分规范性文件的通知",
                "京海政发〔2023〕12号",
                DISTRICT,
                "失效",
            ),
            document(
                3,
                "关于做好节能降耗工作的通知",
                "海发改发〔2024〕3号",
                BUREAU,
                "现行有效",
            ),
            // An ordinary article on the same subject: no 发文字号, no 发文机关.
            record(
                article(
                    "xinhua",
                    4,
                    "海淀区解读优化营商环境新举措",
                    &["区政府日前印发通知，部署优化营商环境工作。"],
                ),
                "国内新闻",
                day(),
            ),
        ])
        .await
        .unwrap();
    let state = searchable(&store).await.build();
    App {
        base: serve(state).await,
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

impl App {
    /// `/api/search` with these (unencoded) parameters: the hit titles, best first.
    async fn titles(&self, params: &[(&str, &str)]) -> Vec<String> {
        let r = self
            .client
            .get(format!("{}/api/search", self.base))
            .query(params)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{params:?}");
        let v: serde_json::Value = r.json().await.unwrap();
        let hits = v["hits"].as_array().unwrap();
        assert_eq!(
            v["total"].as_u64().unwrap() as usize,
            hits.len(),
            "{params:?}"
        );
        hits.iter()
            .map(|h| h["title"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn page(&self, params: &[(&str, &str)]) -> String {
        let r = self
            .client
            .get(format!("{}/search", self.base))
            .query(params)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{params:?}");
        body(r).await
    }
}

#[tokio::test]
async fn a_document_number_finds_its_document() {
    let app = start().await;
    let hits = app.titles(&[("q", "京海政发〔2024〕1号")]).await;
    assert_eq!(
        hits.first().map(String::as_str),
        Some("关于印发海淀区优化营商环境实施方案的通知"),
        "{hits:?}"
    );
    assert!(
        !hits.iter().any(|t| t.contains("节能降耗")),
        "another issuer's number does not match: {hits:?}"
    );
    let hits = app.titles(&[("q", "海发改发〔2024〕3号")]).await;
    assert_eq!(hits, vec!["关于做好节能降耗工作的通知".to_owned()]);
    // The search page shows the same document for the number.
    let page = app.page(&[("q", "京海政发〔2024〕1号")]).await;
    assert!(page.contains("优化营商环境实施方案"), "{page}");
}

#[tokio::test]
async fn the_issuer_filter_keeps_that_issuers_documents() {
    let app = start().await;
    let mut hits = app.titles(&[("q", "通知"), ("issuer", DISTRICT)]).await;
    hits.sort();
    assert_eq!(
        hits,
        vec![
            "关于印发海淀区优化营商环境实施方案的通知".to_owned(),
            "关于废止部分规范性文件的通知".to_owned(),
        ]
    );
    let hits = app.titles(&[("q", "通知"), ("issuer", BUREAU)]).await;
    assert_eq!(hits, vec!["关于做好节能降耗工作的通知".to_owned()]);
    assert!(
        app.titles(&[("q", "通知"), ("issuer", "北京市朝阳区人民政府")])
            .await
            .is_empty()
    );
    let page = app.page(&[("q", "通知"), ("issuer", BUREAU)]).await;
    assert!(page.contains("节能降耗"), "{page}");
    assert!(!page.contains("营商环境实施方案"), "{page}");
}

#[tokio::test]
async fn the_validity_filter_tells_current_from_repealed() {
    let app = start().await;
    let hits = app.titles(&[("q", "京海政发"), ("validity", "失效")]).await;
    assert_eq!(hits, vec!["关于废止部分规范性文件的通知".to_owned()]);
    let mut hits = app.titles(&[("q", "通知"), ("validity", "现行有效")]).await;
    hits.sort();
    assert_eq!(
        hits,
        vec![
            "关于做好节能降耗工作的通知".to_owned(),
            "关于印发海淀区优化营商环境实施方案的通知".to_owned(),
        ]
    );
    // Both filters at once.
    let hits = app
        .titles(&[
            ("q", "通知"),
            ("issuer", DISTRICT),
            ("validity", "现行有效"),
        ])
        .await;
    assert_eq!(
        hits,
        vec!["关于印发海淀区优化营商环境实施方案的通知".to_owned()]
    );
    let page = app.page(&[("q", "京海政发"), ("validity", "失效")]).await;
    assert!(page.contains("废止部分规范性文件"), "{page}");
    assert!(!page.contains("营商环境实施方案"), "{page}");
}
