//! The crate's error type: what can stop the server from starting or running.

use std::path::PathBuf;

/// Why the web app could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("cannot read the sources file {path}")]
    Config {
        path: PathBuf,
        #[source]
        source: jujiao_config::ConfigError,
    },
    /// The admin token from the environment breaks the token rule.
    #[error("unusable admin token: {0}")]
    AdminToken(String),
    #[error("cannot open the database {db}")]
    Store {
        db: String,
        #[source]
        source: jujiao_store::StoreError,
    },
    #[error("database {db}: {what}")]
    StoreQuery {
        db: String,
        what: &'static str,
        #[source]
        source: jujiao_store::StoreError,
    },
    #[error("cannot open the search index in {dir}")]
    Search {
        dir: PathBuf,
        #[source]
        source: jujiao_search::SearchError,
    },
    #[error("search index: {what}")]
    Indexing {
        what: &'static str,
        #[source]
        source: jujiao_search::SearchError,
    },
    #[error("the {0} task crashed")]
    Task(&'static str),
    #[error("cannot set up the crawler")]
    Crawl(#[from] jujiao_crawl::CrawlError),
    #[error("cannot set up the fetcher")]
    Fetch(#[from] jujiao_fetch::FetchError),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped")]
    Serve(#[source] std::io::Error),
}
