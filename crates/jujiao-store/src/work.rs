//! The values of the shared work queue that lets several crawler workers split one crawl:
//! what to fetch and when ([`NewWork`]), what a worker has leased ([`WorkItem`]), and
//! per-host politeness ([`HostSlot`]). See "Work queue" in `SCHEMA.md`.

use crate::types::WorkId;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;

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
/// ([`Store::hold_host_slot`](crate::Store::hold_host_slot)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostHold {
    /// Slot `slot` is held for the caller until it releases it (or the hold runs out).
    Held { slot: u32 },
    /// Every slot is held or resting: ask again then (a held slot may come free
    /// sooner, when its holder releases it).
    NotBefore(DateTime<Utc>),
}

/// What a worker is doing, as it reports itself
/// ([`Store::report_worker`](crate::Store::report_worker)).
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
