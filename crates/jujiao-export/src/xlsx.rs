//! [`Format::Xlsx`](crate::Format::Xlsx): an index of the briefing, one row per article
//! in export order, on one sheet named `简报`.
//!
//! | 标题 | 栏目 | 来源 | 日期 | 作者 | 链接 |
//!
//! The header row is bold and frozen and carries an autofilter; 日期 is a real date
//! (`yyyy-mm-dd`): the publish day in Shanghai time, else the briefing day; 链接 is a
//! clickable hyperlink for web URLs (plain text past Excel's limits: 2,080 characters a
//! URL, 65,530 links a sheet). 来源 is the origin outlet the page names. Printed, the
//! sheet is A4 landscape, one page wide, with the header row on every page.
//!
//! When any exported article has a 政府信息公开 table, five more columns follow:
//! | 发文字号 | 发文机关 | 成文日期 | 有效性 | 索引号 |

use crate::error::{ExportError, Result};
use crate::{ExportOptions, ExportReport, briefing_title};
use chrono::{Datelike, NaiveDate};
use jujiao_store::FiledArticle;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatBorder, Url, Workbook, Worksheet,
};
use std::io::{Seek, Write};

/// The header row, in column order.
pub const HEADERS: [&str; 6] = ["标题", "栏目", "来源", "日期", "作者", "链接"];
/// The columns added when an article has a disclosure table.
pub const DISCLOSURE_HEADERS: [&str; 5] = ["发文字号", "发文机关", "成文日期", "有效性", "索引号"];
const DISCLOSURE_WIDTHS: [f64; 5] = [22.0, 24.0, 12.0, 10.0, 28.0];
/// Column widths in Excel's character units (a CJK character counts about 2).
const WIDTHS: [f64; 6] = [60.0, 14.0, 16.0, 12.0, 16.0, 50.0];
/// Excel's limit on hyperlinks in one worksheet.
const MAX_LINKS: usize = 65_530;
/// Excel's limit on a hyperlink's length, in characters.
const MAX_URL_CHARS: usize = 2_080;
/// The sheet's name.
pub const SHEET_NAME: &str = "简报";

/// Writes the index workbook.
pub fn write<W: Write + Seek + Send>(
    articles: &[FiledArticle],
    options: &ExportOptions,
    out: W,
) -> Result<ExportReport> {
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(briefing_title(options, articles))
            .set_author("jujiao"),
    );
    let sheet = workbook.add_worksheet();
    fill(sheet, articles)?;
    workbook.save_to_writer(out)?;
    Ok(ExportReport {
        articles: articles.len(),
        ..ExportReport::default()
    })
}

fn fill(sheet: &mut Worksheet, articles: &[FiledArticle]) -> Result<()> {
    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin)
        .set_background_color(0xDDEBF7);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    sheet.set_name(SHEET_NAME)?;
    for (col, (name, width)) in (0u16..).zip(HEADERS.iter().zip(WIDTHS)) {
        sheet.write_string_with_format(0, col, *name, &header)?;
        sheet.set_column_width(col, width)?;
    }
    let has_disclosure = articles.iter().any(|fa| fa.article.disclosure.is_some());
    if has_disclosure {
        for (col, (name, width)) in (6u16..).zip(DISCLOSURE_HEADERS.iter().zip(DISCLOSURE_WIDTHS)) {
            sheet.write_string_with_format(0, col, *name, &header)?;
            sheet.set_column_width(col, width)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    // Printed: A4 landscape, one page wide, the header on every page.
    sheet
        .set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    let mut links = 0usize;
    for (i, fa) in articles.iter().enumerate() {
        let row = u32::try_from(i + 1)
            .map_err(|_| ExportError::Xlsx(rust_xlsxwriter::XlsxError::RowColumnLimitError))?;
        let a = &fa.article;
        sheet.write_string(row, 0, &a.title)?;
        sheet.write_string(row, 1, &fa.filing.column)?;
        if let Some(o) = &a.origin {
            sheet.write_string(row, 2, o)?;
        }
        let day = a.published.map(|t| t.date()).or(fa.filing.date);
        if let Some(d) = day.and_then(excel_date) {
            sheet.write_datetime_with_format(row, 3, &d, &date)?;
        }
        if let Some(au) = &a.author {
            sheet.write_string(row, 4, au)?;
        }
        let is_web = a.url.starts_with("http://") || a.url.starts_with("https://");
        if is_web && links < MAX_LINKS && a.url.chars().count() <= MAX_URL_CHARS {
            sheet.write_url(row, 5, Url::new(a.url.as_str()))?;
            links += 1;
        } else {
            sheet.write_string(row, 5, &a.url)?;
        }
        if let Some(d) = &a.disclosure {
            for (col, value) in [
                (6, &d.doc_number),
                (7, &d.issuer),
                (9, &d.validity),
                (10, &d.index_no),
            ] {
                if let Some(v) = value {
                    sheet.write_string(row, col, v)?;
                }
            }
            if let Some(day) = d.written_on.and_then(excel_date) {
                sheet.write_datetime_with_format(row, 8, &day, &date)?;
            }
        }
    }
    let last_row = u32::try_from(articles.len()).unwrap_or(u32::MAX);
    sheet.autofilter(0, 0, last_row, if has_disclosure { 10 } else { 5 })?;
    Ok(())
}

/// A day as Excel stores it (Excel knows 1900-01-01 to 9999-12-31).
fn excel_date(d: NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(d.year()).ok()?;
    let narrow = |v: u32| u8::try_from(v).ok();
    ExcelDateTime::from_ymd(year, narrow(d.month())?, narrow(d.day())?).ok()
}
