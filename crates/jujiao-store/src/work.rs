//! The values of the shared work queue that lets several crawler workers split one crawl:
//! what to fetch and when ([`NewWork`]), what a worker has leased ([`WorkItem`]), and
//! per-host politeness ([`HostSlot`]). See "Work queue" in `SCHEMA.md`.
//!
//! The statements both backends run with the same text live in [`sql`], and the row
//! mappings in the `work_item_from_row!` / `worker_from_row!` macros (each backend has
//! its own `Decoder` type with the same methods), so the SQLite and PostgreSQL modules
//! keep only what their dialects really spell differently.

use crate::types::{RunId, WorkId};
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
    /// The run (a worker's list-page visit) that queued it, whose figures its outcome
    /// adds to; kept from the first scheduling.
    pub run: Option<RunId>,
}

/// A list URL a worker seeds the queue with at start
/// ([`Store::seed_list_pages`](crate::Store::seed_list_pages)).
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

/// Statements the SQLite and PostgreSQL modules share word for word (both take `$n`
/// parameters; only the bound time values differ in type).
pub(crate) mod sql {
    /// The columns [`work_item_from_row!`] reads, in its order.
    pub(crate) const WORK_ITEM_COLUMNS: &str =
        "id, kind, source_id, url, due_at, lease_until, attempts, note, run_id";

    /// `$1` id, `$2` worker: the holder removes its item.
    pub(crate) const COMPLETE_REMOVE: &str =
        "DELETE FROM work_queue WHERE id = $1 AND leased_by = $2";

    /// `$1` id, `$2` worker, `$3` next due: the holder queues its item again.
    pub(crate) const COMPLETE_AGAIN: &str = "UPDATE work_queue SET due_at = $3, leased_by = NULL, lease_until = NULL, \
         attempts = 0 WHERE id = $1 AND leased_by = $2";

    /// `$1` url, `$2` latest due time: a queued list page brought forward to at most
    /// `$2`, never pushed back.
    pub(crate) const SEED_BRING_FORWARD: &str = "UPDATE work_queue SET due_at = CASE WHEN due_at > $2 THEN $2 ELSE due_at END \
         WHERE kind = 'list_page' AND url = $1";

    /// `$1` url, `$2` source, `$3` now: a list page not yet queued, due now.
    pub(crate) const SEED_INSERT: &str = "INSERT INTO work_queue (kind, url, source_id, due_at) VALUES ('list_page', $1, $2, $3) \
         ON CONFLICT (kind, url) DO NOTHING";

    /// `$1` host, `$2` slot, `$3` holder, `$4` new hold end: a hold renewed only by its
    /// holder, never shortened.
    pub(crate) const RENEW_HOLD: &str = "UPDATE host_slots SET next_start_at = \
            CASE WHEN next_start_at < $4 THEN $4 ELSE next_start_at END \
         WHERE host = $1 AND slot = $2 AND held_by = $3";

    /// `$1` host, `$2` slot, `$3` holder, `$4` rest until.
    pub(crate) const RELEASE_HOLD: &str = "UPDATE host_slots SET next_start_at = $4, held_by = NULL \
         WHERE host = $1 AND slot = $2 AND held_by = $3";

    /// A run's figures grown by an article's outcome: `$1` run, `$2` now, `$3` article
    /// pages, `$4` new, `$5` updated, `$6` unchanged, `$7` duplicates, `$8` errors,
    /// `$9` verdict that replaces an `ok` one (empty: none).
    pub(crate) const ADD_TO_RUN: &str = "UPDATE runs SET finished_at = $2, \
            article_pages = COALESCE(article_pages, 0) + $3, \
            new_articles = COALESCE(new_articles, 0) + $4, \
            updated = COALESCE(updated, 0) + $5, \
            unchanged = COALESCE(unchanged, 0) + $6, \
            duplicates = COALESCE(duplicates, 0) + $7, \
            errors = COALESCE(errors, 0) + $8, \
            verdict = CASE WHEN $9 <> '' AND (verdict IS NULL OR verdict = 'ok') \
                THEN $9 ELSE verdict END \
         WHERE id = $1";

    /// A worker's heartbeat, an upsert by id.
    pub(crate) const REPORT_WORKER: &str = "INSERT INTO workers (id, host_name, pid, state, started_at, last_seen, items_done, \
            articles_new, errors, current_item, last_error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (id) DO UPDATE SET host_name = excluded.host_name, pid = excluded.pid, \
            state = excluded.state, started_at = excluded.started_at, \
            last_seen = excluded.last_seen, items_done = excluded.items_done, \
            articles_new = excluded.articles_new, errors = excluded.errors, \
            current_item = excluded.current_item, last_error = excluded.last_error";

    /// Every worker, in the order [`worker_from_row!`] reads.
    pub(crate) const WORKERS: &str = "SELECT id, host_name, pid, state, started_at, last_seen, items_done, articles_new, \
            errors, current_item, last_error FROM workers ORDER BY last_seen DESC, id";
}

/// A [`WorkItem`] from a row of [`sql::WORK_ITEM_COLUMNS`], through a backend's
/// `Decoder` (`text`, `int`, `opt_int`, `timestamp`, `revision`, `opt_text`, `corrupt`).
macro_rules! work_item_from_row {
    ($d:expr) => {{
        let d = $d;
        let kind = d.text(1)?;
        crate::work::WorkItem {
            id: crate::types::WorkId(d.int(0)?),
            kind: crate::work::WorkKind::parse(&kind)
                .ok_or_else(|| d.corrupt("work kind", kind.clone()))?,
            source_id: d.text(2)?,
            url: d.text(3)?,
            due_at: d.timestamp(4)?,
            lease_until: d.timestamp(5)?,
            attempts: d.revision(6)?,
            note: d.opt_text(7)?,
            run: d.opt_int(8)?.map(crate::types::RunId),
        }
    }};
}
pub(crate) use work_item_from_row;

/// A [`WorkerStatus`] from a row of [`sql::WORKERS`], through a backend's `Decoder`.
macro_rules! worker_from_row {
    ($d:expr) => {{
        let d = $d;
        let state = d.text(3)?;
        let pid = d.int(2)?;
        crate::work::WorkerStatus {
            id: d.text(0)?,
            host_name: d.text(1)?,
            pid: u32::try_from(pid)
                .map_err(|_| d.corrupt("worker pid", format!("{pid} is out of range")))?,
            state: crate::work::WorkerState::parse(&state)
                .ok_or_else(|| d.corrupt("worker state", state.clone()))?,
            started_at: d.timestamp(4)?,
            last_seen: d.timestamp(5)?,
            items_done: d.count(6)?,
            articles_new: d.count(7)?,
            errors: d.count(8)?,
            current_item: d.opt_text(9)?,
            last_error: d.opt_text(10)?,
        }
    }};
}
pub(crate) use worker_from_row;
