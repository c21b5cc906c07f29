//! Crawl bookkeeping: list-page validators for conditional GETs, and runs.

use super::PgStore;
use super::read::Decoder;
use crate::error::{Result, StoreError};
use crate::types::{Run, RunId, RunSummary, Validators};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;

/// Now, to the microsecond PostgreSQL keeps (the SQLite store keeps the same precision).
pub(super) fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos() % 1_000))
}

pub(super) async fn list_page_validators(store: &PgStore, url: &str) -> Result<Option<Validators>> {
    const OP: &str = "reading list-page validators";
    let row = sqlx::query("SELECT etag, last_modified FROM list_pages WHERE url = $1")
        .bind(url)
        .fetch_optional(&store.pool)
        .await
        .map_err(store.query_error(OP))?;
    row.as_ref()
        .map(|row| {
            let d = Decoder {
                store,
                operation: OP,
                row,
            };
            Ok(Validators {
                etag: d.opt_text(0)?,
                last_modified: d.opt_text(1)?,
            })
        })
        .transpose()
}

pub(super) async fn set_list_page_validators(
    store: &PgStore,
    url: &str,
    v: &Validators,
) -> Result<()> {
    const OP: &str = "storing list-page validators";
    sqlx::query(
        "INSERT INTO list_pages (url, etag, last_modified, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, \
         last_modified = excluded.last_modified, updated_at = excluded.updated_at",
    )
    .bind(url)
    .bind(&v.etag)
    .bind(&v.last_modified)
    .bind(now())
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(())
}

pub(super) async fn start_run(store: &PgStore, source_id: &str) -> Result<RunId> {
    const OP: &str = "starting a run";
    let row = sqlx::query("INSERT INTO runs (source_id, started_at) VALUES ($1, $2) RETURNING id")
        .bind(source_id)
        .bind(now())
        .fetch_one(&store.pool)
        .await
        .map_err(store.query_error(OP))?;
    Ok(RunId(
        Decoder {
            store,
            operation: OP,
            row: &row,
        }
        .int(0)?,
    ))
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) async fn finish_run(store: &PgStore, run: RunId, s: &RunSummary) -> Result<()> {
    const OP: &str = "finishing a run";
    let samples = serde_json::to_string(&s.error_samples).map_err(|source| StoreError::Encode {
        operation: OP,
        what: "error samples",
        source,
    })?;
    let done = sqlx::query(
        "UPDATE runs SET finished_at = $2, list_pages = $3, article_pages = $4, \
         new_articles = $5, updated = $6, unchanged = $7, duplicates = $8, errors = $9, \
         error_samples = $10, verdict = $11 WHERE id = $1",
    )
    .bind(run.0)
    .bind(now())
    .bind(signed(s.list_pages))
    .bind(signed(s.article_pages))
    .bind(signed(s.new))
    .bind(signed(s.updated))
    .bind(signed(s.unchanged))
    .bind(signed(s.duplicates))
    .bind(signed(s.errors))
    .bind(samples)
    .bind(&s.verdict)
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            operation: OP,
            location: store.location.clone(),
            what: "run",
            id: run.0,
        });
    }
    Ok(())
}

const RUN_COLUMNS: &str = "id, source_id, started_at, finished_at, list_pages, article_pages, \
     new_articles, updated, unchanged, duplicates, errors, error_samples, verdict";

fn decode_run(store: &PgStore, operation: &'static str, row: &PgRow) -> Result<Run> {
    let d = Decoder {
        store,
        operation,
        row,
    };
    let finished_at = d.opt_timestamp(3)?;
    let summary = match finished_at {
        None => None,
        Some(_) => {
            let n = |i: usize| -> Result<u64> {
                Ok(d.get::<Option<i64>>(i)?
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0))
            };
            Some(RunSummary {
                list_pages: n(4)?,
                article_pages: n(5)?,
                new: n(6)?,
                updated: n(7)?,
                unchanged: n(8)?,
                duplicates: n(9)?,
                errors: n(10)?,
                error_samples: d
                    .opt_text(11)?
                    .map(|s| serde_json::from_str(&s))
                    .transpose()
                    .map_err(|e| d.corrupt("error samples", e.to_string()))?
                    .unwrap_or_default(),
                verdict: d.opt_text(12)?.unwrap_or_default(),
            })
        }
    };
    Ok(Run {
        id: RunId(d.int(0)?),
        source_id: d.text(1)?,
        started_at: d.timestamp(2)?,
        finished_at,
        summary,
    })
}

pub(super) async fn recent_runs(store: &PgStore, source_id: &str, limit: u32) -> Result<Vec<Run>> {
    const OP: &str = "reading recent runs";
    let rows = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE source_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(source_id)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    rows.iter().map(|row| decode_run(store, OP, row)).collect()
}

pub(super) async fn last_runs(store: &PgStore) -> Result<Vec<Run>> {
    const OP: &str = "reading the last runs";
    let rows = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM runs \
         WHERE id IN (SELECT MAX(id) FROM runs GROUP BY source_id) ORDER BY source_id"
    ))
    .fetch_all(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    rows.iter().map(|row| decode_run(store, OP, row)).collect()
}

pub(super) async fn add_to_run(store: &PgStore, run: RunId, t: &RunSummary) -> Result<()> {
    const OP: &str = "adding to a run";
    let add = sqlx::query(crate::work::sql::ADD_TO_RUN)
        .bind(run.0)
        .bind(now())
        .bind(signed(t.article_pages))
        .bind(signed(t.new))
        .bind(signed(t.updated))
        .bind(signed(t.unchanged))
        .bind(signed(t.duplicates))
        .bind(signed(t.errors))
        .bind(&t.verdict);
    let not_found = || StoreError::NotFound {
        operation: OP,
        location: store.location.clone(),
        what: "run",
        id: run.0,
    };
    // The usual case (no error to keep) is one statement: no transaction, so the run's
    // row is locked only for the UPDATE itself while many workers add to the same run.
    if t.error_samples.is_empty() {
        let done = add
            .execute(&store.pool)
            .await
            .map_err(store.query_error(OP))?;
        return if done.rows_affected() == 0 {
            Err(not_found())
        } else {
            Ok(())
        };
    }
    let mut tx = store.pool.begin().await.map_err(store.query_error(OP))?;
    let done = add.execute(&mut *tx).await.map_err(store.query_error(OP))?;
    if done.rows_affected() == 0 {
        return Err(not_found());
    }
    for sample in &t.error_samples {
        sqlx::query(
            "UPDATE runs SET error_samples = \
                (COALESCE(error_samples, '[]')::jsonb || jsonb_build_array($2::text))::text \
             WHERE id = $1 AND jsonb_array_length(COALESCE(error_samples, '[]')::jsonb) < $3",
        )
        .bind(run.0)
        .bind(sample)
        .bind(i64::try_from(crate::RUN_ERROR_SAMPLES).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await
        .map_err(store.query_error(OP))?;
    }
    tx.commit().await.map_err(store.query_error(OP))
}
