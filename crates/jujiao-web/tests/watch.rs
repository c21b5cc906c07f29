//! The 关注 page, "试用", rule edits by signed-in editors (roles, CSRF, audit log) and
//! scripts (the admin bearer token), 领导活动一览 and the briefing's leader filter, on a
//! real server over a real SQLite store.

#![allow(clippy::unwrap_used)]

mod common;

use common::signin::{Browser, PASSWORD, add_user, sign_in};
use common::*;
use jujiao_config::Config;
use jujiao_store::{NewWatchMatch, Role, RuleOrigin, Store};
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

async fn start(token: Option<&'static str>) -> (String, Arc<dyn Store>, reqwest::Client, TestApp) {
    let config = Config::parse(CONFIG, Path::new("t.toml")).unwrap();
    let app = common::start(Setup {
        token,
        search: false,
        watch: Some(config.watch.clone()),
        ..Setup::default()
    })
    .await;
    let store = Arc::clone(&app.store);
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
    let rules: Vec<_> = config
        .watch
        .rules
        .iter()
        .map(|r| jujiao_watch::stored_rule(r, RuleOrigin::Config))
        .collect();
    store.sync_config_watch_rules(&rules).await.unwrap();
    (app.base.clone(), store, app.client.clone(), app)
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

fn rule_form<'a>(name: &'a str, query: &'a str, csrf: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("name", name), ("query", query), ("channels", "值班群")];
    if let Some(c) = csrf {
        f.push(("csrf", c));
    }
    f
}

#[tokio::test]
async fn rule_edits_need_an_editor_and_the_csrf_token_and_are_audited() {
    let (base, store, client, app) = start(Some("admin-token-123")).await;
    add_user(store.as_ref(), "编辑小王", Role::Editor).await;
    add_user(store.as_ref(), "viewer", Role::Viewer).await;
    let editor = sign_in(&app, "编辑小王", PASSWORD).await;
    let viewer = sign_in(&app, "viewer", PASSWORD).await;
    let post = |who: &Browser, path: &str, form: Vec<(&str, &str)>| {
        client
            .post(format!("{base}{path}"))
            .header("cookie", format!("jujiao_session={}", who.session))
            .form(&form)
            .send()
    };
    let rules = || async { store.watch_rules().await.unwrap() };

    // The page offers the save button (with the token) to the editor only.
    let html = body(app.get_as("/watch", &editor.session).await).await;
    assert!(html.contains(&format!("name=\"csrf\" value=\"{}\"", editor.csrf)));
    assert!(html.contains("formaction=\"/watch/rules\""));
    let html = body(app.get_as("/watch", &viewer.session).await).await;
    assert!(!html.contains("formaction=\"/watch/rules\""));

    // A viewer is refused, even with a good token; an editor without or with a wrong
    // token too; nothing changes.
    let r = post(
        &viewer,
        "/watch/rules",
        rule_form("新规则", "科学城", Some(&viewer.csrf)),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert!(body(r).await.contains("权限不足"));
    let r = post(&editor, "/watch/rules", rule_form("新规则", "科学城", None))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = post(
        &editor,
        "/watch/rules",
        rule_form("新规则", "科学城", Some("wrong")),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(rules().await.len(), 1);

    // The editor creates, edits and deletes a rule.
    let r = post(
        &editor,
        "/watch/rules",
        rule_form("新规则", "科学城", Some(&editor.csrf)),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let r = post(
        &editor,
        "/watch/rules",
        rule_form("新规则", "科学城 | 中关村", Some(&editor.csrf)),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let saved = rules()
        .await
        .into_iter()
        .find(|r| r.name == "新规则")
        .unwrap();
    assert_eq!(
        (saved.query.as_str(), saved.origin),
        ("科学城 | 中关村", RuleOrigin::Web)
    );
    // An unknown channel is refused with the reason; the file's rule cannot be edited here.
    let mut bad = rule_form("新规则", "科学城", Some(&editor.csrf));
    bad[2] = ("channels", "没有的群");
    let r = post(&editor, "/watch/rules", bad).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(body(r).await.contains("没有的群"));
    let r = post(
        &editor,
        "/watch/rules",
        rule_form("文件规则", "x", Some(&editor.csrf)),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 409);
    let r = post(
        &viewer,
        "/watch/rules/delete",
        vec![("name", "新规则"), ("csrf", &viewer.csrf)],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    let r = post(&editor, "/watch/rules/delete", vec![("name", "新规则")])
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(rules().await.len(), 2);
    let r = post(
        &editor,
        "/watch/rules/delete",
        vec![("name", "新规则"), ("csrf", &editor.csrf)],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(rules().await.len(), 1);

    let log: Vec<_> = store
        .audit_log(20, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entry.action.ends_with("关注规则"))
        .collect();
    let seen: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|e| {
            (
                e.entry.actor.as_str(),
                e.entry.action.as_str(),
                e.entry.target.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("编辑小王", "删除关注规则", "watch rule 新规则"),
            ("编辑小王", "修改关注规则", "watch rule 新规则"),
            ("编辑小王", "新建关注规则", "watch rule 新规则"),
        ]
    );
    assert!(
        log[1].entry.detail.contains("科学城 | 中关村"),
        "{:?}",
        log[1]
    );
}

#[tokio::test]
async fn scripts_keep_the_admin_bearer_token() {
    let (base, store, client, _app) = start(Some("admin-token-123")).await;
    let r = client
        .post(format!("{base}/watch/rules"))
        .bearer_auth("wrong")
        .form(&rule_form("脚本规则", "科学城", None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a wrong token is no one");
    let r = client
        .post(format!("{base}/watch/rules"))
        .bearer_auth("admin-token-123")
        .form(&rule_form("脚本规则", "科学城", None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(store.watch_rules().await.unwrap().len(), 2);
    let log = store.audit_log(10, None).await.unwrap();
    assert_eq!(log[0].entry.actor, jujiao_web::auth::ADMIN_TOKEN_ACTOR);
    assert_eq!(log[0].entry.action, "新建关注规则");
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

/// A message held for the duty officer: a match, claimed, handed to 值班群 and held.
async fn hold_one(store: &Arc<dyn Store>, article: usize, key: &str) {
    let filed = store.filed_articles(&Default::default()).await.unwrap();
    let f = &filed[article];
    let now = chrono::Utc::now();
    store
        .record_watch_matches(&[NewWatchMatch {
            rule: "文件规则".into(),
            article_id: f.article_id,
            title: f.article.title.clone(),
            source_id: f.article.source.clone(),
            column: f.filing.column.clone(),
            url: f.article.url.clone(),
            published: None,
            excerpt: "摘句。".into(),
            deliveries: vec![("值班群".into(), now)],
        }])
        .await
        .unwrap();
    let claimed = store
        .claim_deliveries("w", "值班群", 10, std::time::Duration::from_secs(60), now)
        .await
        .unwrap();
    let ids: Vec<_> = claimed.iter().map(|d| d.id).collect();
    store.begin_send(&ids, "w", key, now).await.unwrap();
    let held = jujiao_store::NewHeldMessage {
        key: key.into(),
        channel: "值班群".into(),
        title: "关注提醒（1 条）".into(),
        text: format!("关注提醒（1 条）\n\n【文件规则】{}", f.article.title),
        sent_at: now,
        reason: "发送过程中进程中断，未记录结果".into(),
    };
    assert_eq!(store.hold_message(&ids, "w", &held, now).await.unwrap(), 1);
}

#[tokio::test]
async fn held_messages_are_counted_in_the_header_and_resolved_by_an_editor_with_csrf() {
    let (base, store, client, app) = start(Some("admin-token-123")).await;
    add_user(store.as_ref(), "值班小李", Role::Editor).await;
    add_user(store.as_ref(), "viewer", Role::Viewer).await;
    let editor = sign_in(&app, "值班小李", PASSWORD).await;
    let viewer = sign_in(&app, "viewer", PASSWORD).await;
    let (_, html) = get(&client, format!("{base}/search")).await;
    assert!(!html.contains("条待确认"), "nothing held, nothing shown");
    hold_one(&store, 0, "k-a").await;
    hold_one(&store, 1, "k-b").await;
    let held = store.held_messages().await.unwrap();
    assert_eq!(held.len(), 2);

    // Every page's header counts them; the 关注 page lists them with their text.
    let (_, html) = get(&client, format!("{base}/search")).await;
    assert!(html.contains("2 条待确认"), "{html}");
    let html = body(app.get_as("/watch", &editor.session).await).await;
    assert!(
        html.contains("待值班人员确认：2 条消息发送结果未知"),
        "{html}"
    );
    assert!(html.contains(&held[0].text));
    assert!(html.contains("值班群：<span class=\"verdict bad\">结果未知，待值班人员确认</span>"));
    assert!(
        html.contains("action=\"/watch/held/received\"")
            && html.contains("action=\"/watch/held/resend\"")
    );
    let html = body(app.get_as("/watch", &viewer.session).await).await;
    assert!(!html.contains("action=\"/watch/held/received\""));

    let post = |who: &Browser, path: &str, form: Vec<(&str, String)>| {
        client
            .post(format!("{base}{path}"))
            .header("cookie", format!("jujiao_session={}", who.session))
            .form(&form)
            .send()
    };
    let a = held[0].id.to_string();
    let b = held[1].id.to_string();
    // A viewer is refused; an editor without the token too.
    let r = post(
        &viewer,
        "/watch/held/received",
        vec![("id", a.clone()), ("csrf", viewer.csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    let r = post(&editor, "/watch/held/received", vec![("id", a.clone())])
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(store.held_messages().await.unwrap().len(), 2);

    // 已收到 and 重发, once each.
    let r = post(
        &editor,
        "/watch/held/received",
        vec![("id", a.clone()), ("csrf", editor.csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let r = post(
        &editor,
        "/watch/held/resend",
        vec![("id", b.clone()), ("csrf", editor.csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let r = post(
        &editor,
        "/watch/held/resend",
        vec![("id", b.clone()), ("csrf", editor.csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 404, "already resolved");
    assert!(store.held_messages().await.unwrap().is_empty());
    let stats = store.watch_stats().await.unwrap();
    assert_eq!(
        (stats.delivered, stats.pending, stats.held_messages),
        (1, 1, 0)
    );
    let again = store
        .claim_deliveries(
            "w2",
            "值班群",
            10,
            std::time::Duration::from_secs(60),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].possible_repeat && again[0].message_key.as_deref() == Some("k-b"));
    let (_, html) = get(&client, format!("{base}/search")).await;
    assert!(!html.contains("条待确认"));

    let log: Vec<_> = store
        .audit_log(20, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entry.action.contains("关注消息"))
        .map(|e| (e.entry.actor, e.entry.action, e.entry.target))
        .collect();
    assert_eq!(
        log,
        [
            (
                "值班小李".to_owned(),
                jujiao_watch::AUDIT_HELD_RESEND.to_owned(),
                format!("watch message #{b} (值班群)")
            ),
            (
                "值班小李".to_owned(),
                jujiao_watch::AUDIT_HELD_RECEIVED.to_owned(),
                format!("watch message #{a} (值班群)")
            ),
        ]
    );
}
