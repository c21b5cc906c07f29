//! [`SearchError`]: everything that can go wrong opening, writing or querying an index.

use std::path::PathBuf;

/// The crate's result type.
pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// Errors of the search index. Each names the index directory (or `memory`) it concerns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// Reading or writing the index directory failed.
    #[error("search index {}: {what}", dir.display())]
    Io {
        dir: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The directory holds something other than a jujiao search index, so it is left alone.
    #[error(
        "{} is not a jujiao search index (it holds other files); choose another directory or remove it",
        dir.display()
    )]
    NotAnIndex { dir: PathBuf },
    /// Another process (or another `SearchIndex` in this one) held the index's writer
    /// lock for longer than we waited.
    #[error(
        "search index {} is being written by another process (still after waiting {} s); try again when it has finished (搜索索引正被另一进程写入，请稍后重试)",
        dir.display(), waited.as_secs()
    )]
    Locked {
        dir: PathBuf,
        waited: std::time::Duration,
    },
    /// tantivy failed.
    #[error("search index {}: {what}", dir.display())]
    Tantivy {
        dir: PathBuf,
        what: &'static str,
        #[source]
        source: tantivy::TantivyError,
    },
    /// Reading articles from the store for a rebuild failed.
    #[error("search index {}: reading articles from {store} failed", dir.display())]
    Store {
        dir: PathBuf,
        store: String,
        #[source]
        source: Box<jujiao_store::StoreError>,
    },
}
