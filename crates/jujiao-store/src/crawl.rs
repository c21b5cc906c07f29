//! [`CrawlLog`]: what the crawler remembers between visits — list-page validators,
//! re-checks of stored pages — and its runs.

use crate::error::Result;
use crate::types::{PageCheck, Run, RunId, RunSummary, StoredPage, Validators};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The crawler's bookkeeping: conditional GETs, re-checks and runs.
#[async_trait]
pub trait CrawlLog: Send + Sync {
    /// The validators last seen for a list page.
    async fn list_page_validators(&self, url: &str) -> Result<Option<Validators>>;

    /// Replaces the validators of a list page.
    async fn set_list_page_validators(&self, url: &str, validators: &Validators) -> Result<()>;

    /// The pages of `source_id` first stored at or after `seen_since`, with their last
    /// check: the crawler picks the ones due for a re-check among them.
    async fn recheck_candidates(
        &self,
        source_id: &str,
        seen_since: DateTime<Utc>,
    ) -> Result<Vec<StoredPage>>;

    /// Records fetches of article pages (time and validators), replacing earlier ones.
    async fn record_page_checks(&self, checks: &[PageCheck]) -> Result<()>;

    /// Starts a crawl run of a source, timed now.
    async fn start_run(&self, source_id: &str) -> Result<RunId>;

    /// Finishes a run with its summary, timed now. Finishing a run twice replaces the
    /// summary; an unknown id is [`StoreError::NotFound`](crate::StoreError::NotFound).
    async fn finish_run(&self, run: RunId, summary: &RunSummary) -> Result<()>;

    /// The latest runs of a source, newest first.
    async fn recent_runs(&self, source_id: &str, limit: u32) -> Result<Vec<Run>>;

    /// The latest run of every source that has one, by source id.
    async fn last_runs(&self) -> Result<Vec<Run>>;

    /// Adds one article's outcome to a run that was already finished (a worker's run:
    /// its list-page visit finishes it, the articles it queued are fetched later, by any
    /// worker): the counters of `tally` are added, its error samples appended while the
    /// run keeps fewer than [`RUN_ERROR_SAMPLES`](crate::RUN_ERROR_SAMPLES), its verdict (when not empty) replaces
    /// an `ok` one, and the finish time becomes now. An unknown id is
    /// [`StoreError::NotFound`](crate::StoreError::NotFound).
    async fn add_to_run(&self, run: RunId, tally: &RunSummary) -> Result<()>;
}
