//! RSS 2.0 and Atom feeds per column (`/feeds/{column}.rss`, `.atom`) and for a saved
//! search (`/feeds/search.rss?q=…`, `/feeds/search.atom?q=…`).
//!
//! Written by hand: every text is XML-escaped and stripped of the characters XML 1.0
//! forbids (control characters crawled pages sometimes carry), so feeds always parse.

use crate::AppState;
use crate::search_page::{SearchParams, search_disabled};
use crate::view::{self, error_page, store_failed};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Days, NaiveDate, Utc};
use std::fmt::Write as _;

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

/// Text made safe for XML: escaped, forbidden characters dropped.
pub(crate) fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
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
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let title = xml_text(title);
    let base_x = xml_text(base);
    let self_x = xml_text(self_path);
    match kind {
        Kind::Rss => {
            let _ = write!(
                x,
                "<rss version=\"2.0\"><channel><title>{title}</title><link>{base_x}/</link>\
                 <description>{title}（聚焦新闻简报）</description><language>zh-cn</language>\
                 <lastBuildDate>{}</lastBuildDate>",
                Utc::now().to_rfc2822()
            );
            for e in entries {
                let _ = write!(
                    x,
                    "<item><title>{}</title><link>{base_x}/articles/{}</link>\
                     <guid isPermaLink=\"false\">jujiao-article-{}</guid><pubDate>{}</pubDate>\
                     <description>{}</description></item>",
                    xml_text(&e.title),
                    e.id,
                    e.id,
                    entry_time(e).to_rfc2822(),
                    xml_text(&e.summary)
                );
            }
            x.push_str("</channel></rss>\n");
        }
        Kind::Atom => {
            let updated = entries
                .iter()
                .map(entry_time)
                .max()
                .unwrap_or_else(Utc::now);
            let _ = write!(
                x,
                "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>{title}</title>\
                 <id>{}</id><updated>{}</updated><author><name>聚焦</name></author>\
                 <link rel=\"self\" href=\"{base_x}{self_x}\"/><link href=\"{base_x}/\"/>",
                xml_text(id),
                updated.to_rfc3339()
            );
            for e in entries {
                let _ = write!(
                    x,
                    "<entry><title>{}</title><id>urn:jujiao:article:{}</id><updated>{}</updated>\
                     <link href=\"{base_x}/articles/{}\"/><summary>{}</summary></entry>",
                    xml_text(&e.title),
                    e.id,
                    entry_time(e).to_rfc3339(),
                    e.id,
                    xml_text(&e.summary)
                );
            }
            x.push_str("</feed>\n");
        }
    }
    x
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
                summary: strip_marks(&h.snippet_html),
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

/// The search crate's snippet as plain text: `<mark>` removed, entities decoded.
fn strip_marks(html: &str) -> String {
    html.replace("<mark>", "")
        .replace("</mark>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_escapes_and_drops_forbidden_characters() {
        assert_eq!(
            xml_text("a<b>&\"'\u{0}\u{b}c\n"),
            "a&lt;b&gt;&amp;&quot;&apos;c\n"
        );
    }

    #[test]
    fn marks_are_stripped_back_to_text() {
        assert_eq!(
            strip_marks("<mark>北京</mark> &lt;b&gt; &amp;lt;"),
            "北京 <b> &lt;"
        );
    }
}
