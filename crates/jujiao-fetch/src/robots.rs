//! robots.txt rules per host (RFC 9309), cached with a TTL.
//!
//! [`RobotsRules::from_status`] turns the answer to `GET /robots.txt` into rules:
//! 2xx → the parsed file for our agent; 4xx → everything allowed (§2.3.1.3);
//! 5xx, 429 or no answer → everything disallowed (§2.3.1.4) and cached only
//! briefly, so we ask again later — unless an earlier real answer is cached,
//! which then stays in force through the outage (§2.4, [`CachedRules::refresh`]).
//! [`RobotsCache`] holds one entry per host
//! behind an async lock, so concurrent first requests to a host fetch robots.txt once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use texting_robots::Robot;
use tokio::time::Instant;

use crate::config::RobotsConfig;
use crate::politeness::HostKey;

/// What robots.txt lets us do on one host.
#[derive(Debug)]
pub enum RobotsRules {
    /// No usable file (4xx): everything allowed.
    AllowAll,
    /// The file could not be fetched (5xx, network error): everything disallowed.
    DisallowAll,
    /// The parsed file, for our agent.
    Parsed(Box<Robot>),
}

/// How long the rules may be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A real answer: trust for the normal TTL.
    Normal,
    /// A failure: ask again after the short TTL.
    Unreachable,
}

impl RobotsRules {
    /// Rules from a robots.txt answer with `status` and `body` (already capped).
    pub fn from_status(agent: &str, status: u16, body: &[u8]) -> (Self, Freshness) {
        match status {
            200..=299 => match Robot::new(agent, body) {
                Ok(robot) => (Self::Parsed(Box::new(robot)), Freshness::Normal),
                // The parser accepts nearly anything; a file it cannot read at all
                // is treated like a missing one.
                Err(_) => (Self::AllowAll, Freshness::Normal),
            },
            // Too many requests is a server saying "not now", like 5xx.
            429 => (Self::DisallowAll, Freshness::Unreachable),
            400..=499 => (Self::AllowAll, Freshness::Normal),
            // A redirect chain longer than we follow counts as unavailable (§2.3.1.2).
            300..=399 => (Self::AllowAll, Freshness::Normal),
            _ => (Self::DisallowAll, Freshness::Unreachable),
        }
    }

    /// Whether `url` (absolute) may be fetched.
    pub fn is_allowed(&self, url: &str) -> bool {
        match self {
            Self::AllowAll => true,
            Self::DisallowAll => false,
            Self::Parsed(robot) => robot.allowed(url),
        }
    }

    /// The `Crawl-delay` asked for, if any and sane.
    pub fn crawl_delay(&self) -> Option<Duration> {
        match self {
            Self::Parsed(robot) => robot
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f64(f64::from(d).min(86_400.0))),
            _ => None,
        }
    }
}

/// Rules with their expiry.
#[derive(Debug)]
pub struct CachedRules {
    /// The rules.
    pub rules: RobotsRules,
    /// When to fetch again.
    pub expires: Instant,
    /// Whether the rules came from a real answer.
    pub freshness: Freshness,
}

impl CachedRules {
    /// Wrap `rules`, expiring per `freshness` and `config`.
    pub fn new(
        rules: RobotsRules,
        freshness: Freshness,
        config: &RobotsConfig,
        now: Instant,
    ) -> Self {
        let ttl = match freshness {
            Freshness::Normal => config.ttl,
            Freshness::Unreachable => config.unreachable_ttl,
        };
        Self {
            rules,
            expires: now + ttl,
            freshness,
        }
    }

    /// The entry after a new fetch. When robots.txt has become unreachable but
    /// an earlier real answer is cached, that answer stays in force (RFC 9309
    /// §2.4 allows using a cached copy while the file is unreachable) and we ask
    /// again after the short TTL; a passing 503 does not close the whole site.
    pub fn refresh(
        previous: Option<Self>,
        rules: RobotsRules,
        freshness: Freshness,
        config: &RobotsConfig,
        now: Instant,
    ) -> Self {
        match previous {
            Some(old)
                if freshness == Freshness::Unreachable && old.freshness == Freshness::Normal =>
            {
                Self {
                    rules: old.rules,
                    expires: now + config.unreachable_ttl,
                    freshness: Freshness::Normal,
                }
            }
            _ => Self::new(rules, freshness, config, now),
        }
    }

    /// Still usable at `now`.
    pub fn is_fresh(&self, now: Instant) -> bool {
        now < self.expires
    }
}

/// One slot per host; the async lock serialises fetching robots.txt for it.
pub type RobotsSlot = Arc<tokio::sync::Mutex<Option<CachedRules>>>;

/// robots.txt rules of every host seen.
#[derive(Debug, Default)]
pub struct RobotsCache {
    slots: Mutex<HashMap<HostKey, RobotsSlot>>,
}

impl RobotsCache {
    /// The slot of `key`, created empty on first use.
    pub fn slot(&self, key: &HostKey) -> RobotsSlot {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(key.clone()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &[u8] = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 3\n\n\
User-agent: jujiao\nDisallow: /secret\nCrawl-delay: 2.5\n";

    #[test]
    fn parsed_rules_apply_to_our_agent_group() {
        let (rules, freshness) = RobotsRules::from_status("jujiao", 200, FILE);
        assert_eq!(freshness, Freshness::Normal);
        assert!(!rules.is_allowed("http://h.example/secret/a.html"));
        assert!(rules.is_allowed("http://h.example/private/a.html"));
        assert_eq!(rules.crawl_delay(), Some(Duration::from_millis(2500)));
        let (other, _) = RobotsRules::from_status("otherbot", 200, FILE);
        assert!(!other.is_allowed("http://h.example/private/a.html"));
        assert_eq!(other.crawl_delay(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn status_decides_per_rfc_9309() {
        let check = |status: u16| {
            let (rules, freshness) = RobotsRules::from_status("jujiao", status, b"");
            (rules.is_allowed("http://h.example/x"), freshness)
        };
        assert_eq!(check(404), (true, Freshness::Normal));
        assert_eq!(check(403), (true, Freshness::Normal));
        assert_eq!(check(500), (false, Freshness::Unreachable));
        assert_eq!(check(503), (false, Freshness::Unreachable));
        assert_eq!(check(429), (false, Freshness::Unreachable));
        assert_eq!(check(200), (true, Freshness::Normal));
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_answer_survives_a_later_outage() {
        let config = RobotsConfig::default();
        let (parsed, fresh) = RobotsRules::from_status("jujiao", 200, FILE);
        let first = CachedRules::refresh(None, parsed, fresh, &config, Instant::now());
        tokio::time::advance(config.ttl).await;
        let (down, freshness) = RobotsRules::from_status("jujiao", 503, b"");
        let kept = CachedRules::refresh(Some(first), down, freshness, &config, Instant::now());
        assert!(kept.rules.is_allowed("http://h.example/private/x"));
        assert!(!kept.rules.is_allowed("http://h.example/secret"));
        assert_eq!(kept.expires, Instant::now() + config.unreachable_ttl);
        // Without an earlier answer an outage disallows everything.
        let (down, freshness) = RobotsRules::from_status("jujiao", 503, b"");
        let none = CachedRules::refresh(None, down, freshness, &config, Instant::now());
        assert!(!none.rules.is_allowed("http://h.example/x"));
        // A 404 after a file replaces it: the file is gone, not unreachable.
        let (gone, freshness) = RobotsRules::from_status("jujiao", 404, b"");
        let replaced = CachedRules::refresh(Some(kept), gone, freshness, &config, Instant::now());
        assert!(replaced.rules.is_allowed("http://h.example/secret"));
    }

    #[tokio::test(start_paused = true)]
    async fn unreachable_rules_expire_sooner() {
        let config = RobotsConfig::default();
        let now = Instant::now();
        let good = CachedRules::new(RobotsRules::AllowAll, Freshness::Normal, &config, now);
        let bad = CachedRules::new(
            RobotsRules::DisallowAll,
            Freshness::Unreachable,
            &config,
            now,
        );
        tokio::time::advance(config.unreachable_ttl).await;
        assert!(good.is_fresh(Instant::now()));
        assert!(!bad.is_fresh(Instant::now()));
        tokio::time::advance(config.ttl).await;
        assert!(!good.is_fresh(Instant::now()));
    }
}
