//! Article extraction: bytes + page URL + optional per-source rules in, article out.
//! Pure: no network, no database.
//!
//! 1. [`decode()`] turns bytes into text (BOM, HTTP charset, `<meta>`, detection; labels
//!    that contradict valid UTF-8 bytes lose).
//! 2. `html` parses the text once into a flat arena walked only by index ranges, so no
//!    step recurses on page depth.
//! 3. With [`Rules`], selectors give the title, body, date, author and origin
//!    ([`select`] implements the supported CSS subset); whatever they do not give, and
//!    the whole body when the body selector matches nothing, comes from automatic
//!    extraction: `body` (text and punctuation density, link-density and class
//!    penalties), `title`, [`date`], `byline`, `media`.
//! 4. The result is an [`Extraction`]: [`Extraction::to_json`] for tools,
//!    [`Extraction::to_article`] for the rest of jujiao.
//!
//! [`discover_links`] finds the article links of a list page.

mod body;
mod boiler;
mod byline;
pub mod challenge;
pub mod date;
pub mod decode;
mod disclosure;
mod entities;
mod error;
mod html;
mod links;
mod media;
mod published;
mod result;
mod rules;
mod script_links;
pub mod select;
mod text;
mod title;

pub use challenge::{Challenge, Vendor};
pub use decode::{Decoded, decode};
pub use error::{ExtractError, RuleError};
pub use links::{ListLink, ScriptLinks, discover_links, discover_links_with};
pub use result::{Extraction, Method};
pub use rules::{RawRules, Rules};

use html::Dom;
use jujiao_model::PublishTime;
use text::is_space;
use url::Url;

/// Pages larger than this are refused rather than parsed.
pub const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;
/// How many lines after the headline are read as the byline area.
const HEADER_LINES: usize = 30;
/// How many lines before the headline are read (date bars, breadcrumbs).
const BEFORE_LINES: usize = 8;
/// How many lines after the body's last line are read (dates and bylines under it).
const TAIL_LINES: usize = 12;
/// How many of the body's first lines are read (datelines, `本报记者 …`).
const BODY_HEAD_LINES: usize = 6;

/// Decodes and extracts one page.
///
/// `http_charset` is the `charset` parameter of the response's `Content-Type`, if any.
/// Without `rules` everything is found automatically.
pub fn extract(
    bytes: &[u8],
    url: Option<&Url>,
    http_charset: Option<&str>,
    rules: Option<&Rules>,
) -> Result<Extraction, ExtractError> {
    let name = || url.map_or_else(|| "-".to_string(), Url::to_string);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ExtractError::Empty { url: name() });
    }
    if bytes.len() > MAX_PAGE_BYTES {
        return Err(ExtractError::TooLarge {
            url: name(),
            len: bytes.len(),
            max: MAX_PAGE_BYTES,
        });
    }
    if is_binary(bytes) {
        return Err(ExtractError::Binary { url: name() });
    }
    Ok(extract_decoded(&decode(bytes, http_charset), url, rules))
}

/// True when the start of `bytes` looks like a binary file rather than text.
fn is_binary(bytes: &[u8]) -> bool {
    if encoding_rs::Encoding::for_bom(bytes).is_some() {
        return false;
    }
    let head = &bytes[..bytes.len().min(1024)];
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    control * 10 > head.len()
}

/// Extracts from an already decoded page.
pub fn extract_decoded(page: &Decoded, url: Option<&Url>, rules: Option<&Rules>) -> Extraction {
    let dom = html::parse(&page.text);
    let a = body::analyse(&dom);
    let mut warnings = page.warnings.clone();

    let title = rules
        .and_then(|r| r.title.as_ref())
        .and_then(|s| first_text(&dom, &s.select(&dom)))
        .or_else(|| title::find(&dom, &a, &page.text));
    let title_str = title.clone().unwrap_or_default();

    let mut method = if rules.is_some() {
        Method::SelectorsWithAutomaticFallback
    } else {
        Method::Automatic
    };
    let mut roots = Vec::new();
    let mut paragraphs = Vec::new();
    if let Some((r, sel)) = rules.and_then(|r| r.body.as_ref().map(|s| (r, s))) {
        roots = outermost(&dom, sel.select(&dom));
        let skip = |i: usize| a.hidden[i];
        for &root in &roots {
            for b in text::blocks(&dom, root, &skip) {
                if r.keeps(&b.text) {
                    paragraphs.push(b.text);
                }
            }
        }
        if paragraphs.is_empty() {
            warnings.push(format!(
                "body selector `{sel}` matched no text; automatic body used"
            ));
            roots.clear();
        } else {
            method = Method::Selectors;
        }
    }
    if paragraphs.is_empty() {
        let auto = body::find(&dom, &a, &title_str);
        roots = auto.roots;
        paragraphs = auto.paragraphs;
        if let Some(r) = rules {
            paragraphs.retain(|p| r.keeps(p));
        }
    }

    let mut title = title;
    let mut title_str = title_str;
    let from_rule = rules.and_then(|r| r.title.as_ref()).is_some();
    if !from_rule
        && title.as_deref().is_some_and(title::looks_like_site_name)
        && let Some(h) = title::heading_near_body(&dom, &a, &roots)
    {
        let key = |s: &str| s.chars().filter(|c| !is_space(*c)).collect::<String>();
        let hk = key(&h);
        paragraphs.retain(|p| key(p) != hk);
        title_str = h.clone();
        title = Some(h);
    }

    let lines = byline_lines(&dom, &a, &title_str, &roots);
    let publish_time = rules
        .and_then(|r| r.date.as_ref())
        .and_then(|s| {
            s.select(&dom)
                .into_iter()
                .find_map(|i| date_of_element(&dom, i))
        })
        .or_else(|| published::rank_date(&dom, &page.text, url, &lines));
    let by = published::rank_byline(&dom, &lines);
    let from_rule = |sel: Option<&select::Selector>, author: bool| -> Option<String> {
        let text = first_text(&dom, &sel?.select(&dom))?;
        let read = byline::read([text.as_str()]);
        let found = if author { read.author } else { read.origin };
        Some(found.unwrap_or(text))
    };
    let author = from_rule(rules.and_then(|r| r.author.as_ref()), true)
        .or(by.author)
        .or_else(|| {
            let enp = title::enp_property(&page.text, "author")?;
            Some(byline::read([enp.as_str()]).author.unwrap_or(enp))
        });
    let origin = from_rule(rules.and_then(|r| r.origin.as_ref()), false).or(by.origin);

    let disclosure = disclosure::find(&dom);
    // The filing day is the publish day: a disclosure table's 发布日期 beats a date
    // found elsewhere (often its 成文日期, listed first).
    let publish_time = match (
        publish_time,
        disclosure.as_ref().and_then(|d| d.published_on),
    ) {
        (Some(t), Some(day)) if t.date() != day => Some(PublishTime::Date(day)),
        (None, Some(day)) => Some(PublishTime::Date(day)),
        (t, _) => t,
    };
    let images = media::images(&dom, &roots, url, &a.hidden);
    let attachments = media::attachments(&dom, &attachment_area(&dom, &a, &roots), url);
    Extraction {
        title,
        publish_time,
        author,
        origin,
        editor: by.editor,
        paragraphs,
        images,
        attachments,
        disclosure,
        method,
        encoding: page.encoding,
        warnings,
    }
}

/// Drops matches nested in an earlier match (their text is already taken).
fn outermost(dom: &Dom, matches: Vec<usize>) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for m in matches {
        if out.last().is_none_or(|&l| m >= dom.end(l)) {
            out.push(m);
        }
    }
    out
}

fn first_text(dom: &Dom, nodes: &[usize]) -> Option<String> {
    nodes.iter().map(|&i| dom.text(i)).find(|t| !t.is_empty())
}

/// A date in an element's `datetime`/`content` attribute or text.
fn date_of_element(dom: &Dom, i: usize) -> Option<PublishTime> {
    let e = dom.element(i)?;
    e.attr("datetime")
        .or_else(|| e.attr("content"))
        .and_then(date::parse)
        .or_else(|| date::parse(&dom.text(i)))
}

/// The lines where bylines and dates live ([`published::AreaLine`]): a few before the
/// headline, those after it up to the body, the body's first lines, its last lines and a
/// few lines after it.
fn byline_lines(
    dom: &Dom,
    a: &body::Analysis,
    title: &str,
    roots: &[usize],
) -> Vec<published::AreaLine> {
    use published::{AreaLine, Zone};
    let skip = |i: usize| a.hidden[i];
    let all = text::blocks(dom, 0, &skip);
    let key = |s: &str| s.chars().filter(|c| !is_space(*c)).collect::<String>();
    let title_key = key(title);
    let body_start = roots.first().copied().unwrap_or(usize::MAX);
    let body_end = roots.last().map_or(usize::MAX, |&r| dom.end(r));
    let title_pos = (!title_key.is_empty())
        .then(|| all.iter().position(|b| key(&b.text) == title_key))
        .flatten()
        .or_else(|| {
            (!title_key.is_empty())
                .then(|| {
                    all.iter()
                        .position(|b| b.chars < 200 && key(&b.text).contains(&title_key))
                })
                .flatten()
        });
    let in_body = |o: usize| o >= body_start && o < body_end;
    let first_body = all.iter().position(|b| in_body(b.owner));
    let line = |k: usize, zone: Zone, dist: usize| AreaLine {
        text: all[k].text.clone(),
        zone,
        dist,
        link_density: all[k].link_density(),
    };
    let mut out = Vec::new();
    match title_pos {
        Some(p) => {
            out.extend(
                (p.saturating_sub(BEFORE_LINES)..p)
                    .rev()
                    .enumerate()
                    .map(|(d, k)| line(k, Zone::Before, d + 1)),
            );
            let header_end = match first_body {
                Some(f) if f > p => f.min(p + 1 + HEADER_LINES),
                _ => p + 1 + HEADER_LINES,
            }
            .min(all.len());
            out.extend(
                (p + 1..header_end)
                    .enumerate()
                    .map(|(d, k)| line(k, Zone::Header, d)),
            );
        }
        None => {
            let f = first_body.unwrap_or(0);
            let from = f.saturating_sub(HEADER_LINES / 2);
            out.extend((from..f).map(|k| line(k, Zone::Header, f - k)));
        }
    }
    let body_idx: Vec<usize> = (0..all.len()).filter(|&k| in_body(all[k].owner)).collect();
    if let (Some(&f), Some(&l)) = (body_idx.first(), body_idx.last()) {
        let head_end = (f + BODY_HEAD_LINES).min(all.len());
        out.extend((f..head_end).map(|k| line(k, Zone::BodyHead, k - f)));
        let tail_from = l.saturating_sub(2).max(head_end);
        out.extend((tail_from..(l + TAIL_LINES).min(all.len())).map(|k| line(k, Zone::Tail, 0)));
    }
    out
}

/// Where attachments are looked for: the body, or its parent when that is not much
/// bigger (government pages list attachments just after the text container).
fn attachment_area(dom: &Dom, a: &body::Analysis, roots: &[usize]) -> Vec<usize> {
    let Some(&first) = roots.first() else {
        return Vec::new();
    };
    let body_chars: u32 = roots.iter().map(|&r| a.stats[r].chars).sum();
    let parent = dom.nodes[first].parent as usize;
    if parent != 0 && a.stats[parent].chars <= body_chars.saturating_mul(2).saturating_add(200) {
        vec![parent]
    } else {
        roots.to_vec()
    }
}
