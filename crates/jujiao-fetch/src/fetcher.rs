//! The real fetcher: reqwest with politeness, robots.txt, retries and caps.
//!
//! [`HttpFetcher::fetch`] walks a redirect chain hop by hop (redirects are
//! followed here, not by reqwest, so every hop passes the private-address check,
//! robots.txt and the host's politeness gate). Each hop is tried up to
//! `max_attempts` times; one attempt is [`HttpFetcher::exchange`]: wait at the
//! host gate, send, read the capped body, all under the total timeout.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap};
use tokio::time::Instant;
use tracing::{debug, warn};
use url::Url;

use crate::address::{self, GuardedResolver};
use crate::body::{self, BodyError, Overflow};
use crate::config::{FetcherConfig, ROBOTS_MAX_BYTES, ROBOTS_MAX_REDIRECTS};
use crate::error::{BoxError, FetchError, TimeoutPhase};
use crate::politeness::{HostGates, HostKey};
use crate::retry::{is_retryable_status, parse_retry_after};
use crate::robots::{CachedRules, RobotsCache, RobotsRules};
use crate::source::SourceSettings;
use crate::types::{FetchRequest, FetchResponse, Method, RequestBody, Validators, charset_of};

/// What one hop sends besides its URL.
#[derive(Debug, Clone, Copy)]
struct Hop<'a> {
    method: Method,
    body: Option<&'a RequestBody>,
    validators: &'a Validators,
}

impl<'a> Hop<'a> {
    fn get(validators: &'a Validators) -> Self {
        Self {
            method: Method::Get,
            body: None,
            validators,
        }
    }

    /// The hop after a redirect with `status`: 307/308 repeat the request, the
    /// others turn a POST into a GET without body (RFC 9110 §15.4).
    fn after_redirect(self, status: u16) -> Self {
        if matches!(status, 307 | 308) {
            self
        } else {
            Self::get(self.validators)
        }
    }
}

/// The production [`crate::Fetch`] implementation.
#[derive(Debug)]
pub struct HttpFetcher {
    config: FetcherConfig,
    hosts: HostGates,
    robots: RobotsCache,
    sources: Mutex<HashMap<String, (SourceSettings, HeaderMap)>>,
    clients: Mutex<HashMap<Option<String>, SourceClient>>,
}

/// The client of one source and its delay override.
#[derive(Debug, Clone)]
struct SourceClient {
    http: reqwest::Client,
    delay: Option<Duration>,
}

/// One HTTP answer before interpretation.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Why one attempt produced no answer.
#[derive(Debug)]
enum AttemptError {
    Timeout(TimeoutPhase),
    Unreachable(BoxError),
    Internal(std::net::IpAddr),
    TooLarge,
    Fatal(BoxError),
}

impl AttemptError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Unreachable(_))
    }

    fn from_reqwest(error: reqwest::Error) -> Self {
        if let Some(found) = address::find_internal(&error) {
            return Self::Internal(found.addr);
        }
        if error.is_timeout() {
            let phase = if error.is_connect() {
                TimeoutPhase::Connect
            } else {
                TimeoutPhase::Read
            };
            return Self::Timeout(phase);
        }
        if error.is_decode() || error.is_builder() || error.is_redirect() {
            return Self::Fatal(Box::new(error));
        }
        // Connect failures, resets and connections closed mid-message.
        Self::Unreachable(Box::new(error))
    }

    fn into_fetch_error(self, url: &Url, attempts: u32, limit: usize) -> FetchError {
        let url = url.clone();
        match self {
            Self::Timeout(phase) => FetchError::Timeout {
                url,
                phase,
                attempts,
            },
            Self::Unreachable(source) => FetchError::Unreachable {
                url,
                attempts,
                source,
            },
            Self::Internal(addr) => FetchError::PrivateAddress { url, addr },
            Self::TooLarge => FetchError::TooLarge { url, limit },
            Self::Fatal(source) => FetchError::Transport { url, source },
        }
    }
}

/// `Accept` sent by default: some government CMSs answer 403 without one.
const ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/// `Accept-Language` sent by default.
const ACCEPT_LANGUAGE: &str = "zh-CN,zh;q=0.9,en;q=0.5";

const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

impl HttpFetcher {
    /// A fetcher with `config`; clients are built on first use.
    pub fn new(config: FetcherConfig) -> Self {
        Self {
            hosts: HostGates::new(config.politeness.clone()),
            robots: RobotsCache::default(),
            sources: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
            config,
        }
    }

    /// The settings in use.
    pub fn config(&self) -> &FetcherConfig {
        &self.config
    }

    /// Set the extra headers and seed cookies of source `id`. Replaces earlier
    /// settings and drops its client (and cookie jar) so the next request starts
    /// fresh. Fails on an invalid header name or value.
    pub fn register_source(
        &self,
        id: impl Into<String>,
        settings: SourceSettings,
    ) -> Result<(), FetchError> {
        let id = id.into();
        let headers = settings.header_map(&id)?;
        lock(&self.clients).remove(&Some(id.clone()));
        lock(&self.sources).insert(id, (settings, headers));
        Ok(())
    }

    /// The client of `source` (None = shared default), built on first use.
    fn client(&self, source: Option<&str>) -> Result<SourceClient, FetchError> {
        let key = source.map(str::to_owned);
        if let Some(client) = lock(&self.clients).get(&key) {
            return Ok(client.clone());
        }
        let settings = source.and_then(|id| lock(&self.sources).get(id).cloned());
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let mut builder = reqwest::Client::builder()
            .user_agent(&self.config.user_agent)
            .connect_timeout(self.config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(self.config.politeness.host_concurrency.max(1))
            .gzip(true)
            .brotli(true)
            .deflate(true);
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, header::HeaderValue::from_static(ACCEPT));
        headers.insert(
            header::ACCEPT_LANGUAGE,
            header::HeaderValue::from_static(ACCEPT_LANGUAGE),
        );
        for (host, addr) in &self.config.resolve {
            builder = builder.resolve(host, *addr);
        }
        for pem in &self.config.root_certificates {
            let certificate =
                reqwest::Certificate::from_pem(pem).map_err(|e| FetchError::Client {
                    source_id: key.clone(),
                    source: Box::new(e),
                })?;
            builder = builder.add_root_certificate(certificate);
        }
        let mut delay = None;
        if let Some((settings, extra)) = settings {
            delay = settings.delay;
            if let Some(agent) = &settings.user_agent {
                builder = builder.user_agent(agent);
            }
            if settings.accepts_invalid_certs {
                warn!(source = ?key, "TLS certificate checks are off for this source");
                builder = builder.danger_accept_invalid_certs(true);
            }
            for (url, cookie) in &settings.cookies {
                jar.add_cookie_str(cookie, url);
            }
            // A source's own header replaces ours of the same name.
            for name in extra.keys() {
                headers.remove(name);
            }
            for (name, value) in &extra {
                headers.append(name, value.clone());
            }
        }
        builder = builder.default_headers(headers);
        builder = builder.cookie_provider(jar);
        if !self.config.allow_private {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        let http = builder.build().map_err(|e| FetchError::Client {
            source_id: key.clone(),
            source: Box::new(e),
        })?;
        let client = SourceClient { http, delay };
        lock(&self.clients).insert(key, client.clone());
        Ok(client)
    }

    /// Reject URLs we never fetch: non-http(s), no host, internal literal addresses.
    fn check_url(&self, url: &Url) -> Result<HostKey, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl {
                url: url.to_string(),
                reason: "only http and https URLs are fetched",
            });
        }
        let key = HostKey::of(url).ok_or_else(|| FetchError::InvalidUrl {
            url: url.to_string(),
            reason: "URL has no host",
        })?;
        if !self.config.allow_private
            && let Some(addr) = address::check_literal(url)
        {
            return Err(FetchError::PrivateAddress {
                url: url.clone(),
                addr,
            });
        }
        Ok(key)
    }

    /// One attempt: wait at the host gate, send, read the capped body.
    async fn exchange(
        &self,
        client: &SourceClient,
        url: &Url,
        key: &HostKey,
        hop: Hop<'_>,
        cap: usize,
        overflow: Overflow,
    ) -> Result<Answer, AttemptError> {
        let _permit = self.hosts.acquire(key, client.delay).await;
        let read_timeout = self.config.read_timeout;
        let validators = hop.validators;
        let attempt = async {
            let mut request = match hop.method {
                Method::Get => client.http.get(url.clone()),
                Method::Post => client.http.post(url.clone()),
            };
            if let Some(body) = hop.body {
                request = request
                    .header(header::CONTENT_TYPE, body.content_type.as_str())
                    .body(body.bytes.clone());
            }
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, modified);
            }
            let wait_headers = self.config.connect_timeout + read_timeout;
            let response = match tokio::time::timeout(wait_headers, request.send()).await {
                Err(_) => return Err(AttemptError::Timeout(TimeoutPhase::Read)),
                Ok(Err(e)) => return Err(AttemptError::from_reqwest(e)),
                Ok(Ok(response)) => response,
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            // Only a page we will use must fit; an error page is kept truncated,
            // so a huge 404 still reads as 404.
            let overflow = if response.status().is_success() {
                overflow
            } else {
                Overflow::Truncate
            };
            let body = body::read_capped(response, cap, overflow, read_timeout)
                .await
                .map_err(|e| match e {
                    BodyError::TooLarge => AttemptError::TooLarge,
                    BodyError::Idle => AttemptError::Timeout(TimeoutPhase::Read),
                    BodyError::Transport(e) => AttemptError::from_reqwest(e),
                })?;
            Ok(Answer {
                status,
                headers,
                body,
            })
        };
        match tokio::time::timeout(self.config.total_timeout, attempt).await {
            Err(_) => Err(AttemptError::Timeout(TimeoutPhase::Total)),
            Ok(result) => result,
        }
    }

    /// One hop with retries; `attempts` counts every request sent.
    async fn exchange_with_retries(
        &self,
        client: &SourceClient,
        url: &Url,
        key: &HostKey,
        hop: Hop<'_>,
        cap: usize,
        attempts: &mut u32,
    ) -> Result<Answer, FetchError> {
        let policy = &self.config.retry;
        let mut tries = 0;
        loop {
            tries += 1;
            *attempts += 1;
            let result = self
                .exchange(client, url, key, hop, cap, Overflow::Fail)
                .await;
            let is_last = tries >= policy.max_attempts.max(1);
            let retry_after = match result {
                Ok(answer) if is_retryable_status(answer.status) && !is_last => {
                    debug!(%url, status = answer.status, tries, "retrying status");
                    retry_after(&answer.headers)
                }
                Err(error) if error.is_transient() && !is_last => {
                    debug!(%url, ?error, tries, "retrying transport failure");
                    None
                }
                Ok(answer) => return Ok(answer),
                Err(error) => return Err(error.into_fetch_error(url, *attempts, cap)),
            };
            let wait = policy.wait(tries, retry_after, &mut rand::rng());
            tokio::time::sleep(wait).await;
        }
    }

    /// Apply robots.txt for `url`, fetching it for the host if needed.
    async fn check_robots(&self, url: &Url, key: &HostKey) -> Result<(), FetchError> {
        if self.config.robots.is_ignored {
            return Ok(());
        }
        let slot = self.robots.slot(key);
        let mut cached = slot.lock().await;
        self.refresh_cached_robots(url, key, &mut cached).await?;
        let is_allowed = cached
            .as_ref()
            .is_some_and(|c| c.rules.is_allowed(url.as_str()));
        if is_allowed {
            Ok(())
        } else {
            Err(FetchError::RobotsDisallowed { url: url.clone() })
        }
    }

    /// Fetches robots.txt into `cached` unless it holds a fresh copy; true when it
    /// sent a request.
    async fn refresh_cached_robots(
        &self,
        url: &Url,
        key: &HostKey,
        cached: &mut Option<CachedRules>,
    ) -> Result<bool, FetchError> {
        if cached.as_ref().is_some_and(|c| c.is_fresh(Instant::now())) {
            return Ok(false);
        }
        let (rules, freshness) = self.fetch_robots(url, key).await?;
        let entry = CachedRules::refresh(
            cached.take(),
            rules,
            freshness,
            &self.config.robots,
            Instant::now(),
        );
        self.hosts.apply_crawl_delay(key, entry.rules.crawl_delay());
        *cached = Some(entry);
        Ok(true)
    }

    /// GET /robots.txt once (no retries; a failure is cached briefly instead),
    /// following up to five redirects.
    async fn fetch_robots(
        &self,
        url: &Url,
        key: &HostKey,
    ) -> Result<(RobotsRules, crate::robots::Freshness), FetchError> {
        let agent = self.config.robots_agent();
        let client = self.client(None)?;
        let mut target = url
            .join("/robots.txt")
            .map_err(|_| FetchError::InvalidUrl {
                url: url.to_string(),
                reason: "cannot form the robots.txt URL",
            })?;
        let mut hop_key = key.clone();
        let no_validators = Validators::default();
        for hop in 0..=ROBOTS_MAX_REDIRECTS {
            let answer = self
                .exchange(
                    &client,
                    &target,
                    &hop_key,
                    Hop::get(&no_validators),
                    ROBOTS_MAX_BYTES,
                    Overflow::Truncate,
                )
                .await;
            let answer = match answer {
                Ok(answer) => answer,
                Err(AttemptError::Internal(addr)) => {
                    return Err(FetchError::PrivateAddress { url: target, addr });
                }
                Err(error) => {
                    warn!(host = %key, ?error, "robots.txt unreachable; host disallowed for now");
                    return Ok(RobotsRules::from_status(agent, 599, b""));
                }
            };
            if let Some(next) = redirect_target(&target, &answer)
                && hop < ROBOTS_MAX_REDIRECTS
            {
                hop_key = self.check_url(&next)?;
                target = next;
                continue;
            }
            return Ok(RobotsRules::from_status(agent, answer.status, &answer.body));
        }
        Ok(RobotsRules::from_status(agent, 404, b""))
    }

    /// The whole fetch: redirects, robots, retries.
    async fn fetch_inner(&self, request: &FetchRequest) -> Result<FetchResponse, FetchError> {
        let started = Instant::now();
        let client = self.client(request.source.as_deref())?;
        let mut url = request.url.clone();
        let mut seen: HashSet<Url> = HashSet::from([url.clone()]);
        let mut attempts = 0;
        let mut redirects = 0;
        let cap = request
            .max_body_bytes
            .map_or(self.config.max_body_bytes, |c| {
                c.min(self.config.max_body_bytes)
            });
        let mut hop = Hop {
            method: request.method,
            body: request.body.as_ref(),
            validators: &request.validators,
        };
        loop {
            let key = self.check_url(&url)?;
            self.check_robots(&url, &key).await?;
            let answer = self
                .exchange_with_retries(&client, &url, &key, hop, cap, &mut attempts)
                .await?;
            if let Some(next) = redirect_target(&url, &answer) {
                hop = hop.after_redirect(answer.status);
                if redirects >= self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: request.url.clone(),
                        limit: self.config.max_redirects,
                    });
                }
                if !seen.insert(next.clone()) {
                    return Err(FetchError::RedirectLoop {
                        url: request.url.clone(),
                        repeated: Box::new(next),
                    });
                }
                debug!(from = %url, to = %next, "following redirect");
                redirects += 1;
                url = next;
                continue;
            }
            return Ok(self.response(url, answer, request, attempts, redirects, started));
        }
    }

    fn response(
        &self,
        url: Url,
        answer: Answer,
        request: &FetchRequest,
        attempts: u32,
        redirects: u32,
        started: Instant,
    ) -> FetchResponse {
        let text = |name: header::HeaderName| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = text(header::CONTENT_TYPE);
        let mut validators = Validators {
            etag: text(header::ETAG),
            last_modified: text(header::LAST_MODIFIED),
        };
        if answer.status == 304 {
            // A 304 may repeat only some validators; keep ours for the rest.
            let ours = &request.validators;
            validators.etag = validators.etag.or_else(|| ours.etag.clone());
            validators.last_modified = validators
                .last_modified
                .or_else(|| ours.last_modified.clone());
        }
        FetchResponse {
            url,
            status: answer.status,
            charset: content_type.as_deref().and_then(charset_of),
            content_type,
            content_disposition: text(header::CONTENT_DISPOSITION),
            body: answer.body,
            validators,
            retry_after: retry_after(&answer.headers)
                .map(|d| d.min(self.config.retry.max_retry_after)),
            attempts,
            redirects,
            elapsed: started.elapsed(),
        }
    }
}

#[async_trait::async_trait]
impl crate::Fetch for HttpFetcher {
    async fn fetch(&self, request: &FetchRequest) -> Result<FetchResponse, FetchError> {
        self.fetch_inner(request).await
    }

    async fn robots_crawl_delay(&self, url: &Url) -> Option<Duration> {
        if self.config.robots.is_ignored {
            return None;
        }
        let key = HostKey::of(url)?;
        let slot = self.robots.slot(&key);
        let cached = slot.lock().await;
        cached.as_ref().and_then(|c| c.rules.crawl_delay())
    }

    async fn refresh_robots(&self, url: &Url) -> Result<bool, FetchError> {
        if self.config.robots.is_ignored {
            return Ok(false);
        }
        let key = self.check_url(url)?;
        let slot = self.robots.slot(&key);
        let mut cached = slot.lock().await;
        self.refresh_cached_robots(url, &key, &mut cached).await
    }
}

/// The absolute target of a redirect answer, if it is one and has a usable Location.
fn redirect_target(from: &Url, answer: &Answer) -> Option<Url> {
    if !REDIRECT_STATUSES.contains(&answer.status) {
        return None;
    }
    let location = answer.headers.get(header::LOCATION)?.to_str().ok()?;
    let mut next = from.join(location.trim()).ok()?;
    next.set_fragment(None);
    Some(next)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(allow_private: bool, url: &str) -> Result<HostKey, FetchError> {
        let fetcher = HttpFetcher::new(FetcherConfig {
            allow_private,
            ..FetcherConfig::default()
        });
        fetcher.check_url(&Url::parse(url).expect("url"))
    }

    /// The same check runs before every hop, so a redirect from a public page to
    /// an internal address is refused like a direct link.
    #[test]
    fn every_hop_is_checked_for_internal_literals() {
        for url in [
            "http://10.255.255.1/admin",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]:8080/",
        ] {
            assert!(
                matches!(check(false, url), Err(FetchError::PrivateAddress { .. })),
                "{url}"
            );
            assert!(check(true, url).is_ok(), "{url}");
        }
        assert!(check(false, "http://8.8.8.8/").is_ok());
        assert!(matches!(
            check(true, "ftp://example.com/"),
            Err(FetchError::InvalidUrl { .. })
        ));
        assert!(matches!(
            check(true, "file:///etc/passwd"),
            Err(FetchError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn redirect_targets_are_resolved_and_stripped_of_fragments() {
        let from = Url::parse("http://h.example/a/b.html").expect("url");
        let answer = |status: u16, location: &str| Answer {
            status,
            headers: HeaderMap::from_iter([(
                header::LOCATION,
                header::HeaderValue::from_str(location).expect("value"),
            )]),
            body: Vec::new(),
        };
        let target = |status, location| {
            redirect_target(&from, &answer(status, location)).map(|u| u.to_string())
        };
        assert_eq!(
            target(301, "../c.html#top").as_deref(),
            Some("http://h.example/c.html")
        );
        assert_eq!(
            target(307, "https://other.example/").as_deref(),
            Some("https://other.example/")
        );
        assert_eq!(target(200, "/elsewhere"), None);
        assert_eq!(target(304, "/elsewhere"), None);
    }
}
