//! What every human-readable format shows of an article: its display lines, its meta
//! line, its column runs; and XML escaping for the Office formats.

use jujiao_model::{Article, PublishTime, shanghai};
use jujiao_store::FiledArticle;

/// The article's text as display lines: every non-empty line of every cleaned
/// paragraph (a paragraph holding line breaks becomes several paragraphs).
pub(crate) fn display_lines(article: &Article) -> Vec<String> {
    let mut lines = Vec::with_capacity(article.paragraphs.len());
    for p in &article.paragraphs {
        let clean = p.clean();
        lines.extend(
            clean
                .split('\n')
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    lines
}

/// A publish time as people read it: `2026-11-27 09:30` (Shanghai time) or the day.
pub(crate) fn publish_display(t: &PublishTime) -> String {
    match t {
        PublishTime::DateTime(dt) => dt
            .with_timezone(&shanghai())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        PublishTime::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

/// The meta fields shown under a title: 来源, 日期, 作者, each only when known.
pub(crate) fn meta_fields(article: &Article) -> Vec<(&'static str, String)> {
    let mut fields = Vec::with_capacity(3);
    if let Some(o) = article
        .origin
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        fields.push(("来源", o.to_owned()));
    }
    if let Some(t) = &article.published {
        fields.push(("日期", publish_display(t)));
    }
    if let Some(a) = article
        .author
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        fields.push(("作者", a.to_owned()));
    }
    fields
}

/// The meta line: `来源：人民日报　日期：2026-11-27 09:30　作者：记者 唐炜`.
pub(crate) fn meta_line(article: &Article) -> String {
    meta_fields(article)
        .iter()
        .map(|(k, v)| format!("{k}：{v}"))
        .collect::<Vec<_>>()
        .join("　")
}

/// Consecutive runs of filings with the same column (the input is in export order).
pub(crate) fn column_runs(articles: &[FiledArticle]) -> impl Iterator<Item = &[FiledArticle]> {
    articles.chunk_by(|a, b| a.filing.column == b.filing.column)
}

/// `text` escaped for XML element content and attribute values, with the characters
/// XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) dropped: Word refuses a file
/// holding one.
pub(crate) fn push_xml_escaped(out: &mut String, text: &str) {
    let is_forbidden = |c: char| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
    };
    let allowed: std::borrow::Cow<'_, str> = if text.contains(is_forbidden) {
        text.chars()
            .filter(|c| !is_forbidden(*c))
            .collect::<String>()
            .into()
    } else {
        text.into()
    };
    out.push_str(&quick_xml::escape::escape(allowed));
}

#[cfg(test)]
mod tests {
    use super::*;
    use jujiao_model::Paragraph;

    #[test]
    fn display_lines_split_and_drop_blank() {
        let a = Article {
            paragraphs: vec![
                Paragraph::new("　　第一段\r\n　　第二行"),
                Paragraph::new("　　"),
                Paragraph::new(" 第三段 "),
            ],
            ..Article::default()
        };
        assert_eq!(display_lines(&a), ["第一段", "第二行", "第三段"]);
    }

    #[test]
    fn xml_escape_drops_forbidden_controls() {
        let mut s = String::new();
        push_xml_escaped(&mut s, "a<b>&\"c'\u{1}\u{b}d\u{fffe}");
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&apos;d");
    }

    #[test]
    fn meta_line_in_shanghai_time() {
        let a = Article {
            origin: Some("人民日报".into()),
            author: Some(" ".into()),
            published: PublishTime::parse_iso("2026-11-27T01:30:00Z"),
            ..Article::default()
        };
        assert_eq!(meta_line(&a), "来源：人民日报　日期：2026-11-27 09:30");
    }
}
