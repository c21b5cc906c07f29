//! The 关注 page, "试用", saving rules with the admin token, 领导活动一览 and the
//! briefing's leader filter, on a real server over a real SQLite store.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use jujiao_config::Config;
use jujiao_store::{NewWatchMatch, RuleOrigin, SqliteStore, Store};
use jujiao_web::{AdminToken, AppState};
use std::path::Path;
use std::sync::Arc;

const CONFIG: &str = r#"
[[channel]]
name = "值班群"
kind = "wecom"
token = "SECRET-ROBOT-KEY"

[[watch]]
name = "文件规则"
query = "秋粮"
channels = ["值班群"]

[[leader]]
name = "王伟"
title = "区委书记"
"#;

async fn start(
    token: Option<&str>,
) -> (String, Arc<dyn Store>, reqwest::Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("t.db").to_string_lossy())
            .await
            .unwrap(),
    );
    fill(store.as_ref()).await;
    store
        .record_articles(&[
            record(
                article(
                    "gov",
                    50,
                    "区委书记王伟调研",
                    &["区委书记王伟到科学城调研。"],
                ),
                "领导活动",
                day(),
            ),
            record(
                article("gov", 51, "王伟东出席活动", &["王伟东出席开幕式。"]),
                "领导活动",
                day(),
            ),
        ])
        .await
        .unwrap();
    let config = Config::parse(CONFIG, Path::new("t.toml")).unwrap();
    let rules: Vec<_> = config
        .watch
        .rules
        .iter()
        .map(|r| jujiao_watch::stored_rule(r, RuleOrigin::Config))
        .collect();
    store.sync_config_watch_rules(&rules).await.unwrap();
    let mut b = AppState::builder(Arc::clone(&store), sources()).watch(config.watch);
    if let Some(t) = token {
        b = b.admin_token(AdminToken::new(t));
    }
    let app = jujiao_web::router(b.build());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (format!("http://{addr}"), store, client, dir)
}

async fn get(client: &reqwest::Client, url: String) -> (u16, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status().as_u16(), body(r).await)
}

#[tokio::test]
async fn the_watch_page_lists_rules_and_matches_with_their_delivery_state() {
    let (base, store, client, _dir) = start(Some("admin-token-123")).await;
    let filed = store.filed_articles(&Default::default()).await.unwrap();
    let first = &filed[0];
    store
        .record_watch_matches(&[NewWatchMatch {
            rule: "文件规则".into(),
            article_id: first.article_id,
            title: first.article.title.clone(),
            source_id: first.article.source.clone(),
            column: first.filing.column.clone(),
            url: first.article.url.clone(),
            published: None,
            excerpt: "摘句。".into(),
            deliveries: vec![("值班群".into(), chrono::Utc::now())],
        }])
        .await
        .unwrap();
    let (status, html) = get(&client, format!("{base}/watch")).await;
    assert_eq!(status, 200);
    assert!(html.contains("文件规则") && html.contains("秋粮"));
    assert!(html.contains(&first.article.title));
    assert!(
        html.contains("值班群：<span class=\"verdict none\">待发送</span>"),
        "{html}"
    );
    assert!(
        !html.contains("SECRET-ROBOT-KEY"),
        "a channel's key never shows"
    );
}

#[tokio::test]
async fn trying_a_rule_shows_what_it_would_have_matched() {
    let (base, _store, client, _dir) = start(None).await;
    let (status, html) = get(
        &client,
        format!("{base}/watch/try?name=t&query=%E7%A7%8B%E7%B2%AE"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("全国秋粮收购进展顺利"), "{html}");
    assert!(html.contains("<strong>1</strong> 篇会匹配"), "{html}");
    let (_, html) = get(
        &client,
        format!("{base}/watch/try?query=%E7%A7%8B%E7%B2%AE+-%E6%94%B6%E8%B4%AD"),
    )
    .await;
    assert!(
        html.contains("<strong>0</strong> 篇会匹配"),
        "an exclusion applies: {html}"
    );
}

#[tokio::test]
async fn saving_a_rule_needs_the_admin_token() {
    let (base, store, client, _dir) = start(Some("admin-token-123")).await;
    let form = |token: &'static str| {
        vec![
            ("name", "新规则"),
            ("query", "科学城 | 中关村"),
            ("channels", "值班群"),
            ("token", token),
        ]
    };
    let r = client
        .post(format!("{base}/watch/rules"))
        .form(&form("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(store.watch_rules().await.unwrap().len(), 1);
    let r = client
        .post(format!("{base}/watch/rules"))
        .form(&form("admin-token-123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let rules = store.watch_rules().await.unwrap();
    let saved = rules.iter().find(|r| r.name == "新规则").unwrap();
    assert_eq!(
        (saved.query.as_str(), saved.origin),
        ("科学城 | 中关村", RuleOrigin::Web)
    );
    // An unknown channel is refused with the reason; the file's rule cannot be edited here.
    let mut bad = form("admin-token-123");
    bad[2] = ("channels", "没有的群");
    let r = client
        .post(format!("{base}/watch/rules"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(body(r).await.contains("没有的群"));
    let mut file_rule = form("admin-token-123");
    file_rule[0] = ("name", "文件规则");
    let r = client
        .post(format!("{base}/watch/rules"))
        .form(&file_rule)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = client
        .post(format!("{base}/watch/rules/delete"))
        .form(&[("name", "新规则"), ("token", "admin-token-123")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(store.watch_rules().await.unwrap().len(), 1);
}

#[tokio::test]
async fn without_a_token_rules_cannot_be_saved() {
    let (base, store, client, _dir) = start(None).await;
    let r = client
        .post(format!("{base}/watch/rules"))
        .form(&[("name", "x"), ("query", "y"), ("token", "anything")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(store.watch_rules().await.unwrap().len(), 1);
}

#[tokio::test]
async fn leaders_page_and_briefing_filter_name_the_leader_not_a_longer_name() {
    let (base, _store, client, _dir) = start(None).await;
    let (status, html) = get(&client, format!("{base}/leaders?date={DAY}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("区委书记 王伟"));
    assert!(html.contains("区委书记王伟调研"));
    assert!(html.contains("区委书记王伟到科学城调研。"));
    assert!(
        !html.contains("王伟东出席活动"),
        "a longer name is someone else"
    );
    let (_, all) = get(&client, format!("{base}/?date={DAY}")).await;
    assert!(all.contains("王伟东出席活动") && all.contains("按领导"));
    let (_, filtered) = get(
        &client,
        format!("{base}/?date={DAY}&leader=%E7%8E%8B%E4%BC%9F"),
    )
    .await;
    assert!(filtered.contains("区委书记王伟调研"));
    assert!(!filtered.contains("王伟东出席活动"));
    assert!(
        filtered.contains("全国秋粮收购进展顺利"),
        "other columns are not filtered"
    );
}
