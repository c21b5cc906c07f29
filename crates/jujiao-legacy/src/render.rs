//! The renderer: [`LegacyDoc`] → file text. With the layout [`crate::parse`] produced it
//! gives back the original bytes; with [`crate::Layout::canonical`] it writes the canonical
//! form every new article gets.
//!
//! Rendering never fails: a layout that does not fit the paragraphs (edited paragraphs,
//! a hand-made layout) still renders, paragraphs beyond the layout in the file's form.

use crate::layout::{BLOCK_CLOSE, BLOCK_MID, BLOCK_OPEN, CANONICAL_STYLE, Form};
use crate::read::LegacyDoc;

/// Renders a document with its layout. `render(&parse(b)?).as_bytes() == b`.
pub fn render(doc: &LegacyDoc) -> String {
    let l = &doc.layout;
    let mut out = String::with_capacity(estimate(&doc.title, &doc.paragraphs));
    out.push_str(l.title_line.as_deref().unwrap_or(&doc.title));
    if l.title_newline {
        out.push('\n');
    }
    match l.form {
        Form::Html => render_html(doc, &mut out),
        Form::Plain => render_plain(doc, &mut out),
    }
    out
}

/// The canonical form of `title` and `paragraphs` (what `seed/` holds): the title, `\n`,
/// one canonical block per paragraph, nothing after the last block. Paragraph text is
/// written as given, not escaped, so a paragraph containing
/// `</span></div><div>&nbsp;</div>` cannot be read back as one paragraph.
pub fn render_canonical<S: AsRef<str>>(title: &str, paragraphs: &[S]) -> String {
    let mut out = String::with_capacity(estimate(title, paragraphs));
    out.push_str(title);
    out.push('\n');
    for p in paragraphs {
        push_block(&mut out, CANONICAL_STYLE, p.as_ref());
    }
    out
}

fn estimate<S: AsRef<str>>(title: &str, paragraphs: &[S]) -> usize {
    let block = BLOCK_OPEN.len() + CANONICAL_STYLE.len() + BLOCK_MID.len() + BLOCK_CLOSE.len();
    title.len()
        + 1
        + paragraphs
            .iter()
            .map(|p| p.as_ref().len() + block)
            .sum::<usize>()
}

fn push_block(out: &mut String, style: &str, text: &str) {
    out.push_str(BLOCK_OPEN);
    out.push_str(style);
    out.push_str(BLOCK_MID);
    out.push_str(text);
    out.push_str(BLOCK_CLOSE);
}

fn render_html(doc: &LegacyDoc, out: &mut String) {
    let l = &doc.layout;
    let mut markers = l.markers.iter().peekable();
    for (i, p) in doc.paragraphs.iter().enumerate() {
        while let Some(m) = markers.next_if(|m| m.at <= i) {
            m.write_to(out);
        }
        push_block(out, l.style_of(i), p);
    }
    markers.for_each(|m| m.write_to(out));
    out.push_str(&l.tail);
}

fn render_plain(doc: &LegacyDoc, out: &mut String) {
    let l = &doc.layout;
    let mut paragraphs = doc.paragraphs.iter();
    let mut markers = l.markers.iter();
    let n = l.lines.chars().count();
    for (k, c) in l.lines.chars().enumerate() {
        match c {
            's' => out.push_str("  "),
            'q' => {
                out.push_str("  ");
                out.push_str(paragraphs.next().map_or("", String::as_str));
            }
            'p' => out.push_str(paragraphs.next().map_or("", String::as_str)),
            'm' => {
                if let Some(m) = markers.next() {
                    m.write_to(out);
                }
                continue;
            }
            _ => continue,
        }
        if k + 1 < n || l.final_newline {
            out.push('\n');
        }
    }
    for p in paragraphs {
        out.push_str("  \n");
        out.push_str(p);
        out.push('\n');
    }
    markers.for_each(|m| m.write_to(out));
}
