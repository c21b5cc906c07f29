//! Claiming work and keeping it: each task's loop claims one due item with a lease,
//! hands it to `items`, and completes it; leases and host-slot holds are renewed every
//! third of the lease, and an item whose lease was taken over records nothing.

use super::summary::bump;
use super::{Worker, jitter};
use jujiao_store::{WorkId, WorkItem, WorkKind};
use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, warn};

impl Worker {
    /// Renews the leases of the items in hand and the holds on the host slots being
    /// fetched on; an item whose lease is gone is marked lost.
    pub(super) async fn renew(&self) {
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
    pub(super) fn mark_lost(&self, asked: &[WorkId], held: &[WorkId]) {
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
    pub(super) async fn still_holds(&self, item: &WorkItem) -> bool {
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

    pub(super) async fn task_loop(&self, n: usize, mut stop: watch::Receiver<bool>) {
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
}

/// A third of the lease: two renewals may fail before the lease runs out.
pub(super) fn renewal_period(lease: Duration) -> Duration {
    (lease / 3).max(Duration::from_millis(10))
}
