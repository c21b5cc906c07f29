//! File names for downloads: from the link text, `Content-Disposition` or the URL,
//! made safe for every file system the office uses (Windows included), with the
//! extension the bytes deserve.

/// Characters Windows refuses in names, plus the path separators.
const FORBIDDEN: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

/// Longest name kept, in characters (extension included): paths in old trees are deep.
pub const MAX_NAME_CHARS: usize = 100;

/// Link texts that say "download" rather than name the document.
const GENERIC: &[&str] = &[
    "下载",
    "点击下载",
    "附件",
    "附件下载",
    "点击",
    "点此下载",
    "查看",
    "download",
    "pdf",
];

/// The name to give an attachment: the link text when it names the document, else the
/// `Content-Disposition` file name, else the URL's last segment; then made safe and
/// given `extension` (the one the bytes deserve) unless it already ends with it.
pub fn attachment_name(
    link_text: &str,
    content_disposition: Option<&str>,
    url: &str,
    extension: &str,
) -> String {
    let link = link_text.trim();
    let is_generic = link.is_empty()
        || GENERIC
            .iter()
            .any(|g| link.eq_ignore_ascii_case(g) || strip_ext(link).eq_ignore_ascii_case(g));
    let raw = if is_generic {
        content_disposition
            .and_then(disposition_filename)
            .or_else(|| url_file_name(url))
            .unwrap_or_default()
    } else {
        link.to_owned()
    };
    with_extension(&safe_name(&raw), extension)
}

fn strip_ext(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// Replaces forbidden and control characters with `_`, collapses whitespace, trims
/// dots and blanks from the ends (Windows drops trailing dots) and shortens to
/// [`MAX_NAME_CHARS`] keeping the extension. Empty → `附件`.
pub fn safe_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut last_space = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            if !last_space && !out.is_empty() {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.push(if c.is_control() || FORBIDDEN.contains(&c) {
            '_'
        } else {
            c
        });
    }
    let trimmed = out.trim_matches(|c: char| c == '.' || c == ' ');
    let name = if trimmed.is_empty() {
        "附件"
    } else {
        trimmed
    };
    shorten(name)
}

fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_owned();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 5 && !stem.is_empty() => (stem, ext),
        _ => (name, ""),
    };
    let keep = MAX_NAME_CHARS.saturating_sub(ext.chars().count() + 1);
    let stem: String = stem.chars().take(keep).collect();
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// `name` ending in `.extension` (case-insensitive); appended when missing or
/// different (`通知.htm` behind a PDF link becomes `通知.htm.pdf`).
pub fn with_extension(name: &str, extension: &str) -> String {
    let has = name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case(extension));
    if has || extension.is_empty() {
        name.to_owned()
    } else {
        shorten(&format!("{name}.{extension}"))
    }
}

/// The file name of a `Content-Disposition` value: `filename*=UTF-8''…` (RFC 6266 §4.3,
/// RFC 8187) wins over `filename="…"`.
pub fn disposition_filename(value: &str) -> Option<String> {
    let mut plain = None;
    for param in value.split(';').skip(1) {
        let Some((name, v)) = param.split_once('=') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let v = v.trim();
        if name == "filename*" {
            let (charset, rest) = v.split_once('\'')?;
            let encoded = rest.split_once('\'').map_or(rest, |(_, e)| e);
            if charset.eq_ignore_ascii_case("utf-8") {
                let decoded = percent_decode(encoded)?;
                if !decoded.is_empty() {
                    return Some(decoded);
                }
            }
        } else if name == "filename" {
            let v = v.trim_matches('"');
            plain = percent_decode(v).or_else(|| Some(v.to_owned()));
        }
    }
    plain.filter(|s| !s.is_empty())
}

/// The URL's last path segment, percent-decoded (`…/P020250611%E9%80%9A%E7%9F%A5.pdf`).
pub fn url_file_name(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let last = parsed.path_segments()?.next_back()?.to_owned();
    let decoded = percent_decode(&last).unwrap_or(last);
    (!decoded.is_empty()).then_some(decoded)
}

/// Percent-decoding into UTF-8; `None` when the bytes are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_text_names_the_attachment() {
        assert_eq!(
            attachment_name(
                "附件1：关于开展2025年\n专项检查的通知",
                None,
                "https://x.gov.cn/P0.pdf",
                "pdf"
            ),
            "附件1：关于开展2025年 专项检查的通知.pdf"
        );
        assert_eq!(
            attachment_name("名单.xlsx", None, "https://x.gov.cn/a.xlsx", "xlsx"),
            "名单.xlsx"
        );
    }

    #[test]
    fn a_generic_link_text_falls_back_to_the_header_then_the_url() {
        assert_eq!(
            attachment_name(
                "点击下载",
                Some("attachment; filename=\"x.pdf\"; filename*=UTF-8''%E9%80%9A%E7%9F%A5.pdf"),
                "https://x.gov.cn/P0.pdf",
                "pdf"
            ),
            "通知.pdf"
        );
        assert_eq!(
            attachment_name(
                "下载",
                None,
                "https://x.gov.cn/files/%E5%90%8D%E5%8D%95.xlsx",
                "xlsx"
            ),
            "名单.xlsx"
        );
    }

    #[test]
    fn names_are_safe_on_windows() {
        assert_eq!(safe_name("a/b\\c:d*e?f\"g<h>i|j"), "a_b_c_d_e_f_g_h_i_j");
        assert_eq!(safe_name("  ..名单..  "), "名单");
        assert_eq!(safe_name("\u{0}\u{7}"), "__");
        assert_eq!(safe_name(""), "附件");
        let long = format!("{}.pdf", "长".repeat(300));
        let short = safe_name(&long);
        assert_eq!(short.chars().count(), MAX_NAME_CHARS);
        assert!(short.ends_with(".pdf"));
        assert_eq!(with_extension("通知.htm", "pdf"), "通知.htm.pdf");
        assert_eq!(with_extension("通知.PDF", "pdf"), "通知.PDF");
    }
}
