//! [`CrawlRunner`]: the scheduler's real runner — crawl one source, publish the legacy
//! tree as `jujiao crawl` does, then index the articles the run added or revised.

use crate::Indexer;
use crate::scheduler::{RunResult, SourceRunner};
use async_trait::async_trait;
use chrono::Days;
use jujiao_crawl::{Crawler, Quiet, RunOptions, Verdict};
use jujiao_store::Store;
use jujiao_tree::PublishOptions;
use std::sync::Arc;

/// Days back from today that publishing after a run covers (after the first, full one).
pub const PUBLISH_DAYS: u64 = 7;

/// Crawls, publishes and indexes; see the module documentation.
pub struct CrawlRunner {
    crawler: Arc<Crawler>,
    store: Arc<dyn Store>,
    publish: PublishOptions,
    /// One publish at a time: runs of different sources may finish together. Holds
    /// whether a full publish has been done since the server started.
    publish_lock: tokio::sync::Mutex<bool>,
    indexer: Option<Arc<Indexer>>,
}

impl std::fmt::Debug for CrawlRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrawlRunner")
            .field("crawler", &self.crawler)
            .field("out", &self.publish.out)
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
            store,
            publish,
            publish_lock: tokio::sync::Mutex::new(false),
            indexer,
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
        {
            // The first publish after start covers everything (a killed process may
            // have stored articles it never wrote out); later ones the recent days,
            // where runs file their articles, so a big store is not walked every run.
            let mut has_published_all = self.publish_lock.lock().await;
            let mut options = self.publish.clone();
            if *has_published_all {
                let today = crate::view::today();
                options.since = today.checked_sub_days(Days::new(PUBLISH_DAYS));
            }
            match jujiao_tree::publish(self.store.as_ref(), &options).await {
                Ok(p) => {
                    *has_published_all = true;
                    tracing::info!(
                        written = p.written,
                        unchanged = p.unchanged,
                        failed = p.failed.len(),
                        "published"
                    );
                }
                Err(e) => tracing::error!(error = %e, "publishing failed"),
            }
        }
        if let Some(indexer) = &self.indexer {
            // Exactly what this run added or revised (plus filings stored elsewhere).
            match indexer.index_changed(&report.changed_articles).await {
                Ok(n) => tracing::debug!(articles = n, "search index updated"),
                // Not lost: the mark has not moved, the next run indexes them; revised
                // articles wait for the next revision or `jujiao reindex`.
                Err(e) => tracing::error!(error = %e, "indexing the run's articles failed"),
            }
        }
        RunResult {
            is_failure: is_failure(report.verdict),
        }
    }
}
