//! Filling an index from the store, and where the index lives by default.

use crate::error::{Result, SearchError};
use crate::{IndexDoc, SearchIndex};
use jujiao_store::{FiledArticle, FilingQuery, Store, StoredArticle};
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
        }
    }

    /// The document for an article as [`Store::article`] returns it, filed under its
    /// first filing like [`rebuild`] does; `None` for an article never filed (it is not
    /// in the briefing, so not searched).
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
        })
    }
}

/// Empties the index and indexes every filed article of `store`, committing once at the
/// end (so searches see the old index until the new one is complete). An article filed
/// more than once is indexed with its first filing.
///
/// The store is read page by page; the indexing itself is synchronous CPU work inside
/// this future, so an async server should run it on a blocking thread (for instance
/// `spawn_blocking` + `Handle::block_on`) rather than on a runtime worker.
pub async fn rebuild(index: &SearchIndex, store: &dyn Store) -> Result<RebuildReport> {
    let started = Instant::now();
    index.clear()?;
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
        let docs: Vec<IndexDoc> = page
            .iter()
            .filter(|f| seen.insert(f.article_id))
            .map(IndexDoc::from_filed)
            .collect();
        report.extra_filings += (page.len() - docs.len()) as u64;
        report.articles += docs.len() as u64;
        index.index(&docs)?;
        tracing::debug!(articles = report.articles, "search index rebuild progress");
    }
    index.commit()?;
    report.elapsed = started.elapsed();
    tracing::info!(
        articles = report.articles,
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
