//! The list reader of HTML sources (`kind = "html"`): one list URL and the pages its
//! pagination leads to (TRS `index_N.html`, a next-page link), read through the
//! crawler's fetcher into article links. Conditional GETs use the validators saved for
//! each page; a page that answers 304 gives no link.

use crate::pipeline::{Candidate, ListFindings};
use crate::report::{Event, Observer, SourceReport};
use crate::urls::normalize;
use crate::{Compiled, Crawler};
use jujiao_config::{HtmlSource, Pagination};
use jujiao_extract::{discover_links, discover_links_with};
use jujiao_fetch::FetchRequest;
use url::Url;

/// Reads one list URL and the pages its pagination leads to, adding the article links
/// it finds to `found_in`; failures go to the report.
pub(crate) async fn read(
    crawler: &Crawler,
    compiled: &Compiled,
    html: &HtmlSource,
    list_url: &Url,
    observer: &dyn Observer,
    report: &mut SourceReport,
    found_in: &mut ListFindings,
) {
    let id = compiled.source.id.as_str();
    let (mut planned, limit) = match &html.pagination {
        Pagination::Trs { pages } => (Pagination::trs_pages(list_url, *pages), *pages),
        Pagination::Next { pages, .. } => (vec![list_url.clone()], *pages),
        Pagination::None => (vec![list_url.clone()], 1),
    };
    let mut index = 0;
    while index < planned.len() && index < limit {
        let page_url = planned[index].clone();
        index += 1;
        let stored = crawler
            .store
            .list_page_validators(page_url.as_str())
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let request = FetchRequest::new(page_url.clone())
            .with_source(id)
            .with_validators(stored);
        report.list_pages += 1;
        if let Some(c) = crawler.pauses.paused(&page_url).await {
            report.list_pages_failed += 1;
            report.challenged(page_url.as_str(), &c);
            break;
        }
        let response = match crawler.fetcher.fetch(&request).await {
            Ok(r) => r,
            Err(e) => {
                report.list_pages_failed += 1;
                report.error(format!("list page {page_url}: {e}"));
                observer.event(id, Event::Warning(format!("list page {page_url}: {e}")));
                break;
            }
        };
        if response.is_not_modified() {
            report.not_modified += 1;
            observer.event(
                id,
                Event::ListPage {
                    url: page_url.to_string(),
                    links: 0,
                },
            );
            continue;
        }
        if let Some(c) = jujiao_extract::challenge::detect(response.status, &[], &response.body) {
            crawler.pauses.pause(&page_url, &c).await;
            report.list_pages_failed += 1;
            report.challenged(page_url.as_str(), &c);
            observer.event(
                id,
                Event::Warning(format!("list page {page_url}: 被验证页拦截: {c}")),
            );
            break;
        }
        if !response.is_success() {
            // A TRS list simply has fewer pages than the limit: index_N 404 is the end.
            if response.status == 404 && index > 1 {
                report.list_pages -= 1;
                break;
            }
            report.list_pages_failed += 1;
            report.note_status(&page_url, &response);
            break;
        }
        if let Some(vendor) = crate::check::challenge_of(&response) {
            // A verification page answered 200/202: not a list, never read as one.
            report.list_pages_failed += 1;
            report.challenge.get_or_insert(format!(
                "HTTP {} from {page_url}: {vendor}",
                response.status
            ));
            report.blocked += 1;
            report.error(format!("list page {page_url}: challenge page ({vendor})"));
            break;
        }
        if crate::check::is_moved(&page_url, &response.url) {
            report.redirected_to.get_or_insert(response.url.to_string());
        }
        let charset = html.encoding.as_deref().or(response.charset.as_deref());
        let decoded = jujiao_extract::decode(&response.body, charset);
        let links = discover_links_with(
            &decoded.text,
            &response.url,
            compiled.link.as_ref(),
            compiled.list_date.as_ref(),
            &compiled.scripts,
        );
        let mut found = 0;
        for link in links {
            let Ok(url) = Url::parse(&link.url) else {
                continue;
            };
            let url = normalize(&url);
            if !html.is_followed(&url) || !found_in.seen.insert(url.to_string()) {
                continue;
            }
            found += 1;
            found_in.candidates.push(Candidate {
                url,
                text: link.text,
                list_date: link.date,
                summary: None,
            });
        }
        report.links_found += found as u64;
        observer.event(
            id,
            Event::ListPage {
                url: page_url.to_string(),
                links: found,
            },
        );
        if !response.validators.is_empty() {
            found_in
                .validators
                .push((page_url.to_string(), response.validators.clone()));
        }
        if let (Pagination::Next { .. }, Some(next)) = (&html.pagination, &compiled.next) {
            let next_links = discover_links(&decoded.text, &response.url, Some(next), None);
            if let Some(n) = next_links.first().and_then(|l| Url::parse(&l.url).ok())
                && !planned.contains(&n)
            {
                planned.push(n);
            }
        }
    }
}
