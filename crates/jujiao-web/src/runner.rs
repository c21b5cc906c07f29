//! [`CrawlRunner`]: the scheduler's real runner — crawl one source, then
//! [`AfterCrawl`]: publish the legacy tree and index the articles the run added or
//! revised. [`AfterCrawl`] is also how `jujiao crawl` and `jujiao worker --out` finish,
//! so "publish and index after new articles" is written once.

use crate::scheduler::{RunResult, SourceRunner};
use crate::{Indexer, WebError};
use async_trait::async_trait;
use chrono::Days;
use jujiao_crawl::{Crawler, Quiet, RunOptions, Verdict};
use jujiao_store::Store;
use jujiao_tree::{PublishOptions, PublishReport, TreeError};
use std::path::PathBuf;
use std::sync::Arc;

/// Days back from today that publishing after a run covers (after the first, full one).
pub const PUBLISH_DAYS: u64 = 7;

/// Publishes the tree and indexes changed articles after a crawl; see the module
/// documentation.
pub struct AfterCrawl {
    store: Arc<dyn Store>,
    publish: PublishOptions,
    indexer: Option<Arc<Indexer>>,
    /// After the first, full publish, later ones cover this many days back from today
    /// (`None`: every publish is full).
    recent_days: Option<u64>,
    /// One publish at a time (runs of different sources may finish together); holds
    /// whether a full publish has been done.
    has_published_all: tokio::sync::Mutex<bool>,
}

impl std::fmt::Debug for AfterCrawl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfterCrawl")
            .field("out", &self.publish.out)
            .field("has_indexer", &self.indexer.is_some())
            .finish_non_exhaustive()
    }
}

/// What [`AfterCrawl::run`] did.
#[derive(Debug)]
pub struct AfterCrawlReport {
    /// The publish (a failure leaves the store as it was: the next publish catches up).
    pub published: Result<PublishReport, TreeError>,
    /// Articles indexed; `None` without a search index.
    pub indexed: Option<Result<u64, WebError>>,
}

impl AfterCrawl {
    /// Publishes with `publish` (always the whole store) and indexes with `indexer`.
    pub fn new(
        store: Arc<dyn Store>,
        publish: PublishOptions,
        indexer: Option<Arc<Indexer>>,
    ) -> AfterCrawl {
        AfterCrawl {
            store,
            publish,
            indexer,
            recent_days: None,
            has_published_all: tokio::sync::Mutex::new(false),
        }
    }

    /// After the first publish (which covers everything: a killed process may have
    /// stored articles it never wrote out), publish only the last `days` days, where
    /// runs file their articles, so a big store is not walked after every run.
    #[must_use]
    pub fn recent_days(mut self, days: u64) -> Self {
        self.recent_days = Some(days);
        self
    }

    /// Publishes the tree, then indexes `changed` (the articles added or revised; the
    /// indexer also catches up filings stored elsewhere).
    pub async fn run(&self, changed: &[i64]) -> AfterCrawlReport {
        let published = {
            let mut has_published_all = self.has_published_all.lock().await;
            let mut options = self.publish.clone();
            if *has_published_all && let Some(days) = self.recent_days {
                options.since = crate::view::today().checked_sub_days(Days::new(days));
            }
            let published = jujiao_tree::publish(self.store.as_ref(), &options).await;
            *has_published_all |= published.is_ok();
            published
        };
        let indexed = match &self.indexer {
            Some(indexer) => Some(indexer.index_changed(changed).await),
            None => None,
        };
        AfterCrawlReport { published, indexed }
    }
}

/// The search indexer of the index beside database `db` (`<db>.search`, its mark file
/// `<db>.search.indexed`, as `jujiao serve` keeps them); `None` for a database with no
/// folder beside it (PostgreSQL).
pub fn indexer_beside(
    db: &str,
    store: Arc<dyn Store>,
) -> Result<Option<Indexer>, jujiao_search::SearchError> {
    let Some(dir) = jujiao_search::index_dir_for_db(db) else {
        return Ok(None);
    };
    let index = jujiao_search::SearchIndex::open(&dir)?;
    let mark = PathBuf::from(format!("{}.indexed", dir.display()));
    Ok(Some(Indexer::new(index, store, Some(mark))))
}

/// Crawls, publishes and indexes; see the module documentation.
pub struct CrawlRunner {
    crawler: Arc<Crawler>,
    after: AfterCrawl,
}

impl std::fmt::Debug for CrawlRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrawlRunner")
            .field("crawler", &self.crawler)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl CrawlRunner {
    pub fn new(
        crawler: Arc<Crawler>,
        store: Arc<dyn Store>,
        publish: PublishOptions,
        indexer: Option<Arc<Indexer>>,
    ) -> CrawlRunner {
        CrawlRunner {
            crawler,
            after: AfterCrawl::new(store, publish, indexer).recent_days(PUBLISH_DAYS),
        }
    }
}

/// Verdicts after which a source is retried sooner.
pub(crate) fn is_failure(v: Verdict) -> bool {
    matches!(v, Verdict::Unreachable | Verdict::Blocked | Verdict::Errors)
}

#[async_trait]
impl SourceRunner for CrawlRunner {
    async fn run(&self, source_id: &str) -> RunResult {
        let report = match self
            .crawler
            .run_source(source_id, RunOptions::default(), &Quiet)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(source = %source_id, error = %e, "run failed to start");
                return RunResult { is_failure: true };
            }
        };
        tracing::info!(
            source = %source_id,
            new = report.tally.new,
            updated = report.tally.updated,
            errors = report.errors,
            verdict = report.verdict.as_str(),
            "run finished"
        );
        let after = self.after.run(&report.changed_articles).await;
        match after.published {
            Ok(p) => tracing::info!(
                written = p.written,
                unchanged = p.unchanged,
                failed = p.failed.len(),
                "published"
            ),
            Err(e) => tracing::error!(error = %e, "publishing failed"),
        }
        match after.indexed {
            Some(Ok(n)) => tracing::debug!(articles = n, "search index updated"),
            // Not lost: the mark has not moved, the next run indexes them; revised
            // articles wait for the next revision or `jujiao reindex`.
            Some(Err(e)) => tracing::error!(error = %e, "indexing the run's articles failed"),
            None => {}
        }
        RunResult {
            is_failure: is_failure(report.verdict),
        }
    }
}
