//! No password, session id or CSRF token in any log line: the whole tracing output of a
//! login, failed logins, a lockout, changes with and without the CSRF token, a logout and
//! an expired session is captured (every level) and searched for them.
//! Alone in its test binary: it installs the global subscriber.

#![allow(clippy::unwrap_used)]

mod common;

use common::signin::{add_user_with, cookie_value, post_login, set_cookie, sign_in};
use common::{Setup, start};
use jujiao_store::Role;
use jujiao_web::auth::{AuthSettings, ManualClock};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything logged, shared with the subscriber's writer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn no_password_or_session_id_in_any_log() {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .init();

    const SECRET: &str = "Geheim-口令-7731";
    const WRONG: &str = "Falsch-口令-9924";
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = start(Setup {
        auth: Some(AuthSettings {
            clock: clock.clone(),
            ..AuthSettings::default()
        }),
        ..Setup::default()
    })
    .await;
    add_user_with(app.store.as_ref(), "ed", Role::Editor, SECRET).await;
    add_user_with(app.store.as_ref(), "ad", Role::Admin, SECRET).await;

    let ed = sign_in(&app, "ed", SECRET).await;
    let ad = sign_in(&app, "ad", SECRET).await;
    for _ in 0..6 {
        post_login(&app, "ed", WRONG, None).await;
    }
    // A change without and with a wrong token, one with the token (no scheduler: 503).
    app.post_form_as("/sources/gov/run", &ed.session, &[("x", "1")])
        .await;
    app.post_form_as("/sources/gov/run", &ed.session, &[("csrf", "wrong")])
        .await;
    app.post_form_as("/sources/gov/run", &ed.session, &[("csrf", &ed.csrf)])
        .await;
    app.get_as("/audit", &ad.session).await;
    app.post_form_as("/logout", &ad.session, &[("csrf", &ad.csrf)])
        .await;
    // A session that expires while in use.
    let r = post_login(&app, "ad", SECRET, None).await;
    let late = cookie_value(&set_cookie(&r, "jujiao_session").unwrap());
    clock.advance(Duration::from_secs(3 * 3600));
    app.get_as("/audit", &late).await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The log is not empty: the checks below would pass on silence.
    for expected in [
        "signed in",
        "login failed",
        "locked",
        "CSRF",
        "signed out",
        "session ended",
    ] {
        assert!(log.contains(expected), "{expected:?} not logged:\n{log}");
    }
    for secret in [
        SECRET,
        WRONG,
        &ed.session,
        &ed.csrf,
        &ad.session,
        &ad.csrf,
        &late,
    ] {
        assert!(!log.contains(secret), "a secret was logged:\n{log}");
    }
}
