//! Hosts that answered a verification page are left alone for a while.
//!
//! A 瑞数 or 加速乐 gateway answers every further request with the same challenge, and
//! asking again only looks more like the robot it suspects. When a list or article page
//! turns out to be a verification page ([`jujiao_extract::challenge`]), its host is
//! paused for [`CHALLENGE_PAUSE`]: list pages and article pages of that host are not
//! fetched, the run reports `被验证页拦截` with the vendor and the evidence, and the
//! links stay unknown so a later run takes them. Nothing tries to solve the challenge.
//!
//! The pause lives in the [`crate::Crawler`], so it holds for every source of one
//! `jujiao crawl` and for the web app's scheduled runs. Workers share it through the
//! store ([`HostPauses::shared`], `HostSlots::pause_host`): a challenge one worker
//! meets keeps every worker, on any machine, away from that host until the pause ends.

use jujiao_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::warn;
use url::Url;

/// How long a host that answered a verification page is not asked again.
pub const CHALLENGE_PAUSE: Duration = Duration::from_secs(30 * 60);

/// The paused hosts, each with the challenge that paused it (vendor and evidence) and
/// when; with a store, shared with every process using it.
pub struct HostPauses {
    pause: Duration,
    hosts: Mutex<HashMap<String, (Instant, String)>>,
    shared: Option<Arc<dyn Store>>,
}

impl std::fmt::Debug for HostPauses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostPauses")
            .field("pause", &self.pause)
            .field("is_shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for HostPauses {
    fn default() -> Self {
        Self::new(CHALLENGE_PAUSE)
    }
}

/// The key a URL is paused under: its host (with a non-default port).
fn host_key(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => String::new(),
    }
}

impl HostPauses {
    /// Pauses of length `pause`, kept in this process.
    pub fn new(pause: Duration) -> Self {
        Self {
            pause,
            hosts: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Also keeps the pauses in `store`'s host slots, and honours the pauses other
    /// processes put there.
    #[must_use]
    pub fn shared(mut self, store: Arc<dyn Store>) -> Self {
        self.shared = Some(store);
        self
    }

    /// How long a pause lasts.
    pub fn length(&self) -> Duration {
        self.pause
    }

    /// Pauses the host of `url` from now, remembering `challenge` as the reason.
    pub async fn pause(&self, url: &Url, challenge: &impl std::fmt::Display) {
        let reason = challenge.to_string();
        self.pause_at(url, &reason, Instant::now());
        if let Some(store) = &self.shared {
            let until = chrono::Utc::now()
                + chrono::Duration::from_std(self.pause).unwrap_or(chrono::Duration::MAX);
            if let Err(e) = store.pause_host(&host_key(url), until, &reason).await {
                warn!(url = %url, error = %e, "cannot share a host's pause with the other workers");
            }
        }
    }

    /// The challenge that paused the host of `url` (here or, when shared, in another
    /// process), while the pause lasts.
    pub async fn paused(&self, url: &Url) -> Option<String> {
        if let Some(reason) = self.paused_at(url, Instant::now()) {
            return Some(reason);
        }
        let store = self.shared.as_ref()?;
        match store.host_pause(&host_key(url)).await {
            Ok(pause) => pause.map(|p| p.reason),
            Err(e) => {
                warn!(url = %url, error = %e, "cannot read a host's pause");
                None
            }
        }
    }

    /// Pauses the host of `url` in this process from `now`.
    fn pause_at(&self, url: &Url, reason: &str, now: Instant) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.insert(host_key(url), (now, reason.to_owned()));
    }

    /// The reason the host of `url` is paused in this process, while it lasts at `now`.
    fn paused_at(&self, url: &Url, now: Instant) -> Option<String> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let key = host_key(url);
        let (since, reason) = hosts.get(&key)?;
        if now.saturating_duration_since(*since) < self.pause {
            Some(reason.clone())
        } else {
            hosts.remove(&key);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REASON: &str = "加速乐 (HTTP 521, script sets __jsl_clearance)";

    #[test]
    fn a_paused_host_is_paused_until_the_pause_ends() {
        let pauses = HostPauses::new(Duration::from_secs(600));
        let t0 = Instant::now();
        let list = Url::parse("http://gov.example:8080/zwgk/index.html").unwrap();
        let article = Url::parse("http://gov.example:8080/zwgk/202401/t20240102_1.html").unwrap();
        let other_port = Url::parse("http://gov.example/zwgk/index.html").unwrap();
        assert_eq!(pauses.paused_at(&article, t0), None);
        pauses.pause_at(&list, REASON, t0);
        assert_eq!(pauses.paused_at(&article, t0).as_deref(), Some(REASON));
        assert_eq!(
            pauses
                .paused_at(&article, t0 + Duration::from_secs(599))
                .as_deref(),
            Some(REASON)
        );
        assert_eq!(pauses.paused_at(&other_port, t0), None);
        assert_eq!(
            pauses.paused_at(&article, t0 + Duration::from_secs(600)),
            None
        );
        // Once over, it stays over until the host challenges again.
        assert_eq!(
            pauses.paused_at(&article, t0 + Duration::from_secs(1)),
            None
        );
    }

    #[tokio::test]
    async fn a_shared_pause_is_seen_by_another_crawler_on_the_same_store() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("p.db");
        let open = || async {
            let store: Arc<dyn Store> = Arc::new(
                jujiao_store::SqliteStore::open(db.to_str().unwrap())
                    .await
                    .unwrap(),
            );
            HostPauses::new(Duration::from_secs(600)).shared(store)
        };
        let (one, two) = (open().await, open().await);
        let url = Url::parse("http://gov.example:8080/zwgk/index.html").unwrap();
        assert_eq!(two.paused(&url).await, None);
        one.pause(&url, &REASON).await;
        assert_eq!(two.paused(&url).await.as_deref(), Some(REASON));
        // Unshared pauses stay in their process.
        let alone = HostPauses::new(Duration::from_secs(600));
        alone
            .pause(&Url::parse("http://b.example/").unwrap(), &REASON)
            .await;
        assert_eq!(
            two.paused(&Url::parse("http://b.example/x").unwrap()).await,
            None
        );
    }
}
