//! Errors: [`Rejection`] says why a file's bytes are not a legacy article (data, not a
//! failure of jujiao); [`Error`] is the crate's error with the path it concerns.

use std::path::PathBuf;

/// Why [`crate::parse`] refused a file. Rejections are reported and counted by the
/// importer, never fatal: old trees hold empty files, empty zips and test notes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Zero bytes.
    #[error("empty file")]
    Empty,
    /// A NUL byte: a binary file (an empty zip is 22 bytes, mostly NULs).
    #[error("binary file (NUL byte at offset {offset})")]
    Binary { offset: usize },
    /// Not UTF-8 (the format is UTF-8 only; GBK files are not briefing files).
    #[error("not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    /// No title: the first line is empty or the file starts with a paragraph block.
    #[error("no title line")]
    NoTitle,
    /// UTF-8 text in none of the known variants, e.g. a note with one word per line.
    #[error("not a briefing article: {reason}")]
    NotAnArticle { reason: &'static str },
    /// It looks like the HTML variant but a block is broken at `offset`.
    #[error("malformed paragraph block at offset {offset}: {reason}")]
    Malformed { offset: usize, reason: &'static str },
}

/// The error of every fallible operation in this crate, with the path it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file was read but is not a legacy article.
    #[error("{path}: rejected")]
    Rejected {
        path: PathBuf,
        #[source]
        reason: Rejection,
    },
    /// Larger than [`crate::MAX_FILE_BYTES`]; not read, or not written.
    #[error("{path}: too large for a briefing file ({size} bytes, limit {limit})")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// A directory, socket or other non-regular file where a file was expected.
    #[error("{path}: not a regular file")]
    NotAFile { path: PathBuf },
    /// A relative path that could escape the output root or is not a briefing path.
    #[error("unsafe or unusable path {path:?}: {reason}")]
    BadPath { path: String, reason: &'static str },
    /// Two filings would be written to the same recorded path.
    #[error("path {path:?} is already taken by filing {taken_by}")]
    PathTaken { path: String, taken_by: i64 },
    /// An I/O operation failed.
    #[error("{path}: {op} failed")]
    Io {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, op: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            op,
            source,
        }
    }
}
