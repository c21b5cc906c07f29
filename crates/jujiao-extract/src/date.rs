//! Publish times: from `<meta>` tags, JSON-LD, the byline area, `<time>` and TRS-style
//! URLs (`./202006/t20200610_123456.html`). A page that gives a time yields a
//! [`PublishTime::DateTime`] at +08:00; a page that gives only a day yields a
//! [`PublishTime::Date`].

use chrono::{DateTime, NaiveDate, NaiveTime};
use jujiao_model::{PublishTime, shanghai};
use regex::Regex;
use std::sync::LazyLock;

/// `<meta>` names and properties that carry a publish time, most specific first.
pub const META_KEYS: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "og:release_date",
    "PubDate",
    "publishdate",
    "pubdate",
    "publish_date",
    "publishtime",
    "publish-date",
    "published_time",
    "datePublished",
    "release_date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "dcterms.issued",
    "sailthru.date",
    "parsely-pub-date",
    "OriginalPublicationDate",
    "firstpublishedtime",
    "weibo:article:create_at",
    "article.published",
    "Date",
];

/// `<meta>` names for modification times: used only when nothing better is found.
pub const META_FALLBACK_KEYS: &[&str] = &[
    "dateUpdate",
    "dateModified",
    "article:modified_time",
    "og:updated_time",
    "lastmodified",
    "last-modified",
];

static YMD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?:\s*日)?(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?",
    )
    .expect("static regex")
});
static COMPACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\D)((?:19|20)\d{2})(\d{2})(\d{2})(?:\D|$)").expect("static regex")
});
static URL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"t((?:19|20)\d{2})(\d{2})(\d{2})_\d+",
        r"|/((?:19|20)\d{2})[-/]?(\d{2})[-/]?(\d{2})/",
        r"|/((?:19|20)\d{2})[-/](\d{2})/(\d{2})[/_]",
    ))
    .expect("static regex")
});
static JSONLD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""(?:datePublished|dateCreated|uploadDate)"\s*:\s*"([^"]{6,40})""#)
        .expect("static regex")
});
static EN_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2}),?\s+((?:19|20)\d{2})",
        r"|\b(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+((?:19|20)\d{2})",
    ))
    .expect("static regex")
});

/// Parses a date/time written in any common form; `None` when there is none.
pub fn parse(text: &str) -> Option<PublishTime> {
    find_in(text).map(|(t, _)| t)
}

/// The first date in `text` and the byte offset where it starts.
pub(crate) fn find_in(text: &str) -> Option<(PublishTime, usize)> {
    // Every form below has an ASCII year (`19xx`/`20xx`): a text without an ASCII digit
    // has no date. Most lines a page is searched through have none, and this check is
    // much cheaper than the expressions (see `EN_DATE` below).
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some((PublishTime::DateTime(dt.with_timezone(&shanghai())), 0));
    }
    for c in YMD.captures_iter(text) {
        let num = |k: usize| c.get(k).and_then(|m| m.as_str().parse::<u32>().ok());
        let (Some(y), Some(m), Some(d)) = (num(1), num(2), num(3)) else {
            continue;
        };
        let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d) else {
            continue;
        };
        let start = c.get(0).map_or(0, |m| m.start());
        let time = match (num(4), num(5)) {
            (Some(h), Some(mi)) => NaiveTime::from_hms_opt(h, mi, num(6).unwrap_or(0)),
            _ => None,
        };
        let pt = match time {
            Some(tm) => {
                let local = date.and_time(tm);
                // An explicit `Z` or offset after the time: convert to +08:00.
                let rest = &text[c.get(0).map_or(0, |m| m.end())..];
                if let Some(dt) = offset_time(&text[start..], rest) {
                    dt
                } else {
                    PublishTime::from_shanghai(local)
                }
            }
            None => PublishTime::Date(date),
        };
        return Some((pt, start));
    }
    // `EN_DATE`'s Unicode `\b` stops the regex crate's fast automaton at the first
    // non-ASCII character, so on Chinese text it runs its slow engine over the whole
    // text: only ask it when there is a month name's ASCII letter to find.
    if let Some(c) = text
        .bytes()
        .any(|b| b.is_ascii_alphabetic())
        .then(|| EN_DATE.captures(text))
        .flatten()
    {
        let start = c.get(0).map_or(0, |m| m.start());
        let (mon, day, year) = if c.get(1).is_some() {
            (c.get(1), c.get(2), c.get(3))
        } else {
            (c.get(5), c.get(4), c.get(6))
        };
        let month = month_number(mon?.as_str())?;
        let d = day?.as_str().parse().ok()?;
        let y = year?.as_str().parse().ok()?;
        return NaiveDate::from_ymd_opt(y, month, d).map(|nd| (PublishTime::Date(nd), start));
    }
    if let Some(c) = COMPACT.captures(text) {
        let num = |k: usize| c.get(k).and_then(|m| m.as_str().parse::<u32>().ok());
        let date = NaiveDate::from_ymd_opt(num(1)? as i32, num(2)?, num(3)?)?;
        return Some((PublishTime::Date(date), c.get(1).map_or(0, |m| m.start())));
    }
    None
}

fn offset_time(from_start: &str, rest: &str) -> Option<PublishTime> {
    let r = rest.trim_start();
    if !(r.starts_with('Z') || r.starts_with('+') || r.starts_with('-') || r.starts_with('.')) {
        return None;
    }
    let end = from_start
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .unwrap_or(from_start.len());
    let candidate = from_start[..end].replace(' ', "T");
    DateTime::parse_from_rfc3339(&candidate)
        .ok()
        .or_else(|| DateTime::parse_from_str(&candidate, "%Y-%m-%dT%H:%M:%S%z").ok())
        .map(|dt| PublishTime::DateTime(dt.with_timezone(&shanghai())))
}

fn month_number(m: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = m.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|x| m.starts_with(x))
        .map(|p| p as u32 + 1)
}

/// A publish day encoded in a URL path (TRS `t20200610_123456`, `/2020/06/10/`, …).
pub fn from_url(url: &str) -> Option<PublishTime> {
    let c = URL_DATE.captures(url)?;
    let groups: Vec<u32> = (1..=9)
        .filter_map(|k| c.get(k).and_then(|m| m.as_str().parse().ok()))
        .collect();
    let [y, m, d] = groups.get(..3)?.try_into().ok()?;
    NaiveDate::from_ymd_opt(y as i32, m, d).map(PublishTime::Date)
}

/// `datePublished` from JSON-LD text.
pub(crate) fn from_jsonld(script: &str) -> Option<PublishTime> {
    let c = JSONLD.captures(script)?;
    parse(c.get(1)?.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> Option<String> {
        parse(s).map(|t| t.to_iso())
    }

    #[test]
    fn byline_forms() {
        assert_eq!(
            iso("发布时间：2020-06-10 09:30").as_deref(),
            Some("2020-06-10T09:30:00+08:00")
        );
        assert_eq!(iso("2020年6月10日").as_deref(), Some("2020-06-10"));
        assert_eq!(
            iso("来源：北京日报 2020-06-10").as_deref(),
            Some("2020-06-10")
        );
        assert_eq!(
            iso("2020年06月10日 09时30分").as_deref(),
            Some("2020-06-10T09:30:00+08:00")
        );
        assert_eq!(
            iso("2020/6/10 9:30:15").as_deref(),
            Some("2020-06-10T09:30:15+08:00")
        );
        assert_eq!(
            iso("Published 14 December 2011").as_deref(),
            Some("2011-12-14")
        );
        assert_eq!(iso("no date here 2020-13-45"), None);
    }

    #[test]
    fn iso_with_offset_is_converted_to_shanghai() {
        assert_eq!(
            iso("2020-06-10T01:30:00Z").as_deref(),
            Some("2020-06-10T09:30:00+08:00")
        );
        assert_eq!(
            iso("2020-06-10T09:30:00+08:00").as_deref(),
            Some("2020-06-10T09:30:00+08:00")
        );
    }

    #[test]
    fn trs_and_path_urls() {
        let day = |u: &str| from_url(u).map(|t| t.to_iso());
        assert_eq!(
            day("http://x.gov.cn/xw/202006/t20200610_123456.html").as_deref(),
            Some("2020-06-10")
        );
        assert_eq!(
            day("https://x.com/2019/09/07/abc.html").as_deref(),
            Some("2019-09-07")
        );
        assert_eq!(day("https://x.com/a/b.html"), None);
    }

    #[test]
    fn jsonld_date_published() {
        let s = r#"{"@type":"NewsArticle","datePublished": "2020-06-10T09:30:00+08:00"}"#;
        assert_eq!(
            from_jsonld(s).map(|t| t.to_iso()).as_deref(),
            Some("2020-06-10T09:30:00+08:00")
        );
    }
}
