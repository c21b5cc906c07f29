//! Sends whose outcome is unknown against a loopback endpoint that misbehaves at the
//! socket: it takes the request and never answers, or closes the connection instead of
//! answering. Those are treated like a message found in flight after a crash — sent
//! again whole under the same key and marked (`unknown_outcome = "resend"`), or held for
//! the duty officer (`"hold"`). A send that certainly did not happen (nothing listens)
//! or that the endpoint refused (HTTP 500) is retried unmarked.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::Utc;
use common::*;
use jujiao_config::{Channel, Config};
use jujiao_store::{HeldResolution, Store};
use jujiao_watch::message::REPEAT_MARK;
use jujiao_watch::{DeliverOptions, Deliverer};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the endpoint does with one connection's request.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Reads the request, then keeps the connection open and says nothing.
    NeverAnswer,
    /// Reads the request, then closes the connection.
    Close,
    /// Reads the request, answers `500`.
    Error500,
    /// Reads the request, answers `200 {"errcode":0}`.
    Ok,
}

/// One request as the endpoint read it.
#[derive(Debug, Clone)]
struct Got {
    head: String,
    body: serde_json::Value,
}

struct RawEndpoint {
    base: String,
    got: Arc<Mutex<Vec<Got>>>,
}

/// Reads one HTTP/1.1 request (head, then `Content-Length` bytes of body).
async fn read_request(stream: &mut TcpStream) -> Option<Got> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buf[head_end..head_end + length]).ok()?;
    Some(Got { head, body })
}

/// An endpoint that treats its connections in turn as `plan` says (then `Ok`).
async fn raw_endpoint(plan: &[Behaviour]) -> RawEndpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let got: Arc<Mutex<Vec<Got>>> = Arc::default();
    let plan = Arc::new(Mutex::new(plan.iter().copied().collect::<VecDeque<_>>()));
    let seen = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let (seen, plan) = (seen.clone(), plan.clone());
            tokio::spawn(async move {
                // Keep-alive: one behaviour per request on this connection.
                while let Some(request) = read_request(&mut stream).await {
                    seen.lock().unwrap().push(request);
                    let behaviour = plan.lock().unwrap().pop_front().unwrap_or(Behaviour::Ok);
                    let answer = |status: &str, body: &str| {
                        format!(
                            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        )
                    };
                    match behaviour {
                        Behaviour::NeverAnswer => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            return;
                        }
                        Behaviour::Close => return,
                        Behaviour::Error500 => {
                            let a = answer("500 Internal Server Error", r#"{"error":"busy"}"#);
                            if stream.write_all(a.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        Behaviour::Ok => {
                            let a = answer("200 OK", r#"{"errcode":0,"errmsg":"ok"}"#);
                            if stream.write_all(a.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    RawEndpoint { base, got }
}

impl RawEndpoint {
    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

fn channel(kind: &str, base: &str, extra: &str) -> Vec<Channel> {
    let toml = match kind {
        "wecom" => format!(
            "[[channel]]\nname = \"群\"\nkind = \"wecom\"\nformat = \"text\"\nurl = \"{base}/send\"\ntoken = \"K\"\nmessages_per_minute = 60000\n{extra}"
        ),
        _ => format!(
            "[[channel]]\nname = \"群\"\nkind = \"webhook\"\nurl = \"{base}/hook\"\nmessages_per_minute = 60000\n{extra}"
        ),
    };
    Config::parse(&toml, Path::new("t.toml"))
        .unwrap()
        .watch
        .channels
}

/// A short send timeout, and retries due at once, so each pass is the next attempt.
fn options() -> DeliverOptions {
    let mut o = DeliverOptions::new("w");
    o.send_timeout = Duration::from_millis(400);
    o.backoff = Duration::ZERO;
    o
}

async fn two_matches(store: &Arc<dyn Store>) {
    store
        .save_watch_rule(&rule("通知", "通知", &["群"]))
        .await
        .unwrap();
    let records: Vec<_> = (0..2)
        .map(|i| record(i, &format!("第{i}号通知"), "关于事项的通知。"))
        .collect();
    assert_eq!(record_and_watch(store, &records, Utc::now()).await, 2);
}

fn text_of(g: &Got) -> String {
    match g.body["text"].as_str() {
        Some(webhook_text) => webhook_text.to_owned(),
        None => g.body["text"]["content"].as_str().unwrap().to_owned(),
    }
}

fn header(g: &Got, name: &str) -> Option<String> {
    g.head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

/// The endpoint takes the request and never answers: the send times out after the
/// request went out. Under `resend` (the webhook's default) the next attempt is the same
/// message, same `Idempotency-Key`, marked as a possible repeat.
#[tokio::test]
async fn an_answer_that_never_comes_is_sent_again_whole_and_marked() {
    let ep = raw_endpoint(&[Behaviour::NeverAnswer]).await;
    let store = memory_store().await;
    two_matches(&store).await;
    let d = Deliverer::new(store.clone(), &channel("webhook", &ep.base, ""), options()).unwrap();
    let first = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!((first.messages, first.failed, first.held), (0, 1, 0));
    let matches = store.recent_watch_matches(None, 10).await.unwrap();
    let error = matches[0].deliveries[0].last_error.clone().unwrap();
    assert!(error.contains("outcome unknown"), "{error}");
    let second = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!((second.messages, second.delivered), (1, 2));
    let got = ep.got();
    assert_eq!(got.len(), 2);
    assert_eq!(
        header(&got[0], "idempotency-key"),
        header(&got[1], "idempotency-key")
    );
    assert_eq!(
        got[0].body["items"], got[1].body["items"],
        "the same message, whole"
    );
    assert!(!text_of(&got[0]).contains(REPEAT_MARK));
    assert!(text_of(&got[1]).contains(REPEAT_MARK));
    assert_eq!(got[1].body["possible_repeat"], true);
}

/// The endpoint closes the connection instead of answering: under `hold` (a robot's
/// default) the message is held with its text and nothing more is sent until the duty
/// officer decides; 重发 sends it once more, whole and marked.
#[tokio::test]
async fn a_connection_closed_before_the_answer_is_held_for_the_duty_officer() {
    let ep = raw_endpoint(&[Behaviour::Close]).await;
    let store = memory_store().await;
    two_matches(&store).await;
    let d = Deliverer::new(store.clone(), &channel("wecom", &ep.base, ""), options()).unwrap();
    let first = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!((first.messages, first.held), (0, 1));
    let held = store.held_messages().await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].channel.as_str(), held[0].deliveries), ("群", 2));
    assert_eq!(
        held[0].text,
        text_of(&ep.got()[0]),
        "the text the group may have"
    );
    assert!(
        held[0].reason.contains("outcome unknown"),
        "{}",
        held[0].reason
    );
    let again = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!(
        again,
        Default::default(),
        "a held message is not sent on its own"
    );
    assert_eq!(d.drain(3, Duration::ZERO).await.unwrap().messages, 0);
    assert_eq!(ep.got().len(), 1);
    assert_eq!(store.watch_stats().await.unwrap().held_messages, 1);

    store
        .resolve_held_message(held[0].id, HeldResolution::Resend, Utc::now())
        .await
        .unwrap()
        .unwrap();
    let resent = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!((resent.messages, resent.delivered), (1, 2));
    let got = ep.got();
    assert_eq!(got.len(), 2);
    let (a, b) = (text_of(&got[0]), text_of(&got[1]));
    assert!(b.contains(REPEAT_MARK), "{b}");
    assert_eq!(b.replace(REPEAT_MARK, ""), a, "the same message, marked");
    let stats = store.watch_stats().await.unwrap();
    assert_eq!(
        (stats.delivered, stats.pending, stats.held_messages),
        (2, 0, 0)
    );
}

/// `unknown_outcome = "resend"` on a robot: a never-answered message goes again marked,
/// no hold.
#[tokio::test]
async fn a_robot_set_to_resend_sends_again_marked() {
    let ep = raw_endpoint(&[Behaviour::NeverAnswer]).await;
    let store = memory_store().await;
    two_matches(&store).await;
    let chans = channel("wecom", &ep.base, "unknown_outcome = \"resend\"\n");
    let d = Deliverer::new(store.clone(), &chans, options()).unwrap();
    assert_eq!(d.deliver_due(Utc::now()).await.unwrap().held, 0);
    assert_eq!(d.deliver_due(Utc::now()).await.unwrap().messages, 1);
    let got = ep.got();
    assert!(text_of(&got[1]).contains(REPEAT_MARK));
    assert!(store.held_messages().await.unwrap().is_empty());
}

/// Nothing listens: the request was never sent, so the retry is unmarked and nothing is
/// held, even under `hold`.
#[tokio::test]
async fn a_refused_connection_is_retried_unmarked() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let store = memory_store().await;
    two_matches(&store).await;
    let d = Deliverer::new(store.clone(), &channel("wecom", &base, ""), options()).unwrap();
    let r = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!((r.failed, r.held), (1, 0));
    let rows = store
        .claim_deliveries("x", "群", 10, Duration::from_secs(60), Utc::now())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|d| !d.in_flight && !d.possible_repeat && d.attempts == 1),
        "{rows:?}"
    );
    let error = store.recent_watch_matches(None, 1).await.unwrap()[0].deliveries[0]
        .last_error
        .clone()
        .unwrap();
    assert!(error.contains("not sent"), "{error}");
}

/// The endpoint answers 500: refused, so nothing was posted; the retry is unmarked.
#[tokio::test]
async fn an_error_status_is_retried_unmarked() {
    let ep = raw_endpoint(&[Behaviour::Error500]).await;
    let store = memory_store().await;
    two_matches(&store).await;
    let d = Deliverer::new(store.clone(), &channel("wecom", &ep.base, ""), options()).unwrap();
    let r = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!((r.failed, r.held), (1, 0));
    assert_eq!(d.deliver_due(Utc::now()).await.unwrap().messages, 1);
    let got = ep.got();
    assert_eq!(got.len(), 2);
    assert_eq!(text_of(&got[0]), text_of(&got[1]));
    assert!(!text_of(&got[1]).contains(REPEAT_MARK));
}
