//! Per-host politeness, checked from the server side: the server counts requests
//! in flight and records when each one started.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::{Tally, config, serve};
use jujiao_fetch::{Fetch, FetcherConfig, HttpFetcher, Politeness};
use tokio::sync::watch;

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

/// Requests in flight across one or more sites, for tests that wait on "this many at
/// once" instead of hoping a sleep lets requests overlap.
#[derive(Debug)]
struct Meeting {
    /// (in flight, requests so far)
    state: watch::Sender<(usize, usize)>,
    peak: AtomicUsize,
    /// Requests that gave up waiting for the others (after [`MEETING_LIMIT`]).
    gave_up: AtomicUsize,
}

/// How long a request waits for the others: only a broken limit ever waits this long.
const MEETING_LIMIT: Duration = Duration::from_secs(10);

/// A site whose requests each wait until `together` requests are in flight at once
/// (counted over every site sharing `meeting`), or until all `total` have come.
async fn meeting_site(
    meeting: &Arc<Meeting>,
    together: usize,
    total: usize,
) -> (url::Url, Arc<Tally>) {
    let tally = Tally::new();
    let seen = Arc::clone(&tally);
    let meeting = Arc::clone(meeting);
    let app = Router::new().fallback(get(move || {
        let seen = Arc::clone(&seen);
        let meeting = Arc::clone(&meeting);
        async move {
            let _guard = seen.enter();
            meeting.state.send_modify(|(in_flight, hits)| {
                *in_flight += 1;
                *hits += 1;
                meeting.peak.fetch_max(*in_flight, Ordering::SeqCst);
            });
            let mut state = meeting.state.subscribe();
            // Waits on the event: enough requests in flight (or none left to come).
            // (`is_ok` drops the value's read guard before the write below.)
            let met = tokio::time::timeout(
                MEETING_LIMIT,
                state.wait_for(|(in_flight, hits)| *in_flight >= together || *hits >= total),
            )
            .await
            .is_ok();
            if !met {
                meeting.gave_up.fetch_add(1, Ordering::SeqCst);
            }
            meeting.state.send_modify(|(in_flight, _)| *in_flight -= 1);
            "page"
        }
    }));
    (serve(app).await, tally)
}

fn meeting() -> Arc<Meeting> {
    Arc::new(Meeting {
        state: watch::Sender::new((0, 0)),
        peak: AtomicUsize::new(0),
        gave_up: AtomicUsize::new(0),
    })
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

// Two threads, so the server is not stalled by the client. The server stamps a request
// when it gets to it: a late stamp makes the next gap look short, so the bound leaves
// a quarter of the delay for a busy machine's scheduling (without the delay the gaps
// would be a few ms).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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
        gaps.iter().all(|g| *g >= Duration::from_millis(150)),
        "gaps {gaps:?} shorter than the 200 ms delay"
    );
}

#[tokio::test]
async fn concurrency_limit_holds_per_host() {
    // Each answer waits until two requests are in flight: a limit of one would make
    // every request give up waiting, a limit of three would show a peak of three.
    let m = meeting();
    let (base, tally) = meeting_site(&m, 2, 6).await;
    let fetcher = HttpFetcher::new(with_politeness(Politeness {
        host_concurrency: 2,
        min_delay: Duration::ZERO,
        ..Politeness::default()
    }));
    burst(&fetcher, &base, 6).await;
    assert_eq!(tally.hits(), 6);
    assert_eq!(tally.peak(), 2, "two slots must be used, never more");
    assert_eq!(
        m.gave_up.load(Ordering::SeqCst),
        0,
        "requests were not let through together"
    );
}

#[tokio::test]
async fn hosts_are_limited_independently() {
    // One request at a time per host, and each answer waits until both hosts have one
    // in flight: had the two hosts shared one slot, each would wait in vain.
    let m = meeting();
    let (first, tally_a) = meeting_site(&m, 2, 4).await;
    let (second, tally_b) = meeting_site(&m, 2, 4).await;
    let fetcher = HttpFetcher::new(with_politeness(Politeness {
        host_concurrency: 1,
        min_delay: Duration::ZERO,
        ..Politeness::default()
    }));
    tokio::join!(burst(&fetcher, &first, 2), burst(&fetcher, &second, 2));
    assert_eq!((tally_a.peak(), tally_b.peak()), (1, 1));
    assert_eq!(m.peak.load(Ordering::SeqCst), 2);
    assert_eq!(
        m.gave_up.load(Ordering::SeqCst),
        0,
        "the hosts were not fetched together"
    );
}

#[tokio::test]
async fn politeness_off_runs_requests_together() {
    // Each answer waits until all four requests are in flight.
    let m = meeting();
    let (base, tally) = meeting_site(&m, 4, 4).await;
    let fetcher = HttpFetcher::new(with_politeness(Politeness::off(4)));
    burst(&fetcher, &base, 4).await;
    assert_eq!(tally.peak(), 4);
    assert_eq!(m.gave_up.load(Ordering::SeqCst), 0);
}
