//! Field checks shared by every table of the sources file, and [`KeyError`], what is
//! wrong with one key.
//!
//! This module is the leaf of the crate: it imports nothing from the other modules, and
//! every table's validation (settings, each source kind, `[web]`, briefings, watch
//! rules) builds on it. A [`KeyError`] names the dotted key; [`crate::ConfigError`]
//! adds the file.

use regex::Regex;
use std::time::Duration;
use url::Url;

/// What is wrong with one key of the sources file.
///
/// Every variant names the dotted key as written in the file (`source[0] (id "api")
/// .json.items`, `web.base_url`) and says what is wrong in words a person editing the file
/// can act on. Underlying parse errors are part of the message, not a `source()`, so
/// that a chain printed with `{:#}` shows them once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A value outside a fixed set of words.
    #[error("{key}: `{value}` is not allowed here; use {expected}")]
    NotAllowed {
        key: String,
        value: String,
        expected: &'static str,
    },
    /// A URL that does not parse.
    #[error("{key}: `{text}` is not a URL: {reason}")]
    NotUrl {
        key: String,
        text: String,
        reason: String,
    },
    /// A URL whose scheme is not http or https.
    #[error("{key}: `{text}`: only http and https URLs")]
    NotHttp { key: String, text: String },
    /// A regular expression that does not compile.
    #[error("{key}: bad pattern: {reason}")]
    Pattern { key: String, reason: String },
    /// A duration that does not parse (`90s`, `15m`, `1h`, `2d`).
    #[error("{key}: {reason}")]
    Duration { key: String, reason: String },
    /// A count or size of zero where at least one is needed.
    #[error("{key}: must be at least 1{unit}")]
    Zero { key: String, unit: &'static str },
    /// A key set on a source kind that does not use it.
    #[error("{key}: {kind} sources do not take this key")]
    NotForKind { key: String, kind: &'static str },
    /// Two entries of a list share a name or id that must be unique.
    #[error("{key}: two {what} have this {field}")]
    Duplicate {
        key: String,
        what: &'static str,
        field: &'static str,
    },
    /// Any other problem with a value, said in words.
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
}

impl KeyError {
    /// A problem said in words.
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> KeyError {
        KeyError::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }

    /// The dotted key the problem is at.
    pub fn key(&self) -> &str {
        match self {
            KeyError::NotAllowed { key, .. }
            | KeyError::NotUrl { key, .. }
            | KeyError::NotHttp { key, .. }
            | KeyError::Pattern { key, .. }
            | KeyError::Duration { key, .. }
            | KeyError::Zero { key, .. }
            | KeyError::NotForKind { key, .. }
            | KeyError::Duplicate { key, .. }
            | KeyError::Invalid { key, .. } => key,
        }
    }
}

/// A `value` outside the words in `expected`.
pub(crate) fn not_allowed(key: &str, value: &str, expected: &'static str) -> KeyError {
    KeyError::NotAllowed {
        key: key.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

/// An http or https URL.
pub(crate) fn http_url(key: &str, text: &str) -> Result<Url, KeyError> {
    let url = Url::parse(text).map_err(|e| KeyError::NotUrl {
        key: key.to_owned(),
        text: text.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(KeyError::NotHttp {
            key: key.to_owned(),
            text: text.to_owned(),
        });
    }
    Ok(url)
}

/// One regular expression.
pub(crate) fn pattern(key: &str, text: &str) -> Result<Regex, KeyError> {
    Regex::new(text).map_err(|e| KeyError::Pattern {
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

/// A list of regular expressions; a bad one is named by its index (`key[2]`).
pub(crate) fn patterns(key: &str, list: &[String]) -> Result<Vec<Regex>, KeyError> {
    list.iter()
        .enumerate()
        .map(|(i, p)| pattern(&format!("{key}[{i}]"), p))
        .collect()
}

/// An optional duration.
pub(crate) fn duration(key: &str, text: Option<&str>) -> Result<Option<Duration>, KeyError> {
    text.map(|t| {
        parse_duration(t).map_err(|reason| KeyError::Duration {
            key: key.to_owned(),
            reason,
        })
    })
    .transpose()
}

/// A count or size that must not be zero; `unit` follows the 1 in the message
/// (`""`, `" byte"`).
pub(crate) fn at_least_one<N: PartialEq + Default>(
    key: &str,
    n: N,
    unit: &'static str,
) -> Result<N, KeyError> {
    if n == N::default() {
        Err(KeyError::Zero {
            key: key.to_owned(),
            unit,
        })
    } else {
        Ok(n)
    }
}

/// A WHATWG encoding label (`utf-8`, `gbk`, `gb18030`, `big5`).
pub(crate) fn encoding_label(key: &str, label: Option<&str>) -> Result<(), KeyError> {
    match label {
        Some(label) if encoding_rs::Encoding::for_label(label.as_bytes()).is_none() => {
            Err(KeyError::invalid(
                key,
                format!("`{label}` is not an encoding label (examples: utf-8, gbk, gb18030, big5)"),
            ))
        }
        _ => Ok(()),
    }
}

/// Parses durations as people write them: `90s`, `15m`, `1h`, `2d`, `500ms`, or a bare
/// number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (examples: 90s, 15m, 1h, 2d)"))?;
    let secs = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (use ms, s, m, h or d)"
            ));
        }
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("`{text}` is not a duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}
