//! `jujiao sources check`: what each source will request ([`explain`], nothing sent)
//! and a preview of the first list items ([`Crawler::preview`], the first list page
//! only; nothing stored).

use crate::json_list::ListItem;
use crate::report::{Quiet, SourceReport, Verdict};
use crate::urls::normalize;
use crate::{CrawlError, Crawler, api_source, feed};
use jujiao_config::{Pagination, Source, SourceKind};
use jujiao_extract::discover_links_with;
use jujiao_extract::select::Selector;
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
                        Ok(r) if r.is_success() && challenge_of(&r).is_none() => {
                            if is_moved(list, &r.url) {
                                report.redirected_to = Some(r.url.to_string());
                            }
                            let charset = h.encoding.as_deref().or(r.charset.as_deref());
                            let text = jujiao_extract::decode(&r.body, charset).text;
                            let read = |link: Option<&Selector>| {
                                discover_links_with(
                                    &text,
                                    &r.url,
                                    link,
                                    compiled.list_date.as_ref(),
                                    &compiled.scripts,
                                )
                                .into_iter()
                                .filter_map(|l| {
                                    let url = normalize(&Url::parse(&l.url).ok()?);
                                    h.is_followed(&url).then_some(ListItem {
                                        title: l.text,
                                        url,
                                        date: l.date,
                                        summary: None,
                                    })
                                })
                                .collect::<Vec<_>>()
                            };
                            items = read(compiled.link.as_ref());
                            if items.is_empty() && compiled.link.is_some() {
                                // The selector matches nothing: does the page still
                                // hold a list the automatic reading finds?
                                items = read(None);
                                if !items.is_empty() {
                                    report.fallbacks += 1;
                                }
                            }
                        }
                        Ok(r) => {
                            report.list_pages_failed += 1;
                            if r.is_success() {
                                let vendor = challenge_of(&r).unwrap_or_default();
                                report.challenge =
                                    Some(format!("HTTP {} from {list}: {vendor}", r.status));
                            } else {
                                report.note_status(list, &r);
                            }
                        }
                        Err(e) => {
                            report.list_pages_failed += 1;
                            report.error(format!("list page {list}: {e}"));
                        }
                    }
                }
                items
            }
            SourceKind::Edition(edition) => {
                let options = crate::RunOptions {
                    dry_run: true,
                    ..crate::RunOptions::default()
                };
                crate::edition::run(self, compiled, edition, options, &Quiet, &mut report).await;
                let pdfs = std::mem::take(&mut report.would_fetch);
                report.pdfs = pdfs.len() as u64;
                pdfs.into_iter()
                    .filter_map(|u| Url::parse(&u).ok())
                    .map(|url| ListItem {
                        title: url.path().rsplit('/').next().unwrap_or_default().to_owned(),
                        url,
                        date: None,
                        summary: None,
                    })
                    .collect()
            }
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

/// The one-line verdict `jujiao sources check` prints for a source (and the web app's
/// sources page shows): `ok: 12 items`, `404: …`, `redirected to …`, `challenge page
/// (HTTP 412, 瑞数 …)`, `list empty`, `selectors no longer match …`.
pub fn check_line(preview: &Preview) -> String {
    let r = &preview.report;
    let n = preview.items.len();
    match r.verdict {
        Verdict::Ok => format!("ok: {n} items"),
        Verdict::NoEdition => format!(
            "ok: {}",
            r.no_edition.as_deref().unwrap_or("no edition that day")
        ),
        Verdict::NotFound => format!(
            "404: {}",
            r.error_samples
                .first()
                .map_or("list page not found", |s| s.as_str())
        ),
        Verdict::Redirected => format!(
            "redirected to {} (and no article link there)",
            r.redirected_to.as_deref().unwrap_or("?")
        ),
        Verdict::Challenged => format!(
            "challenge page ({})",
            r.challenge.as_deref().unwrap_or("verification page")
        ),
        Verdict::ListEmpty => "list empty: the page answered but holds no article link".into(),
        Verdict::SelectorsStale => {
            format!("selectors no longer match: the automatic reading found {n} items instead")
        }
        other => format!(
            "{}: {}",
            other.as_str(),
            r.error_samples.first().map_or("", |s| s.as_str())
        ),
    }
}

/// True when a list page ended on another page than asked (a redirect to a new
/// address or to the home page), not merely `http`→`https` or a trailing slash.
pub(crate) fn is_moved(asked: &Url, answered: &Url) -> bool {
    let key = |u: &Url| {
        format!(
            "{}{}",
            u.host_str().unwrap_or_default(),
            u.path()
                .trim_end_matches('/')
                .trim_end_matches("/index.html")
        )
    };
    key(asked) != key(answered)
}

/// The vendor and evidence of a verification (anti-bot) page answered instead of
/// content, if the answer is one (`jujiao_extract::challenge`: 瑞数 412/202 script-only
/// pages, 加速乐 521, 360 网站卫士 493, 云锁, 安全狗, 网宿, generic block pages). Reported,
/// never solved.
pub(crate) fn challenge_of(response: &jujiao_fetch::FetchResponse) -> Option<String> {
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(ct) = &response.content_type {
        headers.push(("content-type", ct));
    }
    jujiao_extract::challenge::detect(response.status, &headers, &response.body)
        .map(|c| c.to_string())
}
