//! Re-checks of stored article pages: the recent pages of a source with their last
//! fetch, and recording fetches (`url_checks`, migration 0006).

use super::SqliteStore;
use super::read::Decoder;
use crate::codec;
use crate::error::Result;
use crate::types::{PageCheck, StoredPage, Validators};
use chrono::{DateTime, Utc};

pub(super) async fn recheck_candidates(
    store: &SqliteStore,
    source_id: &str,
    seen_since: DateTime<Utc>,
) -> Result<Vec<StoredPage>> {
    const OP: &str = "reading pages to re-check";
    let rows = sqlx::query(
        "SELECT u.url, u.first_seen, c.checked_at, c.etag, c.last_modified \
         FROM article_urls u LEFT JOIN url_checks c ON c.url = u.url \
         WHERE u.source = $1 AND u.first_seen >= $2 ORDER BY u.first_seen, u.url",
    )
    .bind(source_id)
    .bind(codec::timestamp_text(seen_since))
    .fetch_all(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    rows.iter()
        .map(|row| {
            let d = Decoder {
                store,
                operation: OP,
                row,
            };
            Ok(StoredPage {
                url: d.text(0)?,
                first_seen: d.timestamp(1)?,
                checked_at: d.opt_timestamp(2)?,
                validators: Validators {
                    etag: d.opt_text(3)?,
                    last_modified: d.opt_text(4)?,
                },
            })
        })
        .collect()
}

pub(super) async fn record_page_checks(store: &SqliteStore, checks: &[PageCheck]) -> Result<()> {
    const OP: &str = "recording page checks";
    if checks.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = checks
        .iter()
        .map(|c| {
            serde_json::json!([
                c.url,
                codec::timestamp_text(c.checked_at),
                c.validators.etag,
                c.validators.last_modified
            ])
        })
        .collect();
    let rows = serde_json::Value::Array(rows).to_string();
    sqlx::query(
        "INSERT INTO url_checks (url, checked_at, etag, last_modified) \
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each($1) WHERE true \
         ON CONFLICT (url) DO UPDATE SET checked_at = excluded.checked_at, \
         etag = excluded.etag, last_modified = excluded.last_modified",
    )
    .bind(rows)
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(())
}
