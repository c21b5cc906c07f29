//! Text helpers: white space, punctuation, and cutting a subtree into paragraphs.

use crate::html::{Dom, Kind, push_collapsed};

/// White space as Chinese pages use it (ASCII, U+3000, no-break and zero-width spaces).
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}')
}

/// Sentence and clause punctuation, Chinese and Western.
pub(crate) fn is_punct(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '“'
            | '”'
            | '（'
            | '）'
            | '《'
            | '》'
            | ','
            | '.'
            | ';'
            | '!'
            | '?'
            | '"'
    )
}

/// One regex matching any of `words` literally: the engine searches all of them in one
/// pass instead of one `contains` per word.
pub(crate) fn words_regex(words: &[&str]) -> regex::Regex {
    let alt: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
    regex::Regex::new(&alt.join("|")).expect("escaped literals always compile")
}

/// Visible characters (white space excluded).
pub(crate) fn visible_len(s: &str) -> usize {
    let mut n = 0;
    for_each_visible_run(s, |run| {
        // Characters are the bytes that do not continue one.
        n += run.bytes().filter(|b| (*b as i8) >= -0x40).count();
    });
    n
}

/// Calls `f` with each longest piece of `s` that holds no [`is_space`] character, in
/// order. Steps by the first byte of each character and decodes only those that can be
/// a space (ASCII white space, or a first byte of U+0085/U+00A0, U+1680, U+2000–U+205F,
/// U+3000, U+FEFF): a Chinese page's text is mostly characters that cannot, and the
/// pieces are copied whole instead of character by character.
pub(crate) fn for_each_visible_run<'a>(s: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (width, may_be_space) = match b {
            0..=0x7f => (1, matches!(b, b'\t'..=b'\r' | b' ')),
            0x80..=0xdf => (2, b == 0xc2),
            0xe0..=0xef => (3, matches!(b, 0xe1 | 0xe2 | 0xe3 | 0xef)),
            _ => (4, false),
        };
        // `i` is always the start of a character: it moves by whole characters.
        if !(may_be_space && s[i..].chars().next().is_some_and(is_space)) {
            i += width;
            continue;
        }
        if i > start {
            f(&s[start..i]);
        }
        i += width;
        start = i;
    }
    if start < bytes.len() {
        f(&s[start..]);
    }
}

/// Text long and punctuated enough to be prose even inside a link: some pages wrap the
/// whole article in an anchor. Navigation and related-article titles are never this.
pub(crate) fn is_sentence_run(t: &str, visible: usize) -> bool {
    visible >= 60 && t.chars().filter(|c| is_punct(*c)).take(2).count() >= 2
}

/// Elements that start a new paragraph.
pub(crate) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "tbody"
            | "thead"
            | "tfoot"
            | "caption"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "address"
            | "figure"
            | "figcaption"
            | "main"
            | "center"
            | "hr"
            | "form"
            | "fieldset"
            | "body"
            | "html"
            | "details"
            | "summary"
            | "hgroup"
            | "menu"
            | "dialog"
    )
}

/// Elements whose content is never article text.
pub(crate) fn is_invisible(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "select"
            | "option"
            | "button"
            | "iframe"
            | "textarea"
            | "head"
            | "input"
            | "svg"
            | "template"
            | "object"
            | "embed"
            | "canvas"
            | "map"
            | "video"
            | "audio"
    )
}

/// A paragraph cut out of a subtree.
#[derive(Debug, Clone, Default)]
pub(crate) struct Block {
    /// Text with white space collapsed and trimmed.
    pub text: String,
    /// Visible characters inside links.
    pub link_chars: usize,
    /// Visible characters.
    pub chars: usize,
    /// The element the paragraph started in (its nearest block ancestor).
    pub owner: usize,
}

impl Block {
    /// Share of the text that is link text.
    pub fn link_density(&self) -> f64 {
        if self.chars == 0 {
            0.0
        } else {
            self.link_chars as f64 / self.chars as f64
        }
    }
}

/// Cuts the subtree of `root` into paragraphs at block boundaries and `<br>`, skipping
/// invisible elements and any element for which `skip` says so.
pub(crate) fn blocks(dom: &Dom, root: usize, skip: &dyn Fn(usize) -> bool) -> Vec<Block> {
    let end = dom.end(root);
    let mut out = Vec::new();
    let mut cur = Block {
        owner: root,
        ..Block::default()
    };
    // (end index, is block, is link) of the open elements being walked.
    let mut open: Vec<(usize, bool, bool)> = Vec::new();
    let mut links = 0usize;
    let mut owners: Vec<(usize, usize)> = vec![(end, root)];
    let mut j = root + 1;
    while j < end {
        while let Some(&(e, is_block, is_link)) = open.last() {
            if e > j {
                break;
            }
            open.pop();
            if is_link {
                links = links.saturating_sub(1);
            }
            if is_block {
                flush(&mut cur, &mut out);
            }
        }
        while owners.len() > 1 && owners.last().is_some_and(|&(e, _)| e <= j) {
            owners.pop();
        }
        match &dom.nodes[j].kind {
            Kind::Element(e) => {
                let name = &*e.name;
                if is_invisible(name) || skip(j) {
                    j = dom.end(j).max(j + 1);
                    continue;
                }
                let block = is_block(name);
                if block {
                    flush(&mut cur, &mut out);
                    owners.push((dom.end(j), j));
                }
                if block || name == "a" {
                    open.push((dom.end(j), block, name == "a"));
                    if name == "a" {
                        links += 1;
                    }
                }
            }
            Kind::Text(t) => {
                if cur.text.is_empty() {
                    cur.owner = owners.last().map_or(root, |&(_, o)| o);
                }
                let n = visible_len(t);
                cur.chars += n;
                if links > 0 && !is_sentence_run(t, n) {
                    cur.link_chars += n;
                }
                push_collapsed(&mut cur.text, t);
            }
            Kind::Root => {}
        }
        j += 1;
    }
    flush(&mut cur, &mut out);
    out
}

fn flush(cur: &mut Block, out: &mut Vec<Block>) {
    let text = cur.text.trim_matches(is_space);
    if !text.is_empty() {
        out.push(Block {
            text: text.to_string(),
            link_chars: cur.link_chars,
            chars: cur.chars,
            owner: cur.owner,
        });
    }
    cur.text.clear();
    cur.chars = 0;
    cur.link_chars = 0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::parse;

    #[test]
    fn cuts_at_blocks_and_br_and_counts_links() {
        let d = parse("<div>a<b>b</b><br>c <a href=x>link</a><p>d</p>e<script>x</script></div>");
        let bs = blocks(&d, 0, &|_| false);
        let texts: Vec<_> = bs.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["ab", "c link", "d", "e"]);
        assert_eq!(bs[1].link_chars, 4);
        assert_eq!(bs[1].chars, 5);
    }

    /// Characters the byte scan must tell apart: every space `is_space` knows, their
    /// neighbours that share a first byte (`。`, `“`, `€`, `é`, `Ā`), and plain text.
    const TRICKY: &[char] = &[
        ' ', '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}',
        '\u{200a}', '\u{200b}', '\u{200d}', '\u{2028}', '\u{202f}', '\u{205f}', '\u{3000}',
        '\u{feff}', '。', '“', '—', '€', 'é', 'Ā', '\u{e1}', '\u{1681}', '\u{fffd}', '\u{ff01}',
        'a', '1', '索', '引', '号', '😀', '\u{1c}',
    ];

    proptest::proptest! {
        #[test]
        fn visible_runs_are_the_text_without_spaces(
            picks in proptest::collection::vec(0..TRICKY.len(), 0..40)
        ) {
            let s: String = picks.iter().map(|&i| TRICKY[i]).collect();
            let expected: String = s.chars().filter(|c| !is_space(*c)).collect();
            let mut runs = Vec::new();
            for_each_visible_run(&s, |r| runs.push(r));
            proptest::prop_assert!(runs.iter().all(|r| !r.is_empty() && !r.chars().any(is_space)));
            proptest::prop_assert_eq!(runs.concat(), expected.clone());
            proptest::prop_assert_eq!(visible_len(&s), expected.chars().count());
        }
    }
}
