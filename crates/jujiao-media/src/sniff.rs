//! What a file really is, judged from its first bytes (magic numbers), never from the
//! server's label or the link's extension: the old system filed HTML error pages as
//! `.pdf` and `.jpg` (LEGACY-FORMAT.md, "Known defects").

use jujiao_model::AttachmentKind;
use std::io::Cursor;

/// A file type recognised from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// MIME type served back and stored.
    pub mime: &'static str,
    /// The extension a file of this type is filed under.
    pub extension: &'static str,
}

const fn sniffed(mime: &'static str, extension: &'static str) -> Sniffed {
    Sniffed { mime, extension }
}

pub const JPEG: Sniffed = sniffed("image/jpeg", "jpg");
pub const PNG: Sniffed = sniffed("image/png", "png");
pub const GIF: Sniffed = sniffed("image/gif", "gif");
pub const WEBP: Sniffed = sniffed("image/webp", "webp");
pub const BMP: Sniffed = sniffed("image/bmp", "bmp");
pub const PDF: Sniffed = sniffed("application/pdf", "pdf");
pub const DOCX: Sniffed = sniffed(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
);
pub const XLSX: Sniffed = sniffed(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
);
pub const OFD: Sniffed = sniffed("application/ofd", "ofd");
pub const ZIP: Sniffed = sniffed("application/zip", "zip");
/// OLE2 compound file: `.doc`, `.xls`, `.wps` (Kingsoft), told apart only by the link.
pub const OLE: Sniffed = sniffed("application/x-ole-storage", "doc");
pub const RAR: Sniffed = sniffed("application/vnd.rar", "rar");
pub const HTML: Sniffed = sniffed("text/html", "html");
pub const UNKNOWN: Sniffed = sniffed("application/octet-stream", "bin");

/// The type of `bytes`.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    let head = &bytes[..bytes.len().min(1024)];
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        JPEG
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        PNG
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        GIF
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        WEBP
    } else if head.starts_with(b"BM") && head.len() > 14 {
        BMP
    } else if memchr_find(head, b"%PDF-").is_some() {
        // PDF readers accept the header anywhere in the first 1024 bytes.
        PDF
    } else if head.starts_with(b"PK\x03\x04") {
        zip_kind(bytes)
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        OLE
    } else if head.starts_with(b"Rar!\x1a\x07") {
        RAR
    } else if looks_like_html(head) {
        HTML
    } else {
        UNKNOWN
    }
}

/// A zip is a DOCX, XLSX or OFD by the parts it holds.
fn zip_kind(bytes: &[u8]) -> Sniffed {
    let Ok(archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return ZIP;
    };
    let mut kind = ZIP;
    for name in archive.file_names() {
        if name == "word/document.xml" {
            return DOCX;
        }
        if name == "xl/workbook.xml" {
            return XLSX;
        }
        if name.eq_ignore_ascii_case("OFD.xml") {
            kind = OFD;
        }
    }
    kind
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Markup at the start (after a BOM and blanks): `<!doctype html`, `<html`, `<head`,
/// `<body`, `<script`, `<?xml … <html`, or an HTML comment.
fn looks_like_html(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let rest = head[start..].to_ascii_lowercase();
    if !rest.starts_with(b"<") {
        return false;
    }
    [
        &b"<!doctype"[..],
        b"<html",
        b"<head",
        b"<body",
        b"<script",
        b"<!--",
        b"<meta",
        b"<title",
        b"<div",
    ]
    .iter()
    .any(|p| rest.starts_with(p))
        || memchr_find(&rest, b"<html").is_some()
}

/// Why a downloaded file is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The server labelled or the bytes are an HTML page (an error page or a login wall).
    Html,
    /// The bytes are not of the expected type.
    Mismatch {
        expected: &'static str,
        found: &'static str,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Html => f.write_str("the server sent an HTML page, not the file"),
            Refusal::Mismatch { expected, found } => {
                write!(f, "expected {expected}, the bytes are {found}")
            }
        }
    }
}

/// What a file must be to be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Any image type jujiao recognises.
    Image,
    /// An attachment of a kind the link named.
    Attachment(AttachmentKind),
}

/// Checks the server's `Content-Type` and the bytes against what the link promised.
/// Returns the recognised type.
pub fn check(
    expected: Expected,
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<Sniffed, Refusal> {
    let found = sniff(bytes);
    let is_html_label = content_type.is_some_and(|ct| {
        let ct = ct.trim().to_ascii_lowercase();
        ct.starts_with("text/html") || ct.starts_with("application/xhtml")
    });
    if found == HTML || (is_html_label && found == UNKNOWN) {
        return Err(Refusal::Html);
    }
    let is_ok = match expected {
        Expected::Image => found.mime.starts_with("image/"),
        Expected::Attachment(kind) => match kind {
            AttachmentKind::Pdf => found == PDF,
            // Office files: the link's extension is often wrong between the old binary
            // and the new zip formats (and WPS saves either), so any office type passes.
            AttachmentKind::Doc
            | AttachmentKind::Docx
            | AttachmentKind::Xls
            | AttachmentKind::Xlsx
            | AttachmentKind::Wps => [DOCX, XLSX, OLE, ZIP].contains(&found),
            AttachmentKind::Ofd => [OFD, ZIP].contains(&found),
            AttachmentKind::Zip => [ZIP, DOCX, XLSX, OFD].contains(&found),
            AttachmentKind::Rar => found == RAR,
        },
    };
    if is_ok {
        Ok(refine(found, expected))
    } else {
        Err(Refusal::Mismatch {
            expected: match expected {
                Expected::Image => "an image",
                Expected::Attachment(kind) => kind.extension(),
            },
            found: found.mime,
        })
    }
}

/// An OLE2 file takes the extension the link named (`.xls`, `.wps`), since the magic
/// is the same for all of them.
fn refine(found: Sniffed, expected: Expected) -> Sniffed {
    match (found, expected) {
        (OLE, Expected::Attachment(AttachmentKind::Xls)) => {
            sniffed("application/vnd.ms-excel", "xls")
        }
        (OLE, Expected::Attachment(AttachmentKind::Wps)) => {
            sniffed("application/vnd.ms-works", "wps")
        }
        (OLE, _) => sniffed("application/msword", "doc"),
        _ => found,
    }
}

/// The extension a stored MIME type is filed under (for files stored earlier).
pub fn extension_of_mime(mime: &str) -> &'static str {
    [
        JPEG, PNG, GIF, WEBP, BMP, PDF, DOCX, XLSX, OFD, ZIP, RAR, HTML,
    ]
    .iter()
    .find(|s| s.mime == mime)
    .map_or(
        match mime {
            "application/msword" => "doc",
            "application/vnd.ms-excel" => "xls",
            "application/vnd.ms-works" => "wps",
            _ => "bin",
        },
        |s| s.extension,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_are_recognised() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), JPEG);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), PNG);
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), GIF);
        assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3"), PDF);
        assert_eq!(sniff(b"\r\n%PDF-1.4\n"), PDF);
        assert_eq!(sniff(b"Rar!\x1a\x07\x01\0"), RAR);
        assert_eq!(
            sniff(b"\xEF\xBB\xBF  <!DOCTYPE html><html><body>404</body></html>"),
            HTML
        );
        assert_eq!(sniff(b"<html><head><title>Not Found"), HTML);
        assert_eq!(sniff(b"plain words"), UNKNOWN);
    }

    #[test]
    fn an_html_error_page_is_never_a_pdf_or_an_image() {
        let page = b"<!DOCTYPE html><html><body>\xE9\xA1\xB5\xE9\x9D\xA2\xE4\xB8\x8D\xE5\xAD\x98\xE5\x9C\xA8</body></html>";
        assert_eq!(
            check(
                Expected::Attachment(AttachmentKind::Pdf),
                Some("application/pdf"),
                page
            ),
            Err(Refusal::Html)
        );
        assert_eq!(
            check(Expected::Image, Some("image/jpeg"), page),
            Err(Refusal::Html)
        );
        // Unrecognised bytes labelled text/html are a page too.
        assert_eq!(
            check(Expected::Image, Some("text/html; charset=gbk"), b"garbage"),
            Err(Refusal::Html)
        );
    }

    #[test]
    fn a_png_behind_a_pdf_link_is_a_mismatch() {
        let err = check(
            Expected::Attachment(AttachmentKind::Pdf),
            None,
            b"\x89PNG\r\n\x1a\n\0\0",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "expected pdf, the bytes are image/png");
    }

    #[test]
    fn ole_files_take_the_links_extension() {
        let ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest";
        let wps = check(Expected::Attachment(AttachmentKind::Wps), None, ole).unwrap();
        assert_eq!(wps.extension, "wps");
        let xls = check(Expected::Attachment(AttachmentKind::Xls), None, ole).unwrap();
        assert_eq!(xls.extension, "xls");
        assert_eq!(extension_of_mime(xls.mime), "xls");
        assert_eq!(extension_of_mime("image/jpeg"), "jpg");
    }
}
