//! Running one claimed item through the shared pipeline ([`crate::pipeline`]): a list
//! item is read by its source kind's list reader ([`crate::lists`]) and its new links
//! queued; an article item is fetched and extracted by the pipeline's `Job`, recorded
//! through `Crawler::record`, and its outcome counted in a one-page
//! [`SourceReport`] exactly as a run counts it, then added to the run that queued it.

use super::summary::{LogObserver, bump};
use super::{LIST_RETRY, MAX_ATTEMPTS, Worker, backoff, chrono_span, spread};
use crate::pipeline::{self, Candidate, Job, ListFindings};
use crate::report::SourceReport;
use crate::shared_hosts::HeldFetch;
use crate::{Compiled, lists};
use chrono::{DateTime, Utc};
use jujiao_store::{NewWork, RunId, WorkItem, WorkKind};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tracing::{debug, info, warn};
use url::Url;

/// How soon an article item of a paused host is looked at again (it is not fetched
/// while the pause lasts, whichever worker claims it).
const PAUSED_RECHECK: Duration = Duration::from_secs(60);

impl Worker {
    /// The configured source `id`, if it is one workers run (a list source).
    pub(super) fn list_source(&self, id: &str) -> Option<&Compiled> {
        self.crawler
            .sources
            .iter()
            .find(|c| c.source.id == id && lists::has_lists(c))
    }

    /// Reads a list (a list URL with its pagination, an API's pages, a feed) and queues
    /// the new article links; answers when to visit it again (`None`: drop it, its
    /// source is gone).
    pub(super) async fn list_item(&self, item: &WorkItem) -> Option<DateTime<Utc>> {
        let Some(compiled) = self.list_source(&item.source_id) else {
            warn!(worker = %self.options.id, source = %item.source_id, url = %item.url,
                "list of a source that is not a list source in this configuration: dropped");
            return None;
        };
        let now = Utc::now();
        let again = now + chrono_span(compiled.source.interval);
        let retry = now + chrono_span(compiled.source.interval.min(LIST_RETRY));
        let mut report = SourceReport::new(&compiled.source);
        let mut found = ListFindings::default();
        lists::read(
            &self.crawler,
            compiled,
            &item.url,
            &LogObserver(&self.options.id),
            &mut report,
            &mut found,
        )
        .await;
        lists::order(compiled, &mut found.candidates);
        self.counters
            .list_pages
            .fetch_add(report.list_pages, Ordering::Relaxed);
        bump(&self.counters.items_done);
        if !self.still_holds(item).await {
            return None;
        }
        let run = self.start_run(&compiled.source.id).await;
        let urls: Vec<String> = found.candidates.iter().map(|c| c.url.to_string()).collect();
        let known = match self.store.known_urls(&urls).await {
            Ok(k) => k,
            Err(e) => {
                let message = format!("list page {}: store: {e}", item.url);
                self.failed(message.clone());
                report.error(message);
                self.finish_run(run, &mut report).await;
                return Some(retry);
            }
        };
        let mut new: Vec<Candidate> = found
            .candidates
            .into_iter()
            .filter(|c| !known.contains(c.url.as_str()))
            .collect();
        let is_capped = new.len() > compiled.source.max_new_per_run;
        new.truncate(compiled.source.max_new_per_run);
        let queued: Vec<NewWork> = new
            .iter()
            .map(|c| NewWork {
                kind: WorkKind::Article,
                source_id: compiled.source.id.clone(),
                url: c.url.to_string(),
                due_at: now + chrono_span(spread(c.url.as_str())),
                note: Some(note_of(c)),
                run,
            })
            .collect();
        // Finished before its articles are queued: once they are, any worker may add an
        // outcome to the run at once, which finishing afterwards would overwrite.
        self.finish_run(run, &mut report).await;
        if let Err(e) = self.store.schedule_work(&queued).await {
            let message = format!("list page {}: cannot queue its links: {e}", item.url);
            self.failed(message.clone());
            let mut failed = SourceReport::new(&compiled.source);
            failed.error(message);
            self.add_to_run(run, &mut failed).await;
            return Some(retry);
        }
        self.counters
            .articles_queued
            .fetch_add(queued.len() as u64, Ordering::Relaxed);
        let has_failed = report.errors > 0;
        if has_failed {
            let sample = report.error_samples.first().cloned().unwrap_or_default();
            self.failed(sample);
        }
        info!(
            worker = %self.options.id,
            source = %compiled.source.id,
            url = %item.url,
            pages = report.list_pages,
            links = report.links_found,
            queued = queued.len(),
            errors = report.errors,
            "list page read"
        );
        // The links are safe in the queue now: the validators may say "seen".
        if !has_failed && !is_capped {
            for (url, v) in found.validators {
                if let Err(e) = self.store.set_list_page_validators(&url, &v).await {
                    warn!(worker = %self.options.id, url = %url, error = %e,
                        "cannot save the list page's validators");
                }
            }
        }
        Some(if has_failed && report.list_pages_failed > 0 {
            retry
        } else {
            again
        })
    }

    /// Fetches, extracts and records one article page; answers when to try it again
    /// (`None`: done, stored or dropped).
    pub(super) async fn article_item(&self, item: &WorkItem) -> Option<DateTime<Utc>> {
        let Some(compiled) = self.list_source(&item.source_id) else {
            warn!(worker = %self.options.id, source = %item.source_id, url = %item.url,
                "article of a source that is not a list source in this configuration: dropped");
            return None;
        };
        let Ok(url) = Url::parse(&item.url) else {
            self.failed(format!("{}: not a URL", item.url));
            return None;
        };
        match self.store.known_urls(std::slice::from_ref(&item.url)).await {
            Ok(known) if known.contains(&item.url) => {
                bump(&self.counters.already_stored);
                bump(&self.counters.items_done);
                return None;
            }
            Ok(_) => {}
            Err(e) => {
                self.failed(format!("{}: store: {e}", item.url));
                return Some(Utc::now() + chrono_span(backoff(item.attempts)));
            }
        }
        if let Some(reason) = self.crawler.pauses.paused(&url).await {
            // A verification page paused the host (here or in another worker): not
            // asked until the pause is over.
            debug!(worker = %self.options.id, url = %item.url, %reason, "host paused: put back");
            bump(&self.counters.deferred);
            let wait = self.crawler.pauses.length().min(PAUSED_RECHECK);
            return Some(Utc::now() + chrono_span(wait + spread(&item.url)));
        }
        let held = match self.shared.try_hold(&url).await {
            Ok(Ok(held)) => held,
            Ok(Err(at)) => {
                // The host is busy: give the item back for a moment, take another.
                bump(&self.counters.deferred);
                let wait = (at - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .clamp(Duration::from_millis(20), Duration::from_millis(300));
                return Some(Utc::now() + chrono_span(wait + spread(&item.url) / 10));
            }
            Err(e) => {
                self.failed(format!("{}: host slot: {e}", item.url));
                return Some(Utc::now() + chrono_span(backoff(item.attempts)));
            }
        };
        let candidate = candidate_of(url.clone(), item.note.as_deref());
        let fetcher = Arc::new(HeldFetch {
            shared: Arc::clone(&self.shared),
            held: Mutex::new(Some(held)),
        });
        let rules = self.rules.get(&item.source_id).cloned().flatten();
        let result = Job::new(compiled, rules, fetcher).run(candidate).await;
        // This page's figures, counted as a run counts them, for the run that queued it.
        let mut report = SourceReport::new(&compiled.source);
        report.article_pages += u64::from(result.fetched);
        let prepared = match result.outcome {
            Ok(p) => p,
            Err(failure) => {
                let message = format!("{}: {}", item.url, failure.message);
                if failure.is_transient && item.attempts < MAX_ATTEMPTS {
                    self.failed(message.clone());
                    let mut wait = backoff(item.attempts);
                    if let Some(c) = &failure.challenge {
                        // Every worker leaves the host alone while the pause lasts.
                        self.crawler.pauses.pause(&url, c).await;
                        wait = wait.max(self.crawler.pauses.length());
                    }
                    warn!(worker = %self.options.id, attempt = item.attempts, "{message}; will retry");
                    return Some(Utc::now() + chrono_span(wait));
                }
                if failure.is_skipped {
                    // The site's policy, not a failure: counted apart, never retried.
                    debug!(worker = %self.options.id, url = %item.url, "robots.txt forbids it: skipped");
                    bump(&self.counters.skipped);
                } else {
                    self.failed(message.clone());
                    warn!(worker = %self.options.id, attempt = item.attempts, "{message}; dropped");
                }
                bump(&self.counters.items_done);
                pipeline::settle(
                    &self.crawler,
                    &item.source_id,
                    &item.url,
                    &failure,
                    &mut report,
                )
                .await;
                if self.still_holds(item).await {
                    self.add_to_run(item.run, &mut report).await;
                }
                return None;
            }
        };
        if let Some(w) = &prepared.warning {
            debug!(worker = %self.options.id, url = %item.url, "{w}");
        }
        if !self.still_holds(item).await {
            return None;
        }
        match self
            .crawler
            .record(&item.source_id, std::slice::from_ref(&prepared.record))
            .await
        {
            Ok(recorded) => {
                bump(&self.counters.items_done);
                recorded.log_files(&self.options.id, &item.url);
                report.count_recorded(&recorded.outcomes);
                report.fallbacks += u64::from(prepared.is_fallback);
                debug!(worker = %self.options.id, url = %item.url, tally = ?report.tally, "article recorded");
                self.counters
                    .tally
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .add(report.tally);
                self.changed
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(&report.changed_articles);
                self.add_to_run(item.run, &mut report).await;
                None
            }
            Err(e) => {
                self.failed(format!("{}: not stored: {e}", item.url));
                Some(Utc::now() + chrono_span(backoff(item.attempts)))
            }
        }
    }

    /// Starts the run of a list visit (`None` when the store refuses: the visit goes
    /// on unrecorded).
    async fn start_run(&self, source_id: &str) -> Option<RunId> {
        match self.store.start_run(source_id).await {
            Ok(run) => Some(run),
            Err(e) => {
                warn!(worker = %self.options.id, source = %source_id, error = %e,
                    "cannot record the run");
                None
            }
        }
    }

    /// Finishes a list visit's run with its figures and verdict; its articles add
    /// theirs when they are done.
    async fn finish_run(&self, run: Option<RunId>, report: &mut SourceReport) {
        let Some(run) = run else { return };
        report.decide_verdict();
        if let Err(e) = self.store.finish_run(run, &report.to_summary()).await {
            warn!(worker = %self.options.id, run = run.0, error = %e, "cannot finish the run");
        }
    }

    /// Adds an item's figures to the run of the list visit that queued it.
    async fn add_to_run(&self, run: Option<RunId>, report: &mut SourceReport) {
        let Some(run) = run else { return };
        if let Err(e) = self.store.add_to_run(run, &report.increment()).await {
            warn!(worker = %self.options.id, run = run.0, error = %e,
                "cannot add an article's outcome to its run");
        }
    }
}

/// What the list knew about a link (its text, date and summary), carried with the
/// article item.
fn note_of(c: &Candidate) -> String {
    json!({
        "text": c.text,
        "list_date": c.list_date.map(|d| d.to_string()),
        "summary": c.summary,
    })
    .to_string()
}

/// The candidate an article item stands for, from its URL and note.
fn candidate_of(url: Url, note: Option<&str>) -> Candidate {
    let note: serde_json::Value = note
        .and_then(|n| serde_json::from_str(n).ok())
        .unwrap_or_default();
    Candidate {
        url,
        text: note["text"].as_str().unwrap_or_default().to_owned(),
        list_date: note["list_date"]
            .as_str()
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok()),
        summary: note["summary"].as_str().map(str::to_owned),
    }
}
