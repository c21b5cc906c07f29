//! Happy paths, redirects, caps, conditional GET, cookies and address safety
//! against real local servers.

mod common;

use std::io::Write;
use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use common::{Tally, config, reply, serve};
use flate2::Compression;
use flate2::write::GzEncoder;
use jujiao_fetch::{Fetch, FetchError, HttpFetcher, Outcome, SourceSettings, Validators};

const PAGE: &[u8] = "<html><head><title>通知公告</title></head><body>正文</body></html>".as_bytes();

#[tokio::test]
async fn happy_path_returns_bytes_headers_and_final_url() {
    let app = Router::new()
        .route(
            "/page.html",
            get(|| async {
                reply(
                    200,
                    &[
                        ("content-type", "text/html; charset=UTF-8"),
                        ("etag", "\"abc\""),
                        ("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
                    ],
                    PAGE,
                )
            }),
        )
        .route(
            "/old",
            get(|| async { reply(301, &[("location", "page.html#top")], "") }),
        );
    let base = serve(app).await;
    let fetcher = HttpFetcher::new(config());

    let response = fetcher
        .fetch(&common::get(&base, "/old"))
        .await
        .expect("fetch");
    assert_eq!(response.outcome(), Outcome::Success);
    assert_eq!(
        response.url.as_str(),
        base.join("/page.html").expect("url").as_str()
    );
    assert_eq!(response.redirects, 1);
    assert_eq!(response.attempts, 2);
    assert_eq!(response.body, PAGE);
    assert_eq!(
        response.content_type.as_deref(),
        Some("text/html; charset=UTF-8")
    );
    assert_eq!(response.charset.as_deref(), Some("utf-8"));
    assert_eq!(response.validators.etag.as_deref(), Some("\"abc\""));
    assert_eq!(
        response.validators.last_modified.as_deref(),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
}

#[tokio::test]
async fn wrong_charset_header_is_passed_through_with_exact_bytes() {
    // "通知" in GBK, served under a header that claims UTF-8.
    const GBK: &[u8] = b"<p>\xcd\xa8\xd6\xaa</p>";
    let app = Router::new().route(
        "/gbk",
        get(|| async { reply(200, &[("content-type", "text/html;charset=utf-8")], GBK) }),
    );
    let base = serve(app).await;
    let response = HttpFetcher::new(config())
        .fetch(&common::get(&base, "/gbk"))
        .await
        .expect("fetch");
    assert_eq!(response.charset.as_deref(), Some("utf-8"));
    assert_eq!(response.body, GBK);
}

#[tokio::test]
async fn conditional_get_reports_not_modified() {
    let tally = Tally::new();
    let seen = Arc::clone(&tally);
    let app = Router::new().route(
        "/list",
        get(move |headers: HeaderMap| {
            let seen = Arc::clone(&seen);
            async move {
                let _guard = seen.enter();
                let etag = headers.get("if-none-match").and_then(|v| v.to_str().ok());
                let since = headers
                    .get("if-modified-since")
                    .and_then(|v| v.to_str().ok());
                if etag == Some("\"v1\"") && since == Some("Tue, 20 Oct 2015 07:28:00 GMT") {
                    reply(304, &[("etag", "\"v1\"")], "")
                } else {
                    reply(
                        200,
                        &[
                            ("etag", "\"v1\""),
                            ("last-modified", "Tue, 20 Oct 2015 07:28:00 GMT"),
                        ],
                        "list",
                    )
                }
            }
        }),
    );
    let base = serve(app).await;
    let fetcher = HttpFetcher::new(config());
    let first = fetcher
        .fetch(&common::get(&base, "/list"))
        .await
        .expect("fetch");
    assert!(first.is_success());
    let second = fetcher
        .fetch(&common::get(&base, "/list").with_validators(first.validators.clone()))
        .await
        .expect("fetch");
    assert_eq!(second.outcome(), Outcome::NotModified);
    assert!(second.body.is_empty());
    assert_eq!(second.validators, first.validators);
    let stale = fetcher
        .fetch(&common::get(&base, "/list").with_validators(Validators {
            etag: Some("\"v0\"".into()),
            last_modified: None,
        }))
        .await
        .expect("fetch");
    assert!(stale.is_success());
    assert_eq!(tally.hits(), 3);
}

#[tokio::test]
async fn redirect_loop_is_a_clear_error() {
    let app = Router::new()
        .route(
            "/a",
            get(|| async { reply(302, &[("location", "/b")], "") }),
        )
        .route(
            "/b",
            get(|| async { reply(302, &[("location", "/a")], "") }),
        );
    let base = serve(app).await;
    let error = HttpFetcher::new(config())
        .fetch(&common::get(&base, "/a"))
        .await
        .expect_err("loop");
    match error {
        FetchError::RedirectLoop { url, repeated } => {
            assert_eq!(url.path(), "/a");
            assert_eq!(repeated.path(), "/a");
        }
        other => panic!("expected RedirectLoop, got {other:?}"),
    }
}

#[tokio::test]
async fn endless_redirect_chain_stops_at_the_limit() {
    let tally = Tally::new();
    let seen = Arc::clone(&tally);
    let app = Router::new().route(
        "/r/{n}",
        get(move |axum::extract::Path(n): axum::extract::Path<u32>| {
            let seen = Arc::clone(&seen);
            async move {
                let _guard = seen.enter();
                reply(302, &[("location", &format!("/r/{}", n + 1))], "")
            }
        }),
    );
    let base = serve(app).await;
    let mut cfg = config();
    cfg.max_redirects = 3;
    let error = HttpFetcher::new(cfg)
        .fetch(&common::get(&base, "/r/0"))
        .await
        .expect_err("too many");
    assert!(
        matches!(error, FetchError::TooManyRedirects { limit: 3, .. }),
        "{error:?}"
    );
    assert_eq!(tally.hits(), 4);
}

fn gzip(data: &[u8], repeat: usize) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    for _ in 0..repeat {
        encoder.write_all(data).expect("compress");
    }
    encoder.finish().expect("finish")
}

#[tokio::test]
async fn gzip_bomb_stops_at_the_cap() {
    // 16 MiB of zeros inflate from ~16 KiB: far below the cap on the wire,
    // far above it once decompressed.
    let bomb = gzip(&[0_u8; 1 << 20], 16);
    assert!(bomb.len() < 64 * 1024, "bomb is {} bytes", bomb.len());
    let small = gzip(PAGE, 100);
    let app = Router::new()
        .route(
            "/bomb",
            get(move || {
                let bomb = bomb.clone();
                async move { reply(200, &[("content-encoding", "gzip")], bomb) }
            }),
        )
        .route(
            "/small",
            get(move || {
                let small = small.clone();
                async move { reply(200, &[("content-encoding", "gzip")], small) }
            }),
        );
    let base = serve(app).await;
    let mut cfg = config();
    cfg.max_body_bytes = 256 * 1024;
    let fetcher = HttpFetcher::new(cfg);
    let error = fetcher
        .fetch(&common::get(&base, "/bomb"))
        .await
        .expect_err("bomb");
    assert!(
        matches!(error, FetchError::TooLarge { limit: 262_144, .. }),
        "{error:?}"
    );
    let ok = fetcher
        .fetch(&common::get(&base, "/small"))
        .await
        .expect("small");
    assert_eq!(ok.body, PAGE.repeat(100));
}

#[tokio::test]
async fn declared_length_over_the_cap_fails_without_reading() {
    let app = Router::new().route("/big", get(|| async { vec![b'x'; 10_000] }));
    let base = serve(app).await;
    let mut cfg = config();
    cfg.max_body_bytes = 1_000;
    let error = HttpFetcher::new(cfg)
        .fetch(&common::get(&base, "/big"))
        .await
        .expect_err("too large");
    assert!(matches!(error, FetchError::TooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn huge_error_page_is_truncated_not_an_error() {
    let app = Router::new().fallback(|| async { reply(404, &[], vec![b'x'; 10_000]) });
    let base = serve(app).await;
    let mut cfg = config();
    cfg.max_body_bytes = 1_000;
    let response = HttpFetcher::new(cfg)
        .fetch(&common::get(&base, "/gone"))
        .await
        .expect("an answer");
    assert_eq!(response.outcome(), Outcome::HttpStatus(404));
    assert_eq!(response.body.len(), 1_000);
}

#[tokio::test]
async fn each_source_has_its_own_headers_and_cookie_jar() {
    let app = Router::new()
        .route(
            "/set",
            get(|| async { reply(200, &[("set-cookie", "sid=abc; Path=/")], "ok") }),
        )
        .route(
            "/echo",
            get(|headers: HeaderMap| async move {
                let show = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_owned()
                };
                format!(
                    "cookie={} token={} lang={}",
                    show("cookie"),
                    show("x-token"),
                    show("accept-language")
                )
            }),
        );
    let base = serve(app).await;
    let fetcher = HttpFetcher::new(config());
    fetcher
        .register_source(
            "a",
            SourceSettings {
                headers: vec![
                    ("X-Token".into(), "t1".into()),
                    ("Accept-Language".into(), "en".into()),
                ],
                cookies: vec![(base.clone(), "seed=1; Path=/".into())],
                delay: None,
                accepts_invalid_certs: false,
                user_agent: None,
            },
        )
        .expect("register");
    let echo = |source: Option<&str>| {
        let mut request = common::get(&base, "/echo");
        request.source = source.map(str::to_owned);
        let fetcher = &fetcher;
        async move {
            let body = fetcher.fetch(&request).await.expect("fetch").body;
            String::from_utf8(body).expect("utf8")
        }
    };
    assert_eq!(echo(Some("a")).await, "cookie=seed=1 token=t1 lang=en");
    fetcher
        .fetch(&common::get(&base, "/set").with_source("a"))
        .await
        .expect("set");
    let after = echo(Some("a")).await;
    assert!(
        after.contains("sid=abc") && after.contains("seed=1"),
        "{after}"
    );
    let plain = "cookie=- token=- lang=zh-CN,zh;q=0.9,en;q=0.5";
    assert_eq!(echo(Some("b")).await, plain);
    assert_eq!(echo(None).await, plain);
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let tally = Tally::new();
    let seen = Arc::clone(&tally);
    let app = Router::new().route(
        "/",
        get(move || {
            let seen = Arc::clone(&seen);
            async move {
                let _guard = seen.enter();
                "home"
            }
        }),
    );
    let base = serve(app).await;
    let port = base.port().expect("port");
    let by_name = url::Url::parse(&format!("http://localhost:{port}/")).expect("url");

    let mut strict = config();
    strict.allow_private = false;
    let fetcher = HttpFetcher::new(strict);
    for url in [base.clone(), by_name.clone()] {
        let error = fetcher
            .fetch(&jujiao_fetch::FetchRequest::new(url.clone()))
            .await
            .expect_err("refused");
        match error {
            FetchError::PrivateAddress { addr, .. } => assert!(addr.is_loopback(), "{addr}"),
            other => panic!("{url}: expected PrivateAddress, got {other:?}"),
        }
    }
    assert_eq!(tally.hits(), 0);

    let lenient = HttpFetcher::new(config());
    for url in [base, by_name] {
        let response = lenient
            .fetch(&jujiao_fetch::FetchRequest::new(url))
            .await
            .expect("allowed");
        assert_eq!(response.body, b"home");
    }
    assert_eq!(tally.hits(), 2);
}
