//! Attachments-as-article: a list item whose target is a file (a portal's "download the
//! notice as PDF/ZIP") is filed as an article titled from the list item, with the file
//! in its `attachments`.
//!
//! The body is the file's own text (`jujiao_media::text`: PDF text layer, DOCX, XLSX);
//! failing that, the list item's summary when the list gives one (JSON APIs, feeds);
//! otherwise it stays empty and the report carries a warning. The file itself is kept
//! by the media collector, like every attachment of a recorded article.

use crate::pipeline::{Candidate, Failure, Prepared};
use chrono::Utc;
use jujiao_fetch::FetchResponse;
use jujiao_model::{Attachment, AttachmentKind, Filing, Paragraph, PublishTime};
use jujiao_store::{ArticleRecord, TextStatus};

/// Non-empty trimmed lines of `text`, as paragraphs.
fn to_paragraphs(text: &str) -> Vec<Paragraph> {
    text.split('\n')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Paragraph::new)
        .collect()
}

/// The kind of file a response is, if it is a file rather than a page: its bytes as
/// `jujiao_media::sniff` reads them first (servers label files `text/html` or
/// `application/octet-stream`), then the `Content-Type`, then the URL's extension for
/// generic types.
pub(crate) fn file_kind(response: &FetchResponse) -> Option<AttachmentKind> {
    use jujiao_media::sniff;
    let ext = extension(response.url.path());
    let by_ext = ext.as_deref().and_then(AttachmentKind::from_extension);
    match sniff::sniff(&response.body) {
        sniff::PDF => return Some(AttachmentKind::Pdf),
        sniff::DOCX => return Some(AttachmentKind::Docx),
        sniff::XLSX => return Some(AttachmentKind::Xlsx),
        sniff::OFD => return Some(AttachmentKind::Ofd),
        // A ZIP whose parts were not read: the link names the container's kind.
        sniff::ZIP => {
            return Some(match by_ext {
                Some(k @ (AttachmentKind::Docx | AttachmentKind::Xlsx | AttachmentKind::Ofd)) => k,
                _ => AttachmentKind::Zip,
            });
        }
        // OLE compound file: .doc, .xls or .wps, told apart by the link only.
        sniff::OLE => {
            return Some(match by_ext {
                Some(k @ (AttachmentKind::Xls | AttachmentKind::Wps)) => k,
                _ => AttachmentKind::Doc,
            });
        }
        sniff::RAR => return Some(AttachmentKind::Rar),
        _ => {}
    }
    let ct = response.content_type.as_deref()?.to_ascii_lowercase();
    let ct = ct.split(';').next().unwrap_or_default().trim().to_owned();
    match ct.as_str() {
        "application/pdf" => Some(AttachmentKind::Pdf),
        "application/zip" | "application/x-zip-compressed" => Some(AttachmentKind::Zip),
        "application/msword" => Some(AttachmentKind::Doc),
        "application/vnd.ms-excel" => Some(AttachmentKind::Xls),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            Some(AttachmentKind::Docx)
        }
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
            Some(AttachmentKind::Xlsx)
        }
        "application/x-rar-compressed" | "application/vnd.rar" => Some(AttachmentKind::Rar),
        "application/octet-stream" | "application/x-download" | "application/force-download" => {
            by_ext
        }
        _ => None,
    }
}

fn extension(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    let (_, ext) = name.rsplit_once('.')?;
    Some(ext.to_ascii_lowercase())
}

/// The file's name from the URL, percent-decoded (the title when the list gives none).
fn file_name(response: &FetchResponse) -> String {
    let name = response.url.path().rsplit('/').next().unwrap_or_default();
    percent_decode(name)
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("n={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// Files a file as an article: title from the list item (or the file name), the file
/// as its attachment, the list's summary (if any) as its body.
pub(crate) fn prepare(
    candidate: &Candidate,
    response: &FetchResponse,
    kind: AttachmentKind,
    source_id: &str,
    column: &str,
) -> Result<Prepared, Failure> {
    let mut title = candidate.text.trim().to_owned();
    if title.is_empty() {
        title = file_name(response);
    }
    if title.is_empty() {
        return Err(Failure::dead(format!(
            "a {} file with no title in the list and no file name",
            kind.extension()
        )));
    }
    let url = candidate.url.to_string();
    // The file's own text (PDF text layer, DOCX, XLSX) is the body; the list's summary
    // is the fallback (scans, binary DOC/WPS, archives). The file itself is kept by the
    // media collector like any attachment once the article is recorded.
    let sniffed = jujiao_media::sniff::sniff(&response.body);
    let (status, text) = jujiao_media::text::extract(sniffed.mime, &response.body);
    let from_file = text.as_deref().map(to_paragraphs).unwrap_or_default();
    let paragraphs = if from_file.is_empty() {
        candidate
            .summary
            .as_deref()
            .map(to_paragraphs)
            .unwrap_or_default()
    } else {
        from_file
    };
    let mut warnings = Vec::new();
    if paragraphs.is_empty() {
        let why = match status {
            TextStatus::Scanned => "a scanned PDF without a text layer",
            TextStatus::Failed => "its text could not be read",
            _ => "no text is read from this kind of file",
        };
        warnings.push(format!(
            "the list item is a {} file ({why}): filed with the file as attachment and an empty body",
            kind.extension()
        ));
    }
    let (published, date) = match candidate.list_date {
        Some(d) => (Some(PublishTime::Date(d)), d),
        None => {
            let today = Utc::now()
                .with_timezone(&jujiao_model::shanghai())
                .date_naive();
            warnings.push(format!(
                "no date in the list for this file: filed under the day it was collected ({today})"
            ));
            (None, today)
        }
    };
    let article = jujiao_model::Article {
        source: source_id.to_owned(),
        url: url.clone(),
        title: title.clone(),
        published,
        paragraphs,
        attachments: vec![Attachment {
            url: response.url.to_string(),
            name: title,
            kind,
        }],
        fetched_at: Some(Utc::now()),
        ..jujiao_model::Article::default()
    };
    Ok(Prepared {
        record: ArticleRecord {
            article,
            filing: Filing {
                column: column.to_owned(),
                date: Some(date),
                legacy: None,
            },
        },
        is_fallback: false,
        is_attachment: true,
        warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
        validators: response.validators.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jujiao_fetch::Validators;
    use std::time::Duration;

    fn response(url: &str, ct: Option<&str>, body: &[u8]) -> FetchResponse {
        FetchResponse {
            url: url.parse().expect("url"),
            status: 200,
            content_type: ct.map(str::to_owned),
            content_disposition: None,
            charset: None,
            body: body.to_vec(),
            validators: Validators::default(),
            retry_after: None,
            attempts: 1,
            redirects: 0,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn files_are_recognised_by_bytes_then_type_then_extension() {
        let k = |url, ct, body: &[u8]| file_kind(&response(url, ct, body));
        assert_eq!(
            k("http://a.cn/d", Some("text/html"), b"%PDF-1.7\n"),
            Some(AttachmentKind::Pdf)
        );
        assert_eq!(
            k("http://a.cn/x.docx", None, b"PK\x03\x04rest"),
            Some(AttachmentKind::Docx)
        );
        assert_eq!(
            k("http://a.cn/download.do?id=1", None, b"PK\x03\x04rest"),
            Some(AttachmentKind::Zip)
        );
        assert_eq!(
            k(
                "http://a.cn/a.xls",
                None,
                &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]
            ),
            Some(AttachmentKind::Xls)
        );
        // The PDF header may come after a few bytes (readers accept it anywhere in
        // the first 1024), as jujiao-media reads it.
        assert_eq!(
            k("http://a.cn/d", Some("text/html"), b"\r\n%PDF-1.4\n"),
            Some(AttachmentKind::Pdf)
        );
        assert_eq!(
            k("http://a.cn/a", Some("application/pdf"), b"garbage"),
            Some(AttachmentKind::Pdf)
        );
        assert_eq!(
            k("http://a.cn/a.wps", Some("application/octet-stream"), b"x"),
            Some(AttachmentKind::Wps)
        );
        assert_eq!(
            k(
                "http://a.cn/a.html",
                Some("text/html; charset=utf-8"),
                b"<html>"
            ),
            None
        );
        assert_eq!(
            k("http://a.cn/a", Some("application/octet-stream"), b"x"),
            None
        );
    }

    #[test]
    fn file_names_are_percent_decoded() {
        let r = response("http://a.cn/f/%E9%80%9A%E7%9F%A5+1.pdf", None, b"%PDF-");
        assert_eq!(file_name(&r), "通知+1.pdf");
    }
}
