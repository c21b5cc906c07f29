//! [`ArticleStore`]: recording (in [`record`](super::record)) and reading articles,
//! filings and their sources.

use super::{Decoder, d};
use crate::ArticleStore;
use crate::codec;
use crate::error::Result;
use crate::types::{
    ArticleId, ArticleRecord, ArticleSource, FiledArticle, FilingCount, FilingId, FilingQuery,
    MAX_PAGE, RecordOutcome, Revision, SourceKind, StoreStats, StoredArticle, StoredFiling,
};
use async_trait::async_trait;
use chrono::NaiveDate;
use jujiao_model::{Article, Filing, LegacyPlacement};
use std::collections::HashSet;

/// The article content columns of `articles a`, in the order [`Decoder::article`]
/// reads them.
pub(super) const ARTICLE_COLUMNS: &str = "a.source, a.url, a.title, a.published, a.author, \
     a.origin, a.editor, a.paragraphs, a.images, a.attachments, a.fetched_at";

/// The filing columns of `filings f`, in the order [`Decoder::filing`] reads them.
const FILING_COLUMNS: &str = "f.id, f.column_name, f.filing_date, f.legacy_path, f.legacy_layout";

/// An imported file's own title and paragraphs (NULL when they are the article's).
const OWN_TEXT_COLUMNS: &str = "f.legacy_title, f.legacy_paragraphs";

impl Decoder<'_> {
    /// An [`Article`] from [`ARTICLE_COLUMNS`] starting at column `at`.
    pub(super) fn article(&self, at: usize) -> Result<Article> {
        let bad = |e| self.corrupt("article", e);
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

    /// The filing's own title and paragraphs from [`OWN_TEXT_COLUMNS`] at column `at`,
    /// in place of the article's where the filing has them.
    fn own_text(&self, at: usize, article: &mut Article) -> Result<()> {
        if let Some(title) = self.opt_text(at)? {
            article.title = title;
        }
        if let Some(paragraphs) = self.opt_text(at + 1)? {
            article.paragraphs = codec::parse_paragraphs(&paragraphs)
                .map_err(|e| self.corrupt("filing paragraphs", e))?;
        }
        Ok(())
    }

    /// A filing and its id from [`FILING_COLUMNS`] starting at column `at`.
    fn filing(&self, at: usize) -> Result<StoredFiling> {
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

#[async_trait]
impl ArticleStore for d::This {
    async fn record_articles(&self, batch: &[ArticleRecord]) -> Result<Vec<RecordOutcome>> {
        Ok(self.record_batch(batch, None).await?.0)
    }

    async fn filed_articles(&self, q: &FilingQuery) -> Result<Vec<FiledArticle>> {
        crate::disclosure::fill_filed(self, filed_articles_rows(self, q).await).await
    }

    async fn filing_counts(
        &self,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
    ) -> Result<Vec<FilingCount>> {
        const OP: &str = "counting filings per day";
        // A bound excludes the undated filings; with none, every filing counts.
        let sql = match (since, until) {
            (None, None) => "",
            (Some(_), None) => "WHERE filing_date >= $1",
            (None, Some(_)) => "WHERE filing_date <= $1",
            (Some(_), Some(_)) => "WHERE filing_date >= $1 AND filing_date <= $2",
        };
        let sql = format!(
            "SELECT filing_date, column_name, COUNT(*) FROM filings {sql} \
             GROUP BY filing_date, column_name ORDER BY filing_date NULLS FIRST, column_name"
        );
        let mut query = sqlx::query(&sql);
        for date in [since, until].into_iter().flatten() {
            query = query.bind(d::date(date));
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_error(OP))?;
        rows.iter()
            .map(|row| {
                let d = self.decoder(OP, row);
                Ok(FilingCount {
                    date: d.opt_date(0)?,
                    column: d.text(1)?,
                    filings: d.count(2)?,
                })
            })
            .collect()
    }

    async fn article(&self, id: ArticleId) -> Result<Option<StoredArticle>> {
        crate::disclosure::fill_stored(self, article_rows(self, id).await).await
    }

    async fn revisions(&self, id: ArticleId) -> Result<Vec<Revision>> {
        const OP: &str = "reading revisions";
        let mut tx = self.begin_read(OP).await?;
        let rows = sqlx::query(
            "SELECT revision, fingerprint, content, stored_at FROM revisions \
             WHERE article_id = $1 ORDER BY revision",
        )
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await
        .map_err(self.query_error(OP))?;
        let current = sqlx::query(&format!(
            "SELECT a.revision, a.fingerprint, a.updated_at, {ARTICLE_COLUMNS} \
             FROM articles a WHERE a.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(self.query_error(OP))?;
        tx.commit().await.map_err(self.query_error(OP))?;

        let mut out = Vec::with_capacity(rows.len() + 1);
        for row in &rows {
            let d = self.decoder(OP, row);
            out.push(Revision {
                revision: d.small(0, "revision")?,
                fingerprint: d.fingerprint(1)?,
                article: serde_json::from_str(&d.text(2)?)
                    .map_err(|e| d.corrupt("revision content", e.to_string()))?,
                stored_at: d.timestamp(3)?,
            });
        }
        if let Some(row) = &current {
            let d = self.decoder(OP, row);
            out.push(Revision {
                revision: d.small(0, "revision")?,
                fingerprint: d.fingerprint(1)?,
                stored_at: d.timestamp(2)?,
                article: d.article(3)?,
            });
        }
        Ok(out)
    }

    async fn sources_of(&self, id: ArticleId) -> Result<Vec<ArticleSource>> {
        const OP: &str = "reading the sources of an article";
        let rows = sqlx::query(
            "SELECT source, url, kind, offered_filing, first_seen FROM article_urls \
             WHERE article_id = $1 \
             ORDER BY CASE kind WHEN 'primary' THEN 0 ELSE 1 END, id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        rows.iter()
            .map(|row| {
                let d = self.decoder(OP, row);
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

    async fn known_urls(&self, urls: &[String]) -> Result<HashSet<String>> {
        const OP: &str = "looking up known URLs";
        if urls.is_empty() {
            return Ok(HashSet::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT url FROM article_urls WHERE url {}",
            d::in_list("$1")
        ))
        .bind(d::text_list(urls))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        rows.iter()
            .map(|row| self.decoder(OP, row).text(0))
            .collect()
    }

    async fn stats(&self) -> Result<StoreStats> {
        const OP: &str = "counting";
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM filings), \
             (SELECT COUNT(*) FROM revisions), (SELECT COUNT(*) FROM article_urls), \
             (SELECT COUNT(*) FROM article_urls WHERE kind <> 'primary'), \
             (SELECT COUNT(*) FROM list_pages), (SELECT COUNT(*) FROM runs)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        let d = self.decoder(OP, &row);
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
}

/// [`ArticleStore::filed_articles`] before the disclosure tables are filled in.
async fn filed_articles_rows(this: &d::This, q: &FilingQuery) -> Result<Vec<FiledArticle>> {
    const OP: &str = "reading filed articles";
    // Only the filters given appear in the SQL, so that the date index is used.
    let mut sql = format!(
        "SELECT {FILING_COLUMNS}, {OWN_TEXT_COLUMNS}, a.id, a.revision, {ARTICLE_COLUMNS} \
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
    for date in [q.since, q.until].into_iter().flatten() {
        query = query.bind(d::date(date));
    }
    if let Some(c) = &q.column {
        query = query.bind(c);
    }
    let rows = query
        .bind(i64::from(q.limit.min(MAX_PAGE)))
        .fetch_all(&this.pool)
        .await
        .map_err(this.query_error(OP))?;
    rows.iter()
        .map(|row| {
            let d = this.decoder(OP, row);
            let f = d.filing(0)?;
            let mut article = d.article(9)?;
            d.own_text(5, &mut article)?;
            Ok(FiledArticle {
                filing_id: f.id,
                filing: f.filing,
                article_id: ArticleId(d.int(7)?),
                revision: d.small(8, "revision")?,
                article,
            })
        })
        .collect()
}

/// [`ArticleStore::article`] before its disclosure table is filled in.
async fn article_rows(this: &d::This, id: ArticleId) -> Result<Option<StoredArticle>> {
    const OP: &str = "reading an article";
    let mut tx = this.begin_read(OP).await?;
    let sql = format!(
        "SELECT a.revision, a.fingerprint, a.created_at, a.updated_at, {ARTICLE_COLUMNS} \
         FROM articles a WHERE a.id = $1"
    );
    let Some(row) = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(this.query_error(OP))?
    else {
        return Ok(None);
    };
    let filing_rows = sqlx::query(&format!(
        "SELECT {FILING_COLUMNS} FROM filings f WHERE f.article_id = $1 ORDER BY f.id"
    ))
    .bind(id.0)
    .fetch_all(&mut *tx)
    .await
    .map_err(this.query_error(OP))?;
    tx.commit().await.map_err(this.query_error(OP))?;

    let d = this.decoder(OP, &row);
    let filings = filing_rows
        .iter()
        .map(|row| this.decoder(OP, row).filing(0))
        .collect::<Result<_>>()?;
    Ok(Some(StoredArticle {
        id,
        revision: d.small(0, "revision")?,
        fingerprint: d.fingerprint(1)?,
        created_at: d.timestamp(2)?,
        updated_at: d.timestamp(3)?,
        article: d.article(4)?,
        filings,
    }))
}
