//! Faults a real site throws: 5xx bursts, 429 with Retry-After, slow bodies,
//! resets, refused connections.

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use common::{Tally, config, reply, serve};
use jujiao_fetch::{Fetch, FetchError, HttpFetcher, Outcome, TimeoutPhase};

/// Serve `statuses[i]` on the i-th hit (the last one repeats), with `headers`.
async fn scripted(
    statuses: &'static [u16],
    headers: &'static [(&'static str, &'static str)],
) -> (url::Url, Arc<Tally>) {
    let tally = Tally::new();
    let seen = Arc::clone(&tally);
    let app = Router::new().route(
        "/",
        get(move || {
            let seen = Arc::clone(&seen);
            async move {
                let n = seen.hits();
                let _guard = seen.enter();
                let status = statuses[n.min(statuses.len() - 1)];
                reply(
                    status,
                    if status == 200 { &[] } else { headers },
                    format!("status {status}"),
                )
            }
        }),
    );
    (serve(app).await, tally)
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let (base, tally) = scripted(&[500, 503, 200], &[]).await;
    let response = HttpFetcher::new(config())
        .fetch(&common::get(&base, "/"))
        .await
        .expect("fetch");
    assert!(response.is_success());
    assert_eq!(response.body, b"status 200");
    assert_eq!(response.attempts, 3);
    assert_eq!(tally.hits(), 3);
}

#[tokio::test]
async fn persistent_server_error_is_returned_as_data() {
    let (base, tally) = scripted(&[502], &[]).await;
    let response = HttpFetcher::new(config())
        .fetch(&common::get(&base, "/"))
        .await
        .expect("an answer");
    assert_eq!(response.outcome(), Outcome::HttpStatus(502));
    assert_eq!(response.attempts, 3);
    assert_eq!(tally.hits(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for status in [&[404_u16][..], &[403][..], &[410][..]] {
        let (base, tally) = scripted(status, &[]).await;
        let response = HttpFetcher::new(config())
            .fetch(&common::get(&base, "/"))
            .await
            .expect("an answer");
        assert_eq!(response.outcome(), Outcome::HttpStatus(status[0]));
        assert_eq!(response.attempts, 1);
        assert_eq!(tally.hits(), 1);
    }
}

// Two threads, so the server is not stalled by the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_waits_for_retry_after() {
    let (base, tally) = scripted(&[429, 200], &[("retry-after", "1")]).await;
    let started = Instant::now();
    let response = HttpFetcher::new(config())
        .fetch(&common::get(&base, "/"))
        .await
        .expect("fetch");
    assert!(response.is_success());
    assert_eq!(response.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // The client waited the whole second (above); the server's stamps may be late by a
    // busy machine's scheduling, so it must only see most of it.
    let gaps = tally.gaps();
    assert!(gaps[0] >= Duration::from_millis(750), "server saw {gaps:?}");
}

#[tokio::test]
async fn final_too_many_requests_reports_retry_after() {
    let (base, tally) = scripted(&[429], &[("retry-after", "1")]).await;
    let mut cfg = config();
    cfg.retry.max_attempts = 2;
    let response = HttpFetcher::new(cfg)
        .fetch(&common::get(&base, "/"))
        .await
        .expect("an answer");
    assert_eq!(response.outcome(), Outcome::HttpStatus(429));
    assert_eq!(response.retry_after, Some(Duration::from_secs(1)));
    assert_eq!(tally.hits(), 2);
}

/// A body that sends one chunk, then one more every `every`, forever.
fn drip(every: Duration) -> Body {
    let chunks = futures_util::stream::unfold(0_u32, move |n| async move {
        if n > 0 {
            tokio::time::sleep(every).await;
        }
        Some((
            Ok::<_, Infallible>(Bytes::from_static(b"<p>drip</p>")),
            n + 1,
        ))
    });
    Body::from_stream(chunks)
}

#[tokio::test]
async fn stalled_body_hits_the_read_timeout() {
    let tally = Tally::new();
    let seen = Arc::clone(&tally);
    let app = Router::new().route(
        "/",
        get(move || {
            let seen = Arc::clone(&seen);
            async move {
                drop(seen.enter());
                reply(200, &[], drip(Duration::from_secs(30)))
            }
        }),
    );
    let base = serve(app).await;
    let mut cfg = config();
    cfg.read_timeout = Duration::from_millis(300);
    // The total timeout is far away, so only the read timeout can end this quickly.
    cfg.total_timeout = Duration::from_secs(120);
    cfg.retry.max_attempts = 2;
    let started = Instant::now();
    let error = HttpFetcher::new(cfg)
        .fetch(&common::get(&base, "/"))
        .await
        .expect_err("timeout");
    assert!(
        matches!(
            error,
            FetchError::Timeout {
                phase: TimeoutPhase::Read,
                attempts: 2,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(tally.hits(), 2);
    // Two 300 ms read timeouts, not the 30 s drip nor the 120 s total: a generous
    // bound, so a busy machine's slow scheduling does not fail it.
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn slow_headers_hit_the_read_timeout() {
    let app = Router::new().route(
        "/",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let base = serve(app).await;
    let mut cfg = config();
    // Connecting to loopback is not what is tested: a connect timeout a busy machine
    // cannot miss (the wait for headers counts it too), and a total far away.
    cfg.connect_timeout = Duration::from_secs(1);
    cfg.read_timeout = Duration::from_millis(200);
    cfg.total_timeout = Duration::from_secs(60);
    cfg.retry.max_attempts = 1;
    let error = HttpFetcher::new(cfg)
        .fetch(&common::get(&base, "/"))
        .await
        .expect_err("timeout");
    assert!(
        matches!(
            error,
            FetchError::Timeout {
                phase: TimeoutPhase::Read,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn endless_drip_hits_the_total_timeout() {
    let app = Router::new().route(
        "/",
        get(|| async { reply(200, &[], drip(Duration::from_millis(50))) }),
    );
    let base = serve(app).await;
    let mut cfg = config();
    // A chunk every 50 ms never trips the read timeout, even on a busy machine that
    // delays a chunk by seconds; only the total timeout ends the drip.
    cfg.read_timeout = Duration::from_secs(20);
    cfg.total_timeout = Duration::from_millis(400);
    cfg.retry.max_attempts = 1;
    let error = HttpFetcher::new(cfg)
        .fetch(&common::get(&base, "/"))
        .await
        .expect_err("timeout");
    assert!(
        matches!(
            error,
            FetchError::Timeout {
                phase: TimeoutPhase::Total,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn connection_reset_is_retried_then_unreachable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let url = url::Url::parse(&format!("http://{addr}/")).expect("url");
    let error = HttpFetcher::new(config())
        .fetch(&jujiao_fetch::FetchRequest::new(url))
        .await
        .expect_err("reset");
    assert!(
        matches!(error, FetchError::Unreachable { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(accepted.load(Ordering::SeqCst) >= 3);
}

#[tokio::test]
async fn refused_connection_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let url = url::Url::parse(&format!("http://{addr}/")).expect("url");
    let mut cfg = config();
    cfg.retry.max_attempts = 2;
    let error = HttpFetcher::new(cfg)
        .fetch(&jujiao_fetch::FetchRequest::new(url))
        .await
        .expect_err("refused");
    assert!(
        matches!(error, FetchError::Unreachable { attempts: 2, .. }),
        "{error:?}"
    );
}
