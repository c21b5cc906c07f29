//! [`Format::Zip`](crate::Format::Zip): the legacy briefing tree in a zip archive —
//! exactly the files `jujiao publish` writes for the same filings, at the same paths,
//! with the same bytes: it places filings with a [`Placer`] in filing-id order and
//! renders them with [`jujiao_tree::render_filing`], as publishing does.
//!
//! Entry names are UTF-8 and flagged so (general purpose bit 11, APPNOTE 4.4.4), which
//! Windows 10+ Explorer and 7-Zip honour; without the flag they would read the names as
//! the OEM code page and show mojibake. File names are made safe by the options'
//! [`FileNameMode`](jujiao_legacy::FileNameMode) (portable by default). Entries are
//! deflated and dated with the article's fetch time (Shanghai time), else the briefing
//! day, so the same store exports the same bytes. Stored images and attachments go
//! where `jujiao publish` files them ([`jujiao_tree::files_folder`]).

use crate::error::Result;
use crate::{ExportOptions, ExportReport, Skipped};
use chrono::{Datelike, NaiveDateTime, Timelike};
use jujiao_legacy::{Placer, Planner};
use jujiao_model::shanghai;
use jujiao_store::FiledArticle;
use std::collections::HashMap;
use std::io::{Seek, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Writes the tree of `articles` (entries in the order given) as a zip archive.
pub fn write<W: Write + Seek>(
    articles: &[FiledArticle],
    files: Option<&crate::ExportFiles>,
    options: &ExportOptions,
    out: W,
) -> Result<ExportReport> {
    // Placed in filing-id order, as `jujiao publish` places them, so equal titles get
    // the same suffixes; written in export order.
    let mut by_id: Vec<&FiledArticle> = articles.iter().collect();
    by_id.sort_by_key(|fa| fa.filing_id);
    let mut placer = Placer::new(Planner::new(options.date_style, options.file_name_mode));
    let mut report = ExportReport::default();
    let mut places: HashMap<i64, String> = HashMap::with_capacity(articles.len());
    for fa in by_id {
        match placer.place(&jujiao_tree::plan_item(fa)) {
            Ok(p) => {
                places.insert(p.filing_id, p.rel_path);
            }
            Err(e) => report.skipped.push(Skipped {
                filing_id: fa.filing_id.0,
                reason: e.to_string(),
            }),
        }
    }
    let mut zip = ZipWriter::new(out);
    let base = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for fa in articles {
        let Some(rel) = places.get(&fa.filing_id.0) else {
            continue;
        };
        let entry = base.last_modified_time(entry_time(fa));
        zip.start_file(rel.as_str(), entry)?;
        zip.write_all(jujiao_tree::render_filing(fa).as_bytes())
            .map_err(crate::ExportError::write("zip"))?;
        report.articles += 1;
        let Some(files) = files else {
            continue;
        };
        let folder = jujiao_tree::files_folder(rel);
        for stored in files.of(fa.article_id.0) {
            let sub = match stored.file.role {
                jujiao_store::FileRole::Image => jujiao_tree::IMAGES_DIR,
                jujiao_store::FileRole::Attachment => jujiao_tree::ATTACHMENTS_DIR,
            };
            let bytes = match files.read(stored) {
                Ok(b) => b,
                Err(e) => {
                    report.skipped.push(Skipped {
                        filing_id: fa.filing_id.0,
                        reason: format!("{}: stored file unreadable: {e}", stored.file.name),
                    });
                    continue;
                }
            };
            zip.start_file(format!("{folder}/{sub}/{}", stored.file.name), entry)?;
            zip.write_all(&bytes)
                .map_err(crate::ExportError::write("zip"))?;
        }
    }
    zip.finish()?;
    Ok(report)
}

/// The entry's modification time: when the article was fetched, in Shanghai time, else
/// the briefing day at midnight, else the zip epoch (1980-01-01).
fn entry_time(fa: &FiledArticle) -> zip::DateTime {
    let local: Option<NaiveDateTime> = fa
        .article
        .fetched_at
        .map(|t| t.with_timezone(&shanghai()).naive_local())
        .or_else(|| fa.filing.date.and_then(|d| d.and_hms_opt(0, 0, 0)));
    local
        .and_then(|t| {
            let narrow = |v: u32| u8::try_from(v).ok();
            zip::DateTime::from_date_and_time(
                u16::try_from(t.year()).ok()?,
                narrow(t.month())?,
                narrow(t.day())?,
                narrow(t.hour())?,
                narrow(t.minute())?,
                narrow(t.second())?,
            )
            .ok()
        })
        .unwrap_or_default()
}
