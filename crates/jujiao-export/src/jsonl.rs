//! [`Format::Jsonl`](crate::Format::Jsonl): one JSON object per line, per article, in
//! export order:
//!
//! ```json
//! {"url":"…","source":"…","column":"国内新闻","title":"…","publish_time":"2026-11-27T09:30:00+08:00",
//!  "author":null,"origin":"人民日报","editor":null,"body":"第一段\n第二段","filed_date":"2026-11-27",
//!  "images":[{"url":"…","alt":null}],"attachments":[{"url":"…","name":"…","kind":"pdf"}]}
//! ```
//!
//! `publish_time` is [`PublishTime::to_iso`](jujiao_model::PublishTime::to_iso) (a day
//! alone when only the day is known); `body` is the cleaned paragraphs joined by `\n`;
//! absent values are `null`. Articles with a 政府信息公开 table add `"disclosure":
//! {"index_no","topic","issuer","written_on","doc_number","published_on","validity",
//! "method"}` (fields the page does not give are left out).

use crate::ExportReport;
use crate::error::{ExportError, Result};
use jujiao_model::{Attachment, Disclosure, Image};
use jujiao_store::FiledArticle;
use serde::Serialize;
use std::io::Write;

/// One line of the export.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    pub url: &'a str,
    pub source: &'a str,
    pub column: &'a str,
    pub title: &'a str,
    pub publish_time: Option<String>,
    pub author: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub editor: Option<&'a str>,
    pub body: String,
    pub filed_date: Option<String>,
    pub images: &'a [Image],
    pub attachments: &'a [Attachment],
    /// The 政府信息公开 table, only on articles that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<&'a Disclosure>,
}

impl<'a> Line<'a> {
    /// The line for a filing.
    pub fn of(fa: &'a FiledArticle) -> Line<'a> {
        let a = &fa.article;
        Line {
            url: &a.url,
            source: &a.source,
            column: &fa.filing.column,
            title: &a.title,
            publish_time: a.published.map(|t| t.to_iso()),
            author: a.author.as_deref(),
            origin: a.origin.as_deref(),
            editor: a.editor.as_deref(),
            body: a.body(),
            filed_date: fa.filing.date.map(|d| d.format("%Y-%m-%d").to_string()),
            images: &a.images,
            attachments: &a.attachments,
            disclosure: a.disclosure.as_ref(),
        }
    }
}

/// Writes one line per article.
pub fn write<W: Write>(articles: &[FiledArticle], out: W) -> Result<ExportReport> {
    let mut out = std::io::BufWriter::new(out);
    for fa in articles {
        serde_json::to_writer(&mut out, &Line::of(fa))?;
        out.write_all(b"\n").map_err(ExportError::write("jsonl"))?;
    }
    out.flush().map_err(ExportError::write("jsonl"))?;
    Ok(ExportReport {
        articles: articles.len(),
        ..ExportReport::default()
    })
}
