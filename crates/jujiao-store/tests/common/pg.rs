//! PostgreSQL test databases: a fresh schema per test, dropped when the test ends, so
//! tests run in parallel on one database.
//!
//! The server is `$JUJIAO_TEST_PG` (a URL). Unset, [`DEFAULT_URL`] is tried and, if no
//! server answers there, the test prints [`SKIPPED`] and passes. Set, a connection
//! failure fails the test: CI must never skip silently.

use jujiao_store::{PgStore, Store};
use sqlx::{Connection, Executor};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

pub const ENV: &str = "JUJIAO_TEST_PG";
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const SKIPPED: &str = "skipped: no PostgreSQL server (set JUJIAO_TEST_PG)";

/// Which server a test uses, and whether its absence is allowed.
#[derive(Debug, Clone)]
pub enum Target {
    /// Named by `$JUJIAO_TEST_PG`: it must answer.
    Explicit(String),
    /// The default server: the test is skipped when it does not answer.
    Default(String),
}

impl Target {
    pub fn from_env() -> Target {
        match std::env::var(ENV) {
            Ok(url) if !url.trim().is_empty() => Target::Explicit(url),
            _ => Target::Default(DEFAULT_URL.to_owned()),
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Target::Explicit(u) | Target::Default(u) => u,
        }
    }
}

/// Drops the test's schema (and everything in it) when dropped.
#[derive(Debug)]
pub struct SchemaGuard {
    pub url: String,
    pub schema: String,
}

impl SchemaGuard {
    /// Another store on the same schema, with its own pool (another "worker").
    pub async fn open_another(&self) -> PgStore {
        PgStore::open_in_schema(&self.url, &self.schema)
            .await
            .unwrap()
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread
        // with its own.
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&url).await?;
                conn.execute(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE").as_str())
                    .await?;
                conn.close().await
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(done, Ok(Ok(()))) {
            eprintln!("warning: test schema {} was not dropped", self.schema);
        }
    }
}

/// A name no other test (in this or another process) uses.
pub fn unique_schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "jujiao_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// True when the error means nothing answered at the address.
fn is_unreachable(e: &jujiao_store::StoreError) -> bool {
    matches!(
        e,
        jujiao_store::StoreError::Open {
            source: sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut,
            ..
        }
    )
}

/// A store in a fresh schema on the test server, or `None` (after printing
/// [`SKIPPED`]) when the default server does not answer.
pub async fn open_pg_at(target: Target) -> Option<(PgStore, SchemaGuard)> {
    let schema = unique_schema();
    match PgStore::open_in_schema(target.url(), &schema).await {
        Ok(store) => Some((
            store,
            SchemaGuard {
                url: target.url().to_owned(),
                schema,
            },
        )),
        Err(e) if matches!(target, Target::Default(_)) && is_unreachable(&e) => {
            println!("{SKIPPED}");
            None
        }
        Err(e) => panic!("{ENV}: cannot use the PostgreSQL test server: {e:?}"),
    }
}

/// [`open_pg_at`] the server the environment names, as a `dyn Store` for the suite.
pub async fn open_pg() -> Option<(Arc<dyn Store>, SchemaGuard)> {
    let (store, guard) = open_pg_at(Target::from_env()).await?;
    Some((Arc::new(store), guard))
}
