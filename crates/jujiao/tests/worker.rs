#![allow(clippy::unwrap_used)]
//! `jujiao worker`: three real worker processes share one crawl of a loopback site
//! through PostgreSQL. Every article ends up stored and filed exactly once, the site
//! never sees more requests in flight than its per-host limit (counted by the server),
//! and when one worker is killed with SIGKILL mid-run the others finish its items once
//! its leases run out. A worker run again right after fetches nothing (no list page is
//! due), and a worker whose items were taken over while it fetched them records
//! nothing on top.
//!
//! The server is `$JUJIAO_TEST_PG`, else postgres://postgres@127.0.0.1:5432/test; when
//! that default does not answer the tests print a message and pass. Each test works in
//! its own schema (the workers get it through the URL's `options[search_path]`).

mod common;

use common::pg_schema;
use jujiao_demosite::farm::{Farm, FarmShape, Hold};
use jujiao_store::{ArticleStore, CrawlLog, PgStore, WorkQueue, WorkerState};
use sqlx::Connection;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn worker(config: &Path, db: &str, id: &str, lease: &str) -> Child {
    worker_command(config, db, id, lease)
        .arg("--until-idle")
        .spawn()
        .unwrap()
}

fn worker_command(config: &Path, db: &str, id: &str, lease: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jujiao"));
    command
        .args(["worker", "--tasks", "4", "--heartbeat", "200ms"])
        .args(["--lease", lease, "--id", id, "--db", db, "--config"])
        .arg(config)
        .env("JUJIAO_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn wait_all(children: Vec<Child>, limit: Duration) -> Vec<std::process::Output> {
    let started = Instant::now();
    let mut outputs = Vec::new();
    for mut child in children {
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "a worker did not finish in {limit:?}:\n{}\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        outputs.push(child.wait_with_output().unwrap());
    }
    outputs
}

/// Every article of the farm is in the store exactly once, filed once, and the queue
/// holds no article.
async fn assert_each_article_once(store: &PgStore, farm: &Farm) {
    let shape = farm.shape();
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.articles as usize, farm.total_articles(), "{stats:?}");
    assert_eq!(stats.filings as usize, farm.total_articles(), "{stats:?}");
    assert_eq!(stats.urls as usize, farm.total_articles(), "{stats:?}");
    let urls: Vec<String> = (0..shape.hosts)
        .flat_map(|h| (0..shape.articles).map(move |n| (h, n)))
        .map(|(h, n)| farm.article_url(h, n))
        .collect();
    assert_eq!(store.known_urls(&urls).await.unwrap().len(), urls.len());
    let queue = store.queue_stats().await.unwrap();
    assert_eq!((queue.articles, queue.leased), (0, 0), "{queue:?}");
}

fn write_config(dir: &Path, farm: &Farm, concurrency: usize) -> std::path::PathBuf {
    let config = dir.join("jujiao.toml");
    let text = farm.config_toml(
        &dir.join("tree").to_string_lossy(),
        "unused.db",
        concurrency,
        "0s",
    );
    jujiao_legacy::write_atomic(&config, text.as_bytes()).unwrap();
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_store_each_article_once_and_keep_the_host_limit() {
    let Some((store, schema)) = pg_schema("three").await else {
        return;
    };
    let farm = Farm::start(FarmShape {
        hosts: 1,
        articles: 60,
        per_page: 20,
        delay: Duration::from_millis(15),
    })
    .await
    .unwrap();
    // Article pages wait until all three workers are up, so a worker that a busy
    // machine starts late still finds work to share.
    farm.hold(Hold::articles());
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &farm, 2);
    let db = schema.url();
    let children: Vec<Child> = (0..3)
        .map(|i| worker(&config, &db, &format!("w{i}"), "30s"))
        .collect();
    // Waits on the event: three workers have reported a heartbeat.
    let started = Instant::now();
    while store.workers().await.unwrap().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the workers never all reported"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    farm.release();
    let outputs = tokio::task::spawn_blocking(move || wait_all(children, Duration::from_secs(90)))
        .await
        .unwrap();
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_each_article_once(&store, &farm).await;
    let most = farm.stats(0).most_in_flight();
    assert!(most <= 2, "the site saw {most} requests at once (limit 2)");
    // The work was shared, and every worker says it stopped.
    let workers = store.workers().await.unwrap();
    assert_eq!(workers.len(), 3, "{workers:?}");
    assert!(workers.iter().all(|w| w.state == WorkerState::Stopped));
    let busy = workers.iter().filter(|w| w.items_done > 0).count();
    assert!(busy >= 2, "only {busy} worker(s) did anything: {workers:?}");
    let total: u64 = workers.iter().map(|w| w.articles_new).sum();
    assert_eq!(total as usize, farm.total_articles());

    // Run again at once: the list page is not due for an hour, so nothing is fetched.
    let before = farm.stats(0).requests();
    let config2 = config.clone();
    let again = tokio::task::spawn_blocking(move || {
        wait_all(
            vec![worker(&config2, &db, "again", "30s")],
            Duration::from_secs(60),
        )
    })
    .await
    .unwrap();
    assert!(again[0].status.success());
    assert_eq!(
        farm.stats(0).requests(),
        before,
        "the second run fetched pages"
    );
    assert_eq!(store.recent_runs("host0", 10).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_items_were_taken_over_records_nothing_on_top() {
    let Some((store, schema)) = pg_schema("stale").await else {
        return;
    };
    let farm = Farm::start(FarmShape {
        hosts: 1,
        articles: 2,
        per_page: 10,
        delay: Duration::ZERO,
    })
    .await
    .unwrap();
    // The farm holds both article pages until the test has taken them over: the worker
    // is still fetching them, however slow the machine, when another worker takes them.
    farm.hold(Hold::articles());
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &farm, 2);
    let db = schema.url();
    let child = worker_command(&config, &db, "slow", "30s").spawn().unwrap();
    // Waits on the event: both article pages asked for (so both are in the worker's hand).
    tokio::time::timeout(Duration::from_secs(120), farm.until_held(2))
        .await
        .expect("the worker never fetched both article pages");
    // Another worker takes them over (as if the slow one had been stalled past its lease).
    let mut conn = sqlx::PgConnection::connect(&db).await.unwrap();
    let taken: Vec<(String,)> = sqlx::query_as(
        "UPDATE work_queue SET leased_by = 'thief', lease_until = now() + interval '1 hour' \
         WHERE leased_by = 'slow' AND kind = 'article' RETURNING url",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(taken.len(), 2, "not both in hand: {taken:?}");
    // Stop it after its items in hand (SIGTERM), then let the farm answer them.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    farm.release();
    let out = tokio::task::spawn_blocking(move || wait_all(vec![child], Duration::from_secs(120)))
        .await
        .unwrap()
        .pop()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{} leases lost", taken.len())),
        "{stdout}"
    );
    // Its results for the items it lost were not recorded: they are the thief's.
    let urls: Vec<String> = taken.into_iter().map(|(u,)| u).collect();
    assert!(
        store.known_urls(&urls).await.unwrap().is_empty(),
        "a stale result was recorded: {urls:?}"
    );
    let queue = store.queue_stats().await.unwrap();
    assert_eq!(queue.leased as usize, urls.len(), "{queue:?}");
}

/// The agent the victim of the kill test sends: the farm holds only its article pages.
const VICTIM_AGENT: &str = "jujiao-victim/0.1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_s_items_are_finished_by_the_others() {
    let Some((store, schema)) = pg_schema("kill").await else {
        return;
    };
    let farm = Farm::start(FarmShape {
        hosts: 2,
        articles: 45,
        per_page: 15,
        delay: Duration::from_millis(20),
    })
    .await
    .unwrap();
    // The test decides when the victim's fetches finish: never. The farm holds every
    // article page the victim asks for (it has its own user agent), so the victim
    // still has them in hand when it is killed, however slow the machine.
    farm.hold(Hold::articles().from_user_agent(VICTIM_AGENT));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &farm, 2);
    let victim_config = dir.path().join("victim.toml");
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        "[settings]\n",
        &format!("[settings]\nuser_agent = \"{VICTIM_AGENT}\"\n"),
        1,
    );
    jujiao_legacy::write_atomic(&victim_config, text.as_bytes()).unwrap();
    let db = schema.url();
    // Its lease is long enough that a busy machine does not lose it by a late renewal
    // while the test looks (renewed every 2 s); the survivors wait it out after the kill.
    let mut victim = worker(&victim_config, &db, "victim", "6s");
    // Waits on the event: the victim is fetching an article page (held by the farm).
    // Only then do the others start, so they cannot take every page first.
    tokio::time::timeout(Duration::from_secs(120), farm.until_held(1))
        .await
        .expect("the victim never fetched an article page");
    let survivors: Vec<Child> = (0..2)
        .map(|i| worker(&config, &db, &format!("survivor{i}"), "2s"))
        .collect();
    // The pages the victim is fetching now, then what it holds in the queue table: a
    // page being fetched was claimed first, and a held page cannot be finished.
    let fetching: Vec<String> = farm
        .held()
        .into_iter()
        .map(|(h, path)| format!("{}{path}", farm.base_url(h)))
        .collect();
    let mut conn = sqlx::PgConnection::connect(&db).await.unwrap();
    let in_hand: Vec<(String,)> = sqlx::query_as(
        "SELECT url FROM work_queue WHERE leased_by = 'victim' AND kind = 'article'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();
    // Its held requests are answered into closed connections.
    farm.release();
    let in_hand: Vec<String> = in_hand.into_iter().map(|(u,)| u).collect();
    assert!(!fetching.is_empty());
    for url in &fetching {
        assert!(
            in_hand.contains(url),
            "{url} was being fetched by the victim but is not leased to it: {in_hand:?}"
        );
    }

    let outputs =
        tokio::task::spawn_blocking(move || wait_all(survivors, Duration::from_secs(180)))
            .await
            .unwrap();
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_each_article_once(&store, &farm).await;
    // What the victim had in hand was taken over and stored by the survivors.
    assert_eq!(
        store.known_urls(&in_hand).await.unwrap().len(),
        in_hand.len(),
        "{in_hand:?}"
    );
    for h in 0..2 {
        let most = farm.stats(h).most_in_flight();
        assert!(most <= 2, "host {h} saw {most} requests at once (limit 2)");
    }
    let workers = store.workers().await.unwrap();
    let victim = workers.iter().find(|w| w.id == "victim").unwrap();
    assert_ne!(
        victim.state,
        WorkerState::Stopped,
        "a killed worker cannot say it stopped"
    );
    assert_eq!(victim.articles_new, 0, "{victim:?}");
}
