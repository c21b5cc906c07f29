//! What a worker did: its counters, the [`WorkerReport`] they make, and the heartbeat
//! it records for `jujiao serve`.

use super::{Worker, host_name};
use crate::report::{Event, Observer};
use crate::tally::Tally;
use chrono::Utc;
use jujiao_store::{WorkerState, WorkerStatus};
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::warn;

/// What a worker did, for its summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WorkerReport {
    pub items_done: u64,
    pub list_pages: u64,
    pub articles_queued: u64,
    /// The articles recorded, by outcome (counted as a run counts them).
    pub tally: Tally,
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
pub(super) struct Counters {
    pub(super) items_done: AtomicU64,
    pub(super) list_pages: AtomicU64,
    pub(super) articles_queued: AtomicU64,
    pub(super) tally: Mutex<Tally>,
    pub(super) already_stored: AtomicU64,
    pub(super) deferred: AtomicU64,
    pub(super) errors: AtomicU64,
    pub(super) skipped: AtomicU64,
    pub(super) leases_lost: AtomicU64,
}

pub(super) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Worker {
    /// What the worker did so far.
    pub fn report(&self) -> WorkerReport {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WorkerReport {
            items_done: get(&c.items_done),
            list_pages: get(&c.list_pages),
            articles_queued: get(&c.articles_queued),
            tally: *c.tally.lock().unwrap_or_else(PoisonError::into_inner),
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

    pub(super) async fn heartbeat(&self, state: WorkerState) {
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
            articles_new: self
                .counters
                .tally
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .new,
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

    pub(super) fn failed(&self, message: String) {
        bump(&self.counters.errors);
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(message);
    }
}

/// Logs a list page's warnings.
pub(super) struct LogObserver<'a>(pub(super) &'a str);

impl Observer for LogObserver<'_> {
    fn event(&self, source_id: &str, event: Event) {
        if let Event::Warning(w) = event {
            warn!(worker = %self.0, source = %source_id, "{w}");
        }
    }
}
