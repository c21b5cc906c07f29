//! JSON list APIs (`kind = "json"`) and portal forms (`kind = "form"`): each list page
//! is a request (GET, or POST with a JSON or form body holding the page number), its
//! answer read as JSON items or as an HTML list; the items become the source's
//! candidates in the shared pipeline ([`crate::pipeline`]). A verification page
//! answered instead of the list pauses the host and reports `被验证页拦截`.
//!
//! Pagination stops at the page limit, at an empty page, or at a page whose items are
//! all already stored or older than `max_age` — what is below was seen before.
//!
//! Sessions: with `[source.session] url`, that page is fetched first (its cookies land
//! in the source's cookie jar). A list answer that is a login page — a redirect to a URL
//! matching `login_url` or containing "login", a 401, the `login_marker` text or a
//! password field — or an empty first page means the session expired: the session page
//! is fetched once more and the list asked again. If that does not help, the source's
//! health becomes [`crate::Verdict::LoginRequired`] with the evidence.

use crate::json_list::{self, ListItem};
use crate::pipeline::{Candidate, ListFindings};
use crate::report::{Event, Observer, SourceReport};
use crate::urls::normalize;
use crate::{Compiled, Crawler};
use chrono::{NaiveDate, Utc};
use jujiao_config::{ApiSource, ItemFormat, ListBody, ListMethod, Session};
use jujiao_extract::discover_links;
use jujiao_fetch::{FetchRequest, FetchResponse, Method, RequestBody};
use url::Url;

/// The request of one list page, as it will be sent.
pub(crate) fn list_request(
    api: &ApiSource,
    source_id: &str,
    page: u64,
) -> Result<FetchRequest, String> {
    let text = api.url_for(page);
    let url = Url::parse(&text).map_err(|e| format!("endpoint `{text}`: {e}"))?;
    let request = FetchRequest::new(url).with_source(source_id);
    Ok(match (api.method, api.body_for(page)) {
        (ListMethod::Get, _) => request,
        (ListMethod::Post, ListBody::None) => request.with_post(RequestBody::form([])),
        (ListMethod::Post, ListBody::Json(t)) => request.with_post(RequestBody::json(t)),
        (ListMethod::Post, ListBody::Form(fields)) => request.with_post(RequestBody::form(
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )),
    })
}

/// Why a list answer is a login page rather than the list, if it is one.
pub(crate) fn login_evidence(
    session: Option<&Session>,
    requested: &Url,
    response: &FetchResponse,
) -> Option<String> {
    let landed = &response.url;
    if response.status == 401 {
        return Some(format!(
            "{requested} answered HTTP 401 (authentication required)"
        ));
    }
    if landed != requested {
        let is_login = match session.and_then(|s| s.login_url.as_ref()) {
            Some(pattern) => pattern.is_match(landed.as_str()),
            None => landed.path().to_ascii_lowercase().contains("login"),
        };
        if is_login {
            return Some(format!("{requested} redirected to the login page {landed}"));
        }
    }
    let head = &response.body[..response.body.len().min(256 * 1024)];
    let text = String::from_utf8_lossy(head);
    if let Some(marker) = session.and_then(|s| s.login_marker.as_deref()) {
        return text.contains(marker).then(|| {
            format!(
                "{requested} answered the login page (it contains “{marker}”) instead of the list"
            )
        });
    }
    let lower = text.to_ascii_lowercase();
    let has_password = ["type=\"password\"", "type='password'", "type=password"]
        .iter()
        .any(|p| lower.contains(p));
    has_password.then(|| {
        format!(
            "{requested} answered a login page (a form with a password field) instead of the list"
        )
    })
}

/// What one list page gave.
enum PageResult {
    Items(Vec<ListItem>),
    /// The answer is a login page: the evidence.
    Login(String),
    /// Failed (already counted in the report).
    Failed,
}

/// Reads one list answer into items.
fn read_items(
    compiled: &Compiled,
    api: &ApiSource,
    response: &FetchResponse,
    report: &mut SourceReport,
) -> Result<Vec<ListItem>, String> {
    match &api.items {
        ItemFormat::Json(map) => {
            let value: serde_json::Value = match serde_json::from_slice(&response.body) {
                Ok(v) => v,
                Err(first) => {
                    // A GBK-encoded JSON answer: decode it as the server says.
                    let decoded =
                        jujiao_extract::decode(&response.body, response.charset.as_deref());
                    serde_json::from_str(&decoded.text)
                        .map_err(|_| format!("the answer is not JSON: {first}"))?
                }
            };
            let page = json_list::items(&value, map, &response.url);
            for why in page.skipped {
                report.error(format!("{}: {why}", response.url));
            }
            Ok(page.items)
        }
        ItemFormat::Html { .. } => {
            let charset = api
                .rules
                .encoding
                .as_deref()
                .or(response.charset.as_deref());
            let decoded = jujiao_extract::decode(&response.body, charset);
            Ok(discover_links(
                &decoded.text,
                &response.url,
                compiled.link.as_ref(),
                compiled.list_date.as_ref(),
            )
            .into_iter()
            .filter_map(|l| {
                Some(ListItem {
                    url: Url::parse(&l.url).ok()?,
                    title: l.text,
                    date: l.date,
                    summary: None,
                })
            })
            .collect())
        }
    }
}

/// One source's list reader with its session state.
struct Lister<'a> {
    crawler: &'a Crawler,
    compiled: &'a Compiled,
    api: &'a ApiSource,
    is_renewed: bool,
}

impl Lister<'_> {
    fn id(&self) -> &str {
        &self.compiled.source.id
    }

    /// GETs the session page (cookies go to the source's jar). False when it failed.
    async fn open_session(&self, report: &mut SourceReport) -> bool {
        let Some(url) = self.api.session.as_ref().and_then(|s| s.url.clone()) else {
            return true;
        };
        let request = FetchRequest::new(url.clone()).with_source(self.id());
        match self.crawler.fetcher.fetch(&request).await {
            Ok(r) if r.is_success() => true,
            Ok(r) => {
                report.error(format!("session page {url}: HTTP {}", r.status));
                false
            }
            Err(e) => {
                report.error(format!("session page {url}: {e}"));
                false
            }
        }
    }

    /// Fetches and reads list page `page`.
    async fn page(&self, page: u64, report: &mut SourceReport) -> PageResult {
        let request = match list_request(self.api, self.id(), page) {
            Ok(r) => r,
            Err(e) => {
                report.list_pages += 1;
                report.list_pages_failed += 1;
                report.error(e);
                return PageResult::Failed;
            }
        };
        report.list_pages += 1;
        let url = request.url.clone();
        if let Some(c) = self.crawler.pauses.paused(&url).await {
            report.list_pages_failed += 1;
            report.challenged(url.as_str(), &c);
            return PageResult::Failed;
        }
        let response = match self.crawler.fetcher.fetch(&request).await {
            Ok(r) => r,
            Err(e) => {
                report.list_pages_failed += 1;
                report.error(format!("list page {page} ({url}): {e}"));
                return PageResult::Failed;
            }
        };
        if let Some(c) = jujiao_extract::challenge::detect(response.status, &[], &response.body) {
            // A verification page instead of the list: never read as one.
            self.crawler.pauses.pause(&url, &c).await;
            report.list_pages_failed += 1;
            report.challenged(url.as_str(), &c);
            return PageResult::Failed;
        }
        if let Some(evidence) = login_evidence(self.api.session.as_ref(), &url, &response) {
            return PageResult::Login(evidence);
        }
        if !response.is_success() {
            report.list_pages_failed += 1;
            report.note_status(&url, &response);
            return PageResult::Failed;
        }
        match read_items(self.compiled, self.api, &response, report) {
            Ok(items) => PageResult::Items(items),
            Err(e) => {
                report.list_pages_failed += 1;
                report.error(format!("list page {page} ({url}): {e}"));
                PageResult::Failed
            }
        }
    }

    /// A list page, renewing the session once when it looks expired (a login page, or
    /// an empty first page of a source with a session step).
    async fn page_with_session(
        &mut self,
        page: u64,
        is_first: bool,
        report: &mut SourceReport,
    ) -> Option<Vec<ListItem>> {
        loop {
            let result = self.page(page, report).await;
            let can_renew =
                !self.is_renewed && self.api.session.as_ref().is_some_and(|s| s.url.is_some());
            match result {
                PageResult::Items(items) if items.is_empty() && is_first && can_renew => {}
                PageResult::Items(items) => return Some(items),
                PageResult::Failed => return None,
                PageResult::Login(evidence) if !can_renew => {
                    report.list_pages_failed += 1;
                    let evidence = if self.is_renewed {
                        format!("{evidence} (also after renewing the session)")
                    } else if self.compiled.source.cookies_env.is_empty() {
                        evidence
                    } else {
                        let vars: Vec<&str> = self
                            .compiled
                            .source
                            .cookies_env
                            .values()
                            .map(String::as_str)
                            .collect();
                        format!(
                            "{evidence} (the cookie from {} has expired?)",
                            vars.join(", ")
                        )
                    };
                    report.error(format!("login required: {evidence}"));
                    report.login_required = Some(evidence);
                    return None;
                }
                PageResult::Login(evidence) => {
                    tracing::info!(source = %self.id(), %evidence, "session expired; renewing once");
                }
            }
            // Renew: the page answered before this one is not counted as a list page.
            report.list_pages -= 1;
            self.is_renewed = true;
            if !self.open_session(report).await {
                return None;
            }
        }
    }
}

/// The earliest list date still taken with `max_age`.
fn cutoff(api: &ApiSource) -> Option<NaiveDate> {
    let today = Utc::now()
        .with_timezone(&jujiao_model::shanghai())
        .date_naive();
    let days = i64::try_from(api.max_age?.as_secs() / 86_400).ok()?;
    today.checked_sub_signed(chrono::Duration::days(days))
}

/// Reads the source's list, page after page from the first (after the session step),
/// into `found`; stops at the page limit, an empty page, or a page with nothing new.
pub(crate) async fn read(
    crawler: &Crawler,
    compiled: &Compiled,
    api: &ApiSource,
    observer: &dyn Observer,
    report: &mut SourceReport,
    found: &mut ListFindings,
) {
    let id = compiled.source.id.as_str();
    let mut lister = Lister {
        crawler,
        compiled,
        api,
        is_renewed: false,
    };
    if !lister.open_session(report).await {
        report.list_pages += 1;
        report.list_pages_failed += 1;
        return;
    }
    let cutoff = cutoff(api);
    for n in 0..api.pages {
        let page = api.first_page + n as u64;
        let Some(items) = lister.page_with_session(page, n == 0, report).await else {
            break;
        };
        let total = items.len();
        let mut page_candidates = Vec::new();
        let mut too_old = 0;
        for item in items {
            let url = normalize(&item.url);
            if !api.rules.is_followed(&url) || !found.seen.insert(url.to_string()) {
                continue;
            }
            if cutoff.is_some_and(|c| item.date.is_some_and(|d| d < c)) {
                too_old += 1;
                continue;
            }
            page_candidates.push(Candidate {
                url,
                text: item.title,
                list_date: item.date,
                summary: item.summary,
            });
        }
        report.links_found += page_candidates.len() as u64;
        observer.event(
            id,
            Event::ListPage {
                url: api.url_for(page),
                links: page_candidates.len(),
            },
        );
        if total == 0 {
            break;
        }
        let urls: Vec<String> = page_candidates.iter().map(|c| c.url.to_string()).collect();
        let known = crawler.store.known_urls(&urls).await.unwrap_or_default();
        let has_new = urls.iter().any(|u| !known.contains(u));
        found.candidates.extend(page_candidates);
        if too_old > 0 || !has_new {
            // What follows is older or already stored.
            break;
        }
    }
}

/// The first list page's items, for `jujiao sources check` (session step included).
pub(crate) async fn preview(
    crawler: &Crawler,
    compiled: &Compiled,
    api: &ApiSource,
    report: &mut SourceReport,
) -> Vec<ListItem> {
    let mut lister = Lister {
        crawler,
        compiled,
        api,
        is_renewed: false,
    };
    if !lister.open_session(report).await {
        return Vec::new();
    }
    lister
        .page_with_session(api.first_page, true, report)
        .await
        .unwrap_or_default()
}

/// The requests a source will send, for `jujiao sources check --dry-run`: method, URL
/// and body per step; cookie values from the environment are named, never shown.
pub(crate) fn explain(source: &jujiao_config::Source, api: &ApiSource) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(url) = api.session.as_ref().and_then(|s| s.url.as_ref()) {
        out.push(format!(
            "GET {url}   (session: cookies for the list requests)"
        ));
    }
    for (name, var) in &source.cookies_env {
        out.push(format!(
            "cookie {name} = <value of environment variable {var}, not shown>"
        ));
    }
    let last = api.first_page + (api.pages as u64).saturating_sub(1);
    for page in [api.first_page, last] {
        match list_request(api, &source.id, page) {
            Ok(r) => {
                let method = match r.method {
                    Method::Get => "GET",
                    Method::Post => "POST",
                };
                out.push(format!("{method} {}", r.url));
                if let Some(body) = &r.body {
                    out.push(format!(
                        "    {}: {}",
                        body.content_type,
                        String::from_utf8_lossy(&body.bytes)
                    ));
                }
            }
            Err(e) => out.push(format!("cannot build the request of page {page}: {e}")),
        }
        if api.pages == 1 {
            break;
        }
        if page == api.first_page && api.pages > 2 {
            out.push(format!(
                "    … pages {} to {last} likewise, until a page has nothing new",
                page + 1
            ));
        }
    }
    out
}
