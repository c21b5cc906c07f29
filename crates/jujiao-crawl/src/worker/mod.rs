//! A crawler worker: one of any number of processes, on one or many machines, sharing
//! one crawl through the store's work queue.
//!
//! The queue holds two kinds of items: a source's list (an HTML list URL, a JSON or
//! form endpoint, a feed URL; due again one `interval` after each visit) and an article
//! page found on a list. A worker runs `tasks` loops (`lease`); each claims one due item
//! with a lease ([`WorkQueue::claim_due_work`]), handles it with the pipeline a whole
//! run uses (`items`: the list reader of the source's kind for a list, the article
//! `Job` for an article page, the same tally and failure accounting) and completes it
//! ([`WorkQueue::complete_work`]). While it works, the worker renews the leases of its items
//! in hand and the holds on its host slots every third of the lease
//! ([`WorkQueue::renew_leases`], [`HostSlots::renew_host_holds`]), so a slow page is never taken
//! over while it is being fetched; a worker killed mid-item stops renewing, its leases
//! run out and another worker claims the items. Before recording a result the worker
//! checks that it still holds the item's lease: one that lost it (it was stalled past
//! the lease and another worker took the item) records nothing on top. Every fetch
//! holds a host slot in the store ([`SharedHosts`]), so per-host politeness holds across
//! all workers. An
//! article is recorded in its own transaction; the store's per-URL rules (and, on
//! PostgreSQL, its advisory locks) make a page handled twice still one article with one
//! filing. Each worker reports a heartbeat ([`WorkQueue::report_worker`]) that
//! `jujiao serve` shows.
//!
//! A worker's visit of a list URL is a run of its source, as `jujiao crawl` records one:
//! the run is finished with the list page's figures and health verdict when the visit
//! is over, and the article pages it queued carry its id, so each one's outcome (new,
//! updated, dropped after its retries) is added to that run when it is done, by
//! whichever worker fetches it ([`CrawlLog::add_to_run`]). At start a worker seeds the
//! queue with the list URLs ([`WorkQueue::seed_list_pages`]): a page already queued keeps
//! its schedule, so restarting workers does not fetch list pages before they are due.
//!
//! What the list knew about a link (its text, its date, its summary) travels with the
//! article item as a JSON note. Article items are due at a small per-URL offset so that
//! items of many hosts interleave, and an item whose host is busy is put back for a
//! moment instead of blocking its task. A host that answered a verification page is
//! paused for every worker through the store (`crate::host_pause`): its items wait,
//! unfetched, until the pause is over. The worker's summary is in `summary`.
//!
//! [`WorkQueue::claim_due_work`]: jujiao_store::WorkQueue::claim_due_work
//! [`WorkQueue::seed_list_pages`]: jujiao_store::WorkQueue::seed_list_pages
//! [`CrawlLog::add_to_run`]: jujiao_store::CrawlLog::add_to_run
//! [`WorkQueue::report_worker`]: jujiao_store::WorkQueue::report_worker
//! [`HostSlots::renew_host_holds`]: jujiao_store::HostSlots::renew_host_holds
//! [`WorkQueue::renew_leases`]: jujiao_store::WorkQueue::renew_leases
//! [`WorkQueue::complete_work`]: jujiao_store::WorkQueue::complete_work

mod items;
mod lease;
mod summary;

pub use summary::WorkerReport;

use crate::host_pause::HostPauses;
use crate::shared_hosts::SharedHosts;
use crate::{CrawlError, Crawler, lists};
use chrono::{DateTime, Utc};
use jujiao_config::Config;
use jujiao_fetch::Fetch;
use jujiao_store::{ListPageSeed, Store, WorkerState};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, info, warn};

/// Default number of items a worker handles at once.
pub const DEFAULT_TASKS: usize = 8;
/// Default lease on a claimed item (and hold on a host slot): a worker that dies gives
/// its items to others after this long. Longer than a fetch may take with its retries.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(120);
/// How often an idle task looks for due work.
pub const DEFAULT_POLL: Duration = Duration::from_millis(500);
/// How often a worker reports its heartbeat.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(5);
/// Attempts at an article page that keeps failing transiently before it is dropped
/// (the next visit of its list page queues it again).
pub const MAX_ATTEMPTS: u32 = 4;
/// Article items of one list page are due within this spread (per-URL offsets), so
/// that items of many hosts interleave in the queue.
const ARTICLE_SPREAD_MS: u64 = 500;
/// A list page that failed is visited again after at most this long.
const LIST_RETRY: Duration = Duration::from_secs(120);

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Unique among the workers sharing the store.
    pub id: String,
    /// Items handled at once.
    pub tasks: usize,
    pub lease: Duration,
    pub poll: Duration,
    pub heartbeat: Duration,
    /// Stop once no article is left in the queue and no item is leased by anyone.
    pub until_idle: bool,
}

impl WorkerOptions {
    /// Defaults with the given id.
    pub fn new(id: impl Into<String>) -> WorkerOptions {
        WorkerOptions {
            id: id.into(),
            tasks: DEFAULT_TASKS,
            lease: DEFAULT_LEASE,
            poll: DEFAULT_POLL,
            heartbeat: DEFAULT_HEARTBEAT,
            until_idle: false,
        }
    }
}

/// The default worker id: `<host name>-<pid>`.
pub fn default_worker_id() -> String {
    format!("{}-{}", host_name(), std::process::id())
}

/// This machine's name (Linux `/proc`, else `$HOSTNAME`, else `localhost`).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A worker sharing the crawl of `config`'s sources through a store.
pub struct Worker {
    crawler: Crawler,
    shared: Arc<SharedHosts>,
    store: Arc<dyn Store>,
    options: WorkerOptions,
    rules: HashMap<String, Option<Arc<jujiao_extract::Rules>>>,
    counters: summary::Counters,
    started_at: DateTime<Utc>,
    /// Items in hand: URL by item id.
    current: Mutex<BTreeMap<i64, String>>,
    /// Items in hand whose lease was found taken over: their results are not recorded.
    lost: Mutex<HashSet<i64>>,
    changed: Mutex<Vec<i64>>,
    last_error: Mutex<Option<String>>,
    is_stopping: AtomicBool,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.options.id)
            .field("store", &self.store.location())
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// A worker for `config`'s sources. `fetcher` should be built with
    /// [`crate::shared_hosts::worker_fetcher_config`] (gates open): the worker holds
    /// every host's politeness in the store.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        fetcher: Arc<dyn Fetch>,
        options: WorkerOptions,
    ) -> Result<Worker, CrawlError> {
        let shared = Arc::new(SharedHosts::new(
            &config,
            fetcher,
            Arc::clone(&store),
            &options.id,
            options.lease,
        ));
        let mut crawler = Crawler::new(
            config,
            Arc::clone(&store),
            Arc::clone(&shared) as Arc<dyn Fetch>,
        )?;
        // A challenge one worker meets keeps every worker away from the host.
        crawler.pauses = HostPauses::default().shared(Arc::clone(&store));
        let rules = crawler
            .sources
            .iter()
            .map(|c| (c.source.id.clone(), c.rules.clone().map(Arc::new)))
            .collect();
        Ok(Worker {
            crawler,
            shared,
            store,
            options,
            rules,
            counters: summary::Counters::default(),
            started_at: Utc::now(),
            current: Mutex::new(BTreeMap::new()),
            lost: Mutex::new(HashSet::new()),
            changed: Mutex::new(Vec::new()),
            last_error: Mutex::new(None),
            is_stopping: AtomicBool::new(false),
        })
    }

    /// Also collect the images and attachments of the articles it records, into
    /// `files` (a folder every worker shares), fetched through the worker's shared host
    /// slots like its pages.
    #[must_use]
    pub fn with_media(
        mut self,
        files: jujiao_media::FileStore,
        settings: jujiao_media::MediaSettings,
    ) -> Self {
        let collector = jujiao_media::Collector::new(
            Arc::clone(&self.shared) as Arc<dyn Fetch>,
            Arc::clone(&self.store),
            files,
            settings,
        );
        self.crawler = self.crawler.with_media(collector);
        self
    }

    /// Pause hosts that answer a verification page for `pause` (for every worker
    /// sharing the store) instead of [`crate::host_pause::CHALLENGE_PAUSE`].
    #[must_use]
    pub fn with_challenge_pause(mut self, pause: Duration) -> Self {
        self.crawler.pauses = HostPauses::new(pause).shared(Arc::clone(&self.store));
        self
    }

    /// The worker's id.
    pub fn id(&self) -> &str {
        &self.options.id
    }

    /// Queues the lists of the configured sources (HTML list URLs, JSON and form
    /// endpoints, feed URLs) that are not queued yet, due now; one already queued keeps
    /// its schedule (due one `interval` after its last visit, brought forward to at most
    /// one `interval` from now), so a restart does not fetch it early. Edition sources
    /// are named in the answer: workers do not run them (`jujiao crawl` does).
    pub async fn seed(&self) -> Result<Vec<String>, jujiao_store::StoreError> {
        let mut pages = Vec::new();
        let mut skipped = Vec::new();
        for c in &self.crawler.sources {
            if !lists::has_lists(c) {
                skipped.push(c.source.id.clone());
                continue;
            }
            pages.extend(lists::list_urls(c).into_iter().map(|url| ListPageSeed {
                source_id: c.source.id.clone(),
                url,
                interval: c.source.interval,
            }));
        }
        let added = self.store.seed_list_pages(&pages).await?;
        debug!(worker = %self.options.id, added, known = (pages.len() as u64).saturating_sub(added),
            "lists seeded");
        Ok(skipped)
    }

    /// Runs until `stop` turns true (then finishes the items in hand, claiming no more)
    /// or, with `until_idle`, until the crawl has caught up. A second `true` is not
    /// needed: the items in hand are bounded by the fetch timeout.
    pub async fn run(self: Arc<Self>, stop: watch::Receiver<bool>) -> WorkerReport {
        info!(
            worker = %self.options.id,
            store = %self.store.location(),
            tasks = self.options.tasks,
            lease_secs = self.options.lease.as_secs_f64(),
            "worker started"
        );
        self.heartbeat(WorkerState::Running).await;
        let heartbeat = {
            let me = Arc::clone(&self);
            let mut stop = stop.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(me.options.heartbeat) => {}
                        changed = stop.changed() => if changed.is_err() {
                            tokio::time::sleep(me.options.heartbeat).await;
                        }
                    }
                    let state = if me.is_stopping.load(Ordering::Relaxed) || *stop.borrow() {
                        WorkerState::Stopping
                    } else {
                        WorkerState::Running
                    };
                    me.heartbeat(state).await;
                }
            })
        };
        let renewal = {
            let me = Arc::clone(&self);
            tokio::spawn(async move {
                let every = lease::renewal_period(me.options.lease);
                loop {
                    tokio::time::sleep(every).await;
                    me.renew().await;
                }
            })
        };
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..self.options.tasks.max(1) {
            let me = Arc::clone(&self);
            let stop = stop.clone();
            tasks.spawn(async move { me.task_loop(n, stop).await });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Err(e) = joined {
                warn!(worker = %self.options.id, error = %e, "a worker task crashed");
                summary::bump(&self.counters.errors);
            }
        }
        heartbeat.abort();
        renewal.abort();
        self.heartbeat(WorkerState::Stopped).await;
        let report = self.report();
        info!(
            worker = %self.options.id,
            items = report.items_done,
            new = report.tally.new,
            errors = report.errors,
            "worker stopped"
        );
        report
    }
}

fn chrono_span(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// A stable per-URL offset in `0..ARTICLE_SPREAD_MS` (std's hasher is fine here:
/// the value only orders the queue within one process's lifetime of scheduling).
fn spread(url: &str) -> Duration {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut h);
    Duration::from_millis(h.finish() % ARTICLE_SPREAD_MS)
}

/// Waits before retrying an article page: 5 s, 20 s, 80 s, …
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(5).saturating_mul(4u32.saturating_pow(attempts.saturating_sub(1)))
}

/// `base` ± up to a quarter, differing per task, so idle tasks do not poll in step.
fn jitter(base: Duration, task: usize) -> Duration {
    let quarter = base / 4;
    let step = u32::try_from(task % 8).unwrap_or(0);
    base - quarter + quarter * step / 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use jujiao_store::WorkId;

    /// A worker on an in-memory store, with no source.
    async fn idle_worker() -> Worker {
        let config = Config::parse(
            "[settings]\nallow_private = true\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let store: Arc<dyn Store> = Arc::new(jujiao_store::SqliteStore::in_memory().await.unwrap());
        let fetcher = Arc::new(jujiao_fetch::HttpFetcher::new(
            crate::shared_hosts::worker_fetcher_config(&config),
        ));
        Worker::new(config, store, fetcher, WorkerOptions::new("w")).unwrap()
    }

    #[tokio::test]
    async fn an_item_finished_while_its_renewal_ran_is_not_marked_lost() {
        let w = idle_worker().await;
        // Renewal asked about items 1 and 2; meanwhile item 1 was finished and left
        // the hand (a list page keeps its id and comes back for its next visit).
        w.current
            .lock()
            .unwrap()
            .insert(2, "http://a.example/2".into());
        w.mark_lost(&[WorkId(1), WorkId(2), WorkId(3)], &[WorkId(3)]);
        let lost = w.lost.lock().unwrap().clone();
        assert_eq!(lost, HashSet::from([2]));
    }

    #[test]
    fn backoff_grows() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(20));
        assert!(backoff(60) >= backoff(3));
    }

    #[test]
    fn spread_is_stable_and_bounded() {
        let a = spread("http://a.example/1.html");
        assert_eq!(a, spread("http://a.example/1.html"));
        for i in 0..100 {
            assert!(spread(&format!("http://a.example/{i}.html")) < Duration::from_millis(500));
        }
    }

    #[test]
    fn idle_polls_are_spread_around_the_base() {
        let base = Duration::from_millis(400);
        let all: HashSet<Duration> = (0..8).map(|t| jitter(base, t)).collect();
        assert!(all.len() > 3);
        assert!(all.iter().all(|d| *d >= base * 3 / 4 && *d < base * 5 / 4));
    }
}
