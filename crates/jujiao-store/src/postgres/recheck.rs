//! Re-checks of stored article pages: the recent pages of a source with their last
//! fetch, and recording fetches (`url_checks`, migration 0006).

use super::PgStore;
use super::read::Decoder;
use crate::error::Result;
use crate::types::{PageCheck, StoredPage, Validators};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub(super) async fn recheck_candidates(
    store: &PgStore,
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
    .bind(seen_since)
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

pub(super) async fn record_page_checks(store: &PgStore, checks: &[PageCheck]) -> Result<()> {
    const OP: &str = "recording page checks";
    // One row per URL (the last check wins): ON CONFLICT cannot touch a row twice.
    let mut last: HashMap<&str, &PageCheck> = HashMap::with_capacity(checks.len());
    for c in checks {
        last.insert(c.url.as_str(), c);
    }
    if last.is_empty() {
        return Ok(());
    }
    let mut urls = Vec::with_capacity(last.len());
    let mut times = Vec::with_capacity(last.len());
    let mut etags = Vec::with_capacity(last.len());
    let mut modified = Vec::with_capacity(last.len());
    for c in last.values() {
        urls.push(c.url.as_str());
        times.push(c.checked_at);
        etags.push(c.validators.etag.as_deref());
        modified.push(c.validators.last_modified.as_deref());
    }
    sqlx::query(
        "INSERT INTO url_checks (url, checked_at, etag, last_modified) \
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[]) \
         ON CONFLICT (url) DO UPDATE SET checked_at = excluded.checked_at, \
         etag = excluded.etag, last_modified = excluded.last_modified",
    )
    .bind(urls)
    .bind(times)
    .bind(etags)
    .bind(modified)
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(())
}
