//! [`Filing`]: an article placed in a briefing column on a date.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An article placed in a column of the briefing on a date. An article is filed once;
/// the store refuses a second filing of the same article in the same column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    /// The briefing column, e.g. `领导活动`.
    pub column: String,
    /// The briefing day. `None` only for imported legacy files whose folder names no
    /// date (chapters of a book, page numbers of a speech archive).
    pub date: Option<NaiveDate>,
    /// For files imported from an old briefing tree: where and how they were written, so
    /// that publishing writes them back unchanged. `None` for everything jujiao collects,
    /// which is always written in the canonical form.
    pub legacy: Option<LegacyPlacement>,
}

/// Where and in which variant an imported legacy file was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyPlacement {
    /// Path relative to the tree's root, `/`-separated, e.g.
    /// `网络聚焦/国内新闻/10月15日/标题.txt`.
    pub rel_path: String,
    /// The file's layout as `jujiao-legacy` describes it (opaque to everything else).
    pub layout: serde_json::Value,
}
