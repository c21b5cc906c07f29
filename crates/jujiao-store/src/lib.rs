//! The store: the [`Store`] trait every part of jujiao talks to, and its SQLite
//! ([`SqliteStore`]) and PostgreSQL ([`PgStore`]) implementations.
//!
//! The trait is named for what callers do — `jujiao import` and the crawler
//! [`record_articles`](Store::record_articles) in batches, `jujiao publish` pages through
//! [`filed_articles`](Store::filed_articles), the crawler keeps list-page
//! [`Validators`] and [`Run`] bookkeeping, the web app reads an
//! [`article`](Store::article), its [`revisions`](Store::revisions) and
//! [`sources_of`](Store::sources_of) — and says nothing about SQL: SQLite serves one
//! process, PostgreSQL several workers sharing one crawl. [`open_store`] picks the
//! backend from a URL.
//!
//! The tables and the reasons behind them are described in `SCHEMA.md` beside this
//! crate's `Cargo.toml`.

mod codec;
mod disclosure;
mod error;
mod files;
pub mod near;
mod postgres;
mod sqlite;
mod types;
mod work;

pub use error::{Result, StoreError};
pub use files::{ArticleFile, ArticleFileEntry, FileRole, StoredFile, TextStatus};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use types::{
    ArticleId, ArticleRecord, ArticleSource, DEFAULT_PAGE, FiledArticle, FilingCount, FilingId,
    FilingQuery, FilingRef, MAX_PAGE, PageCheck, RecordOutcome, Revision, Run, RunId, RunSummary,
    SourceKind, StoreStats, StoredArticle, StoredFiling, StoredPage, Validators, WorkId,
};
pub use work::{
    HostHold, HostSlot, ListPageSeed, NewWork, QueueStats, WorkItem, WorkKind, WorkerState,
    WorkerStatus,
};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The database file name used when the configuration names none.
pub const DEFAULT_DB: &str = "jujiao.db";

/// Most error samples a run keeps ([`Store::add_to_run`]).
pub const RUN_ERROR_SAMPLES: usize = 10;

/// Everything jujiao stores. Implementations are shared between tasks
/// (`Arc<dyn Store>`); every method is one atomic unit of work.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// Where the data lives (a path, or a URL without its password), for messages.
    fn location(&self) -> &str;

    /// Records a batch of articles in one transaction: either the whole batch is
    /// stored or, on any error, nothing of it. Returns one outcome per record, in order.
    ///
    /// Per record, in order (so later records see earlier ones of the same batch):
    /// - URL known, content fingerprint equal to what that URL served last →
    ///   [`RecordOutcome::Unchanged`];
    /// - URL known, fingerprint changed → the article's content is replaced, the old
    ///   content is kept as a revision → [`RecordOutcome::Revised`]; the record's filing
    ///   is ignored;
    /// - URL new, fingerprint already stored → the URL is added as a further source of
    ///   that article, the record's filing is kept with it but not filed →
    ///   [`RecordOutcome::Duplicate`];
    /// - URL new, a stored article of another source has the same normalised title, a
    ///   publish day at most two days away and nearly the same body ([`near`]) → the URL
    ///   is added as a further source of that article → [`RecordOutcome::NearDuplicate`];
    /// - otherwise a new article and filing → [`RecordOutcome::Added`].
    ///
    /// A record with an empty URL or an empty column fails the batch with
    /// [`StoreError::InvalidRecord`].
    async fn record_articles(&self, batch: &[ArticleRecord]) -> Result<Vec<RecordOutcome>>;

    /// One page of filings with their articles' current content, by ascending filing id.
    /// Undated filings are included only when the query gives no date range.
    async fn filed_articles(&self, query: &FilingQuery) -> Result<Vec<FiledArticle>>;

    /// Filings per day and column between two days (inclusive), by date then column;
    /// with neither bound, every day plus the undated filings (listed first).
    async fn filing_counts(
        &self,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
    ) -> Result<Vec<FilingCount>>;

    /// An article's current content and filings.
    async fn article(&self, id: ArticleId) -> Result<Option<StoredArticle>>;

    /// Every revision of an article, oldest first; the last is the current content.
    /// Empty when the article does not exist.
    async fn revisions(&self, id: ArticleId) -> Result<Vec<Revision>>;

    /// Every URL the article was recorded from, the primary one first.
    async fn sources_of(&self, id: ArticleId) -> Result<Vec<ArticleSource>>;

    /// The subset of `urls` already recorded (as primary or duplicate source), so the
    /// crawler can skip fetching them.
    async fn known_urls(&self, urls: &[String]) -> Result<HashSet<String>>;

    /// Counts of what is stored.
    async fn stats(&self) -> Result<StoreStats>;

    /// The validators last seen for a list page.
    async fn list_page_validators(&self, url: &str) -> Result<Option<Validators>>;

    /// Replaces the validators of a list page.
    async fn set_list_page_validators(&self, url: &str, validators: &Validators) -> Result<()>;

    /// The pages of `source_id` first stored at or after `seen_since`, with their last
    /// check: the crawler picks the ones due for a re-check among them.
    async fn recheck_candidates(
        &self,
        source_id: &str,
        seen_since: DateTime<Utc>,
    ) -> Result<Vec<StoredPage>>;

    /// Records fetches of article pages (time and validators), replacing earlier ones.
    async fn record_page_checks(&self, checks: &[PageCheck]) -> Result<()>;

    /// Starts a crawl run of a source, timed now.
    async fn start_run(&self, source_id: &str) -> Result<RunId>;

    /// Finishes a run with its summary, timed now. Finishing a run twice replaces the
    /// summary; an unknown id is [`StoreError::NotFound`].
    async fn finish_run(&self, run: RunId, summary: &RunSummary) -> Result<()>;

    /// The latest runs of a source, newest first.
    async fn recent_runs(&self, source_id: &str, limit: u32) -> Result<Vec<Run>>;

    /// The latest run of every source that has one, by source id.
    async fn last_runs(&self) -> Result<Vec<Run>>;

    /// Adds one article's outcome to a run that was already finished (a worker's run:
    /// its list-page visit finishes it, the articles it queued are fetched later, by any
    /// worker): the counters of `tally` are added, its error samples appended while the
    /// run keeps fewer than [`RUN_ERROR_SAMPLES`], its verdict (when not empty) replaces
    /// an `ok` one, and the finish time becomes now. An unknown id is
    /// [`StoreError::NotFound`].
    async fn add_to_run(&self, run: RunId, tally: &RunSummary) -> Result<()>;

    /// Queues work. A `(kind, url)` already queued is not added twice: its due time
    /// becomes the earlier of the two, its lease (if any) is kept.
    async fn schedule_work(&self, items: &[NewWork]) -> Result<()>;

    /// Seeds the queue with list pages at a worker's start: a page not yet queued is
    /// added, due now; a page already queued keeps its schedule (a restart does not make
    /// it due), only brought forward to at most its `interval` from now. Answers how
    /// many pages were added.
    async fn seed_list_pages(&self, pages: &[ListPageSeed]) -> Result<u64>;

    /// Renews `worker`'s leases on items it is still working on, to `lease` from now,
    /// and answers the ids it still holds: an item missing from the answer was taken
    /// over (its lease had run out) or completed by someone else, so its result must
    /// not be recorded.
    async fn renew_leases(
        &self,
        worker: &str,
        ids: &[WorkId],
        lease: Duration,
    ) -> Result<Vec<WorkId>>;

    /// Leases up to `limit` items of the given kinds that are due and not leased (or
    /// whose lease has ended) to `worker` for `lease`, earliest due first. Concurrent
    /// callers never get the same item.
    async fn claim_due_work(
        &self,
        worker: &str,
        kinds: &[WorkKind],
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<WorkItem>>;

    /// Ends `worker`'s lease on an item: removes it (`next_due` `None`) or queues it
    /// again for `next_due` (a list page's next visit, a retry). False when the worker
    /// no longer holds the lease (it ended and was released or claimed by another), in
    /// which case nothing changes.
    async fn complete_work(
        &self,
        id: WorkId,
        worker: &str,
        next_due: Option<DateTime<Utc>>,
    ) -> Result<bool>;

    /// Clears the leases that have ended (a worker died), so their items show as free;
    /// returns how many. Claiming already ignores ended leases; this keeps the table
    /// honest for monitoring.
    async fn release_expired_leases(&self) -> Result<u64>;

    /// Asks to start a fetch on `host`, which allows `concurrency` starts per `interval`
    /// across all workers: each host has `concurrency` slots, each with the next time it
    /// may start something; a granted start moves its slot `interval` ahead. Atomic
    /// across workers.
    async fn claim_host_slot(
        &self,
        host: &str,
        interval: Duration,
        concurrency: u32,
    ) -> Result<HostSlot>;

    /// Holds one of `host`'s `concurrency` slots for the length of a fetch: the lowest
    /// slot free now is marked held by `holder` until `hold` from now (so a holder that
    /// dies frees it then) → [`HostHold::Held`]; with none free,
    /// [`HostHold::NotBefore`] the earliest time one may be. Shares the slots of
    /// [`claim_host_slot`](Store::claim_host_slot). Atomic across workers.
    async fn hold_host_slot(
        &self,
        host: &str,
        holder: &str,
        concurrency: u32,
        hold: Duration,
    ) -> Result<HostHold>;

    /// Ends `holder`'s hold on a slot: it rests for `gap` (the host's delay) from now,
    /// then is free. False when the hold had run out and the slot was taken by
    /// someone else (nothing changes then).
    async fn release_host_slot(
        &self,
        host: &str,
        slot: u32,
        holder: &str,
        gap: Duration,
    ) -> Result<bool>;

    /// Renews `holder`'s holds on host slots it is still fetching on (`(host, slot)`),
    /// to `hold` from now (never shorter); a slot no longer held by `holder` is left
    /// alone. Answers how many were renewed.
    async fn renew_host_holds(
        &self,
        holder: &str,
        slots: &[(String, u32)],
        hold: Duration,
    ) -> Result<u64>;

    /// Records a worker's heartbeat and activity (insert or replace by id).
    async fn report_worker(&self, status: &WorkerStatus) -> Result<()>;

    /// Every worker that has reported, most recently seen first.
    async fn workers(&self) -> Result<Vec<WorkerStatus>>;

    /// What the work queue holds now.
    async fn queue_stats(&self) -> Result<QueueStats>;
    // Images and attachments (jujiao-media keeps the bytes on disk by hash).

    /// The subset of `urls` some article's file was fetched from, with the hash of what
    /// it served: a file URL is fetched once, whatever number of articles use it.
    async fn files_by_url(&self, urls: &[String]) -> Result<HashMap<String, String>>;

    /// Records a stored file's facts; true when it is new. A hash already stored keeps
    /// its row (the same bytes give the same facts).
    async fn record_file(&self, file: &StoredFile) -> Result<bool>;

    /// Sets files an article references, in one transaction: each `(role, position)`
    /// given replaces what was there, others are kept (a later run may fill the gap a
    /// failed download left). Every hash must have been recorded with
    /// [`record_file`](Store::record_file).
    async fn attach_files(&self, article: ArticleId, files: &[ArticleFile]) -> Result<()>;

    /// Forgets the article's files of `role` after position `keep`: a revision that
    /// shows fewer images or attachments than before no longer files the old ones.
    async fn detach_files_after(&self, article: ArticleId, role: FileRole, keep: u32)
    -> Result<()>;

    /// The files an article references: images first, then attachments, each by
    /// position.
    async fn article_files(&self, article: ArticleId) -> Result<Vec<ArticleFileEntry>>;

    /// A stored file's facts and text, by hash.
    async fn file(&self, hash: &str) -> Result<Option<StoredFile>>;
}

/// Opens the store a configuration names: a file path or an `sqlite:` URL
/// ([`SqliteStore`]), or a `postgres://` / `postgresql://` URL ([`PgStore`]). Errors and
/// [`Store::location`] show the URL without its password.
pub async fn open_store(url_or_path: &str) -> Result<Arc<dyn Store>> {
    match backend_of(url_or_path) {
        Backend::Sqlite => Ok(Arc::new(SqliteStore::open(url_or_path).await?)),
        Backend::Postgres => Ok(Arc::new(PgStore::open(url_or_path).await?)),
        Backend::Unsupported(scheme) => Err(StoreError::Unsupported {
            url: redact_url(url_or_path),
            scheme: scheme.to_owned(),
        }),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Backend<'a> {
    Sqlite,
    Postgres,
    Unsupported(&'a str),
}

/// `scheme://…` other than `sqlite://` is another backend; anything else is a path or an
/// `sqlite:` URL. (A Windows path `C:\x` has no `//` after its colon.)
fn backend_of(s: &str) -> Backend<'_> {
    match s.split_once("://") {
        Some((scheme, _))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            if scheme.eq_ignore_ascii_case("sqlite") {
                Backend::Sqlite
            } else if scheme.eq_ignore_ascii_case("postgres")
                || scheme.eq_ignore_ascii_case("postgresql")
            {
                Backend::Postgres
            } else {
                Backend::Unsupported(scheme)
            }
        }
        _ => Backend::Sqlite,
    }
}

/// Hides a password in `scheme://user:password@host/…`.
pub(crate) fn redact_url(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') { ":****" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_by_scheme() {
        assert_eq!(backend_of("jujiao.db"), Backend::Sqlite);
        assert_eq!(backend_of("/var/lib/jujiao/jujiao.db"), Backend::Sqlite);
        assert_eq!(backend_of("sqlite:jujiao.db"), Backend::Sqlite);
        assert_eq!(backend_of("sqlite:///tmp/x.db"), Backend::Sqlite);
        assert_eq!(backend_of("C:\\data\\jujiao.db"), Backend::Sqlite);
        assert_eq!(backend_of("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(backend_of("postgresql://u@h/db"), Backend::Postgres);
        assert_eq!(backend_of("mysql://u@h/db"), Backend::Unsupported("mysql"));
    }

    #[test]
    fn redaction_hides_only_the_password() {
        assert_eq!(
            redact_url("postgres://jj:s3cret@db.local:5432/jujiao"),
            "postgres://jj:****@db.local:5432/jujiao"
        );
        assert_eq!(redact_url("postgres://jj@db/x"), "postgres://jj@db/x");
        assert_eq!(redact_url("jujiao.db"), "jujiao.db");
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_a_clear_error_without_the_password() {
        let err = open_store("mysql://jj:s3cret@db/jujiao").await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("not supported"), "{msg}");
        assert!(!msg.contains("s3cret"), "{msg}");
    }
}
