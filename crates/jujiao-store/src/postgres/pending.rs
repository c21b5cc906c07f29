//! Rows a batch will insert, gathered column by column and written with one
//! `INSERT … SELECT … FROM unnest($1, $2, …)` per table.
//!
//! One statement per table per batch instead of three per article: each statement is a
//! network round trip, and those, not PostgreSQL's work, would dominate a bulk import.
//! Ids are taken from the tables' identity sequences beforehand
//! ([`Ids`](super::dialect::Ids)), so filings and URLs can name their article before it
//! is written, and concurrent batches never collide on an id.

use super::PgStore;
use super::dialect::Tx;
use super::sql::{NewArticle, NewFiling, NewUrl};
use crate::codec;
use crate::error::Result;
use crate::types::ArticleId;
use chrono::{DateTime, NaiveDate, Utc};

const OP: &str = "recording articles";

/// New `articles` rows, one vector per column.
#[derive(Debug, Default)]
struct ArticleRows {
    id: Vec<i64>,
    fingerprint: Vec<Vec<u8>>,
    source: Vec<String>,
    url: Vec<String>,
    title: Vec<String>,
    published: Vec<Option<String>>,
    author: Vec<Option<String>>,
    origin: Vec<Option<String>>,
    editor: Vec<Option<String>>,
    paragraphs: Vec<String>,
    images: Vec<Option<String>>,
    attachments: Vec<Option<String>>,
    fetched_at: Vec<Option<DateTime<Utc>>>,
}

/// New `article_urls` rows.
#[derive(Debug, Default)]
struct UrlRows {
    url: Vec<String>,
    article_id: Vec<i64>,
    source: Vec<String>,
    kind: Vec<&'static str>,
    fingerprint: Vec<Vec<u8>>,
    offered_filing: Vec<Option<String>>,
}

/// New `filings` rows.
#[derive(Debug, Default)]
struct FilingRows {
    id: Vec<i64>,
    article_id: Vec<i64>,
    column_name: Vec<String>,
    filing_date: Vec<Option<NaiveDate>>,
    legacy_path: Vec<Option<String>>,
    legacy_layout: Vec<Option<String>>,
    legacy_title: Vec<Option<String>>,
    legacy_paragraphs: Vec<Option<String>>,
}

/// New `title_keys` rows.
#[derive(Debug, Default)]
struct TitleRows {
    title_key: Vec<String>,
    article_id: Vec<i64>,
}

/// The rows of one batch not yet written, per table.
#[derive(Debug, Default)]
pub(super) struct Pending {
    articles: ArticleRows,
    urls: UrlRows,
    filings: FilingRows,
    titles: TitleRows,
}

impl Pending {
    pub(super) fn article(&mut self, new: NewArticle<'_>) {
        let (a, rows) = (new.article, &mut self.articles);
        rows.id.push(new.id.0);
        rows.fingerprint.push(new.fingerprint.0.to_vec());
        rows.source.push(a.source.clone());
        rows.url.push(a.url.clone());
        rows.title.push(a.title.clone());
        rows.published
            .push(a.published.map(codec::publish_time_text));
        rows.author.push(a.author.clone());
        rows.origin.push(a.origin.clone());
        rows.editor.push(a.editor.clone());
        rows.paragraphs.push(new.paragraphs);
        rows.images.push(new.images);
        rows.attachments.push(new.attachments);
        rows.fetched_at.push(a.fetched_at);
    }

    pub(super) fn url(&mut self, new: NewUrl<'_>) {
        let rows = &mut self.urls;
        rows.url.push(new.article.url.clone());
        rows.article_id.push(new.article_id.0);
        rows.source.push(new.article.source.clone());
        rows.kind.push(new.kind);
        rows.fingerprint.push(new.fingerprint.0.to_vec());
        rows.offered_filing.push(new.offered_filing);
    }

    pub(super) fn filing(&mut self, new: NewFiling<'_>) {
        let (f, rows) = (new.filing, &mut self.filings);
        rows.id.push(new.id.0);
        rows.article_id.push(new.article_id.0);
        rows.column_name.push(f.column.clone());
        rows.filing_date.push(f.date);
        rows.legacy_path
            .push(f.legacy.as_ref().map(|l| l.rel_path.clone()));
        rows.legacy_layout.push(new.layout);
        let (title, paragraphs) = new.own_text.unzip();
        rows.legacy_title.push(title.map(str::to_owned));
        rows.legacy_paragraphs.push(paragraphs);
    }

    /// A title key near duplicates are looked up by.
    pub(super) fn title(&mut self, key: &str, article_id: ArticleId) {
        self.titles.title_key.push(key.to_owned());
        self.titles.article_id.push(article_id.0);
    }

    /// Writes everything pending, articles first (URLs and filings refer to them), and
    /// clears it.
    pub(super) async fn flush(
        &mut self,
        store: &PgStore,
        tx: &mut Tx,
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
                 legacy_layout, legacy_title, legacy_paragraphs, filed_at) \
                 SELECT r.*, $9 FROM unnest($1::int8[], $2::int8[], $3::text[], $4::date[], \
                 $5::text[], $6::text[], $7::text[], $8::text[]) AS r",
            )
            .bind(f.id)
            .bind(f.article_id)
            .bind(f.column_name)
            .bind(f.filing_date)
            .bind(f.legacy_path)
            .bind(f.legacy_layout)
            .bind(f.legacy_title)
            .bind(f.legacy_paragraphs)
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
