//! The contract for watch rules, matches and the delivery outbox: a rule fires once per
//! article, each delivery is leased to one worker at a time, delivered once, retried
//! with its last error kept, and send slots are shared.

use crate::common::record;
use chrono::{Duration as Span, Utc};
use jujiao_store::{
    ArticleId, DeliveryId, HeldResolution, NewHeldMessage, NewWatchMatch, RuleOrigin, SendSlot,
    Store, StoredWatchRule,
};
use std::sync::Arc;
use std::time::Duration;

fn rule(name: &str, origin: RuleOrigin) -> StoredWatchRule {
    StoredWatchRule {
        name: name.to_owned(),
        query: "海淀 \"区委书记\" -广告".to_owned(),
        columns: vec!["领导活动".to_owned()],
        sources: Vec::new(),
        title_only: false,
        channels: vec!["值班群".to_owned(), "邮件".to_owned()],
        digest_minute: Some(510),
        origin,
    }
}

fn new_match(rule: &str, article: ArticleId, channels: &[&str]) -> NewWatchMatch {
    NewWatchMatch {
        rule: rule.to_owned(),
        article_id: article,
        title: "区委书记调研".to_owned(),
        source_id: "test".to_owned(),
        column: "领导活动".to_owned(),
        url: "https://w.example/1".to_owned(),
        published: Some("2026-12-06 09:30".to_owned()),
        excerpt: "区委书记张三到海淀调研。".to_owned(),
        deliveries: channels
            .iter()
            .map(|c| ((*c).to_owned(), Utc::now() - Span::seconds(1)))
            .collect(),
    }
}

async fn articles(store: &Arc<dyn Store>, n: usize) -> Vec<ArticleId> {
    let records: Vec<_> = (0..n)
        .map(|i| {
            record(
                &format!("https://w.example/{i}"),
                &format!("标题{i}"),
                &[&format!("正文{i}")],
            )
        })
        .collect();
    store
        .record_articles(&records)
        .await
        .unwrap()
        .iter()
        .map(|o| o.article_id())
        .collect()
}

pub async fn watch_rules_round_trip_and_config_rules_sync(store: Arc<dyn Store>) {
    assert!(store.watch_rules().await.unwrap().is_empty());
    let v0 = store.watch_rules_version().await.unwrap();
    store
        .save_watch_rule(&rule("网页规则", RuleOrigin::Web))
        .await
        .unwrap();
    store
        .sync_config_watch_rules(&[rule("文件规则", RuleOrigin::Config)])
        .await
        .unwrap();
    let rules = store.watch_rules().await.unwrap();
    assert_eq!(
        rules,
        vec![
            rule("文件规则", RuleOrigin::Config),
            rule("网页规则", RuleOrigin::Web)
        ]
    );
    let v1 = store.watch_rules_version().await.unwrap();
    assert_ne!(v0, v1);
    // Loading the same file again changes nothing, not even the version.
    store
        .sync_config_watch_rules(&[rule("文件规则", RuleOrigin::Config)])
        .await
        .unwrap();
    assert_eq!(store.watch_rules_version().await.unwrap(), v1);
    // A rule removed from the file goes; the web app's rule stays.
    store.sync_config_watch_rules(&[]).await.unwrap();
    let rules = store.watch_rules().await.unwrap();
    assert_eq!(rules, vec![rule("网页规则", RuleOrigin::Web)]);
    assert_ne!(store.watch_rules_version().await.unwrap(), v1);
    let mut edited = rule("网页规则", RuleOrigin::Web);
    edited.query = "新区".into();
    edited.digest_minute = None;
    store.save_watch_rule(&edited).await.unwrap();
    assert_eq!(store.watch_rules().await.unwrap(), vec![edited]);
    assert!(store.delete_watch_rule("网页规则").await.unwrap());
    assert!(!store.delete_watch_rule("网页规则").await.unwrap());
}

pub async fn a_rule_fires_once_per_article_and_each_delivery_once(store: Arc<dyn Store>) {
    let ids = articles(&store, 2).await;
    let m = new_match("规则", ids[0], &["值班群", "邮件"]);
    assert_eq!(
        store
            .record_watch_matches(std::slice::from_ref(&m))
            .await
            .unwrap(),
        1
    );
    // A revision matching again, or a second worker recording the same match: nothing new.
    assert_eq!(store.record_watch_matches(&[m]).await.unwrap(), 0);
    assert_eq!(
        store
            .record_watch_matches(&[new_match("规则", ids[1], &["值班群"])])
            .await
            .unwrap(),
        1
    );
    let stats = store.watch_stats().await.unwrap();
    assert_eq!((stats.matches, stats.pending, stats.delivered), (2, 3, 0));
    let now = Utc::now();
    assert_eq!(
        store.due_channels(now).await.unwrap(),
        ["值班群", "邮件"]
            .map(String::from)
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );

    let lease = Duration::from_secs(60);
    let a = store
        .claim_deliveries("a", "值班群", 10, lease, now)
        .await
        .unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].article_id, ids[0]);
    assert_eq!(a[0].excerpt, "区委书记张三到海淀调研。");
    assert!(
        store
            .claim_deliveries("b", "值班群", 10, lease, now)
            .await
            .unwrap()
            .is_empty(),
        "leased rows are not claimed twice"
    );
    // One delivered, one failed.
    assert_eq!(store.mark_delivered(&[a[0].id], now).await.unwrap(), 1);
    assert_eq!(
        store.mark_delivered(&[a[0].id], now).await.unwrap(),
        0,
        "delivered once"
    );
    let retry = now + Span::seconds(30);
    assert_eq!(
        store
            .release_deliveries(&[a[1].id], "b", Some("x"), retry)
            .await
            .unwrap(),
        0,
        "only the holder releases"
    );
    assert_eq!(
        store
            .release_deliveries(
                &[a[1].id],
                "a",
                Some("errcode 93000: invalid webhook url"),
                retry
            )
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .claim_deliveries("b", "值班群", 10, lease, now)
            .await
            .unwrap()
            .is_empty(),
        "not due before the retry time"
    );
    let again = store
        .claim_deliveries("b", "值班群", 10, lease, retry)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);

    let recent = store.recent_watch_matches(None, 10).await.unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0].article_id, ids[1], "newest first");
    let first = &recent[1];
    let wecom = first
        .deliveries
        .iter()
        .find(|d| d.channel == "值班群")
        .unwrap();
    assert!(wecom.delivered_at.is_some());
    let second = &recent[0].deliveries[0];
    assert_eq!(
        second.last_error.as_deref(),
        Some("errcode 93000: invalid webhook url")
    );
    assert_eq!(
        store
            .recent_watch_matches(Some("别的"), 10)
            .await
            .unwrap()
            .len(),
        0
    );
    let stats = store.watch_stats().await.unwrap();
    assert_eq!((stats.delivered, stats.pending, stats.failing), (1, 2, 1));
}

pub async fn an_ended_lease_is_claimed_again(store: Arc<dyn Store>) {
    let ids = articles(&store, 1).await;
    store
        .record_watch_matches(&[new_match("规则", ids[0], &["群"])])
        .await
        .unwrap();
    let now = Utc::now();
    let a = store
        .claim_deliveries("a", "群", 10, Duration::from_secs(5), now)
        .await
        .unwrap();
    assert_eq!(a.len(), 1);
    let later = now + Span::seconds(6);
    let b = store
        .claim_deliveries("b", "群", 10, Duration::from_secs(5), later)
        .await
        .unwrap();
    assert_eq!(
        b.iter().map(|d| d.id).collect::<Vec<DeliveryId>>(),
        vec![a[0].id]
    );
    // The first worker's late release changes nothing: the row is b's now.
    assert_eq!(
        store
            .release_deliveries(&[a[0].id], "a", Some("late"), later)
            .await
            .unwrap(),
        0
    );
}

pub async fn concurrent_delivery_claims_never_share_a_row(store: Arc<dyn Store>) {
    let ids = articles(&store, 40).await;
    let matches: Vec<_> = ids
        .iter()
        .map(|id| new_match("规则", *id, &["群"]))
        .collect();
    store.record_watch_matches(&matches).await.unwrap();
    let now = Utc::now();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let claimed = store
                    .claim_deliveries(&format!("w{w}"), "群", 3, Duration::from_secs(60), now)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    return got;
                }
                got.extend(claimed.iter().map(|d| d.id));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    let n = all.len();
    all.dedup();
    assert_eq!((n, all.len()), (40, 40));
}

pub async fn send_slots_are_spaced_across_callers(store: Arc<dyn Store>) {
    let now = Utc::now();
    let gap = Duration::from_secs(3);
    assert_eq!(
        store.reserve_send("群", gap, now).await.unwrap(),
        SendSlot::Granted
    );
    match store
        .reserve_send("群", gap, now + Span::seconds(1))
        .await
        .unwrap()
    {
        SendSlot::NotBefore(t) => assert_eq!(
            t.timestamp_millis(),
            (now + Span::seconds(3)).timestamp_millis()
        ),
        SendSlot::Granted => panic!("a second send within the gap"),
    }
    assert_eq!(
        store.reserve_send("别的群", gap, now).await.unwrap(),
        SendSlot::Granted
    );
    assert_eq!(
        store
            .reserve_send("群", gap, now + Span::seconds(3))
            .await
            .unwrap(),
        SendSlot::Granted
    );
}

/// Articles and their outbox rows are one transaction: a batch whose matches cannot be
/// written (here a match naming an article that does not exist, refused by the foreign
/// key) stores no article either, and a batch whose matches are written stores both.
pub async fn articles_and_their_matches_are_recorded_together(store: Arc<dyn Store>) {
    let batch = [
        record(
            "https://t.example/1",
            "区委书记调研",
            &["区委书记到海淀调研。"],
        ),
        record("https://t.example/2", "天气", &["晴。"]),
    ];
    let urls = || {
        batch
            .iter()
            .map(|r| r.article.url.clone())
            .collect::<Vec<_>>()
    };
    let broken = |_: &[jujiao_store::ArticleRecord], _: &[jujiao_store::RecordOutcome]| {
        vec![new_match("规则", ArticleId(987_654_321), &["值班群"])]
    };
    let failed = store.record_articles_watched(&batch, &broken).await;
    assert!(failed.is_err(), "{failed:?}");
    assert!(
        store.known_urls(&urls()).await.unwrap().is_empty(),
        "the articles rolled back with their matches"
    );
    assert_eq!(store.watch_stats().await.unwrap().matches, 0);

    let find = |records: &[jujiao_store::ArticleRecord],
                outcomes: &[jujiao_store::RecordOutcome]| {
        records
            .iter()
            .zip(outcomes)
            .filter(|(r, _)| r.article.title.contains("区委书记"))
            .map(|(_, o)| new_match("规则", o.article_id(), &["值班群", "邮件"]))
            .collect()
    };
    let (outcomes, new) = store.record_articles_watched(&batch, &find).await.unwrap();
    assert_eq!((outcomes.len(), new), (2, 1));
    assert_eq!(store.known_urls(&urls()).await.unwrap().len(), 2);
    let recent = store.recent_watch_matches(None, 10).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].article_id, outcomes[0].article_id());
    assert_eq!(recent[0].deliveries.len(), 2);
    // Recorded again, unchanged: no new match, no new delivery.
    let (_, again) = store.record_articles_watched(&batch, &find).await.unwrap();
    assert_eq!(again, 0);
    assert_eq!(store.watch_stats().await.unwrap().pending, 2);
}

/// A message handed to its channel (`begin_send`) is claimed again whole — its rows
/// and only them, still under its key and flagged in flight — when its sender's lease
/// ends before the answer was recorded.
pub async fn a_message_in_flight_is_claimed_again_whole(store: Arc<dyn Store>) {
    let ids = articles(&store, 3).await;
    let matches: Vec<_> = ids
        .iter()
        .map(|id| new_match("规则", *id, &["群"]))
        .collect();
    assert_eq!(store.record_watch_matches(&matches).await.unwrap(), 3);
    let now = Utc::now();
    let lease = Duration::from_secs(60);
    let a = store
        .claim_deliveries("a", "群", 10, lease, now)
        .await
        .unwrap();
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|d| d.message_key.is_none() && !d.in_flight));
    let sent: Vec<DeliveryId> = a[..2].iter().map(|d| d.id).collect();
    assert_eq!(
        store.begin_send(&sent, "b", "k1", now).await.unwrap(),
        0,
        "only the holder"
    );
    assert_eq!(store.begin_send(&sent, "a", "k1", now).await.unwrap(), 2);
    store
        .release_deliveries(&[a[2].id], "a", None, now)
        .await
        .unwrap();
    // "a" dies; its lease ends.
    let later = now + Span::seconds(61);
    let b = store
        .claim_deliveries("b", "群", 10, lease, later)
        .await
        .unwrap();
    assert_eq!(b.iter().map(|d| d.id).collect::<Vec<_>>(), sent);
    assert!(
        b.iter()
            .all(|d| d.message_key.as_deref() == Some("k1") && d.in_flight)
    );
    // A failed send: no longer in flight, still one message under its key.
    let retry = later + Span::seconds(30);
    store
        .release_deliveries(&sent, "b", Some("HTTP 502"), retry)
        .await
        .unwrap();
    let c = store
        .claim_deliveries("c", "群", 10, lease, retry)
        .await
        .unwrap();
    assert_eq!(c.iter().map(|d| d.id).collect::<Vec<_>>(), sent);
    assert!(
        c.iter()
            .all(|d| d.message_key.as_deref() == Some("k1") && !d.in_flight)
    );
    assert_eq!(store.mark_delivered(&sent, retry).await.unwrap(), 2);
    let rest = store
        .claim_deliveries("c", "群", 10, lease, retry)
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|d| d.id).collect::<Vec<_>>(), [a[2].id]);
    assert_eq!(rest[0].message_key, None);
}

async fn fresh_articles(store: &Arc<dyn Store>, tag: &str, n: usize) -> Vec<ArticleId> {
    let records: Vec<_> = (0..n)
        .map(|i| {
            record(
                &format!("https://w.example/{tag}/{i}"),
                &format!("标题{tag}-{i}"),
                &[&format!("正文{tag}-{i}")],
            )
        })
        .collect();
    store
        .record_articles(&records)
        .await
        .unwrap()
        .iter()
        .map(|o| o.article_id())
        .collect()
}

fn held(key: &str, channel: &str, sent_at: chrono::DateTime<Utc>) -> NewHeldMessage {
    NewHeldMessage {
        key: key.to_owned(),
        channel: channel.to_owned(),
        title: "关注提醒（2 条）".to_owned(),
        text: "关注提醒（2 条）\n\n【规则】区委书记调研".to_owned(),
        sent_at,
        reason: "发送中进程中断，结果未知".to_owned(),
    }
}

/// A message whose outcome is unknown, held for the duty officer: its rows are claimed
/// no more (not even after their lease), counted apart from the pending ones, listed
/// with its text; 已收到 marks them delivered, 重发 makes them due again under the same
/// key, marked as a possible repeat for every later send; each resolution happens once.
pub async fn a_held_message_waits_for_the_duty_officer(store: Arc<dyn Store>) {
    let ids = articles(&store, 4).await;
    let matches: Vec<_> = ids
        .iter()
        .map(|id| new_match("规则", *id, &["群"]))
        .collect();
    store.record_watch_matches(&matches).await.unwrap();
    let now = Utc::now();
    let lease = Duration::from_secs(60);
    let a = store
        .claim_deliveries("a", "群", 2, lease, now)
        .await
        .unwrap();
    let first: Vec<DeliveryId> = a.iter().map(|d| d.id).collect();
    assert_eq!(store.begin_send(&first, "a", "k1", now).await.unwrap(), 2);
    // "a" dies; "b" recovers the message and holds it.
    let later = now + Span::seconds(61);
    let b = store
        .claim_deliveries("b", "群", 10, lease, later)
        .await
        .unwrap();
    assert_eq!(b.iter().map(|d| d.id).collect::<Vec<_>>(), first);
    assert!(b.iter().all(|d| d.in_flight && !d.possible_repeat));
    assert_eq!(
        b[0].sent_at.map(|t| t.timestamp_millis()),
        Some(now.timestamp_millis())
    );
    assert_eq!(
        store
            .hold_message(&first, "c", &held("k1", "群", now), later)
            .await
            .unwrap(),
        0,
        "only the holder holds"
    );
    assert!(store.held_messages().await.unwrap().is_empty());
    assert_eq!(
        store
            .hold_message(&first, "b", &held("k1-recomposed", "群", now), later)
            .await
            .unwrap(),
        2,
        "held under the key it was recomposed with (a changed layout may change it)"
    );
    let list = store.held_messages().await.unwrap();
    assert_eq!(list.len(), 1);
    let h = &list[0];
    assert_eq!(
        (h.key.as_str(), h.channel.as_str(), h.deliveries),
        ("k1-recomposed", "群", 2)
    );
    assert!(h.text.contains("区委书记调研"));
    assert_eq!(h.sent_at.timestamp_millis(), now.timestamp_millis());
    assert_eq!(h.held_at.timestamp_millis(), later.timestamp_millis());
    let stats = store.watch_stats().await.unwrap();
    assert_eq!((stats.pending, stats.held_messages), (2, 1));
    let shown = store.recent_watch_matches(None, 10).await.unwrap();
    assert_eq!(
        shown
            .iter()
            .filter(|m| m.deliveries.iter().any(|d| d.held))
            .count(),
        2
    );
    // Held rows are claimed no more, however late; the other rows are.
    let much_later = later + Span::hours(5);
    let rest = store
        .claim_deliveries("b", "群", 10, lease, much_later)
        .await
        .unwrap();
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|d| !first.contains(&d.id)));
    assert_eq!(
        store
            .mark_delivered(&rest.iter().map(|d| d.id).collect::<Vec<_>>(), much_later)
            .await
            .unwrap(),
        2
    );
    assert!(store.due_channels(much_later).await.unwrap().is_empty());

    // 已收到: delivered, once.
    let done = store
        .resolve_held_message(h.id, HeldResolution::Received, much_later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.deliveries, 2);
    assert!(
        store
            .resolve_held_message(h.id, HeldResolution::Resend, much_later)
            .await
            .unwrap()
            .is_none(),
        "a message is resolved once"
    );
    let stats = store.watch_stats().await.unwrap();
    assert_eq!(
        (stats.delivered, stats.pending, stats.held_messages),
        (4, 0, 0)
    );
}

/// A send whose answer never came is given back in flight, like a dead sender's; held
/// and resent by the officer, it comes back under the same key, marked, and stays
/// marked after a refused attempt.
pub async fn an_unknown_outcome_resent_stays_a_possible_repeat(store: Arc<dyn Store>) {
    let ids = articles(&store, 2).await;
    let matches: Vec<_> = ids
        .iter()
        .map(|id| new_match("规则", *id, &["群"]))
        .collect();
    store.record_watch_matches(&matches).await.unwrap();
    let now = Utc::now();
    let lease = Duration::from_secs(60);
    let a = store
        .claim_deliveries("a", "群", 10, lease, now)
        .await
        .unwrap();
    let sent: Vec<DeliveryId> = a.iter().map(|d| d.id).collect();
    store.begin_send(&sent, "a", "k2", now).await.unwrap();
    let retry = now + Span::seconds(30);
    assert_eq!(
        store
            .release_unknown(&sent, "a", "no answer within 15s", retry)
            .await
            .unwrap(),
        2
    );
    assert!(
        store
            .claim_deliveries("b", "群", 10, lease, now)
            .await
            .unwrap()
            .is_empty(),
        "not before the retry time"
    );
    let b = store
        .claim_deliveries("b", "群", 10, lease, retry)
        .await
        .unwrap();
    assert!(
        b.iter()
            .all(|d| d.in_flight && d.attempts == 1 && d.message_key.as_deref() == Some("k2"))
    );
    store
        .hold_message(&sent, "b", &held("k2", "群", now), retry)
        .await
        .unwrap();
    let id = store.held_messages().await.unwrap()[0].id;
    let resent = store
        .resolve_held_message(id, HeldResolution::Resend, retry)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resent.deliveries, 2);
    let c = store
        .claim_deliveries("c", "群", 10, lease, retry)
        .await
        .unwrap();
    assert_eq!(c.iter().map(|d| d.id).collect::<Vec<_>>(), sent);
    assert!(
        c.iter()
            .all(|d| !d.in_flight && d.possible_repeat && d.message_key.as_deref() == Some("k2"))
    );
    store.begin_send(&sent, "c", "k2", retry).await.unwrap();
    store
        .release_deliveries(&sent, "c", Some("HTTP 502"), retry)
        .await
        .unwrap();
    let d = store
        .claim_deliveries("d", "群", 10, lease, retry)
        .await
        .unwrap();
    assert!(
        d.iter().all(|d| !d.in_flight && d.possible_repeat),
        "still a possible repeat after a refusal"
    );
    assert_eq!(store.mark_delivered(&sent, retry).await.unwrap(), 2);
    assert_eq!(store.watch_stats().await.unwrap().held_messages, 0);
}

/// Several workers recovering the same message at the same moment: one of them gets
/// all of its rows, the others none (on PostgreSQL `SKIP LOCKED` alone let two
/// claimers each take part of it).
pub async fn concurrent_recoveries_never_split_a_message(store: Arc<dyn Store>) {
    const ROUNDS: usize = 40;
    const ROWS: usize = 200;
    const CLAIMERS: usize = 8;
    let lease = Duration::from_secs(60);
    let mut split = Vec::new();
    for round in 0..ROUNDS {
        let channel = format!("群{round}");
        let ids = fresh_articles(&store, &format!("r{round}"), ROWS).await;
        let matches: Vec<_> = ids
            .iter()
            .map(|id| new_match("规则", *id, &[channel.as_str()]))
            .collect();
        store.record_watch_matches(&matches).await.unwrap();
        let now = Utc::now();
        let first = store
            .claim_deliveries("dead", &channel, 200, lease, now)
            .await
            .unwrap();
        let sent: Vec<DeliveryId> = first.iter().map(|d| d.id).collect();
        assert_eq!(sent.len(), ROWS);
        let key = format!("k{round}");
        store.begin_send(&sent, "dead", &key, now).await.unwrap();
        let later = now + Span::seconds(61);
        let start = Arc::new(tokio::sync::Barrier::new(CLAIMERS));
        let tasks: Vec<_> = (0..CLAIMERS)
            .map(|w| {
                let (store, start, channel) = (store.clone(), start.clone(), channel.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    store
                        .claim_deliveries(&format!("w{w}"), &channel, 200, lease, later)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut shares = Vec::new();
        for t in tasks {
            let got = t.await.unwrap();
            assert!(
                got.iter()
                    .all(|d| d.message_key.as_deref() == Some(key.as_str()))
            );
            if !got.is_empty() {
                shares.push(got.len());
            }
        }
        if shares != [ROWS] {
            split.push((round, shares));
        }
        store.mark_delivered(&sent, later).await.unwrap();
    }
    assert!(
        split.is_empty(),
        "messages split between claimers (round, rows each): {split:?}"
    );
}
