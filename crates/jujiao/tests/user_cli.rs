#![allow(clippy::unwrap_used)]
//! `jujiao user add | list | passwd | disable` as a new admin would use them, then
//! `jujiao serve` with `[web] public_read = false` and a login over plain HTTP on
//! 127.0.0.1 — through the real binary. The password comes from standard input (a
//! script); it must never appear in the database, the output or the server's log.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Erste-口令-4711";
const NEW_PASSWORD: &str = "Zweite-口令-0815";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `jujiao user …` with `stdin` piped in.
fn user(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jujiao"))
        .arg("user")
        .args(args)
        .arg("--config")
        .arg(config)
        .env_remove("JUJIAO_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// One HTTP/1.1 request; the status and the whole answer (head and body).
fn request(port: u16, head: &str, body: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text))
}

/// The value of `Set-Cookie: NAME=…` in an answer.
fn cookie(answer: &str, name: &str) -> Option<String> {
    answer
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// `name="csrf" value="…"` in a page.
fn csrf_field(page: &str) -> String {
    let needle = "name=\"csrf\" value=\"";
    let rest = &page[page.find(needle).unwrap() + needle.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Percent-encodes a form value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Logs in through the form; the answer.
fn login(port: u16, name: &str, password: &str) -> (u16, String) {
    let (_, page) = request(port, "GET /login HTTP/1.1", "").unwrap();
    let login_cookie = cookie(&page, "jujiao_login").unwrap();
    let body = format!(
        "name={}&password={}&csrf={}&next=%2F",
        enc(name),
        enc(password),
        csrf_field(&page)
    );
    request(
        port,
        &format!(
            "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Cookie: jujiao_login={login_cookie}"
        ),
        &body,
    )
    .unwrap()
}

#[test]
fn the_first_admin_is_added_from_a_script_and_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let config = dir.path().join("jujiao.toml");
    jujiao_legacy::write_atomic(
        &config,
        format!(
            "[settings]\ndatabase = \"{}\"\noutput = \"{}\"\n\n[web]\npublic_read = false\n",
            db.display(),
            dir.path().join("tree").display()
        )
        .as_bytes(),
    )
    .unwrap();

    let out = user(
        &config,
        &["add", "王主任", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = user(&config, &["add", "小李", "--role", "editor"], "short\n");
    assert_eq!(out.status.code(), Some(2), "a short password is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("密码太短"));
    let out = user(
        &config,
        &["add", "小李", "--role", "editor"],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success());
    let out = user(&config, &["list"], "");
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(listed.contains("王主任\tadmin\tactive"), "{listed}");
    assert!(listed.contains("小李\teditor\tactive"), "{listed}");
    // Only an argon2id hash is stored (in the file or its write-ahead log).
    let mut stored = std::fs::read(&db).unwrap();
    stored.extend(std::fs::read(dir.path().join("t.db-wal")).unwrap_or_default());
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains("$argon2id$v=19$"));
    assert!(!stored.contains(PASSWORD));

    let port = free_port();
    let log = dir.path().join("serve.log");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_jujiao"))
            .args(["-vv", "serve", "--no-schedule", "--config"])
            .arg(&config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env_remove("JUJIAO_ADMIN_TOKEN")
            .env_remove("JUJIAO_DB")
            .env_remove("JUJIAO_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while request(port, "GET /assets/style.css HTTP/1.1", "").is_none() {
        assert!(Instant::now() < deadline, "serve did not answer");
        std::thread::sleep(Duration::from_millis(100));
    }
    // public_read = false: the briefing needs a login.
    let (status, answer) = request(port, "GET / HTTP/1.1", "").unwrap();
    assert_eq!(status, 303, "{answer}");
    assert!(answer.contains("location: /login?next=%2F"), "{answer}");

    let (status, answer) = login(port, "王主任", "wrong-password");
    assert_eq!(status, 401, "{answer}");
    let (status, answer) = login(port, "王主任", PASSWORD);
    assert_eq!(status, 303, "{answer}");
    let session = cookie(&answer, "jujiao_session").unwrap();
    let (status, page) = request(
        port,
        &format!("GET /audit HTTP/1.1\r\nCookie: jujiao_session={session}"),
        "",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("审计日志") && page.contains("user.add"),
        "{page}"
    );

    // A new password ends the sessions; a disabled user cannot sign in.
    let out = user(&config, &["passwd", "王主任"], &format!("{NEW_PASSWORD}\n"));
    assert!(out.status.success());
    let (status, _) = request(
        port,
        &format!("GET /audit HTTP/1.1\r\nCookie: jujiao_session={session}"),
        "",
    )
    .unwrap();
    assert_eq!(status, 303, "the session ended with the new password");
    assert_eq!(login(port, "王主任", NEW_PASSWORD).0, 303);
    assert!(user(&config, &["disable", "小李"], "").status.success());
    assert_eq!(login(port, "小李", PASSWORD).0, 401);

    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("signed in"), "{log}");
    for secret in [PASSWORD, NEW_PASSWORD, &session] {
        assert!(!log.contains(secret), "a secret in the log:\n{log}");
    }
}
