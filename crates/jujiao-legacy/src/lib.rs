//! The office's legacy briefing format (`shared/LEGACY-FORMAT.md`), both ways.
//!
//! - [`parse`] reads a file's bytes into a [`LegacyDoc`]: clean title, paragraphs as
//!   found, and a [`Layout`] recording every way the file differs from the canonical
//!   form. [`render`] is its inverse: for every file `parse` accepts,
//!   `render(&parse(b)?).as_bytes() == b`. [`render_canonical`] writes the canonical
//!   form new articles get.
//! - [`parse_rel_path`] classifies a file's place in an old tree: column, date folder,
//!   page folder, running number.
//! - [`Planner`] chooses where new filings go (safe, collision-free file names) and
//!   [`write_atomic`] writes them without ever leaving a half-written file.
//!
//! The crate is pure apart from [`read_file`] and [`write_atomic`] (std fs, no async).

mod error;
mod layout;
mod name;
mod paths;
mod read;
mod render;
mod write;

pub use error::{Error, Rejection};
pub use layout::{CANONICAL_STYLE, Form, Layout, Marker, STANDARD_MARKER, StyleException};
pub use name::{FileNameMode, UNTITLED, file_name};
pub use paths::{DateFolder, PathInfo, parse_rel_path};
pub use read::{LegacyDoc, parse};
pub use render::{render, render_canonical};
pub use write::{
    DateFolderStyle, Placer, PlanItem, Planned, Planner, WriteOutcome, join_under_root,
    sweep_temp_files, write_atomic, write_briefing,
};

use std::io::Read;
use std::path::Path;

/// The largest briefing file: [`read_file`] reads nothing larger and
/// [`write_briefing`] writes nothing larger, so every file jujiao publishes can be
/// imported again.
///
/// Real briefing files are well under 1 MiB. The limit is set by what the crawler may
/// publish: a page is at most the fetcher's body cap (20 MiB by default,
/// `max_body_bytes`), and the canonical form wraps each paragraph in ~135 bytes of
/// markup, so a 10 MB page of short paragraphs becomes a 17 MB file. 64 MiB holds any
/// 20 MiB page whose paragraphs average 50 bytes (17 characters) or more; a page of
/// still shorter paragraphs is refused by the writer, reported as a failed file.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and parses one file, checking first that it is a regular file no larger than
/// [`MAX_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<LegacyDoc, Error> {
    let bytes = read_bytes(path)?;
    parse(&bytes).map_err(|reason| Error::Rejected {
        path: path.to_owned(),
        reason,
    })
}

/// Reads a file's bytes with the checks of [`read_file`] (for callers that keep the
/// bytes, e.g. to hash them).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, "stat", e))?;
    if !meta.is_file() {
        return Err(Error::NotAFile {
            path: path.to_owned(),
        });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "open", e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // `take` guards against a file that grows between the check and the read.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, "read", e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(bytes)
}

/// A legacy file read for import: the document with its running number taken off the
/// title, and the file's place in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub doc: LegacyDoc,
    pub path: PathInfo,
}

/// Parses a file and its path together: the content title tells a running number from
/// a title that starts with digits (`222013中国…` is number 22 of `2013中国…`).
pub fn import(rel_path: &str, bytes: &[u8], year_hint: Option<i32>) -> Result<Imported, Error> {
    let mut path = parse_rel_path(rel_path, year_hint)?;
    let mut doc = parse(bytes).map_err(|reason| Error::Rejected {
        path: rel_path.into(),
        reason,
    })?;
    path.reconcile_title(&doc.title);
    // Only a title that repeats the whole file name carries the number.
    if let Some(n) = path
        .running_number
        .as_deref()
        .filter(|_| doc.title == path.file_stem.trim())
    {
        doc.strip_title_prefix(n);
    }
    Ok(Imported { doc, path })
}
