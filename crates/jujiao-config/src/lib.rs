//! The sources file, `jujiao.toml`: what to collect, where to file it, how politely.
//!
//! Two stages, as everywhere in jujiao: [`raw`] structs are deserialised from the file
//! exactly as written (unknown keys are errors), then [`Config::from_raw`] validates them
//! into the form the rest of the program uses (parsed URLs, compiled patterns, durations).
//! Every error names the file, the key and what is wrong, so a bad file fails at start —
//! never halfway through a crawl. CSS selectors are checked by the crawler when it
//! compiles its extraction rules, also before anything is fetched.

pub mod briefing;
mod listing;
pub mod raw;
mod validate;
mod web;

pub use briefing::{MAX_SERIES_NAME_CHARS, check_series};
pub use listing::{
    ApiSource, ArticleRules, DEFAULT_API_PAGES, DEFAULT_FIRST_PAGE, FeedSource, ItemFormat,
    ItemUrl, JsonItems, JsonPath, ListBody, ListMethod, PathStep, Session,
};
pub use validate::{
    ArticleSelectors, Config, DateFolderStyle, EditionSource, FileNameMode, HtmlSource, Pagination,
    Settings, Source, SourceKind,
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
    #[error("{path}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
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
        Config::from_raw(raw).map_err(|(key, message)| ConfigError::Invalid {
            path: path.to_owned(),
            key,
            message,
        })
    }
}

/// Parses durations as people write them: `90s`, `15m`, `1h`, `2d`, `500ms`, or a bare
/// number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (examples: 90s, 15m, 1h, 2d)"))?;
    let secs = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (use ms, s, m, h or d)"
            ));
        }
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("`{text}` is not a duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests;
