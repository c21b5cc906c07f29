//! What goes into a fetch and what comes out.
//!
//! A [`FetchRequest`] names the URL, the source it belongs to (which selects the
//! HTTP client, its cookie jar and extra headers) and the validators from the
//! last visit. A [`FetchResponse`] is any HTTP answer, success or not: the caller
//! reads [`FetchResponse::outcome`] to decide (304 → not modified, 2xx → success,
//! other → an HTTP status to judge). Failures without an HTTP answer are
//! [`crate::FetchError`]s.

use std::time::Duration;

use url::Url;

/// Cache validators of a resource, the model's type (the store keeps the same).
pub use jujiao_model::Validators;

/// The HTTP method of a request. List APIs and portal forms need POST; everything
/// else is a GET.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Method {
    #[default]
    Get,
    Post,
}

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request body with its `Content-Type`.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestBody {
    /// `application/x-www-form-urlencoded`, `application/json`, …
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl RequestBody {
    /// A form body (`application/x-www-form-urlencoded`) of `fields`, in order.
    pub fn form<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Self {
            content_type: "application/x-www-form-urlencoded".into(),
            bytes: encoded.into_bytes(),
        }
    }

    /// A JSON body (`application/json`) of already serialised text.
    pub fn json(text: impl Into<String>) -> Self {
        Self {
            content_type: "application/json".into(),
            bytes: text.into().into_bytes(),
        }
    }
}

/// Bodies may carry form fields a portal treats as credentials: `Debug` shows the
/// type and size only.
impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBody")
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// One page to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// Absolute `http`/`https` URL.
    pub url: Url,
    /// Source id; requests with the same id share a client and its cookie jar and get
    /// the headers registered for it. `None` uses the shared default client.
    pub source: Option<String>,
    /// Validators from the previous visit, for a conditional GET.
    pub validators: Validators,
    /// A lower body cap for this request than the fetcher's (an image or attachment
    /// cap); `None` uses the fetcher's. A larger value cannot raise the fetcher's cap.
    pub max_body_bytes: Option<usize>,
    /// GET unless set; a POST is sent with [`FetchRequest::body`]. After a 301, 302 or
    /// 303 answer the next hop is a GET without body (as browsers do); 307 and 308
    /// repeat the method and body.
    pub method: Method,
    pub body: Option<RequestBody>,
}

impl FetchRequest {
    /// A plain GET of `url` with the default client.
    pub fn new(url: Url) -> Self {
        Self {
            url,
            source: None,
            validators: Validators::default(),
            max_body_bytes: None,
            method: Method::Get,
            body: None,
        }
    }

    /// Make it a POST of `body`.
    #[must_use]
    pub fn with_post(mut self, body: RequestBody) -> Self {
        self.method = Method::Post;
        self.body = Some(body);
        self
    }

    /// Use the client (cookies, headers) of source `id`.
    #[must_use]
    pub fn with_source(mut self, id: impl Into<String>) -> Self {
        self.source = Some(id.into());
        self
    }

    /// Cap this request's body at `bytes` (never above the fetcher's own cap).
    #[must_use]
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body_bytes = Some(bytes);
        self
    }

    /// Make it a conditional GET.
    #[must_use]
    pub fn with_validators(mut self, validators: Validators) -> Self {
        self.validators = validators;
        self
    }
}

/// How the caller should read a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 304: the page has not changed since the validators were issued.
    NotModified,
    /// 2xx: the body is the page.
    Success,
    /// Anything else after retries (and redirects) ran out: 403/429 usually mean
    /// blocked, 404/410 gone, 5xx broken. The caller decides.
    HttpStatus(u16),
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    /// URL that answered, after redirects.
    pub url: Url,
    /// Final status code.
    pub status: u16,
    /// `Content-Type` header as sent, if any.
    pub content_type: Option<String>,
    /// `Content-Disposition` header as sent, if any (the name a download should get).
    pub content_disposition: Option<String>,
    /// `charset` parameter of `Content-Type`, unquoted and lowercased, if present.
    /// Only a hint: servers lie, and the caller decodes (also checking `<meta>`).
    pub charset: Option<String>,
    /// Body bytes after content decoding, at most the configured cap.
    pub body: Vec<u8>,
    /// Validators to store for the next visit (on 304, each one the server did not
    /// repeat is carried over from the request).
    pub validators: Validators,
    /// `Retry-After` of the final answer, if it carried one (parsed and clamped).
    pub retry_after: Option<Duration>,
    /// Requests sent for this fetch, retries and redirect hops included.
    pub attempts: u32,
    /// Redirects followed.
    pub redirects: u32,
    /// Wall time from the call to the last body byte, waits included.
    pub elapsed: Duration,
}

impl FetchResponse {
    /// Classify the status.
    pub fn outcome(&self) -> Outcome {
        match self.status {
            304 => Outcome::NotModified,
            200..=299 => Outcome::Success,
            other => Outcome::HttpStatus(other),
        }
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        self.outcome() == Outcome::Success
    }

    /// 304.
    pub fn is_not_modified(&self) -> bool {
        self.outcome() == Outcome::NotModified
    }
}

/// The `charset` parameter of a `Content-Type` value, unquoted and lowercased.
pub fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(['"', '\'']).trim();
        (!value.is_empty()).then(|| value.to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_is_found_unquoted_and_lowercased() {
        assert_eq!(charset_of("text/html; charset=GBK").as_deref(), Some("gbk"));
        assert_eq!(
            charset_of("text/html;Charset=\"utf-8\" ; q=1").as_deref(),
            Some("utf-8")
        );
        assert_eq!(charset_of("text/html"), None);
        assert_eq!(charset_of("text/html; charset="), None);
        assert_eq!(charset_of("text/html; format=flowed"), None);
    }

    #[test]
    fn outcome_classifies_status() {
        let mut response = FetchResponse {
            url: Url::parse("http://example.invalid/").expect("valid"),
            status: 200,
            content_type: None,
            content_disposition: None,
            charset: None,
            body: Vec::new(),
            validators: Validators::default(),
            retry_after: None,
            attempts: 1,
            redirects: 0,
            elapsed: Duration::ZERO,
        };
        assert!(response.is_success());
        response.status = 304;
        assert!(response.is_not_modified());
        response.status = 403;
        assert_eq!(response.outcome(), Outcome::HttpStatus(403));
        response.status = 302;
        assert_eq!(response.outcome(), Outcome::HttpStatus(302));
    }
}
