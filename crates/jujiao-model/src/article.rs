//! [`Article`] and its parts.

use crate::PublishTime;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// One article: what a page or an old briefing file says, plus where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Article {
    /// Id of the configured source that delivered it (`legacy` for imported files).
    pub source: String,
    /// Canonical URL (normalised). Imported legacy files that carry no URL get a
    /// `legacy:` URL naming the file they came from.
    pub url: String,
    pub title: String,
    pub published: Option<PublishTime>,
    /// Author or reporter (`记者 唐炜`).
    pub author: Option<String>,
    /// Origin outlet, 来源 (`人民日报`): a different field from the author.
    pub origin: Option<String>,
    /// Responsible editor, 责任编辑.
    pub editor: Option<String>,
    pub paragraphs: Vec<Paragraph>,
    pub images: Vec<Image>,
    pub attachments: Vec<Attachment>,
    /// When jujiao fetched (or imported) it.
    pub fetched_at: Option<DateTime<Utc>>,
    /// The 政府信息公开 table of the page (索引号, 发文字号…), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<crate::Disclosure>,
}

impl Article {
    /// The cleaned body: cleaned non-empty paragraphs joined by `\n`.
    pub fn body(&self) -> String {
        let mut out = String::new();
        for p in self.paragraphs.iter().map(Paragraph::clean) {
            if p.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&p);
        }
        out
    }

    /// A content fingerprint: the same title and the same visible text give the same
    /// fingerprint whatever the whitespace, indentation or line breaks around them.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut h = Sha256::new();
        feed_visible(&mut h, &self.title);
        h.update([0u8]);
        for p in &self.paragraphs {
            feed_visible(&mut h, &p.raw);
        }
        Fingerprint(h.finalize().into())
    }

    /// True when the article has no visible body text.
    pub fn is_body_empty(&self) -> bool {
        self.paragraphs.iter().all(|p| p.clean().is_empty())
    }
}

/// Hashes only the characters that are not white space, so fingerprints ignore layout.
fn feed_visible(h: &mut Sha256, text: &str) {
    let mut buf = [0u8; 4];
    for c in text.chars().filter(|c| !is_space(*c)) {
        h.update(c.encode_utf8(&mut buf).as_bytes());
    }
}

/// White space as Chinese pages use it: ASCII, full-width U+3000, no-break space and the
/// zero-width characters some editors leave behind.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}')
}

/// One paragraph, its text exactly as found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Paragraph {
    /// The text as found: leading `　　`, inner `\r\n` and all.
    pub raw: String,
}

impl Paragraph {
    pub fn new(raw: impl Into<String>) -> Self {
        Paragraph { raw: raw.into() }
    }

    /// The paragraph for search and display: line breaks normalised to `\n`, each line
    /// trimmed of ASCII and full-width white space, blank lines dropped.
    pub fn clean(&self) -> String {
        let mut out = String::with_capacity(self.raw.len());
        for line in self.raw.split(['\n', '\r']) {
            let line = line.trim_matches(is_space);
            if line.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
        out
    }
}

impl From<&str> for Paragraph {
    fn from(raw: &str) -> Self {
        Paragraph::new(raw)
    }
}

/// An image the article shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Image {
    /// Absolute URL.
    pub url: String,
    pub alt: Option<String>,
}

/// A file the article links to as an attachment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attachment {
    /// Absolute URL.
    pub url: String,
    /// The link text, usually the document's name.
    pub name: String,
    pub kind: AttachmentKind,
}

/// The document types government pages attach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentKind {
    Pdf,
    Doc,
    Docx,
    Xls,
    Xlsx,
    Wps,
    Ofd,
    Zip,
    Rar,
}

impl AttachmentKind {
    pub const ALL: [AttachmentKind; 9] = [
        AttachmentKind::Pdf,
        AttachmentKind::Doc,
        AttachmentKind::Docx,
        AttachmentKind::Xls,
        AttachmentKind::Xlsx,
        AttachmentKind::Wps,
        AttachmentKind::Ofd,
        AttachmentKind::Zip,
        AttachmentKind::Rar,
    ];

    /// The lower-case file extension, which is also the JSON name.
    pub fn extension(self) -> &'static str {
        match self {
            AttachmentKind::Pdf => "pdf",
            AttachmentKind::Doc => "doc",
            AttachmentKind::Docx => "docx",
            AttachmentKind::Xls => "xls",
            AttachmentKind::Xlsx => "xlsx",
            AttachmentKind::Wps => "wps",
            AttachmentKind::Ofd => "ofd",
            AttachmentKind::Zip => "zip",
            AttachmentKind::Rar => "rar",
        }
    }

    /// The kind for a file extension (any case), if it is one of ours.
    pub fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.extension().eq_ignore_ascii_case(ext))
    }
}

/// SHA-256 of an article's visible title and text; see [`Article::fingerprint`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from_digit(u32::from(b >> 4), 16).expect("nibble < 16"));
            s.push(char::from_digit(u32::from(b & 0xf), 16).expect("nibble < 16"));
        }
        s
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn article(title: &str, paras: &[&str]) -> Article {
        Article {
            title: title.into(),
            paragraphs: paras.iter().map(|p| Paragraph::new(*p)).collect(),
            ..Article::default()
        }
    }

    #[test]
    fn clean_strips_indent_and_normalises_breaks() {
        let p = Paragraph::new("　　会议指出，\r\n  海淀要继续　\r\n\r\n");
        assert_eq!(p.clean(), "会议指出，\n海淀要继续");
        assert_eq!(p.raw, "　　会议指出，\r\n  海淀要继续　\r\n\r\n");
    }

    #[test]
    fn fingerprint_ignores_layout_but_not_text() {
        let a = article("区委常委会", &["　　会议指出。", "第二段"]);
        let b = article("区委常委会 ", &["会议指出。\r\n", "  第二段"]);
        let c = article("区委常委会", &["会议指出！", "第二段"]);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_eq!(a.fingerprint().to_hex().len(), 64);
    }

    #[test]
    fn body_skips_empty_paragraphs() {
        let a = article("t", &["　　一", " ", "二"]);
        assert_eq!(a.body(), "一\n二");
        assert!(!a.is_body_empty());
        assert!(article("t", &[" ", "　"]).is_body_empty());
    }

    #[test]
    fn attachment_kind_extension_round_trip() {
        for k in AttachmentKind::ALL {
            assert_eq!(AttachmentKind::from_extension(k.extension()), Some(k));
            assert_eq!(
                AttachmentKind::from_extension(&k.extension().to_uppercase()),
                Some(k)
            );
        }
        assert_eq!(AttachmentKind::from_extension("html"), None);
    }

    proptest! {
        #[test]
        fn clean_is_idempotent(s in "\\PC*") {
            let once = Paragraph::new(s).clean();
            prop_assert_eq!(Paragraph::new(once.clone()).clean(), once);
        }
    }
}
