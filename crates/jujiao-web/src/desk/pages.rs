//! The desk's pages: `/desk` (series, drafts, a new issue), the compose page and the
//! issued view (`/desk/issues/{id}`), downloads and the print page, the archive (往期)
//! and the admins' series form.

use super::api::{NewIssue, check_series, create_draft, update_series};
use super::who::{AdminUser, EditorUser, MaybeUser, audit};
use super::{Missing, file_name, load, text_of};
use crate::AppState;
use crate::export_page::content_disposition;
use crate::view::{error_page, local_time, render, store_failed};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jujiao_export::briefing::header_date;
use jujiao_model::briefing::chinese_numeral;
use jujiao_model::{IssueKind, Numbering, SeriesSettings};
use jujiao_store::{IssueId, IssueQuery, IssueStatus, IssueSummary, Series, SeriesId};
use minijinja::context;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk", get(home))
        .route("/desk/new", post(new_issue))
        .route("/desk/archive", get(archive))
        .route("/desk/issues/{id}", get(issue_page))
        .route("/desk/issues/{id}/correct", post(correct))
        .route("/desk/issues/{id}/print", get(print))
        .route("/desk/issues/{id}/download.docx", get(download_docx))
        .route("/desk/issues/{id}/download.md", get(download_md))
        .route("/desk/series", get(series_page))
        .route("/desk/series/{id}", post(series_save))
}

fn missing(state: &AppState, m: Missing) -> Response {
    match m {
        Missing::Store(e) => store_failed(state, &e),
        Missing::Issue | Missing::Series => error_page(
            state,
            StatusCode::NOT_FOUND,
            "没有这一期简报",
            "地址可能有误，或者这份草稿已被删除。",
        ),
    }
}

/// One line of an issue list.
#[derive(Debug, Serialize)]
struct IssueRow {
    id: i64,
    series: String,
    label: String,
    date: String,
    items: u32,
    by: String,
    at: String,
    is_draft: bool,
}

fn rows(list: &[IssueSummary], series: &[Series]) -> Vec<IssueRow> {
    list.iter()
        .map(|i| {
            let name = series
                .iter()
                .find(|s| s.id == i.series)
                .map_or_else(String::new, |s| s.settings.name.clone());
            let label = match (i.number, i.correction) {
                (Some(n), Some(c)) if c > 0 => format!("{}（更正{}）", i.kind.label(n), c),
                (Some(n), _) => i.kind.label(n),
                (None, _) if i.corrects.is_some() => "更正草稿".to_owned(),
                (None, _) => "草稿".to_owned(),
            };
            IssueRow {
                id: i.id.0,
                series: name,
                label,
                date: header_date(i.date),
                items: i.items,
                by: i.updated_by.clone(),
                at: local_time(i.issued_at.unwrap_or(i.updated_at)),
                is_draft: i.status == IssueStatus::Draft,
            }
        })
        .collect()
}

async fn home(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Response {
    let store = state.store();
    let (series, drafts, issued) = match (
        store.series_list().await,
        store
            .issues(&IssueQuery {
                status: Some(IssueStatus::Draft),
                ..IssueQuery::default()
            })
            .await,
        store
            .issues(&IssueQuery {
                status: Some(IssueStatus::Issued),
                limit: Some(10),
                ..IssueQuery::default()
            })
            .await,
    ) {
        (Ok(s), Ok(d), Ok(i)) => (s, d, i),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return store_failed(&state, &e),
    };
    render(
        &state,
        "desk.html",
        context! {
            nav => "desk",
            page => "home",
            can_edit => user.as_ref().is_some_and(|u| u.can_edit()),
            series => series.iter().map(|s| context! { id => s.id.0, name => s.settings.name, unit => s.settings.unit }).collect::<Vec<_>>(),
            drafts => rows(&drafts, &series),
            issued => rows(&issued, &series),
            today => crate::view::today().to_string(),
        },
    )
}

#[derive(Debug, Deserialize)]
struct NewIssueForm {
    series: i64,
    date: Option<String>,
    kind: Option<String>,
}

async fn new_issue(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Form(form): Form<NewIssueForm>,
) -> Response {
    let date = match form
        .date
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(d) => match crate::view::parse_date(d) {
            Some(d) => Some(d),
            None => {
                return error_page(
                    &state,
                    StatusCode::BAD_REQUEST,
                    "日期格式不对",
                    "请按“年-月-日”的格式填写日期，例如 2026-12-06。",
                );
            }
        },
    };
    let new = NewIssue {
        series: form.series,
        date,
        kind: form.kind.as_deref().and_then(IssueKind::parse),
    };
    match create_draft(&state, &who, &new).await {
        Ok(issue) => Redirect::to(&format!("/desk/issues/{}", issue.id.0)).into_response(),
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize)]
struct ArchiveQuery {
    q: Option<String>,
    series: Option<i64>,
}

async fn archive(State(state): State<AppState>, Query(q): Query<ArchiveQuery>) -> Response {
    let store = state.store();
    let words = q.q.clone().filter(|w| !w.trim().is_empty());
    let (series, list) = match (
        store.series_list().await,
        store
            .issues(&IssueQuery {
                series: q.series.map(SeriesId),
                status: Some(IssueStatus::Issued),
                text: words.clone(),
                limit: None,
            })
            .await,
    ) {
        (Ok(s), Ok(l)) => (s, l),
        (Err(e), _) | (_, Err(e)) => return store_failed(&state, &e),
    };
    render(
        &state,
        "desk.html",
        context! {
            nav => "desk",
            page => "archive",
            q => words.unwrap_or_default(),
            series_filter => q.series,
            series => series.iter().map(|s| context! { id => s.id.0, name => s.settings.name }).collect::<Vec<_>>(),
            issued => rows(&list, &series),
        },
    )
}

async fn issue_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
) -> Response {
    let (issue, series) = match load(&state, IssueId(id)).await {
        Ok(x) => x,
        Err(m) => return missing(&state, m),
    };
    if let Some(issued) = &issue.issued {
        let text = &issued.text;
        return render(
            &state,
            "desk_issue.html",
            context! {
                nav => "desk",
                id => id,
                can_edit => user.as_ref().is_some_and(|u| u.can_edit()),
                label => text.number_label(),
                series => text.series,
                date => header_date(text.date),
                by => issued.by,
                at => local_time(issued.at),
                sections => sections(text),
                markdown => jujiao_export::briefing::markdown(text),
            },
        );
    }
    render(
        &state,
        "desk_compose.html",
        context! {
            nav => "desk",
            id => id,
            can_edit => user.as_ref().is_some_and(|u| u.can_edit()),
            series => series.settings.name,
            is_correction => issue.corrects.is_some(),
            date => issue.draft.date.to_string(),
        },
    )
}

/// Starts a correction of an issued issue and opens it.
async fn correct(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store().start_correction(IssueId(id), &who.name).await {
        Ok(Some(fix)) => {
            audit(
                &state,
                &who,
                "开始更正简报",
                &format!("issue {id}"),
                &format!("draft {}", fix.id.0),
            )
            .await;
            Redirect::to(&format!("/desk/issues/{}", fix.id.0)).into_response()
        }
        Ok(None) => error_page(
            &state,
            StatusCode::CONFLICT,
            "不能更正",
            "只有已签发的一期可以更正。",
        ),
        Err(e) => store_failed(&state, &e),
    }
}

/// Sections as the templates show them.
fn sections(text: &jujiao_model::IssuedText) -> Vec<minijinja::Value> {
    text.sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            context! {
                heading => format!("{}、{}", chinese_numeral(i as u32 + 1), s.column),
                items => s.items,
            }
        })
        .collect()
}

async fn print(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    let (issue, series) = match load(&state, IssueId(id)).await {
        Ok(x) => x,
        Err(m) => return missing(&state, m),
    };
    let text = match text_of(&state, &issue, &series).await {
        Ok(t) => t,
        Err(e) => return store_failed(&state, &e),
    };
    render(
        &state,
        "desk_print.html",
        context! {
            id => id,
            series => text.series,
            unit => text.unit,
            label => text.number_label(),
            date => header_date(text.date),
            toc => sections(&text),
            sections => sections(&text),
            send_to => text.send_to,
            copy_to => text.copy_to,
            copies => text.copies,
        },
    )
}

async fn download_docx(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    download(&state, id, "docx").await
}

async fn download_md(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    download(&state, id, "md").await
}

/// The file of an issue: an issued one from its stored text; a draft as a preview.
async fn download(state: &AppState, id: i64, ext: &str) -> Response {
    let (issue, series) = match load(state, IssueId(id)).await {
        Ok(x) => x,
        Err(m) => return missing(state, m),
    };
    let text = match text_of(state, &issue, &series).await {
        Ok(t) => t,
        Err(e) => return store_failed(state, &e),
    };
    let (bytes, content_type) = if ext == "docx" {
        match jujiao_export::briefing::docx::to_bytes(&text) {
            Ok(b) => (
                b,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            Err(e) => {
                tracing::error!(error = %e, issue = id, "briefing docx failed");
                return error_page(
                    state,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "生成文件出错",
                    "请稍后再试；如果一直如此，请联系管理员查看服务日志。",
                );
            }
        }
    } else {
        (
            jujiao_export::briefing::markdown(&text).into_bytes(),
            "text/markdown; charset=utf-8",
        )
    };
    let name = file_name(&text, ext);
    let fallback = format!("briefing-{id}.{ext}");
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(&name, &fallback),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn series_page(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Response {
    let series = match state.store().series_list().await {
        Ok(s) => s,
        Err(e) => return store_failed(&state, &e),
    };
    render(
        &state,
        "desk_series.html",
        context! {
            nav => "desk",
            can_edit => user.as_ref().is_some_and(|u| u.is_admin()),
            series => series.iter().map(|s| context! {
                id => s.id.0,
                name => s.settings.name,
                unit => s.settings.unit,
                is_yearly => s.settings.numbering == Numbering::Yearly,
                columns => s.settings.columns.join("，"),
                send_to => s.settings.send_to,
                copy_to => s.settings.copy_to,
                copies => s.settings.copies,
                updated_by => s.updated_by,
                updated_at => local_time(s.updated_at),
            }).collect::<Vec<_>>(),
        },
    )
}

#[derive(Debug, Deserialize)]
struct SeriesForm {
    name: String,
    unit: String,
    numbering: String,
    columns: String,
    send_to: String,
    copy_to: String,
    copies: String,
}

async fn series_save(
    State(state): State<AppState>,
    AdminUser(who): AdminUser,
    Path(id): Path<i64>,
    Form(form): Form<SeriesForm>,
) -> Response {
    let bad = |m: &str| error_page(&state, StatusCode::BAD_REQUEST, "简报设置有误", m);
    let Some(numbering) = Numbering::parse(&form.numbering) else {
        return bad("编号方式应为“连续编号”或“每年重新编号”。");
    };
    let Ok(copies) = form.copies.trim().parse::<u32>() else {
        return bad("印数请填写整数。");
    };
    let settings = SeriesSettings {
        name: form.name.trim().to_owned(),
        unit: form.unit.trim().to_owned(),
        numbering,
        columns: form
            .columns
            .split([',', '，', '、', '\n'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        send_to: form.send_to.trim().to_owned(),
        copy_to: form.copy_to.trim().to_owned(),
        copies,
    };
    if let Err(m) = check_series(&settings) {
        return bad(&m);
    }
    match update_series(&state, &who, id, &settings).await {
        Ok(true) => Redirect::to("/desk/series").into_response(),
        Ok(false) => missing(&state, Missing::Series),
        Err(e) => store_failed(&state, &e),
    }
}
