//! A documented subset of CSS selectors, matched against the crate's arena DOM.
//!
//! Supported: type (`div`, `*`), `#id`, `.class`, attribute tests (`[a]`, `[a=v]`,
//! `[a~=v]`, `[a^=v]`, `[a$=v]`, `[a*=v]`, `[a|=v]`, values quoted or not), compounds of
//! these (`div.TRS_Editor#zoom`), the descendant (space) and child (`>`) combinators, and
//! comma-separated lists. Pseudo-classes and the sibling combinators are refused at
//! compile time with an error naming the selector.
//!
//! Why not a crate: `tl`'s own matcher parses `a b` and `a > b` but never matches them
//! (its `matches` returns `false` for both), and servo's `selectors` would pull a large
//! dependency tree into a 2-core build for the handful of forms per-source rules use.
//! Ancestor walks share a budget of [`MAX_ANCESTOR_STEPS`] per element so matching stays
//! linear in the page size even on absurdly deep pages.

use crate::html::Dom;
use std::fmt;

/// How many ancestors the descendant combinators of one match attempt inspect in
/// total (a budget shared by the whole chain, so `a b c d` cannot go polynomial in the
/// depth of the page).
pub const MAX_ANCESTOR_STEPS: usize = 1024;
/// Longest chain of compounds accepted in one selector.
const MAX_COMPOUNDS: usize = 16;

/// A compiled selector list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    source: String,
    alternatives: Vec<Vec<(Combinator, Compound)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combinator {
    /// The first compound of a chain.
    None,
    Descendant,
    Child,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Compound {
    tag: Option<String>,
    tests: Vec<Test>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    Id(String),
    Class(String),
    Attr(String, Op, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Exists,
    Equals,
    Word,
    Prefix,
    Suffix,
    Contains,
    Dash,
}

/// Why a selector did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// The selector as written.
    pub selector: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad selector {:?}: {}", self.selector, self.reason)
    }
}

impl std::error::Error for SelectorError {}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_')
}

impl Selector {
    /// Compiles `source`; see the module docs for the supported subset.
    pub fn parse(source: &str) -> Result<Selector, SelectorError> {
        let err = |reason: &str| SelectorError {
            selector: source.to_string(),
            reason: reason.to_string(),
        };
        let mut alternatives = Vec::new();
        for part in source.split(',') {
            let chars: Vec<char> = part.trim().chars().collect();
            if chars.is_empty() {
                return Err(err("empty selector in list"));
            }
            let mut chain: Vec<(Combinator, Compound)> = Vec::new();
            let mut comb = Combinator::None;
            let mut k = 0;
            while k < chars.len() {
                let c = chars[k];
                if c.is_whitespace() {
                    if comb == Combinator::None && !chain.is_empty() {
                        comb = Combinator::Descendant;
                    }
                    k += 1;
                    continue;
                }
                if c == '>' {
                    if chain.is_empty() {
                        return Err(err("'>' without a left-hand side"));
                    }
                    comb = Combinator::Child;
                    k += 1;
                    continue;
                }
                if matches!(c, '+' | '~') {
                    return Err(err("sibling combinators are not supported"));
                }
                let (compound, next) = parse_compound(&chars, k).map_err(|r| err(&r))?;
                if !chain.is_empty() && comb == Combinator::None {
                    return Err(err("missing combinator"));
                }
                chain.push((comb, compound));
                if chain.len() > MAX_COMPOUNDS {
                    return Err(err("too many compounds"));
                }
                comb = Combinator::None;
                k = next;
            }
            if comb == Combinator::Child {
                return Err(err("'>' without a right-hand side"));
            }
            alternatives.push(chain);
        }
        Ok(Selector {
            source: source.to_string(),
            alternatives,
        })
    }

    /// Elements matching the selector, in document order.
    pub(crate) fn select(&self, dom: &Dom) -> Vec<usize> {
        (1..dom.nodes.len())
            .filter(|&i| self.matches(dom, i))
            .collect()
    }

    /// Whether element `i` matches.
    pub(crate) fn matches(&self, dom: &Dom, i: usize) -> bool {
        self.alternatives
            .iter()
            .any(|chain| match_chain(dom, chain, chain.len(), i, &mut { MAX_ANCESTOR_STEPS }))
    }
}

fn parse_compound(chars: &[char], mut k: usize) -> Result<(Compound, usize), String> {
    let mut comp = Compound::default();
    let read_ident = |k: &mut usize| -> String {
        let start = *k;
        while *k < chars.len() && is_ident(chars[*k]) {
            *k += 1;
        }
        chars[start..*k].iter().collect()
    };
    if chars[k] == '*' {
        k += 1;
    } else if is_ident(chars[k]) {
        comp.tag = Some(read_ident(&mut k).to_ascii_lowercase());
    }
    while k < chars.len() {
        match chars[k] {
            '#' => {
                k += 1;
                let id = read_ident(&mut k);
                if id.is_empty() {
                    return Err("empty #id".into());
                }
                comp.tests.push(Test::Id(id));
            }
            '.' => {
                k += 1;
                let class = read_ident(&mut k);
                if class.is_empty() {
                    return Err("empty .class".into());
                }
                comp.tests.push(Test::Class(class));
            }
            '[' => {
                let close = chars[k..]
                    .iter()
                    .position(|&c| c == ']')
                    .ok_or("unclosed '['")?;
                let inner: String = chars[k + 1..k + close].iter().collect();
                comp.tests.push(parse_attr(&inner)?);
                k += close + 1;
            }
            ':' => return Err("pseudo-classes are not supported".into()),
            c if c.is_whitespace() || c == '>' || c == '+' || c == '~' => break,
            c => return Err(format!("unexpected {c:?}")),
        }
    }
    if comp.tag.is_none() && comp.tests.is_empty() && chars.get(k.wrapping_sub(1)) != Some(&'*') {
        return Err("empty compound".into());
    }
    Ok((comp, k))
}

fn parse_attr(inner: &str) -> Result<Test, String> {
    let ops = [
        ("~=", Op::Word),
        ("^=", Op::Prefix),
        ("$=", Op::Suffix),
        ("*=", Op::Contains),
        ("|=", Op::Dash),
        ("=", Op::Equals),
    ];
    for (tok, op) in ops {
        if let Some((name, value)) = inner.split_once(tok) {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().trim_matches(['"', '\'']).to_string();
            if name.is_empty() || !name.chars().all(is_ident) {
                return Err(format!("bad attribute name in [{inner}]"));
            }
            return Ok(Test::Attr(name, op, value));
        }
    }
    let name = inner.trim().to_ascii_lowercase();
    if name.is_empty() || !name.chars().all(is_ident) {
        return Err(format!("bad attribute test [{inner}]"));
    }
    Ok(Test::Attr(name, Op::Exists, String::new()))
}

fn match_compound(dom: &Dom, c: &Compound, i: usize) -> bool {
    let Some(e) = dom.element(i) else {
        return false;
    };
    if c.tag.as_deref().is_some_and(|t| *t != *e.name) {
        return false;
    }
    c.tests.iter().all(|t| match t {
        Test::Id(id) => e.attr("id") == Some(id.as_str()),
        Test::Class(cl) => e
            .attr("class")
            .is_some_and(|v| v.split_ascii_whitespace().any(|x| x == cl)),
        Test::Attr(name, op, value) => e.attr(name).is_some_and(|v| match op {
            Op::Exists => true,
            Op::Equals => v == value,
            Op::Word => v.split_ascii_whitespace().any(|x| x == value),
            Op::Prefix => !value.is_empty() && v.starts_with(value.as_str()),
            Op::Suffix => !value.is_empty() && v.ends_with(value.as_str()),
            Op::Contains => !value.is_empty() && v.contains(value.as_str()),
            Op::Dash => v == value || v.starts_with(&format!("{value}-")),
        }),
    })
}

/// Matches `chain[..len]` with its last compound at `i` (recursion bounded by the
/// selector's length, not by the page).
fn match_chain(
    dom: &Dom,
    chain: &[(Combinator, Compound)],
    len: usize,
    i: usize,
    budget: &mut usize,
) -> bool {
    let Some((comb, comp)) = len.checked_sub(1).and_then(|l| chain.get(l)) else {
        return true;
    };
    if !match_compound(dom, comp, i) {
        return false;
    }
    let parent = |x: usize| -> Option<usize> {
        let p = dom.nodes.get(x)?.parent as usize;
        (p != x && p != 0).then_some(p)
    };
    match comb {
        Combinator::None => true,
        Combinator::Child => parent(i).is_some_and(|p| match_chain(dom, chain, len - 1, p, budget)),
        Combinator::Descendant => {
            let mut cur = parent(i);
            while let Some(p) = cur {
                if *budget == 0 {
                    return false;
                }
                *budget -= 1;
                if match_chain(dom, chain, len - 1, p, budget) {
                    return true;
                }
                cur = parent(p);
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::parse;

    fn texts(sel: &str, html: &str) -> Vec<String> {
        let d = parse(html);
        let s = Selector::parse(sel).expect("selector");
        s.select(&d).into_iter().map(|i| d.text(i)).collect()
    }

    #[test]
    fn descendant_child_and_compounds() {
        let html = "<div class='TRS_Editor x'><p>a</p><div><p>b</p></div></div><p>c</p>";
        assert_eq!(texts("div.TRS_Editor p", html), ["a", "b"]);
        assert_eq!(texts("div.TRS_Editor > p", html), ["a"]);
        assert_eq!(texts(".x.TRS_Editor", html), ["ab"]);
        assert_eq!(texts("[class^=TRS] p, body > p", html), ["a", "b"]);
        assert_eq!(texts("p", html).len(), 3);
    }

    #[test]
    fn attribute_forms() {
        let html = "<meta name='PubDate' content='2020-06-10'><span id=zoom lang='zh-CN'>x</span>";
        assert_eq!(texts("[lang|=zh]", html), ["x"]);
        assert_eq!(texts("span#zoom[lang*=CN]", html), ["x"]);
        let d = parse(html);
        assert_eq!(
            Selector::parse("meta[name=\"PubDate\"]")
                .expect("ok")
                .select(&d)
                .len(),
            1
        );
    }

    #[test]
    fn deep_page_with_long_descendant_chain_is_bounded() {
        let html = "<div>".repeat(20_000) + "<p>x</p>";
        let d = parse(&html);
        let s = Selector::parse("div div div div span p").expect("selector");
        let t = std::time::Instant::now();
        assert!(s.select(&d).is_empty());
        assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
        let s = Selector::parse("div div div p").expect("selector");
        assert_eq!(s.select(&d).len(), 1);
    }

    #[test]
    fn unsupported_forms_are_refused_with_the_selector() {
        for bad in ["p:first-child", "a + b", "", "div >", "[", "a,,b", "div..x"] {
            let e = Selector::parse(bad).expect_err(bad);
            assert_eq!(e.selector, bad);
        }
    }
}
