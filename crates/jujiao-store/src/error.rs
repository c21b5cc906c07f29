//! [`StoreError`]: every way the store fails, with the database and the operation.

use std::path::PathBuf;

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A store failure. Each variant names the database (`location`, a path or a redacted
/// URL) and, for queries, the operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The path names a directory.
    #[error("cannot open database {}: it is a directory, not a database file", path.display())]
    IsDirectory { path: PathBuf },

    /// The folder the database file should be in does not exist. Not created: a typing
    /// mistake in the path would otherwise start a new, empty database somewhere else.
    #[error(
        "cannot open database {}: the folder {} does not exist (create it, or correct the path)",
        path.display(),
        folder.display()
    )]
    NoFolder { path: PathBuf, folder: PathBuf },

    /// The file exists but is not an SQLite database (or is encrypted or damaged).
    #[error("cannot open database {}: the file is not an SQLite database", path.display())]
    NotADatabase {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },

    /// The database could not be opened or created.
    #[error("cannot open database {location}")]
    Open {
        location: String,
        #[source]
        source: sqlx::Error,
    },

    /// Bringing the schema up to date failed, or the database was written by a newer
    /// jujiao (it has migrations this build does not know).
    #[error("cannot update the schema of database {location}")]
    Migrate {
        location: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// The URL names a backend this build cannot use.
    #[error(
        "database URL {url}: {scheme} is not supported (use a file path, sqlite: or postgres://)"
    )]
    Unsupported { url: String, scheme: String },

    /// A query failed.
    #[error("{operation} failed on database {location}")]
    Query {
        operation: &'static str,
        location: String,
        #[source]
        source: sqlx::Error,
    },

    /// A stored value could not be decoded: written by something else, or damaged.
    #[error("{operation} on database {location}: stored {what} is invalid: {detail}")]
    Corrupt {
        operation: &'static str,
        location: String,
        what: &'static str,
        detail: String,
    },

    /// A record in a batch cannot be stored; the whole batch was rolled back.
    #[error(
        "record {index} ({url}) cannot be stored: {reason}; nothing from this batch was stored"
    )]
    InvalidRecord {
        index: usize,
        url: String,
        reason: &'static str,
    },

    /// A value could not be encoded as JSON for storage.
    #[error("{operation}: cannot encode {what} as JSON")]
    Encode {
        operation: &'static str,
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },

    /// An id the caller gave does not exist.
    #[error("{operation} on database {location}: no {what} with id {id}")]
    NotFound {
        operation: &'static str,
        location: String,
        what: &'static str,
        id: i64,
    },
}
