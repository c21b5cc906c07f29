//! The index schema: which fields exist, how each is tokenized and what is stored.
//!
//! Changing anything here that changes what is on disk (a field, a tokenizer's output)
//! must bump [`SCHEMA_VERSION`], so that existing indexes are recreated (and then
//! rebuilt from the store) instead of silently answering wrongly.

use crate::IndexDoc;
use crate::tokenize::{CHARS, CharTokenizer, PAIRS, PairTokenizer, WORDS, WordTokenizer};
use chrono::{Datelike, NaiveDate};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, TantivyDocument};

/// The version of the on-disk layout this build writes and reads. Bump it whenever the
/// schema or a tokenizer changes what gets indexed.
pub const SCHEMA_VERSION: u32 = 3;

/// Sort key of undated articles in [`Order::Newest`](crate::Order::Newest): after every
/// dated one.
pub(crate) const UNDATED: i64 = i64::MIN;

/// Handles to the schema's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// The article id: indexed (for upsert and delete), stored, fast (tie-break).
    pub article_id: Field,
    /// Title, stored, indexed by characters (single-token terms).
    pub title: Field,
    /// Title, indexed by pairs of characters with positions (longer terms).
    pub title_pairs: Field,
    /// Title, indexed by jieba words with frequencies (ranking only).
    pub title_words: Field,
    /// Body, stored, indexed by characters.
    pub body: Field,
    /// Body, indexed by pairs of characters with positions.
    pub body_pairs: Field,
    /// Body and attachment text, indexed by jieba words with frequencies.
    pub body_words: Field,
    /// Attachment text, indexed by characters, not stored.
    pub attachments: Field,
    /// Attachment text, indexed by pairs of characters with positions.
    pub attachment_pairs: Field,
    /// 发文字号, 索引号 and issuer of the disclosure table, indexed by characters.
    pub disclosure: Field,
    /// The same, indexed by pairs of characters with positions.
    pub disclosure_pairs: Field,
    /// Exact issuer (发文机关 / 发布机构).
    pub issuer: Field,
    /// Exact validity (有效性).
    pub validity: Field,
    /// Exact column name.
    pub column: Field,
    /// Exact source id.
    pub source: Field,
    pub url: Field,
    /// Briefing day as days since 0001-01-01 (chrono's CE day); absent when undated.
    pub date: Field,
    /// The same day for sorting, [`UNDATED`] when undated.
    pub sort_date: Field,
}

impl Fields {
    /// Builds the schema and the field handles.
    pub(crate) fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let chars = |stored: bool| {
            let o = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(CHARS)
                    .set_index_option(IndexRecordOption::WithFreqs),
            );
            if stored { o.set_stored() } else { o }
        };
        let pairs = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(PAIRS)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let words = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(WORDS)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            article_id: b.add_i64_field("article_id", INDEXED | STORED | FAST),
            title: b.add_text_field("title", chars(true)),
            title_pairs: b.add_text_field("title_pairs", pairs.clone()),
            title_words: b.add_text_field("title_words", words.clone()),
            body: b.add_text_field("body", chars(true)),
            body_pairs: b.add_text_field("body_pairs", pairs.clone()),
            body_words: b.add_text_field("body_words", words),
            attachments: b.add_text_field("attachments", chars(false)),
            attachment_pairs: b.add_text_field("attachment_pairs", pairs.clone()),
            disclosure: b.add_text_field("disclosure", chars(false)),
            disclosure_pairs: b.add_text_field("disclosure_pairs", pairs),
            issuer: b.add_text_field("issuer", STRING),
            validity: b.add_text_field("validity", STRING),
            column: b.add_text_field("column", STRING | STORED),
            source: b.add_text_field("source", STRING | STORED),
            url: b.add_text_field("url", STORED),
            date: b.add_i64_field("date", INDEXED | STORED),
            sort_date: b.add_i64_field("sort_date", FAST),
        };
        (b.build(), fields)
    }

    /// The same handles, looked up in an index's schema (which must be ours).
    pub(crate) fn of(index: &Index) -> Option<Fields> {
        let s = index.schema();
        let f = |name: &str| s.get_field(name).ok();
        Some(Fields {
            article_id: f("article_id")?,
            title: f("title")?,
            title_pairs: f("title_pairs")?,
            title_words: f("title_words")?,
            body: f("body")?,
            body_pairs: f("body_pairs")?,
            body_words: f("body_words")?,
            attachments: f("attachments")?,
            attachment_pairs: f("attachment_pairs")?,
            disclosure: f("disclosure")?,
            disclosure_pairs: f("disclosure_pairs")?,
            issuer: f("issuer")?,
            validity: f("validity")?,
            column: f("column")?,
            source: f("source")?,
            url: f("url")?,
            date: f("date")?,
            sort_date: f("sort_date")?,
        })
    }

    /// The tantivy document for an article.
    pub(crate) fn document(&self, d: &IndexDoc) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_i64(self.article_id, d.article_id);
        doc.add_text(self.title, &d.title);
        doc.add_text(self.title_pairs, &d.title);
        doc.add_text(self.title_words, &d.title);
        doc.add_text(self.body, &d.body);
        doc.add_text(self.body_pairs, &d.body);
        doc.add_text(self.body_words, &d.body);
        if let Some(text) = d.attachments_text.as_deref().filter(|t| !t.is_empty()) {
            doc.add_text(self.attachments, text);
            doc.add_text(self.attachment_pairs, text);
            doc.add_text(self.body_words, text);
        }
        if let Some(disclosure) = &d.disclosure {
            let text: Vec<&str> = [
                &disclosure.doc_number,
                &disclosure.index_no,
                &disclosure.issuer,
            ]
            .into_iter()
            .filter_map(|v| v.as_deref())
            .collect();
            if !text.is_empty() {
                let text = text.join("\n");
                doc.add_text(self.disclosure, &text);
                doc.add_text(self.disclosure_pairs, &text);
            }
            if let Some(issuer) = &disclosure.issuer {
                doc.add_text(self.issuer, issuer);
            }
            if let Some(validity) = &disclosure.validity {
                doc.add_text(self.validity, validity);
            }
        }
        doc.add_text(self.column, &d.column);
        doc.add_text(self.source, &d.source);
        doc.add_text(self.url, &d.url);
        match d.date {
            Some(day) => {
                doc.add_i64(self.date, day_number(day));
                doc.add_i64(self.sort_date, day_number(day));
            }
            None => doc.add_i64(self.sort_date, UNDATED),
        }
        doc
    }
}

/// Registers the tokenizers the schema names; needed every time an index is opened.
pub(crate) fn register_tokenizers(index: &Index) {
    index.tokenizers().register(CHARS, CharTokenizer);
    index.tokenizers().register(PAIRS, PairTokenizer);
    index.tokenizers().register(WORDS, WordTokenizer);
}

/// A day as an integer that sorts like the day.
pub(crate) fn day_number(day: NaiveDate) -> i64 {
    i64::from(day.num_days_from_ce())
}

/// The inverse of [`day_number`].
pub(crate) fn day_of(n: i64) -> Option<NaiveDate> {
    i32::try_from(n)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_and_sort() {
        let a = NaiveDate::from_ymd_opt(2024, 10, 15).expect("valid");
        let b = NaiveDate::from_ymd_opt(2024, 10, 16).expect("valid");
        assert_eq!(day_of(day_number(a)), Some(a));
        assert!(day_number(a) < day_number(b));
        assert!(UNDATED < day_number(a));
    }
}
