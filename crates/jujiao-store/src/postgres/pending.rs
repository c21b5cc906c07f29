//! Rows a batch will insert, gathered column by column and written with one
//! `INSERT … SELECT … FROM unnest($1, $2, …)` per table.
//!
//! One statement per table per batch instead of three per article: each statement is a
//! network round trip, and those, not PostgreSQL's work, would dominate a bulk import.
//! Ids are taken from the tables' identity sequences beforehand
//! ([`IdPool`](super::record)), so filings and URLs can name their article before it is
//! written, and concurrent batches never collide on an id.

use super::PgStore;
use crate::error::Result;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Postgres, Transaction};

const OP: &str = "recording articles";

/// New `articles` rows, one vector per column.
#[derive(Debug, Default)]
pub(super) struct ArticleRows {
    pub(super) id: Vec<i64>,
    pub(super) fingerprint: Vec<Vec<u8>>,
    pub(super) source: Vec<String>,
    pub(super) url: Vec<String>,
    pub(super) title: Vec<String>,
    pub(super) published: Vec<Option<String>>,
    pub(super) author: Vec<Option<String>>,
    pub(super) origin: Vec<Option<String>>,
    pub(super) editor: Vec<Option<String>>,
    pub(super) paragraphs: Vec<String>,
    pub(super) images: Vec<Option<String>>,
    pub(super) attachments: Vec<Option<String>>,
    pub(super) fetched_at: Vec<Option<DateTime<Utc>>>,
}

/// New `article_urls` rows.
#[derive(Debug, Default)]
pub(super) struct UrlRows {
    pub(super) url: Vec<String>,
    pub(super) article_id: Vec<i64>,
    pub(super) source: Vec<String>,
    pub(super) kind: Vec<&'static str>,
    pub(super) fingerprint: Vec<Vec<u8>>,
    pub(super) offered_filing: Vec<Option<String>>,
}

/// New `filings` rows.
#[derive(Debug, Default)]
pub(super) struct FilingRows {
    pub(super) id: Vec<i64>,
    pub(super) article_id: Vec<i64>,
    pub(super) column_name: Vec<String>,
    pub(super) filing_date: Vec<Option<NaiveDate>>,
    pub(super) legacy_path: Vec<Option<String>>,
    pub(super) legacy_layout: Vec<Option<String>>,
}

/// The rows of one batch not yet written, per table.
#[derive(Debug, Default)]
pub(super) struct TitleRows {
    pub(super) title_key: Vec<String>,
    pub(super) article_id: Vec<i64>,
}

#[derive(Debug, Default)]
pub(super) struct Pending {
    pub(super) articles: ArticleRows,
    pub(super) urls: UrlRows,
    pub(super) filings: FilingRows,
    pub(super) titles: TitleRows,
}

impl Pending {
    /// Writes everything pending, articles first (URLs and filings refer to them), and
    /// clears it.
    pub(super) async fn flush(
        &mut self,
        store: &PgStore,
        tx: &mut Transaction<'static, Postgres>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let Pending {
            articles: a,
            urls: u,
            filings: f,
            titles: t,
        } = std::mem::take(self);
        if !a.id.is_empty() {
            sqlx::query(
                "INSERT INTO articles (id, fingerprint, source, url, title, published, author, \
                 origin, editor, paragraphs, images, attachments, fetched_at, \
                 revision, created_at, updated_at) \
                 SELECT r.*, 1, $14, $14 FROM unnest($1::int8[], $2::bytea[], $3::text[], \
                 $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], \
                 $10::text[], $11::text[], $12::text[], $13::timestamptz[]) AS r",
            )
            .bind(a.id)
            .bind(a.fingerprint)
            .bind(a.source)
            .bind(a.url)
            .bind(a.title)
            .bind(a.published)
            .bind(a.author)
            .bind(a.origin)
            .bind(a.editor)
            .bind(a.paragraphs)
            .bind(a.images)
            .bind(a.attachments)
            .bind(a.fetched_at)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(store.query_error(OP))?;
        }
        if !u.url.is_empty() {
            sqlx::query(
                "INSERT INTO article_urls (url, article_id, source, kind, fingerprint, \
                 offered_filing, first_seen) \
                 SELECT r.*, $7 FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], \
                 $5::bytea[], $6::text[]) AS r",
            )
            .bind(u.url)
            .bind(u.article_id)
            .bind(u.source)
            .bind(u.kind)
            .bind(u.fingerprint)
            .bind(u.offered_filing)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(store.query_error(OP))?;
        }
        if !f.id.is_empty() {
            sqlx::query(
                "INSERT INTO filings (id, article_id, column_name, filing_date, legacy_path, \
                 legacy_layout, filed_at) \
                 SELECT r.*, $7 FROM unnest($1::int8[], $2::int8[], $3::text[], $4::date[], \
                 $5::text[], $6::text[]) AS r",
            )
            .bind(f.id)
            .bind(f.article_id)
            .bind(f.column_name)
            .bind(f.filing_date)
            .bind(f.legacy_path)
            .bind(f.legacy_layout)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(store.query_error(OP))?;
        }
        if !t.title_key.is_empty() {
            sqlx::query(
                "INSERT INTO title_keys (title_key, article_id) \
                 SELECT * FROM unnest($1::text[], $2::int8[]) ON CONFLICT DO NOTHING",
            )
            .bind(t.title_key)
            .bind(t.article_id)
            .execute(&mut **tx)
            .await
            .map_err(store.query_error(OP))?;
        }
        Ok(())
    }
}
