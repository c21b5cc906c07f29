#![allow(clippy::unwrap_used)]
//! The admin token of `jujiao serve` from the sources file (`[web] admin_token`), the
//! environment variable overriding it, and a bad token refused at start — through the
//! real binary and plain HTTP on 127.0.0.1. Before, only `JUJIAO_ADMIN_TOKEN` worked:
//! a token in the file was an unknown key.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FILE_TOKEN: &str = "file-token-7Hq2x9";
const ENV_TOKEN: &str = "env-token-Kp4m8Z";

/// Kills the server when the test ends, also on a failed assertion.
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

/// One HTTP/1.1 request; the status and the body, `None` while nothing answers.
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
    let body = text.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

/// `POST /api/sources/{id}/run` with an optional bearer token; the status.
fn api_run(port: u16, id: &str, bearer: Option<&str>) -> u16 {
    let auth = bearer.map_or(String::new(), |t| format!("\r\nAuthorization: Bearer {t}"));
    request(
        port,
        &format!("POST /api/sources/{id}/run HTTP/1.1{auth}"),
        "",
    )
    .unwrap()
    .0
}

/// The "立即运行" form on `/sources`: `POST /sources/{id}/run` with `token=…`.
fn form_run(port: u16, id: &str, token: &str) -> u16 {
    request(
        port,
        &format!(
            "POST /sources/{id}/run HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded"
        ),
        &format!("token={token}"),
    )
    .unwrap()
    .0
}

/// A sources file with one source on a loopback port nobody listens on (a run fails
/// fast and fetches nothing) and, if given, `[web] admin_token`.
fn write_config(dir: &Path, token: Option<&str>) -> std::path::PathBuf {
    let dead = free_port();
    let mut text = format!(
        "[settings]\ndatabase = \"{}\"\noutput = \"{}\"\nallow_private = true\n\
         timeout = \"2s\"\nmedia = false\n\n\
         [[source]]\nid = \"gov\"\ncolumn = \"通知公告\"\n\
         list_urls = [\"http://127.0.0.1:{dead}/list/\"]\ninterval = \"1h\"\n",
        dir.join("t.db").display(),
        dir.join("tree").display(),
    );
    if let Some(t) = token {
        text.push_str(&format!("\n[web]\nadmin_token = \"{t}\"\n"));
    }
    let path = dir.join("jujiao.toml");
    jujiao_legacy::write_atomic(&path, text.as_bytes()).unwrap();
    path
}

/// `jujiao serve -v` on a free port, scheduling on, its log in `log`.
fn serve(config: &Path, env_token: Option<&str>, log: &Path) -> (Server, u16) {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jujiao"));
    cmd.args(["-v", "serve", "--config"])
        .arg(config)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_remove("JUJIAO_ADMIN_TOKEN")
        .env_remove("JUJIAO_DB")
        .env_remove("JUJIAO_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    if let Some(t) = env_token {
        cmd.env("JUJIAO_ADMIN_TOKEN", t);
    }
    let server = Server(cmd.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while request(port, "GET /assets/style.css HTTP/1.1", "").is_none() {
        assert!(Instant::now() < deadline, "serve did not answer");
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, port)
}

/// The token was accepted: the run was queued (202) or the source's scheduled first
/// run is still going (409) — both answers come only after the token check.
fn is_accepted(status: u16) -> bool {
    matches!(status, 202 | 409)
}

#[test]
fn run_now_takes_the_admin_token_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), Some(FILE_TOKEN));
    let log = dir.path().join("serve.log");
    let (server, port) = serve(&config, None, &log);

    assert_eq!(api_run(port, "gov", None), 401, "no token");
    assert_eq!(api_run(port, "gov", Some("wrong-token-12345")), 401);
    assert_eq!(form_run(port, "gov", "wrong-token-12345"), 401);
    // The right token reaches the source lookup: an unknown source is a 404 now.
    assert_eq!(api_run(port, "nosuch", Some(FILE_TOKEN)), 404);
    let status = api_run(port, "gov", Some(FILE_TOKEN));
    assert!(is_accepted(status), "config token refused: {status}");
    let status = form_run(port, "gov", FILE_TOKEN);
    assert!(
        matches!(status, 303 | 409),
        "form with config token: {status}"
    );

    let (status, page) = request(port, "GET /sources HTTP/1.1", "").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("立即运行"), "the run button is offered");
    assert!(!page.contains(FILE_TOKEN));
    drop(server);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("[web] admin_token"), "{log}");
    assert!(!log.contains(FILE_TOKEN), "the token was logged:\n{log}");
}

#[test]
fn the_environment_variable_overrides_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), Some(FILE_TOKEN));
    let log = dir.path().join("serve.log");
    let (server, port) = serve(&config, Some(ENV_TOKEN), &log);
    assert_eq!(api_run(port, "gov", Some(FILE_TOKEN)), 401);
    assert_eq!(api_run(port, "nosuch", Some(ENV_TOKEN)), 404);
    let status = api_run(port, "gov", Some(ENV_TOKEN));
    assert!(is_accepted(status), "environment token refused: {status}");
    drop(server);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("JUJIAO_ADMIN_TOKEN"), "{log}");
    assert!(
        !log.contains(ENV_TOKEN) && !log.contains(FILE_TOKEN),
        "{log}"
    );

    // Without either, run now is refused for everyone (403: no token configured).
    let config = write_config(dir.path(), None);
    let (_server, port) = serve(&config, None, &dir.path().join("serve2.log"));
    assert_eq!(api_run(port, "gov", Some(FILE_TOKEN)), 403);
}

#[test]
fn a_short_or_empty_token_stops_serve_at_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (token, reason) in [("", "is empty"), ("abc12", "is too short (5 characters)")] {
        let config = write_config(dir.path(), Some(token));
        let out = Command::new(env!("CARGO_BIN_EXE_jujiao"))
            .args(["serve", "--no-schedule", "--config"])
            .arg(&config)
            .args(["--listen", &format!("127.0.0.1:{}", free_port())])
            .env_remove("JUJIAO_ADMIN_TOKEN")
            .env_remove("JUJIAO_DB")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("web.admin_token: "), "{stderr}");
        assert!(stderr.contains(reason), "{stderr}");
        assert!(token.is_empty() || !stderr.contains(token), "{stderr}");
    }
    // A too-short environment token is refused the same way, naming the variable.
    let config = write_config(dir.path(), Some(FILE_TOKEN));
    let out = Command::new(env!("CARGO_BIN_EXE_jujiao"))
        .args(["serve", "--no-schedule", "--config"])
        .arg(&config)
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .env("JUJIAO_ADMIN_TOKEN", "tok-123")
        .env_remove("JUJIAO_DB")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("environment variable JUJIAO_ADMIN_TOKEN is too short"),
        "{stderr}"
    );
    assert!(!stderr.contains("tok-123"), "{stderr}");
}
