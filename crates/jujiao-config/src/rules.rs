//! What every source that yields article links shares: which links are followed
//! ([`ArticleRules`]), how article pages are read ([`ArticleSelectors`]), and the check
//! that a source sets no key of another kind.

use crate::check::{KeyError, encoding_label, patterns};
use crate::raw::{RawArticleSelectors, RawSource};
use regex::Regex;
use url::Url;

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

/// Which links to follow and how to decode and extract the article pages.
#[derive(Debug, Clone)]
pub struct ArticleRules {
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    /// Hosts whose links are followed; defaults to the list's hosts.
    pub allowed_hosts: Vec<String>,
    pub encoding: Option<String>,
    pub title_from_list: bool,
    pub article: ArticleSelectors,
}

impl ArticleRules {
    /// True when a link may be followed (host allowed, included, not excluded).
    pub fn is_followed(&self, url: &Url) -> bool {
        is_followed(&self.allowed_hosts, &self.include, &self.exclude, url)
    }
}

/// True when `url`'s host is one of `allowed_hosts` (or below one), it matches an
/// include pattern (if any) and no exclude pattern.
pub(crate) fn is_followed(
    allowed_hosts: &[String],
    include: &[Regex],
    exclude: &[Regex],
    url: &Url,
) -> bool {
    let host_ok = url.host_str().is_some_and(|h| {
        allowed_hosts
            .iter()
            .any(|a| h.eq_ignore_ascii_case(a) || h.ends_with(&format!(".{a}")))
    });
    let s = url.as_str();
    host_ok
        && (include.is_empty() || include.iter().any(|r| r.is_match(s)))
        && !exclude.iter().any(|r| r.is_match(s))
}

/// Validates `[source.article]`.
pub(crate) fn article_selectors(
    key: &str,
    raw: RawArticleSelectors,
) -> Result<ArticleSelectors, KeyError> {
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

/// Validates the link and article keys of a source whose list lives at `list_urls`
/// (their hosts are the allowed hosts unless `allowed_hosts` is given).
pub(crate) fn article_rules(
    s: &RawSource,
    key: &str,
    list_urls: &[&Url],
) -> Result<ArticleRules, KeyError> {
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
    encoding_label(&format!("{key}.encoding"), s.encoding.as_deref())?;
    Ok(ArticleRules {
        include: patterns(&format!("{key}.include"), &s.include)?,
        exclude: patterns(&format!("{key}.exclude"), &s.exclude)?,
        allowed_hosts,
        encoding: s.encoding.clone(),
        title_from_list: s.title_from_list.unwrap_or(false),
        article: article_selectors(
            &format!("{key}.article"),
            s.article.clone().unwrap_or_default(),
        )?,
    })
}

/// Refuses the first of `keys` that is set: a source of `kind` does not use it.
pub(crate) fn refuse(
    s: &RawSource,
    key: &str,
    kind: &'static str,
    keys: &[&str],
) -> Result<(), KeyError> {
    for field in keys {
        let set = match *field {
            "paper" => s.paper.is_some(),
            "edition_url" => s.edition_url.is_some(),
            "page_links" => s.page_links.is_some(),
            "pdf_links" => s.pdf_links.is_some(),
            "pagination" => s.pagination.is_some(),
            "list_urls" => !s.list_urls.is_empty(),
            "endpoint" => s.endpoint.is_some(),
            "method" => s.method.is_some(),
            "body" => s.body.is_some(),
            "form" => s.form.is_some(),
            "first_page" => s.first_page.is_some(),
            "pages" => s.pages.is_some(),
            "max_age" => s.max_age.is_some(),
            "json" => s.json.is_some(),
            "session" => s.session.is_some(),
            "link" => s.link.is_some(),
            "list_date" => s.list_date.is_some(),
            _ => false,
        };
        if set {
            return Err(KeyError::NotForKind {
                key: format!("{key}.{field}"),
                kind,
            });
        }
    }
    Ok(())
}

/// Keys only json, form or feed sources take: refused on html and edition sources.
pub(crate) fn refuse_list_keys(
    s: &RawSource,
    key: &str,
    kind: &'static str,
) -> Result<(), KeyError> {
    refuse(
        s,
        key,
        kind,
        &[
            "endpoint",
            "method",
            "body",
            "form",
            "first_page",
            "pages",
            "max_age",
            "json",
            "session",
        ],
    )
}
