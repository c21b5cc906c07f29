//! The store: the [`Store`] every part of jujiao talks to, and its SQLite
//! ([`SqliteStore`]) and PostgreSQL ([`PgStore`]) implementations.
//!
//! [`Store`] is the umbrella over one sub-trait per concern, each named for what callers
//! do and silent about SQL: [`ArticleStore`] (`jujiao import` and the crawler
//! [`record_articles`](ArticleStore::record_articles) in batches, `jujiao publish` pages
//! through [`filed_articles`](ArticleStore::filed_articles), the web app reads an
//! [`article`](ArticleStore::article) and its [`revisions`](ArticleStore::revisions)),
//! [`CrawlLog`] (list-page [`Validators`], re-checks, [`Run`] bookkeeping),
//! [`WorkQueue`] and [`HostSlots`] (workers sharing one crawl) and [`FileCatalog`] (images
//! and attachments). Callers hold an `Arc<dyn Store>` and import the sub-traits whose
//! methods they call. SQLite serves one process, PostgreSQL several workers sharing one
//! crawl; [`open_store`] picks the backend from a URL.
//!
//! Both backends run one body of code: the sub-traits are implemented once in `sql/`,
//! which each backend compiles with its own types, and each backend's `dialect` module
//! keeps only what really differs (time and date columns, lists as arrays or JSON,
//! advisory locks, `SKIP LOCKED`). The tables and the reasons behind them are described
//! in `SCHEMA.md` beside this crate's `Cargo.toml`.

mod articles;
pub mod briefings;
mod codec;
mod crawl;
mod disclosure;
mod error;
mod files;
pub mod near;
mod postgres;
mod sqlite;
mod types;
mod users;
mod watch;
mod work;

pub use articles::ArticleStore;
pub use briefings::{
    ArticleUse, BriefingStore, Draft, DraftItem, Issue, IssueId, IssueOutcome, IssueQuery,
    IssueStatus, IssueSummary, Issued, SaveOutcome, Series, SeriesId,
};
pub use crawl::CrawlLog;
pub use error::{Result, StoreError};
pub use files::{ArticleFile, ArticleFileEntry, FileCatalog, FileRole, StoredFile, TextStatus};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use types::{
    ArticleId, ArticleRecord, ArticleSource, DEFAULT_PAGE, FiledArticle, FilingCount, FilingId,
    FilingQuery, FilingRef, MAX_PAGE, PageCheck, RecordOutcome, Revision, Run, RunId, RunSummary,
    SourceKind, StoreStats, StoredArticle, StoredFiling, StoredPage, Validators, WorkId,
};
pub use users::{
    AuditEntry, AuditRecord, LoginAttempt, LoginFailures, NewSession, NewUser, PasswordHash, Role,
    Session, SessionKey, User, UserId, UserStore,
};
pub use watch::{
    Delivery, DeliveryId, DeliveryState, FindMatches, HeldMessage, HeldResolution, NewHeldMessage,
    NewWatchMatch, RuleOrigin, SendSlot, StoredWatchRule, WatchMatch, WatchStats, WatchStore,
};
pub use work::{
    HostHold, HostPause, HostSlot, HostSlots, ListPageSeed, NewWork, QueueStats, WorkItem,
    WorkKind, WorkQueue, WorkerState, WorkerStatus,
};

use std::fmt;
use std::sync::Arc;

/// The database file name used when the configuration names none.
pub const DEFAULT_DB: &str = "jujiao.db";

/// Most error samples a run keeps ([`CrawlLog::add_to_run`]).
pub const RUN_ERROR_SAMPLES: usize = 10;

/// Everything jujiao stores: every sub-trait, behind one `Arc<dyn Store>` shared
/// between tasks. Every method is one atomic unit of work.
pub trait Store:
    ArticleStore
    + CrawlLog
    + WorkQueue
    + HostSlots
    + FileCatalog
    + UserStore
    + BriefingStore
    + WatchStore
    + Send
    + Sync
    + fmt::Debug
{
    /// Where the data lives (a path, or a URL without its password), for messages.
    fn location(&self) -> &str;
}

impl Store for SqliteStore {
    fn location(&self) -> &str {
        &self.location
    }
}

impl Store for PgStore {
    fn location(&self) -> &str {
        &self.location
    }
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
