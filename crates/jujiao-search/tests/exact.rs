//! The law behind the character-pair fields: a term matches exactly the articles whose
//! title or body holds its characters consecutively (punctuation and spaces ignored),
//! whatever its length — checked against a brute-force scan.

use jujiao_search::{IndexDoc, SearchIndex, SearchQuery};
use proptest::prelude::*;
use std::collections::BTreeSet;

/// A few characters so that random texts share many pairs, plus punctuation.
const ALPHABET: &[char] = &[
    '疫', '情', '防', '控', '中', '关', '村', '军', '，', '。', ' ',
];

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 0..max)
        .prop_map(|cs| cs.into_iter().collect())
}

fn bare(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '，' | '。' | ' '))
        .collect()
}

/// The articles the index finds for `query`, and those a brute-force scan finds.
fn both(docs: Vec<(String, String)>, query: &str) -> (BTreeSet<i64>, BTreeSet<i64>) {
    let index = SearchIndex::in_memory().expect("index");
    let docs: Vec<IndexDoc> = docs
        .into_iter()
        .enumerate()
        .map(|(i, (title, body))| IndexDoc {
            article_id: i as i64 + 1,
            title,
            body,
            column: "区内动态".into(),
            ..IndexDoc::default()
        })
        .collect();
    index.index(&docs).expect("write");
    index.commit().expect("commit");
    let expected: BTreeSet<i64> = docs
        .iter()
        .filter(|d| bare(&d.title).contains(query) || bare(&d.body).contains(query))
        .map(|d| d.article_id)
        .collect();
    let mut q = SearchQuery::new(query);
    q.limit = 200;
    let found: BTreeSet<i64> = index
        .search(&q)
        .expect("search")
        .hits
        .iter()
        .map(|h| h.article_id)
        .collect();
    (found, expected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn a_term_matches_where_its_characters_follow_each_other(
        docs in prop::collection::vec((text(8), text(30)), 1..12),
        query in prop::collection::vec(prop::sample::select(&ALPHABET[..8]), 1..7),
    ) {
        let query: String = query.into_iter().collect();
        let (found, expected) = both(docs, &query);
        prop_assert_eq!(found, expected, "query {}", query);
    }

    /// Long terms (a phrase over every other pair) taken from an article, so that they
    /// do occur: the article is found, and so is every other one holding the term.
    #[test]
    fn a_long_term_from_an_article_finds_it_and_only_its_kind(
        docs in prop::collection::vec((text(8), text(40)), 1..12),
        pick in any::<prop::sample::Index>(),
        start in any::<prop::sample::Index>(),
        len in 3usize..9,
    ) {
        let body: Vec<char> = bare(&docs[pick.index(docs.len())].1).chars().collect();
        prop_assume!(body.len() >= len);
        let from = start.index(body.len() - len + 1);
        let query: String = body[from..from + len].iter().collect();
        let (found, expected) = both(docs, &query);
        prop_assert!(!expected.is_empty());
        prop_assert_eq!(found, expected, "query {}", query);
    }
}
