//! Sessions and the [`layer`] middleware: who is asking, CSRF on every change, and
//! `public_read`. See the module docs of `auth` for the order of the checks.

use super::{CSRF_FIELD, CSRF_HEADER, CurrentUser, SESSION_COOKIE};
use crate::AppState;
use crate::view::error_page;
use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use jujiao_store::{NewSession, SessionKey, UserId};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::fmt;

/// Largest form body read for its CSRF field (the app's forms are small; JSON calls
/// send the header instead and are not read here).
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// A session is marked used at most this often (one write per minute, not per request).
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// The cookie of the login form's own CSRF token (there is no session yet).
pub(crate) const LOGIN_COOKIE: &str = "jujiao_login";

/// A session id as the browser holds it: 32 random bytes in hex. `Debug` shows `****`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SessionId(String);

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(****)")
    }
}

impl SessionId {
    pub(crate) fn generate() -> SessionId {
        SessionId(random_hex())
    }

    /// The key it is stored under.
    pub(crate) fn key(&self) -> SessionKey {
        key_of(&self.0)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

fn key_of(id: &str) -> SessionKey {
    SessionKey(hex(&Sha256::digest(id.as_bytes())))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// 32 random bytes in hex (a session id, a CSRF token).
pub(crate) fn random_hex() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex(&b)
}

/// Equal strings, compared without an early exit on the first difference.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Who the request is (set by [`layer`], read by the extractors).
#[derive(Clone)]
pub(crate) struct Identity {
    pub user: CurrentUser,
    /// The session's key and CSRF token; `None` for the admin token.
    pub session: Option<(SessionKey, String)>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("user", &self.user)
            .field("session", &self.session.is_some())
            .finish()
    }
}

/// What the templates of this request see (`current_user`, `csrf_token`).
#[derive(Clone, Default)]
pub(crate) struct PageAuth {
    pub user: Option<CurrentUser>,
    pub csrf: Option<String>,
}

impl fmt::Debug for PageAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageAuth")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

tokio::task_local! {
    pub(crate) static PAGE_AUTH: PageAuth;
}

impl PageAuth {
    /// The values for templates: `current_user` and `csrf_token`.
    pub(crate) fn context() -> minijinja::Value {
        let auth = PAGE_AUTH.try_with(Clone::clone).unwrap_or_default();
        let user = auth.user.map(|u| {
            minijinja::context! {
                name => u.name, role => u.role.as_str(), role_label => u.role.label(),
                can_edit => u.can_edit(), is_admin => u.is_admin(),
            }
        });
        minijinja::context! { current_user => user, csrf_token => auth.csrf }
    }
}

/// The value of a cookie in the request.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, `Secure` behind HTTPS.
pub(crate) fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = if state.auth().https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("cookie names and hex values are valid header text")
}

/// Starts a session for `user`: a new random id (never the one the browser had), its
/// CSRF token, stored by hash. Answers the id for the cookie.
pub(crate) async fn start_session(
    state: &AppState,
    user: UserId,
) -> Result<SessionId, jujiao_store::StoreError> {
    let now = state.auth().clock.now();
    let id = SessionId::generate();
    let lifetime =
        chrono::Duration::from_std(state.auth().session_lifetime).unwrap_or(chrono::Duration::MAX);
    state
        .store()
        .start_session(&NewSession {
            key: id.key(),
            user,
            csrf_token: random_hex(),
            created_at: now,
            expires_at: now + lifetime,
        })
        .await?;
    Ok(id)
}

/// The session's key from the request's cookie, if it has one.
pub(crate) fn session_key(headers: &HeaderMap) -> Option<SessionKey> {
    cookie(headers, SESSION_COOKIE)
        .filter(|v| !v.is_empty())
        .map(key_of)
}

/// The live session of a request, ending it if it has expired.
async fn load_session(state: &AppState, key: &SessionKey, now: DateTime<Utc>) -> Option<Identity> {
    let store = state.store();
    let session = match store.session(key).await {
        Ok(Some(s)) => s,
        Ok(None) => return None,
        Err(e) => {
            tracing::error!(error = %e, "cannot read a session");
            return None;
        }
    };
    let idle =
        chrono::Duration::from_std(state.auth().session_idle).unwrap_or(chrono::Duration::MAX);
    if session.user.is_disabled || now >= session.expires_at || now - session.last_seen_at >= idle {
        tracing::info!(user = %session.user.name, "session ended (expired or user disabled)");
        if let Err(e) = store.end_session(key).await {
            tracing::error!(error = %e, "cannot end an expired session");
        }
        return None;
    }
    if now - session.last_seen_at >= TOUCH_EVERY
        && let Err(e) = store.touch_session(key, now).await
    {
        tracing::error!(error = %e, "cannot mark a session used");
    }
    Some(Identity {
        user: CurrentUser {
            id: Some(session.user.id),
            name: session.user.name,
            role: session.user.role,
        },
        session: Some((session.key, session.csrf_token)),
    })
}

fn is_change(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Paths anyone may read even when `public_read` is off.
fn is_always_public(path: &str) -> bool {
    path == "/login" || path.starts_with("/assets/")
}

fn csrf_refused(state: &AppState, path: &str) -> Response {
    let message = "安全校验未通过（CSRF 令牌缺失或不对）：请刷新页面后重试。";
    if path.starts_with("/api/") {
        return (StatusCode::FORBIDDEN, Json(json!({ "error": message }))).into_response();
    }
    error_page(state, StatusCode::FORBIDDEN, "安全校验未通过", message)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Checks a change's CSRF token against the session's; gives the request back (with
/// its body, which a form check reads) or the refusal.
async fn check_csrf(
    state: &AppState,
    request: Request,
    expected: &str,
) -> Result<Request, Response> {
    let path = request.uri().path().to_owned();
    if let Some(given) = request.headers().get(CSRF_HEADER) {
        let ok = given.to_str().is_ok_and(|g| same_secret(g, expected));
        return if ok {
            Ok(request)
        } else {
            tracing::warn!(path = %path, "change refused: wrong CSRF header");
            Err(csrf_refused(state, &path))
        };
    }
    if !is_form(request.headers()) {
        tracing::warn!(path = %path, "change refused: no CSRF token");
        return Err(csrf_refused(state, &path));
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return Err(error_page(
            state,
            StatusCode::PAYLOAD_TOO_LARGE,
            "提交的内容太大",
            "表单内容超过了上限。",
        ));
    };
    let ok = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .is_some_and(|(_, v)| same_secret(&v, expected));
    if !ok {
        tracing::warn!(path = %path, "change refused: missing or wrong CSRF field");
        return Err(csrf_refused(state, &path));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The middleware on every route: identity, CSRF, `public_read`.
pub(crate) async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let now = state.auth().clock.now();
    let mut identity = match session_key(request.headers()) {
        Some(key) => load_session(&state, &key, now).await,
        None => None,
    };
    if identity.is_none() {
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let (Some(given), Some(token)) = (bearer, state.admin_token())
            && token.matches(given)
        {
            identity = Some(Identity {
                user: CurrentUser::admin_token(),
                session: None,
            });
        }
    }
    let path = request.uri().path().to_owned();
    let mut request = request;
    if is_change(request.method())
        && path != "/login"
        && let Some((_, expected)) = identity.as_ref().and_then(|i| i.session.as_ref())
    {
        request = match check_csrf(&state, request, &expected.clone()).await {
            Ok(r) => r,
            Err(refusal) => return refusal,
        };
    }
    if !state.auth().public_read
        && identity.is_none()
        && !is_change(request.method())
        && !is_always_public(&path)
    {
        let (parts, _) = request.into_parts();
        return super::login_required(&state, &parts);
    }
    let page = PageAuth {
        user: identity.as_ref().map(|i| i.user.clone()),
        csrf: identity
            .as_ref()
            .and_then(|i| i.session.as_ref())
            .map(|(_, csrf)| csrf.clone()),
    };
    if let Some(identity) = identity {
        request.extensions_mut().insert(identity);
    }
    PAGE_AUTH.scope(page, next.run(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_hex_and_do_not_print() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(format!("{a:?}"), "SessionId(****)");
        assert_ne!(a.key().0, a.expose());
        assert_eq!(a.key(), key_of(a.expose()));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; jujiao_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
