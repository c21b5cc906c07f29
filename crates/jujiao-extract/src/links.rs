//! List-page link discovery: the article links of a list page, with the dates printed
//! next to them.
//!
//! Automatic mode groups same-site links by their repeated item structure (the nearest
//! ancestor `li`/`tr`/`dd`/`div`/… whose parent has at least [`MIN_GROUP`] children of the
//! same tag) and keeps the group(s) with the most link text of meaningful length, away
//! from navigation and footers.

use crate::body::{analyse, class_weight};
use crate::html::{Dom, parse};
use crate::media::absolute;
use crate::select::Selector;
use crate::text::visible_len;
use chrono::{Datelike, NaiveDate};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use url::Url;

/// A list item needs this many siblings of its kind to count as part of a list.
pub const MIN_GROUP: usize = 3;
/// Link texts shorter than this (visible characters) are not article titles.
pub const MIN_TITLE_CHARS: usize = 5;

/// One article link found on a list page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListLink {
    /// Absolute URL.
    pub url: String,
    /// The link text.
    pub text: String,
    /// The date printed next to the link, if any.
    pub date: Option<NaiveDate>,
}

static FULL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
        .expect("static regex")
});
static SHORT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d])(\d{1,2})\s*[-/月]\s*(\d{1,2})(?:\s*日)?(?:[^\d]|$)")
        .expect("static regex")
});

/// Finds article links on a decoded list page.
///
/// With `link_selector`, every matching `a` (or every `a` inside a matching element) is
/// taken; otherwise the main list is found automatically. With `date_selector`, the date
/// is read from the matching element inside each link's list item; otherwise from the
/// item's text (`2020-06-10`, `[2020-06-10]`, `06-10`, `06/10 09:30`; a year-less date
/// takes the year from the link's URL or from a full date elsewhere on the page), and
/// failing that from a dated URL (`t20200610_123456.html`).
pub fn discover_links(
    html: &str,
    base: &Url,
    link_selector: Option<&Selector>,
    date_selector: Option<&Selector>,
) -> Vec<ListLink> {
    let dom = parse(html);
    let a = analyse(&dom);
    let anchors: Vec<usize> = match link_selector {
        Some(sel) => {
            let mut v = Vec::new();
            for m in sel.select(&dom) {
                if dom.name(m) == "a" {
                    v.push(m);
                } else {
                    v.extend((m..dom.end(m)).filter(|&i| dom.name(i) == "a"));
                }
            }
            v.sort_unstable();
            v.dedup();
            v
        }
        None => automatic(&dom, &a.hidden, base),
    };
    let page_year = FULL_DATE
        .captures(html)
        .and_then(|c| c.get(1)?.as_str().parse::<i32>().ok());
    let mut out: Vec<ListLink> = Vec::new();
    // Linear in the number of links, even for a hostile list of 100,000 of them: URLs
    // seen and sibling counts are looked up, not recounted per link.
    let mut seen: HashSet<String> = HashSet::new();
    let mut groups: HashMap<(usize, &str), usize> = HashMap::new();
    for i in anchors {
        let Some(href) = dom.element(i).and_then(|e| e.attr("href")) else {
            continue;
        };
        let Some(url) = absolute(Some(base), href) else {
            continue;
        };
        if !seen.insert(url.clone()) {
            continue;
        }
        let text = dom.text(i);
        let item = item_of(&dom, i, &mut groups);
        let date = match date_selector {
            Some(ds) => (item..dom.end(item))
                .find(|&j| ds.matches(&dom, j))
                .and_then(|j| date_in(&dom.text(j), url_year(&url).or(page_year))),
            None => {
                let item_text = dom.text(item);
                let rest = item_text.replacen(&text, " ", 1);
                date_in(&rest, url_year(&url).or(page_year))
            }
        };
        let date = date.or_else(|| crate::date::from_url(&url).map(|t| t.date()));
        out.push(ListLink { url, text, date });
    }
    out
}

fn url_year(url: &str) -> Option<i32> {
    crate::date::from_url(url).map(|t| t.date().year())
}

fn date_in(text: &str, year: Option<i32>) -> Option<NaiveDate> {
    if let Some(c) = FULL_DATE.captures(text) {
        let n = |k: usize| c.get(k).and_then(|m| m.as_str().parse::<u32>().ok());
        return NaiveDate::from_ymd_opt(n(1)? as i32, n(2)?, n(3)?);
    }
    let c = SHORT_DATE.captures(text)?;
    let n = |k: usize| c.get(k).and_then(|m| m.as_str().parse::<u32>().ok());
    NaiveDate::from_ymd_opt(year?, n(1)?, n(2)?)
}

/// The list item holding link `i`: the nearest of its first few ancestors whose parent
/// has several children with the same tag; the link itself when there is none.
///
/// `groups` caches, per (parent, tag), how many children of the parent have the tag.
fn item_of<'d>(dom: &'d Dom, i: usize, groups: &mut HashMap<(usize, &'d str), usize>) -> usize {
    let mut cur = i;
    for _ in 0..5 {
        let p = dom.nodes[cur].parent as usize;
        if p == 0 || p == cur {
            break;
        }
        let name = dom.name(cur);
        if matches!(name, "li" | "tr" | "dd") {
            return cur;
        }
        if name != "a" {
            let same = *groups
                .entry((p, name))
                .or_insert_with(|| dom.children(p).filter(|&c| dom.name(c) == name).count());
            if same >= MIN_GROUP {
                return cur;
            }
        }
        cur = p;
    }
    i
}

fn same_site(a: &Url, b: &Url) -> bool {
    let (Some(x), Some(y)) = (a.host_str(), b.host_str()) else {
        return false;
    };
    let tail = |h: &str| -> String {
        let labels: Vec<&str> = h.split('.').collect();
        let keep = if labels.len() >= 3
            && matches!(
                labels[labels.len() - 2],
                "com" | "gov" | "org" | "net" | "edu" | "ac"
            ) {
            3
        } else {
            2
        };
        labels[labels.len().saturating_sub(keep)..].join(".")
    };
    tail(x) == tail(y)
}

fn automatic(dom: &Dom, hidden: &[bool], base: &Url) -> Vec<usize> {
    // container -> (links, total title chars)
    let mut groups: HashMap<usize, (Vec<usize>, usize)> = HashMap::new();
    let mut counts: HashMap<(usize, &str), usize> = HashMap::new();
    for i in dom.elements_named("a") {
        if hidden[i] {
            continue;
        }
        let Some(href) = dom.element(i).and_then(|e| e.attr("href")) else {
            continue;
        };
        let Some(abs) = absolute(Some(base), href).and_then(|u| Url::parse(&u).ok()) else {
            continue;
        };
        if !same_site(base, &abs) || abs.path() == "/" || abs.as_str() == base.as_str() {
            continue;
        }
        let len = visible_len(&dom.text(i));
        if len < MIN_TITLE_CHARS {
            continue;
        }
        let item = item_of(dom, i, &mut counts);
        let container = dom.nodes[item].parent as usize;
        let g = groups.entry(container).or_default();
        g.0.push(i);
        g.1 += len;
    }
    let penalty = |c: usize| -> f64 {
        let mut cur = c;
        let mut w = 0;
        for _ in 0..4 {
            if let Some(e) = dom.element(cur) {
                w = w.min(class_weight(e.class_id()));
                if matches!(&*e.name, "nav" | "footer" | "header") {
                    w = -1;
                }
            }
            let p = dom.nodes[cur].parent as usize;
            if p == cur {
                break;
            }
            cur = p;
        }
        if w < 0 { 0.3 } else { 1.0 }
    };
    let scored: Vec<(usize, f64)> = groups
        .iter()
        .filter(|(_, (links, _))| links.len() >= MIN_GROUP)
        .map(|(&c, (links, chars))| {
            let avg = *chars as f64 / links.len() as f64;
            let s = *chars as f64 * (avg / 20.0).min(1.0) * penalty(c);
            (c, s)
        })
        .collect();
    let best = scored.iter().map(|&(_, s)| s).fold(0.0, f64::max);
    let mut keep: Vec<usize> = scored
        .iter()
        .filter(|&&(_, s)| s >= best * 0.5 && s > 0.0)
        .flat_map(|&(c, _)| groups[&c].0.iter().copied())
        .collect();
    keep.sort_unstable();
    // Within one list item, a link much shorter than the item's longest (the author,
    // the column, the comment count) is not an article link.
    let lens: Vec<(usize, usize)> = keep
        .iter()
        .map(|&i| (item_of(dom, i, &mut counts), visible_len(&dom.text(i))))
        .collect();
    let mut longest: HashMap<usize, usize> = HashMap::new();
    for &(item, len) in &lens {
        let e = longest.entry(item).or_default();
        *e = (*e).max(len);
    }
    keep.into_iter()
        .zip(lens)
        .filter(|&(_, (item, len))| len >= 12 || len * 2 >= longest[&item])
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_main_list_with_dates() {
        let html = concat!(
            "<div class=nav><a href='/a'>首页</a><a href='/b'>新闻中心</a><a href='/c'>政务公开</a></div>",
            "<ul class=list>",
            "<li><a href='./202006/t20200610_1.html'>海淀区召开区委常委会会议</a><span>2020-06-10</span></li>",
            "<li><a href='./202006/t20200609_2.html'>区政府召开第十次常务会议</a><span>[06-09]</span></li>",
            "<li><a href='http://other.example.com/x.html'>外站链接的标题文字很长</a></li>",
            "<li><a href='./202006/t20200608_3.html'>海淀区部署防汛工作会议召开，要求压实责任</a> <a href='/col/'>要闻</a> 06/08 09:30</li>",
            "</ul><div class=footer><a href='/about'>关于我们网站的说明</a></div>",
        );
        let base = Url::parse("http://www.example.gov.cn/xw/").expect("url");
        let links = discover_links(html, &base, None, None);
        let urls: Vec<_> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://www.example.gov.cn/xw/202006/t20200610_1.html",
                "http://www.example.gov.cn/xw/202006/t20200609_2.html",
                "http://www.example.gov.cn/xw/202006/t20200608_3.html",
            ]
        );
        let d = |m, d| NaiveDate::from_ymd_opt(2020, m, d);
        assert_eq!(links[0].date, d(6, 10));
        assert_eq!(links[1].date, d(6, 9));
        assert_eq!(links[2].date, d(6, 8));
        assert_eq!(links[0].text, "海淀区召开区委常委会会议");
    }

    #[test]
    fn selectors_pick_links_and_dates() {
        let html = "<ul id=l><li><a href='/1.html'>一</a><em>2021-01-02</em></li><li><a href='/2.html'>二</a></li></ul>";
        let base = Url::parse("http://x.gov.cn/").expect("url");
        let ls = Selector::parse("#l li").expect("sel");
        let ds = Selector::parse("em").expect("sel");
        let links = discover_links(html, &base, Some(&ls), Some(&ds));
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].date, NaiveDate::from_ymd_opt(2021, 1, 2));
        assert_eq!(links[1].date, None);
    }
}
