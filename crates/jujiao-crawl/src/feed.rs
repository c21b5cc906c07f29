//! Feed and sitemap sources (`kind = "feed"`): RSS 2.0 (and RSS 1.0/RDF), Atom,
//! `sitemap.xml` and sitemap indexes, recognised by their root element. Their entries
//! are the list: each links to an article page that then goes through the normal
//! extraction and filing. A feed's date is used only when the page has none, like a
//! list-page date. A sitemap index is followed one level down (at most
//! [`MAX_SITEMAPS`] sitemaps per index). A verification page answered instead of the
//! feed pauses the host and reports `被验证页拦截`; it is never parsed.

use crate::json_list::ListItem;
use crate::pipeline::{Candidate, ListFindings};
use crate::report::{Event, Observer, SourceReport};
use crate::urls::normalize;
use crate::{Compiled, Crawler};
use chrono::{DateTime, NaiveDate, Utc};
use jujiao_config::FeedSource;
use jujiao_fetch::FetchRequest;
use quick_xml::events::Event as Xml;
use url::Url;

/// Sitemaps read from one sitemap index.
pub const MAX_SITEMAPS: usize = 50;

/// What the document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Rss,
    Atom,
    Sitemap,
    SitemapIndex,
}

/// A parsed feed or sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub kind: FeedKind,
    /// Entries (RSS items, Atom entries, sitemap URLs), with relative links resolved.
    pub items: Vec<ListItem>,
    /// The sitemaps a sitemap index lists.
    pub sitemaps: Vec<Url>,
}

#[derive(Default)]
struct Entry {
    title: String,
    link: String,
    date: String,
    updated: String,
    summary: String,
}

/// The encoding an XML declaration names (`<?xml version="1.0" encoding="GBK"?>`).
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    let decl = head.strip_prefix('\u{feff}').unwrap_or(&head);
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_owned())
}

/// A feed date: RFC 2822 (RSS), RFC 3339 (Atom, sitemaps) or what pages write; the
/// Asia/Shanghai day.
fn feed_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let to_day =
        |d: DateTime<chrono::FixedOffset>| d.with_timezone(&jujiao_model::shanghai()).date_naive();
    DateTime::parse_from_rfc2822(t)
        .map(to_day)
        .or_else(|_| DateTime::parse_from_rfc3339(t).map(to_day))
        .ok()
        .or_else(|| jujiao_extract::date::parse(t).map(|p| p.date()))
}

/// Parses RSS, Atom, a sitemap or a sitemap index; `base` resolves relative links.
pub fn parse(bytes: &[u8], charset: Option<&str>, base: &Url) -> Result<Feed, String> {
    // An XML declaration's encoding is authoritative (GBK bytes can also be valid
    // UTF-8, so guessing would be wrong); without one, the HTTP charset or detection.
    let declared = declared_encoding(bytes)
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    let text = match declared {
        Some(encoding) => encoding.decode(bytes).0.into_owned(),
        None => jujiao_extract::decode(bytes, charset).text,
    };
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = quick_xml::Reader::from_str(text);
    let mut kind = None;
    let mut stack: Vec<String> = Vec::new();
    let mut entry: Option<(usize, Entry)> = None;
    let mut feed = Feed {
        kind: FeedKind::Rss,
        items: Vec::new(),
        sitemaps: Vec::new(),
    };
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "not well-formed XML at byte {}: {e}",
                reader.error_position()
            )
        })?;
        match event {
            Xml::Start(ref e) | Xml::Empty(ref e) => {
                let name = e.local_name().as_ref().to_owned();
                if kind.is_none() {
                    kind = Some(match name.as_str() {
                        "rss" | "RDF" => FeedKind::Rss,
                        "feed" => FeedKind::Atom,
                        "urlset" => FeedKind::Sitemap,
                        "sitemapindex" => FeedKind::SitemapIndex,
                        other => {
                            return Err(format!(
                                "`<{other}>` is not a feed or a sitemap (expected rss, feed, urlset or sitemapindex)"
                            ));
                        }
                    });
                }
                let is_entry = matches!(
                    (kind, name.as_str()),
                    (Some(FeedKind::Rss), "item")
                        | (Some(FeedKind::Atom), "entry")
                        | (Some(FeedKind::Sitemap), "url")
                        | (Some(FeedKind::SitemapIndex), "sitemap")
                );
                if is_entry && entry.is_none() && matches!(event, Xml::Start(_)) {
                    entry = Some((stack.len() + 1, Entry::default()));
                }
                // Atom: <link rel="alternate" href="…"/> (no rel means alternate).
                if let Some((depth, current)) = entry.as_mut()
                    && name == "link"
                    && kind == Some(FeedKind::Atom)
                    && stack.len() == *depth
                {
                    // Character and predefined entity references resolved by quick-xml.
                    let attr = |n: &str| {
                        let a = e.try_get_attribute(n).ok().flatten()?;
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(std::borrow::Cow::into_owned)
                    };
                    let rel = attr("rel").unwrap_or_else(|| "alternate".into());
                    if rel == "alternate"
                        && current.link.is_empty()
                        && let Some(href) = attr("href")
                    {
                        current.link = href;
                    }
                }
                if matches!(event, Xml::Start(_)) {
                    stack.push(name);
                }
            }
            Xml::End(_) => {
                let depth = stack.len();
                stack.pop();
                if let Some((d, _)) = &entry
                    && *d == depth
                    && let Some((_, done)) = entry.take()
                {
                    push(&mut feed, kind, &done, base);
                }
            }
            Xml::Text(ref t) => append(&mut entry, &stack, &t.clone().into_inner()),
            Xml::CData(t) => append(&mut entry, &stack, &t.into_inner()),
            // `&#…;` and the five predefined entities, resolved by quick-xml; an
            // invalid or unknown reference (an HTML name in a feed) is left out.
            Xml::GeneralRef(r) => {
                let mut buf = [0u8; 4];
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(&*c.encode_utf8(&mut buf)),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&r.into_inner()),
                    Err(_) => None,
                };
                if let Some(text) = text {
                    append(&mut entry, &stack, text);
                }
            }
            Xml::Eof => break,
            _ => {}
        }
    }
    feed.kind = kind.ok_or("an empty document")?;
    Ok(feed)
}

/// Text inside an entry goes to the field named by the entry's child it is in.
fn append(entry: &mut Option<(usize, Entry)>, stack: &[String], text: &str) {
    let Some((depth, e)) = entry.as_mut() else {
        return;
    };
    if stack.len() != *depth + 1 {
        return;
    }
    let field = match stack[*depth].as_str() {
        "title" => &mut e.title,
        "link" | "loc" => &mut e.link,
        "pubDate" | "published" | "date" | "lastmod" => &mut e.date,
        "updated" => &mut e.updated,
        "description" | "summary" => &mut e.summary,
        _ => return,
    };
    field.push_str(text);
}

fn push(feed: &mut Feed, kind: Option<FeedKind>, e: &Entry, base: &Url) {
    let Ok(url) = base.join(e.link.trim()) else {
        return;
    };
    if e.link.trim().is_empty() {
        return;
    }
    if kind == Some(FeedKind::SitemapIndex) {
        feed.sitemaps.push(url);
        return;
    }
    let summary = e.summary.trim();
    feed.items.push(ListItem {
        title: e.title.trim().to_owned(),
        url,
        date: feed_date(&e.date).or_else(|| feed_date(&e.updated)),
        // An HTML summary is not a body: keep plain-text summaries only.
        summary: (!summary.is_empty() && !summary.contains('<')).then(|| summary.to_owned()),
    });
}

/// Fetches and parses one feed URL; failures are counted in the report.
async fn fetch_feed(
    crawler: &Crawler,
    id: &str,
    url: &Url,
    report: &mut SourceReport,
) -> Option<Feed> {
    report.list_pages += 1;
    if let Some(c) = crawler.pauses.paused(url).await {
        report.list_pages_failed += 1;
        report.challenged(url.as_str(), &c);
        return None;
    }
    let request = FetchRequest::new(url.clone()).with_source(id);
    let response = match crawler.fetcher.fetch(&request).await {
        Ok(r) => r,
        Err(e) => {
            report.list_pages_failed += 1;
            report.error(format!("feed {url}: {e}"));
            return None;
        }
    };
    // Any status: 瑞数 answers 412 or 202 with a script-only page, 加速乐 521.
    if let Some(c) = jujiao_extract::challenge::detect(response.status, &[], &response.body) {
        crawler.pauses.pause(url, &c).await;
        report.list_pages_failed += 1;
        report.challenged(url.as_str(), &c);
        return None;
    }
    if !response.is_success() {
        report.list_pages_failed += 1;
        if matches!(response.status, 403 | 429) {
            report.blocked += 1;
        }
        report.error(format!("feed {url}: HTTP {}", response.status));
        return None;
    }
    match parse(&response.body, response.charset.as_deref(), &response.url) {
        Ok(feed) => Some(feed),
        Err(e) => {
            report.list_pages_failed += 1;
            report.error(format!("feed {url}: {e}"));
            None
        }
    }
}

/// The entries of one feed URL, a sitemap index followed one level down.
async fn entries(
    crawler: &Crawler,
    id: &str,
    url: &Url,
    observer: &dyn Observer,
    report: &mut SourceReport,
) -> Vec<ListItem> {
    let Some(parsed) = fetch_feed(crawler, id, url, report).await else {
        return Vec::new();
    };
    let mut out = parsed.items;
    for sitemap in parsed.sitemaps.iter().take(MAX_SITEMAPS) {
        if let Some(inner) = fetch_feed(crawler, id, sitemap, report).await {
            out.extend(inner.items);
        }
    }
    if parsed.sitemaps.len() > MAX_SITEMAPS {
        report.error(format!(
            "sitemap index {url}: {} sitemaps, only the first {MAX_SITEMAPS} read",
            parsed.sitemaps.len()
        ));
    }
    observer.event(
        id,
        Event::ListPage {
            url: url.to_string(),
            links: out.len(),
        },
    );
    out
}

/// The entries of every feed of the source, sitemap indexes followed.
pub(crate) async fn items(
    crawler: &Crawler,
    compiled: &Compiled,
    feed: &FeedSource,
    observer: &dyn Observer,
    report: &mut SourceReport,
) -> Vec<ListItem> {
    let id = compiled.source.id.as_str();
    let mut out = Vec::new();
    for url in &feed.feed_urls {
        out.extend(entries(crawler, id, url, observer, report).await);
    }
    out
}

/// Reads one feed URL of the source into `found`: entries the source follows, not
/// older than `max_age`, not found before.
pub(crate) async fn read(
    crawler: &Crawler,
    compiled: &Compiled,
    feed: &FeedSource,
    url: &Url,
    observer: &dyn Observer,
    report: &mut SourceReport,
    found: &mut ListFindings,
) {
    let cutoff = feed.max_age.and_then(|age| {
        let today = Utc::now()
            .with_timezone(&jujiao_model::shanghai())
            .date_naive();
        today.checked_sub_signed(chrono::Duration::days(
            i64::try_from(age.as_secs() / 86_400).ok()?,
        ))
    });
    let id = compiled.source.id.as_str();
    for item in entries(crawler, id, url, observer, report).await {
        let url = normalize(&item.url);
        if !feed.rules.is_followed(&url)
            || cutoff.is_some_and(|c| item.date.is_some_and(|d| d < c))
            || !found.seen.insert(url.to_string())
        {
            continue;
        }
        report.links_found += 1;
        found.candidates.push(Candidate {
            url,
            text: item.title,
            list_date: item.date,
            summary: item.summary,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://a.cn/feeds/").unwrap()
    }

    #[test]
    fn rss_items_with_entities_cdata_and_rfc2822_dates() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>通知公告</title><link>http://a.cn/</link>
<item><title>关于A&amp;B的通知</title><link>http://a.cn/t1.html</link>
<pubDate>Thu, 30 May 2024 20:00:00 +0000</pubDate><description><![CDATA[<p>摘要</p>]]></description></item>
<item><title><![CDATA[第二条]]></title><link>/t2.html</link><description>纯文本摘要</description></item>
</channel></rss>"#;
        let f = parse(xml.as_bytes(), None, &base()).unwrap();
        assert_eq!(f.kind, FeedKind::Rss);
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.items[0].title, "关于A&B的通知");
        // 20:00 UTC is the next day in Beijing.
        assert_eq!(f.items[0].date, NaiveDate::from_ymd_opt(2024, 5, 31));
        assert_eq!(f.items[0].summary, None);
        assert_eq!(f.items[1].url.as_str(), "http://a.cn/t2.html");
        assert_eq!(f.items[1].summary.as_deref(), Some("纯文本摘要"));
    }

    #[test]
    fn atom_takes_the_alternate_link_and_published_date() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
<link rel="self" href="http://a.cn/atom.xml"/>
<entry><title type="html">动态</title><link rel="edit" href="http://a.cn/edit/1"/>
<link href="http://a.cn/n/1.html"/><updated>2024-06-02T08:00:00+08:00</updated>
<published>2024-06-01T08:00:00+08:00</published><author><name>记者</name></author></entry></feed>"#;
        let f = parse(xml.as_bytes(), None, &base()).unwrap();
        assert_eq!(f.kind, FeedKind::Atom);
        assert_eq!(f.items.len(), 1);
        assert_eq!(f.items[0].url.as_str(), "http://a.cn/n/1.html");
        assert_eq!(f.items[0].title, "动态");
        assert_eq!(f.items[0].date, NaiveDate::from_ymd_opt(2024, 6, 1));
    }

    /// References in text and in attribute values go through quick-xml: character
    /// references (decimal and hex), the five predefined names; an unknown name
    /// (HTML's `&nbsp;` in a feed) and an invalid reference are left out.
    #[test]
    fn references_in_text_and_links_are_resolved_by_quick_xml() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
<entry><title>&#x4E2D;&#25991; &lt;A&gt; &quot;B&quot; &apos;C&apos;&nbsp;&#xD800;D</title>
<link href="http://a.cn/n?id=1&amp;page=2&#38;x=&lt;y"/></entry></feed>"#;
        let f = parse(xml.as_bytes(), None, &base()).unwrap();
        assert_eq!(f.items.len(), 1);
        assert_eq!(f.items[0].title, "中文 <A> \"B\" 'C'D");
        assert_eq!(f.items[0].url.as_str(), "http://a.cn/n?id=1&page=2&x=%3Cy");
    }

    #[test]
    fn sitemaps_and_indexes() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://a.cn/a.html</loc><lastmod>2024-01-05</lastmod></url><url><loc>http://a.cn/b.html</loc></url></urlset>"#;
        let f = parse(xml.as_bytes(), None, &base()).unwrap();
        assert_eq!(f.kind, FeedKind::Sitemap);
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.items[0].date, NaiveDate::from_ymd_opt(2024, 1, 5));
        let xml = r#"<sitemapindex><sitemap><loc>http://a.cn/s1.xml</loc></sitemap><sitemap><loc>s2.xml</loc></sitemap></sitemapindex>"#;
        let f = parse(xml.as_bytes(), None, &base()).unwrap();
        assert_eq!(f.kind, FeedKind::SitemapIndex);
        assert_eq!(
            f.sitemaps.iter().map(Url::as_str).collect::<Vec<_>>(),
            ["http://a.cn/s1.xml", "http://a.cn/feeds/s2.xml"]
        );
    }

    #[test]
    fn gbk_feeds_declare_their_encoding() {
        let (bytes, _, _) = encoding_rs::GBK.encode(
            "<?xml version=\"1.0\" encoding=\"GBK\"?><rss><channel><item><title>通知</title><link>http://a.cn/1</link></item></channel></rss>",
        );
        let f = parse(&bytes, None, &base()).unwrap();
        assert_eq!(f.items[0].title, "通知");
    }

    #[test]
    fn html_is_not_a_feed() {
        let e = parse(b"<html><body>x</body></html>", None, &base()).unwrap_err();
        assert!(e.contains("not a feed"), "{e}");
    }
}
