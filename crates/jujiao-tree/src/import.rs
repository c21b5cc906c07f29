//! Old briefing tree → store.

use crate::{TreeError, error_chain};
use chrono::{Datelike, Utc};
use jujiao_legacy::Error as LegacyError;
use jujiao_model::{Article, Filing, LegacyPlacement};
use jujiao_store::{ArticleRecord, RecordOutcome, Store};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use walkdir::WalkDir;

/// Source id given to imported articles.
pub const LEGACY_SOURCE: &str = "legacy";
/// Records per store transaction.
const BATCH: usize = 1000;
/// An empty zip archive is exactly its 22-byte end-of-central-directory record.
const EMPTY_ZIP_BYTES: u64 = 22;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The year of `MM月DD日` date folders; by default each file's modification year.
    pub year: Option<i32>,
    /// Where to store the images and attachments found beside articles (`图片/`,
    /// `附件/`); `None`: they are left alone.
    pub files: Option<jujiao_media::FileStore>,
}

/// What happened to one file of the tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FileOutcome {
    /// A new article, filed.
    Added,
    /// The same title and text as a file already stored: one article with it, and a
    /// filing of its own, so that publishing writes this file back in its place with
    /// its own bytes.
    Duplicate { of: String },
    /// Imported before with the same content (importing a tree twice adds nothing).
    AlreadyImported,
    /// Imported before, content changed since: stored as a new revision.
    Updated,
    /// Not imported, with the reason.
    Rejected { reason: String },
    /// Not a briefing text file (images, newspaper zips): left alone.
    Skipped { reason: String },
}

/// The import's summary: one entry per file, in walk order.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub files: Vec<(String, FileOutcome)>,
}

impl ImportReport {
    fn count(&self, pred: impl Fn(&FileOutcome) -> bool) -> usize {
        self.files.iter().filter(|(_, o)| pred(o)).count()
    }
    /// Text files read (everything but skipped files).
    pub fn read(&self) -> usize {
        self.count(|o| !matches!(o, FileOutcome::Skipped { .. }))
    }
    pub fn added(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Added))
    }
    pub fn duplicates(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Duplicate { .. }))
    }
    pub fn already_imported(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::AlreadyImported))
    }
    pub fn updated(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Updated))
    }
    pub fn rejected(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Rejected { .. }))
    }
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Skipped { .. }))
    }
}

/// Imports every file below `root` into `store`. A bad file is reported in the result
/// and the import goes on; only an unusable root or a failing store stops it.
pub async fn import(
    store: &dyn Store,
    root: &Path,
    options: &ImportOptions,
) -> Result<ImportReport, TreeError> {
    if !root.is_dir() {
        return Err(TreeError::NotADirectory {
            path: root.to_owned(),
        });
    }
    let mut report = ImportReport::default();
    let mut pending: Vec<(usize, ArticleRecord)> = Vec::with_capacity(BATCH);
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1);
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(Path::to_owned).unwrap_or_else(|| root.into());
                if e.io_error().is_some() && path != root {
                    report.files.push((
                        rel_of(root, &path),
                        FileOutcome::Rejected {
                            reason: format!("cannot read: {e}"),
                        },
                    ));
                    continue;
                }
                return Err(TreeError::Walk { path, source: e });
            }
        };
        let path = entry.path();
        let rel = rel_of(root, path);
        let ft = entry.file_type();
        if ft.is_dir() {
            if let Some(reason) = misnamed_dir(path) {
                report.files.push((rel, FileOutcome::Rejected { reason }));
            }
            continue;
        }
        if ft.is_symlink() {
            report.files.push((
                rel,
                FileOutcome::Skipped {
                    reason: "symbolic link, not followed".into(),
                },
            ));
            continue;
        }
        if crate::files::is_article_file(&rel) {
            report.files.push((
                rel,
                FileOutcome::Skipped {
                    reason: "image or attachment of an article: imported with it".into(),
                },
            ));
            continue;
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("txt") => {}
            Some("zip") => {
                let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
                let outcome = if len <= EMPTY_ZIP_BYTES {
                    FileOutcome::Rejected {
                        reason: format!("empty zip archive ({len} bytes)"),
                    }
                } else {
                    FileOutcome::Skipped {
                        reason: "newspaper archive: editions are collected by edition sources"
                            .into(),
                    }
                };
                report.files.push((rel, outcome));
                continue;
            }
            _ => {
                report.files.push((
                    rel,
                    FileOutcome::Skipped {
                        reason: "not a briefing text file".into(),
                    },
                ));
                continue;
            }
        }
        match read_one(root, path, &rel, options) {
            Ok(record) => {
                report.files.push((rel, FileOutcome::Added));
                pending.push((report.files.len() - 1, record));
                if pending.len() >= BATCH {
                    flush(store, root, options, &mut pending, &mut report).await?;
                }
            }
            Err(reason) => report.files.push((rel, FileOutcome::Rejected { reason })),
        }
    }
    flush(store, root, options, &mut pending, &mut report).await?;
    Ok(report)
}

/// Reads one text file into the record to store, or says why not.
fn read_one(
    root: &Path,
    path: &Path,
    rel: &str,
    options: &ImportOptions,
) -> Result<ArticleRecord, String> {
    let bytes = jujiao_legacy::read_bytes(path).map_err(|e| reason_of(&e))?;
    let year = options.year.or_else(|| modified_year(path));
    let imported = jujiao_legacy::import(rel, &bytes, year).map_err(|e| reason_of(&e))?;
    let doc = imported.doc;
    if doc.title.trim().is_empty() {
        return Err("no title".into());
    }
    let (images, attachments) = if options.files.is_some() {
        crate::files::legacy_files(root, rel)
    } else {
        (Vec::new(), Vec::new())
    };
    let article = Article {
        source: LEGACY_SOURCE.into(),
        url: format!("legacy:{rel}"),
        title: doc.title.clone(),
        paragraphs: doc.model_paragraphs(),
        images,
        attachments,
        fetched_at: Some(Utc::now()),
        ..Article::default()
    };
    let filing = Filing {
        column: imported.path.column.clone(),
        date: imported.path.date,
        legacy: Some(LegacyPlacement {
            rel_path: rel.to_owned(),
            layout: doc.layout.to_json(),
        }),
    };
    Ok(ArticleRecord { article, filing })
}

async fn flush(
    store: &dyn Store,
    root: &Path,
    options: &ImportOptions,
    pending: &mut Vec<(usize, ArticleRecord)>,
    report: &mut ImportReport,
) -> Result<(), TreeError> {
    if pending.is_empty() {
        return Ok(());
    }
    let records: Vec<ArticleRecord> = pending.iter().map(|(_, r)| r.clone()).collect();
    let outcomes = store.record_articles(&records).await?;
    if let Some(files) = &options.files {
        for (record, outcome) in records.iter().zip(&outcomes) {
            let a = &record.article;
            let is_new = matches!(
                outcome,
                RecordOutcome::Added { .. } | RecordOutcome::Revised { .. }
            );
            if is_new && !(a.images.is_empty() && a.attachments.is_empty()) {
                for (rel, reason) in crate::files::import_files(
                    store,
                    files,
                    root,
                    outcome.article_id(),
                    &a.images,
                    &a.attachments,
                )
                .await
                {
                    report.files.push((
                        rel,
                        FileOutcome::Rejected {
                            reason: format!("image or attachment not imported: {reason}"),
                        },
                    ));
                }
            }
        }
    }
    for ((index, _), outcome) in pending.drain(..).zip(outcomes) {
        report.files[index].1 = match outcome {
            RecordOutcome::Added { .. } => FileOutcome::Added,
            RecordOutcome::Unchanged { .. } => FileOutcome::AlreadyImported,
            RecordOutcome::Revised { .. } => FileOutcome::Updated,
            RecordOutcome::Duplicate { existing, .. } => FileOutcome::Duplicate {
                of: existing.legacy_path.unwrap_or_else(|| {
                    format!(
                        "{} {}",
                        existing.column,
                        existing.date.map(|d| d.to_string()).unwrap_or_default()
                    )
                }),
            },
            other => FileOutcome::Rejected {
                reason: format!("unexpected store outcome {other:?}"),
            },
        };
    }
    Ok(())
}

/// The message for a rejected file, without the path (the report carries it).
fn reason_of(e: &LegacyError) -> String {
    match e {
        LegacyError::Rejected { reason, .. } => reason.to_string(),
        LegacyError::TooLarge { size, limit, .. } => {
            format!("too large for a briefing file ({size} bytes, limit {limit})")
        }
        LegacyError::NotAFile { .. } => "not a regular file".into(),
        LegacyError::BadPath { reason, .. } => format!("unusable path: {reason}"),
        other => error_chain(other),
    }
}

/// A directory named `*.txt` is a file-shaped directory: fine when it holds the file of
/// its own name (an old layout), an error to report otherwise.
fn misnamed_dir(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    if !name.to_ascii_lowercase().ends_with(".txt") || path.join(name).is_file() {
        return None;
    }
    Some("a directory named like a briefing file (expected a file)".into())
}

fn modified_year(path: &Path) -> Option<i32> {
    let modified: SystemTime = std::fs::metadata(path).ok()?.modified().ok()?;
    let utc: chrono::DateTime<Utc> = modified.into();
    Some(utc.with_timezone(&jujiao_model::shanghai()).year())
}

fn rel_of(root: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(root).unwrap_or(path).to_owned();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
