//! Images and attachments of articles: collected politely, checked, stored once by
//! content hash, and read for text.
//!
//! - [`Collector`] fetches an article's files through the crawler's
//!   [`jujiao_fetch::Fetch`] and records them in the [`jujiao_store::Store`]
//!   (`files`, `article_files`).
//! - [`FileStore`] keeps the bytes on disk under their SHA-256 (`<db>.files/ab/cd…`).
//! - [`sniff`] judges a file from its bytes; an HTML error page is never kept as a PDF
//!   or an image.
//! - [`names`] makes the real file name safe.
//! - [`text`] reads the text of PDF, DOCX and XLSX attachments for search.

pub mod collect;
pub mod disk;
pub mod names;
pub mod sniff;
pub mod text;

pub use collect::{Collector, MediaReport, MediaSettings, store_local};
pub use disk::{FileStore, hash_of, is_hash};

/// Default largest single image or attachment kept: 20 MiB (scanned notices are a few
/// MB; anything larger is rarely a briefing attachment).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// Default most bytes downloaded for one article's files: 50 MiB.
pub const DEFAULT_MAX_ARTICLE_BYTES: u64 = 50 * 1024 * 1024;
