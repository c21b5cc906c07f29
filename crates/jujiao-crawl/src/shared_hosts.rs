//! Per-host politeness shared by every worker through the store.
//!
//! One process keeps hosts polite with the fetcher's in-process gates. Several workers on
//! several machines cannot: each would allow a host its full concurrency. So a worker's
//! fetcher is wrapped in [`SharedHosts`], which holds one of the host's slots in the
//! database ([`HostSlots::hold_host_slot`]) for the length of each fetch and, when the fetch
//! is over, lets the slot rest for the host's delay ([`HostSlots::release_host_slot`]): at
//! most `concurrency_per_host` requests in flight per host across all workers, and each
//! slot idle for the delay (the source's own, else the global one, raised to the
//! host's robots.txt `Crawl-delay`) between two requests. The wrapped fetcher is built
//! with its own gates open ([`worker_fetcher_config`]) so the delay is not paid twice.
//! A worker that dies while holding a slot frees it when its hold runs out; a live one
//! renews the holds of its fetches in progress ([`SharedHosts::renew_holds`], called
//! with the worker's lease renewal), so a fetch slower than the hold keeps its slot.
//!
//! robots.txt is a request like any page: when the worker has no fresh copy for the
//! host, it fetches it alone under the slot ([`Fetch::refresh_robots`]), lets the slot
//! rest for the delay (now with the host's `Crawl-delay` known) and waits for a slot
//! again before the page. (Each worker keeps its own copy, so each asks once per host;
//! before, that request went out inside the page's slot, right before the page, and
//! with 4 workers the host saw robots.txt 33 ms after another request although a
//! 0.5 s delay was set.)
//!
//! [`HostSlots::hold_host_slot`]: jujiao_store::HostSlots::hold_host_slot
//! [`HostSlots::release_host_slot`]: jujiao_store::HostSlots::release_host_slot

use jujiao_config::{Config, SourceKind};
use jujiao_fetch::politeness::HostKey;
use jujiao_fetch::{Fetch, FetchError, FetchRequest, FetchResponse, FetcherConfig, Politeness};
use jujiao_store::{HostHold, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tracing::debug;
use url::Url;

/// The longest a worker sleeps before asking again for a busy host's slot: a slot held
/// by a fetch shows the hold's end, but its holder usually gives it back much sooner.
pub const SLOT_POLL: Duration = Duration::from_millis(25);

/// The fetcher settings of a worker: those of the sources file, with the in-process
/// host gates open, because [`SharedHosts`] enforces concurrency and delay across all
/// workers.
pub fn worker_fetcher_config(config: &Config) -> FetcherConfig {
    let mut f = crate::fetcher_config(config);
    f.politeness = Politeness::off(256);
    f
}

/// The configuration as the worker's own fetcher should see it: sources without their
/// own delay (which would otherwise be waited for in-process as well). Register the
/// sources' headers and cookies with this.
pub fn without_source_delays(config: &Config) -> Config {
    let mut c = config.clone();
    for s in &mut c.sources {
        s.delay = None;
    }
    c
}

/// A fetcher whose requests wait for a host slot held in the store.
pub struct SharedHosts {
    inner: Arc<dyn Fetch>,
    store: Arc<dyn Store>,
    holder: String,
    politeness: Politeness,
    concurrency: u32,
    /// How long a slot stays held if its holder never gives it back.
    hold: Duration,
    source_delays: HashMap<String, Duration>,
    /// The slots this worker holds now, with how many fetches hold each (one, unless
    /// a hold ran out and the same slot was taken again).
    held: std::sync::Mutex<HashMap<(String, u32), usize>>,
}

impl std::fmt::Debug for SharedHosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedHosts")
            .field("holder", &self.holder)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// A slot held for one fetch.
#[derive(Debug, Clone)]
pub struct HeldSlot {
    host: String,
    slot: u32,
}

impl SharedHosts {
    /// Shares `config`'s per-host limits through `store`; `holder` names the worker in
    /// the slots it holds, `hold` is how long a slot stays held if the worker dies.
    pub fn new(
        config: &Config,
        inner: Arc<dyn Fetch>,
        store: Arc<dyn Store>,
        holder: &str,
        hold: Duration,
    ) -> SharedHosts {
        let politeness = crate::fetcher_config(config).politeness;
        let source_delays = config
            .sources
            .iter()
            .filter_map(|s| s.delay.map(|d| (s.id.clone(), d)))
            .collect();
        SharedHosts {
            inner,
            store,
            holder: holder.to_owned(),
            concurrency: u32::try_from(politeness.host_concurrency.max(1)).unwrap_or(u32::MAX),
            politeness,
            hold,
            source_delays,
            held: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The hosts a configuration's sources start on (for messages).
    pub fn hosts_of(config: &Config) -> Vec<String> {
        let mut hosts: Vec<String> = config
            .sources
            .iter()
            .filter_map(|s| match &s.kind {
                SourceKind::Html(h) => h.list_urls.first().and_then(HostKey::of),
                _ => None,
            })
            .map(|k| k.as_str().to_owned())
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }

    /// Tries once to hold a slot of `url`'s host: `Ok(Err(at))` means every slot is
    /// busy, ask again at `at` at the latest (a holder may give its slot back sooner).
    pub async fn try_hold(
        &self,
        url: &Url,
    ) -> Result<Result<HeldSlot, chrono::DateTime<chrono::Utc>>, jujiao_store::StoreError> {
        let Some(key) = HostKey::of(url) else {
            // The fetcher refuses such a URL itself; no slot needed.
            return Ok(Ok(HeldSlot {
                host: String::new(),
                slot: 0,
            }));
        };
        let host = key.as_str().to_owned();
        match self
            .store
            .hold_host_slot(&host, &self.holder, self.concurrency, self.hold)
            .await?
        {
            HostHold::Held { slot } => {
                *self.held_slots().entry((host.clone(), slot)).or_default() += 1;
                Ok(Ok(HeldSlot { host, slot }))
            }
            HostHold::NotBefore(at) => Ok(Err(at)),
        }
    }

    fn held_slots(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u32), usize>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Renews the holds on the slots this worker's fetches hold now, to the hold
    /// duration from now; answers how many were renewed.
    pub async fn renew_holds(&self) -> Result<u64, jujiao_store::StoreError> {
        let slots: Vec<(String, u32)> = self.held_slots().keys().cloned().collect();
        if slots.is_empty() {
            return Ok(0);
        }
        self.store
            .renew_host_holds(&self.holder, &slots, self.hold)
            .await
    }

    /// Waits (polling) until a slot of `url`'s host is held.
    async fn hold(&self, url: &Url) -> Result<HeldSlot, FetchError> {
        loop {
            match self.try_hold(url).await {
                Ok(Ok(held)) => return Ok(held),
                Ok(Err(at)) => {
                    let wait = (at - chrono::Utc::now())
                        .to_std()
                        .unwrap_or(Duration::ZERO)
                        .clamp(Duration::from_millis(2), SLOT_POLL);
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    return Err(FetchError::Transport {
                        url: url.clone(),
                        source: Box::new(e),
                    });
                }
            }
        }
    }

    /// Fetches under a slot already held, then lets the slot rest for the host's delay.
    pub async fn fetch_held(
        &self,
        held: HeldSlot,
        request: &FetchRequest,
    ) -> Result<FetchResponse, FetchError> {
        let held = self.robots_first(held, request).await?;
        let result = self.inner.fetch(request).await;
        self.release(held, request).await;
        result
    }

    /// Fetches robots.txt under `held` if the inner fetcher needs it first; then the
    /// slot rests like after any request, and the page waits for a slot again.
    async fn robots_first(
        &self,
        held: HeldSlot,
        request: &FetchRequest,
    ) -> Result<HeldSlot, FetchError> {
        if held.host.is_empty() {
            return Ok(held);
        }
        match self.inner.refresh_robots(&request.url).await {
            Ok(true) => {
                self.release(held, request).await;
                self.hold(&request.url).await
            }
            Ok(false) => Ok(held),
            // The page's own fetch meets the same trouble and reports it.
            Err(e) => {
                debug!(url = %request.url, error = %e, "robots.txt not refreshed first");
                Ok(held)
            }
        }
    }

    async fn release(&self, held: HeldSlot, request: &FetchRequest) {
        if held.host.is_empty() {
            return;
        }
        {
            let mut slots = self.held_slots();
            let key = (held.host.clone(), held.slot);
            if let Some(n) = slots.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    slots.remove(&key);
                }
            }
        }
        let source_delay = request
            .source
            .as_ref()
            .and_then(|s| self.source_delays.get(s).copied());
        let crawl_delay = self.inner.robots_crawl_delay(&request.url).await;
        let gap = self.politeness.effective_delay(source_delay, crawl_delay);
        match self
            .store
            .release_host_slot(&held.host, held.slot, &self.holder, gap)
            .await
        {
            Ok(true) => {}
            Ok(false) => debug!(host = %held.host, slot = held.slot, "host slot hold had run out"),
            // The hold runs out by itself; only this host waits a little longer.
            Err(e) => tracing::warn!(host = %held.host, error = %e, "cannot release a host slot"),
        }
    }
}

#[async_trait::async_trait]
impl Fetch for SharedHosts {
    async fn fetch(&self, request: &FetchRequest) -> Result<FetchResponse, FetchError> {
        let held = self.hold(&request.url).await?;
        self.fetch_held(held, request).await
    }

    async fn robots_crawl_delay(&self, url: &Url) -> Option<Duration> {
        self.inner.robots_crawl_delay(url).await
    }
}

/// A fetcher for exactly one request under a slot already held (an article task).
pub(crate) struct HeldFetch {
    pub shared: Arc<SharedHosts>,
    pub held: std::sync::Mutex<Option<HeldSlot>>,
}

#[async_trait::async_trait]
impl Fetch for HeldFetch {
    async fn fetch(&self, request: &FetchRequest) -> Result<FetchResponse, FetchError> {
        let held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match held {
            Some(held) => self.shared.fetch_held(held, request).await,
            // A second request in the same task waits for a slot like any other.
            None => self.shared.fetch(request).await,
        }
    }
}
