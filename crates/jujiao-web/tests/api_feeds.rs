//! The JSON API, the feeds (parsed with a real XML parser) and "run now" with the token.

#![allow(clippy::unwrap_used)]

mod common;

use async_trait::async_trait;
use common::{DAY, Setup, content_type, start};
use jujiao_web::scheduler::Planned;
use jujiao_web::{RunResult, SchedulerHandle, SourceRunner};
use quick_xml::events::Event;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Parses a whole XML document; returns the local names of the start tags and all text.
fn parse_xml(xml: &str) -> (Vec<String>, String) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut names = Vec::new();
    let mut text = String::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                names.push(e.local_name().into_inner().to_owned());
            }
            Ok(Event::Empty(e)) => names.push(e.local_name().into_inner().to_owned()),
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Text(t)) => text.push_str(&t),
            Ok(Event::GeneralRef(r)) => {
                let name: String = (*r).to_owned();
                assert!(
                    ["amp", "lt", "gt", "quot", "apos"].contains(&name.as_str()),
                    "unknown entity {name}"
                );
                text.push('&');
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("invalid XML at {}: {e}\n{xml}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unbalanced XML");
    (names, text)
}

#[tokio::test]
async fn column_feeds_are_valid_rss_and_atom() {
    let app = start(Setup::default()).await;
    // Filings dated today so they fall inside the feed's window.
    let today = chrono::Utc::now()
        .with_timezone(&jujiao_model::shanghai())
        .date_naive();
    let mut a = common::article(
        "lead",
        9,
        "区长<会见>&“客人”\u{0}\u{b}",
        &["正文 <i>斜体</i> & 更多"],
    );
    a.url = "https://news.example.com/lead/today.html".into();
    app.store
        .record_articles(&[common::record(a, "领导活动", today)])
        .await
        .unwrap();

    let r = app
        .get("/feeds/%E9%A2%86%E5%AF%BC%E6%B4%BB%E5%8A%A8.rss")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "application/rss+xml; charset=utf-8");
    let xml = common::body(r).await;
    let (names, text) = parse_xml(&xml);
    assert_eq!(names[0], "rss");
    // Today's item, plus the fixture day's when it is within the feed's 30 days.
    let expected = 1 + usize::from((today - common::day()).num_days() <= 30);
    assert_eq!(names.iter().filter(|n| *n == "item").count(), expected);
    assert!(text.contains("区长") && text.contains("会见"), "{text}");

    let r = app
        .get("/feeds/%E9%A2%86%E5%AF%BC%E6%B4%BB%E5%8A%A8.atom")
        .await;
    assert_eq!(content_type(&r), "application/atom+xml; charset=utf-8");
    let (names, _) = parse_xml(&common::body(r).await);
    assert_eq!(names[0], "feed");
    assert_eq!(names.iter().filter(|n| *n == "entry").count(), expected);

    assert_eq!(app.get("/feeds/%E4%B9%B1.rss").await.status(), 404);
    assert_eq!(app.get("/feeds/x.txt").await.status(), 404);
}

#[tokio::test]
async fn a_saved_search_is_a_feed() {
    let app = start(Setup::default()).await;
    for ext in ["rss", "atom"] {
        let r = app
            .get(&format!("/feeds/search.{ext}?q=%E5%8C%BA%E9%95%BF"))
            .await;
        assert_eq!(r.status(), 200);
        let (names, text) = parse_xml(&common::body(r).await);
        assert_eq!(
            names
                .iter()
                .filter(|n| *n == "item" || *n == "entry")
                .count(),
            1
        );
        assert!(text.contains("区长调研"), "{text}");
    }
}

#[tokio::test]
async fn api_articles_and_article() {
    let app = start(Setup::default()).await;
    let r = app.get(&format!("/api/articles?date={DAY}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "application/json");
    let v: serde_json::Value = r.json().await.unwrap();
    let list = v["articles"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["column"], "领导活动");
    let r = app
        .get(&format!(
            "/api/articles?date={DAY}&column=%E5%9B%BD%E5%86%85%E6%96%B0%E9%97%BB"
        ))
        .await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["articles"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/articles?date=bad").await.status(), 400);

    let v: serde_json::Value = app.get("/api/articles/2").await.json().await.unwrap();
    assert_eq!(v["revision"], 2);
    assert_eq!(v["revisions"].as_array().unwrap().len(), 2);
    assert_eq!(v["article"]["title"], "关于做好冬季供暖工作的通知");
    let v: serde_json::Value = app.get("/api/articles/1").await.json().await.unwrap();
    assert_eq!(v["sources"].as_array().unwrap().len(), 2);
    let r = app.get("/api/articles/42").await;
    assert_eq!(r.status(), 404);
    assert_eq!(content_type(&r), "application/json");
}

#[tokio::test]
async fn api_search_sources_and_runs() {
    let app = start(Setup::default()).await;
    let v: serde_json::Value = app
        .get("/api/search?q=%E4%BE%9B%E6%9A%96")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["article_id"], 2);
    assert!(
        v["hits"][0]["title_html"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );
    // Plain text and character ranges of what matched, beside the `_html` fields.
    let hit = &v["hits"][0];
    assert_eq!(hit["title"], "关于做好冬季供暖工作的通知");
    assert_eq!(hit["title_marks"], serde_json::json!([[6, 8]]));
    let snippet: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
    let marks = hit["snippet_marks"].as_array().unwrap();
    assert_eq!(marks.len(), 1, "{hit}");
    let (from, to) = (
        marks[0][0].as_u64().unwrap() as usize,
        marks[0][1].as_u64().unwrap() as usize,
    );
    assert_eq!(snippet[from..to].iter().collect::<String>(), "供暖");
    // The search page draws the same marks.
    let page = common::body(app.get("/search?q=%E4%BE%9B%E6%9A%96").await).await;
    assert!(page.contains("<mark>供暖</mark>工作的通知"), "{page}");

    let run = app.store.start_run("xinhua").await.unwrap();
    let summary = jujiao_store::RunSummary {
        new: 4,
        verdict: "ok".into(),
        ..Default::default()
    };
    app.store.finish_run(run, &summary).await.unwrap();
    let v: serde_json::Value = app.get("/api/sources").await.json().await.unwrap();
    let s = v["sources"].as_array().unwrap();
    assert_eq!(s.len(), 3);
    let x = s.iter().find(|s| s["id"] == "xinhua").unwrap();
    assert_eq!(x["new"], 4);
    assert_eq!(x["verdict"], "正常");
    assert_eq!(x["interval_secs"], 1800);

    let v: serde_json::Value = app
        .get("/api/runs?source=xinhua")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["runs"].as_array().unwrap().len(), 1);
    assert_eq!(v["runs"][0]["summary"]["new"], 4);
    assert_eq!(app.get("/api/runs").await.status(), 400);
    assert_eq!(app.get("/api/runs?source=nope").await.status(), 404);
}

/// Counts runs; never fails.
struct CountingRunner(AtomicUsize);

#[async_trait]
impl SourceRunner for CountingRunner {
    async fn run(&self, _: &str) -> RunResult {
        self.0.fetch_add(1, Ordering::SeqCst);
        RunResult { is_failure: false }
    }
}

fn scheduler(runner: Arc<CountingRunner>) -> SchedulerHandle {
    // Just run: nothing is due for an hour.
    let planned = vec![Planned {
        id: "gov".into(),
        interval: Duration::from_secs(3600),
        last_start: Some(chrono::Utc::now()),
    }];
    SchedulerHandle::start(planned, &(runner as Arc<dyn SourceRunner>))
}

#[tokio::test]
async fn run_now_needs_the_admin_token() {
    let runner = Arc::new(CountingRunner(AtomicUsize::new(0)));
    let app = start(Setup {
        token: Some("tok-123"),
        scheduler: Some(scheduler(Arc::clone(&runner))),
        ..Setup::default()
    })
    .await;
    let html = common::body(app.get("/sources").await).await;
    assert!(html.contains("立即运行</button>"));
    assert!(!html.contains("tok-123"));
    let post = |token: &'static str| {
        app.client
            .post(format!("{}/sources/gov/run", app.base))
            .form(&[("token", token)])
            .send()
    };
    let r = post("wrong").await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(common::body(r).await.contains("管理令牌不对"));
    let r = app
        .client
        .post(format!("{}/sources/gov/run", app.base))
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(runner.0.load(Ordering::SeqCst), 0);
    let r = post("tok-123").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sources?queued=gov");
    // Waits on the event: the scheduler handed the run to the runner (bounded
    // generously: a busy machine may take a while to schedule it).
    let asked = std::time::Instant::now();
    while runner.0.load(Ordering::SeqCst) == 0 && asked.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(runner.0.load(Ordering::SeqCst), 1);
    // The API takes a bearer token.
    let r = app
        .client
        .post(format!("{}/api/sources/gov/run", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(format!("{}/api/sources/gov/run", app.base))
        .bearer_auth("tok-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = app
        .client
        .post(format!("{}/api/sources/nope/run", app.base))
        .bearer_auth("tok-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn run_now_is_forbidden_without_a_configured_token() {
    let runner = Arc::new(CountingRunner(AtomicUsize::new(0)));
    let app = start(Setup {
        scheduler: Some(scheduler(Arc::clone(&runner))),
        ..Setup::default()
    })
    .await;
    let r = app
        .client
        .post(format!("{}/sources/gov/run", app.base))
        .form(&[("token", "anything")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(runner.0.load(Ordering::SeqCst), 0);
}
