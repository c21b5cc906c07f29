//! Polite HTTP fetching for the crawler.
//!
//! The crawler talks to the [`Fetch`] trait; [`HttpFetcher`] is the real
//! implementation on reqwest (rustls, gzip/br/deflate). For each request it:
//! refuses internal addresses unless allowed ([`address`]), obeys robots.txt
//! per RFC 9309 ([`robots`]), waits at the host's politeness gate
//! ([`politeness`]), retries transient failures with backoff ([`retry`]), caps the
//! decompressed body ([`body`]) and follows redirects itself so each hop gets the
//! same checks. Settings and their defaults live in [`config`]; the request and
//! response types in [`types`]; failures in [`FetchError`]. [`MemoryFetcher`]
//! serves canned answers for tests of code that fetches.

pub mod address;
pub mod body;
pub mod config;
mod error;
mod fetcher;
mod memory;
pub mod politeness;
pub mod retry;
pub mod robots;
mod source;
pub mod types;

use std::sync::Arc;

pub use config::{
    DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DELAY,
    DEFAULT_HOST_CONCURRENCY, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CRAWL_DELAY, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RETRY_AFTER, DEFAULT_READ_TIMEOUT,
    DEFAULT_ROBOTS_TTL, DEFAULT_ROBOTS_UNREACHABLE_TTL, DEFAULT_TOTAL_TIMEOUT,
    DEFAULT_UNPOLITE_CONCURRENCY, DEFAULT_USER_AGENT, FetcherConfig, Politeness, ROBOTS_MAX_BYTES,
    ROBOTS_MAX_REDIRECTS, RetryPolicy, RobotsConfig,
};
pub use error::{BoxError, FetchError, TimeoutPhase};
pub use fetcher::HttpFetcher;
pub use memory::MemoryFetcher;
pub use source::SourceSettings;
pub use types::{FetchRequest, FetchResponse, Method, Outcome, RequestBody, Validators};

/// Something that fetches pages: [`HttpFetcher`] in production, a canned one in
/// the crawler's tests.
#[async_trait::async_trait]
pub trait Fetch: Send + Sync {
    /// Fetch one page. An HTTP answer of any status is `Ok` (see
    /// [`FetchResponse::outcome`]); `Err` means there was no answer to judge.
    async fn fetch(&self, request: &FetchRequest) -> Result<FetchResponse, FetchError>;

    /// The `Crawl-delay` the robots.txt of `url`'s host asked for, as far as this
    /// fetcher has read it (it never fetches for this): lets politeness that lives
    /// elsewhere (the database, shared by several workers) honour it.
    async fn robots_crawl_delay(&self, _url: &url::Url) -> Option<std::time::Duration> {
        None
    }

    /// Fetches the robots.txt of `url`'s host now, if this fetcher obeys robots.txt and
    /// holds no fresh copy; answers whether it sent a request. [`Fetch::fetch`] does
    /// this by itself: a caller that spaces a host's requests elsewhere (the workers'
    /// host slots in the database) calls it first, so that robots.txt is a request with
    /// its own slot and delay like any page. The default has no robots.txt to fetch.
    async fn refresh_robots(&self, _url: &url::Url) -> Result<bool, FetchError> {
        Ok(false)
    }
}

#[async_trait::async_trait]
impl<T: Fetch + ?Sized> Fetch for Arc<T> {
    async fn fetch(&self, request: &FetchRequest) -> Result<FetchResponse, FetchError> {
        (**self).fetch(request).await
    }

    async fn robots_crawl_delay(&self, url: &url::Url) -> Option<std::time::Duration> {
        (**self).robots_crawl_delay(url).await
    }

    async fn refresh_robots(&self, url: &url::Url) -> Result<bool, FetchError> {
        (**self).refresh_robots(url).await
    }
}
