//! The validated configuration: what the crawler and the publisher use.

use crate::raw::{RawArticleSelectors, RawConfig, RawSettings, RawSource};
use crate::*;
use chrono::NaiveDate;
pub use jujiao_legacy::{DateFolderStyle, FileNameMode};
use regex::Regex;
use std::collections::{BTreeMap, HashSet};
use url::Url;

/// A validation failure: the dotted key and what is wrong with it.
pub(crate) type Failure = (String, String);

/// The whole validated sources file.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// `[web]`: settings of `jujiao serve`.
    pub web: crate::WebSettings,
    pub sources: Vec<Source>,
    /// `[[briefing]]`: the briefing series (the default 每日简报 when none is written).
    pub briefings: Vec<jujiao_model::SeriesSettings>,
    /// `[[channel]]`, `[[watch]]`, `[[leader]]`.
    pub watch: crate::WatchSettings,
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
    Json(Box<crate::ApiSource>),
    /// A portal form answered to a POST (`kind = "form"`).
    Form(Box<crate::ApiSource>),
    /// RSS, Atom or sitemaps (`kind = "feed"`).
    Feed(Box<crate::FeedSource>),
}

/// List pages linking to article pages.
#[derive(Debug, Clone)]
pub struct HtmlSource {
    pub list_urls: Vec<Url>,
    pub pagination: Pagination,
    pub link_selector: Option<String>,
    pub list_date_selector: Option<String>,
    pub title_from_list: bool,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    /// Hosts whose links are followed; defaults to the list URLs' hosts.
    pub allowed_hosts: Vec<String>,
    /// Encoding forced for this source's pages (a WHATWG label, validated).
    pub encoding: Option<String>,
    pub article: ArticleSelectors,
    /// How links written by inline scripts are read.
    pub script_links: crate::ScriptLinks,
}

impl HtmlSource {
    /// True when a discovered link may be followed: its host is allowed, it matches an
    /// include pattern (if any) and no exclude pattern.
    pub fn is_followed(&self, url: &Url) -> bool {
        let host_ok = url.host_str().is_some_and(|h| {
            self.allowed_hosts
                .iter()
                .any(|a| h.eq_ignore_ascii_case(a) || h.ends_with(&format!(".{a}")))
        });
        let s = url.as_str();
        host_ok
            && (self.include.is_empty() || self.include.iter().any(|r| r.is_match(s)))
            && !self.exclude.iter().any(|r| r.is_match(s))
    }
}

/// How a list URL continues onto further pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pagination {
    /// TRS CMS: `index.html`, `index_1.html`, `index_2.html`, … up to `pages` pages.
    Trs { pages: usize },
    /// Follow the link chosen by `selector`, up to `pages` pages.
    Next { selector: String, pages: usize },
    /// Only the list URL itself.
    None,
}

impl Pagination {
    /// URLs of a TRS list's pages, the first one included.
    pub fn trs_pages(list: &Url, pages: usize) -> Vec<Url> {
        let mut out = vec![list.clone()];
        for n in 1..pages {
            let mut base = list.clone();
            let path = base.path().to_owned();
            let dir = match path.rfind('/') {
                Some(i) => &path[..=i],
                None => "/",
            };
            base.set_path(&format!("{dir}index_{n}.html"));
            out.push(base);
        }
        out
    }
}

/// Per-source article selectors and paragraph filters; every field optional.
#[derive(Debug, Clone, Default)]
pub struct ArticleSelectors {
    pub title: Option<String>,
    pub body: Option<String>,
    pub date: Option<String>,
    pub author: Option<String>,
    pub origin: Option<String>,
    pub min_paragraph_chars: usize,
    pub drop: Vec<String>,
}

/// A newspaper's daily PDF edition.
#[derive(Debug, Clone)]
pub struct EditionSource {
    pub paper: String,
    /// URL template with `{yyyy}`, `{mm}`, `{dd}`.
    pub edition_url: String,
    /// Optional selector of the page links on the edition page (each page then holds
    /// its PDF link).
    pub page_links: Option<String>,
    /// Selector of the PDF links.
    pub pdf_links: String,
}

impl EditionSource {
    /// The edition page URL for a day.
    pub fn url_for(&self, day: NaiveDate) -> String {
        self.edition_url
            .replace("{yyyy}", &day.format("%Y").to_string())
            .replace("{mm}", &day.format("%m").to_string())
            .replace("{dd}", &day.format("%d").to_string())
    }
}

impl Config {
    /// Validates a raw file; the error is `(key, message)`.
    pub(crate) fn from_raw(raw: RawConfig) -> Result<Config, Failure> {
        let settings = settings(raw.settings)?;
        let web = crate::web::web(&raw.web)?;
        let briefings = crate::briefing::briefings(raw.briefings)?;
        let mut seen = HashSet::new();
        let mut sources = Vec::with_capacity(raw.sources.len());
        for (i, s) in raw.sources.into_iter().enumerate() {
            let key = format!("source[{i}] (id \"{}\")", s.id);
            if !seen.insert(s.id.clone()) {
                return Err((format!("{key}.id"), "two sources have this id".into()));
            }
            sources.push(source(s, &key)?);
        }
        let watch = crate::watch::watch_settings(&raw.channels, &raw.watches, &raw.leaders)?;
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

fn settings(raw: RawSettings) -> Result<Settings, Failure> {
    let date_folder = match raw.date_folder.as_deref() {
        None | Some("month-day") => DateFolderStyle::MonthDay,
        Some("iso") => DateFolderStyle::Iso,
        Some(other) => return Err(bad("settings.date_folder", other, "month-day or iso")),
    };
    let filenames = match raw.filenames.as_deref() {
        None | Some("portable") => FileNameMode::Portable,
        Some("posix") => FileNameMode::Posix,
        Some(other) => return Err(bad("settings.filenames", other, "portable or posix")),
    };
    let concurrency_per_host = raw
        .concurrency_per_host
        .unwrap_or(DEFAULT_CONCURRENCY_PER_HOST);
    if concurrency_per_host == 0 {
        return Err((
            "settings.concurrency_per_host".into(),
            "must be at least 1".into(),
        ));
    }
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
        media_max_file_bytes: positive(
            "settings.media_max_file_bytes",
            raw.media_max_file_bytes
                .unwrap_or(DEFAULT_MEDIA_MAX_FILE_BYTES),
        )?,
        media_max_article_bytes: positive(
            "settings.media_max_article_bytes",
            raw.media_max_article_bytes
                .unwrap_or(DEFAULT_MEDIA_MAX_ARTICLE_BYTES),
        )?,
        resolve: crate::reach::resolve("settings.resolve", &raw.resolve)?,
        root_certificates: raw
            .ca_certificates
            .iter()
            .enumerate()
            .map(|(i, p)| crate::reach::read_pem(&format!("settings.ca_certificates[{i}]"), p))
            .collect::<Result<_, _>>()?,
    })
}

fn positive(key: &str, n: u64) -> Result<u64, Failure> {
    if n == 0 {
        Err((key.into(), "must be at least 1 byte".into()))
    } else {
        Ok(n)
    }
}

fn source(s: RawSource, key: &str) -> Result<Source, Failure> {
    if s.id.trim().is_empty() || s.id.contains(|c: char| c.is_whitespace() || c == '/') {
        return Err((
            format!("{key}.id"),
            "must be non-empty, without spaces or `/`".into(),
        ));
    }
    if s.column.trim().is_empty() {
        return Err((format!("{key}.column"), "must not be empty".into()));
    }
    let kind = match s.kind.as_deref() {
        None | Some("html") => {
            crate::listing::refuse_list_keys(&s, key, "html")?;
            SourceKind::Html(Box::new(html_source(&s, key)?))
        }
        Some("edition") => {
            crate::listing::refuse_list_keys(&s, key, "edition")?;
            SourceKind::Edition(edition_source(&s, key)?)
        }
        Some("json") => SourceKind::Json(Box::new(crate::listing::api_source(&s, key, false)?)),
        Some("form") => SourceKind::Form(Box::new(crate::listing::api_source(&s, key, true)?)),
        Some("feed") => SourceKind::Feed(Box::new(crate::listing::feed_source(&s, key)?)),
        Some(other) => {
            return Err(bad(
                &format!("{key}.kind"),
                other,
                "html, edition, json, form or feed",
            ));
        }
    };
    let max_new_per_run = s.max_new_per_run.unwrap_or(DEFAULT_MAX_NEW_PER_RUN);
    if max_new_per_run == 0 {
        return Err((
            format!("{key}.max_new_per_run"),
            "must be at least 1".into(),
        ));
    }
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
        user_agent: crate::reach::user_agent(&format!("{key}.user_agent"), s.user_agent)?,
        headers: s.headers,
        cookies_env: s.cookies_env,
        id: s.id,
        column: s.column,
        kind,
    })
}

fn html_source(s: &RawSource, key: &str) -> Result<HtmlSource, Failure> {
    for field in ["paper", "edition_url", "page_links", "pdf_links"] {
        let set = match field {
            "paper" => s.paper.is_some(),
            "edition_url" => s.edition_url.is_some(),
            "page_links" => s.page_links.is_some(),
            _ => s.pdf_links.is_some(),
        };
        if set {
            return Err((
                format!("{key}.{field}"),
                "only edition sources (kind = \"edition\") take this key".into(),
            ));
        }
    }
    if s.list_urls.is_empty() {
        return Err((
            format!("{key}.list_urls"),
            "give at least one list page URL".into(),
        ));
    }
    let mut list_urls = Vec::new();
    for (i, u) in s.list_urls.iter().enumerate() {
        list_urls.push(http_url(&format!("{key}.list_urls[{i}]"), u)?);
    }
    let pagination = match &s.pagination {
        None => Pagination::None,
        Some(p) => {
            let pages = p.pages.unwrap_or(DEFAULT_PAGE_LIMIT.max(2));
            if pages == 0 {
                return Err((
                    format!("{key}.pagination.pages"),
                    "must be at least 1".into(),
                ));
            }
            match (p.kind.as_str(), &p.next) {
                ("trs", None) => Pagination::Trs { pages },
                ("next", Some(sel)) => Pagination::Next {
                    selector: sel.clone(),
                    pages,
                },
                ("next", None) => {
                    return Err((
                        format!("{key}.pagination.next"),
                        "kind = \"next\" needs the next-page link selector".into(),
                    ));
                }
                ("trs", Some(_)) => {
                    return Err((
                        format!("{key}.pagination.next"),
                        "only kind = \"next\" takes a selector".into(),
                    ));
                }
                (other, _) => {
                    return Err(bad(&format!("{key}.pagination.kind"), other, "trs or next"));
                }
            }
        }
    };
    let include = patterns(&format!("{key}.include"), &s.include)?;
    let exclude = patterns(&format!("{key}.exclude"), &s.exclude)?;
    let allowed_hosts = if s.allowed_hosts.is_empty() {
        let mut hosts: Vec<String> = list_urls
            .iter()
            .filter_map(|u| u.host_str().map(str::to_owned))
            .collect();
        hosts.dedup();
        hosts
    } else {
        s.allowed_hosts.clone()
    };
    if let Some(label) = &s.encoding
        && encoding_rs::Encoding::for_label(label.as_bytes()).is_none()
    {
        return Err((
            format!("{key}.encoding"),
            format!("`{label}` is not an encoding label (examples: utf-8, gbk, gb18030, big5)"),
        ));
    }
    let article = article_selectors(
        &format!("{key}.article"),
        s.article.clone().unwrap_or_default(),
    )?;
    Ok(HtmlSource {
        list_urls,
        pagination,
        link_selector: s.link.clone(),
        list_date_selector: s.list_date.clone(),
        title_from_list: s.title_from_list.unwrap_or(false),
        include,
        exclude,
        allowed_hosts,
        encoding: s.encoding.clone(),
        article,
        script_links: crate::reach::script_links(
            &format!("{key}.script_links"),
            s.script_links.as_ref(),
        )?,
    })
}

fn edition_source(s: &RawSource, key: &str) -> Result<EditionSource, Failure> {
    if !s.list_urls.is_empty() {
        return Err((
            format!("{key}.list_urls"),
            "edition sources take edition_url, not list_urls".into(),
        ));
    }
    let template = s.edition_url.clone().ok_or_else(|| {
        (
            format!("{key}.edition_url"),
            "edition sources need an edition_url with {yyyy}, {mm} and {dd}".to_owned(),
        )
    })?;
    let sample = EditionSource {
        paper: String::new(),
        edition_url: template.clone(),
        page_links: None,
        pdf_links: String::new(),
    }
    .url_for(NaiveDate::from_ymd_opt(2020, 6, 10).expect("a valid day"));
    if !template.contains("{dd}") {
        return Err((
            format!("{key}.edition_url"),
            "must contain {dd} (and usually {yyyy} and {mm}) so each day has its own URL".into(),
        ));
    }
    http_url(&format!("{key}.edition_url"), &sample)?;
    Ok(EditionSource {
        paper: s.paper.clone().unwrap_or_else(|| s.column.clone()),
        edition_url: template,
        page_links: s.page_links.clone(),
        pdf_links: s
            .pdf_links
            .clone()
            .unwrap_or_else(|| "a[href$='.pdf']".into()),
    })
}

pub(crate) fn article_selectors(
    key: &str,
    raw: RawArticleSelectors,
) -> Result<ArticleSelectors, Failure> {
    patterns(&format!("{key}.drop"), &raw.drop)?;
    Ok(ArticleSelectors {
        title: raw.title,
        body: raw.body,
        date: raw.date,
        author: raw.author,
        origin: raw.origin,
        min_paragraph_chars: raw.min_paragraph_chars.unwrap_or(0),
        drop: raw.drop,
    })
}

pub(crate) fn http_url(key: &str, text: &str) -> Result<Url, Failure> {
    let url =
        Url::parse(text).map_err(|e| (key.to_owned(), format!("`{text}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err((
            key.to_owned(),
            format!("`{text}`: only http and https URLs"),
        ));
    }
    Ok(url)
}

pub(crate) fn patterns(key: &str, list: &[String]) -> Result<Vec<Regex>, Failure> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            Regex::new(p).map_err(|e| (format!("{key}[{i}]"), format!("bad pattern: {e}")))
        })
        .collect()
}

fn duration(key: &str, text: Option<&str>) -> Result<Option<Duration>, Failure> {
    text.map(|t| parse_duration(t).map_err(|m| (key.to_owned(), m)))
        .transpose()
}

/// `recheck = ["1h", "1d", "7d"]`: durations, each above zero, strictly ascending.
fn recheck_ages(key: &str, ages: Option<&[String]>) -> Result<Vec<Duration>, Failure> {
    let Some(ages) = ages else {
        return Ok(DEFAULT_RECHECK.to_vec());
    };
    let mut out: Vec<Duration> = Vec::with_capacity(ages.len());
    for (i, text) in ages.iter().enumerate() {
        let d = parse_duration(text).map_err(|m| (format!("{key}[{i}]"), m))?;
        if d.is_zero() {
            return Err((format!("{key}[{i}]"), "must be longer than 0".into()));
        }
        if out.last().is_some_and(|last| *last >= d) {
            return Err((
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

fn bad(key: &str, value: &str, expected: &str) -> Failure {
    (
        key.to_owned(),
        format!("`{value}` is not allowed here; use {expected}"),
    )
}
