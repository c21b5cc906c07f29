//! Per-source rules: raw (as deserialised from configuration) and compiled.
//!
//! Selectors name the element that holds each field. The `body` selector names the
//! container(s) or the paragraphs; each match is cut into paragraphs at every block
//! element and `<br>` inside it, at any depth, so `div.TRS_Editor` yields the paragraphs
//! of `div.TRS_Editor div p` too (the old system's `div.X > p` missed those). Matches
//! nested inside another match are skipped so no text is taken twice.

use crate::error::RuleError;
use crate::select::Selector;
use regex::Regex;
use serde::Deserialize;

/// Default minimum paragraph length (visible characters) in selector mode: keep all.
pub const DEFAULT_MIN_PARAGRAPH_CHARS: usize = 1;

/// Rules as written in a source's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    /// Selector of the headline.
    #[serde(default)]
    pub title: Option<String>,
    /// Selector of the body container(s) or paragraphs.
    #[serde(default)]
    pub body: Option<String>,
    /// Selector of the element whose text holds the publish time.
    #[serde(default)]
    pub date: Option<String>,
    /// Selector of the author/byline element.
    #[serde(default)]
    pub author: Option<String>,
    /// Selector of the origin (来源) element.
    #[serde(default)]
    pub origin: Option<String>,
    /// Paragraphs shorter than this (visible characters) are dropped.
    #[serde(default)]
    pub min_paragraph_chars: Option<usize>,
    /// Regular expressions; a paragraph matching any of them is dropped
    /// (e.g. `^责任编辑`).
    #[serde(default)]
    pub drop_patterns: Vec<String>,
}

/// Compiled rules, built once per source and reused for every page.
#[derive(Debug, Clone)]
pub struct Rules {
    pub(crate) title: Option<Selector>,
    pub(crate) body: Option<Selector>,
    pub(crate) date: Option<Selector>,
    pub(crate) author: Option<Selector>,
    pub(crate) origin: Option<Selector>,
    pub(crate) min_paragraph_chars: usize,
    pub(crate) drop_patterns: Vec<Regex>,
}

fn selector(key: &'static str, raw: Option<&String>) -> Result<Option<Selector>, RuleError> {
    raw.map(|s| Selector::parse(s).map_err(|source| RuleError::Selector { key, source }))
        .transpose()
}

impl Rules {
    /// Compiles `raw`, failing on the first bad selector or pattern with its key.
    pub fn compile(raw: &RawRules) -> Result<Rules, RuleError> {
        let drop_patterns = raw
            .drop_patterns
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|source| RuleError::Pattern {
                    key: "drop_patterns",
                    pattern: p.clone(),
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Rules {
            title: selector("title", raw.title.as_ref())?,
            body: selector("body", raw.body.as_ref())?,
            date: selector("date", raw.date.as_ref())?,
            author: selector("author", raw.author.as_ref())?,
            origin: selector("origin", raw.origin.as_ref())?,
            min_paragraph_chars: raw
                .min_paragraph_chars
                .unwrap_or(DEFAULT_MIN_PARAGRAPH_CHARS),
            drop_patterns,
        })
    }

    /// Whether a paragraph passes the length and pattern filters.
    pub(crate) fn keeps(&self, paragraph: &str) -> bool {
        crate::text::visible_len(paragraph) >= self.min_paragraph_chars
            && !self.drop_patterns.iter().any(|r| r.is_match(paragraph))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_selector_names_its_key() {
        let raw = RawRules {
            title: Some("h1".into()),
            date: Some("span:nth-child(2)".into()),
            ..RawRules::default()
        };
        let e = Rules::compile(&raw).expect_err("pseudo-class");
        assert!(e.to_string().contains("rule `date`"), "{e}");
        assert!(e.to_string().contains("span:nth-child(2)"), "{e}");
    }

    #[test]
    fn bad_pattern_names_its_key_and_filters_apply() {
        let raw = RawRules {
            drop_patterns: vec!["(".into()],
            ..RawRules::default()
        };
        assert!(matches!(
            Rules::compile(&raw),
            Err(RuleError::Pattern { .. })
        ));
        let raw = RawRules {
            min_paragraph_chars: Some(4),
            drop_patterns: vec!["^责任编辑".into()],
            ..RawRules::default()
        };
        let r = Rules::compile(&raw).expect("valid");
        assert!(!r.keeps("责任编辑：王五"));
        assert!(!r.keeps("短句"));
        assert!(r.keeps("会议指出，要做好工作"));
    }

    #[test]
    fn raw_rules_refuse_unknown_keys() {
        let e = serde_json::from_str::<RawRules>(r#"{"bdy": "div"}"#);
        assert!(e.is_err());
    }
}
