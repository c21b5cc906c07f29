//! Recording a batch of articles with its watch matches: the retry loop shared by
//! [`ArticleStore::record_articles`](crate::ArticleStore::record_articles) and
//! [`WatchStore::record_articles_watched`](crate::WatchStore::record_articles_watched),
//! and the insertion of matches and their outbox rows into an open transaction (the
//! batch's, or one of their own for `record_watch_matches`).

use super::d;
use crate::error::Result;
use crate::types::{ArticleRecord, RecordOutcome};
use crate::watch::{FindMatches, INSERT_DELIVERY, INSERT_MATCH, NewWatchMatch, ms};
use chrono::{DateTime, Utc};

const OP: &str = "recording watch matches";

impl d::This {
    /// Records `batch` (and the matches `watch` finds for it) in one transaction,
    /// retrying a batch that lost a race with another writer.
    pub(crate) async fn record_batch(
        &self,
        batch: &[ArticleRecord],
        watch: Option<&FindMatches<'_>>,
    ) -> Result<(Vec<RecordOutcome>, u64)> {
        let mut attempt = 1;
        loop {
            match super::record::record_articles(self, batch, watch).await {
                Err(e) if attempt < d::MAX_BATCH_ATTEMPTS && d::is_lost_race(&e) => {
                    tracing::debug!(db = %self.location, attempt, error = %e,
                        "batch lost a race, retrying");
                    tokio::time::sleep(d::backoff(attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// Inserts matches and, for each new one, its deliveries, in `tx`; a `(rule,
    /// article)` already matched gets nothing. Answers how many matches were new.
    pub(crate) async fn insert_watch_matches(
        &self,
        tx: &mut d::Tx,
        matches: &[NewWatchMatch],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut new = 0;
        for m in matches {
            let id: Option<i64> = sqlx::query_scalar(INSERT_MATCH)
                .bind(&m.rule)
                .bind(m.article_id.0)
                .bind(ms(now))
                .bind(&m.title)
                .bind(&m.source_id)
                .bind(&m.column)
                .bind(&m.url)
                .bind(m.published.as_deref())
                .bind(&m.excerpt)
                .fetch_optional(&mut **tx)
                .await
                .map_err(self.query_error(OP))?;
            let Some(id) = id else { continue };
            new += 1;
            for (channel, due) in &m.deliveries {
                sqlx::query(INSERT_DELIVERY)
                    .bind(id)
                    .bind(channel)
                    .bind(ms(*due))
                    .execute(&mut **tx)
                    .await
                    .map_err(self.query_error(OP))?;
            }
        }
        Ok(new)
    }
}
