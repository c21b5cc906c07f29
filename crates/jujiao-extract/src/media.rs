//! Images and attachments of the body area, with absolute URLs.

use crate::html::Dom;
use jujiao_model::{Attachment, AttachmentKind, Image};
use url::Url;

/// Resolves `href` against `base`; without a base only absolute URLs survive unchanged.
pub(crate) fn absolute(base: Option<&Url>, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty()
        || href.starts_with('#')
        || href.starts_with("javascript:")
        || href.starts_with("data:")
        || href.starts_with("mailto:")
    {
        return None;
    }
    match base {
        Some(b) => b.join(href).ok().map(String::from),
        None => Some(Url::parse(href).map_or_else(|_| href.to_string(), String::from)),
    }
}

/// Images under the given roots, in document order, without duplicates.
pub(crate) fn images(
    dom: &Dom,
    roots: &[usize],
    base: Option<&Url>,
    hidden: &[bool],
) -> Vec<Image> {
    let mut out: Vec<Image> = Vec::new();
    for &r in roots {
        for i in r..dom.end(r) {
            if dom.name(i) != "img" || hidden.get(i).copied().unwrap_or(false) {
                continue;
            }
            let Some(e) = dom.element(i) else { continue };
            let src = ["data-original", "data-src", "src"]
                .iter()
                .filter_map(|k| e.attr(k))
                .find(|v| !v.trim().is_empty() && !v.starts_with("data:"));
            let Some(url) = src.and_then(|s| absolute(base, s)) else {
                continue;
            };
            if out.iter().any(|im| im.url == url) {
                continue;
            }
            let alt = e
                .attr("alt")
                .or_else(|| e.attr("title"))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            out.push(Image { url, alt });
        }
    }
    out
}

/// The attachment kind of a link, from the extension of its path.
pub(crate) fn kind_of(href: &str) -> Option<AttachmentKind> {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = name.rsplit_once('.')?;
    AttachmentKind::from_extension(ext)
}

/// Attachment links under the given roots.
pub(crate) fn attachments(dom: &Dom, roots: &[usize], base: Option<&Url>) -> Vec<Attachment> {
    let mut out: Vec<Attachment> = Vec::new();
    for &r in roots {
        for i in r..dom.end(r) {
            if dom.name(i) != "a" {
                continue;
            }
            let Some(href) = dom.element(i).and_then(|e| e.attr("href")) else {
                continue;
            };
            let Some(kind) = kind_of(href) else { continue };
            let Some(url) = absolute(base, href) else {
                continue;
            };
            if out.iter().any(|a| a.url == url) {
                continue;
            }
            let mut name = dom.text(i);
            if name.is_empty() {
                name = url.rsplit('/').next().unwrap_or(&url).to_string();
            }
            out.push(Attachment { url, name, kind });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::parse;

    #[test]
    fn images_and_attachments_are_absolute() {
        let d = parse(concat!(
            "<div><img src='./W020200610.jpg' alt='会场'><img data-src='/a.png' src='data:x'>",
            "<a href='./P0200610.PDF?x=1'>通知全文</a><a href='/x.html'>not</a>",
            "<a href='f.docx'></a></div>"
        ));
        let base = Url::parse("http://www.example.gov.cn/xw/202006/t20200610_1.html").ok();
        let ims = images(&d, &[0], base.as_ref(), &vec![false; d.nodes.len()]);
        assert_eq!(ims.len(), 2);
        assert_eq!(
            ims[0].url,
            "http://www.example.gov.cn/xw/202006/W020200610.jpg"
        );
        assert_eq!(ims[0].alt.as_deref(), Some("会场"));
        assert_eq!(ims[1].url, "http://www.example.gov.cn/a.png");
        let at = attachments(&d, &[0], base.as_ref());
        assert_eq!(at.len(), 2);
        assert_eq!(at[0].kind, AttachmentKind::Pdf);
        assert_eq!(at[0].name, "通知全文");
        assert_eq!(at[1].kind, AttachmentKind::Docx);
        assert_eq!(at[1].name, "f.docx");
    }
}
