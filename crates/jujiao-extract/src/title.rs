//! The headline: a heading that the `<title>` contains, else `og:title` or `<title>` with
//! the site suffix removed (`标题_新闻_某某网`, `标题-中国政府网`, `标题 | BBC`).

use crate::body::Analysis;
use crate::html::{Dom, Kind};
use crate::text::is_space;
use memchr::memmem;
use std::sync::LazyLock;

/// Headings shorter than this (visible characters) are not headlines.
const MIN_TITLE_CHARS: usize = 4;
/// Headings longer than this are paragraphs.
const MAX_TITLE_CHARS: usize = 160;

/// The text of the first `<title>`.
pub(crate) fn doc_title(dom: &Dom) -> String {
    dom.elements_named("title")
        .next()
        .map(|i| dom.text(i))
        .unwrap_or_default()
}

/// Every `<meta>` as (its `property`/`name`/`itemprop`/`http-equiv`, its `content`).
pub(crate) fn metas<'d>(dom: &'d Dom) -> impl Iterator<Item = (&'d str, &'d str)> + 'd {
    dom.elements_named("meta").filter_map(|i| {
        let e = dom.element(i)?;
        let key = e
            .attr("property")
            .or_else(|| e.attr("name"))
            .or_else(|| e.attr("itemprop"))
            .or_else(|| e.attr("http-equiv"))?;
        Some((key, e.attr("content")?))
    })
}

/// The `content` of the first `<meta>` whose `name`/`property`/`itemprop` is in `keys`.
pub(crate) fn meta_content(dom: &Dom, keys: &[&str]) -> Option<String> {
    metas(dom)
        .find(|(k, v)| keys.iter().any(|want| k.eq_ignore_ascii_case(want)) && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
}

fn key(s: &str) -> String {
    s.chars()
        .filter(|c| !is_space(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Finds the headline.
pub(crate) fn find(dom: &Dom, a: &Analysis, raw: &str) -> Option<String> {
    let doc = doc_title(dom);
    let doc_key = key(&doc);
    let og = meta_content(
        dom,
        &["og:title", "twitter:title", "ArticleTitle", "headline"],
    )
    .or_else(|| enp_property(raw, "title"));
    let cleaned = strip_site_prefix(&strip_site_suffix(&doc));

    let cleaned_key = key(&cleaned);
    let cleaned_len = cleaned_key.chars().count();
    let mut best: Option<(f64, String)> = None;
    let mut first_h1: Option<String> = None;
    let mut seen = 0;
    for i in 0..dom.nodes.len() {
        let Kind::Element(e) = &dom.nodes[i].kind else {
            continue;
        };
        let is_heading = matches!(&*e.name, "h1" | "h2" | "h3" | "h4");
        let titled = !is_heading
            && matches!(
                &*e.name,
                "div" | "p" | "span" | "td" | "strong" | "b" | "font" | "header"
            )
            && {
                let c = e.class_id();
                c.contains("title") || c.contains("tit ") || c.contains("headline")
            };
        if !(is_heading || titled) || a.hidden[i] {
            continue;
        }
        let st = a.stats[i];
        if (st.chars as usize) < MIN_TITLE_CHARS || (st.chars as usize) > MAX_TITLE_CHARS {
            continue;
        }
        seen += 1;
        if seen > 200 {
            break;
        }
        let text = dom.text(i);
        if &*e.name == "h1" && first_h1.is_none() {
            first_h1 = Some(text.clone());
        }
        let k = key(&text);
        let len = k.chars().count();
        let contained = doc_key.contains(&k) || og.as_deref().is_some_and(|o| key(o).contains(&k));
        // A heading that starts the <title> is the headline whatever the suffix length;
        // one that is contained must be a good part of the cleaned title; one that only
        // resembles it (an edited <title>) must be close.
        let rank = if contained && (doc_key.starts_with(&k) || len * 2 >= cleaned_len) {
            2.0 + len as f64 / 1000.0
        } else {
            let sim = similarity(&k, &cleaned_key);
            if sim >= 0.6 { sim } else { 0.0 }
        };
        if rank > 0.0 && best.as_ref().is_none_or(|(r, _)| rank > *r) {
            best = Some((rank, text));
        }
    }
    if let Some((_, text)) = best {
        // A heading that repeats the whole <title> carries its suffix too.
        if key(&text) == doc_key {
            return Some(strip_site_suffix(&text));
        }
        return Some(text);
    }
    if let Some(o) = og {
        return Some(strip_site_suffix(&o));
    }
    if cleaned_len >= 6 {
        return Some(cleaned);
    }
    first_h1.or(if cleaned.is_empty() {
        None
    } else {
        Some(cleaned)
    })
}

/// A field of the `<!--enpproperty <date>…</date><title>…</title> … -->` comment that
/// Founder-family news CMSs put at the top of article pages.
pub(crate) fn enp_property(raw: &str, field: &str) -> Option<String> {
    static OPEN: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new("<!--enpproperty"));
    let head = &raw[..floor_boundary(raw, 64 * 1024)];
    // memmem, not `str::find`: this runs over up to 64 KB of every page, three times.
    let start = OPEN.find(head.as_bytes())?;
    let end = memmem::find(&head.as_bytes()[start..], b"-->").map_or(head.len(), |e| start + e);
    let block = &head[start..end];
    let open = format!("<{field}>");
    let from = block.find(&open)? + open.len();
    let to = block[from..].find('<').map_or(block.len(), |e| from + e);
    let v = crate::entities::decode(block[from..to].trim())
        .trim()
        .to_string();
    (!v.is_empty()).then_some(v)
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Dice coefficient of the character bigrams of two keys.
fn similarity(a: &str, b: &str) -> f64 {
    let bigrams = |s: &str| -> Vec<(char, char)> {
        let c: Vec<char> = s.chars().collect();
        let mut v: Vec<(char, char)> = c.windows(2).map(|w| (w[0], w[1])).collect();
        v.sort_unstable();
        v
    };
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * f64::from(common) / (x.len() + y.len()) as f64
}

/// Removes an outlet name written before the title with a colon (`中國評論新聞：标题`),
/// recognised by how outlet names end (网, 新闻, 报, 社, 台); `内蒙古9部门：…` stays.
pub(crate) fn strip_site_prefix(title: &str) -> String {
    if let Some((head, rest)) = title.split_once(['：', ':'])
        && (2..=8).contains(&head.chars().count())
        && rest.chars().count() >= 6
        && [
            "网", "網", "新闻", "新聞", "报", "報", "社", "台", "频道", "頻道",
        ]
        .iter()
        .any(|s| head.trim().ends_with(s))
    {
        return rest.trim_matches(is_space).to_string();
    }
    title.to_string()
}

/// Whether a title is just a site's name (`北京市海淀区人民政府`, `某某网`): government
/// pages often carry the portal name in `<title>` and the headline only in the page.
pub(crate) fn looks_like_site_name(title: &str) -> bool {
    let t = title.trim_matches(is_space);
    let n = t.chars().count();
    n > 0
        && n <= 16
        && [
            "网",
            "网站",
            "政府",
            "门户",
            "官网",
            "首页",
            "主页",
            "委员会",
            "人民政府",
            "门户网站",
        ]
        .iter()
        .any(|s| t.ends_with(s))
}

/// The heading nearest before the body (or the first inside it): the headline of a page
/// whose `<title>` names only the site.
pub(crate) fn heading_near_body(dom: &Dom, a: &Analysis, roots: &[usize]) -> Option<String> {
    let &first = roots.first()?;
    let is_heading = |i: usize| -> bool {
        let Some(e) = dom.element(i) else {
            return false;
        };
        let st = a.stats[i];
        !a.hidden[i]
            && (6..=MAX_TITLE_CHARS).contains(&(st.chars as usize))
            && st.link_density() < 0.5
            && (matches!(&*e.name, "h1" | "h2" | "h3")
                || e.class_id().contains("title") && !matches!(&*e.name, "a" | "li"))
    };
    // Failing a heading element: the nearest short line of its own above the body
    // (`<td class="bt">标题</td>`) that is not a byline or a tool bar.
    let is_line = |i: usize| -> bool {
        let o = a.own[i];
        if a.hidden[i] || !(6..=80).contains(&(o.chars as usize)) || o.link_density() >= 0.5 {
            return false;
        }
        let t = dom.text(i);
        crate::date::parse(&t).is_none() && !crate::boiler::is_boilerplate(&t)
    };
    let lo = first.saturating_sub(300);
    let inside = (first..dom.end(first).min(first + 50)).find(|&i| is_heading(i));
    let before = (lo..first).rev().find(|&i| is_heading(i));
    before
        .or(inside)
        .or_else(|| (lo..first).rev().find(|&i| is_line(i)))
        .map(|i| dom.text(i))
}

/// Removes site names joined to a title by `_`, `|`, ` - `, `－`, `—` and similar.
pub(crate) fn strip_site_suffix(title: &str) -> String {
    let title = title.trim_matches(is_space);
    let parts = split_segments(title);
    if parts.len() < 2 {
        return title.to_string();
    }
    let first = parts[0];
    let longest = parts
        .iter()
        .copied()
        .max_by_key(|p| p.chars().count())
        .unwrap_or(first);
    let pick = if first.chars().count() * 2 >= longest.chars().count() {
        first
    } else {
        longest
    };
    pick.trim_matches(is_space).to_string()
}

fn split_segments(title: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = title.char_indices().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut k = 0;
    while k < chars.len() {
        let (pos, c) = chars[k];
        let prev = k.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(k + 1).map(|x| x.1);
        let sep_len = match c {
            '_' | '|' | '｜' | '－' => Some(c.len_utf8()),
            '-' | '–' | '—' => {
                let spaced = prev == Some(' ') && next == Some(' ');
                let cjk =
                    prev.is_some_and(|p| !p.is_ascii()) && next.is_some_and(|n| !n.is_ascii());
                (spaced || cjk || c == '—' && next == Some('—')).then_some(c.len_utf8())
            }
            _ => None,
        };
        if let Some(len) = sep_len {
            let seg = title[start..pos].trim_matches(is_space);
            if !seg.is_empty() {
                parts.push(seg);
            }
            start = pos + len;
        }
        k += 1;
    }
    let seg = title[start..].trim_matches(is_space);
    if !seg.is_empty() {
        parts.push(seg);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::strip_site_suffix;

    #[test]
    fn site_suffixes_are_removed() {
        assert_eq!(
            strip_site_suffix("区委常委会召开会议_新闻_某某网"),
            "区委常委会召开会议"
        );
        assert_eq!(
            strip_site_suffix("国务院常务会议召开-中国政府网"),
            "国务院常务会议召开"
        );
        assert_eq!(
            strip_site_suffix("Health row erupts | BBC"),
            "Health row erupts"
        );
        assert_eq!(
            strip_site_suffix("COVID-19 cases rise - BBC News"),
            "COVID-19 cases rise"
        );
        assert_eq!(strip_site_suffix("海淀区"), "海淀区");
        assert_eq!(
            super::strip_site_prefix("中國評論新聞：看病送火車票"),
            "看病送火車票"
        );
        assert_eq!(
            super::strip_site_prefix("内蒙古9部门：确保工资无拖欠"),
            "内蒙古9部门：确保工资无拖欠"
        );
    }
}
