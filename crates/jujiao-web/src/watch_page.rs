//! The 关注 page (`/watch`): every watch rule with its recent matches (newest first) and
//! each match's delivery state per channel; "试用" (`/watch/try`) shows what a rule
//! would have matched in the last 30 days, with the same matching as delivery
//! (`jujiao_watch::RuleSet`); and 领导活动一览 (`/leaders`): per configured leader and
//! day, the articles naming them with the sentence that does.
//!
//! Messages held for the duty officer (`unknown_outcome = "hold"`) come first on the
//! page, with their text and the two actions of [`crate::watch_held`].
//!
//! Saving and deleting rules (`POST /watch/rules`, `POST /watch/rules/delete`) change
//! state: they need a signed-in editor or admin ([`EditorUser`]; a viewer gets 403),
//! whose form carries the session's CSRF token (checked by the auth middleware before
//! the handler runs), or the admin token as `Authorization: Bearer` (scripts). Each
//! change is written to the audit log. Rules from the sources file are shown but edited
//! there.

use crate::AppState;
use crate::auth::{EditorUser, MaybeUser, audit};
use crate::view::{error_page, local_time, render, store_failed};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Duration as Span, NaiveDate, Utc};
use jujiao_config::watch::{RawWatch, watch_rule};
use jujiao_model::shanghai;
use jujiao_store::{FilingQuery, RuleOrigin, StoredWatchRule};
use jujiao_watch::RuleSet;
use jujiao_watch::leaders::LeaderFinder;
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Days "试用" looks back.
pub const TRY_DAYS: i64 = 30;
/// Matches shown on the 关注 page.
const RECENT: u32 = 100;
/// Most articles shown by "试用".
const TRY_SHOWN: usize = 200;
/// Days the leaders' page covers by default.
const LEADER_DAYS: i64 = 7;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/watch", get(watch_page))
        .route("/watch/try", get(try_rule))
        .route("/watch/rules", post(save_rule))
        .route("/watch/rules/delete", post(delete_rule))
        .route("/leaders", get(leaders_page))
}

#[derive(Debug, Serialize)]
struct RuleRow {
    name: String,
    query: String,
    scope: String,
    channels: String,
    digest: Option<String>,
    from_file: bool,
    columns: String,
    sources: String,
    title_only: bool,
}

fn rule_row(r: &StoredWatchRule) -> RuleRow {
    let mut scope = Vec::new();
    scope.push(
        if r.title_only {
            "仅标题"
        } else {
            "标题和正文"
        }
        .to_owned(),
    );
    if !r.columns.is_empty() {
        scope.push(format!("栏目：{}", r.columns.join("、")));
    }
    if !r.sources.is_empty() {
        scope.push(format!("来源：{}", r.sources.join("、")));
    }
    RuleRow {
        name: r.name.clone(),
        query: r.query.clone(),
        scope: scope.join("；"),
        channels: r.channels.join("、"),
        digest: r
            .digest_minute
            .map(|m| format!("每天 {:02}:{:02} 汇总", m / 60, m % 60)),
        from_file: r.origin == RuleOrigin::Config,
        columns: r.columns.join(","),
        sources: r.sources.join(","),
        title_only: r.title_only,
    }
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    rule: Option<String>,
    saved: Option<String>,
    /// `received` or `resend`: the duty officer's last action, on message `held_id`.
    held: Option<String>,
    held_id: Option<i64>,
}

async fn watch_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<PageQuery>,
) -> Response {
    let store = state.store();
    let rules = match store.watch_rules().await {
        Ok(r) => r,
        Err(e) => return store_failed(&state, &e),
    };
    let held = match store.held_messages().await {
        Ok(h) => crate::watch_held::held_rows(&h),
        Err(e) => return store_failed(&state, &e),
    };
    let matches = match store.recent_watch_matches(q.rule.as_deref(), RECENT).await {
        Ok(m) => m,
        Err(e) => return store_failed(&state, &e),
    };
    let matches: Vec<_> = matches
        .iter()
        .map(|m| {
            let deliveries: Vec<_> = m
                .deliveries
                .iter()
                .map(|d| {
                    let (text, class) = match (&d.delivered_at, d.attempts) {
                        (Some(t), _) => (format!("已送达 {}", local_time(*t)), "ok"),
                        (None, _) if d.held => ("结果未知，待值班人员确认".to_owned(), "bad"),
                        (None, 0) if d.due_at > Utc::now() => {
                            (format!("待发送（{}）", local_time(d.due_at)), "none")
                        }
                        (None, 0) => ("待发送".to_owned(), "none"),
                        (None, n) => (format!("失败 {n} 次，{} 重试", local_time(d.due_at)), "bad"),
                    };
                    context! { channel => d.channel, text, class, error => d.last_error }
                })
                .collect();
            context! {
                rule => m.rule, article_id => m.article_id.0, title => m.title,
                source => state.source_name(&m.source_id), column => m.column,
                excerpt => m.excerpt, matched => local_time(m.matched_at), deliveries,
            }
        })
        .collect();
    let channels: Vec<String> = state
        .watch()
        .map(|w| {
            w.channels
                .iter()
                .map(|c| format!("{}（{}）", c.name, c.kind_name()))
                .collect()
        })
        .unwrap_or_default();
    let can_edit = user.as_ref().is_some_and(|u| u.can_edit());
    render(
        &state,
        "watch.html",
        context! {
            nav => "watch", rules => rules.iter().map(rule_row).collect::<Vec<_>>(),
            matches, channels, can_edit, rule_filter => q.rule, saved => q.saved,
            try_days => TRY_DAYS, held, held_done => q.held, held_id => q.held_id,
        },
    )
}

#[derive(Debug, Deserialize, Default)]
struct RuleForm {
    name: Option<String>,
    #[serde(default)]
    query: String,
    #[serde(default)]
    columns: String,
    #[serde(default)]
    sources: String,
    title_only: Option<String>,
    #[serde(default)]
    channels: String,
    digest: Option<String>,
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl RuleForm {
    fn raw(&self) -> RawWatch {
        RawWatch {
            name: self.name.clone().unwrap_or_default(),
            query: self.query.clone(),
            columns: split_list(&self.columns),
            sources: split_list(&self.sources),
            title_only: self.title_only.is_some(),
            channels: split_list(&self.channels),
            digest: self.digest.clone().filter(|d| !d.trim().is_empty()),
        }
    }
}

async fn save_rule(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Form(form): Form<RuleForm>,
) -> Response {
    let channel_names: Vec<&str> = state
        .watch()
        .map(|w| w.channels.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    let rule = match watch_rule(&form.raw(), "规则", &channel_names) {
        Ok(r) => r,
        Err(problem) => {
            return error_page(
                &state,
                StatusCode::BAD_REQUEST,
                "规则有误",
                &problem.to_string(),
            );
        }
    };
    let existing = match state.store().watch_rules().await {
        Ok(r) => r,
        Err(e) => return store_failed(&state, &e),
    };
    if existing
        .iter()
        .any(|r| r.name == rule.name && r.origin == RuleOrigin::Config)
    {
        return error_page(
            &state,
            StatusCode::CONFLICT,
            "这条规则写在配置文件里",
            "配置文件中的规则请在配置文件里修改；网页上可以另起一个名字。",
        );
    }
    let stored = jujiao_watch::stored_rule(&rule, RuleOrigin::Web);
    if let Err(e) = state.store().save_watch_rule(&stored).await {
        return store_failed(&state, &e);
    }
    let action = if existing.iter().any(|r| r.name == rule.name) {
        "修改关注规则"
    } else {
        "新建关注规则"
    };
    let detail = format!(
        "查询：{}；渠道：{}",
        stored.query,
        stored.channels.join("、")
    );
    audit(
        &state,
        &who,
        action,
        &format!("watch rule {}", rule.name),
        &detail,
    )
    .await;
    (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            format!("/watch?saved={}", crate::view::enc(&rule.name)),
        )],
    )
        .into_response()
}

async fn delete_rule(
    State(state): State<AppState>,
    EditorUser(who): EditorUser,
    Form(form): Form<RuleForm>,
) -> Response {
    let name = form.name.unwrap_or_default();
    let existing = match state.store().watch_rules().await {
        Ok(r) => r,
        Err(e) => return store_failed(&state, &e),
    };
    match existing.iter().find(|r| r.name == name) {
        None => error_page(
            &state,
            StatusCode::NOT_FOUND,
            "没有这条规则",
            "这条规则不存在或已删除。",
        ),
        Some(r) if r.origin == RuleOrigin::Config => error_page(
            &state,
            StatusCode::CONFLICT,
            "这条规则写在配置文件里",
            "配置文件中的规则请在配置文件里删除。",
        ),
        Some(r) => match state.store().delete_watch_rule(&name).await {
            Ok(_) => {
                let detail = format!("查询：{}", r.query);
                audit(
                    &state,
                    &who,
                    "删除关注规则",
                    &format!("watch rule {name}"),
                    &detail,
                )
                .await;
                (
                    StatusCode::SEE_OTHER,
                    [(header::LOCATION, "/watch".to_owned())],
                )
                    .into_response()
            }
            Err(e) => store_failed(&state, &e),
        },
    }
}

fn today() -> NaiveDate {
    Utc::now().with_timezone(&shanghai()).date_naive()
}

/// Every filing between two days, page by page.
async fn filed_between(
    state: &AppState,
    since: NaiveDate,
    until: NaiveDate,
    column: Option<String>,
) -> Result<Vec<jujiao_store::FiledArticle>, jujiao_store::StoreError> {
    let mut out = Vec::new();
    let mut query = FilingQuery {
        since: Some(since),
        until: Some(until),
        column,
        ..FilingQuery::default()
    };
    loop {
        let page = state.store().filed_articles(&query).await?;
        let Some(last) = page.last() else { break };
        query.after = Some(last.filing_id);
        let full = page.len() as u32 >= query.limit;
        out.extend(page);
        if !full {
            break;
        }
    }
    Ok(out)
}

async fn try_rule(State(state): State<AppState>, Query(form): Query<RuleForm>) -> Response {
    let raw = form.raw();
    let rule = StoredWatchRule {
        name: if raw.name.is_empty() {
            "试用".to_owned()
        } else {
            raw.name.clone()
        },
        query: raw.query.trim().to_owned(),
        columns: raw.columns,
        sources: raw.sources,
        title_only: raw.title_only,
        channels: Vec::new(),
        digest_minute: None,
        origin: RuleOrigin::Web,
    };
    let set = RuleSet::new(vec![rule.clone()]);
    let until = today();
    let since = until - Span::days(TRY_DAYS - 1);
    let filed = match filed_between(&state, since, until, None).await {
        Ok(f) => f,
        Err(e) => return store_failed(&state, &e),
    };
    let mut hits: Vec<_> = filed
        .iter()
        .filter_map(|f| {
            let hit = set
                .hits(&f.article, &f.filing.column, &f.article.source)
                .into_iter()
                .next()?;
            Some(context! {
                article_id => f.article_id.0, title => f.article.title,
                source => state.source_name(&f.article.source), column => f.filing.column,
                date => f.filing.date.map(|d| d.to_string()), excerpt => hit.excerpt,
            })
        })
        .collect();
    hits.reverse();
    let total = hits.len();
    hits.truncate(TRY_SHOWN);
    render(
        &state,
        "watch_try.html",
        context! {
            nav => "watch", rule => rule_row(&rule), hits, total, scanned => filed.len(),
            since => since.to_string(), until => until.to_string(), shown => TRY_SHOWN,
        },
    )
}

#[derive(Debug, Deserialize)]
struct LeaderQuery {
    leader: Option<String>,
    date: Option<NaiveDate>,
    days: Option<i64>,
}

async fn leaders_page(State(state): State<AppState>, Query(q): Query<LeaderQuery>) -> Response {
    let leaders = state.watch().map(|w| w.leaders.clone()).unwrap_or_default();
    let finder = LeaderFinder::new(leaders.clone());
    let until = q.date.unwrap_or_else(today);
    let days = q.days.unwrap_or(LEADER_DAYS).clamp(1, 31);
    let since = until - Span::days(days - 1);
    let filed = if leaders.is_empty() {
        Vec::new()
    } else {
        match filed_between(&state, since, until, None).await {
            Ok(f) => f,
            Err(e) => return store_failed(&state, &e),
        }
    };
    // leader → day (newest first) → items
    let mut by_leader: BTreeMap<
        usize,
        BTreeMap<std::cmp::Reverse<NaiveDate>, Vec<minijinja::Value>>,
    > = BTreeMap::new();
    for f in &filed {
        let Some(date) = f.filing.date else { continue };
        for m in finder.mentions(&f.article.title, &f.article.body()) {
            if q.leader
                .as_deref()
                .is_some_and(|l| l != leaders[m.leader].name)
            {
                continue;
            }
            by_leader
                .entry(m.leader)
                .or_default()
                .entry(std::cmp::Reverse(date))
                .or_default()
                .push(context! {
                    article_id => f.article_id.0, title => f.article.title,
                    source => state.source_name(&f.article.source), column => f.filing.column,
                    sentence => m.sentence,
                });
        }
    }
    let sections: Vec<_> = leaders
        .iter()
        .enumerate()
        .filter(|(_, l)| q.leader.as_deref().is_none_or(|n| n == l.name))
        .map(|(i, l)| {
            let days: Vec<_> = by_leader
                .remove(&i)
                .unwrap_or_default()
                .into_iter()
                .map(|(d, items)| context! { date => d.0.to_string(), items })
                .collect();
            context! { name => l.name, title => l.title, days }
        })
        .collect();
    render(
        &state,
        "leaders.html",
        context! {
            nav => "leaders", sections, leaders => leaders.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
            leader => q.leader, since => since.to_string(), until => until.to_string(),
        },
    )
}
