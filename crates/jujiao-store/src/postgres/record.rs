//! [`record_articles`]: a batch of articles in one transaction, safe against other
//! processes recording at the same time.
//!
//! The batch first takes a transaction-scoped advisory lock for each of its URLs and
//! fingerprints (keys sorted, in one statement, so two batches never wait for each
//! other in a circle). Every batch that could create an article or a URL for a given
//! text or URL holds that key, so the decisions made next cannot be invalidated by a
//! concurrent commit. Then, as in SQLite: the batch's URLs and fingerprints are looked up
//! with two queries, the articles that may be revised are row-locked in id order, and
//! the records are decided in order against in-memory maps that each decision updates.
//! New rows are gathered in [`Pending`] and written with one statement per table.
//! SCHEMA.md explains why advisory locks rather than `SERIALIZABLE`.

use super::PgStore;
use super::crawl::now;
use super::pending::Pending;
use super::read::{ARTICLE_COLUMNS, Decoder};
use crate::codec;
use crate::error::{Result, StoreError};
use crate::near::{Candidate, NearIndex, title_key};
use crate::types::{ArticleId, ArticleRecord, FilingId, FilingRef, RecordOutcome};
use chrono::{DateTime, Utc};
use jujiao_model::{Article, Fingerprint};
use sha2::{Digest, Sha256};
use sqlx::{Postgres, Transaction};
use std::collections::{HashMap, HashSet};

const OP: &str = "recording articles";

/// What a URL last served.
#[derive(Debug, Clone, Copy)]
struct KnownUrl {
    article_id: ArticleId,
    fingerprint: Fingerprint,
}

/// Ids taken from a table's identity sequence and not used yet, lowest first.
#[derive(Debug, Default)]
struct IdPool {
    /// Descending, so that `pop` gives the lowest.
    ids: Vec<i64>,
}

/// The state of one batch: its transaction, what it knows, when it runs.
struct Batch<'s> {
    store: &'s PgStore,
    tx: Transaction<'static, Postgres>,
    urls: HashMap<String, KnownUrl>,
    texts: HashMap<Fingerprint, (ArticleId, FilingRef)>,
    near: NearIndex,
    now: DateTime<Utc>,
    pending: Pending,
    article_ids: IdPool,
    filing_ids: IdPool,
}

/// One try at recording `batch`; the caller retries lost races.
pub(super) async fn record_articles(
    store: &PgStore,
    batch: &[ArticleRecord],
) -> Result<Vec<RecordOutcome>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    for (index, record) in batch.iter().enumerate() {
        validate(index, record)?;
    }
    let fingerprints: Vec<Fingerprint> = batch.iter().map(|r| r.article.fingerprint()).collect();
    let tx = store.pool.begin().await.map_err(store.query_error(OP))?;
    let mut b = Batch {
        store,
        tx,
        urls: HashMap::with_capacity(batch.len()),
        texts: HashMap::with_capacity(batch.len()),
        near: NearIndex::default(),
        now: now(),
        pending: Pending::default(),
        article_ids: IdPool::default(),
        filing_ids: IdPool::default(),
    };
    b.lock_keys(batch, &fingerprints).await?;
    b.load_known_urls(batch).await?;
    b.load_known_texts(&fingerprints).await?;
    b.load_same_titles(batch).await?;
    b.lock_revised_articles(batch, &fingerprints).await?;
    let new = b.estimate_new(batch, &fingerprints);
    b.take_ids(new).await?;

    let mut outcomes = Vec::with_capacity(batch.len());
    for (record, fp) in batch.iter().zip(fingerprints) {
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
                    None => b.add(record, fp).await?,
                },
            },
        };
        outcomes.push(outcome);
    }
    b.pending.flush(store, &mut b.tx, b.now).await?;
    crate::disclosure::record_pg(&mut b.tx, batch, &outcomes)
        .await
        .map_err(store.query_error(OP))?;
    b.tx.commit().await.map_err(store.query_error(OP))?;
    Ok(outcomes)
}

/// The checks SQLite's store makes, plus NUL: PostgreSQL text cannot hold U+0000.
fn validate(index: usize, record: &ArticleRecord) -> Result<()> {
    let a = &record.article;
    let has_nul = [&a.source, &a.url, &a.title]
        .into_iter()
        .chain([&a.author, &a.origin, &a.editor].into_iter().flatten())
        .chain(std::iter::once(&record.filing.column))
        .chain(record.filing.legacy.iter().map(|l| &l.rel_path))
        .any(|s| s.contains('\0'));
    let reason = if a.url.is_empty() {
        "the URL is empty"
    } else if record.filing.column.is_empty() {
        "the column is empty"
    } else if has_nul {
        "a field contains a NUL character (paragraphs may, other fields may not)"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidRecord {
        index,
        url: a.url.clone(),
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

/// A [`FilingRef`] from `id, column_name, filing_date, legacy_path` at column `at`.
fn filing_ref(d: &Decoder<'_>, at: usize) -> Result<FilingRef> {
    Ok(FilingRef {
        id: FilingId(d.int(at)?),
        column: d.text(at + 1)?,
        date: d.opt_date(at + 2)?,
        legacy_path: d.opt_text(at + 3)?,
    })
}

impl Batch<'_> {
    /// Waits until no other batch holds one of this batch's URLs or texts, and holds
    /// them until commit. Keys are sorted so that lock order is global.
    async fn lock_keys(&mut self, batch: &[ArticleRecord], fps: &[Fingerprint]) -> Result<()> {
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
            .execute(&mut *self.tx)
            .await
            .map_err(self.store.query_error(OP))?;
        Ok(())
    }

    async fn load_known_urls(&mut self, batch: &[ArticleRecord]) -> Result<()> {
        let urls: Vec<&str> = batch.iter().map(|r| r.article.url.as_str()).collect();
        let rows = sqlx::query(
            "SELECT url, article_id, fingerprint FROM article_urls WHERE url = ANY($1)",
        )
        .bind(urls)
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
        let list: Vec<&[u8]> = fps.iter().map(|f| &f.0[..]).collect();
        let rows = sqlx::query(
            "SELECT a.fingerprint, a.id, f.id, f.column_name, f.filing_date, f.legacy_path \
             FROM articles a JOIN filings f ON f.article_id = a.id \
             WHERE a.fingerprint = ANY($1) \
             ORDER BY a.id DESC, f.id DESC",
        )
        .bind(list)
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
    /// candidates for near duplicates. Runs after the title locks are held, so a
    /// concurrent batch adding the same story has committed or not started.
    async fn load_same_titles(&mut self, batch: &[ArticleRecord]) -> Result<()> {
        let keys: Vec<String> = batch.iter().map(|r| title_key(&r.article.title)).collect();
        let rows = sqlx::query(&format!(
            "SELECT k.title_key, a.id, {ARTICLE_COLUMNS} \
             FROM title_keys k JOIN articles a ON a.id = k.article_id \
             WHERE k.title_key = ANY($1)"
        ))
        .bind(keys)
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

    /// Row-locks, in id order, the stored articles a record will revise (a known URL with
    /// a new text), so that two batches revising the same article through different URLs
    /// take turns instead of deadlocking or both writing revision n + 1.
    async fn lock_revised_articles(
        &mut self,
        batch: &[ArticleRecord],
        fps: &[Fingerprint],
    ) -> Result<()> {
        let mut ids: Vec<i64> = batch
            .iter()
            .zip(fps)
            .filter_map(|(r, fp)| {
                self.urls
                    .get(&r.article.url)
                    .filter(|known| known.fingerprint != *fp)
                    .map(|known| known.article_id.0)
            })
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        ids.sort_unstable();
        ids.dedup();
        sqlx::query("SELECT id FROM articles WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(ids)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(self.store.query_error(OP))?;
        Ok(())
    }

    /// How many records will probably be new articles: unknown URL and unknown text,
    /// each text counted once. Revisions inside the batch can change this either way;
    /// [`Batch::add`] takes more ids if it runs out.
    fn estimate_new(&self, batch: &[ArticleRecord], fps: &[Fingerprint]) -> usize {
        let mut seen = HashSet::new();
        batch
            .iter()
            .zip(fps)
            .filter(|(r, fp)| {
                !self.urls.contains_key(&r.article.url)
                    && !self.texts.contains_key(*fp)
                    && seen.insert(**fp)
            })
            .count()
    }

    /// Takes `n` article ids and `n` filing ids from the identity sequences.
    async fn take_ids(&mut self, n: usize) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT nextval(pg_get_serial_sequence('articles', 'id')), \
             nextval(pg_get_serial_sequence('filings', 'id')) FROM generate_series(1, $1)",
        )
        .bind(n)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        for row in &rows {
            let d = Decoder {
                store: self.store,
                operation: OP,
                row,
            };
            self.article_ids.ids.push(d.int(0)?);
            self.filing_ids.ids.push(d.int(1)?);
        }
        for pool in [&mut self.article_ids, &mut self.filing_ids] {
            pool.ids.sort_unstable_by(|a, b| b.cmp(a));
        }
        Ok(())
    }

    async fn add(&mut self, record: &ArticleRecord, fp: Fingerprint) -> Result<RecordOutcome> {
        if self.article_ids.ids.is_empty() || self.filing_ids.ids.is_empty() {
            self.take_ids(1).await?;
        }
        let (Some(article), Some(filing)) = (self.article_ids.ids.pop(), self.filing_ids.ids.pop())
        else {
            return Err(self.store.corrupt(
                OP,
                "identity sequence",
                "nextval returned no id".into(),
            ));
        };
        let (article_id, filing_id) = (ArticleId(article), FilingId(filing));
        let a = &record.article;
        let rows = &mut self.pending.articles;
        rows.id.push(article_id.0);
        rows.fingerprint.push(fp.0.to_vec());
        rows.source.push(a.source.clone());
        rows.url.push(a.url.clone());
        rows.title.push(a.title.clone());
        rows.published
            .push(a.published.map(codec::publish_time_text));
        rows.author.push(a.author.clone());
        rows.origin.push(a.origin.clone());
        rows.editor.push(a.editor.clone());
        rows.paragraphs
            .push(codec::paragraphs_json(&a.paragraphs).map_err(|e| encode("paragraphs", e))?);
        rows.images
            .push(codec::list_json(&a.images).map_err(|e| encode("images", e))?);
        rows.attachments
            .push(codec::list_json(&a.attachments).map_err(|e| encode("attachments", e))?);
        rows.fetched_at.push(a.fetched_at);
        self.push_url(a, article_id, "primary", fp, None);
        let key = title_key(&a.title);
        self.pending.titles.title_key.push(key.clone());
        self.pending.titles.article_id.push(article_id.0);
        self.near.add(key, Candidate::of(article_id, a));

        let f = &record.filing;
        let layout = f
            .legacy
            .as_ref()
            .map(|l| serde_json::to_string(&l.layout))
            .transpose()
            .map_err(|e| encode("legacy layout", e))?;
        let rows = &mut self.pending.filings;
        rows.id.push(filing_id.0);
        rows.article_id.push(article_id.0);
        rows.column_name.push(f.column.clone());
        rows.filing_date.push(f.date);
        rows.legacy_path
            .push(f.legacy.as_ref().map(|l| l.rel_path.clone()));
        rows.legacy_layout.push(layout);
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
        self.push_url(&record.article, article_id, "duplicate", fp, Some(offered));
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
            .flush(self.store, &mut self.tx, self.now)
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
            Some(offered),
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
        kind: &'static str,
        fp: Fingerprint,
        offered_filing: Option<String>,
    ) {
        let rows = &mut self.pending.urls;
        rows.url.push(a.url.clone());
        rows.article_id.push(article_id.0);
        rows.source.push(a.source.clone());
        rows.kind.push(kind);
        rows.fingerprint.push(fp.0.to_vec());
        rows.offered_filing.push(offered_filing);
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
            .flush(self.store, &mut self.tx, self.now)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT a.revision, a.fingerprint, a.updated_at, {ARTICLE_COLUMNS} \
             FROM articles a WHERE a.id = $1 FOR UPDATE"
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
        let (old_revision, old_fp, old_stored_at) =
            (d.revision(0)?, d.fingerprint(1)?, d.timestamp(2)?);
        let old = serde_json::to_string(&d.article(3)?).map_err(|e| encode("article", e))?;
        sqlx::query(
            "INSERT INTO revisions (article_id, revision, fingerprint, content, stored_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(i32::try_from(old_revision).unwrap_or(i32::MAX))
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
        .bind(i32::try_from(revision).unwrap_or(i32::MAX))
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
        .bind(a.fetched_at)
        .bind(self.now)
        .execute(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        sqlx::query(
            "INSERT INTO title_keys (title_key, article_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
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
    fn nul_is_refused_outside_paragraphs() {
        let mut r = ArticleRecord {
            article: Article {
                url: "https://n.example/1".into(),
                title: "标题".into(),
                paragraphs: vec![jujiao_model::Paragraph::new("a\0b")],
                ..Article::default()
            },
            filing: jujiao_model::Filing {
                column: "栏目".into(),
                date: None,
                legacy: None,
            },
        };
        assert!(validate(0, &r).is_ok());
        r.article.author = Some("记\0者".into());
        let err = validate(3, &r).unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidRecord { index: 3, .. }),
            "{err}"
        );
    }
}
