//! A crawler worker: one of any number of processes, on one or many machines, sharing
//! one crawl through the store's work queue.
//!
//! The queue holds two kinds of items: a source's list URL (due again one `interval`
//! after each visit) and an article page found on a list page. A worker runs `tasks`
//! loops; each claims one due item with a lease ([`WorkQueue::claim_due_work`]), handles it
//! with the same steps a whole run uses (`html_source::read_list_url` for a list page,
//! the article `Job` for an article page) and completes it
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
//! What the list page knew about a link (its text, its date) travels with the article
//! item as a JSON note. Article items are due at a small per-URL offset so that items of
//! many hosts interleave, and an item whose host is busy is put back for a moment
//! instead of blocking its task.
//!
//! [`WorkQueue::claim_due_work`]: jujiao_store::WorkQueue::claim_due_work
//! [`WorkQueue::seed_list_pages`]: jujiao_store::WorkQueue::seed_list_pages
//! [`CrawlLog::add_to_run`]: jujiao_store::CrawlLog::add_to_run
//! [`WorkQueue::report_worker`]: jujiao_store::WorkQueue::report_worker
//! [`HostSlots::renew_host_holds`]: jujiao_store::HostSlots::renew_host_holds
//! [`WorkQueue::renew_leases`]: jujiao_store::WorkQueue::renew_leases
//! [`WorkQueue::complete_work`]: jujiao_store::WorkQueue::complete_work

use crate::html_source::{self, Candidate, Job, ListFindings, PageOptions};
use crate::report::{Event, Observer, SourceReport};
use crate::shared_hosts::{HeldFetch, SharedHosts};
use crate::{Compiled, CrawlError, Crawler};
use chrono::{DateTime, Utc};
use jujiao_config::{Config, HtmlSource, SourceKind};
use jujiao_fetch::Fetch;
use jujiao_store::{
    ListPageSeed, NewWork, RecordOutcome, RunId, RunSummary, Store, WorkId, WorkItem, WorkKind,
    WorkerState, WorkerStatus,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, info, warn};
use url::Url;

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

/// What a worker did, for its summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WorkerReport {
    pub items_done: u64,
    pub list_pages: u64,
    pub articles_queued: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    /// Article items skipped because another worker had already stored the URL.
    pub already_stored: u64,
    /// Items put back because their host was busy.
    pub deferred: u64,
    pub errors: u64,
    /// Article pages robots.txt forbids: skipped, the site's policy, not an error.
    pub skipped: u64,
    /// Items whose lease had run out (and gone to another worker) when completed.
    pub leases_lost: u64,
    /// Ids of articles added or revised (for the search index).
    pub changed_articles: Vec<i64>,
}

#[derive(Debug, Default)]
struct Counters {
    items_done: AtomicU64,
    list_pages: AtomicU64,
    articles_queued: AtomicU64,
    new: AtomicU64,
    updated: AtomicU64,
    unchanged: AtomicU64,
    duplicates: AtomicU64,
    already_stored: AtomicU64,
    deferred: AtomicU64,
    errors: AtomicU64,
    skipped: AtomicU64,
    leases_lost: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// A worker sharing the crawl of `config`'s sources through a store.
pub struct Worker {
    crawler: Crawler,
    shared: Arc<SharedHosts>,
    store: Arc<dyn Store>,
    options: WorkerOptions,
    rules: HashMap<String, Option<Arc<jujiao_extract::Rules>>>,
    counters: Counters,
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
        let crawler = Crawler::new(
            config,
            Arc::clone(&store),
            Arc::clone(&shared) as Arc<dyn Fetch>,
        )?;
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
            counters: Counters::default(),
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

    /// The worker's id.
    pub fn id(&self) -> &str {
        &self.options.id
    }

    /// Queues the list URLs of the configured HTML sources that are not queued yet, due
    /// now; one already queued keeps its schedule (due one `interval` after its last
    /// visit, brought forward to at most one `interval` from now), so a restart does not
    /// fetch it early. Sources of other kinds are named in the answer: workers do not
    /// run them (`jujiao crawl` does).
    pub async fn seed(&self) -> Result<Vec<String>, jujiao_store::StoreError> {
        let mut pages = Vec::new();
        let mut skipped = Vec::new();
        for c in &self.crawler.sources {
            match &c.source.kind {
                SourceKind::Html(html) => {
                    pages.extend(html.list_urls.iter().map(|u| ListPageSeed {
                        source_id: c.source.id.clone(),
                        url: u.to_string(),
                        interval: c.source.interval,
                    }));
                }
                _ => skipped.push(c.source.id.clone()),
            }
        }
        let added = self.store.seed_list_pages(&pages).await?;
        debug!(worker = %self.options.id, added, known = (pages.len() as u64).saturating_sub(added),
            "list pages seeded");
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
                let every = renewal_period(me.options.lease);
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
                bump(&self.counters.errors);
            }
        }
        heartbeat.abort();
        renewal.abort();
        self.heartbeat(WorkerState::Stopped).await;
        let report = self.report();
        info!(
            worker = %self.options.id,
            items = report.items_done,
            new = report.new,
            errors = report.errors,
            "worker stopped"
        );
        report
    }

    /// What the worker did so far.
    pub fn report(&self) -> WorkerReport {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WorkerReport {
            items_done: get(&c.items_done),
            list_pages: get(&c.list_pages),
            articles_queued: get(&c.articles_queued),
            new: get(&c.new),
            updated: get(&c.updated),
            unchanged: get(&c.unchanged),
            duplicates: get(&c.duplicates),
            already_stored: get(&c.already_stored),
            deferred: get(&c.deferred),
            errors: get(&c.errors),
            skipped: get(&c.skipped),
            leases_lost: get(&c.leases_lost),
            changed_articles: self
                .changed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }

    async fn heartbeat(&self, state: WorkerState) {
        let current = {
            let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
            match current.len() {
                0 => None,
                1 => current.values().next().cloned(),
                n => current
                    .values()
                    .next()
                    .map(|u| format!("{u} (+{} more)", n - 1)),
            }
        };
        let status = WorkerStatus {
            id: self.options.id.clone(),
            host_name: host_name(),
            pid: std::process::id(),
            state,
            started_at: self.started_at,
            last_seen: Utc::now(),
            items_done: self.counters.items_done.load(Ordering::Relaxed),
            articles_new: self.counters.new.load(Ordering::Relaxed),
            errors: self.counters.errors.load(Ordering::Relaxed),
            current_item: current,
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        };
        if let Err(e) = self.store.report_worker(&status).await {
            warn!(worker = %self.options.id, error = %e, "cannot record the heartbeat");
        }
    }

    /// Renews the leases of the items in hand and the holds on the host slots being
    /// fetched on; an item whose lease is gone is marked lost.
    async fn renew(&self) {
        let ids: Vec<WorkId> = self
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .map(|id| WorkId(*id))
            .collect();
        match self
            .store
            .renew_leases(&self.options.id, &ids, self.options.lease)
            .await
        {
            Ok(held) => self.mark_lost(&ids, &held),
            Err(e) => warn!(worker = %self.options.id, error = %e, "cannot renew the leases"),
        }
        if let Err(e) = self.shared.renew_holds().await {
            warn!(worker = %self.options.id, error = %e, "cannot renew the host slot holds");
        }
    }

    /// Marks lost the items of `asked` that renewing did not find `held`, if they are
    /// still in hand: one finished meanwhile was completed by this worker (and a list
    /// page keeps its id for its next visit, which must not start out lost).
    fn mark_lost(&self, asked: &[WorkId], held: &[WorkId]) {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let mut lost = self.lost.lock().unwrap_or_else(PoisonError::into_inner);
        lost.extend(
            asked
                .iter()
                .filter(|id| !held.contains(id) && current.contains_key(&id.0))
                .map(|id| id.0),
        );
    }

    /// Whether the worker still holds `item`'s lease (renewing it): false when another
    /// worker took it over after it ran out, or when renewing found it gone before.
    async fn still_holds(&self, item: &WorkItem) -> bool {
        let is_lost = self
            .lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&item.id.0);
        if is_lost {
            return false;
        }
        match self
            .store
            .renew_leases(&self.options.id, &[item.id], self.options.lease)
            .await
        {
            Ok(held) if held.contains(&item.id) => true,
            Ok(_) => {
                self.lost
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(item.id.0);
                false
            }
            // The store did not answer: recording will most likely fail as well, and a
            // result recorded twice is still one article (the store's per-URL rules).
            Err(e) => {
                warn!(worker = %self.options.id, error = %e, "cannot check a lease");
                true
            }
        }
    }

    /// Adds an article item's outcome to the run of the list-page visit that queued it.
    async fn add_to_run(&self, run: Option<RunId>, tally: RunSummary) {
        let Some(run) = run else { return };
        if let Err(e) = self.store.add_to_run(run, &tally).await {
            warn!(worker = %self.options.id, run = run.0, error = %e,
                "cannot add an article's outcome to its run");
        }
    }

    /// The run figures of recorded articles: one article page, counted by outcome.
    fn outcome_tally(outcomes: &[RecordOutcome]) -> RunSummary {
        let mut tally = RunSummary {
            article_pages: 1,
            ..RunSummary::default()
        };
        for outcome in outcomes {
            match outcome {
                RecordOutcome::Added { .. } => tally.new += 1,
                RecordOutcome::Revised { .. } => tally.updated += 1,
                RecordOutcome::Duplicate { .. } | RecordOutcome::NearDuplicate { .. } => {
                    tally.duplicates += 1;
                }
                _ => tally.unchanged += 1,
            }
        }
        tally
    }

    async fn task_loop(&self, n: usize, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                self.is_stopping.store(true, Ordering::Relaxed);
                break;
            }
            let claimed = self
                .store
                .claim_due_work(
                    &self.options.id,
                    &[WorkKind::ListPage, WorkKind::Article],
                    1,
                    self.options.lease,
                )
                .await;
            let item = match claimed {
                Ok(mut items) => items.pop(),
                Err(e) => {
                    warn!(worker = %self.options.id, error = %e, "cannot claim work");
                    None
                }
            };
            let Some(item) = item else {
                // Items in hand (of any task, any worker) are leased: a task only
                // stops when the whole crawl has caught up.
                if self.options.until_idle && self.is_caught_up().await {
                    debug!(worker = %self.options.id, task = n, "nothing left to do");
                    break;
                }
                let pause = jitter(self.options.poll, n);
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    // A dropped sender can never ask to stop: just wait.
                    changed = stop.changed() => if changed.is_err() {
                        tokio::time::sleep(pause).await;
                    }
                }
                continue;
            };
            self.current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(item.id.0, item.url.clone());
            let next_due = match item.kind {
                WorkKind::ListPage => self.list_item(&item).await,
                _ => self.article_item(&item).await,
            };
            let is_lost = {
                // Both under the `current` lock, which `renew` holds while it marks
                // items lost: no mark can land after the item left the hand.
                let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
                current.remove(&item.id.0);
                self.lost
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&item.id.0)
            };
            if is_lost {
                // Another worker has the item now: its result, not ours, counts.
                bump(&self.counters.leases_lost);
                warn!(worker = %self.options.id, url = %item.url,
                    "lease ran out before the item was done (another worker has it): result dropped");
                continue;
            }
            match self
                .store
                .complete_work(item.id, &self.options.id, next_due)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    bump(&self.counters.leases_lost);
                    warn!(worker = %self.options.id, url = %item.url,
                        "lease ran out before the item was done (another worker has it)");
                }
                Err(e) => {
                    warn!(worker = %self.options.id, url = %item.url, error = %e,
                        "cannot complete the item (its lease will run out)");
                }
            }
        }
    }

    /// True when no article is queued and nothing is leased, by anyone.
    async fn is_caught_up(&self) -> bool {
        match self.store.queue_stats().await {
            Ok(s) => s.articles == 0 && s.leased == 0 && s.due == 0,
            Err(e) => {
                warn!(worker = %self.options.id, error = %e, "cannot read the queue");
                false
            }
        }
    }

    fn failed(&self, message: String) {
        bump(&self.counters.errors);
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(message);
    }

    fn html_source(&self, id: &str) -> Option<(&Compiled, &HtmlSource)> {
        let c = self.crawler.sources.iter().find(|c| c.source.id == id)?;
        match &c.source.kind {
            SourceKind::Html(h) => Some((c, h)),
            _ => None,
        }
    }

    /// Reads a list URL with its pagination and queues the new article links; answers
    /// when to visit it again (`None`: drop it, its source is gone).
    async fn list_item(&self, item: &WorkItem) -> Option<DateTime<Utc>> {
        let Some((compiled, html)) = self.html_source(&item.source_id) else {
            warn!(worker = %self.options.id, source = %item.source_id, url = %item.url,
                "list page of a source that is not an HTML source in this configuration: dropped");
            return None;
        };
        let now = Utc::now();
        let again = now + chrono_span(compiled.source.interval);
        let retry = now + chrono_span(compiled.source.interval.min(LIST_RETRY));
        let Ok(list_url) = Url::parse(&item.url) else {
            self.failed(format!("list page {}: not a URL", item.url));
            return None;
        };
        let mut report = SourceReport::new(&compiled.source);
        let (mut seen, mut candidates, mut validators) = (HashSet::new(), Vec::new(), Vec::new());
        html_source::read_list_url(
            &self.crawler,
            compiled,
            html,
            &list_url,
            &LogObserver(&self.options.id),
            &mut report,
            &mut ListFindings {
                seen: &mut seen,
                candidates: &mut candidates,
                validators: &mut validators,
            },
        )
        .await;
        self.counters
            .list_pages
            .fetch_add(report.list_pages, Ordering::Relaxed);
        bump(&self.counters.items_done);
        if !self.still_holds(item).await {
            return None;
        }
        let run = self.start_run(&compiled.source.id).await;
        let urls: Vec<String> = candidates.iter().map(|c| c.url.to_string()).collect();
        let known = match self.store.known_urls(&urls).await {
            Ok(k) => k,
            Err(e) => {
                let message = format!("list page {}: store: {e}", item.url);
                self.failed(message.clone());
                report.error(message);
                self.finish_run(run, &mut report).await;
                return Some(retry);
            }
        };
        let mut new: Vec<Candidate> = candidates
            .into_iter()
            .filter(|c| !known.contains(c.url.as_str()))
            .collect();
        let is_capped = new.len() > compiled.source.max_new_per_run;
        new.truncate(compiled.source.max_new_per_run);
        let queued: Vec<NewWork> = new
            .iter()
            .map(|c| NewWork {
                kind: WorkKind::Article,
                source_id: compiled.source.id.clone(),
                url: c.url.to_string(),
                due_at: now + chrono_span(spread(c.url.as_str())),
                note: Some(
                    json!({"text": c.text, "list_date": c.list_date.map(|d| d.to_string())})
                        .to_string(),
                ),
                run,
            })
            .collect();
        // Finished before its articles are queued: once they are, any worker may add an
        // outcome to the run at once, which finishing afterwards would overwrite.
        self.finish_run(run, &mut report).await;
        if let Err(e) = self.store.schedule_work(&queued).await {
            let message = format!("list page {}: cannot queue its links: {e}", item.url);
            self.failed(message.clone());
            self.add_to_run(run, failure_tally(0, message)).await;
            return Some(retry);
        }
        self.counters
            .articles_queued
            .fetch_add(queued.len() as u64, Ordering::Relaxed);
        let has_failed = report.errors > 0;
        if has_failed {
            let sample = report.error_samples.first().cloned().unwrap_or_default();
            self.failed(sample);
        }
        info!(
            worker = %self.options.id,
            source = %compiled.source.id,
            url = %item.url,
            pages = report.list_pages,
            links = report.links_found,
            queued = queued.len(),
            errors = report.errors,
            "list page read"
        );
        // The links are safe in the queue now: the validators may say "seen".
        if !has_failed && !is_capped {
            for (url, v) in validators {
                if let Err(e) = self.store.set_list_page_validators(&url, &v).await {
                    warn!(worker = %self.options.id, url = %url, error = %e,
                        "cannot save the list page's validators");
                }
            }
        }
        Some(if has_failed && report.list_pages_failed > 0 {
            retry
        } else {
            again
        })
    }

    /// Fetches, extracts and records one article page; answers when to try it again
    /// (`None`: done, stored or dropped).
    async fn article_item(&self, item: &WorkItem) -> Option<DateTime<Utc>> {
        let Some((compiled, html)) = self.html_source(&item.source_id) else {
            warn!(worker = %self.options.id, source = %item.source_id, url = %item.url,
                "article of a source that is not an HTML source in this configuration: dropped");
            return None;
        };
        let Ok(url) = Url::parse(&item.url) else {
            self.failed(format!("{}: not a URL", item.url));
            return None;
        };
        match self.store.known_urls(std::slice::from_ref(&item.url)).await {
            Ok(known) if known.contains(&item.url) => {
                bump(&self.counters.already_stored);
                bump(&self.counters.items_done);
                return None;
            }
            Ok(_) => {}
            Err(e) => {
                self.failed(format!("{}: store: {e}", item.url));
                return Some(Utc::now() + chrono_span(backoff(item.attempts)));
            }
        }
        let held = match self.shared.try_hold(&url).await {
            Ok(Ok(held)) => held,
            Ok(Err(at)) => {
                // The host is busy: give the item back for a moment, take another.
                bump(&self.counters.deferred);
                let wait = (at - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .clamp(Duration::from_millis(20), Duration::from_millis(300));
                return Some(Utc::now() + chrono_span(wait + spread(&item.url) / 10));
            }
            Err(e) => {
                self.failed(format!("{}: host slot: {e}", item.url));
                return Some(Utc::now() + chrono_span(backoff(item.attempts)));
            }
        };
        let note: serde_json::Value = item
            .note
            .as_deref()
            .and_then(|n| serde_json::from_str(n).ok())
            .unwrap_or_default();
        let candidate = Candidate {
            url,
            text: note["text"].as_str().unwrap_or_default().to_owned(),
            list_date: note["list_date"]
                .as_str()
                .and_then(|d| d.parse::<chrono::NaiveDate>().ok()),
            summary: None,
        };
        let fetcher = Arc::new(HeldFetch {
            shared: Arc::clone(&self.shared),
            held: Mutex::new(Some(held)),
        });
        let rules = self.rules.get(&item.source_id).cloned().flatten();
        let result = Job::new(compiled, &PageOptions::of(html), rules, fetcher)
            .run(candidate)
            .await;
        let prepared = match result.outcome {
            Ok(p) => p,
            Err(failure) if failure.is_skipped => {
                // The site's policy, not a failure: counted apart, never retried.
                debug!(worker = %self.options.id, url = %item.url, "robots.txt forbids it: skipped");
                bump(&self.counters.skipped);
                bump(&self.counters.items_done);
                if self.still_holds(item).await {
                    self.add_to_run(item.run, skipped_tally(&item.url)).await;
                }
                return None;
            }
            Err(failure) => {
                let message = format!("{}: {}", item.url, failure.message);
                self.failed(message.clone());
                if failure.is_transient && item.attempts < MAX_ATTEMPTS {
                    warn!(worker = %self.options.id, attempt = item.attempts, "{message}; will retry");
                    return Some(Utc::now() + chrono_span(backoff(item.attempts)));
                }
                warn!(worker = %self.options.id, attempt = item.attempts, "{message}; dropped");
                bump(&self.counters.items_done);
                if self.still_holds(item).await {
                    self.add_to_run(item.run, failure_tally(1, message)).await;
                }
                return None;
            }
        };
        if let Some(w) = &prepared.warning {
            debug!(worker = %self.options.id, url = %item.url, "{w}");
        }
        if !self.still_holds(item).await {
            return None;
        }
        match self
            .crawler
            .record(&item.source_id, std::slice::from_ref(&prepared.record))
            .await
        {
            Ok(recorded) => {
                bump(&self.counters.items_done);
                recorded.log_files(&self.options.id, &item.url);
                self.add_to_run(item.run, Self::outcome_tally(&recorded.outcomes))
                    .await;
                for outcome in recorded.outcomes {
                    let (what, id) = match outcome {
                        RecordOutcome::Added { article_id, .. } => {
                            bump(&self.counters.new);
                            ("added", Some(article_id.0))
                        }
                        RecordOutcome::Revised { article_id, .. } => {
                            bump(&self.counters.updated);
                            ("revised", Some(article_id.0))
                        }
                        RecordOutcome::Duplicate { .. } => {
                            bump(&self.counters.duplicates);
                            ("duplicate", None)
                        }
                        _ => {
                            bump(&self.counters.unchanged);
                            ("unchanged", None)
                        }
                    };
                    if let Some(id) = id {
                        self.changed
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(id);
                    }
                    debug!(worker = %self.options.id, url = %item.url, what, "article recorded");
                }
                None
            }
            Err(e) => {
                self.failed(format!("{}: not stored: {e}", item.url));
                Some(Utc::now() + chrono_span(backoff(item.attempts)))
            }
        }
    }
}

impl Worker {
    /// Starts the run of a list-page visit (`None` when the store refuses: the visit
    /// goes on unrecorded).
    async fn start_run(&self, source_id: &str) -> Option<RunId> {
        match self.store.start_run(source_id).await {
            Ok(run) => Some(run),
            Err(e) => {
                warn!(worker = %self.options.id, source = %source_id, error = %e,
                    "cannot record the run");
                None
            }
        }
    }

    /// Finishes a list-page visit's run with its figures and verdict; its articles add
    /// theirs when they are done.
    async fn finish_run(&self, run: Option<RunId>, report: &mut SourceReport) {
        let Some(run) = run else { return };
        report.decide_verdict();
        if let Err(e) = self.store.finish_run(run, &report.to_summary()).await {
            warn!(worker = %self.options.id, run = run.0, error = %e, "cannot finish the run");
        }
    }
}

/// The run figures of a failure: an error with its message, which makes an `ok` run
/// "some pages failed".
fn failure_tally(article_pages: u64, message: String) -> RunSummary {
    RunSummary {
        article_pages,
        errors: 1,
        error_samples: vec![message],
        verdict: crate::report::Verdict::Errors.as_str().to_owned(),
        ..RunSummary::default()
    }
}

/// The run figures of a link robots.txt forbids: no error, the verdict unchanged
/// (an empty verdict leaves the run's own), the URL sampled as skipped.
fn skipped_tally(url: &str) -> RunSummary {
    RunSummary {
        error_samples: vec![crate::report::skipped_sample(url)],
        verdict: String::new(),
        ..RunSummary::default()
    }
}

/// A third of the lease: two renewals may fail before the lease runs out.
fn renewal_period(lease: Duration) -> Duration {
    (lease / 3).max(Duration::from_millis(10))
}

/// Logs a list page's warnings.
struct LogObserver<'a>(&'a str);

impl Observer for LogObserver<'_> {
    fn event(&self, source_id: &str, event: Event) {
        if let Event::Warning(w) = event {
            warn!(worker = %self.0, source = %source_id, "{w}");
        }
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
