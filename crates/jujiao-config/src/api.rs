//! `kind = "json"` (a JSON list API) and `kind = "form"` (a portal form answered to a
//! POST): list answers whose items (title, URL, date) then go through the same article
//! pipeline as HTML list links.

use crate::check::{KeyError, at_least_one, duration, http_url, not_allowed, pattern};
use crate::raw::{RawJsonItems, RawSession, RawSource};
use crate::rules::{ArticleRules, article_rules, refuse};
use regex::Regex;
use std::time::Duration;
use url::Url;

/// Default number of list pages read per run for json and form sources.
pub const DEFAULT_API_PAGES: usize = 3;
/// Default number of the first page.
pub const DEFAULT_FIRST_PAGE: u64 = 1;

/// The HTTP method of a list request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListMethod {
    Get,
    Post,
}

/// What a list request sends as its body (`{page}` replaced in each value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListBody {
    None,
    /// `application/json`, a template.
    Json(String),
    /// `application/x-www-form-urlencoded`, fields in file order.
    Form(Vec<(String, String)>),
}

/// How the items are read from a list answer.
#[derive(Debug, Clone)]
pub enum ItemFormat {
    Json(Box<JsonItems>),
    /// An HTML list: links by selector (or automatic), dates by selector.
    Html {
        link: Option<String>,
        list_date: Option<String>,
    },
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    Index(usize),
    /// `[*]`: every element of an array (or every value of an object).
    Each,
}

/// A small dotted path into JSON: `data.list[*]`, `result.rows`, `items[0].title`.
/// Keys are separated by `.`; `[N]` takes an element, `[*]` every element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub text: String,
    pub steps: Vec<PathStep>,
}

impl JsonPath {
    /// Parses a path; the error says what is wrong.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let mut steps = Vec::new();
        if text.trim().is_empty() {
            return Err("the path is empty".into());
        }
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() && rest.is_empty() {
                return Err(format!("`{text}`: empty key between dots"));
            }
            if !key.is_empty() {
                steps.push(PathStep::Key(key.to_owned()));
            }
            while !rest.is_empty() {
                let Some(end) = rest.find(']').filter(|_| rest.starts_with('[')) else {
                    return Err(format!("`{text}`: expected `[N]` or `[*]` in `{part}`"));
                };
                let inner = &rest[1..end];
                steps.push(if inner == "*" {
                    PathStep::Each
                } else {
                    PathStep::Index(inner.parse().map_err(|_| {
                        format!("`{text}`: `[{inner}]` is neither an index nor `*`")
                    })?)
                });
                rest = &rest[end + 1..];
            }
        }
        Ok(JsonPath {
            text: text.to_owned(),
            steps,
        })
    }
}

/// Where the items of a JSON answer are and which fields hold what.
#[derive(Debug, Clone)]
pub struct JsonItems {
    pub items: JsonPath,
    pub title: JsonPath,
    pub url: ItemUrl,
    pub date: Option<JsonPath>,
    pub summary: Option<JsonPath>,
}

/// How an item's article URL is made.
#[derive(Debug, Clone)]
pub enum ItemUrl {
    /// A field holding the URL (relative URLs are resolved against the endpoint).
    Field(JsonPath),
    /// A field holding an id, put into a template at `{id}`.
    Template { id: JsonPath, template: String },
}

/// The session step of a form or json source.
#[derive(Debug, Clone)]
pub struct Session {
    /// GET first (and once more when the session expired) to obtain cookies.
    pub url: Option<Url>,
    /// A list answer on a URL matching this is the login page.
    pub login_url: Option<Regex>,
    /// Text that only the login page contains; `None`: a password field.
    pub login_marker: Option<String>,
}

/// A JSON list API or a portal form.
#[derive(Debug, Clone)]
pub struct ApiSource {
    /// URL template with `{page}` (or none: the page is in the body).
    pub endpoint: String,
    pub method: ListMethod,
    pub body: ListBody,
    pub first_page: u64,
    pub pages: usize,
    pub max_age: Option<Duration>,
    pub items: ItemFormat,
    pub session: Option<Session>,
    pub rules: ArticleRules,
}

impl ApiSource {
    /// The endpoint URL of a page.
    pub fn url_for(&self, page: u64) -> String {
        fill(&self.endpoint, page)
    }

    /// The body of a page's request.
    pub fn body_for(&self, page: u64) -> ListBody {
        match &self.body {
            ListBody::None => ListBody::None,
            ListBody::Json(t) => ListBody::Json(fill(t, page)),
            ListBody::Form(fields) => ListBody::Form(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), fill(v, page)))
                    .collect(),
            ),
        }
    }
}

pub(crate) fn fill(template: &str, page: u64) -> String {
    template.replace("{page}", &page.to_string())
}

/// `max_age`: list items older than this are skipped.
pub(crate) fn max_age(s: &RawSource, key: &str) -> Result<Option<Duration>, KeyError> {
    duration(&format!("{key}.max_age"), s.max_age.as_deref())
}

fn path(key: &str, text: &str) -> Result<JsonPath, KeyError> {
    JsonPath::parse(text).map_err(|m| KeyError::invalid(key, m))
}

fn json_items(raw: &RawJsonItems, key: &str) -> Result<JsonItems, KeyError> {
    let url = match (&raw.url, &raw.id, &raw.url_template) {
        (Some(u), None, None) => ItemUrl::Field(path(&format!("{key}.url"), u)?),
        (None, Some(id), Some(t)) => {
            if !t.contains("{id}") {
                return Err(KeyError::invalid(
                    format!("{key}.url_template"),
                    "must contain {id}, where the item's id goes",
                ));
            }
            http_url(&format!("{key}.url_template"), &t.replace("{id}", "1"))?;
            ItemUrl::Template {
                id: path(&format!("{key}.id"), id)?,
                template: t.clone(),
            }
        }
        (None, Some(_), None) => {
            return Err(KeyError::invalid(
                format!("{key}.url_template"),
                "`id` needs a url_template with {id} (or give `url` instead)",
            ));
        }
        (None, None, _) => {
            return Err(KeyError::invalid(
                format!("{key}.url"),
                "give the field holding the article URL (`url`), or `id` with `url_template`",
            ));
        }
        _ => {
            return Err(KeyError::invalid(
                format!("{key}.url"),
                "give either `url` or `id` with `url_template`, not both",
            ));
        }
    };
    let items = path(&format!("{key}.items"), &raw.items)?;
    Ok(JsonItems {
        items,
        title: path(&format!("{key}.title"), &raw.title)?,
        url,
        date: raw
            .date
            .as_deref()
            .map(|d| path(&format!("{key}.date"), d))
            .transpose()?,
        summary: raw
            .summary
            .as_deref()
            .map(|d| path(&format!("{key}.summary"), d))
            .transpose()?,
    })
}

fn session(raw: &RawSession, key: &str) -> Result<Session, KeyError> {
    Ok(Session {
        url: raw
            .url
            .as_deref()
            .map(|u| http_url(&format!("{key}.url"), u))
            .transpose()?,
        login_url: raw
            .login_url
            .as_deref()
            .map(|p| pattern(&format!("{key}.login_url"), p))
            .transpose()?,
        login_marker: raw.login_marker.clone().filter(|m| !m.trim().is_empty()),
    })
}

/// Validates a `kind = "json"` or `kind = "form"` source.
pub(crate) fn api_source(s: &RawSource, key: &str, is_form: bool) -> Result<ApiSource, KeyError> {
    let kind = if is_form { "form" } else { "json" };
    refuse(
        s,
        key,
        kind,
        &[
            "paper",
            "edition_url",
            "page_links",
            "pdf_links",
            "pagination",
            "list_urls",
        ],
    )?;
    let endpoint = s.endpoint.clone().ok_or_else(|| {
        KeyError::invalid(
            format!("{key}.endpoint"),
            format!("{kind} sources need the list endpoint URL ({{page}} is the page number)"),
        )
    })?;
    let sample = http_url(&format!("{key}.endpoint"), &fill(&endpoint, 1))?;
    let method = match (s.method.as_deref(), is_form) {
        (None | Some("POST" | "post"), true) => ListMethod::Post,
        (Some(other), true) => return Err(not_allowed(&format!("{key}.method"), other, "POST")),
        (None | Some("GET" | "get"), false) => ListMethod::Get,
        (Some("POST" | "post"), false) => ListMethod::Post,
        (Some(other), false) => {
            return Err(not_allowed(&format!("{key}.method"), other, "GET or POST"));
        }
    };
    let body = match (is_form, &s.form, &s.body) {
        (true, _, Some(_)) => {
            return Err(KeyError::invalid(
                format!("{key}.body"),
                "form sources send `form` fields, not a `body`",
            ));
        }
        (true, fields, None) => ListBody::Form(
            fields
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        (false, Some(_), _) => {
            return Err(KeyError::invalid(
                format!("{key}.form"),
                "only form sources (kind = \"form\") take form fields",
            ));
        }
        (false, None, Some(_)) if method == ListMethod::Get => {
            return Err(KeyError::invalid(
                format!("{key}.body"),
                "a GET request has no body: set method = \"POST\" or put {page} in the endpoint",
            ));
        }
        (false, None, Some(t)) => ListBody::Json(t.clone()),
        (false, None, None) => ListBody::None,
    };
    let pages = at_least_one(
        &format!("{key}.pages"),
        s.pages.unwrap_or(DEFAULT_API_PAGES),
        "",
    )?;
    let items = match (&s.json, is_form) {
        (Some(j), _) => {
            if s.link.is_some() || s.list_date.is_some() {
                return Err(KeyError::invalid(
                    format!("{key}.link"),
                    "JSON items are mapped in [source.json], not with selectors",
                ));
            }
            ItemFormat::Json(Box::new(json_items(j, &format!("{key}.json"))?))
        }
        (None, true) => ItemFormat::Html {
            link: s.link.clone(),
            list_date: s.list_date.clone(),
        },
        (None, false) => {
            return Err(KeyError::invalid(
                format!("{key}.json"),
                "json sources need a [source.json] table with at least `items`, `title` and `url`",
            ));
        }
    };
    Ok(ApiSource {
        endpoint,
        method,
        body,
        first_page: s.first_page.unwrap_or(DEFAULT_FIRST_PAGE),
        pages,
        max_age: max_age(s, key)?,
        items,
        session: s
            .session
            .as_ref()
            .map(|r| session(r, &format!("{key}.session")))
            .transpose()?,
        rules: article_rules(s, key, &[&sample])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_keys_indexes_and_wildcards() {
        let p = JsonPath::parse("data.list[*]").unwrap();
        assert_eq!(
            p.steps,
            vec![
                PathStep::Key("data".into()),
                PathStep::Key("list".into()),
                PathStep::Each
            ]
        );
        let p = JsonPath::parse("[*].rows[2].t").unwrap();
        assert_eq!(
            p.steps,
            vec![
                PathStep::Each,
                PathStep::Key("rows".into()),
                PathStep::Index(2),
                PathStep::Key("t".into())
            ]
        );
        for bad in ["", "a..b", "a[x]", "a[1"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }
}
