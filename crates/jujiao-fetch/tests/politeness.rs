//! Per-host politeness, checked from the server side: the server counts requests
//! in flight and records when each one started.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::{Tally, config, serve};
use jujiao_fetch::{Fetch, FetcherConfig, HttpFetcher, Politeness};

/// A site whose pages take `work` to answer.
async fn slow_site(work: Duration) -> (url::Url, Arc<Tally>) {
    let tally = Tally::new();
    let seen = Arc::clone(&tally);
    let app = Router::new().fallback(get(move || {
        let seen = Arc::clone(&seen);
        async move {
            let _guard = seen.enter();
            tokio::time::sleep(work).await;
            "page"
        }
    }));
    (serve(app).await, tally)
}

/// Fire `n` fetches at once and wait for all of them.
async fn burst(fetcher: &HttpFetcher, base: &url::Url, n: usize) {
    let requests: Vec<_> = (0..n)
        .map(|i| async move { fetcher.fetch(&common::get(base, &format!("/p{i}"))).await })
        .collect();
    for result in futures_util::future::join_all(requests).await {
        assert!(result.expect("fetch").is_success());
    }
}

fn with_politeness(politeness: Politeness) -> FetcherConfig {
    FetcherConfig {
        politeness,
        ..config()
    }
}

#[tokio::test]
async fn one_at_a_time_with_a_gap_between_starts() {
    let (base, tally) = slow_site(Duration::from_millis(50)).await;
    let fetcher = HttpFetcher::new(with_politeness(Politeness {
        host_concurrency: 1,
        min_delay: Duration::from_millis(200),
        ..Politeness::default()
    }));
    burst(&fetcher, &base, 5).await;
    assert_eq!(tally.hits(), 5);
    assert_eq!(tally.peak(), 1);
    let gaps = tally.gaps();
    assert!(
        gaps.iter().all(|g| *g >= Duration::from_millis(190)),
        "gaps {gaps:?} shorter than the 200 ms delay"
    );
}

#[tokio::test]
async fn concurrency_limit_holds_per_host() {
    let (base, tally) = slow_site(Duration::from_millis(150)).await;
    let fetcher = HttpFetcher::new(with_politeness(Politeness {
        host_concurrency: 2,
        min_delay: Duration::ZERO,
        ..Politeness::default()
    }));
    burst(&fetcher, &base, 6).await;
    assert_eq!(tally.hits(), 6);
    assert_eq!(tally.peak(), 2, "two slots must be used, never more");
}

#[tokio::test]
async fn hosts_are_limited_independently() {
    let (first, tally_a) = slow_site(Duration::from_millis(150)).await;
    let (second, tally_b) = slow_site(Duration::from_millis(150)).await;
    let fetcher = HttpFetcher::new(with_politeness(Politeness {
        host_concurrency: 1,
        min_delay: Duration::ZERO,
        ..Politeness::default()
    }));
    tokio::join!(burst(&fetcher, &first, 2), burst(&fetcher, &second, 2));
    assert_eq!((tally_a.peak(), tally_b.peak()), (1, 1));
    // Had the two hosts shared one slot, the second would start 150 ms later.
    let first_start = |tally: &Tally| tally.starts.lock().expect("lock").iter().min().copied();
    let (a, b) = (first_start(&tally_a), first_start(&tally_b));
    let (a, b) = (a.expect("a started"), b.expect("b started"));
    let apart = if a > b { a - b } else { b - a };
    assert!(
        apart < Duration::from_millis(100),
        "hosts started {apart:?} apart"
    );
}

#[tokio::test]
async fn politeness_off_runs_requests_together() {
    let (base, tally) = slow_site(Duration::from_millis(150)).await;
    let fetcher = HttpFetcher::new(with_politeness(Politeness::off(4)));
    burst(&fetcher, &base, 4).await;
    assert_eq!(tally.peak(), 4);
}
