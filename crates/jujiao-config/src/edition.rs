//! `kind = "edition"`: a newspaper's daily PDF edition.

use crate::check::{KeyError, http_url};
use crate::raw::RawSource;
use crate::rules::refuse_list_keys;
use chrono::NaiveDate;

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

/// Validates a `kind = "edition"` source.
pub(crate) fn edition_source(s: &RawSource, key: &str) -> Result<EditionSource, KeyError> {
    refuse_list_keys(s, key, "edition")?;
    if !s.list_urls.is_empty() {
        return Err(KeyError::invalid(
            format!("{key}.list_urls"),
            "edition sources take edition_url, not list_urls",
        ));
    }
    let template = s.edition_url.clone().ok_or_else(|| {
        KeyError::invalid(
            format!("{key}.edition_url"),
            "edition sources need an edition_url with {yyyy}, {mm} and {dd}",
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
        return Err(KeyError::invalid(
            format!("{key}.edition_url"),
            "must contain {dd} (and usually {yyyy} and {mm}) so each day has its own URL",
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
