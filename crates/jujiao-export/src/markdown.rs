//! [`Format::Md`](crate::Format::Md): the briefing as Markdown (CommonMark).
//!
//! ```text
//! # 每日简报 2026年11月27日
//!
//! ## 领导活动
//!
//! ### 区委常委会召开会议
//!
//! 来源：人民日报　日期：2026-11-27 09:30　作者：记者 唐炜
//!
//! 第一段……
//!
//! [原文链接](https://…)
//! ```
//!
//! Text is escaped so that a title or paragraph holding `*`, `_`, `#`, `[`, `<` or a
//! leading `1.` stays text; `legacy:` URLs of imported files get no link.

use crate::error::{ExportError, Result};
use crate::text::{column_runs, display_lines, meta_line};
use crate::{ExportOptions, ExportReport, briefing_title};
use jujiao_store::FiledArticle;
use std::io::Write;

/// Writes the Markdown briefing.
pub fn write<W: Write>(
    articles: &[FiledArticle],
    options: &ExportOptions,
    out: W,
) -> Result<ExportReport> {
    let mut out = std::io::BufWriter::new(out);
    let mut buf = String::with_capacity(16 * 1024);
    buf.push_str("# ");
    push_escaped(&mut buf, &briefing_title(options, articles));
    buf.push('\n');
    for run in column_runs(articles) {
        buf.push_str("\n## ");
        push_escaped(&mut buf, run[0].filing.column.as_str());
        buf.push('\n');
        for fa in run {
            push_article(&mut buf, fa);
            out.write_all(buf.as_bytes())
                .map_err(ExportError::write("md"))?;
            buf.clear();
        }
    }
    out.write_all(buf.as_bytes())
        .and_then(|()| out.flush())
        .map_err(ExportError::write("md"))?;
    Ok(ExportReport {
        articles: articles.len(),
        ..ExportReport::default()
    })
}

fn push_article(buf: &mut String, fa: &FiledArticle) {
    let a = &fa.article;
    buf.push_str("\n### ");
    push_escaped(buf, &a.title);
    buf.push('\n');
    let meta = meta_line(a);
    if !meta.is_empty() {
        buf.push('\n');
        push_escaped(buf, &meta);
        buf.push('\n');
    }
    for line in display_lines(a) {
        buf.push('\n');
        push_escaped(buf, &line);
        buf.push('\n');
    }
    if is_linkable(&a.url) {
        buf.push_str("\n[原文链接](<");
        for c in a.url.chars() {
            match c {
                '<' | '>' | ' ' => buf.push_str(&format!("%{:02X}", c as u32)),
                c => buf.push(c),
            }
        }
        buf.push_str(">)\n");
    }
}

/// Only web links are linked; imported files carry `legacy:` URLs.
fn is_linkable(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// Escapes CommonMark's punctuation that could turn text into markup, and a leading
/// list or heading marker. Line breaks and tabs inside `text` become spaces, other
/// control characters are dropped.
fn push_escaped(buf: &mut String, text: &str) {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let ordered = digits > 0 && matches!(text.as_bytes().get(digits), Some(b'.' | b')'));
    for (i, c) in text.char_indices() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '&' | '~' => {
                buf.push('\\');
                buf.push(c);
            }
            '-' | '+' | '=' if i == 0 => {
                buf.push('\\');
                buf.push(c);
            }
            '.' | ')' if ordered && i == digits => {
                buf.push('\\');
                buf.push(c);
            }
            '\n' | '\r' | '\t' => buf.push(' '),
            c if c.is_control() => {}
            c => buf.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut b = String::new();
        push_escaped(&mut b, s);
        b
    }

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(esc("a*b*_c_"), r"a\*b\*\_c\_");
        assert_eq!(esc("1. 第一"), r"1\. 第一");
        assert_eq!(esc("2019年"), "2019年");
        assert_eq!(esc("- 列表"), r"\- 列表");
        assert_eq!(esc("#话题# <b>"), r"\#话题\# \<b\>");
    }
}
