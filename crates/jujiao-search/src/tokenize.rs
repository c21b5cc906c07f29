//! The two tokenizers behind every text field, and the normalisation they share.
//!
//! Chinese has no spaces, and office staff type anything from one character (`军`) to a
//! whole committee name (`区委常委会`). So each text is indexed twice:
//!
//! - [`CharTokenizer`] (`jj_chars`): every CJK character is a token of its own, every run
//!   of other letters and digits (`5G`, `COVID`, `2024`) is one token. Positions are
//!   consecutive, so a phrase query over the characters of a search term matches exactly
//!   where the term occurs as written: this field decides *whether* an article matches.
//! - [`PairTokenizer`] (`jj_pairs`): each two neighbouring tokens of the above as one
//!   token (`疫情防控` → `疫情`, `情防`, `防控`), with positions. A term of two tokens is
//!   then one term lookup, a longer one a phrase over its pairs — far rarer than single
//!   characters, so much less of the index is read than with a phrase over characters,
//!   and it matches exactly the same texts: pairs at consecutive positions are
//!   characters at consecutive positions. The character field keeps single-token terms
//!   (`军`, `5g`) and needs no positions.
//! - [`WordTokenizer`] (`jj_words`): jieba's search mode (`cut_for_search`), which emits
//!   the words of the text plus the shorter dictionary words inside long ones
//!   (`常委会` → `常委`, `常委会`). This field only adds score: an article where the term
//!   is a real word (`于军 主持`) outranks one where the same characters straddle two
//!   words (`关于 军队`).
//!
//! Both fold full-width ASCII (`５Ｇ` → `5g`) and lower-case, and drop punctuation and
//! white space, so the same [`normalise`] rule applies to indexing, queries and
//! highlighting.

use std::sync::OnceLock;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Name under which [`CharTokenizer`] is registered.
pub(crate) const CHARS: &str = "jj_chars";
/// Name under which [`PairTokenizer`] is registered.
pub(crate) const PAIRS: &str = "jj_pairs";
/// Name under which [`WordTokenizer`] is registered.
pub(crate) const WORDS: &str = "jj_words";

/// The process-wide jieba segmenter: loading its dictionary takes a few hundred
/// milliseconds and tens of megabytes, so it is done once, on first use.
pub(crate) fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

/// Full-width ASCII (U+FF01–U+FF5E, common in Chinese pages: `２０２４`, `ＧＤＰ`) folded to
/// ASCII; other characters unchanged.
pub(crate) fn fold_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        _ => c,
    }
}

/// True for characters of scripts written without spaces, indexed one by one: CJK
/// ideographs (and their extensions), `々`, `〇` (as in `二〇二四年`), kana, hangul.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3005}' | '\u{3007}'
        | '\u{3040}'..='\u{30ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{ac00}'..='\u{d7af}'
        | '\u{f900}'..='\u{faff}'
        | '\u{20000}'..='\u{3134f}')
}

/// The lower-case, width-folded form of a token's text.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(fold_width) {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// One token of [`char_tokens`]: its normalised text and its byte range in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CharToken {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

/// Splits text into CJK characters and runs of other letters/digits, normalised; see
/// the module documentation. Everything else (punctuation, spaces) separates tokens.
pub(crate) fn char_tokens(text: &str) -> Vec<CharToken> {
    let mut out = Vec::new();
    let mut run: Option<usize> = None;
    let flush = |out: &mut Vec<CharToken>, start: usize, end: usize| {
        out.push(CharToken {
            text: normalise(&text[start..end]),
            from: start,
            to: end,
        });
    };
    for (i, c) in text.char_indices() {
        let folded = fold_width(c);
        if is_cjk(folded) {
            if let Some(start) = run.take() {
                flush(&mut out, start, i);
            }
            flush(&mut out, i, i + c.len_utf8());
        } else if folded.is_alphanumeric() {
            run.get_or_insert(i);
        } else if let Some(start) = run.take() {
            flush(&mut out, start, i);
        }
    }
    if let Some(start) = run {
        flush(&mut out, start, text.len());
    }
    out
}

/// The text of the pair of two neighbouring [`char_tokens`]. Two runs of letters or
/// digits get a space between them (`covid 19`), so that a pair has one reading.
pub(crate) fn pair_text(first: &str, second: &str) -> String {
    let mut text = String::with_capacity(first.len() + second.len() + 1);
    text.push_str(first);
    let is_run = |t: &str| t.chars().next().is_some_and(|c| !is_cjk(c));
    if is_run(first) && is_run(second) {
        text.push(' ');
    }
    text.push_str(second);
    text
}

/// The pairs of neighbouring tokens of `tokens`, each spanning both; see the module
/// documentation. Empty for fewer than two tokens.
pub(crate) fn pair_tokens(tokens: &[CharToken]) -> Vec<CharToken> {
    tokens
        .windows(2)
        .map(|w| CharToken {
            text: pair_text(&w[0].text, &w[1].text),
            from: w[0].from,
            to: w[1].to,
        })
        .collect()
}

/// Words for ranking: jieba's search mode over the text, normalised, punctuation dropped.
/// `search_mode = false` gives the plain segmentation used for query terms.
pub(crate) fn word_tokens(text: &str, search_mode: bool) -> Vec<CharToken> {
    let jieba = jieba();
    let words = if search_mode {
        jieba.cut_for_search(text, true)
    } else {
        jieba.cut(text, true)
    };
    words
        .into_iter()
        .filter(|w| w.word.chars().any(|c| fold_width(c).is_alphanumeric()))
        .map(|w| CharToken {
            text: normalise(w.word.trim()),
            from: w.byte_start,
            to: w.byte_end,
        })
        .collect()
}

/// The `jj_chars` tokenizer; see the module documentation.
#[derive(Debug, Clone, Default)]
pub(crate) struct CharTokenizer;

/// The `jj_pairs` tokenizer; see the module documentation.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairTokenizer;

/// The `jj_words` tokenizer; see the module documentation.
#[derive(Debug, Clone, Default)]
pub(crate) struct WordTokenizer;

impl Tokenizer for CharTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(char_tokens(text))
    }
}

impl Tokenizer for PairTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(pair_tokens(&char_tokens(text)))
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(word_tokens(text, true))
    }
}

/// A token stream over tokens computed up front, with consecutive positions.
#[derive(Debug)]
pub(crate) struct VecTokenStream {
    tokens: std::vec::IntoIter<CharToken>,
    position: usize,
    current: Token,
}

impl VecTokenStream {
    fn new(tokens: Vec<CharToken>) -> Self {
        VecTokenStream {
            tokens: tokens.into_iter(),
            position: 0,
            current: Token::default(),
        }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        let Some(t) = self.tokens.next() else {
            return false;
        };
        self.current = Token {
            offset_from: t.from,
            offset_to: t.to,
            position: self.position,
            text: t.text,
            position_length: 1,
        };
        self.position += 1;
        true
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokens: &[CharToken]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn chars_split_cjk_and_keep_ascii_runs_lower_cased() {
        let t = char_tokens("海淀5G基站，COVID-19 “疫情”");
        assert_eq!(
            texts(&t),
            ["海", "淀", "5g", "基", "站", "covid", "19", "疫", "情"]
        );
        assert_eq!(&"海淀5G基站，COVID-19 “疫情”"[t[2].from..t[2].to], "5G");
    }

    #[test]
    fn chars_fold_full_width_ascii() {
        assert_eq!(
            texts(&char_tokens("５Ｇ网络２０２４年")),
            ["5g", "网", "络", "2024", "年"]
        );
        assert_eq!(texts(&char_tokens("二〇二四")), ["二", "〇", "二", "四"]);
    }

    #[test]
    fn words_use_search_mode_and_drop_punctuation() {
        let w = word_tokens("区委常委会召开会议。", true);
        let w = texts(&w);
        assert!(w.contains(&"常委会"), "{w:?}");
        assert!(w.contains(&"常委"), "{w:?}");
        assert!(!w.contains(&"。"), "{w:?}");
    }

    #[test]
    fn pairs_join_neighbours_and_keep_runs_apart() {
        let t = pair_tokens(&char_tokens("疫情，防控5G covid-19"));
        assert_eq!(
            texts(&t),
            ["疫情", "情防", "防控", "控5g", "5g covid", "covid 19"]
        );
        assert_eq!(&"疫情，防控"[t[1].from..t[1].to], "情，防");
        assert!(pair_tokens(&char_tokens("军")).is_empty());
    }

    #[test]
    fn token_stream_positions_are_consecutive() {
        let mut tok = CharTokenizer;
        let mut stream = tok.token_stream("疫情 防控");
        let mut positions = Vec::new();
        while let Some(t) = stream.next() {
            positions.push(t.position);
        }
        assert_eq!(positions, [0, 1, 2, 3]);
    }
}
