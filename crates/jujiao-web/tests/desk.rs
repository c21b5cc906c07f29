//! The editor's desk over a real server and SQLite file: drafts through the JSON API,
//! version conflicts, issuing and numbering, the frozen issued text and its files.
//! Changes are made with the admin token (scripts' way in, which needs no CSRF token).

#![allow(clippy::unwrap_used)]

mod common;

use common::{DAY, Setup, article, day, record, start};
use jujiao_model::SeriesSettings;
use serde_json::{Value, json};
use std::io::Read;

const TOKEN: &str = "desk-token-123";

struct Desk {
    app: common::TestApp,
}

impl Desk {
    async fn new() -> Desk {
        let app = start(Setup {
            token: Some(TOKEN),
            ..Setup::default()
        })
        .await;
        let mut daily = SeriesSettings::default_daily();
        daily.unit = "区委办公室编".into();
        daily.send_to = "区委、区政府领导".into();
        daily.copies = 30;
        app.store.seed_series(&[daily]).await.unwrap();
        Desk { app }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        token: bool,
    ) -> (u16, Value) {
        let mut r = self
            .app
            .client
            .request(method, format!("{}{path}", self.app.base));
        if token {
            r = r.bearer_auth(TOKEN);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let text = common::body(r).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None, false).await
    }

    async fn bytes(&self, path: &str) -> Vec<u8> {
        let r = self
            .app
            .client
            .get(format!("{}{path}", self.app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        common::bytes(r).await
    }
}

fn document_xml(docx: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut s = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn ids_in(candidates: &Value) -> Vec<(i64, String)> {
    candidates["columns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["articles"].as_array().unwrap().iter().map(|a| {
                (
                    a["article_id"].as_i64().unwrap(),
                    c["column"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect()
}

#[tokio::test]
async fn compose_issue_and_freeze_through_the_api() {
    use reqwest::Method;
    let desk = Desk::new().await;
    let (_, series) = desk.get("/api/briefing/series").await;
    let series_id = series["series"][0]["id"].as_i64().unwrap();
    assert_eq!(series["series"][0]["name"], "每日简报");

    // Creating needs a signed-in editor.
    let new = json!({ "series": series_id, "date": DAY });
    let (status, _) = desk
        .send(
            Method::POST,
            "/api/briefing/issues",
            Some(new.clone()),
            false,
        )
        .await;
    assert_eq!(status, 401);
    let (status, issue) = desk
        .send(
            Method::POST,
            "/api/briefing/issues",
            Some(new.clone()),
            true,
        )
        .await;
    assert_eq!(status, 201, "{issue}");
    let id = issue["id"].as_i64().unwrap();
    assert_eq!(
        (issue["version"].as_i64(), issue["status"].as_str()),
        (Some(1), Some("draft"))
    );
    assert_eq!(issue["send_to"], "区委、区政府领导");

    let (status, cands) = desk
        .get(&format!("/api/briefing/issues/{id}/candidates"))
        .await;
    assert_eq!(status, 200);
    let found = ids_in(&cands);
    assert_eq!(found.len(), 3, "{cands}");
    assert!(
        cands["columns"][0]["articles"][0]["is_new"]
            .as_bool()
            .unwrap()
    );

    // Add the three, one by one, each against the version it read.
    let mut version = 1;
    for (article_id, _) in &found {
        let (status, r) = desk
            .send(
                Method::POST,
                &format!("/api/briefing/issues/{id}/items"),
                Some(json!({ "version": version, "article_id": article_id })),
                true,
            )
            .await;
        assert_eq!(status, 200, "{r}");
        version = r["version"].as_i64().unwrap();
    }
    // Edit the second: a summary and a note; move the last to the front of its column.
    let (status, r) = desk
        .send(
            Method::PATCH,
            &format!("/api/briefing/issues/{id}/items/1"),
            Some(json!({ "version": version, "mode": "summary", "summary": "编者摘要：供暖保障到位。", "note": "请各街道参阅。", "title": "冬季供暖工作通知" })),
            true,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    version = r["version"].as_i64().unwrap();
    // Put every item in one section, then reorder it.
    let (_, current) = desk.get(&format!("/api/briefing/issues/{id}")).await;
    let mut draft = current.clone();
    for item in draft["items"].as_array_mut().unwrap() {
        item["column"] = json!("要闻");
    }
    let body = json!({ "version": version, "draft": {
        "kind": "regular", "date": DAY, "columns": ["要闻"], "items": draft["items"],
        "send_to": "区委、区政府领导", "copy_to": "各街道", "copies": 30 } });
    let (status, r) = desk
        .send(
            Method::PUT,
            &format!("/api/briefing/issues/{id}"),
            Some(body.clone()),
            true,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let stale = version;
    version = r["version"].as_i64().unwrap();
    let (status, r) = desk
        .send(
            Method::POST,
            &format!("/api/briefing/issues/{id}/items/2/move"),
            Some(json!({ "version": version, "to": 0 })),
            true,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    version = r["version"].as_i64().unwrap();

    // A save from an older version is refused, naming who saved.
    let (status, r) = desk
        .send(
            Method::PUT,
            &format!("/api/briefing/issues/{id}"),
            Some(json!({ "version": stale, "draft": body["draft"] })),
            true,
        )
        .await;
    assert_eq!(status, 409, "{r}");
    assert!(r["error"].as_str().unwrap().contains("管理令牌"), "{r}");
    assert_eq!(r["conflict"]["version"].as_i64(), Some(version));
    // An article that does not exist is refused.
    let (status, _) = desk
        .send(
            Method::POST,
            &format!("/api/briefing/issues/{id}/items"),
            Some(json!({ "version": version, "article_id": 9999 })),
            true,
        )
        .await;
    assert_eq!(status, 400);

    let (_, before) = desk.get(&format!("/api/briefing/issues/{id}/text")).await;
    let titles: Vec<String> = before["text"]["sections"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles[1], titles_of_found(&desk, &found[0]).await);
    assert_eq!(titles[2], "冬季供暖工作通知");

    // Issue: 第1期.
    let (status, r) = desk
        .send(
            Method::POST,
            &format!("/api/briefing/issues/{id}/issue"),
            Some(json!({ "version": version })),
            true,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["number"].as_u64(), r["label"].as_str()),
        (Some(1), Some("第1期"))
    );
    let docx = desk
        .bytes(&format!("/desk/issues/{id}/download.docx"))
        .await;
    let xml = document_xml(&docx);
    for want in [
        "每日简报",
        "第1期",
        "区委办公室编",
        "2026年11月20日",
        "目　录",
        "一、要闻",
        "编者摘要：供暖保障到位。",
        "【按语】",
        "请各街道参阅。",
        "报送：区委、区政府领导",
        "（共印30份）",
    ] {
        assert!(xml.contains(want), "{want} not in the docx");
    }
    let positions: Vec<usize> = titles
        .iter()
        .map(|t| {
            xml.rfind(&t.replace('<', "&lt;").replace('>', "&gt;"))
                .unwrap()
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "titles out of order"
    );

    // Frozen: every change through the API is refused and changes nothing.
    let after_issue = desk.get(&format!("/api/briefing/issues/{id}")).await.1;
    let v = after_issue["version"].as_i64().unwrap();
    let attempts = [
        (
            Method::PUT,
            format!("/api/briefing/issues/{id}"),
            Some(json!({ "version": v, "draft": body["draft"] })),
        ),
        (
            Method::POST,
            format!("/api/briefing/issues/{id}/items"),
            Some(json!({ "version": v, "article_id": found[0].0 })),
        ),
        (
            Method::PATCH,
            format!("/api/briefing/issues/{id}/items/0"),
            Some(json!({ "version": v, "title": "偷改" })),
        ),
        (
            Method::DELETE,
            format!("/api/briefing/issues/{id}/items/0?version={v}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/briefing/issues/{id}/items/0/move"),
            Some(json!({ "version": v, "to": 2 })),
        ),
        (
            Method::PUT,
            format!("/api/briefing/issues/{id}/columns"),
            Some(json!({ "version": v, "columns": ["x"] })),
        ),
        (
            Method::POST,
            format!("/api/briefing/issues/{id}/issue"),
            Some(json!({ "version": v })),
        ),
        (
            Method::DELETE,
            format!("/api/briefing/issues/{id}?version={v}"),
            None,
        ),
    ];
    for (method, path, body) in attempts {
        let (status, r) = desk.send(method.clone(), &path, body, true).await;
        assert_eq!(status, 409, "{method} {path}: {r}");
        assert!(r["error"].as_str().unwrap().contains("已经签发"), "{r}");
    }
    assert_eq!(
        desk.get(&format!("/api/briefing/issues/{id}")).await.1,
        after_issue
    );

    // A revision of one of its articles changes nothing of the issued file.
    desk.app
        .store
        .record_articles(&[record(
            article(
                "gov",
                2,
                "关于做好冬季供暖工作的通知",
                &["第三次修订的正文。"],
            ),
            "通知公告",
            day(),
        )])
        .await
        .unwrap();
    assert_eq!(
        desk.bytes(&format!("/desk/issues/{id}/download.docx"))
            .await,
        docx
    );

    // The next issue is 第2期, and the candidates say which were used.
    let (_, second) = desk
        .send(Method::POST, "/api/briefing/issues", Some(new), true)
        .await;
    let id2 = second["id"].as_i64().unwrap();
    let (_, cands) = desk
        .get(&format!("/api/briefing/issues/{id2}/candidates"))
        .await;
    let first = &cands["columns"][0]["articles"][0];
    assert_eq!(first["used_in"], "第1期", "{cands}");
    assert_eq!(first["is_new"], false);
    let (_, r) = desk
        .send(
            Method::POST,
            &format!("/api/briefing/issues/{id2}/items"),
            Some(json!({ "version": 1, "article_id": found[1].0 })),
            true,
        )
        .await;
    let (status, r) = desk
        .send(
            Method::POST,
            &format!("/api/briefing/issues/{id2}/issue"),
            Some(json!({ "version": r["version"] })),
            true,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["label"], "第2期");

    // Markdown, print page and the archive.
    let md =
        String::from_utf8(desk.bytes(&format!("/desk/issues/{id}/download.md")).await).unwrap();
    assert!(md.starts_with("# 每日简报\n\n第1期"), "{md}");
    assert!(
        md.contains("编者摘要：供暖保障到位。") && md.contains("> 【按语】请各街道参阅。"),
        "{md}"
    );
    let print = String::from_utf8(desk.bytes(&format!("/desk/issues/{id}/print")).await).unwrap();
    assert!(
        print.contains("desk-print.css") && print.contains("第1期") && print.contains("目　录"),
        "{print}"
    );
    let archive = String::from_utf8(
        desk.bytes("/desk/archive?q=%E4%BE%9B%E6%9A%96%E4%BF%9D%E9%9A%9C")
            .await,
    )
    .unwrap();
    assert!(
        archive.contains(&format!("/desk/issues/{id}\"")),
        "{archive}"
    );
    assert!(
        !archive.contains(&format!("/desk/issues/{id2}\"")),
        "{archive}"
    );
    let (_, listed) = desk.get("/api/briefing/issues?status=issued").await;
    assert_eq!(listed["issues"].as_array().unwrap().len(), 2);

    // A correction is a new version under the same number.
    let (status, fix) = desk
        .send(
            Method::POST,
            &format!("/api/briefing/issues/{id}/correction"),
            None,
            true,
        )
        .await;
    assert_eq!(status, 201, "{fix}");
    let fix_id = fix["id"].as_i64().unwrap();
    let (status, r) = desk
        .send(
            Method::POST,
            &format!("/api/briefing/issues/{fix_id}/issue"),
            Some(json!({ "version": 1 })),
            true,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["label"], "第1期（更正）");
    assert_eq!(
        desk.bytes(&format!("/desk/issues/{id}/download.docx"))
            .await,
        docx
    );
}

async fn titles_of_found(desk: &Desk, found: &(i64, String)) -> String {
    let (_, a) = desk.get(&format!("/api/articles/{}", found.0)).await;
    a["article"]["title"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn series_edits_need_an_admin_and_a_valid_series() {
    use reqwest::Method;
    let desk = Desk::new().await;
    let mut s = SeriesSettings::default_daily();
    s.name = "信息专报".into();
    s.columns = vec!["领导活动".into()];
    let body = serde_json::to_value(&s).unwrap();
    let (status, _) = desk
        .send(
            Method::PUT,
            "/api/briefing/series/1",
            Some(body.clone()),
            false,
        )
        .await;
    assert_eq!(status, 401);
    let (status, r) = desk
        .send(Method::PUT, "/api/briefing/series/1", Some(body), true)
        .await;
    assert_eq!(status, 200, "{r}");
    let (_, list) = desk.get("/api/briefing/series").await;
    assert_eq!(list["series"][0]["name"], "信息专报");
    assert_eq!(list["series"][0]["updated_by"], "管理令牌");
    s.columns = vec!["a".into(), "a".into()];
    let (status, r) = desk
        .send(
            Method::PUT,
            "/api/briefing/series/1",
            Some(serde_json::to_value(&s).unwrap()),
            true,
        )
        .await;
    assert_eq!(status, 400);
    assert!(r["error"].as_str().unwrap().contains("columns"), "{r}");
    // The desk's pages render.
    for page in ["/desk/archive", "/desk/series"] {
        let html = String::from_utf8(desk.bytes(page).await).unwrap();
        assert!(html.contains("信息专报"), "{page}");
    }
    // Without a signed-in editor the desk offers no new issue, only the way to log in.
    let html = String::from_utf8(desk.bytes("/desk").await).unwrap();
    assert!(
        html.contains("编辑简报") && !html.contains("id=\"new-issue\""),
        "{html}"
    );
}

/// Signed in through the login page: an editor composes with the CSRF token, a change
/// without it or from a viewer is refused and changes nothing, and issuing is in the
/// audit log under the editor's name.
#[tokio::test]
async fn editors_change_drafts_with_the_csrf_token_and_viewers_cannot() {
    use common::signin::{PASSWORD, add_user, sign_in};
    use jujiao_store::Role;
    let app = start(Setup {
        auth: Some(jujiao_web::auth::AuthSettings::default()),
        ..Setup::default()
    })
    .await;
    app.store
        .seed_series(&[SeriesSettings::default_daily()])
        .await
        .unwrap();
    add_user(app.store.as_ref(), "编辑小王", Role::Editor).await;
    add_user(app.store.as_ref(), "viewer", Role::Viewer).await;
    let editor = sign_in(&app, "编辑小王", PASSWORD).await;
    let viewer = sign_in(&app, "viewer", PASSWORD).await;
    let post = |who: &common::signin::Browser, csrf: Option<&str>, path: &str, body: Value| {
        let mut r = app
            .client
            .post(format!("{}{path}", app.base))
            .header("cookie", format!("jujiao_session={}", who.session))
            .json(&body);
        if let Some(c) = csrf {
            r = r.header("X-CSRF-Token", c);
        }
        r.send()
    };
    let new = json!({ "series": 1, "date": DAY });
    let r = post(&editor, None, "/api/briefing/issues", new.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = post(
        &editor,
        Some("wrong-token"),
        "/api/briefing/issues",
        new.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    let r = post(
        &viewer,
        Some(&viewer.csrf),
        "/api/briefing/issues",
        new.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        app.store
            .issues(&Default::default())
            .await
            .unwrap()
            .is_empty()
    );

    let r = post(&editor, Some(&editor.csrf), "/api/briefing/issues", new)
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let issue: Value = r.json().await.unwrap();
    let id = issue["id"].as_i64().unwrap();
    assert_eq!(issue["created_by"], "编辑小王");
    // The compose page carries the token for its script.
    let html = common::body(
        app.get_as(&format!("/desk/issues/{id}"), &editor.session)
            .await,
    )
    .await;
    assert!(
        html.contains("name=\"csrf-token\"") && html.contains("/assets/desk.js"),
        "{html}"
    );
    let article = app.store.filed_articles(&Default::default()).await.unwrap()[0]
        .article_id
        .0;
    let add = json!({ "version": 1, "article_id": article });
    let path = format!("/api/briefing/issues/{id}/items");
    let r = post(&viewer, Some(&viewer.csrf), &path, add.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = post(&editor, None, &path, add.clone()).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = post(&editor, Some(&editor.csrf), &path, add).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = post(
        &editor,
        Some(&editor.csrf),
        &format!("/api/briefing/issues/{id}/issue"),
        json!({ "version": 2 }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let log: Vec<(String, String)> = app
        .store
        .audit_log(20, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.entry.actor, r.entry.action))
        .collect();
    assert_eq!(
        log[0],
        ("编辑小王".to_owned(), "签发简报".to_owned()),
        "{log:?}"
    );
    assert!(log.iter().any(|(_, a)| a == "简报加入文章"), "{log:?}");
    // A viewer reads the issued issue but cannot correct it.
    let r = post(
        &viewer,
        Some(&viewer.csrf),
        &format!("/api/briefing/issues/{id}/correction"),
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
}
