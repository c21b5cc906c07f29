//! [`PgStore`]: the [`Store`] on a PostgreSQL database, shared by any number of
//! processes.
//!
//! Opening connects a small pool (plain TCP or a Unix socket, no TLS), optionally pins
//! every pooled connection to one schema (`SET search_path` in `after_connect`), and
//! applies the embedded migrations in `migrations/postgres/` (sqlx serialises concurrent
//! migrators with an advisory lock, so several workers may start at once).
//!
//! Answers are the same values [`SqliteStore`](crate::SqliteStore) gives; the shared
//! test suite runs against both. What differs is concurrency: several workers call
//! [`record_articles`](Store::record_articles) on one database at the same time, so a
//! batch first takes transaction-scoped advisory locks on its URLs and fingerprints
//! ([`record`]); a batch that still loses a race (deadlock, serialization failure) is
//! retried here, whole, and callers never see it. `SCHEMA.md` gives the reasoning.
//!
//! The submodules split the work: [`record`] (with [`pending`]) writes articles,
//! [`read`] answers article queries, [`crawl`] keeps validators and runs, [`work`] is
//! the shared work queue.

mod crawl;
mod files;
mod pending;
mod read;
mod recheck;
mod record;
mod work;
mod workers;

use crate::error::{Result, StoreError};
use crate::files::{ArticleFile, ArticleFileEntry, FileRole, StoredFile};
use crate::types::{
    ArticleId, ArticleRecord, ArticleSource, FiledArticle, FilingCount, FilingQuery, PageCheck,
    RecordOutcome, Revision, Run, RunId, RunSummary, StoreStats, StoredArticle, StoredPage,
    Validators, WorkId,
};
use crate::work::{HostHold, HostSlot, NewWork, QueueStats, WorkItem, WorkKind, WorkerStatus};
use crate::{Store, redact_url};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Connections per store (per worker process): one batch writer and a few readers.
const MAX_CONNECTIONS: u32 = 4;

/// How long to wait for a pooled connection before giving up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a batch is tried when it loses a race with another writer.
const MAX_ATTEMPTS: u32 = 8;

/// SQLSTATEs after which a whole batch is simply run again: `serialization_failure`,
/// `deadlock_detected` and `unique_violation` (only possible if a writer that does not
/// take the advisory locks raced us; on the next attempt the row is seen and reused).
const RETRYABLE: [&str; 3] = ["40001", "40P01", "23505"];

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL implementation of [`Store`].
///
/// `Debug` shows the redacted location only: the connect options hold the password.
#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    location: String,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `postgres://user[:password]@host[:port]/database[?…]` (any parameter
    /// sqlx understands, e.g. `host=/run/postgresql` for a socket) and brings the schema
    /// in the connection's default `search_path` up to date.
    pub async fn open(url: &str) -> Result<Self> {
        Self::connect(url, None).await
    }

    /// Like [`PgStore::open`], but keeps every table in `schema` (created if missing):
    /// each pooled connection gets `SET search_path TO schema` as it connects. Lets
    /// several stores (tests, installations) share one database.
    pub async fn open_in_schema(url: &str, schema: &str) -> Result<Self> {
        Self::connect(url, Some(schema)).await
    }

    async fn connect(url: &str, schema: Option<&str>) -> Result<Self> {
        let redacted = redact_url(url);
        let location = match schema {
            Some(s) => format!("{redacted} (schema {s})"),
            None => redacted,
        };
        let open_error = |source| StoreError::Open {
            location: location.clone(),
            source,
        };
        let options = PgConnectOptions::from_str(url)
            .map_err(open_error)?
            .application_name("jujiao");
        // One plain connection first: the pool retries a refused connection until its
        // acquire timeout, which would turn a typo into half a minute of silence and
        // hide the cause (refused, unknown database, authentication).
        PgConnection::connect_with(&options)
            .await
            .map_err(open_error)?
            .close()
            .await
            .map_err(open_error)?;
        let mut pool_options = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT);
        if let Some(schema) = schema {
            let set = format!("SET search_path TO {}", quote_ident(schema));
            pool_options = pool_options.after_connect(move |conn, _meta| {
                let set = set.clone();
                Box::pin(async move { conn.execute(set.as_str()).await.map(|_| ()) })
            });
        }
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(open_error)?;
        if let Some(schema) = schema {
            pool.execute(format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema)).as_str())
                .await
                .map_err(open_error)?;
        }
        let store = PgStore { pool, location };
        MIGRATOR
            .run(&store.pool)
            .await
            .map_err(|source| StoreError::Migrate {
                location: store.location.clone(),
                source,
            })?;
        tracing::debug!(db = %store.location, "opened store");
        Ok(store)
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Wraps a query error with the operation and this database.
    fn query_error(&self, operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
        move |source| StoreError::Query {
            operation,
            location: self.location.clone(),
            source,
        }
    }

    /// A stored value that does not decode.
    fn corrupt(&self, operation: &'static str, what: &'static str, detail: String) -> StoreError {
        StoreError::Corrupt {
            operation,
            location: self.location.clone(),
            what,
            detail,
        }
    }
}

/// `"name"` with embedded quotes doubled: any string is a valid identifier this way.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// True for the failures a rerun of the same batch can get past.
fn is_retryable(e: &StoreError) -> bool {
    match e {
        StoreError::Query {
            source: sqlx::Error::Database(d),
            ..
        } => d.code().is_some_and(|c| RETRYABLE.contains(&c.as_ref())),
        _ => false,
    }
}

/// Waits a little longer after each lost race, with jitter so that two losers do not
/// collide again in lockstep.
fn backoff(attempt: u32) -> Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() % 10_000_000);
    Duration::from_millis(5u64 << attempt.min(6)) + Duration::from_nanos(u64::from(jitter))
}

#[async_trait]
impl Store for PgStore {
    fn location(&self) -> &str {
        &self.location
    }

    async fn record_articles(&self, batch: &[ArticleRecord]) -> Result<Vec<RecordOutcome>> {
        let mut attempt = 1;
        loop {
            match record::record_articles(self, batch).await {
                Err(e) if attempt < MAX_ATTEMPTS && is_retryable(&e) => {
                    tracing::debug!(db = %self.location, attempt, error = %e, "batch lost a race, retrying");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn filed_articles(&self, query: &FilingQuery) -> Result<Vec<FiledArticle>> {
        crate::disclosure::fill_filed(self, read::filed_articles(self, query).await).await
    }

    async fn filing_counts(
        &self,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
    ) -> Result<Vec<FilingCount>> {
        read::filing_counts(self, since, until).await
    }

    async fn article(&self, id: ArticleId) -> Result<Option<StoredArticle>> {
        crate::disclosure::fill_stored(self, read::article(self, id).await).await
    }

    async fn revisions(&self, id: ArticleId) -> Result<Vec<Revision>> {
        read::revisions(self, id).await
    }

    async fn sources_of(&self, id: ArticleId) -> Result<Vec<ArticleSource>> {
        read::sources_of(self, id).await
    }

    async fn known_urls(&self, urls: &[String]) -> Result<HashSet<String>> {
        read::known_urls(self, urls).await
    }

    async fn stats(&self) -> Result<StoreStats> {
        read::stats(self).await
    }

    async fn list_page_validators(&self, url: &str) -> Result<Option<Validators>> {
        crawl::list_page_validators(self, url).await
    }

    async fn set_list_page_validators(&self, url: &str, validators: &Validators) -> Result<()> {
        crawl::set_list_page_validators(self, url, validators).await
    }

    async fn recheck_candidates(
        &self,
        source_id: &str,
        seen_since: DateTime<Utc>,
    ) -> Result<Vec<StoredPage>> {
        recheck::recheck_candidates(self, source_id, seen_since).await
    }

    async fn record_page_checks(&self, checks: &[PageCheck]) -> Result<()> {
        recheck::record_page_checks(self, checks).await
    }

    async fn start_run(&self, source_id: &str) -> Result<RunId> {
        crawl::start_run(self, source_id).await
    }

    async fn finish_run(&self, run: RunId, summary: &RunSummary) -> Result<()> {
        crawl::finish_run(self, run, summary).await
    }

    async fn recent_runs(&self, source_id: &str, limit: u32) -> Result<Vec<Run>> {
        crawl::recent_runs(self, source_id, limit).await
    }

    async fn last_runs(&self) -> Result<Vec<Run>> {
        crawl::last_runs(self).await
    }

    async fn add_to_run(&self, run: RunId, tally: &RunSummary) -> Result<()> {
        crawl::add_to_run(self, run, tally).await
    }

    async fn seed_list_pages(&self, pages: &[crate::ListPageSeed]) -> Result<u64> {
        work::seed_list_pages(self, pages).await
    }

    async fn renew_leases(
        &self,
        worker: &str,
        ids: &[WorkId],
        lease: Duration,
    ) -> Result<Vec<WorkId>> {
        work::renew_leases(self, worker, ids, lease).await
    }

    async fn renew_host_holds(
        &self,
        holder: &str,
        slots: &[(String, u32)],
        hold: Duration,
    ) -> Result<u64> {
        workers::renew_host_holds(self, holder, slots, hold).await
    }

    async fn schedule_work(&self, items: &[NewWork]) -> Result<()> {
        work::schedule_work(self, items).await
    }

    async fn claim_due_work(
        &self,
        worker: &str,
        kinds: &[WorkKind],
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<WorkItem>> {
        work::claim_due_work(self, worker, kinds, limit, lease).await
    }

    async fn complete_work(
        &self,
        id: WorkId,
        worker: &str,
        next_due: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        work::complete_work(self, id, worker, next_due).await
    }

    async fn release_expired_leases(&self) -> Result<u64> {
        work::release_expired_leases(self).await
    }

    async fn claim_host_slot(
        &self,
        host: &str,
        interval: Duration,
        concurrency: u32,
    ) -> Result<HostSlot> {
        work::claim_host_slot(self, host, interval, concurrency).await
    }

    async fn hold_host_slot(
        &self,
        host: &str,
        holder: &str,
        concurrency: u32,
        hold: Duration,
    ) -> Result<HostHold> {
        workers::hold_host_slot(self, host, holder, concurrency, hold).await
    }

    async fn release_host_slot(
        &self,
        host: &str,
        slot: u32,
        holder: &str,
        gap: Duration,
    ) -> Result<bool> {
        workers::release_host_slot(self, host, slot, holder, gap).await
    }

    async fn report_worker(&self, status: &WorkerStatus) -> Result<()> {
        workers::report_worker(self, status).await
    }

    async fn workers(&self) -> Result<Vec<WorkerStatus>> {
        workers::workers(self).await
    }

    async fn queue_stats(&self) -> Result<QueueStats> {
        workers::queue_stats(self).await
    }

    async fn files_by_url(&self, urls: &[String]) -> Result<HashMap<String, String>> {
        files::files_by_url(self, urls).await
    }

    async fn record_file(&self, file: &StoredFile) -> Result<bool> {
        files::record_file(self, file).await
    }

    async fn attach_files(&self, article: ArticleId, list: &[ArticleFile]) -> Result<()> {
        files::attach_files(self, article, list).await
    }

    async fn detach_files_after(
        &self,
        article: ArticleId,
        role: FileRole,
        keep: u32,
    ) -> Result<()> {
        files::detach_files_after(self, article, role, keep).await
    }

    async fn article_files(&self, article: ArticleId) -> Result<Vec<ArticleFileEntry>> {
        files::article_files(self, article).await
    }

    async fn file(&self, hash: &str) -> Result<Option<StoredFile>> {
        files::file(self, hash).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("jujiao_test_1"), "\"jujiao_test_1\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert!(backoff(1) < backoff(4));
        assert!(backoff(100) < Duration::from_millis(331));
    }
}
