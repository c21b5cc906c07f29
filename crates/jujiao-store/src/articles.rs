//! [`ArticleStore`]: recording articles and reading them back, with their filings,
//! revisions and the URLs they were seen at.

use crate::error::Result;
use crate::types::{
    ArticleId, ArticleRecord, ArticleSource, FiledArticle, FilingCount, FilingQuery, RecordOutcome,
    Revision, StoreStats, StoredArticle,
};
use async_trait::async_trait;
use chrono::NaiveDate;
use std::collections::HashSet;

/// Articles, their filings, revisions and sources: what `jujiao import` and the
/// crawler record, what `jujiao publish` and the web app read.
#[async_trait]
pub trait ArticleStore: Send + Sync {
    /// Records a batch of articles in one transaction: either the whole batch is
    /// stored or, on any error, nothing of it. Returns one outcome per record, in order.
    ///
    /// Per record, in order (so later records see earlier ones of the same batch):
    /// - URL known, content fingerprint equal to what that URL served last →
    ///   [`RecordOutcome::Unchanged`];
    /// - URL known, fingerprint changed → the article's content is replaced, the old
    ///   content is kept as a revision → [`RecordOutcome::Revised`]; the record's filing
    ///   is ignored;
    /// - URL new, fingerprint already stored → the URL is added as a further source of
    ///   that article, the record's filing is kept with it but not filed →
    ///   [`RecordOutcome::Duplicate`];
    /// - URL new, a stored article of another source has the same normalised title, a
    ///   publish day at most two days away and nearly the same body ([`near`](crate::near)) → the URL
    ///   is added as a further source of that article → [`RecordOutcome::NearDuplicate`];
    /// - otherwise a new article and filing → [`RecordOutcome::Added`].
    ///
    /// A record with an empty URL or an empty column fails the batch with
    /// [`StoreError::InvalidRecord`](crate::StoreError::InvalidRecord).
    async fn record_articles(&self, batch: &[ArticleRecord]) -> Result<Vec<RecordOutcome>>;

    /// One page of filings with their articles' current content, by ascending filing id.
    /// Undated filings are included only when the query gives no date range.
    async fn filed_articles(&self, query: &FilingQuery) -> Result<Vec<FiledArticle>>;

    /// Filings per day and column between two days (inclusive), by date then column;
    /// with neither bound, every day plus the undated filings (listed first).
    async fn filing_counts(
        &self,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
    ) -> Result<Vec<FilingCount>>;

    /// An article's current content and filings.
    async fn article(&self, id: ArticleId) -> Result<Option<StoredArticle>>;

    /// Every revision of an article, oldest first; the last is the current content.
    /// Empty when the article does not exist.
    async fn revisions(&self, id: ArticleId) -> Result<Vec<Revision>>;

    /// Every URL the article was recorded from, the primary one first.
    async fn sources_of(&self, id: ArticleId) -> Result<Vec<ArticleSource>>;

    /// The subset of `urls` already recorded (as primary or duplicate source), so the
    /// crawler can skip fetching them.
    async fn known_urls(&self, urls: &[String]) -> Result<HashSet<String>>;

    /// Counts of what is stored.
    async fn stats(&self) -> Result<StoreStats>;
}
