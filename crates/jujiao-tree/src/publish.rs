//! Store → briefing tree.
//!
//! Two passes over the store: the first collects every filing's place (title, column,
//! date, recorded path) so that the [`Planner`] can give equal titles their suffixes in a
//! stable order; the second renders and writes each file atomically, skipping files that
//! already hold the right bytes. A crash at any instant leaves whole files only, and the
//! next publish completes the tree.

use crate::TreeError;
use chrono::NaiveDate;
use jujiao_legacy::{
    DateFolderStyle, FileNameMode, Layout, LegacyDoc, PlanItem, Planner, WriteOutcome,
};
use jujiao_store::{FiledArticle, FilingId, FilingQuery, MAX_PAGE, Store};
use std::collections::HashMap;
use std::path::PathBuf;

/// What to publish and how.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    pub out: PathBuf,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub column: Option<String>,
    pub date_style: DateFolderStyle,
    pub mode: FileNameMode,
}

/// What publishing did.
#[derive(Debug, Default)]
pub struct PublishReport {
    /// Files written (new or changed).
    pub written: usize,
    /// Files that already held exactly these bytes.
    pub unchanged: usize,
    /// Filings that could not be written: (filing id, relative path if known, reason).
    pub failed: Vec<(i64, String, String)>,
}

impl PublishReport {
    pub fn total(&self) -> usize {
        self.written + self.unchanged + self.failed.len()
    }
}

/// Writes every filing the options select under `options.out`.
pub async fn publish(
    store: &dyn Store,
    options: &PublishOptions,
) -> Result<PublishReport, TreeError> {
    std::fs::create_dir_all(&options.out).map_err(|source| TreeError::Output {
        path: options.out.clone(),
        source,
    })?;
    let swept = jujiao_legacy::sweep_temp_files(&options.out);
    if swept > 0 {
        tracing::info!(swept, out = %options.out.display(), "removed temporary files a killed run left");
    }
    let base = FilingQuery {
        since: options.since,
        until: options.until,
        column: options.column.clone(),
        after: None,
        limit: MAX_PAGE,
    };

    let mut items = Vec::new();
    for_each_page(store, &base, |page| {
        items.extend(page.iter().map(plan_item));
    })
    .await?;
    let planner = Planner::new(options.date_style, options.mode);
    let mut report = PublishReport::default();
    let mut places: HashMap<i64, String> = HashMap::with_capacity(items.len());
    for (item, planned) in items.iter().zip(planner.plan(&items)) {
        match planned {
            Ok(p) => {
                places.insert(p.filing_id, p.rel_path);
            }
            Err(e) => report
                .failed
                .push((item.filing_id, String::new(), e.to_string())),
        }
    }

    for_each_page(store, &base, |page| {
        for fa in page {
            let Some(rel) = places.get(&fa.filing_id.0) else {
                continue;
            };
            let bytes = render(fa);
            let outcome = jujiao_legacy::join_under_root(&options.out, rel)
                .and_then(|path| jujiao_legacy::write_atomic(&path, bytes.as_bytes()));
            match outcome {
                Ok(WriteOutcome::Unchanged) => report.unchanged += 1,
                Ok(_) => report.written += 1,
                Err(e) => report
                    .failed
                    .push((fa.filing_id.0, rel.clone(), error_chain(&e))),
            }
        }
    })
    .await?;
    Ok(report)
}

/// An imported file goes back in its own variant; everything else is canonical.
fn render(fa: &FiledArticle) -> String {
    let paragraphs: Vec<String> = fa
        .article
        .paragraphs
        .iter()
        .map(|p| p.raw.clone())
        .collect();
    let layout = fa
        .filing
        .legacy
        .as_ref()
        .and_then(|l| Layout::from_json(&l.layout).ok());
    match layout {
        Some(layout) => jujiao_legacy::render(&LegacyDoc {
            title: fa.article.title.clone(),
            image_markers: layout_images(&layout),
            paragraphs,
            layout,
        }),
        None => jujiao_legacy::render_canonical(&fa.article.title, &paragraphs),
    }
}

fn layout_images(layout: &Layout) -> usize {
    layout.markers.iter().map(|m| m.images()).sum()
}

fn plan_item(fa: &FiledArticle) -> PlanItem {
    PlanItem {
        filing_id: fa.filing_id.0,
        column: fa.filing.column.clone(),
        date: fa.filing.date,
        title: fa.article.title.clone(),
        recorded_path: fa.filing.legacy.as_ref().map(|l| l.rel_path.clone()),
    }
}

async fn for_each_page(
    store: &dyn Store,
    base: &FilingQuery,
    mut f: impl FnMut(&[FiledArticle]),
) -> Result<(), TreeError> {
    let mut after: Option<FilingId> = None;
    loop {
        let query = FilingQuery {
            after,
            ..base.clone()
        };
        let page = store.filed_articles(&query).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some(last.filing_id);
        f(&page);
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
