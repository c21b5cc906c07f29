//! What recording articles did, counted one way for every path: a run's
//! [`crate::SourceReport`], the run figures a worker adds to its list page's run, and a
//! worker's own summary ([`crate::WorkerReport`]) all count [`RecordOutcome`]s through
//! [`Tally::count`], so they cannot disagree on what a near duplicate is.

use jujiao_store::{RecordOutcome, RunSummary};

/// Recorded articles by outcome.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// New articles (a new URL with new content).
    pub new: u64,
    /// Stored articles whose content changed (a new revision).
    pub updated: u64,
    /// Stored articles fetched again with the same content.
    pub unchanged: u64,
    /// New URLs whose content is already stored, exactly or nearly (the same story
    /// from another source): recorded as a further source, no new filing.
    pub duplicates: u64,
}

impl Tally {
    /// Counts one outcome; answers the article's id when it was added or revised
    /// (the articles the search index must see).
    pub fn count(&mut self, outcome: &RecordOutcome) -> Option<i64> {
        match outcome {
            RecordOutcome::Added { article_id, .. } => {
                self.new += 1;
                Some(article_id.0)
            }
            RecordOutcome::Revised { article_id, .. } => {
                self.updated += 1;
                Some(article_id.0)
            }
            RecordOutcome::Duplicate { .. } | RecordOutcome::NearDuplicate { .. } => {
                self.duplicates += 1;
                None
            }
            // `Unchanged`, and any outcome the store may add later: nothing new.
            _ => {
                self.unchanged += 1;
                None
            }
        }
    }

    /// The tally of `outcomes`.
    pub fn of(outcomes: &[RecordOutcome]) -> Tally {
        let mut tally = Tally::default();
        for outcome in outcomes {
            tally.count(outcome);
        }
        tally
    }

    /// Adds `other` to this tally.
    pub fn add(&mut self, other: Tally) {
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.duplicates += other.duplicates;
    }

    /// Articles recorded, whatever the outcome.
    pub fn total(&self) -> u64 {
        self.new + self.updated + self.unchanged + self.duplicates
    }

    /// The run figures with this tally (everything else left as in `summary`).
    pub fn into_summary(self, summary: RunSummary) -> RunSummary {
        RunSummary {
            new: self.new,
            updated: self.updated,
            unchanged: self.unchanged,
            duplicates: self.duplicates,
            ..summary
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jujiao_store::{ArticleId, FilingId, FilingRef};

    #[test]
    fn a_near_duplicate_is_a_duplicate() {
        let existing = FilingRef {
            id: FilingId(1),
            column: "要闻".into(),
            date: None,
            legacy_path: None,
        };
        let outcomes = [
            RecordOutcome::Added {
                article_id: ArticleId(1),
                filing_id: FilingId(1),
            },
            RecordOutcome::NearDuplicate {
                article_id: ArticleId(1),
                existing: existing.clone(),
            },
            RecordOutcome::Duplicate {
                article_id: ArticleId(1),
                existing,
            },
            RecordOutcome::Unchanged {
                article_id: ArticleId(2),
            },
            RecordOutcome::Revised {
                article_id: ArticleId(3),
                revision: 2,
            },
        ];
        let tally = Tally::of(&outcomes);
        assert_eq!(
            tally,
            Tally {
                new: 1,
                updated: 1,
                unchanged: 1,
                duplicates: 2
            }
        );
        assert_eq!(tally.total(), 5);
    }
}
