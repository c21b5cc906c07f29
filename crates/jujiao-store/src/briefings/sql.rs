//! [`BriefingStore`] for both backends: one body of SQL (`$n` placeholders, `RETURNING`,
//! JSON kept as text), expanded by [`backend!`] for each pool. The two differ only in
//! how a writer that numbers an issue excludes others: `$begin` (SQLite:
//! `BEGIN IMMEDIATE`, so the read that finds the last number already holds the write
//! lock) and `$lock` (PostgreSQL: `FOR UPDATE` on the series row, which every issuing
//! transaction of the series reads first).

use super::*;
use crate::StoreError;

const SERIES_COLUMNS: &str =
    "id, name, unit, numbering, columns_json, send_to, copy_to, copies, updated_by, updated_at";

const ISSUE_COLUMNS: &str = "id, series_id, kind, status, issue_date, columns_json, send_to, \
     copy_to, copies, version, created_by, created_at, updated_by, updated_at, corrects, \
     number, correction, issued_by, issued_at, article_mark, issued_text";

/// `%`, `_` and `\` taken literally in a `LIKE … ESCAPE '\'` pattern.
fn like_pattern(words: &str) -> String {
    let mut p = String::from("%");
    for c in words.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn status_text(s: IssueStatus) -> &'static str {
    match s {
        IssueStatus::Draft => "draft",
        IssueStatus::Issued => "issued",
    }
}

/// `(mode, paragraphs, summary)` columns of an item.
fn mode_columns(mode: &ItemMode) -> (&'static str, Option<i64>, Option<&str>) {
    match mode {
        ItemMode::Full => ("full", None, None),
        ItemMode::First { paragraphs } => ("first", Some(i64::from(*paragraphs)), None),
        ItemMode::Summary { summary } => ("summary", None, Some(summary.as_str())),
    }
}

fn mode_of(mode: &str, paragraphs: Option<i64>, summary: Option<String>) -> Option<ItemMode> {
    match mode {
        "full" => Some(ItemMode::Full),
        "first" => Some(ItemMode::First {
            paragraphs: u32::try_from(paragraphs?).ok()?,
        }),
        "summary" => Some(ItemMode::Summary {
            summary: summary.unwrap_or_default(),
        }),
        _ => None,
    }
}

fn count(n: u32) -> i64 {
    i64::from(n)
}

fn small(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

macro_rules! backend {
    ($store:ty, $begin:ident $(($begin_sql:literal))?, $lock:literal) => {
        impl $store {
            fn briefing_error(&self, operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
                move |source| StoreError::Query {
                    operation,
                    location: self.location.clone(),
                    source,
                }
            }

            fn briefing_corrupt(&self, operation: &'static str, what: &'static str, detail: String) -> StoreError {
                StoreError::Corrupt {
                    operation,
                    location: self.location.clone(),
                    what,
                    detail,
                }
            }

            fn series_of_row(&self, row: &<<$store as BackendDb>::Db as sqlx::Database>::Row) -> Result<Series> {
                const OP: &str = "reading briefing series";
                let err = |e| StoreError::Query { operation: OP, location: self.location.clone(), source: e };
                let numbering: String = row.try_get("numbering").map_err(err)?;
                let columns: String = row.try_get("columns_json").map_err(err)?;
                Ok(Series {
                    id: SeriesId(row.try_get("id").map_err(err)?),
                    settings: SeriesSettings {
                        name: row.try_get("name").map_err(err)?,
                        unit: row.try_get("unit").map_err(err)?,
                        numbering: jujiao_model::Numbering::parse(&numbering)
                            .ok_or_else(|| self.briefing_corrupt(OP, "numbering", numbering.clone()))?,
                        columns: serde_json::from_str(&columns)
                            .map_err(|e| self.briefing_corrupt(OP, "column list", e.to_string()))?,
                        send_to: row.try_get("send_to").map_err(err)?,
                        copy_to: row.try_get("copy_to").map_err(err)?,
                        copies: small(row.try_get("copies").map_err(err)?),
                    },
                    updated_by: row.try_get("updated_by").map_err(err)?,
                    updated_at: row.try_get("updated_at").map_err(err)?,
                })
            }
        }

        #[async_trait]
        impl BriefingStore for $store {
            async fn seed_series(&self, series: &[SeriesSettings]) -> Result<u64> {
                const OP: &str = "seeding briefing series";
                let mut added = 0;
                for s in series {
                    let columns = serde_json::to_string(&s.columns).expect("strings serialise");
                    added += sqlx::query(
                        "INSERT INTO briefing_series (name, unit, numbering, columns_json, \
                         send_to, copy_to, copies, updated_by, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8) \
                         ON CONFLICT (name) DO NOTHING",
                    )
                    .bind(&s.name)
                    .bind(&s.unit)
                    .bind(s.numbering.as_str())
                    .bind(columns)
                    .bind(&s.send_to)
                    .bind(&s.copy_to)
                    .bind(count(s.copies))
                    .bind(Utc::now())
                    .execute(&self.pool)
                    .await
                    .map_err(self.briefing_error(OP))?
                    .rows_affected();
                }
                Ok(added)
            }

            async fn series_list(&self) -> Result<Vec<Series>> {
                const OP: &str = "listing briefing series";
                let rows = sqlx::query(&format!("SELECT {SERIES_COLUMNS} FROM briefing_series ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(self.briefing_error(OP))?;
                rows.iter().map(|r| self.series_of_row(r)).collect()
            }

            async fn update_series(&self, id: SeriesId, s: &SeriesSettings, by: &str) -> Result<bool> {
                const OP: &str = "updating a briefing series";
                let columns = serde_json::to_string(&s.columns).expect("strings serialise");
                let done = sqlx::query(
                    "UPDATE briefing_series SET name = $2, unit = $3, numbering = $4, \
                     columns_json = $5, send_to = $6, copy_to = $7, copies = $8, \
                     updated_by = $9, updated_at = $10 WHERE id = $1",
                )
                .bind(id.0)
                .bind(&s.name)
                .bind(&s.unit)
                .bind(s.numbering.as_str())
                .bind(columns)
                .bind(&s.send_to)
                .bind(&s.copy_to)
                .bind(count(s.copies))
                .bind(by)
                .bind(Utc::now())
                .execute(&self.pool)
                .await
                .map_err(self.briefing_error(OP))?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_draft(&self, series: SeriesId, draft: &Draft, by: &str) -> Result<Option<Issue>> {
                const OP: &str = "creating a briefing draft";
                let mut tx = self.pool.$begin($($begin_sql)?).await.map_err(self.briefing_error(OP))?;
                let exists = sqlx::query("SELECT id FROM briefing_series WHERE id = $1")
                    .bind(series.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(self.briefing_error(OP))?;
                if exists.is_none() {
                    return Ok(None);
                }
                let id = self.insert_issue(&mut tx, series, draft, by, None).await?;
                tx.commit().await.map_err(self.briefing_error(OP))?;
                self.issue(id).await
            }

            async fn start_correction(&self, of: IssueId, by: &str) -> Result<Option<Issue>> {
                const OP: &str = "starting a correction";
                let Some(original) = self.issue(of).await? else {
                    return Ok(None);
                };
                if original.issued.is_none() {
                    return Ok(None);
                }
                // A correction of a correction corrects the same issue.
                let root = original.corrects.unwrap_or(original.id);
                let mut tx = self.pool.$begin($($begin_sql)?).await.map_err(self.briefing_error(OP))?;
                let id = self.insert_issue(&mut tx, original.series, &original.draft, by, Some(root)).await?;
                tx.commit().await.map_err(self.briefing_error(OP))?;
                self.issue(id).await
            }

            async fn issue(&self, id: IssueId) -> Result<Option<Issue>> {
                const OP: &str = "reading a briefing issue";
                let Some(row) = sqlx::query(&format!("SELECT {ISSUE_COLUMNS} FROM briefing_issues WHERE id = $1"))
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(self.briefing_error(OP))?
                else {
                    return Ok(None);
                };
                let items = sqlx::query(
                    "SELECT article_id, column_name, title, mode, paragraphs, summary, note \
                     FROM briefing_items WHERE issue_id = $1 ORDER BY position",
                )
                .bind(id.0)
                .fetch_all(&self.pool)
                .await
                .map_err(self.briefing_error(OP))?;
                let err = |e| StoreError::Query { operation: OP, location: self.location.clone(), source: e };
                let mut draft_items = Vec::with_capacity(items.len());
                for r in &items {
                    let mode: String = r.try_get("mode").map_err(err)?;
                    let paragraphs: Option<i64> = r.try_get("paragraphs").map_err(err)?;
                    let summary: Option<String> = r.try_get("summary").map_err(err)?;
                    draft_items.push(DraftItem {
                        article_id: ArticleId(r.try_get("article_id").map_err(err)?),
                        column: r.try_get("column_name").map_err(err)?,
                        title: r.try_get("title").map_err(err)?,
                        mode: mode_of(&mode, paragraphs, summary)
                            .ok_or_else(|| self.briefing_corrupt(OP, "item mode", mode.clone()))?,
                        note: r.try_get("note").map_err(err)?,
                    });
                }
                let kind: String = row.try_get("kind").map_err(err)?;
                let status: String = row.try_get("status").map_err(err)?;
                let columns: String = row.try_get("columns_json").map_err(err)?;
                let text: Option<String> = row.try_get("issued_text").map_err(err)?;
                let issued = match text {
                    None => None,
                    Some(text) => Some(Issued {
                        number: small(row.try_get::<Option<i64>, _>("number").map_err(err)?.unwrap_or(0)),
                        correction: small(row.try_get::<Option<i64>, _>("correction").map_err(err)?.unwrap_or(0)),
                        by: row.try_get::<Option<String>, _>("issued_by").map_err(err)?.unwrap_or_default(),
                        at: row.try_get::<Option<DateTime<Utc>>, _>("issued_at").map_err(err)?
                            .ok_or_else(|| self.briefing_corrupt(OP, "issue time", "missing".into()))?,
                        article_mark: row.try_get::<Option<i64>, _>("article_mark").map_err(err)?.unwrap_or(0),
                        text: serde_json::from_str(&text)
                            .map_err(|e| self.briefing_corrupt(OP, "issued text", e.to_string()))?,
                    }),
                };
                Ok(Some(Issue {
                    id,
                    series: SeriesId(row.try_get("series_id").map_err(err)?),
                    status: if status == "issued" { IssueStatus::Issued } else { IssueStatus::Draft },
                    draft: Draft {
                        kind: IssueKind::parse(&kind)
                            .ok_or_else(|| self.briefing_corrupt(OP, "issue kind", kind.clone()))?,
                        date: row.try_get("issue_date").map_err(err)?,
                        columns: serde_json::from_str(&columns)
                            .map_err(|e| self.briefing_corrupt(OP, "column list", e.to_string()))?,
                        items: draft_items,
                        send_to: row.try_get("send_to").map_err(err)?,
                        copy_to: row.try_get("copy_to").map_err(err)?,
                        copies: small(row.try_get("copies").map_err(err)?),
                    },
                    version: row.try_get("version").map_err(err)?,
                    created_by: row.try_get("created_by").map_err(err)?,
                    created_at: row.try_get("created_at").map_err(err)?,
                    updated_by: row.try_get("updated_by").map_err(err)?,
                    updated_at: row.try_get("updated_at").map_err(err)?,
                    corrects: row.try_get::<Option<i64>, _>("corrects").map_err(err)?.map(IssueId),
                    issued,
                }))
            }

            async fn issues(&self, q: &IssueQuery) -> Result<Vec<IssueSummary>> {
                const OP: &str = "listing briefing issues";
                let limit = q.limit.unwrap_or(MAX_ISSUES).min(MAX_ISSUES);
                let rows = sqlx::query(
                    "SELECT i.id, i.series_id, i.status, i.kind, i.issue_date, i.number, \
                     i.correction, i.corrects, i.updated_by, i.updated_at, i.issued_at, \
                     i.article_mark, \
                     (SELECT COUNT(*) FROM briefing_items t WHERE t.issue_id = i.id) AS items \
                     FROM briefing_issues i \
                     WHERE ($1 IS NULL OR i.series_id = $1) AND ($2 IS NULL OR i.status = $2) \
                     AND ($3 IS NULL OR i.issued_text LIKE $3 ESCAPE '\\') \
                     ORDER BY COALESCE(i.issued_at, i.updated_at) DESC, i.id DESC LIMIT $4",
                )
                .bind(q.series.map(|s| s.0))
                .bind(q.status.map(status_text))
                .bind(q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(like_pattern))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(self.briefing_error(OP))?;
                let err = |e| StoreError::Query { operation: OP, location: self.location.clone(), source: e };
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let kind: String = row.try_get("kind").map_err(err)?;
                    let status: String = row.try_get("status").map_err(err)?;
                    out.push(IssueSummary {
                        id: IssueId(row.try_get("id").map_err(err)?),
                        series: SeriesId(row.try_get("series_id").map_err(err)?),
                        status: if status == "issued" { IssueStatus::Issued } else { IssueStatus::Draft },
                        kind: IssueKind::parse(&kind)
                            .ok_or_else(|| self.briefing_corrupt(OP, "issue kind", kind.clone()))?,
                        date: row.try_get("issue_date").map_err(err)?,
                        number: row.try_get::<Option<i64>, _>("number").map_err(err)?.map(small),
                        correction: row.try_get::<Option<i64>, _>("correction").map_err(err)?.map(small),
                        corrects: row.try_get::<Option<i64>, _>("corrects").map_err(err)?.map(IssueId),
                        items: small(row.try_get("items").map_err(err)?),
                        updated_by: row.try_get("updated_by").map_err(err)?,
                        updated_at: row.try_get("updated_at").map_err(err)?,
                        issued_at: row.try_get("issued_at").map_err(err)?,
                        article_mark: row.try_get("article_mark").map_err(err)?,
                    });
                }
                Ok(out)
            }

            async fn save_draft(&self, id: IssueId, expected: i64, draft: &Draft, by: &str) -> Result<SaveOutcome> {
                const OP: &str = "saving a briefing draft";
                let mut tx = self.pool.$begin($($begin_sql)?).await.map_err(self.briefing_error(OP))?;
                let columns = serde_json::to_string(&draft.columns).expect("strings serialise");
                let done = sqlx::query(
                    "UPDATE briefing_issues SET kind = $3, issue_date = $4, columns_json = $5, \
                     send_to = $6, copy_to = $7, copies = $8, version = version + 1, \
                     updated_by = $9, updated_at = $10 \
                     WHERE id = $1 AND version = $2 AND status = 'draft' RETURNING version",
                )
                .bind(id.0)
                .bind(expected)
                .bind(draft.kind.as_str())
                .bind(draft.date)
                .bind(columns)
                .bind(&draft.send_to)
                .bind(&draft.copy_to)
                .bind(count(draft.copies))
                .bind(by)
                .bind(Utc::now())
                .fetch_optional(&mut *tx)
                .await
                .map_err(self.briefing_error(OP))?;
                let Some(row) = done else {
                    drop(tx);
                    return self.why_not(OP, id).await.map(Into::into);
                };
                let version: i64 = row.try_get("version").map_err(self.briefing_error(OP))?;
                self.replace_items(&mut tx, id, &draft.items).await?;
                tx.commit().await.map_err(self.briefing_error(OP))?;
                Ok(SaveOutcome::Saved { version })
            }

            async fn delete_draft(&self, id: IssueId, expected: i64) -> Result<SaveOutcome> {
                const OP: &str = "deleting a briefing draft";
                let mut tx = self.pool.$begin($($begin_sql)?).await.map_err(self.briefing_error(OP))?;
                sqlx::query(
                    "DELETE FROM briefing_items WHERE issue_id = $1 AND EXISTS (SELECT 1 FROM \
                     briefing_issues WHERE id = $1 AND version = $2 AND status = 'draft')",
                )
                .bind(id.0)
                .bind(expected)
                .execute(&mut *tx)
                .await
                .map_err(self.briefing_error(OP))?;
                let done = sqlx::query("DELETE FROM briefing_issues WHERE id = $1 AND version = $2 AND status = 'draft'")
                    .bind(id.0)
                    .bind(expected)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.briefing_error(OP))?;
                if done.rows_affected() == 0 {
                    drop(tx);
                    return self.why_not(OP, id).await.map(Into::into);
                }
                tx.commit().await.map_err(self.briefing_error(OP))?;
                Ok(SaveOutcome::Saved { version: expected })
            }

            async fn issue_draft(&self, id: IssueId, expected: i64, text: &IssuedText, by: &str) -> Result<IssueOutcome> {
                const OP: &str = "issuing a briefing";
                let mut tx = self.pool.$begin($($begin_sql)?).await.map_err(self.briefing_error(OP))?;
                let row = sqlx::query(
                    "SELECT series_id, kind, issue_date, corrects, version, status \
                     FROM briefing_issues WHERE id = $1",
                )
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(self.briefing_error(OP))?;
                let Some(row) = row else {
                    return Ok(IssueOutcome::NotFound);
                };
                let err = |e| StoreError::Query { operation: OP, location: self.location.clone(), source: e };
                let status: String = row.try_get("status").map_err(err)?;
                let version: i64 = row.try_get("version").map_err(err)?;
                if status != "draft" || version != expected {
                    drop(tx);
                    return self.why_not(OP, id).await.map(Into::into);
                }
                let series: i64 = row.try_get("series_id").map_err(err)?;
                let kind: String = row.try_get("kind").map_err(err)?;
                let date: NaiveDate = row.try_get("issue_date").map_err(err)?;
                let corrects: Option<i64> = row.try_get("corrects").map_err(err)?;
                // Every issuing transaction of the series reads this row first: with
                // `FOR UPDATE` (PostgreSQL) they take turns from here on.
                let numbering: String = sqlx::query(concat!("SELECT numbering FROM briefing_series WHERE id = $1", $lock))
                    .bind(series)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(self.briefing_error(OP))?
                    .try_get("numbering")
                    .map_err(err)?;
                let (number, correction, year_key) = match corrects {
                    Some(original) => {
                        let row = sqlx::query(
                            "SELECT o.number, o.year_key, \
                             (SELECT MAX(c.correction) FROM briefing_issues c \
                              WHERE c.corrects = o.id AND c.status = 'issued') AS last \
                             FROM briefing_issues o WHERE o.id = $1",
                        )
                        .bind(original)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(self.briefing_error(OP))?;
                        let number: Option<i64> = row.try_get("number").map_err(err)?;
                        let year_key: Option<i64> = row.try_get("year_key").map_err(err)?;
                        let last: Option<i64> = row.try_get("last").map_err(err)?;
                        (number.unwrap_or(0), last.unwrap_or(0) + 1, year_key.unwrap_or(0))
                    }
                    None => {
                        let year_key = if numbering == "yearly" {
                            i64::from(chrono::Datelike::year(&date))
                        } else {
                            0
                        };
                        let last: Option<i64> = sqlx::query(
                            "SELECT MAX(number) AS last FROM briefing_issues WHERE series_id = $1 \
                             AND kind = $2 AND year_key = $3 AND status = 'issued' AND corrects IS NULL",
                        )
                        .bind(series)
                        .bind(&kind)
                        .bind(year_key)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(self.briefing_error(OP))?
                        .try_get("last")
                        .map_err(err)?;
                        (last.unwrap_or(0) + 1, 0, year_key)
                    }
                };
                let mark: Option<i64> = sqlx::query("SELECT MAX(id) AS mark FROM articles")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(self.briefing_error(OP))?
                    .try_get("mark")
                    .map_err(err)?;
                let mut text = text.clone();
                text.number = small(number);
                text.kind = IssueKind::parse(&kind).unwrap_or_default();
                text.is_correction = corrects.is_some();
                text.date = date;
                let json = serde_json::to_string(&text).expect("issued text serialises");
                sqlx::query(
                    "UPDATE briefing_issues SET status = 'issued', number = $2, year_key = $3, \
                     correction = $4, issued_by = $5, issued_at = $6, article_mark = $7, \
                     issued_text = $8, version = version + 1, updated_by = $5, updated_at = $6 \
                     WHERE id = $1",
                )
                .bind(id.0)
                .bind(number)
                .bind(year_key)
                .bind(correction)
                .bind(by)
                .bind(Utc::now())
                .bind(mark.unwrap_or(0))
                .bind(json)
                .execute(&mut *tx)
                .await
                .map_err(self.briefing_error(OP))?;
                tx.commit().await.map_err(self.briefing_error(OP))?;
                Ok(IssueOutcome::Issued {
                    number: small(number),
                    correction: small(correction),
                    text,
                })
            }

            async fn article_uses(&self, series: SeriesId, articles: &[ArticleId]) -> Result<Vec<ArticleUse>> {
                const OP: &str = "finding articles used in issues";
                let mut out = Vec::new();
                for chunk in articles.chunks(200) {
                    let ids: Vec<String> = chunk.iter().map(|a| a.0.to_string()).collect();
                    // Ids are integers formatted here, never text from a request.
                    let rows = sqlx::query(&format!(
                        "SELECT t.article_id, i.id, i.kind, i.number FROM briefing_items t \
                         JOIN briefing_issues i ON i.id = t.issue_id \
                         WHERE i.series_id = $1 AND i.status = 'issued' AND t.article_id IN ({}) \
                         ORDER BY t.article_id, i.issued_at DESC, i.id DESC",
                        ids.join(",")
                    ))
                    .bind(series.0)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(self.briefing_error(OP))?;
                    let err = |e| StoreError::Query { operation: OP, location: self.location.clone(), source: e };
                    for r in &rows {
                        let kind: String = r.try_get("kind").map_err(err)?;
                        out.push(ArticleUse {
                            article_id: ArticleId(r.try_get("article_id").map_err(err)?),
                            issue: IssueId(r.try_get("id").map_err(err)?),
                            kind: IssueKind::parse(&kind).unwrap_or_default(),
                            number: small(r.try_get::<Option<i64>, _>("number").map_err(err)?.unwrap_or(0)),
                        });
                    }
                }
                Ok(out)
            }
        }

        impl $store {
            async fn insert_issue(
                &self,
                tx: &mut sqlx::Transaction<'_, <$store as BackendDb>::Db>,
                series: SeriesId,
                draft: &Draft,
                by: &str,
                corrects: Option<IssueId>,
            ) -> Result<IssueId> {
                const OP: &str = "creating a briefing draft";
                let now = Utc::now();
                let columns = serde_json::to_string(&draft.columns).expect("strings serialise");
                let id: i64 = sqlx::query(
                    "INSERT INTO briefing_issues (series_id, kind, status, issue_date, columns_json, \
                     send_to, copy_to, copies, version, created_by, created_at, updated_by, \
                     updated_at, corrects) \
                     VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, 1, $8, $9, $8, $9, $10) RETURNING id",
                )
                .bind(series.0)
                .bind(draft.kind.as_str())
                .bind(draft.date)
                .bind(columns)
                .bind(&draft.send_to)
                .bind(&draft.copy_to)
                .bind(count(draft.copies))
                .bind(by)
                .bind(now)
                .bind(corrects.map(|c| c.0))
                .fetch_one(&mut **tx)
                .await
                .map_err(self.briefing_error(OP))?
                .try_get("id")
                .map_err(self.briefing_error(OP))?;
                self.replace_items(tx, IssueId(id), &draft.items).await?;
                Ok(IssueId(id))
            }

            async fn replace_items(
                &self,
                tx: &mut sqlx::Transaction<'_, <$store as BackendDb>::Db>,
                id: IssueId,
                items: &[DraftItem],
            ) -> Result<()> {
                const OP: &str = "saving briefing items";
                sqlx::query("DELETE FROM briefing_items WHERE issue_id = $1")
                    .bind(id.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(self.briefing_error(OP))?;
                for (position, item) in items.iter().enumerate() {
                    let (mode, paragraphs, summary) = mode_columns(&item.mode);
                    sqlx::query(
                        "INSERT INTO briefing_items (issue_id, position, article_id, column_name, \
                         title, mode, paragraphs, summary, note) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(id.0)
                    .bind(position as i64)
                    .bind(item.article_id.0)
                    .bind(&item.column)
                    .bind(item.title.as_deref())
                    .bind(mode)
                    .bind(paragraphs)
                    .bind(summary)
                    .bind(item.note.as_deref())
                    .execute(&mut **tx)
                    .await
                    .map_err(self.briefing_error(OP))?;
                }
                Ok(())
            }

            /// Why a change guarded by a version did not apply.
            async fn why_not(&self, op: &'static str, id: IssueId) -> Result<SaveOutcome> {
                let row = sqlx::query("SELECT status, version, updated_by, updated_at FROM briefing_issues WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(self.briefing_error(op))?;
                let Some(row) = row else {
                    return Ok(SaveOutcome::NotFound);
                };
                let err = |e| StoreError::Query { operation: op, location: self.location.clone(), source: e };
                let status: String = row.try_get("status").map_err(err)?;
                if status != "draft" {
                    return Ok(SaveOutcome::Frozen);
                }
                Ok(SaveOutcome::Conflict {
                    version: row.try_get("version").map_err(err)?,
                    by: row.try_get("updated_by").map_err(err)?,
                    at: row.try_get("updated_at").map_err(err)?,
                })
            }
        }
    };
}

/// The sqlx database of a store type, for transaction types in [`backend!`].
trait BackendDb {
    type Db: sqlx::Database;
}

impl BackendDb for crate::SqliteStore {
    type Db = sqlx::Sqlite;
}

impl BackendDb for crate::PgStore {
    type Db = sqlx::Postgres;
}

impl From<SaveOutcome> for IssueOutcome {
    fn from(o: SaveOutcome) -> IssueOutcome {
        match o {
            SaveOutcome::Conflict { version, by, at } => IssueOutcome::Conflict { version, by, at },
            SaveOutcome::Frozen => IssueOutcome::Frozen,
            SaveOutcome::NotFound | SaveOutcome::Saved { .. } => IssueOutcome::NotFound,
        }
    }
}

use sqlx::Row;

backend!(crate::SqliteStore, begin_with("BEGIN IMMEDIATE"), "");
backend!(crate::PgStore, begin, " FOR UPDATE");
