//! Automatic main-body detection.
//!
//! One linear pass gathers, for every node, its visible characters, link characters and
//! punctuation (bottom-up over the arena in reverse index order: children come after
//! their parents). Paragraph owners — the nearest block element of each text run — give
//! their parent and ancestors a score for clause punctuation and length, in the manner of
//! Mozilla Readability; class/id names push candidates up (content, article, TRS_Editor)
//! or down (footer, share, related); link density scales the score. The best candidate
//! and its strong siblings form the body, which is then cut into paragraphs and
//! filtered of link lists and boilerplate lines.

use crate::html::{Dom, Kind};
use crate::text::{Block, blocks, is_block, is_invisible, is_punct, is_space};

/// Minimal visible characters for a paragraph owner to score.
const MIN_PARAGRAPH_CHARS: usize = 20;

/// Per-node statistics over its subtree.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stats {
    pub chars: u32,
    pub link_chars: u32,
    pub punct: u32,
}

impl Stats {
    pub fn link_density(&self) -> f64 {
        if self.chars == 0 {
            0.0
        } else {
            f64::from(self.link_chars) / f64::from(self.chars)
        }
    }
}

/// Statistics for every node, and whether it is hidden (inside an invisible element).
pub(crate) struct Analysis {
    pub stats: Vec<Stats>,
    /// Stats of text directly owned (nearest block ancestor) by each node.
    pub own: Vec<Stats>,
    pub hidden: Vec<bool>,
    /// Inside (or being) a comment/reply section.
    pub in_comments: Vec<bool>,
    /// Form controls (`input`, `select`, `textarea`, `button`) in each subtree.
    pub controls: Vec<u32>,
}

/// Gathers [`Stats`] for every node in two linear passes.
pub(crate) fn analyse(dom: &Dom) -> Analysis {
    let n = dom.nodes.len();
    let mut stats = vec![Stats::default(); n];
    let mut own = vec![Stats::default(); n];
    let mut hidden = vec![false; n];
    let mut in_link = vec![false; n];
    let mut owner = vec![0usize; n];
    let mut controls = vec![0u32; n];
    let mut in_comments = vec![false; n];
    for i in 1..n {
        let p = dom.nodes[i].parent as usize;
        match &dom.nodes[i].kind {
            Kind::Element(e) => {
                hidden[i] = hidden[p] || is_invisible(&e.name) || is_hidden_style(e);
                in_link[i] = in_link[p] || &*e.name == "a";
                in_comments[i] = in_comments[p] || is_comment_area(e);
                owner[i] = if is_block(&e.name) { i } else { owner[p] };
                if matches!(&*e.name, "input" | "select" | "textarea" | "button") {
                    controls[i] = 1;
                }
            }
            Kind::Text(t) => {
                hidden[i] = hidden[p];
                if hidden[i] {
                    continue;
                }
                let mut s = Stats::default();
                for c in t.chars() {
                    if !is_space(c) {
                        s.chars += 1;
                        if is_punct(c) {
                            s.punct += 1;
                        }
                    }
                }
                // Long sentences inside a link are text someone wrapped in an anchor,
                // not navigation.
                if in_link[p] && !crate::text::is_sentence_run(t, s.chars as usize) {
                    s.link_chars = s.chars;
                }
                stats[i] = s;
                let o = &mut own[owner[p]];
                o.chars += s.chars;
                o.link_chars += s.link_chars;
                o.punct += s.punct;
            }
            Kind::Root => {}
        }
    }
    for i in (1..n).rev() {
        let p = dom.nodes[i].parent as usize;
        controls[p] += controls[i];
        let s = stats[i];
        let t = &mut stats[p];
        t.chars += s.chars;
        t.link_chars += s.link_chars;
        t.punct += s.punct;
    }
    Analysis {
        stats,
        own,
        hidden,
        in_comments,
        controls,
    }
}

/// Reader comments: text-dense, punctuation-rich, and never the article.
fn is_comment_area(e: &crate::html::Element) -> bool {
    let c = e.class_id();
    !c.is_empty()
        && [
            "comment",
            "reply",
            "disqus",
            "respond",
            "discussion",
            "pinglun",
        ]
        .iter()
        .any(|w| c.contains(w))
}

fn is_hidden_style(e: &crate::html::Element) -> bool {
    e.attr("style").is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    }) || e.attr("hidden").is_some()
}

const POSITIVE: &[&str] = &[
    "article",
    "content",
    "entry",
    "main",
    "post",
    "text",
    "story",
    "zoom",
    "detail",
    "trs_editor",
    "editor",
    "body",
    "con",
    "txt",
    "news",
    "left",
];
const NEGATIVE: &[&str] = &[
    "comment",
    "foot",
    "footer",
    "footnote",
    "sidebar",
    "side",
    "share",
    "related",
    "recommend",
    "banner",
    "nav",
    "menu",
    "breadcrumb",
    "crumb",
    "position",
    "location",
    "copyright",
    "promo",
    "sponsor",
    "widget",
    "tool",
    "tags",
    "hot",
    "rank",
    "ad-",
    "advert",
    "header",
    "top",
    "bottom",
    "login",
    "search",
    "right",
    "link",
    "list",
    "subscribe",
    "social",
    "popup",
    "modal",
    "masthead",
    "byline",
    "meta",
    "author",
    "pager",
    "page-nav",
    "print",
    "qrcode",
    "ewm",
];

/// [`POSITIVE`] and [`NEGATIVE`] as one-pass matchers.
static POSITIVE_RE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| crate::text::words_regex(POSITIVE));
static NEGATIVE_RE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| crate::text::words_regex(NEGATIVE));

/// +1 for a positive hint, -1 for a negative one, 0 for none or both.
pub(crate) fn class_weight(class_id: &str) -> i32 {
    if class_id.is_empty() {
        return 0;
    }
    let pos = POSITIVE_RE.is_match(class_id);
    let neg = NEGATIVE_RE.is_match(class_id);
    i32::from(pos) - i32::from(neg)
}

fn tag_weight(name: &str) -> f64 {
    match name {
        "div" | "article" | "section" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

/// The automatically found body: the selected containers and their paragraphs.
#[derive(Debug, Clone, Default)]
pub(crate) struct AutoBody {
    pub roots: Vec<usize>,
    pub paragraphs: Vec<String>,
}

/// Finds the main body of the page.
pub(crate) fn find(dom: &Dom, a: &Analysis, title: &str) -> AutoBody {
    let n = dom.nodes.len();
    let mut score = vec![0f64; n];
    let mut is_cand = vec![false; n];
    for o in 1..n {
        let s = a.own[o];
        if a.hidden[o] || (s.chars as usize) < MIN_PARAGRAPH_CHARS || s.link_density() > 0.5 {
            continue;
        }
        let commas = f64::from(s.punct);
        let base = 1.0 + commas + (f64::from(s.chars) / 100.0).min(3.0);
        // A paragraph element scores its ancestors; a container with its own text
        // (`<div>text<br>text</div>`) also scores itself.
        let self_scores = !matches!(dom.name(o), "p" | "li" | "dd" | "dt" | "h1" | "h2" | "h3");
        let (mut anc, first_level) = if self_scores {
            (o, 0)
        } else {
            (dom.nodes[o].parent as usize, 1)
        };
        for level in first_level..4 {
            if anc == 0 {
                break;
            }
            if !is_cand[anc] {
                is_cand[anc] = true;
                score[anc] += init_score(dom, anc);
            }
            let div = match level {
                0 | 1 => 1.0,
                2 => 2.0,
                _ => 6.0,
            };
            score[anc] += base / div;
            anc = dom.nodes[anc].parent as usize;
        }
    }
    let mut best: Option<(usize, f64)> = None;
    for i in 0..n {
        if !is_cand[i] {
            continue;
        }
        score[i] *= 1.0 - a.stats[i].link_density();
        if a.in_comments[i] {
            score[i] *= 0.2;
        }
        if best.is_none_or(|(_, s)| score[i] > s) {
            best = Some((i, score[i]));
        }
    }
    let Some((top, top_score)) = best else {
        return fallback(dom, a, title);
    };
    let parent = dom.nodes[top].parent as usize;
    let threshold = (top_score * 0.2).max(10.0);
    let mut roots = Vec::new();
    if parent == 0 {
        roots.push(top);
    } else {
        for c in dom.children(parent) {
            if c == top {
                roots.push(c);
                continue;
            }
            if a.hidden[c] || !matches!(dom.nodes[c].kind, Kind::Element(_)) {
                continue;
            }
            let st = a.stats[c];
            let bonus = dom.element(c).map_or(0.0, |e| {
                f64::from(class_weight(e.class_id())) * top_score * 0.2
            });
            if is_cand[c] && score[c] + bonus >= threshold {
                roots.push(c);
            } else if dom.name(c) == "p" {
                let ld = st.link_density();
                if (st.chars > 80 && ld < 0.25) || (st.chars > 0 && ld == 0.0 && st.punct > 0) {
                    roots.push(c);
                }
            }
        }
    }
    let paragraphs = paragraphs_of(dom, a, &roots, title);
    AutoBody { roots, paragraphs }
}

fn init_score(dom: &Dom, i: usize) -> f64 {
    let Some(e) = dom.element(i) else { return 0.0 };
    tag_weight(&e.name) + 25.0 * f64::from(class_weight(e.class_id()))
}

/// No paragraph scored: take the largest visible text owner.
fn fallback(dom: &Dom, a: &Analysis, title: &str) -> AutoBody {
    let best = (1..dom.nodes.len())
        .filter(|&i| !a.hidden[i] && dom.element(i).is_some())
        .max_by_key(|&i| a.own[i].chars.saturating_sub(a.own[i].link_chars));
    match best {
        Some(b) if a.own[b].chars > 0 => AutoBody {
            roots: vec![b],
            paragraphs: paragraphs_of(dom, a, &[b], title),
        },
        _ => AutoBody::default(),
    }
}

/// Cuts the selected roots into paragraphs, dropping link lists and boilerplate.
pub(crate) fn paragraphs_of(dom: &Dom, a: &Analysis, roots: &[usize], title: &str) -> Vec<String> {
    let total: u32 = roots.iter().map(|&r| a.stats[r].chars).sum();
    let skip = |i: usize| -> bool {
        // Polls, comment boxes and search forms inside the article area.
        if a.controls[i] > 0 && a.stats[i].chars * 2 < total && !roots.contains(&i) {
            return true;
        }
        let Some(e) = dom.element(i) else {
            return false;
        };
        if a.hidden[i] {
            return true;
        }
        let st = a.stats[i];
        let w = class_weight(e.class_id());
        (w < 0 && (st.link_density() > 0.3 || st.punct < 3))
            || (st.chars > 30 && st.link_density() > 0.6 && !matches!(&*e.name, "p" | "a"))
    };
    let title_key: String = title.chars().filter(|c| !is_space(*c)).collect();
    let mut out = Vec::new();
    for &r in roots {
        for b in blocks(dom, r, &skip) {
            if keep(&b, &title_key) {
                out.push(b.text);
            }
        }
    }
    out
}

fn keep(b: &Block, title_key: &str) -> bool {
    if b.chars == 0 {
        return false;
    }
    if b.link_density() > 0.5 && b.chars < 200 {
        return false;
    }
    let key: String = b.text.chars().filter(|c| !is_space(*c)).collect();
    if !title_key.is_empty() && key == title_key {
        return false;
    }
    !crate::boiler::is_boilerplate(&b.text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::parse;

    #[test]
    fn finds_paragraphs_in_a_content_div() {
        let html = concat!(
            "<html><body><div class=nav><a href=/>首页</a><a href=/x>新闻</a></div>",
            "<div class=content><h1>标题</h1><p>会议指出，要坚持以人民为中心的发展思想，统筹推进各项工作。</p>",
            "<p>会议强调，要确保各项任务落到实处，切实提高群众的获得感、幸福感。</p></div>",
            "<div class=footer>版权所有 某某网</div></body></html>"
        );
        let d = parse(html);
        let a = analyse(&d);
        let b = find(&d, &a, "标题");
        assert_eq!(b.paragraphs.len(), 2, "{:?}", b.paragraphs);
    }
}
