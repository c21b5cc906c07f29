//! [`FileStore`]: files on disk named by the SHA-256 of their bytes.
//!
//! Layout: `<root>/ab/cdef…` (the first two hex digits as a folder, so no folder holds
//! more than a few thousand files). The same bytes are stored once, whatever number of
//! articles or URLs reference them. Writes go to a temporary file of a name no other
//! writer uses (process, host, counter and a random part; created with `create_new`),
//! which is renamed into place, so a file under its hash is always complete — also when
//! several tasks, or several workers on machines sharing the folder, store the same
//! bytes at the same instant (each renames its own complete copy over the same name).
//!
//! Where the root is: beside an SQLite database, `<db>.files` (one machine, one
//! process). With PostgreSQL the workers may run on several machines, so the root is a
//! configured folder that all of them mount (`[settings] files = "…"`); jujiao refuses
//! to guess one. Files are not put in PostgreSQL large objects: attachments of tens of
//! MB would bloat the database's backups and WAL, and a folder can be served, copied
//! and checked with ordinary tools.

use sha2::{Digest, Sha256};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts temporary files of this process, so that no two writes share one.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file name unique among all writers of a shared folder: this process's
/// id and write counter, plus a random number (another machine may run the same pid).
fn temp_name(hash: &str) -> String {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut random = std::collections::hash_map::RandomState::new().build_hasher();
    random.write_u64(n);
    format!(
        ".{}.{}.{n}.{:016x}.tmp",
        &hash[2..10],
        std::process::id(),
        random.finish()
    )
}

/// Content-addressed files under one root folder.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// The hex SHA-256 of `bytes`.
pub fn hash_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// True for 64 lower-case hex digits: the only names [`FileStore`] builds paths from
/// (a hash from a web request can never walk out of the root).
pub fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl FileStore {
    /// Files under `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The folder beside an SQLite database path or `sqlite:` URL: `<db>.files`.
    /// `None` for PostgreSQL URLs and in-memory databases, which need a configured
    /// folder.
    pub fn beside_database(db: &str) -> Option<Self> {
        if db.contains("://") && !db.starts_with("sqlite:") {
            return None;
        }
        let path = db
            .strip_prefix("sqlite://")
            .or_else(|| db.strip_prefix("sqlite:"))
            .unwrap_or(db);
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path.contains(":memory:") {
            return None;
        }
        Some(Self::new(format!("{path}.files")))
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the file with `hash` lives; `None` when `hash` is not a hash.
    pub fn path_of(&self, hash: &str) -> Option<PathBuf> {
        is_hash(hash).then(|| self.root.join(&hash[..2]).join(&hash[2..]))
    }

    /// True when the file is on disk.
    pub fn contains(&self, hash: &str) -> bool {
        self.path_of(hash).is_some_and(|p| p.is_file())
    }

    /// Stores `bytes` under their hash; returns the hash and whether the bytes were new
    /// on disk (false: the same content was already stored, nothing was written).
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<(String, bool)> {
        let hash = hash_of(bytes);
        let path = self.path_of(&hash).expect("hash_of gives a hash");
        if path.metadata().is_ok_and(|m| m.len() == bytes.len() as u64) {
            return Ok((hash, false));
        }
        let dir = path.parent().expect("a hash path has a folder");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(temp_name(&hash));
        let written = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        Ok((hash, true))
    }

    /// The bytes of a stored file.
    pub fn read(&self, hash: &str) -> std::io::Result<Vec<u8>> {
        let path = self.path_of(hash).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not a file hash: {hash}"),
            )
        })?;
        std::fs::read(path)
    }

    /// Bytes used by stored files (walks the root; for reports and benchmarks).
    pub fn disk_usage(&self) -> u64 {
        let Ok(dirs) = std::fs::read_dir(&self.root) else {
            return 0;
        };
        let mut total = 0;
        for dir in dirs.flatten() {
            if let Ok(files) = std::fs::read_dir(dir.path()) {
                for f in files.flatten() {
                    total += f.metadata().map_or(0, |m| m.len());
                }
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_are_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::new(dir.path().join("files"));
        let (h1, new1) = files.put(b"image bytes").unwrap();
        let (h2, new2) = files.put(b"image bytes").unwrap();
        assert_eq!(h1, h2);
        assert!(new1 && !new2);
        assert_eq!(files.read(&h1).unwrap(), b"image bytes");
        assert_eq!(files.disk_usage(), 11);
        let path = files.path_of(&h1).unwrap();
        assert!(path.starts_with(dir.path().join("files").join(&h1[..2])));
    }

    /// Regression: every writer of one process used the same temporary name, so two
    /// tasks storing the same bytes at once truncated each other's temporary file (a
    /// short file could be renamed into place) or failed on the second rename.
    #[test]
    fn same_bytes_stored_at_once_by_many_writers_stay_whole() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::new(dir.path().join("files"));
        let bytes: Vec<u8> = (0..4 * 1024 * 1024u32)
            .map(|i| u8::try_from(i % 251).unwrap())
            .collect();
        let hash = hash_of(&bytes);
        for _ in 0..3 {
            std::thread::scope(|scope| {
                let writers: Vec<_> = (0..8).map(|_| scope.spawn(|| files.put(&bytes))).collect();
                for w in writers {
                    let (h, _) = w.join().unwrap().unwrap();
                    assert_eq!(h, hash);
                }
            });
            assert_eq!(
                files.read(&hash).unwrap(),
                bytes,
                "the stored copy is whole"
            );
            std::fs::remove_file(files.path_of(&hash).unwrap()).unwrap();
        }
        files.put(&bytes).unwrap();
        assert_eq!(files.read(&hash).unwrap(), bytes);
        let folder = files.path_of(&hash).unwrap().parent().unwrap().to_owned();
        let names: Vec<_> = std::fs::read_dir(folder).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
    }

    #[test]
    fn only_hashes_make_paths() {
        let files = FileStore::new("/srv/files");
        assert!(files.path_of("../../etc/passwd").is_none());
        assert!(files.path_of(&"A".repeat(64)).is_none());
        assert!(files.path_of(&"a".repeat(64)).is_some());
    }

    #[test]
    fn the_folder_sits_beside_an_sqlite_database() {
        let f = FileStore::beside_database("data/jujiao.db").unwrap();
        assert_eq!(f.root(), Path::new("data/jujiao.db.files"));
        let f = FileStore::beside_database("sqlite:///var/lib/j.db?mode=rwc").unwrap();
        assert_eq!(f.root(), Path::new("/var/lib/j.db.files"));
        assert!(FileStore::beside_database("postgres://u@h/db").is_none());
        assert!(FileStore::beside_database("sqlite::memory:").is_none());
    }
}
