//! Text of attachments, for search: the PDF text layer ([`pdf`], lopdf), DOCX
//! ([`office::docx_text`]) and XLSX ([`office::xlsx_text`]) read from their zip parts
//! with quick-xml. A WPS file saved in the OOXML format reads as DOCX; the old binary
//! WPS/DOC/XLS formats are not read (their text needs a compound-file and piece-table
//! reader) and are marked [`TextStatus::None`].

mod office;
mod pdf;

pub use office::{docx_text, xlsx_text};
pub use pdf::{PdfText, pdf_text};

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
