//! Per-host politeness: a concurrency limit and a minimum gap between request starts.
//!
//! [`HostKey`] names a host as scheme + host + port. [`HostGates`] keeps one
//! [`HostGate`] per key: a semaphore for the concurrency limit and a start
//! schedule. Each caller reserves the next start slot under a lock (so starts are
//! spaced by the delay even when several requests may run at once), then sleeps
//! until its slot. The clock is tokio's, so tests run it paused.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::config::Politeness;

/// A host as politeness sees it: `scheme://host:port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostKey(String);

impl HostKey {
    /// The key of `url`'s origin; `None` when it has no host.
    pub fn of(url: &Url) -> Option<Self> {
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        Some(Self(format!("{}://{host}:{port}", url.scheme())))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Start schedule of one host: when the last request started and the
/// `Crawl-delay` its robots.txt asked for.
#[derive(Debug, Default)]
struct Schedule {
    last_start: Option<Instant>,
    crawl_delay: Option<Duration>,
}

impl Schedule {
    /// Reserve the first start at or after `now` that is `delay` after the
    /// previous one; returns when to start.
    fn reserve(&mut self, now: Instant, delay: Duration) -> Instant {
        let start = self.last_start.map_or(now, |last| (last + delay).max(now));
        self.last_start = Some(start);
        start
    }
}

/// Limits for one host.
#[derive(Debug)]
pub struct HostGate {
    slots: Arc<Semaphore>,
    schedule: Mutex<Schedule>,
}

/// Held while a request to a host is in flight; dropping it frees the slot.
#[derive(Debug)]
pub struct HostPermit {
    _permit: OwnedSemaphorePermit,
}

impl HostGate {
    fn new(politeness: &Politeness) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(politeness.host_concurrency.max(1))),
            schedule: Mutex::new(Schedule::default()),
        }
    }

    fn schedule(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.schedule.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// All hosts' gates, created on first use.
#[derive(Debug)]
pub struct HostGates {
    politeness: Politeness,
    gates: Mutex<HashMap<HostKey, Arc<HostGate>>>,
}

impl HostGates {
    /// Gates following `politeness`.
    pub fn new(politeness: Politeness) -> Self {
        Self {
            politeness,
            gates: Mutex::new(HashMap::new()),
        }
    }

    fn gate(&self, key: &HostKey) -> Arc<HostGate> {
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            gates
                .entry(key.clone())
                .or_insert_with(|| Arc::new(HostGate::new(&self.politeness))),
        )
    }

    /// Wait for a free slot on `key` and for its next start time. `source_delay`
    /// is a source's own delay, replacing the configured one for this request.
    pub async fn acquire(&self, key: &HostKey, source_delay: Option<Duration>) -> HostPermit {
        let gate = self.gate(key);
        let permit = Arc::clone(&gate.slots)
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        let start = {
            let mut schedule = gate.schedule();
            let delay = self
                .politeness
                .effective_delay(source_delay, schedule.crawl_delay);
            schedule.reserve(Instant::now(), delay)
        };
        tokio::time::sleep_until(start).await;
        HostPermit { _permit: permit }
    }

    /// The gap `key` gets now without a source override.
    pub fn delay(&self, key: &HostKey) -> Duration {
        let crawl_delay = self.gate(key).schedule().crawl_delay;
        self.politeness.effective_delay(None, crawl_delay)
    }

    /// Record a robots.txt `Crawl-delay` (or its absence) for `key`.
    pub fn apply_crawl_delay(&self, key: &HostKey, crawl_delay: Option<Duration>) {
        self.gate(key).schedule().crawl_delay = crawl_delay;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn key() -> HostKey {
        HostKey::of(&Url::parse("https://gov.example/a").expect("valid")).expect("has host")
    }

    #[test]
    fn host_key_includes_scheme_and_port() {
        let k = |s: &str| HostKey::of(&Url::parse(s).expect("valid")).expect("host");
        assert_eq!(k("https://a.example/x?y").as_str(), "https://a.example:443");
        assert_eq!(k("http://a.example/").as_str(), "http://a.example:80");
        assert_ne!(k("http://a.example:8080/"), k("http://a.example/"));
        assert_ne!(k("http://a.example/"), k("https://a.example/"));
        assert_eq!(k("http://A.example:80/"), k("http://a.example/"));
    }

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_by_the_delay() {
        let gates = Arc::new(HostGates::new(Politeness {
            host_concurrency: 4,
            min_delay: Duration::from_secs(1),
            ..Politeness::default()
        }));
        let origin = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let gates = Arc::clone(&gates);
            tasks.push(tokio::spawn(async move {
                let _permit = gates.acquire(&key(), None).await;
                Instant::now() - origin
            }));
        }
        let mut starts = Vec::new();
        for task in tasks {
            starts.push(task.await.expect("task").as_secs());
        }
        starts.sort_unstable();
        assert_eq!(starts, vec![0, 1, 2, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_capped_per_host() {
        let gates = Arc::new(HostGates::new(Politeness::off(2)));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (gates, in_flight, peak) = (
                Arc::clone(&gates),
                Arc::clone(&in_flight),
                Arc::clone(&peak),
            );
            tasks.push(tokio::spawn(async move {
                let _permit = gates.acquire(&key(), None).await;
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        let origin = Instant::now();
        for task in tasks {
            task.await.expect("task");
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!((Instant::now() - origin).as_secs(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn crawl_delay_raises_the_gap_for_that_host_only() {
        let gates = HostGates::new(Politeness::default());
        let other =
            HostKey::of(&Url::parse("https://other.example/").expect("valid")).expect("host");
        gates.apply_crawl_delay(&key(), Some(Duration::from_secs(5)));
        assert_eq!(gates.delay(&key()), Duration::from_secs(5));
        assert_eq!(gates.delay(&other), Duration::from_secs(1));
        let origin = Instant::now();
        drop(gates.acquire(&key(), None).await);
        drop(gates.acquire(&key(), None).await);
        assert_eq!((Instant::now() - origin).as_secs(), 5);
        drop(gates.acquire(&other, None).await);
        drop(gates.acquire(&other, None).await);
        assert_eq!((Instant::now() - origin).as_secs(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn source_delay_replaces_ours_but_not_a_larger_crawl_delay() {
        let gates = HostGates::new(Politeness::default());
        let origin = Instant::now();
        let fast = Some(Duration::from_millis(100));
        drop(gates.acquire(&key(), fast).await);
        drop(gates.acquire(&key(), fast).await);
        assert_eq!((Instant::now() - origin).as_millis(), 100);
        gates.apply_crawl_delay(&key(), Some(Duration::from_secs(2)));
        drop(gates.acquire(&key(), fast).await);
        assert_eq!((Instant::now() - origin).as_millis(), 2_100);
    }
}
