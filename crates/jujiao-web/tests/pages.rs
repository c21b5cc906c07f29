//! HTTP-level tests of every page against a real server and a real SQLite store.

#![allow(clippy::unwrap_used)]

mod common;

/// The page's HTML with minijinja's `&#x2f;` for `/` turned back (browsers read both).
async fn text(r: reqwest::Response) -> String {
    common::body(r).await.replace("&#x2f;", "/")
}

use common::{DAY, Setup, content_type, start};

#[tokio::test]
async fn briefing_lists_columns_in_the_office_order_and_escapes_titles() {
    let app = start(Setup::default()).await;
    let r = app.get(&format!("/?date={DAY}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "text/html; charset=utf-8");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let html = text(r).await;
    let lead = html.find("<h2>领导活动").unwrap();
    let notice = html.find("<h2>通知公告").unwrap();
    let domestic = html.find("<h2>国内新闻").unwrap();
    assert!(lead < notice && notice < domestic, "column order");
    assert!(html.contains("本日共 3 篇"));
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "title must be escaped"
    );
    assert!(html.contains("区长调研&lt;script&gt;alert(1)&lt;/script&gt;老旧小区改造"));
    assert!(html.contains("&lt;b&gt;不是标签&lt;/b&gt;"));
    assert!(html.contains("修订 1 次"));
    assert!(html.contains("新华网"));
    assert!(html.contains("href=\"https://news.example.com/img/1.jpg\""));
    assert!(
        html.contains("2026-11-19") && html.contains("2026-11-21"),
        "prev/next links"
    );
}

#[tokio::test]
async fn an_empty_day_and_a_bad_date() {
    let app = start(Setup::default()).await;
    let r = app.get("/?date=2026-01-01").await;
    assert_eq!(r.status(), 200);
    let html = text(r).await;
    assert!(html.contains("暂无简报"));
    assert!(!html.contains("最近一期简报"), "nothing earlier");
    let html = text(app.get("/?date=2026-11-23").await).await;
    assert!(
        html.contains("最近一期简报：<a href=\"/?date=2026-11-20\">2026年11月20日 星期五</a>"),
        "{html}"
    );
    let r = app.get("/?date=2026-13-01").await;
    assert_eq!(r.status(), 400);
    assert!(text(r).await.contains("日期格式不对"));
    let r = app.get("/?date=%3Cscript%3E").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn article_page_shows_metadata_sources_and_revisions() {
    let app = start(Setup::default()).await;
    let r = app.get("/articles/2").await;
    assert_eq!(r.status(), 200);
    let html = text(r).await;
    for s in [
        "关于做好冬季供暖工作的通知",
        "记者 王小明",
        "李编辑",
        "人民日报",
        "2026-11-20 09:30",
        "第 1 版",
        "第 2 版",
        "（当前）",
        "（修订）",
    ] {
        assert!(html.contains(s), "{s}");
    }
    let r = app.get("/articles/1").await;
    let html = text(r).await;
    assert!(html.contains("发布过这篇文章的来源（2）"));
    assert!(html.contains("https://mirror.example.org/copy/1.html"));
    assert!(html.contains("转载"));
    assert_eq!(app.get("/articles/999").await.status(), 404);
    assert_eq!(app.get("/articles/abc").await.status(), 404);
    let r = app.get("/nowhere").await;
    assert_eq!(r.status(), 404);
    assert!(r.headers().contains_key("content-security-policy"));
}

#[tokio::test]
async fn search_highlights_filters_and_pages() {
    let app = start(Setup::default()).await;
    let r = app.get("/search?q=%E7%A7%8B%E7%B2%AE").await; // 秋粮
    assert_eq!(r.status(), 200);
    // Where the time went, for scripts/bench_web.py and the browser's devtools.
    let timing = r.headers()["server-timing"].to_str().unwrap().to_owned();
    for part in [
        "search;dur=",
        "hits;dur=",
        "other;dur=",
        "render;dur=",
        "total;dur=",
    ] {
        assert!(timing.contains(part), "{timing}");
    }
    let html = text(r).await;
    assert!(html.contains("共找到 <strong>1</strong> 篇"), "{html}");
    assert!(
        html.contains("<mark>秋粮</mark>") || html.contains("<mark>秋</mark>"),
        "{html}"
    );
    // A filter that excludes it.
    let r = app
        .get("/search?q=%E7%A7%8B%E7%B2%AE&column=%E9%80%9A%E7%9F%A5%E5%85%AC%E5%91%8A")
        .await;
    assert!(text(r).await.contains("没有找到相符的文章"));
    // Hostile text is escaped inside highlighted fields too.
    let r = app.get("/search?q=%E5%8C%BA%E9%95%BF").await; // 区长
    let html = text(r).await;
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&lt;script&gt;") || html.contains("&lt;b&gt;"));
    // The form alone, and bad parameters.
    let r = app.get("/search").await;
    assert_eq!(r.status(), 200);
    assert!(text(r).await.contains("搜索文章"));
    assert_eq!(app.get("/search?q=a&since=yesterday").await.status(), 400);
    assert_eq!(app.get("/search?q=a&order=random").await.status(), 400);
    assert_eq!(app.get("/search?q=a&page=0").await.status(), 400);
}

#[tokio::test]
async fn search_without_an_index_says_so() {
    let app = start(Setup {
        search: false,
        ..Setup::default()
    })
    .await;
    let r = app.get("/search?q=x").await;
    assert_eq!(r.status(), 503);
    assert!(text(r).await.contains("搜索功能尚未启用"));
    assert_eq!(app.get("/api/search?q=x").await.status(), 503);
    assert_eq!(app.get("/feeds/search.rss?q=x").await.status(), 503);
}

#[tokio::test]
async fn sources_page_shows_health_in_chinese_with_evidence() {
    let app = start(Setup::default()).await;
    let run = app.store.start_run("gov").await.unwrap();
    let summary = jujiao_store::RunSummary {
        list_pages: 1,
        errors: 2,
        error_samples: vec!["https://gov.example.com/list: HTTP 403 <forbidden>".into()],
        verdict: jujiao_crawl::Verdict::Blocked.as_str().into(),
        ..Default::default()
    };
    app.store.finish_run(run, &summary).await.unwrap();
    let r = app.get("/sources").await;
    assert_eq!(r.status(), 200);
    let html = text(r).await;
    assert!(html.contains("被封禁(403/429)"));
    assert!(html.contains("HTTP 403 &lt;forbidden&gt;"));
    assert!(html.contains("尚未运行"), "sources never run");
    assert!(html.contains("市政府网站") && html.contains("新华网"));
    assert!(
        !html.contains("立即运行</button>"),
        "no run button without a token"
    );
}

#[tokio::test]
async fn export_downloads_with_a_chinese_file_name_and_refuses_odd_requests() {
    let app = start(Setup::default()).await;
    let r = app.get("/export").await;
    assert_eq!(r.status(), 200);
    assert!(text(r).await.contains("导出简报"));
    let r = app
        .get(&format!(
            "/export/download?since={DAY}&until={DAY}&format=docx"
        ))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        content_type(&r),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cd.starts_with("attachment; filename=\"jujiao-2026-11-20.docx\""),
        "{cd}"
    );
    assert!(
        cd.contains("filename*=UTF-8''%E7%AE%80%E6%8A%A5_2026-11-20.docx"),
        "{cd}"
    );
    let body = common::bytes(r).await;
    assert_eq!(&body[..2], b"PK");
    let r = app.get(&format!("/export/download?since={DAY}&until={DAY}&format=md&column=%E5%9B%BD%E5%86%85%E6%96%B0%E9%97%BB")).await;
    assert_eq!(r.status(), 200);
    let md = text(r).await;
    assert!(md.contains("全国秋粮收购进展顺利") && !md.contains("冬季供暖"));
    for bad in [
        format!("since={DAY}&until={DAY}&format=exe"),
        format!("since=2026-11-31&until={DAY}&format=md"),
        format!("since={DAY}&until=2026-11-01&format=md"),
        format!("since={DAY}&until={DAY}&format=md&column=%E4%B9%B1"),
        format!("since={DAY}&until={DAY}&format=md&x=1"),
    ] {
        let r = app.get(&format!("/export/download?{bad}")).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert!(text(r).await.contains("导出条件有误"));
    }
}

#[tokio::test]
async fn the_stylesheet_is_served() {
    let app = start(Setup::default()).await;
    let r = app.get("/assets/style.css").await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "text/css; charset=utf-8");
    assert!(text(r).await.contains("@media print"));
}

#[tokio::test]
async fn only_web_urls_become_links() {
    let app = start(Setup::default()).await;
    let mut a = common::article("gov", 77, "链接测试", &["正文。"]);
    a.url = "javascript:alert(1)".into();
    a.images[0].url = "javascript:alert(2)".into();
    app.store
        .record_articles(&[common::record(a, "通知公告", common::day())])
        .await
        .unwrap();
    let html = text(app.get(&format!("/?date={DAY}")).await).await;
    assert!(html.contains("链接测试"));
    assert!(!html.contains("javascript:"), "no javascript: link");
    let html = text(app.get("/articles/4").await).await;
    assert!(html.contains("链接测试"));
    assert!(!html.contains("href=\"javascript:"), "no javascript: link");
}
