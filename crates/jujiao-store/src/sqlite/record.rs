//! [`record_articles`]: a batch of articles in one `BEGIN IMMEDIATE` transaction.
//!
//! The batch's URLs and fingerprints are looked up with two queries up front; the
//! records are then decided in order against in-memory maps that each decision updates,
//! so a URL or a text seen twice in one batch is handled as if it came in two batches.
//! New rows are gathered in [`Pending`] and written with one statement per table; a
//! revision (rare) is written at once, after flushing what is pending.

use super::SqliteStore;
use super::pending::Pending;
use super::read::{ARTICLE_COLUMNS, Decoder};
use crate::codec;
use crate::error::{Result, StoreError};
use crate::near::{Candidate, NearIndex, title_key};
use crate::types::{ArticleId, ArticleRecord, FilingId, FilingRef, RecordOutcome};
use chrono::Utc;
use jujiao_model::{Article, Fingerprint};
use sqlx::{Sqlite, Transaction};
use std::collections::HashMap;

const OP: &str = "recording articles";

/// What a URL last served.
#[derive(Debug, Clone, Copy)]
struct KnownUrl {
    article_id: ArticleId,
    fingerprint: Fingerprint,
}

/// The state of one batch: its transaction, what it knows, when it runs.
struct Batch<'s> {
    store: &'s SqliteStore,
    tx: Transaction<'static, Sqlite>,
    urls: HashMap<String, KnownUrl>,
    texts: HashMap<Fingerprint, (ArticleId, FilingRef)>,
    near: NearIndex,
    now: String,
    pending: Pending,
    next_article: i64,
    next_filing: i64,
}

pub(super) async fn record_articles(
    store: &SqliteStore,
    batch: &[ArticleRecord],
) -> Result<Vec<RecordOutcome>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let fingerprints: Vec<Fingerprint> = batch.iter().map(|r| r.article.fingerprint()).collect();
    let tx = store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store.query_error(OP))?;
    let mut b = Batch {
        store,
        tx,
        urls: HashMap::with_capacity(batch.len()),
        texts: HashMap::with_capacity(batch.len()),
        near: NearIndex::default(),
        now: codec::timestamp_text(Utc::now()),
        pending: Pending::default(),
        next_article: 0,
        next_filing: 0,
    };
    b.load_next_ids().await?;
    b.load_known_urls(batch).await?;
    b.load_known_texts(&fingerprints).await?;
    b.load_same_titles(batch).await?;

    let mut outcomes = Vec::with_capacity(batch.len());
    for (index, (record, fp)) in batch.iter().zip(fingerprints).enumerate() {
        validate(index, record)?;
        let outcome = match b.urls.get(&record.article.url).copied() {
            Some(known) if known.fingerprint == fp => RecordOutcome::Unchanged {
                article_id: known.article_id,
            },
            Some(known) => b.revise(record, known, fp).await?,
            None => match b.texts.get(&fp).cloned() {
                Some((article_id, existing)) => {
                    b.add_duplicate(record, article_id, existing, fp)?
                }
                None => match b.near.find(&record.article) {
                    Some(article_id) => b.add_near_duplicate(record, article_id, fp).await?,
                    None => b.add(record, fp)?,
                },
            },
        };
        outcomes.push(outcome);
    }
    b.pending.flush(store, &mut b.tx, &b.now).await?;
    crate::disclosure::record_sqlite(&mut b.tx, batch, &outcomes)
        .await
        .map_err(store.query_error(OP))?;
    b.tx.commit().await.map_err(store.query_error(OP))?;
    Ok(outcomes)
}

fn validate(index: usize, record: &ArticleRecord) -> Result<()> {
    let reason = if record.article.url.is_empty() {
        "the URL is empty"
    } else if record.filing.column.is_empty() {
        "the column is empty"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidRecord {
        index,
        url: record.article.url.clone(),
        reason,
    })
}

fn encode(what: &'static str, source: serde_json::Error) -> StoreError {
    StoreError::Encode {
        operation: OP,
        what,
        source,
    }
}

/// A [`FilingRef`] from `id, column_name, filing_date, legacy_path` at column `at`.
fn filing_ref(d: &Decoder<'_>, at: usize) -> Result<FilingRef> {
    Ok(FilingRef {
        id: FilingId(d.int(at)?),
        column: d.text(at + 1)?,
        date: d
            .opt_text(at + 2)?
            .map(|s| codec::parse_date(&s))
            .transpose()
            .map_err(|e| d.corrupt("filing date", e))?,
        legacy_path: d.opt_text(at + 3)?,
    })
}

/// JSON array of hex strings, for `json_each` + `unhex` in SQL.
fn hex_list(fps: &[Fingerprint]) -> String {
    let mut s = String::with_capacity(fps.len() * 67 + 2);
    s.push('[');
    for (i, fp) in fps.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        s.push_str(&fp.to_hex());
        s.push('"');
    }
    s.push(']');
    s
}

impl Batch<'_> {
    async fn load_known_urls(&mut self, batch: &[ArticleRecord]) -> Result<()> {
        let urls: Vec<&str> = batch.iter().map(|r| r.article.url.as_str()).collect();
        let list = serde_json::to_string(&urls).map_err(|e| encode("URL list", e))?;
        let rows = sqlx::query(
            "SELECT url, article_id, fingerprint FROM article_urls \
             WHERE url IN (SELECT value FROM json_each($1))",
        )
        .bind(list)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        for row in &rows {
            let d = Decoder {
                store: self.store,
                operation: OP,
                row,
            };
            self.urls.insert(
                d.text(0)?,
                KnownUrl {
                    article_id: ArticleId(d.int(1)?),
                    fingerprint: d.fingerprint(2)?,
                },
            );
        }
        Ok(())
    }

    /// Stored articles whose current text is one of `fps`, each with its first filing;
    /// the lowest article id wins when several share a text.
    async fn load_known_texts(&mut self, fps: &[Fingerprint]) -> Result<()> {
        let rows = sqlx::query(
            "SELECT a.fingerprint, a.id, f.id, f.column_name, f.filing_date, f.legacy_path \
             FROM articles a JOIN filings f ON f.article_id = a.id \
             WHERE a.fingerprint IN (SELECT unhex(value) FROM json_each($1)) \
             ORDER BY a.id DESC, f.id DESC",
        )
        .bind(hex_list(fps))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        // Descending order, later inserts overwrite: the lowest ids remain.
        for row in &rows {
            let d = Decoder {
                store: self.store,
                operation: OP,
                row,
            };
            let filing = filing_ref(&d, 2)?;
            self.texts
                .insert(d.fingerprint(0)?, (ArticleId(d.int(1)?), filing));
        }
        Ok(())
    }

    /// Stored articles with the title key of one of the batch's records: the
    /// candidates for near duplicates.
    async fn load_same_titles(&mut self, batch: &[ArticleRecord]) -> Result<()> {
        let keys: Vec<String> = batch.iter().map(|r| title_key(&r.article.title)).collect();
        let list = serde_json::to_string(&keys).map_err(|e| encode("title list", e))?;
        let rows = sqlx::query(&format!(
            "SELECT k.title_key, a.id, {ARTICLE_COLUMNS} \
             FROM title_keys k JOIN articles a ON a.id = k.article_id \
             WHERE k.title_key IN (SELECT value FROM json_each($1))"
        ))
        .bind(list)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        for row in &rows {
            let d = Decoder {
                store: self.store,
                operation: OP,
                row,
            };
            let id = ArticleId(d.int(1)?);
            self.near.add(d.text(0)?, Candidate::of(id, &d.article(2)?));
        }
        Ok(())
    }

    /// The ids the next article and filing get. The batch holds the write lock, so
    /// nobody else can take them.
    async fn load_next_ids(&mut self) -> Result<()> {
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM articles), \
             (SELECT COALESCE(MAX(id), 0) FROM filings)",
        )
        .fetch_one(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        let d = Decoder {
            store: self.store,
            operation: OP,
            row: &row,
        };
        self.next_article = d.int(0)? + 1;
        self.next_filing = d.int(1)? + 1;
        Ok(())
    }

    fn add(&mut self, record: &ArticleRecord, fp: Fingerprint) -> Result<RecordOutcome> {
        let a = &record.article;
        let article_id = ArticleId(self.next_article);
        let filing_id = FilingId(self.next_filing);
        self.next_article += 1;
        self.next_filing += 1;
        let paragraphs =
            codec::paragraphs_json(&a.paragraphs).map_err(|e| encode("paragraphs", e))?;
        let images = codec::list_json(&a.images).map_err(|e| encode("images", e))?;
        let attachments = codec::list_json(&a.attachments).map_err(|e| encode("attachments", e))?;
        self.pending
            .articles
            .row()
            .int(article_id.0)
            .str(&fp.to_hex())
            .str(&a.source)
            .str(&a.url)
            .str(&a.title)
            .opt_str(a.published.map(codec::publish_time_text).as_deref())
            .opt_str(a.author.as_deref())
            .opt_str(a.origin.as_deref())
            .opt_str(a.editor.as_deref())
            .str(&paragraphs)
            .opt_str(images.as_deref())
            .opt_str(attachments.as_deref())
            .opt_str(a.fetched_at.map(codec::timestamp_text).as_deref());
        self.push_url(a, article_id, "primary", fp, None);
        let key = title_key(&a.title);
        self.pending.titles.row().str(&key).int(article_id.0);
        self.near.add(key, Candidate::of(article_id, a));

        let f = &record.filing;
        let layout = f
            .legacy
            .as_ref()
            .map(|l| serde_json::to_string(&l.layout))
            .transpose()
            .map_err(|e| encode("legacy layout", e))?;
        self.pending
            .filings
            .row()
            .int(filing_id.0)
            .int(article_id.0)
            .str(&f.column)
            .opt_str(f.date.map(codec::date_text).as_deref())
            .opt_str(f.legacy.as_ref().map(|l| l.rel_path.as_str()))
            .opt_str(layout.as_deref());
        self.texts.entry(fp).or_insert_with(|| {
            (
                article_id,
                FilingRef {
                    id: filing_id,
                    column: f.column.clone(),
                    date: f.date,
                    legacy_path: f.legacy.as_ref().map(|l| l.rel_path.clone()),
                },
            )
        });
        Ok(RecordOutcome::Added {
            article_id,
            filing_id,
        })
    }

    fn add_duplicate(
        &mut self,
        record: &ArticleRecord,
        article_id: ArticleId,
        existing: FilingRef,
        fp: Fingerprint,
    ) -> Result<RecordOutcome> {
        let offered = serde_json::to_string(&record.filing).map_err(|e| encode("filing", e))?;
        self.push_url(&record.article, article_id, "duplicate", fp, Some(&offered));
        Ok(RecordOutcome::Duplicate {
            article_id,
            existing,
        })
    }

    /// Records the URL as a further source of the article it nearly duplicates.
    async fn add_near_duplicate(
        &mut self,
        record: &ArticleRecord,
        article_id: ArticleId,
        fp: Fingerprint,
    ) -> Result<RecordOutcome> {
        // The article may have been added earlier in this batch.
        self.pending
            .flush(self.store, &mut self.tx, &self.now)
            .await?;
        let existing = self.first_filing(article_id).await?.ok_or_else(|| {
            self.store
                .corrupt(OP, "filings", format!("article {article_id} has no filing"))
        })?;
        let offered = serde_json::to_string(&record.filing).map_err(|e| encode("filing", e))?;
        self.push_url(
            &record.article,
            article_id,
            "near_duplicate",
            fp,
            Some(&offered),
        );
        Ok(RecordOutcome::NearDuplicate {
            article_id,
            existing,
        })
    }

    fn push_url(
        &mut self,
        a: &Article,
        article_id: ArticleId,
        kind: &str,
        fp: Fingerprint,
        offered_filing: Option<&str>,
    ) {
        self.pending
            .urls
            .row()
            .str(&a.url)
            .int(article_id.0)
            .str(&a.source)
            .str(kind)
            .str(&fp.to_hex())
            .opt_str(offered_filing);
        self.urls.insert(
            a.url.clone(),
            KnownUrl {
                article_id,
                fingerprint: fp,
            },
        );
    }

    async fn first_filing(&mut self, id: ArticleId) -> Result<Option<FilingRef>> {
        let row = sqlx::query(
            "SELECT id, column_name, filing_date, legacy_path FROM filings \
             WHERE article_id = $1 ORDER BY id LIMIT 1",
        )
        .bind(id.0)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        row.as_ref()
            .map(|row| {
                filing_ref(
                    &Decoder {
                        store: self.store,
                        operation: OP,
                        row,
                    },
                    0,
                )
            })
            .transpose()
    }

    /// Keeps the current content as a revision and replaces it with the record's.
    async fn revise(
        &mut self,
        record: &ArticleRecord,
        known: KnownUrl,
        fp: Fingerprint,
    ) -> Result<RecordOutcome> {
        let id = known.article_id;
        // The article may have been added earlier in this batch.
        self.pending
            .flush(self.store, &mut self.tx, &self.now)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT a.revision, a.fingerprint, a.updated_at, {ARTICLE_COLUMNS} \
             FROM articles a WHERE a.id = $1"
        ))
        .bind(id.0)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        let d = Decoder {
            store: self.store,
            operation: OP,
            row: &row,
        };
        let (old_revision, old_fp, old_stored_at) = (d.revision(0)?, d.fingerprint(1)?, d.text(2)?);
        let old = serde_json::to_string(&d.article(3)?).map_err(|e| encode("article", e))?;
        sqlx::query(
            "INSERT INTO revisions (article_id, revision, fingerprint, content, stored_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(i64::from(old_revision))
        .bind(&old_fp.0[..])
        .bind(old)
        .bind(old_stored_at)
        .execute(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;

        let a = &record.article;
        let revision = old_revision + 1;
        sqlx::query(
            "UPDATE articles SET fingerprint = $2, revision = $3, source = $4, url = $5, \
             title = $6, published = $7, author = $8, origin = $9, editor = $10, \
             paragraphs = $11, images = $12, attachments = $13, fetched_at = $14, \
             updated_at = $15 WHERE id = $1",
        )
        .bind(id.0)
        .bind(&fp.0[..])
        .bind(i64::from(revision))
        .bind(&a.source)
        .bind(&a.url)
        .bind(&a.title)
        .bind(a.published.map(codec::publish_time_text))
        .bind(&a.author)
        .bind(&a.origin)
        .bind(&a.editor)
        .bind(codec::paragraphs_json(&a.paragraphs).map_err(|e| encode("paragraphs", e))?)
        .bind(codec::list_json(&a.images).map_err(|e| encode("images", e))?)
        .bind(codec::list_json(&a.attachments).map_err(|e| encode("attachments", e))?)
        .bind(a.fetched_at.map(codec::timestamp_text))
        .bind(&self.now)
        .execute(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        sqlx::query("INSERT OR IGNORE INTO title_keys (title_key, article_id) VALUES ($1, $2)")
            .bind(title_key(&a.title))
            .bind(id.0)
            .execute(&mut *self.tx)
            .await
            .map_err(self.store.query_error(OP))?;
        sqlx::query("UPDATE article_urls SET fingerprint = $2 WHERE url = $1")
            .bind(&a.url)
            .bind(&fp.0[..])
            .execute(&mut *self.tx)
            .await
            .map_err(self.store.query_error(OP))?;
        self.urls.insert(
            a.url.clone(),
            KnownUrl {
                article_id: id,
                fingerprint: fp,
            },
        );
        // The article no longer has its old text, and now has the new one.
        if self.texts.get(&old_fp).is_some_and(|(aid, _)| *aid == id) {
            self.texts.remove(&old_fp);
        }
        if !self.texts.contains_key(&fp)
            && let Some(filing) = self.first_filing(id).await?
        {
            self.texts.insert(fp, (id, filing));
        }
        Ok(RecordOutcome::Revised {
            article_id: id,
            revision,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_list_is_a_json_array() {
        let list = hex_list(&[Fingerprint([0xab; 32]), Fingerprint([1; 32])]);
        let v: Vec<String> = serde_json::from_str(&list).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0], "ab".repeat(32));
    }
}
