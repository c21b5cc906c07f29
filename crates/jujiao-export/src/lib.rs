//! Briefing exports: office staff take a day's (or a range's) briefing out of the store
//! as one file.
//!
//! [`export`] reads the filings the [`ExportOptions`] select ([`collect`]: by date range
//! and columns, ordered by [`ColumnOrder`], then date, then filing id) and writes them
//! in one [`Format`]:
//!
//! - [`Format::Zip`] ([`tree`]): the legacy briefing tree, exactly the files
//!   `jujiao publish` writes, with UTF-8 entry names;
//! - [`Format::Xlsx`] ([`xlsx`]): an index sheet, one row per article;
//! - [`Format::Docx`] ([`docx`]): a Word briefing, columns as Heading 1, articles as
//!   Heading 2;
//! - [`Format::Md`] ([`markdown`]) and [`Format::Jsonl`] ([`jsonl`]).
//!
//! Every writer is also callable on its own with an already collected slice, so a web
//! handler can collect once and stream to a buffer.

pub mod briefing;
pub mod docx;
mod docx_images;
mod error;
mod files;
pub mod jsonl;
pub mod markdown;
mod select;
mod text;
pub mod tree;
pub mod xlsx;

pub use error::{ExportError, Result};
pub use files::ExportFiles;
pub use jujiao_legacy::{DateFolderStyle, FileNameMode};
pub use select::{ColumnOrder, DEFAULT_COLUMN_ORDER, briefing_title, chinese_date, collect};

use chrono::NaiveDate;
use jujiao_store::{FiledArticle, Store};
use std::fmt;
use std::io::{Seek, Write};
use std::path::Path;
use std::str::FromStr;

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The legacy briefing tree in a zip archive.
    Zip,
    /// An Excel index sheet.
    Xlsx,
    /// A Word briefing.
    Docx,
    /// Markdown.
    Md,
    /// JSON lines, one article per line.
    Jsonl,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 5] = [
        Format::Zip,
        Format::Xlsx,
        Format::Docx,
        Format::Md,
        Format::Jsonl,
    ];

    /// The name used on the command line, which is also the file extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Xlsx => "xlsx",
            Format::Docx => "docx",
            Format::Md => "md",
            Format::Jsonl => "jsonl",
        }
    }

    /// The file extension (without the dot).
    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// The media type for a download (`Content-Type`).
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Zip => "application/zip",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Md => "text/markdown; charset=utf-8",
            Format::Jsonl => "application/jsonl; charset=utf-8",
        }
    }

    /// The format a file name's extension names, if any (any case).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?;
        ext.parse().ok()
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = ExportError;

    /// `zip`, `xlsx`, `docx`, `md` (or `markdown`), `jsonl` (or `ndjson`), any case.
    fn from_str(s: &str) -> Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "zip" => Ok(Format::Zip),
            "xlsx" => Ok(Format::Xlsx),
            "docx" => Ok(Format::Docx),
            "md" | "markdown" => Ok(Format::Md),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            _ => Err(ExportError::UnknownFormat(s.to_owned())),
        }
    }
}

/// What to export and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// First briefing day, inclusive.
    pub since: Option<NaiveDate>,
    /// Last briefing day, inclusive.
    pub until: Option<NaiveDate>,
    /// Only these columns (exact names); empty for all.
    pub columns: Vec<String>,
    /// Date folders in the zip tree.
    pub date_style: DateFolderStyle,
    /// File names in the zip tree ([`FileNameMode::Portable`] by default: the office
    /// opens the archive on Windows).
    pub file_name_mode: FileNameMode,
    /// The order of columns in every format.
    pub column_order: ColumnOrder,
    /// The document title (docx, md, xlsx properties); `None` for
    /// [`briefing_title`]'s `每日简报 <date or range>`.
    pub title: Option<String>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            since: None,
            until: None,
            columns: Vec::new(),
            date_style: DateFolderStyle::default(),
            file_name_mode: FileNameMode::Portable,
            column_order: ColumnOrder::default(),
            title: None,
        }
    }
}

/// A file name for the export: `简报_2026-11-27.docx` for one day,
/// `简报_2026-11-27_2026-11-30.docx` for a range, `简报.docx` without dates (an open end
/// is left empty: `简报_2026-11-27_.docx`). For a download's `Content-Disposition`,
/// encode it as RFC 6266 / RFC 8187 `filename*=UTF-8''…`.
pub fn file_name(options: &ExportOptions, format: Format) -> String {
    let iso = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    let stem = match (iso(options.since), iso(options.until)) {
        (None, None) => "简报".to_owned(),
        (Some(a), Some(b)) if a == b => format!("简报_{a}"),
        (a, b) => format!("简报_{}_{}", a.unwrap_or_default(), b.unwrap_or_default()),
    };
    format!("{stem}.{}", format.extension())
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Articles written.
    pub articles: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Filings left out, with the reason (zip only: a recorded path that is unsafe or
    /// taken, as `jujiao publish` reports it).
    pub skipped: Vec<Skipped>,
}

/// A filing an export left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub filing_id: i64,
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filing {}: {}", self.filing_id, self.reason)
    }
}

/// Exports what `options` select from `store` to `out` in `format`. `out` is written
/// from its current position; the report counts the bytes from there.
pub async fn export<W: Write + Seek + Send>(
    store: &dyn Store,
    options: &ExportOptions,
    format: Format,
    out: W,
) -> Result<ExportReport> {
    let articles = collect(store, options).await?;
    write(&articles, options, format, out)
}

/// Like [`export`], with the articles' stored images and attachments (in the zip, and
/// the images in the Word briefing) when `files` names their folder.
pub async fn export_with_files<W: Write + Seek + Send>(
    store: &dyn Store,
    files: Option<&jujiao_media::FileStore>,
    options: &ExportOptions,
    format: Format,
    out: W,
) -> Result<ExportReport> {
    let articles = collect(store, options).await?;
    let files = match files {
        Some(f) if matches!(format, Format::Zip | Format::Docx) => {
            Some(ExportFiles::collect(store, f.clone(), &articles).await?)
        }
        _ => None,
    };
    write_with_files(&articles, files.as_ref(), options, format, out)
}

/// Writes already [`collect`]ed filings (in the order given) in `format`.
pub fn write<W: Write + Seek + Send>(
    articles: &[FiledArticle],
    options: &ExportOptions,
    format: Format,
    out: W,
) -> Result<ExportReport> {
    write_with_files(articles, None, options, format, out)
}

/// [`write`] with the articles' stored files ([`ExportFiles::collect`]).
pub fn write_with_files<W: Write + Seek + Send>(
    articles: &[FiledArticle],
    files: Option<&ExportFiles>,
    options: &ExportOptions,
    format: Format,
    mut out: W,
) -> Result<ExportReport> {
    let start = out
        .stream_position()
        .map_err(ExportError::write(format.name()))?;
    let mut report = match format {
        Format::Zip => tree::write(articles, files, options, &mut out)?,
        Format::Xlsx => xlsx::write(articles, options, &mut out)?,
        Format::Docx => docx::write(articles, files, options, &mut out)?,
        Format::Md => markdown::write(articles, options, &mut out)?,
        Format::Jsonl => jsonl::write(articles, &mut out)?,
    };
    let end = out
        .seek(std::io::SeekFrom::End(0))
        .map_err(ExportError::write(format.name()))?;
    report.bytes = end.saturating_sub(start);
    Ok(report)
}

/// Exports to a file: written beside `path` under a temporary name and renamed over it
/// when complete, so a failed or killed export never leaves a half-written file.
pub async fn export_to_path(
    store: &dyn Store,
    options: &ExportOptions,
    format: Format,
    path: &Path,
) -> Result<ExportReport> {
    export_to_path_with_files(store, None, options, format, path).await
}

/// [`export_to_path`] with the articles' stored images and attachments (see
/// [`export_with_files`]).
pub async fn export_to_path_with_files(
    store: &dyn Store,
    files: Option<&jujiao_media::FileStore>,
    options: &ExportOptions,
    format: Format,
    path: &Path,
) -> Result<ExportReport> {
    let articles = collect(store, options).await?;
    let files = match files {
        Some(f) if matches!(format, Format::Zip | Format::Docx) => {
            Some(ExportFiles::collect(store, f.clone(), &articles).await?)
        }
        _ => None,
    };
    let output = |source| ExportError::Output {
        path: path.to_owned(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| output(std::io::Error::other("not a file name")))?;
    let tmp = path.with_file_name(format!(
        ".{}.{}.jujiao-tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(output)?;
        let mut buffered = std::io::BufWriter::new(file);
        let report = write_with_files(&articles, files.as_ref(), options, format, &mut buffered)?;
        let file = buffered.into_inner().map_err(|e| output(e.into_error()))?;
        file.sync_all().map_err(output)?;
        std::fs::rename(&tmp, path).map_err(output)?;
        Ok(report)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().ok(), Some(f));
            assert_eq!(
                Format::from_path(Path::new(&format!("简报.{}", f.extension()))),
                Some(f)
            );
        }
        assert_eq!("Markdown".parse::<Format>().ok(), Some(Format::Md));
        assert!("pdf".parse::<Format>().is_err());
    }

    #[test]
    fn file_names_name_the_days() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day);
        let mut o = ExportOptions::default();
        assert_eq!(file_name(&o, Format::Zip), "简报.zip");
        o.since = d(27);
        assert_eq!(file_name(&o, Format::Md), "简报_2026-11-27_.md");
        o.until = d(27);
        assert_eq!(file_name(&o, Format::Docx), "简报_2026-11-27.docx");
        o.until = d(30);
        assert_eq!(
            file_name(&o, Format::Xlsx),
            "简报_2026-11-27_2026-11-30.xlsx"
        );
    }
}
