//! The sources file, `jujiao.toml`: what to collect, where to file it, how politely.
//!
//! Two stages, as everywhere in jujiao: [`raw`] structs are deserialised from the file
//! exactly as written (unknown keys are errors), then [`Config::from_raw`] validates them
//! into the form the rest of the program uses (parsed URLs, compiled patterns, durations).
//! Every error names the file, the key and what is wrong, so a bad file fails at start —
//! never halfway through a crawl. CSS selectors are checked by the crawler when it
//! compiles its extraction rules, also before anything is fetched.

mod api;
pub mod briefing;
mod check;
mod edition;
mod feed;
mod html;
pub mod raw;
mod reach;
mod rules;
mod validate;
pub mod watch;
mod web;

pub use api::{
    ApiSource, DEFAULT_API_PAGES, DEFAULT_FIRST_PAGE, ItemFormat, ItemUrl, JsonItems, JsonPath,
    ListBody, ListMethod, PathStep, Session,
};
pub use briefing::{MAX_SERIES_NAME_CHARS, check_series};
pub use check::{KeyError, parse_duration};
pub use edition::EditionSource;
pub use feed::FeedSource;
pub use html::{HtmlSource, Pagination};
pub use reach::{ScriptLinks, parse_resolve, read_pem};
pub use rules::{ArticleRules, ArticleSelectors};
pub use validate::{Config, DateFolderStyle, FileNameMode, Settings, Source, SourceKind};
pub use watch::{
    Channel, ChannelKind, EmailChannel, Leader, SecretRef, SmtpTls, UnknownOutcome, WatchRule,
    WatchSettings,
};
pub use web::{DEFAULT_PUBLIC_READ, MIN_ADMIN_TOKEN_CHARS, Secret, WebSettings, check_admin_token};

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file name `jujiao` looks for when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "jujiao.toml";
/// Default database (SQLite file) when neither `--db` nor `settings.database` is given.
pub const DEFAULT_DATABASE: &str = "jujiao.db";
/// Default root of the legacy briefing tree.
pub const DEFAULT_OUTPUT: &str = "briefing";
/// Default minimum time between two requests to the same host.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(1);
/// Default number of requests in flight to one host.
pub const DEFAULT_CONCURRENCY_PER_HOST: usize = 1;
/// Default cap on a response body, after decompression.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 20 * 1024 * 1024;
/// Default total time allowed for one request.
/// Largest image or attachment kept (`settings.media_max_file_bytes`); the same as
/// `jujiao_media::DEFAULT_MAX_FILE_BYTES`. Never above `max_body_bytes`, which caps
/// every download.
pub const DEFAULT_MEDIA_MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// Most bytes of files downloaded per article (`settings.media_max_article_bytes`).
pub const DEFAULT_MEDIA_MAX_ARTICLE_BYTES: u64 = 50 * 1024 * 1024;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default interval between two runs of a source (used by the scheduler).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);
/// Default cap on new articles taken from one source in one run.
pub const DEFAULT_MAX_NEW_PER_RUN: usize = 100;
/// Default ages, counted from when a page was first stored, at which a stored article
/// page is fetched again to see whether it was revised: a day (typos fixed the same
/// day) and a week (late corrections). Each re-check is a conditional GET, so a page
/// that did not change costs a 304.
pub const DEFAULT_RECHECK: [Duration; 2] =
    [Duration::from_secs(86_400), Duration::from_secs(7 * 86_400)];
/// Default cap on stored pages re-checked in one run of a source: re-checks never
/// crowd out new articles, and a source with a backlog catches up over several runs.
pub const DEFAULT_RECHECK_PER_RUN: usize = 20;
/// Default number of list pages read per list URL.
pub const DEFAULT_PAGE_LIMIT: usize = 1;
/// Default user agent.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "jujiao/",
    env!("CARGO_PKG_VERSION"),
    " (news briefing collector; polite: obeys robots.txt)"
);

/// A problem with the sources file, naming where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Syntax {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A key whose value is wrong; `problem` names the key and says what is wrong.
    #[error("{path}: {problem}")]
    Invalid { path: PathBuf, problem: KeyError },
}

impl Config {
    /// Reads and validates a sources file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates sources-file text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: raw::RawConfig = toml::from_str(text).map_err(|source| ConfigError::Syntax {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        Config::from_raw(raw).map_err(|problem| ConfigError::Invalid {
            path: path.to_owned(),
            problem,
        })
    }
}

#[cfg(test)]
mod tests;
