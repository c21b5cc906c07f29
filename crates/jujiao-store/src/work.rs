//! The shared work queue that lets several crawler workers split one crawl
//! ([`WorkQueue`]: what to fetch and when, [`NewWork`]; what a worker has leased,
//! [`WorkItem`]; the workers' heartbeats, [`WorkerStatus`]) and per-host politeness
//! ([`HostSlots`]). See "Work queue" in `SCHEMA.md`.

use crate::error::Result;
use crate::types::{RunId, WorkId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;

/// The queue of list pages and article pages that workers lease, and the workers'
/// own reports.
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Queues work. A `(kind, url)` already queued is not added twice: its due time
    /// becomes the earlier of the two, its lease (if any) is kept.
    async fn schedule_work(&self, items: &[NewWork]) -> Result<()>;

    /// Seeds the queue with list pages at a worker's start: a page not yet queued is
    /// added, due now; a page already queued keeps its schedule (a restart does not make
    /// it due), only brought forward to at most its `interval` from now. Answers how
    /// many pages were added.
    async fn seed_list_pages(&self, pages: &[ListPageSeed]) -> Result<u64>;

    /// Renews `worker`'s leases on items it is still working on, to `lease` from now,
    /// and answers the ids it still holds: an item missing from the answer was taken
    /// over (its lease had run out) or completed by someone else, so its result must
    /// not be recorded.
    async fn renew_leases(
        &self,
        worker: &str,
        ids: &[WorkId],
        lease: Duration,
    ) -> Result<Vec<WorkId>>;

    /// Leases up to `limit` items of the given kinds that are due and not leased (or
    /// whose lease has ended) to `worker` for `lease`, earliest due first. Concurrent
    /// callers never get the same item.
    async fn claim_due_work(
        &self,
        worker: &str,
        kinds: &[WorkKind],
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<WorkItem>>;

    /// Ends `worker`'s lease on an item: removes it (`next_due` `None`) or queues it
    /// again for `next_due` (a list page's next visit, a retry). False when the worker
    /// no longer holds the lease (it ended and was released or claimed by another), in
    /// which case nothing changes.
    async fn complete_work(
        &self,
        id: WorkId,
        worker: &str,
        next_due: Option<DateTime<Utc>>,
    ) -> Result<bool>;

    /// Clears the leases that have ended (a worker died), so their items show as free;
    /// returns how many. Claiming already ignores ended leases; this keeps the table
    /// honest for monitoring.
    async fn release_expired_leases(&self) -> Result<u64>;

    /// What the work queue holds now.
    async fn queue_stats(&self) -> Result<QueueStats>;

    /// Records a worker's heartbeat and activity (insert or replace by id).
    async fn report_worker(&self, status: &WorkerStatus) -> Result<()>;

    /// Every worker that has reported, most recently seen first.
    async fn workers(&self) -> Result<Vec<WorkerStatus>>;
}

/// Per-host politeness across all workers: each host has `concurrency` slots, each
/// with the next time it may start something.
#[async_trait]
pub trait HostSlots: Send + Sync {
    /// Asks to start a fetch on `host`, which allows `concurrency` starts per `interval`
    /// across all workers: a granted start moves its slot `interval` ahead. Atomic
    /// across workers.
    async fn claim_host_slot(
        &self,
        host: &str,
        interval: Duration,
        concurrency: u32,
    ) -> Result<HostSlot>;

    /// Holds one of `host`'s `concurrency` slots for the length of a fetch: the lowest
    /// slot free now is marked held by `holder` until `hold` from now (so a holder that
    /// dies frees it then) → [`HostHold::Held`]; with none free,
    /// [`HostHold::NotBefore`] the earliest time one may be. Shares the slots of
    /// [`claim_host_slot`](HostSlots::claim_host_slot). Atomic across workers.
    async fn hold_host_slot(
        &self,
        host: &str,
        holder: &str,
        concurrency: u32,
        hold: Duration,
    ) -> Result<HostHold>;

    /// Ends `holder`'s hold on a slot: it rests for `gap` (the host's delay) from now,
    /// then is free. False when the hold had run out and the slot was taken by
    /// someone else (nothing changes then).
    async fn release_host_slot(
        &self,
        host: &str,
        slot: u32,
        holder: &str,
        gap: Duration,
    ) -> Result<bool>;

    /// Renews `holder`'s holds on host slots it is still fetching on (`(host, slot)`),
    /// to `hold` from now (never shorter); a slot no longer held by `holder` is left
    /// alone. Answers how many were renewed.
    async fn renew_host_holds(
        &self,
        holder: &str,
        slots: &[(String, u32)],
        hold: Duration,
    ) -> Result<u64>;

    /// Pauses `host` for every worker until `until`: it answered a verification
    /// (anti-bot) page, `reason` says which. A longer pause already stored is kept.
    async fn pause_host(&self, host: &str, until: DateTime<Utc>, reason: &str) -> Result<()>;

    /// The pause on `host` that lasts past now, if there is one.
    async fn host_pause(&self, host: &str) -> Result<Option<HostPause>>;
}

/// What a work item asks a worker to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WorkKind {
    /// A source's list page, revisited on a schedule.
    ListPage,
    /// An article page found on a list page.
    Article,
}

impl WorkKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::ListPage => "list_page",
            WorkKind::Article => "article",
        }
    }

    /// The kind for a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "list_page" => Some(WorkKind::ListPage),
            "article" => Some(WorkKind::Article),
            _ => None,
        }
    }
}

/// Work to put in the queue. A `(kind, url)` already queued keeps one entry, due at the
/// earlier of the two times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWork {
    pub kind: WorkKind,
    /// The configured source the URL belongs to.
    pub source_id: String,
    pub url: String,
    /// Not to be fetched before this time.
    pub due_at: DateTime<Utc>,
    /// What the scheduler knows that the worker will need (for an article: the link
    /// text and date of its list page, as JSON); kept from the first scheduling.
    pub note: Option<String>,
    /// The run (a worker's list-page visit) that queued it, whose figures its outcome
    /// adds to; kept from the first scheduling.
    pub run: Option<RunId>,
}

/// A list URL a worker seeds the queue with at start
/// ([`WorkQueue::seed_list_pages`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPageSeed {
    pub source_id: String,
    pub url: String,
    /// The source's interval between two visits: a page already queued is due at the
    /// latest this long from now (the interval may have been shortened).
    pub interval: Duration,
}

/// A work item a worker has leased: nobody else is given it until the lease ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    pub id: WorkId,
    pub kind: WorkKind,
    pub source_id: String,
    pub url: String,
    pub due_at: DateTime<Utc>,
    /// When the lease ends; after that another worker may claim the item.
    pub lease_until: DateTime<Utc>,
    /// How many times the item has been claimed since it was last completed (1 on the
    /// first claim), so a worker can give up on an item that keeps failing.
    pub attempts: u32,
    /// The note it was scheduled with.
    pub note: Option<String>,
    /// The run that queued it ([`NewWork::run`]).
    pub run: Option<RunId>,
}

/// The answer to a request to start a fetch on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSlot {
    /// Start now; the slot is taken for the requested interval.
    Granted,
    /// Every slot is taken: ask again at this time.
    NotBefore(DateTime<Utc>),
}

/// The answer to a request to hold a host slot for the length of a fetch
/// ([`HostSlots::hold_host_slot`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostHold {
    /// Slot `slot` is held for the caller until it releases it (or the hold runs out).
    Held { slot: u32 },
    /// Every slot is held or resting: ask again then (a held slot may come free
    /// sooner, when its holder releases it).
    NotBefore(DateTime<Utc>),
}

/// A host left alone by every worker ([`HostSlots::pause_host`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPause {
    /// When workers may ask the host again.
    pub until: DateTime<Utc>,
    /// Why: the verification page met (vendor and evidence).
    pub reason: String,
}

/// What a worker is doing, as it reports itself
/// ([`WorkQueue::report_worker`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStatus {
    /// Unique per process: `--id`, by default `<host name>-<pid>`.
    pub id: String,
    pub host_name: String,
    pub pid: u32,
    pub state: WorkerState,
    pub started_at: DateTime<Utc>,
    /// The last heartbeat.
    pub last_seen: DateTime<Utc>,
    /// Work items finished (list pages and article pages).
    pub items_done: u64,
    /// Articles this worker added to the store.
    pub articles_new: u64,
    /// Items that failed (a retry counts again).
    pub errors: u64,
    /// The URL being worked on, `None` when idle.
    pub current_item: Option<String>,
    pub last_error: Option<String>,
}

/// A worker's life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkerState {
    Running,
    /// Asked to stop: finishing or giving back its current items.
    Stopping,
    Stopped,
}

impl WorkerState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerState::Running => "running",
            WorkerState::Stopping => "stopping",
            WorkerState::Stopped => "stopped",
        }
    }

    /// The state for a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "running" => Some(WorkerState::Running),
            "stopping" => Some(WorkerState::Stopping),
            "stopped" => Some(WorkerState::Stopped),
            _ => None,
        }
    }
}

/// How much work the queue holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Due and free: any worker may claim these now.
    pub due: u64,
    /// Leased by a worker whose lease has not ended.
    pub leased: u64,
    /// Not due yet (list pages waiting for their next visit, retries).
    pub waiting: u64,
    /// Article pages in the queue, in any of those states: a crawl has caught up when
    /// none is left and nothing is leased.
    pub articles: u64,
}

/// `now + d`, saturating far in the future.
pub(crate) fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// One entry per `(kind, url)`, the earliest due time winning.
pub(crate) fn earliest(items: &[NewWork]) -> Vec<&NewWork> {
    let mut by_key: HashMap<(WorkKind, &str), &NewWork> = HashMap::new();
    for item in items {
        by_key
            .entry((item.kind, item.url.as_str()))
            .and_modify(|e| {
                if item.due_at < e.due_at {
                    *e = item;
                }
            })
            .or_insert(item);
    }
    let mut out: Vec<&NewWork> = by_key.into_values().collect();
    out.sort_by(|a, b| (a.due_at, &a.url).cmp(&(b.due_at, &b.url)));
    out
}
