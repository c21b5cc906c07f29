//! [`SqliteStore`]: the [`Store`](crate::Store) on one SQLite file (or in memory, for tests).
//!
//! Opening sets WAL journalling, `synchronous=NORMAL` (durable across application
//! crashes; a power cut may lose the last transactions but never corrupts), foreign keys
//! and a busy timeout, then applies the embedded migrations in
//! `migrations/sqlite/`. Writes run in `BEGIN IMMEDIATE` transactions so that two writers
//! wait for each other instead of failing when a read lock cannot be upgraded.
//!
//! Queries are runtime-checked (`sqlx::query`) and use `$n` placeholders. The store's
//! methods are the shared ones in `sql/` (compiled here as [`sql`]); [`dialect`] says
//! what SQLite spells its own way, and [`pending`] gathers a batch's new rows as JSON.

mod dialect;
mod pending;
#[allow(
    clippy::duplicate_mod,
    reason = "one body of SQL, compiled once for each backend's types"
)]
#[path = "../sql/mod.rs"]
mod sql;

use crate::error::{Result, StoreError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// How long a statement waits for another writer before failing with "database is
/// locked". Imports commit a batch every few tens of milliseconds, so this is generous.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections in a file store's pool: one writer at a time plus readers (WAL lets them
/// read while the writer writes).
const MAX_CONNECTIONS: u32 = 4;

/// Page size for new databases. An article row is 3–4 KB; with SQLite's default 4 KB
/// pages most rows take a page of their own and waste a quarter of it. Only applies when
/// the file is created (a WAL database keeps its page size).
const PAGE_SIZE: u32 = 16_384;

/// Page cache per connection, in KiB (negative = KiB for SQLite), at most 16 MB for the
/// pool: the indexes a crawl looks up (URLs, fingerprints, title keys) stay in it, and
/// pages it drops are in the operating system's cache. 16 MB per connection made a
/// crawl's peak memory grow with the database by up to 64 MB (issue 16).
const CACHE_SIZE: &str = "-4096";

/// SQLite's result code for "file is not a database".
const SQLITE_NOTADB: &str = "26";

/// Further tries at opening or migrating a new file that another process opens at once.
const MIGRATE_ATTEMPTS: u32 = 8;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite implementation of [`Store`](crate::Store).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    pub(crate) location: String,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a file path or an `sqlite:` URL
    /// (`sqlite:jujiao.db`, `sqlite:///var/lib/jujiao.db`, `sqlite::memory:`), and brings
    /// its schema up to date.
    pub async fn open(path_or_url: &str) -> Result<Self> {
        let options = if path_or_url.starts_with("sqlite:") {
            if is_memory_url(path_or_url) {
                return Self::in_memory().await;
            }
            SqliteConnectOptions::from_str(path_or_url).map_err(|source| StoreError::Open {
                location: path_or_url.to_owned(),
                source,
            })?
        } else {
            SqliteConnectOptions::new().filename(path_or_url)
        };
        let path = options.get_filename().to_path_buf();
        Self::open_file(options, path).await
    }

    /// Opens the database file at `path`; see [`SqliteStore::open`].
    pub async fn open_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        Self::open_file(SqliteConnectOptions::new().filename(&path), path).await
    }

    async fn open_file(options: SqliteConnectOptions, path: PathBuf) -> Result<Self> {
        if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
            return Err(StoreError::IsDirectory { path });
        }
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty())
            && !tokio::fs::try_exists(folder).await.unwrap_or(true)
        {
            return Err(StoreError::NoFolder {
                folder: folder.to_path_buf(),
                path,
            });
        }
        let location = path.display().to_string();
        let options = options
            .create_if_missing(true)
            .page_size(PAGE_SIZE)
            .pragma("cache_size", CACHE_SIZE)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // Several processes opening a new file at once (workers started together): the
        // first connection's switch to WAL needs the file to itself, and SQLite answers
        // the others "database is locked" at once, without waiting for the busy timeout.
        // Those try again shortly, as for the migrations below.
        let pool = retry_concurrent_open(&location, "opening", is_busy, || {
            SqlitePoolOptions::new()
                .max_connections(MAX_CONNECTIONS)
                .connect_with(options.clone())
        })
        .await
        .map_err(|source| open_error(&path, &location, source))?;
        let store = SqliteStore { pool, location };
        store.migrate(&path).await?;
        tracing::debug!(db = %store.location, "opened store");
        Ok(store)
    }

    /// A private database in memory, gone when the store is dropped. For tests.
    pub async fn in_memory() -> Result<Self> {
        let location = ":memory:".to_owned();
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true);
        // Every connection to `:memory:` is a separate database: keep exactly one, forever.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                location: location.clone(),
                source,
            })?;
        let store = SqliteStore { pool, location };
        store.migrate(Path::new(":memory:")).await?;
        Ok(store)
    }

    /// Applies the migrations not yet applied. SQLite has no lock for this (sqlx takes
    /// an advisory lock on PostgreSQL only), so two processes opening a new database at
    /// once — `jujiao worker` started twice — may both try a migration: the second fails
    /// ("table … already exists") once the first committed it. Each migration commits
    /// with its own record, so trying again sees it applied and goes on.
    async fn migrate(&self, path: &Path) -> Result<()> {
        let is_race = |e: &sqlx::migrate::MigrateError| {
            matches!(
                e,
                sqlx::migrate::MigrateError::Execute(e)
                    | sqlx::migrate::MigrateError::ExecuteMigration(e, _)
                    if is_migration_race(e)
            )
        };
        let result = retry_concurrent_open(&self.location, "migrating", is_race, || {
            MIGRATOR.run(&self.pool)
        })
        .await;
        result.map_err(|source| match source {
            sqlx::migrate::MigrateError::Execute(e) if is_not_a_database(&e) => {
                StoreError::NotADatabase {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
            source => StoreError::Migrate {
                location: self.location.clone(),
                source,
            },
        })
    }

    /// Closes the pool, waiting for connections to finish (and WAL to checkpoint).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn is_memory_url(url: &str) -> bool {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest == ":memory:" || rest.contains("mode=memory")
}

/// Runs `step` again while it fails as a concurrent open or migration of the same new
/// file does (`is_race`), at most `MIGRATE_ATTEMPTS` more times, waiting 50 ms longer
/// each time; any other outcome is returned as it is.
async fn retry_concurrent_open<T, E, Fut>(
    location: &str,
    what: &str,
    is_race: impl Fn(&E) -> bool,
    mut step: impl FnMut() -> Fut,
) -> std::result::Result<T, E>
where
    E: std::fmt::Display,
    Fut: std::future::Future<Output = std::result::Result<T, E>>,
{
    let mut attempt = 0;
    loop {
        match step().await {
            Err(e) if attempt < MIGRATE_ATTEMPTS && is_race(&e) => {
                attempt += 1;
                tracing::debug!(db = %location, attempt, error = %e,
                    "{what} failed, another process may be opening the file; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
            }
            other => return other,
        }
    }
}

/// What another process migrating the same new file at once looks like: an SQL error
/// about what it just made (SQLITE_ERROR, code 1: "table … already exists", "duplicate
/// column name: …"), or a busy/locked database. Anything else — a full disk (code 13)
/// above all — fails at once: when every failure was retried, a database on a full disk
/// once opened without its tables ("no such table: filings" at the next use; the
/// reliability suite's database-full case).
fn is_migration_race(e: &sqlx::Error) -> bool {
    is_busy(e) || primary_code(e) == Some(1)
}

fn primary_code(e: &sqlx::Error) -> Option<u32> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    d.code()
        .and_then(|c| c.parse::<u32>().ok())
        .map(|c| c & 0xff)
}

/// SQLITE_BUSY or SQLITE_LOCKED (primary result codes 5 and 6, also inside extended
/// codes such as SQLITE_BUSY_SNAPSHOT = 517).
fn is_busy(e: &sqlx::Error) -> bool {
    matches!(primary_code(e), Some(5 | 6))
}

fn is_not_a_database(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some(SQLITE_NOTADB))
}

fn open_error(path: &Path, location: &str, source: sqlx::Error) -> StoreError {
    if is_not_a_database(&source) {
        StoreError::NotADatabase {
            path: path.to_path_buf(),
            source,
        }
    } else {
        StoreError::Open {
            location: location.to_owned(),
            source,
        }
    }
}
