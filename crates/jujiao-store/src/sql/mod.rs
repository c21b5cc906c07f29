//! The store's SQL, written once and compiled once for each backend.
//!
//! `sqlite/mod.rs` and `postgres/mod.rs` each include this module
//! (`#[path = "../sql/mod.rs"] mod sql;`), so every function here is type-checked against
//! one concrete store, row and database type: no generic bounds over sqlx's traits, no
//! macro bodies. What the two dialects spell differently comes from the including
//! backend's `dialect` module, imported here as `d`: the store type (`d::This`), how a
//! time, a date, a small integer or a list is bound, how a write transaction begins,
//! and the few statements that really differ (advisory locks, `SKIP LOCKED`, arrays
//! against `json_each`). The sub-traits of [`Store`](crate::Store) are implemented here,
//! one module each: [`articles`] ([`ArticleStore`](crate::ArticleStore), with
//! [`record`] for writing), [`crawl`] ([`CrawlLog`](crate::CrawlLog)), [`work`]
//! ([`WorkQueue`](crate::WorkQueue), [`HostSlots`](crate::HostSlots)) and [`files`]
//! ([`FileCatalog`](crate::FileCatalog)).

mod articles;
mod crawl;
mod files;
mod host_pause;
mod record;
mod watch;
mod work;

use super::dialect as d;
use crate::error::{Result, StoreError};
use crate::types::{ArticleId, FilingId};
use jujiao_model::{Article, Filing, Fingerprint};
use sqlx::Row;

impl d::This {
    /// Wraps a query error with the operation and this database.
    pub(crate) fn query_error(
        &self,
        operation: &'static str,
    ) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
        move |source| StoreError::Query {
            operation,
            location: self.location.clone(),
            source,
        }
    }

    /// A stored value that does not decode.
    pub(crate) fn corrupt(
        &self,
        operation: &'static str,
        what: &'static str,
        detail: String,
    ) -> StoreError {
        StoreError::Corrupt {
            operation,
            location: self.location.clone(),
            what,
            detail,
        }
    }

    /// A row decoder for `operation`.
    pub(super) fn decoder<'a>(&'a self, operation: &'static str, row: &'a d::Row) -> Decoder<'a> {
        Decoder {
            store: self,
            operation,
            row,
        }
    }
}

/// Reads typed values out of one row, turning failures into [`StoreError`]s that name
/// the operation and the database. The time, date and small-integer readers, whose
/// column types differ, are in the backend's `dialect`.
pub(super) struct Decoder<'a> {
    pub(super) store: &'a d::This,
    pub(super) operation: &'static str,
    pub(super) row: &'a d::Row,
}

impl Decoder<'_> {
    /// Any column sqlx can decode as `T`.
    pub(super) fn get<'r, T>(&'r self, i: usize) -> Result<T>
    where
        T: sqlx::Decode<'r, d::Db> + sqlx::Type<d::Db>,
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

    /// A `BIGINT` count that cannot be negative.
    pub(super) fn count(&self, i: usize) -> Result<u64> {
        let n = self.int(i)?;
        u64::try_from(n).map_err(|_| self.corrupt("count", format!("{n} is negative")))
    }

    pub(super) fn fingerprint(&self, i: usize) -> Result<jujiao_model::Fingerprint> {
        let b: Vec<u8> = self.get(i)?;
        crate::codec::fingerprint_from_bytes(&b).map_err(|e| self.corrupt("fingerprint", e))
    }

    pub(super) fn corrupt(&self, what: &'static str, detail: String) -> StoreError {
        self.store.corrupt(self.operation, what, detail)
    }
}

/// The ids of a new article and of its filing.
pub(super) type NewIds = (ArticleId, FilingId);

/// A new `articles` row for the backend's `Pending`, with its JSON columns encoded.
pub(super) struct NewArticle<'a> {
    pub(super) id: ArticleId,
    pub(super) fingerprint: &'a Fingerprint,
    pub(super) article: &'a Article,
    pub(super) paragraphs: String,
    pub(super) images: Option<String>,
    pub(super) attachments: Option<String>,
}

/// A new `article_urls` row: `article` was seen at its URL.
pub(super) struct NewUrl<'a> {
    pub(super) article: &'a Article,
    pub(super) article_id: ArticleId,
    pub(super) kind: &'static str,
    pub(super) fingerprint: &'a Fingerprint,
    /// A duplicate's filing, as JSON.
    pub(super) offered_filing: Option<String>,
}

/// A new `filings` row, with its legacy layout as JSON.
pub(super) struct NewFiling<'a> {
    pub(super) id: FilingId,
    pub(super) article_id: ArticleId,
    pub(super) filing: &'a Filing,
    pub(super) layout: Option<String>,
    /// An imported file filed under an article whose text it shares: the file's own
    /// title and paragraphs (JSON), so that it is published with its own bytes.
    pub(super) own_text: Option<(&'a str, String)>,
}

/// A count for a `BIGINT` column.
fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
