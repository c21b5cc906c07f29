//! Each channel against a loopback endpoint: the exact request (URL, headers, JSON body)
//! with signatures recomputed here from the documented algorithms, error codes treated
//! as failures, long batches split, and the rate limit met by batching.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{Duration as Span, TimeZone, Utc};
use common::*;
use hmac::{Hmac, Mac};
use jujiao_config::{Channel, ChannelKind, Config};
use jujiao_watch::{DeliverOptions, Deliverer};
use sha2::Sha256;
use std::path::Path;
use std::sync::Arc;

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(msg);
    BASE64.encode(mac.finalize().into_bytes())
}

fn channels(toml: &str) -> Vec<Channel> {
    Config::parse(toml, Path::new("test.toml"))
        .unwrap()
        .watch
        .channels
}

fn query_param(uri: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(&format!("http://x{uri}")).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn options() -> DeliverOptions {
    let mut o = DeliverOptions::new("test-worker");
    o.base_url = Some("https://jj.example".into());
    o
}

async fn one_match(store: &Arc<dyn jujiao_store::Store>, channel: &str) {
    store
        .save_watch_rule(&rule("区领导", "区委书记", &[channel]))
        .await
        .unwrap();
    let now = Utc::now();
    let n = record_and_watch(
        store,
        &[record(
            1,
            "区委书记调研科学城",
            "第一段。区委书记到中关村调研。",
        )],
        now,
    )
    .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn wecom_markdown_request_is_exact() {
    let ep = Endpoint::start(r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let chans = channels(&format!(
        "[[channel]]\nname = \"值班群\"\nkind = \"wecom\"\nurl = \"{}/cgi-bin/webhook/send\"\ntoken = \"KEY-1\"\n",
        ep.base
    ));
    let store = memory_store().await;
    one_match(&store, "值班群").await;
    let d = Deliverer::new(store.clone(), &chans, options()).unwrap();
    let report = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!((report.messages, report.delivered), (1, 1));
    let seen = ep.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].uri, "/cgi-bin/webhook/send?key=KEY-1");
    assert_eq!(seen[0].headers["content-type"], "application/json");
    assert_eq!(seen[0].body["msgtype"], "markdown");
    let content = seen[0].body["markdown"]["content"].as_str().unwrap();
    assert!(content.starts_with("### 关注提醒（1 条）\n\n**【区领导】**[区委书记调研科学城](https://jj.example/articles/1)\nqxw · 要闻 · "), "{content}");
    assert!(content.ends_with("\n> 区委书记到中关村调研。"), "{content}");
    assert_eq!(
        seen[0].body.as_object().unwrap().len(),
        2,
        "nothing else in the body"
    );
    // Delivered once: nothing left to send.
    assert_eq!(
        d.deliver_due(Utc::now() + Span::minutes(5))
            .await
            .unwrap()
            .messages,
        0
    );
    assert_eq!(ep.seen().len(), 1);
}

#[tokio::test]
async fn wecom_text_mentions_mobiles() {
    let ep = Endpoint::start(r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let chans = channels(&format!(
        "[[channel]]\nname = \"群\"\nkind = \"wecom\"\nformat = \"text\"\nurl = \"{}/send\"\ntoken = \"K\"\nmentioned_mobiles = [\"13800001111\", \"@all\"]\n",
        ep.base
    ));
    let store = memory_store().await;
    one_match(&store, "群").await;
    Deliverer::new(store, &chans, options())
        .unwrap()
        .deliver_due(Utc::now())
        .await
        .unwrap();
    let body = &ep.seen()[0].body;
    assert_eq!(body["msgtype"], "text");
    assert_eq!(
        body["text"]["mentioned_mobile_list"],
        serde_json::json!(["13800001111", "@all"])
    );
    assert!(
        body["text"]["content"]
            .as_str()
            .unwrap()
            .contains("https://jj.example/articles/1")
    );
}

#[tokio::test]
async fn dingtalk_signature_is_recomputed_from_the_documented_algorithm() {
    let ep = Endpoint::start(r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let secret = "SEC0123456789abcdef";
    let chans = channels(&format!(
        "[[channel]]\nname = \"钉钉\"\nkind = \"dingtalk\"\nurl = \"{}/robot/send\"\ntoken = \"TOKEN\"\nsecret = \"{secret}\"\n",
        ep.base
    ));
    let store = memory_store().await;
    one_match(&store, "钉钉").await;
    let now = Utc::now();
    Deliverer::new(store, &chans, options())
        .unwrap()
        .deliver_due(now)
        .await
        .unwrap();
    let seen = &ep.seen()[0];
    assert!(
        seen.uri
            .starts_with("/robot/send?access_token=TOKEN&timestamp="),
        "{}",
        seen.uri
    );
    let ts = query_param(&seen.uri, "timestamp").unwrap();
    assert_eq!(ts, now.timestamp_millis().to_string(), "milliseconds");
    let sign = query_param(&seen.uri, "sign").unwrap();
    assert_eq!(
        sign,
        hmac_b64(secret.as_bytes(), format!("{ts}\n{secret}").as_bytes())
    );
    // The sign is URL-encoded in the query (base64 has + / =).
    let raw = seen.uri.split("&sign=").nth(1).unwrap();
    assert!(!raw.contains('+') && !raw.contains('/'), "{raw}");
    assert_eq!(seen.body["msgtype"], "markdown");
    assert_eq!(seen.body["markdown"]["title"], "关注提醒（1 条）");
    assert!(
        seen.body["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("[区委书记调研科学城](https://jj.example/articles/1)")
    );
}

#[tokio::test]
async fn feishu_signature_is_in_the_body() {
    let ep = Endpoint::start(r#"{"code":0,"msg":"success","data":{}}"#).await;
    let secret = "feishu-secret";
    let chans = channels(&format!(
        "[[channel]]\nname = \"飞书\"\nkind = \"feishu\"\nurl = \"{}/open-apis/bot/v2/hook\"\ntoken = \"HOOK-ID\"\nsecret = \"{secret}\"\n",
        ep.base
    ));
    let store = memory_store().await;
    one_match(&store, "飞书").await;
    let now = Utc::now();
    Deliverer::new(store, &chans, options())
        .unwrap()
        .deliver_due(now)
        .await
        .unwrap();
    let seen = &ep.seen()[0];
    assert_eq!(seen.uri, "/open-apis/bot/v2/hook/HOOK-ID");
    let ts = seen.body["timestamp"].as_str().unwrap();
    assert_eq!(ts, now.timestamp().to_string(), "seconds, as a string");
    assert_eq!(
        seen.body["sign"].as_str().unwrap(),
        hmac_b64(format!("{ts}\n{secret}").as_bytes(), b"")
    );
    assert_eq!(seen.body["msg_type"], "post");
    let post = &seen.body["content"]["post"]["zh_cn"];
    assert_eq!(post["title"], "关注提醒（1 条）");
    assert_eq!(
        post["content"][0][1],
        serde_json::json!({"tag": "a", "text": "区委书记调研科学城", "href": "https://jj.example/articles/1"})
    );
}

#[tokio::test]
async fn webhook_carries_items_token_and_idempotency_key() {
    let ep = Endpoint::start("").await;
    let chans = channels(&format!(
        "[[channel]]\nname = \"钩子\"\nkind = \"webhook\"\nurl = \"{}/hook\"\ntoken = \"bearer-token\"\n",
        ep.base
    ));
    let store = memory_store().await;
    one_match(&store, "钩子").await;
    Deliverer::new(store, &chans, options())
        .unwrap()
        .deliver_due(Utc::now())
        .await
        .unwrap();
    let seen = &ep.seen()[0];
    assert_eq!(seen.uri, "/hook");
    assert_eq!(seen.headers["authorization"], "Bearer bearer-token");
    assert_eq!(seen.headers["idempotency-key"], "jujiao-1");
    let item = &seen.body["items"][0];
    assert_eq!(item["rule"], "区领导");
    assert_eq!(item["article_id"], 1);
    assert_eq!(item["link"], "https://jj.example/articles/1");
    assert_eq!(item["url"], "https://q.example/a/1.html");
    assert_eq!(item["excerpt"], "区委书记到中关村调研。");
}

#[tokio::test]
async fn an_error_code_is_a_failure_kept_and_retried() {
    let ep = Endpoint::start(r#"{"errcode":0,"errmsg":"ok"}"#).await;
    ep.answer_next(r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#);
    let chans = channels(&format!(
        "[[channel]]\nname = \"群\"\nkind = \"wecom\"\nurl = \"{}/send\"\ntoken = \"K\"\n",
        ep.base
    ));
    let store = memory_store().await;
    one_match(&store, "群").await;
    let d = Deliverer::new(store.clone(), &chans, options()).unwrap();
    let now = Utc::now();
    let r = d.deliver_due(now).await.unwrap();
    assert_eq!((r.messages, r.failed), (0, 1));
    let m = &store.recent_watch_matches(None, 10).await.unwrap()[0];
    assert_eq!(
        m.deliveries[0].last_error.as_deref(),
        Some("errcode 93000: invalid webhook url")
    );
    assert!(m.deliveries[0].delivered_at.is_none());
    // Not before the backoff; then delivered.
    assert_eq!(
        d.deliver_due(now + Span::seconds(10))
            .await
            .unwrap()
            .messages,
        0
    );
    let r = d.deliver_due(now + Span::seconds(31)).await.unwrap();
    assert_eq!(r.delivered, 1);
    assert_eq!(ep.seen().len(), 2);
    let stats = store.watch_stats().await.unwrap();
    assert_eq!((stats.delivered, stats.pending), (1, 0));
}

#[tokio::test]
async fn secrets_stay_out_of_errors_and_debug() {
    let chans = channels(
        "[[channel]]\nname = \"群\"\nkind = \"wecom\"\nurl = \"http://127.0.0.1:9/send\"\ntoken = \"TOPSECRETKEY\"\n",
    );
    let shown = format!("{chans:?}");
    assert!(!shown.contains("TOPSECRETKEY"), "{shown}");
    let store = memory_store().await;
    one_match(&store, "群").await;
    let d = Deliverer::new(store.clone(), &chans, options()).unwrap();
    assert_eq!(d.deliver_due(Utc::now()).await.unwrap().failed, 1);
    let error = store.recent_watch_matches(None, 1).await.unwrap()[0].deliveries[0]
        .last_error
        .clone()
        .unwrap();
    assert!(!error.contains("TOPSECRETKEY"), "{error}");
}

#[tokio::test]
async fn a_hundred_matches_in_a_minute_arrive_in_at_most_twenty_messages() {
    let ep = Endpoint::start(r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let chans = channels(&format!(
        "[[channel]]\nname = \"群\"\nkind = \"wecom\"\nurl = \"{}/send\"\ntoken = \"K\"\n",
        ep.base
    ));
    assert!(matches!(
        chans[0].kind,
        ChannelKind::Wecom { markdown: true, .. }
    ));
    let store = memory_store().await;
    store
        .save_watch_rule(&rule("全部", "通知", &["群"]))
        .await
        .unwrap();
    let d = Deliverer::new(store.clone(), &chans, options()).unwrap();
    // A match every 0.6 s for a minute, the deliverer passing every second: a fake clock
    // drives both (the rate limit is judged on the times given, not on sleeps).
    let start = Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap();
    let mut next = 0;
    for tick in 0..=600 {
        let now = start + Span::milliseconds(tick * 100);
        if tick % 6 == 0 && next < 100 {
            let body = format!("关于第{next}号的通知。{}", "详细内容。".repeat(20));
            record_and_watch(
                &store,
                &[record(next, &format!("第{next}号通知"), &body)],
                now,
            )
            .await;
            next += 1;
        }
        if tick % 10 == 0 {
            d.deliver_due(now).await.unwrap();
        }
    }
    // And whatever is left, after the minute.
    for s in 61..200 {
        d.deliver_due(start + Span::seconds(s)).await.unwrap();
    }
    let seen = ep.seen();
    assert!(seen.len() <= 20, "{} messages", seen.len());
    let mut titles = Vec::new();
    for s in &seen {
        let content = s.body["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= 4096);
        for i in 0..100 {
            if content.contains(&format!("[第{i}号通知]")) {
                titles.push(i);
            }
        }
    }
    titles.sort_unstable();
    assert_eq!(
        titles,
        (0..100).collect::<Vec<_>>(),
        "each match once, none lost"
    );
    let stats = store.watch_stats().await.unwrap();
    assert_eq!((stats.delivered, stats.pending), (100, 0));
}
