//! Filling an index from the store, and where the index lives by default.

use crate::error::{Result, SearchError};
use crate::{IndexDoc, SearchIndex};
use jujiao_store::{
    ArticleId, FileRole, FiledArticle, FilingQuery, Store, StoredArticle, TextStatus,
};
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Filings read from the store per page during a [`rebuild`].
const REBUILD_PAGE: u32 = 1_000;

/// What a [`rebuild`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    /// Articles indexed.
    pub articles: u64,
    /// Filings skipped because their article was already indexed under an earlier one.
    pub extra_filings: u64,
    pub elapsed: Duration,
}

impl IndexDoc {
    /// The document for a filed article: the filing gives column and date, the article
    /// its source, URL, title and cleaned body.
    pub fn from_filed(f: &FiledArticle) -> IndexDoc {
        IndexDoc {
            article_id: f.article_id.0,
            title: f.article.title.clone(),
            body: f.article.body(),
            column: f.filing.column.clone(),
            source: f.article.source.clone(),
            date: f.filing.date,
            url: f.article.url.clone(),
            attachments_text: None,
            disclosure: f.article.disclosure.clone(),
        }
    }

    /// The document for an article as [`ArticleStore::article`] returns it, filed under its
    /// first filing like [`rebuild`] does; `None` for an article never filed (it is not
    /// in the briefing, so not searched).
    ///
    /// [`ArticleStore::article`]: jujiao_store::ArticleStore::article
    pub fn from_stored(stored: &StoredArticle) -> Option<IndexDoc> {
        let filing = stored.filings.first()?;
        Some(IndexDoc {
            article_id: stored.id.0,
            title: stored.article.title.clone(),
            body: stored.article.body(),
            column: filing.filing.column.clone(),
            source: stored.article.source.clone(),
            date: filing.filing.date,
            url: stored.article.url.clone(),
            attachments_text: None,
            disclosure: stored.article.disclosure.clone(),
        })
    }

    /// [`IndexDoc::from_stored`] plus the text of the article's stored attachments.
    pub async fn from_stored_with_files(
        store: &dyn Store,
        stored: &StoredArticle,
    ) -> Option<IndexDoc> {
        let mut doc = IndexDoc::from_stored(stored)?;
        if !stored.article.attachments.is_empty() {
            doc.attachments_text = attachments_text(store, stored.id).await;
        }
        Some(doc)
    }

    /// [`IndexDoc::from_filed`] plus the text of the article's stored attachments.
    pub async fn from_filed_with_files(store: &dyn Store, f: &FiledArticle) -> IndexDoc {
        let mut doc = IndexDoc::from_filed(f);
        if !f.article.attachments.is_empty() {
            doc.attachments_text = attachments_text(store, f.article_id).await;
        }
        doc
    }
}

/// The searchable text of an article's stored attachments: each attachment's name, then
/// its extracted text. `None` when none has text. A store failure is logged and gives
/// `None`: the article is still indexed by its own text.
pub async fn attachments_text(store: &dyn Store, id: ArticleId) -> Option<String> {
    let entries = match store.article_files(id).await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(article = %id, error = %e, "attachments not read for the index");
            return None;
        }
    };
    let mut out = String::new();
    for entry in entries
        .iter()
        .filter(|e| e.file.role == FileRole::Attachment && e.text_status == TextStatus::Text)
    {
        match store.file(&entry.file.hash).await {
            Ok(Some(file)) => {
                if let Some(text) = file.text.filter(|t| !t.trim().is_empty()) {
                    out.push_str(&entry.file.name);
                    out.push('\n');
                    out.push_str(&text);
                    out.push_str("\n\n");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(article = %id, error = %e, "attachment text not read"),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Indexes every filed article of `store` again, then removes from the index the
/// articles no longer filed. An article filed more than once is indexed with its first
/// filing.
///
/// Each page of articles read from the store replaces those articles in place and is
/// committed before the next page is read: searches see every article throughout (its
/// old document until the new one is committed), and tantivy's queue of documents
/// waiting for its indexing thread holds one page, not the whole store — that queue, all
/// of a store's documents with a single commit at the end, was most of a rebuild's
/// memory, and grew with the store.
///
/// The store is read page by page; the indexing itself is synchronous CPU work inside
/// this future, so an async server should run it on a blocking thread (for instance
/// `spawn_blocking` + `Handle::block_on`) rather than on a runtime worker.
pub async fn rebuild(index: &SearchIndex, store: &dyn Store) -> Result<RebuildReport> {
    let started = Instant::now();
    // Articles indexed before; those not filed any more are removed at the end. One
    // indexed meanwhile by another process is not in this set, so it stays.
    let before = index.article_ids()?;
    let mut seen = HashSet::new();
    let mut report = RebuildReport {
        articles: 0,
        extra_filings: 0,
        elapsed: Duration::ZERO,
    };
    let mut query = FilingQuery {
        limit: REBUILD_PAGE,
        ..FilingQuery::default()
    };
    loop {
        let page = store
            .filed_articles(&query)
            .await
            .map_err(|source| SearchError::Store {
                dir: index
                    .dir()
                    .map_or_else(|| PathBuf::from("memory"), PathBuf::from),
                store: store.location().to_owned(),
                source: Box::new(source),
            })?;
        let Some(last) = page.last() else { break };
        query.after = Some(last.filing_id);
        let mut docs: Vec<IndexDoc> = Vec::with_capacity(page.len());
        for f in page.iter().filter(|f| seen.insert(f.article_id)) {
            docs.push(IndexDoc::from_filed_with_files(store, f).await);
        }
        report.extra_filings += (page.len() - docs.len()) as u64;
        report.articles += docs.len() as u64;
        index.index(&docs)?;
        index.commit_page()?;
        tracing::debug!(articles = report.articles, "search index rebuild progress");
    }
    let gone: Vec<i64> = before
        .into_iter()
        .filter(|id| !seen.contains(&ArticleId(*id)))
        .collect();
    for id in &gone {
        index.delete(*id)?;
    }
    index.commit()?;
    report.elapsed = started.elapsed();
    tracing::info!(
        articles = report.articles,
        removed = gone.len(),
        elapsed_ms = report.elapsed.as_millis() as u64,
        "search index rebuilt"
    );
    Ok(report)
}

/// The default index directory for a database given as a path or `sqlite:` URL: the
/// file's path plus `.search` (`data/jujiao.db` → `data/jujiao.db.search`). `None` for
/// in-memory databases and other backends, which have no file to sit beside.
pub fn index_dir_for_db(db: &str) -> Option<PathBuf> {
    let path = match db.strip_prefix("sqlite:") {
        Some(rest) => {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            if rest.contains("mode=memory") {
                return None;
            }
            rest.split('?').next().unwrap_or(rest)
        }
        None if db.contains("://") => return None,
        None => db,
    };
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(format!("{path}.search")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_dir_sits_beside_the_database() {
        let p = |s: &str| index_dir_for_db(s).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(p("jujiao.db").as_deref(), Some("jujiao.db.search"));
        assert_eq!(
            p("data/jujiao.db").as_deref(),
            Some("data/jujiao.db.search")
        );
        assert_eq!(p("sqlite:jujiao.db").as_deref(), Some("jujiao.db.search"));
        assert_eq!(
            p("sqlite:///var/lib/jujiao.db?mode=rwc").as_deref(),
            Some("/var/lib/jujiao.db.search")
        );
        assert_eq!(p("sqlite::memory:"), None);
        assert_eq!(p("sqlite://x.db?mode=memory"), None);
        assert_eq!(p("postgres://u@h/db"), None);
    }
}
