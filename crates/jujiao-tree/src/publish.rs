//! Store → briefing tree.
//!
//! One pass over the store's filings in filing-id order: each page of filings is placed
//! by a [`Placer`] (equal titles get their suffixes in a stable order), then rendered and
//! written atomically on all cores, skipping files that already hold the right bytes. A
//! crash at any instant leaves whole files only (plus temporary files, swept at the
//! start), and the next publish completes the tree.

use crate::{TreeError, error_chain};
use chrono::NaiveDate;
use jujiao_legacy::{
    DateFolderStyle, FileNameMode, Layout, LegacyDoc, Placer, PlanItem, Planner, WriteOutcome,
};
use jujiao_store::{FiledArticle, FilingQuery, Store};

/// Filings read (and held in memory) at once while publishing.
const PUBLISH_PAGE: u32 = 2_000;
use std::path::{Path, PathBuf};

/// What to publish and how.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    pub out: PathBuf,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub column: Option<String>,
    pub date_style: DateFolderStyle,
    pub mode: FileNameMode,
    /// Stored images and attachments, written beside their articles (`图片/`, `附件/`);
    /// `None`: text files only.
    pub files: Option<jujiao_media::FileStore>,
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
    /// Images and attachments written beside their articles (new or changed).
    pub files_written: usize,
    /// Images and attachments that were already in place.
    pub files_unchanged: usize,
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
    let mut placer = Placer::new(Planner::new(options.date_style, options.mode));
    let mut report = PublishReport::default();
    let mut query = FilingQuery {
        since: options.since,
        until: options.until,
        column: options.column.clone(),
        after: None,
        limit: PUBLISH_PAGE,
    };
    // Writing a page (on blocking threads) overlaps with reading the next one.
    let mut writing: Option<tokio::task::JoinHandle<PublishReport>> = None;
    loop {
        let page = store.filed_articles(&query).await;
        if let Some(w) = writing.take() {
            merge(&mut report, w.await.unwrap_or_else(|e| panicked(&e)));
        }
        let page = page?;
        let Some(last) = page.last() else {
            return Ok(report);
        };
        query.after = Some(last.filing_id);
        let mut jobs: Vec<(FiledArticle, String)> = Vec::with_capacity(page.len());
        for fa in page {
            match placer.place(&plan_item(&fa)) {
                Ok(p) => jobs.push((fa, p.rel_path)),
                Err(e) => report
                    .failed
                    .push((fa.filing_id.0, String::new(), error_chain(&e))),
            }
        }
        if let Some(files) = &options.files {
            for (fa, rel) in &jobs {
                let a = &fa.article;
                if a.images.is_empty() && a.attachments.is_empty() {
                    continue;
                }
                let (written, unchanged, failed) =
                    crate::files::publish_files(store, files, &options.out, fa.article_id, rel)
                        .await;
                report.files_written += written;
                report.files_unchanged += unchanged;
                for reason in failed {
                    report.failed.push((fa.filing_id.0, rel.clone(), reason));
                }
            }
        }
        let out = options.out.clone();
        writing = Some(tokio::task::spawn_blocking(move || {
            let mut part = PublishReport::default();
            write_all(&out, &jobs, &mut part);
            part
        }));
    }
}

fn merge(into: &mut PublishReport, part: PublishReport) {
    into.written += part.written;
    into.unchanged += part.unchanged;
    into.failed.extend(part.failed);
    into.files_written += part.files_written;
    into.files_unchanged += part.files_unchanged;
}

/// A write task that died: its files are reported failed by the next publish's check.
fn panicked(e: &tokio::task::JoinError) -> PublishReport {
    PublishReport {
        failed: vec![(0, String::new(), format!("a writer thread failed: {e}"))],
        ..PublishReport::default()
    }
}

/// One file's result: filing id, relative path, what happened.
type Written = (i64, String, Result<WriteOutcome, String>);

/// Renders and writes a page of placed filings, spread over the machine's cores.
fn write_all(out: &Path, jobs: &[(FiledArticle, String)], report: &mut PublishReport) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let chunk = jobs.len().div_ceil(threads).max(1);
    let results: Vec<Vec<Written>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(fa, rel)| {
                            let outcome = jujiao_legacy::join_under_root(out, rel)
                                .and_then(|path| {
                                    jujiao_legacy::write_briefing(&path, &render_filing(fa))
                                })
                                .map_err(|e| error_chain(&e));
                            (fa.filing_id.0, rel.clone(), outcome)
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (id, rel, outcome) in results.into_iter().flatten() {
        match outcome {
            Ok(WriteOutcome::Unchanged) => report.unchanged += 1,
            Ok(_) => report.written += 1,
            Err(e) => report.failed.push((id, rel, e)),
        }
    }
}

/// The text of the file a filing publishes as: an imported file goes back in its own
/// variant (its recorded layout), everything else in the canonical form. Shared with
/// the zip export so that both write exactly the same bytes.
pub fn render_filing(fa: &FiledArticle) -> String {
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

/// The [`PlanItem`] for a filing: what the [`Planner`] needs to give it a path (shared
/// with the zip export, which must place files exactly as publishing does).
pub fn plan_item(fa: &FiledArticle) -> PlanItem {
    PlanItem {
        filing_id: fa.filing_id.0,
        column: fa.filing.column.clone(),
        date: fa.filing.date,
        title: fa.article.title.clone(),
        recorded_path: fa.filing.legacy.as_ref().map(|l| l.rel_path.clone()),
    }
}
