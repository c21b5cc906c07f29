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

/// Start schedule of one host: when the next request may start and the gap.
#[derive(Debug)]
struct Schedule {
    next_start: Option<Instant>,
    delay: Duration,
}

impl Schedule {
    /// Reserve a start slot at or after `now`; returns when to start.
    fn reserve(&mut self, now: Instant) -> Instant {
        let start = self.next_start.map_or(now, |next| next.max(now));
        self.next_start = Some(start + self.delay);
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
            schedule: Mutex::new(Schedule {
                next_start: None,
                delay: politeness.min_delay,
            }),
        }
    }

    /// Wait for a free slot and for this host's next start time.
    pub async fn acquire(&self) -> HostPermit {
        let permit = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        let start = self
            .schedule
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reserve(Instant::now());
        tokio::time::sleep_until(start).await;
        HostPermit { _permit: permit }
    }

    /// The current gap between starts.
    pub fn delay(&self) -> Duration {
        self.schedule
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .delay
    }

    fn set_delay(&self, delay: Duration) {
        self.schedule
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .delay = delay;
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

    /// The gate of `key`.
    pub fn gate(&self, key: &HostKey) -> Arc<HostGate> {
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            gates
                .entry(key.clone())
                .or_insert_with(|| Arc::new(HostGate::new(&self.politeness))),
        )
    }

    /// Apply a robots.txt `Crawl-delay` (or its absence) to `key`.
    pub fn apply_crawl_delay(&self, key: &HostKey, crawl_delay: Option<Duration>) {
        self.gate(key)
            .set_delay(self.politeness.effective_delay(crawl_delay));
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
                let _permit = gates.gate(&key()).acquire().await;
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
                let _permit = gates.gate(&key()).acquire().await;
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
        assert_eq!(gates.gate(&key()).delay(), Duration::from_secs(5));
        assert_eq!(gates.gate(&other).delay(), Duration::from_secs(1));
        let origin = Instant::now();
        drop(gates.gate(&key()).acquire().await);
        drop(gates.gate(&key()).acquire().await);
        assert_eq!((Instant::now() - origin).as_secs(), 5);
    }
}
