//! Rows a batch will insert, gathered as JSON arrays and written with one
//! `INSERT … SELECT … FROM json_each($1)` per table.
//!
//! Why: each sqlx statement is a round trip to SQLite's worker thread, and with three
//! inserts per article those thread switches, not SQLite, dominated a bulk import. One
//! statement per table per batch keeps the import in SQLite's own loop. Ids are assigned
//! here (`MAX(id) + 1`, safe because the batch holds the write lock from `BEGIN
//! IMMEDIATE`), so filings and URLs can name their article before it is written.
//!
//! Every value travels as a JSON scalar (strings, integers, `null`) and comes out of
//! `->>` as the same SQL value a bound parameter would give, so stored text is identical.

use super::SqliteStore;
use super::dialect::{Tx, time};
use super::sql::{NewArticle, NewFiling, NewUrl};
use crate::codec;
use crate::error::Result;
use crate::types::ArticleId;
use chrono::{DateTime, Utc};

const OP: &str = "recording articles";

/// One JSON array of row arrays.
#[derive(Debug, Default)]
struct JsonRows {
    buf: String,
    rows: usize,
}

/// A row being appended to [`JsonRows`].
struct JsonRow<'a> {
    buf: &'a mut String,
    first: bool,
}

impl JsonRows {
    fn row(&mut self) -> JsonRow<'_> {
        self.buf.push(if self.rows == 0 { '[' } else { ',' });
        self.buf.push('[');
        self.rows += 1;
        JsonRow {
            buf: &mut self.buf,
            first: true,
        }
    }

    fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The finished JSON text; the rows are cleared.
    fn take(&mut self) -> String {
        self.buf.push(']');
        self.rows = 0;
        std::mem::take(&mut self.buf)
    }
}

impl JsonRow<'_> {
    fn sep(&mut self) {
        if !self.first {
            self.buf.push(',');
        }
        self.first = false;
    }

    fn int(&mut self, n: i64) -> &mut Self {
        self.sep();
        self.buf.push_str(&n.to_string());
        self
    }

    fn str(&mut self, s: &str) -> &mut Self {
        self.sep();
        push_json_string(self.buf, s);
        self
    }

    fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.str(s),
            None => {
                self.sep();
                self.buf.push_str("null");
                self
            }
        }
    }
}

impl Drop for JsonRow<'_> {
    fn drop(&mut self) {
        self.buf.push(']');
    }
}

/// Appends `s` as a JSON string (RFC 8259 §7): quote, backslash and control characters
/// escaped, everything else verbatim.
fn push_json_string(buf: &mut String, s: &str) {
    buf.reserve(s.len() + 2);
    buf.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        buf.push_str(&s[start..i]);
        if escape.is_empty() {
            buf.push_str(&format!("\\u{b:04x}"));
        } else {
            buf.push_str(escape);
        }
        start = i + 1;
    }
    buf.push_str(&s[start..]);
    buf.push('"');
}

/// The rows of one batch not yet written, per table.
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// `[id, fingerprint hex, source, url, title, published, author, origin, editor,
    /// paragraphs, images, attachments, fetched_at]`
    articles: JsonRows,
    /// `[url, article_id, source, kind, fingerprint hex, offered_filing]`
    urls: JsonRows,
    /// `[id, article_id, column_name, filing_date, legacy_path, legacy_layout,
    /// legacy_title, legacy_paragraphs]`
    filings: JsonRows,
    /// `[title_key, article_id]`
    titles: JsonRows,
}

impl Pending {
    // The rows are taken whole: PostgreSQL's `Pending` keeps their strings, and both
    // share one signature.
    #[allow(clippy::needless_pass_by_value)]
    pub(super) fn article(&mut self, new: NewArticle<'_>) {
        let a = new.article;
        self.articles
            .row()
            .int(new.id.0)
            .str(&new.fingerprint.to_hex())
            .str(&a.source)
            .str(&a.url)
            .str(&a.title)
            .opt_str(a.published.map(codec::publish_time_text).as_deref())
            .opt_str(a.author.as_deref())
            .opt_str(a.origin.as_deref())
            .opt_str(a.editor.as_deref())
            .str(&new.paragraphs)
            .opt_str(new.images.as_deref())
            .opt_str(new.attachments.as_deref())
            .opt_str(a.fetched_at.map(time).as_deref());
    }

    #[allow(clippy::needless_pass_by_value)]
    pub(super) fn url(&mut self, new: NewUrl<'_>) {
        self.urls
            .row()
            .str(&new.article.url)
            .int(new.article_id.0)
            .str(&new.article.source)
            .str(new.kind)
            .str(&new.fingerprint.to_hex())
            .opt_str(new.offered_filing.as_deref());
    }

    #[allow(clippy::needless_pass_by_value)]
    pub(super) fn filing(&mut self, new: NewFiling<'_>) {
        let f = new.filing;
        self.filings
            .row()
            .int(new.id.0)
            .int(new.article_id.0)
            .str(&f.column)
            .opt_str(f.date.map(codec::date_text).as_deref())
            .opt_str(f.legacy.as_ref().map(|l| l.rel_path.as_str()))
            .opt_str(new.layout.as_deref())
            .opt_str(new.own_text.as_ref().map(|(title, _)| *title))
            .opt_str(
                new.own_text
                    .as_ref()
                    .map(|(_, paragraphs)| paragraphs.as_str()),
            );
    }

    /// A title key near duplicates are looked up by.
    pub(super) fn title(&mut self, key: &str, article_id: ArticleId) {
        self.titles.row().str(key).int(article_id.0);
    }

    /// Writes everything pending, articles first (URLs and filings refer to them).
    pub(super) async fn flush(
        &mut self,
        store: &SqliteStore,
        tx: &mut Tx,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let now = time(now);
        for (rows, sql) in [
            (
                &mut self.articles,
                // `value` is rendered as text anew at each use, and all thirteen
                // stay alive while the row is built: a 10 MB article took ~270 MB
                // here. Materialised once per row, its text is parsed once (SQLite
                // caches the parse) and the columns are read from that.
                "WITH r(v) AS MATERIALIZED (SELECT value FROM json_each($1)) \
                 INSERT INTO articles (id, fingerprint, revision, source, url, title, \
                 published, author, origin, editor, paragraphs, images, attachments, \
                 fetched_at, created_at, updated_at) \
                 SELECT v ->> 0, unhex(v ->> 1), 1, v ->> 2, v ->> 3, \
                 v ->> 4, v ->> 5, v ->> 6, v ->> 7, v ->> 8, \
                 v ->> 9, v ->> 10, v ->> 11, v ->> 12, $2, $2 \
                 FROM r",
            ),
            (
                &mut self.urls,
                "INSERT INTO article_urls (url, article_id, source, kind, fingerprint, \
                 offered_filing, first_seen) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, \
                 unhex(value ->> 4), value ->> 5, $2 FROM json_each($1)",
            ),
            (
                &mut self.filings,
                "INSERT INTO filings (id, article_id, column_name, filing_date, legacy_path, \
                 legacy_layout, legacy_title, legacy_paragraphs, filed_at) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, \
                 value ->> 5, value ->> 6, value ->> 7, $2 FROM json_each($1)",
            ),
            (
                &mut self.titles,
                "INSERT INTO title_keys (title_key, article_id) \
                 SELECT value ->> 0, value ->> 1 FROM json_each($1) WHERE $2 IS NOT NULL \
                 ON CONFLICT DO NOTHING",
            ),
        ] {
            if rows.is_empty() {
                continue;
            }
            sqlx::query(sql)
                .bind(rows.take())
                .bind(&now)
                .execute(&mut **tx)
                .await
                .map_err(store.query_error(OP))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_are_what_serde_reads_back() {
        let mut rows = JsonRows::default();
        let nasty = "引号\"反斜杠\\换行\r\n\t制表\u{1}\u{1f} 　全角\u{2028}😀";
        rows.row().int(-5).str(nasty).opt_str(None);
        rows.row().str("").int(i64::MAX);
        let text = rows.take();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v, serde_json::json!([[-5, nasty, null], ["", i64::MAX]]));
        assert!(rows.is_empty());
        rows.row().int(1);
        assert_eq!(rows.take(), "[[1]]");
    }
}
