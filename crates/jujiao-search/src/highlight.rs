//! Highlighted titles and snippets: plain text and the byte ranges that matched.
//!
//! Matches are found with the same character tokens the index uses, so exactly what
//! made an article match is marked (`于军` marks `于军`, not the lone `于` of `关于`), and
//! full-width or upper-case text in the article is marked for a lower-case query.
//! Whoever shows the text draws the marks: the web templates with `<mark>` around
//! [`marked_parts`] (the text escaped by the template engine), feeds and the terminal as
//! they need; [`marked_html`] gives the escaped HTML for the JSON API's `_html` fields.

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

/// About [`SNIPPET_CHARS`] characters of `text` around the densest cluster of matches
/// (the start of the text when nothing matches), with `…` where cut and line breaks as
/// spaces; and the byte ranges of the snippet that matched.
pub(crate) fn snippet(text: &str, ranges: &[Range<usize>]) -> (String, Vec<Range<usize>>) {
    let begin = best_window_start(text, ranges);
    let end = advance_chars(text, begin, SNIPPET_CHARS);
    let mut out = String::with_capacity(end - begin + 6);
    if begin > 0 {
        out.push('…');
    }
    let shift = out.len();
    out.push_str(&text[begin..end].replace('\n', " "));
    if end < text.len() {
        out.push('…');
    }
    let marks = ranges
        .iter()
        .filter_map(|r| {
            let (start, stop) = (r.start.max(begin), r.end.min(end));
            (start < stop).then(|| start - begin + shift..stop - begin + shift)
        })
        .collect();
    (out, marks)
}

/// The pieces of `text` in order, each with whether it is inside one of `marks` (byte
/// ranges, sorted, not overlapping, as [`crate::Hit`] gives them); empty pieces are
/// left out. Templates draw the marked pieces in `<mark>`.
pub fn marked_parts<'a>(text: &'a str, marks: &[Range<usize>]) -> Vec<(&'a str, bool)> {
    let mut parts = Vec::with_capacity(marks.len() * 2 + 1);
    let mut at = 0;
    for r in marks {
        let (start, end) = (r.start.max(at).min(text.len()), r.end.min(text.len()));
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if at < start {
            parts.push((&text[at..start], false));
        }
        parts.push((&text[start..end], true));
        at = end;
    }
    if at < text.len() {
        parts.push((&text[at..], false));
    }
    parts
}

/// `text` HTML-escaped with its `marks` in `<mark>`: for the JSON fields `title_html`
/// and `snippet_html` that clients of the first API read.
pub fn marked_html(text: &str, marks: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len() + 16 * marks.len());
    for (piece, is_mark) in marked_parts(text, marks) {
        if is_mark {
            out.push_str("<mark>");
        }
        escape_into(&mut out, piece);
        if is_mark {
            out.push_str("</mark>");
        }
    }
    out
}

/// `marks` (byte ranges of `text`) as `[start, end)` pairs of character offsets (Unicode
/// scalar values): the form the JSON outputs (web API, `jujiao search --json`) use.
pub fn char_ranges(text: &str, marks: &[Range<usize>]) -> Vec<[usize; 2]> {
    let chars_before = |byte: usize| text[..byte.min(text.len())].chars().count();
    marks
        .iter()
        .filter(|r| text.is_char_boundary(r.start.min(text.len())))
        .filter(|r| text.is_char_boundary(r.end.min(text.len())))
        .map(|r| [chars_before(r.start), chars_before(r.end)])
        .collect()
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

/// Escapes the five characters that matter in HTML text and attribute values.
fn escape_into(out: &mut String, s: &str) {
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
        marked_html(text, &matches(text, p.positive_terms()))
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
            let html = marked_html(&text, &matches(&text, p.positive_terms()));
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
        let (s, marks) = snippet(&text, &ranges);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert_eq!(marks.len(), 1, "{s}");
        assert_eq!(&s[marks[0].clone()], "疫情防控");
        assert!(
            marked_html(&s, &marks).contains("<mark>疫情防控</mark>"),
            "{s}"
        );
        assert_eq!(s.chars().filter(|c| *c == '前').count(), LEAD_CHARS);
        let (plain, marks) = snippet("短文\n第二段", &[]);
        assert_eq!(plain, "短文 第二段");
        assert!(marks.is_empty());
    }

    #[test]
    fn marks_become_parts_and_character_ranges() {
        let text = "…关于<b>疫情</b>&防控";
        let p = parse("疫情 防控");
        let marks = matches(text, p.positive_terms());
        assert_eq!(
            marked_parts(text, &marks),
            vec![
                ("…关于<b>", false),
                ("疫情", true),
                ("</b>&", false),
                ("防控", true)
            ]
        );
        assert_eq!(char_ranges(text, &marks), vec![[6, 8], [13, 15]]);
        assert_eq!(
            marked_html(text, &marks),
            "…关于&lt;b&gt;<mark>疫情</mark>&lt;/b&gt;&amp;<mark>防控</mark>"
        );
    }
}
