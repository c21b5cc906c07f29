//! HTML character references: numeric ones and the named ones news pages actually use.

use std::borrow::Cow;

/// Named references seen on Chinese and English news pages. Unknown names stay as written.
const NAMED: &[(&str, char)] = &[
    ("nbsp", '\u{a0}'),
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("mdash", '—'),
    ("ndash", '–'),
    ("hellip", '…'),
    ("middot", '·'),
    ("bull", '•'),
    ("times", '×'),
    ("divide", '÷'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("deg", '°'),
    ("plusmn", '±'),
    ("yen", '¥'),
    ("euro", '€'),
    ("pound", '£'),
    ("cent", '¢'),
    ("sect", '§'),
    ("para", '¶'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200c}'),
    ("zwj", '\u{200d}'),
    ("shy", '\u{ad}'),
    ("iexcl", '¡'),
    ("iquest", '¿'),
    ("eacute", 'é'),
    ("egrave", 'è'),
    ("aacute", 'á'),
    ("agrave", 'à'),
    ("oacute", 'ó'),
    ("uacute", 'ú'),
    ("iacute", 'í'),
    ("ntilde", 'ñ'),
    ("uuml", 'ü'),
    ("ouml", 'ö'),
    ("auml", 'ä'),
    ("ccedil", 'ç'),
    ("larr", '←'),
    ("rarr", '→'),
    ("uarr", '↑'),
    ("darr", '↓'),
];

/// Decodes character references in `s`; borrows when there are none.
pub(crate) fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match reference(after) {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Parses a reference after `&`; returns the character and the bytes consumed.
fn reference(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.first() == Some(&b'#') {
        let (radix, start) = match b.get(1) {
            Some(b'x' | b'X') => (16, 2),
            _ => (10, 1),
        };
        let digits = s[start..]
            .bytes()
            .take(8)
            .take_while(|c| c.is_ascii_hexdigit() && (radix == 16 || c.is_ascii_digit()))
            .count();
        if digits == 0 {
            return None;
        }
        let n = u32::from_str_radix(&s[start..start + digits], radix).ok()?;
        let c = match n {
            0 => '\u{fffd}',
            0x80..=0x9f => windows_1252_c1(n),
            _ => char::from_u32(n).unwrap_or('\u{fffd}'),
        };
        let mut used = start + digits;
        if b.get(used) == Some(&b';') {
            used += 1;
        }
        return Some((c, used));
    }
    let len = b
        .iter()
        .take(10)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let name = &s[..len];
    let (_, c) = NAMED
        .iter()
        .find(|(n, _)| *n == name || n.eq_ignore_ascii_case(name) && len <= 4)?;
    let mut used = len;
    if b.get(used) == Some(&b';') {
        used += 1;
    }
    Some((*c, used))
}

/// Numeric references in 0x80–0x9F mean windows-1252 characters (HTML standard).
fn windows_1252_c1(n: u32) -> char {
    match n {
        0x80 => '€',
        0x85 => '…',
        0x91 => '‘',
        0x92 => '’',
        0x93 => '“',
        0x94 => '”',
        0x96 => '–',
        0x97 => '—',
        _ => ' ',
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_named_numeric_and_leaves_unknown() {
        assert_eq!(
            decode("a&amp;b&#20013;&#x6587;&ldquo;x&rdquo;"),
            "a&b中文“x”"
        );
        assert_eq!(decode("&nosuch; & &#;"), "&nosuch; & &#;");
        assert_eq!(decode("&NBSP;x&#146;"), "\u{a0}x’");
    }
}
