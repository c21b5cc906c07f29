//! The `[web]` table: settings of `jujiao serve`.
//!
//! `https` and `public_read` (see [`WebSettings`]), and `admin_token`: the token that state-changing requests ("立即运行" on
//! the sources page, `POST /api/sources/{id}/run`) must carry. It is a [`Secret`]:
//! `Debug` shows `****`, there is no `Display`, and no error message repeats it. The
//! same rule ([`check_admin_token`]) applies to the `JUJIAO_ADMIN_TOKEN` environment
//! variable, which overrides the file.

use crate::check::{KeyError, http_url};
use crate::raw::RawWeb;
use std::fmt;

/// Fewest characters an admin token may have: a short token is guessed quickly by
/// anyone who can reach the server.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 12;

/// A secret from the sources file. `Debug` prints `****`; read it with
/// [`expose`](Secret::expose) only where it is used.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret read from the file or the environment.
    pub(crate) fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The secret itself; never log or show it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// The validated `[web]` table.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// `web.admin_token`, checked with [`check_admin_token`]; `None` when not set.
    pub admin_token: Option<Secret>,
    /// `web.https`: the site is served over HTTPS (directly or behind a proxy), so the
    /// session cookie is marked `Secure`. Default false.
    pub https: bool,
    /// `web.public_read`: reading the briefing, articles, search, feeds and exports
    /// needs no login. Default [`DEFAULT_PUBLIC_READ`] (true, jujiao's behaviour before
    /// users existed); changes always need a signed-in editor or the admin token.
    pub public_read: bool,
    /// `web.base_url`: where readers reach the web app (alert messages link there),
    /// without a trailing `/`.
    pub base_url: Option<String>,
}

/// Whether reading needs no login unless `[web] public_read` says otherwise.
pub const DEFAULT_PUBLIC_READ: bool = true;

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            admin_token: None,
            https: false,
            public_read: DEFAULT_PUBLIC_READ,
            base_url: None,
        }
    }
}

/// Checks an admin token (from the file or the environment) and returns it without
/// surrounding white space. The message says what is wrong without repeating the token.
///
/// A token must be at least [`MIN_ADMIN_TOKEN_CHARS`] characters of printable ASCII
/// without spaces (letters, digits, punctuation): it travels in an
/// `Authorization: Bearer` header, which carries nothing else reliably.
pub fn check_admin_token(token: &str) -> Result<&str, String> {
    let token = token.trim();
    if token.is_empty() {
        return Err(format!(
            "is empty; set a token of at least {MIN_ADMIN_TOKEN_CHARS} characters, or remove \
             the key to turn \"run now\" off"
        ));
    }
    if let Some(c) = token.chars().find(|c| !c.is_ascii_graphic()) {
        let what = if c.is_whitespace() {
            "a space".to_owned()
        } else {
            format!("the character U+{:04X}", u32::from(c))
        };
        return Err(format!(
            "contains {what}; use only letters, digits and ASCII punctuation (it is sent in \
             an HTTP header)"
        ));
    }
    let n = token.chars().count();
    if n < MIN_ADMIN_TOKEN_CHARS {
        return Err(format!(
            "is too short ({n} characters); use at least {MIN_ADMIN_TOKEN_CHARS}, e.g. \
             20 random letters and digits"
        ));
    }
    Ok(token)
}

pub(crate) fn web(raw: &RawWeb) -> Result<WebSettings, KeyError> {
    let admin_token = match raw.admin_token.as_deref() {
        None => None,
        Some(t) => Some(Secret(
            check_admin_token(t)
                .map_err(|message| KeyError::invalid("web.admin_token", message))?
                .to_owned(),
        )),
    };
    let base_url = match raw.base_url.as_deref() {
        None => None,
        Some(u) => {
            http_url("web.base_url", u)?;
            Some(u.trim_end_matches('/').to_owned())
        }
    };
    Ok(WebSettings {
        admin_token,
        https: raw.https.unwrap_or(false),
        public_read: raw.public_read.unwrap_or(DEFAULT_PUBLIC_READ),
        base_url,
    })
}
