//! Text of attachments, for search: the PDF text layer ([`pdf`], lopdf), DOCX
//! ([`office::docx_text`]) and XLSX ([`office::xlsx_text`]) read from their zip parts
//! with quick-xml, and binary Word 97–2003 `.doc` and WPS `.wps` files
//! ([`word97::word97_text`]: compound file, FIB, piece table). A WPS file saved in the
//! OOXML format reads as DOCX. Binary Excel/WPS spreadsheets (`.xls`, `.et`), OFD,
//! archives and images are not read: [`TextStatus::None`], which the web app shows as
//! "format not supported for text" for documents; so are encrypted and Word 6/95 files.

mod office;
mod pdf;
mod word97;

pub use office::{docx_text, xlsx_text};
pub use pdf::{PdfText, pdf_text};
pub use word97::{Word97Error, word97_text};

/// MIME types of binary Word documents (the WPS one as `sniff` names it).
const WORD97_MIMES: [&str; 2] = ["application/msword", "application/vnd.ms-works"];

use crate::sniff;
use jujiao_store::TextStatus;

/// Longest text kept per file, in bytes: enough for any notice and its tables, and a
/// bound on what one huge spreadsheet puts in the search index.
pub const MAX_TEXT_BYTES: usize = 2 * 1024 * 1024;

/// The text of a file of type `mime` and what the store should say about it.
pub fn extract(mime: &str, bytes: &[u8]) -> (TextStatus, Option<String>) {
    let result = match mime {
        m if m == sniff::PDF.mime => match pdf_text(bytes) {
            Ok(PdfText::Text(t)) => Ok(t),
            Ok(PdfText::Scanned) => return (TextStatus::Scanned, None),
            Err(e) => Err(e),
        },
        m if m == sniff::DOCX.mime => docx_text(bytes),
        m if m == sniff::XLSX.mime => xlsx_text(bytes),
        m if WORD97_MIMES.contains(&m) => match word97_text(bytes) {
            Ok(t) => Ok(t),
            Err(e @ Word97Error::Unsupported(_)) => {
                tracing::debug!(mime, error = %e, "attachment text not read");
                return (TextStatus::None, None);
            }
            Err(e) => Err(e.into()),
        },
        _ => return (TextStatus::None, None),
    };
    match result {
        Ok(text) => (TextStatus::Text, Some(tidy(&text))),
        Err(e) => {
            tracing::debug!(mime, error = %e, "attachment text not read");
            (TextStatus::Failed, None)
        }
    }
}

/// Drops NUL (PostgreSQL text cannot hold it) and trailing blanks per line, and caps the
/// length at [`MAX_TEXT_BYTES`] on a character boundary.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT_BYTES));
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() && out.ends_with("\n\n") {
            continue;
        }
        if out.len() + line.len() + 1 > MAX_TEXT_BYTES {
            break;
        }
        out.extend(line.chars().filter(|&c| c != '\0'));
        out.push('\n');
    }
    out.trim().to_owned()
}
