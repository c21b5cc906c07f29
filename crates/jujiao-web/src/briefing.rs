//! The day's briefing (`/`, `/?date=YYYY-MM-DD`) and the article page (`/articles/{id}`).

use crate::AppState;
use crate::view::{self, error_page, render, store_failed};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{Days, NaiveDate};
use jujiao_model::Article;
use jujiao_store::{ArticleId, FiledArticle, FilingQuery, MAX_PAGE, SourceKind, Store, StoreError};
use minijinja::context;
use serde::{Deserialize, Serialize};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(briefing))
        .route("/articles/{id}", get(article_page))
}

/// How far back an empty day looks for the latest briefing.
const LOOK_BACK_DAYS: u64 = 60;

#[derive(Debug, Deserialize)]
struct DateQuery {
    date: Option<String>,
    /// Only the 领导活动 articles naming this configured leader (`[[leader]]`).
    leader: Option<String>,
}

/// The column a leader filter applies to.
const LEADER_COLUMN: &str = "领导活动";

/// An article as the templates show it (plain text; the templates escape it).
#[derive(Debug, Serialize)]
pub(crate) struct ArticleView {
    pub id: i64,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub images: Vec<ImageView>,
    pub attachments: Vec<ImageView>,
    pub source_name: String,
    pub origin: Option<String>,
    pub author: Option<String>,
    pub editor: Option<String>,
    pub published: Option<String>,
    pub fetched: Option<String>,
    /// The original URL, only when it is an http(s) link.
    pub url: Option<String>,
    /// Times the content changed after it was first stored.
    pub revisions: u32,
}

#[derive(Debug, Serialize)]
pub(crate) struct ImageView {
    pub url: Option<String>,
    pub alt: Option<String>,
    pub name: String,
    /// The copy jujiao stored and serves (`/articles/{id}/files/…`): shown inline.
    pub src: Option<String>,
    /// Size of the stored copy, for attachments (`1.2 MB`).
    pub size: Option<String>,
    /// Why a stored attachment's text is not searchable, if it is not.
    pub note: Option<&'static str>,
}

impl ArticleView {
    pub(crate) fn new(state: &AppState, id: ArticleId, revision: u32, a: &Article) -> Self {
        let link = |u: &str| view::is_web_url(u).then(|| u.to_owned());
        ArticleView {
            id: id.0,
            title: a.title.clone(),
            paragraphs: a
                .paragraphs
                .iter()
                .map(|p| p.clean())
                .filter(|p| !p.is_empty())
                .collect(),
            images: a
                .images
                .iter()
                .filter_map(|i| {
                    link(&i.url).map(|url| ImageView {
                        url: Some(url),
                        alt: i.alt.clone().filter(|s| !s.trim().is_empty()),
                        name: String::new(),
                        src: None,
                        size: None,
                        note: None,
                    })
                })
                .collect(),
            attachments: a
                .attachments
                .iter()
                .map(|f| ImageView {
                    url: link(&f.url),
                    alt: None,
                    name: f.name.clone(),
                    src: None,
                    size: None,
                    note: None,
                })
                .collect(),
            source_name: state.source_name(&a.source),
            origin: a.origin.clone(),
            author: a.author.clone(),
            editor: a.editor.clone(),
            published: a.published.as_ref().map(view::publish_time),
            fetched: a.fetched_at.map(view::local_time),
            url: link(&a.url),
            revisions: revision.saturating_sub(1),
        }
    }
}

/// Replaces the article's image and attachment lists by the copies jujiao stored, when
/// it stored any: images shown inline from jujiao, attachments downloaded from jujiao
/// under their real names. Files that were not stored keep their link to the original.
fn show_stored_files(
    a: &mut ArticleView,
    article: &Article,
    id: ArticleId,
    entries: &[jujiao_store::ArticleFileEntry],
) {
    use jujiao_store::FileRole;
    let stored = |role: FileRole, position: usize| {
        entries.iter().find(|e| {
            e.file.role == role && usize::try_from(e.file.position).is_ok_and(|p| p == position)
        })
    };
    let link = |u: &str| view::is_web_url(u).then(|| u.to_owned());
    a.images = article
        .images
        .iter()
        .zip(1..)
        .filter_map(|(img, position)| {
            let entry = stored(FileRole::Image, position);
            let url = link(&img.url);
            (entry.is_some() || url.is_some()).then(|| ImageView {
                url,
                alt: img.alt.clone().filter(|s| !s.trim().is_empty()),
                name: entry.map(|e| e.file.name.clone()).unwrap_or_default(),
                src: entry.map(|e| crate::files::file_url(id, e)),
                size: None,
                note: None,
            })
        })
        .collect();
    a.attachments = article
        .attachments
        .iter()
        .zip(1..)
        .map(|(f, position)| {
            let entry = stored(FileRole::Attachment, position);
            ImageView {
                url: entry.map_or_else(|| link(&f.url), |e| Some(crate::files::file_url(id, e))),
                alt: None,
                name: entry.map_or_else(|| f.name.clone(), |e| e.file.name.clone()),
                src: entry.map(|e| crate::files::file_url(id, e)),
                size: entry.map(|e| human_size(e.size)),
                note: entry.and_then(text_note),
            }
        })
        .collect();
}

/// What the page says of a stored attachment whose text is not in the search index:
/// a scan without a text layer, a format jujiao does not read (binary Excel/WPS
/// spreadsheets, OFD, archives), or a file that could not be read.
fn text_note(entry: &jujiao_store::ArticleFileEntry) -> Option<&'static str> {
    use jujiao_store::TextStatus;
    match entry.text_status {
        TextStatus::Text => None,
        TextStatus::Scanned => Some("扫描件，没有文字层，未编入检索"),
        TextStatus::None if entry.mime.starts_with("image/") => None,
        TextStatus::None => Some("不支持读取此格式的文字，未编入检索"),
        TextStatus::Failed => Some("文字读取失败（文件损坏或加密），未编入检索"),
    }
}

/// `532 KB`, `1.2 MB`.
fn human_size(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

#[derive(Debug, Serialize)]
struct ColumnView {
    name: String,
    articles: Vec<ArticleView>,
}

/// Every filing of a date range (and column), paging through the store.
pub(crate) async fn filings_between(
    store: &dyn Store,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    column: Option<String>,
) -> Result<Vec<FiledArticle>, StoreError> {
    let mut query = FilingQuery {
        since,
        until,
        column,
        after: None,
        limit: MAX_PAGE,
    };
    let mut all = Vec::new();
    loop {
        let page = store.filed_articles(&query).await?;
        let Some(last) = page.last() else { break };
        query.after = Some(last.filing_id);
        let full = page.len() as u32 >= MAX_PAGE;
        all.extend(page);
        if !full {
            break;
        }
    }
    Ok(all)
}

/// Parses `?date=`; absent means today, anything but `YYYY-MM-DD` is an error.
pub(crate) fn day_param(date: Option<&str>) -> Result<NaiveDate, ()> {
    match date.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(view::today()),
        Some(d) => view::parse_date(d).ok_or(()),
    }
}

async fn briefing(State(state): State<AppState>, Query(q): Query<DateQuery>) -> Response {
    let Ok(date) = day_param(q.date.as_deref()) else {
        return error_page(
            &state,
            StatusCode::BAD_REQUEST,
            "日期格式不对",
            "请按“年-月-日”的格式填写日期，例如 2026-11-27。",
        );
    };
    let mut filed = match filings_between(state.store(), Some(date), Some(date), None).await {
        Ok(f) => f,
        Err(e) => return store_failed(&state, &e),
    };
    let leaders = state.watch().map(|w| w.leaders.clone()).unwrap_or_default();
    if let Some(i) = q
        .leader
        .as_deref()
        .and_then(|name| leaders.iter().position(|l| l.name == name))
    {
        let finder = jujiao_watch::leaders::LeaderFinder::new(leaders.clone());
        filed.retain(|f| {
            f.filing.column != LEADER_COLUMN
                || finder.find(i, &f.article.title).is_some()
                || finder.find(i, &f.article.body()).is_some()
        });
    }
    view::column_order().sort(&mut filed);
    let mut columns: Vec<ColumnView> = Vec::new();
    for f in &filed {
        let mut article = ArticleView::new(&state, f.article_id, f.revision, &f.article);
        // Images and attachments come from jujiao's own copies, as on the article page
        // (never hot-linked); one query per article that has any.
        let has_files = !f.article.images.is_empty() || !f.article.attachments.is_empty();
        if has_files && state.files().is_some() {
            match state.store().article_files(f.article_id).await {
                Ok(entries) => show_stored_files(&mut article, &f.article, f.article_id, &entries),
                Err(e) => return store_failed(&state, &e),
            }
        }
        match columns.last_mut() {
            Some(c) if c.name == f.filing.column => c.articles.push(article),
            _ => columns.push(ColumnView {
                name: f.filing.column.clone(),
                articles: vec![article],
            }),
        }
    }
    // An empty day (a weekend, a morning before the first run): point to the latest
    // earlier day that has a briefing.
    let latest = if filed.is_empty() {
        let since = date
            .checked_sub_days(Days::new(LOOK_BACK_DAYS))
            .unwrap_or(date);
        match state.store().filing_counts(Some(since), Some(date)).await {
            Ok(counts) => counts.iter().filter_map(|c| c.date).max(),
            Err(e) => return store_failed(&state, &e),
        }
    } else {
        None
    };
    let prev = date.checked_sub_days(Days::new(1)).unwrap_or(date);
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    render(
        &state,
        "briefing.html",
        context! {
            nav => "briefing",
            date => date.to_string(),
            day_label => view::chinese_day(date),
            prev => prev.to_string(),
            next => next.to_string(),
            total => filed.len(),
            latest => latest.map(|d| d.to_string()),
            latest_label => latest.map(view::chinese_day),
            columns,
            leaders => leaders.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
            leader => q.leader,
        },
    )
}

#[derive(Debug, Serialize)]
struct SourceView {
    name: String,
    url: String,
    is_link: bool,
    primary: bool,
    first_seen: String,
}

#[derive(Debug, Serialize)]
struct RevisionView {
    revision: u32,
    stored_at: String,
    title: String,
}

#[derive(Debug, Serialize)]
struct FilingView {
    column: String,
    date: Option<String>,
}

async fn article_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>().map(ArticleId) else {
        return error_page(
            &state,
            StatusCode::NOT_FOUND,
            "找不到这篇文章",
            "文章编号有误。",
        );
    };
    let store = state.store();
    let stored = match store.article(id).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            return error_page(
                &state,
                StatusCode::NOT_FOUND,
                "找不到这篇文章",
                "这篇文章不存在，可能编号有误。",
            );
        }
        Err(e) => return store_failed(&state, &e),
    };
    let (revisions, sources) = match (store.revisions(id).await, store.sources_of(id).await) {
        (Ok(r), Ok(s)) => (r, s),
        (Err(e), _) | (_, Err(e)) => return store_failed(&state, &e),
    };
    let mut a = ArticleView::new(&state, stored.id, stored.revision, &stored.article);
    if state.files().is_some() {
        match store.article_files(id).await {
            Ok(entries) => show_stored_files(&mut a, &stored.article, id, &entries),
            Err(e) => return store_failed(&state, &e),
        }
    }
    let filings: Vec<FilingView> = stored
        .filings
        .iter()
        .map(|f| FilingView {
            column: f.filing.column.clone(),
            date: f.filing.date.map(|d| d.to_string()),
        })
        .collect();
    let sources: Vec<SourceView> = sources
        .iter()
        .map(|s| SourceView {
            name: state.source_name(&s.source),
            url: s.url.clone(),
            is_link: view::is_web_url(&s.url),
            primary: s.kind == SourceKind::Primary,
            first_seen: view::local_time(s.first_seen),
        })
        .collect();
    let revisions: Vec<RevisionView> = revisions
        .iter()
        .map(|r| RevisionView {
            revision: r.revision,
            stored_at: view::local_time(r.stored_at),
            title: r.article.title.clone(),
        })
        .collect();
    render(
        &state,
        "article.html",
        context! { nav => "briefing", a, filings, sources, revisions, disclosure => stored.article.disclosure.as_ref().map(jujiao_model::Disclosure::labelled).unwrap_or_default() },
    )
}
