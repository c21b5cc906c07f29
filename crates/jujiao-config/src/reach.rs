//! How sources are reached and read as sites are today: host names pointed at other
//! addresses (`settings.resolve`, curl's `--resolve`), a source's own `User-Agent`, and
//! how links written by inline scripts are read (`script_links`).

use crate::check::{KeyError, pattern};
use crate::raw::RawScriptLinks;
use regex::Regex;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// How a source's list pages read links written by inline scripts.
#[derive(Debug, Clone, Default)]
pub enum ScriptLinks {
    /// `script_links = false`: scripts are not read.
    Off,
    /// `script_links = true` (the default): `document.write` lines and inline data
    /// arrays are read.
    #[default]
    Auto,
    /// `script_links = "<pattern>"`: as `Auto`, and each match of the pattern in an
    /// inline script is a link (named groups `url`, `title`, optional `date`).
    Pattern(Regex),
}

/// Parses one `HOST=ADDRESS:PORT` (or `HOST:PORT:ADDRESS`, curl's form) of a
/// `--resolve` option; the port of the URL still wins when the URL names one.
pub fn parse_resolve(text: &str) -> Result<(String, SocketAddr), String> {
    if let Some((host, addr)) = text.split_once('=') {
        return entry(host, addr);
    }
    // curl: HOST:PORT:ADDRESS
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(host), Some(port), Some(addr)) => {
            let addr = addr.trim_start_matches('[').trim_end_matches(']');
            entry(host, &format!("{}:{port}", bracket(addr)))
        }
        _ => Err(format!(
            "`{text}`: write HOST=ADDRESS:PORT (e.g. www.gov.cn=127.0.0.1:8080)"
        )),
    }
}

fn bracket(addr: &str) -> String {
    if addr.contains(':') {
        format!("[{addr}]")
    } else {
        addr.to_owned()
    }
}

fn entry(host: &str, addr: &str) -> Result<(String, SocketAddr), String> {
    let host = host.trim().to_ascii_lowercase();
    if host.is_empty() || host.contains(['/', ':', ' ']) {
        return Err(format!("`{host}` is not a host name"));
    }
    let addr: SocketAddr = addr
        .trim()
        .parse()
        .map_err(|_| format!("`{addr}` is not an address with a port (e.g. 127.0.0.1:8080)"))?;
    Ok((host, addr))
}

/// Reads a PEM certificate file (`settings.ca_certificates`, `--cacert`).
pub fn read_pem(key: &str, path: &str) -> Result<Vec<u8>, KeyError> {
    let bytes = std::fs::read(path)
        .map_err(|e| KeyError::invalid(key, format!("cannot read {path}: {e}")))?;
    if !String::from_utf8_lossy(&bytes).contains("-----BEGIN CERTIFICATE-----") {
        return Err(KeyError::invalid(
            key.to_owned(),
            format!("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
        ));
    }
    Ok(bytes)
}

/// Validates `settings.resolve`.
pub(crate) fn resolve(
    key: &str,
    raw: &BTreeMap<String, String>,
) -> Result<Vec<(String, SocketAddr)>, KeyError> {
    raw.iter()
        .map(|(host, addr)| {
            entry(host, addr).map_err(|m| KeyError::invalid(format!("{key}.\"{host}\""), m))
        })
        .collect()
}

/// Validates a source's `user_agent`: a header value, not empty.
pub(crate) fn user_agent(key: &str, raw: Option<String>) -> Result<Option<String>, KeyError> {
    match raw {
        Some(ua) if ua.trim().is_empty() || ua.chars().any(char::is_control) => {
            Err(KeyError::invalid(
                key.to_owned(),
                "must be a non-empty header value on one line",
            ))
        }
        other => Ok(other),
    }
}

/// Validates `script_links`.
pub(crate) fn script_links(
    key: &str,
    raw: Option<&RawScriptLinks>,
) -> Result<ScriptLinks, KeyError> {
    match raw {
        None | Some(RawScriptLinks::Switch(true)) => Ok(ScriptLinks::Auto),
        Some(RawScriptLinks::Switch(false)) => Ok(ScriptLinks::Off),
        Some(RawScriptLinks::Pattern(p)) => {
            let re = pattern(key, p)?;
            let names: Vec<&str> = re.capture_names().flatten().collect();
            if !(names.contains(&"url") && names.contains(&"title")) {
                return Err(KeyError::invalid(
                    key.to_owned(),
                    "the pattern needs named groups (?P<url>…) and (?P<title>…)",
                ));
            }
            Ok(ScriptLinks::Pattern(re))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_entries_parse_in_both_forms() {
        let (h, a) = parse_resolve("www.gov.cn=127.0.0.1:8080").expect("ours");
        assert_eq!(
            (h.as_str(), a.to_string().as_str()),
            ("www.gov.cn", "127.0.0.1:8080")
        );
        let (h, a) = parse_resolve("WWW.Gov.CN:443:127.0.0.2").expect("curl's");
        assert_eq!(
            (h.as_str(), a.to_string().as_str()),
            ("www.gov.cn", "127.0.0.2:443")
        );
        let (_, a) = parse_resolve("h.example:80:::1").expect("v6");
        assert_eq!(a.to_string(), "[::1]:80");
        for bad in [
            "www.gov.cn",
            "www.gov.cn=127.0.0.1",
            "=1.2.3.4:5",
            "a/b=1.2.3.4:5",
        ] {
            assert!(parse_resolve(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn script_link_patterns_need_url_and_title_groups() {
        let p = |s: &str| RawScriptLinks::Pattern(s.into());
        assert!(matches!(script_links("k", None), Ok(ScriptLinks::Auto)));
        assert!(matches!(
            script_links("k", Some(&RawScriptLinks::Switch(false))),
            Ok(ScriptLinks::Off)
        ));
        assert!(script_links("k", Some(&p("(?P<url>x)(?P<title>y)"))).is_ok());
        assert!(script_links("k", Some(&p("(?P<url>x)"))).is_err());
        assert!(script_links("k", Some(&p("(?P<url>x"))).is_err());
    }
}
