//! The sources file exactly as written. Every struct refuses unknown keys, so a typo is
//! an error at start instead of a setting silently ignored.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub settings: RawSettings,
    /// `jujiao serve`'s own settings.
    #[serde(default)]
    pub web: RawWeb,
    #[serde(default, rename = "source")]
    pub sources: Vec<RawSource>,
    /// `[[briefing]]`: the office's briefing series.
    #[serde(default, rename = "briefing")]
    pub briefings: Vec<crate::briefing::RawBriefing>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub database: Option<String>,
    pub output: Option<String>,
    /// `month-day` (`06月11日`, default) or `iso` (`2020-06-11`).
    pub date_folder: Option<String>,
    /// `portable` (default) or `posix`.
    pub filenames: Option<String>,
    pub user_agent: Option<String>,
    pub respect_robots: Option<bool>,
    pub delay: Option<String>,
    pub concurrency_per_host: Option<usize>,
    pub max_body_bytes: Option<u64>,
    pub timeout: Option<String>,
    /// Allow sources and links on loopback/private addresses (tests and the demo).
    pub allow_private: Option<bool>,
    /// Collect articles' images and attachments (default true).
    pub media: Option<bool>,
    /// Folder of stored files; default `<database>.files` (required with PostgreSQL).
    pub files: Option<String>,
    pub media_max_file_bytes: Option<u64>,
    pub media_max_article_bytes: Option<u64>,
}

/// The `[web]` table: settings of `jujiao serve`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    /// The admin token of state-changing actions ("run now"); `JUJIAO_ADMIN_TOKEN`
    /// overrides it.
    pub admin_token: Option<String>,
    /// Serve the session cookie with `Secure` (behind HTTPS); default false.
    pub https: Option<bool>,
    /// Reading the briefing and search without signing in; default true.
    pub public_read: Option<bool>,
}

impl std::fmt::Debug for RawWeb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawWeb")
            .field("admin_token", &self.admin_token.as_ref().map(|_| "****"))
            .field("https", &self.https)
            .field("public_read", &self.public_read)
            .finish()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub id: String,
    pub name: Option<String>,
    pub column: String,
    /// `html` (default), `edition`, `json`, `form` or `feed`.
    pub kind: Option<String>,
    #[serde(default)]
    pub list_urls: Vec<String>,
    pub pagination: Option<RawPagination>,
    pub link: Option<String>,
    pub list_date: Option<String>,
    /// The title comes from the list link's text instead of the article page.
    pub title_from_list: Option<bool>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    pub encoding: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Cookie names mapped to environment variables holding their values, so secrets
    /// stay out of the file: `cookies_env = { security_session_verify = "NHC_COOKIE" }`.
    #[serde(default)]
    pub cookies_env: BTreeMap<String, String>,
    pub interval: Option<String>,
    pub max_new_per_run: Option<usize>,
    /// Ages (since a page was first stored) at which it is fetched again to catch
    /// revisions, e.g. `["1h", "1d", "7d"]`; `[]` turns re-checks off.
    pub recheck: Option<Vec<String>>,
    /// At most this many stored pages re-checked in one run.
    pub recheck_per_run: Option<usize>,
    pub delay: Option<String>,
    pub article: Option<RawArticleSelectors>,
    // edition sources
    pub paper: Option<String>,
    pub edition_url: Option<String>,
    pub page_links: Option<String>,
    pub pdf_links: Option<String>,
    // json and form sources
    /// The list endpoint; `{page}` is replaced by the page number.
    pub endpoint: Option<String>,
    /// `GET` or `POST` (json sources; form sources always POST).
    pub method: Option<String>,
    /// JSON request body template of a POST JSON API, `{page}` replaced.
    pub body: Option<String>,
    /// Form fields of a form source; values may contain `{page}`.
    pub form: Option<BTreeMap<String, String>>,
    /// The number of the first page (default 1).
    pub first_page: Option<u64>,
    /// Pages read at most per run (json and form sources).
    pub pages: Option<usize>,
    /// Items older than this are skipped and end the pagination (json, form, feed).
    pub max_age: Option<String>,
    pub json: Option<RawJsonItems>,
    pub session: Option<RawSession>,
}

/// Where the items are in a JSON answer and which fields hold what.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawJsonItems {
    /// Dotted path to the items: `data.list[*]`.
    pub items: String,
    pub title: String,
    /// Field holding the article URL (absolute or relative to the endpoint).
    pub url: Option<String>,
    /// Field holding an id, put into `url_template` at `{id}`.
    pub id: Option<String>,
    pub url_template: Option<String>,
    pub date: Option<String>,
    /// Field with a summary, used as the body of attachment-only items.
    pub summary: Option<String>,
}

/// The session step of a form or json source.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSession {
    /// A page fetched (GET) first to obtain the session cookie; fetched again once
    /// when the session has expired.
    pub url: Option<String>,
    /// Regex: a list request that ends on a URL matching it was sent to the login page.
    pub login_url: Option<String>,
    /// Text that only the login page contains (default: a password field).
    pub login_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPagination {
    /// `trs` (`index.html`, `index_1.html`, …) or `next` (follow a next-page link).
    pub kind: String,
    /// Selector of the next-page link, for `kind = "next"`.
    pub next: Option<String>,
    /// How many list pages to read per list URL (the first included).
    pub pages: Option<usize>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawArticleSelectors {
    pub title: Option<String>,
    pub body: Option<String>,
    pub date: Option<String>,
    pub author: Option<String>,
    pub origin: Option<String>,
    pub min_paragraph_chars: Option<usize>,
    #[serde(default)]
    pub drop: Vec<String>,
}
