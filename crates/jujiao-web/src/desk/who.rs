//! Who is at the desk: the signed-in user's extractors and the audit log, from the
//! `auth` module. Until that module is merged this stands in for it with the admin token
//! (`Authorization: Bearer …`), the same names and shapes, so the desk's handlers do not
//! change when it arrives.

use crate::AppState;
use crate::security::{Access, check};
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::convert::Infallible;

/// A user allowed to act.
#[derive(Debug, Clone)]
pub(crate) struct CurrentUser {
    pub name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct EditorUser(pub CurrentUser);

#[derive(Debug, Clone)]
pub(crate) struct AdminUser(pub CurrentUser);

#[derive(Debug, Clone)]
pub(crate) struct MaybeUser(pub Option<CurrentUser>);

fn token_user(parts: &Parts, state: &AppState) -> Result<CurrentUser, Response> {
    match check(state.admin_token(), &parts.headers, None) {
        Access::Granted => Ok(CurrentUser {
            name: "管理令牌".to_owned(),
        }),
        Access::Denied => Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "请先登录（login required）" })),
        )
            .into_response()),
        Access::Disabled => {
            Err((StatusCode::FORBIDDEN, Json(json!({ "error": "权限不足" }))).into_response())
        }
    }
}

impl FromRequestParts<AppState> for EditorUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        token_user(parts, state).map(EditorUser)
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        token_user(parts, state).map(AdminUser)
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(MaybeUser(token_user(parts, state).ok()))
    }
}

/// Records a change (the auth module writes the audit log; here: the log).
pub(crate) async fn audit(
    _state: &AppState,
    who: &CurrentUser,
    action: &str,
    target: &str,
    detail: &str,
) {
    tracing::info!(actor = %who.name, action, target, detail, "briefing change");
}
