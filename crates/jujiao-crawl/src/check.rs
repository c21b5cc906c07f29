//! `jujiao sources check`: what each source will request ([`explain`], nothing sent)
//! and a preview of the first list items ([`Crawler::preview`], the first list page
//! only; nothing stored).

use crate::json_list::ListItem;
use crate::report::{Quiet, SourceReport};
use crate::urls::normalize;
use crate::{CrawlError, Crawler, api_source, feed};
use jujiao_config::{Pagination, Source, SourceKind};
use jujiao_extract::discover_links;
use jujiao_fetch::FetchRequest;
use url::Url;

/// The requests a source's run starts with, one line each: method, URL, body. Header
/// and cookie values are never shown, only their names and where they come from.
pub fn explain(source: &Source) -> Vec<String> {
    let mut out = Vec::new();
    for name in source.headers.keys() {
        out.push(format!("header {name}: <set in the config, not shown>"));
    }
    match &source.kind {
        SourceKind::Html(h) => {
            for (name, var) in &source.cookies_env {
                out.push(format!(
                    "cookie {name} = <value of environment variable {var}, not shown>"
                ));
            }
            for list in &h.list_urls {
                out.push(format!("GET {list}"));
                match &h.pagination {
                    Pagination::Trs { pages } if *pages > 1 => {
                        let last = Pagination::trs_pages(list, *pages);
                        if let Some(l) = last.last() {
                            out.push(format!("    … and the next pages up to GET {l}"));
                        }
                    }
                    Pagination::Next { pages, .. } if *pages > 1 => out.push(format!(
                        "    … then the next-page link, up to {pages} pages"
                    )),
                    _ => {}
                }
            }
        }
        SourceKind::Edition(e) => {
            out.push(format!("GET {}   (the day's edition page)", e.edition_url));
        }
        SourceKind::Json(api) | SourceKind::Form(api) => {
            out.extend(api_source::explain(source, api));
        }
        SourceKind::Feed(f) => {
            for url in &f.feed_urls {
                out.push(format!("GET {url}   (RSS, Atom, sitemap or sitemap index)"));
            }
        }
    }
    out.push("then GET each new article page (or file) the list links to".into());
    out
}

/// The first list items of a source, as `jujiao sources check` shows them.
#[derive(Debug)]
pub struct Preview {
    pub items: Vec<ListItem>,
    /// Failures, a login page detected, … (the verdict is decided).
    pub report: SourceReport,
}

impl Crawler {
    /// Fetches the first list page (or feed) of source `id` and returns its items,
    /// after the session step if it has one. Nothing is stored.
    pub async fn preview(&self, id: &str) -> Result<Preview, CrawlError> {
        let compiled = self
            .sources
            .iter()
            .find(|c| c.source.id == id)
            .ok_or_else(|| CrawlError::UnknownSource(id.to_owned()))?;
        let mut report = SourceReport::new(&compiled.source);
        let items = match &compiled.source.kind {
            SourceKind::Html(h) => {
                let mut items = Vec::new();
                if let Some(list) = h.list_urls.first() {
                    report.list_pages += 1;
                    let request = FetchRequest::new(list.clone()).with_source(id);
                    match self.fetcher.fetch(&request).await {
                        Ok(r) if r.is_success() => {
                            let charset = h.encoding.as_deref().or(r.charset.as_deref());
                            let text = jujiao_extract::decode(&r.body, charset).text;
                            for link in discover_links(
                                &text,
                                &r.url,
                                compiled.link.as_ref(),
                                compiled.list_date.as_ref(),
                            ) {
                                let Ok(url) = Url::parse(&link.url) else {
                                    continue;
                                };
                                let url = normalize(&url);
                                if h.is_followed(&url) {
                                    items.push(ListItem {
                                        title: link.text,
                                        url,
                                        date: link.date,
                                        summary: None,
                                    });
                                }
                            }
                        }
                        Ok(r) => {
                            report.list_pages_failed += 1;
                            report.error(format!("list page {list}: HTTP {}", r.status));
                        }
                        Err(e) => {
                            report.list_pages_failed += 1;
                            report.error(format!("list page {list}: {e}"));
                        }
                    }
                }
                items
            }
            SourceKind::Edition(_) => Vec::new(),
            SourceKind::Json(api) | SourceKind::Form(api) => {
                api_source::preview(self, compiled, api, &mut report).await
            }
            SourceKind::Feed(f) => {
                let first = jujiao_config::FeedSource {
                    feed_urls: f.feed_urls.iter().take(1).cloned().collect(),
                    ..(**f).clone()
                };
                feed::items(self, compiled, &first, &Quiet, &mut report)
                    .await
                    .into_iter()
                    .filter(|i| f.rules.is_followed(&i.url))
                    .collect()
            }
        };
        report.links_found = items.len() as u64;
        report.decide_verdict();
        Ok(Preview { items, report })
    }
}
