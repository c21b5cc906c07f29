//! Chinese full-text search over jujiao's articles: a tantivy index beside the database.
//!
//! [`SearchIndex`] owns one tantivy index (on disk with [`SearchIndex::open`], or
//! [`SearchIndex::in_memory`] for tests). Articles go in as [`IndexDoc`]s —
//! [`IndexDoc::from_filed`] makes one from what the store returns — and are upserted by
//! article id; [`rebuild`] refills the index from a [`Store`](jujiao_store::Store). A
//! [`SearchQuery`] (the user's text plus exact filters, an [`Order`] and a page) answers
//! [`SearchResults`] whose [`Hit`]s carry titles and snippets as plain text with the byte
//! ranges that matched (drawn by [`marked_parts`] or [`marked_html`]).
//!
//! How Chinese is matched is described in the `tokenize` module (characters decide
//! whether an article matches, jieba words add score) and the query syntax in `query`:
//! spaces mean AND, quotes keep a phrase together, `-` excludes, `OR` offers
//! alternatives, and no input is ever an error.
//!
//! All calls are synchronous and may take a while (a rebuild, a big batch): async
//! callers should run them under `tokio::task::spawn_blocking` or similar.
//! [`SearchIndex`] is `Send + Sync`; share it in an `Arc`.

mod error;
mod highlight;
mod index;
pub mod matcher;
mod query;
mod rebuild;
mod schema;
mod tokenize;

pub use error::{Result, SearchError};
pub use highlight::{SNIPPET_CHARS, char_ranges, marked_html, marked_parts};
pub use index::{MAX_LIMIT, MAX_SEARCH_THREADS, OpenState, SearchIndex, WRITER_MEMORY};
pub use matcher::{MatchText, QuerySet, TextScope};
pub use query::TITLE_BOOST;
pub use rebuild::{RebuildReport, attachments_text, index_dir_for_db, rebuild};
pub use schema::SCHEMA_VERSION;

use chrono::NaiveDate;
use std::ops::Range;

/// One article as the index sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexDoc {
    /// The store's article id; indexing the same id again replaces the article.
    pub article_id: i64,
    pub title: String,
    /// The cleaned body text (`Article::body`).
    pub body: String,
    /// The briefing column it is filed in.
    pub column: String,
    /// The configured source id that delivered it.
    pub source: String,
    /// The briefing day, `None` for undated legacy filings.
    pub date: Option<NaiveDate>,
    pub url: String,
    /// Text extracted from attachments (searchable, not shown in snippets).
    pub attachments_text: Option<String>,
    /// The 政府信息公开 table: its 发文字号 and 索引号 are searchable (not shown in
    /// snippets), its issuer and validity are exact filters.
    pub disclosure: Option<jujiao_model::Disclosure>,
}

/// In which order hits come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Best match first (title matches count [`TITLE_BOOST`] times a body match).
    #[default]
    Relevance,
    /// Latest briefing day first (then highest article id), undated articles last.
    Newest,
}

/// A search: the user's text and exact filters, all of which must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// What the user typed; empty lists everything the filters let through.
    pub text: String,
    /// Only this column (exact).
    pub column: Option<String>,
    /// Only this source id (exact).
    pub source: Option<String>,
    /// First briefing day, inclusive. Any date bound excludes undated articles.
    pub since: Option<NaiveDate>,
    /// Last briefing day, inclusive.
    pub until: Option<NaiveDate>,
    /// Only documents of this issuer (发文机关 / 发布机构, exact).
    pub issuer: Option<String>,
    /// Only documents of this validity (有效性, exact: `现行有效`, `失效`, `废止`).
    pub validity: Option<String>,
    pub order: Order,
    /// Hits to skip (paging).
    pub offset: usize,
    /// Hits to return, capped at [`MAX_LIMIT`].
    pub limit: usize,
}

impl SearchQuery {
    /// The first 20 hits for `text` by relevance, unfiltered.
    pub fn new(text: impl Into<String>) -> Self {
        SearchQuery {
            text: text.into(),
            column: None,
            source: None,
            since: None,
            until: None,
            issuer: None,
            validity: None,
            order: Order::Relevance,
            offset: 0,
            limit: 20,
        }
    }
}

/// One page of hits and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// Articles matching, over all pages.
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Where the time went (for the web app's `Server-Timing` header and benchmarks).
    pub timing: SearchTiming,
}

/// Where the time of one [`SearchIndex::search`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchTiming {
    /// Finding, counting and ranking the matching articles (excluded terms included).
    pub matching: std::time::Duration,
    /// Reading the shown page's stored articles and highlighting their titles and
    /// snippets.
    pub hits: std::time::Duration,
}

/// One matching article.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub article_id: i64,
    pub title: String,
    /// Byte ranges of `title` that matched the query (sorted, not overlapping).
    pub title_marks: Vec<Range<usize>>,
    /// About [`SNIPPET_CHARS`] characters of the body around the matches, plain text,
    /// `…` where cut, line breaks as spaces.
    pub snippet: String,
    /// Byte ranges of `snippet` that matched the query (sorted, not overlapping).
    pub snippet_marks: Vec<Range<usize>>,
    pub column: String,
    pub source: String,
    pub date: Option<NaiveDate>,
    pub url: String,
    /// Relevance (BM25 plus boosts); comparable only within one result list.
    pub score: f32,
}
