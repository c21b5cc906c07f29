//! Reading articles, filings and sources back, and the row decoding shared with
//! [`record`](super::record) and [`crawl`](super::crawl).

use super::SqliteStore;
use crate::codec;
use crate::error::{Result, StoreError};
use crate::types::{
    ArticleId, ArticleSource, FiledArticle, FilingCount, FilingId, FilingQuery, MAX_PAGE, Revision,
    SourceKind, StoreStats, StoredArticle, StoredFiling,
};
use chrono::{DateTime, NaiveDate, Utc};
use jujiao_model::{Article, Filing, Fingerprint, LegacyPlacement};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use std::collections::HashSet;

/// The article content columns of `articles a`, in the order
/// [`Decoder::article`] reads them.
pub(super) const ARTICLE_COLUMNS: &str = "a.source, a.url, a.title, a.published, a.author, \
     a.origin, a.editor, a.paragraphs, a.images, a.attachments, a.fetched_at";

/// The filing columns of `filings f`, in the order [`Decoder::filing`] reads them.
const FILING_COLUMNS: &str = "f.id, f.column_name, f.filing_date, f.legacy_path, f.legacy_layout";

/// Reads typed values out of one row, turning failures into [`StoreError`]s that name
/// the operation and the database.
pub(super) struct Decoder<'a> {
    pub(super) store: &'a SqliteStore,
    pub(super) operation: &'static str,
    pub(super) row: &'a SqliteRow,
}

impl Decoder<'_> {
    pub(super) fn opt_text(&self, i: usize) -> Result<Option<String>> {
        self.row
            .try_get(i)
            .map_err(self.store.query_error(self.operation))
    }

    pub(super) fn text(&self, i: usize) -> Result<String> {
        self.row
            .try_get(i)
            .map_err(self.store.query_error(self.operation))
    }

    pub(super) fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        self.row
            .try_get(i)
            .map_err(self.store.query_error(self.operation))
    }

    pub(super) fn int(&self, i: usize) -> Result<i64> {
        self.row
            .try_get(i)
            .map_err(self.store.query_error(self.operation))
    }

    pub(super) fn count(&self, i: usize) -> Result<u64> {
        let n = self.int(i)?;
        u64::try_from(n).map_err(|_| self.corrupt("count", format!("{n} is negative")))
    }

    pub(super) fn revision(&self, i: usize) -> Result<u32> {
        let n = self.int(i)?;
        u32::try_from(n).map_err(|_| self.corrupt("revision", format!("{n} is out of range")))
    }

    pub(super) fn fingerprint(&self, i: usize) -> Result<Fingerprint> {
        let b: Vec<u8> = self
            .row
            .try_get(i)
            .map_err(self.store.query_error(self.operation))?;
        codec::fingerprint_from_bytes(&b).map_err(|d| self.corrupt("fingerprint", d))
    }

    pub(super) fn timestamp(&self, i: usize) -> Result<DateTime<Utc>> {
        codec::parse_timestamp(&self.text(i)?).map_err(|d| self.corrupt("timestamp", d))
    }

    pub(super) fn opt_timestamp(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        self.opt_text(i)?
            .map(|s| codec::parse_timestamp(&s))
            .transpose()
            .map_err(|d| self.corrupt("timestamp", d))
    }

    pub(super) fn corrupt(&self, what: &'static str, detail: String) -> StoreError {
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
        let bad = |d| self.corrupt("filing", d);
        let date = self
            .opt_text(at + 2)?
            .map(|s| codec::parse_date(&s))
            .transpose()
            .map_err(bad)?;
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
                date,
                legacy,
            },
        })
    }
}

pub(super) async fn filed_articles(
    store: &SqliteStore,
    q: &FilingQuery,
) -> Result<Vec<FiledArticle>> {
    const OP: &str = "reading filed articles";
    // Only the filters given appear in the SQL, so that SQLite can use the date index.
    let mut sql = format!(
        "SELECT {FILING_COLUMNS}, a.id, a.revision, {ARTICLE_COLUMNS} \
         FROM filings f JOIN articles a ON a.id = f.article_id WHERE f.id > $1"
    );
    let since = q.since.map(codec::date_text);
    let until = q.until.map(codec::date_text);
    let mut binds: Vec<&str> = Vec::new();
    for (value, condition) in [
        (&since, "f.filing_date >="),
        (&until, "f.filing_date <="),
        (&q.column, "f.column_name ="),
    ] {
        if let Some(v) = value {
            binds.push(v);
            sql.push_str(&format!(" AND {condition} ${}", binds.len() + 1));
        }
    }
    sql.push_str(&format!(" ORDER BY f.id LIMIT ${}", binds.len() + 2));

    let mut query = sqlx::query(&sql).bind(q.after.map_or(0, |id| id.0));
    for b in binds {
        query = query.bind(b);
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
    store: &SqliteStore,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Result<Vec<FilingCount>> {
    const OP: &str = "counting filings per day";
    let rows = sqlx::query(
        "SELECT filing_date, column_name, COUNT(*) FROM filings \
         WHERE ($1 IS NULL AND $2 IS NULL) \
            OR (filing_date >= COALESCE($1, filing_date) AND filing_date <= COALESCE($2, filing_date)) \
         GROUP BY filing_date, column_name ORDER BY filing_date, column_name",
    )
    .bind(since.map(codec::date_text))
    .bind(until.map(codec::date_text))
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
                date: d
                    .opt_text(0)?
                    .map(|s| codec::parse_date(&s))
                    .transpose()
                    .map_err(|e| d.corrupt("filing date", e))?,
                column: d.text(1)?,
                filings: d.count(2)?,
            })
        })
        .collect()
}

pub(super) async fn article(store: &SqliteStore, id: ArticleId) -> Result<Option<StoredArticle>> {
    const OP: &str = "reading an article";
    let mut tx = store.pool.begin().await.map_err(store.query_error(OP))?;
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

pub(super) async fn revisions(store: &SqliteStore, id: ArticleId) -> Result<Vec<Revision>> {
    const OP: &str = "reading revisions";
    let mut tx = store.pool.begin().await.map_err(store.query_error(OP))?;
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

pub(super) async fn sources_of(store: &SqliteStore, id: ArticleId) -> Result<Vec<ArticleSource>> {
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

pub(super) async fn known_urls(store: &SqliteStore, urls: &[String]) -> Result<HashSet<String>> {
    const OP: &str = "looking up known URLs";
    if urls.is_empty() {
        return Ok(HashSet::new());
    }
    let list = serde_json::to_string(urls).map_err(|source| StoreError::Encode {
        operation: OP,
        what: "URL list",
        source,
    })?;
    let rows =
        sqlx::query("SELECT url FROM article_urls WHERE url IN (SELECT value FROM json_each($1))")
            .bind(list)
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

pub(super) async fn stats(store: &SqliteStore) -> Result<StoreStats> {
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
