//! Search: the [`Indexer`] that keeps the index up to date as filings arrive, the
//! search page (`/search`) and the 503 page when search is not enabled. The search page
//! says where its time went in a `Server-Timing` header (`search`: finding, counting and
//! ranking; `hits`: stored fields and highlighting of the shown page; `other`: the
//! blocking-thread hop and attachment look-ups; `render`: the template).
//!
//! Keeping up: after each crawl run the indexer indexes exactly the articles the run
//! added or revised (`SourceReport::changed_articles`). Filings stored some other way
//! (`jujiao import`, a crawl whose own indexing failed) are caught too: filing ids grow
//! in insertion order, so the indexer remembers the highest filing id it has indexed (in
//! a small file beside the index) and indexes the filings after it in the same commit. Indexing is an upsert by article id, so indexing
//! something twice is harmless; an index found missing or recreated is filled from
//! the start.

use crate::view::{self, error_page, render};
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use jujiao_search::{
    IndexDoc, OpenState, Order, SearchIndex, SearchQuery, SearchResults, SearchTiming,
};
use jujiao_store::{ArticleId, FilingId, FilingQuery, Store};
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Filings read per page while catching up.
const CATCH_UP_PAGE: u32 = 1_000;

/// Hits per page on the search page.
pub(crate) const PAGE_SIZE: usize = 20;

/// Keeps a [`SearchIndex`] in step with the store and answers searches off the runtime.
pub struct Indexer {
    index: Arc<SearchIndex>,
    store: Arc<dyn Store>,
    /// Highest filing id indexed.
    mark: tokio::sync::Mutex<i64>,
    /// Changed articles whose indexing failed, retried with the next call.
    pending: tokio::sync::Mutex<Vec<i64>>,
    mark_path: Option<PathBuf>,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("dir", &self.index.dir())
            .field("mark_path", &self.mark_path)
            .finish_non_exhaustive()
    }
}

impl Indexer {
    /// An indexer over `index`. `mark_path` keeps the highest filing id indexed across
    /// restarts; an index that was just created (or recreated) starts from zero.
    pub fn new(index: SearchIndex, store: Arc<dyn Store>, mark_path: Option<PathBuf>) -> Indexer {
        let is_fresh = !matches!(index.state(), OpenState::Existing);
        let mark = if is_fresh {
            0
        } else {
            mark_path
                .as_ref()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .and_then(|t| t.trim().parse::<i64>().ok())
                .unwrap_or(0)
        };
        Indexer {
            index: Arc::new(index),
            store,
            mark: tokio::sync::Mutex::new(mark),
            pending: tokio::sync::Mutex::new(Vec::new()),
            mark_path,
        }
    }

    /// The index.
    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// Indexes every filing stored after the last one indexed; returns how many
    /// articles were indexed. Concurrent calls run one after the other.
    pub async fn catch_up(&self) -> Result<u64, WebError> {
        self.index_changed(&[]).await
    }

    /// Indexes the articles a crawl run added or revised (`SourceReport::changed_articles`)
    /// and, in the same commit, any filing stored after the last one indexed that is not
    /// among them (stored by another process, or by a run whose indexing failed); returns
    /// how many articles were indexed. The mark advances only once the commit succeeded,
    /// so nothing is skipped after a failure.
    pub async fn index_changed(&self, changed: &[i64]) -> Result<u64, WebError> {
        let mut mark = self.mark.lock().await;
        // Articles of an earlier call that failed come along again.
        let mut pending = std::mem::take(&mut *self.pending.lock().await);
        pending.extend_from_slice(changed);
        let result = self.index_with_mark(&mut mark, &pending).await;
        if result.is_err() {
            // Never leave a half-written session holding the writer lock.
            let index = Arc::clone(&self.index);
            let _ = tokio::task::spawn_blocking(move || index.rollback()).await;
            *self.pending.lock().await = pending;
        }
        result
    }

    async fn index_with_mark(&self, mark: &mut i64, changed: &[i64]) -> Result<u64, WebError> {
        let read_failed = |source| WebError::StoreQuery {
            db: self.store.location().to_owned(),
            what: "reading articles to index",
            source,
        };
        let mut seen = HashSet::new();
        let mut docs: Vec<IndexDoc> = Vec::new();
        let mut indexed = 0u64;
        for id in changed {
            if !seen.insert(*id) {
                continue;
            }
            let stored = self
                .store
                .article(ArticleId(*id))
                .await
                .map_err(read_failed)?;
            let doc = match &stored {
                Some(s) => IndexDoc::from_stored_with_files(self.store.as_ref(), s).await,
                None => None,
            };
            if let Some(doc) = doc {
                docs.push(doc);
                indexed += 1;
            }
            self.write_if_full(&mut docs).await?;
        }
        let mut query = FilingQuery {
            after: Some(FilingId(*mark)),
            limit: CATCH_UP_PAGE,
            ..FilingQuery::default()
        };
        let mut new_mark = *mark;
        loop {
            let page = self
                .store
                .filed_articles(&query)
                .await
                .map_err(read_failed)?;
            let Some(last) = page.last() else { break };
            query.after = Some(last.filing_id);
            new_mark = last.filing_id.0;
            for f in page.iter().filter(|f| seen.insert(f.article_id.0)) {
                docs.push(IndexDoc::from_filed_with_files(self.store.as_ref(), f).await);
                indexed += 1;
            }
            self.write_if_full(&mut docs).await?;
        }
        if indexed > 0 {
            self.write(docs, true).await?;
        }
        if new_mark != *mark {
            *mark = new_mark;
            if let Some(path) = &self.mark_path
                && let Err(e) = jujiao_legacy::write_atomic(path, mark.to_string().as_bytes())
            {
                tracing::warn!(path = %path.display(), error = %e, "cannot save the search index mark");
            }
        }
        Ok(indexed)
    }

    /// Indexes again the filings of some days (their articles may have been revised).
    pub async fn reindex_days(&self, since: NaiveDate, until: NaiveDate) -> Result<u64, WebError> {
        let _guard = self.mark.lock().await;
        let filed =
            crate::briefing::filings_between(self.store.as_ref(), Some(since), Some(until), None)
                .await
                .map_err(|source| WebError::StoreQuery {
                    db: self.store.location().to_owned(),
                    what: "reading filings to index",
                    source,
                })?;
        let mut docs: Vec<IndexDoc> = Vec::with_capacity(filed.len());
        for f in &filed {
            docs.push(IndexDoc::from_filed_with_files(self.store.as_ref(), f).await);
        }
        let n = docs.len() as u64;
        self.write(docs, true).await?;
        Ok(n)
    }

    /// Writes and commits `docs` (emptying it) once they make a page: tantivy queues
    /// documents for its indexing thread without bound up to 10,000, and a crawl's whole
    /// run of documents waiting there was most of its peak memory.
    async fn write_if_full(&self, docs: &mut Vec<IndexDoc>) -> Result<(), WebError> {
        if docs.len() >= CATCH_UP_PAGE as usize {
            self.write(std::mem::take(docs), false).await?;
        }
        Ok(())
    }

    /// Writes `docs` on a blocking thread and commits them: a page of a longer write
    /// ([`SearchIndex::commit_page`], the session stays open), or the `last` (which ends
    /// the write session and frees the index's writer lock for other processes: `jujiao
    /// reindex`, `jujiao crawl`). A failure rolls the session back (nothing half-written
    /// stays pending, the lock is freed) and is returned.
    async fn write(&self, docs: Vec<IndexDoc>, last: bool) -> Result<(), WebError> {
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || {
            let written = index.index(&docs).and_then(|()| {
                if last {
                    index.commit()
                } else {
                    index.commit_page()
                }
            });
            if written.is_err() {
                index.rollback();
            }
            written
        })
        .await
        .map_err(|_| WebError::Task("indexing"))?
        .map_err(|source| WebError::Indexing {
            what: "writing and committing articles",
            source,
        })
    }

    /// Runs a search on a blocking thread.
    pub async fn search(&self, query: SearchQuery) -> Result<SearchResults, WebError> {
        let index = Arc::clone(&self.index);
        match tokio::task::spawn_blocking(move || index.search(&query)).await {
            Ok(r) => r.map_err(|source| WebError::Indexing {
                what: "searching",
                source,
            }),
            Err(_) => Err(WebError::Task("search")),
        }
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/search", get(search_page))
}

/// The search parameters shared by the page, the API and the feed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub column: Option<String>,
    pub source: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// 发文机关 of a disclosure table (exact).
    pub issuer: Option<String>,
    /// 有效性 of a disclosure table (exact).
    pub validity: Option<String>,
    pub order: Option<String>,
    pub page: Option<String>,
}

fn nonempty(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl SearchParams {
    /// The query these parameters ask for, or a message (in Chinese) saying what is wrong.
    pub(crate) fn to_query(&self, page_size: usize) -> Result<SearchQuery, &'static str> {
        let date = |s: Option<&String>| match nonempty(s) {
            None => Ok(None),
            Some(d) => view::parse_date(&d)
                .map(Some)
                .ok_or("日期格式应为 年-月-日，例如 2026-11-27。"),
        };
        let page = match nonempty(self.page.as_ref()) {
            None => 1,
            Some(p) => p
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=500).contains(p))
                .ok_or("页码不对。")?,
        };
        let order = match nonempty(self.order.as_ref()).as_deref() {
            None | Some("relevance") => Order::Relevance,
            Some("newest") => Order::Newest,
            Some(_) => return Err("排序方式只能是“按相关度”或“最新在前”。"),
        };
        Ok(SearchQuery {
            text: self.q.trim().to_owned(),
            column: nonempty(self.column.as_ref()),
            source: nonempty(self.source.as_ref()),
            since: date(self.since.as_ref())?,
            until: date(self.until.as_ref())?,
            issuer: nonempty(self.issuer.as_ref()),
            validity: nonempty(self.validity.as_ref()),
            order,
            offset: (page - 1) * page_size,
            limit: page_size,
        })
    }

    /// True when the user asked for something (text or a filter).
    pub(crate) fn is_search(&self) -> bool {
        !self.q.trim().is_empty()
            || [
                &self.column,
                &self.source,
                &self.since,
                &self.until,
                &self.issuer,
                &self.validity,
            ]
            .iter()
            .any(|v| nonempty(v.as_ref()).is_some())
    }

    /// The query string again, without the page (for paging links and the feed).
    pub(crate) fn query_string(&self) -> String {
        let mut parts = vec![format!("q={}", view::enc(self.q.trim()))];
        for (k, v) in [
            ("column", &self.column),
            ("source", &self.source),
            ("since", &self.since),
            ("until", &self.until),
            ("issuer", &self.issuer),
            ("validity", &self.validity),
            ("order", &self.order),
        ] {
            if let Some(v) = nonempty(v.as_ref()) {
                parts.push(format!("{k}={}", view::enc(&v)));
            }
        }
        parts.join("&")
    }
}

/// The page shown when no search index is available.
pub(crate) fn search_disabled(state: &AppState) -> Response {
    error_page(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "搜索功能尚未启用",
        "本服务器还没有建立搜索索引。请联系管理员运行 jujiao reindex 后重启服务。",
    )
}

#[derive(Debug, Serialize)]
struct HitView {
    article_id: i64,
    /// The title in pieces; the template draws the marked ones in `<mark>`.
    title: Vec<Piece>,
    snippet: Vec<Piece>,
    column: String,
    source_name: String,
    date: Option<String>,
    url: Option<String>,
    /// The attachment whose text matched, when neither title nor body did.
    attachment: Option<String>,
}

/// A piece of a title or snippet and whether it matched the query.
#[derive(Debug, Serialize)]
struct Piece {
    text: String,
    mark: bool,
}

fn pieces(text: &str, marks: &[std::ops::Range<usize>]) -> Vec<Piece> {
    jujiao_search::marked_parts(text, marks)
        .into_iter()
        .map(|(text, mark)| Piece {
            text: text.to_owned(),
            mark,
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct SourceOption {
    id: String,
    name: String,
}

async fn search_page(State(state): State<AppState>, Query(p): Query<SearchParams>) -> Response {
    let Some(indexer) = state.indexer() else {
        return search_disabled(&state);
    };
    let query = match p.to_query(PAGE_SIZE) {
        Ok(q) => q,
        Err(message) => {
            return error_page(&state, StatusCode::BAD_REQUEST, "搜索条件有误", message);
        }
    };
    let page = query.offset / PAGE_SIZE + 1;
    let searched = p.is_search();
    let started = Instant::now();
    let mut timing = SearchTiming::default();
    let (total, hits) = if searched {
        match indexer.search(query.clone()).await {
            Ok(r) => {
                timing = r.timing;
                (r.total, r.hits)
            }
            Err(e) => {
                tracing::error!(error = %e, "search failed");
                return error_page(
                    &state,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "搜索暂时失败",
                    "请稍后再试；如果一直如此，请联系管理员。",
                );
            }
        }
    } else {
        (0, Vec::new())
    };
    let mut views: Vec<HitView> = Vec::with_capacity(hits.len());
    for h in hits {
        let is_text_match = !h.title_marks.is_empty() || !h.snippet_marks.is_empty();
        let attachment = if is_text_match || p.q.trim().is_empty() {
            None
        } else {
            crate::files::matching_attachment(
                state.store(),
                jujiao_store::ArticleId(h.article_id),
                &p.q,
            )
            .await
        };
        views.push(HitView {
            article_id: h.article_id,
            title: pieces(&h.title, &h.title_marks),
            snippet: pieces(&h.snippet, &h.snippet_marks),
            source_name: state.source_name(&h.source),
            column: h.column,
            date: h.date.map(|d| d.to_string()),
            url: view::is_web_url(&h.url).then_some(h.url),
            attachment,
        });
    }
    let hits = views;
    let searched_at = Instant::now();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let base = p.query_string();
    let href = |n: usize| format!("/search?{base}&page={n}");
    let sources: Vec<SourceOption> = state
        .sources()
        .iter()
        .map(|s| SourceOption {
            id: s.id.clone(),
            name: s.name.clone(),
        })
        .collect();
    let mut response = render(
        &state,
        "search.html",
        context! {
            nav => "search",
            q => p.q.trim(),
            column => query.column.clone().unwrap_or_default(),
            source => query.source.clone().unwrap_or_default(),
            since => query.since.map(|d| d.to_string()).unwrap_or_default(),
            until => query.until.map(|d| d.to_string()).unwrap_or_default(),
            issuer => query.issuer.clone().unwrap_or_default(),
            validity => query.validity.clone().unwrap_or_default(),
            order => if query.order == Order::Newest { "newest" } else { "relevance" },
            columns => view::known_columns(&state),
            sources,
            searched,
            total,
            page,
            pages,
            hits,
            feed_query => base.clone(),
            prev_href => (page > 1).then(|| href(page - 1)),
            next_href => (page < pages).then(|| href(page + 1)),
        },
    );
    let rendered_at = Instant::now();
    let total_time = rendered_at - started;
    // The search's own split, then the attachment look-ups and the template: where a
    // slow page spends its time, for `scripts/bench_web.py` and the browser's devtools.
    let others = (searched_at - started).saturating_sub(timing.matching + timing.hits);
    let value = format!(
        "search;dur={:.2}, hits;dur={:.2}, other;dur={:.2}, render;dur={:.2}, total;dur={:.2}",
        ms(timing.matching),
        ms(timing.hits),
        ms(others),
        ms(rendered_at - searched_at),
        ms(total_time),
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
    response
}

/// The `Server-Timing` header (W3C Server Timing); `http` has no constant for it.
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
