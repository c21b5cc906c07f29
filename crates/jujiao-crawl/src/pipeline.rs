//! The one pipeline every list source goes through, in a run and in a worker:
//! a source's lists are read by the reader of its kind ([`crate::lists`]) into
//! [`Candidate`]s; the candidates not yet stored are fetched and extracted by [`Job`]s
//! (one per article page, off the I/O threads) and recorded through
//! [`Crawler::record`](crate::Crawler); each outcome is counted in the
//! [`SourceReport`] ([`settle`] for pages that failed, [`SourceReport::count_recorded`]
//! for recorded ones, which uses the one [`crate::Tally`]).
//!
//! A run ([`run`]) reads all the lists of a source, then fetches the new candidates
//! concurrently ([`fetch_articles`]); a worker (`crate::worker`) reads one list per
//! item and queues the candidates, then fetches each as its own item with the same
//! [`Job`] and settles it with the same [`settle`].

use crate::lists;
use crate::report::{Event, Observer, SourceReport};
use crate::{ARTICLE_CONCURRENCY, Compiled, Crawler, RunOptions};
use chrono::Utc;
use jujiao_config::SourceKind;
use jujiao_extract::{Method, Rules};
use jujiao_fetch::{Fetch, FetchError, FetchRequest, FetchResponse, Validators};
use jujiao_model::{Filing, PublishTime};
use jujiao_store::{ArticleRecord, PageCheck};
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};
use tokio::sync::{Semaphore, SemaphorePermit};
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
#[derive(Debug, Clone, Default)]
pub(crate) struct PageOptions {
    pub(crate) encoding: Option<String>,
    pub(crate) title_from_list: bool,
    pub(crate) has_body_selector: bool,
}

impl PageOptions {
    /// How `compiled`'s article pages are read (edition sources have none).
    pub(crate) fn of(compiled: &Compiled) -> PageOptions {
        let (encoding, title_from_list, article) = match &compiled.source.kind {
            SourceKind::Html(h) => (&h.encoding, h.title_from_list, &h.article),
            SourceKind::Json(api) | SourceKind::Form(api) => (
                &api.rules.encoding,
                api.rules.title_from_list,
                &api.rules.article,
            ),
            SourceKind::Feed(f) => (&f.rules.encoding, f.rules.title_from_list, &f.rules.article),
            SourceKind::Edition(_) => return PageOptions::default(),
        };
        PageOptions {
            encoding: encoding.clone(),
            title_from_list,
            has_body_selector: article.body.is_some(),
        }
    }
}

/// What the list readers find: links new to this run or visit (`seen` holds every URL
/// found so far) and the validators of list pages that answered, saved only once
/// every link of theirs was handled.
#[derive(Debug, Default)]
pub(crate) struct ListFindings {
    pub seen: HashSet<String>,
    pub candidates: Vec<Candidate>,
    pub validators: Vec<(String, Validators)>,
}

/// A run of a list source (HTML, JSON, form, feed): every list read, then the new
/// candidates fetched and recorded.
pub(crate) async fn run(
    crawler: &Crawler,
    compiled: &Compiled,
    options: RunOptions,
    observer: &dyn Observer,
    report: &mut SourceReport,
) {
    let mut found = ListFindings::default();
    for list_url in lists::list_urls(compiled) {
        lists::read(crawler, compiled, &list_url, observer, report, &mut found).await;
    }
    lists::order(compiled, &mut found.candidates);
    let is_all_handled = fetch_articles(
        crawler,
        compiled,
        found.candidates,
        options,
        observer,
        report,
    )
    .await;
    // Saving validators says "everything on this page was handled": not so when the run
    // was capped or a page may succeed next time.
    if is_all_handled && !options.dry_run {
        for (url, v) in found.validators {
            if let Err(e) = crawler.store.set_list_page_validators(&url, &v).await {
                report.error(format!("store: validators of {url}: {e}"));
            }
        }
    }
}

/// Counts an article page that failed in `report`: skipped by robots.txt, a
/// verification page (its host paused), a page without body (kept for inspection), or
/// an error.
pub(crate) async fn settle(
    crawler: &Crawler,
    source_id: &str,
    url: &str,
    failure: &Failure,
    report: &mut SourceReport,
) {
    if failure.is_skipped {
        report.skipped_by_robots(url);
    } else if let Some(c) = &failure.challenge {
        if let Ok(u) = Url::parse(url) {
            crawler.pauses.pause(&u, c).await;
        }
        report.challenged(url, c);
    } else if let Some(page) = &failure.page_without_body {
        let kept = crawler.keep_page_without_body(source_id, url, page).await;
        report.page_without_body(url, kept.as_deref());
    } else {
        if failure.is_blocked {
            report.blocked += 1;
        }
        report.error(format!("{url}: {}", failure.message));
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
            if let Some(c) = crawler.pauses.paused(&candidate.url).await {
                // Not asked: the links stay unknown and a later run takes them.
                report.challenged(candidate.url.as_str(), &c);
                failed_transiently = true;
                continue;
            }
            let job = Job::new(compiled, rules.clone(), Arc::clone(&crawler.fetcher));
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
                    Err(failure) => {
                        failed_transiently |= failure.is_transient;
                        settle(crawler, id, &url, &failure, report).await;
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
            report.count_recorded(&recorded.outcomes);
            for url in urls {
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

/// A turn at extracting a page, one per core in the whole process. Extraction is CPU work
/// on a blocking thread; with sixteen pages in flight, letting them all extract at once
/// only made sixteen threads take turns on the cores (each switch a cost, and each
/// thread's allocations in a malloc arena of its own, which held on to freed memory).
pub(crate) async fn cpu_permit() -> Option<SemaphorePermit<'static>> {
    static CORES: LazyLock<Semaphore> = LazyLock::new(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
    });
    // The semaphore is never closed; `None` would only let the page go ahead unthrottled.
    CORES.acquire().await.ok()
}

impl Job {
    /// The article task of `compiled`'s pages, fetching through `fetcher`.
    pub(crate) fn new(
        compiled: &Compiled,
        rules: Option<Arc<Rules>>,
        fetcher: Arc<dyn Fetch>,
    ) -> Job {
        let pages = PageOptions::of(compiled);
        Job {
            fetcher,
            rules,
            source_id: compiled.source.id.clone(),
            column: compiled.source.column.clone(),
            encoding: pages.encoding,
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
        // Extraction is CPU work: keep it off the I/O threads, one page per core at a time.
        let _cpu = cpu_permit().await;
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
