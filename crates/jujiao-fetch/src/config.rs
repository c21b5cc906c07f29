//! Fetcher settings and their defaults.
//!
//! [`FetcherConfig`] gathers everything the real fetcher needs; every default is a
//! named constant so the CLI help and the docs can show it. [`Politeness`],
//! [`RetryPolicy`] and [`RobotsConfig`] group the settings of one concern each.

use std::time::Duration;

/// User agent sent when the config does not name one.
pub const DEFAULT_USER_AGENT: &str = "jujiao/0.1 (district briefing crawler)";
/// Largest body kept, counted after decompression (20 MB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 20 * 1024 * 1024;
/// Time allowed to open a TCP (and TLS) connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence allowed while waiting for headers or between body chunks.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Upper bound for one attempt, from sending the request to the last body byte.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(120);
/// Redirects followed before giving up.
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
/// Requests in flight at once to one host (scheme + host + port).
pub const DEFAULT_HOST_CONCURRENCY: usize = 1;
/// Minimum gap between the starts of two requests to the same host.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(1);
/// A robots.txt `Crawl-delay` larger than this is clamped to it, so one odd file
/// cannot stall a source for hours.
pub const DEFAULT_MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);
/// Per-host concurrency used by [`Politeness::off`] when benchmarking.
pub const DEFAULT_UNPOLITE_CONCURRENCY: usize = 32;
/// Attempts per request (first try included).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Base of the exponential backoff: the ceiling before retry `n` is `base * 2^(n-1)`.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Ceiling of the exponential backoff.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(60);
/// A `Retry-After` longer than this is clamped to it.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
/// How long a fetched robots.txt (2xx or 4xx) is trusted.
pub const DEFAULT_ROBOTS_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// How long an unreachable robots.txt (5xx, network error) keeps a host disallowed
/// before we ask again (RFC 9309 §2.3.1.4).
pub const DEFAULT_ROBOTS_UNREACHABLE_TTL: Duration = Duration::from_secs(60 * 60);
/// Bytes of robots.txt parsed; the rest is ignored (RFC 9309 §2.5 requires at least 500 KiB).
pub const ROBOTS_MAX_BYTES: usize = 500 * 1024;
/// Redirects followed when fetching robots.txt (RFC 9309 §2.3.1.2: at least five).
pub const ROBOTS_MAX_REDIRECTS: u32 = 5;

/// Everything the real fetcher needs. Start from [`Default`] and change fields.
#[derive(Debug, Clone)]
pub struct FetcherConfig {
    /// `User-Agent` header; its product token (text before the first `/` or space)
    /// is the agent matched against robots.txt groups.
    pub user_agent: String,
    /// Body cap after decompression; larger bodies fail with `FetchError::TooLarge`.
    pub max_body_bytes: usize,
    /// See [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// See [`DEFAULT_READ_TIMEOUT`].
    pub read_timeout: Duration,
    /// See [`DEFAULT_TOTAL_TIMEOUT`].
    pub total_timeout: Duration,
    /// See [`DEFAULT_MAX_REDIRECTS`].
    pub max_redirects: u32,
    /// Per-host limits.
    pub politeness: Politeness,
    /// Retry and backoff.
    pub retry: RetryPolicy,
    /// robots.txt handling.
    pub robots: RobotsConfig,
    /// When false, hosts that are or resolve to loopback, private, link-local and
    /// similar addresses are refused (also after redirects). Tests set it to true.
    pub allow_private: bool,
    /// Host names answered from these addresses instead of DNS, as curl's `--resolve`
    /// (reqwest's `ClientBuilder::resolve`): an office's staging mirror, a replica in
    /// tests. The URL's own port wins when it names one. Addresses named here are
    /// trusted even when private: the administrator chose them.
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    /// Extra trusted root certificates (PEM), beside the built-in web roots: a staging
    /// mirror's own certificate authority (`--cacert`), a replica's in tests.
    pub root_certificates: Vec<Vec<u8>>,
}

impl Default for FetcherConfig {
    fn default() -> Self {
        Self {
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            politeness: Politeness::default(),
            retry: RetryPolicy::default(),
            robots: RobotsConfig::default(),
            allow_private: false,
            resolve: Vec::new(),
            root_certificates: Vec::new(),
        }
    }
}

impl FetcherConfig {
    /// The robots.txt agent name: the user agent's product token, e.g. `jujiao`
    /// for `jujiao/0.1 (…)` (RFC 9309 §2.2.1).
    pub fn robots_agent(&self) -> &str {
        let token = self
            .user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or_default()
            .trim();
        if token.is_empty() { "*" } else { token }
    }
}

/// Per-host limits. Hosts are keyed by scheme + host + port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Politeness {
    /// Requests in flight at once per host (at least 1).
    pub host_concurrency: usize,
    /// Minimum gap between request starts to one host.
    pub min_delay: Duration,
    /// Whether a robots.txt `Crawl-delay` may raise `min_delay` (up to `max_crawl_delay`).
    pub is_crawl_delay_honoured: bool,
    /// Clamp for `Crawl-delay`.
    pub max_crawl_delay: Duration,
}

impl Default for Politeness {
    fn default() -> Self {
        Self {
            host_concurrency: DEFAULT_HOST_CONCURRENCY,
            min_delay: DEFAULT_DELAY,
            is_crawl_delay_honoured: true,
            max_crawl_delay: DEFAULT_MAX_CRAWL_DELAY,
        }
    }
}

impl Politeness {
    /// Politeness off, for benchmarks against our own servers: `concurrency`
    /// requests per host, no delay, `Crawl-delay` ignored.
    pub fn off(concurrency: usize) -> Self {
        Self {
            host_concurrency: concurrency.max(1),
            min_delay: Duration::ZERO,
            is_crawl_delay_honoured: false,
            max_crawl_delay: Duration::ZERO,
        }
    }

    /// The gap before a request: the source's own delay if it has one, else
    /// ours; raised to the host's robots.txt `Crawl-delay` (clamped to
    /// `max_crawl_delay`) when that is larger and honoured.
    pub fn effective_delay(
        &self,
        source_delay: Option<Duration>,
        crawl_delay: Option<Duration>,
    ) -> Duration {
        let ours = source_delay.unwrap_or(self.min_delay);
        match crawl_delay {
            Some(asked) if self.is_crawl_delay_honoured => {
                ours.max(asked.min(self.max_crawl_delay))
            }
            _ => ours,
        }
    }
}

/// When and how long to wait before trying again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, first try included (at least 1).
    pub max_attempts: u32,
    /// See [`DEFAULT_BACKOFF_BASE`].
    pub backoff_base: Duration,
    /// See [`DEFAULT_BACKOFF_MAX`].
    pub backoff_max: Duration,
    /// See [`DEFAULT_MAX_RETRY_AFTER`].
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff_base: DEFAULT_BACKOFF_BASE,
            backoff_max: DEFAULT_BACKOFF_MAX,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

/// robots.txt handling (RFC 9309).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotsConfig {
    /// Skip robots.txt entirely. Off by default; only for our own test servers.
    pub is_ignored: bool,
    /// See [`DEFAULT_ROBOTS_TTL`].
    pub ttl: Duration,
    /// See [`DEFAULT_ROBOTS_UNREACHABLE_TTL`].
    pub unreachable_ttl: Duration,
}

impl Default for RobotsConfig {
    fn default() -> Self {
        Self {
            is_ignored: false,
            ttl: DEFAULT_ROBOTS_TTL,
            unreachable_ttl: DEFAULT_ROBOTS_UNREACHABLE_TTL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_agent_is_the_product_token() {
        let mut config = FetcherConfig::default();
        assert_eq!(config.robots_agent(), "jujiao");
        config.user_agent = "Mozilla/5.0 (X11)".to_owned();
        assert_eq!(config.robots_agent(), "Mozilla");
        config.user_agent = String::new();
        assert_eq!(config.robots_agent(), "*");
    }

    #[test]
    fn crawl_delay_raises_but_never_lowers_the_delay() {
        let polite = Politeness::default();
        let secs = |n: u64| Some(Duration::from_secs(n));
        assert_eq!(polite.effective_delay(None, None), DEFAULT_DELAY);
        let short = Some(Duration::from_millis(10));
        assert_eq!(polite.effective_delay(None, short), DEFAULT_DELAY);
        assert_eq!(
            polite.effective_delay(None, secs(5)),
            Duration::from_secs(5)
        );
        assert_eq!(
            polite.effective_delay(None, secs(86_400)),
            DEFAULT_MAX_CRAWL_DELAY
        );
        assert_eq!(
            polite.effective_delay(secs(3), None),
            Duration::from_secs(3)
        );
        assert_eq!(
            polite.effective_delay(secs(3), secs(5)),
            Duration::from_secs(5)
        );
        let off = Politeness::off(8);
        assert_eq!(off.effective_delay(None, secs(5)), Duration::ZERO);
        assert_eq!(off.host_concurrency, 8);
    }
}
