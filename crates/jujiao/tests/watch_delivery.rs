#![allow(clippy::unwrap_used)]
//! Alert delivery under SIGKILL: `jujiao watch deliver --until-empty`
//! killed at random instants while it sends 120 matches (text messages of at most 2,048
//! bytes, about a dozen matches each) to a 企业微信-style endpoint on
//! loopback, then run again to the end. Measured like the reliability suite's kill
//! trials (seeded instants over the measured length of a full run).
//!
//! The endpoint counts a message as delivered when it has received it, before it
//! answers (a robot posts what it got, whether or not its answer reaches the sender).
//! What must hold: nothing is lost, and nothing is repeated except the one message that
//! was in flight when the process died — a robot without an idempotency key cannot tell
//! a retry from a new message, so that message is sent again (the JSON webhook carries
//! each item's `delivery_id` and an `Idempotency-Key` for receivers that drop repeats).

use axum::body::Bytes;
use axum::extract::State;
use chrono::Utc;
use jujiao_model::{Article, Filing, Paragraph};
use jujiao_store::{ArticleRecord, RuleOrigin, SqliteStore, Store, StoredWatchRule};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MATCHES: usize = 120;
const TRIALS: u64 = 30;

type Received = Arc<Mutex<HashMap<usize, u32>>>;

async fn endpoint(received: Received, delay: Duration) -> String {
    async fn handler(
        State((received, delay)): State<(Received, Duration)>,
        body: Bytes,
    ) -> &'static str {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let content = v["text"]["content"].as_str().unwrap_or_default().to_owned();
        {
            let mut r = received.lock().unwrap();
            for i in 0..MATCHES {
                if content.contains(&format!("】第{i}号通知\n")) {
                    *r.entry(i).or_default() += 1;
                }
            }
        }
        tokio::time::sleep(delay).await;
        r#"{"errcode":0,"errmsg":"ok"}"#
    }
    let app = axum::Router::new()
        .fallback(handler)
        .with_state((received, delay));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn record(i: usize) -> ArticleRecord {
    ArticleRecord {
        article: Article {
            source: "qxw".into(),
            url: format!("https://q.example/{i}.html"),
            title: format!("第{i}号通知"),
            published: None,
            author: None,
            origin: None,
            editor: None,
            paragraphs: vec![Paragraph::new(format!(
                "关于第{i}号事项的通知。{}",
                "内容。".repeat(30)
            ))],
            images: Vec::new(),
            attachments: Vec::new(),
            fetched_at: None,
            disclosure: None,
        },
        filing: Filing {
            column: "通知公告".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 6),
            legacy: None,
        },
    }
}

/// A database with `MATCHES` matches waiting for channel 群, and its sources file.
async fn prepare(dir: &Path, base: &str) -> (String, std::path::PathBuf) {
    let db = dir.join("w.db");
    let config = dir.join("jujiao.toml");
    jujiao_legacy::write_atomic(
        &config,
        format!(
            "[[channel]]\nname = \"群\"\nkind = \"wecom\"\nformat = \"text\"\nurl = \"{base}/send\"\ntoken = \"K\"\nmessages_per_minute = 6000\n\n\
             [[watch]]\nname = \"通知\"\nquery = \"通知\"\nchannels = [\"群\"]\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db.to_str().unwrap()).await.unwrap());
    store
        .save_watch_rule(&StoredWatchRule {
            name: "通知".into(),
            query: "通知".into(),
            columns: Vec::new(),
            sources: Vec::new(),
            title_only: false,
            channels: vec!["群".into()],
            digest_minute: None,
            origin: RuleOrigin::Config,
        })
        .await
        .unwrap();
    let records: Vec<_> = (0..MATCHES).map(record).collect();
    let outcomes = store.record_articles(&records).await.unwrap();
    let n = jujiao_watch::Watcher::new(store.clone())
        .on_recorded(&records, &outcomes, Utc::now())
        .await
        .unwrap();
    assert_eq!(n as usize, MATCHES);
    (db.to_str().unwrap().to_owned(), config)
}

fn deliver(db: &str, config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jujiao"));
    c.args([
        "watch",
        "deliver",
        "--until-empty",
        "--lease",
        "1s",
        "--db",
        db,
        "--config",
    ])
    .arg(config)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    c
}

/// SplitMix64, as the reliability suite's trials: replayable instants.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_deliverers_lose_nothing_and_repeat_only_the_message_in_flight() {
    // A full run, measured: its length spreads the kill instants.
    let received: Received = Arc::default();
    let base = endpoint(received.clone(), Duration::from_millis(30)).await;
    let dir = tempfile::tempdir().unwrap();
    let (db, config) = prepare(dir.path(), &base).await;
    let start = Instant::now();
    let status = deliver(&db, &config).status().unwrap();
    let full = start.elapsed();
    assert!(status.success());
    {
        let r = received.lock().unwrap();
        assert_eq!(r.len(), MATCHES, "a clean run delivers everything");
        assert!(r.values().all(|n| *n == 1));
    }

    let mut seed = 20_261_206u64;
    let (mut lost, mut duplicated, mut killed_running, mut repeats) = (0usize, 0usize, 0u32, 0u32);
    // Most matches one text message holds (2,048 bytes): a repeat larger than this would
    // mean more than the message in flight was sent twice.
    let one_message = 2048 / 100;
    let mut failures = Vec::new();
    for trial in 0..TRIALS {
        let received: Received = Arc::default();
        let base = endpoint(received.clone(), Duration::from_millis(30)).await;
        let dir = tempfile::tempdir().unwrap();
        let (db, config) = prepare(dir.path(), &base).await;
        let kill_after =
            Duration::from_millis(splitmix(&mut seed) % (full.as_millis() as u64 * 11 / 10).max(1));
        let mut child = deliver(&db, &config).spawn().unwrap();
        tokio::time::sleep(kill_after).await;
        if child.try_wait().unwrap().is_none() {
            killed_running += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // The next run waits out the dead one's leases and finishes.
        assert!(deliver(&db, &config).status().unwrap().success());
        let r = received.lock().unwrap();
        let trial_lost = (0..MATCHES).filter(|i| !r.contains_key(i)).count();
        let trial_dup: usize = r
            .values()
            .filter(|n| **n > 1)
            .map(|n| (*n - 1) as usize)
            .sum();
        if trial_dup > 0 {
            repeats += 1;
        }
        if trial_lost > 0 || trial_dup > one_message || r.values().any(|n| *n > 2) {
            failures.push(format!(
                "trial {trial}: kill after {kill_after:?}: {trial_lost} lost, {trial_dup} twice"
            ));
        }
        lost += trial_lost;
        duplicated += trial_dup;
    }
    eprintln!(
        "watch kill trials: {TRIALS} trials ({killed_running} killed while sending, full run {full:?}): {lost} lost, {duplicated} matches repeated in {repeats} trials (the message in flight)"
    );
    assert!(
        killed_running >= TRIALS as u32 / 2,
        "most kills land during delivery"
    );
    assert_eq!(lost, 0, "{failures:#?}");
    assert!(failures.is_empty(), "{failures:#?}");
}
