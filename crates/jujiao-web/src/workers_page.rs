//! The workers page (`/workers`, "工作进程") and `GET /api/workers`: every `jujiao
//! worker` sharing this database with its heartbeat and what it is doing, and what the
//! shared work queue holds. Read-only; the workers write these rows themselves.

use crate::AppState;
use crate::view::{self, render, store_failed};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use jujiao_store::{QueueStats, WorkerState, WorkerStatus};
use minijinja::context;
use serde::Serialize;
use serde_json::json;

/// A running worker not heard from for this long is shown as lost (it was killed, or
/// its machine is gone); its leased items pass to others when their leases run out.
pub const LOST_AFTER: chrono::Duration = chrono::Duration::seconds(60);

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/workers", get(workers_page))
        .route("/api/workers", get(workers_api))
}

/// One worker as the page and the API show it.
#[derive(Debug, Serialize)]
pub(crate) struct WorkerRow {
    pub id: String,
    pub host_name: String,
    pub pid: u32,
    /// `running`, `stopping`, `stopped` or `lost`.
    pub state: &'static str,
    pub state_text: &'static str,
    pub state_class: &'static str,
    pub started: String,
    pub started_at: String,
    pub last_seen: String,
    pub last_seen_at: String,
    pub seconds_since_seen: i64,
    pub items_done: u64,
    pub articles_new: u64,
    pub errors: u64,
    pub current_item: Option<String>,
    pub last_error: Option<String>,
}

fn row(w: WorkerStatus, now: DateTime<Utc>) -> WorkerRow {
    let silent = now - w.last_seen;
    let (state, state_text, state_class) = match w.state {
        WorkerState::Stopped => ("stopped", "已停止", "none"),
        _ if silent > LOST_AFTER => ("lost", "失联", "bad"),
        WorkerState::Stopping => ("stopping", "正在停止", "warn"),
        _ => ("running", "运行中", "ok"),
    };
    WorkerRow {
        state,
        state_text,
        state_class,
        started: view::local_time(w.started_at),
        started_at: w.started_at.to_rfc3339(),
        last_seen: view::local_time(w.last_seen),
        last_seen_at: w.last_seen.to_rfc3339(),
        seconds_since_seen: silent.num_seconds().max(0),
        id: w.id,
        host_name: w.host_name,
        pid: w.pid,
        items_done: w.items_done,
        articles_new: w.articles_new,
        errors: w.errors,
        current_item: w.current_item,
        last_error: w.last_error,
    }
}

async fn load(state: &AppState) -> Result<(Vec<WorkerRow>, QueueStats), jujiao_store::StoreError> {
    let now = Utc::now();
    let workers = state.store().workers().await?;
    let queue = state.store().queue_stats().await?;
    Ok((workers.into_iter().map(|w| row(w, now)).collect(), queue))
}

async fn workers_page(State(state): State<AppState>) -> Response {
    let (workers, queue) = match load(&state).await {
        Ok(x) => x,
        Err(e) => return store_failed(&state, &e),
    };
    let active = workers
        .iter()
        .filter(|w| matches!(w.state, "running" | "stopping"))
        .count();
    render(
        &state,
        "workers.html",
        context! {
            nav => "workers",
            workers,
            active,
            queue => json!({
                "due": queue.due, "leased": queue.leased,
                "waiting": queue.waiting, "articles": queue.articles,
            }),
        },
    )
}

async fn workers_api(State(state): State<AppState>) -> Response {
    match load(&state).await {
        Ok((workers, q)) => Json(json!({
            "workers": workers,
            "queue": { "due": q.due, "leased": q.leased, "waiting": q.waiting, "articles": q.articles },
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "store query failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "store unavailable" })),
            )
                .into_response()
        }
    }
}
