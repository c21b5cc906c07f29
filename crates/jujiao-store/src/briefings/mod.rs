//! The editor's desk: briefing series, their issues and items ([`BriefingStore`]).
//!
//! A series ([`Series`], 每日简报) is seeded from the sources file's `[[briefing]]` tables
//! and edited by admins afterwards. An issue starts as a draft ([`Draft`]: its date,
//! section order, items and closing block), saved whole by the compose page with an
//! optimistic version check — a save against an older version is refused with the name of
//! who saved in between ([`SaveOutcome::Conflict`]), so two editors never silently
//! overwrite each other. Issuing ([`BriefingStore::issue_draft`]) numbers it (continuous or
//! per year, supplements apart, corrections keep the number they correct) and stores the
//! caller's [`IssuedText`] with it; from then on the issue is frozen and every output is
//! rendered from that text, so a later revision of an article never changes it. A
//! correction (更正) is a new draft that copies an issued one and is issued as a new
//! version under the same number.
//!
//! Both backends run the same SQL (`sql.rs`, one body expanded for each pool); what
//! differs is how a writer gets exclusive access while it numbers: SQLite's
//! `BEGIN IMMEDIATE`, PostgreSQL's `SELECT … FOR UPDATE` on the series row.

mod sql;

use crate::Result;
use crate::types::ArticleId;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use jujiao_model::{IssueKind, IssuedText, ItemMode, SeriesSettings};
use serde::{Deserialize, Serialize};

/// A series' id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SeriesId(pub i64);

/// An issue's id (drafts included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IssueId(pub i64);

/// A stored series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    pub id: SeriesId,
    #[serde(flatten)]
    pub settings: SeriesSettings,
    /// Who last edited it; `None` while it is as seeded from the sources file.
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// One item of a draft, in the order the editors chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftItem {
    pub article_id: ArticleId,
    /// The section it is printed in.
    pub column: String,
    /// The edited title; `None` keeps the article's.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(flatten)]
    pub mode: ItemMode,
    /// 按语.
    #[serde(default)]
    pub note: Option<String>,
}

/// What an editor composes: everything of an issue but its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub kind: IssueKind,
    pub date: NaiveDate,
    /// Section order; columns of items not listed follow in the order they first appear.
    pub columns: Vec<String>,
    pub items: Vec<DraftItem>,
    pub send_to: String,
    pub copy_to: String,
    pub copies: u32,
}

impl Draft {
    /// The items grouped into sections, in section order, each section's items in the
    /// draft's order.
    pub fn sections(&self) -> Vec<(&str, Vec<&DraftItem>)> {
        let mut order: Vec<&str> = self.columns.iter().map(String::as_str).collect();
        for item in &self.items {
            if !order.contains(&item.column.as_str()) {
                order.push(&item.column);
            }
        }
        order
            .into_iter()
            .map(|c| {
                let items: Vec<&DraftItem> = self.items.iter().filter(|i| i.column == c).collect();
                (c, items)
            })
            .filter(|(_, items)| !items.is_empty())
            .collect()
    }
}

/// Draft or issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    Draft,
    Issued,
}

/// A stored issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub id: IssueId,
    pub series: SeriesId,
    pub status: IssueStatus,
    pub draft: Draft,
    /// Counts saves; a save names the version it started from.
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
    /// The issue this one corrects (更正).
    pub corrects: Option<IssueId>,
    /// Set once issued.
    pub issued: Option<Issued>,
}

/// What issuing fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issued {
    pub number: u32,
    /// 0 for the issue itself, 1, 2 … for its corrections.
    pub correction: u32,
    pub by: String,
    pub at: DateTime<Utc>,
    /// The highest article id when it was issued: later articles are new to the series.
    pub article_mark: i64,
    pub text: IssuedText,
}

/// An issue without its items, for lists (往期).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueSummary {
    pub id: IssueId,
    pub series: SeriesId,
    pub status: IssueStatus,
    pub kind: IssueKind,
    pub date: NaiveDate,
    pub number: Option<u32>,
    pub correction: Option<u32>,
    pub corrects: Option<IssueId>,
    pub items: u32,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    /// See [`Issued::article_mark`].
    pub article_mark: Option<i64>,
}

/// Which issues to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct IssueQuery {
    pub series: Option<SeriesId>,
    pub status: Option<IssueStatus>,
    /// Words the issued text must contain (titles, summaries, notes, body).
    pub text: Option<String>,
    /// At most this many (default and cap [`MAX_ISSUES`]).
    pub limit: Option<u32>,
}

/// Most issues one list answers.
pub const MAX_ISSUES: u32 = 500;

/// Why a change to a draft did not happen, or that it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SaveOutcome {
    /// Saved; the draft is now at `version`.
    Saved {
        version: i64,
    },
    /// Someone saved since `expected`: the draft is at `version`, last saved by `by`.
    Conflict {
        version: i64,
        by: String,
        at: DateTime<Utc>,
    },
    /// The issue is issued: it no longer changes.
    Frozen,
    NotFound,
}

/// What issuing a draft did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum IssueOutcome {
    Issued {
        number: u32,
        correction: u32,
        text: IssuedText,
    },
    Conflict {
        version: i64,
        by: String,
        at: DateTime<Utc>,
    },
    Frozen,
    NotFound,
}

/// Where an article was already used: an issued issue of the series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleUse {
    pub article_id: ArticleId,
    pub issue: IssueId,
    pub kind: IssueKind,
    pub number: u32,
}

/// Briefing series, issues and items.
#[async_trait]
pub trait BriefingStore: Send + Sync {
    /// Adds the series of the sources file that are not stored yet (by name); stored
    /// ones keep the admins' edits. Answers how many were added.
    async fn seed_series(&self, series: &[SeriesSettings]) -> Result<u64>;

    /// Every series, by id.
    async fn series_list(&self) -> Result<Vec<Series>>;

    /// Replaces a series' settings (an admin's edit); false when there is no such series.
    async fn update_series(
        &self,
        id: SeriesId,
        settings: &SeriesSettings,
        by: &str,
    ) -> Result<bool>;

    /// Starts a draft of `series`; `None` when there is no such series.
    async fn create_draft(
        &self,
        series: SeriesId,
        draft: &Draft,
        by: &str,
    ) -> Result<Option<Issue>>;

    /// Starts a correction (更正) of an issued issue: a draft with its content that,
    /// once issued, takes its number as the next correction. `None` when `of` is not an
    /// issued issue.
    async fn start_correction(&self, of: IssueId, by: &str) -> Result<Option<Issue>>;

    /// An issue with its items.
    async fn issue(&self, id: IssueId) -> Result<Option<Issue>>;

    /// Issues, newest first (drafts by their last save, issued ones by issue time).
    async fn issues(&self, query: &IssueQuery) -> Result<Vec<IssueSummary>>;

    /// Replaces a draft's content when it is still at `expected` version.
    async fn save_draft(
        &self,
        id: IssueId,
        expected: i64,
        draft: &Draft,
        by: &str,
    ) -> Result<SaveOutcome>;

    /// Deletes a draft (never an issued issue): [`SaveOutcome::Saved`] with the version
    /// it had, or why not.
    async fn delete_draft(&self, id: IssueId, expected: i64) -> Result<SaveOutcome>;

    /// Issues a draft still at `expected` version: gives it the next number of its
    /// series and kind (a correction: the number it corrects and the next correction
    /// count) and stores `text` with it, its number, kind and correction mark set here.
    async fn issue_draft(
        &self,
        id: IssueId,
        expected: i64,
        text: &IssuedText,
        by: &str,
    ) -> Result<IssueOutcome>;

    /// Which of `articles` issued issues of `series` used, latest issue first per
    /// article.
    async fn article_uses(
        &self,
        series: SeriesId,
        articles: &[ArticleId],
    ) -> Result<Vec<ArticleUse>>;
}
