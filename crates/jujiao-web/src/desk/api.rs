//! The briefing JSON API under `/api/briefing/` (see `API.md`): series, issues and their
//! items. Reading follows the app's read rule; changing needs an editor (series: an
//! admin), carries the CSRF token like every change, and is written to the audit log.
//! Every change to a draft names the `version` it was read at: an older one is answered
//! 409 with who saved since; any change to an issued issue is 409 ([`FROZEN_MESSAGE`]).

// The helpers answer a ready response as their error (axum's way for handlers); its
// size does not matter on this path.
#![allow(clippy::result_large_err)]

use super::who::{AdminUser, EditorUser, audit};
use super::{
    FROZEN_MESSAGE, MAX_ITEMS, MAX_TEXT_CHARS, MAX_TITLE_CHARS, Missing, articles_of, compose_now,
    conflict_message, load, text_of,
};
use crate::AppState;
use crate::briefing::filings_between;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::NaiveDate;
use jujiao_model::{IssueKind, ItemMode, SeriesSettings};
use jujiao_store::{
    ArticleId, Draft, DraftItem, Issue, IssueId, IssueOutcome, IssueQuery, IssueStatus,
    SaveOutcome, Series, SeriesId,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefing/series", get(series_list))
        .route("/api/briefing/series/{id}", put(series_update))
        .route("/api/briefing/issues", get(issues).post(create))
        .route(
            "/api/briefing/issues/{id}",
            get(read).put(save).delete(delete),
        )
        .route("/api/briefing/issues/{id}/text", get(text))
        .route("/api/briefing/issues/{id}/candidates", get(candidates))
        .route("/api/briefing/issues/{id}/items", post(add_item))
        .route(
            "/api/briefing/issues/{id}/items/{index}",
            axum::routing::patch(edit_item).delete(remove_item),
        )
        .route(
            "/api/briefing/issues/{id}/items/{index}/move",
            post(move_item),
        )
        .route("/api/briefing/issues/{id}/columns", put(set_columns))
        .route("/api/briefing/issues/{id}/issue", post(issue))
        .route("/api/briefing/issues/{id}/correction", post(correction))
}

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn store_error(e: &jujiao_store::StoreError) -> Response {
    tracing::error!(error = %e, "store query failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "数据库暂时无法访问（database unavailable）",
    )
}

fn missing(m: Missing) -> Response {
    match m {
        Missing::Issue => error(StatusCode::NOT_FOUND, "没有这一期（no such issue）"),
        Missing::Series => error(StatusCode::NOT_FOUND, "没有这个简报系列（no such series）"),
        Missing::Store(e) => store_error(&e),
    }
}

fn parse_id(id: &str) -> Option<IssueId> {
    id.parse().ok().map(IssueId)
}

/// An issue as the API shows it.
pub(super) fn issue_json(issue: &Issue, series: &Series) -> Value {
    json!({
        "id": issue.id,
        "series": { "id": series.id, "name": series.settings.name },
        "status": issue.status,
        "kind": issue.draft.kind,
        "date": issue.draft.date,
        "columns": issue.draft.columns,
        "items": issue.draft.items,
        "send_to": issue.draft.send_to,
        "copy_to": issue.draft.copy_to,
        "copies": issue.draft.copies,
        "version": issue.version,
        "created_by": issue.created_by,
        "created_at": issue.created_at,
        "updated_by": issue.updated_by,
        "updated_at": issue.updated_at,
        "corrects": issue.corrects,
        "number": issue.issued.as_ref().map(|i| i.number),
        "correction": issue.issued.as_ref().map(|i| i.correction),
        "label": issue.issued.as_ref().map(|i| i.text.number_label()),
        "issued_by": issue.issued.as_ref().map(|i| &i.by),
        "issued_at": issue.issued.as_ref().map(|i| i.at),
    })
}

async fn series_list(State(state): State<AppState>) -> Response {
    match state.store().series_list().await {
        Ok(list) => Json(json!({ "series": list })).into_response(),
        Err(e) => store_error(&e),
    }
}

/// Checks a series from a form or the API; the message names the field.
pub(super) fn check_series(s: &SeriesSettings) -> Result<(), String> {
    jujiao_config::check_series(s).map_err(|(field, message)| format!("{field} {message}"))
}

async fn series_update(
    State(state): State<AppState>,
    AdminUser(who): AdminUser,
    Path(id): Path<i64>,
    Json(settings): Json<SeriesSettings>,
) -> Response {
    if let Err(message) = check_series(&settings) {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    match update_series(&state, &who, id, &settings).await {
        Ok(true) => Json(json!({ "updated": id })).into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, "没有这个简报系列（no such series）"),
        Err(e) => store_error(&e),
    }
}

/// Replaces a series' settings and, when there was such a series, writes the audit
/// entry: the API and the series form both change a series through here.
pub(super) async fn update_series(
    state: &AppState,
    who: &super::who::CurrentUser,
    id: i64,
    settings: &SeriesSettings,
) -> Result<bool, jujiao_store::StoreError> {
    let updated = state
        .store()
        .update_series(SeriesId(id), settings, &who.name)
        .await?;
    if updated {
        let detail = serde_json::to_string(settings).unwrap_or_default();
        audit(state, who, "修改简报系列", &format!("series {id}"), &detail).await;
    }
    Ok(updated)
}

#[derive(Debug, Deserialize)]
struct IssuesQuery {
    series: Option<i64>,
    status: Option<String>,
    q: Option<String>,
    limit: Option<u32>,
}

async fn issues(State(state): State<AppState>, Query(q): Query<IssuesQuery>) -> Response {
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("draft") => Some(IssueStatus::Draft),
        Some("issued") => Some(IssueStatus::Issued),
        Some(_) => return error(StatusCode::BAD_REQUEST, "status must be draft or issued"),
    };
    let query = IssueQuery {
        series: q.series.map(SeriesId),
        status,
        text: q.q,
        limit: q.limit,
    };
    match state.store().issues(&query).await {
        Ok(list) => Json(json!({ "issues": list })).into_response(),
        Err(e) => store_error(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct NewIssue {
    pub series: i64,
    pub date: Option<NaiveDate>,
    pub kind: Option<IssueKind>,
}

/// A new draft of a series with its defaults (columns, closing block).
pub(super) async fn create_draft(
    state: &AppState,
    who: &super::who::CurrentUser,
    new: &NewIssue,
) -> Result<Issue, Response> {
    let series = state
        .store()
        .series_list()
        .await
        .map_err(|e| store_error(&e))?
        .into_iter()
        .find(|s| s.id == SeriesId(new.series))
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "没有这个简报系列（no such series）"))?;
    let draft = Draft {
        kind: new.kind.unwrap_or_default(),
        date: new.date.unwrap_or_else(crate::view::today),
        columns: series.settings.columns.clone(),
        items: Vec::new(),
        send_to: series.settings.send_to.clone(),
        copy_to: series.settings.copy_to.clone(),
        copies: series.settings.copies,
    };
    let issue = state
        .store()
        .create_draft(series.id, &draft, &who.name)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "没有这个简报系列（no such series）"))?;
    audit(
        state,
        who,
        "新建简报草稿",
        &format!("issue {}", issue.id.0),
        &format!("{} {}", series.settings.name, draft.date),
    )
    .await;
    Ok(issue)
}

async fn create(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Json(new): Json<NewIssue>,
) -> Response {
    match create_draft(&state, &who, &new).await {
        Ok(issue) => match load(&state, issue.id).await {
            Ok((issue, series)) => {
                (StatusCode::CREATED, Json(issue_json(&issue, &series))).into_response()
            }
            Err(m) => missing(m),
        },
        Err(r) => r,
    }
}

async fn read(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return missing(Missing::Issue);
    };
    match load(&state, id).await {
        Ok((issue, series)) => Json(issue_json(&issue, &series)).into_response(),
        Err(m) => missing(m),
    }
}

async fn text(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return missing(Missing::Issue);
    };
    let (issue, series) = match load(&state, id).await {
        Ok(x) => x,
        Err(m) => return missing(m),
    };
    match text_of(&state, &issue, &series).await {
        Ok(text) => Json(json!({ "issued": issue.issued.is_some(), "text": text })).into_response(),
        Err(e) => store_error(&e),
    }
}

/// Checks a draft's content: sizes, modes, articles that exist.
async fn check_draft(state: &AppState, draft: &Draft) -> Result<(), Response> {
    let bad = |m: String| Err(error(StatusCode::BAD_REQUEST, &m));
    if draft.items.len() > MAX_ITEMS {
        return bad(format!("一期最多 {MAX_ITEMS} 条"));
    }
    let mut seen = HashSet::new();
    for (i, item) in draft.items.iter().enumerate() {
        let n = i + 1;
        if !seen.insert(item.article_id) {
            return bad(format!("第 {n} 条：这篇文章已经在这一期里了"));
        }
        if item.column.trim().is_empty() {
            return bad(format!("第 {n} 条：栏目不能为空"));
        }
        if item
            .title
            .as_deref()
            .is_some_and(|t| t.chars().count() > MAX_TITLE_CHARS)
        {
            return bad(format!("第 {n} 条：标题太长（最多 {MAX_TITLE_CHARS} 字）"));
        }
        match &item.mode {
            ItemMode::First { paragraphs } if !(1..=100).contains(paragraphs) => {
                return bad(format!("第 {n} 条：段数应在 1 到 100 之间"));
            }
            ItemMode::Summary { summary } if summary.chars().count() > MAX_TEXT_CHARS => {
                return bad(format!("第 {n} 条：摘要太长"));
            }
            _ => {}
        }
        if item
            .note
            .as_deref()
            .is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS)
        {
            return bad(format!("第 {n} 条：按语太长"));
        }
    }
    for line in [&draft.send_to, &draft.copy_to] {
        if line.chars().count() > MAX_TITLE_CHARS * 2 || line.contains('\n') {
            return bad("报送、抄送各写一行".into());
        }
    }
    let ids: Vec<ArticleId> = draft.items.iter().map(|i| i.article_id).collect();
    let found = articles_of(state, ids).await.map_err(|e| store_error(&e))?;
    if let Some(item) = draft
        .items
        .iter()
        .find(|i| !found.contains_key(&i.article_id))
    {
        return bad(format!("没有编号为 {} 的文章", item.article_id.0));
    }
    Ok(())
}

fn save_answer(outcome: SaveOutcome) -> Response {
    match outcome {
        SaveOutcome::Saved { version } => Json(json!({ "version": version })).into_response(),
        SaveOutcome::Conflict { version, by, at } => (
            StatusCode::CONFLICT,
            Json(json!({
                "error": conflict_message(&by, at),
                "conflict": { "version": version, "by": by, "at": at },
            })),
        )
            .into_response(),
        SaveOutcome::Frozen => error(StatusCode::CONFLICT, FROZEN_MESSAGE),
        SaveOutcome::NotFound => missing(Missing::Issue),
    }
}

/// Saves `draft` over issue `id` read at `version`, after checking it.
async fn save_checked(
    state: &AppState,
    who: &super::who::CurrentUser,
    id: IssueId,
    version: i64,
    draft: &Draft,
    what: &str,
) -> Response {
    if let Err(r) = check_draft(state, draft).await {
        return r;
    }
    let outcome = match state
        .store()
        .save_draft(id, version, draft, &who.name)
        .await
    {
        Ok(o) => o,
        Err(e) => return store_error(&e),
    };
    if let SaveOutcome::Saved { version } = &outcome {
        audit(
            state,
            who,
            what,
            &format!("issue {}", id.0),
            &format!("version {version}, {} items", draft.items.len()),
        )
        .await;
    }
    save_answer(outcome)
}

#[derive(Debug, Deserialize)]
struct SaveBody {
    version: i64,
    draft: Draft,
}

async fn save(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path(id): Path<String>,
    Json(body): Json<SaveBody>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return missing(Missing::Issue);
    };
    save_checked(&state, &who, id, body.version, &body.draft, "保存简报草稿").await
}

#[derive(Debug, Deserialize)]
struct VersionQuery {
    version: i64,
}

async fn delete(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path(id): Path<String>,
    Query(v): Query<VersionQuery>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return missing(Missing::Issue);
    };
    match state.store().delete_draft(id, v.version).await {
        Ok(SaveOutcome::Saved { .. }) => {
            audit(&state, &who, "删除简报草稿", &format!("issue {}", id.0), "").await;
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(other) => save_answer(other),
        Err(e) => store_error(&e),
    }
}

/// Reads a draft for an item-level change: 404, or 409 when issued or when `version`
/// is not the current one.
async fn draft_at(state: &AppState, id: &str, version: i64) -> Result<(Issue, Series), Response> {
    let id = parse_id(id).ok_or_else(|| missing(Missing::Issue))?;
    let (issue, series) = load(state, id).await.map_err(missing)?;
    if issue.issued.is_some() {
        return Err(error(StatusCode::CONFLICT, FROZEN_MESSAGE));
    }
    if issue.version != version {
        return Err(save_answer(SaveOutcome::Conflict {
            version: issue.version,
            by: issue.updated_by.clone(),
            at: issue.updated_at,
        }));
    }
    Ok((issue, series))
}

#[derive(Debug, Deserialize)]
struct AddItem {
    version: i64,
    article_id: i64,
    column: Option<String>,
    title: Option<String>,
    #[serde(flatten)]
    mode: Option<ItemMode>,
    note: Option<String>,
}

async fn add_item(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path(id): Path<String>,
    Json(body): Json<AddItem>,
) -> Response {
    let (issue, _) = match draft_at(&state, &id, body.version).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let article = ArticleId(body.article_id);
    let column = match body.column.filter(|c| !c.trim().is_empty()) {
        Some(c) => c,
        None => match state.store().article(article).await {
            Ok(Some(a)) => a
                .filings
                .first()
                .map_or_else(|| "其他".to_owned(), |f| f.filing.column.clone()),
            Ok(None) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("没有编号为 {} 的文章", article.0),
                );
            }
            Err(e) => return store_error(&e),
        },
    };
    let mut draft = issue.draft.clone();
    draft.items.push(DraftItem {
        article_id: article,
        column,
        title: body.title,
        mode: body.mode.unwrap_or_default(),
        note: body.note,
    });
    save_checked(&state, &who, issue.id, body.version, &draft, "简报加入文章").await
}

#[derive(Debug, Deserialize)]
struct EditItem {
    version: i64,
    column: Option<String>,
    /// `""` restores the article's own title.
    title: Option<String>,
    #[serde(flatten)]
    mode: Option<ItemMode>,
    /// `""` removes the note.
    note: Option<String>,
}

fn index_of(draft: &Draft, index: usize) -> Result<usize, Response> {
    if index < draft.items.len() {
        Ok(index)
    } else {
        Err(error(
            StatusCode::NOT_FOUND,
            "这一期没有这一条（no such item）",
        ))
    }
}

async fn edit_item(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path((id, index)): Path<(String, usize)>,
    Json(body): Json<EditItem>,
) -> Response {
    let (issue, _) = match draft_at(&state, &id, body.version).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut draft = issue.draft.clone();
    let i = match index_of(&draft, index) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let item = &mut draft.items[i];
    if let Some(c) = body.column.filter(|c| !c.trim().is_empty()) {
        item.column = c;
    }
    if let Some(t) = body.title {
        item.title = Some(t).filter(|t| !t.trim().is_empty());
    }
    if let Some(m) = body.mode {
        item.mode = m;
    }
    if let Some(n) = body.note {
        item.note = Some(n).filter(|n| !n.trim().is_empty());
    }
    save_checked(&state, &who, issue.id, body.version, &draft, "修改简报条目").await
}

async fn remove_item(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path((id, index)): Path<(String, usize)>,
    Query(v): Query<VersionQuery>,
) -> Response {
    let (issue, _) = match draft_at(&state, &id, v.version).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut draft = issue.draft.clone();
    let i = match index_of(&draft, index) {
        Ok(i) => i,
        Err(r) => return r,
    };
    draft.items.remove(i);
    save_checked(&state, &who, issue.id, v.version, &draft, "简报移除文章").await
}

#[derive(Debug, Deserialize)]
struct MoveItem {
    version: i64,
    /// The item's new index.
    to: usize,
}

async fn move_item(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path((id, index)): Path<(String, usize)>,
    Json(body): Json<MoveItem>,
) -> Response {
    let (issue, _) = match draft_at(&state, &id, body.version).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut draft = issue.draft.clone();
    let i = match index_of(&draft, index) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let item = draft.items.remove(i);
    let to = body.to.min(draft.items.len());
    draft.items.insert(to, item);
    save_checked(&state, &who, issue.id, body.version, &draft, "简报调整顺序").await
}

#[derive(Debug, Deserialize)]
struct Columns {
    version: i64,
    columns: Vec<String>,
}

async fn set_columns(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path(id): Path<String>,
    Json(body): Json<Columns>,
) -> Response {
    let (issue, _) = match draft_at(&state, &id, body.version).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut draft = issue.draft.clone();
    draft.columns = body.columns;
    save_checked(
        &state,
        &who,
        issue.id,
        body.version,
        &draft,
        "简报调整栏目顺序",
    )
    .await
}

#[derive(Debug, Deserialize)]
struct IssueBody {
    version: i64,
}

async fn issue(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path(id): Path<String>,
    Json(body): Json<IssueBody>,
) -> Response {
    let (issue, series) = match draft_at(&state, &id, body.version).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if issue.draft.items.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "这一期还没有选入任何文章，不能签发",
        );
    }
    if let Err(r) = check_draft(&state, &issue.draft).await {
        return r;
    }
    let text = match compose_now(&state, &series, &issue.draft).await {
        Ok(t) => t,
        Err(e) => return store_error(&e),
    };
    match state
        .store()
        .issue_draft(issue.id, body.version, &text, &who.name)
        .await
    {
        Ok(IssueOutcome::Issued {
            number,
            correction,
            text,
        }) => {
            audit(
                &state,
                &who,
                "签发简报",
                &format!("issue {}", issue.id.0),
                &format!("{} {}", text.series, text.number_label()),
            )
            .await;
            Json(json!({
                "id": issue.id, "number": number, "correction": correction,
                "label": text.number_label(),
            }))
            .into_response()
        }
        Ok(IssueOutcome::Conflict { version, by, at }) => {
            save_answer(SaveOutcome::Conflict { version, by, at })
        }
        Ok(IssueOutcome::Frozen) => save_answer(SaveOutcome::Frozen),
        Ok(IssueOutcome::NotFound) => missing(Missing::Issue),
        Err(e) => store_error(&e),
    }
}

async fn correction(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return missing(Missing::Issue);
    };
    match state.store().start_correction(id, &who.name).await {
        Ok(Some(fix)) => {
            audit(
                &state,
                &who,
                "开始更正简报",
                &format!("issue {}", id.0),
                &format!("draft {}", fix.id.0),
            )
            .await;
            match load(&state, fix.id).await {
                Ok((issue, series)) => {
                    (StatusCode::CREATED, Json(issue_json(&issue, &series))).into_response()
                }
                Err(m) => missing(m),
            }
        }
        Ok(None) => error(StatusCode::CONFLICT, "只有已签发的一期可以更正"),
        Err(e) => store_error(&e),
    }
}

#[derive(Debug, Deserialize)]
struct CandidateQuery {
    date: Option<String>,
}

/// The day's candidates of a draft, by column in the series' order: new since the
/// series' last issue first, each marked with the issue that already used it.
async fn candidates(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<CandidateQuery>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return missing(Missing::Issue);
    };
    let (issue, series) = match load(&state, id).await {
        Ok(x) => x,
        Err(m) => return missing(m),
    };
    let date = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => issue.draft.date,
        Some(d) => match crate::view::parse_date(d) {
            Some(d) => d,
            None => return error(StatusCode::BAD_REQUEST, "date must be YYYY-MM-DD"),
        },
    };
    match candidate_columns(&state, &issue, &series, date).await {
        Ok(columns) => Json(json!({ "date": date, "columns": columns })).into_response(),
        Err(e) => store_error(&e),
    }
}

pub(super) async fn candidate_columns(
    state: &AppState,
    issue: &Issue,
    series: &Series,
    date: NaiveDate,
) -> Result<Vec<Value>, jujiao_store::StoreError> {
    let store = state.store();
    let filed = filings_between(store, Some(date), Some(date), None).await?;
    let last_mark = store
        .issues(&IssueQuery {
            series: Some(series.id),
            status: Some(IssueStatus::Issued),
            text: None,
            limit: Some(1),
        })
        .await?
        .first()
        .and_then(|i| i.article_mark)
        .unwrap_or(0);
    let ids: Vec<ArticleId> = filed.iter().map(|f| f.article_id).collect();
    let mut used: HashMap<ArticleId, String> = HashMap::new();
    for u in store.article_uses(series.id, &ids).await? {
        used.entry(u.article_id)
            .or_insert_with(|| u.kind.label(u.number));
    }
    let chosen: HashSet<ArticleId> = issue.draft.items.iter().map(|i| i.article_id).collect();
    let order = &series.settings.columns;
    let office = crate::view::column_order();
    let mut columns: Vec<String> = Vec::new();
    for f in &filed {
        if !columns.contains(&f.filing.column)
            && (order.is_empty() || order.contains(&f.filing.column))
        {
            columns.push(f.filing.column.clone());
        }
    }
    columns.sort_by_key(|c| {
        (
            order.iter().position(|o| o == c).unwrap_or(usize::MAX),
            office.rank(c),
            c.clone(),
        )
    });
    Ok(columns
        .into_iter()
        .map(|column| {
            let mut rows: Vec<&jujiao_store::FiledArticle> =
                filed.iter().filter(|f| f.filing.column == column).collect();
            // New since the last issue first, then as filed.
            rows.sort_by_key(|f| (f.article_id.0 <= last_mark, f.filing_id.0));
            let articles: Vec<Value> = rows
                .iter()
                .map(|f| {
                    json!({
                        "article_id": f.article_id,
                        "title": f.article.title,
                        "source": state.source_name(&f.article.source),
                        "paragraphs": f.article.paragraphs.len(),
                        "is_new": f.article_id.0 > last_mark,
                        "used_in": used.get(&f.article_id),
                        "is_chosen": chosen.contains(&f.article_id),
                    })
                })
                .collect();
            json!({ "column": column, "articles": articles })
        })
        .collect())
}
