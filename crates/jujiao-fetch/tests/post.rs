//! POST requests (portal forms, JSON list APIs) against a real local server: body and
//! content type arrive, a 303 after the POST turns into a GET, a 307 repeats the POST.
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::http::{HeaderMap, Method as HttpMethod};
use axum::routing::{any, post};
use common::{config, reply, serve};
use jujiao_fetch::{Fetch, FetchRequest, HttpFetcher, RequestBody};

async fn echo(method: HttpMethod, headers: HeaderMap, body: String) -> axum::response::Response {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    reply(
        200,
        &[("content-type", "text/plain")],
        format!("{method} {ct} {body}"),
    )
}

#[tokio::test]
async fn form_and_json_bodies_are_sent_with_their_content_type() {
    let app = Router::new()
        .route("/echo", any(echo))
        .route(
            "/see-other",
            post(|| async { reply(303, &[("location", "/echo")], "") }),
        )
        .route(
            "/temporary",
            post(|| async { reply(307, &[("location", "/echo")], "") }),
        );
    let base = serve(app).await;
    let fetcher = HttpFetcher::new(config());
    let url = base.join("/echo").unwrap();

    let form = RequestBody::form([("infoID", "7"), ("number", "2"), ("q", "通知 公告")]);
    let r = fetcher
        .fetch(&FetchRequest::new(url.clone()).with_post(form.clone()))
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        "POST application/x-www-form-urlencoded infoID=7&number=2&q=%E9%80%9A%E7%9F%A5+%E5%85%AC%E5%91%8A"
    );

    let json = RequestBody::json(r#"{"pageNo":3}"#);
    let r = fetcher
        .fetch(&FetchRequest::new(url.clone()).with_post(json))
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"POST application/json {"pageNo":3}"#
    );

    let r = fetcher
        .fetch(&FetchRequest::new(base.join("/see-other").unwrap()).with_post(form.clone()))
        .await
        .unwrap();
    assert_eq!(String::from_utf8(r.body).unwrap(), "GET - ");

    let r = fetcher
        .fetch(&FetchRequest::new(base.join("/temporary").unwrap()).with_post(form))
        .await
        .unwrap();
    assert!(
        String::from_utf8(r.body)
            .unwrap()
            .starts_with("POST application/x-www-form-urlencoded infoID=7"),
    );
}

#[test]
fn debug_of_a_body_shows_no_field_values() {
    let body = RequestBody::form([("password", "s3cret")]);
    let shown = format!(
        "{:?}",
        FetchRequest::new("http://h.example/".parse().unwrap()).with_post(body)
    );
    assert!(!shown.contains("s3cret"), "{shown}");
}
