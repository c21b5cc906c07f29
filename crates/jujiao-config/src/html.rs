//! `kind = "html"` (the default): list pages linking to article pages.

use crate::DEFAULT_PAGE_LIMIT;
use crate::check::{KeyError, at_least_one, http_url, not_allowed};
use crate::raw::RawSource;
use crate::reach::{ScriptLinks, script_links};
use crate::rules::{ArticleRules, ArticleSelectors, article_rules, is_followed, refuse_list_keys};
use regex::Regex;
use url::Url;

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
    pub script_links: ScriptLinks,
}

impl HtmlSource {
    /// True when a discovered link may be followed: its host is allowed, it matches an
    /// include pattern (if any) and no exclude pattern.
    pub fn is_followed(&self, url: &Url) -> bool {
        is_followed(&self.allowed_hosts, &self.include, &self.exclude, url)
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

/// Validates a `kind = "html"` source.
pub(crate) fn html_source(s: &RawSource, key: &str) -> Result<HtmlSource, KeyError> {
    refuse_list_keys(s, key, "html")?;
    for field in ["paper", "edition_url", "page_links", "pdf_links"] {
        let set = match field {
            "paper" => s.paper.is_some(),
            "edition_url" => s.edition_url.is_some(),
            "page_links" => s.page_links.is_some(),
            _ => s.pdf_links.is_some(),
        };
        if set {
            return Err(KeyError::invalid(
                format!("{key}.{field}"),
                "only edition sources (kind = \"edition\") take this key",
            ));
        }
    }
    if s.list_urls.is_empty() {
        return Err(KeyError::invalid(
            format!("{key}.list_urls"),
            "give at least one list page URL",
        ));
    }
    let mut list_urls = Vec::new();
    for (i, u) in s.list_urls.iter().enumerate() {
        list_urls.push(http_url(&format!("{key}.list_urls[{i}]"), u)?);
    }
    let pagination = match &s.pagination {
        None => Pagination::None,
        Some(p) => {
            let pages = at_least_one(
                &format!("{key}.pagination.pages"),
                p.pages.unwrap_or(DEFAULT_PAGE_LIMIT.max(2)),
                "",
            )?;
            match (p.kind.as_str(), &p.next) {
                ("trs", None) => Pagination::Trs { pages },
                ("next", Some(sel)) => Pagination::Next {
                    selector: sel.clone(),
                    pages,
                },
                ("next", None) => {
                    return Err(KeyError::invalid(
                        format!("{key}.pagination.next"),
                        "kind = \"next\" needs the next-page link selector",
                    ));
                }
                ("trs", Some(_)) => {
                    return Err(KeyError::invalid(
                        format!("{key}.pagination.next"),
                        "only kind = \"next\" takes a selector",
                    ));
                }
                (other, _) => {
                    return Err(not_allowed(
                        &format!("{key}.pagination.kind"),
                        other,
                        "trs or next",
                    ));
                }
            }
        }
    };
    let refs: Vec<&Url> = list_urls.iter().collect();
    let ArticleRules {
        include,
        exclude,
        allowed_hosts,
        encoding,
        title_from_list,
        article,
    } = article_rules(s, key, &refs)?;
    Ok(HtmlSource {
        pagination,
        link_selector: s.link.clone(),
        list_date_selector: s.list_date.clone(),
        title_from_list,
        include,
        exclude,
        allowed_hosts,
        encoding,
        article,
        script_links: script_links(&format!("{key}.script_links"), s.script_links.as_ref())?,
        list_urls,
    })
}
