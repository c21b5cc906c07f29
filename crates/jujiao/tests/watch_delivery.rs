#![allow(clippy::unwrap_used)]
//! Alert delivery under SIGKILL: `jujiao watch deliver --until-empty`
//! killed at random instants while it sends 120 matches (text messages of at most 2,048
//! bytes, about a dozen matches each) to a 企业微信-style endpoint on
//! loopback, then run again to the end. Measured like the reliability suite's kill
//! trials, with seeded instants tied to events rather than to the clock (so that the
//! machine's load cannot move them out of the delivery): each trial kills the
//! deliverer a seeded 0–59 ms after the endpoint received a seeded number of its
//! requests (0 to all but the last): inside the 30 ms the endpoint takes to answer,
//! while the answer is committed, or while the next message is prepared and sent. At
//! least one more request follows, so the deliverer is still running at the kill.
//!
//! The endpoint counts a message as delivered when it has received it, before it
//! answers (a robot posts what it got, whether or not its answer reaches the sender).
//! What must hold: nothing is lost; to a JSON webhook whose receiver drops a repeated
//! `Idempotency-Key`, nothing is repeated either (exactly once); to a robot set to
//! `unknown_outcome = "resend"`, which cannot tell a retry from a new message, only the
//! message in flight at the kill can arrive twice, and its second copy is marked as a
//! possible repeat; to a robot set to `"hold"` (the robots' default), the message in
//! flight is held, and once the duty officer has resolved it with the command line —
//! looking at what the group received (the endpoint's record): `jujiao watch confirm`
//! (已收到) if it arrived, `jujiao watch resend` (重发) if not — every match has arrived
//! exactly once.

use axum::body::Bytes;
use axum::extract::State;
use chrono::Utc;
use jujiao_model::{Article, Filing, Paragraph};
use jujiao_store::{ArticleRecord, RuleOrigin, SqliteStore, Store, StoredWatchRule};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MATCHES: usize = 120;
/// Trials per receiver, unless `JUJIAO_KILL_TRIALS` says otherwise (as the reliability
/// suite's kill trials read it).
const TRIALS: u64 = 30;

fn trials() -> u64 {
    std::env::var("JUJIAO_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(TRIALS)
}
/// How long the endpoint takes to answer a request it has received.
const ANSWER_MS: u64 = 30;

/// Per match, one entry per receipt: whether the message said it may be a repeat.
type Received = Arc<Mutex<HashMap<usize, Vec<bool>>>>;

/// Which endpoint the trials deliver to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Receiver {
    /// A 企业微信-style robot: text messages of at most 2,048 bytes, no idempotency key;
    /// `unknown_outcome = "resend"`.
    Robot,
    /// The same robot with `unknown_outcome = "hold"`, and a duty officer.
    RobotHold,
    /// The generic JSON webhook, received by a service that drops a message whose
    /// `Idempotency-Key` it has already accepted (it still answers 200).
    DedupingWebhook,
}

#[derive(Clone)]
struct EndpointState {
    received: Received,
    keys: Arc<Mutex<std::collections::HashSet<String>>>,
    /// Requests whose key had been accepted before (dropped by the receiver).
    dropped: Arc<Mutex<u32>>,
    delay: Duration,
    receiver: Receiver,
    /// Requests received so far (an event the trials wait on).
    requests: Arc<tokio::sync::watch::Sender<usize>>,
}

/// The endpoint: its address, the requests it dropped by key, and its request count.
struct Endpoint {
    base: String,
    dropped: Arc<Mutex<u32>>,
    requests: tokio::sync::watch::Receiver<usize>,
}

async fn endpoint(received: Received, receiver: Receiver) -> Endpoint {
    async fn handler(
        State(s): State<EndpointState>,
        headers: axum::http::HeaderMap,
        body: Bytes,
    ) -> &'static str {
        s.requests.send_modify(|n| *n += 1);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let content = match s.receiver {
            Receiver::Robot | Receiver::RobotHold => {
                v["text"]["content"].as_str().unwrap_or_default().to_owned()
            }
            Receiver::DedupingWebhook => {
                let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                if !s.keys.lock().unwrap().insert(key) {
                    *s.dropped.lock().unwrap() += 1;
                    tokio::time::sleep(s.delay).await;
                    return r#"{"ok":true}"#;
                }
                v["text"].as_str().unwrap_or_default().to_owned()
            }
        };
        let marked = content.contains(jujiao_watch::message::REPEAT_MARK);
        {
            let mut r = s.received.lock().unwrap();
            for i in 0..MATCHES {
                if content.contains(&format!("】第{i}号通知\n")) {
                    r.entry(i).or_default().push(marked);
                }
            }
        }
        // The robot posts what it got, whether or not its answer reaches the sender.
        tokio::time::sleep(s.delay).await;
        r#"{"errcode":0,"errmsg":"ok"}"#
    }
    let dropped = Arc::new(Mutex::new(0));
    let (requests, requests_rx) = tokio::sync::watch::channel(0);
    let state = EndpointState {
        received,
        keys: Arc::default(),
        dropped: dropped.clone(),
        delay: Duration::from_millis(ANSWER_MS),
        receiver,
        requests: Arc::new(requests),
    };
    let app = axum::Router::new().fallback(handler).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Endpoint {
        base: format!("http://{addr}"),
        dropped,
        requests: requests_rx,
    }
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
async fn prepare(dir: &Path, base: &str, receiver: Receiver) -> (String, std::path::PathBuf) {
    let db = dir.join("w.db");
    let config = dir.join("jujiao.toml");
    let channel = match receiver {
        Receiver::Robot => format!(
            "kind = \"wecom\"\nformat = \"text\"\nurl = \"{base}/send\"\ntoken = \"K\"\nunknown_outcome = \"resend\"\n"
        ),
        Receiver::RobotHold => format!(
            "kind = \"wecom\"\nformat = \"text\"\nurl = \"{base}/send\"\ntoken = \"K\"\nunknown_outcome = \"hold\"\n"
        ),
        Receiver::DedupingWebhook => format!("kind = \"webhook\"\nurl = \"{base}/hook\"\n"),
    };
    jujiao_legacy::write_atomic(
        &config,
        format!(
            "[[channel]]\nname = \"群\"\n{channel}messages_per_minute = 6000\n\n\
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
    let (_, n) = jujiao_watch::Watcher::new(store.clone())
        .record(&records, Utc::now())
        .await
        .unwrap();
    assert_eq!(n as usize, MATCHES);
    (db.to_str().unwrap().to_owned(), config)
}

/// `jujiao watch SUBCOMMAND [ID] --db DB --config CONFIG`, its standard output.
fn watch_cli(db: &str, config: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_jujiao"))
        .arg("watch")
        .args(args)
        .args(["--db", db, "--config"])
        .arg(config)
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "jujiao watch {args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The held messages `jujiao watch held` lists: per message its number and the matches
/// its text carries.
fn held_messages(listing: &str) -> Vec<(String, Vec<usize>)> {
    let mut held: Vec<(String, String)> = Vec::new();
    for line in listing.lines() {
        if let Some(rest) = line.strip_prefix('#') {
            let id = rest.split('\t').next().unwrap().to_owned();
            held.push((id, String::new()));
        } else if let Some(text) = line.strip_prefix("    | ") {
            let (_, t) = held.last_mut().expect("text follows its message's line");
            t.push_str(text);
            t.push('\n');
        }
    }
    held.into_iter()
        .map(|(id, text)| {
            let items = (0..MATCHES)
                .filter(|i| text.contains(&format!("】第{i}号通知\n")))
                .collect();
            (id, items)
        })
        .collect()
}

/// What the duty officer did.
#[derive(Debug, Default)]
struct Officer {
    held: u32,
    confirmed: u32,
    resent: u32,
}

/// The duty officer resolves every held message by looking at the group: 已收到 when
/// its matches arrived, 重发 when they did not (then delivery runs again to the end).
/// A message that arrived in part cannot be: it is one request.
fn resolve_held(
    db: &str,
    config: &Path,
    received: &Received,
    failures: &mut Vec<String>,
) -> Officer {
    let mut officer = Officer::default();
    let listing = watch_cli(db, config, &["held"]);
    for (id, items) in held_messages(&listing) {
        officer.held += 1;
        if items.is_empty() {
            failures.push(format!("held message #{id} names no match:\n{listing}"));
            continue;
        }
        let arrived = {
            let r = received.lock().unwrap();
            items.iter().filter(|i| r.contains_key(i)).count()
        };
        if arrived == items.len() {
            watch_cli(db, config, &["confirm", &id]);
            officer.confirmed += 1;
        } else if arrived == 0 {
            watch_cli(db, config, &["resend", &id]);
            officer.resent += 1;
        } else {
            failures.push(format!(
                "held message #{id}: {arrived} of {} matches arrived",
                items.len()
            ));
        }
    }
    if officer.resent > 0 {
        assert!(deliver(db, config).status().unwrap().success());
    }
    let after = watch_cli(db, config, &["held"]);
    if !after.starts_with("no held messages") {
        failures.push(format!("still held after the officer:\n{after}"));
    }
    officer
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

/// What the trials measured.
#[derive(Debug, Default)]
struct Trials {
    killed_running: u32,
    /// Matches never received.
    lost: usize,
    /// Receipts beyond the first of a match.
    repeated: usize,
    /// Of those, receipts whose message did not say it may be a repeat.
    unmarked_repeats: usize,
    /// Trials with a repeat.
    trials_with_repeats: u32,
    /// Requests the deduplicating receiver dropped by their key.
    dropped_by_key: u32,
    /// Held messages and what the duty officer did with them (`RobotHold`).
    officer: Officer,
    failures: Vec<String>,
}

async fn kill_trials(receiver: Receiver) -> Trials {
    // A full run, counted: how many requests a whole delivery makes.
    let received: Received = Arc::default();
    let full_run = endpoint(received.clone(), receiver).await;
    let dir = tempfile::tempdir().unwrap();
    let (db, config) = prepare(dir.path(), &full_run.base, receiver).await;
    let status = deliver(&db, &config).status().unwrap();
    assert!(status.success());
    let requests = *full_run.requests.borrow();
    {
        let r = received.lock().unwrap();
        assert_eq!(r.len(), MATCHES, "a clean run delivers everything");
        assert!(r.values().all(|n| n.len() == 1));
    }
    assert!(
        requests >= 2,
        "the trials need several messages, got {requests}"
    );

    let mut seed = 20_261_206u64;
    let mut t = Trials::default();
    let trials = trials();
    for trial in 0..trials {
        let received: Received = Arc::default();
        let Endpoint {
            base,
            dropped,
            requests: mut seen,
        } = endpoint(received.clone(), receiver).await;
        let dir = tempfile::tempdir().unwrap();
        let (db, config) = prepare(dir.path(), &base, receiver).await;
        // After `after` requests (never the last: the deliverer still has at least two
        // answers of 30 ms to wait for) and `offset` ms, under 60.
        let after = usize::try_from(splitmix(&mut seed) % (requests as u64 - 1)).unwrap();
        let offset = Duration::from_millis(splitmix(&mut seed) % (2 * ANSWER_MS));
        let mut child = deliver(&db, &config).spawn().unwrap();
        tokio::time::timeout(Duration::from_secs(120), seen.wait_for(|n| *n >= after))
            .await
            .expect("the deliverer sends its messages")
            .unwrap();
        tokio::time::sleep(offset).await;
        let kill_after = format!("{after} requests + {offset:?}");
        if child.try_wait().unwrap().is_none() {
            t.killed_running += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // The next run waits out the dead one's leases and finishes.
        assert!(deliver(&db, &config).status().unwrap().success());
        if receiver == Receiver::RobotHold {
            let o = resolve_held(&db, config.as_path(), &received, &mut t.failures);
            t.officer.held += o.held;
            t.officer.confirmed += o.confirmed;
            t.officer.resent += o.resent;
        }
        let r = received.lock().unwrap();
        let lost = (0..MATCHES).filter(|i| !r.contains_key(i)).count();
        let repeated: usize = r.values().map(|n| n.len() - 1).sum();
        // Every receipt after a match's first must be marked as a possible repeat.
        let unmarked: usize = r
            .values()
            .map(|n| n.iter().skip(1).filter(|marked| !**marked).count())
            .sum();
        if repeated > 0 {
            t.trials_with_repeats += 1;
        }
        if lost > 0 || unmarked > 0 || r.values().any(|n| n.len() > 2) {
            t.failures.push(format!(
                "trial {trial}: kill after {kill_after}: {lost} lost, {repeated} repeated ({unmarked} unmarked)"
            ));
        }
        t.lost += lost;
        t.repeated += repeated;
        t.unmarked_repeats += unmarked;
        t.dropped_by_key += *dropped.lock().unwrap();
    }
    eprintln!(
        "watch kill trials ({receiver:?}): {trials} trials ({} killed while running, full run {requests} requests): \
         {} lost, {} matches received twice in {} trials ({} of them unmarked), \
         {} repeated messages dropped by their Idempotency-Key; \
         {} messages held, resolved by the duty officer: {} 已收到, {} 重发",
        t.killed_running,
        t.lost,
        t.repeated,
        t.trials_with_repeats,
        t.unmarked_repeats,
        t.dropped_by_key,
        t.officer.held,
        t.officer.confirmed,
        t.officer.resent
    );
    assert_eq!(
        u64::from(t.killed_running),
        trials,
        "every kill lands during delivery"
    );
    t
}

/// A chat robot cannot recognise a repeat: the message in flight at the kill may
/// arrive twice, and then its second copy says so. Nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_deliverers_lose_nothing_and_a_robot_sees_only_marked_repeats() {
    let t = kill_trials(Receiver::Robot).await;
    assert_eq!(t.lost, 0, "{:#?}", t.failures);
    assert_eq!(t.unmarked_repeats, 0, "{:#?}", t.failures);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// A robot under `unknown_outcome = "hold"`: the message in flight at the kill is held;
/// the duty officer, looking at the group, confirms it or has it sent again — and then
/// every match has arrived exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_deliverers_deliver_exactly_once_to_a_robot_with_a_duty_officer() {
    let t = kill_trials(Receiver::RobotHold).await;
    assert_eq!((t.lost, t.repeated), (0, 0), "{:#?}", t.failures);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
    assert_eq!(
        t.officer.held,
        t.officer.confirmed + t.officer.resent,
        "every held message resolved"
    );
}

/// A receiver that deduplicates on the webhook's `Idempotency-Key` gets every match
/// exactly once: the message in flight at the kill is sent again whole, same key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_deliverers_deliver_exactly_once_to_a_deduplicating_webhook() {
    let t = kill_trials(Receiver::DedupingWebhook).await;
    assert_eq!((t.lost, t.repeated), (0, 0), "{:#?}", t.failures);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// `jujiao demo` carries a watch rule and the demo site's own webhook, and its summary
/// says what the webhook received.
#[test]
fn the_demo_delivers_its_watch_rule_to_its_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jujiao"))
        .arg("demo")
        .arg("--out")
        .arg(dir.path().join("demo"))
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("watch rule \"区委常委会\": the demo webhook received "))
        .unwrap_or_else(|| panic!("no watch summary in:\n{stdout}"));
    let alerts: u32 = line
        .split("received ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(alerts > 0, "{line}");
    assert!(stdout.contains("  区委常委会 · "), "{stdout}");
}

/// A sender that died right after committing its message's key, before the request went
/// out (under a key the recovering deliverer does not compose — as after a change of
/// layout — which broke the resolution before the held rows took the held key): under
/// `hold` the message is held (the status says so); the duty officer sees the
/// group never got it and has it sent again with `jujiao watch resend`, once, marked;
/// both decisions are in the audit log; a second decision on it finds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_duty_officer_resends_a_held_message_the_group_never_got() {
    let received: Received = Arc::default();
    let ep = endpoint(received.clone(), Receiver::RobotHold).await;
    let dir = tempfile::tempdir().unwrap();
    let (db, config) = prepare(dir.path(), &ep.base, Receiver::RobotHold).await;
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).await.unwrap());
        let now = Utc::now();
        let rows = store
            .claim_deliveries("dead", "群", 5, Duration::ZERO, now)
            .await
            .unwrap();
        let ids: Vec<_> = rows.iter().map(|d| d.id).collect();
        assert_eq!(
            store
                .begin_send(&ids, "dead", "jujiao-dead", now)
                .await
                .unwrap(),
            5
        );
    }
    assert!(deliver(&db, &config).status().unwrap().success());
    assert_eq!(received.lock().unwrap().len(), MATCHES - 5);
    let status = watch_cli(&db, &config, &["status"]);
    assert!(status.contains("1 HELD message(s)"), "{status}");
    assert!(status.contains("HELD #"), "{status}");
    let listing = watch_cli(&db, &config, &["held"]);
    let held = held_messages(&listing);
    assert_eq!(held.len(), 1, "{listing}");
    let (id, items) = &held[0];
    assert_eq!(items.len(), 5, "{listing}");
    assert!(
        items
            .iter()
            .all(|i| !received.lock().unwrap().contains_key(i))
    );
    watch_cli(&db, &config, &["resend", id]);
    let again = Command::new(env!("CARGO_BIN_EXE_jujiao"))
        .args(["watch", "confirm", id, "--db", &db, "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "resolved once");
    assert!(deliver(&db, &config).status().unwrap().success());
    {
        let r = received.lock().unwrap();
        assert_eq!(r.len(), MATCHES, "nothing lost");
        assert!(r.values().all(|n| n.len() == 1), "nothing twice");
        assert!(
            items.iter().all(|i| r[i] == [true]),
            "the resent copy is marked"
        );
    }
    assert!(watch_cli(&db, &config, &["held"]).starts_with("no held messages"));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).await.unwrap());
    let log = store.audit_log(10, None).await.unwrap();
    assert_eq!(log[0].entry.action, jujiao_watch::AUDIT_HELD_RESEND);
    assert_eq!(log[0].entry.actor, "命令行");
}
