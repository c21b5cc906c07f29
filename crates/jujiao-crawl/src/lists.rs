//! A list reader per source kind, used alike by a run ([`crate::pipeline::run`]) and a
//! worker's list item: a source's lists ([`list_urls`]: an HTML source's list URLs, a
//! JSON or form source's endpoint, a feed source's feed URLs) are each read by
//! [`read`] into [`Candidate`]s — `html_list` for HTML, `api_source` for JSON APIs and
//! forms (all their pages, with the session step), `feed` for RSS, Atom and sitemaps.
//! Edition sources have no list: `edition` collects their PDFs.

use crate::pipeline::{Candidate, ListFindings};
use crate::report::{Observer, SourceReport};
use crate::{Compiled, Crawler, api_source, feed, html_list};
use jujiao_config::SourceKind;
use url::Url;

/// The lists of a source, each read by one [`read`] (a worker queues each as an item,
/// under this URL): an HTML source's list URLs, a JSON or form source's endpoint (its
/// first page: the reader goes on to the next ones), a feed source's feed URLs; none
/// for an edition source.
pub(crate) fn list_urls(compiled: &Compiled) -> Vec<String> {
    match &compiled.source.kind {
        SourceKind::Html(h) => h.list_urls.iter().map(Url::to_string).collect(),
        SourceKind::Json(api) | SourceKind::Form(api) => vec![api.url_for(api.first_page)],
        SourceKind::Feed(f) => f.feed_urls.iter().map(Url::to_string).collect(),
        SourceKind::Edition(_) => Vec::new(),
    }
}

/// True for a source whose articles come from lists (what workers run).
pub(crate) fn has_lists(compiled: &Compiled) -> bool {
    !matches!(compiled.source.kind, SourceKind::Edition(_))
}

/// Reads one list of `compiled` (one of [`list_urls`]) into `found`; failures are
/// counted in `report`.
pub(crate) async fn read(
    crawler: &Crawler,
    compiled: &Compiled,
    list_url: &str,
    observer: &dyn Observer,
    report: &mut SourceReport,
    found: &mut ListFindings,
) {
    let kind = &compiled.source.kind;
    if let SourceKind::Json(api) | SourceKind::Form(api) = kind {
        // The reader builds each page's request itself (and reports a bad endpoint).
        api_source::read(crawler, compiled, api, observer, report, found).await;
        return;
    }
    let url = match Url::parse(list_url) {
        Ok(url) => url,
        Err(e) => {
            report.list_pages += 1;
            report.list_pages_failed += 1;
            report.error(format!("list {list_url}: not a URL: {e}"));
            return;
        }
    };
    match kind {
        SourceKind::Html(html) => {
            html_list::read(crawler, compiled, html, &url, observer, report, found).await;
        }
        SourceKind::Feed(f) => {
            feed::read(crawler, compiled, f, &url, observer, report, found).await;
        }
        SourceKind::Json(_) | SourceKind::Form(_) | SourceKind::Edition(_) => {}
    }
}

/// Puts the candidates in the order the per-run cap keeps: a feed's newest first
/// (sitemaps are unordered); others as their lists give them.
pub(crate) fn order(compiled: &Compiled, candidates: &mut [Candidate]) {
    if let SourceKind::Feed(_) = compiled.source.kind {
        candidates.sort_by_key(|c| std::cmp::Reverse(c.list_date));
    }
}
