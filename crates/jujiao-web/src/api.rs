//! The JSON API under `/api/` (documented in `API.md` beside `Cargo.toml`).

use crate::AppState;
use crate::auth::MaybeUser;
use crate::briefing::{day_param, filings_between};
use crate::search_page::SearchParams;
use crate::sources::{RunNow, request_run, rows};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jujiao_store::ArticleId;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Runs listed by `/api/runs` unless `limit` says otherwise (at most this many too).
const RUNS_LIMIT: u32 = 50;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/articles", get(articles))
        .route("/api/articles/{id}", get(article))
        .route("/api/search", get(search))
        .route("/api/sources", get(sources))
        .route("/api/sources/{id}/run", post(run_now))
        .route("/api/runs", get(runs))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn store_error(e: &jujiao_store::StoreError) -> Response {
    tracing::error!(error = %e, "store query failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, "database unavailable")
}

#[derive(Debug, Deserialize)]
struct ArticlesQuery {
    date: Option<String>,
    column: Option<String>,
}

#[derive(Debug, Serialize)]
struct ArticleSummary {
    id: i64,
    filing_id: i64,
    column: String,
    date: Option<String>,
    title: String,
    source: String,
    url: String,
    published: Option<String>,
    revision: u32,
}

async fn articles(State(state): State<AppState>, Query(q): Query<ArticlesQuery>) -> Response {
    let Ok(date) = day_param(q.date.as_deref()) else {
        return error(StatusCode::BAD_REQUEST, "date must be YYYY-MM-DD");
    };
    let column = q.column.filter(|c| !c.trim().is_empty());
    let mut filed =
        match filings_between(state.store(), Some(date), Some(date), column.clone()).await {
            Ok(f) => f,
            Err(e) => return store_error(&e),
        };
    crate::view::column_order().sort(&mut filed);
    let list: Vec<ArticleSummary> = filed
        .iter()
        .map(|f| ArticleSummary {
            id: f.article_id.0,
            filing_id: f.filing_id.0,
            column: f.filing.column.clone(),
            date: f.filing.date.map(|d| d.to_string()),
            title: f.article.title.clone(),
            source: f.article.source.clone(),
            url: f.article.url.clone(),
            published: f.article.published.map(|p| p.to_iso()),
            revision: f.revision,
        })
        .collect();
    Json(json!({ "date": date.to_string(), "column": column, "articles": list })).into_response()
}

async fn article(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>().map(ArticleId) else {
        return error(StatusCode::NOT_FOUND, "no such article");
    };
    let store = state.store();
    let stored = match store.article(id).await {
        Ok(Some(a)) => a,
        Ok(None) => return error(StatusCode::NOT_FOUND, "no such article"),
        Err(e) => return store_error(&e),
    };
    let (revisions, sources) = match (store.revisions(id).await, store.sources_of(id).await) {
        (Ok(r), Ok(s)) => (r, s),
        (Err(e), _) | (_, Err(e)) => return store_error(&e),
    };
    let filings: Vec<_> = stored
        .filings
        .iter()
        .map(|f| json!({ "filing_id": f.id.0, "column": f.filing.column, "date": f.filing.date }))
        .collect();
    let sources: Vec<_> = sources
        .iter()
        .map(|s| json!({ "source": s.source, "url": s.url, "kind": s.kind.as_str(), "first_seen": s.first_seen }))
        .collect();
    let revisions: Vec<_> = revisions
        .iter()
        .map(|r| json!({ "revision": r.revision, "stored_at": r.stored_at, "title": r.article.title }))
        .collect();
    Json(json!({
        "id": stored.id.0,
        "revision": stored.revision,
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
        "article": stored.article,
        "body": stored.article.body(),
        "filings": filings,
        "sources": sources,
        "revisions": revisions,
    }))
    .into_response()
}

async fn search(State(state): State<AppState>, Query(p): Query<SearchParams>) -> Response {
    let Some(indexer) = state.indexer() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "search is not enabled on this server",
        );
    };
    let Ok(query) = p.to_query(crate::search_page::PAGE_SIZE) else {
        return error(StatusCode::BAD_REQUEST, "bad search parameters");
    };
    match indexer.search(query).await {
        Ok(r) => {
            let hits: Vec<_> = r
                .hits
                .iter()
                .map(|h| {
                    json!({
                        "article_id": h.article_id, "title": h.title,
                        "title_marks": jujiao_search::char_ranges(&h.title, &h.title_marks),
                        "title_html": jujiao_search::marked_html(&h.title, &h.title_marks),
                        "snippet": h.snippet,
                        "snippet_marks": jujiao_search::char_ranges(&h.snippet, &h.snippet_marks),
                        "snippet_html": jujiao_search::marked_html(&h.snippet, &h.snippet_marks),
                        "column": h.column, "source": h.source,
                        "date": h.date, "url": h.url, "score": h.score,
                    })
                })
                .collect();
            Json(json!({ "total": r.total, "hits": hits })).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "search failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "search failed")
        }
    }
}

async fn sources(State(state): State<AppState>) -> Response {
    match rows(&state).await {
        Ok(r) => Json(json!({ "sources": r })).into_response(),
        Err(e) => store_error(&e),
    }
}

async fn run_now(
    State(state): State<AppState>,
    Path(id): Path<String>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    match request_run(&state, &id, user, &headers, None).await {
        RunNow::Queued => (StatusCode::ACCEPTED, Json(json!({ "queued": id }))).into_response(),
        RunNow::Forbidden(message) => error(StatusCode::FORBIDDEN, &message),
        RunNow::AlreadyRunning => error(StatusCode::CONFLICT, "the source is running"),
        RunNow::Unknown => error(StatusCode::NOT_FOUND, "no such source"),
        RunNow::NoScheduler => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the scheduler is not running",
        ),
        RunNow::Denied => error(StatusCode::UNAUTHORIZED, "a valid admin token is required"),
        RunNow::Disabled => error(
            StatusCode::FORBIDDEN,
            "no admin token is configured on the server",
        ),
    }
}

#[derive(Debug, Deserialize)]
struct RunsQuery {
    source: Option<String>,
    limit: Option<u32>,
}

async fn runs(State(state): State<AppState>, Query(q): Query<RunsQuery>) -> Response {
    let Some(source) = q.source.filter(|s| !s.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "the source parameter is required");
    };
    if !state.sources().iter().any(|s| s.id == source) {
        return error(StatusCode::NOT_FOUND, "no such source");
    }
    let limit = q.limit.unwrap_or(RUNS_LIMIT).clamp(1, RUNS_LIMIT);
    match state.store().recent_runs(&source, limit).await {
        Ok(runs) => {
            let list: Vec<_> = runs
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id.0, "source": r.source_id, "started_at": r.started_at,
                        "finished_at": r.finished_at,
                        "summary": r.summary.as_ref().map(|s| json!({
                            "list_pages": s.list_pages, "article_pages": s.article_pages,
                            "new": s.new, "updated": s.updated, "unchanged": s.unchanged,
                            "duplicates": s.duplicates, "errors": s.errors,
                            "error_samples": s.error_samples, "verdict": s.verdict,
                        })),
                    })
                })
                .collect();
            Json(json!({ "source": source, "runs": list })).into_response()
        }
        Err(e) => store_error(&e),
    }
}
