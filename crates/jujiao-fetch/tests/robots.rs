//! robots.txt handling (RFC 9309) against real local servers.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::{Tally, config, reply, serve};
use jujiao_fetch::{Fetch, FetchError, FetcherConfig, HttpFetcher, Politeness};

/// A site whose robots.txt answers `status` with `body`; pages count hits.
async fn site(status: u16, body: &'static str) -> (url::Url, Arc<Tally>, Arc<Tally>) {
    let robots = Tally::new();
    let pages = Tally::new();
    let (r, p) = (Arc::clone(&robots), Arc::clone(&pages));
    let app = Router::new()
        .route(
            "/robots.txt",
            get(move || {
                let r = Arc::clone(&r);
                async move {
                    let _guard = r.enter();
                    reply(status, &[("content-type", "text/plain")], body)
                }
            }),
        )
        .fallback(get(move || {
            let p = Arc::clone(&p);
            async move {
                let _guard = p.enter();
                "page"
            }
        }));
    (serve(app).await, robots, pages)
}

fn obeying() -> FetcherConfig {
    let mut cfg = config();
    cfg.robots.is_ignored = false;
    cfg
}

const ROBOTS: &str =
    "User-agent: *\nDisallow: /\n\nUser-agent: jujiao\nDisallow: /private/\nAllow: /\n";

#[tokio::test]
async fn disallowed_path_is_never_requested() {
    let (base, robots, pages) = site(200, ROBOTS).await;
    let fetcher = HttpFetcher::new(obeying());
    let error = fetcher
        .fetch(&common::get(&base, "/private/a.html"))
        .await
        .expect_err("disallowed");
    match error {
        FetchError::RobotsDisallowed { url } => assert_eq!(url.path(), "/private/a.html"),
        other => panic!("expected RobotsDisallowed, got {other:?}"),
    }
    assert_eq!(pages.hits(), 0);
    for path in ["/public/a.html", "/public/b.html"] {
        let response = fetcher
            .fetch(&common::get(&base, path))
            .await
            .expect("allowed");
        assert!(response.is_success());
    }
    assert_eq!(pages.hits(), 2);
    assert_eq!(robots.hits(), 1, "robots.txt is fetched once per host");
}

#[tokio::test]
async fn ignoring_robots_fetches_anyway() {
    let (base, robots, pages) = site(200, ROBOTS).await;
    let response = HttpFetcher::new(config())
        .fetch(&common::get(&base, "/private/a.html"))
        .await
        .expect("robots ignored");
    assert!(response.is_success());
    assert_eq!((robots.hits(), pages.hits()), (0, 1));
}

#[tokio::test]
async fn missing_robots_allows_everything() {
    let (base, robots, pages) = site(404, "not found").await;
    let fetcher = HttpFetcher::new(obeying());
    for path in ["/a", "/private/b"] {
        let response = fetcher
            .fetch(&common::get(&base, path))
            .await
            .expect("allowed");
        assert!(response.is_success());
    }
    assert_eq!((robots.hits(), pages.hits()), (1, 2));
}

#[tokio::test]
async fn failing_robots_disallows_everything_and_is_cached() {
    let (base, robots, pages) = site(500, "oops").await;
    let fetcher = HttpFetcher::new(obeying());
    for path in ["/a", "/b"] {
        let error = fetcher
            .fetch(&common::get(&base, path))
            .await
            .expect_err("disallowed");
        assert!(
            matches!(error, FetchError::RobotsDisallowed { .. }),
            "{error:?}"
        );
    }
    assert_eq!((robots.hits(), pages.hits()), (1, 0));
}

#[tokio::test]
async fn failing_robots_is_asked_again_after_its_short_ttl() {
    let (base, robots, _pages) = site(503, "busy").await;
    let mut cfg = obeying();
    cfg.robots.unreachable_ttl = Duration::from_millis(100);
    let fetcher = HttpFetcher::new(cfg);
    for _ in 0..2 {
        let _ = fetcher.fetch(&common::get(&base, "/a")).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(robots.hits(), 2);
}

// Two threads, so the server is not stalled by the client; the bound leaves a quarter
// of the delay for a busy machine stamping a request late (see politeness.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_delay_spaces_requests_seen_by_the_server() {
    let (base, robots, pages) = site(200, "User-agent: *\nCrawl-delay: 0.3\nDisallow:\n").await;
    let fetcher = HttpFetcher::new(FetcherConfig {
        politeness: Politeness {
            host_concurrency: 4,
            min_delay: Duration::from_millis(10),
            ..Politeness::default()
        },
        ..obeying()
    });
    let (fetcher, base) = (&fetcher, &base);
    let requests: Vec<_> = (0..3)
        .map(|i| async move { fetcher.fetch(&common::get(base, &format!("/p{i}"))).await })
        .collect();
    for result in futures_util::future::join_all(requests).await {
        assert!(result.expect("fetch").is_success());
    }
    assert_eq!((robots.hits(), pages.hits()), (1, 3));
    let gaps = pages.gaps();
    assert!(
        gaps.iter().all(|g| *g >= Duration::from_millis(225)),
        "gaps {gaps:?} shorter than the 0.3 s Crawl-delay"
    );
}
