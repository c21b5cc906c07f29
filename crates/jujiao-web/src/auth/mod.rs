//! People, roles, sessions, CSRF and the audit log of the web app.
//!
//! How a request is treated (the [`layer`] middleware, on every route):
//! 1. The session cookie ([`SESSION_COOKIE`]) is looked up by the SHA-256 of its value;
//!    a session past its absolute end, unused for longer than the idle limit, or of a
//!    disabled user is ended and ignored. Otherwise `Authorization: Bearer <admin token>`
//!    (scripts) makes the request an admin's, named [`ADMIN_TOKEN_ACTOR`].
//! 2. A state-changing request (POST, PUT, PATCH, DELETE) signed in through a session
//!    must carry the session's CSRF token — the form field [`CSRF_FIELD`] or the header
//!    [`CSRF_HEADER`] — or it is refused with 403 before any handler runs. The bearer
//!    token needs none (a browser never sends it by itself). `POST /login` checks its
//!    own token (a cookie set with the login page).
//! 3. With `[web] public_read = false`, reading anything but the login page and the
//!    stylesheet needs a signed-in user (pages redirect to `/login`, the API says 401).
//! 4. Handlers take the user with an extractor: [`CurrentUser`] (any signed-in user),
//!    [`EditorUser`] / [`AdminUser`] (403 with a Chinese message for a lower role),
//!    [`MaybeUser`] (never refuses). Changes are written to the audit log with [`audit`].
//!
//! Templates rendered with `view::render` get `current_user` (`name`, `role`,
//! `role_label`, `can_edit`, `is_admin`, or none) and `csrf_token` (the hidden field's
//! value; also in `<meta name="csrf-token">` of `base.html` for scripts).
//!
//! Never logged or shown: passwords, session ids (only their hash is stored), CSRF
//! tokens, the admin token. Their types print `****` in `Debug`.

mod limits;
mod pages;
mod password;
mod session;

pub use jujiao_store::{Role, UserId};
pub use limits::LoginLimits;
pub(crate) use pages::routes;
pub use password::{
    MAX_NAME_CHARS, MIN_PASSWORD_CHARS, check_password, check_user_name, hash_password,
    verify_password,
};
pub(crate) use session::{PageAuth, layer};

use crate::AppState;
use crate::view::error_page;
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use jujiao_store::AuditEntry;
use serde_json::json;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "jujiao_session";

/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The header carrying the CSRF token (JSON API calls from the app's own pages).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who the admin token acts as, in the audit log.
pub const ADMIN_TOKEN_ACTOR: &str = "管理令牌";

/// A session ends when unused this long.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(2 * 3600);

/// A session ends this long after login, however busy (a working day).
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The time as the auth rules see it; tests move a [`ManualClock`].
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told (tests of expiry and lockouts).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(start))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut t = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *t += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How sign-in works on this server (`AppStateBuilder::auth`).
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// `[web] public_read`: reading needs no login.
    pub public_read: bool,
    /// `[web] https`: the session cookie is `Secure`.
    pub https: bool,
    /// A session ends when unused this long ([`DEFAULT_SESSION_IDLE`]).
    pub session_idle: Duration,
    /// A session ends this long after login ([`DEFAULT_SESSION_LIFETIME`]).
    pub session_lifetime: Duration,
    /// Failed logins allowed before a lock.
    pub limits: LoginLimits,
    pub clock: Arc<dyn Clock>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            public_read: jujiao_config::DEFAULT_PUBLIC_READ,
            https: false,
            session_idle: DEFAULT_SESSION_IDLE,
            session_lifetime: DEFAULT_SESSION_LIFETIME,
            limits: LoginLimits::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl AuthSettings {
    /// The settings of a sources file's `[web]` table.
    pub fn from_config(web: &jujiao_config::WebSettings) -> AuthSettings {
        AuthSettings {
            public_read: web.public_read,
            https: web.https,
            ..AuthSettings::default()
        }
    }
}

/// The signed-in user of a request: a stored user through a session, or the admin
/// token (`id` `None`, `name` [`ADMIN_TOKEN_ACTOR`], role admin).
///
/// As an extractor it refuses a request without one: a page GET is redirected to
/// `/login?next=…`, anything else answers 401 (JSON under `/api/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: Option<UserId>,
    pub name: String,
    pub role: Role,
}

impl CurrentUser {
    /// The admin token's identity.
    pub fn admin_token() -> CurrentUser {
        CurrentUser {
            id: None,
            name: ADMIN_TOKEN_ACTOR.to_owned(),
            role: Role::Admin,
        }
    }

    /// Editors and admins may change things.
    pub fn can_edit(&self) -> bool {
        self.role >= Role::Editor
    }

    pub fn is_admin(&self) -> bool {
        self.role >= Role::Admin
    }

    /// An audit entry for something this user did.
    pub fn audit_entry(&self, action: &str, target: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            user: self.id,
            actor: self.name.clone(),
            action: action.to_owned(),
            target: target.to_owned(),
            detail: detail.to_owned(),
        }
    }
}

/// The signed-in user, if any; never refuses.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

/// A signed-in editor or admin; a viewer gets 403 "权限不足".
#[derive(Debug, Clone)]
pub struct EditorUser(pub CurrentUser);

/// A signed-in admin; others get 403 "权限不足".
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

fn is_api(parts: &Parts) -> bool {
    parts.uri.path().starts_with("/api/")
}

/// The answer to a request that needs a login it does not have.
pub(crate) fn login_required(state: &AppState, parts: &Parts) -> Response {
    if is_api(parts) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "请先登录（login required）" })),
        )
            .into_response();
    }
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let next = parts
            .uri
            .path_and_query()
            .map_or("/", axum::http::uri::PathAndQuery::as_str);
        return (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/login?next={}", crate::view::enc(next)),
            )],
        )
            .into_response();
    }
    error_page(
        state,
        StatusCode::UNAUTHORIZED,
        "请先登录",
        "这个操作需要先登录。请登录后再试。",
    )
}

/// Why a user whose role is too low is refused, in Chinese.
pub fn forbidden_message(user: &CurrentUser, needed: Role) -> String {
    format!(
        "权限不足：此操作需要{}权限，您（{}）的角色是“{}”。如需权限请联系管理员。",
        if needed == Role::Admin {
            "管理员"
        } else {
            "编辑或管理员"
        },
        user.name,
        user.role.label()
    )
}

/// The answer to a user whose role is too low.
pub(crate) fn forbidden(
    state: &AppState,
    parts: &Parts,
    user: &CurrentUser,
    needed: Role,
) -> Response {
    let message = forbidden_message(user, needed);
    if is_api(parts) {
        return (StatusCode::FORBIDDEN, Json(json!({ "error": message }))).into_response();
    }
    error_page(state, StatusCode::FORBIDDEN, "权限不足", &message)
}

fn user_of(parts: &Parts) -> Option<CurrentUser> {
    parts
        .extensions
        .get::<session::Identity>()
        .map(|i| i.user.clone())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        user_of(parts).ok_or_else(|| login_required(state, parts))
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Infallible> {
        Ok(MaybeUser(user_of(parts)))
    }
}

impl FromRequestParts<AppState> for EditorUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let user = user_of(parts).ok_or_else(|| login_required(state, parts))?;
        if user.can_edit() {
            Ok(EditorUser(user))
        } else {
            Err(forbidden(state, parts, &user, Role::Editor))
        }
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let user = user_of(parts).ok_or_else(|| login_required(state, parts))?;
        if user.is_admin() {
            Ok(AdminUser(user))
        } else {
            Err(forbidden(state, parts, &user, Role::Admin))
        }
    }
}

/// Writes `who` did `action` to `target` (what changed: `detail`) to the audit log,
/// timed by the auth clock. A failure is logged, not returned: the change itself has
/// already happened and is not undone because its record could not be written.
pub async fn audit(state: &AppState, who: &CurrentUser, action: &str, target: &str, detail: &str) {
    let entry = who.audit_entry(action, target, detail);
    let at = state.auth().clock.now();
    if let Err(e) = state.store().record_audit(&entry, at).await {
        tracing::error!(action, target, error = %e, "cannot write the audit log");
    }
}
