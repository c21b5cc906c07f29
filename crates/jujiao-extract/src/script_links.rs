//! Links that list pages write with scripts, read without a JavaScript engine.
//!
//! Government CMSs often put their list inside inline scripts instead of the markup:
//!
//! - `document.write('<li><a href="./202606/t20260610_1.shtml">标题</a>')`, `writeln`,
//!   and concatenations of string literals (`'<a href="' + '…' + '">'`) — the district
//!   government's 要闻 list (RSSHub `lib/routes/gov/beijing/bjhd/index.ts`, 2026);
//! - data arrays such as `item=[{title:'…', link_add:'…', brief:'2026-06-10 09:00:00'}]`
//!   with single-quoted, JavaScript-style strings — 共产党员网's columns (RSSHub
//!   `lib/routes/12371/zxfb.ts`).
//!
//! [`expand`] rewrites a page the way a browser would show it: each inline script that
//! writes markup is replaced by the markup it writes, and each data array by a plain
//! `<ul><li><a href>title</a> <span>date</span></li></ul>` list. Link discovery then
//! runs on the expanded page as on any other, so the list's structure, its dates and the
//! per-source selectors all work unchanged. Only literals are read: a value computed at
//! run time (`'<a href="' + url + '">'`) is left out, never guessed.
//!
//! When the automatic reading is not enough, a source gives a pattern ([`ScriptLinks::
//! Pattern`]) whose named groups `url`, `title` and optional `date` are matched against
//! the text of the page's inline scripts.

use regex::Regex;
use std::borrow::Cow;

/// How a source's list pages read links written by scripts.
#[derive(Debug, Clone, Default)]
pub enum ScriptLinks {
    /// Scripts are not read (`script_links = false`).
    Off,
    /// `document.write` lines and inline data arrays are read (the default,
    /// `script_links = true`).
    #[default]
    Auto,
    /// As `Auto`, and also every match of this pattern in an inline script is a link:
    /// named groups `url` and `title` (required) and `date` (optional).
    Pattern(Regex),
}

/// One item found by a [`ScriptLinks::Pattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternItem {
    pub url: String,
    pub title: String,
    pub date: Option<String>,
}

/// Keys naming an item's title in data arrays (compared lower-case).
const TITLE_KEYS: &[&str] = &["title", "name", "tit", "bt", "doctitle", "subject"];
/// Keys naming an item's link.
const URL_KEYS: &[&str] = &[
    "link_add",
    "url",
    "link",
    "href",
    "linkurl",
    "link_url",
    "docpuburl",
    "docurl",
    "path",
];

/// Keys naming an item's date.
const DATE_KEYS: &[&str] = &[
    "date",
    "time",
    "pubdate",
    "pub_date",
    "publishtime",
    "input_date",
    "docrelpubtime",
    "brief",
];

/// The page with its script-written markup in place of the scripts that write it; the
/// page itself (borrowed) when no inline script writes markup or holds a data array.
pub fn expand(html: &str) -> Cow<'_, str> {
    if !contains_ci(html, "<script") {
        return Cow::Borrowed(html);
    }
    let scripts = inline_scripts(html);
    let mut out = String::new();
    let mut last = 0;
    for (start, end, body) in scripts {
        let written = written_markup(body);
        let items = data_items(body);
        if written.is_empty() && items.is_empty() {
            continue;
        }
        out.push_str(&html[last..start]);
        out.push_str(&written);
        if !items.is_empty() {
            out.push_str("<ul>");
            for item in &items {
                out.push_str("<li><a href=\"");
                out.push_str(&escape(&item.url));
                out.push_str("\">");
                out.push_str(&escape(&item.title));
                out.push_str("</a>");
                if let Some(d) = &item.date {
                    out.push_str(" <span>");
                    out.push_str(&escape(d));
                    out.push_str("</span>");
                }
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        last = end;
    }
    if last == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[last..]);
    Cow::Owned(out)
}

/// The items a source's own pattern finds in the page's inline scripts.
pub(crate) fn pattern_items(html: &str, pattern: &Regex) -> Vec<PatternItem> {
    let mut out = Vec::new();
    for (_, _, body) in inline_scripts(html) {
        for c in pattern.captures_iter(body) {
            let group = |name: &str, n: usize| {
                c.name(name)
                    .or_else(|| c.get(n))
                    .map(|m| unescape_js(m.as_str()))
            };
            let (Some(url), Some(title)) = (group("url", 1), group("title", 2)) else {
                continue;
            };
            out.push(PatternItem {
                url,
                title: strip_tags(&title),
                date: c.name("date").map(|m| unescape_js(m.as_str())),
            });
        }
    }
    out
}

/// Inline scripts as (start of `<script`, end after `</script>`, body); scripts with a
/// `src` are skipped (their code is elsewhere).
fn inline_scripts(html: &str) -> Vec<(usize, usize, &str)> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = lower[from..].find("<script") {
        let start = from + rel;
        let Some(open_end) = lower[start..].find('>').map(|i| start + i + 1) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|i| open_end + i) else {
            break;
        };
        let end = lower[close..]
            .find('>')
            .map_or(html.len(), |i| close + i + 1);
        let tag = &lower[start..open_end];
        if !tag.contains(" src=") && !tag.contains("\tsrc=") && !tag.contains("\nsrc=") {
            out.push((start, end, &html[open_end..close]));
        }
        from = end;
    }
    out
}

/// Everything the script's `document.write(…)` / `document.writeln(…)` calls write,
/// reading only string literals.
fn written_markup(script: &str) -> String {
    let mut out = String::new();
    let lower = script.to_ascii_lowercase();
    let mut from = 0;
    while let Some(rel) = lower[from..].find("document.write") {
        let mut i = from + rel + "document.write".len();
        if lower[i..].starts_with("ln") {
            i += 2;
        }
        let rest = &script[i..];
        let trimmed = rest.trim_start();
        if !trimmed.starts_with('(') {
            from = i;
            continue;
        }
        let open = i + (rest.len() - trimmed.len()) + 1;
        let (text, end) = literal_argument(script, open);
        out.push_str(&text);
        from = end.max(open);
    }
    out
}

/// Reads a call's argument from `start` (just after its `(`) to the matching `)`:
/// the concatenated contents of its string literals. Returns the text and where the
/// call ends.
fn literal_argument(s: &str, start: usize) -> (String, usize) {
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' | b'`' => {
                let (lit, next) = string_literal(s, i);
                if depth == 0 {
                    out.push_str(&lit);
                }
                i = next;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if depth == 0 {
                    return (out, i + 1);
                }
                depth -= 1;
            }
            b';' if depth == 0 => return (out, i + 1),
            _ => {}
        }
        i += 1;
    }
    (out, bytes.len())
}

/// The string literal opening at `start` (its quote), unescaped, and the index after it.
fn string_literal(s: &str, start: usize) -> (String, usize) {
    let quote = s.as_bytes()[start] as char;
    let mut out = String::new();
    let mut chars = s[start + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        match c {
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => {}
                    'u' => {
                        let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                        if let Some(ch) =
                            u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            out.push(ch);
                        }
                    }
                    '\n' => {}
                    other => out.push(other),
                }
            }
            c if c == quote => return (out, start + 1 + off + 1),
            '\n' if quote != '`' => return (out, start + 1 + off),
            c => out.push(c),
        }
    }
    (out, s.len())
}

/// Undoes the escapes of a JavaScript string's inside (`\'`, `\/`, `\uXXXX`).
fn unescape_js(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let quoted = format!("'{s}'");
    string_literal(&quoted, 0).0
}

/// One item of an inline data array.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DataItem {
    url: String,
    title: String,
    date: Option<String>,
}

/// The items of the object literals in a script that have a title and a link
/// (`{title:'…', link_add:'…', brief:'2026-06-10 09:00:00'}`), in order.
fn data_items(script: &str) -> Vec<DataItem> {
    let mut out = Vec::new();
    let bytes = script.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' | b'`' => {
                i = string_literal(script, i).1;
                continue;
            }
            b'{' => {
                if let Some((fields, end)) = object_literal(script, i) {
                    if let Some(item) = item_of(&fields) {
                        out.push(item);
                    }
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// A flat object literal at `start` (its `{`): its `key: 'string'` fields (other
/// values are skipped) and the index after its `}`; `None` when it is not one (a block
/// of code, a nested structure).
fn object_literal(s: &str, start: usize) -> Option<(Vec<(String, String)>, usize)> {
    let bytes = s.as_bytes();
    let mut i = start + 1;
    let mut fields = Vec::new();
    let skip_space = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    loop {
        i = skip_space(i);
        match bytes.get(i)? {
            b'}' => return Some((fields, i + 1)),
            b',' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        // The key: an identifier or a string.
        let key = match bytes[i] {
            b'\'' | b'"' => {
                let (k, next) = string_literal(s, i);
                i = next;
                k
            }
            b if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                let begin = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                s[begin..i].to_owned()
            }
            _ => return None,
        };
        i = skip_space(i);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        i = skip_space(i + 1);
        match bytes.get(i)? {
            b'\'' | b'"' | b'`' => {
                let (v, next) = string_literal(s, i);
                fields.push((key, v));
                i = next;
            }
            b'{' | b'[' | b'(' => return None,
            _ => {
                // A number, a name, an expression: skipped to the next `,` or `}`.
                while i < bytes.len() && !matches!(bytes[i], b',' | b'}' | b'{' | b';') {
                    i += 1;
                }
                if matches!(bytes.get(i), Some(b'{' | b';') | None) {
                    return None;
                }
            }
        }
    }
}

fn item_of(fields: &[(String, String)]) -> Option<DataItem> {
    let find = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            fields
                .iter()
                .find(|(f, v)| f.eq_ignore_ascii_case(k) && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_owned())
        })
    };
    let url = find(URL_KEYS)?;
    let is_link = url.starts_with("http://")
        || url.starts_with("https://")
        || url.starts_with('/')
        || url.starts_with("./")
        || url.starts_with("../")
        || [".htm", ".html", ".shtml", ".jhtml"]
            .iter()
            .any(|e| url.to_ascii_lowercase().ends_with(e));
    if !is_link {
        return None;
    }
    let title = strip_tags(&find(TITLE_KEYS)?);
    let is_date = |v: &&String| v.len() <= 40 && crate::date::parse(v).is_some();
    // A field named for a date first, then any other short field holding one (12371's
    // `brief`); never the title.
    let date = DATE_KEYS
        .iter()
        .find_map(|k| {
            fields
                .iter()
                .find(|(f, v)| f.eq_ignore_ascii_case(k) && is_date(&v))
        })
        .or_else(|| {
            fields
                .iter()
                .find(|(f, v)| !TITLE_KEYS.iter().any(|t| f.eq_ignore_ascii_case(t)) && is_date(&v))
        })
        .map(|(_, v)| v.clone());
    Some(DataItem { url, title, date })
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' if inside => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_write_concatenations_become_markup() {
        let page = concat!(
            "<div><script type=\"text/javascript\">\n",
            "document.write('<li><a href=\"./202606/t20260610_1.shtml\" target=\"_blank\">海淀区召开会议</a>');\n",
            "document.writeln(\"<span>2026-06-10</span>\" + '</li>');\n",
            "var u = 'x'; document.write('<a href=\"' + u + '\">' + '动态' + '</a>');\n",
            "</script></div>"
        );
        let out = expand(page);
        assert_eq!(
            out,
            concat!(
                "<div><li><a href=\"./202606/t20260610_1.shtml\" target=\"_blank\">海淀区召开会议</a>",
                "<span>2026-06-10</span></li><a href=\"\">动态</a></div>"
            )
        );
    }

    #[test]
    fn data_arrays_become_a_list() {
        let page = concat!(
            "<script>var item=[{title:'学习贯彻\\'重要\\'讲话', link_add:'https://www.12371.cn/2026/06/10/ARTI1.shtml',",
            " brief:'2026-06-10 09:00:00', n: 3},\n",
            "{'title':'第二篇', 'link_add':'/2026/06/09/ARTI2.shtml', 'brief':'2026-06-09 08:00:00'}];",
            "function f(){ if (a) { b(); } }</script><p>x</p>"
        );
        let out = expand(page);
        assert_eq!(
            out,
            concat!(
                "<ul><li><a href=\"https://www.12371.cn/2026/06/10/ARTI1.shtml\">学习贯彻'重要'讲话</a>",
                " <span>2026-06-10 09:00:00</span></li>",
                "<li><a href=\"/2026/06/09/ARTI2.shtml\">第二篇</a> <span>2026-06-09 08:00:00</span></li></ul>",
                "<p>x</p>"
            )
        );
    }

    #[test]
    fn pages_without_such_scripts_are_borrowed() {
        let page = "<script src='/a.js'></script><script>var a = 1;</script><p>x</p>";
        assert!(matches!(expand(page), Cow::Borrowed(_)));
        let with_src = "<script src='/w.js'>document.write('<a href=\"/x.html\">x</a>')</script>";
        assert!(matches!(expand(with_src), Cow::Borrowed(_)));
    }

    #[test]
    fn a_pattern_reads_what_the_automatic_reading_cannot() {
        let page = "<script>add(\"/a/1.html\", \"第一条\", \"2026-01-02\"); add(\"/a/2.html\", \"第二条\", \"2026-01-03\");</script>";
        let re = Regex::new(r#"add\("(?P<url>[^"]+)", "(?P<title>[^"]+)", "(?P<date>[^"]+)"\)"#)
            .expect("regex");
        let items = pattern_items(page, &re);
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].url, "/a/2.html");
        assert_eq!(items[1].title, "第二条");
        assert_eq!(items[1].date.as_deref(), Some("2026-01-03"));
    }

    #[test]
    fn broken_scripts_never_panic() {
        for page in [
            "<script>document.write('<a href=",
            "<script>document.write(",
            "<script>x={title:'a', link_add:'/b.html'",
            "<script>{'",
            "<script>'\\u12",
            "<SCRIPT>document.write('\\",
        ] {
            let _ = expand(page);
        }
    }
}
