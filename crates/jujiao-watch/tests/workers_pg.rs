//! Three deliverers (three "workers", each with its own connection pool) on one
//! PostgreSQL database deliver 150 matches at once: each arrives exactly once.
//! `$JUJIAO_TEST_PG` names the server; unset, the default local one is tried and the
//! test is skipped (with a message) when none answers.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::Utc;
use common::*;
use jujiao_config::Config;
use jujiao_store::{PgStore, Store};
use jujiao_watch::{DeliverOptions, Deliverer};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

async fn open(schema: &str) -> Option<PgStore> {
    let (url, explicit) = match std::env::var("JUJIAO_TEST_PG") {
        Ok(u) if !u.trim().is_empty() => (u, true),
        _ => (DEFAULT_URL.to_owned(), false),
    };
    match PgStore::open_in_schema(&url, schema).await {
        Ok(s) => Some(s),
        Err(e) if !explicit => {
            eprintln!("skipped: no PostgreSQL server (set JUJIAO_TEST_PG): {e}");
            None
        }
        Err(e) => panic!("JUJIAO_TEST_PG is set but the server does not answer: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_workers_on_postgres_deliver_each_match_once() {
    let schema = format!(
        "watch_three_{}_{}",
        std::process::id(),
        Utc::now().timestamp_micros()
    );
    let Some(first) = open(&schema).await else {
        return;
    };
    let ep = Endpoint::start(r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let chans = Config::parse(
        &format!(
            "[[channel]]\nname = \"群\"\nkind = \"wecom\"\nurl = \"{}/send\"\ntoken = \"K\"\nmessages_per_minute = 60000\n\
             [[channel]]\nname = \"钩子\"\nkind = \"webhook\"\nurl = \"{}/hook\"\nmessages_per_minute = 60000\n",
            ep.base, ep.base
        ),
        Path::new("t.toml"),
    )
    .unwrap()
    .watch
    .channels;
    let store: Arc<dyn Store> = Arc::new(first);
    store
        .save_watch_rule(&rule("通知", "通知", &["群", "钩子"]))
        .await
        .unwrap();
    let records: Vec<_> = (0..150)
        .map(|i| record(i, &format!("第{i}号通知"), &format!("关于第{i}号的通知。")))
        .collect();
    assert_eq!(record_and_watch(&store, &records, Utc::now()).await, 150);

    let mut tasks = Vec::new();
    for w in 0..3 {
        let store: Arc<dyn Store> = Arc::new(open(&schema).await.unwrap());
        let d = Deliverer::new(store, &chans, DeliverOptions::new(format!("worker-{w}"))).unwrap();
        tasks.push(tokio::spawn(async move {
            d.drain(10_000, std::time::Duration::ZERO).await.unwrap()
        }));
    }
    let mut messages = 0;
    for t in tasks {
        messages += t.await.unwrap().messages;
    }
    let mut wecom: HashMap<usize, u32> = HashMap::new();
    let mut hook: HashMap<i64, u32> = HashMap::new();
    for s in ep.seen() {
        if s.uri.starts_with("/send") {
            let content = s.body["markdown"]["content"].as_str().unwrap().to_owned();
            for i in 0..150 {
                if content.contains(&format!("[第{i}号通知]")) {
                    *wecom.entry(i).or_default() += 1;
                }
            }
        } else {
            for item in s.body["items"].as_array().unwrap() {
                *hook
                    .entry(item["article_id"].as_i64().unwrap())
                    .or_default() += 1;
            }
        }
    }
    assert_eq!(ep.seen().len() as u64, messages);
    assert_eq!(wecom.len(), 150, "every match reached the robot");
    assert!(wecom.values().all(|n| *n == 1), "none twice: {wecom:?}");
    assert_eq!(hook.len(), 150);
    assert!(hook.values().all(|n| *n == 1), "none twice: {hook:?}");
    let stats = store.watch_stats().await.unwrap();
    assert_eq!((stats.delivered, stats.pending), (300, 0));
    // Drop the schema.
    let url = std::env::var("JUJIAO_TEST_PG").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::Executor::execute(
        &mut conn,
        format!("DROP SCHEMA \"{schema}\" CASCADE").as_str(),
    )
    .await
    .unwrap();
}
