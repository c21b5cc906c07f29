//! The headline: a heading that the `<title>` contains, else `og:title` or `<title>` with
//! the site suffix removed (`标题_新闻_某某网`, `标题-中国政府网`, `标题 | BBC`).

use crate::body::Analysis;
use crate::html::{Dom, Kind};
use crate::text::is_space;

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

/// The `content` of the first `<meta>` whose `name`/`property`/`itemprop` is in `keys`.
pub(crate) fn meta_content(dom: &Dom, keys: &[&str]) -> Option<String> {
    for i in dom.elements_named("meta") {
        let Some(e) = dom.element(i) else { continue };
        let key = e
            .attr("property")
            .or_else(|| e.attr("name"))
            .or_else(|| e.attr("itemprop"))
            .or_else(|| e.attr("http-equiv"));
        if let (Some(k), Some(v)) = (key, e.attr("content"))
            && keys.iter().any(|want| k.eq_ignore_ascii_case(want))
            && !v.trim().is_empty()
        {
            return Some(v.trim().to_string());
        }
    }
    None
}

fn key(s: &str) -> String {
    s.chars()
        .filter(|c| !is_space(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Finds the headline.
pub(crate) fn find(dom: &Dom, a: &Analysis) -> Option<String> {
    let doc = doc_title(dom);
    let doc_key = key(&doc);
    let og = meta_content(
        dom,
        &["og:title", "twitter:title", "ArticleTitle", "headline"],
    );
    let cleaned = strip_site_suffix(&doc);

    let mut best: Option<(usize, String)> = None;
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
            && e.class_id().contains("title");
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
        let matches = doc_key.contains(&k) || og.as_deref().is_some_and(|o| key(o).contains(&k));
        if matches && best.as_ref().is_none_or(|(l, _)| len > *l) {
            best = Some((len, text));
        }
    }
    let cleaned_len = key(&cleaned).chars().count();
    if let Some((len, text)) = best
        && len * 2 >= cleaned_len
    {
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
    }
}
