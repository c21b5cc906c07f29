//! [`CrawlLog`]: list-page validators for conditional GETs, re-checks of stored pages,
//! and runs.

use super::{d, signed};
use crate::CrawlLog;
use crate::codec::now;
use crate::error::{Result, StoreError};
use crate::types::{PageCheck, Run, RunId, RunSummary, StoredPage, Validators};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

const RUN_COLUMNS: &str = "id, source_id, started_at, finished_at, list_pages, article_pages, \
     new_articles, updated, unchanged, duplicates, errors, error_samples, verdict";

/// A run's figures grown by an article's outcome: `$1` run, `$2` now, `$3` article
/// pages, `$4` new, `$5` updated, `$6` unchanged, `$7` duplicates, `$8` errors, `$9`
/// verdict that replaces an `ok` one (empty: none).
const ADD_TO_RUN: &str = "UPDATE runs SET finished_at = $2, \
        article_pages = COALESCE(article_pages, 0) + $3, \
        new_articles = COALESCE(new_articles, 0) + $4, \
        updated = COALESCE(updated, 0) + $5, \
        unchanged = COALESCE(unchanged, 0) + $6, \
        duplicates = COALESCE(duplicates, 0) + $7, \
        errors = COALESCE(errors, 0) + $8, \
        verdict = CASE WHEN $9 <> '' AND (verdict IS NULL OR verdict = 'ok') \
            THEN $9 ELSE verdict END \
     WHERE id = $1";

impl d::This {
    fn decode_run(&self, operation: &'static str, row: &d::Row) -> Result<Run> {
        let d = self.decoder(operation, row);
        let finished_at = d.opt_timestamp(3)?;
        let summary = match finished_at {
            None => None,
            Some(_) => {
                let n = |i: usize| -> Result<u64> {
                    Ok(d.opt_int(i)?
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

    fn run_not_found(&self, operation: &'static str, run: RunId) -> StoreError {
        StoreError::NotFound {
            operation,
            location: self.location.clone(),
            what: "run",
            id: run.0,
        }
    }
}

#[async_trait]
impl CrawlLog for d::This {
    async fn list_page_validators(&self, url: &str) -> Result<Option<Validators>> {
        const OP: &str = "reading list-page validators";
        let row = sqlx::query("SELECT etag, last_modified FROM list_pages WHERE url = $1")
            .bind(url)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_error(OP))?;
        row.as_ref()
            .map(|row| {
                let d = self.decoder(OP, row);
                Ok(Validators {
                    etag: d.opt_text(0)?,
                    last_modified: d.opt_text(1)?,
                })
            })
            .transpose()
    }

    async fn set_list_page_validators(&self, url: &str, v: &Validators) -> Result<()> {
        const OP: &str = "storing list-page validators";
        sqlx::query(
            "INSERT INTO list_pages (url, etag, last_modified, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, \
             last_modified = excluded.last_modified, updated_at = excluded.updated_at",
        )
        .bind(url)
        .bind(&v.etag)
        .bind(&v.last_modified)
        .bind(d::time(now()))
        .execute(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        Ok(())
    }

    async fn recheck_candidates(
        &self,
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
        .bind(d::time(seen_since))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        rows.iter()
            .map(|row| {
                let d = self.decoder(OP, row);
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

    async fn record_page_checks(&self, checks: &[PageCheck]) -> Result<()> {
        const OP: &str = "recording page checks";
        // One row per URL (the last check wins): ON CONFLICT cannot touch a row twice.
        let mut last: HashMap<&str, &PageCheck> = HashMap::with_capacity(checks.len());
        for c in checks {
            last.insert(c.url.as_str(), c);
        }
        if last.is_empty() {
            return Ok(());
        }
        let checks: Vec<&PageCheck> = last.into_values().collect();
        let sql = format!(
            "INSERT INTO url_checks (url, checked_at, etag, last_modified) {} \
             ON CONFLICT (url) DO UPDATE SET checked_at = excluded.checked_at, \
             etag = excluded.etag, last_modified = excluded.last_modified",
            d::PAGE_CHECK_ROWS
        );
        d::bind_page_checks(sqlx::query(&sql), &checks)
            .execute(&self.pool)
            .await
            .map_err(self.query_error(OP))?;
        Ok(())
    }

    async fn start_run(&self, source_id: &str) -> Result<RunId> {
        const OP: &str = "starting a run";
        let row =
            sqlx::query("INSERT INTO runs (source_id, started_at) VALUES ($1, $2) RETURNING id")
                .bind(source_id)
                .bind(d::time(now()))
                .fetch_one(&self.pool)
                .await
                .map_err(self.query_error(OP))?;
        Ok(RunId(self.decoder(OP, &row).int(0)?))
    }

    async fn finish_run(&self, run: RunId, s: &RunSummary) -> Result<()> {
        const OP: &str = "finishing a run";
        let samples =
            serde_json::to_string(&s.error_samples).map_err(|source| StoreError::Encode {
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
        .bind(d::time(now()))
        .bind(signed(s.list_pages))
        .bind(signed(s.article_pages))
        .bind(signed(s.new))
        .bind(signed(s.updated))
        .bind(signed(s.unchanged))
        .bind(signed(s.duplicates))
        .bind(signed(s.errors))
        .bind(samples)
        .bind(&s.verdict)
        .execute(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        if done.rows_affected() == 0 {
            return Err(self.run_not_found(OP, run));
        }
        Ok(())
    }

    async fn recent_runs(&self, source_id: &str, limit: u32) -> Result<Vec<Run>> {
        const OP: &str = "reading recent runs";
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE source_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(source_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        rows.iter().map(|row| self.decode_run(OP, row)).collect()
    }

    async fn last_runs(&self) -> Result<Vec<Run>> {
        const OP: &str = "reading the last runs";
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs \
             WHERE id IN (SELECT MAX(id) FROM runs GROUP BY source_id) ORDER BY source_id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        rows.iter().map(|row| self.decode_run(OP, row)).collect()
    }

    async fn add_to_run(&self, run: RunId, t: &RunSummary) -> Result<()> {
        const OP: &str = "adding to a run";
        let add = sqlx::query(ADD_TO_RUN)
            .bind(run.0)
            .bind(d::time(now()))
            .bind(signed(t.article_pages))
            .bind(signed(t.new))
            .bind(signed(t.updated))
            .bind(signed(t.unchanged))
            .bind(signed(t.duplicates))
            .bind(signed(t.errors))
            .bind(&t.verdict);
        // The usual case (no error to keep) is one statement: no transaction, so the run's
        // row is locked only for the UPDATE itself while many workers add to the same run.
        if t.error_samples.is_empty() {
            let done = add
                .execute(&self.pool)
                .await
                .map_err(self.query_error(OP))?;
            return match done.rows_affected() {
                0 => Err(self.run_not_found(OP, run)),
                _ => Ok(()),
            };
        }
        let mut tx = self.begin_write(OP).await?;
        let done = add.execute(&mut *tx).await.map_err(self.query_error(OP))?;
        if done.rows_affected() == 0 {
            return Err(self.run_not_found(OP, run));
        }
        for sample in &t.error_samples {
            sqlx::query(d::APPEND_ERROR_SAMPLE)
                .bind(run.0)
                .bind(sample)
                .bind(i64::try_from(crate::RUN_ERROR_SAMPLES).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await
                .map_err(self.query_error(OP))?;
        }
        tx.commit().await.map_err(self.query_error(OP))
    }
}
