//! Re-checks of stored article pages: a page already stored is fetched again when one
//! of its source's `recheck` ages (counted from when it was first stored) has passed
//! since its last fetch, so revisions of published articles are seen.
//!
//! Each re-check is a conditional GET with the validators the page answered with last
//! time: 304 Not Modified only moves the page's check time; 200 is extracted and
//! recorded like a new page, which the store turns into a revision when the text
//! changed (and leaves alone when it did not). Re-checks go through the same fetcher as
//! everything else (per-host concurrency, delay, robots.txt) and at most
//! `recheck_per_run` of them happen per run, after the run's new articles, so they
//! never crowd out new articles; a backlog is worked off over several runs, the most
//! overdue first.

use crate::pipeline::{Candidate, Job};
use crate::report::{Event, Observer, SourceReport};
use crate::{Compiled, Crawler, RunOptions};
use chrono::{DateTime, Utc};
use jujiao_fetch::FetchRequest;
use jujiao_store::{ArticleRecord, PageCheck, StoredPage, Validators};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use url::Url;

/// When a stored page's next re-check falls due: the first of `ages` (after its first
/// storage) that its last fetch has not yet covered; `None` when every re-check is done.
fn next_due(page: &StoredPage, ages: &[Duration]) -> Option<DateTime<Utc>> {
    let last = page.checked_at.unwrap_or(page.first_seen);
    ages.iter()
        .filter_map(|age| chrono::Duration::from_std(*age).ok())
        .map(|age| page.first_seen + age)
        .find(|due| *due > last)
}

/// The pages whose re-check is due at `now`, the most overdue first, at most `cap`.
pub(crate) fn due_pages(
    pages: Vec<StoredPage>,
    ages: &[Duration],
    now: DateTime<Utc>,
    cap: usize,
) -> Vec<StoredPage> {
    let mut due: Vec<(DateTime<Utc>, StoredPage)> = pages
        .into_iter()
        .filter_map(|p| next_due(&p, ages).filter(|d| *d <= now).map(|d| (d, p)))
        .collect();
    due.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.url.cmp(&b.1.url)));
    due.into_iter().take(cap).map(|(_, p)| p).collect()
}

/// What one re-check gave.
enum Checked {
    /// 304, or a dead page (recorded as checked so it is not asked for every run).
    NoContent {
        check: PageCheck,
        not_modified: bool,
    },
    /// New content to record.
    Content {
        check: PageCheck,
        record: Box<ArticleRecord>,
    },
    /// Worth trying again next run.
    Failed,
}

/// Re-checks the source's due pages; counts and errors go into `report`.
pub(crate) async fn run(
    crawler: &Crawler,
    compiled: &Compiled,
    options: RunOptions,
    observer: &dyn Observer,
    report: &mut SourceReport,
) {
    let source = &compiled.source;
    let id = source.id.as_str();
    let Some(oldest) = source.recheck.last() else {
        return;
    };
    if options.dry_run || source.recheck_per_run == 0 {
        return;
    }
    let now = options.now.unwrap_or_else(Utc::now);
    // Pages whose last re-check is overdue (the source did not run for a while) are
    // still checked, up to one more longest age late; older ones are given up.
    let window = chrono::Duration::from_std(*oldest)
        .ok()
        .and_then(|d| d.checked_mul(2))
        .unwrap_or(chrono::Duration::MAX);
    let seen_since = now
        .checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let pages = match crawler.store.recheck_candidates(id, seen_since).await {
        Ok(p) => p,
        Err(e) => {
            report.error(format!("store: pages to re-check: {e}"));
            return;
        }
    };
    let due = due_pages(pages, &source.recheck, now, source.recheck_per_run);
    if due.is_empty() {
        return;
    }
    tracing::debug!(source = %id, due = due.len(), "re-checking stored pages");
    let rules = compiled.rules.clone().map(Arc::new);
    let mut tasks = JoinSet::new();
    let mut pending = due.into_iter();
    let concurrency = crate::ARTICLE_CONCURRENCY;
    let mut checks = Vec::new();
    let mut records = Vec::new();
    loop {
        while tasks.len() < concurrency {
            let Some(page) = pending.next() else { break };
            let mut job = Job::new(compiled, rules.clone(), Arc::clone(&crawler.fetcher));
            // A re-check has no list item: the title comes from the page.
            job.title_from_list = false;
            tasks.spawn(check_page(job, page, now));
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (url, checked) = match joined {
            Ok(r) => r,
            Err(e) => {
                report.error(format!("re-check task failed: {e}"));
                continue;
            }
        };
        match checked {
            Ok(Checked::NoContent {
                check,
                not_modified,
            }) => {
                report.rechecked += 1;
                report.recheck_not_modified += u64::from(not_modified);
                checks.push(check);
            }
            Ok(Checked::Content { check, record }) => {
                report.rechecked += 1;
                report.article_pages += 1;
                checks.push(check);
                records.push(*record);
            }
            Ok(Checked::Failed) => {}
            Err(message) => {
                report.error(format!("re-check {url}: {message}"));
                observer.event(id, Event::Warning(format!("re-check {url}: {message}")));
            }
        }
    }
    if !records.is_empty() {
        match crawler.record(id, &records).await {
            Ok(mut recorded) => {
                recorded.count_files(report);
                report.count_recorded(&recorded.outcomes);
            }
            Err(e) => {
                // Not recorded: the checks are not recorded either, so the pages are
                // re-checked next run.
                report.error(format!("store: re-checked pages not stored: {e}"));
                let stored: std::collections::HashSet<&str> =
                    records.iter().map(|r| r.article.url.as_str()).collect();
                checks.retain(|c| !stored.contains(c.url.as_str()));
            }
        }
    }
    if let Err(e) = crawler.store.record_page_checks(&checks).await {
        report.error(format!("store: re-check times: {e}"));
    }
}

/// Fetches one stored page with its validators and prepares what to record.
async fn check_page(
    job: Job,
    page: StoredPage,
    now: DateTime<Utc>,
) -> (String, Result<Checked, String>) {
    let url = page.url.clone();
    let Ok(parsed) = Url::parse(&page.url) else {
        return (url, Err("not a valid URL".into()));
    };
    let request = FetchRequest::new(parsed.clone())
        .with_source(&job.source_id)
        .with_validators(page.validators.clone());
    let response = match job.fetcher.fetch(&request).await {
        Ok(r) => r,
        Err(e) => return (url, Err(e.to_string())),
    };
    let check = |validators: Validators| PageCheck {
        url: page.url.clone(),
        checked_at: now,
        validators,
    };
    if response.is_not_modified() {
        return (
            url,
            Ok(Checked::NoContent {
                check: check(page.validators.clone()),
                not_modified: true,
            }),
        );
    }
    // A page that is gone stays as stored; it is not asked for again until its next age.
    if matches!(response.status, 404 | 410) {
        return (
            url,
            Ok(Checked::NoContent {
                check: check(page.validators.clone()),
                not_modified: false,
            }),
        );
    }
    let validators = response.validators.clone();
    let candidate = Candidate {
        url: parsed,
        text: String::new(),
        list_date: None,
        summary: None,
    };
    let _cpu = crate::pipeline::cpu_permit().await;
    let prepared = tokio::task::spawn_blocking(move || {
        job.prepare(&candidate, &response)
            .map_err(|f| (f.message, f.is_transient))
    })
    .await;
    match prepared {
        Ok(Ok(p)) => (
            url,
            Ok(Checked::Content {
                check: check(validators),
                record: Box::new(p.record),
            }),
        ),
        Ok(Err((message, true))) => {
            tracing::debug!(url = %url, message, "re-check failed, retried next run");
            (url, Ok(Checked::Failed))
        }
        Ok(Err((message, false))) => (url, Err(message)),
        Err(e) => (url, Err(format!("extraction crashed: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap() + chrono::Duration::hours(h)
    }

    fn page(url: &str, first: i64, checked: Option<i64>) -> StoredPage {
        StoredPage {
            url: url.into(),
            first_seen: t(first),
            checked_at: checked.map(t),
            validators: Validators::default(),
        }
    }

    const AGES: [Duration; 3] = [
        Duration::from_secs(3600),
        Duration::from_secs(86_400),
        Duration::from_secs(7 * 86_400),
    ];

    #[test]
    fn a_page_is_due_once_per_age_passed() {
        // Stored at 0, never re-checked: nothing due before 1 h, due at 1 h.
        assert!(due_pages(vec![page("a", 0, None)], &AGES, t(0), 9).is_empty());
        assert_eq!(due_pages(vec![page("a", 0, None)], &AGES, t(1), 9).len(), 1);
        // Checked at 1 h: next due at 24 h.
        assert!(due_pages(vec![page("a", 0, Some(1))], &AGES, t(23), 9).is_empty());
        assert_eq!(
            due_pages(vec![page("a", 0, Some(1))], &AGES, t(24), 9).len(),
            1
        );
        // A run missed the 1 h and 24 h marks: one re-check covers both.
        assert_eq!(next_due(&page("a", 0, Some(30)), &AGES), Some(t(168)));
        // Every age done: never again.
        assert_eq!(next_due(&page("a", 0, Some(200)), &AGES), None);
        assert!(due_pages(vec![page("a", 0, Some(200))], &AGES, t(10_000), 9).is_empty());
    }

    #[test]
    fn the_most_overdue_come_first_and_the_cap_holds() {
        let pages = vec![
            page("new", 20, None),
            page("old", 0, None),
            page("mid", 10, None),
        ];
        let due: Vec<String> = due_pages(pages, &AGES, t(30), 2)
            .into_iter()
            .map(|p| p.url)
            .collect();
        assert_eq!(due, ["old", "mid"]);
    }

    #[test]
    fn no_ages_means_no_rechecks() {
        assert!(due_pages(vec![page("a", 0, None)], &[], t(10_000), 9).is_empty());
    }
}
