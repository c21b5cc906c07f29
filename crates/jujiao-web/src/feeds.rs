//! RSS 2.0 and Atom feeds per column (`/feeds/{column}.rss`, `.atom`) and for a saved
//! search (`/feeds/search.rss?q=…`, `/feeds/search.atom?q=…`).
//!
//! Written with quick-xml's writer, which escapes every text and attribute value; the
//! characters XML 1.0 forbids (control characters crawled pages sometimes carry) are
//! dropped first, so feeds always parse.

use crate::AppState;
use crate::search_page::{SearchParams, search_disabled};
use crate::view::{self, error_page, store_failed};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Days, NaiveDate, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::borrow::Cow;
use std::io;

/// Items per feed.
pub(crate) const FEED_ITEMS: usize = 50;
/// How far back a column feed looks.
const FEED_DAYS: u64 = 30;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/feeds/{file}", get(feed))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Rss,
    Atom,
}

/// One feed entry.
#[derive(Debug)]
pub(crate) struct Entry {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub date: Option<NaiveDate>,
    pub published: Option<DateTime<Utc>>,
}

/// `s` without the characters XML 1.0 forbids (C0 controls other than tab, line feed
/// and carriage return; U+FFFE, U+FFFF); borrows when there are none. Escaping is the
/// writer's job.
pub(crate) fn xml_chars(s: &str) -> Cow<'_, str> {
    let is_forbidden = |c: char| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if s.contains(is_forbidden) {
        Cow::Owned(s.chars().filter(|c| !is_forbidden(*c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

fn summary_of(body: &str) -> String {
    body.chars().take(200).collect()
}

/// The site's address for absolute links: the request's Host when it looks like a host.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

fn entry_time(e: &Entry) -> DateTime<Utc> {
    e.published
        .or_else(|| {
            e.date
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
        .unwrap_or_else(Utc::now)
}

/// Writes a feed.
pub(crate) fn write_feed(
    kind: Kind,
    base: &str,
    title: &str,
    self_path: &str,
    id: &str,
    entries: &[Entry],
) -> String {
    let mut w = Writer::new(Vec::new());
    let written = match kind {
        Kind::Rss => write_rss(&mut w, base, title, entries),
        Kind::Atom => write_atom(&mut w, base, title, self_path, id, entries),
    };
    written.expect("writing to a Vec cannot fail");
    let mut xml = String::from_utf8(w.into_inner()).expect("the writer writes UTF-8 text");
    xml.push('\n');
    xml
}

/// An element holding `text` (escaped by the writer, forbidden characters dropped).
fn text_element(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_chars(text)))?;
    Ok(())
}

fn declaration(w: &mut Writer<Vec<u8>>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Text(BytesText::new("\n")))
}

fn write_rss(
    w: &mut Writer<Vec<u8>>,
    base: &str,
    title: &str,
    entries: &[Entry],
) -> io::Result<()> {
    declaration(w)?;
    w.create_element("rss")
        .with_attribute(("version", "2.0"))
        .write_inner_content(|w| {
            w.create_element("channel").write_inner_content(|w| {
                text_element(w, "title", title)?;
                text_element(w, "link", &format!("{base}/"))?;
                text_element(w, "description", &format!("{title}（聚焦新闻简报）"))?;
                text_element(w, "language", "zh-cn")?;
                text_element(w, "lastBuildDate", &Utc::now().to_rfc2822())?;
                for e in entries {
                    w.create_element("item").write_inner_content(|w| {
                        text_element(w, "title", &e.title)?;
                        text_element(w, "link", &format!("{base}/articles/{}", e.id))?;
                        w.create_element("guid")
                            .with_attribute(("isPermaLink", "false"))
                            .write_text_content(BytesText::new(&format!(
                                "jujiao-article-{}",
                                e.id
                            )))?;
                        text_element(w, "pubDate", &entry_time(e).to_rfc2822())?;
                        text_element(w, "description", &e.summary)
                    })?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn write_atom(
    w: &mut Writer<Vec<u8>>,
    base: &str,
    title: &str,
    self_path: &str,
    id: &str,
    entries: &[Entry],
) -> io::Result<()> {
    let updated = entries
        .iter()
        .map(entry_time)
        .max()
        .unwrap_or_else(Utc::now);
    declaration(w)?;
    w.create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            text_element(w, "title", title)?;
            text_element(w, "id", id)?;
            text_element(w, "updated", &updated.to_rfc3339())?;
            w.create_element("author")
                .write_inner_content(|w| text_element(w, "name", "聚焦"))?;
            w.create_element("link")
                .with_attribute(("rel", "self"))
                .with_attribute(("href", xml_chars(&format!("{base}{self_path}")).as_ref()))
                .write_empty()?;
            w.create_element("link")
                .with_attribute(("href", xml_chars(&format!("{base}/")).as_ref()))
                .write_empty()?;
            for e in entries {
                w.create_element("entry").write_inner_content(|w| {
                    text_element(w, "title", &e.title)?;
                    text_element(w, "id", &format!("urn:jujiao:article:{}", e.id))?;
                    text_element(w, "updated", &entry_time(e).to_rfc3339())?;
                    w.create_element("link")
                        .with_attribute(("href", format!("{base}/articles/{}", e.id).as_str()))
                        .write_empty()?;
                    text_element(w, "summary", &e.summary)
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn respond(kind: Kind, body: String) -> Response {
    let ct = match kind {
        Kind::Rss => "application/rss+xml; charset=utf-8",
        Kind::Atom => "application/atom+xml; charset=utf-8",
    };
    ([(header::CONTENT_TYPE, ct)], body).into_response()
}

async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(params): Query<SearchParams>,
    headers: HeaderMap,
) -> Response {
    let (name, kind) = if let Some(n) = file.strip_suffix(".rss") {
        (n, Kind::Rss)
    } else if let Some(n) = file.strip_suffix(".atom") {
        (n, Kind::Atom)
    } else {
        return error_page(
            &state,
            StatusCode::NOT_FOUND,
            "没有这个订阅",
            "订阅地址应以 .rss 或 .atom 结尾。",
        );
    };
    let base = base_url(&headers);
    let self_path = format!("/feeds/{}", view::enc(&file));
    if name == "search" {
        let Some(indexer) = state.indexer() else {
            return search_disabled(&state);
        };
        let mut query = match params.to_query(FEED_ITEMS) {
            Ok(q) => q,
            Err(message) => {
                return error_page(&state, StatusCode::BAD_REQUEST, "搜索条件有误", message);
            }
        };
        query.order = jujiao_search::Order::Newest;
        query.offset = 0;
        let results = match indexer.search(query).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "feed search failed");
                return error_page(
                    &state,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "搜索暂时失败",
                    "请稍后再试。",
                );
            }
        };
        let entries: Vec<Entry> = results
            .hits
            .into_iter()
            .map(|h| Entry {
                id: h.article_id,
                summary: h.snippet,
                title: h.title,
                date: h.date,
                published: None,
            })
            .collect();
        let title = format!("搜索：{}", params.q.trim());
        let id = format!("urn:jujiao:search:{}", params.query_string());
        let self_path = format!("{self_path}?{}", params.query_string());
        return respond(
            kind,
            write_feed(kind, &base, &title, &self_path, &id, &entries),
        );
    }
    let column = name.to_owned();
    if column.is_empty() || !view::known_columns(&state).contains(&column) {
        return error_page(
            &state,
            StatusCode::NOT_FOUND,
            "没有这个栏目",
            "订阅的栏目不存在。",
        );
    }
    let today = view::today();
    let since = today
        .checked_sub_days(Days::new(FEED_DAYS))
        .unwrap_or(today);
    let filed = match crate::briefing::filings_between(
        state.store(),
        Some(since),
        None,
        Some(column.clone()),
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return store_failed(&state, &e),
    };
    let entries: Vec<Entry> = filed
        .iter()
        .rev()
        .take(FEED_ITEMS)
        .map(|f| Entry {
            id: f.article_id.0,
            title: f.article.title.clone(),
            summary: summary_of(&f.article.body()),
            date: f.filing.date,
            published: f.article.published.and_then(|p| match p {
                jujiao_model::PublishTime::DateTime(dt) => Some(dt.with_timezone(&Utc)),
                jujiao_model::PublishTime::Date(_) => None,
            }),
        })
        .collect();
    let title = format!("聚焦 · {column}");
    let id = format!("urn:jujiao:column:{}", view::enc(&column));
    respond(
        kind,
        write_feed(kind, &base, &title, &self_path, &id, &entries),
    )
}

#[cfg(test)]
mod tests {
    use super::{Entry, Kind, write_feed, xml_chars};
    use quick_xml::Reader;
    use quick_xml::events::Event;

    #[test]
    fn xml_chars_drops_only_forbidden_characters() {
        assert_eq!(
            xml_chars("a<b>&\"'\u{0}\u{b}c\n\t\u{FFFE}"),
            "a<b>&\"'c\n\t"
        );
        assert!(matches!(xml_chars("北京"), std::borrow::Cow::Borrowed(_)));
    }

    /// The texts of every `name` element, unescaped by an XML reader.
    fn texts_of(xml: &str, name: &str) -> Vec<String> {
        let mut reader = Reader::from_str(xml);
        let mut out = Vec::new();
        let mut inside = false;
        loop {
            match reader.read_event().expect("the feed is well-formed XML") {
                Event::Start(e) if e.name().as_ref() == name => {
                    inside = true;
                    out.push(String::new());
                }
                Event::End(e) if e.name().as_ref() == name => inside = false,
                Event::Text(t) if inside => {
                    out.last_mut()
                        .expect("opened above")
                        .push_str(&t.xml10_content());
                }
                Event::GeneralRef(r) if inside => {
                    let text = match r.resolve_char_ref().expect("a valid reference") {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::resolve_predefined_entity(&r)
                            .expect("only the predefined entities")
                            .to_owned(),
                    };
                    out.last_mut().expect("opened above").push_str(&text);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        out
    }

    /// Regression: feeds were written by string concatenation with hand escaping.
    #[test]
    fn feed_texts_parse_back_to_what_was_written() {
        let nasty = "A<b> & C ]]> \"q\" 'a' \u{1}\u{8}end";
        let clean = "A<b> & C ]]> \"q\" 'a' end";
        let entries = [Entry {
            id: 7,
            title: nasty.to_owned(),
            summary: format!("摘要 {nasty}"),
            date: None,
            published: None,
        }];
        for kind in [Kind::Rss, Kind::Atom] {
            let xml = write_feed(
                kind,
                "http://h",
                nasty,
                "/feeds/x.atom?q=a&b",
                "urn:x",
                &entries,
            );
            assert!(
                xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
                "{xml}"
            );
            let titles = texts_of(&xml, "title");
            assert_eq!(
                titles,
                vec![clean.to_owned(), clean.to_owned()],
                "{kind:?}: {xml}"
            );
            let summary = if kind == Kind::Rss {
                "description"
            } else {
                "summary"
            };
            let summaries = texts_of(&xml, summary);
            assert_eq!(summaries.last(), Some(&format!("摘要 {clean}")), "{xml}");
        }
    }
}
