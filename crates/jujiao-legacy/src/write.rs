//! The writer side: where files go ([`Planner`]), how paths are kept inside the output
//! root ([`join_under_root`]) and how files are written ([`write_atomic`]).

use crate::error::Error;
use crate::name::{FileNameMode, file_name, safe_stem};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How date folders are spelled (a setting; the old trees use both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateFolderStyle {
    /// `%m月%d日`, e.g. `06月11日` (no year; the default, as in most old trees).
    #[default]
    MonthDay,
    /// `%Y-%m-%d`, e.g. `2019-10-21`.
    Iso,
}

impl DateFolderStyle {
    /// The folder name for `date`.
    pub fn folder_name(self, date: NaiveDate) -> String {
        match self {
            DateFolderStyle::MonthDay => date.format("%m月%d日").to_string(),
            DateFolderStyle::Iso => date.format("%Y-%m-%d").to_string(),
        }
    }
}

/// One filing to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItem {
    /// The filing's id: the order in which equal titles get their suffixes.
    pub filing_id: i64,
    /// The column, `/` allowed for a nested column (`网络聚焦/国内新闻`).
    pub column: String,
    pub date: Option<NaiveDate>,
    pub title: String,
    /// The path recorded at import (`LegacyPlacement.rel_path`): kept as it is.
    pub recorded_path: Option<String>,
}

/// Where one filing goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub filing_id: i64,
    /// `/`-separated, relative to the output root.
    pub rel_path: String,
    /// True when this is the path recorded at import.
    pub is_recorded: bool,
}

/// Chooses file paths for filings: `<column>/<date folder>/<title>.txt`, made safe by
/// [`FileNameMode`], with ` (2)`, ` (3)`, … for different filings that would land on
/// the same name. Give it every filing of the folders being written (not only the new
/// ones) so that the suffixes stay the same from one run to the next.
#[derive(Debug, Clone, Copy, Default)]
pub struct Planner {
    pub date_style: DateFolderStyle,
    pub mode: FileNameMode,
}

impl Planner {
    pub fn new(date_style: DateFolderStyle, mode: FileNameMode) -> Planner {
        Planner { date_style, mode }
    }

    /// Plans all items, returned in filing-id order. Recorded paths are placed first and
    /// kept (an unsafe one is an error); new filings take the first free name. Names are
    /// compared case-insensitively in [`FileNameMode::Portable`] (Windows, macOS).
    pub fn plan(&self, items: &[PlanItem]) -> Vec<Result<Planned, Error>> {
        let mut order: Vec<&PlanItem> = items.iter().collect();
        order.sort_by_key(|i| i.filing_id);
        let mut placer = Placer::new(*self);
        let mut results: HashMap<i64, Result<Planned, Error>> = HashMap::new();
        for item in order.iter().filter(|i| i.recorded_path.is_some()) {
            results.insert(item.filing_id, placer.place(item));
        }
        for item in order.iter().filter(|i| i.recorded_path.is_none()) {
            results.insert(item.filing_id, placer.place(item));
        }
        order
            .iter()
            .filter_map(|i| results.remove(&i.filing_id))
            .collect()
    }

    /// `<column>/<date folder>/`, each part made safe; empty parts left out.
    fn dir_of(&self, item: &PlanItem) -> String {
        let mut dir = String::new();
        for part in item.column.split('/').filter(|p| !p.trim().is_empty()) {
            dir.push_str(&safe_stem(part, self.mode));
            dir.push('/');
        }
        if let Some(d) = item.date {
            dir.push_str(&self.date_style.folder_name(d));
            dir.push('/');
        }
        dir
    }

    /// The form in which two names are the same file on the target file system.
    fn fold(&self, path: &str) -> String {
        match self.mode {
            FileNameMode::Portable => path.to_lowercase(),
            FileNameMode::Posix => path.to_owned(),
        }
    }
}

/// Places filings one at a time, in the order given, remembering every name taken: the
/// streaming form of [`Planner::plan`] for trees too large to plan in memory at once.
/// Given filings in filing-id order it assigns the same names as `plan` whenever recorded
/// paths come before the new filings that could clash with them (imports precede
/// crawls); otherwise the later recorded path is reported as [`Error::PathTaken`] —
/// never overwritten.
#[derive(Debug)]
pub struct Placer {
    planner: Planner,
    /// Names as written (recorded paths only clash when equal)…
    exact: HashMap<String, i64>,
    /// …and as the file system compares them (new names must differ here too).
    folded: HashMap<String, i64>,
}

impl Placer {
    pub fn new(planner: Planner) -> Placer {
        Placer {
            planner,
            exact: HashMap::new(),
            folded: HashMap::new(),
        }
    }

    /// Where `item` goes: its recorded path (checked to stay inside the root and not to
    /// be taken), or the first free `<column>/<date>/<title>[ (n)].txt`.
    pub fn place(&mut self, item: &PlanItem) -> Result<Planned, Error> {
        if let Some(path) = item.recorded_path.as_deref() {
            check_rel_path(path)?;
            if let Some(&other) = self.exact.get(path) {
                return Err(Error::PathTaken {
                    path: path.to_owned(),
                    taken_by: other,
                });
            }
            self.exact.insert(path.to_owned(), item.filing_id);
            self.folded
                .entry(self.planner.fold(path))
                .or_insert(item.filing_id);
            return Ok(Planned {
                filing_id: item.filing_id,
                rel_path: path.to_owned(),
                is_recorded: true,
            });
        }
        let dir = self.planner.dir_of(item);
        let mut suffix = None;
        let rel_path = loop {
            let path = format!("{dir}{}", file_name(&item.title, self.planner.mode, suffix));
            if !self.exact.contains_key(&path)
                && !self.folded.contains_key(&self.planner.fold(&path))
            {
                break path;
            }
            suffix = Some(suffix.map_or(2, |n| n + 1));
        };
        self.folded
            .insert(self.planner.fold(&rel_path), item.filing_id);
        self.exact.insert(rel_path.clone(), item.filing_id);
        Ok(Planned {
            filing_id: item.filing_id,
            rel_path,
            is_recorded: false,
        })
    }
}

/// Refuses relative paths that could leave the root: absolute, empty, `.` or `..`
/// components, NUL.
fn check_rel_path(rel: &str) -> Result<(), Error> {
    let bad = |reason| {
        Err(Error::BadPath {
            path: rel.to_owned(),
            reason,
        })
    };
    if rel.is_empty() || rel.starts_with('/') {
        return bad("empty or absolute");
    }
    if rel
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == ".." || c.contains('\0'))
    {
        return bad("empty, `.` or `..` component, or NUL");
    }
    if Path::new(rel)
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return bad("not a plain relative path");
    }
    Ok(())
}

/// `root` joined with a `/`-separated relative path, refusing anything that could
/// escape the root (see [`Planner`]; recorded paths come from the database).
pub fn join_under_root(root: &Path, rel: &str) -> Result<PathBuf, Error> {
    check_rel_path(rel)?;
    let mut path = root.to_path_buf();
    path.extend(rel.split('/'));
    Ok(path)
}

/// What [`write_atomic`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// The file already held exactly these bytes; it was not touched.
    Unchanged,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
const TEMP_PREFIX: &str = ".jujiao-";
const TEMP_SUFFIX: &str = ".tmp";

/// Removes the temporary files a killed [`write_atomic`] left below `root`; returns how
/// many. Call it before publishing into a tree.
pub fn sweep_temp_files(root: &Path) -> usize {
    let mut removed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(ft) = entry.file_type() else { continue };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file()
                && name.starts_with(TEMP_PREFIX)
                && name.ends_with(TEMP_SUFFIX)
                && std::fs::remove_file(entry.path()).is_ok()
            {
                removed += 1;
            }
        }
    }
    removed
}

/// Writes a briefing file's `text` with [`write_atomic`], unless it is larger than
/// [`crate::MAX_FILE_BYTES`]: [`crate::read_file`] would refuse it, so it is not written
/// ([`Error::TooLarge`]) and the caller reports it as a failed file.
pub fn write_briefing(path: &Path, text: &str) -> Result<WriteOutcome, Error> {
    let size = text.len() as u64;
    if size > crate::MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            path: path.to_owned(),
            size,
            limit: crate::MAX_FILE_BYTES,
        });
    }
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to `path` so that readers never see a partial file: parent folders
/// are created, the bytes go to a temporary file in the same folder, which is renamed
/// over `path`. A file that already holds these bytes is left alone.
///
/// The file is not fsynced one by one (that costs ~5 ms a file and made publishing
/// 100× slower): a killed process leaves whole files or a stray temporary file, which
/// [`sweep_temp_files`] removes, and after a power loss the next publish — driven by
/// the store, comparing bytes — rewrites whatever the file system lost.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<WriteOutcome, Error> {
    if let Ok(meta) = std::fs::metadata(path)
        && meta.is_file()
        && meta.len() == bytes.len() as u64
        && std::fs::read(path).is_ok_and(|old| old == bytes)
    {
        return Ok(WriteOutcome::Unchanged);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "create folder", e))?;
    // A short name: the target's own name may already use the whole 255 bytes.
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = parent.join(format!(
        "{TEMP_PREFIX}{}-{n}{TEMP_SUFFIX}",
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create_new(&tmp).map_err(|e| Error::io(&tmp, "create", e))?;
        f.write_all(bytes)
            .map_err(|e| Error::io(&tmp, "write", e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, "rename", e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| WriteOutcome::Written)
}
