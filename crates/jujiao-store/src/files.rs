//! The values of the file tables: images and attachments stored content-addressed
//! (the bytes live on disk, see `jujiao-media`), and which article references which
//! file, in what role, under what name ([`FileCatalog`]).

use crate::error::Result;
use crate::types::ArticleId;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// Images and attachments: jujiao-media keeps the bytes on disk by hash, the store
/// their facts and which article uses which.
#[async_trait]
pub trait FileCatalog: Send + Sync {
    /// The subset of `urls` some article's file was fetched from, with the hash of what
    /// it served: a file URL is fetched once, whatever number of articles use it.
    async fn files_by_url(&self, urls: &[String]) -> Result<HashMap<String, String>>;

    /// Records a stored file's facts; true when it is new. A hash already stored keeps
    /// its row (the same bytes give the same facts).
    async fn record_file(&self, file: &StoredFile) -> Result<bool>;

    /// Sets files an article references, in one transaction: each `(role, position)`
    /// given replaces what was there, others are kept (a later run may fill the gap a
    /// failed download left). Every hash must have been recorded with
    /// [`record_file`](FileCatalog::record_file).
    async fn attach_files(&self, article: ArticleId, files: &[ArticleFile]) -> Result<()>;

    /// Forgets the article's files of `role` after position `keep`: a revision that
    /// shows fewer images or attachments than before no longer files the old ones.
    async fn detach_files_after(&self, article: ArticleId, role: FileRole, keep: u32)
    -> Result<()>;

    /// The files an article references: images first, then attachments, each by
    /// position.
    async fn article_files(&self, article: ArticleId) -> Result<Vec<ArticleFileEntry>>;

    /// A stored file's facts and text, by hash.
    async fn file(&self, hash: &str) -> Result<Option<StoredFile>>;
}

/// What the store knows of a stored file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextStatus {
    /// Text was extracted (it may still be short).
    Text,
    /// A PDF without a text layer (a scan): nothing to index until OCR exists.
    Scanned,
    /// A type jujiao does not read text from (images, zip, rar, ofd, doc…).
    None,
    /// The file is of a readable type but reading it failed (damaged, encrypted).
    Failed,
}

impl TextStatus {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TextStatus::Text => "text",
            TextStatus::Scanned => "scanned",
            TextStatus::None => "none",
            TextStatus::Failed => "failed",
        }
    }

    /// The status for a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            TextStatus::Text,
            TextStatus::Scanned,
            TextStatus::None,
            TextStatus::Failed,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// How an article uses a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileRole {
    /// An image shown in the article (filed in `图片/`).
    Image,
    /// A document the article links to (filed in `附件/`).
    Attachment,
}

impl FileRole {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FileRole::Image => "image",
            FileRole::Attachment => "attachment",
        }
    }

    /// The role for a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "image" => Some(FileRole::Image),
            "attachment" => Some(FileRole::Attachment),
            _ => None,
        }
    }
}

impl fmt::Display for FileRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored file: its content hash and what was learnt from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// SHA-256 of the bytes, 64 lower-case hex digits: also its name on disk.
    pub hash: String,
    pub size: u64,
    /// MIME type judged from the bytes (magic), e.g. `image/jpeg`, `application/pdf`.
    pub mime: String,
    pub text_status: TextStatus,
    /// The extracted text, when `text_status` is [`TextStatus::Text`].
    pub text: Option<String>,
}

/// One file an article references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleFile {
    pub role: FileRole,
    /// 1-based position among the article's files of this role, in page order.
    pub position: u32,
    /// The file name to show and to file under (made safe for every file system).
    pub name: String,
    /// The URL it was fetched from (`legacy:<path>` for imported files).
    pub source_url: String,
    /// The stored file's hash.
    pub hash: String,
}

/// An [`ArticleFile`] with the facts of its stored file, as the web app and the
/// exports list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleFileEntry {
    pub file: ArticleFile,
    pub size: u64,
    pub mime: String,
    pub text_status: TextStatus,
}
