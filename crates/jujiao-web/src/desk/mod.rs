//! The editor's desk (编辑简报): compose, number and issue the office's briefing.
//!
//! - [`pages`]: the desk (`/desk`: series, drafts, a new issue), the compose page
//!   (`/desk/issues/{id}`, driven by `assets/desk.js` over the JSON API), the issued
//!   view with its downloads (.docx, Markdown) and print page (an A4 print stylesheet),
//!   the archive (往期, searchable) and the admins' series form.
//! - [`api`]: the JSON API under `/api/briefing/` (documented in `API.md`).
//! - [`who`]: the signed-in user and the audit log.
//!
//! Drafts are saved whole with the version they were read at; the store refuses a save
//! against an older version and names who saved in between. Issuing composes the
//! [`IssuedText`] from the draft and the articles as they are at that moment and
//! stores it with the issue; every output of an issued issue is rendered from that text
//! only (`jujiao_export::briefing`), so the files do not change when articles do.

mod api;
mod pages;
mod who;

use crate::AppState;
use axum::Router;
use axum::http::header;
use axum::routing::get;
use jujiao_model::IssuedText;
use jujiao_store::{ArticleId, Draft, Issue, IssueId, Series, StoreError, StoredArticle};
use std::collections::HashMap;

/// Most items one issue holds.
pub(crate) const MAX_ITEMS: usize = 200;
/// Longest edited title, summary and note, in characters.
pub(crate) const MAX_TITLE_CHARS: usize = 200;
pub(crate) const MAX_TEXT_CHARS: usize = 20_000;

const DESK_JS: &str = include_str!("../../assets/desk.js");
const PRINT_CSS: &str = include_str!("../../assets/desk-print.css");

/// The desk's templates, added to the app's environment.
pub(crate) const TEMPLATES: [(&str, &str); 5] = [
    ("desk.html", include_str!("../../templates/desk.html")),
    (
        "desk_compose.html",
        include_str!("../../templates/desk_compose.html"),
    ),
    (
        "desk_issue.html",
        include_str!("../../templates/desk_issue.html"),
    ),
    (
        "desk_print.html",
        include_str!("../../templates/desk_print.html"),
    ),
    (
        "desk_series.html",
        include_str!("../../templates/desk_series.html"),
    ),
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .route(
            "/assets/desk.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    DESK_JS,
                )
            }),
        )
        .route(
            "/assets/desk-print.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    PRINT_CSS,
                )
            }),
        )
}

/// Why an issue could not be loaded.
pub(crate) enum Missing {
    Issue,
    Series,
    Store(StoreError),
}

/// An issue and its series.
pub(crate) async fn load(state: &AppState, id: IssueId) -> Result<(Issue, Series), Missing> {
    let store = state.store();
    let issue = store
        .issue(id)
        .await
        .map_err(Missing::Store)?
        .ok_or(Missing::Issue)?;
    let series = store
        .series_list()
        .await
        .map_err(Missing::Store)?
        .into_iter()
        .find(|s| s.id == issue.series)
        .ok_or(Missing::Series)?;
    Ok((issue, series))
}

/// The articles a draft draws from, by id; ids that do not exist are absent.
pub(crate) async fn articles_of(
    state: &AppState,
    ids: Vec<ArticleId>,
) -> Result<HashMap<ArticleId, StoredArticle>, StoreError> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        if let Some(a) = state.store().article(id).await? {
            out.insert(id, a);
        }
    }
    Ok(out)
}

/// What an issue says: as issued, or (a draft) as it would be issued now.
pub(crate) async fn text_of(
    state: &AppState,
    issue: &Issue,
    series: &Series,
) -> Result<IssuedText, StoreError> {
    if let Some(issued) = &issue.issued {
        return Ok(issued.text.clone());
    }
    compose_now(state, series, &issue.draft).await
}

pub(crate) async fn compose_now(
    state: &AppState,
    series: &Series,
    draft: &Draft,
) -> Result<IssuedText, StoreError> {
    let ids: Vec<ArticleId> = draft.items.iter().map(|i| i.article_id).collect();
    let articles = articles_of(state, ids).await?;
    Ok(jujiao_export::briefing::compose(
        &series.settings,
        draft,
        &articles,
    ))
}

/// The file name of an issue's downloads: `每日简报-第1期-2026年12月6日.docx`.
pub(crate) fn file_name(text: &IssuedText, ext: &str) -> String {
    format!(
        "{}-{}-{}.{ext}",
        text.series,
        text.number_label(),
        jujiao_export::briefing::header_date(text.date)
    )
}

/// A conflict in words: who saved, when.
pub(crate) fn conflict_message(by: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{by} 已于 {} 修改并保存了这一期草稿，您的改动没有保存。请重新载入，看过对方的改动后再编辑。",
        crate::view::local_time(at)
    )
}

/// The message for any change to an issued issue.
pub(crate) const FROZEN_MESSAGE: &str = "这一期已经签发，内容已固定，不能再修改；如需改正，请在这一期的页面上点“更正”，签发一个更正版本。";
