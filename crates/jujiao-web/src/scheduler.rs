//! Runs every source on its interval inside `jujiao serve`.
//!
//! One task per source, so runs of one source never overlap (the next run is planned
//! only when the previous one has finished). The plan survives restarts because it is
//! derived from the store's runs: the first run is due at the last run's start plus the
//! interval, or at once when that is past ([`first_delay`]). A failed run (unreachable,
//! blocked, some pages failed) is retried sooner: 5 minutes, doubling per consecutive
//! failure, never later than the interval ([`next_delay`]).
//!
//! Waiting uses `tokio::time`, so tests drive the schedule with tokio's paused clock.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The first retry delay after a failed run.
pub const RETRY_BASE: Duration = Duration::from_secs(5 * 60);

/// What a run reports back to the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunResult {
    /// True when the run should be retried sooner (unreachable, blocked, errors).
    pub is_failure: bool,
}

/// Runs one source once. The real one crawls ([`crate::CrawlRunner`]).
#[async_trait]
pub trait SourceRunner: Send + Sync + 'static {
    async fn run(&self, source_id: &str) -> RunResult;
}

/// A source's place in the schedule, for the sources page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceStatus {
    pub is_running: bool,
    /// When the next run is due (wall clock), `None` while running.
    pub next_run: Option<DateTime<Utc>>,
    /// Consecutive failed runs.
    pub failures: u32,
}

/// What asking for an immediate run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerOutcome {
    Queued,
    /// The source is running now; nothing queued.
    AlreadyRunning,
    UnknownSource,
}

/// When a source's first run is due, given its last run's start.
pub fn first_delay(
    last_start: Option<DateTime<Utc>>,
    interval: Duration,
    now: DateTime<Utc>,
) -> Duration {
    let Some(last) = last_start else {
        return Duration::ZERO;
    };
    let Ok(interval) = chrono::Duration::from_std(interval) else {
        return Duration::ZERO;
    };
    (last + interval - now).to_std().unwrap_or(Duration::ZERO)
}

/// How long after a run finishes the next is due: the interval counted from the run's
/// start after a success; after `failures` consecutive failures, [`RETRY_BASE`] doubled
/// per further failure, at most the interval.
pub fn next_delay(ran_for: Duration, interval: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return interval.saturating_sub(ran_for);
    }
    let factor = 1u32.checked_shl(failures - 1).unwrap_or(u32::MAX);
    RETRY_BASE.saturating_mul(factor).min(interval)
}

/// One source to schedule.
#[derive(Debug, Clone)]
pub struct Planned {
    pub id: String,
    pub interval: Duration,
    /// Start of its last run (from the store), if any.
    pub last_start: Option<DateTime<Utc>>,
}

struct Slot {
    status: Arc<Mutex<SourceStatus>>,
    trigger: mpsc::Sender<()>,
}

/// The running scheduler: status per source and "run now". Dropping every clone stops
/// the source tasks.
#[derive(Clone)]
pub struct SchedulerHandle {
    slots: Arc<HashMap<String, Slot>>,
    _tasks: Arc<Mutex<JoinSet<()>>>,
}

impl std::fmt::Debug for SchedulerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerHandle")
            .field("sources", &self.slots.len())
            .finish()
    }
}

impl SchedulerHandle {
    /// Starts one task per source on the current runtime.
    pub fn start(sources: Vec<Planned>, runner: &Arc<dyn SourceRunner>) -> SchedulerHandle {
        let now = Utc::now();
        let mut tasks = JoinSet::new();
        let mut slots = HashMap::new();
        for planned in sources {
            let (tx, rx) = mpsc::channel(1);
            let status = Arc::new(Mutex::new(SourceStatus::default()));
            let delay = first_delay(planned.last_start, planned.interval, now);
            tasks.spawn(source_loop(
                planned.id.clone(),
                planned.interval,
                delay,
                Arc::clone(runner),
                Arc::clone(&status),
                rx,
            ));
            slots.insert(
                planned.id,
                Slot {
                    status,
                    trigger: tx,
                },
            );
        }
        SchedulerHandle {
            slots: Arc::new(slots),
            _tasks: Arc::new(Mutex::new(tasks)),
        }
    }

    /// The status of a source, `None` if it is not scheduled.
    pub fn status(&self, id: &str) -> Option<SourceStatus> {
        self.slots.get(id).map(|s| lock(&s.status).clone())
    }

    /// Asks for a run of `id` now (after the current one, if running, is refused).
    pub fn trigger(&self, id: &str) -> TriggerOutcome {
        let Some(slot) = self.slots.get(id) else {
            return TriggerOutcome::UnknownSource;
        };
        if lock(&slot.status).is_running {
            return TriggerOutcome::AlreadyRunning;
        }
        // A full channel means a run is already queued: that is what was asked for.
        let _ = slot.trigger.try_send(());
        TriggerOutcome::Queued
    }
}

fn lock(m: &Mutex<SourceStatus>) -> std::sync::MutexGuard<'_, SourceStatus> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn source_loop(
    id: String,
    interval: Duration,
    mut delay: Duration,
    runner: Arc<dyn SourceRunner>,
    status: Arc<Mutex<SourceStatus>>,
    mut trigger: mpsc::Receiver<()>,
) {
    let mut failures = 0u32;
    loop {
        {
            let mut s = lock(&status);
            s.is_running = false;
            s.next_run = chrono::Duration::from_std(delay)
                .ok()
                .map(|d| Utc::now() + d);
            s.failures = failures;
        }
        let due = Instant::now() + delay;
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            got = trigger.recv() => {
                if got.is_none() {
                    return;
                }
                tracing::info!(source = %id, "run requested");
            }
        }
        {
            let mut s = lock(&status);
            s.is_running = true;
            s.next_run = None;
        }
        let started = Instant::now();
        let result = runner.run(&id).await;
        let ran_for = started.elapsed();
        failures = if result.is_failure {
            failures.saturating_add(1)
        } else {
            0
        };
        delay = next_delay(ran_for, interval, failures);
        // A request made while this run was going is answered by it.
        while trigger.try_recv().is_ok() {}
        tracing::info!(source = %id, failed = result.is_failure, next_in_s = delay.as_secs(), "scheduled run finished");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_run_is_due_one_interval_after_the_last_start() {
        let now = Utc::now();
        let hour = Duration::from_secs(3600);
        assert_eq!(first_delay(None, hour, now), Duration::ZERO);
        let last = now - chrono::Duration::minutes(20);
        assert_eq!(
            first_delay(Some(last), hour, now),
            Duration::from_secs(40 * 60)
        );
        let overdue = now - chrono::Duration::hours(3);
        assert_eq!(first_delay(Some(overdue), hour, now), Duration::ZERO);
    }

    #[test]
    fn failures_back_off_up_to_the_interval() {
        let hour = Duration::from_secs(3600);
        let ran = Duration::from_secs(60);
        assert_eq!(next_delay(ran, hour, 0), Duration::from_secs(59 * 60));
        assert_eq!(next_delay(ran, hour, 1), Duration::from_secs(5 * 60));
        assert_eq!(next_delay(ran, hour, 2), Duration::from_secs(10 * 60));
        assert_eq!(next_delay(ran, hour, 3), Duration::from_secs(20 * 60));
        assert_eq!(next_delay(ran, hour, 4), Duration::from_secs(40 * 60));
        assert_eq!(next_delay(ran, hour, 5), hour);
        assert_eq!(next_delay(ran, hour, 40), hour);
        // A run longer than the interval starts the next one at once.
        assert_eq!(next_delay(hour * 2, hour, 0), Duration::ZERO);
    }
}
