//! Per-source HTTP settings: extra headers and seed cookies.
//!
//! Each source gets its own `reqwest::Client` (and so its own cookie jar), built
//! lazily from the shared [`crate::FetcherConfig`] plus its [`SourceSettings`].
//! Header values and cookies may be secrets, so `Debug` shows names only.

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::error::FetchError;

/// Extra request settings for one source.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SourceSettings {
    /// Headers added to every request of the source (`name`, `value`).
    pub headers: Vec<(String, String)>,
    /// Cookies put in the source's jar before its first request: a `Set-Cookie`
    /// style string (`name=value; Path=/`) and the URL it is scoped to.
    pub cookies: Vec<(Url, String)>,
    /// Gap between request starts for this source's requests, replacing
    /// [`crate::Politeness::min_delay`] (a larger robots.txt `Crawl-delay` still wins).
    pub delay: Option<Duration>,
    /// Accept invalid TLS certificates (expired, self-signed, incomplete chain) for
    /// this source. Off by default; some small government sites need it, and the
    /// pages we read are public anyway. Never combine with secret cookies.
    pub accepts_invalid_certs: bool,
    /// The `User-Agent` of this source's requests, replacing
    /// [`crate::FetcherConfig::user_agent`] (sites that refuse anything but a browser).
    /// robots.txt is still matched with the fetcher's own agent name.
    pub user_agent: Option<String>,
}

impl fmt::Debug for SourceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let cookie_names: Vec<&str> = self
            .cookies
            .iter()
            .map(|(_, c)| c.split('=').next().unwrap_or_default())
            .collect();
        f.debug_struct("SourceSettings")
            .field("headers", &header_names)
            .field("cookies", &cookie_names)
            .field("delay", &self.delay)
            .field("accepts_invalid_certs", &self.accepts_invalid_certs)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl SourceSettings {
    /// The headers as a validated map; a bad name or value fails here, at
    /// registration, not in the middle of a crawl.
    pub(crate) fn header_map(&self, source_id: &str) -> Result<HeaderMap, FetchError> {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            let bad = |what: &str| FetchError::Client {
                source_id: Some(source_id.to_owned()),
                source: format!("invalid header {what} for {name:?}").into(),
            };
            let name = HeaderName::try_from(name.as_str()).map_err(|_| bad("name"))?;
            let mut value = HeaderValue::try_from(value.as_str()).map_err(|_| bad("value"))?;
            value.set_sensitive(true);
            map.append(name, value);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_values() {
        let settings = SourceSettings {
            headers: vec![("Authorization".into(), "Bearer s3cret".into())],
            cookies: vec![(
                Url::parse("http://h.example/").expect("url"),
                "session=t0ken; Path=/".into(),
            )],
            delay: None,
            accepts_invalid_certs: false,
            user_agent: None,
        };
        let shown = format!("{settings:?}");
        assert!(shown.contains("Authorization") && shown.contains("session"));
        assert!(
            !shown.contains("s3cret") && !shown.contains("t0ken"),
            "{shown}"
        );
    }

    #[test]
    fn bad_headers_fail_at_registration() {
        let settings = SourceSettings {
            headers: vec![("bad header".into(), "x".into())],
            cookies: Vec::new(),
            delay: None,
            accepts_invalid_certs: false,
            user_agent: None,
        };
        assert!(matches!(
            settings.header_map("s1"),
            Err(FetchError::Client { .. })
        ));
    }
}
