//! [`record_articles`]: a batch of articles in one transaction.
//!
//! The batch first takes the backend's locks on its URLs, texts and titles (PostgreSQL:
//! transaction-scoped advisory locks, so that workers recording at once cannot
//! invalidate each other's decisions; SQLite: its write lock, taken by `BEGIN
//! IMMEDIATE`, already covers them). Its URLs, fingerprints and titles are then looked
//! up with three queries; the records are decided in order against in-memory maps that
//! each decision updates, so a URL or a text seen twice in one batch is handled as if it
//! came in two batches. New rows are gathered in the backend's `Pending` and written
//! with one statement per table; a revision (rare) is written at once, after flushing
//! what is pending. SCHEMA.md gives the reasoning.

use super::articles::ARTICLE_COLUMNS;
use super::{Decoder, NewArticle, NewFiling, NewUrl, d};
use crate::codec;
use crate::error::{Result, StoreError};
use crate::near::{Candidate, NearIndex, title_key};
use crate::types::{ArticleId, ArticleRecord, FilingId, FilingRef, RecordOutcome};
use crate::watch::FindMatches;
use chrono::{DateTime, Utc};
use jujiao_model::{Article, Fingerprint};
use std::collections::{HashMap, HashSet};

const OP: &str = "recording articles";

/// What a URL last served.
#[derive(Debug, Clone, Copy)]
struct KnownUrl {
    article_id: ArticleId,
    fingerprint: Fingerprint,
}

/// The state of one batch: its transaction, what it knows, when it runs.
struct Batch<'s> {
    store: &'s d::This,
    tx: d::Tx,
    urls: HashMap<String, KnownUrl>,
    texts: HashMap<Fingerprint, (ArticleId, FilingRef)>,
    /// Archive paths of the batch's imported files that have a filing.
    filed_paths: HashSet<String>,
    near: NearIndex,
    now: DateTime<Utc>,
    pending: d::Pending,
    ids: d::Ids,
}

/// One try at recording `batch`, and the watch matches `watch` finds for it in the
/// same transaction; the caller retries lost races.
pub(super) async fn record_articles(
    store: &d::This,
    batch: &[ArticleRecord],
    watch: Option<&FindMatches<'_>>,
) -> Result<(Vec<RecordOutcome>, u64)> {
    if batch.is_empty() {
        return Ok((Vec::new(), 0));
    }
    for (index, record) in batch.iter().enumerate() {
        validate(index, record)?;
    }
    let fingerprints: Vec<Fingerprint> = batch.iter().map(|r| r.article.fingerprint()).collect();
    let tx = store.begin_write(OP).await?;
    let mut b = Batch {
        store,
        tx,
        urls: HashMap::with_capacity(batch.len()),
        texts: HashMap::with_capacity(batch.len()),
        filed_paths: HashSet::new(),
        near: NearIndex::default(),
        now: codec::now(),
        pending: d::Pending::default(),
        ids: d::Ids::default(),
    };
    d::lock_keys(store, &mut b.tx, batch, &fingerprints).await?;
    b.load_known_urls(batch).await?;
    b.load_known_texts(&fingerprints).await?;
    b.load_same_titles(batch).await?;
    b.load_filed_paths(batch).await?;
    let revised = b.revised_articles(batch, &fingerprints);
    d::lock_articles(store, &mut b.tx, &revised).await?;
    let new = b.estimate_new(batch, &fingerprints);
    b.ids.reserve(store, &mut b.tx, new).await?;

    let mut outcomes = Vec::with_capacity(batch.len());
    for (record, fp) in batch.iter().zip(fingerprints) {
        let outcome = match b.urls.get(&record.article.url).copied() {
            Some(known) if known.fingerprint == fp => b.unchanged(record, known).await?,
            Some(known) => b.revise(record, known, fp).await?,
            None => match b.texts.get(&fp).cloned() {
                Some((article_id, existing)) => {
                    b.add_duplicate(record, article_id, existing, fp).await?
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
    d::record_disclosures(&mut b.tx, batch, &outcomes)
        .await
        .map_err(store.query_error(OP))?;
    let matched = match watch {
        Some(find) => {
            let matches = find(batch, &outcomes);
            store
                .insert_watch_matches(&mut b.tx, &matches, b.now)
                .await?
        }
        None => 0,
    };
    b.tx.commit().await.map_err(store.query_error(OP))?;
    Ok((outcomes, matched))
}

/// An empty URL or column fails the batch; so does a NUL character where the backend's
/// text cannot hold one (PostgreSQL; paragraphs travel as JSON and may hold it).
fn validate(index: usize, record: &ArticleRecord) -> Result<()> {
    let a = &record.article;
    let has_nul = || {
        [&a.source, &a.url, &a.title]
            .into_iter()
            .chain([&a.author, &a.origin, &a.editor].into_iter().flatten())
            .chain(std::iter::once(&record.filing.column))
            .chain(record.filing.legacy.iter().map(|l| &l.rel_path))
            .any(|s| s.contains('\0'))
    };
    let reason = if a.url.is_empty() {
        "the URL is empty"
    } else if record.filing.column.is_empty() {
        "the column is empty"
    } else if d::TEXT_REFUSES_NUL && has_nul() {
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
    /// The rows of `select`, whose text ends with the column to match, for the column
    /// values `values` (one statement, the list bound as one parameter).
    async fn rows_in<S: AsRef<str>>(&mut self, select: &str, values: &[S]) -> Result<Vec<d::Row>> {
        sqlx::query(&format!("{select} {}", d::in_list("$1")))
            .bind(d::text_list(values))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(self.store.query_error(OP))
    }

    async fn load_known_urls(&mut self, batch: &[ArticleRecord]) -> Result<()> {
        let urls: Vec<&str> = batch.iter().map(|r| r.article.url.as_str()).collect();
        let rows = self
            .rows_in(
                "SELECT url, article_id, fingerprint FROM article_urls WHERE url",
                &urls,
            )
            .await?;
        for row in &rows {
            let d = self.store.decoder(OP, row);
            let known = KnownUrl {
                article_id: ArticleId(d.int(1)?),
                fingerprint: d.fingerprint(2)?,
            };
            self.urls.insert(d.text(0)?, known);
        }
        Ok(())
    }

    /// Stored articles whose current text is one of `fps`, each with its first filing;
    /// the lowest article id wins when several share a text.
    async fn load_known_texts(&mut self, fps: &[Fingerprint]) -> Result<()> {
        let rows = sqlx::query(&format!(
            "SELECT a.fingerprint, a.id, f.id, f.column_name, f.filing_date, f.legacy_path \
             FROM articles a JOIN filings f ON f.article_id = a.id \
             WHERE a.fingerprint {} ORDER BY a.id DESC, f.id DESC",
            d::in_blob_list("$1")
        ))
        .bind(d::fingerprint_list(fps))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        // Descending order, later inserts overwrite: the lowest ids remain.
        for row in &rows {
            let d = self.store.decoder(OP, row);
            let filing = filing_ref(&d, 2)?;
            self.texts
                .insert(d.fingerprint(0)?, (ArticleId(d.int(1)?), filing));
        }
        Ok(())
    }

    /// The archive paths of the batch's imported files that already have a filing.
    async fn load_filed_paths(&mut self, batch: &[ArticleRecord]) -> Result<()> {
        let paths: Vec<&str> = batch
            .iter()
            .filter_map(|r| r.filing.legacy.as_ref().map(|l| l.rel_path.as_str()))
            .collect();
        if paths.is_empty() {
            return Ok(());
        }
        let rows = self
            .rows_in("SELECT legacy_path FROM filings WHERE legacy_path", &paths)
            .await?;
        for row in &rows {
            self.filed_paths
                .insert(self.store.decoder(OP, row).text(0)?);
        }
        Ok(())
    }

    /// Stored articles with the title key of one of the batch's records: the
    /// candidates for near duplicates. Runs after the title locks are held, so a
    /// concurrent batch adding the same story has committed or not started.
    async fn load_same_titles(&mut self, batch: &[ArticleRecord]) -> Result<()> {
        let keys: Vec<String> = batch.iter().map(|r| title_key(&r.article.title)).collect();
        let select = format!(
            "SELECT k.title_key, a.id, {ARTICLE_COLUMNS} \
             FROM title_keys k JOIN articles a ON a.id = k.article_id WHERE k.title_key"
        );
        let rows = self.rows_in(&select, &keys).await?;
        for row in &rows {
            let d = self.store.decoder(OP, row);
            let id = ArticleId(d.int(1)?);
            self.near.add(d.text(0)?, Candidate::of(id, &d.article(2)?));
        }
        Ok(())
    }

    /// The stored articles a record will revise (a known URL with a new text), by id:
    /// locked in that order so that two batches revising the same article through
    /// different URLs take turns instead of deadlocking or both writing revision n + 1.
    fn revised_articles(&self, batch: &[ArticleRecord], fps: &[Fingerprint]) -> Vec<i64> {
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
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// How many records will probably be new articles: unknown URL and unknown text,
    /// each text counted once. Revisions inside the batch can change this either way;
    /// the backend's `Ids` take more if they run out.
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

    async fn add(&mut self, record: &ArticleRecord, fp: Fingerprint) -> Result<RecordOutcome> {
        let (article_id, filing_id) = self.ids.next(self.store, &mut self.tx).await?;
        let a = &record.article;
        let paragraphs =
            codec::paragraphs_json(&a.paragraphs).map_err(|e| encode("paragraphs", e))?;
        let images = codec::list_json(&a.images).map_err(|e| encode("images", e))?;
        let attachments = codec::list_json(&a.attachments).map_err(|e| encode("attachments", e))?;
        self.pending.article(NewArticle {
            id: article_id,
            fingerprint: &fp,
            article: a,
            paragraphs,
            images,
            attachments,
        });
        self.push_url(a, article_id, "primary", fp, None);
        let key = title_key(&a.title);
        self.pending.title(&key, article_id);
        self.near.add(key, Candidate::of(article_id, a));

        let f = &record.filing;
        let layout = f
            .legacy
            .as_ref()
            .map(|l| serde_json::to_string(&l.layout))
            .transpose()
            .map_err(|e| encode("legacy layout", e))?;
        self.pending.filing(NewFiling {
            id: filing_id,
            article_id,
            filing: f,
            layout,
            own_text: None,
        });
        if let Some(legacy) = &f.legacy {
            self.filed_paths.insert(legacy.rel_path.clone());
        }
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

    async fn add_duplicate(
        &mut self,
        record: &ArticleRecord,
        article_id: ArticleId,
        existing: FilingRef,
        fp: Fingerprint,
    ) -> Result<RecordOutcome> {
        let offered = serde_json::to_string(&record.filing).map_err(|e| encode("filing", e))?;
        self.push_url(&record.article, article_id, "duplicate", fp, Some(offered));
        self.file_in_own_place(record, article_id).await?;
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
        let existing = self.filed_first(article_id).await?;
        let offered = serde_json::to_string(&record.filing).map_err(|e| encode("filing", e))?;
        let kind = "near_duplicate";
        self.push_url(&record.article, article_id, kind, fp, Some(offered));
        self.file_in_own_place(record, article_id).await?;
        Ok(RecordOutcome::NearDuplicate {
            article_id,
            existing,
        })
    }

    /// A known URL serving the text it served before: nothing to record, unless it is
    /// an imported file that an earlier version merged into another file's article
    /// without a filing of its own (issue 17, 5a): importing the archive again gives it
    /// its place back.
    async fn unchanged(
        &mut self,
        record: &ArticleRecord,
        known: KnownUrl,
    ) -> Result<RecordOutcome> {
        let article_id = known.article_id;
        if !self.file_in_own_place(record, article_id).await? {
            return Ok(RecordOutcome::Unchanged { article_id });
        }
        let existing = self.filed_first(article_id).await?;
        Ok(RecordOutcome::Duplicate {
            article_id,
            existing,
        })
    }

    /// Files an imported file that shares (or nearly shares) the text of `article_id`
    /// where the archive had it: an archive is the record of what was published, so
    /// the same story on two days or in two columns stays in both, and the file's own
    /// title and paragraphs are kept so that publishing writes its own bytes back.
    /// Collected articles are filed once (that is the point of de-duplicating them).
    /// Returns whether a filing was added.
    async fn file_in_own_place(
        &mut self,
        record: &ArticleRecord,
        article_id: ArticleId,
    ) -> Result<bool> {
        let f = &record.filing;
        let Some(legacy) = &f.legacy else {
            return Ok(false);
        };
        if !self.filed_paths.insert(legacy.rel_path.clone()) {
            return Ok(false);
        }
        let (_, filing_id) = self.ids.next(self.store, &mut self.tx).await?;
        let a = &record.article;
        let layout =
            serde_json::to_string(&legacy.layout).map_err(|e| encode("legacy layout", e))?;
        let paragraphs =
            codec::paragraphs_json(&a.paragraphs).map_err(|e| encode("paragraphs", e))?;
        self.pending.filing(NewFiling {
            id: filing_id,
            article_id,
            filing: f,
            layout: Some(layout),
            own_text: Some((&a.title, paragraphs)),
        });
        Ok(true)
    }

    fn push_url(
        &mut self,
        a: &Article,
        article_id: ArticleId,
        kind: &'static str,
        fingerprint: Fingerprint,
        offered_filing: Option<String>,
    ) {
        self.pending.url(NewUrl {
            article: a,
            article_id,
            kind,
            fingerprint: &fingerprint,
            offered_filing,
        });
        let known = KnownUrl {
            article_id,
            fingerprint,
        };
        self.urls.insert(a.url.clone(), known);
    }

    /// The first filing of a stored article, which may have been added earlier in this
    /// batch (what is pending is written first); an article has one.
    async fn filed_first(&mut self, article_id: ArticleId) -> Result<FilingRef> {
        self.pending
            .flush(self.store, &mut self.tx, self.now)
            .await?;
        self.first_filing(article_id).await?.ok_or_else(|| {
            self.store
                .corrupt(OP, "filings", format!("article {article_id} has no filing"))
        })
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
            .map(|row| filing_ref(&self.store.decoder(OP, row), 0))
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
             FROM articles a WHERE a.id = $1{}",
            d::FOR_UPDATE
        ))
        .bind(id.0)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(self.store.query_error(OP))?;
        let d = self.store.decoder(OP, &row);
        let (old_revision, old_fp) = (d.small(0, "revision")?, d.fingerprint(1)?);
        let old_stored_at = d.timestamp(2)?;
        let old = serde_json::to_string(&d.article(3)?).map_err(|e| encode("article", e))?;
        sqlx::query(
            "INSERT INTO revisions (article_id, revision, fingerprint, content, stored_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(d::small(old_revision))
        .bind(&old_fp.0[..])
        .bind(old)
        .bind(d::time(old_stored_at))
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
        .bind(d::small(revision))
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
        .bind(a.fetched_at.map(d::time))
        .bind(d::time(self.now))
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
        let known = KnownUrl {
            article_id: id,
            fingerprint: fp,
        };
        self.urls.insert(a.url.clone(), known);
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
    fn nul_is_refused_outside_paragraphs_where_text_cannot_hold_it() {
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
        let refused = validate(3, &r);
        assert_eq!(refused.is_err(), d::TEXT_REFUSES_NUL, "{refused:?}");
        if let Err(err) = refused {
            assert!(
                matches!(err, StoreError::InvalidRecord { index: 3, .. }),
                "{err}"
            );
        }
    }
}
