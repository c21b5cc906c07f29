//! [`Validators`]: what a server said about a page's version, kept for the next visit.

/// Cache validators of a resource (RFC 9110 §8.8): sent back on the next visit for a
/// conditional GET, kept by the store between runs (a list page's, a re-checked
/// article page's). One type from the fetcher's answer to the store's row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

impl Validators {
    /// True when there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}
