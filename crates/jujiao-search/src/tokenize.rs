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
    normalise_into(text, &mut out);
    out
}

/// [`normalise`] appending to `out`, so a token stream reuses one buffer.
pub(crate) fn normalise_into(text: &str, out: &mut String) {
    for c in text.chars().map(fold_width) {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if is_cjk(c) {
            // No case: skips the lower-casing table's search, most of a body's cost.
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// One token of [`char_tokens`]: its normalised text and its byte range in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CharToken {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

/// The byte ranges of the tokens of [`char_tokens`], computed as they are asked for:
/// the token streams run over whole article bodies (a 10 MB page is 3.5 million
/// characters), which must not become a vector of tokens first.
#[derive(Debug, Clone)]
pub(crate) struct CharSpans<'a> {
    len: usize,
    chars: std::str::CharIndices<'a>,
    /// Start of the run of letters/digits being read.
    run: Option<usize>,
    /// A CJK character that ended a run, returned on the next call.
    pending: Option<(usize, usize)>,
}

impl<'a> CharSpans<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        CharSpans {
            len: text.len(),
            chars: text.char_indices(),
            run: None,
            pending: None,
        }
    }
}

impl Iterator for CharSpans<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        if let Some(span) = self.pending.take() {
            return Some(span);
        }
        loop {
            let Some((i, c)) = self.chars.next() else {
                return self.run.take().map(|start| (start, self.len));
            };
            let folded = fold_width(c);
            if is_cjk(folded) {
                let own = (i, i + c.len_utf8());
                if let Some(start) = self.run.take() {
                    self.pending = Some(own);
                    return Some((start, i));
                }
                return Some(own);
            } else if folded.is_alphanumeric() {
                self.run.get_or_insert(i);
            } else if let Some(start) = self.run.take() {
                return Some((start, i));
            }
        }
    }
}

/// Splits text into CJK characters and runs of other letters/digits, normalised; see
/// the module documentation. Everything else (punctuation, spaces) separates tokens.
pub(crate) fn char_tokens(text: &str) -> Vec<CharToken> {
    char_token_iter(text).collect()
}

/// [`char_tokens`] one at a time, for callers that run over whole bodies.
pub(crate) fn char_token_iter(text: &str) -> impl Iterator<Item = CharToken> + '_ {
    CharSpans::new(text).map(|(from, to)| CharToken {
        text: normalise(&text[from..to]),
        from,
        to,
    })
}

/// The text of the pair of two neighbouring [`char_tokens`]. Two runs of letters or
/// digits get a space between them (`covid 19`), so that a pair has one reading.
pub(crate) fn pair_text(first: &str, second: &str) -> String {
    let mut text = String::with_capacity(first.len() + second.len() + 1);
    push_pair(&mut text, first, second);
    text
}

fn push_pair(text: &mut String, first: &str, second: &str) {
    text.push_str(first);
    let is_run = |t: &str| t.chars().next().is_some_and(|c| !is_cjk(c));
    if is_run(first) && is_run(second) {
        text.push(' ');
    }
    text.push_str(second);
}

/// jieba segments this much text at a time (rounded up to the next character that
/// separates words), so that its working memory stays small on long bodies.
const WORD_CHUNK: usize = 32 * 1024;
/// A chunk with no separating character is cut here regardless (at a character
/// boundary): only a text of this many bytes without any punctuation or space gets one
/// word boundary of its segmentation moved.
const WORD_CHUNK_MAX: usize = 256 * 1024;

/// True for characters jieba never joins into a word: anything but letters, digits and
/// the connectors of its `RE_HAN_DEFAULT` class (`+#&._%-`). Cutting the text right
/// after one changes nothing in its segmentation.
fn is_word_separator(c: char) -> bool {
    !c.is_alphanumeric() && !matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-')
}

/// The end of the chunk of `text` that starts at `start`; see [`WORD_CHUNK`].
fn word_chunk_end(text: &str, start: usize) -> usize {
    let soft = start + WORD_CHUNK;
    if soft >= text.len() {
        return text.len();
    }
    let mut hard = (start + WORD_CHUNK_MAX).min(text.len());
    while !text.is_char_boundary(hard) {
        hard -= 1;
    }
    let mut from = soft;
    while !text.is_char_boundary(from) {
        from += 1;
    }
    match text[from..hard]
        .char_indices()
        .find(|(_, c)| is_word_separator(*c))
    {
        Some((i, c)) => from + i + c.len_utf8(),
        None => hard,
    }
}

/// Words of one piece of text (offsets relative to it); see [`word_tokens`].
fn words_of(text: &str, search_mode: bool, offset: usize, out: &mut Vec<CharToken>) {
    let jieba = jieba();
    let words = if search_mode {
        jieba.cut_for_search(text, true)
    } else {
        jieba.cut(text, true)
    };
    out.extend(
        words
            .into_iter()
            .filter(|w| w.word.chars().any(|c| fold_width(c).is_alphanumeric()))
            .map(|w| CharToken {
                text: normalise(w.word.trim()),
                from: offset + w.byte_start,
                to: offset + w.byte_end,
            }),
    );
}

/// Words for ranking: jieba's search mode over the text, normalised, punctuation dropped.
/// `search_mode = false` gives the plain segmentation used for query terms.
#[cfg(test)]
pub(crate) fn word_tokens(text: &str, search_mode: bool) -> Vec<CharToken> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = word_chunk_end(text, start);
        words_of(&text[start..end], search_mode, start, &mut out);
        start = end;
    }
    out
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
    type TokenStream<'a> = CharTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CharTokenStream<'a> {
        CharTokenStream {
            text,
            spans: CharSpans::new(text),
            current: Token::default(),
            position: 0,
        }
    }
}

impl Tokenizer for PairTokenizer {
    type TokenStream<'a> = PairTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PairTokenStream<'a> {
        PairTokenStream {
            text,
            spans: CharSpans::new(text),
            previous: None,
            scratch: String::new(),
            current: Token::default(),
            position: 0,
        }
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        WordTokenStream {
            text,
            next_chunk: 0,
            words: Vec::new().into_iter(),
            current: Token::default(),
            position: 0,
        }
    }
}

/// The tokens of [`char_tokens`] one at a time, with consecutive positions.
#[derive(Debug)]
pub(crate) struct CharTokenStream<'a> {
    text: &'a str,
    spans: CharSpans<'a>,
    current: Token,
    position: usize,
}

impl TokenStream for CharTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((from, to)) = self.spans.next() else {
            return false;
        };
        self.current.text.clear();
        normalise_into(&self.text[from..to], &mut self.current.text);
        self.current.offset_from = from;
        self.current.offset_to = to;
        self.current.position = self.position;
        self.current.position_length = 1;
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

/// Pairs of neighbouring [`char_tokens`] one at a time (see the module
/// documentation), with consecutive positions; none for fewer than two tokens.
#[derive(Debug)]
pub(crate) struct PairTokenStream<'a> {
    text: &'a str,
    spans: CharSpans<'a>,
    /// The previous token's normalised text and start.
    previous: Option<(String, usize)>,
    scratch: String,
    current: Token,
    position: usize,
}

impl TokenStream for PairTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some((from, to)) = self.spans.next() else {
                return false;
            };
            self.scratch.clear();
            normalise_into(&self.text[from..to], &mut self.scratch);
            let Some((first, first_from)) = self.previous.as_mut() else {
                self.previous = Some((std::mem::take(&mut self.scratch), from));
                continue;
            };
            self.current.text.clear();
            push_pair(&mut self.current.text, first, &self.scratch);
            self.current.offset_from = *first_from;
            self.current.offset_to = to;
            self.current.position = self.position;
            self.current.position_length = 1;
            self.position += 1;
            std::mem::swap(first, &mut self.scratch);
            *first_from = from;
            return true;
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// [`word_tokens`] in search mode, segmented one chunk of text at a time (see
/// [`WORD_CHUNK`]), with consecutive positions.
#[derive(Debug)]
pub(crate) struct WordTokenStream<'a> {
    text: &'a str,
    next_chunk: usize,
    words: std::vec::IntoIter<CharToken>,
    current: Token,
    position: usize,
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some(t) = self.words.next() {
                self.current = Token {
                    offset_from: t.from,
                    offset_to: t.to,
                    position: self.position,
                    text: t.text,
                    position_length: 1,
                };
                self.position += 1;
                return true;
            }
            if self.next_chunk >= self.text.len() {
                return false;
            }
            let start = self.next_chunk;
            let end = word_chunk_end(self.text, start);
            let mut words = Vec::new();
            words_of(&self.text[start..end], true, start, &mut words);
            self.words = words.into_iter();
            self.next_chunk = end;
        }
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

    /// Every token of `tokenizer` over `text`: text, byte range, position.
    fn stream<T: Tokenizer>(mut tokenizer: T, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    #[test]
    fn pairs_join_neighbours_and_keep_runs_apart() {
        let t = stream(PairTokenizer, "疫情，防控5G covid-19");
        let pairs: Vec<&str> = t.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(
            pairs,
            ["疫情", "情防", "防控", "控5g", "5g covid", "covid 19"]
        );
        assert_eq!(&"疫情，防控"[t[1].1..t[1].2], "情，防");
        assert_eq!(
            t.iter().map(|t| t.3).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        assert!(stream(PairTokenizer, "军").is_empty());
        assert!(stream(PairTokenizer, "").is_empty());
    }

    #[test]
    fn char_stream_matches_char_tokens() {
        let text = "５Ｇ网络，COVID-19 “疫情”abc防控x";
        let streamed = stream(CharTokenizer, text);
        let listed = char_tokens(text);
        assert_eq!(streamed.len(), listed.len());
        for (i, (s, l)) in streamed.iter().zip(&listed).enumerate() {
            assert_eq!((&s.0, s.1, s.2, s.3), (&l.text, l.from, l.to, i));
        }
    }

    /// Regression: the word stream segments long bodies a chunk at a time (a 10 MB
    /// page made jieba's whole-text token list hundreds of megabytes); chunks end after
    /// a separator, so the words are exactly those of the whole text at once.
    #[test]
    fn word_stream_in_chunks_equals_whole_text_segmentation() {
        let sentence = "区委常委会召开会议，传达学习上级会议精神，研究部署COVID-19防控工作。\n";
        let text = sentence.repeat(3 * WORD_CHUNK / sentence.len());
        assert!(word_chunk_end(&text, 0) < text.len());
        let streamed = stream(WordTokenizer, &text);
        let whole: Vec<CharToken> = jieba()
            .cut_for_search(&text, true)
            .into_iter()
            .filter(|w| w.word.chars().any(|c| fold_width(c).is_alphanumeric()))
            .map(|w| CharToken {
                text: normalise(w.word.trim()),
                from: w.byte_start,
                to: w.byte_end,
            })
            .collect();
        assert_eq!(streamed.len(), whole.len());
        for (i, (s, w)) in streamed.iter().zip(&whole).enumerate() {
            assert_eq!((&s.0, s.1, s.2, s.3), (&w.text, w.from, w.to, i));
        }
    }

    #[test]
    fn word_chunks_without_separators_end_at_a_character_boundary() {
        let text = "军".repeat(WORD_CHUNK_MAX);
        let end = word_chunk_end(&text, 0);
        assert!(text.is_char_boundary(end) && end <= WORD_CHUNK_MAX && end > WORD_CHUNK);
        let words = word_tokens(&text, true);
        assert_eq!(words.last().map(|w| w.to), Some(text.len()));
    }

    /// `normalise_into` copies CJK characters without lower-casing them: that is only
    /// right while every character `is_cjk` accepts has no lower case of its own.
    #[test]
    fn cjk_characters_are_their_own_lower_case() {
        let cjk = (0..=0x3_134f_u32)
            .filter_map(char::from_u32)
            .filter(|c| is_cjk(*c));
        let mut seen = 0;
        for c in cjk {
            assert!(c.to_lowercase().eq([c]), "{c:?} has a lower case");
            seen += 1;
        }
        assert!(seen > 90_000, "{seen}");
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
