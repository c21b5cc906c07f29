//! `kind = "feed"`: RSS 2.0, Atom, sitemaps and sitemap indexes.

use crate::api::max_age;
use crate::check::{KeyError, http_url};
use crate::raw::RawSource;
use crate::rules::{ArticleRules, article_rules, refuse};
use std::time::Duration;
use url::Url;

/// RSS 2.0, Atom, a sitemap or a sitemap index (recognised by their root element).
#[derive(Debug, Clone)]
pub struct FeedSource {
    pub feed_urls: Vec<Url>,
    pub max_age: Option<Duration>,
    pub rules: ArticleRules,
}

/// Validates a `kind = "feed"` source.
pub(crate) fn feed_source(s: &RawSource, key: &str) -> Result<FeedSource, KeyError> {
    refuse(
        s,
        key,
        "feed",
        &[
            "paper",
            "edition_url",
            "page_links",
            "pdf_links",
            "pagination",
            "endpoint",
            "method",
            "body",
            "form",
            "first_page",
            "pages",
            "json",
            "session",
            "link",
            "list_date",
        ],
    )?;
    if s.list_urls.is_empty() {
        return Err(KeyError::invalid(
            format!("{key}.list_urls"),
            "give at least one feed or sitemap URL",
        ));
    }
    let mut feed_urls = Vec::new();
    for (i, u) in s.list_urls.iter().enumerate() {
        feed_urls.push(http_url(&format!("{key}.list_urls[{i}]"), u)?);
    }
    let refs: Vec<&Url> = feed_urls.iter().collect();
    Ok(FeedSource {
        max_age: max_age(s, key)?,
        rules: article_rules(s, key, &refs)?,
        feed_urls,
    })
}
