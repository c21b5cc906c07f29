//! The login page (`/login`, 登录), logout (`POST /logout`) and the audit log
//! (`/audit`, 审计日志, admins only).

use super::limits::Lock;
use super::session::{self, LOGIN_COOKIE, random_hex, same_secret, set_cookie};
use super::{AdminUser, CurrentUser, MaybeUser, SESSION_COOKIE, audit, password};
use crate::AppState;
use crate::view::{error_page, local_time, render, store_failed};
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use jujiao_store::LoginAttempt;
use minijinja::context;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;

/// Audit entries per page.
const AUDIT_PAGE: u32 = 100;

/// How long the login form's token lives (seconds).
const LOGIN_FORM_SECONDS: i64 = 3600;

/// Login attempts older than this are forgotten (well past any window).
const ATTEMPTS_KEPT: chrono::Duration = chrono::Duration::days(7);

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/audit", get(audit_page))
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Where to go after login: a path of this site only (no `//host`, no scheme).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

fn login_form(
    state: &AppState,
    status: StatusCode,
    next: &str,
    name: &str,
    message: Option<&str>,
) -> Response {
    let token = random_hex();
    let mut r = render(
        state,
        "login.html",
        context! { nav => "login", next, name, message, login_csrf => token.clone() },
    );
    *r.status_mut() = status;
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, &token, "/login", LOGIN_FORM_SECONDS),
    );
    r
}

async fn login_page(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    login_form(
        &state,
        StatusCode::OK,
        &safe_next(q.next.as_deref()),
        "",
        None,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

impl fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginForm")
            .field("name", &self.name)
            .field("password", &"****")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// The client's address, for the per-address limit (the TCP peer: a reverse proxy's
/// own address when there is one, which then limits everyone behind it together).
fn address(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

fn minutes_until(state: &AppState, until: chrono::DateTime<chrono::Utc>) -> i64 {
    let secs = (until - state.auth().clock.now()).num_seconds().max(1);
    (secs + 59) / 60
}

async fn login(State(state): State<AppState>, request: Request) -> Response {
    let address = address(&request);
    let headers: HeaderMap = request.headers().clone();
    let Ok(Form(form)) = Form::<LoginForm>::from_request(request, &state).await else {
        return login_form(
            &state,
            StatusCode::BAD_REQUEST,
            "/",
            "",
            Some("请填写用户名和密码。"),
        );
    };
    let next = safe_next(form.next.as_deref());
    let name = form.name.trim().to_owned();
    let expected = session::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(&form.csrf, expected) {
        tracing::warn!(address = %address, "login refused: stale or missing login form token");
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            &name,
            Some("登录页已过期或安全校验未通过，请重新输入后登录。"),
        );
    }
    let store = state.store();
    let limits = state.auth().limits;
    let now = state.auth().clock.now();
    let failures = match store
        .login_failures(&name, &address, limits.window_start(now))
        .await
    {
        Ok(f) => f,
        Err(e) => return store_failed(&state, &e),
    };
    if let Some(lock) = limits.lock(&failures, now) {
        let minutes = minutes_until(&state, lock.until());
        let message = match lock {
            Lock::Account { .. } => {
                format!("登录失败次数过多，账号“{name}”已暂时锁定，请 {minutes} 分钟后再试。")
            }
            Lock::Address { .. } => {
                format!("这台电脑所在地址登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。")
            }
        };
        tracing::warn!(user = %name, address = %address, "login refused: locked after repeated failures");
        return login_form(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &name,
            Some(&message),
        );
    }
    let user = match store.user_by_name(&name).await {
        Ok(u) => u,
        Err(e) => return store_failed(&state, &e),
    };
    let hash = user.as_ref().map_or_else(
        || password::decoy_hash().clone(),
        |u| u.password_hash.clone(),
    );
    let typed = form.password;
    let is_match = tokio::task::spawn_blocking(move || password::verify_password(&typed, &hash))
        .await
        .unwrap_or(false);
    let user = user.filter(|u| is_match && !u.is_disabled);
    let attempt = LoginAttempt {
        name: name.clone(),
        address: address.clone(),
        at: now,
        is_success: user.is_some(),
    };
    if let Err(e) = store.record_login_attempt(&attempt).await {
        return store_failed(&state, &e);
    }
    let Some(user) = user else {
        tracing::warn!(user = %name, address = %address, "login failed");
        let left = limits.per_account.saturating_sub(failures.account + 1);
        let message = if left == 0 {
            format!(
                "用户名或密码不对。账号“{name}”已暂时锁定，请 {} 分钟后再试。",
                limits.lockout.as_secs().div_ceil(60)
            )
        } else {
            format!("用户名或密码不对（再错 {left} 次将暂时锁定）。")
        };
        return login_form(
            &state,
            StatusCode::UNAUTHORIZED,
            &next,
            &name,
            Some(&message),
        );
    };
    // A new session id at every login (never the one the browser brought), and the
    // old session, if any, ended.
    if let Some(old) = session::session_key(&headers)
        && let Err(e) = store.end_session(&old).await
    {
        tracing::error!(error = %e, "cannot end the previous session");
    }
    let id = match session::start_session(&state, user.id).await {
        Ok(id) => id,
        Err(e) => return store_failed(&state, &e),
    };
    let idle = state.auth().session_idle;
    let lifetime = state.auth().session_lifetime;
    if let Err(e) = store
        .prune_sessions(
            now - chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::MAX),
            now - chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX),
            now - ATTEMPTS_KEPT,
        )
        .await
    {
        tracing::error!(error = %e, "cannot forget old sessions");
    }
    tracing::info!(user = %user.name, role = %user.role, address = %address, "signed in");
    let who = CurrentUser {
        id: Some(user.id),
        name: user.name.clone(),
        role: user.role,
    };
    audit(
        &state,
        &who,
        "login",
        &user.name,
        &format!("登录（地址 {address}）"),
    )
    .await;
    let max_age = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, id.expose(), "/", max_age),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_COOKIE, "", "/login", 0),
    );
    r
}

async fn logout(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let ended = match session::session_key(&headers) {
        Some(key) => state.store().end_session(&key).await,
        None => Ok(()),
    };
    if let Err(e) = ended {
        return store_failed(&state, &e);
    }
    if let Some(user) = user.filter(|u| u.id.is_some()) {
        tracing::info!(user = %user.name, "signed out");
        audit(&state, &user, "logout", &user.name, "退出登录").await;
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", "/", 0),
    );
    r
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    before: Option<i64>,
}

async fn audit_page(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Query(q): Query<AuditQuery>,
) -> Response {
    let records = match state.store().audit_log(AUDIT_PAGE, q.before).await {
        Ok(r) => r,
        Err(e) => return store_failed(&state, &e),
    };
    let older = (records.len() == AUDIT_PAGE as usize)
        .then(|| records.last().map(|r| r.id))
        .flatten();
    let entries: Vec<_> = records
        .iter()
        .map(|r| {
            context! {
                id => r.id, at => local_time(r.at), actor => r.entry.actor,
                action => r.entry.action, target => r.entry.target, detail => r.entry.detail,
            }
        })
        .collect();
    if entries.is_empty() && q.before.is_some() {
        return error_page(
            &state,
            StatusCode::NOT_FOUND,
            "没有更早的记录",
            "审计日志到此为止。",
        );
    }
    render(
        &state,
        "audit.html",
        context! { nav => "audit", entries, older },
    )
}
