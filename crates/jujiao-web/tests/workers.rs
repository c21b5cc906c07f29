//! The workers page (`/workers`) and `GET /api/workers` against a real server and a real
//! SQLite store holding worker heartbeats and queued work.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, Utc};
use common::{Setup, start};
use jujiao_store::{NewWork, WorkKind, WorkerState, WorkerStatus};

fn status(id: &str, state: WorkerState, seen_ago: Duration) -> WorkerStatus {
    let now = Utc::now();
    WorkerStatus {
        id: id.into(),
        host_name: "collector1".into(),
        pid: 4242,
        state,
        started_at: now - Duration::minutes(30),
        last_seen: now - seen_ago,
        items_done: 812,
        articles_new: 640,
        errors: 2,
        current_item: Some("http://gov.example.com/a/1.html?x=<b>".into()),
        last_error: None,
    }
}

#[tokio::test]
async fn workers_page_and_api_show_heartbeats_and_the_queue() {
    let app = start(Setup::default()).await;
    let r = app.get("/workers").await;
    assert_eq!(r.status(), 200);
    assert!(common::body(r).await.contains("还没有工作进程"));

    app.store
        .report_worker(&status("alive", WorkerState::Running, Duration::seconds(2)))
        .await
        .unwrap();
    app.store
        .report_worker(&status(
            "killed",
            WorkerState::Running,
            Duration::minutes(5),
        ))
        .await
        .unwrap();
    app.store
        .schedule_work(&[NewWork {
            kind: WorkKind::Article,
            source_id: "gov".into(),
            url: "http://gov.example.com/a/2.html".into(),
            due_at: Utc::now() - Duration::seconds(1),
            note: None,
            run: None,
        }])
        .await
        .unwrap();

    let r = app.get("/workers").await;
    assert_eq!(r.status(), 200);
    let html = common::body(r).await;
    assert!(html.contains("工作进程"));
    assert!(html.contains("运行中") && html.contains("失联"), "{html}");
    assert!(html.contains("812 / 640 / 2"));
    assert!(
        html.contains("&lt;b&gt;") && !html.contains("<b>"),
        "escaped"
    );

    let r = app.get("/api/workers").await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    let states: Vec<&str> = v["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["running", "lost"]);
    assert_eq!(v["workers"][0]["id"], "alive");
    assert_eq!(v["queue"]["due"], 1);
    assert_eq!(v["queue"]["articles"], 1);
}
