//! The reader: legacy file bytes → [`LegacyDoc`] (title, paragraphs, [`Layout`]).
//!
//! Every variant listed in `LEGACY-FORMAT.md` is read; what makes a file differ from the
//! canonical form goes into the layout, so that [`crate::render`] gives back the exact
//! bytes. Anything else is a [`Rejection`] naming the reason.

use crate::error::Rejection;
use crate::layout::{
    BLOCK_CLOSE, BLOCK_MID, BLOCK_OPEN, Form, IMAGE_MARK, Layout, Marker, StyleException,
};
use jujiao_model::{Article, LegacyPlacement, Paragraph};
use memchr::memmem;

/// One legacy briefing file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyDoc {
    /// The clean title: a repeated file name loses its `.txt`, line breaks become one
    /// space, surrounding white space goes. The title as written is in the layout.
    pub title: String,
    /// The text paragraphs exactly as found (leading `　　`, inner `\r\n`); empty
    /// paragraphs (variant 5) are kept as `""`. Image-marker lines are not paragraphs.
    pub paragraphs: Vec<String>,
    /// How many image marks (`这里有图片`) the file holds.
    pub image_markers: usize,
    /// Everything else needed to write the file back byte for byte.
    pub layout: Layout,
}

impl LegacyDoc {
    /// A document in the canonical layout.
    pub fn canonical(title: impl Into<String>, paragraphs: Vec<String>) -> LegacyDoc {
        LegacyDoc {
            title: title.into(),
            paragraphs,
            image_markers: 0,
            layout: Layout::canonical(),
        }
    }

    /// The document to write for an article: with the layout recorded at import when
    /// there is one (so the file comes back byte for byte), else canonical. Fails only
    /// when the stored layout is not a layout.
    pub fn for_article(
        article: &Article,
        placement: Option<&LegacyPlacement>,
    ) -> Result<LegacyDoc, serde_json::Error> {
        let layout = match placement {
            Some(p) => Layout::from_json(&p.layout)?,
            None => Layout::canonical(),
        };
        Ok(LegacyDoc {
            title: article.title.clone(),
            paragraphs: article.paragraphs.iter().map(|p| p.raw.clone()).collect(),
            image_markers: layout.markers.iter().map(Marker::images).sum(),
            layout,
        })
    }

    /// The placement to store for this document found at `rel_path`.
    pub fn placement(&self, rel_path: impl Into<String>) -> LegacyPlacement {
        LegacyPlacement {
            rel_path: rel_path.into(),
            layout: self.layout.to_json(),
        }
    }

    /// The paragraphs as model [`Paragraph`]s (raw text, empty ones included).
    pub fn model_paragraphs(&self) -> Vec<Paragraph> {
        self.paragraphs
            .iter()
            .map(|p| Paragraph::new(p.as_str()))
            .collect()
    }

    /// True when no paragraph holds visible text (title-only files, a defect of the old
    /// system's `div.X > p` selectors).
    pub fn is_body_empty(&self) -> bool {
        self.model_paragraphs().iter().all(|p| p.clean().is_empty())
    }

    /// Removes a running number (`53` of `53顺应…`) from the start of the title, keeping
    /// the title as written in the layout. Returns whether it was removed.
    pub fn strip_title_prefix(&mut self, prefix: &str) -> bool {
        match self.title.strip_prefix(prefix) {
            Some(rest) if !prefix.is_empty() && !rest.trim().is_empty() => {
                let rest = rest.trim().to_owned();
                if self.layout.title_line.is_none() {
                    self.layout.title_line = Some(std::mem::take(&mut self.title));
                }
                self.title = rest;
                true
            }
            _ => false,
        }
    }
}

/// Reads a legacy file's bytes. For every file it accepts,
/// `crate::render(&parse(b)?).as_bytes() == b`.
pub fn parse(bytes: &[u8]) -> Result<LegacyDoc, Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::Empty);
    }
    if let Some(offset) = memchr::memchr(0, bytes) {
        return Err(Rejection::Binary { offset });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Rejection::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    match memmem::find(bytes, BLOCK_OPEN.as_bytes()) {
        Some(first_block) => parse_html(text, first_block),
        None => parse_plain(text),
    }
}

/// The clean title of a header as written.
fn clean_title(header: &str) -> String {
    let t = header.strip_prefix('\u{feff}').unwrap_or(header).trim();
    let t = t.strip_suffix(".txt").unwrap_or(t);
    let mut out = String::with_capacity(t.len());
    for line in t
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Title and title layout from the header (the text before the body).
fn title_from(header: &str, layout: &mut Layout) -> Result<String, Rejection> {
    let title = clean_title(header);
    if title.is_empty() {
        return Err(Rejection::NoTitle);
    }
    if title != header {
        layout.title_line = Some(header.to_owned());
    }
    Ok(title)
}

/// An image-marker line (without its `\n`): dashes, optionally `这里有图片` between
/// dashes, then optional spaces — `-------------------这里有图片------------ `.
pub(crate) fn is_marker_line(line: &str) -> bool {
    // Fast exit for text lines, which are most lines.
    if !(line.starts_with('-') || line.starts_with(IMAGE_MARK)) {
        return false;
    }
    let line = line.trim_end_matches(' ');
    let dashes = |s: &str| s.bytes().all(|b| b == b'-');
    match line.split_once(IMAGE_MARK) {
        Some((a, b)) => dashes(a) && dashes(b) && a.len() + b.len() >= 3,
        None => line.len() >= 3 && dashes(line),
    }
}

/// True when `gap` is one or more whole marker lines.
fn is_marker_run(gap: &str) -> bool {
    let body = gap.strip_suffix('\n').unwrap_or(gap);
    !gap.is_empty() && body.split('\n').all(is_marker_line)
}

/// Where a run of marker lines closing `header` starts (after the title's first line).
fn leading_marker_run(header: &str) -> Option<usize> {
    let mut start = header.find('\n')? + 1;
    while start < header.len() {
        let end = header[start..]
            .find('\n')
            .map_or(header.len(), |i| start + i);
        if is_marker_line(&header[start..end]) {
            return is_marker_run(&header[start..]).then_some(start);
        }
        start = end + 1;
    }
    None
}

fn parse_html(text: &str, first_block: usize) -> Result<LegacyDoc, Rejection> {
    let mut layout = Layout::canonical();
    let mut header = &text[..first_block];
    // Image markers before the first block: whole marker lines after the title line.
    if let Some(split) = leading_marker_run(header) {
        layout.markers.push(Marker::from_text(0, &header[split..]));
        header = &header[..split];
    }
    let header = match header.strip_suffix('\n') {
        Some(h) => h,
        None => {
            layout.title_newline = false;
            header
        }
    };
    let title = title_from(header, &mut layout)?;

    let bytes = text.as_bytes();
    let close = memmem::Finder::new(BLOCK_CLOSE.as_bytes());
    let open = memmem::Finder::new(BLOCK_OPEN.as_bytes());
    let mut paragraphs: Vec<String> = Vec::new();
    let mut styles: Vec<&str> = Vec::new();
    let mut pos = first_block;
    while pos < text.len() {
        if text[pos..].starts_with(BLOCK_OPEN) {
            let s0 = pos + BLOCK_OPEN.len();
            let q = memchr::memchr(b'\'', &bytes[s0..]).map(|i| s0 + i).ok_or(
                Rejection::Malformed {
                    offset: pos,
                    reason: "unterminated style",
                },
            )?;
            if !text[q..].starts_with(BLOCK_MID) {
                return Err(Rejection::Malformed {
                    offset: q,
                    reason: "no \"'> \" after the style",
                });
            }
            let t0 = q + BLOCK_MID.len();
            let end = close
                .find(&bytes[t0..])
                .map(|i| t0 + i)
                .ok_or(Rejection::Malformed {
                    offset: pos,
                    reason: "block not closed",
                })?;
            styles.push(&text[s0..q]);
            paragraphs.push(text[t0..end].to_owned());
            pos = end + BLOCK_CLOSE.len();
        } else {
            let next = open.find(&bytes[pos..]).map_or(text.len(), |i| pos + i);
            let gap = &text[pos..next];
            if is_marker_run(gap) {
                layout
                    .markers
                    .push(Marker::from_text(paragraphs.len(), gap));
            } else if next == text.len() {
                layout.tail = gap.to_owned();
            } else {
                return Err(Rejection::Malformed {
                    offset: pos,
                    reason: "text between paragraph blocks",
                });
            }
            pos = next;
        }
    }

    // The most frequent style is the default; the others are exceptions.
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for s in &styles {
        match counts.iter_mut().find(|(k, _)| k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    let default = counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .map_or("", |(s, _)| *s);
    layout.style = default.to_owned();
    layout.style_exceptions = styles
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != default)
        .map(|(at, s)| StyleException {
            at,
            style: (*s).to_owned(),
        })
        .collect();
    let image_markers = layout.markers.iter().map(Marker::images).sum();
    Ok(LegacyDoc {
        title,
        paragraphs,
        image_markers,
        layout,
    })
}

fn parse_plain(text: &str) -> Result<LegacyDoc, Rejection> {
    let mut layout = Layout::canonical();
    layout.form = Form::Plain;
    let (header, body) = match text.split_once('\n') {
        Some((h, b)) => (h, b),
        None => {
            layout.title_newline = false;
            (text, "")
        }
    };
    let title = title_from(header, &mut layout)?;

    let mut paragraphs = Vec::new();
    let mut lines = String::new();
    let mut marker_start: Option<usize> = None;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let content = line.strip_suffix('\n').unwrap_or(line);
        if is_marker_line(content) {
            marker_start.get_or_insert(offset);
        } else {
            if let Some(start) = marker_start.take() {
                layout
                    .markers
                    .push(Marker::from_text(paragraphs.len(), &body[start..offset]));
                lines.push('m');
            }
            if content == "  " {
                lines.push('s');
            } else if let Some(rest) = content.strip_prefix("  ") {
                lines.push('q');
                paragraphs.push(rest.to_owned());
            } else {
                lines.push('p');
                paragraphs.push(content.to_owned());
            }
        }
        offset += line.len();
    }
    if let Some(start) = marker_start {
        layout
            .markers
            .push(Marker::from_text(paragraphs.len(), &body[start..]));
        lines.push('m');
    }
    if !lines.is_empty() && !lines.contains(['s', 'q', 'm']) {
        return Err(Rejection::NotAnArticle {
            reason: "plain lines without the two-space paragraph form",
        });
    }
    layout.final_newline = body.is_empty() || body.ends_with('\n');
    if lines.is_empty() && layout.title_newline {
        // `title\n` alone is also the canonical form of an article without paragraphs.
        layout.form = Form::Html;
    }
    layout.lines = lines;
    let image_markers = layout.markers.iter().map(Marker::images).sum();
    Ok(LegacyDoc {
        title,
        paragraphs,
        image_markers,
        layout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_lines() {
        assert!(is_marker_line("---------------------------------------- "));
        assert!(is_marker_line("-------------------这里有图片------------ "));
        assert!(is_marker_line("---"));
        assert!(!is_marker_line("--"));
        assert!(!is_marker_line("这里有图片"));
        assert!(!is_marker_line("---- 正文"));
        assert!(!is_marker_line(""));
        assert!(is_marker_run("--- \n---这里有图片--- \n"));
        assert!(!is_marker_run("--- \n\n"));
    }

    #[test]
    fn clean_titles() {
        assert_eq!(clean_title("2二、标题.txt"), "2二、标题");
        assert_eq!(clean_title("\u{feff}标题 "), "标题");
        assert_eq!(clean_title("上半\r\n——下半"), "上半 ——下半");
        assert_eq!(clean_title("  "), "");
    }

    #[test]
    fn markers_before_the_first_block_need_a_title_line() {
        assert_eq!(
            leading_marker_run("标题\n---- \n---这里有图片--- \n"),
            Some("标题\n".len())
        );
        assert_eq!(leading_marker_run("标题\n第二行\n"), None);
        assert_eq!(leading_marker_run("标题---- "), None);
    }

    #[test]
    fn strip_title_prefix_keeps_the_written_title() {
        let mut doc = LegacyDoc::canonical("53顺应时代", vec![]);
        assert!(!doc.strip_title_prefix("7"));
        assert!(doc.strip_title_prefix("53"));
        assert_eq!(doc.title, "顺应时代");
        assert_eq!(doc.layout.title_line.as_deref(), Some("53顺应时代"));
        let mut doc = LegacyDoc::canonical("53", vec![]);
        assert!(!doc.strip_title_prefix("53"), "a title is never emptied");
    }

    #[test]
    fn article_with_its_placement_renders_the_imported_bytes() {
        let bytes = "2二、标题.txt\n<div><span style='x'> 　　正文</span></div><div>&nbsp;</div>";
        let mut doc = parse(bytes.as_bytes()).expect("parses");
        doc.strip_title_prefix("2");
        let placement = doc.placement("学习刚要/占个位置/2二、标题.txt");
        let article = Article {
            title: doc.title.clone(),
            paragraphs: doc.model_paragraphs(),
            ..Article::default()
        };
        let back = LegacyDoc::for_article(&article, Some(&placement)).expect("layout reads");
        assert_eq!(crate::render(&back), bytes);
        let fresh = LegacyDoc::for_article(&article, None).expect("canonical");
        assert!(fresh.layout.is_canonical());
        let bad = LegacyPlacement {
            rel_path: "x.txt".into(),
            layout: serde_json::json!({"form": 3}),
        };
        assert!(LegacyDoc::for_article(&article, Some(&bad)).is_err());
    }
}
