#![allow(clippy::unwrap_used)]
//! The worker loop on SQLite, in process: several workers (each with its own store
//! connection to one file) share a crawl of loopback sites; per-host limits are counted
//! by the servers; a stop request ends a worker after its items in hand; a page slower
//! than the lease keeps its lease and host slot; each list-page visit is a run of its
//! source with its articles' figures; a restarted worker fetches no list page early.

use jujiao_config::Config;
use jujiao_crawl::shared_hosts::{without_source_delays, worker_fetcher_config};
use jujiao_crawl::{Worker, WorkerOptions};
use jujiao_demosite::farm::{Farm, FarmShape, Hold};
use jujiao_fetch::HttpFetcher;
use jujiao_store::{SqliteStore, Store, WorkerState};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

struct Setup {
    farm: Farm,
    config: Config,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

async fn setup(shape: FarmShape, concurrency: usize, delay: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let farm = Farm::start(shape).await.unwrap();
    let db = dir.path().join("w.db");
    let text = farm.config_toml(
        &dir.path().join("tree").to_string_lossy(),
        &db.to_string_lossy(),
        concurrency,
        delay,
    );
    let config = Config::parse(&text, Path::new("farm.toml")).unwrap();
    Setup {
        farm,
        config,
        db,
        _dir: dir,
    }
}

async fn worker(s: &Setup, id: &str, tasks: usize) -> (Arc<Worker>, Arc<dyn Store>) {
    worker_with_lease(s, id, tasks, jujiao_crawl::worker::DEFAULT_LEASE).await
}

async fn worker_with_lease(
    s: &Setup,
    id: &str,
    tasks: usize,
    lease: Duration,
) -> (Arc<Worker>, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(s.db.to_str().unwrap()).await.unwrap());
    let fetcher = HttpFetcher::new(worker_fetcher_config(&s.config));
    jujiao_crawl::register_sources(&without_source_delays(&s.config), &fetcher).unwrap();
    let mut options = WorkerOptions::new(id);
    options.tasks = tasks;
    options.until_idle = true;
    options.poll = Duration::from_millis(50);
    options.heartbeat = Duration::from_millis(100);
    options.lease = lease;
    let w = Worker::new(
        s.config.clone(),
        Arc::clone(&store),
        Arc::new(fetcher),
        options,
    )
    .unwrap();
    w.seed().await.unwrap();
    (Arc::new(w), store)
}

async fn assert_all_stored_once(s: &Setup, store: &dyn Store) {
    let stats = store.stats().await.unwrap();
    let total = s.farm.total_articles() as u64;
    assert_eq!(
        (stats.articles, stats.filings, stats.urls),
        (total, total, total)
    );
    let shape = s.farm.shape();
    let urls: Vec<String> = (0..shape.hosts)
        .flat_map(|h| (0..shape.articles).map(move |n| (h, n)))
        .map(|(h, n)| s.farm.article_url(h, n))
        .collect();
    assert_eq!(store.known_urls(&urls).await.unwrap().len(), urls.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_sqlite_file_share_the_crawl_within_host_limits() {
    let s = setup(
        FarmShape {
            hosts: 3,
            articles: 30,
            per_page: 10,
            delay: Duration::from_millis(10),
        },
        2,
        "0s",
    )
    .await;
    let (a, store) = worker(&s, "a", 4).await;
    let (b, _) = worker(&s, "b", 4).await;
    // Article pages are held until every host slot (3 hosts × 2) has a fetch waiting:
    // `a` has only 4 tasks, so `b` has at least 2 in hand, and both workers store
    // something however the machine schedules them.
    s.farm.hold(Hold::articles());
    let (_tx, rx) = watch::channel(false);
    let release = async {
        // Waits on the event: six article pages asked for at once.
        tokio::time::timeout(Duration::from_secs(120), s.farm.until_held(6))
            .await
            .expect("the two workers never filled the six host slots");
        s.farm.release();
    };
    let (ra, rb, ()) = tokio::join!(
        Arc::clone(&a).run(rx.clone()),
        Arc::clone(&b).run(rx),
        release
    );
    assert_all_stored_once(&s, store.as_ref()).await;
    assert_eq!(ra.tally.new + rb.tally.new, 90, "{ra:?} {rb:?}");
    assert!(
        ra.tally.new > 0 && rb.tally.new > 0,
        "one worker did it all: {ra:?} {rb:?}"
    );
    assert_eq!(ra.errors + rb.errors, 0, "{ra:?} {rb:?}");
    for h in 0..3 {
        let most = s.farm.stats(h).most_in_flight();
        assert!(most <= 2, "host {h}: {most} requests at once (limit 2)");
        // Each page fetched once: the workers never fetched an article twice.
        let by_path = s.farm.stats(h).by_path();
        let twice: Vec<_> = by_path
            .iter()
            .filter(|(p, n)| p.contains("/t2025") && **n > 1)
            .collect();
        assert!(twice.is_empty(), "fetched twice: {twice:?}");
    }
    let workers = store.workers().await.unwrap();
    assert_eq!(workers.len(), 2);
    assert!(workers.iter().all(|w| w.state == WorkerState::Stopped));
    // Each source's list-page visit is a run, finished with its articles' figures
    // (fetched by either worker) and a verdict, as `jujiao crawl` records one.
    for h in 0..3 {
        let runs = store.recent_runs(&format!("host{h}"), 10).await.unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert!(runs[0].finished_at.is_some());
        let sum = runs[0].summary.clone().unwrap();
        assert_eq!(
            (sum.list_pages, sum.article_pages, sum.new, sum.errors),
            (3, 10 * 3, 10 * 3, 0),
            "{sum:?}"
        );
        assert_eq!(sum.verdict, "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_worker_fetches_no_list_page_before_it_is_due() {
    let s = setup(
        FarmShape {
            hosts: 2,
            articles: 6,
            per_page: 3,
            delay: Duration::ZERO,
        },
        2,
        "0s",
    )
    .await;
    let (a, store) = worker(&s, "a", 2).await;
    let (_tx, rx) = watch::channel(false);
    let ra = a.run(rx).await;
    assert_eq!(ra.tally.new, 12, "{ra:?}");
    assert_eq!(ra.list_pages, 2 * 2, "{ra:?}");
    // Run again right away (the sources' interval is an hour): no list page is due, so
    // the second worker fetches nothing at all — no list page, no robots.txt.
    let before: Vec<usize> = (0..2).map(|h| s.farm.stats(h).requests()).collect();
    let (b, _) = worker(&s, "b", 2).await;
    let (_tx, rx) = watch::channel(false);
    let rb = b.run(rx).await;
    assert_eq!(
        (rb.tally.new, rb.list_pages, rb.items_done),
        (0, 0, 0),
        "{rb:?}"
    );
    let after: Vec<usize> = (0..2).map(|h| s.farm.stats(h).requests()).collect();
    assert_eq!(after, before);
    // The restart did not reset the schedule: each list page is still waiting.
    let queue = store.queue_stats().await.unwrap();
    assert_eq!((queue.due, queue.waiting), (0, 2), "{queue:?}");
    // And no second run was recorded.
    assert_eq!(store.recent_runs("host0", 10).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_slower_than_the_lease_keeps_its_lease_and_host_slot() {
    // The farm holds the first page asked for (the list page) for two and a half
    // leases; leases are 2 s, renewed every 2/3 s. Without renewal the second worker
    // would take over the list page while the first is still fetching it, and would
    // fetch beside it on the host's only slot. (The lease is generous so that a busy
    // machine's late renewal is not mistaken for a missing one.)
    let s = setup(
        FarmShape {
            hosts: 1,
            articles: 3,
            per_page: 10,
            delay: Duration::ZERO,
        },
        1,
        "0s",
    )
    .await;
    let lease = Duration::from_secs(2);
    let (a, store) = worker_with_lease(&s, "a", 2, lease).await;
    let (b, _) = worker_with_lease(&s, "b", 2, lease).await;
    s.farm.hold(Hold::default());
    let (_tx, rx) = watch::channel(false);
    let slow_page = async {
        // Waits on the event: the list page is being fetched (and held).
        tokio::time::timeout(Duration::from_secs(120), s.farm.until_held(1))
            .await
            .expect("no page was fetched");
        // The page's slowness is the point here, so this sleep is the scenario itself,
        // not a guess at an order of events.
        tokio::time::sleep(lease * 5 / 2).await;
        s.farm.release();
    };
    let (ra, rb, ()) = tokio::time::timeout(Duration::from_secs(120), async {
        tokio::join!(
            Arc::clone(&a).run(rx.clone()),
            Arc::clone(&b).run(rx),
            slow_page
        )
    })
    .await
    .expect("the workers finish");
    assert_all_stored_once(&s, store.as_ref()).await;
    assert_eq!(ra.tally.new + rb.tally.new, 3, "{ra:?} {rb:?}");
    assert_eq!(ra.leases_lost + rb.leases_lost, 0, "{ra:?} {rb:?}");
    let by_path = s.farm.stats(0).by_path();
    let twice: Vec<_> = by_path
        .iter()
        .filter(|(p, n)| p.as_str() != "/robots.txt" && **n > 1)
        .collect();
    assert!(twice.is_empty(), "fetched twice: {twice:?}");
    assert_eq!(s.farm.stats(0).most_in_flight(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delay_holds_across_workers() {
    // One host, one slot, 100 ms between requests: 1 list page + 8 articles take at
    // least 8 gaps however many workers ask.
    let s = setup(
        FarmShape {
            hosts: 1,
            articles: 8,
            per_page: 10,
            delay: Duration::ZERO,
        },
        1,
        "100ms",
    )
    .await;
    let (a, store) = worker(&s, "a", 4).await;
    let (b, _) = worker(&s, "b", 4).await;
    let started = Instant::now();
    let (_tx, rx) = watch::channel(false);
    let (ra, rb) = tokio::join!(Arc::clone(&a).run(rx.clone()), Arc::clone(&b).run(rx));
    let elapsed = started.elapsed();
    assert_all_stored_once(&s, store.as_ref()).await;
    assert_eq!(ra.tally.new + rb.tally.new, 8);
    assert!(
        elapsed >= Duration::from_millis(800),
        "9 requests with 100 ms gaps took {elapsed:?}"
    );
    assert_eq!(s.farm.stats(0).most_in_flight(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_request_ends_the_worker_after_its_items_in_hand() {
    let s = setup(
        FarmShape {
            hosts: 2,
            articles: 40,
            per_page: 40,
            delay: Duration::from_millis(50),
        },
        1,
        "0s",
    )
    .await;
    let (a, store) = worker(&s, "a", 2).await;
    // The farm holds article pages until the stop request is sent: the worker has an
    // article in hand when asked to stop, however fast or slow the machine.
    s.farm.hold(Hold::articles());
    let (tx, rx) = watch::channel(false);
    let run = tokio::spawn(Arc::clone(&a).run(rx));
    // Waits on the event: it has read a list page and is fetching an article.
    tokio::time::timeout(Duration::from_secs(120), s.farm.until_held(1))
        .await
        .expect("the worker never fetched an article");
    tx.send(true).unwrap();
    s.farm.release();
    let report = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the worker stops")
        .unwrap();
    // Two tasks: at most two items were in hand when it was asked to stop.
    assert!(
        (1..=2).contains(&report.tally.new),
        "it went on after the stop request: {report:?}"
    );
    // Nothing is left leased: the items in hand were finished (or given back).
    let queue = store.queue_stats().await.unwrap();
    assert_eq!(queue.leased, 0, "{queue:?}");
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.articles, report.tally.new);
    assert_eq!(queue.articles + stats.articles, 80, "{queue:?} {stats:?}");
    let w = store.workers().await.unwrap();
    assert_eq!(w[0].state, WorkerState::Stopped);
    assert_eq!(w[0].current_item, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_takes_the_host_slot_and_delay_like_a_page() {
    // Regression (issue 17, 5b): each worker fetched a host's robots.txt inside the
    // page's slot, right before the page: the host saw two requests a few ms apart
    // although a delay was set. Three workers (each with its own robots.txt copy), one
    // slot, 300 ms between requests: every request the server sees, robots.txt
    // included, starts at least the delay after the one before.
    let s = setup(
        FarmShape {
            hosts: 1,
            articles: 4,
            per_page: 10,
            delay: Duration::ZERO,
        },
        1,
        "300ms",
    )
    .await;
    assert!(
        s.config.settings.respect_robots,
        "robots.txt is obeyed by default"
    );
    let (a, store) = worker(&s, "a", 2).await;
    let (b, _) = worker(&s, "b", 2).await;
    let (c, _) = worker(&s, "c", 2).await;
    let (_tx, rx) = watch::channel(false);
    let (ra, rb, rc) = tokio::join!(
        Arc::clone(&a).run(rx.clone()),
        Arc::clone(&b).run(rx.clone()),
        Arc::clone(&c).run(rx)
    );
    assert_all_stored_once(&s, store.as_ref()).await;
    assert_eq!(ra.tally.new + rb.tally.new + rc.tally.new, 4);
    let starts = s.farm.stats(0).starts();
    let robots = starts.iter().filter(|(_, p)| p == "/robots.txt").count();
    assert!((1..=3).contains(&robots), "{robots} robots.txt requests");
    let gaps: Vec<(Duration, &str)> = starts
        .windows(2)
        .map(|w| (w[1].0 - w[0].0, w[1].1.as_str()))
        .collect();
    assert!(
        // A quarter of the delay is left for a busy machine stamping a request late;
        // robots.txt inside the page's slot came a few ms before the page.
        gaps.iter().all(|(g, _)| *g >= Duration::from_millis(225)),
        "requests closer than the 300 ms delay: {gaps:?}"
    );
    assert_eq!(s.farm.stats(0).most_in_flight(), 1);
}
