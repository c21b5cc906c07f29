//! The validated configuration: what the crawler and the publisher use. The top of the
//! validation: `[settings]` and the fields every source has are checked here, each
//! source kind in its own module ([`crate::html`], [`crate::edition`], [`crate::api`],
//! [`crate::feed`]), the other tables in theirs.

use crate::api::{ApiSource, api_source};
use crate::briefing::briefings;
use crate::check::{KeyError, at_least_one, duration, not_allowed, parse_duration};
use crate::edition::{EditionSource, edition_source};
use crate::feed::{FeedSource, feed_source};
use crate::html::{HtmlSource, html_source};
use crate::raw::{RawConfig, RawSettings, RawSource};
use crate::reach::{read_pem, resolve, user_agent};
use crate::watch::{WatchSettings, watch_settings};
use crate::web::{WebSettings, web};
use crate::{
    DEFAULT_CONCURRENCY_PER_HOST, DEFAULT_DATABASE, DEFAULT_DELAY, DEFAULT_INTERVAL,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_NEW_PER_RUN, DEFAULT_MEDIA_MAX_ARTICLE_BYTES,
    DEFAULT_MEDIA_MAX_FILE_BYTES, DEFAULT_OUTPUT, DEFAULT_RECHECK, DEFAULT_RECHECK_PER_RUN,
    DEFAULT_TIMEOUT, DEFAULT_USER_AGENT,
};
pub use jujiao_legacy::{DateFolderStyle, FileNameMode};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

/// The whole validated sources file.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// `[web]`: settings of `jujiao serve`.
    pub web: WebSettings,
    pub sources: Vec<Source>,
    /// `[[briefing]]`: the briefing series (the default 每日简报 when none is written).
    pub briefings: Vec<jujiao_model::SeriesSettings>,
    /// `[[channel]]`, `[[watch]]`, `[[leader]]`.
    pub watch: WatchSettings,
}

/// Settings shared by every source.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: String,
    pub output: PathBuf,
    pub date_folder: DateFolderStyle,
    pub filenames: FileNameMode,
    pub user_agent: String,
    pub respect_robots: bool,
    pub delay: Duration,
    pub concurrency_per_host: usize,
    pub max_body_bytes: u64,
    pub timeout: Duration,
    pub allow_private: bool,
    /// Collect images and attachments of new articles.
    pub media: bool,
    /// Where stored files live; `None`: beside the SQLite database (`<db>.files`).
    pub files: Option<PathBuf>,
    pub media_max_file_bytes: u64,
    pub media_max_article_bytes: u64,
    /// Host names answered from these addresses instead of DNS (`settings.resolve`).
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    /// Extra trusted certificate authorities (PEM bytes, read from
    /// `settings.ca_certificates` at load).
    pub root_certificates: Vec<Vec<u8>>,
}

/// One configured source.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: String,
    pub name: String,
    pub column: String,
    pub interval: Duration,
    pub max_new_per_run: usize,
    /// Ages since first stored at which a stored page is fetched again, ascending
    /// (empty: never).
    pub recheck: Vec<Duration>,
    /// At most this many re-checks per run.
    pub recheck_per_run: usize,
    /// Overrides the global per-host delay for this source's hosts.
    pub delay: Option<Duration>,
    pub headers: BTreeMap<String, String>,
    /// This source's `User-Agent`, replacing `settings.user_agent`.
    pub user_agent: Option<String>,
    /// Cookie name → environment variable that holds its value.
    pub cookies_env: BTreeMap<String, String>,
    pub kind: SourceKind,
}

/// What kind of site a source is.
#[derive(Debug, Clone)]
pub enum SourceKind {
    Html(Box<HtmlSource>),
    Edition(EditionSource),
    /// A JSON list API (`kind = "json"`).
    Json(Box<ApiSource>),
    /// A portal form answered to a POST (`kind = "form"`).
    Form(Box<ApiSource>),
    /// RSS, Atom or sitemaps (`kind = "feed"`).
    Feed(Box<FeedSource>),
}

impl Config {
    /// Validates a raw file; the error is `(key, message)`.
    pub(crate) fn from_raw(raw: RawConfig) -> Result<Config, KeyError> {
        let settings = settings(raw.settings)?;
        let web = web(&raw.web)?;
        let briefings = briefings(raw.briefings)?;
        let mut seen = HashSet::new();
        let mut sources = Vec::with_capacity(raw.sources.len());
        for (i, s) in raw.sources.into_iter().enumerate() {
            let key = format!("source[{i}] (id \"{}\")", s.id);
            if !seen.insert(s.id.clone()) {
                return Err(KeyError::Duplicate {
                    key: format!("{key}.id"),
                    what: "sources",
                    field: "id",
                });
            }
            sources.push(source(s, &key)?);
        }
        let watch = watch_settings(&raw.channels, &raw.watches, &raw.leaders)?;
        Ok(Config {
            settings,
            web,
            sources,
            briefings,
            watch,
        })
    }

    /// The source with this id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }
}

fn settings(raw: RawSettings) -> Result<Settings, KeyError> {
    let date_folder = match raw.date_folder.as_deref() {
        None | Some("month-day") => DateFolderStyle::MonthDay,
        Some("iso") => DateFolderStyle::Iso,
        Some(other) => {
            return Err(not_allowed(
                "settings.date_folder",
                other,
                "month-day or iso",
            ));
        }
    };
    let filenames = match raw.filenames.as_deref() {
        None | Some("portable") => FileNameMode::Portable,
        Some("posix") => FileNameMode::Posix,
        Some(other) => {
            return Err(not_allowed(
                "settings.filenames",
                other,
                "portable or posix",
            ));
        }
    };
    let concurrency_per_host = at_least_one(
        "settings.concurrency_per_host",
        raw.concurrency_per_host
            .unwrap_or(DEFAULT_CONCURRENCY_PER_HOST),
        "",
    )?;
    Ok(Settings {
        database: raw.database.unwrap_or_else(|| DEFAULT_DATABASE.into()),
        output: raw.output.unwrap_or_else(|| DEFAULT_OUTPUT.into()).into(),
        date_folder,
        filenames,
        user_agent: raw.user_agent.unwrap_or_else(|| DEFAULT_USER_AGENT.into()),
        respect_robots: raw.respect_robots.unwrap_or(true),
        delay: duration("settings.delay", raw.delay.as_deref())?.unwrap_or(DEFAULT_DELAY),
        concurrency_per_host,
        max_body_bytes: raw.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
        timeout: duration("settings.timeout", raw.timeout.as_deref())?.unwrap_or(DEFAULT_TIMEOUT),
        allow_private: raw.allow_private.unwrap_or(false),
        media: raw.media.unwrap_or(true),
        files: raw.files.map(PathBuf::from),
        media_max_file_bytes: at_least_one(
            "settings.media_max_file_bytes",
            raw.media_max_file_bytes
                .unwrap_or(DEFAULT_MEDIA_MAX_FILE_BYTES),
            " byte",
        )?,
        media_max_article_bytes: at_least_one(
            "settings.media_max_article_bytes",
            raw.media_max_article_bytes
                .unwrap_or(DEFAULT_MEDIA_MAX_ARTICLE_BYTES),
            " byte",
        )?,
        resolve: resolve("settings.resolve", &raw.resolve)?,
        root_certificates: raw
            .ca_certificates
            .iter()
            .enumerate()
            .map(|(i, p)| read_pem(&format!("settings.ca_certificates[{i}]"), p))
            .collect::<Result<_, _>>()?,
    })
}

fn source(s: RawSource, key: &str) -> Result<Source, KeyError> {
    if s.id.trim().is_empty() || s.id.contains(|c: char| c.is_whitespace() || c == '/') {
        return Err(KeyError::invalid(
            format!("{key}.id"),
            "must be non-empty, without spaces or `/`",
        ));
    }
    if s.column.trim().is_empty() {
        return Err(KeyError::invalid(
            format!("{key}.column"),
            "must not be empty",
        ));
    }
    let kind = match s.kind.as_deref() {
        None | Some("html") => SourceKind::Html(Box::new(html_source(&s, key)?)),
        Some("edition") => SourceKind::Edition(edition_source(&s, key)?),
        Some("json") => SourceKind::Json(Box::new(api_source(&s, key, false)?)),
        Some("form") => SourceKind::Form(Box::new(api_source(&s, key, true)?)),
        Some("feed") => SourceKind::Feed(Box::new(feed_source(&s, key)?)),
        Some(other) => {
            return Err(not_allowed(
                &format!("{key}.kind"),
                other,
                "html, edition, json, form or feed",
            ));
        }
    };
    let max_new_per_run = at_least_one(
        &format!("{key}.max_new_per_run"),
        s.max_new_per_run.unwrap_or(DEFAULT_MAX_NEW_PER_RUN),
        "",
    )?;
    let recheck = recheck_ages(&format!("{key}.recheck"), s.recheck.as_deref())?;
    let recheck_per_run = s.recheck_per_run.unwrap_or(DEFAULT_RECHECK_PER_RUN);
    Ok(Source {
        recheck,
        recheck_per_run,
        name: s.name.clone().unwrap_or_else(|| s.id.clone()),
        interval: duration(&format!("{key}.interval"), s.interval.as_deref())?
            .unwrap_or(DEFAULT_INTERVAL),
        delay: duration(&format!("{key}.delay"), s.delay.as_deref())?,
        max_new_per_run,
        user_agent: user_agent(&format!("{key}.user_agent"), s.user_agent)?,
        headers: s.headers,
        cookies_env: s.cookies_env,
        id: s.id,
        column: s.column,
        kind,
    })
}

/// `recheck = ["1h", "1d", "7d"]`: durations, each above zero, strictly ascending.
fn recheck_ages(key: &str, ages: Option<&[String]>) -> Result<Vec<Duration>, KeyError> {
    let Some(ages) = ages else {
        return Ok(DEFAULT_RECHECK.to_vec());
    };
    let mut out: Vec<Duration> = Vec::with_capacity(ages.len());
    for (i, text) in ages.iter().enumerate() {
        let d = parse_duration(text).map_err(|reason| KeyError::Duration {
            key: format!("{key}[{i}]"),
            reason,
        })?;
        if d.is_zero() {
            return Err(KeyError::invalid(
                format!("{key}[{i}]"),
                "must be longer than 0",
            ));
        }
        if out.last().is_some_and(|last| *last >= d) {
            return Err(KeyError::invalid(
                format!("{key}[{i}]"),
                format!(
                    "`{text}` must be longer than the age before it (list the ages in ascending order)"
                ),
            ));
        }
        out.push(d);
    }
    Ok(out)
}
