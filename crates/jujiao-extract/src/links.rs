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
pub use crate::script_links::ScriptLinks;
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

/// Finds article links on a decoded list page, reading links written by inline
/// scripts too ([`ScriptLinks::Auto`]); see [`discover_links_with`].
pub fn discover_links(
    html: &str,
    base: &Url,
    link_selector: Option<&Selector>,
    date_selector: Option<&Selector>,
) -> Vec<ListLink> {
    discover_links_with(html, base, link_selector, date_selector, &ScriptLinks::Auto)
}

/// Finds article links on a decoded list page.
///
/// Unless `scripts` is [`ScriptLinks::Off`], the page is first expanded as a browser
/// would show it: markup written by `document.write` lines and inline data arrays
/// (`item=[{title:'…', link_add:'…'}]`) take the place of their scripts
/// ([`crate::script_links`]); with [`ScriptLinks::Pattern`], the pattern's matches in
/// inline scripts are links too.
///
/// With `link_selector`, every matching `a` (or every `a` inside a matching element) is
/// taken; otherwise the main list is found automatically. With `date_selector`, the date
/// is read from the matching element inside each link's list item; otherwise from the
/// item's text (`2020-06-10`, `[2020-06-10]`, `06-10`, `06/10 09:30`; a year-less date
/// takes the year from the link's URL or from a full date elsewhere on the page), and
/// failing that from a dated URL (`t20200610_123456.html`).
pub fn discover_links_with(
    html: &str,
    base: &Url,
    link_selector: Option<&Selector>,
    date_selector: Option<&Selector>,
    scripts: &ScriptLinks,
) -> Vec<ListLink> {
    let expanded = match scripts {
        ScriptLinks::Off => std::borrow::Cow::Borrowed(html),
        _ => crate::script_links::expand(html),
    };
    let html: &str = &expanded;
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
    // URL -> index in `out`: a repeated link (a picture, then the title) keeps the
    // longest text.
    let mut index_of: HashMap<String, usize> = HashMap::new();
    // Linear in the number of links, even for a hostile list of 100,000 of them: URLs
    // seen and sibling counts are looked up, not recounted per link.
    let mut seen: HashSet<String> = HashSet::new();
    let mut groups: HashMap<(usize, &str), usize> = HashMap::new();
    for i in anchors {
        // `data-href`: 北京日报's e-paper pages link by script from `a[data-href]`.
        let Some(href) = dom.element(i).and_then(|e| {
            e.attr("href")
                .filter(|h| is_real_href(h))
                .or(e.attr("data-href"))
        }) else {
            continue;
        };
        let Some(url) = absolute(Some(base), href) else {
            continue;
        };
        let text = dom.text(i);
        if !seen.insert(url.clone()) {
            if let Some(&k) = index_of.get(&url)
                && visible_len(&text) > visible_len(&out[k].text)
            {
                out[k].text = text;
            }
            continue;
        }
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
        index_of.insert(url.clone(), out.len());
        out.push(ListLink { url, text, date });
    }
    if let ScriptLinks::Pattern(pattern) = scripts {
        for item in crate::script_links::pattern_items(html, pattern) {
            let Some(url) = absolute(Some(base), &item.url) else {
                continue;
            };
            if !seen.insert(url.clone()) {
                continue;
            }
            let year = url_year(&url).or(page_year);
            let date = item
                .date
                .as_deref()
                .and_then(|d| date_in(d, year))
                .or_else(|| crate::date::from_url(&url).map(|t| t.date()));
            out.push(ListLink {
                url,
                text: item.title,
                date,
            });
        }
    }
    out
}

/// The shape of a link's URL: host and path with every run of digits replaced by `0`
/// (`/xw/202006/t20200610_1.html` → `/xw/0/t0_0.html`), query keys without values.
/// Article links of one list share a shape; navigation links rarely have it.
fn url_shape(url: &Url) -> String {
    let mut out = String::new();
    out.push_str(url.host_str().unwrap_or_default());
    let mut in_digits = false;
    for c in url.path().chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    if let Some(q) = url.query() {
        out.push('?');
        for pair in q.split('&') {
            out.push_str(pair.split('=').next().unwrap_or_default());
            out.push('&');
        }
    }
    out
}

/// An `href` that leads somewhere (not empty, not `javascript:…`).
fn is_real_href(href: &str) -> bool {
    let h = href.trim();
    !h.is_empty()
        && !h
            .get(..11)
            .is_some_and(|p| p.eq_ignore_ascii_case("javascript:"))
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
    // Links whose text is too short or says nothing ("通知", "无标题", "显示"): kept
    // only where they share a chosen list's structure and URL shape (below).
    let mut poor: Vec<(usize, usize, String)> = Vec::new();
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
        let item = item_of(dom, i, &mut counts);
        if len < MIN_TITLE_CHARS {
            if item != i {
                poor.push((i, dom.nodes[item].parent as usize, url_shape(&abs)));
            }
            continue;
        }
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
    let chosen: Vec<usize> = scored
        .iter()
        .filter(|&&(_, s)| s >= best * 0.5 && s > 0.0)
        .map(|&(c, _)| c)
        .collect();
    let mut keep: Vec<usize> = chosen
        .iter()
        .flat_map(|c| groups[c].0.iter().copied())
        .collect();
    // A poor-text link is an article link when it sits in a chosen list (or a list of
    // the same tag and class beside it) and its URL has the shape of that list's titled
    // links: the TRS list where every third item says "通知".
    let signature = |c: usize| dom.element(c).map(|e| (e.name.to_string(), e.class_id()));
    let mut shapes: HashSet<(Option<(String, &str)>, String)> = HashSet::new();
    for &c in &chosen {
        for &i in &groups[&c].0 {
            let shape = dom
                .element(i)
                .and_then(|e| e.attr("href"))
                .and_then(|h| absolute(Some(base), h))
                .and_then(|u| Url::parse(&u).ok())
                .map(|u| url_shape(&u));
            if let Some(shape) = shape {
                shapes.insert((signature(c), shape));
            }
        }
    }
    for (i, container, shape) in poor {
        if shapes.contains(&(signature(container), shape)) {
            keep.push(i);
        }
    }
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

    /// The district government's 要闻 list (RSSHub `gov/beijing/bjhd`, 2026): the list
    /// is written by `document.write` lines; the static markup has only navigation.
    #[test]
    fn a_list_written_by_document_write_is_collected_with_titles_and_dates() {
        let html = concat!(
            "<html><body><div class=nav><a href='/'>首页</a><a href='/ywdt/'>要闻动态</a>",
            "<a href='/zwgk/'>政务公开信息</a></div>\n<div class=listBox><ul>\n<script type='text/javascript'>\n",
            "document.write('<li><a href=\"https://zyk.bjhd.gov.cn/ywdt/hdyw/202606/t20260610_4801.shtml\" target=\"_blank\" title=\"海淀区召开区委常委会扩大会议\">海淀区召开区委常委会扩大会议</a><span>2026-06-10</span></li>');\n",
            "document.write('<li><a href=\"https://zyk.bjhd.gov.cn/ywdt/hdyw/202606/t20260609_4799_hd.shtml\" target=\"_blank\">' + '区领导调研中关村科学城' + '</a>');\n",
            "document.writeln(\"<span>2026-06-09</span></li>\");\n",
            "document.write('<li><a href=\"https://zyk.bjhd.gov.cn/ywdt/hdyw/202606/t20260608_4790.shtml\">海淀区部署防汛工作，要求压实责任</a><span>2026-06-08</span></li>');\n",
            "</script>\n</ul></div><div class=footer><a href='/about/'>关于我们网站的说明</a></div></body></html>",
        );
        let base = Url::parse("https://www.bjhd.gov.cn/ywdt/").expect("url");
        let links = discover_links(html, &base, None, None);
        let got: Vec<(&str, &str, Option<NaiveDate>)> = links
            .iter()
            .map(|l| (l.url.as_str(), l.text.as_str(), l.date))
            .collect();
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d);
        assert_eq!(
            got,
            [
                (
                    "https://zyk.bjhd.gov.cn/ywdt/hdyw/202606/t20260610_4801.shtml",
                    "海淀区召开区委常委会扩大会议",
                    d(6, 10)
                ),
                (
                    "https://zyk.bjhd.gov.cn/ywdt/hdyw/202606/t20260609_4799_hd.shtml",
                    "区领导调研中关村科学城",
                    d(6, 9)
                ),
                (
                    "https://zyk.bjhd.gov.cn/ywdt/hdyw/202606/t20260608_4790.shtml",
                    "海淀区部署防汛工作，要求压实责任",
                    d(6, 8)
                ),
            ]
        );
        // Turned off, the scripts are not read: nothing but navigation is left.
        let off = discover_links_with(html, &base, None, None, &ScriptLinks::Off);
        assert!(off.iter().all(|l| !l.url.contains("/hdyw/")), "{off:?}");
    }

    /// 共产党员网 (RSSHub `12371/zxfb`): the column's items are an inline data array
    /// with single-quoted strings; the date is in `brief`.
    #[test]
    fn an_inline_item_array_is_collected_with_titles_and_dates() {
        let html = concat!(
            "<html><body><div class=nav><a href='/'>首页</a><a href='/cxsm/'>主题教育</a></div>",
            "<div class=dyw1_box><ul id=list></ul></div><script>\n",
            "var item=[{title:'深入学习贯彻党的创新理论', link_add:'https://www.12371.cn/2026/06/10/ARTI1780000001.shtml', brief:'2026-06-10 09:30:00'},\n",
            "{title:'以学促干推动高质量发展', link_add:'https://www.12371.cn/2026/06/09/ARTI1780000002.shtml', brief:'2026-06-09 18:02:11'},\n",
            "{title:'把调查研究贯穿始终', link_add:'https://www.12371.cn/2026/06/08/ARTI1780000003.shtml', brief:'2026-06-08 07:00:00'}];\n",
            "for (var i = 0; i < item.length; i++) { $('#list').append('<li>' + item[i].title + '</li>'); }\n",
            "</script></body></html>",
        );
        let base = Url::parse("https://www.12371.cn/cxsm/dtbb/").expect("url");
        let links = discover_links(html, &base, None, None);
        let got: Vec<(&str, &str, Option<NaiveDate>)> = links
            .iter()
            .map(|l| (l.url.as_str(), l.text.as_str(), l.date))
            .collect();
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d);
        assert_eq!(
            got,
            [
                (
                    "https://www.12371.cn/2026/06/10/ARTI1780000001.shtml",
                    "深入学习贯彻党的创新理论",
                    d(6, 10)
                ),
                (
                    "https://www.12371.cn/2026/06/09/ARTI1780000002.shtml",
                    "以学促干推动高质量发展",
                    d(6, 9)
                ),
                (
                    "https://www.12371.cn/2026/06/08/ARTI1780000003.shtml",
                    "把调查研究贯穿始终",
                    d(6, 8)
                ),
            ]
        );
    }

    #[test]
    fn a_source_pattern_reads_other_script_shapes() {
        let html = "<script>addItem(\"./202606/t20260610_1.html\",\"区委召开会议\",\"2026-06-10\");addItem(\"./202606/t20260609_2.html\",\"区政府常务会\",\"2026-06-09\");</script>";
        let base = Url::parse("http://www.example.gov.cn/xw/").expect("url");
        let re = Regex::new(r#"addItem\("(?P<url>[^"]+)","(?P<title>[^"]+)","(?P<date>[^"]+)"\)"#)
            .expect("regex");
        let links = discover_links_with(html, &base, None, None, &ScriptLinks::Pattern(re));
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0].url,
            "http://www.example.gov.cn/xw/202606/t20260610_1.html"
        );
        assert_eq!(links[1].text, "区政府常务会");
        assert_eq!(links[1].date, NaiveDate::from_ymd_opt(2026, 6, 9));
    }

    /// Issue 15 item 4: on a TRS list, links whose text says nothing ("通知", "无标题",
    /// "显示") were dropped although they sit in the list beside titled ones and share
    /// their URL shape; navigation with short texts must still stay out.
    #[test]
    fn poor_link_texts_in_the_list_are_collected_and_navigation_is_not() {
        let html = concat!(
            "<div class=nav><a href='/'>首页</a><a href='/xw/'>新闻</a><a href='/gk/'>公开</a>",
            "<a href='/xw/tz/'>通知</a><a href='/xw/index_1.html'>显示</a></div>",
            "<ul class=list>",
            "<li><a href='./202006/t20200610_101.html'>海淀区召开区委常委会会议</a><span>2020-06-10</span></li>",
            "<li><a href='./202006/t20200610_102.html'>通知</a><span>2020-06-10</span></li>",
            "<li><a href='./202006/t20200609_103.html'>区政府召开第十次常务会议</a><span>2020-06-09</span></li>",
            "<li><a href='./202006/t20200609_104.html'>无标题</a><span>2020-06-09</span></li>",
            "<li><a href='./202006/t20200608_105.html'>海淀区部署防汛工作会议召开</a><span>2020-06-08</span></li>",
            "<li><a href='./202006/t20200608_106.html'>显示</a><span>2020-06-08</span></li>",
            "<li><a href='./index_1.html'>更多</a></li>",
            "</ul><div class=page><a href='./index_1.html'>下一页</a><a href='./index_2.html'>尾页</a>",
            "<a href='./index_3.html'>3</a></div>",
        );
        let base = Url::parse("http://www.example.gov.cn/xw/").expect("url");
        let links = discover_links(html, &base, None, None);
        let got: Vec<(&str, &str)> = links
            .iter()
            .map(|l| (l.url.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "http://www.example.gov.cn/xw/202006/t20200610_101.html",
                    "海淀区召开区委常委会会议"
                ),
                (
                    "http://www.example.gov.cn/xw/202006/t20200610_102.html",
                    "通知"
                ),
                (
                    "http://www.example.gov.cn/xw/202006/t20200609_103.html",
                    "区政府召开第十次常务会议"
                ),
                (
                    "http://www.example.gov.cn/xw/202006/t20200609_104.html",
                    "无标题"
                ),
                (
                    "http://www.example.gov.cn/xw/202006/t20200608_105.html",
                    "海淀区部署防汛工作会议召开"
                ),
                (
                    "http://www.example.gov.cn/xw/202006/t20200608_106.html",
                    "显示"
                ),
            ]
        );
        assert_eq!(links[3].date, NaiveDate::from_ymd_opt(2020, 6, 9));
    }
}
