//! Which filings an export holds and in which order: [`collect`] pages through the
//! store (one query per chosen column, or one for all), [`ColumnOrder`] sorts them by
//! column, then date, then filing id.

use crate::ExportOptions;
use crate::error::Result;
use chrono::NaiveDate;
use jujiao_store::{FiledArticle, FilingId, FilingQuery, MAX_PAGE, Store};

/// The office's usual column order; other columns follow, sorted by name.
pub const DEFAULT_COLUMN_ORDER: [&str; 7] = [
    "领导活动",
    "通知公告",
    "国内新闻",
    "国际新闻",
    "北京新闻",
    "财经动态",
    "健康新闻",
];

/// A column order: listed columns first, in list order, then the others by name
/// (code-point order, which for Chinese names is stable but not pinyin order).
///
/// A nested column (`网络聚焦/国内新闻`) not listed itself takes the rank of its last
/// part, so it sorts with `国内新闻`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnOrder {
    listed: Vec<String>,
}

impl Default for ColumnOrder {
    fn default() -> Self {
        ColumnOrder::new(DEFAULT_COLUMN_ORDER)
    }
}

impl ColumnOrder {
    /// An order that lists `columns` first.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Self {
        ColumnOrder {
            listed: columns.into_iter().map(Into::into).collect(),
        }
    }

    /// The listed columns.
    pub fn listed(&self) -> &[String] {
        &self.listed
    }

    /// The rank of a column: its place in the list, or the list's length when unlisted.
    pub fn rank(&self, column: &str) -> usize {
        let find = |c: &str| self.listed.iter().position(|l| l == c);
        find(column)
            .or_else(|| column.rsplit_once('/').and_then(|(_, last)| find(last)))
            .unwrap_or(self.listed.len())
    }

    /// Sorts filings by column rank, column name, date (undated last), filing id.
    pub fn sort(&self, articles: &mut [FiledArticle]) {
        articles.sort_by_cached_key(|fa| {
            (
                self.rank(&fa.filing.column),
                fa.filing.column.clone(),
                fa.filing.date.is_none(),
                fa.filing.date,
                fa.filing_id,
            )
        });
    }
}

/// Every filing the options select, in export order. Undated filings are included
/// only when no date range is given (the store's rule).
pub async fn collect(store: &dyn Store, options: &ExportOptions) -> Result<Vec<FiledArticle>> {
    let mut all = Vec::new();
    let columns: Vec<Option<String>> = if options.columns.is_empty() {
        vec![None]
    } else {
        let mut cs = options.columns.clone();
        cs.sort();
        cs.dedup();
        cs.into_iter().map(Some).collect()
    };
    for column in columns {
        let base = FilingQuery {
            since: options.since,
            until: options.until,
            column,
            after: None,
            limit: MAX_PAGE,
        };
        let mut after: Option<FilingId> = None;
        loop {
            let query = FilingQuery {
                after,
                ..base.clone()
            };
            let page = store.filed_articles(&query).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.filing_id);
            all.extend(page);
        }
    }
    options.column_order.sort(&mut all);
    Ok(all)
}

/// The briefing's title: `每日简报 2026年11月27日`, or a range
/// `每日简报 2026年11月27日至2026年11月30日`. The days are the options' range where
/// given, else the first and last filing dates among `articles`.
pub fn briefing_title(options: &ExportOptions, articles: &[FiledArticle]) -> String {
    if let Some(t) = &options.title {
        return t.clone();
    }
    let dates = || articles.iter().filter_map(|fa| fa.filing.date);
    let first = options.since.or_else(|| dates().min());
    let last = options.until.or_else(|| dates().max());
    match (first, last) {
        (Some(a), Some(b)) if a == b => format!("每日简报 {}", chinese_date(a)),
        (Some(a), Some(b)) => format!("每日简报 {}至{}", chinese_date(a), chinese_date(b)),
        (Some(a), None) => format!("每日简报 {}起", chinese_date(a)),
        (None, Some(b)) => format!("每日简报 截至{}", chinese_date(b)),
        (None, None) => "每日简报".to_owned(),
    }
}

/// `2026年11月27日`.
pub fn chinese_date(d: NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_columns_first_then_by_name() {
        let o = ColumnOrder::default();
        assert_eq!(o.rank("领导活动"), 0);
        assert_eq!(o.rank("健康新闻"), 6);
        assert_eq!(o.rank("网络聚焦/国内新闻"), 2);
        assert_eq!(o.rank("专题"), 7);
        let custom = ColumnOrder::new(["专题"]);
        assert_eq!(custom.rank("专题"), 0);
        assert_eq!(custom.rank("领导活动"), 1);
    }

    #[test]
    fn titles_for_a_day_and_a_range() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day);
        let mut o = ExportOptions {
            since: d(11, 27),
            until: d(11, 27),
            ..ExportOptions::default()
        };
        assert_eq!(briefing_title(&o, &[]), "每日简报 2026年11月27日");
        o.until = d(11, 30);
        assert_eq!(
            briefing_title(&o, &[]),
            "每日简报 2026年11月27日至2026年11月30日"
        );
        o.title = Some("专报".into());
        assert_eq!(briefing_title(&o, &[]), "专报");
        assert_eq!(briefing_title(&ExportOptions::default(), &[]), "每日简报");
    }
}
