//! A small, lenient HTML parser into a flat arena.
//!
//! Nodes are stored in document (pre-order) order, so the subtree of node `i` is exactly
//! the index range `i..nodes[i].end`. Every walk in this crate is therefore a loop over a
//! range and never recursion: a page nested 100,000 levels deep cannot overflow the stack.
//!
//! Why not `tl`: its tree builder ignores a closing tag that does not match the innermost
//! open element (one stray `<span>` swallows the rest of the page into a `div`), and it
//! tokenises `<script>` content as markup. This parser keeps the parts of the HTML tree
//! construction rules that matter for extraction: raw-text elements, void elements,
//! implicit closing of `p`, `li`, `dt`/`dd`, `tr`/`td`/`th` and `option`, and end tags that
//! close every element opened after their match. Searches of the open-element stack are
//! bounded ([`STACK_SEARCH_LIMIT`]) so that time stays linear on hostile input.

use memchr::memchr;
use std::borrow::Cow;

/// How far down the stack of open elements an end tag or an implicit close looks.
pub const STACK_SEARCH_LIMIT: usize = 256;

/// One node of the arena.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    /// Index of the parent; the root is its own parent (index 0).
    pub parent: u32,
    /// One past the last index of this node's subtree.
    pub end: u32,
    pub kind: Kind<'a>,
}

/// What a node is.
#[derive(Debug, Clone)]
pub(crate) enum Kind<'a> {
    Root,
    Element(Element<'a>),
    /// Borrowed from the page unless a character reference had to be decoded.
    Text(Cow<'a, str>),
}

/// An element: lower-case name and attributes in source order.
#[derive(Debug, Clone)]
pub(crate) struct Element<'a> {
    pub name: Cow<'a, str>,
    pub attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// `class` and `id` joined and lower-cased (each followed by a space), computed once
    /// at parse time for the content and boilerplate hints.
    class_id: Box<str>,
}

impl<'a> Element<'a> {
    /// The value of an attribute (names are stored lower-case).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// An element named `name` with `attrs` (names lower-case).
    pub fn new(name: Cow<'a, str>, attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> Element<'a> {
        let mut class_id = String::new();
        for key in ["class", "id"] {
            if let Some((_, v)) = attrs.iter().find(|(k, _)| &**k == key) {
                class_id.push_str(&v.to_ascii_lowercase());
                class_id.push(' ');
            }
        }
        Element {
            name,
            attrs,
            class_id: class_id.into(),
        }
    }

    /// `class` and `id` joined, lower-cased, for boilerplate and content hints.
    pub fn class_id(&self) -> &str {
        &self.class_id
    }
}

/// A parsed document.
#[derive(Debug, Clone)]
pub(crate) struct Dom<'a> {
    pub nodes: Vec<Node<'a>>,
}

impl<'a> Dom<'a> {
    /// The element at `i`, if that node is one.
    pub fn element(&self, i: usize) -> Option<&Element<'a>> {
        match &self.nodes.get(i)?.kind {
            Kind::Element(e) => Some(e),
            _ => None,
        }
    }

    /// The tag name at `i`, or `""` for text and the root.
    pub fn name(&self, i: usize) -> &str {
        self.element(i).map_or("", |e| &e.name)
    }

    /// End of the subtree of `i`.
    pub fn end(&self, i: usize) -> usize {
        self.nodes.get(i).map_or(i, |n| n.end as usize)
    }

    /// Direct children of `i`.
    pub fn children(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.end(i);
        let mut j = i + 1;
        std::iter::from_fn(move || {
            if j >= end {
                return None;
            }
            let cur = j;
            j = self.end(j).max(j + 1);
            Some(cur)
        })
    }

    /// All elements named `name`, in document order.
    pub fn elements_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = usize> + 's {
        (0..self.nodes.len()).filter(move |&i| self.name(i) == name)
    }

    /// The raw text kept inside a raw-text element (`title`, JSON-LD `script`).
    pub fn text_of_raw(&self, i: usize) -> Option<&str> {
        if self.end(i) <= i + 1 {
            return None;
        }
        match &self.nodes.get(i + 1)?.kind {
            Kind::Text(t) => Some(t.as_ref()),
            _ => None,
        }
    }

    /// The text of the subtree of `i` with white space collapsed.
    pub fn text(&self, i: usize) -> String {
        let mut out = String::new();
        for j in i..self.end(i) {
            if let Kind::Text(t) = &self.nodes[j].kind {
                push_collapsed(&mut out, t);
            }
        }
        out.trim_matches(crate::text::is_space).to_string()
    }
}

/// Appends `t` collapsing runs of ASCII white space into one space.
pub(crate) fn push_collapsed(out: &mut String, t: &str) {
    let mut last_space = out.ends_with(' ') || out.is_empty();
    for c in t.chars() {
        if c.is_ascii_whitespace() || c == '\u{a0}' {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];
/// Elements whose content is not markup. Text is kept for `title`, `textarea` and JSON-LD
/// scripts; dropped otherwise.
const RAW: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "noscript",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];
/// Start tags that close an open `p`.
const CLOSES_P: &[&str] = &[
    "p",
    "div",
    "ul",
    "ol",
    "dl",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "form",
    "hr",
    "aside",
    "nav",
    "address",
    "fieldset",
    "figure",
    "main",
    "center",
];
const P_SCOPE: &[&str] = &["table", "td", "th", "button", "html", "caption", "object"];

/// Parses `html` into a [`Dom`]. Never fails; malformed input gives a best-effort tree.
pub(crate) fn parse(html: &str) -> Dom<'_> {
    let bytes = html.as_bytes();
    // About one node per tag (an element, or the text before an end tag): sized once
    // instead of grown and copied a dozen times on a 50 KB page.
    let mut nodes = Vec::with_capacity(memchr::memchr_iter(b'<', bytes).count() + 1);
    nodes.push(Node {
        parent: 0,
        end: 1,
        kind: Kind::Root,
    });
    let mut b = Builder {
        nodes,
        stack: vec![0],
    };
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(off) = memchr(b'<', &bytes[pos..]) else {
            b.text(&html[pos..]);
            break;
        };
        let lt = pos + off;
        if lt > pos {
            b.text(&html[pos..lt]);
        }
        pos = b.markup(html, lt);
    }
    let len = b.nodes.len() as u32;
    for &i in &b.stack {
        b.nodes[i as usize].end = len;
    }
    Dom { nodes: b.nodes }
}

struct Builder<'a> {
    nodes: Vec<Node<'a>>,
    stack: Vec<u32>,
}

impl<'a> Builder<'a> {
    fn top(&self) -> u32 {
        self.stack.last().copied().unwrap_or(0)
    }

    fn text(&mut self, raw: &'a str) {
        if raw.is_empty() {
            return;
        }
        let idx = self.nodes.len() as u32;
        self.nodes.push(Node {
            parent: self.top(),
            end: idx + 1,
            kind: Kind::Text(crate::entities::decode(raw)),
        });
    }

    fn open_name(&self, k: usize) -> &str {
        match &self.nodes[self.stack[k] as usize].kind {
            Kind::Element(e) => &e.name,
            _ => "",
        }
    }

    /// Finds `name` on the stack (from the top) before any of `scope`.
    fn find_open(&self, name: &str, scope: &[&str]) -> Option<usize> {
        let lo = self.stack.len().saturating_sub(STACK_SEARCH_LIMIT).max(1);
        for k in (lo..self.stack.len()).rev() {
            let n = self.open_name(k);
            if n == name {
                return Some(k);
            }
            if scope.contains(&n) {
                return None;
            }
        }
        None
    }

    fn close_to(&mut self, k: usize) {
        let len = self.nodes.len() as u32;
        while self.stack.len() > k {
            if let Some(i) = self.stack.pop() {
                self.nodes[i as usize].end = len;
            }
        }
    }

    fn implicit_close(&mut self, name: &str) {
        if CLOSES_P.contains(&name)
            && let Some(k) = self.find_open("p", P_SCOPE)
        {
            self.close_to(k);
        }
        let (targets, scope): (&[&str], &[&str]) = match name {
            "body" => (&["head"], &[]),
            "li" => (&["li"], &["ul", "ol", "menu", "table", "td", "th"]),
            "dt" | "dd" => (&["dt", "dd"], &["dl", "table", "td", "th"]),
            "tr" => (&["tr"], &["table"]),
            "td" | "th" => (&["td", "th"], &["tr", "table"]),
            "option" => (&["option"], &["select"]),
            _ => return,
        };
        for t in targets {
            if let Some(k) = self.find_open(t, scope) {
                self.close_to(k);
                return;
            }
        }
    }

    /// Handles markup starting at `lt` (a `<`); returns the position after it.
    fn markup(&mut self, html: &'a str, lt: usize) -> usize {
        let bytes = html.as_bytes();
        let next = bytes.get(lt + 1).copied().unwrap_or(0);
        match next {
            b'!' => {
                if bytes[lt..].starts_with(b"<!--") {
                    return find(bytes, lt + 4, b"-->").map_or(bytes.len(), |p| p + 3);
                }
                skip_to_gt(bytes, lt)
            }
            b'?' => skip_to_gt(bytes, lt),
            b'/' => {
                let (name, after) = read_name(html, lt + 2);
                let end = skip_to_gt(bytes, after);
                if !name.is_empty() {
                    self.end_tag(&name);
                }
                end
            }
            c if c.is_ascii_alphabetic() => self.start_tag(html, lt),
            _ => {
                self.text("<");
                lt + 1
            }
        }
    }

    fn end_tag(&mut self, name: &str) {
        if matches!(name, "html" | "body") {
            return;
        }
        if let Some(k) = self.find_open(name, &[]) {
            self.close_to(k);
        }
    }

    fn start_tag(&mut self, html: &'a str, lt: usize) -> usize {
        let bytes = html.as_bytes();
        let (name, mut pos) = read_name(html, lt + 1);
        let mut attrs: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::new();
        let mut self_closing = false;
        loop {
            while pos < bytes.len() && (bytes[pos].is_ascii_whitespace() || bytes[pos] == b'/') {
                self_closing = bytes[pos] == b'/';
                pos += 1;
            }
            if pos >= bytes.len() {
                break;
            }
            if bytes[pos] == b'>' {
                pos += 1;
                break;
            }
            self_closing = false;
            let start = pos;
            while pos < bytes.len()
                && !matches!(bytes[pos], b'=' | b'>' | b'/')
                && !bytes[pos].is_ascii_whitespace()
            {
                pos += 1;
            }
            let key = lower(&html[start..pos]);
            while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            let mut value = Cow::Borrowed("");
            if bytes.get(pos) == Some(&b'=') {
                pos += 1;
                while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                    pos += 1;
                }
                match bytes.get(pos) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let vstart = pos + 1;
                        let vend = memchr(q, &bytes[vstart..]).map_or(bytes.len(), |o| vstart + o);
                        value = crate::entities::decode_attribute(&html[vstart..vend]);
                        pos = (vend + 1).min(bytes.len());
                    }
                    _ => {
                        let vstart = pos;
                        while pos < bytes.len()
                            && bytes[pos] != b'>'
                            && !bytes[pos].is_ascii_whitespace()
                        {
                            pos += 1;
                        }
                        value = crate::entities::decode_attribute(&html[vstart..pos]);
                    }
                }
            }
            if !key.is_empty() && attrs.len() < 64 && !attrs.iter().any(|(k, _)| *k == key) {
                attrs.push((key, value));
            }
        }
        self.implicit_close(&name);
        let name_str: &str = &name;
        let idx = self.nodes.len() as u32;
        let is_raw = RAW.contains(&name_str);
        let keep_raw_text = match name_str {
            "title" | "textarea" => true,
            // JSON-LD, and the small inline scripts that write a value into the page
            // (`var fileNum='…';document.write(fileNum)` in 政府信息公开 tables).
            "script" => {
                attrs
                    .iter()
                    .any(|(k, v)| k == "type" && v.contains("ld+json"))
                    || is_small_writer(bytes, pos)
            }
            _ => false,
        };
        self.nodes.push(Node {
            parent: self.top(),
            end: idx + 1,
            kind: Kind::Element(Element::new(name.clone(), attrs)),
        });
        if is_raw && !self_closing {
            let close = find_close(bytes, pos, &name);
            let content = &html[pos.min(close)..close];
            if keep_raw_text && !content.is_empty() {
                let kind = if name == "script" {
                    Kind::Text(Cow::Borrowed(content))
                } else {
                    Kind::Text(crate::entities::decode(content))
                };
                self.nodes.push(Node {
                    parent: idx,
                    end: idx + 2,
                    kind,
                });
            }
            self.nodes[idx as usize].end = self.nodes.len() as u32;
            return skip_to_gt(bytes, close);
        }
        if !self_closing && !VOID.contains(&&*name) {
            self.stack.push(idx);
        }
        pos
    }
}

/// Lower-cases ASCII, borrowing when there is nothing to change.
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

fn read_name(html: &str, mut pos: usize) -> (Cow<'_, str>, usize) {
    let bytes = html.as_bytes();
    let start = pos;
    while pos < bytes.len()
        && !bytes[pos].is_ascii_whitespace()
        && !matches!(bytes[pos], b'>' | b'/' | b'<')
    {
        pos += 1;
    }
    // The delimiters are ASCII, so both ends are character boundaries.
    let name = lower(html.get(start..pos).unwrap_or(""));
    (name, pos)
}

fn skip_to_gt(bytes: &[u8], from: usize) -> usize {
    let from = from.min(bytes.len());
    memchr(b'>', &bytes[from..]).map_or(bytes.len(), |o| from + o + 1)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let from = from.min(bytes.len());
    memchr::memmem::find(&bytes[from..], needle).map(|o| from + o)
}

/// Position of `</name` (any case) at or after `from`, or the end of input.
fn find_close(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut pos = from.min(bytes.len());
    let n = name.as_bytes();
    while let Some(o) = memchr(b'<', &bytes[pos..]) {
        let lt = pos + o;
        if bytes.get(lt + 1) == Some(&b'/')
            && bytes.len() >= lt + 2 + n.len()
            && bytes[lt + 2..lt + 2 + n.len()].eq_ignore_ascii_case(n)
        {
            return lt;
        }
        pos = lt + 1;
    }
    bytes.len()
}

/// True when the script starting at `pos` closes within [`SMALL_SCRIPT`] bytes and
/// calls `document.write`: its text is kept for the disclosure table reader.
fn is_small_writer(bytes: &[u8], pos: usize) -> bool {
    let end = (pos + SMALL_SCRIPT).min(bytes.len());
    let window = &bytes[pos.min(end)..end];
    match memchr::memmem::find(window, b"</") {
        Some(close) => memchr::memmem::find(&window[..close], b"document.write").is_some(),
        None => false,
    }
}

/// The longest inline script whose text is kept for [`is_small_writer`].
const SMALL_SCRIPT: usize = 2048;

#[cfg(test)]
mod tests {
    use super::*;

    fn names(d: &Dom) -> Vec<String> {
        (0..d.nodes.len()).map(|i| d.name(i).to_string()).collect()
    }

    #[test]
    fn stray_inline_tag_does_not_swallow_the_page() {
        let d = parse("<div><span>a</div><p>b</p>");
        let div = d.elements_named("div").next().expect("div");
        let p = d.elements_named("p").next().expect("p");
        assert!(
            p >= d.end(div),
            "p must not be inside the div: {:?}",
            names(&d)
        );
    }

    #[test]
    fn p_closes_p_and_li_closes_li() {
        let d = parse("<p>a<p>b<ul><li>x<li>y</ul>");
        let ps: Vec<_> = d.elements_named("p").collect();
        assert_eq!(d.nodes[ps[1]].parent, 0);
        let lis: Vec<_> = d.elements_named("li").collect();
        assert_eq!(d.nodes[lis[0]].parent, d.nodes[lis[1]].parent);
    }

    #[test]
    fn script_content_is_not_markup() {
        let d = parse("<script>if (a<b) { x('<p>no</p>') }</script><p>yes</p>");
        assert_eq!(d.elements_named("p").count(), 1);
        assert_eq!(d.text(0), "yes");
    }

    #[test]
    fn attributes_and_entities() {
        let d = parse("<a href='/x?a=1&amp;b=2' class=big title=\"t\">A&nbsp;&lt;B&#x4e2d;</a>");
        let a = d.element(1).expect("a");
        assert_eq!(a.attr("href"), Some("/x?a=1&b=2"));
        assert_eq!(a.attr("class"), Some("big"));
        assert_eq!(d.text(0), "A <B中");
    }

    #[test]
    fn deep_nesting_is_linear_and_safe() {
        let html = "<div>".repeat(100_000) + "x" + &"</span>".repeat(100_000);
        let d = parse(&html);
        assert_eq!(d.text(0), "x");
    }
}
