//! Highlighted titles and snippets as safe HTML.
//!
//! Matches are found with the same character tokens the index uses, so exactly what
//! made an article match is marked (`于军` marks `于军`, not the lone `于` of `关于`), and
//! full-width or upper-case text in the article is marked for a lower-case query.
//! Everything outside the `<mark>` tags is HTML-escaped.

use crate::query::SearchTerm;
use crate::tokenize::{CharToken, char_token_iter};
use std::collections::VecDeque;
use std::ops::Range;

/// Length of a snippet in characters.
pub const SNIPPET_CHARS: usize = 120;
/// Characters of context shown before the first match of a snippet.
const LEAD_CHARS: usize = 20;

/// Byte ranges of `text` where a term occurs, sorted, overlapping or touching ones merged.
///
/// The tokens are read one at a time through a window as long as the longest term: a
/// hit in a 10 MB article once built the token list of its whole body (~170 MB).
pub(crate) fn matches<'a>(
    text: &str,
    terms: impl IntoIterator<Item = &'a SearchTerm>,
) -> Vec<Range<usize>> {
    let terms: Vec<&SearchTerm> = terms.into_iter().filter(|t| !t.chars.is_empty()).collect();
    let longest = terms.iter().map(|t| t.chars.len()).max().unwrap_or(0);
    let mut ranges = Vec::new();
    let mut window: VecDeque<CharToken> = VecDeque::with_capacity(longest);
    for token in char_token_iter(text) {
        if longest == 0 {
            break;
        }
        if window.len() == longest {
            window.pop_front();
        }
        window.push_back(token);
        // Every term that ends at this token.
        for term in &terms {
            let n = term.chars.len();
            let Some(start) = window.len().checked_sub(n) else {
                continue;
            };
            if window
                .range(start..)
                .zip(&term.chars)
                .all(|(t, c)| &t.text == c)
            {
                ranges.push(window[start].from..window[window.len() - 1].to);
            }
        }
    }
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// The whole text with its matches marked.
pub(crate) fn mark_all(text: &str, ranges: &[Range<usize>]) -> String {
    render(text, 0..text.len(), ranges)
}

/// About [`SNIPPET_CHARS`] characters of `text` around the densest cluster of matches
/// (the start of the text when nothing matches), marked, with `…` where cut. Line breaks
/// become spaces.
pub(crate) fn snippet(text: &str, ranges: &[Range<usize>]) -> String {
    let begin = best_window_start(text, ranges);
    let end = advance_chars(text, begin, SNIPPET_CHARS);
    let mut out = String::new();
    if begin > 0 {
        out.push('…');
    }
    out.push_str(&render(text, begin..end, ranges).replace('\n', " "));
    if end < text.len() {
        out.push('…');
    }
    out
}

/// The byte `n` characters after `from` (or the end).
fn advance_chars(text: &str, from: usize, n: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| from + i)
}

/// The byte `n` characters before `to` (or the start).
fn back_chars(text: &str, to: usize, n: usize) -> usize {
    if n == 0 {
        return to;
    }
    text[..to]
        .char_indices()
        .rev()
        .nth(n - 1)
        .map_or(0, |(i, _)| i)
}

/// Where the window showing the most matches starts, a little before its first match.
fn best_window_start(text: &str, ranges: &[Range<usize>]) -> usize {
    let mut best = (0usize, 0usize, 0usize);
    for (i, r) in ranges.iter().enumerate() {
        let start = back_chars(text, r.start, LEAD_CHARS);
        let end = advance_chars(text, start, SNIPPET_CHARS);
        let shown = &ranges[i..];
        let count = shown.iter().take_while(|m| m.end <= end).count();
        if count > best.0 {
            best = (count, start, shown[count.max(1) - 1].end);
        }
    }
    // Start at the beginning when that shows the same matches.
    if advance_chars(text, 0, SNIPPET_CHARS) >= best.2 {
        0
    } else {
        best.1
    }
}

/// `text[window]` escaped, with the parts inside `ranges` wrapped in `<mark>`.
fn render(text: &str, window: Range<usize>, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(window.len() + 16);
    let mut at = window.start;
    for r in ranges {
        let start = r.start.max(window.start);
        let end = r.end.min(window.end);
        if start >= end {
            continue;
        }
        escape_into(&mut out, &text[at..start]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[start..end]);
        out.push_str("</mark>");
        at = end;
    }
    escape_into(&mut out, &text[at..window.end]);
    out
}

/// Escapes the five characters that matter in HTML text and attribute values.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    fn hl(text: &str, q: &str) -> String {
        let p = parse(q);
        mark_all(text, &matches(text, p.positive_terms()))
    }

    #[test]
    fn marks_the_term_not_its_characters_elsewhere() {
        assert_eq!(
            hl("关于加强建设，于军指出，军队", "于军"),
            "关于加强建设，<mark>于军</mark>指出，军队"
        );
    }

    #[test]
    fn marks_across_width_and_case_and_merges_neighbours() {
        assert_eq!(hl("５Ｇ基站", "5g"), "<mark>５Ｇ</mark>基站");
        assert_eq!(hl("疫情防控工作", "疫情 防控"), "<mark>疫情防控</mark>工作");
    }

    #[test]
    fn everything_outside_marks_is_escaped() {
        assert_eq!(
            hl("<script>alert('疫情')</script>&", "疫情"),
            "&lt;script&gt;alert(&#39;<mark>疫情</mark>&#39;)&lt;/script&gt;&amp;"
        );
    }

    fn unescape(html: &str) -> String {
        html.replace("<mark>", "")
            .replace("</mark>", "")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    proptest::proptest! {
        /// Marked HTML is the text itself, escaped, plus balanced `<mark>` tags only.
        #[test]
        fn marking_only_adds_marks_and_escapes(
            text in "[<>&\"'a-zA-Z0-9 疫情防控中关村５Ｇ\n]{0,80}",
            query in "[-\"疫情防控中关村 5gG]{0,12}",
        ) {
            let p = parse(&query);
            let html = mark_all(&text, &matches(&text, p.positive_terms()));
            let bare = html.replace("<mark>", "").replace("</mark>", "");
            proptest::prop_assert!(!bare.contains('<') && !bare.contains('>'), "{}", html);
            proptest::prop_assert_eq!(html.matches("<mark>").count(), html.matches("</mark>").count());
            proptest::prop_assert_eq!(unescape(&html), text);
        }
    }

    #[test]
    fn snippet_centres_on_matches_and_marks_cuts() {
        let text = format!("{}疫情防控{}", "前".repeat(200), "后".repeat(200));
        let ranges = matches(&text, parse("疫情防控").positive_terms());
        let s = snippet(&text, &ranges);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>疫情防控</mark>"), "{s}");
        assert_eq!(s.chars().filter(|c| *c == '前').count(), LEAD_CHARS);
        let plain = snippet("短文\n第二段", &[]);
        assert_eq!(plain, "短文 第二段");
    }
}
