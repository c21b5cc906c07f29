//! An in-memory [`Fetch`] for testing code that fetches (the crawler), without
//! sockets: canned answers by exact URL, a log of requests, and `ETag`-based 304s.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use url::Url;

use crate::types::charset_of;
use crate::{Fetch, FetchError, FetchRequest, FetchResponse, Validators};

/// What a URL answers.
#[derive(Debug, Clone)]
enum Canned {
    Answer {
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
        etag: Option<String>,
    },
    Fail(fn(&Url) -> FetchError),
}

/// Canned answers by exact URL; unknown URLs answer 404.
#[derive(Debug, Default)]
pub struct MemoryFetcher {
    routes: Mutex<HashMap<String, Canned>>,
    log: Mutex<Vec<FetchRequest>>,
}

impl MemoryFetcher {
    /// An empty fetcher: everything is 404.
    pub fn new() -> Self {
        Self::default()
    }

    fn set(&self, url: &str, canned: Canned) {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.to_owned(), canned);
    }

    /// `url` answers 200 with `content_type` and `body`.
    pub fn page(&self, url: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        self.answer(url, 200, Some(content_type), body, None);
    }

    /// `url` answers `status`; with `etag`, a request carrying that tag gets 304.
    pub fn answer(
        &self,
        url: &str,
        status: u16,
        content_type: Option<&str>,
        body: impl Into<Vec<u8>>,
        etag: Option<&str>,
    ) {
        self.set(
            url,
            Canned::Answer {
                status,
                content_type: content_type.map(str::to_owned),
                body: body.into(),
                etag: etag.map(str::to_owned),
            },
        );
    }

    /// `url` fails with the error `make` builds.
    pub fn fail(&self, url: &str, make: fn(&Url) -> FetchError) {
        self.set(url, Canned::Fail(make));
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<FetchRequest> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait::async_trait]
impl Fetch for MemoryFetcher {
    async fn fetch(&self, request: &FetchRequest) -> Result<FetchResponse, FetchError> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request.clone());
        let canned = self
            .routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(request.url.as_str())
            .cloned();
        let (status, content_type, body, etag) = match canned {
            Some(Canned::Fail(make)) => return Err(make(&request.url)),
            Some(Canned::Answer {
                status,
                content_type,
                body,
                etag,
            }) => (status, content_type, body, etag),
            None => (404, None, b"not found".to_vec(), None),
        };
        let is_unchanged = etag.is_some() && etag == request.validators.etag;
        let (status, body) = if is_unchanged {
            (304, Vec::new())
        } else {
            (status, body)
        };
        Ok(FetchResponse {
            url: request.url.clone(),
            status,
            charset: content_type.as_deref().and_then(charset_of),
            content_type,
            content_disposition: None,
            body,
            validators: Validators {
                etag,
                last_modified: None,
            },
            retry_after: None,
            attempts: 1,
            redirects: 0,
            elapsed: Duration::ZERO,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outcome;

    #[tokio::test]
    async fn serves_canned_answers_and_logs_requests() {
        let fetcher = MemoryFetcher::new();
        let url = "http://h.example/list.html";
        fetcher.answer(url, 200, Some("text/html; charset=GBK"), "x", Some("\"1\""));
        fetcher.fail("http://h.example/blocked", |url| {
            FetchError::RobotsDisallowed { url: url.clone() }
        });
        let request = FetchRequest::new(Url::parse(url).expect("url"));
        let first = fetcher.fetch(&request).await.expect("page");
        assert_eq!(first.charset.as_deref(), Some("gbk"));
        let again = fetcher
            .fetch(&request.clone().with_validators(first.validators.clone()))
            .await
            .expect("page");
        assert_eq!(again.outcome(), Outcome::NotModified);
        let missing = FetchRequest::new(Url::parse("http://h.example/nope").expect("url"));
        assert_eq!(
            fetcher.fetch(&missing).await.expect("404").outcome(),
            Outcome::HttpStatus(404)
        );
        let blocked = FetchRequest::new(Url::parse("http://h.example/blocked").expect("url"));
        assert!(matches!(
            fetcher.fetch(&blocked).await,
            Err(FetchError::RobotsDisallowed { .. })
        ));
        assert_eq!(fetcher.requests().len(), 4);
    }
}
