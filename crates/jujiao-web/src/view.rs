//! Templates (embedded, autoescaped), the stylesheet, error pages and small helpers the
//! pages share: dates in Asia/Shanghai, the office's column order, verdict labels.

use crate::AppState;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use jujiao_crawl::Verdict;
use minijinja::{AutoEscape, Environment, context};

/// The templates, embedded in the binary.
const TEMPLATES: [(&str, &str); 14] = [
    ("base.html", include_str!("../templates/base.html")),
    ("briefing.html", include_str!("../templates/briefing.html")),
    ("article.html", include_str!("../templates/article.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("sources.html", include_str!("../templates/sources.html")),
    ("workers.html", include_str!("../templates/workers.html")),
    ("export.html", include_str!("../templates/export.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("watch.html", include_str!("../templates/watch.html")),
    (
        "watch_try.html",
        include_str!("../templates/watch_try.html"),
    ),
    ("leaders.html", include_str!("../templates/leaders.html")),
];

const STYLE_CSS: &str = include_str!("../assets/style.css");

/// The template environment; every template is HTML and autoescaped.
pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    for (name, source) in TEMPLATES.into_iter().chain(crate::desk::TEMPLATES) {
        env.add_template(name, source)
            .expect("embedded templates compile (checked by a test)");
    }
    env
}

/// Renders a page, or a plain 500 if the template fails (a bug, logged). Every page
/// also sees `current_user` and `csrf_token` of the request (see `auth`) and
/// `held_messages`, the count of alert messages waiting for the duty officer (see
/// `watch_held`), which the header shows beside 关注.
pub(crate) fn render(state: &AppState, name: &str, ctx: minijinja::Value) -> Response {
    let held = context! { held_messages => crate::watch_held::held_count() };
    let ctx = context! { ..ctx, ..held, ..crate::auth::PageAuth::context() };
    match state
        .templates()
        .get_template(name)
        .and_then(|t| t.render(ctx))
    {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(template = name, error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "页面生成出错，请稍后再试。",
            )
                .into_response()
        }
    }
}

/// A calm error page with a status.
pub(crate) fn error_page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    let mut r = render(
        state,
        "error.html",
        context! { title, message, status => status.as_u16() },
    );
    *r.status_mut() = status;
    r
}

/// A store failure as a page (the detail goes to the log, not to the reader).
pub(crate) fn store_failed(state: &AppState, e: &jujiao_store::StoreError) -> Response {
    tracing::error!(error = %e, "store query failed");
    error_page(
        state,
        StatusCode::INTERNAL_SERVER_ERROR,
        "数据库暂时无法读取",
        "请稍后刷新重试；如果一直如此，请联系管理员查看服务日志。",
    )
}

pub(crate) async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Response {
    error_page(
        &state,
        StatusCode::NOT_FOUND,
        "找不到这个页面",
        "地址可能有误，或者内容已不存在。",
    )
}

pub(crate) fn asset_routes() -> Router<AppState> {
    Router::new().route(
        "/assets/style.css",
        get(|| async {
            (
                [
                    (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                STYLE_CSS,
            )
        }),
    )
}

/// Today in Asia/Shanghai (the office's day).
pub(crate) fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&jujiao_model::shanghai())
        .date_naive()
}

/// `YYYY-MM-DD`, or `None` for anything else.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// `2026年11月27日 星期五`.
pub(crate) fn chinese_day(d: NaiveDate) -> String {
    use chrono::Datelike;
    const DAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    let wd = DAYS[d.weekday().num_days_from_monday() as usize];
    format!("{} 星期{wd}", jujiao_export::chinese_date(d))
}

/// A time shown to staff: Asia/Shanghai, minutes.
pub(crate) fn local_time(t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&jujiao_model::shanghai())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A publish time as the article says it.
pub(crate) fn publish_time(p: &jujiao_model::PublishTime) -> String {
    match p {
        jujiao_model::PublishTime::DateTime(dt) => dt
            .with_timezone(&jujiao_model::shanghai())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        jujiao_model::PublishTime::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

/// True for URLs safe to put in `href`/`src`: http and https only (no `javascript:`,
/// no `legacy:` placeholders).
pub(crate) fn is_web_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// The office's column order.
pub(crate) fn column_order() -> jujiao_export::ColumnOrder {
    jujiao_export::ColumnOrder::default()
}

/// Columns to offer in filters: the office's order, then configured ones not in it.
pub(crate) fn known_columns(state: &AppState) -> Vec<String> {
    let order = column_order();
    let mut columns: Vec<String> = order.listed().to_vec();
    for s in state.sources() {
        if !columns.contains(&s.column) {
            columns.push(s.column.clone());
        }
    }
    columns.sort_by_key(|c| (order.rank(c), c.clone()));
    columns
}

/// The health verdicts in Chinese, with a CSS class.
pub(crate) fn verdict_label(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Ok => ("正常", "ok"),
        Verdict::ListEmpty => ("列表页为空", "warn"),
        Verdict::SelectorsStale => ("选择器失效(已自动提取)", "warn"),
        Verdict::Blocked => ("被封禁(403/429)", "bad"),
        Verdict::Unreachable => ("无法访问", "bad"),
        Verdict::LoginRequired => ("会话失效(需要登录)", "bad"),
        Verdict::Challenged => ("被验证页拦截", "bad"),
        Verdict::Errors => ("部分页面失败", "warn"),
        Verdict::NotFound => ("列表页不存在(404)", "bad"),
        Verdict::Redirected => ("列表页已跳转到别处", "bad"),
        Verdict::NoEdition => ("当日无报纸(休刊)", "ok"),
    }
}

const ALL_VERDICTS: [Verdict; 11] = [
    Verdict::Ok,
    Verdict::ListEmpty,
    Verdict::SelectorsStale,
    Verdict::Blocked,
    Verdict::Unreachable,
    Verdict::LoginRequired,
    Verdict::Challenged,
    Verdict::Errors,
    Verdict::NotFound,
    Verdict::Redirected,
    Verdict::NoEdition,
];

/// The verdict a run summary recorded (its `as_str`), if it is one of the crawler's.
pub(crate) fn parse_verdict(text: &str) -> Option<Verdict> {
    ALL_VERDICTS.into_iter().find(|v| v.as_str() == text)
}

/// A label for a recorded verdict string; unknown strings are shown as they are.
pub(crate) fn verdict_text(text: &str) -> (String, &'static str) {
    match parse_verdict(text) {
        Some(v) => {
            let (label, class) = verdict_label(v);
            (label.to_owned(), class)
        }
        None => (text.to_owned(), "warn"),
    }
}

/// Percent-encodes a query value (`form_urlencoded`).
pub(crate) fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile() {
        let env = environment();
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn every_verdict_string_maps_back() {
        for v in ALL_VERDICTS {
            assert_eq!(parse_verdict(v.as_str()), Some(v));
        }
        assert_eq!(verdict_text("ok").0, "正常");
        assert_eq!(verdict_text("weird").0, "weird");
    }

    #[test]
    fn only_web_urls_are_links() {
        assert!(is_web_url("https://example.com/a"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("legacy:2020/a.txt"));
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(
            parse_date("2026-11-27"),
            NaiveDate::from_ymd_opt(2026, 11, 27)
        );
        assert_eq!(parse_date("2026-1-27"), None);
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(
            chinese_day(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
            "2026年11月27日 星期五"
        );
    }
}
