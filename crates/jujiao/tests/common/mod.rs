//! Shared by the worker tests: a fresh PostgreSQL schema on the test server, dropped at
//! the end, or a skipped test (with a message) when the default server does not answer.

use jujiao_store::PgStore;
use sqlx::{Connection, Executor};

pub const ENV: &str = "JUJIAO_TEST_PG";
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh schema on the test server, dropped at the end.
pub struct Schema {
    pub server: String,
    pub name: String,
}

impl Schema {
    /// The URL the workers use: the server's, with the schema as search path.
    pub fn url(&self) -> String {
        let sep = if self.server.contains('?') { '&' } else { '?' };
        format!("{}{sep}options[search_path]={}", self.server, self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                    let _ = conn
                        .execute(format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE").as_str())
                        .await;
                }
            });
        })
        .join();
    }
}

/// The store in a fresh schema, or `None` (test skipped) when the default server does
/// not answer.
pub async fn pg_schema(tag: &str) -> Option<(PgStore, Schema)> {
    let (server, is_explicit) = match std::env::var(ENV) {
        Ok(u) if !u.trim().is_empty() => (u, true),
        _ => (DEFAULT_URL.to_owned(), false),
    };
    if let Err(e) = sqlx::PgConnection::connect(&server).await {
        assert!(!is_explicit, "{ENV}: cannot reach {server}: {e}");
        println!("skipped: no PostgreSQL server at {server} (set {ENV}): {e}");
        return None;
    }
    let name = format!("jujiao_worker_{tag}_{}", std::process::id());
    let schema = Schema { server, name };
    let store = PgStore::open_in_schema(&schema.server, &schema.name)
        .await
        .unwrap();
    Some((store, schema))
}
