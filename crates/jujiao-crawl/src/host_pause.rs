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
//! `jujiao crawl`, for the web app's scheduled runs and for a worker's items.

use jujiao_extract::Challenge;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

/// How long a host that answered a verification page is not asked again.
pub const CHALLENGE_PAUSE: Duration = Duration::from_secs(30 * 60);

/// The paused hosts, each with the challenge that paused it and when.
#[derive(Debug)]
pub struct HostPauses {
    pause: Duration,
    hosts: Mutex<HashMap<String, (Instant, Challenge)>>,
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
    /// Pauses of length `pause`.
    pub fn new(pause: Duration) -> Self {
        Self {
            pause,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Pauses the host of `url` from `now`, remembering `challenge` as the reason.
    pub fn pause(&self, url: &Url, challenge: &Challenge, now: Instant) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.insert(host_key(url), (now, challenge.clone()));
    }

    /// The challenge that paused the host of `url`, while the pause lasts at `now`.
    pub fn paused(&self, url: &Url, now: Instant) -> Option<Challenge> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let key = host_key(url);
        let (since, challenge) = hosts.get(&key)?;
        if now.saturating_duration_since(*since) < self.pause {
            Some(challenge.clone())
        } else {
            hosts.remove(&key);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jujiao_extract::Vendor;

    fn challenge() -> Challenge {
        Challenge {
            vendor: Vendor::Jiasule,
            evidence: "HTTP 521, script sets __jsl_clearance".into(),
        }
    }

    #[test]
    fn a_paused_host_is_paused_until_the_pause_ends() {
        let pauses = HostPauses::new(Duration::from_secs(600));
        let t0 = Instant::now();
        let list = Url::parse("http://gov.example:8080/zwgk/index.html").unwrap();
        let article = Url::parse("http://gov.example:8080/zwgk/202401/t20240102_1.html").unwrap();
        let other_port = Url::parse("http://gov.example/zwgk/index.html").unwrap();
        assert_eq!(pauses.paused(&article, t0), None);
        pauses.pause(&list, &challenge(), t0);
        assert_eq!(pauses.paused(&article, t0), Some(challenge()));
        assert_eq!(
            pauses.paused(&article, t0 + Duration::from_secs(599)),
            Some(challenge())
        );
        assert_eq!(pauses.paused(&other_port, t0), None);
        assert_eq!(pauses.paused(&article, t0 + Duration::from_secs(600)), None);
        // Once over, it stays over until the host challenges again.
        assert_eq!(pauses.paused(&article, t0 + Duration::from_secs(1)), None);
    }
}
