//! The crate's error type: every way a fetch can end without an HTTP answer.

use std::net::IpAddr;

use url::Url;

/// A boxed cause, so in-memory fetchers can build errors without reqwest.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Which deadline ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Opening the connection.
    Connect,
    /// Silence longer than the read timeout (waiting for headers or between chunks).
    Read,
    /// The whole attempt took longer than the total timeout.
    Total,
}

/// Why a fetch produced no HTTP answer to judge.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Not an absolute http(s) URL with a host.
    #[error("cannot fetch {url}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// robots.txt disallows the URL for our agent (or robots.txt was unreachable,
    /// RFC 9309 §2.3.1.4); no request was sent.
    #[error("robots.txt disallows {url}")]
    RobotsDisallowed {
        /// The disallowed URL.
        url: Url,
    },
    /// The (decompressed) body grew past the cap; reading stopped there.
    #[error("body of {url} exceeds {limit} bytes")]
    TooLarge {
        /// The URL whose body was too large.
        url: Url,
        /// The cap in bytes.
        limit: usize,
    },
    /// A deadline ran out on every attempt.
    #[error("timed out ({phase:?}) fetching {url} after {attempts} attempt(s)")]
    Timeout {
        /// The URL being fetched when time ran out.
        url: Url,
        /// Which deadline.
        phase: TimeoutPhase,
        /// Attempts made.
        attempts: u32,
    },
    /// No connection, or it broke (refused, reset, DNS failure, closed early) on
    /// every attempt.
    #[error("{url} unreachable after {attempts} attempt(s)")]
    Unreachable {
        /// The URL being fetched.
        url: Url,
        /// Attempts made.
        attempts: u32,
        /// The last cause.
        #[source]
        source: BoxError,
    },
    /// More redirects than allowed.
    #[error("more than {limit} redirects starting at {url}")]
    TooManyRedirects {
        /// The requested URL.
        url: Url,
        /// The configured maximum.
        limit: u32,
    },
    /// A redirect chain came back to a URL it had already visited.
    #[error("redirect loop starting at {url}: {repeated} visited twice")]
    RedirectLoop {
        /// The requested URL.
        url: Url,
        /// The URL reached twice (boxed to keep the error small).
        repeated: Box<Url>,
    },
    /// The host is, or resolves only to, a loopback/private/link-local address and
    /// `allow_private` is off.
    #[error("refusing {url}: its host is or resolves to a private address ({addr})")]
    PrivateAddress {
        /// The refused URL (may be a redirect target).
        url: Url,
        /// The offending address.
        addr: IpAddr,
    },
    /// Building the HTTP client for a source failed.
    #[error("cannot build HTTP client for source {source_id:?}")]
    Client {
        /// The source id (`None` for the default client).
        source_id: Option<String>,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// Any other transport failure that retrying will not fix (e.g. a corrupt
    /// gzip stream).
    #[error("fetching {url} failed")]
    Transport {
        /// The URL being fetched.
        url: Url,
        /// The cause.
        #[source]
        source: BoxError,
    },
}
