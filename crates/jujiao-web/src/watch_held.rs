//! Held alert messages on the web: messages whose outcome is unknown on a channel with
//! `unknown_outcome = "hold"` are never sent again on their own, so they must be
//! impossible to miss. Every page's header counts them beside 关注 ([`count_layer`]),
//! the 关注 page lists them first with their text, channel and send time
//! ([`held_rows`]), and a signed-in editor or admin resolves each: 已收到
//! (`POST /watch/held/received`: the group has it, its matches count as delivered) or
//! 重发 (`POST /watch/held/resend`: sent again, whole, marked as a possible repeat).
//! Like rule edits, these need an [`EditorUser`] with the session's CSRF token (checked
//! by the auth middleware) or the admin bearer token, and are written to the audit log.

use crate::AppState;
use crate::auth::{EditorUser, audit};
use crate::view::{error_page, local_time, store_failed};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use jujiao_store::{HeldMessage, HeldResolution};
use minijinja::context;
use serde::Deserialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/watch/held/received", post(received))
        .route("/watch/held/resend", post(resend))
}

tokio::task_local! {
    static HELD_COUNT: u64;
}

/// The number of held messages for this request's header (0 outside a page request).
pub(crate) fn held_count() -> u64 {
    HELD_COUNT.try_with(|n| *n).unwrap_or(0)
}

/// Counts the held messages once per page request (a read of the small `watch_held`
/// table, empty on a good day), for the header.
pub(crate) async fn count_layer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let is_page = request.method() == Method::GET
        && !["/assets/", "/api/", "/files/"]
            .iter()
            .any(|p| path.starts_with(p));
    if !is_page {
        return next.run(request).await;
    }
    let n = match state.store().held_messages().await {
        Ok(held) => held.len() as u64,
        Err(e) => {
            tracing::warn!(error = %e, "cannot count held alert messages");
            0
        }
    };
    HELD_COUNT.scope(n, next.run(request)).await
}

/// The held messages as the 关注 page shows them.
pub(crate) fn held_rows(held: &[HeldMessage]) -> Vec<minijinja::Value> {
    held.iter()
        .map(|h| {
            context! {
                id => h.id, channel => h.channel, title => h.title, text => h.text,
                sent => local_time(h.sent_at), held => local_time(h.held_at),
                reason => h.reason, deliveries => h.deliveries,
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct HeldForm {
    id: i64,
}

async fn received(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Form(form): Form<HeldForm>,
) -> Response {
    resolve(state, who, form.id, HeldResolution::Received).await
}

async fn resend(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Form(form): Form<HeldForm>,
) -> Response {
    resolve(state, who, form.id, HeldResolution::Resend).await
}

async fn resolve(
    state: AppState,
    who: crate::auth::CurrentUser,
    id: i64,
    resolution: HeldResolution,
) -> Response {
    let now = state.auth().clock.now();
    let held = match state
        .store()
        .resolve_held_message(id, resolution, now)
        .await
    {
        Ok(Some(h)) => h,
        Ok(None) => {
            return error_page(
                &state,
                StatusCode::NOT_FOUND,
                "没有这条待确认的消息",
                "这条消息不存在，或已由其他值班人员处理。",
            );
        }
        Err(e) => return store_failed(&state, &e),
    };
    let (action, done) = match resolution {
        HeldResolution::Received => (jujiao_watch::AUDIT_HELD_RECEIVED, "received"),
        HeldResolution::Resend => (jujiao_watch::AUDIT_HELD_RESEND, "resend"),
    };
    audit(
        &state,
        &who,
        action,
        &format!("watch message #{} ({})", held.id, held.channel),
        &format!("{} 条匹配；原因：{}", held.deliveries, held.reason),
    )
    .await;
    (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            format!("/watch?held={done}&held_id={}", held.id),
        )],
    )
        .into_response()
}
