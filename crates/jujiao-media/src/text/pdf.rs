//! The text layer of a PDF, with lopdf: every page's text in page order. A PDF whose
//! pages give no text at all is a scan (images of pages) and is reported as such.

use super::office::TextError;

/// What a PDF holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfText {
    /// The text layer, pages separated by blank lines.
    Text(String),
    /// No page has text: a scanned document (no OCR yet).
    Scanned,
}

/// Reads the text layer of a PDF. Damaged and password-protected files are errors.
pub fn pdf_text(bytes: &[u8]) -> Result<PdfText, TextError> {
    let doc = lopdf::Document::load_mem(bytes)?;
    if doc.is_encrypted() {
        return Err("the PDF is encrypted".into());
    }
    let mut out = String::new();
    for (number, _) in doc.get_pages() {
        // A page that fails (an odd font) does not lose the others.
        match doc.extract_text(&[number]) {
            Ok(text) => {
                out.push_str(text.trim());
                out.push_str("\n\n");
            }
            Err(e) => tracing::debug!(page = number, error = %e, "PDF page text not read"),
        }
    }
    if out.chars().any(|c| !c.is_whitespace()) {
        Ok(PdfText::Text(out))
    } else {
        Ok(PdfText::Scanned)
    }
}
