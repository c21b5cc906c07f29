//! [`PgStore`]: the [`Store`](crate::Store) on a PostgreSQL database, shared by any number of
//! processes.
//!
//! Opening connects a small pool (plain TCP or a Unix socket, no TLS), optionally pins
//! every pooled connection to one schema (`SET search_path` in `after_connect`), and
//! applies the embedded migrations in `migrations/postgres/` (sqlx serialises concurrent
//! migrators with an advisory lock, so several workers may start at once).
//!
//! Answers are the same values [`SqliteStore`](crate::SqliteStore) gives, from the same
//! code (`sql/`, compiled here as [`sql`]); the shared test suite runs against both.
//! What differs is concurrency: several workers record articles on one database at the
//! same time, so a batch first takes transaction-scoped advisory locks on its URLs and
//! fingerprints, and a batch that still loses a race (deadlock, serialization failure)
//! is retried, whole, and callers never see it ([`dialect`]). [`pending`] gathers a
//! batch's new rows as arrays. `SCHEMA.md` gives the reasoning.

mod dialect;
mod pending;
#[allow(
    clippy::duplicate_mod,
    reason = "one body of SQL, compiled once for each backend's types"
)]
#[path = "../sql/mod.rs"]
mod sql;

use crate::error::{Result, StoreError};
use crate::redact_url;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Connections per store (per worker process): one batch writer and a few readers.
const MAX_CONNECTIONS: u32 = 4;

/// How long to wait for a pooled connection before giving up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL implementation of [`Store`](crate::Store).
///
/// `Debug` shows the redacted location only: the connect options hold the password.
#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    pub(crate) location: String,
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
}

/// `"name"` with embedded quotes doubled: any string is a valid identifier this way.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("jujiao_test_1"), "\"jujiao_test_1\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
