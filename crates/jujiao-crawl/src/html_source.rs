//! One run of an HTML source: list pages → new article links → articles in the store.

use crate::report::{Event, Observer, SourceReport};
use crate::urls::normalize;
use crate::{ARTICLE_CONCURRENCY, Compiled, Crawler, RunOptions};
use chrono::Utc;
use jujiao_config::{HtmlSource, Pagination};
use jujiao_extract::{Method, Rules, discover_links, discover_links_with};
use jujiao_fetch::{Fetch, FetchError, FetchRequest, FetchResponse, Validators};
use jujiao_model::{Filing, PublishTime};
use jujiao_store::{ArticleRecord, PageCheck, RecordOutcome};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::task::JoinSet;
use url::Url;

/// An article link found on a list (an HTML list page, a JSON API, a feed…).
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) url: Url,
    pub(crate) text: String,
    pub(crate) list_date: Option<chrono::NaiveDate>,
    /// A summary the list gives (JSON APIs, feeds): the body of an item whose target
    /// is a file rather than a page.
    pub(crate) summary: Option<String>,
}

/// How the article pages of a source are read.
#[derive(Debug, Clone)]
pub(crate) struct PageOptions {
    pub(crate) encoding: Option<String>,
    pub(crate) title_from_list: bool,
    pub(crate) has_body_selector: bool,
}

impl PageOptions {
    /// How an HTML list source's article pages are read.
    pub(crate) fn of(html: &HtmlSource) -> PageOptions {
        PageOptions {
            encoding: html.encoding.clone(),
            title_from_list: html.title_from_list,
            has_body_selector: html.article.body.is_some(),
        }
    }
}

pub(crate) async fn run(
    crawler: &Crawler,
    compiled: &Compiled,
    html: &HtmlSource,
    options: RunOptions,
    observer: &dyn Observer,
    report: &mut SourceReport,
) {
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    // Validators are saved only once the links of their page are all handled.
    let mut fresh_validators: Vec<(String, Validators)> = Vec::new();

    for list_url in &html.list_urls {
        read_list_url(
            crawler,
            compiled,
            html,
            list_url,
            observer,
            report,
            &mut ListFindings {
                seen: &mut seen,
                candidates: &mut candidates,
                validators: &mut fresh_validators,
            },
        )
        .await;
    }

    let pages = PageOptions::of(html);
    let is_all_handled = fetch_articles(
        crawler, compiled, candidates, &pages, options, observer, report,
    )
    .await;
    // Saving validators says "everything on this page was handled": not so when the run
    // was capped or a page may succeed next time.
    if is_all_handled && !options.dry_run {
        for (url, v) in fresh_validators {
            if let Err(e) = crawler.store.set_list_page_validators(&url, &v).await {
                report.error(format!("store: validators of {url}: {e}"));
            }
        }
    }
}

/// The shared article pipeline: the candidates not yet stored (at most
/// `max_new_per_run`) are fetched concurrently, extracted off the I/O threads and
/// recorded in batches. True when every candidate was handled (the run was not capped
/// and nothing failed that may succeed next time).
pub(crate) async fn fetch_articles(
    crawler: &Crawler,
    compiled: &Compiled,
    candidates: Vec<Candidate>,
    pages: &PageOptions,
    options: RunOptions,
    observer: &dyn Observer,
    report: &mut SourceReport,
) -> bool {
    let id = compiled.source.id.as_str();
    let urls: Vec<String> = candidates.iter().map(|c| c.url.to_string()).collect();
    let known = match crawler.store.known_urls(&urls).await {
        Ok(k) => k,
        Err(e) => {
            report.error(format!("store: {e}"));
            return false;
        }
    };
    let mut new: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| !known.contains(c.url.as_str()))
        .collect();
    let is_capped = new.len() > compiled.source.max_new_per_run;
    new.truncate(compiled.source.max_new_per_run);
    observer.event(id, Event::ArticlesPlanned(new.len()));
    if options.dry_run {
        report.would_fetch = new.iter().map(|c| c.url.to_string()).collect();
        return false;
    }

    let mut failed_transiently = false;
    let mut tasks = JoinSet::new();
    let mut pending = new.into_iter();
    let rules = compiled.rules.clone().map(Arc::new);
    let concurrency = article_concurrency(&crawler.config.settings);
    // Extracted articles wait here for one store transaction per batch: an article is
    // stored whole or not at all, and a batch costs little more than one article.
    let mut batch: Vec<(String, ArticleRecord, Validators)> = Vec::new();
    let mut batch_started = std::time::Instant::now();
    loop {
        while tasks.len() < concurrency {
            let Some(candidate) = pending.next() else {
                break;
            };
            if let Some(c) = crawler
                .pauses
                .paused(&candidate.url, std::time::Instant::now())
            {
                // Not asked: the links stay unknown and a later run takes them.
                report.challenged(candidate.url.as_str(), &c);
                failed_transiently = true;
                continue;
            }
            let job = Job::new(compiled, pages, rules.clone(), Arc::clone(&crawler.fetcher));
            tasks.spawn(job.run(candidate));
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        match joined {
            Ok(result) => {
                report.article_pages += u64::from(result.fetched);
                let url = result.url;
                match result.outcome {
                    Ok(prepared) => {
                        if prepared.is_fallback {
                            report.fallbacks += 1;
                        }
                        report.attachment_articles += u64::from(prepared.is_attachment);
                        if let Some(w) = &prepared.warning {
                            observer.event(id, Event::Warning(format!("{url}: {w}")));
                        }
                        if batch.is_empty() {
                            batch_started = std::time::Instant::now();
                        }
                        batch.push((url, prepared.record, prepared.validators));
                    }
                    Err(failure) if failure.is_skipped => {
                        report.skipped_by_robots(&url);
                        observer.event(id, Event::ArticleDone { url, ok: false });
                    }
                    Err(failure) => {
                        failed_transiently |= failure.is_transient;
                        if let Some(c) = &failure.challenge {
                            if let Ok(u) = Url::parse(&url) {
                                crawler.pauses.pause(&u, c, std::time::Instant::now());
                            }
                            report.challenged(&url, c);
                        } else if let Some(page) = &failure.page_without_body {
                            let kept = crawler.keep_page_without_body(id, &url, page).await;
                            report.page_without_body(&url, kept.as_deref());
                        } else {
                            if failure.is_blocked {
                                report.blocked += 1;
                            }
                            report.error(format!("{url}: {}", failure.message));
                        }
                        observer.event(id, Event::ArticleDone { url, ok: false });
                    }
                }
            }
            Err(e) => {
                report.error(format!("article task failed: {e}"));
                failed_transiently = true;
            }
        }
        let is_due = batch.len() >= STORE_BATCH
            || batch_started.elapsed() >= STORE_BATCH_AGE
            || tasks.is_empty();
        if is_due && !batch.is_empty() {
            failed_transiently |= !store_batch(crawler, id, &mut batch, observer, report).await;
        }
    }

    !is_capped && !failed_transiently
}

/// Where [`read_list_url`] puts what it finds: links new to this run (`seen` holds every
/// URL found so far) and the validators of pages that answered.
pub(crate) struct ListFindings<'a> {
    pub seen: &'a mut HashSet<String>,
    pub candidates: &'a mut Vec<Candidate>,
    pub validators: &'a mut Vec<(String, Validators)>,
}

/// Reads one list URL and the pages its pagination leads to (through the crawler's
/// fetcher), adding the article links it finds; failures go to the report. Shared by a
/// whole run ([`run`]) and a worker's list-page item (`worker.rs`).
pub(crate) async fn read_list_url(
    crawler: &Crawler,
    compiled: &Compiled,
    html: &HtmlSource,
    list_url: &Url,
    observer: &dyn Observer,
    report: &mut SourceReport,
    found_in: &mut ListFindings<'_>,
) {
    let id = compiled.source.id.as_str();
    let (mut planned, limit) = match &html.pagination {
        Pagination::Trs { pages } => (Pagination::trs_pages(list_url, *pages), *pages),
        Pagination::Next { pages, .. } => (vec![list_url.clone()], *pages),
        Pagination::None => (vec![list_url.clone()], 1),
    };
    let mut index = 0;
    while index < planned.len() && index < limit {
        let page_url = planned[index].clone();
        index += 1;
        let stored = crawler
            .store
            .list_page_validators(page_url.as_str())
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let request = FetchRequest::new(page_url.clone())
            .with_source(id)
            .with_validators(stored);
        report.list_pages += 1;
        if let Some(c) = crawler.pauses.paused(&page_url, std::time::Instant::now()) {
            report.list_pages_failed += 1;
            report.challenged(page_url.as_str(), &c);
            break;
        }
        let response = match crawler.fetcher.fetch(&request).await {
            Ok(r) => r,
            Err(e) => {
                report.list_pages_failed += 1;
                report.error(format!("list page {page_url}: {e}"));
                observer.event(id, Event::Warning(format!("list page {page_url}: {e}")));
                break;
            }
        };
        if response.is_not_modified() {
            report.not_modified += 1;
            observer.event(
                id,
                Event::ListPage {
                    url: page_url.to_string(),
                    links: 0,
                },
            );
            continue;
        }
        if let Some(c) = jujiao_extract::challenge::detect(response.status, &[], &response.body) {
            crawler
                .pauses
                .pause(&page_url, &c, std::time::Instant::now());
            report.list_pages_failed += 1;
            report.challenged(page_url.as_str(), &c);
            observer.event(
                id,
                Event::Warning(format!("list page {page_url}: 被验证页拦截: {c}")),
            );
            break;
        }
        if !response.is_success() {
            // A TRS list simply has fewer pages than the limit: index_N 404 is the end.
            if response.status == 404 && index > 1 {
                report.list_pages -= 1;
                break;
            }
            report.list_pages_failed += 1;
            report.note_status(&page_url, &response);
            break;
        }
        if let Some(vendor) = crate::check::challenge_of(&response) {
            // A verification page answered 200/202: not a list, never read as one.
            report.list_pages_failed += 1;
            report.challenge.get_or_insert(format!(
                "HTTP {} from {page_url}: {vendor}",
                response.status
            ));
            report.blocked += 1;
            report.error(format!("list page {page_url}: challenge page ({vendor})"));
            break;
        }
        if crate::check::is_moved(&page_url, &response.url) {
            report.redirected_to.get_or_insert(response.url.to_string());
        }
        let charset = html.encoding.as_deref().or(response.charset.as_deref());
        let decoded = jujiao_extract::decode(&response.body, charset);
        let links = discover_links_with(
            &decoded.text,
            &response.url,
            compiled.link.as_ref(),
            compiled.list_date.as_ref(),
            &compiled.scripts,
        );
        let mut found = 0;
        for link in links {
            let Ok(url) = Url::parse(&link.url) else {
                continue;
            };
            let url = normalize(&url);
            if !html.is_followed(&url) || !found_in.seen.insert(url.to_string()) {
                continue;
            }
            found += 1;
            found_in.candidates.push(Candidate {
                url,
                text: link.text,
                list_date: link.date,
                summary: None,
            });
        }
        report.links_found += found as u64;
        observer.event(
            id,
            Event::ListPage {
                url: page_url.to_string(),
                links: found,
            },
        );
        if !response.validators.is_empty() {
            found_in
                .validators
                .push((page_url.to_string(), response.validators.clone()));
        }
        if let (Pagination::Next { .. }, Some(next)) = (&html.pagination, &compiled.next) {
            let next_links = discover_links(&decoded.text, &response.url, Some(next), None);
            if let Some(n) = next_links.first().and_then(|l| Url::parse(&l.url).ok())
                && !planned.contains(&n)
            {
                planned.push(n);
            }
        }
    }
}

/// Articles recorded per store transaction.
const STORE_BATCH: usize = 64;
/// The longest an extracted article waits for its batch (slow, polite sources).
const STORE_BATCH_AGE: std::time::Duration = std::time::Duration::from_secs(2);

/// Article pages in flight for one source: enough to keep every allowed connection busy
/// (the fetcher still holds each host to its own limit).
fn article_concurrency(settings: &jujiao_config::Settings) -> usize {
    (settings.concurrency_per_host * 2).clamp(ARTICLE_CONCURRENCY, 64)
}

/// Records a batch in one transaction; returns false when the store failed (the
/// articles are fetched again next run: their URLs are still unknown).
async fn store_batch(
    crawler: &Crawler,
    id: &str,
    batch: &mut Vec<(String, ArticleRecord, Validators)>,
    observer: &dyn Observer,
    report: &mut SourceReport,
) -> bool {
    let mut urls = Vec::with_capacity(batch.len());
    let mut records = Vec::with_capacity(batch.len());
    let mut checks = Vec::with_capacity(batch.len());
    for (url, record, validators) in batch.drain(..) {
        // The fetch is the page's first check: its validators make the first re-check
        // a conditional GET.
        checks.push(PageCheck {
            url: record.article.url.clone(),
            checked_at: record.article.fetched_at.unwrap_or_else(Utc::now),
            validators,
        });
        urls.push(url);
        records.push(record);
    }
    match crawler.record(id, &records).await {
        Ok(mut recorded) => {
            if let Err(e) = crawler.store.record_page_checks(&checks).await {
                report.error(format!("store: page validators: {e}"));
            }
            recorded.count_files(report);
            for (url, outcome) in urls.into_iter().zip(recorded.outcomes) {
                match outcome {
                    RecordOutcome::Added { article_id, .. } => {
                        report.new += 1;
                        report.changed_articles.push(article_id.0);
                    }
                    RecordOutcome::Revised { article_id, .. } => {
                        report.updated += 1;
                        report.changed_articles.push(article_id.0);
                    }
                    RecordOutcome::Duplicate { .. } | RecordOutcome::NearDuplicate { .. } => {
                        report.duplicates += 1;
                    }
                    _ => report.unchanged += 1,
                }
                observer.event(id, Event::ArticleDone { url, ok: true });
            }
            true
        }
        Err(e) => {
            for url in urls {
                report.error(format!("{url}: not stored: {e}"));
                observer.event(id, Event::ArticleDone { url, ok: false });
            }
            false
        }
    }
}

/// Everything an article task needs, owned so it can run on any thread.
pub(crate) struct Job {
    pub(crate) fetcher: Arc<dyn Fetch>,
    pub(crate) rules: Option<Arc<Rules>>,
    pub(crate) source_id: String,
    pub(crate) column: String,
    pub(crate) encoding: Option<String>,
    pub(crate) title_from_list: bool,
    pub(crate) has_body_selector: bool,
}

pub(crate) struct JobResult {
    pub url: String,
    pub fetched: bool,
    pub outcome: Result<Prepared, Failure>,
}

pub(crate) struct Prepared {
    pub(crate) record: ArticleRecord,
    pub(crate) is_fallback: bool,
    pub(crate) warning: Option<String>,
    /// Filed from a file (PDF, ZIP…) the list item pointed to, not from a page.
    pub(crate) is_attachment: bool,
    /// The page's ETag / Last-Modified, for a conditional re-check.
    pub(crate) validators: Validators,
}

pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) is_blocked: bool,
    /// Worth trying again next run (network trouble, 5xx) rather than a dead page.
    pub(crate) is_transient: bool,
    /// robots.txt forbids the page: skipped by the site's policy, not a failure.
    pub(crate) is_skipped: bool,
    /// The page was a verification / anti-bot page: nothing stored, the host paused.
    pub(crate) challenge: Option<jujiao_extract::Challenge>,
    /// The bytes of an article page whose body could not be found, kept for inspection.
    pub(crate) page_without_body: Option<Vec<u8>>,
}

impl Failure {
    fn of_fetch(e: &FetchError) -> Failure {
        let is_skipped = matches!(e, FetchError::RobotsDisallowed { .. });
        Failure {
            message: e.to_string(),
            is_blocked: false,
            is_transient: !is_skipped,
            is_skipped,
            challenge: None,
            page_without_body: None,
        }
    }
    pub(crate) fn dead(message: String) -> Failure {
        Failure {
            message,
            is_blocked: false,
            is_transient: false,
            is_skipped: false,
            challenge: None,
            page_without_body: None,
        }
    }
}

impl Job {
    /// The article task of a source whose pages are read as `pages` says, fetching
    /// through `fetcher`.
    pub(crate) fn new(
        compiled: &Compiled,
        pages: &PageOptions,
        rules: Option<Arc<Rules>>,
        fetcher: Arc<dyn Fetch>,
    ) -> Job {
        Job {
            fetcher,
            rules,
            source_id: compiled.source.id.clone(),
            column: compiled.source.column.clone(),
            encoding: pages.encoding.clone(),
            title_from_list: pages.title_from_list,
            has_body_selector: pages.has_body_selector,
        }
    }

    /// Fetches and extracts one article page (not stored yet).
    pub(crate) async fn run(self, candidate: Candidate) -> JobResult {
        let url = candidate.url.to_string();
        let request = FetchRequest::new(candidate.url.clone()).with_source(&self.source_id);
        let response = match self.fetcher.fetch(&request).await {
            Ok(r) => r,
            Err(e) => {
                return JobResult {
                    url,
                    fetched: false,
                    outcome: Err(Failure::of_fetch(&e)),
                };
            }
        };
        // Extraction is CPU work: keep it off the I/O threads.
        let outcome = tokio::task::spawn_blocking(move || self.prepare(&candidate, &response))
            .await
            .unwrap_or_else(|e| Err(Failure::dead(format!("extraction crashed: {e}"))));
        JobResult {
            url,
            fetched: true,
            outcome,
        }
    }

    pub(crate) fn prepare(
        &self,
        candidate: &Candidate,
        response: &FetchResponse,
    ) -> Result<Prepared, Failure> {
        // Any status: 瑞数 answers 412 or 202, 加速乐 521, a WAF 200 with a block page.
        if let Some(c) = jujiao_extract::challenge::detect(response.status, &[], &response.body) {
            return Err(Failure {
                message: format!("被验证页拦截: {c}"),
                is_blocked: true,
                is_transient: true,
                is_skipped: false,
                challenge: Some(c),
                page_without_body: None,
            });
        }
        if !response.is_success() {
            return Err(Failure {
                message: format!("HTTP {}", response.status),
                is_blocked: matches!(response.status, 403 | 429),
                is_transient: response.status >= 500 || matches!(response.status, 403 | 429),
                is_skipped: false,
                challenge: None,
                page_without_body: None,
            });
        }
        if let Some(kind) = crate::attachment::file_kind(response) {
            return crate::attachment::prepare(
                candidate,
                response,
                kind,
                &self.source_id,
                &self.column,
            );
        }
        if let Some(ct) = &response.content_type
            && !(ct.contains("html") || ct.contains("xml") || ct.starts_with("text/"))
        {
            return Err(Failure::dead(format!("not a web page ({ct})")));
        }
        let charset = self.encoding.as_deref().or(response.charset.as_deref());
        let extraction = jujiao_extract::extract(
            &response.body,
            Some(&response.url),
            charset,
            self.rules.as_deref(),
        )
        .map_err(|e| Failure::dead(e.to_string()))?;
        let mut article = extraction.to_article(&self.source_id, candidate.url.as_str());
        if self.title_from_list || article.title.trim().is_empty() {
            article.title = candidate.text.trim().to_owned();
        }
        if article.title.trim().is_empty() {
            return Err(Failure::dead("no title: not an article page".into()));
        }
        if article.is_body_empty() {
            let mut failure =
                Failure::dead("no article text (an error page or an empty article)".into());
            failure.page_without_body = Some(response.body.clone());
            return Err(failure);
        }
        let mut warning = None;
        let date = match (article.published, candidate.list_date) {
            (Some(p), _) => p.date(),
            (None, Some(d)) => {
                article.published = Some(PublishTime::Date(d));
                d
            }
            (None, None) => {
                let today = Utc::now()
                    .with_timezone(&jujiao_model::shanghai())
                    .date_naive();
                warning = Some(format!(
                    "no publish date on the page or the list: filed under the day it was collected ({today})"
                ));
                today
            }
        };
        article.fetched_at = Some(Utc::now());
        Ok(Prepared {
            is_fallback: extraction.method == Method::SelectorsWithAutomaticFallback
                && self.has_body_selector,
            is_attachment: false,
            record: ArticleRecord {
                article,
                filing: Filing {
                    column: self.column.clone(),
                    date: Some(date),
                    legacy: None,
                },
            },
            warning,
            validators: response.validators.clone(),
        })
    }
}
