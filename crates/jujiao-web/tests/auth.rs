//! People and roles over a real loopback server and a real SQLite file: login with a new
//! session id and strict cookies, CSRF on every change, roles, lockout after repeated
//! wrong passwords, session expiry (a manual clock), `public_read`, logout, the audit log.

#![allow(clippy::unwrap_used)]

mod common;

use async_trait::async_trait;
use common::signin::{PASSWORD, add_user, cookie_value, field, post_login, set_cookie, sign_in};
use common::{Setup, TestApp, body, start};
use jujiao_store::Role;
use jujiao_web::auth::{AuthSettings, ManualClock};
use jujiao_web::scheduler::Planned;
use jujiao_web::{RunResult, SchedulerHandle, SourceRunner};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Counts runs; never fails.
struct CountingRunner(AtomicUsize);

#[async_trait]
impl SourceRunner for CountingRunner {
    async fn run(&self, _: &str) -> RunResult {
        self.0.fetch_add(1, Ordering::SeqCst);
        RunResult { is_failure: false }
    }
}

fn scheduler(runner: &Arc<CountingRunner>) -> SchedulerHandle {
    let planned = vec![Planned {
        id: "gov".into(),
        interval: Duration::from_secs(3600),
        last_start: Some(chrono::Utc::now()),
    }];
    SchedulerHandle::start(planned, &(Arc::clone(runner) as Arc<dyn SourceRunner>))
}

/// A server with a scheduler over a counting runner, the admin token `tok-1234567890`,
/// a manual clock and an editor, a viewer and an admin.
async fn app_with_users(public_read: bool) -> (TestApp, Arc<CountingRunner>, Arc<ManualClock>) {
    let runner = Arc::new(CountingRunner(AtomicUsize::new(0)));
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = start(Setup {
        token: Some("tok-1234567890"),
        scheduler: Some(scheduler(&runner)),
        auth: Some(AuthSettings {
            public_read,
            clock: clock.clone(),
            ..AuthSettings::default()
        }),
        ..Setup::default()
    })
    .await;
    add_user(app.store.as_ref(), "编辑小王", Role::Editor).await;
    add_user(app.store.as_ref(), "viewer", Role::Viewer).await;
    add_user(app.store.as_ref(), "admin", Role::Admin).await;
    (app, runner, clock)
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    app.store
        .audit_log(100, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.entry.actor, r.entry.action, r.entry.target))
        .collect()
}

async fn runs_of(app: &TestApp) -> usize {
    audit_actions(app)
        .await
        .iter()
        .filter(|(_, action, _)| action == "source.run")
        .count()
}

#[tokio::test]
async fn login_gives_a_new_session_id_in_a_strict_http_only_cookie() {
    let (app, _, _) = app_with_users(true).await;
    // A session id planted before login (fixation) is never the one given.
    let planted = "a".repeat(64);
    let r = post_login(&app, "编辑小王", PASSWORD, Some(&planted)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sources");
    let line = set_cookie(&r, "jujiao_session").unwrap();
    let first = cookie_value(&line);
    assert_ne!(first, planted);
    assert_eq!(first.len(), 64);
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(line.contains(attribute), "{attribute} missing: {line}");
    }
    assert!(
        !line.contains("Secure"),
        "no Secure without [web] https: {line}"
    );
    // The planted id signs nobody in; the given one does.
    let html = body(app.get_as("/", &planted).await).await;
    assert!(html.contains("href=\"/login\""));
    let html = body(app.get_as("/", &first).await).await;
    assert!(html.contains("编辑小王（编辑）"), "{html}");
    // Logging in again gives another id; the one the browser brought is ended.
    let r = post_login(&app, "编辑小王", PASSWORD, Some(&first)).await;
    let second = cookie_value(&set_cookie(&r, "jujiao_session").unwrap());
    assert_ne!(second, first);
    assert!(
        body(app.get_as("/", &first).await)
            .await
            .contains("href=\"/login\"")
    );
    // Only a hash of the id is stored.
    let key = jujiao_store::SessionKey(second.clone());
    assert!(app.store.session(&key).await.unwrap().is_none());
}

#[tokio::test]
async fn the_cookie_is_secure_behind_https() {
    let app = start(Setup {
        auth: Some(AuthSettings {
            https: true,
            ..AuthSettings::default()
        }),
        ..Setup::default()
    })
    .await;
    add_user(app.store.as_ref(), "ed", Role::Editor).await;
    let r = post_login(&app, "ed", PASSWORD, None).await;
    let line = set_cookie(&r, "jujiao_session").unwrap();
    assert!(line.contains("; Secure"), "{line}");
}

#[tokio::test]
async fn a_change_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let (app, runner, _) = app_with_users(true).await;
    let ed = sign_in(&app, "编辑小王", PASSWORD).await;
    // The sources page offers the editor the button with the token, no token field.
    let html = body(app.get_as("/sources", &ed.session).await).await;
    assert!(html.contains("立即运行</button>"));
    assert_eq!(field(&html, "csrf").as_deref(), Some(ed.csrf.as_str()));
    assert!(!html.contains("name=\"token\""));

    // Form without the token, with a wrong one; JSON without the header, with a wrong one.
    let r = app
        .post_form_as("/sources/gov/run", &ed.session, &[("x", "1")])
        .await;
    assert_eq!(r.status(), 403);
    assert!(body(r).await.contains("安全校验未通过"));
    let r = app
        .post_form_as(
            "/sources/gov/run",
            &ed.session,
            &[("csrf", "0123456789abcdef")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let api = |csrf: Option<&str>| {
        let mut b = app
            .client
            .post(format!("{}/api/sources/gov/run", app.base))
            .header("cookie", format!("jujiao_session={}", ed.session));
        if let Some(c) = csrf {
            b = b.header("X-CSRF-Token", c);
        }
        b.send()
    };
    let r = api(None).await.unwrap();
    assert_eq!(r.status(), 403);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("CSRF"));
    assert_eq!(api(Some("wrong")).await.unwrap().status(), 403);
    // Nothing changed: no run asked for, none in the audit log.
    assert_eq!(runs_of(&app).await, 0);
    assert_eq!(runner.0.load(Ordering::SeqCst), 0);

    // With the token: queued, and the audit log says who.
    let r = app
        .post_form_as("/sources/gov/run", &ed.session, &[("csrf", &ed.csrf)])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sources?queued=gov");
    let audit = audit_actions(&app).await;
    assert_eq!(
        audit[0],
        (
            "编辑小王".to_owned(),
            "source.run".to_owned(),
            "gov".to_owned()
        )
    );
    for _ in 0..200 {
        if runner.0.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(runner.0.load(Ordering::SeqCst), 1);
    // The header works for JSON calls (202, or 409 while the first run is going).
    let status = api(Some(&ed.csrf)).await.unwrap().status().as_u16();
    assert!(status == 202 || status == 409, "{status}");

    // Logout is a change too: without the token it is refused and the session lives.
    let r = app.post_form_as("/logout", &ed.session, &[]).await;
    assert_eq!(r.status(), 403);
    assert!(
        body(app.get_as("/", &ed.session).await)
            .await
            .contains("退出</button>")
    );
    let r = app
        .post_form_as("/logout", &ed.session, &[("csrf", &ed.csrf)])
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        set_cookie(&r, "jujiao_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    let html = body(app.get_as("/", &ed.session).await).await;
    assert!(
        html.contains("href=\"/login\""),
        "the session ended at logout"
    );
}

#[tokio::test]
async fn a_viewer_cannot_edit() {
    let (app, runner, _) = app_with_users(true).await;
    let viewer = sign_in(&app, "viewer", PASSWORD).await;
    let html = body(app.get_as("/sources", &viewer.session).await).await;
    assert!(
        html.contains("name=\"token\""),
        "a viewer sees only the admin-token form"
    );
    let r = app
        .post_form_as(
            "/sources/gov/run",
            &viewer.session,
            &[("csrf", &viewer.csrf)],
        )
        .await;
    assert_eq!(r.status(), 403);
    let page = body(r).await;
    assert!(page.contains("权限不足") && page.contains("只读"), "{page}");
    let r = app
        .client
        .post(format!("{}/api/sources/gov/run", app.base))
        .header("cookie", format!("jujiao_session={}", viewer.session))
        .header("X-CSRF-Token", &viewer.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("权限不足"));
    // The audit log is for admins only.
    assert_eq!(app.get_as("/audit", &viewer.session).await.status(), 403);
    assert_eq!(runs_of(&app).await, 0);
    assert_eq!(runner.0.load(Ordering::SeqCst), 0);
    // Not signed in: 401, as before users existed.
    let r = app
        .client
        .post(format!("{}/api/sources/gov/run", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The admin token still works for scripts, and is named in the audit log.
    let r = app
        .client
        .post(format!("{}/api/sources/gov/run", app.base))
        .bearer_auth("tok-1234567890")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(audit_actions(&app).await[0].0, "管理令牌");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_for_a_while() {
    let (app, _, clock) = app_with_users(true).await;
    for i in 0..4 {
        let r = post_login(&app, "编辑小王", "wrong-password", None).await;
        assert_eq!(r.status(), 401);
        assert!(set_cookie(&r, "jujiao_session").is_none());
        let page = body(r).await;
        assert!(page.contains(&format!("再错 {} 次", 4 - i)), "{page}");
    }
    let r = post_login(&app, "编辑小王", "wrong-password", None).await;
    assert_eq!(r.status(), 401);
    assert!(body(r).await.contains("已暂时锁定"));
    // Now even the right password is refused, with a clear message.
    clock.advance(Duration::from_secs(60));
    let r = post_login(&app, "编辑小王", PASSWORD, None).await;
    assert_eq!(r.status(), 429);
    assert!(set_cookie(&r, "jujiao_session").is_none());
    let page = body(r).await;
    assert!(
        page.contains("账号“编辑小王”已暂时锁定，请 14 分钟后再试"),
        "{page}"
    );
    // Other accounts are not locked.
    assert_eq!(
        post_login(&app, "admin", PASSWORD, None).await.status(),
        303
    );
    // A while later the lock is gone.
    clock.advance(Duration::from_secs(14 * 60 + 1));
    assert_eq!(
        post_login(&app, "编辑小王", PASSWORD, None).await.status(),
        303
    );
}

#[tokio::test]
async fn repeated_failures_from_one_address_lock_the_address() {
    let (app, _, _) = app_with_users(true).await;
    for i in 0..20 {
        // Many names, each below its own limit.
        let r = post_login(&app, &format!("guess{}", i % 5), "wrong-password", None).await;
        assert_eq!(r.status(), 401);
    }
    let r = post_login(&app, "admin", PASSWORD, None).await;
    assert_eq!(r.status(), 429);
    assert!(body(r).await.contains("所在地址登录失败次数过多"));
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_their_lifetime() {
    let (app, _, clock) = app_with_users(true).await;
    let admin = sign_in(&app, "admin", PASSWORD).await;
    assert_eq!(app.get_as("/audit", &admin.session).await.status(), 200);
    // Used every 90 minutes: alive (idle limit 2 h)…
    for _ in 0..7 {
        clock.advance(Duration::from_secs(90 * 60));
        let r = app.get_as("/audit", &admin.session).await;
        assert_eq!(r.status(), 200);
    }
    // …until 12 h after login (10.5 h so far, then 12 h 01 min).
    clock.advance(Duration::from_secs(91 * 60));
    let r = app.get_as("/audit", &admin.session).await;
    assert_eq!(r.status(), 303, "past the absolute lifetime");
    assert_eq!(r.headers()["location"], "/login?next=%2Faudit");

    // Idle: unused for 2 hours.
    let admin = sign_in(&app, "admin", PASSWORD).await;
    clock.advance(Duration::from_secs(2 * 3600 - 10));
    assert_eq!(app.get_as("/audit", &admin.session).await.status(), 200);
    clock.advance(Duration::from_secs(2 * 3600));
    assert_eq!(app.get_as("/audit", &admin.session).await.status(), 303);
    // And it is gone from the store.
    assert_eq!(app.get_as("/audit", &admin.session).await.status(), 303);
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_once() {
    let (app, _, _) = app_with_users(true).await;
    let ed = sign_in(&app, "编辑小王", PASSWORD).await;
    let user = app.store.user_by_name("编辑小王").await.unwrap().unwrap();
    app.store.set_disabled(user.id, true).await.unwrap();
    let r = app
        .post_form_as("/sources/gov/run", &ed.session, &[("csrf", &ed.csrf)])
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        post_login(&app, "编辑小王", PASSWORD, None).await.status(),
        401
    );
}

#[tokio::test]
async fn without_public_read_reading_needs_a_login() {
    let (app, _, _) = app_with_users(false).await;
    let r = app.get("/?date=2026-11-20").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/login?next=%2F%3Fdate%3D2026-11-20"
    );
    assert_eq!(app.get("/api/articles").await.status(), 401);
    assert_eq!(app.get("/search?q=供暖").await.status(), 303);
    assert_eq!(app.get("/feeds/通知公告.rss").await.status(), 303);
    assert_eq!(app.get("/assets/style.css").await.status(), 200);
    assert_eq!(app.get("/login").await.status(), 200);
    let viewer = sign_in(&app, "viewer", PASSWORD).await;
    let r = app.get_as("/?date=2026-11-20", &viewer.session).await;
    assert_eq!(r.status(), 200);
    assert!(body(r).await.contains("关于做好冬季供暖工作的通知"));
    assert_eq!(
        app.get_as("/api/articles", &viewer.session).await.status(),
        200
    );
    // The admin token reads too (scripts).
    let r = app
        .client
        .get(format!("{}/api/articles", app.base))
        .bearer_auth("tok-1234567890")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_stale_login_form_is_refused() {
    let (app, _, _) = app_with_users(true).await;
    // No login cookie (a form posted from elsewhere): refused, nobody signed in.
    let r = app
        .client
        .post(format!("{}/login", app.base))
        .form(&[("name", "admin"), ("password", PASSWORD), ("csrf", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(set_cookie(&r, "jujiao_session").is_none());
    // An outside `next` is not followed.
    let page = body(app.get("/login?next=//evil.example/x").await).await;
    assert!(page.contains("name=\"next\""), "{page}");
    assert!(!page.contains("evil.example"), "{page}");
}

#[tokio::test]
async fn admins_read_the_audit_log() {
    let (app, _, _) = app_with_users(true).await;
    let ed = sign_in(&app, "编辑小王", PASSWORD).await;
    app.post_form_as("/sources/gov/run", &ed.session, &[("csrf", &ed.csrf)])
        .await;
    let admin = sign_in(&app, "admin", PASSWORD).await;
    let html = body(app.get_as("/", &admin.session).await).await;
    assert!(html.contains("href=\"/audit\""), "admins see the link");
    let r = app.get_as("/audit", &admin.session).await;
    assert_eq!(r.status(), 200);
    let html = body(r).await;
    assert!(html.contains("审计日志"));
    assert!(html.contains("source.run") && html.contains("编辑小王"));
    assert!(html.contains("<code>login</code>"));
    let ed_html = body(app.get_as("/", &ed.session).await).await;
    assert!(!ed_html.contains("href=\"/audit\""), "editors do not");
}
