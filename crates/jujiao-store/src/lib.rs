//! The store: a `Store` trait and its SQLite implementation.
