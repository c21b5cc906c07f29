//! HTML character references, decoded as browsers do: the full HTML5 table of named
//! references (2,231 names, from `htmlize`), numeric references with the standard's
//! windows-1252 reading of 0x80–0x9F, and the legacy names written without `;`.
//!
//! Text and attribute values differ in one rule (HTML standard, "character reference
//! state"): in an attribute a legacy name without `;` followed by `=` or a letter or digit
//! stays as written, so that a link such as `?a=1&copy=2` keeps its query.

use std::borrow::Cow;

/// Decodes character references in text; borrows when there are none.
pub(crate) fn decode(s: &str) -> Cow<'_, str> {
    htmlize::unescape(s)
}

/// Decodes character references in an attribute value; borrows when there are none.
pub(crate) fn decode_attribute(s: &str) -> Cow<'_, str> {
    htmlize::unescape_attribute(s)
}

#[cfg(test)]
mod tests {
    use super::{decode, decode_attribute};

    #[test]
    fn decodes_named_numeric_and_leaves_unknown() {
        assert_eq!(
            decode("a&amp;b&#20013;&#x6587;&ldquo;x&rdquo;"),
            "a&b中文“x”"
        );
        assert_eq!(decode("&nosuch; & &#;"), "&nosuch; & &#;");
        assert_eq!(decode("&nbsp;x&#146;"), "\u{a0}x’");
    }

    /// Regression: the old table knew 56 names, so `&sup2;`, `&frac12;` and the rest
    /// stayed raw in article text.
    #[test]
    fn the_whole_html5_table_is_known() {
        assert_eq!(
            decode("10 m&sup2;, &frac12; cup&hellip; &alpha;&beta; &rarr; &NotEqualTilde;"),
            "10 m², ½ cup… αβ → ≂̸"
        );
        assert_eq!(decode("&#178;&#xBD;&#x2026;"), "²½…");
        assert_eq!(decode("&nosuchname; &sup2x"), "&nosuchname; ²x");
        assert_eq!(decode("R&amp;D &copy 2024"), "R&D © 2024");
        // Names are case-sensitive, as in browsers.
        assert_eq!(decode("&NBSP;"), "&NBSP;");
    }

    #[test]
    fn attributes_keep_query_strings_that_look_like_legacy_names() {
        assert_eq!(
            decode_attribute("/a?x=1&copy=2&amp;y=3"),
            "/a?x=1&copy=2&y=3"
        );
        assert_eq!(decode("/a?x=1&copy=2"), "/a?x=1©=2");
        assert!(matches!(decode("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
