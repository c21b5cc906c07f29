//! What PostgreSQL spells its own way, for the SQL in `sql/` (which names this module
//! `d`).
//!
//! Times and dates are native `TIMESTAMPTZ` and `DATE`, small numbers `INTEGER`
//! (`i32`), lists are arrays (`= ANY($1)`, `unnest`). Several workers write one database
//! at once, so a batch of articles first takes transaction-scoped advisory locks on its
//! URLs, texts and titles ([`lock_keys`]) and row-locks the articles it revises
//! ([`lock_articles`]); claims pick rows `FOR UPDATE SKIP LOCKED`; ids come from the
//! identity sequences ([`Ids`]); a batch that still loses a race (deadlock, serialization
//! failure) is run again, whole. SCHEMA.md explains why advisory locks rather than
//! `SERIALIZABLE`.

use super::PgStore;
use super::sql::{Decoder, NewIds};
/// Disclosure rows of a recorded batch, in its transaction (`crate::disclosure`).
pub(crate) use crate::disclosure::record_pg as record_disclosures;
use crate::error::{Result, StoreError};
use crate::near::title_key;
use crate::types::{ArticleId, ArticleRecord, FilingId, PageCheck};
use crate::work::NewWork;
use chrono::{DateTime, NaiveDate, Utc};
use jujiao_model::Fingerprint;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Postgres, Transaction};
use std::time::Duration;

pub(super) use super::pending::Pending;

pub(super) type This = PgStore;
pub(super) type Db = Postgres;
pub(super) type Row = PgRow;
pub(super) type Tx = Transaction<'static, Postgres>;
pub(super) type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// PostgreSQL text cannot hold U+0000.
pub(super) const TEXT_REFUSES_NUL: bool = true;

pub(super) const FOR_UPDATE: &str = " FOR UPDATE";
pub(super) const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";

/// How many times a batch is tried when it loses a race with another writer.
pub(super) const MAX_BATCH_ATTEMPTS: u32 = 8;

/// SQLSTATEs after which a whole batch is simply run again: `serialization_failure`,
/// `deadlock_detected` and `unique_violation` (only possible if a writer that does not
/// take the advisory locks raced us; on the next attempt the row is seen and reused).
const RETRYABLE: [&str; 3] = ["40001", "40P01", "23505"];

/// A consistent snapshot for reads of several statements.
const BEGIN_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// True for the failures a rerun of the same batch can get past.
pub(super) fn is_lost_race(e: &StoreError) -> bool {
    match e {
        StoreError::Query {
            source: sqlx::Error::Database(d),
            ..
        } => d.code().is_some_and(|c| RETRYABLE.contains(&c.as_ref())),
        _ => false,
    }
}

/// Waits a little longer after each lost race, with jitter so that two losers do not
/// collide again in lockstep.
pub(super) fn backoff(attempt: u32) -> Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() % 10_000_000);
    Duration::from_millis(5u64 << attempt.min(6)) + Duration::from_nanos(u64::from(jitter))
}

pub(super) fn time(t: DateTime<Utc>) -> DateTime<Utc> {
    t
}

pub(super) fn date(d: NaiveDate) -> NaiveDate {
    d
}

/// An `INTEGER` column's value (revision, attempts, slot, position).
pub(super) fn small(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `= ANY` the array bound at `param` ([`text_list`], [`int_list`]).
pub(super) fn in_list(param: &str) -> String {
    format!("= ANY({param})")
}

/// `= ANY` the fingerprints bound at `param` ([`fingerprint_list`]).
pub(super) fn in_blob_list(param: &str) -> String {
    in_list(param)
}

pub(super) fn text_list<S: AsRef<str>>(items: &[S]) -> Vec<&str> {
    items.iter().map(AsRef::as_ref).collect()
}

pub(super) fn int_list(items: &[i64]) -> Vec<i64> {
    items.to_vec()
}

pub(super) fn fingerprint_list(fps: &[Fingerprint]) -> Vec<&[u8]> {
    fps.iter().map(|f| &f.0[..]).collect()
}

/// The rows of [`bind_page_checks`]: `url, checked_at, etag, last_modified`.
pub(super) const PAGE_CHECK_ROWS: &str =
    "SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[])";

pub(super) fn bind_page_checks<'q>(query: Query<'q>, checks: &[&'q PageCheck]) -> Query<'q> {
    query
        .bind(checks.iter().map(|c| c.url.as_str()).collect::<Vec<_>>())
        .bind(checks.iter().map(|c| c.checked_at).collect::<Vec<_>>())
        .bind(
            checks
                .iter()
                .map(|c| c.validators.etag.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            checks
                .iter()
                .map(|c| c.validators.last_modified.as_deref())
                .collect::<Vec<_>>(),
        )
}

/// The rows of [`bind_work_rows`]: `kind, url, source_id, due_at, note, run_id`.
pub(super) const WORK_ROWS: &str = "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], \
     $4::timestamptz[], $5::text[], $6::bigint[])";

pub(super) fn bind_work_rows<'q>(query: Query<'q>, items: &[&'q NewWork]) -> Query<'q> {
    query
        .bind(items.iter().map(|i| i.kind.as_str()).collect::<Vec<_>>())
        .bind(items.iter().map(|i| i.url.as_str()).collect::<Vec<_>>())
        .bind(
            items
                .iter()
                .map(|i| i.source_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(items.iter().map(|i| i.due_at).collect::<Vec<_>>())
        .bind(items.iter().map(|i| i.note.as_deref()).collect::<Vec<_>>())
        .bind(items.iter().map(|i| i.run.map(|r| r.0)).collect::<Vec<_>>())
}

/// `$1` run, `$2` error sample, `$3` most samples kept.
pub(super) const APPEND_ERROR_SAMPLE: &str = "UPDATE runs SET error_samples = \
        (COALESCE(error_samples, '[]')::jsonb || jsonb_build_array($2::text))::text \
     WHERE id = $1 AND jsonb_array_length(COALESCE(error_samples, '[]')::jsonb) < $3";

/// The advisory-lock key of a URL: the first 8 bytes of its SHA-256, a stable hash
/// every worker (whatever its build) computes alike. A collision only makes two
/// unrelated batches wait for each other.
fn url_key(url: &str) -> i64 {
    let digest = Sha256::digest(url.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The advisory-lock key of a text: its fingerprint is already a SHA-256. Flipped so
/// that a URL and a text never share a key by construction of the input.
fn text_key(fp: &Fingerprint) -> i64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&fp.0[..8]);
    !i64::from_be_bytes(first)
}

/// The advisory-lock key of a normalised title, so that two batches adding the same
/// story from two sources take turns and the second sees the first's article. Hashed
/// with a prefix so that a title and a URL with equal text get different keys.
fn title_lock_key(key: &str) -> i64 {
    let mut h = Sha256::new();
    h.update(b"title\0");
    h.update(key.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Waits until no other batch holds one of this batch's URLs, texts or titles, and
/// holds them until commit. Every batch that could create an article or a URL for a
/// given text or URL holds that key, so the decisions made next cannot be invalidated
/// by a concurrent commit. Keys are sorted so that lock order is global (two batches
/// never wait for each other in a circle).
pub(super) async fn lock_keys(
    store: &This,
    tx: &mut Tx,
    batch: &[ArticleRecord],
    fps: &[Fingerprint],
) -> Result<()> {
    let mut keys: Vec<i64> = batch
        .iter()
        .map(|r| url_key(&r.article.url))
        .chain(fps.iter().map(text_key))
        .chain(
            batch
                .iter()
                .map(|r| title_lock_key(&title_key(&r.article.title))),
        )
        .collect();
    keys.sort_unstable();
    keys.dedup();
    // A function scan over an array yields its elements in order, so the locks are
    // taken in the order of `keys`.
    sqlx::query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::int8[]) AS k")
        .bind(keys)
        .execute(&mut **tx)
        .await
        .map_err(store.query_error(OP))?;
    Ok(())
}

/// Row-locks the articles `ids` (sorted) until commit.
pub(super) async fn lock_articles(store: &This, tx: &mut Tx, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT id FROM articles WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(ids)
        .fetch_all(&mut **tx)
        .await
        .map_err(store.query_error(OP))?;
    Ok(())
}

const OP: &str = "recording articles";

/// Article and filing ids taken from the tables' identity sequences and not used yet,
/// lowest first: filings and URLs can name their article before it is written, and
/// concurrent batches never collide on an id.
#[derive(Debug, Default)]
pub(super) struct Ids {
    /// `(article, filing)`, descending, so that `pop` gives the lowest.
    ids: Vec<(i64, i64)>,
}

impl Ids {
    /// Takes `n` article ids and `n` filing ids from the identity sequences.
    pub(super) async fn reserve(&mut self, store: &This, tx: &mut Tx, n: usize) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT nextval(pg_get_serial_sequence('articles', 'id')), \
             nextval(pg_get_serial_sequence('filings', 'id')) FROM generate_series(1, $1)",
        )
        .bind(n)
        .fetch_all(&mut **tx)
        .await
        .map_err(store.query_error(OP))?;
        let (mut articles, mut filings) = (Vec::new(), Vec::new());
        for row in &rows {
            let d = store.decoder(OP, row);
            articles.push(d.int(0)?);
            filings.push(d.int(1)?);
        }
        articles.extend(self.ids.iter().map(|(a, _)| *a));
        filings.extend(self.ids.iter().map(|(_, f)| *f));
        articles.sort_unstable_by(|a, b| b.cmp(a));
        filings.sort_unstable_by(|a, b| b.cmp(a));
        self.ids = articles.into_iter().zip(filings).collect();
        Ok(())
    }

    /// The next ids; takes one more of each when the estimate ran out.
    pub(super) async fn next(&mut self, store: &This, tx: &mut Tx) -> Result<NewIds> {
        if self.ids.is_empty() {
            self.reserve(store, tx, 1).await?;
        }
        let (article, filing) = self.ids.pop().ok_or_else(|| {
            store.corrupt(OP, "identity sequence", "nextval returned no id".into())
        })?;
        Ok((ArticleId(article), FilingId(filing)))
    }
}

impl This {
    /// A write transaction; what it changes is guarded by locks it takes.
    pub(super) async fn begin_write(&self, operation: &'static str) -> Result<Tx> {
        self.pool.begin().await.map_err(self.query_error(operation))
    }

    /// A read of several statements, in one snapshot, so that a concurrent revision
    /// cannot fall between them.
    pub(super) async fn begin_read(&self, operation: &'static str) -> Result<Tx> {
        self.pool
            .begin_with(BEGIN_SNAPSHOT)
            .await
            .map_err(self.query_error(operation))
    }
}

impl Decoder<'_> {
    pub(super) fn timestamp(&self, i: usize) -> Result<DateTime<Utc>> {
        self.get(i)
    }

    pub(super) fn opt_timestamp(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        self.get(i)
    }

    pub(super) fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>> {
        self.get(i)
    }

    /// An `INTEGER` column's value that fits a `u32`.
    pub(super) fn small(&self, i: usize, what: &'static str) -> Result<u32> {
        let n: i32 = self.get(i)?;
        u32::try_from(n).map_err(|_| self.corrupt(what, format!("{n} is out of range")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        // Fixed values: workers built at different times must agree on them.
        assert_eq!(
            url_key(""),
            i64::from_be_bytes(*b"\xe3\xb0\xc4\x42\x98\xfc\x1c\x14")
        );
        assert_ne!(
            url_key("https://a.example/1"),
            url_key("https://a.example/2")
        );
        let fp = Fingerprint([7; 32]);
        assert_eq!(text_key(&fp), !0x0707_0707_0707_0707);
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert!(backoff(1) < backoff(4));
        assert!(backoff(100) < Duration::from_millis(331));
    }
}
