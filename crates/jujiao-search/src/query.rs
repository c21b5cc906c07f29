//! From what a user typed to a tantivy query.
//!
//! The syntax is what a search box suggests and nothing more, and no input is an error:
//!
//! - words separated by spaces (ASCII or full-width) must all occur: `中关村 科学城`;
//! - `"…"` or `“…”` keeps spaces inside one term: `"中关村 科学城"` matches
//!   `中关村科学城` (spaces and punctuation never count);
//! - `-词` excludes articles containing `词`;
//! - `甲 OR 乙` (upper-case `OR`) or `甲|乙` (`|` or `｜`, with or without spaces) accepts
//!   either; `AND` is accepted and ignored;
//! - anything else — `:`, `(`, a lone `"`, `-` — is punctuation and drops out.
//!
//! Each term matches where its characters occur consecutively (a term of the `jj_chars`
//! fields or a phrase over the `jj_pairs` fields, see `crate::tokenize`), in the title
//! (boosted), the body, the attachments or the disclosure table's 发文字号 / 索引号 /
//! issuer (boosted like the title); jieba words of the term add most of the score where
//! they occur as words.

use crate::schema::{Fields, day_number};
use crate::tokenize::{char_tokens, pair_text};
use crate::{Order, SearchQuery};
use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;
use tantivy::index::SegmentId;
use tantivy::query::doc_predicate_query::{DocPredicateQuery, FunctionPredicate};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, SegmentReader, Term};

/// How much more a match in the title counts than one in the body.
pub const TITLE_BOOST: f32 = 3.0;
/// Weight of attachment text relative to the body.
const ATTACHMENT_WEIGHT: f32 = 0.5;
/// Weight of the character phrase (which decides whether an article matches) in the
/// score. Kept low so that where the term occurs as a jieba word counts for more than
/// where its characters merely follow each other: `于军 主持` outranks `关于 军民融合`
/// even when the latter is in a title.
const CHAR_WEIGHT: f32 = 0.1;
/// Weight of a jieba word match.
const WORD_WEIGHT: f32 = 1.0;

/// One search term: the text as typed and its normalised character tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchTerm {
    pub text: String,
    pub chars: Vec<String>,
}

/// A parsed query: every group must match (a group is one term, or alternatives joined
/// by `OR`), no excluded term may.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ParsedQuery {
    pub groups: Vec<Vec<SearchTerm>>,
    pub excluded: Vec<SearchTerm>,
}

impl ParsedQuery {
    /// Every positive term, for highlighting.
    pub(crate) fn positive_terms(&self) -> impl Iterator<Item = &SearchTerm> {
        self.groups.iter().flatten()
    }
}

#[derive(Debug)]
enum Piece {
    Term { text: String, negated: bool },
    Or,
}

/// `|` and its full-width form join alternatives like `OR`.
fn is_bar(c: char) -> bool {
    matches!(c, '|' | '｜')
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '「' | '」' | '『' | '』')
}

/// Splits user text into pieces; see the module documentation.
fn pieces(input: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if is_bar(c) {
            chars.next();
            out.push(Piece::Or);
            continue;
        }
        let mut negated = false;
        if c == '-' || c == '－' {
            chars.next();
            negated = true;
        }
        let mut text = String::new();
        if chars.peek().is_some_and(|c| is_quote(*c)) {
            chars.next();
            for c in chars.by_ref() {
                if is_quote(c) {
                    break;
                }
                text.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || is_quote(c) || is_bar(c) {
                    break;
                }
                text.push(c);
                chars.next();
            }
        }
        match text.as_str() {
            "OR" if !negated => out.push(Piece::Or),
            "AND" if !negated => {}
            _ => out.push(Piece::Term { text, negated }),
        }
    }
    out
}

/// Parses user text; never fails (see the module documentation).
pub(crate) fn parse(input: &str) -> ParsedQuery {
    let mut parsed = ParsedQuery::default();
    let mut join_next = false;
    for piece in pieces(input) {
        let (text, negated) = match piece {
            Piece::Or => {
                join_next = !parsed.groups.is_empty();
                continue;
            }
            Piece::Term { text, negated } => (text, negated),
        };
        let chars: Vec<String> = char_tokens(&text).into_iter().map(|t| t.text).collect();
        if chars.is_empty() {
            continue;
        }
        let term = SearchTerm { text, chars };
        if negated {
            parsed.excluded.push(term);
        } else if join_next && let Some(last) = parsed.groups.last_mut() {
            last.push(term);
        } else {
            parsed.groups.push(vec![term]);
        }
        join_next = false;
    }
    parsed
}

/// Documents containing an excluded term, per segment.
pub(crate) type Excluded = HashMap<SegmentId, HashSet<DocId>>;

/// Whether a text is a word of the index's `jj_words` fields (title or body): the
/// dictionary a query's terms are segmented with, see [`index_words`].
pub(crate) type IsWord<'a> = dyn Fn(&str) -> bool + 'a;

/// The longest word of a term that [`index_words`] tries, in tokens.
const MAX_WORD_TOKENS: usize = 8;

/// A term's words for ranking, by forward maximum matching against the words the index
/// holds: from each position the longest run of tokens that is a word of the index
/// (jieba's search-mode words of every indexed text), else the single token. No
/// dictionary is loaded for this: `jujiao search` answers without jieba's start-up, and
/// only words that some article holds become term lookups.
pub(crate) fn index_words(chars: &[String], is_word: &IsWord<'_>) -> Vec<String> {
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let longest = (i + 2..=(i + MAX_WORD_TOKENS).min(chars.len()))
            .rev()
            .map(|j| chars[i..j].concat())
            .enumerate()
            .find(|(_, w)| is_word(w));
        match longest {
            Some((skipped, word)) => {
                i = (i + MAX_WORD_TOKENS).min(chars.len()) - skipped;
                words.push(word);
            }
            None => {
                words.push(chars[i].clone());
                i += 1;
            }
        }
    }
    words
}

/// The query finding the documents that contain any excluded term, if there are any.
pub(crate) fn exclusion_query(fields: &Fields, parsed: &ParsedQuery) -> Option<Box<dyn Query>> {
    if parsed.excluded.is_empty() {
        return None;
    }
    let any = parsed
        .excluded
        .iter()
        .map(|t| (Occur::Should, recall_query(fields, t)))
        .collect();
    Some(Box::new(BooleanQuery::new(any)))
}

/// The query for a parsed text plus the filters of `q`, without the documents in
/// `excluded` (found with [`exclusion_query`]).
pub(crate) fn build(
    fields: &Fields,
    is_word: &IsWord<'_>,
    parsed: &ParsedQuery,
    q: &SearchQuery,
    excluded: Option<Excluded>,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for group in &parsed.groups {
        let query = if let [term] = group.as_slice() {
            term_query(fields, is_word, term)
        } else {
            let alternatives = group
                .iter()
                .map(|t| (Occur::Should, term_query(fields, is_word, t)))
                .collect();
            Box::new(BooleanQuery::new(alternatives))
        };
        clauses.push((Occur::Must, query));
    }
    if let Some(excluded) = excluded {
        // Not `Occur::MustNot` over the phrase queries: tantivy 0.27's exclusion seeks a
        // freshly created phrase scorer backwards (a debug assertion in
        // `PhraseScorer::seek_danger`). The excluded documents are found beforehand
        // ([`exclusion_query`]) and filtered out here instead.
        let excluded = Arc::new(excluded);
        let predicate = FunctionPredicate::from(move |segment: &SegmentReader| {
            let docs = excluded
                .get(&segment.segment_id())
                .cloned()
                .unwrap_or_default();
            Ok(move |doc: DocId| !docs.contains(&doc))
        });
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                Box::new(DocPredicateQuery::from(predicate)),
                0.0,
            )),
        ));
    }
    let mut filter = |q: Box<dyn Query>| {
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
    };
    if let Some(column) = q.column.as_deref() {
        filter(exact(fields.column, column));
    }
    if let Some(source) = q.source.as_deref() {
        filter(exact(fields.source, source));
    }
    if let Some(issuer) = q.issuer.as_deref() {
        filter(exact(fields.issuer, issuer));
    }
    if let Some(validity) = q.validity.as_deref() {
        filter(exact(fields.validity, validity));
    }
    if q.since.is_some() || q.until.is_some() {
        let bound = |d: Option<chrono::NaiveDate>| match d {
            Some(d) => Bound::Included(Term::from_field_i64(fields.date, day_number(d))),
            None => Bound::Unbounded,
        };
        filter(Box::new(RangeQuery::new(bound(q.since), bound(q.until))));
    }
    if parsed.groups.is_empty() {
        // Only filters or exclusions: list everything they let through.
        let score = if q.order == Order::Relevance {
            1.0
        } else {
            0.0
        };
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(AllQuery), score)),
        ));
    }
    Box::new(BooleanQuery::new(clauses))
}

fn exact(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// Where a term's characters occur consecutively, in one text: a single token is looked
/// up in the character field, two as one pair, more as a phrase over their pairs (see
/// `crate::tokenize`) — over every other pair only, plus the last one
/// ([`covering_pairs`]): reading positions is what a phrase costs, per term and per
/// matching article.
fn phrase(chars_field: Field, pairs_field: Field, chars: &[String]) -> Box<dyn Query> {
    match chars {
        [] => Box::new(EmptyQuery),
        [one] => Box::new(TermQuery::new(
            Term::from_field_text(chars_field, one),
            IndexRecordOption::WithFreqs,
        )),
        [a, b] => Box::new(TermQuery::new(
            Term::from_field_text(pairs_field, &pair_text(a, b)),
            IndexRecordOption::WithFreqs,
        )),
        _ => Box::new(PhraseQuery::new_with_offset(
            covering_pairs(chars.len())
                .into_iter()
                .map(|i| {
                    let pair = pair_text(&chars[i], &chars[i + 1]);
                    (i, Term::from_field_text(pairs_field, &pair))
                })
                .collect(),
        )),
    }
}

/// Which pairs of a term of `n` tokens (`n` ≥ 2) a phrase needs: pair `i` holds tokens
/// `i` and `i + 1` at position `i`, so the pairs 0, 2, 4, … and the last one
/// (`n - 2`), each at its own offset, pin every token of the term to its place —
/// `中关村科学城` is `中关`@0 `村科`@2 `学城`@4 instead of five pairs, and matches
/// exactly where the five would.
pub(crate) fn covering_pairs(n: usize) -> Vec<usize> {
    let last = n.saturating_sub(2);
    let mut pairs: Vec<usize> = (0..last).step_by(2).collect();
    pairs.push(last);
    pairs
}

/// Whether an article contains the term: in the title, the body or the attachments.
fn recall_query(fields: &Fields, term: &SearchTerm) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (
            Occur::Should,
            Box::new(BoostQuery::new(
                phrase(fields.title, fields.title_pairs, &term.chars),
                TITLE_BOOST,
            )),
        ),
        (
            Occur::Should,
            phrase(fields.body, fields.body_pairs, &term.chars),
        ),
        (
            Occur::Should,
            Box::new(BoostQuery::new(
                phrase(fields.attachments, fields.attachment_pairs, &term.chars),
                ATTACHMENT_WEIGHT,
            )),
        ),
        (
            Occur::Should,
            Box::new(BoostQuery::new(
                phrase(fields.disclosure, fields.disclosure_pairs, &term.chars),
                TITLE_BOOST,
            )),
        ),
    ]))
}

/// The term must occur (characters); its words ([`index_words`]) add score where they
/// are words.
fn term_query(fields: &Fields, is_word: &IsWord<'_>, term: &SearchTerm) -> Box<dyn Query> {
    let recall = BoostQuery::new(recall_query(fields, term), CHAR_WEIGHT);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(recall))];
    for word in index_words(&term.chars, is_word) {
        for (field, boost) in [
            (fields.title_words, TITLE_BOOST * WORD_WEIGHT),
            (fields.body_words, WORD_WEIGHT),
        ] {
            let q = TermQuery::new(
                Term::from_field_text(field, &word),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
        }
    }
    Box::new(BooleanQuery::new(clauses))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(input: &str) -> Vec<Vec<String>> {
        parse(input)
            .groups
            .iter()
            .map(|g| g.iter().map(|t| t.chars.concat()).collect())
            .collect()
    }

    #[test]
    fn spaces_separate_terms_quotes_join_them() {
        assert_eq!(groups("中关村 科学城"), [["中关村"], ["科学城"]]);
        assert_eq!(groups("中关村　科学城"), [["中关村"], ["科学城"]]);
        assert_eq!(groups("\"中关村 科学城\""), [["中关村科学城"]]);
        assert_eq!(groups("“中关村 科学城”"), [["中关村科学城"]]);
    }

    #[test]
    fn or_joins_and_is_ignored_minus_excludes() {
        assert_eq!(
            groups("疫情 OR 防控 AND 5G"),
            [vec!["疫情", "防控"], vec!["5g"]]
        );
        let p = parse("疫情 -境外");
        assert_eq!(p.excluded.len(), 1);
        assert_eq!(p.excluded[0].chars.concat(), "境外");
    }

    #[test]
    fn a_bar_joins_alternatives_like_or() {
        assert_eq!(groups("疫情|防控 5G"), [vec!["疫情", "防控"], vec!["5g"]]);
        assert_eq!(groups("疫情 | 防控"), [vec!["疫情", "防控"]]);
        assert_eq!(
            groups("疫情｜\"防 控\"｜境外"),
            [vec!["疫情", "防控", "境外"]]
        );
        assert_eq!(groups("| 疫情 |"), [["疫情"]]);
        let p = parse("疫情 -境外|海外");
        assert_eq!(p.excluded.len(), 1);
    }

    #[test]
    fn covering_pairs_hold_every_token_once_pinned() {
        assert_eq!(covering_pairs(2), [0]);
        assert_eq!(covering_pairs(3), [0, 1]);
        assert_eq!(covering_pairs(4), [0, 2]);
        assert_eq!(covering_pairs(5), [0, 2, 3]);
        assert_eq!(covering_pairs(6), [0, 2, 4]);
        for n in 2..40 {
            let pairs = covering_pairs(n);
            let mut covered = vec![false; n];
            for &i in &pairs {
                covered[i] = true;
                covered[i + 1] = true;
            }
            assert!(covered.iter().all(|c| *c), "n = {n}: {pairs:?}");
            assert!(pairs.len() <= n / 2 + 1, "n = {n}: {pairs:?}");
        }
    }

    #[test]
    fn index_words_take_the_longest_word_the_index_holds() {
        let dictionary = ["区委", "常委", "常委会", "中关村", "科学", "科学城", "5g"];
        let is_word = |w: &str| dictionary.contains(&w);
        let words = |text: &str| index_words(&parse(text).groups[0][0].chars, &is_word);
        assert_eq!(words("区委常委会"), ["区委", "常委会"]);
        assert_eq!(words("中关村科学城"), ["中关村", "科学城"]);
        assert_eq!(words("于军"), ["于", "军"]);
        assert_eq!(words("５Ｇ科学"), ["5g", "科学"]);
        assert_eq!(words("关于中关村"), ["关", "于", "中关村"]);
        let long = "科".repeat(20);
        assert_eq!(words(&long).len(), 20);
    }

    #[test]
    fn odd_input_degrades_to_plain_terms() {
        assert_eq!(groups("\""), Vec::<Vec<String>>::new());
        assert_eq!(groups("title:(疫情"), [["title疫情"]]);
        assert_eq!(groups("- OR AND ( ) : \" “"), Vec::<Vec<String>>::new());
        assert_eq!(groups("OR 疫情 OR"), [["疫情"]]);
        assert_eq!(groups("\"未闭合 引号"), [["未闭合引号"]]);
    }
}
