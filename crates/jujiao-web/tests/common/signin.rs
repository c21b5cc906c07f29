//! Signing in as a browser does, with the cookies handled by hand so tests can look at
//! them: the login page's cookie and hidden token, the session cookie, the CSRF token.

use super::{TestApp, body};
use jujiao_store::{NewUser, Role, Store};

/// A password every test user gets unless a test says otherwise.
pub const PASSWORD: &str = "correct-horse-battery";

/// Adds a user with [`PASSWORD`].
pub async fn add_user(store: &dyn Store, name: &str, role: Role) {
    add_user_with(store, name, role, PASSWORD).await;
}

pub async fn add_user_with(store: &dyn Store, name: &str, role: Role, password: &str) {
    let password_hash = jujiao_web::auth::hash_password(password).unwrap();
    store
        .add_user(&NewUser {
            name: name.into(),
            role,
            password_hash,
        })
        .await
        .unwrap()
        .unwrap();
}

/// The value of cookie `name` set by a response, with its attributes.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// Just the value of a `Set-Cookie` line.
pub fn cookie_value(line: &str) -> String {
    line.split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// The value of `<input … name="NAME" value="…">` or `<meta name="NAME" content="…">`.
pub fn field(html: &str, name: &str) -> Option<String> {
    [
        format!("name=\"{name}\" value=\""),
        format!("<meta name=\"{name}\" content=\""),
    ]
    .iter()
    .find_map(|needle| {
        let rest = &html[html.find(needle.as_str())? + needle.len()..];
        Some(rest[..rest.find('"')?].to_owned())
    })
}

/// A signed-in browser: its session cookie and CSRF token.
#[derive(Debug, Clone)]
pub struct Browser {
    pub session: String,
    pub csrf: String,
}

/// The outcome of posting the login form.
pub async fn post_login(
    app: &TestApp,
    name: &str,
    password: &str,
    old_session: Option<&str>,
) -> reqwest::Response {
    let page = app.get("/login").await;
    assert_eq!(page.status(), 200);
    let login_cookie = cookie_value(&set_cookie(&page, "jujiao_login").unwrap());
    let html = body(page).await;
    let token = field(&html, "csrf").unwrap();
    let mut cookies = format!("jujiao_login={login_cookie}");
    if let Some(old) = old_session {
        cookies.push_str(&format!("; jujiao_session={old}"));
    }
    app.client
        .post(format!("{}/login", app.base))
        .header("cookie", cookies)
        .form(&[
            ("name", name),
            ("password", password),
            ("csrf", &token),
            ("next", "/sources"),
        ])
        .send()
        .await
        .unwrap()
}

/// Signs in and reads the CSRF token from a page, as the app's scripts would.
pub async fn sign_in(app: &TestApp, name: &str, password: &str) -> Browser {
    let r = post_login(app, name, password, None).await;
    assert_eq!(r.status(), 303, "login of {name} failed");
    let session = cookie_value(&set_cookie(&r, "jujiao_session").unwrap());
    let html = body(app.get_as("/", &session).await).await;
    let csrf = field(&html, "csrf-token").expect("a signed-in page has the CSRF token");
    Browser { session, csrf }
}

impl TestApp {
    /// GET with a session cookie.
    pub async fn get_as(&self, path: &str, session: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", format!("jujiao_session={session}"))
            .send()
            .await
            .unwrap()
    }

    /// POST a form with a session cookie.
    pub async fn post_form_as(
        &self,
        path: &str,
        session: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("jujiao_session={session}"))
            .form(form)
            .send()
            .await
            .unwrap()
    }
}
