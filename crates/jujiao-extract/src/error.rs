//! The crate's error type.

use crate::select::SelectorError;

/// Why a page could not be extracted or rules could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The input has no bytes.
    #[error("page {url} is empty")]
    Empty {
        /// The page URL, or `-` when none was given.
        url: String,
    },
    /// The input is larger than [`crate::MAX_PAGE_BYTES`].
    #[error("page {url} is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// The page URL, or `-`.
        url: String,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input is not text (many NUL or control bytes at its start).
    #[error("page {url} is binary, not HTML")]
    Binary {
        /// The page URL, or `-`.
        url: String,
    },
}

/// A rule that did not compile, naming the key and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A CSS selector outside the supported subset or malformed.
    #[error("rule `{key}`: {source}")]
    Selector {
        /// The rules key (`title`, `body`, …).
        key: &'static str,
        /// What is wrong with the selector.
        #[source]
        source: SelectorError,
    },
    /// A paragraph drop pattern that is not a valid regular expression.
    #[error("rule `{key}`: bad pattern {pattern:?}")]
    Pattern {
        /// The rules key (`drop_patterns`).
        key: &'static str,
        /// The pattern as written.
        pattern: String,
        /// The regex error.
        #[source]
        source: regex::Error,
    },
}
