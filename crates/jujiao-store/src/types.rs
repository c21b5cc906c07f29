//! The values that cross the [`Store`](crate::Store) traits: ids, what callers record,
//! what the store answers, and the crawl bookkeeping.
//!
//! Everything here is backend-neutral: nothing names a table or a SQL dialect, so the
//! SQLite and PostgreSQL implementations answer with exactly the same values.

use chrono::{DateTime, NaiveDate, Utc};
use jujiao_model::{Article, Filing, Fingerprint};
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_newtype!(
    /// An article: one text, whatever number of URLs and revisions it has.
    ArticleId
);
id_newtype!(
    /// A filing: an article placed in a column on a date. Filing ids grow in insertion
    /// order, which is the order publishing pages through.
    FilingId
);
id_newtype!(
    /// One crawl of one source.
    RunId
);
id_newtype!(
    /// One entry of the shared work queue (a list page or an article URL to fetch).
    WorkId
);

/// One article to record with the filing it should get if it is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRecord {
    pub article: Article,
    pub filing: Filing,
}

/// What [`ArticleStore::record_articles`](crate::ArticleStore::record_articles) did with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordOutcome {
    /// A new URL with new content: a new article and its filing.
    Added {
        article_id: ArticleId,
        filing_id: FilingId,
    },
    /// The URL is known and its content has the fingerprint it had last time.
    Unchanged { article_id: ArticleId },
    /// The URL is known and its content changed: the article now shows the new content,
    /// the old one is kept as an earlier revision. No second filing is made.
    Revised {
        article_id: ArticleId,
        /// The new current revision number (the first content is revision 1).
        revision: u32,
    },
    /// A new URL whose content (same title, same visible text) is already stored under
    /// another URL. The URL is recorded as a further source of that article; no new
    /// article or filing is made.
    Duplicate {
        article_id: ArticleId,
        /// The filing the existing article already has.
        existing: FilingRef,
    },
    /// A new URL whose content is not stored but is the same story as an article from
    /// another source: same normalised title, publish days at most two apart, nearly the
    /// same body (see `near` in this crate). Recorded like a duplicate, as a further
    /// source of that article; no new article or filing is made.
    NearDuplicate {
        article_id: ArticleId,
        /// The filing the existing article already has.
        existing: FilingRef,
    },
}

impl RecordOutcome {
    /// The article the record ended up in, whatever happened.
    pub fn article_id(&self) -> ArticleId {
        match self {
            RecordOutcome::Added { article_id, .. }
            | RecordOutcome::Unchanged { article_id }
            | RecordOutcome::Revised { article_id, .. }
            | RecordOutcome::Duplicate { article_id, .. }
            | RecordOutcome::NearDuplicate { article_id, .. } => *article_id,
        }
    }
}

/// A short reference to a filing, enough to tell a user where the original went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingRef {
    pub id: FilingId,
    pub column: String,
    pub date: Option<NaiveDate>,
    /// The legacy file the filing was imported from, if any.
    pub legacy_path: Option<String>,
}

/// A page of filings for publishing or browsing; see
/// [`ArticleStore::filed_articles`](crate::ArticleStore::filed_articles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingQuery {
    /// First briefing day, inclusive.
    pub since: Option<NaiveDate>,
    /// Last briefing day, inclusive.
    pub until: Option<NaiveDate>,
    /// Only this column (exact match).
    pub column: Option<String>,
    /// Only filings with a greater id: the last id of the previous page.
    pub after: Option<FilingId>,
    /// Page size; the store may cap it at [`MAX_PAGE`].
    pub limit: u32,
}

/// The largest page [`FilingQuery::limit`] asks for; larger limits are capped.
pub const MAX_PAGE: u32 = 10_000;

/// The page size [`FilingQuery::default`] asks for.
pub const DEFAULT_PAGE: u32 = 1_000;

impl Default for FilingQuery {
    fn default() -> Self {
        FilingQuery {
            since: None,
            until: None,
            column: None,
            after: None,
            limit: DEFAULT_PAGE,
        }
    }
}

impl FilingQuery {
    /// True when the query restricts dates, which excludes undated filings.
    pub fn has_date_range(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }
}

/// A filing with its article's current content, as publishing needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledArticle {
    pub filing_id: FilingId,
    pub filing: Filing,
    pub article_id: ArticleId,
    /// The article's current revision number.
    pub revision: u32,
    pub article: Article,
}

/// How many filings a column has on a day, for browsing by date and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingCount {
    /// `None` for undated legacy filings.
    pub date: Option<NaiveDate>,
    pub column: String,
    pub filings: u64,
}

/// A filing with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFiling {
    pub id: FilingId,
    pub filing: Filing,
}

/// An article as stored: current content plus bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArticle {
    pub id: ArticleId,
    /// Current revision number, 1 for content never revised.
    pub revision: u32,
    pub fingerprint: Fingerprint,
    pub article: Article,
    /// Its filings, oldest first (one in practice).
    pub filings: Vec<StoredFiling>,
    /// When the article was first stored.
    pub created_at: DateTime<Utc>,
    /// When its content last changed (equals `created_at` until revised).
    pub updated_at: DateTime<Utc>,
}

/// One version of an article's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub revision: u32,
    pub fingerprint: Fingerprint,
    pub article: Article,
    /// When this content was stored.
    pub stored_at: DateTime<Utc>,
}

/// How a URL relates to the article it is recorded against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// The URL the article was first recorded from.
    Primary,
    /// A later URL with exactly the same content (same fingerprint).
    Duplicate,
    /// A later URL of another source with nearly the same content (same story).
    NearDuplicate,
}

impl SourceKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Primary => "primary",
            SourceKind::Duplicate => "duplicate",
            SourceKind::NearDuplicate => "near_duplicate",
        }
    }

    /// The kind for a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "primary" => Some(SourceKind::Primary),
            "duplicate" => Some(SourceKind::Duplicate),
            "near_duplicate" => Some(SourceKind::NearDuplicate),
            _ => None,
        }
    }
}

/// One URL an article was seen at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleSource {
    /// The configured source id (`legacy` for imported files).
    pub source: String,
    pub url: String,
    pub kind: SourceKind,
    /// For duplicates: the filing the record came with and did not get, so nothing the
    /// caller said is lost (an imported file's own path and layout, for instance).
    pub offered_filing: Option<Filing>,
    pub first_seen: DateTime<Utc>,
}

/// Counts for `jujiao stats` and health pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStats {
    pub articles: u64,
    pub filings: u64,
    /// Superseded revisions kept (current content not counted).
    pub revisions: u64,
    /// Every URL recorded, primary or duplicate.
    pub urls: u64,
    /// URLs recorded as duplicates (exact or near) of an existing article.
    pub duplicate_sources: u64,
    pub list_pages: u64,
    pub runs: u64,
}

/// HTTP validators of a page (the model's type, the fetcher's too).
pub use jujiao_model::Validators;

/// A stored article page as a re-check sees it: when it was first stored, when it was
/// last fetched and what it answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPage {
    pub url: String,
    pub first_seen: DateTime<Utc>,
    /// The last fetch recorded with [`PageCheck`]; `None`: only the first one.
    pub checked_at: Option<DateTime<Utc>>,
    /// Validators of the last fetch, for a conditional GET.
    pub validators: Validators,
}

/// One fetch of a stored (or just stored) article page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCheck {
    pub url: String,
    pub checked_at: DateTime<Utc>,
    pub validators: Validators,
}

/// What one crawl of one source did, recorded when it finishes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunSummary {
    /// List pages fetched (including 304 Not Modified answers).
    pub list_pages: u64,
    /// Article pages fetched.
    pub article_pages: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    pub errors: u64,
    /// A few error messages as shown to the user (the store keeps what it is given).
    pub error_samples: Vec<String>,
    /// The health verdict in a word or a sentence (`ok`, `empty`, `failing: 5xx`).
    pub verdict: String,
}

/// One crawl run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: RunId,
    pub source_id: String,
    pub started_at: DateTime<Utc>,
    /// `None` while running, or when the run died before it could finish.
    pub finished_at: Option<DateTime<Utc>>,
    /// `None` until finished.
    pub summary: Option<RunSummary>,
}
