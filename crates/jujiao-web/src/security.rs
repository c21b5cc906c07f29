//! Security headers on every response and the admin token for state-changing requests.
//!
//! The token comes from the sources file (`[web] admin_token`) or the environment
//! ([`ADMIN_TOKEN_ENV`], which overrides the file; [`AdminToken::resolve`]); both are
//! checked by the same rule (`jujiao_config::check_admin_token`). It is compared in
//! constant time (both sides hashed, then compared without early exit) and never shown
//! in pages, logs or `Debug` output.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use jujiao_config::{Secret, check_admin_token};
use sha2::{Digest, Sha256};
use std::fmt;

/// The environment variable holding the admin token.
pub const ADMIN_TOKEN_ENV: &str = "JUJIAO_ADMIN_TOKEN";

/// The Content-Security-Policy of every response: nothing from elsewhere at all (images
/// and attachments are served by jujiao from its stored copies, never hot-linked),
/// no inline script or style, no framing.
pub(crate) const CSP: &str = "default-src 'self'; img-src 'self' data:; \
    style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'self'";

/// The admin token. `Debug` hides it.
#[derive(Clone)]
pub struct AdminToken {
    digest: [u8; 32],
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(****)")
    }
}

impl AdminToken {
    /// A token; `None` when empty or blank (an empty token would let anyone in).
    pub fn new(token: &str) -> Option<AdminToken> {
        let token = token.trim();
        if token.is_empty() {
            return None;
        }
        Some(AdminToken {
            digest: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// The token `jujiao serve` uses and where it came from: `env` (the value of
    /// [`ADMIN_TOKEN_ENV`]) when set and not blank, else the sources file's
    /// `[web] admin_token` (already checked when the file was loaded). `None`: no token,
    /// state-changing requests are refused. A set environment value that breaks the
    /// rule of `jujiao_config::check_admin_token` (too short, spaces…) is an error,
    /// never silently ignored; the message does not repeat the token.
    pub fn resolve(
        env: Option<&str>,
        config: Option<&Secret>,
    ) -> Result<Option<(AdminToken, TokenOrigin)>, String> {
        if let Some(env) = env.filter(|t| !t.trim().is_empty()) {
            let token = check_admin_token(env)
                .map_err(|message| format!("environment variable {ADMIN_TOKEN_ENV} {message}"))?;
            return Ok(AdminToken::new(token).map(|t| (t, TokenOrigin::Environment)));
        }
        Ok(config
            .and_then(|s| AdminToken::new(s.expose()))
            .map(|t| (t, TokenOrigin::ConfigFile)))
    }

    /// True when `given` is the token. Constant time in the token's content: both are
    /// hashed to 32 bytes and every byte is compared.
    pub fn matches(&self, given: &str) -> bool {
        let given: [u8; 32] = Sha256::digest(given.trim().as_bytes()).into();
        let diff = self
            .digest
            .iter()
            .zip(given.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }
}

/// Where the admin token came from (logged at start; the token itself never is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOrigin {
    /// [`ADMIN_TOKEN_ENV`].
    Environment,
    /// `[web] admin_token` in the sources file.
    ConfigFile,
}

impl fmt::Display for TokenOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenOrigin::Environment => write!(f, "the environment variable {ADMIN_TOKEN_ENV}"),
            TokenOrigin::ConfigFile => f.write_str("[web] admin_token in the sources file"),
        }
    }
}

/// How a state-changing request fared against the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Granted,
    /// No token given or a wrong one: 401.
    Denied,
    /// The server has no token configured, so nobody may: 403.
    Disabled,
}

/// Checks a token given as `Authorization: Bearer …` or as a form field.
pub(crate) fn check(
    expected: Option<&AdminToken>,
    headers: &HeaderMap,
    form: Option<&str>,
) -> Access {
    let Some(expected) = expected else {
        return Access::Disabled;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer.or(form) {
        Some(given) if expected.matches(given) => Access::Granted,
        _ => Access::Denied,
    }
}

/// Adds the security headers to every response.
pub(crate) async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_themselves() {
        let t = AdminToken::new("s3cret-token").unwrap();
        assert!(t.matches("s3cret-token"));
        assert!(!t.matches("s3cret-tokem"));
        assert!(!t.matches(""));
        assert!(!t.matches("s3cret-token-longer"));
        assert!(AdminToken::new("  ").is_none());
        assert_eq!(format!("{t:?}"), "AdminToken(****)");
    }

    #[test]
    fn access_needs_a_configured_token() {
        let t = AdminToken::new("abc").unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(check(None, &h, Some("abc")), Access::Disabled);
        assert_eq!(check(Some(&t), &h, None), Access::Denied);
        assert_eq!(check(Some(&t), &h, Some("abd")), Access::Denied);
        assert_eq!(check(Some(&t), &h, Some("abc")), Access::Granted);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(check(Some(&t), &h, None), Access::Granted);
    }

    #[test]
    fn the_environment_overrides_the_config_file() {
        let file = jujiao_config::Config::parse(
            "[web]\nadmin_token = \"from-the-file-123\"\n",
            std::path::Path::new("jujiao.toml"),
        )
        .unwrap()
        .web
        .admin_token;
        let (t, origin) = AdminToken::resolve(None, file.as_ref()).unwrap().unwrap();
        assert_eq!(origin, TokenOrigin::ConfigFile);
        assert!(t.matches("from-the-file-123"));
        let (t, origin) = AdminToken::resolve(Some("from-the-env-4567"), file.as_ref())
            .unwrap()
            .unwrap();
        assert_eq!(origin, TokenOrigin::Environment);
        assert!(t.matches("from-the-env-4567"));
        assert!(!t.matches("from-the-file-123"));
        // A blank variable counts as unset.
        let (_, origin) = AdminToken::resolve(Some("  "), file.as_ref())
            .unwrap()
            .unwrap();
        assert_eq!(origin, TokenOrigin::ConfigFile);
        assert!(AdminToken::resolve(None, None).unwrap().is_none());
        let e = AdminToken::resolve(Some("abc"), file.as_ref()).unwrap_err();
        assert!(
            e.starts_with("environment variable JUJIAO_ADMIN_TOKEN is too short"),
            "{e}"
        );
        assert!(!e.contains("abc"), "{e}");
    }
}
