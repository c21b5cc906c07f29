//! The `disclosures` table: an article's 政府信息公开 fields ([`Disclosure`]), written
//! in the same transaction as the article and read back into `Article::disclosure`.
//!
//! Kept apart from the backends' article code: each backend calls [`record_sqlite`] /
//! [`record_pg`] just before its batch commits, and wraps its article reads in
//! [`fill_filed`] / [`fill_stored`]. The SQL is shared (days are `YYYY-MM-DD` text in
//! both backends); only the "these ids" condition differs.
//!
//! Which outcome writes what: an added, revised or unchanged article gets the record's
//! table (a re-read page may carry a table the stored article lacks); a revised article
//! without one loses its row; a duplicate adds its table only to an article that has
//! none.

use crate::Store;
use crate::codec;
use crate::error::{Result, StoreError};
use crate::types::{ArticleId, ArticleRecord, FiledArticle, RecordOutcome, StoredArticle};
use jujiao_model::Disclosure;
use sqlx::Row;
use std::collections::HashMap;

const COLUMNS: &str =
    "index_no, topic, issuer, written_on, doc_number, published_on, validity, method";

const UPSERT: &str = "INSERT INTO disclosures (article_id, index_no, topic, issuer, written_on, \
     doc_number, published_on, validity, method) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (article_id) DO UPDATE SET index_no = excluded.index_no, \
     topic = excluded.topic, issuer = excluded.issuer, written_on = excluded.written_on, \
     doc_number = excluded.doc_number, published_on = excluded.published_on, \
     validity = excluded.validity, method = excluded.method";

const INSERT_IF_NONE: &str = "INSERT INTO disclosures (article_id, index_no, topic, issuer, \
     written_on, doc_number, published_on, validity, method) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (article_id) DO NOTHING";

const DELETE: &str = "DELETE FROM disclosures WHERE article_id = $1";

/// What one record does to the table.
enum Write<'a> {
    Upsert(i64, &'a Disclosure),
    InsertIfNone(i64, &'a Disclosure),
    Delete(i64),
}

fn plan<'a>(batch: &'a [ArticleRecord], outcomes: &[RecordOutcome]) -> Vec<Write<'a>> {
    let mut out = Vec::new();
    for (record, outcome) in batch.iter().zip(outcomes) {
        let d = record.article.disclosure.as_ref().filter(|d| !d.is_empty());
        let w = match (outcome, d) {
            (
                RecordOutcome::Added { article_id, .. } | RecordOutcome::Unchanged { article_id },
                Some(d),
            ) => Write::Upsert(article_id.0, d),
            (RecordOutcome::Revised { article_id, .. }, Some(d)) => Write::Upsert(article_id.0, d),
            (RecordOutcome::Revised { article_id, .. }, None) => Write::Delete(article_id.0),
            (
                RecordOutcome::Duplicate { article_id, .. }
                | RecordOutcome::NearDuplicate { article_id, .. },
                Some(d),
            ) => Write::InsertIfNone(article_id.0, d),
            _ => continue,
        };
        out.push(w);
    }
    out
}

/// One implementation per backend: the same statements on its transaction type.
macro_rules! record_fn {
    ($name:ident, $db:ty) => {
        /// Writes the disclosure rows of a recorded batch inside its transaction.
        pub(crate) async fn $name(
            tx: &mut sqlx::Transaction<'static, $db>,
            batch: &[ArticleRecord],
            outcomes: &[RecordOutcome],
        ) -> std::result::Result<(), sqlx::Error> {
            for w in plan(batch, outcomes) {
                let (sql, id, d) = match w {
                    Write::Upsert(id, d) => (UPSERT, id, Some(d)),
                    Write::InsertIfNone(id, d) => (INSERT_IF_NONE, id, Some(d)),
                    Write::Delete(id) => (DELETE, id, None),
                };
                let mut q = sqlx::query(sql).bind(id);
                if let Some(d) = d {
                    q = q
                        .bind(d.index_no.clone())
                        .bind(d.topic.clone())
                        .bind(d.issuer.clone())
                        .bind(d.written_on.map(codec::date_text))
                        .bind(d.doc_number.clone())
                        .bind(d.published_on.map(codec::date_text))
                        .bind(d.validity.clone())
                        .bind(d.method.clone());
                }
                q.execute(&mut **tx).await?;
            }
            Ok(())
        }
    };
}

record_fn!(record_sqlite, sqlx::Sqlite);
record_fn!(record_pg, sqlx::Postgres);

/// A store that can read disclosure rows: the two backends.
pub(crate) trait DisclosureRows: Store {
    /// The rows of `ids` (those that have one).
    fn disclosure_rows(
        &self,
        ids: Vec<i64>,
    ) -> impl std::future::Future<Output = Result<HashMap<i64, Disclosure>>> + Send;
}

const OP: &str = "reading disclosures";

fn query_error(store: &dyn Store) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |source| StoreError::Query {
        operation: OP,
        location: store.location().to_owned(),
        source,
    }
}

/// Decodes `article_id, COLUMNS…`.
fn decode<R: Row>(store: &dyn Store, row: &R) -> Result<(i64, Disclosure)>
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let text = |i: usize| {
        row.try_get::<Option<String>, _>(i)
            .map_err(query_error(store))
    };
    let day = |i: usize| -> Result<Option<chrono::NaiveDate>> {
        text(i)?
            .map(|s| codec::parse_date(&s))
            .transpose()
            .map_err(|detail| StoreError::Corrupt {
                operation: OP,
                location: store.location().to_owned(),
                what: "disclosure day",
                detail,
            })
    };
    let id: i64 = row.try_get(0).map_err(query_error(store))?;
    Ok((
        id,
        Disclosure {
            index_no: text(1)?,
            topic: text(2)?,
            issuer: text(3)?,
            written_on: day(4)?,
            doc_number: text(5)?,
            published_on: day(6)?,
            validity: text(7)?,
            method: text(8)?,
        },
    ))
}

impl DisclosureRows for crate::SqliteStore {
    async fn disclosure_rows(&self, ids: Vec<i64>) -> Result<HashMap<i64, Disclosure>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let list = serde_json::to_string(&ids).expect("a list of integers serialises");
        let rows = sqlx::query(&format!(
            "SELECT article_id, {COLUMNS} FROM disclosures \
             WHERE article_id IN (SELECT value FROM json_each($1))"
        ))
        .bind(list)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(self))?;
        rows.iter().map(|r| decode(self, r)).collect()
    }
}

impl DisclosureRows for crate::PgStore {
    async fn disclosure_rows(&self, ids: Vec<i64>) -> Result<HashMap<i64, Disclosure>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT article_id, {COLUMNS} FROM disclosures WHERE article_id = ANY($1)"
        ))
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(self))?;
        rows.iter().map(|r| decode(self, r)).collect()
    }
}

/// Filed articles as read, with their disclosure tables filled in.
pub(crate) async fn fill_filed<S: DisclosureRows>(
    store: &S,
    filed: Result<Vec<FiledArticle>>,
) -> Result<Vec<FiledArticle>> {
    let mut filed = filed?;
    let ids: Vec<i64> = filed.iter().map(|f| f.article_id.0).collect();
    let mut rows = store.disclosure_rows(ids).await?;
    for f in &mut filed {
        f.article.disclosure = rows.remove(&f.article_id.0);
    }
    Ok(filed)
}

/// An article as read, with its disclosure table filled in.
pub(crate) async fn fill_stored<S: DisclosureRows>(
    store: &S,
    stored: Result<Option<StoredArticle>>,
) -> Result<Option<StoredArticle>> {
    let Some(mut stored) = stored? else {
        return Ok(None);
    };
    let id: ArticleId = stored.id;
    stored.article.disclosure = store.disclosure_rows(vec![id.0]).await?.remove(&id.0);
    Ok(Some(stored))
}
