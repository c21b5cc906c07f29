//! What SQLite spells its own way, for the SQL in `sql/` (which names this module `d`).
//!
//! Times and dates are text ([`codec::timestamp_text`], `YYYY-MM-DD`) that sorts as it
//! should; a list travels as one JSON text read with `json_each` (fingerprints as hex,
//! back to bytes with `unhex`); writes run in `BEGIN IMMEDIATE` transactions, whose
//! write lock serialises every writer to the file, so there are no row locks to take
//! and no race a batch can lose.

use super::SqliteStore;
use super::sql::{Decoder, NewIds};
use crate::codec;
/// Disclosure rows of a recorded batch, in its transaction (`crate::disclosure`).
pub(crate) use crate::disclosure::record_sqlite as record_disclosures;
use crate::error::{Result, StoreError};
use crate::types::{ArticleId, ArticleRecord, FilingId, PageCheck};
use crate::work::NewWork;
use chrono::{DateTime, NaiveDate, Utc};
use jujiao_model::Fingerprint;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Sqlite, Transaction};
use std::time::Duration;

pub(super) use super::pending::Pending;

pub(super) type This = SqliteStore;
pub(super) type Db = Sqlite;
pub(super) type Row = SqliteRow;
pub(super) type Tx = Transaction<'static, Sqlite>;
pub(super) type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

/// SQLite text holds U+0000.
pub(super) const TEXT_REFUSES_NUL: bool = false;

/// No row locks: the transaction's write lock covers the whole file.
pub(super) const FOR_UPDATE: &str = "";
pub(super) const SKIP_LOCKED: &str = "";

/// A batch holds the write lock from its start, so it never loses a race: one try.
pub(super) const MAX_BATCH_ATTEMPTS: u32 = 1;

pub(super) fn is_lost_race(_: &StoreError) -> bool {
    false
}

pub(super) fn backoff(_attempt: u32) -> Duration {
    Duration::ZERO
}

pub(super) fn time(t: DateTime<Utc>) -> String {
    codec::timestamp_text(t)
}

pub(super) fn date(d: NaiveDate) -> String {
    codec::date_text(d)
}

/// An `INTEGER` column's value (revision, attempts, slot, position).
pub(super) fn small(n: u32) -> i64 {
    i64::from(n)
}

/// `IN` the list bound at `param` ([`text_list`], [`int_list`]).
pub(super) fn in_list(param: &str) -> String {
    format!("IN (SELECT value FROM json_each({param}))")
}

/// `IN` the fingerprints bound at `param` ([`fingerprint_list`]).
pub(super) fn in_blob_list(param: &str) -> String {
    format!("IN (SELECT unhex(value) FROM json_each({param}))")
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("lists of strings and integers always serialise")
}

pub(super) fn text_list<S: AsRef<str>>(items: &[S]) -> String {
    json(&items.iter().map(AsRef::as_ref).collect::<Vec<&str>>())
}

pub(super) fn int_list(items: &[i64]) -> String {
    json(items)
}

/// A JSON array of hex strings, for `unhex` in SQL.
pub(super) fn fingerprint_list(fps: &[Fingerprint]) -> String {
    json(&fps.iter().map(Fingerprint::to_hex).collect::<Vec<_>>())
}

/// The rows of [`bind_page_checks`]: `url, checked_at, etag, last_modified`.
pub(super) const PAGE_CHECK_ROWS: &str =
    "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each($1) WHERE true";

pub(super) fn bind_page_checks<'q>(query: Query<'q>, checks: &[&PageCheck]) -> Query<'q> {
    let rows: Vec<serde_json::Value> = checks
        .iter()
        .map(|c| {
            serde_json::json!([
                c.url,
                time(c.checked_at),
                c.validators.etag,
                c.validators.last_modified
            ])
        })
        .collect();
    query.bind(json(&rows))
}

/// The rows of [`bind_work_rows`]: `kind, url, source_id, due_at, note, run_id`.
pub(super) const WORK_ROWS: &str = "SELECT value ->> 0, value ->> 1, value ->> 2, \
     value ->> 3, value ->> 4, value ->> 5 FROM json_each($1) WHERE true";

pub(super) fn bind_work_rows<'q>(query: Query<'q>, items: &[&NewWork]) -> Query<'q> {
    let rows: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            serde_json::json!([
                i.kind.as_str(),
                i.url,
                i.source_id,
                time(i.due_at),
                i.note,
                i.run.map(|r| r.0)
            ])
        })
        .collect();
    query.bind(json(&rows))
}

/// `$1` run, `$2` error sample, `$3` most samples kept.
pub(super) const APPEND_ERROR_SAMPLE: &str = "UPDATE runs SET error_samples = \
        json_insert(COALESCE(error_samples, '[]'), '$[#]', $2) \
     WHERE id = $1 AND json_array_length(COALESCE(error_samples, '[]')) < $3";

/// Nothing to lock: `BEGIN IMMEDIATE` took the write lock.
pub(super) async fn lock_keys(
    _: &This,
    _: &mut Tx,
    _: &[ArticleRecord],
    _: &[Fingerprint],
) -> Result<()> {
    Ok(())
}

/// Nothing to lock: `BEGIN IMMEDIATE` took the write lock.
pub(super) async fn lock_articles(_: &This, _: &mut Tx, _: &[i64]) -> Result<()> {
    Ok(())
}

/// The ids a batch's new articles and filings get: one more than the largest stored,
/// safe because the batch holds the write lock, so nobody else can take them.
#[derive(Debug, Default)]
pub(super) struct Ids {
    next: Option<(i64, i64)>,
}

impl Ids {
    pub(super) async fn reserve(&mut self, _: &This, _: &mut Tx, _: usize) -> Result<()> {
        Ok(())
    }

    pub(super) async fn next(&mut self, store: &This, tx: &mut Tx) -> Result<NewIds> {
        const OP: &str = "recording articles";
        let (article, filing) = match self.next {
            Some(next) => next,
            None => {
                let row = sqlx::query(
                    "SELECT (SELECT COALESCE(MAX(id), 0) FROM articles), \
                     (SELECT COALESCE(MAX(id), 0) FROM filings)",
                )
                .fetch_one(&mut **tx)
                .await
                .map_err(store.query_error(OP))?;
                let d = store.decoder(OP, &row);
                (d.int(0)? + 1, d.int(1)? + 1)
            }
        };
        self.next = Some((article + 1, filing + 1));
        Ok((ArticleId(article), FilingId(filing)))
    }
}

impl This {
    /// A write transaction: takes the write lock at once, so that two writers wait for
    /// each other instead of failing when a read lock cannot be upgraded.
    pub(super) async fn begin_write(&self, operation: &'static str) -> Result<Tx> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(self.query_error(operation))
    }

    /// A read of several statements: WAL gives a deferred transaction a snapshot.
    pub(super) async fn begin_read(&self, operation: &'static str) -> Result<Tx> {
        self.pool.begin().await.map_err(self.query_error(operation))
    }
}

impl Decoder<'_> {
    pub(super) fn timestamp(&self, i: usize) -> Result<DateTime<Utc>> {
        codec::parse_timestamp(&self.text(i)?).map_err(|e| self.corrupt("timestamp", e))
    }

    pub(super) fn opt_timestamp(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        self.opt_text(i)?
            .map(|s| codec::parse_timestamp(&s))
            .transpose()
            .map_err(|e| self.corrupt("timestamp", e))
    }

    pub(super) fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>> {
        self.opt_text(i)?
            .map(|s| codec::parse_date(&s))
            .transpose()
            .map_err(|e| self.corrupt("date", e))
    }

    /// An `INTEGER` column's value that fits a `u32`.
    pub(super) fn small(&self, i: usize, what: &'static str) -> Result<u32> {
        let n = self.int(i)?;
        u32::try_from(n).map_err(|_| self.corrupt(what, format!("{n} is out of range")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_list_is_a_json_array_of_hex() {
        let list = fingerprint_list(&[Fingerprint([0xab; 32]), Fingerprint([1; 32])]);
        let v: Vec<String> = serde_json::from_str(&list).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0], "ab".repeat(32));
    }
}
