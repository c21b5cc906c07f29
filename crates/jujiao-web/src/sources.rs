//! The sources page (`/sources`): each configured source with its last run, next run
//! and health, and the "run now" action (`POST /sources/{id}/run`: a signed-in editor
//! with the CSRF token, or the admin token).

use crate::AppState;
use crate::auth::{self, CurrentUser, MaybeUser, Role};
use crate::scheduler::TriggerOutcome;
use crate::security::{self, Access};
use crate::view::{self, error_page, render, store_failed};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jujiao_store::Run;
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sources", get(sources_page))
        .route("/sources/{id}/run", post(run_now))
}

/// One source's row, shared with the JSON API.
#[derive(Debug, Serialize)]
pub(crate) struct SourceRow {
    pub id: String,
    pub name: String,
    pub column: String,
    /// The interval in words (`1 小时`).
    pub interval: String,
    pub interval_secs: u64,
    pub last_run: Option<String>,
    pub last_run_at: Option<String>,
    pub unfinished: bool,
    pub has_summary: bool,
    pub new: u64,
    pub updated: u64,
    pub errors: u64,
    pub verdict: String,
    pub verdict_code: Option<String>,
    pub verdict_class: &'static str,
    pub samples: Vec<String>,
    pub running: bool,
    pub next_run: Option<String>,
    pub next_run_at: Option<String>,
    pub failures: u32,
}

fn interval_words(d: Duration) -> String {
    let s = d.as_secs();
    if s > 0 && s.is_multiple_of(86_400) {
        format!("{} 天", s / 86_400)
    } else if s > 0 && s.is_multiple_of(3600) {
        format!("{} 小时", s / 3600)
    } else if s > 0 && s.is_multiple_of(60) {
        format!("{} 分钟", s / 60)
    } else {
        format!("{s} 秒")
    }
}

/// Rows for every configured source, in configuration order.
pub(crate) async fn rows(state: &AppState) -> Result<Vec<SourceRow>, jujiao_store::StoreError> {
    let runs: Vec<Run> = state.store().last_runs().await?;
    Ok(state
        .sources()
        .iter()
        .map(|s| {
            let run = runs.iter().find(|r| r.source_id == s.id);
            let summary = run.and_then(|r| r.summary.as_ref());
            let (verdict, verdict_class) = match (run, summary) {
                (None, _) => ("尚未运行".to_owned(), "none"),
                (Some(_), None) => ("运行未完成".to_owned(), "warn"),
                (Some(_), Some(sum)) => view::verdict_text(&sum.verdict),
            };
            let status = state.scheduler().and_then(|h| h.status(&s.id));
            SourceRow {
                id: s.id.clone(),
                name: s.name.clone(),
                column: s.column.clone(),
                interval: interval_words(s.interval),
                interval_secs: s.interval.as_secs(),
                last_run: run.map(|r| view::local_time(r.started_at)),
                last_run_at: run.map(|r| r.started_at.to_rfc3339()),
                unfinished: run.is_some_and(|r| r.finished_at.is_none()),
                has_summary: summary.is_some(),
                new: summary.map_or(0, |x| x.new),
                updated: summary.map_or(0, |x| x.updated),
                errors: summary.map_or(0, |x| x.errors),
                verdict,
                verdict_code: summary.map(|x| x.verdict.clone()),
                verdict_class,
                samples: summary.map(|x| x.error_samples.clone()).unwrap_or_default(),
                running: status.as_ref().is_some_and(|st| st.is_running),
                next_run: status
                    .as_ref()
                    .and_then(|st| st.next_run)
                    .map(view::local_time),
                next_run_at: status
                    .as_ref()
                    .and_then(|st| st.next_run)
                    .map(|t| t.to_rfc3339()),
                failures: status.as_ref().map_or(0, |st| st.failures),
            }
        })
        .collect())
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    queued: Option<String>,
}

async fn sources_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<PageQuery>,
) -> Response {
    let sources = match rows(&state).await {
        Ok(r) => r,
        Err(e) => return store_failed(&state, &e),
    };
    let message = q
        .queued
        .and_then(|id| state.sources().iter().find(|s| s.id == id).cloned())
        .map(|s| format!("已安排“{}”立即运行，稍后刷新本页查看结果。", s.name));
    // A signed-in editor runs with the session (and its CSRF token); others may still
    // use the admin token's form field when the server has one.
    let is_editor = user.as_ref().is_some_and(CurrentUser::can_edit);
    let can_run = state.scheduler().is_some() && (is_editor || state.admin_token().is_some());
    render(
        &state,
        "sources.html",
        context! { nav => "sources", sources, message, can_run, is_editor },
    )
}

#[derive(Debug, Deserialize)]
struct RunForm {
    token: Option<String>,
}

/// The outcome of a "run now" request, shared with the API.
pub(crate) enum RunNow {
    Queued,
    /// A signed-in user below editor.
    Forbidden(String),
    AlreadyRunning,
    Unknown,
    NoScheduler,
    Denied,
    Disabled,
}

/// "Run now" for a signed-in editor or admin (CSRF already checked by `auth::layer`),
/// else for the admin token (bearer header, or the form's `token` field); written to
/// the audit log when queued.
pub(crate) async fn request_run(
    state: &AppState,
    id: &str,
    user: Option<CurrentUser>,
    headers: &HeaderMap,
    token: Option<&str>,
) -> RunNow {
    let who = match user {
        Some(u) if u.can_edit() => u,
        Some(u) => return RunNow::Forbidden(auth::forbidden_message(&u, Role::Editor)),
        None => match security::check(state.admin_token(), headers, token) {
            Access::Disabled => return RunNow::Disabled,
            Access::Denied => return RunNow::Denied,
            Access::Granted => CurrentUser::admin_token(),
        },
    };
    let Some(scheduler) = state.scheduler() else {
        return RunNow::NoScheduler;
    };
    match scheduler.trigger(id) {
        TriggerOutcome::Queued => {
            auth::audit(state, &who, "source.run", id, "立即运行").await;
            RunNow::Queued
        }
        TriggerOutcome::AlreadyRunning => RunNow::AlreadyRunning,
        TriggerOutcome::UnknownSource => RunNow::Unknown,
    }
}

async fn run_now(
    State(state): State<AppState>,
    Path(id): Path<String>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    form: Result<Form<RunForm>, FormRejection>,
) -> Response {
    // A request without a form body (an API client with a bearer token) is still
    // checked for its token first: no body is a refusal, not a 415.
    let token = form.ok().and_then(|Form(f)| f.token);
    match request_run(&state, &id, user, &headers, token.as_deref()).await {
        RunNow::Queued => (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/sources?queued={}", view::enc(&id)),
            )],
        )
            .into_response(),
        RunNow::Forbidden(message) => {
            error_page(&state, StatusCode::FORBIDDEN, "权限不足", &message)
        }
        RunNow::AlreadyRunning => error_page(
            &state,
            StatusCode::CONFLICT,
            "该来源正在运行",
            "这个来源正在采集中，请等它结束后再试。",
        ),
        RunNow::Unknown => error_page(
            &state,
            StatusCode::NOT_FOUND,
            "没有这个来源",
            "配置中没有这个来源。",
        ),
        RunNow::NoScheduler => error_page(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            "调度未启用",
            "本服务器没有启用定时采集，无法立即运行。",
        ),
        RunNow::Denied => error_page(
            &state,
            StatusCode::UNAUTHORIZED,
            "管理令牌不对",
            "请登录（编辑或管理员），或填写正确的管理令牌后再试。",
        ),
        RunNow::Disabled => error_page(
            &state,
            StatusCode::FORBIDDEN,
            "未设置管理令牌",
            "服务器没有设置管理令牌（配置文件中的 [web] admin_token，或环境变量 JUJIAO_ADMIN_TOKEN），因此不能从网页运行来源。",
        ),
    }
}
