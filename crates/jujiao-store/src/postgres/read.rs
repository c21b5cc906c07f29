//! Reading articles, filings and sources back, and the row decoding shared with
//! [`record`](super::record) and [`crawl`](super::crawl).
//!
//! Reads that take more than one statement run in one `REPEATABLE READ READ ONLY`
//! transaction, so a concurrent revision cannot fall between them.

use super::PgStore;
use crate::codec;
use crate::error::Result;
use crate::types::{
    ArticleId, ArticleSource, FiledArticle, FilingCount, FilingId, FilingQuery, MAX_PAGE, Revision,
    SourceKind, StoreStats, StoredArticle, StoredFiling,
};
use chrono::{DateTime, NaiveDate, Utc};
use jujiao_model::{Article, Filing, Fingerprint, LegacyPlacement};
use sqlx::Row;
use sqlx::postgres::PgRow;
use std::collections::HashSet;

/// The article content columns of `articles a`, in the order
/// [`Decoder::article`] reads them.
pub(super) const ARTICLE_COLUMNS: &str = "a.source, a.url, a.title, a.published, a.author, \
     a.origin, a.editor, a.paragraphs, a.images, a.attachments, a.fetched_at";

/// The filing columns of `filings f`, in the order [`Decoder::filing`] reads them.
const FILING_COLUMNS: &str = "f.id, f.column_name, f.filing_date, f.legacy_path, f.legacy_layout";

/// A consistent snapshot for reads of several statements.
pub(super) const BEGIN_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Reads typed values out of one row, turning failures into
/// [`StoreError`](crate::StoreError)s that name the operation and the database.
pub(super) struct Decoder<'a> {
    pub(super) store: &'a PgStore,
    pub(super) operation: &'static str,
    pub(super) row: &'a PgRow,
}

impl Decoder<'_> {
    /// Any column sqlx can decode.
    pub(super) fn get<'r, T>(&'r self, i: usize) -> Result<T>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.row
            .try_get(i)
            .map_err(self.store.query_error(self.operation))
    }

    pub(super) fn text(&self, i: usize) -> Result<String> {
        self.get(i)
    }

    pub(super) fn opt_text(&self, i: usize) -> Result<Option<String>> {
        self.get(i)
    }

    pub(super) fn int(&self, i: usize) -> Result<i64> {
        self.get(i)
    }

    pub(super) fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        self.get(i)
    }

    pub(super) fn count(&self, i: usize) -> Result<u64> {
        let n = self.int(i)?;
        u64::try_from(n).map_err(|_| self.corrupt("count", format!("{n} is negative")))
    }

    /// An `INTEGER` revision number.
    pub(super) fn revision(&self, i: usize) -> Result<u32> {
        let n: i32 = self.get(i)?;
        u32::try_from(n).map_err(|_| self.corrupt("revision", format!("{n} is out of range")))
    }

    pub(super) fn fingerprint(&self, i: usize) -> Result<Fingerprint> {
        let b: Vec<u8> = self.get(i)?;
        codec::fingerprint_from_bytes(&b).map_err(|d| self.corrupt("fingerprint", d))
    }

    pub(super) fn timestamp(&self, i: usize) -> Result<DateTime<Utc>> {
        self.get(i)
    }

    pub(super) fn opt_timestamp(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        self.get(i)
    }

    pub(super) fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>> {
        self.get(i)
    }

    pub(super) fn corrupt(&self, what: &'static str, detail: String) -> crate::StoreError {
        self.store.corrupt(self.operation, what, detail)
    }

    /// An [`Article`] from [`ARTICLE_COLUMNS`] starting at column `at`.
    pub(super) fn article(&self, at: usize) -> Result<Article> {
        let bad = |d| self.corrupt("article", d);
        Ok(Article {
            source: self.text(at)?,
            url: self.text(at + 1)?,
            title: self.text(at + 2)?,
            published: self
                .opt_text(at + 3)?
                .map(|s| codec::parse_publish_time(&s))
                .transpose()
                .map_err(bad)?,
            author: self.opt_text(at + 4)?,
            origin: self.opt_text(at + 5)?,
            editor: self.opt_text(at + 6)?,
            paragraphs: codec::parse_paragraphs(&self.text(at + 7)?).map_err(bad)?,
            images: codec::parse_images(self.opt_text(at + 8)?.as_deref()).map_err(bad)?,
            attachments: codec::parse_attachments(self.opt_text(at + 9)?.as_deref())
                .map_err(bad)?,
            fetched_at: self.opt_timestamp(at + 10)?,
            disclosure: None,
        })
    }

    /// A filing and its id from [`FILING_COLUMNS`] starting at column `at`.
    pub(super) fn filing(&self, at: usize) -> Result<StoredFiling> {
        let legacy = match self.opt_text(at + 3)? {
            None => None,
            Some(rel_path) => {
                let layout = match self.opt_text(at + 4)? {
                    None => serde_json::Value::Null,
                    Some(s) => serde_json::from_str(&s)
                        .map_err(|e| self.corrupt("legacy layout", e.to_string()))?,
                };
                Some(LegacyPlacement { rel_path, layout })
            }
        };
        Ok(StoredFiling {
            id: FilingId(self.int(at)?),
            filing: Filing {
                column: self.text(at + 1)?,
                date: self.opt_date(at + 2)?,
                legacy,
            },
        })
    }
}

pub(super) async fn filed_articles(store: &PgStore, q: &FilingQuery) -> Result<Vec<FiledArticle>> {
    const OP: &str = "reading filed articles";
    // Only the filters given appear in the SQL, so that the planner sees plain ranges.
    let mut sql = format!(
        "SELECT {FILING_COLUMNS}, a.id, a.revision, {ARTICLE_COLUMNS} \
         FROM filings f JOIN articles a ON a.id = f.article_id WHERE f.id > $1"
    );
    let mut n = 1;
    for (given, condition) in [
        (q.since.is_some(), "f.filing_date >="),
        (q.until.is_some(), "f.filing_date <="),
        (q.column.is_some(), "f.column_name ="),
    ] {
        if given {
            n += 1;
            sql.push_str(&format!(" AND {condition} ${n}"));
        }
    }
    sql.push_str(&format!(" ORDER BY f.id LIMIT ${}", n + 1));

    let mut query = sqlx::query(&sql).bind(q.after.map_or(0, |id| id.0));
    if let Some(d) = q.since {
        query = query.bind(d);
    }
    if let Some(d) = q.until {
        query = query.bind(d);
    }
    if let Some(c) = &q.column {
        query = query.bind(c);
    }
    let rows = query
        .bind(i64::from(q.limit.min(MAX_PAGE)))
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
            let f = d.filing(0)?;
            Ok(FiledArticle {
                filing_id: f.id,
                filing: f.filing,
                article_id: ArticleId(d.int(5)?),
                revision: d.revision(6)?,
                article: d.article(7)?,
            })
        })
        .collect()
}

pub(super) async fn filing_counts(
    store: &PgStore,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Result<Vec<FilingCount>> {
    const OP: &str = "counting filings per day";
    let rows = sqlx::query(
        "SELECT filing_date, column_name, COUNT(*) FROM filings \
         WHERE ($1::date IS NULL AND $2::date IS NULL) \
            OR (filing_date >= COALESCE($1, filing_date) AND filing_date <= COALESCE($2, filing_date)) \
         GROUP BY filing_date, column_name ORDER BY filing_date NULLS FIRST, column_name",
    )
    .bind(since)
    .bind(until)
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
            Ok(FilingCount {
                date: d.opt_date(0)?,
                column: d.text(1)?,
                filings: d.count(2)?,
            })
        })
        .collect()
}

pub(super) async fn article(store: &PgStore, id: ArticleId) -> Result<Option<StoredArticle>> {
    const OP: &str = "reading an article";
    let mut tx = store
        .pool
        .begin_with(BEGIN_SNAPSHOT)
        .await
        .map_err(store.query_error(OP))?;
    let sql = format!(
        "SELECT a.revision, a.fingerprint, a.created_at, a.updated_at, {ARTICLE_COLUMNS} \
         FROM articles a WHERE a.id = $1"
    );
    let Some(row) = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store.query_error(OP))?
    else {
        return Ok(None);
    };
    let filing_rows = sqlx::query(&format!(
        "SELECT {FILING_COLUMNS} FROM filings f WHERE f.article_id = $1 ORDER BY f.id"
    ))
    .bind(id.0)
    .fetch_all(&mut *tx)
    .await
    .map_err(store.query_error(OP))?;
    tx.commit().await.map_err(store.query_error(OP))?;

    let d = Decoder {
        store,
        operation: OP,
        row: &row,
    };
    let filings = filing_rows
        .iter()
        .map(|row| {
            Decoder {
                store,
                operation: OP,
                row,
            }
            .filing(0)
        })
        .collect::<Result<_>>()?;
    Ok(Some(StoredArticle {
        id,
        revision: d.revision(0)?,
        fingerprint: d.fingerprint(1)?,
        created_at: d.timestamp(2)?,
        updated_at: d.timestamp(3)?,
        article: d.article(4)?,
        filings,
    }))
}

pub(super) async fn revisions(store: &PgStore, id: ArticleId) -> Result<Vec<Revision>> {
    const OP: &str = "reading revisions";
    let mut tx = store
        .pool
        .begin_with(BEGIN_SNAPSHOT)
        .await
        .map_err(store.query_error(OP))?;
    let rows = sqlx::query(
        "SELECT revision, fingerprint, content, stored_at FROM revisions \
         WHERE article_id = $1 ORDER BY revision",
    )
    .bind(id.0)
    .fetch_all(&mut *tx)
    .await
    .map_err(store.query_error(OP))?;
    let current = sqlx::query(&format!(
        "SELECT a.revision, a.fingerprint, a.updated_at, {ARTICLE_COLUMNS} \
         FROM articles a WHERE a.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(store.query_error(OP))?;
    tx.commit().await.map_err(store.query_error(OP))?;

    let mut out = Vec::with_capacity(rows.len() + 1);
    for row in &rows {
        let d = Decoder {
            store,
            operation: OP,
            row,
        };
        out.push(Revision {
            revision: d.revision(0)?,
            fingerprint: d.fingerprint(1)?,
            article: serde_json::from_str(&d.text(2)?)
                .map_err(|e| d.corrupt("revision content", e.to_string()))?,
            stored_at: d.timestamp(3)?,
        });
    }
    if let Some(row) = &current {
        let d = Decoder {
            store,
            operation: OP,
            row,
        };
        out.push(Revision {
            revision: d.revision(0)?,
            fingerprint: d.fingerprint(1)?,
            stored_at: d.timestamp(2)?,
            article: d.article(3)?,
        });
    }
    Ok(out)
}

pub(super) async fn sources_of(store: &PgStore, id: ArticleId) -> Result<Vec<ArticleSource>> {
    const OP: &str = "reading the sources of an article";
    let rows = sqlx::query(
        "SELECT source, url, kind, offered_filing, first_seen FROM article_urls \
         WHERE article_id = $1 \
         ORDER BY CASE kind WHEN 'primary' THEN 0 ELSE 1 END, id",
    )
    .bind(id.0)
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
            let kind = d.text(2)?;
            Ok(ArticleSource {
                source: d.text(0)?,
                url: d.text(1)?,
                kind: SourceKind::parse(&kind)
                    .ok_or_else(|| d.corrupt("source kind", kind.clone()))?,
                offered_filing: d
                    .opt_text(3)?
                    .map(|s| serde_json::from_str(&s))
                    .transpose()
                    .map_err(|e| d.corrupt("offered filing", e.to_string()))?,
                first_seen: d.timestamp(4)?,
            })
        })
        .collect()
}

pub(super) async fn known_urls(store: &PgStore, urls: &[String]) -> Result<HashSet<String>> {
    const OP: &str = "looking up known URLs";
    if urls.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = sqlx::query("SELECT url FROM article_urls WHERE url = ANY($1)")
        .bind(urls)
        .fetch_all(&store.pool)
        .await
        .map_err(store.query_error(OP))?;
    rows.iter()
        .map(|row| {
            Decoder {
                store,
                operation: OP,
                row,
            }
            .text(0)
        })
        .collect()
}

pub(super) async fn stats(store: &PgStore) -> Result<StoreStats> {
    const OP: &str = "counting";
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM filings), \
         (SELECT COUNT(*) FROM revisions), (SELECT COUNT(*) FROM article_urls), \
         (SELECT COUNT(*) FROM article_urls WHERE kind <> 'primary'), \
         (SELECT COUNT(*) FROM list_pages), (SELECT COUNT(*) FROM runs)",
    )
    .fetch_one(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    let d = Decoder {
        store,
        operation: OP,
        row: &row,
    };
    Ok(StoreStats {
        articles: d.count(0)?,
        filings: d.count(1)?,
        revisions: d.count(2)?,
        urls: d.count(3)?,
        duplicate_sources: d.count(4)?,
        list_pages: d.count(5)?,
        runs: d.count(6)?,
    })
}
