//! Testing recorded articles against the stored rules: [`Watcher`] keeps the rules
//! compiled ([`RuleSet`]) and recompiles only when the store says they changed.
//!
//! [`Watcher::record`] records a batch and its matches in one transaction of the store.
//! An added article is tested against every rule; so is a revised one, and since the
//! store keeps one match per `(rule, article)`, a revision adds a match only for a rule
//! that did not match before — exactly "a revision whose change makes a rule match".

use crate::rules::RuleSet;
use chrono::{DateTime, Utc};
use jujiao_store::{ArticleRecord, NewWatchMatch, RecordOutcome, Store, StoreError};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The rules compiled at a version of the store's rules.
type Compiled = Option<((i64, i64), Arc<RuleSet>)>;

/// Tests recorded articles against the stored watch rules.
#[derive(Debug)]
pub struct Watcher {
    store: Arc<dyn Store>,
    compiled: Mutex<Compiled>,
}

impl Watcher {
    pub fn new(store: Arc<dyn Store>) -> Watcher {
        Watcher {
            store,
            compiled: Mutex::new(None),
        }
    }

    /// The rules, recompiled if they changed since last asked.
    pub async fn rules(&self) -> Result<Arc<RuleSet>, StoreError> {
        let version = self.store.watch_rules_version().await?;
        let mut compiled = self.compiled.lock().await;
        if let Some((v, set)) = compiled.as_ref()
            && *v == version
        {
            return Ok(set.clone());
        }
        let set = Arc::new(RuleSet::new(self.store.watch_rules().await?));
        *compiled = Some((version, set.clone()));
        Ok(set)
    }

    /// Records `records` and, in the same transaction, the matches of their added and
    /// revised articles ([`WatchStore::record_articles_watched`](jujiao_store::WatchStore::record_articles_watched)):
    /// articles and alerts are stored together or not at all. Answers the outcomes and
    /// how many matches were new.
    pub async fn record(
        &self,
        records: &[ArticleRecord],
        now: DateTime<Utc>,
    ) -> Result<(Vec<RecordOutcome>, u64), StoreError> {
        let rules = self.rules().await?;
        if rules.is_empty() {
            return Ok((self.store.record_articles(records).await?, 0));
        }
        let find = |records: &[ArticleRecord], outcomes: &[RecordOutcome]| {
            matches_of(&rules, records, outcomes, now)
        };
        self.store.record_articles_watched(records, &find).await
    }

    /// Tests the added and revised articles of an already recorded batch and records
    /// their matches in a transaction of their own; answers how many matches were new.
    /// Recording through [`Watcher::record`] is safer: nothing is lost if the process
    /// dies between the two transactions.
    pub async fn on_recorded(
        &self,
        records: &[ArticleRecord],
        outcomes: &[RecordOutcome],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let rules = self.rules().await?;
        if rules.is_empty() {
            return Ok(0);
        }
        let matches = matches_of(&rules, records, outcomes, now);
        self.store.record_watch_matches(&matches).await
    }
}

/// The matches of the added and revised articles of a batch.
fn matches_of(
    rules: &RuleSet,
    records: &[ArticleRecord],
    outcomes: &[RecordOutcome],
    now: DateTime<Utc>,
) -> Vec<NewWatchMatch> {
    let mut matches = Vec::new();
    for (record, outcome) in records.iter().zip(outcomes) {
        let id = match outcome {
            RecordOutcome::Added { article_id, .. } | RecordOutcome::Revised { article_id, .. } => {
                *article_id
            }
            _ => continue,
        };
        matches.extend(rules.new_matches(id, &record.article, &record.filing.column, now));
    }
    matches
}
