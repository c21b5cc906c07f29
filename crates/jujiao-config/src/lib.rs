//! The sources file.
