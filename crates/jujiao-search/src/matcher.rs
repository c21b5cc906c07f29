//! The search's matching rule applied to one article in memory, for many queries at
//! once: watch rules (`jujiao-watch`) test every article as it is recorded, with the
//! same parsing ([`crate::query`]) and the same character-exact matching as the index.
//!
//! The index decides a match by consecutive character tokens (`crate::tokenize`): a term
//! matches where its tokens occur one after the other, punctuation and spaces never
//! counting. Here a text becomes one string of its normalised tokens, each followed by a
//! separator byte (`\x01`, which no token contains), and a term the string
//! `\x01t1\x01t2\x01…\x01`: the term occurs exactly where that string does, token for
//! token (`covid` does not match the token `covid19`, `中关村科学城` matches
//! `中关村 科学城`). Every term of every query goes into one Aho–Corasick automaton,
//! built once ([`QuerySet::new`]); testing an article is one pass over its title and one
//! over its body, then each query's groups are checked against the terms found — a
//! thousand rules cost little more than one.

use crate::query::{ParsedQuery, parse};
use crate::tokenize::{CharSpans, normalise_into};
use aho_corasick::AhoCorasick;
use std::collections::HashMap;

/// Between and around tokens in a [`MatchText`]; no normalised token contains it.
const SEP: char = '\u{1}';

/// Which texts of an article a query is tested against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextScope {
    /// Only the title.
    Title,
    /// The title and the body (the default, as in search).
    #[default]
    TitleAndBody,
}

/// An article's title and body prepared for matching: normalised tokens, each followed by
/// a separator, with where each token starts in the original text.
#[derive(Debug, Clone, Default)]
pub struct MatchText {
    title: Tokens,
    body: Tokens,
}

#[derive(Debug, Clone, Default)]
struct Tokens {
    /// `\x01` then each normalised token followed by `\x01`.
    hay: String,
    /// Per token: (its start in `hay`, its start in the original text).
    starts: Vec<(usize, usize)>,
}

impl Tokens {
    fn new(text: &str) -> Tokens {
        let mut hay = String::with_capacity(text.len() + text.len() / 2 + 1);
        hay.push(SEP);
        let mut starts = Vec::new();
        for (from, to) in CharSpans::new(text) {
            starts.push((hay.len(), from));
            normalise_into(&text[from..to], &mut hay);
            hay.push(SEP);
        }
        Tokens { hay, starts }
    }

    /// The start in the original text of the token the match at `hay_at` begins with
    /// (`hay_at` is the separator before it).
    fn original(&self, hay_at: usize) -> Option<usize> {
        let i = self.starts.partition_point(|(h, _)| *h <= hay_at);
        self.starts.get(i).map(|(_, o)| *o)
    }
}

impl MatchText {
    /// Prepares a title and a body (`Article::body`, paragraphs joined by new lines).
    pub fn new(title: &str, body: &str) -> MatchText {
        MatchText {
            title: Tokens::new(title),
            body: Tokens::new(body),
        }
    }
}

/// One query compiled against its set's terms.
#[derive(Debug, Clone)]
struct Compiled {
    /// Each group: ids of its alternative terms (one must occur).
    groups: Vec<Vec<usize>>,
    /// Ids of the excluded terms (none may occur).
    excluded: Vec<usize>,
    scope: TextScope,
}

/// Many queries compiled once; see the module documentation.
#[derive(Debug, Clone)]
pub struct QuerySet {
    queries: Vec<Compiled>,
    /// Term `i` is pattern `i`; `None` when no query has a term.
    automaton: Option<AhoCorasick>,
    terms: usize,
}

/// Which terms occur in a text; one bit per term.
#[derive(Debug)]
struct Found {
    title: Vec<bool>,
    body: Vec<bool>,
    /// First place (in `MatchText::body`'s hay) each term occurs in the body.
    body_at: Vec<Option<usize>>,
}

impl QuerySet {
    /// Compiles queries, each with its scope, in the search syntax (`crate::query`).
    /// Query `i` of the input is query `i` of [`matching`](QuerySet::matching).
    pub fn new<'a>(queries: impl IntoIterator<Item = (&'a str, TextScope)>) -> QuerySet {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut id_of = |chars: &[String]| -> usize {
            let mut needle = String::from(SEP);
            for c in chars {
                needle.push_str(c);
                needle.push(SEP);
            }
            *ids.entry(needle.clone()).or_insert_with(|| {
                patterns.push(needle);
                patterns.len() - 1
            })
        };
        let compiled: Vec<Compiled> = queries
            .into_iter()
            .map(|(text, scope)| {
                let ParsedQuery { groups, excluded } = parse(text);
                Compiled {
                    groups: groups
                        .iter()
                        .map(|g| g.iter().map(|t| id_of(&t.chars)).collect())
                        .collect(),
                    excluded: excluded.iter().map(|t| id_of(&t.chars)).collect(),
                    scope,
                }
            })
            .collect();
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::new(&patterns)
                    .expect("the automaton of a few thousand short terms fits its limits"),
            )
        };
        QuerySet {
            queries: compiled,
            automaton,
            terms: patterns.len(),
        }
    }

    /// How many queries the set holds.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// True when the set holds no query.
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    /// True when query `i` has no positive term (only exclusions, or nothing): like an
    /// empty search, it accepts every text its exclusions let through.
    pub fn is_unrestricted(&self, i: usize) -> bool {
        self.queries.get(i).is_some_and(|q| q.groups.is_empty())
    }

    fn find(&self, text: &MatchText) -> Found {
        let mut found = Found {
            title: vec![false; self.terms],
            body: vec![false; self.terms],
            body_at: vec![None; self.terms],
        };
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(text.title.hay.as_str()) {
                found.title[m.pattern().as_usize()] = true;
            }
            for m in ac.find_overlapping_iter(text.body.hay.as_str()) {
                let i = m.pattern().as_usize();
                if !found.body[i] {
                    found.body[i] = true;
                    found.body_at[i] = Some(m.start());
                }
            }
        }
        found
    }

    /// The indices of the queries that match `text`, ascending.
    pub fn matching(&self, text: &MatchText) -> Vec<usize> {
        let found = self.find(text);
        (0..self.queries.len())
            .filter(|&i| self.is_match(i, &found))
            .collect()
    }

    fn is_match(&self, i: usize, found: &Found) -> bool {
        let q = &self.queries[i];
        let has =
            |t: usize| found.title[t] || (q.scope == TextScope::TitleAndBody && found.body[t]);
        q.groups.iter().all(|g| g.iter().any(|&t| has(t))) && !q.excluded.iter().any(|&t| has(t))
    }

    /// The queries that match `text`, ascending, each with where in the body (byte
    /// offset of the original text) its earliest positive term occurs — to quote the
    /// sentence around it; `None` when its terms occur only in the title. One pass over
    /// the texts for all queries.
    pub fn matching_with_places(&self, text: &MatchText) -> Vec<(usize, Option<usize>)> {
        let found = self.find(text);
        (0..self.queries.len())
            .filter(|&i| self.is_match(i, &found))
            .map(|i| {
                let q = &self.queries[i];
                let at = (q.scope == TextScope::TitleAndBody)
                    .then(|| {
                        q.groups
                            .iter()
                            .flatten()
                            .filter_map(|&t| found.body_at[t])
                            .min()
                    })
                    .flatten()
                    .and_then(|at| text.body.original(at));
                (i, at)
            })
            .collect()
    }

    /// [`matching_with_places`](QuerySet::matching_with_places) for query `i` alone.
    pub fn first_body_match(&self, i: usize, text: &MatchText) -> Option<usize> {
        self.matching_with_places(text)
            .into_iter()
            .find(|(q, _)| *q == i)
            .and_then(|(_, at)| at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(query: &str, title: &str, body: &str) -> bool {
        let set = QuerySet::new([(query, TextScope::TitleAndBody)]);
        !set.matching(&MatchText::new(title, body)).is_empty()
    }

    #[test]
    fn terms_match_token_for_token_like_the_index() {
        assert!(matches("中关村 科学城", "", "中关村的科学城"));
        assert!(matches("\"中关村 科学城\"", "", "中关村，科学城"));
        assert!(!matches("\"中关村科学城\"", "", "中关村的科学城"));
        assert!(matches("５Ｇ", "", "5G 基站"));
        assert!(!matches("covid", "", "covid19 疫情"));
        assert!(matches("covid 19", "", "COVID-19 疫情"));
        assert!(!matches("区委 书记", "区委", ""));
    }

    #[test]
    fn alternatives_exclusions_and_scope() {
        assert!(matches("疫情|防控 通知", "防控通知", ""));
        assert!(matches("疫情 OR 防控 通知", "通知", "疫情"));
        assert!(!matches("通知 -广告", "通知", "这是广告"));
        let set = QuerySet::new([
            ("通知", TextScope::Title),
            ("通知", TextScope::TitleAndBody),
        ]);
        assert_eq!(set.matching(&MatchText::new("新闻", "一则通知")), [1]);
        assert_eq!(set.matching(&MatchText::new("通知", "")), [0, 1]);
    }

    #[test]
    fn an_empty_query_accepts_everything_its_exclusions_let_through() {
        let set = QuerySet::new([("", TextScope::TitleAndBody), ("-广告", TextScope::Title)]);
        assert!(set.is_unrestricted(0) && set.is_unrestricted(1));
        assert_eq!(set.matching(&MatchText::new("标题", "正文")), [0, 1]);
        assert_eq!(set.matching(&MatchText::new("广告", "正文")), [0]);
    }

    #[test]
    fn the_first_body_match_points_into_the_original_text() {
        let body = "第一句。区委书记张三主持会议。";
        let set = QuerySet::new([("张三 | 李四", TextScope::TitleAndBody)]);
        let text = MatchText::new("标题", body);
        let at = set.first_body_match(0, &text).unwrap();
        assert!(body[at..].starts_with("张三"));
    }
}
