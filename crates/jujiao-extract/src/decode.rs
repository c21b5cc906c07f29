//! Bytes to text: which encoding a page is in, and decoding it.
//!
//! Order of evidence: a byte-order mark, then the HTTP `charset`, then `<meta charset>` /
//! `<meta http-equiv>` in the first [`META_PRESCAN_BYTES`], then detection with
//! `chardetng` on a bounded window. Labels lie: pages declaring `gb2312` are sometimes
//! UTF-8, so a declared non-UTF-8 label loses to bytes that are valid UTF-8 and contain
//! multi-byte sequences, and a UTF-8 label loses to bytes that are not UTF-8 when
//! detection finds another encoding. `gb2312` and `gbk` decode as GB18030, their superset.

use encoding_rs::{Encoding, GB18030, UTF_8};

/// How much of the page is searched for a `<meta>` charset declaration.
pub const META_PRESCAN_BYTES: usize = 16 * 1024;
/// How many bytes `chardetng` sees (starting just before the first non-ASCII byte).
pub const DETECT_WINDOW_BYTES: usize = 16 * 1024;

/// A decoded page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The page as text.
    pub text: String,
    /// The WHATWG name of the encoding used (`UTF-8`, `gb18030`, …).
    pub encoding: &'static str,
    /// Problems met while decoding (malformed bytes replaced, label overridden).
    pub warnings: Vec<String>,
}

/// Where the chosen encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evidence {
    Bom,
    Http,
    Meta,
    Detected,
}

/// Decodes `bytes`, taking `http_charset` (the `charset` parameter of `Content-Type`)
/// into account when given.
pub fn decode(bytes: &[u8], http_charset: Option<&str>) -> Decoded {
    let mut warnings = Vec::new();
    let (encoding, evidence, body) = choose(bytes, http_charset, &mut warnings);
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if had_errors {
        warnings.push(format!(
            "malformed {} bytes replaced with U+FFFD ({:?} encoding)",
            encoding.name(),
            evidence
        ));
    }
    Decoded {
        text: text.into_owned(),
        encoding: encoding.name(),
        warnings,
    }
}

fn choose<'a>(
    bytes: &'a [u8],
    http_charset: Option<&str>,
    warnings: &mut Vec<String>,
) -> (&'static Encoding, Evidence, &'a [u8]) {
    if let Some((enc, len)) = Encoding::for_bom(bytes) {
        return (enc, Evidence::Bom, &bytes[len..]);
    }
    let declared = http_charset
        .and_then(|l| label(l).map(|e| (e, Evidence::Http)))
        .or_else(|| meta_charset(bytes).map(|e| (e, Evidence::Meta)));
    let utf8 = utf8_status(bytes);
    match declared {
        Some((enc, ev)) if enc == UTF_8 => {
            if utf8 == Utf8Status::Invalid && !is_mostly_utf8(bytes) {
                let guess = detect(bytes);
                if guess != UTF_8 {
                    warnings.push(format!(
                        "page declares UTF-8 but its bytes are not; decoded as {}",
                        guess.name()
                    ));
                    return (guess, Evidence::Detected, bytes);
                }
            }
            (enc, ev, bytes)
        }
        Some((enc, ev)) => {
            if utf8 == Utf8Status::ValidMultibyte {
                warnings.push(format!(
                    "page declares {} but its bytes are UTF-8; decoded as UTF-8",
                    enc.name()
                ));
                (UTF_8, Evidence::Detected, bytes)
            } else {
                (enc, ev, bytes)
            }
        }
        None if utf8 != Utf8Status::Invalid || is_mostly_utf8(bytes) => {
            (UTF_8, Evidence::Detected, bytes)
        }
        None => (detect(bytes), Evidence::Detected, bytes),
    }
}

/// Maps a label to an encoding; the GB family decodes as GB18030, and UTF-16 labels
/// met in `<meta>` mean UTF-8 (HTML standard).
fn label(l: &str) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(l.trim().trim_matches(['"', '\'']).as_bytes())?;
    if enc == encoding_rs::GBK || enc == GB18030 {
        return Some(GB18030);
    }
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    Some(enc)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Utf8Status {
    Ascii,
    ValidMultibyte,
    Invalid,
}

/// Whether the bytes are UTF-8; a sequence cut off at the very end (a truncated page)
/// still counts as valid.
fn utf8_status(bytes: &[u8]) -> Utf8Status {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    };
    if !valid {
        Utf8Status::Invalid
    } else if bytes.is_ascii() {
        Utf8Status::Ascii
    } else {
        Utf8Status::ValidMultibyte
    }
}

/// UTF-8 with a few stray bad bytes (a damaged page) rather than another encoding:
/// within the first 64 KiB, valid multi-byte characters outnumber malformed sequences
/// ten to one.
fn is_mostly_utf8(bytes: &[u8]) -> bool {
    let mut rest = &bytes[..bytes.len().min(64 * 1024)];
    let (mut good, mut bad) = (0usize, 0usize);
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                good += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                good += std::str::from_utf8(valid)
                    .map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                bad += 1;
                match e.error_len() {
                    Some(n) => rest = &after[n..],
                    None => break,
                }
            }
        }
    }
    good >= 10 * bad && good > 0
}

/// Guesses the encoding from a bounded window around the first non-ASCII bytes.
fn detect(bytes: &[u8]) -> &'static Encoding {
    let first = bytes.iter().position(|b| !b.is_ascii()).unwrap_or(0);
    let start = first.saturating_sub(64);
    let end = (start + DETECT_WINDOW_BYTES).min(bytes.len());
    let mut det = chardetng::EncodingDetector::new();
    det.feed(&bytes[start..end], end == bytes.len());
    let enc = det.guess(None, false);
    if enc == encoding_rs::GBK {
        GB18030
    } else {
        enc
    }
}

/// The charset named by a `<meta charset>` or `<meta http-equiv content>` in the prefix.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let prefix = &bytes[..bytes.len().min(META_PRESCAN_BYTES)];
    let lower = prefix.to_ascii_lowercase();
    let mut from = 0;
    while let Some(off) = memchr::memmem::find(&lower[from..], b"<meta") {
        let start = from + off;
        let end = memchr::memchr(b'>', &lower[start..]).map_or(lower.len(), |o| start + o);
        let tag = &lower[start..end];
        if let Some(p) = memchr::memmem::find(tag, b"charset") {
            let mut rest = &tag[p + 7..];
            while let [b' ' | b'=' | b'"' | b'\'', tail @ ..] = rest {
                rest = tail;
            }
            let len = rest
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.'))
                .count();
            if let Some(enc) = std::str::from_utf8(&rest[..len]).ok().and_then(label) {
                return Some(enc);
            }
        }
        from = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(s: &str) -> Vec<u8> {
        GB18030.encode(s).0.into_owned()
    }

    #[test]
    fn bom_wins_over_everything() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("<meta charset=gbk>中文".as_bytes());
        let d = decode(&b, Some("gbk"));
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.ends_with("中文"));
    }

    #[test]
    fn meta_gb2312_decodes_as_gb18030() {
        let mut b =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">".to_vec();
        b.extend(gbk("区委常委会召开会议，镕"));
        let d = decode(&b, None);
        assert_eq!(d.encoding, "gb18030");
        assert!(d.text.ends_with("区委常委会召开会议，镕"));
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn declared_gb2312_but_utf8_bytes_trusts_bytes() {
        let b = "<meta charset=gb2312><p>海淀区人民政府</p>".as_bytes();
        let d = decode(b, None);
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.contains("海淀区人民政府"));
        assert_eq!(d.warnings.len(), 1);
    }

    #[test]
    fn declared_utf8_but_gbk_bytes_trusts_bytes() {
        let mut b = b"<meta charset=utf-8><p>".to_vec();
        b.extend(gbk(
            "北京市海淀区人民政府关于进一步加强城市管理工作的通知，各街道办事处",
        ));
        let d = decode(&b, None);
        assert_eq!(d.encoding, "gb18030");
        assert!(d.text.contains("海淀区人民政府"));
        assert_eq!(d.warnings.len(), 1);
    }

    #[test]
    fn utf8_with_a_stray_byte_stays_utf8() {
        let mut b = "<meta charset=utf-8><p>北京市海淀区人民政府关于进一步加强城市管理工作的通知"
            .as_bytes()
            .to_vec();
        b.push(0xFF);
        b.extend("各街道办事处、各镇政府".as_bytes());
        for d in [decode(&b, None), decode(&b[20..], None)] {
            assert_eq!(d.encoding, "UTF-8");
            assert!(d.text.contains("各街道办事处"));
            assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        }
    }

    #[test]
    fn undeclared_gbk_is_detected() {
        let mut b = b"<html><head><title>".to_vec();
        b.extend(gbk(
            "北京市海淀区人民政府关于进一步加强城市管理工作的通知，各街道办事处、各镇政府",
        ));
        let d = decode(&b, None);
        assert_eq!(d.encoding, "gb18030");
        assert!(d.text.contains("海淀区人民政府"));
    }

    #[test]
    fn http_charset_beats_meta_and_lossy_is_reported() {
        let mut b = b"<meta charset=utf-8>".to_vec();
        b.extend(gbk("中文"));
        b.push(0xFF);
        let d = decode(&b, Some("GBK"));
        assert_eq!(d.encoding, "gb18030");
        assert!(d.text.contains("中文"));
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    }
}
